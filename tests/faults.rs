//! Reliability, "Telegram faults": the real binary against a fake Bot API that refuses, stalls and drops
//! calls. The bot must recover, lose no question, send nothing twice and keep polling. (A 429 with
//! `retry_after` is in tests/telegram.rs; the Bot API going away entirely is in tests/ops.rs.)

mod support;

use std::time::Duration;
use support::bot::{text, user, Conversation, WAIT};
use support::fake_telegram::{Call, FailMode};

const OFF_TOPIC: &str = "What will the weather be in Almaty tomorrow?";
const OFF_TOPIC_2: &str = "Who won the football match yesterday?";
const ANSWERED: &str = "Do I need a work permit if I am from Kyrgyzstan?";
/// The secret part of the test token (after the colon).
const TOKEN_SECRET: &str = "TEST-token_for_migbot";

/// The bot's messages that reply to the message `message_id` in `chat`, whether the fake delivered them or not.
async fn replies_to(c: &Conversation, chat: i64, message_id: i64) -> Vec<Call> {
    c.fake
        .calls_to("sendMessage")
        .await
        .into_iter()
        .filter(|call| {
            call.chat_id() == Some(chat)
                && call.body["reply_parameters"]["message_id"].as_i64() == Some(message_id)
        })
        .collect()
}

fn last_message_id(c: &Conversation) -> i64 {
    c.fake.pushes().last().unwrap().message_id.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_blocked_the_bot_loses_their_reply_route_and_others_are_still_answered() {
    let (c, bot) = Conversation::new().await;
    let (blocked, other) = (user(501), user(502));
    c.fake.fail_next("sendMessage", FailMode::Forbidden);
    c.fake.push_text_from(blocked.id, &blocked, OFF_TOPIC);
    let refused = c.fake.wait_for_calls("sendMessage", 1, WAIT).await;
    assert!(!refused[0].ok, "the confirmation met the 403");
    let reply = c.ask(&other, OFF_TOPIC_2).await;
    assert!(
        text(&reply).contains("passed to our staff"),
        "{}",
        text(&reply)
    );
    bot.stop().await;

    let store = c.store();
    let queued = store.unanswered().unwrap();
    let find = |u: &support::fake_telegram::TestUser| {
        queued
            .iter()
            .find(|q| q.user == store.user_ref(u.id as u64))
            .unwrap_or_else(|| panic!("the question of user {} is queued", u.id))
            .id
    };
    assert_eq!(
        store.route(find(&blocked)).unwrap(),
        None,
        "no route to a user who blocked the bot"
    );
    assert!(store.route(find(&other)).unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_updates_errors_and_a_dropped_poll_lose_nothing_and_polling_goes_on() {
    let (c, bot) = Conversation::new().await;
    c.fake.fail_next("getUpdates", FailMode::Conflict);
    c.fake.fail_next(
        "getUpdates",
        FailMode::BadRequest("Bad Request: wrong offset".to_string()),
    );
    // Telegram sends the updates, the connection breaks before the bot reads them.
    c.fake.fail_next("getUpdates", FailMode::DropConnection);
    let users = [user(601), user(602), user(603)];
    let mut asked = Vec::new();
    for (u, q) in users.iter().zip([ANSWERED, OFF_TOPIC, OFF_TOPIC_2]) {
        c.fake.push_text_from(u.id, u, q);
        asked.push((u.id, last_message_id(&c)));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for (chat, message) in &asked {
        c.fake.wait_for_text(*chat, |_| true, WAIT * 2).await;
        assert_eq!(
            replies_to(&c, *chat, *message).await.len(),
            1,
            "one reply to chat {chat}"
        );
    }
    assert_eq!(c.fake.faults_left("getUpdates"), 0, "every fault was met");
    // Polling goes on after the faults.
    let late = user(604);
    let reply = c.ask(&late, ANSWERED).await;
    assert!(text(&reply).starts_with("No."), "{}", text(&reply));
    let log = bot.stop().await;
    assert!(log.matches("polling failed").count() >= 3, "{log}");
    assert!(
        !log.contains(TOKEN_SECRET),
        "the token leaked into an error: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_bot_api_delays_only_the_chat_it_stalls() {
    let (c, bot) = Conversation::new().await;
    let (slow, quick) = (user(701), user(702));
    c.fake
        .fail_next("sendMessage", FailMode::Slow(Duration::from_secs(3)));
    c.fake.push_text_from(slow.id, &slow, ANSWERED);
    let slow_message = last_message_id(&c);
    // The slow call is in progress when the second user asks.
    c.fake
        .wait_until_calls_started("sendMessage", 1, WAIT)
        .await;
    c.fake.push_text_from(quick.id, &quick, ANSWERED);
    let quick_reply = c.fake.wait_for_text(quick.id, |_| true, WAIT).await;
    let slow_reply = c.fake.wait_for_text(slow.id, |_| true, WAIT).await;
    assert!(
        quick_reply.received < slow_reply.received,
        "the second user was answered while the first user's reply was stalled"
    );
    assert_eq!(
        replies_to(&c, slow.id, slow_message).await.len(),
        1,
        "no duplicate"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_whose_connection_drops_is_not_sent_twice() {
    let (c, bot) = Conversation::new().await;
    let u = user(801);
    c.fake.fail_next("sendMessage", FailMode::DropConnection);
    c.fake.push_text_from(u.id, &u, ANSWERED);
    let first = last_message_id(&c);
    c.fake.wait_for_calls("sendMessage", 1, WAIT).await;
    // The same chat's next question is handled after the first one finished (one chat, in order).
    let reply = c.ask(&u, OFF_TOPIC).await;
    assert!(
        text(&reply).contains("passed to our staff"),
        "{}",
        text(&reply)
    );
    assert_eq!(
        replies_to(&c, u.id, first).await.len(),
        1,
        "Telegram may have delivered it: a retry could duplicate it"
    );
    let log = bot.stop().await;
    assert!(log.contains("could not be handled"), "{log}");
    assert!(
        !log.contains(TOKEN_SECRET),
        "the token leaked into an error: {log}"
    );
}
