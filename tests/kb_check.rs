//! `migbot kb check` on small broken knowledge folders: one test per problem, each checking that the message
//! names the file, the line where there is one, and the entry id.

mod support;

use std::path::Path;
use support::{migbot, KnowledgeDir};

/// A valid entry in `entries/work.toml`, with `{id}` and `{extra}` to vary.
fn entry(id: &str) -> String {
    format!(
        r#"
[[entry]]
id = "{id}"
topic = "work"
facts = ["14"]

[entry.en]
questions = ["Do I need a permit for {id}?"]
answer = "No."

[entry.ru]
questions = ["Нужно ли разрешение для {id}?"]
answer = "Нет."

[entry.source]
kind = "summary"
statement = "Article 97(1): no work permit."
title = "Treaty"
url = "https://example.org/treaty"
date = "2014-05-29"
last_verified = "2026-11-29"
"#
    )
}

#[track_caller]
fn check(entries: &str, expected: &[&str]) {
    let dir = KnowledgeDir::with_entries(&[("work.toml", entries)]);
    let out = migbot(&["--knowledge", dir.path_str(), "kb", "check"], None);
    assert_eq!(out.code, 1, "kb check should fail; stdout:\n{}", out.stdout);
    for e in expected {
        assert!(out.stdout.contains(e), "expected {e:?} in:\n{}", out.stdout);
    }
}

#[test]
fn a_clean_folder_passes() {
    let dir = KnowledgeDir::with_entries(&[("work.toml", &entry("a-b"))]);
    let out = migbot(&["--knowledge", dir.path_str(), "kb", "check"], None);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("0 error(s)"), "{}", out.stdout);
}

#[test]
fn toml_syntax_error_names_file_and_line() {
    let broken = entry("a-b").replace("answer = \"No.\"", "answer = \"No.");
    check(
        &broken,
        &["error: entries/work.toml:9:", "TOML syntax error"],
    );
}

#[test]
fn unknown_field_is_reported_with_its_line() {
    let broken = entry("a-b").replace("answer = \"No.\"", "answer = \"No.\"\nanswr = \"typo\"");
    check(
        &broken,
        &["entries/work.toml:10: entry `a-b`", "unknown field `answr`"],
    );
}

#[test]
fn missing_field_is_reported() {
    let broken = entry("a-b").replace("url = \"https://example.org/treaty\"\n", "");
    check(&broken, &["entry `a-b`", "missing field `url`"]);
}

#[test]
fn duplicate_ids_are_reported_with_both_places() {
    let both = format!(
        "{}{}",
        entry("a-b"),
        entry("a-b").replace("permit for", "permission for")
    );
    check(
        &both,
        &["entries/work.toml:24: entry `a-b`: duplicate id: already used at entries/work.toml:3"],
    );
}

#[test]
fn missing_language_is_reported() {
    let broken = entry("a-b").replace(
        "[entry.ru]\nquestions = [\"Нужно ли разрешение для a-b?\"]\nanswer = \"Нет.\"\n",
        "",
    );
    check(&broken, &["entry `a-b`", "missing field `ru`"]);
}

#[test]
fn empty_answer_is_reported() {
    check(
        &entry("a-b").replace("answer = \"No.\"", "answer = \"  \""),
        &["entry `a-b`", "empty answer in `en`"],
    );
}

#[test]
fn empty_statement_is_reported() {
    let broken = entry("a-b").replace(
        "statement = \"Article 97(1): no work permit.\"",
        "statement = \"\"",
    );
    check(
        &broken,
        &[
            "entries/work.toml:17: entry `a-b`",
            "empty source statement",
        ],
    );
}

#[test]
fn non_https_url_is_reported() {
    let broken = entry("a-b").replace("https://example.org", "http://example.org");
    check(
        &broken,
        &["entries/work.toml:19: entry `a-b`", "is not https"],
    );
}

#[test]
fn malformed_url_is_reported() {
    check(
        &entry("a-b").replace("https://example.org/treaty", "https//example"),
        &["entry `a-b`", "is malformed"],
    );
}

