//! The fake Telegram Bot API against the real teloxide: a dispatcher polling it, a 429 parsing as `RetryAfter`,
//! and the canned answers, faults and update fixtures parsing as teloxide's types.

#[path = "support/fake_telegram.rs"]
mod fake_telegram;

use std::sync::Arc;
use std::time::Duration;

use fake_telegram::{FailMode, FakeTelegram, TestUser, BOT_USERNAME};
use teloxide::dispatching::ShutdownToken;
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntityKind, UpdateKind,
};
use teloxide::update_listeners::Polling;
use teloxide::{ApiError, RequestError};
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(10);

fn bot_for(tg: &FakeTelegram) -> Bot {
    Bot::new("123:TEST").set_api_url(tg.url().parse().expect("the fake's URL"))
}

/// Runs a dispatcher with `handler` polling the fake (1 s long polls), and returns its shutdown token
/// once the first `getUpdates` has been seen, so that `shutdown()` finds it running.
async fn start_dispatcher<R>(
    tg: &FakeTelegram,
    bot: R,
    handler: teloxide::dispatching::UpdateHandler<RequestError>,
) -> (ShutdownToken, JoinHandle<()>)
where
    R: Requester<Err = RequestError> + Clone + Send + Sync + 'static,
    <R as Requester>::GetUpdates: Send,
    <R as Requester>::GetWebhookInfo: Send,
    <R as Requester>::GetMe: Send,
    <R as Requester>::DeleteWebhook: Send,
{
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler).build();
    let token = dispatcher.shutdown_token();
    let listener = Polling::builder(bot)
        .timeout(Duration::from_secs(1))
        .build();
    let run = tokio::spawn(async move {
        dispatcher
            .dispatch_with_listener(
                listener,
                LoggingErrorHandler::with_custom_text("polling the fake Telegram"),
            )
            .await;
    });
    tg.wait_for_calls("getUpdates", 1, WAIT).await;
    (token, run)
}

async fn stop_dispatcher(token: ShutdownToken, run: JoinHandle<()>) {
    token.shutdown().expect("the dispatcher is running").await;
    tokio::time::timeout(WAIT, run)
        .await
        .expect("the dispatcher stops")
        .expect("the dispatcher task");
}

#[tokio::test]
async fn a_real_dispatcher_polls_the_fake_and_replies() {
    let tg = FakeTelegram::start().await;
    let bot = bot_for(&tg);
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        if let Some(text) = msg.text() {
            bot.send_message(msg.chat.id, format!("echo: {text}"))
                .await?;
        }
        respond(())
    });
    let (token, run) = start_dispatcher(&tg, bot, handler).await;

    let update_id = tg.push_text(42, 42, "Как подать заявление?");
    let reply = tg
        .wait_for_text(42, |t| t == "echo: Как подать заявление?", WAIT)
        .await;
    assert_eq!(reply.token, "123:TEST");
    stop_dispatcher(token, run).await;

    assert_eq!(
        tg.sent_texts().await,
        vec![(42, "echo: Как подать заявление?".to_owned())]
    );
    let methods: Vec<String> = tg.calls().await.into_iter().map(|c| c.method).collect();
    // A hand-built Polling skips the webhook check (getWebhookInfo) that `dispatch()` makes.
    assert_eq!(
        methods[..2],
        ["getme", "getupdates"],
        "start-up calls: {methods:?}"
    );
    let polls = tg.calls_to("getUpdates").await;
    assert_eq!(
        polls[0].body["allowed_updates"],
        serde_json::json!(["message"])
    );
    assert_eq!(polls[0].body["timeout"], 1);
    // The last getUpdates is the shutdown one, confirming the update the bot handled.
    let last_poll = polls.last().expect("a getUpdates call");
    assert_eq!(last_poll.body["offset"], update_id + 1);
    assert_eq!(last_poll.body["timeout"], 0);
}

#[tokio::test]
async fn a_429_parses_as_retry_after_and_the_next_call_goes_through() {
    let tg = FakeTelegram::start().await;
    let bot = bot_for(&tg);
    tg.fail_next("sendMessage", FailMode::RetryAfter(1));
    match bot.send_message(ChatId(7), "pong").await {
        Err(teloxide::RequestError::RetryAfter(after)) => assert_eq!(after.seconds(), 1),
        other => panic!("expected RetryAfter(1), got {other:?}"),
    }
    bot.send_message(ChatId(7), "pong")
        .await
        .expect("the next call is answered");
    let sends = tg.calls_to("SendMessage").await;
    assert_eq!(sends.len(), 2, "{sends:?}");
    assert!(!sends[0].ok && sends[1].ok);
    assert_eq!(tg.sent_texts().await, vec![(7, "pong".to_owned())]);
}

