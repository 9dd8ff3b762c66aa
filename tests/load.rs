//! End-to-end load test (ignored by `cargo test`): the real `migbot serve` binary, long polling the fake Bot API
//! on 127.0.0.1, answering 1,000 simulated users. See BENCHMARKS.md.
//!
//! ```sh
//! cargo test --release --test load -- --ignored --nocapture
//! ```
//!
//! Each user (distinct user and chat id) asks `MIGBOT_LOAD_PER_USER` (default 3) questions, all pushed as fast
//! as possible (or paced, see `MIGBOT_LOAD_RATE`), then the test waits for every reply. The questions are the labelled questions of `tests/eval/`,
//! drawn so that about 60% are answered, 25% get suggestions and 15% are unanswered (the outcome is checked
//! beforehand with the library's matcher on the same knowledge base). Per question it measures the time from
//! the push to the fake receiving the `sendMessage` that replies to it; it prints questions per second (replies
//! over the time from the first push to the last reply) and p50/p99, overall and per outcome.
//!
//! Environment: `MIGBOT_LOAD_USERS` (1000), `MIGBOT_LOAD_PER_USER` (3), `MIGBOT_LOAD_TIMEOUT_S` (600),
//! `MIGBOT_LOAD_RATE` (questions per second to push at, paced; default 0: all at once, as fast as possible),
//! `MIGBOT_LOAD_BIN` (the binary to run; default the one cargo built). `MIGBOT_THROTTLE` (default `off`: the
//! test measures migbot, not Telegram's limits) and `RUST_LOG` (default `warn`) are passed on to the binary. The load stays on 127.0.0.1 and stops by itself.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::bot::TOKEN;
use support::fake_telegram::FakeTelegram;
use support::questions_by_outcome;

const FIRST_USER: i64 = 5_000_000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Bot {
    child: Child,
    log: PathBuf,
}

