//! Reliability, "nothing lost": the real binary is killed with SIGKILL while questions pour in, and restarted.
//!
//! Every question whose "passed to staff" confirmation was sent must be in the review queue afterwards, no
//! question may be queued twice, and no update may be answered twice (the polling offset only confirms
//! finished updates, and an update is marked handled before its reply is sent). The moment of the kill is
//! random; the test prints its seed, and `MIGBOT_CRASH_SEED=N` repeats a run.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};
use support::bot::{text, BotProcess, WAIT};
use support::fake_telegram::{FakeTelegram, TestUser};

const USERS: i64 = 60;
const QUESTIONS_PER_USER: usize = 4;
/// Pause between two pushed questions: 240 questions take about 1.2 s to arrive.
const PUSH_EVERY: Duration = Duration::from_millis(5);

/// The evaluation set's questions that the matcher leaves unanswered, each once.
fn unanswered_questions() -> Vec<String> {
    let mut pool = support::questions_by_outcome()
        .remove("unanswered")
        .unwrap_or_default();
    pool.iter_mut().for_each(|q| *q = q.trim().to_string());
    pool.retain(|q| !q.is_empty());
    pool.sort();
    pool.dedup();
    pool
}

/// A small deterministic generator for the moment of the kill.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_questions_arrive_loses_no_confirmed_question_and_answers_nothing_twice() {
    let pool = unanswered_questions();
    assert!(pool.len() >= 20, "only {} unanswered questions", pool.len());
    let mut seed = std::env::var("MIGBOT_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("MIGBOT_CRASH_SEED={seed}");
    let total = USERS as usize * QUESTIONS_PER_USER;
    // Kill somewhere between the 10th and the 90th percent of the arrivals.
    let push_time = PUSH_EVERY * total as u32;
    let kill_after = push_time / 10
        + Duration::from_millis(next(&mut seed) % (push_time.as_millis() as u64 * 8 / 10));

    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let bot = BotProcess::start(&fake, &db).await;

    // (chat id, message id) of each question, and its text.
    let mut asked: HashMap<(i64, i64), (i64, String)> = HashMap::new();
    let users: Vec<TestUser> = (0..USERS)
        .map(|n| TestUser::new(7_000_000 + n, "Dana").with_language("en"))
        .collect();
    let started = Instant::now();
    let mut bot = Some(bot);
    let mut killed_at = None;
    for k in 0..QUESTIONS_PER_USER {
        for (n, user) in users.iter().enumerate() {
            let q = &pool[(n * QUESTIONS_PER_USER + k) % pool.len()];
            fake.push_text_from(user.id, user, q);
            let pushed = fake.pushes().last().cloned().unwrap();
            asked.insert((user.id, pushed.message_id.unwrap()), (user.id, q.clone()));
            if bot.is_some() && started.elapsed() >= kill_after {
                bot.take().unwrap().kill();
                killed_at = Some(asked.len());
            }
            tokio::time::sleep(PUSH_EVERY).await;
        }
    }
    if let Some(b) = bot.take() {
        b.kill();
        killed_at = Some(asked.len());
    }
    let confirmed_before: usize = fake.calls_to("sendMessage").await.len();
    let unconfirmed_at_crash = fake.unconfirmed();

    // Restart, and let it work through what Telegram still holds.
    let bot = BotProcess::start(&fake, &db).await;
    let deadline = Instant::now() + WAIT * 2;
    let mut last = (usize::MAX, Instant::now());
    loop {
        let sent = fake.calls_to("sendMessage").await.len();
        if sent != last.0 {
            last = (sent, Instant::now());
        }
        // Done when Telegram holds nothing unconfirmed and the replies stopped coming.
        if fake.unconfirmed() == 0 && last.1.elapsed() > Duration::from_millis(1500) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the restarted bot did not work through the backlog"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = bot.stop().await;

    // Every reply, by the question it answers.
    let replies = fake.calls_to("sendMessage").await;
    let mut per_question: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    let mut confirmations = BTreeSet::new();
    for call in &replies {
        let chat = call.chat_id().expect("chat id");
        let Some(reply_to) = call.body["reply_parameters"]["message_id"].as_i64() else {
            continue;
        };
        *per_question.entry((chat, reply_to)).or_default() += 1;
        assert!(
            asked.contains_key(&(chat, reply_to)),
            "a reply to a message nobody sent"
        );
        if text(call).contains("passed to our staff")
            || text(call).contains("передан нашим сотрудникам")
        {
            confirmations.insert((chat, reply_to));
        }
    }
    let duplicates: Vec<_> = per_question.iter().filter(|(_, n)| **n > 1).collect();

    // The review queue after the crash and restart.
    let store = migbot::store::Store::open(&db, 8 << 20).expect("database opens");
    let queued: Vec<migbot::store::UnansweredQuestion> = store.unanswered().expect("queue");
    let mut in_queue: BTreeMap<(String, String), usize> = BTreeMap::new();
    for q in &queued {
        *in_queue
            .entry((q.user.clone(), q.text.clone()))
            .or_default() += 1;
    }
    let missing: Vec<_> = confirmations
        .iter()
        .filter(|key| {
            let (user, q) = &asked[key];
            !in_queue.contains_key(&(store.user_ref(*user as u64), q.clone()))
        })
        .collect();
    let queued_twice: Vec<_> = in_queue.iter().filter(|(_, n)| **n > 1).collect();
    let never_answered = asked.len() - per_question.len();

    println!(
        "questions sent {}, killed after {} had arrived ({} ms), replies before the crash {}, unconfirmed updates \
         at the crash {}, confirmations in all {}, in the review queue {}, confirmed but missing {}, queued twice \
         {}, answered twice {}, never answered {}",
        asked.len(),
        killed_at.unwrap(),
        kill_after.as_millis(),
        confirmed_before,
        unconfirmed_at_crash,
        confirmations.len(),
        queued.len(),
        missing.len(),
        queued_twice.len(),
        duplicates.len(),
        never_answered,
    );
    assert_eq!(asked.len(), total);
    assert!(missing.is_empty(), "confirmed but not queued: {missing:?}");
    assert!(
        duplicates.is_empty(),
        "answered twice: {duplicates:?}\n{log}"
    );
    assert!(queued_twice.is_empty(), "queued twice: {queued_twice:?}");
    // The restart picked up what the crash left: most questions got their confirmation.
    assert!(
        confirmations.len() + 10 >= total,
        "only {} of {total} confirmed",
        confirmations.len()
    );
    assert!(
        confirmed_before < total,
        "the kill came after every reply: the test proved nothing"
    );
}
