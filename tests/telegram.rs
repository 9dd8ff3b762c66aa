//! The Telegram bot end to end: the real `migbot serve` binary against a fake Bot API on 127.0.0.1.
//!
//! Each test reads like a conversation: push a message or a button press, wait for the bot's reply, check it.

mod support;

use std::time::Duration;
use support::bot::*;
use support::fake_telegram::FailMode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_registers_the_menu_and_welcomes_with_topic_buttons() {
    let (c, bot) = Conversation::new().await;
    let menus = c.fake.wait_for_calls("setMyCommands", 2, WAIT).await;
    assert!(
        menus.iter().any(|m| m.body["language_code"] == "ru"),
        "{menus:?}"
    );
    assert!(menus
        .iter()
        .all(|m| m.body["commands"].as_array().is_some_and(|a| a.len() == 7)));
    let reply = c.ask(&user(42).with_language("ru"), "/start").await;
    assert_telegram_html(&reply);
    assert!(
        text(&reply).contains("Здравствуйте") || text(&reply).contains("бот"),
        "{}",
        text(&reply)
    );
    let topics = buttons(&reply);
    assert!(
        topics.len() >= 6 && topics.iter().all(|(_, d)| d.starts_with("t:")),
        "{topics:?}"
    );
    // Browsing: a topic lists its entries, with a back button.
    c.press(&user(42), "t:work").await;
    let edit = c
        .fake
        .wait_for_calls("editMessageText", 1, WAIT)
        .await
        .remove(0);
    let entries = buttons(&edit);
    assert!(
        entries.iter().any(|(_, d)| d == "e:eaeu-no-work-permit"),
        "{entries:?}"
    );
    assert!(
        entries.iter().any(|(_, d)| d == "t"),
        "a back button: {entries:?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_shows_source_link_date_and_buttons_in_valid_html() {
    let (c, bot) = Conversation::new().await;
    let reply = c
        .ask(&user(7), "Do I need a work permit if I am from Kyrgyzstan?")
        .await;
    assert_telegram_html(&reply);
    let t = text(&reply);
    assert!(t.starts_with("No."), "{t}");
    assert!(
        t.contains("<blockquote>«"),
        "the source statement is quoted: {t}"
    );
    assert!(t.contains("<a href=\"https://"), "the link: {t}");
    assert!(t.contains("2026-11-29"), "the verified date: {t}");
    assert!(
        reply.body["reply_parameters"]["message_id"]
            .as_i64()
            .is_some(),
        "a reply to the question"
    );
    let b = buttons(&reply);
    assert!(
        b.iter().any(|(l, d)| l == "👍" && d.starts_with("f:")) && b.iter().any(|(l, _)| l == "👎"),
        "{b:?}"
    );
    assert!(
        b.iter().any(|(_, d)| d.starts_with("e:")),
        "related entries: {b:?}"
    );
    // Text that looks like HTML is never echoed raw; a caution is shown where an entry has one.
    let reply = c
        .ask(&user(7), "<b>tax</b> & rate for EAEU workers <a href=x>")
        .await;
    assert_telegram_html(&reply);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latin_typed_russian_is_answered_in_russian() {
    let (c, bot) = Conversation::new().await;
    let reply = c
        .ask(
            &user(8),
            "nuzhno li razreshenie na rabotu grazhdaninu kyrgyzstana",
        )
        .await;
    assert!(text(&reply).starts_with("Нет"), "{}", text(&reply));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_then_pressing_one_shows_it_and_none_of_these_records_the_question() {
    let (c, bot) = Conversation::new().await;
    let reply = c.ask(&user(9), "registration").await;
    assert_telegram_html(&reply);
    let b = buttons(&reply);
    let suggestions: Vec<&(String, String)> =
        b.iter().filter(|(_, d)| d.starts_with("s:")).collect();
    assert!((2..=3).contains(&suggestions.len()), "{b:?}");
    let none = b
        .iter()
        .find(|(_, d)| d.starts_with("n:"))
        .expect("None of these")
        .1
        .clone();

    let before = c.fake.calls_to("sendMessage").await.len();
    c.press(&user(9), &suggestions[0].1).await;
    let answer = c.next_reply(before).await;
    assert!(
        text(&answer).contains("<a href=\"https://"),
        "{}",
        text(&answer)
    );

    // Another user cannot press this user's buttons.
    let before = c.fake.calls_to("sendMessage").await.len();
    let refused = c.press(&user(10), &none).await;
    assert!(
        refused.body["text"]
            .as_str()
            .is_some_and(|t| t.contains("expired")),
        "{}",
        refused.body
    );
    let reply = c.ask(&user(9), "/help").await;
    assert_eq!(
        c.fake.calls_to("sendMessage").await.len(),
        before + 1,
        "only the /help reply: {}",
        text(&reply)
    );

    let before = c.fake.calls_to("sendMessage").await.len();
    c.press(&user(9), &none).await;
    let recorded = c.next_reply(before).await;
    assert!(text(&recorded).contains("staff"), "{}", text(&recorded));
    bot.stop().await;
    let q = c.store().unanswered().unwrap();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(
        (q[0].text.as_str(), q[0].reason.as_str()),
        ("registration", "none-of-these")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_question_is_stored_with_a_route_and_an_honest_reply() {
    let (c, bot) = Conversation::new().await;
    let reply = c.ask(&user(11), "qwzx blorf fnord").await;
    assert!(text(&reply).contains("verified answer"), "{}", text(&reply));
    assert!(
        text(&reply).contains("1414"),
        "where to get help now: {}",
        text(&reply)
    );
    bot.stop().await;
    let store = c.store();
    let q = store.unanswered().unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].text, "qwzx blorf fnord");
    assert_ne!(
        q[0].user, "11",
        "a pseudonymous reference, not the Telegram id"
    );
    assert_eq!(store.route(q[0].id).unwrap().map(|r| r.chat_id), Some(11));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_choice_survives_a_restart() {
    let (c, bot) = Conversation::new().await;
    let prompt = c.ask(&user(12), "/lang").await;
    assert!(buttons(&prompt).iter().any(|(_, d)| d == "l:ru"));
    let before = c.fake.calls_to("sendMessage").await.len();
    c.press(&user(12), "l:ru").await;
    c.next_reply(before).await;
    bot.stop().await;

    let bot = BotProcess::start(&c.fake, &c.db()).await;
    let reply = c
        .ask(
            &user(12),
            "Do I need a work permit if I am from Kyrgyzstan?",
        )
        .await;
    assert!(
        text(&reply).starts_with("Нет"),
        "the stored choice wins over the message's language: {}",
        text(&reply)
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_is_stored_and_thumbs_down_queues_the_question() {
    let (c, bot) = Conversation::new().await;
    let reply = c
        .ask(
            &user(13),
            "Do I need a work permit if I am from Kyrgyzstan?",
        )
        .await;
    let b = buttons(&reply);
    let up = b.iter().find(|(l, _)| l == "👍").unwrap().1.clone();
    let down = b.iter().find(|(l, _)| l == "👎").unwrap().1.clone();
    let thanks = c.press(&user(13), &up).await;
    assert!(thanks.body["text"].is_string(), "{}", thanks.body);
    c.press(&user(13), &down).await;
    bot.stop().await;
    let store = c.store();
    let fb = store.feedback().unwrap();
    assert_eq!(
        fb.iter().map(|f| f.helpful).collect::<Vec<_>>(),
        [true, false]
    );
    assert!(fb.iter().all(|f| f.entry == "eaeu-no-work-permit"));
    let q = store.unanswered().unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].reason, "thumbs-down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_deletes_everything_stored_about_the_user() {
    let (c, bot) = Conversation::new().await;
    let u = user(14);
    c.ask(&u, "qwzx blorf fnord").await;
    let before = c.fake.calls_to("sendMessage").await.len();
    c.press(&u, "l:ru").await;
    c.next_reply(before).await;
    c.ask(&user(15), "another unknown thing zzqx").await;
    let confirm = c.ask(&u, "/forget").await;
    assert!(buttons(&confirm).iter().any(|(_, d)| d == "x:yes"));
    let before = c.fake.calls_to("sendMessage").await.len();
    c.press(&u, "x:yes").await;
    c.next_reply(before).await;
    bot.stop().await;
    let store = c.store();
    let left = store.unanswered().unwrap();
    assert_eq!(
        left.len(),
        1,
        "only the other user's question is left: {left:?}"
    );
    assert_eq!(left[0].text, "another unknown thing zzqx");
    assert!(store.dump_tree("users").unwrap().is_empty());
    assert_eq!(store.dump_tree("routes").unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sticker_gets_a_polite_text_only_reply() {
    let (c, bot) = Conversation::new().await;
    let before = c.fake.calls_to("sendMessage").await.len();
    c.fake.push_sticker(16, 16);
    let reply = c.next_reply(before).await;
    assert!(text(&reply).contains("text"), "{}", text(&reply));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_group_the_bot_answers_only_when_addressed() {
    let (c, bot) = Conversation::new().await;
    let group = -100;
    let member = user(17);
    c.fake.push_group_text(
        group,
        &member,
        "Do I need a work permit if I am from Kyrgyzstan?",
        false,
    );
    // Updates of one chat are handled in order: once the mention is answered, the first message was handled.
    c.fake.push_group_text(
        group,
        &member,
        "@migbot_test_bot Do I need a work permit if I am from Kyrgyzstan?",
        false,
    );
    c.fake.wait_for_calls("sendMessage", 1, WAIT).await;
    c.fake
        .push_group_text(group, &member, "thanks, and what about Armenia?", true);
    let sent = c.fake.wait_for_calls("sendMessage", 2, WAIT).await;
    assert!(sent.iter().all(|s| s.chat_id() == Some(group)));
    assert!(text(&sent[0]).starts_with("No."), "{}", text(&sent[0]));
    bot.stop().await;
    assert_eq!(
        c.fake.calls_to("sendMessage").await.len(),
        2,
        "no reply to the message that did not address the bot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_message_is_answered_again() {
    let (c, bot) = Conversation::new().await;
    c.ask(&user(18), "qwzx blorf fnord").await;
    let before = c.fake.calls_to("sendMessage").await.len();
    c.fake.push_edited_text(
        18,
        18,
        1,
        "Do I need a work permit if I am from Kyrgyzstan?",
    );
    let reply = c.next_reply(before).await;
    assert!(text(&reply).starts_with("No."), "{}", text(&reply));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_is_waited_out_and_the_reply_still_arrives() {
    let (c, bot) = Conversation::new().await;
    c.fake.fail_next("sendMessage", FailMode::RetryAfter(1));
    let started = std::time::Instant::now();
    c.fake
        .push_text(19, 19, "Do I need a work permit if I am from Kyrgyzstan?");
    let reply = c
        .fake
        .wait_for_text(19, |t| t.starts_with("No."), WAIT)
        .await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the retry came after retry_after"
    );
    let attempts = c.fake.calls_to("sendMessage").await;
    assert_eq!(attempts.len(), 2, "one refused, one delivered");
    assert!(!attempts[0].ok && attempts[1].ok);
    assert_eq!(text(&reply), text(&attempts[0]));
    bot.stop().await;
}

#[test]
fn a_malformed_token_or_url_is_one_clear_line_and_exit_code_2() {
    for (token, url, expect) in [
        ("not-a-token", None, "TELOXIDE_TOKEN is malformed"),
        (
            "123:secret",
            Some("not a url"),
            "TELOXIDE_API_URL is malformed",
        ),
    ] {
        let mut env = vec![("TELOXIDE_TOKEN", token)];
        if let Some(u) = url {
            env.push(("TELOXIDE_API_URL", u));
        }
        let out = support::migbot_env(&["--db", "/nonexistent/never-opened", "serve"], None, &env);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains(expect), "{}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
        assert!(
            !out.stderr.contains("secret") && !out.stderr.contains("panicked"),
            "{}",
            out.stderr
        );
    }
    let out = support::migbot(&["serve"], None);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("TELOXIDE_TOKEN is not set"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_never_breaks_a_reply() {
    let (c, bot) = Conversation::new().await;
    let nasty = [
        "   ",
        "🙂🙂🙂",
        "<b>bold</b> <a href=\"javascript:x\">x</a> & `code` **md** _it_",
        "\u{202E}\u{200B}work\u{0007} permit\u{FEFF}",
        &"слово".repeat(819),
        &"x".repeat(3000),
        "Work РАЗРЕШЕНИЕ permit на rabotu",
    ];
    for (i, text_in) in nasty.iter().enumerate() {
        let reply = c.ask(&user(200 + i as i64), text_in).await;
        assert_telegram_html(&reply);
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_user_gets_one_notice_and_others_are_still_answered() {
    let (c, bot) = Conversation::with_env(&[("MIGBOT_RATE_LIMIT", "5")]).await;
    let flooder = user(300);
    for _ in 0..8 {
        c.fake
            .push_text_from(flooder.id, &flooder, "qwzx blorf fnord");
    }
    // Another user's question, pushed after the flood, is answered before the flood is through (chats are
    // handled independently, and the flood's replies are paced per chat).
    let other = user(301);
    c.fake.push_text_from(
        other.id,
        &other,
        "Do I need a work permit if I am from Kyrgyzstan?",
    );
    let answer = c.fake.wait_for_text(other.id, |_| true, WAIT).await;
    assert!(text(&answer).starts_with("No."), "{}", text(&answer));
    // The flood's chat is handled in order: once its notice is out, every message of it was handled.
    let notice = c
        .fake
        .wait_for_text(300, |t| t.contains("many"), WAIT)
        .await;
    assert!(
        answer.received < notice.received,
        "the other user waited for the flood"
    );
    bot.stop().await;
    let to_flooder: Vec<String> = c
        .fake
        .sent_texts()
        .await
        .into_iter()
        .filter(|(chat, _)| *chat == 300)
        .map(|(_, t)| t)
        .collect();
    assert_eq!(
        to_flooder.len(),
        6,
        "5 answers and one notice: {to_flooder:?}"
    );
    assert_eq!(to_flooder.iter().filter(|t| t.contains("many")).count(), 1);
}
