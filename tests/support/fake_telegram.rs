//! A fake Telegram Bot API on 127.0.0.1 for end-to-end tests.
//!
//! [`FakeTelegram`] serves `POST /bot<TOKEN>/<method>` the way teloxide 0.17 calls it (PascalCase method
//! names, JSON bodies, the `{"ok":…}` envelope), so a test can run the real `Dispatcher` and long polling
//! against it: push updates with the `push_*` helpers, then wait for what the bot sent with the `wait_*`
//! helpers. Every request is recorded as a [`Call`].
//!
//! It owns the wire contract and nothing else: it keeps no model of chats beyond the messages the bot
//! sent (so a callback can carry the message it was pressed on), does not check that a request makes
//! sense, and never answers with HTTP 5xx, because teloxide sleeps 10 s before reading a 5xx answer.
//! Methods it has no canned answer for get `{"ok":true,"result":true}`, which parses only where
//! Telegram's result is `True`.
//!
//! Faults: [`FakeTelegram::fail_next`] answers the next call of one method with a Telegram error, and
//! [`FakeTelegram::set_unreachable`] resets every connection so teloxide sees `RequestError::Network`.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The bot's username, as `getMe` reports it.
pub const BOT_USERNAME: &str = "migbot_test_bot";

/// The bot's user id, as `getMe` reports it; it matches the token `"123:TEST"` the tests use.
pub const BOT_ID: i64 = 123;

/// The longest a `getUpdates` call is held open waiting for a push, whatever `timeout` it asked for,
/// so that stopping a dispatcher never waits on a long poll for more than this.
const MAX_LONG_POLL: Duration = Duration::from_secs(1);

/// The shortest time an idle `getUpdates` is held, even with `timeout` 0, so that a listener built
/// without a timeout does not spin; short enough not to slow the final `getUpdates` of a shutdown.
const MIN_IDLE_POLL: Duration = Duration::from_millis(50);

/// The most updates one `getUpdates` answer carries when the call names no `limit` (Telegram's default).
const DEFAULT_UPDATE_LIMIT: usize = 100;

/// How much of one call's body a failure message shows.
const CALL_SUMMARY_CHARS: usize = 300;

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    /// The Bot API method, lower-case (`"sendmessage"`).
    pub method: String,
    /// The parameters: the JSON body, or a form body turned into an object, or `{}` when empty.
    pub body: Value,
    /// The bot token from the URL.
    pub token: String,
    /// Whether the fake answered `"ok": true` (false when a [`FailMode`] was applied).
    pub ok: bool,
    /// When the fake received the request (for latency measurements: see [`FakeTelegram::pushes`]).
    pub received: Instant,
}

/// An update the test pushed, and when (for latency measurements).
#[derive(Debug, Clone)]
pub struct Pushed {
    pub update_id: i64,
    /// The chat and message ids of a (possibly edited) message update.
    pub chat_id: Option<i64>,
    pub message_id: Option<i64>,
    pub at: Instant,
}

impl Call {
    /// The `chat_id` parameter, if it is a number (or a string holding one).
    pub fn chat_id(&self) -> Option<i64> {
        as_i64(self.body.get("chat_id")?)
    }

    /// The `text` parameter, if any.
    pub fn text(&self) -> Option<&str> {
        self.body.get("text")?.as_str()
    }

    fn summary(&self) -> String {
        let mut body = self.body.to_string();
        if body.chars().count() > CALL_SUMMARY_CHARS {
            body = body.chars().take(CALL_SUMMARY_CHARS).collect::<String>() + "…";
        }
        let failed = if self.ok { "" } else { " [failed]" };
        format!("{}{failed} {body}", self.method)
    }
}

/// A Telegram error to answer the next call of a method with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailMode {
    /// 429 "Too Many Requests: retry after N" with `parameters.retry_after`, which teloxide turns into
    /// `RequestError::RetryAfter`.
    RetryAfter(u32),
    /// 403 "Forbidden: bot was blocked by the user" (`ApiError::BotBlocked`).
    Forbidden,
    /// 400 with this description (`ApiError::Unknown(..)` unless teloxide knows the text).
    BadRequest(String),
    /// 409 "Conflict: terminated by other getUpdates request" (`ApiError::TerminatedByOtherGetUpdates`).
    Conflict,
    /// Answers normally, but only after this long (a slow Bot API).
    Slow(Duration),
    /// Reads the request, then breaks the connection in the middle of the answer: the bot cannot know whether
    /// the call took effect (teloxide reports `RequestError::Network`). The call is recorded as done, as
    /// Telegram would have done it.
    DropConnection,
}

