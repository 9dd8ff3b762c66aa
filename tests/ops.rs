//! What operators rely on: structured logs without secrets, statistics, and backups that lose nothing.

mod support;

use support::bot::*;
use support::fake_telegram::TestUser;
use support::{migbot, real_knowledge};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_have_one_event_per_question_and_never_the_token_or_a_name() {
    let (c, bot) = Conversation::with_env(&[("MIGBOT_LOG_FORMAT", "json")]).await;
    let u = TestUser::new(77, "Gulnara");
    c.ask(&u, "Do I need a work permit if I am from Kyrgyzstan?")
        .await;
    c.ask(&u, "qwzx blorf fnord").await;
    let log = bot.stop().await;
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let questions: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["fields"]["message"] == "question")
        .collect();
    assert_eq!(questions.len(), 2, "{log}");
    let first = &questions[0]["fields"];
    assert_eq!(questions[0]["level"], "INFO");
    assert_eq!(first["outcome"], "answered");
    assert_eq!(first["entry"], "eaeu-no-work-permit");
    assert!(
        first["score"].is_number() && first["latency_us"].is_number(),
        "{first}"
    );
    assert_eq!(first["lang"], "en");
    assert!(
        first["user"]
            .as_str()
            .is_some_and(|u| u.len() == 24 && u != "77"),
        "pseudonymous: {first}"
    );
    assert_eq!(questions[1]["fields"]["outcome"], "unanswered");
    // The question text is only logged at debug level; never the token, names or usernames.
    assert!(!log.contains("qwzx blorf"), "{log}");
    assert!(
        !log.contains(TOKEN) && !log.contains("TEST-token_for_migbot"),
        "the token leaked:\n{log}"
    );
    assert!(!log.contains("Gulnara"), "{log}");
    let start = events
        .iter()
        .find(|e| e["fields"]["message"] == "starting the Telegram bot")
        .expect("a start-up event");
    assert!(
        start["fields"]["entries"].as_u64().is_some_and(|n| n >= 38),
        "{start}"
    );
    assert!(
        start["fields"]["api_host"]
            .as_str()
            .is_some_and(|h| h.starts_with("127.0.0.1:")),
        "{start}"
    );
    assert!(
        start["fields"]["version"].is_string() && start["fields"]["db"].is_string(),
        "{start}"
    );

    // `migbot stats` counts what happened.
    let out = migbot(
        &[
            "--db",
            c.db().to_str().unwrap(),
            "stats",
            "--since",
            "1d",
            "--json",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["period"]["answered"], 1, "{report}");
    assert_eq!(report["period"]["unanswered"], 1, "{report}");
    assert_eq!(report["top_entries"][0][0], "eaeu-no-work-permit");
    assert_eq!(report["open_groups"], 1);
}

#[test]
fn export_and_import_round_trip_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let k = real_knowledge();
    let run = |db: &std::path::Path, args: &[&str], stdin: Option<&str>| {
        let mut all = vec![
            "--db",
            db.to_str().unwrap(),
            "--knowledge",
            k.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        migbot(&all, stdin)
    };
    // Knowledge, unanswered questions and their group, a learned variant.
    assert_eq!(
        run(
            &db,
            &["chat"],
            Some("how to open a bank account\nwhere to buy a winter jacket\n/quit\n")
        )
        .code,
        0
    );
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&run(&db, &["review", "list", "--json"], None).stdout).unwrap();
    let group = list[0]["id"].to_string();
    assert_eq!(
        run(&db, &["review", "link", &group, "kz-online-services"], None).code,
        0
    );

    let dump = tmp.path().join("backup.jsonl");
    let out = run(&db, &["db", "export", dump.to_str().unwrap()], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let restored = tmp.path().join("restored");
    let out = run(&restored, &["db", "import", dump.to_str().unwrap()], None);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // The restored database exports the same records, and behaves the same.
    let again = tmp.path().join("again.jsonl");
    assert_eq!(
        run(&restored, &["db", "export", again.to_str().unwrap()], None).code,
        0
    );
    let body = |p: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .skip(1)
            .map(String::from)
            .collect()
    };
    let (a, b) = (body(&dump), body(&again));
    assert!(a.len() >= 45, "{} records", a.len());
    assert_eq!(a, b);
    let ask = run(
        &restored,
        &["ask", "--json", "how to open a bank account"],
        None,
    );
    let o: serde_json::Value = serde_json::from_str(ask.stdout.trim()).unwrap();
    assert_eq!(
        o["entry"], "kz-online-services",
        "the learned variant came back: {o}"
    );
    let orig = migbot::store::Store::open(&db, 8 << 20).unwrap();
    let copy = migbot::store::Store::open(&restored, 8 << 20).unwrap();
    assert_eq!(
        orig.user_ref(42),
        copy.user_ref(42),
        "pseudonymous references stay the same"
    );
    drop((orig, copy));

    // Importing into a database that holds data is refused.
    let out = run(&db, &["db", "import", dump.to_str().unwrap()], None);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("not empty"), "{}", out.stderr);
}