impl Bot {
    async fn start(fake: &FakeTelegram, db: &Path) -> Bot {
        let bin = std::env::var_os("MIGBOT_LOAD_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_migbot")));
        let log = db.with_extension("log");
        let mut cmd = Command::new(bin);
        cmd.args([
            "--db",
            db.to_str().expect("utf-8 path"),
            "--knowledge",
            support::real_knowledge().to_str().expect("utf-8 path"),
            "serve",
        ])
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELOXIDE_API_URL", fake.url())
        // Telegram's sending limits off unless asked for: the test measures migbot, not the pacing.
        .env(
            "MIGBOT_THROTTLE",
            std::env::var("MIGBOT_THROTTLE").unwrap_or_else(|_| "off".into()),
        )
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"));
        let child = cmd.spawn().expect("migbot starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while fake.calls_to("getUpdates").await.is_empty() {
            assert!(Instant::now() < deadline, "migbot never polled the fake");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Bot { child, log }
    }

    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pct(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let n = sorted.len();
    sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load test: cargo test --release --test load -- --ignored --nocapture (see BENCHMARKS.md)"]
async fn thousand_users_against_the_fake_bot_api() {
    let users = env_or("MIGBOT_LOAD_USERS", 1000) as i64;
    let per_user = env_or("MIGBOT_LOAD_PER_USER", 3) as usize;
    let timeout = Duration::from_secs(env_or("MIGBOT_LOAD_TIMEOUT_S", 600));
    // Questions per second to push at; 0 pushes them all at once.
    let rate = env_or("MIGBOT_LOAD_RATE", 0);

    let pools = questions_by_outcome();
    for outcome in ["answered", "suggestions", "unanswered"] {
        assert!(
            pools.get(outcome).is_some_and(|p| !p.is_empty()),
            "no {outcome} question"
        );
    }
    // A fixed plan: question k of user u, 12 in 20 answered, 5 suggestions, 3 unanswered, cycling through each pool.
    let total = users as usize * per_user;
    let mut cursor: HashMap<&str, usize> = HashMap::new();
    let mut plan: Vec<(i64, String, &'static str)> = Vec::with_capacity(total);
    for k in 0..per_user {
        for u in 0..users {
            let slot = (k * users as usize + u as usize) % 20;
            let outcome = if slot < 12 {
                "answered"
            } else if slot < 17 {
                "suggestions"
            } else {
                "unanswered"
            };
            let pool = &pools[outcome];
            let i = cursor.entry(outcome).or_insert(0);
            let q = pool[*i % pool.len()].clone();
            *i += 1;
            plan.push((FIRST_USER + u, q, outcome));
        }
    }

    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let bot = Bot::start(&fake, &dir.path().join("db")).await;
    let throttle = std::env::var("MIGBOT_THROTTLE").unwrap_or_else(|_| "off".into());
    eprintln!(
        "load: {users} users x {per_user} questions = {total}; MIGBOT_THROTTLE={throttle}; pushing {}",
        if rate > 0 { format!("at {rate} per second") } else { "all at once".to_string() }
    );

    let mut expected: HashMap<(i64, i64), &str> = HashMap::with_capacity(total);
    let before = fake.pushes().len();
    let pacing = Instant::now();
    for (i, (user, q, _)) in plan.iter().enumerate() {
        if rate > 0 {
            let due = pacing + Duration::from_secs_f64(i as f64 / rate as f64);
            if due > Instant::now() {
                tokio::time::sleep_until(due.into()).await;
            }
        }
        fake.push_text(*user, *user, q);
    }
    let pushes: Vec<_> = fake.pushes().into_iter().skip(before).collect();
    for (p, (_, _, outcome)) in pushes.iter().zip(&plan) {
        expected.insert(
            (
                p.chat_id.expect("a message update"),
                p.message_id.expect("a message update"),
            ),
            outcome,
        );
    }
    let first_push = pushes.first().expect("pushed").at;
    let pushed_in = pushes.last().expect("pushed").at - first_push;

    let deadline = Instant::now() + timeout;
    let mut replies;
    let mut next_progress = Instant::now() + Duration::from_secs(10);
    loop {
        replies = fake.calls_to("sendMessage").await;
        if replies.len() >= total || Instant::now() >= deadline {
            break;
        }
        if Instant::now() >= next_progress {
            eprintln!(
                "load: {:.0} s after the first push: {} of {total} replies",
                first_push.elapsed().as_secs_f64(),
                replies.len()
            );
            next_progress += Duration::from_secs(10);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = bot.stop();

    let at: HashMap<(i64, i64), Instant> = pushes
        .iter()
        .map(|p| ((p.chat_id.unwrap(), p.message_id.unwrap()), p.at))
        .collect();
    let mut all = Vec::new();
    let mut by_outcome: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut last = first_push;
    let mut unmatched = 0;
    for c in replies.iter().filter(|c| c.ok) {
        let key = c
            .chat_id()
            .zip(c.body["reply_parameters"]["message_id"].as_i64());
        match key.and_then(|k| at.get(&k).map(|t| (k, *t))) {
            Some((k, t)) => {
                let d = c.received.saturating_duration_since(t);
                all.push(d);
                by_outcome.entry(expected[&k]).or_default().push(d);
                last = last.max(c.received);
            }
            None => unmatched += 1,
        }
    }
    all.sort_unstable();
    let span = last - first_push;
    eprintln!(
        "load: pushed {total} updates in {}; {} replies matched ({unmatched} other sendMessage) in {:.2} s",
        ms(pushed_in),
        all.len(),
        span.as_secs_f64()
    );
    eprintln!(
        "load: {:.1} questions/s; update to reply p50 {} p90 {} p99 {} max {}",
        all.len() as f64 / span.as_secs_f64(),
        ms(pct(&all, 0.5)),
        ms(pct(&all, 0.9)),
        ms(pct(&all, 0.99)),
        ms(pct(&all, 1.0))
    );
    for (outcome, mut t) in by_outcome {
        t.sort_unstable();
        eprintln!(
            "load:   {outcome}: {} replies, p50 {} p99 {}",
            t.len(),
            ms(pct(&t, 0.5)),
            ms(pct(&t, 0.99))
        );
    }
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).take(5).collect();
    if !warnings.is_empty() {
        eprintln!("load: first warnings of the bot:\n{}", warnings.join("\n"));
    }
    assert_eq!(
        all.len(),
        total,
        "not every question got its reply within {timeout:?}"
    );
}