impl FailMode {
    fn answer(&self) -> (StatusCode, Value) {
        let (status, description, parameters) = match self {
            FailMode::RetryAfter(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too Many Requests: retry after {secs}"),
                Some(json!({ "retry_after": secs })),
            ),
            FailMode::Forbidden => (
                StatusCode::FORBIDDEN,
                "Forbidden: bot was blocked by the user".to_owned(),
                None,
            ),
            FailMode::BadRequest(description) => {
                (StatusCode::BAD_REQUEST, description.clone(), None)
            }
            FailMode::Conflict => (
                StatusCode::CONFLICT,
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
                    .to_owned(),
                None,
            ),
            FailMode::Slow(_) | FailMode::DropConnection => {
                unreachable!("not an error answer")
            }
        };
        let mut body =
            json!({ "ok": false, "error_code": status.as_u16(), "description": description });
        if let Some(parameters) = parameters {
            body["parameters"] = parameters;
        }
        (status, body)
    }
}

/// A Telegram user who writes to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    pub id: i64,
    pub first_name: String,
    /// The IETF language tag Telegram sends for the user's client, e.g. `"ru"`.
    pub language_code: Option<String>,
}

impl TestUser {
    pub fn new(id: i64, first_name: &str) -> TestUser {
        TestUser {
            id,
            first_name: first_name.to_owned(),
            language_code: None,
        }
    }

    pub fn with_language(mut self, language_code: &str) -> TestUser {
        self.language_code = Some(language_code.to_owned());
        self
    }

    /// The user a bare user id stands for in the `push_*` helpers that take one.
    fn from_id(id: i64) -> TestUser {
        TestUser::new(id, &format!("User{id}"))
    }

    fn to_json(&self) -> Value {
        let mut user = json!({ "id": self.id, "is_bot": false, "first_name": self.first_name });
        if let Some(code) = &self.language_code {
            user["language_code"] = json!(code);
        }
        user
    }
}

