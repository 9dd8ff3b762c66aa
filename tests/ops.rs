//! What operators rely on: structured logs without secrets, statistics, and backups that lose nothing.

mod support;

use support::bot::*;
use support::fake_telegram::TestUser;
use support::http::{free_port, get, wait_health};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_follows_the_bot_api_and_metrics_parse_and_count() {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let (c, bot) = Conversation::with_env(&[
        ("MIGBOT_OPS_ADDR", addr.as_str()),
        ("MIGBOT_HEALTH_PROBE_SECS", "1"),
    ])
    .await;
    let body = wait_health(port, 200).await;
    assert!(body.contains("\"database\":true"), "{body}");

    c.ask(
        &TestUser::new(81, "A"),
        "Do I need a work permit if I am from Kyrgyzstan?",
    )
    .await;
    let (status, text) = get(port, "/metrics").await.expect("metrics answer");
    assert_eq!(status, 200);
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition format");
    let value = |name: &str, label: Option<(&str, &str)>| -> Option<f64> {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(
        value("migbot_questions_total", Some(("outcome", "answered"))),
        Some(1.0),
        "{text}"
    );
    assert!(
        value("migbot_knowledge_entries", None).is_some_and(|n| n >= 38.0),
        "{text}"
    );
    assert!(
        value("migbot_updates_received_total", None).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        text.contains("migbot_answer_latency_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("migbot_build_info"), "{text}");

    // The Bot API goes away: 503 saying which part failed; it comes back: 200 again.
    c.fake.set_unreachable(true);
    let body = wait_health(port, 503).await;
    assert!(body.contains("\"telegram\":false"), "{body}");
    c.fake.set_unreachable(false);
    wait_health(port, 200).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_valid_knowledge_and_refuses_broken_knowledge() {
    let knowledge = support::KnowledgeDir::copy_of_real();
    let k = knowledge.path_str().to_string();
    let env = [
        ("MIGBOT_KNOWLEDGE", k.as_str()),
        ("MIGBOT_STAFF_CHAT_ID", "-7000"),
    ];
    let (c, bot) = Conversation::with_env(&env).await;
    let q = "Do I need a work permit if I am from Kyrgyzstan?";
    let u = TestUser::new(91, "A");
    assert!(text(&c.ask(&u, q).await).starts_with("No."));

    // A valid change: the new answer is served after SIGHUP, without a restart.
    let work = knowledge.path().join("entries/work.toml");
    let original = std::fs::read_to_string(&work).unwrap();
    std::fs::write(
        &work,
        original.replacen("answer = \"No.", "answer = \"RELOADED. No.", 1),
    )
    .unwrap();
    let hup = |pid: u32| {
        std::process::Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap()
    };
    hup(bot.pid());
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if text(&c.ask(&u, q).await).starts_with("RELOADED.") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reload never took effect"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // A broken change is refused: the old knowledge keeps serving and staff are told.
    std::fs::write(
        &work,
        original.replacen("url = \"https://", "url = \"http://", 1),
    )
    .unwrap();
    hup(bot.pid());
    c.fake
        .wait_for_text(-7000, |t| t.contains("reload refused"), WAIT)
        .await;
    assert!(
        text(&c.ask(&u, q).await).starts_with("RELOADED."),
        "the previous knowledge still serves"
    );
    let log = bot.stop().await;
    assert!(log.contains("knowledge reload refused"), "{log}");
    assert!(log.contains("is not https"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backup_staff_command_exports_while_the_bot_runs() {
    let (c, bot) = Conversation::with_env(&[("MIGBOT_ADMIN_IDS", "555")]).await;
    c.ask(&TestUser::new(92, "A"), "qwzx blorf fnord").await;
    let reply = c.ask(&TestUser::new(555, "Admin"), "/backup").await;
    let t = text(&reply).to_string();
    assert!(t.contains("Backup written"), "{t}");
    let path = t
        .split("written: ")
        .nth(1)
        .and_then(|r| r.split(" (").next())
        .unwrap()
        .to_string();
    bot.stop().await;
    // The backup restores into an empty database with the unanswered question in it.
    let restored = c.dir.path().join("restored");
    let out = migbot(
        &["--db", restored.to_str().unwrap(), "db", "import", &path],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let store = migbot::store::Store::open(&restored, 8 << 20).unwrap();
    assert_eq!(store.unanswered().unwrap()[0].text, "qwzx blorf fnord");
}
