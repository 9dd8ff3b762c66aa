//! Reliability, "broken storage and configuration": a corrupted database, a full disk at start and while
//! running, a missing knowledge folder. (A database held by another process and one of an unknown version are
//! in tests/store.rs.) At start: one sentence and a non-zero exit. While running: the bot keeps answering
//! from memory and reports the failure in its log and `/healthz`.

mod support;

use std::time::Duration;
use support::bot::{text, user, BotProcess, WAIT};
use support::fake_telegram::FakeTelegram;
use support::http::{free_port, wait_health};
use support::{migbot, migbot_with_file_size_limit};

const ANSWERED: &str = "Do I need a work permit if I am from Kyrgyzstan?";

fn imported_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let out = migbot(&["--db", db.to_str().unwrap(), "kb", "import"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    (dir, db)
}

#[track_caller]
fn one_sentence(out: &support::Output, says: &str) {
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains(says), "{}", out.stderr);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn a_corrupted_database_is_refused_in_one_sentence() {
    let (_dir, db) = imported_db();
    // Every byte of the log overwritten: sled finds nothing it can read back.
    let file = db.join("db");
    let len = std::fs::metadata(&file).unwrap().len() as usize;
    let garbage: Vec<u8> = (0..len).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&file, garbage).unwrap();
    let out = migbot(&["--db", db.to_str().unwrap(), "ask", ANSWERED], None);
    one_sentence(&out, "is corrupted");
    assert!(
        out.stderr.contains("restore it from a backup"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_full_disk_at_start_is_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let out = migbot_with_file_size_limit(&["--db", db.to_str().unwrap(), "ask", ANSWERED], 0);
    one_sentence(&out, "is full");
}

#[test]
fn a_missing_knowledge_folder_stops_the_bot_at_start_in_one_sentence() {
    let (dir, db) = imported_db();
    let missing = dir.path().join("no-such-folder");
    let out = support::migbot_env(
        &[
            "--db",
            db.to_str().unwrap(),
            "--knowledge",
            missing.to_str().unwrap(),
            "serve",
        ],
        None,
        &[
            ("TELOXIDE_TOKEN", support::bot::TOKEN),
            ("TELOXIDE_API_URL", "http://127.0.0.1:9"),
        ],
    );
    one_sentence(&out, "does not exist");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_fills_up_while_running_keeps_answers_coming_and_shows_in_healthz() {
    let (_dir, db) = imported_db();
    let size = std::fs::metadata(db.join("db")).unwrap().len();
    let fake = FakeTelegram::start().await;
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    // sled grows its file a 512 KiB segment at a time, and fills the current one at start: room for that and
    // half a segment more, so that the start works and the questions soon cannot be kept.
    let segment = 512 * 1024;
    let limit = (size / segment + 1) * segment + segment / 2;
    let bot = BotProcess::start_with_file_size_limit(
        &fake,
        &db,
        &[("MIGBOT_OPS_ADDR", addr.as_str())],
        limit,
    )
    .await;
    wait_health(port, 200).await;
    // Long unanswered questions until one cannot be kept.
    let mut not_saved = None;
    for n in 0..200 {
        let u = user(9000 + n);
        let question = format!(
            "Who won football match number {n} yesterday? {}",
            "Tell me everything about the match, the goals and the players. ".repeat(55)
        );
        let before = fake.calls_to("sendMessage").await.len();
        fake.push_text_from(u.id, &u, &question);
        let reply = fake
            .wait_for_calls("sendMessage", before + 1, WAIT)
            .await
            .remove(before);
        if text(&reply).contains("could not save your question") {
            not_saved = Some(n);
            break;
        }
        assert!(
            text(&reply).contains("passed to our staff"),
            "{}",
            text(&reply)
        );
    }
    let n = not_saved.expect("the disk never filled up");
    let health = wait_health(port, 503).await;
    assert!(
        health.contains("\"database\":false") && health.contains("is full"),
        "{health}"
    );
    // Answers still come, from memory.
    let u = user(9999);
    fake.push_text_from(u.id, &u, ANSWERED);
    let reply = fake.wait_for_text(u.id, |_| true, WAIT).await;
    assert!(text(&reply).starts_with("No."), "{}", text(&reply));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = bot.kill();
    assert!(log.contains("could not be written"), "{log}");
    println!("the disk filled up at question {n}");
}