#[test]
fn related_id_that_does_not_exist_is_reported() {
    let broken = entry("a-b").replace(
        "facts = [\"14\"]",
        "facts = [\"14\"]\nrelated = [\"no-such-entry\"]",
    );
    check(
        &broken,
        &[
            "entries/work.toml:3: entry `a-b`",
            "`no-such-entry`, which does not exist",
        ],
    );
}

#[test]
fn date_that_does_not_parse_is_reported() {
    check(
        &entry("a-b").replace("2014-05-29", "29 May 2014"),
        &["entry `a-b`", "date `29 May 2014` does not parse"],
    );
    check(
        &entry("a-b").replace("2026-11-29", "2026-02-30"),
        &["entry `a-b`", "last_verified `2026-02-30` does not parse"],
    );
}

#[test]
fn unknown_topic_and_bad_id_are_reported() {
    check(
        &entry("A_b").replace("topic = \"work\"", "topic = \"visas\""),
        &["not lowercase kebab-case", "unknown topic `visas`"],
    );
}

#[test]
fn a_question_in_two_entries_is_reported() {
    let both = format!(
        "{}{}",
        entry("a-b"),
        entry("c-d").replace("for c-d?", "for a-b?")
    );
    check(&both, &["entry `c-d`", "is also a variant of `a-b`"]);
}

#[test]
fn all_problems_are_reported_at_once() {
    let broken = format!(
        "{}{}",
        entry("a-b").replace("https://", "http://"),
        entry("c-d").replace("answer = \"No.\"", "answer = \"\"")
    );
    check(
        &broken,
        &[
            "entry `a-b`",
            "is not https",
            "entry `c-d`",
            "empty answer",
            "2 error(s)",
        ],
    );
}

#[test]
fn stale_entries_are_warned_about_without_failing() {
    let old = entry("a-b").replace(
        "last_verified = \"2026-11-29\"",
        "last_verified = \"2020-01-01\"",
    );
    let dir = KnowledgeDir::with_entries(&[("work.toml", &old)]);
    let out = migbot(
        &[
            "--knowledge",
            dir.path_str(),
            "kb",
            "check",
            "--max-age-months",
            "12",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("warning: entries/work.toml:3: entry `a-b`: last verified 2020-01-01"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_missing_knowledge_folder_is_one_clear_sentence() {
    let out = migbot(
        &["--knowledge", "/nonexistent/knowledge", "kb", "check"],
        None,
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("the knowledge folder /nonexistent/knowledge does not exist"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn the_real_knowledge_base_is_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let out = migbot(&["--knowledge", dir.to_str().unwrap(), "kb", "check"], None);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn a_broken_gaps_file_is_reported_and_a_missing_one_too() {
    let dir = KnowledgeDir::with_entries(&[("work.toml", &entry("a-b"))]);
    let gaps = Path::new(dir.path_str()).join("gaps.toml");
    std::fs::write(
        &gaps,
        "[[gap]]\ntopic = \"fines\"\nterms = [\"fined\", \"штраф\"]\n\n[[gap]]\ntopic = \"penalties\"\nterms = [\"Штраф\"]\n\n[[gap]]\ntopic = \"banks\"\nterms = []\n",
    )
    .expect("write gaps.toml");
    let out = migbot(&["--knowledge", dir.path_str(), "kb", "check"], None);
    assert_eq!(out.code, 1, "{}", out.stdout);
    for e in [
        "term \"Штраф\" is in both gaps `fines` and `penalties`",
        "gap `banks` has no terms",
    ] {
        assert!(out.stdout.contains(e), "expected {e:?} in:\n{}", out.stdout);
    }
    std::fs::remove_file(&gaps).expect("remove gaps.toml");
    let out = migbot(&["--knowledge", dir.path_str(), "kb", "check"], None);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("gaps.toml") && out.stdout.contains("the file is missing"),
        "{}",
        out.stdout
    );
}