/// A running fake Bot API. The server stops when this value is dropped.
pub struct FakeTelegram {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

struct Shared {
    state: Mutex<FakeState>,
    /// Woken whenever an update is pushed, for held `getUpdates` calls.
    update_pushed: Notify,
    /// Woken whenever a call is recorded, for the `wait_*` helpers.
    call_recorded: Notify,
    /// While set, every connection is reset (see [`FakeTelegram::set_unreachable`]).
    unreachable: Arc<AtomicBool>,
}

#[derive(Default)]
struct FakeState {
    calls: Vec<Call>,
    /// Pushed updates not yet confirmed by a `getUpdates` offset, in update_id order.
    updates: VecDeque<Value>,
    last_update_id: i64,
    last_message_id: i64,
    last_callback_id: i64,
    faults: HashMap<String, VecDeque<FailMode>>,
    /// The messages the bot sent or edited, by (chat id, message id), as the fake answered them.
    bot_messages: HashMap<(i64, i64), Value>,
    /// Every update pushed, in order.
    pushes: Vec<Pushed>,
    /// Calls that arrived, by method, counted before they are answered (a slow call is counted at once).
    arrived: HashMap<String, usize>,
}

impl FakeState {
    fn next_message_id(&mut self) -> i64 {
        self.last_message_id += 1;
        self.last_message_id
    }
}

impl FakeTelegram {
    /// Starts the fake on 127.0.0.1 with a port the system picks.
    pub async fn start() -> FakeTelegram {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Telegram on 127.0.0.1:0");
        let addr = listener.local_addr().expect("the fake Telegram's address");
        let unreachable = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            state: Mutex::new(FakeState::default()),
            update_pushed: Notify::new(),
            call_recorded: Notify::new(),
            unreachable: unreachable.clone(),
        });
        let app = Router::new()
            .route("/{bot_token}/{method}", any(handle_method))
            .fallback(not_found)
            .with_state(shared.clone());
        let listener = GatedListener {
            inner: listener,
            unreachable,
        };
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the fake Telegram server stopped");
        });
        FakeTelegram {
            addr,
            shared,
            server,
        }
    }

    /// The base URL for `Bot::set_api_url` or `TELOXIDE_API_URL`, e.g. `http://127.0.0.1:40123`
    /// (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every call so far, oldest first.
    pub async fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Every update pushed so far, with when it was pushed, oldest first.
    pub fn pushes(&self) -> Vec<Pushed> {
        self.shared.lock().pushes.clone()
    }

    /// The calls to one method (named in any case: `"sendMessage"` or `"SendMessage"`), oldest first.
    pub async fn calls_to(&self, method: &str) -> Vec<Call> {
        let method = method.to_lowercase();
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    /// The `(chat id, text)` of every `sendMessage` the fake answered successfully, oldest first.
    pub async fn sent_texts(&self) -> Vec<(i64, String)> {
        let state = self.shared.lock();
        sent_messages(&state.calls)
            .map(|c| {
                (
                    c.chat_id().unwrap_or_default(),
                    c.text().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Waits until at least `n` calls to `method` are recorded (failed ones included) and returns all
    /// calls to it. Panics after `timeout`, listing every call seen.
    pub async fn wait_for_calls(&self, method: &str, n: usize, timeout: Duration) -> Vec<Call> {
        let method = method.to_lowercase();
        let want = format!("{n} call(s) to {method}");
        self.wait_until(&want, timeout, |calls| {
            let matching: Vec<Call> = calls
                .iter()
                .filter(|c| c.method == method)
                .cloned()
                .collect();
            (matching.len() >= n).then_some(matching)
        })
        .await
    }

    /// Waits for a successful `sendMessage` to `chat_id` whose text satisfies `predicate`, and returns
    /// the earliest such call. Panics after `timeout`, listing every call seen.
    pub async fn wait_for_text(
        &self,
        chat_id: i64,
        predicate: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Call {
        let want = format!("a sendMessage to chat {chat_id} with a matching text");
        self.wait_until(&want, timeout, |calls| {
            sent_messages(calls)
                .find(|c| c.chat_id() == Some(chat_id) && c.text().is_some_and(&predicate))
                .cloned()
        })
        .await
    }

    /// Answers the next call of `method` (any case) with the error `mode`; later calls are answered
    /// normally again. Several `fail_next` for one method apply to successive calls.
    pub fn fail_next(&self, method: &str, mode: FailMode) {
        self.shared
            .lock()
            .faults
            .entry(method.to_lowercase())
            .or_default()
            .push_back(mode);
    }

    /// While `true`, every connection to the fake is reset at the TCP level, both new ones and the
    /// client's pooled keep-alive ones, and a long poll in progress fails when it answers. Requests made
    /// meanwhile are not recorded. teloxide sees `RequestError::Network`.
    pub fn set_unreachable(&self, unreachable: bool) {
        self.shared.unreachable.store(unreachable, Ordering::SeqCst);
        // A held getUpdates answers now, and so fails now.
        self.shared.update_pushed.notify_waiters();
    }

    /// Pushes a private-chat text message from `user_id` (first name `User<id>`); returns its update_id.
    pub fn push_text(&self, chat_id: i64, user_id: i64, text: &str) -> i64 {
        self.push_text_from(chat_id, &TestUser::from_id(user_id), text)
    }

    /// Pushes a private-chat text message from `user` (with its language code, if any).
    pub fn push_text_from(&self, chat_id: i64, user: &TestUser, text: &str) -> i64 {
        self.push_with(|state| {
            let message = user_message(
                state.next_message_id(),
                private_chat(chat_id, user),
                user,
                text,
            );
            json!({ "message": message })
        })
    }

    /// Pushes a text message in the group `chat_id` (negative). With `reply_to_bot` it replies to a
    /// message of the bot; a `@migbot_test_bot` in the text gets a mention entity, as Telegram sends it.
    pub fn push_group_text(
        &self,
        chat_id: i64,
        user: &TestUser,
        text: &str,
        reply_to_bot: bool,
    ) -> i64 {
        assert!(chat_id < 0, "group chat ids are negative, got {chat_id}");
        self.push_with(|state| {
            let chat = group_chat(chat_id);
            let mut message = user_message(state.next_message_id(), chat.clone(), user, text);
            if reply_to_bot {
                let bot_message_id = state.next_message_id();
                let replied = json!({
                    "message_id": bot_message_id,
                    "date": unix_now() - 60,
                    "chat": chat,
                    "from": bot_user(),
                    "text": "An earlier answer of the bot.",
                });
                message["reply_to_message"] = replied;
            }
            json!({ "message": message })
        })
    }

    /// Pushes a press on an inline button with `data`, on the bot's message `message_id` in `chat_id`.
    /// The callback carries that message as the fake last answered it for the bot (its text and
    /// keyboard), or a stand-in bot message when the bot never sent it.
    pub fn push_callback(&self, chat_id: i64, user_id: i64, data: &str, message_id: i64) -> i64 {
        self.push_callback_from(chat_id, &TestUser::from_id(user_id), data, message_id)
    }

    /// Like [`FakeTelegram::push_callback`], pressed by `user`.
    pub fn push_callback_from(
        &self,
        chat_id: i64,
        user: &TestUser,
        data: &str,
        message_id: i64,
    ) -> i64 {
        self.push_with(|state| {
            state.last_callback_id += 1;
            let message = state
                .bot_messages
                .get(&(chat_id, message_id))
                .cloned()
                .unwrap_or_else(|| {
                    json!({
                        "message_id": message_id,
                        "date": unix_now(),
                        "chat": chat_for(chat_id),
                        "from": bot_user(),
                        "text": "A message of the bot.",
                    })
                });
            json!({
                "callback_query": {
                    "id": format!("cq{}", state.last_callback_id),
                    "from": user.to_json(),
                    "chat_instance": format!("ci{chat_id}"),
                    "message": message,
                    "data": data,
                }
            })
        })
    }

    /// Pushes a private-chat message holding only a sticker.
    pub fn push_sticker(&self, chat_id: i64, user_id: i64) -> i64 {
        self.push_with(|state| {
            let user = TestUser::from_id(user_id);
            let message_id = state.next_message_id();
            json!({
                "message": {
                    "message_id": message_id,
                    "date": unix_now(),
                    "chat": private_chat(chat_id, &user),
                    "from": user.to_json(),
                    "sticker": {
                        "file_id": format!("sticker-file-{message_id}"),
                        "file_unique_id": format!("sticker-{message_id}"),
                        "width": 512,
                        "height": 512,
                        "type": "regular",
                        "is_animated": false,
                        "is_video": false,
                        "emoji": "👍",
                    },
                }
            })
        })
    }

    /// Pushes an edit, to `text`, of the user's earlier private-chat message `message_id`.
    pub fn push_edited_text(&self, chat_id: i64, user_id: i64, message_id: i64, text: &str) -> i64 {
        self.push_with(|_| {
            let user = TestUser::from_id(user_id);
            let mut message = user_message(message_id, private_chat(chat_id, &user), &user, text);
            message["date"] = json!(unix_now() - 60);
            message["edit_date"] = json!(unix_now());
            json!({ "edited_message": message })
        })
    }

    /// Pushes any update: `update` is the Update object without `update_id`, which the fake assigns
    /// (overwriting one given). Remember the Bot API's required fields: an unparsable update is not an
    /// error in teloxide, it reaches the default handler as `UpdateKind::Error`.
    /// Waits until `n` calls of `method` have arrived, answered or not (a `Slow` call is still in progress).
    pub async fn wait_until_calls_started(&self, method: &str, n: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let method = method.to_lowercase();
        while self
            .shared
            .lock()
            .arrived
            .get(&method)
            .copied()
            .unwrap_or(0)
            < n
        {
            assert!(
                Instant::now() < deadline,
                "{n} {method} calls did not arrive"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Faults set with [`FakeTelegram::fail_next`] for `method` that no call has met yet.
    pub fn faults_left(&self, method: &str) -> usize {
        self.shared
            .lock()
            .faults
            .get(&method.to_lowercase())
            .map_or(0, VecDeque::len)
    }

    /// Updates pushed but not yet confirmed by a `getUpdates` offset (Telegram would send them again).
    pub fn unconfirmed(&self) -> usize {
        self.shared.lock().updates.len()
    }

    pub fn push_raw(&self, update: Value) -> i64 {
        self.push_with(|_| update)
    }

    fn push_with(&self, build: impl FnOnce(&mut FakeState) -> Value) -> i64 {
        let update_id = {
            let mut state = self.shared.lock();
            let mut update = build(&mut state);
            state.last_update_id += 1;
            let update_id = state.last_update_id;
            let object = update.as_object_mut().expect("an update is a JSON object");
            object.insert("update_id".to_owned(), json!(update_id));
            let message = update
                .get("message")
                .or_else(|| update.get("edited_message"));
            state.pushes.push(Pushed {
                update_id,
                chat_id: message.and_then(|m| as_i64(&m["chat"]["id"])),
                message_id: message.and_then(|m| as_i64(&m["message_id"])),
                at: Instant::now(),
            });
            state.updates.push_back(update);
            update_id
        };
        self.shared.update_pushed.notify_waiters();
        update_id
    }

    /// Waits until `check` finds what it looks for in the calls, without sleeping: it re-checks each time
    /// a call is recorded.
    async fn wait_until<T>(
        &self,
        want: &str,
        timeout: Duration,
        check: impl Fn(&[Call]) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let recorded = self.shared.call_recorded.notified();
            tokio::pin!(recorded);
            // Register before checking, so a call recorded in between still wakes us.
            recorded.as_mut().enable();
            if let Some(found) = check(&self.shared.lock().calls) {
                return found;
            }
            if tokio::time::timeout_at(deadline, recorded).await.is_err() {
                let calls = self.shared.lock().calls.clone();
                let mut seen = String::new();
                for call in &calls {
                    let _ = writeln!(seen, "  {}", call.summary());
                }
                if calls.is_empty() {
                    seen.push_str("  (none)\n");
                }
                panic!("timed out after {timeout:?} waiting for {want}; calls seen:\n{seen}");
            }
        }
    }
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A test that panicked while holding the lock has already failed; keep serving the others.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, call: Call) {
        self.lock().calls.push(call);
        self.call_recorded.notify_waiters();
    }
}

async fn handle_method(
    State(shared): State<Arc<Shared>>,
    Path((bot_token, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = bot_token.strip_prefix("bot") else {
        return not_found().await;
    };
    let method = method.to_lowercase();
    *shared.lock().arrived.entry(method.clone()).or_default() += 1;
    let params = parse_params(&headers, &body);
    if shared.unreachable.load(Ordering::SeqCst) {
        // The connection is gated: whatever is answered here is never delivered.
        return envelope_ok(json!(true));
    }

    let fault = shared
        .lock()
        .faults
        .get_mut(&method)
        .and_then(VecDeque::pop_front);
    let mut dropped = false;
    let fault = match fault {
        Some(FailMode::Slow(pause)) => {
            tokio::time::sleep(pause).await;
            None
        }
        Some(FailMode::DropConnection) => {
            dropped = true;
            None
        }
        other => other,
    };
    if let Some(fault) = fault {
        shared.record(Call {
            method,
            body: params,
            token: token.to_owned(),
            ok: false,
            received: Instant::now(),
        });
        let (status, body) = fault.answer();
        return (status, Json(body)).into_response();
    }

    let result = match method.as_str() {
        "getupdates" => get_updates(&shared, &params).await,
        _ => canned_result(&mut shared.lock(), &method, &params),
    };
    shared.record(Call {
        method,
        body: params,
        token: token.to_owned(),
        ok: true,
        received: Instant::now(),
    });
    if dropped {
        return broken_answer();
    }
    envelope_ok(result)
}

/// An answer that promises a body and breaks off: the client's connection fails mid-answer.
fn broken_answer() -> Response {
    let chunks: Vec<Result<Bytes, io::Error>> = vec![
        Ok(Bytes::from_static(b"{\"ok\":tr")),
        Err(io::Error::new(io::ErrorKind::ConnectionReset, "dropped")),
    ];
    let mut response = Response::new(axum::body::Body::from_stream(futures::stream::iter(chunks)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, "application/json".parse().unwrap());
    response
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "ok": false, "error_code": 404, "description": "Not Found" })),
    )
        .into_response()
}

fn envelope_ok(result: Value) -> Response {
    Json(json!({ "ok": true, "result": result })).into_response()
}

/// The result of every method but `getUpdates`.
fn canned_result(state: &mut FakeState, method: &str, params: &Value) -> Value {
    match method {
        "getme" => json!({
            "id": BOT_ID,
            "is_bot": true,
            "first_name": "migbot (test)",
            "username": BOT_USERNAME,
            "can_join_groups": true,
            "can_read_all_group_messages": false,
            "supports_inline_queries": false,
            "has_main_web_app": false,
        }),
        "getwebhookinfo" => {
            json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 })
        }
        "getmycommands" => json!([]),
        "sendmessage" => {
            let message_id = state.next_message_id();
            bot_message(state, message_id, params)
        }
        "editmessagetext" | "editmessagereplymarkup" | "editmessagecaption" => {
            if params.get("inline_message_id").is_some() {
                // Editing an inline message returns True.
                return json!(true);
            }
            let message_id = match params.get("message_id").and_then(as_i64) {
                Some(id) => id,
                None => state.next_message_id(),
            };
            bot_message(state, message_id, params)
        }
        _ => json!(true),
    }
}

/// The Message the bot sent or edited, echoing the chat, the text (kept when an edit has none) and an
/// inline keyboard; remembered
/// so a later callback on it carries it.
fn bot_message(state: &mut FakeState, message_id: i64, params: &Value) -> Value {
    let chat_id = params.get("chat_id").and_then(as_i64).unwrap_or_default();
    let earlier = state.bot_messages.get(&(chat_id, message_id));
    let text = params
        .get("text")
        .and_then(Value::as_str)
        .or_else(|| earlier.and_then(|m| m.get("text")?.as_str()))
        .unwrap_or_default()
        .to_owned();
    let mut message = json!({
        "message_id": message_id,
        "date": unix_now(),
        "chat": chat_for(chat_id),
        "from": bot_user(),
        "text": text,
    });
    if let Some(date) = earlier.and_then(|m| m.get("date")) {
        message["date"] = date.clone();
        message["edit_date"] = json!(unix_now());
    }
    // As in Telegram, an edit without `reply_markup` removes the inline keyboard.
    if let Some(markup) = params
        .get("reply_markup")
        .filter(|m| m.get("inline_keyboard").is_some())
    {
        message["reply_markup"] = markup.clone();
    }
    state
        .bot_messages
        .insert((chat_id, message_id), message.clone());
    message
}

/// Answers `getUpdates`: confirms what is below `offset`, then returns the waiting updates, holding the
/// call for up to `timeout` seconds (at most [`MAX_LONG_POLL`]) when there are none.
async fn get_updates(shared: &Shared, params: &Value) -> Value {
    let offset = params.get("offset").and_then(as_i64).unwrap_or(0);
    let limit = params
        .get("limit")
        .and_then(as_i64)
        .map_or(DEFAULT_UPDATE_LIMIT, |l| l.clamp(1, 100) as usize);
    let asked =
        Duration::from_secs(params.get("timeout").and_then(as_i64).unwrap_or(0).max(0) as u64);
    let deadline = tokio::time::Instant::now() + asked.clamp(MIN_IDLE_POLL, MAX_LONG_POLL);
    loop {
        let pushed = shared.update_pushed.notified();
        tokio::pin!(pushed);
        pushed.as_mut().enable();
        {
            let mut state = shared.lock();
            // A positive offset confirms every update below it, as in Telegram.
            if offset > 0 {
                while state
                    .updates
                    .front()
                    .is_some_and(|u| u["update_id"].as_i64() < Some(offset))
                {
                    state.updates.pop_front();
                }
            }
            let ready: Vec<Value> = state
                .updates
                .iter()
                .filter(|u| u["update_id"].as_i64() >= Some(offset))
                .take(limit)
                .cloned()
                .collect();
            if !ready.is_empty() {
                return Value::Array(ready);
            }
        }
        if shared.unreachable.load(Ordering::SeqCst)
            || tokio::time::timeout_at(deadline, pushed).await.is_err()
        {
            return json!([]);
        }
    }
}

/// The request's parameters as a JSON object: a JSON body as is, a form body with each value read as
/// JSON when it is JSON (numbers, keyboards) and as a string otherwise, and `{}` for an empty body.
fn parse_params(headers: &HeaderMap, body: &[u8]) -> Value {
    if body.iter().all(u8::is_ascii_whitespace) {
        return json!({});
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let form: Map<String, Value> = url::form_urlencoded::parse(body)
            .map(|(key, value)| {
                let value = serde_json::from_str(&value)
                    .unwrap_or_else(|_| Value::String(value.into_owned()));
                (key.into_owned(), value)
            })
            .collect();
        return Value::Object(form);
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|_| json!({ "_unparsed_body": String::from_utf8_lossy(body) }))
}

fn user_message(message_id: i64, chat: Value, user: &TestUser, text: &str) -> Value {
    let mut message = json!({
        "message_id": message_id,
        "date": unix_now(),
        "chat": chat,
        "from": user.to_json(),
        "text": text,
    });
    let entities = entities(text);
    if !entities.is_empty() {
        message["entities"] = Value::Array(entities);
    }
    message
}

/// The entities Telegram attaches to a text: a `bot_command` for a leading `/command`, and a `mention`
/// for each `@migbot_test_bot` outside it. Offsets and lengths are in UTF-16 code units, as in the Bot API.
fn entities(text: &str) -> Vec<Value> {
    let utf16_len = |s: &str| s.encode_utf16().count();
    let mut entities = Vec::new();
    let mut mentions_from = 0;
    if text.starts_with('/') {
        let command_end = text.find(char::is_whitespace).unwrap_or(text.len());
        entities.push(json!({ "type": "bot_command", "offset": 0, "length": utf16_len(&text[..command_end]) }));
        mentions_from = command_end;
    }
    let mention = format!("@{BOT_USERNAME}");
    for (start, _) in text[mentions_from..].match_indices(&mention) {
        let start = mentions_from + start;
        entities.push(json!({ "type": "mention", "offset": utf16_len(&text[..start]), "length": utf16_len(&mention) }));
    }
    entities
}

fn bot_user() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": "migbot (test)", "username": BOT_USERNAME })
}

fn private_chat(chat_id: i64, user: &TestUser) -> Value {
    json!({ "id": chat_id, "type": "private", "first_name": user.first_name })
}

fn group_chat(chat_id: i64) -> Value {
    json!({ "id": chat_id, "type": "group", "title": "Test group" })
}

/// A chat for an id alone: private for positive ids, a group for negative ones.
fn chat_for(chat_id: i64) -> Value {
    if chat_id < 0 {
        group_chat(chat_id)
    } else {
        private_chat(chat_id, &TestUser::from_id(chat_id))
    }
}

fn sent_messages(calls: &[Call]) -> impl Iterator<Item = &Call> {
    calls.iter().filter(|c| c.ok && c.method == "sendmessage")
}

fn as_i64(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str()?.parse().ok())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Accepts connections and wraps each in a [`GatedStream`].
struct GatedListener {
    inner: TcpListener,
    unreachable: Arc<AtomicBool>,
}

impl axum::serve::Listener for GatedListener {
    type Io = GatedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    return (
                        GatedStream {
                            inner: stream,
                            unreachable: self.unreachable.clone(),
                        },
                        addr,
                    )
                }
                // Accept errors (e.g. too many open files) are transient for a test server.
                Err(_) => tokio::task::yield_now().await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP connection that fails every read and write while the fake is unreachable, so the HTTP server
/// drops it and the kernel resets it (the client's request is still unread): the client sees a
/// connection reset, as with a network fault, never an HTTP answer.
struct GatedStream {
    inner: TcpStream,
    unreachable: Arc<AtomicBool>,
}

impl GatedStream {
    fn check(&self) -> io::Result<()> {
        if self.unreachable.load(Ordering::SeqCst) {
            Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the fake Telegram is unreachable",
            ))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for GatedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for GatedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Staff-chat helpers: replying to one of the bot's own messages.
impl FakeTelegram {
    /// The `message_id` the fake gave the message a successful `sendMessage` call sent (by its chat and text).
    pub async fn sent_message_id(&self, call: &Call) -> i64 {
        let state = self.shared.lock();
        let chat = call.chat_id().unwrap_or_default();
        state
            .bot_messages
            .iter()
            .filter(|((c, _), m)| *c == chat && m.get("text") == call.body.get("text"))
            .map(|((_, id), _)| *id)
            .max()
            .unwrap_or_else(|| panic!("the fake sent no message like {}", call.body))
    }

    /// Pushes a text message in the group `chat_id` that replies to the bot's message `reply_to`.
    pub fn push_group_reply(
        &self,
        chat_id: i64,
        user: &TestUser,
        text: &str,
        reply_to: i64,
    ) -> i64 {
        self.push_with(|state| {
            let chat = group_chat(chat_id);
            let mut message = user_message(state.next_message_id(), chat.clone(), user, text);
            let replied = state.bot_messages.get(&(chat_id, reply_to)).cloned().unwrap_or_else(|| {
                json!({ "message_id": reply_to, "date": unix_now() - 60, "chat": chat, "from": bot_user(), "text": "…" })
            });
            message["reply_to_message"] = replied;
            json!({ "message": message })
        })
    }
}