#[tokio::test]
async fn canned_answers_and_faults_parse_as_teloxide_expects() {
    let tg = FakeTelegram::start().await;
    let bot = bot_for(&tg);

    let me = bot.get_me().await.expect("getMe");
    assert_eq!(me.username(), BOT_USERNAME);
    bot.set_my_commands(vec![]).await.expect("setMyCommands");
    bot.delete_my_commands().await.expect("deleteMyCommands");
    bot.delete_webhook().await.expect("deleteWebhook");
    assert!(bot
        .get_webhook_info()
        .await
        .expect("getWebhookInfo")
        .url
        .is_none());

    let keyboard =
        InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback("Yes", "fb:1:up")]]);
    let sent = bot
        .send_message(ChatId(42), "Hello")
        .reply_markup(keyboard.clone())
        .await
        .expect("sendMessage");
    let second = bot
        .send_message(ChatId(-100), "Group hello")
        .await
        .expect("sendMessage to a group");
    assert!(second.id.0 > sent.id.0, "message ids increase");
    assert!(second.chat.is_group());
    let edited = bot
        .edit_message_text(ChatId(42), sent.id, "Hello again")
        .await
        .expect("editMessageText");
    assert_eq!((edited.id, edited.text()), (sent.id, Some("Hello again")));
    let unmarked = bot
        .edit_message_reply_markup(ChatId(42), sent.id)
        .await
        .expect("editMessageReplyMarkup");
    assert_eq!(unmarked.text(), Some("Hello again"));
    bot.answer_callback_query(CallbackQueryId("cq1".to_owned()))
        .await
        .expect("answerCallbackQuery");
    bot.send_chat_action(ChatId(42), teloxide::types::ChatAction::Typing)
        .await
        .expect("an unknown method is true");

    tg.fail_next("sendMessage", FailMode::Forbidden);
    tg.fail_next(
        "sendMessage",
        FailMode::BadRequest("Bad Request: message text is empty".to_owned()),
    );
    let blocked = bot
        .send_message(ChatId(42), "x")
        .await
        .expect_err("Forbidden");
    assert!(
        matches!(blocked, RequestError::Api(ApiError::BotBlocked)),
        "{blocked:?}"
    );
    let empty = bot
        .send_message(ChatId(42), "x")
        .await
        .expect_err("BadRequest");
    assert!(
        matches!(empty, RequestError::Api(ApiError::MessageTextIsEmpty)),
        "{empty:?}"
    );
    bot.send_message(ChatId(42), "x")
        .await
        .expect("a fault applies to one call only");

    tg.set_unreachable(true);
    let started = std::time::Instant::now();
    let unreachable = bot.get_me().await.expect_err("unreachable");
    assert!(
        matches!(unreachable, RequestError::Network(_)),
        "{unreachable:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "fails fast: {:?}",
        started.elapsed()
    );
    tg.set_unreachable(false);
    bot.get_me().await.expect("reachable again");

    assert!(tg
        .calls_to("getMe")
        .await
        .iter()
        .all(|c| c.token == "123:TEST"));
    assert_eq!(
        tg.calls_to("getme").await.len(),
        2,
        "the unreachable call is not recorded"
    );
    let cb_message_id = sent.id.0 as i64;

    // Every fixture parses as teloxide's Update (an unparsable one would be UpdateKind::Error).
    let ann = TestUser::new(42, "Ann").with_language("ru");
    tg.push_text_from(42, &ann, "/start");
    tg.push_group_text(-100, &ann, "Привет, @migbot_test_bot!", true);
    tg.push_callback_from(42, &ann, "fb:1:up", cb_message_id);
    tg.push_sticker(42, 42);
    let last = tg.push_edited_text(42, 42, 1, "fixed");
    let updates = bot.get_updates().await.expect("getUpdates");
    assert_eq!(updates.len(), 5);
    assert_eq!(updates.last().map(|u| u.id.0 as i64), Some(last));
    for update in &updates {
        assert!(
            !matches!(update.kind, UpdateKind::Error(_)),
            "unparsable fixture: {update:?}"
        );
    }
    let UpdateKind::Message(start) = &updates[0].kind else {
        panic!("{:?}", updates[0])
    };
    assert_eq!(
        start.from.as_ref().and_then(|u| u.language_code.as_deref()),
        Some("ru")
    );
    let UpdateKind::Message(group) = &updates[1].kind else {
        panic!("{:?}", updates[1])
    };
    assert!(group.chat.is_group());
    assert!(group
        .reply_to_message()
        .and_then(|m| m.from.as_ref())
        .is_some_and(|u| u.is_bot));
    let mention = group
        .parse_entities()
        .expect("entities")
        .into_iter()
        .find(|e| *e.kind() == MessageEntityKind::Mention);
    assert_eq!(
        mention.map(|e| e.text().to_owned()),
        Some(format!("@{BOT_USERNAME}"))
    );
    let UpdateKind::CallbackQuery(press) = &updates[2].kind else {
        panic!("{:?}", updates[2])
    };
    let pressed_on = press.regular_message().expect("the message pressed on");
    assert_eq!(
        (pressed_on.id, pressed_on.text()),
        (sent.id, Some("Hello again"))
    );
    assert!(matches!(&updates[3].kind, UpdateKind::Message(m) if m.sticker().is_some()));
    assert!(matches!(&updates[4].kind, UpdateKind::EditedMessage(m) if m.text() == Some("fixed")));

    // An offset confirms what is below it.
    let rest = bot
        .get_updates()
        .offset((last) as i32)
        .timeout(0)
        .await
        .expect("getUpdates with offset");
    assert_eq!(rest.len(), 1);
    let none = bot
        .get_updates()
        .offset((last + 1) as i32)
        .timeout(0)
        .await
        .expect("getUpdates past the end");
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_timed_out_wait_lists_the_calls_seen() {
    let tg = Arc::new(FakeTelegram::start().await);
    bot_for(&tg).get_me().await.expect("getMe");
    let waiting = {
        let tg = tg.clone();
        tokio::spawn(async move {
            tg.wait_for_calls("sendMessage", 1, Duration::from_millis(100))
                .await
        })
    };
    let panic = waiting.await.expect_err("the wait times out").into_panic();
    let message = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains("1 call(s) to sendmessage") && message.contains("getme {}"),
        "{message}"
    );
}
