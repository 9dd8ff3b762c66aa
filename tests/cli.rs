//! The binary end to end: the console chat over stdin/stdout, and `ask --json`.

mod support;

use serde_json::Value;
use support::{migbot, real_knowledge};

struct Env {
    _tmp: tempfile::TempDir,
    db: String,
    knowledge: String,
}

fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    Env {
        db: tmp.path().join("db").to_str().unwrap().to_string(),
        knowledge: real_knowledge().to_str().unwrap().to_string(),
        _tmp: tmp,
    }
}

impl Env {
    fn run(&self, args: &[&str], stdin: Option<&str>) -> support::Output {
        let mut all = vec![
            "--db",
            self.db.as_str(),
            "--knowledge",
            self.knowledge.as_str(),
        ];
        all.extend_from_slice(args);
        migbot(&all, stdin)
    }

    fn unanswered(&self) -> Vec<migbot::store::UnansweredQuestion> {
        let store =
            migbot::store::Store::open(std::path::Path::new(&self.db), 8 << 20).expect("db opens");
        store.unanswered().unwrap()
    }
}

#[test]
fn console_chat_answers_with_source_and_stores_the_unanswered() {
    let e = env();
    let out = e.run(
        &[],
        Some("Do I need a work permit if I am from Kyrgyzstan?\nqwzx blorf fnord\n/quit\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = &out.stdout;
    assert!(
        s.contains("TELOXIDE_TOKEN"),
        "the console says how to connect Telegram:\n{s}"
    );
    // The answer to the work-permit question shows the source statement, its speaker, the link and the date.
    assert!(s.contains("Article 97"), "{s}");
    assert!(s.contains("https://"), "{s}");
    assert!(s.contains("2026-11-29"), "{s}");
    // The nonsense question gets the honest reply and lands in the unanswered tree.
    assert!(s.contains("I don't have a verified answer"), "{s}");
    let stored = e.unanswered();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].text, "qwzx blorf fnord");
    assert_eq!(stored[0].reason, "unanswered");
}

#[test]
fn console_chat_offers_numbered_suggestions_and_none_of_these() {
    let e = env();
    // A vague question gets suggestions; 1 shows the first; a second vague question, then 0, records it.
    let out = e.run(&[], Some("registration\n1\nregistration\n0\n/quit\n"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Did you mean"), "{}", out.stdout);
    assert!(out.stdout.contains("  1. "), "{}", out.stdout);
    assert!(
        out.stdout.contains("https://"),
        "choosing 1 shows an answer:\n{}",
        out.stdout
    );
    let stored = e.unanswered();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].reason, "none-of-these");
}

#[test]
fn console_chat_answers_russian_in_russian_and_greets_without_logging() {
    let e = env();
    let out = e.run(
        &[],
        Some("привет\nнужно ли разрешение на работу гражданину кыргызстана\n/quit\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Нет"), "{}", out.stdout);
    assert!(e.unanswered().is_empty());
}

const KEYS: &[&str] = &[
    "question",
    "outcome",
    "entry",
    "score",
    "lang",
    "suggestions",
    "answer",
    "source",
    "why",
];

#[test]
fn ask_json_stdin_prints_one_object_per_line_with_the_documented_keys() {
    let e = env();
    let input = "Do I need a work permit if I am from Kyrgyzstan?\nregistration\nqwzx blorf fnord\nhello\nnuzhno li razreshenie na rabotu\nспасибо большое\n";
    let out = e.run(&["ask", "--json", "--stdin"], Some(input));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let objects: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|err| panic!("not JSON: {l}: {err}")))
        .collect();
    assert_eq!(objects.len(), 6);
    for o in &objects {
        for k in KEYS {
            assert!(o.get(k).is_some(), "missing {k} in {o}");
        }
        assert!(o["score"].is_number());
        assert!(["en", "ru"].contains(&o["lang"].as_str().unwrap()));
        assert!(o["suggestions"].is_array());
        assert!(o["why"].is_object());
    }
    let outcomes: Vec<&str> = objects
        .iter()
        .map(|o| o["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "answered",
            "suggestions",
            "unanswered",
            "smalltalk",
            "answered",
            "smalltalk"
        ]
    );
    // Small talk is answered in the script it was written in.
    assert_eq!(
        (&objects[3]["lang"], &objects[5]["lang"]),
        (&"en".into(), &"ru".into())
    );
    let answered = &objects[0];
    assert_eq!(answered["entry"], "eaeu-no-work-permit");
    let source = &answered["source"];
    for k in [
        "statement",
        "kind",
        "speaker",
        "title",
        "url",
        "date",
        "last_verified",
    ] {
        assert!(source.get(k).is_some(), "source lacks {k}: {source}");
    }
    assert!(["quote", "summary"].contains(&source["kind"].as_str().unwrap()));
    assert!(answered["why"]["best"]["variant"].is_string());
    assert!(objects[1]["suggestions"].as_array().unwrap().len() >= 2);
    assert!(
        objects[2]["entry"].is_null()
            && objects[2]["source"].is_null()
            && objects[2]["answer"].is_null()
    );
    // Latin-typed Russian is answered in Russian.
    assert_eq!(objects[4]["lang"], "ru");
    assert_eq!(objects[4]["entry"], "eaeu-no-work-permit");
    // ask records nothing.
    assert!(e.unanswered().is_empty());
}

#[test]
fn ask_lang_forces_the_answer_language() {
    let e = env();
    let out = e.run(
        &[
            "ask",
            "--json",
            "--lang",
            "ru",
            "Do I need a work permit if I am from Kyrgyzstan?",
        ],
        None,
    );
    let o: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(o["lang"], "ru");
    assert!(o["answer"].as_str().unwrap().starts_with("Нет"), "{o}");
}

#[test]
fn kb_list_json_lists_every_entry_with_both_languages() {
    let e = env();
    let out = e.run(&["kb", "list", "--json"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    assert!(list.len() >= 38);
    for item in &list {
        assert_eq!(item["langs"], serde_json::json!(["en", "ru"]), "{item}");
        assert!(item["url"].as_str().unwrap().starts_with("https://"));
    }
}

#[test]
fn posting_budget_is_an_option_with_a_floor() {
    let e = env();
    let q = "Do I need a work permit if I am from Kyrgyzstan?";
    let plain = e.run(&["ask", "--json", q], None);
    let budgeted = e.run(&["--posting-budget", "1000", "ask", "--json", q], None);
    assert_eq!(budgeted.code, 0, "{}", budgeted.stderr);
    let (a, b): (Value, Value) = (
        serde_json::from_str(plain.stdout.trim()).unwrap(),
        serde_json::from_str(budgeted.stdout.trim()).unwrap(),
    );
    assert_eq!(a["entry"], b["entry"], "{b}");
    assert!(a["entry"].is_string(), "{a}");
    // A budget too small to find anything is refused before start.
    let refused = e.run(&["--posting-budget", "10", "ask", q], None);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("1000"), "{}", refused.stderr);
}
