//! The Telegram adapter: long polling through teloxide, commands, answers with buttons, and what is stored.
//!
//! It turns `MatchResult`s into HTML messages and inline keyboards, and button presses back into actions. It
//! owns no matching logic: questions go to the matcher, texts come from `texts.toml`, answers from `present`.

pub mod callback;
pub mod listener;
pub mod pace;
pub mod render;
pub mod staff;

use crate::app::{self, App};
use crate::knowledge::{KnowledgeBase, Lang, TOPICS};
use crate::matcher::{Matcher, Outcome};
use crate::present;
use crate::store::{
    Feedback, PendingQuestion, ReplyRoute, Store, UnansweredQuestion, UserSettings,
};
use callback::Callback;
use listener::{Journal, JournaledPolling, Ticket};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use teloxide::dispatching::{Dispatcher, UpdateFilterExt, UpdateHandler};
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::requests::Request;
use teloxide::types::{
    BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Me, MessageId,
    ParseMode, ReplyParameters, User,
};

/// The bot as handlers see it. Sending keeps within Telegram's limits through [`pace`] (teloxide's `Throttle`
/// is not used: it queues a message after the handler has committed its update, which widens the window in
/// which a crash loses a reply, and it adds up to 250 ms to every reply).
pub type TgBot = Bot;

type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// How long a long-poll `getUpdates` waits: under teloxide's 17-second HTTP timeout.
const POLL_TIMEOUT: Duration = Duration::from_secs(10);
/// Question texts are kept this many days by default (staff review; stated in /privacy).
pub const QUESTION_RETENTION_DAYS: u32 = 180;
/// Reply routes are kept at most this many days by default (stated in /privacy).
pub const ROUTE_RETENTION_DAYS: u32 = 30;
/// Questions a user may ask a minute by default (`MIGBOT_RATE_LIMIT`).
pub const DEFAULT_RATE_LIMIT: usize = 20;
/// How often the Bot API is probed for `/healthz` by default.
const DEFAULT_HEALTH_PROBE: Duration = Duration::from_secs(10);
/// A message whose connection could not be made is tried this many more times...
const SEND_RETRIES: u32 = 3;
/// ...after this pause times the attempt number.
const SEND_RETRY_PAUSE: Duration = Duration::from_millis(500);
/// Topic and entry buttons show at most this many characters of a title.
const BUTTON_TITLE_CHARS: usize = 60;

/// Errors in the Telegram configuration: one sentence each, exit code 2.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("TELOXIDE_TOKEN is not set: create a bot with @BotFather and set TELOXIDE_TOKEN to its token")]
    MissingToken,
    #[error("TELOXIDE_TOKEN is malformed: a bot token looks like 123456789:AA... (digits, a colon, then letters, digits, _ or -)")]
    MalformedToken,
    #[error("TELOXIDE_API_URL is malformed: give a full http:// or https:// address of a Bot API server")]
    MalformedUrl,
    #[error("MIGBOT_STAFF_CHAT_ID is malformed: give the staff chat's numeric id (groups are negative, e.g. -1001234567890)")]
    MalformedStaffChat,
    #[error("MIGBOT_ADMIN_IDS is malformed: give numeric Telegram user ids separated by commas")]
    MalformedAdmins,
    #[error("{0} is malformed: give a whole number of days, at least 1")]
    MalformedDays(&'static str),
    #[error("{0}")]
    MalformedOpsAddr(String),
    #[error("MIGBOT_HEALTH_PROBE_SECS is malformed: give a whole number of seconds, at least 1")]
    MalformedProbe,
    #[error("MIGBOT_RATE_LIMIT is malformed: give the number of questions a user may ask a minute, at least 1")]
    MalformedRateLimit,
    #[error(
        "MIGBOT_THROTTLE is malformed: give on (the default: keep within Telegram's limits) or off"
    )]
    MalformedThrottle,
}

/// How long question texts and reply routes are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub question_days: u64,
    pub route_days: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            question_days: QUESTION_RETENTION_DAYS as u64,
            route_days: ROUTE_RETENTION_DAYS as u64,
        }
    }
}

impl Retention {
    /// From `MIGBOT_RETENTION_DAYS` and `MIGBOT_ROUTE_DAYS` (defaults 180 and 30).
    pub fn from_env() -> Result<Retention, ConfigError> {
        let days = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match std::env::var(name).ok().filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|d| *d >= 1)
                    .ok_or(ConfigError::MalformedDays(name)),
            }
        };
        Ok(Retention {
            question_days: days("MIGBOT_RETENTION_DAYS", QUESTION_RETENTION_DAYS as u64)?,
            route_days: days("MIGBOT_ROUTE_DAYS", ROUTE_RETENTION_DAYS as u64)?,
        })
    }
}

/// The staff chat and admins from `MIGBOT_STAFF_CHAT_ID` and `MIGBOT_ADMIN_IDS`.
pub fn staff_from_env() -> Result<staff::StaffConfig, ConfigError> {
    let chat = match std::env::var("MIGBOT_STAFF_CHAT_ID")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        None => None,
        Some(v) => Some(ChatId(
            v.trim()
                .parse::<i64>()
                .map_err(|_| ConfigError::MalformedStaffChat)?,
        )),
    };
    let admins = match std::env::var("MIGBOT_ADMIN_IDS")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        None => Vec::new(),
        Some(v) => v
            .split(',')
            .map(|id| {
                id.trim()
                    .parse::<u64>()
                    .map_err(|_| ConfigError::MalformedAdmins)
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(staff::StaffConfig { chat, admins })
}

/// The bot's token and the Bot API server to use.
#[derive(Clone)]
pub struct TelegramConfig {
    token: String,
    api_url: Option<url::Url>,
    pub staff: staff::StaffConfig,
    pub retention: Retention,
    /// Where `/healthz` and `/metrics` listen (`MIGBOT_OPS_ADDR`); `None` when off.
    pub ops_addr: Option<std::net::SocketAddr>,
    /// How often the Bot API is probed for `/healthz` (`MIGBOT_HEALTH_PROBE_SECS`).
    pub health_probe: Duration,
    /// Questions a user may ask a minute (`MIGBOT_RATE_LIMIT`).
    pub rate_limit: usize,
    /// Whether sending is paced within Telegram's limits ([`pace`]); `MIGBOT_THROTTLE=off` turns it off, for
    /// load tests and a local Bot API server.
    pub throttle: bool,
}

impl std::fmt::Debug for TelegramConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token never appears in logs or errors.
        f.debug_struct("TelegramConfig")
            .field("token", &"<redacted>")
            .field("api_url", &self.api_url.as_ref().map(url::Url::as_str))
            .field("staff", &self.staff)
            .field("retention", &self.retention)
            .finish()
    }
}

impl TelegramConfig {
    /// Checks a token and an optional Bot API base URL (a trailing slash is trimmed).
    pub fn new(token: Option<&str>, api_url: Option<&str>) -> Result<TelegramConfig, ConfigError> {
        let token = token
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ConfigError::MissingToken)?;
        let (id, secret) = token.split_once(':').ok_or(ConfigError::MalformedToken)?;
        let id_ok = !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit());
        let secret_ok = !secret.is_empty()
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !id_ok || !secret_ok {
            return Err(ConfigError::MalformedToken);
        }
        let api_url = match api_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u) => {
                let parsed = url::Url::parse(u.trim_end_matches('/'))
                    .map_err(|_| ConfigError::MalformedUrl)?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(ConfigError::MalformedUrl);
                }
                Some(parsed)
            }
        };
        Ok(TelegramConfig {
            token: token.to_string(),
            api_url,
            staff: staff::StaffConfig::default(),
            retention: Retention::default(),
            ops_addr: None,
            health_probe: DEFAULT_HEALTH_PROBE,
            rate_limit: DEFAULT_RATE_LIMIT,
            throttle: true,
        })
    }

    /// From `TELOXIDE_TOKEN`, `TELOXIDE_API_URL`, `MIGBOT_STAFF_CHAT_ID`, `MIGBOT_ADMIN_IDS`,
    /// `MIGBOT_RETENTION_DAYS` and `MIGBOT_ROUTE_DAYS`.
    pub fn from_env() -> Result<TelegramConfig, ConfigError> {
        let token = std::env::var("TELOXIDE_TOKEN").ok();
        let url = std::env::var("TELOXIDE_API_URL").ok();
        let mut config = TelegramConfig::new(token.as_deref(), url.as_deref())?;
        config.staff = staff_from_env()?;
        config.retention = Retention::from_env()?;
        config.ops_addr = crate::ops::parse_addr(std::env::var("MIGBOT_OPS_ADDR").ok().as_deref())
            .map_err(ConfigError::MalformedOpsAddr)?;
        if let Some(v) = std::env::var("MIGBOT_HEALTH_PROBE_SECS")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            let secs = v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s >= 1)
                .ok_or(ConfigError::MalformedProbe)?;
            config.health_probe = Duration::from_secs(secs);
        }
        if let Some(v) = std::env::var("MIGBOT_RATE_LIMIT")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            config.rate_limit = v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or(ConfigError::MalformedRateLimit)?;
        }
        if let Some(v) = std::env::var("MIGBOT_THROTTLE")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            config.throttle = match v.trim() {
                "on" => true,
                "off" => false,
                _ => return Err(ConfigError::MalformedThrottle),
            };
        }
        Ok(config)
    }

    /// The Bot API host, for logs (never the token).
    pub fn api_host(&self) -> String {
        self.api_url
            .as_ref()
            .and_then(|u| {
                u.host_str().map(|h| {
                    format!(
                        "{h}{}",
                        u.port().map(|p| format!(":{p}")).unwrap_or_default()
                    )
                })
            })
            .unwrap_or_else(|| "api.telegram.org".to_string())
    }
}

/// The knowledge the bot answers from; swapped whole when it changes.
#[derive(Clone)]
pub struct Knowledge {
    pub kb: KnowledgeBase,
    pub matcher: Matcher,
}

/// Everything handlers share.
pub struct BotState {
    pub store: Store,
    pub knowledge: RwLock<Arc<Knowledge>>,
    pub staff: staff::StaffConfig,
    pub retention: Retention,
    pub metrics: crate::ops::Metrics,
    pub health: crate::ops::Health,
    /// Where the knowledge files and the database are, for reloads.
    pub config: Option<app::Config>,
    /// Questions per user per minute, and when each user asked last.
    pub limiter: RateLimiter,
}

/// A per-user limit on questions a minute, with one polite notice per flood (not one per message).
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: usize,
    recent: std::sync::Mutex<
        std::collections::HashMap<String, (std::collections::VecDeque<std::time::Instant>, bool)>,
    >,
}

/// What to do with a user's question.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    Answer,
    /// Over the limit: tell them once.
    Notify,
    /// Over the limit and already told.
    Drop,
}

impl RateLimiter {
    pub fn new(per_minute: usize) -> RateLimiter {
        RateLimiter {
            per_minute,
            recent: Default::default(),
        }
    }

    pub fn admit(&self, user: &str, now: std::time::Instant) -> Admission {
        let mut map = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        // Forget users who have been quiet for a minute, so the map stays small.
        if map.len() > 10_000 {
            map.retain(|_, (times, _)| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(60))
            });
        }
        let (times, noticed) = map.entry(user.to_string()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            times.pop_front();
        }
        if times.len() < self.per_minute {
            times.push_back(now);
            *noticed = false;
            Admission::Answer
        } else if !*noticed {
            *noticed = true;
            Admission::Notify
        } else {
            Admission::Drop
        }
    }
}

impl BotState {
    pub fn new(app: App, staff: staff::StaffConfig, retention: Retention) -> BotState {
        BotState {
            store: app.store,
            knowledge: RwLock::new(Arc::new(Knowledge {
                kb: app.kb,
                matcher: app.matcher,
            })),
            staff,
            retention,
            metrics: crate::ops::Metrics::new(),
            health: crate::ops::Health::default(),
            config: None,
            limiter: RateLimiter::new(DEFAULT_RATE_LIMIT),
        }
    }

    /// Re-reads the knowledge files and swaps them in, or keeps the old knowledge and returns the problems.
    pub fn reload(&self) -> Result<usize, Vec<String>> {
        let Some(config) = &self.config else {
            return Err(vec!["no knowledge folder configured".to_string()]);
        };
        let (kb, matcher) = app::reload(config, &self.store)?;
        let entries = kb.entries.len();
        let mut guard = self.knowledge.write().unwrap_or_else(|p| p.into_inner());
        *guard = Arc::new(Knowledge { kb, matcher });
        Ok(entries)
    }

    fn knowledge(&self) -> Arc<Knowledge> {
        match self.knowledge.read() {
            Ok(k) => Arc::clone(&k),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

impl crate::ops::OpsSource for BotState {
    fn metrics(&self) -> &crate::ops::Metrics {
        &self.metrics
    }

    fn health(&self) -> &crate::ops::Health {
        &self.health
    }

    fn check_database(&self) -> Result<(), String> {
        if let Some(failure) = self.store.write_failure() {
            return Err(failure);
        }
        self.store
            .user_settings("healthz")
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn refresh_gauges(&self) {
        let k = self.knowledge();
        let open = self.store.open_groups().map(|g| g.len()).unwrap_or(0);
        self.metrics
            .set_gauges(open, k.kb.entries.len(), k.matcher.learned_count());
    }
}

/// Runs the bot until SIGINT or SIGTERM: long polling, then a clean shutdown that finishes the update in hand
/// and flushes the database. SIGHUP reloads the knowledge files.
pub async fn run(app: App, config: TelegramConfig, paths: app::Config) -> anyhow::Result<()> {
    let mut bot = Bot::new(config.token.clone());
    if let Some(url) = &config.api_url {
        bot = bot.set_api_url(url.clone());
    }
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        entries = app.kb.entries.len(),
        db = %app.store.path().display(),
        api_host = %config.api_host(),
        throttle = config.throttle,
        "starting the Telegram bot"
    );
    pace::configure(config.throttle);
    let mut state = BotState::new(app, config.staff.clone(), config.retention);
    state.config = Some(paths);
    state.limiter = RateLimiter::new(config.rate_limit);
    let state = Arc::new(state);
    if let Some(addr) = config.ops_addr {
        crate::ops::spawn(addr, Arc::clone(&state))
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "the ops endpoint cannot listen on {addr}: {e} (set MIGBOT_OPS_ADDR, or off)"
                )
            })?;
    }

    let journal = Journal::new(state.store.clone());
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![Arc::clone(&state), Arc::clone(&journal)])
        .default_handler(|_| async {})
        .error_handler(LoggingErrorHandler::with_custom_text(
            "an update could not be handled",
        ))
        .build();
    let shutdown = dispatcher.shutdown_token();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: finishing the updates in hand");
        // The dispatcher may not be running yet (still starting): try again until it is, or it has stopped.
        loop {
            match shutdown.shutdown() {
                Ok(done) => {
                    done.await;
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    // Installed before anything waits on the network, so an early SIGHUP reloads instead of killing the bot.
    spawn_reload_on_sighup(bot.clone(), Arc::clone(&state));
    if !wait_for_telegram(&bot).await? {
        return Ok(());
    }
    state
        .health
        .telegram_ok
        .store(true, std::sync::atomic::Ordering::SeqCst);
    register_commands(&bot, &state.knowledge().kb).await;
    staff::deliver_linked(&bot, &state).await;
    spawn_retention_sweep(Arc::clone(&state));
    spawn_health_probe(bot.clone(), Arc::clone(&state), config.health_probe);
    if let Err(e) = bot.delete_webhook().await {
        tracing::warn!(error = %e, "could not delete a webhook before polling");
    }
    let listener = JournaledPolling::new(bot, Arc::clone(&journal), POLL_TIMEOUT);
    let counted = Arc::clone(&state);
    let on_listener_error = Arc::new(move |e: teloxide::RequestError| {
        counted.metrics.telegram_error(&e);
        counted
            .health
            .telegram_ok
            .store(false, std::sync::atomic::Ordering::SeqCst);
        tracing::warn!(error = %e, "polling failed");
        async {}
    });
    state
        .health
        .dispatching
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let dispatched = dispatcher
        .try_dispatch_with_listener(listener, on_listener_error)
        .await;
    state
        .health
        .dispatching
        .store(false, std::sync::atomic::Ordering::SeqCst);
    dispatched.map_err(|e| anyhow::anyhow!("Telegram did not answer at start: {e}"))?;
    state.store.flush_async().await?;
    tracing::info!("stopped; database flushed");
    Ok(())
}

/// Probes the Bot API (`getMe`) for `/healthz`.
fn spawn_health_probe(bot: TgBot, state: Arc<BotState>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let ok =
                match tokio::time::timeout(every.max(Duration::from_secs(1)), bot.get_me()).await {
                    Ok(Ok(_)) => true,
                    Ok(Err(e)) => {
                        state.metrics.telegram_error(&e);
                        false
                    }
                    Err(_) => false,
                };
            let was = state
                .health
                .telegram_ok
                .swap(ok, std::sync::atomic::Ordering::SeqCst);
            if was != ok {
                tracing::warn!(reachable = ok, "the Bot API's reachability changed");
            }
        }
    });
}

/// SIGHUP re-reads the knowledge files; a knowledge base with errors is refused and the old one keeps serving.
fn spawn_reload_on_sighup(bot: TgBot, state: Arc<BotState>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            let result = reload_and_report(&bot, &state).await;
            tracing::info!(?result, "SIGHUP reload");
        }
    });
}

/// Reloads the knowledge; reports errors in the log and the staff chat. Returns a line for staff.
pub(crate) async fn reload_and_report(bot: &TgBot, state: &BotState) -> String {
    match state.reload() {
        Ok(entries) => {
            tracing::info!(entries, "knowledge reloaded");
            format!("Knowledge reloaded: {entries} entries.")
        }
        Err(problems) => {
            for p in &problems {
                tracing::error!(problem = %p, "knowledge reload refused");
            }
            let text =
                format!(
                "Knowledge reload refused: {} error(s); the previous knowledge keeps serving.\n{}",
                problems.len(),
                problems.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
            );
            if let Some(chat) = state.staff.chat {
                if let Err(e) = send_html_to(bot, chat, None, render::escape(&text), None).await {
                    tracing::error!(error = %e, "could not tell the staff chat about the refused reload");
                }
            }
            text
        }
    }
}

/// Once at start and then daily: removes question texts and reply routes past their retention.
fn spawn_retention_sweep(state: Arc<BotState>) {
    tokio::spawn(async move {
        let mut daily = tokio::time::interval(Duration::from_secs(86_400));
        loop {
            daily.tick().await;
            let r = state.retention;
            match state
                .store
                .purge(app::unix_now(), r.question_days, r.route_days)
            {
                Ok(p) => tracing::info!(
                    questions = p.questions,
                    routes = p.routes,
                    groups = p.groups,
                    "retention sweep"
                ),
                Err(e) => tracing::error!(error = %e, "retention sweep failed"),
            }
        }
    });
}

/// Waits until the Bot API answers `getMe`, retrying network failures with a growing pause. Returns `false`
/// when a signal asks to stop first; fails at once when Telegram rejects the token.
async fn wait_for_telegram(bot: &TgBot) -> anyhow::Result<bool> {
    let mut pause = Duration::from_secs(1);
    let signal = wait_for_signal();
    tokio::pin!(signal);
    loop {
        match bot.get_me().await {
            Ok(me) => {
                tracing::info!(bot = %me.username(), "connected to the Bot API");
                return Ok(true);
            }
            Err(teloxide::RequestError::Api(teloxide::ApiError::InvalidToken)) => {
                anyhow::bail!("Telegram rejected TELOXIDE_TOKEN (Unauthorized): check the token with @BotFather");
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_s = pause.as_secs(), "the Bot API is not reachable; retrying");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = &mut signal => return Ok(false),
        }
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The command menu in English (the default) and Russian.
async fn register_commands(bot: &TgBot, kb: &KnowledgeBase) {
    for (lang, code) in [(Lang::En, None), (Lang::Ru, Some("ru"))] {
        let commands: Vec<BotCommand> = [
            ("start", "menu_start"),
            ("help", "menu_help"),
            ("topics", "menu_topics"),
            ("lang", "menu_lang"),
            ("about", "menu_about"),
            ("privacy", "menu_privacy"),
            ("forget", "menu_forget"),
        ]
        .iter()
        .map(|(cmd, key)| BotCommand::new(*cmd, kb.texts.get(key, lang)))
        .collect();
        let mut request = bot.set_my_commands(commands);
        if let Some(code) = code {
            request = request.language_code(code);
        }
        if let Err(e) = request.await {
            tracing::warn!(error = %e, lang = %lang, "could not register the command menu");
        }
    }
}

/// The handler tree: messages (and edited messages) and button presses.
///
/// Every update gets a [`Ticket`] first: handlers commit it before their first reply, and the update counts as
/// finished for the polling offset when the ticket is dropped (handled, filtered out, or failed).
pub fn schema() -> UpdateHandler<Box<dyn std::error::Error + Send + Sync + 'static>> {
    dptree::entry()
        .map(|update: Update, journal: Arc<Journal>| journal.ticket(update.id.0))
        .branch(Update::filter_message().endpoint(on_message))
        .branch(Update::filter_edited_message().endpoint(on_message))
        .branch(Update::filter_callback_query().endpoint(on_callback))
}

/// The language for a user: their /lang choice, else the message's, else Telegram's language code.
fn user_lang(settings: &UserSettings, detected: Option<Lang>, from: Option<&User>) -> Lang {
    settings
        .lang
        .or(detected)
        .or_else(|| {
            from.and_then(|u| u.language_code.as_deref())
                .map(lang_from_code)
        })
        .unwrap_or(Lang::En)
}

/// Telegram's `language_code` to an answer language: Russian for the languages of the region, else English.
pub fn lang_from_code(code: &str) -> Lang {
    let base = code
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match base.as_str() {
        "ru" | "kk" | "uz" | "ky" | "tg" | "be" | "uk" => Lang::Ru,
        _ => Lang::En,
    }
}

/// A message the bot should react to, with the text it should read (a group mention removed), or `None` when
/// the bot must stay silent (a group message not addressed to it).
fn addressed_text(msg: &Message, me: &Me) -> Option<Option<String>> {
    let text = msg.text().map(str::to_string);
    if msg.chat.is_private() {
        return Some(text);
    }
    let mention = format!("@{}", me.username());
    let replied_to_bot = msg
        .reply_to_message()
        .and_then(|r| r.from.as_ref())
        .is_some_and(|u| u.id == me.id);
    match text {
        Some(t) if t.starts_with('/') => Some(Some(t)),
        Some(t) if t.contains(&mention) => Some(Some(t.replace(&mention, " ").trim().to_string())),
        Some(t) if replied_to_bot => Some(Some(t)),
        None if replied_to_bot => Some(None),
        _ => None,
    }
}

async fn on_message(
    bot: TgBot,
    msg: Message,
    me: Me,
    state: Arc<BotState>,
    ticket: Ticket,
) -> HandlerResult {
    listener::handling(ticket.clone(), handle_message(bot, msg, me, state, ticket)).await
}

/// A message: every message sent while handling it commits the update first (see [`listener`]).
async fn handle_message(
    bot: TgBot,
    msg: Message,
    me: Me,
    state: Arc<BotState>,
    ticket: Ticket,
) -> HandlerResult {
    state.metrics.update_received();
    let Some(text) = addressed_text(&msg, &me) else {
        return Ok(());
    };
    let from = msg.from.as_ref();
    let user = from
        .map(|u| state.store.user_ref(u.id.0))
        .unwrap_or_default();
    let settings = state.store.user_settings(&user).unwrap_or_default();
    let knowledge = state.knowledge();
    let kb = &knowledge.kb;
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        let lang = user_lang(&settings, None, from);
        send_html(
            &bot,
            &msg,
            render::escape(kb.texts.get("non_text", lang)),
            None,
        )
        .await?;
        return Ok(());
    };
    let command = parse_command(&text, me.username());
    let is_staff = state.staff.allows(msg.chat.id, from);
    if is_staff {
        let cmd = command.as_ref().map(|(n, a)| (n.as_str(), a.as_str()));
        let staff_command = cmd.filter(|(n, _)| staff::STAFF_COMMANDS.contains(n));
        if (staff_command.is_some() || (cmd.is_none() && Some(msg.chat.id) == state.staff.chat))
            && staff::on_staff_message(&bot, &msg, &state, staff_command, &text).await?
        {
            return Ok(());
        }
        if cmd.is_none() && Some(msg.chat.id) == state.staff.chat {
            // Staff talk among themselves in their chat: the bot stays out of it.
            return Ok(());
        }
    }
    if let Some((command, _)) = &command {
        let lang = user_lang(&settings, None, from);
        if staff::STAFF_COMMANDS.contains(&command.as_str()) && !is_staff {
            tracing::warn!(user = %user, command = %command, "staff command refused");
            send_html(
                &bot,
                &msg,
                "This command is for staff only.".to_string(),
                None,
            )
            .await?;
            return Ok(());
        }
        return on_command(&bot, &msg, &state, kb, &user, lang, command).await;
    }
    let started = std::time::Instant::now();
    match state.limiter.admit(&user, started) {
        Admission::Answer => {}
        Admission::Notify => {
            tracing::warn!(user = %user, "rate limit reached");
            let lang = user_lang(&settings, None, from);
            send_html(
                &bot,
                &msg,
                render::escape(kb.texts.get("rate_limited", lang)),
                None,
            )
            .await?;
            return Ok(());
        }
        Admission::Drop => return Ok(()),
    }
    let m = knowledge.matcher.match_question(&text);
    let lang = user_lang(&settings, m.detected_lang, from);
    tracing::debug!(question = %text, why = ?m.why, "matched");
    state.metrics.question(
        m.outcome.name(),
        lang.code(),
        started.elapsed().as_secs_f64(),
    );
    tracing::info!(
        outcome = m.outcome.name(),
        entry = m.outcome.entry().unwrap_or(""),
        score = m.outcome.score(),
        lang = %lang,
        latency_us = started.elapsed().as_micros() as u64,
        user = %user,
        "question"
    );
    if let Err(e) = state.store.record_event(&crate::store::QuestionEvent {
        time: app::unix_now(),
        outcome: m.outcome.name().to_string(),
        entry: m.outcome.entry().map(str::to_string),
        lang,
    }) {
        tracing::error!(error = %e, "could not record the question's outcome");
    }
    let t = |key: &str| render::escape(kb.texts.get(key, lang));
    match &m.outcome {
        Outcome::Answered { entry, .. } => {
            // Without the database the answer still goes out, only without 👍/👎.
            let pending = state
                .store
                .save_pending(&PendingQuestion {
                    time: app::unix_now(),
                    lang,
                    text: text.clone(),
                    user: user.clone(),
                    entries: vec![entry.clone()],
                })
                .inspect_err(|e| state.store.note_write_failure(e))
                .ok();
            send_answer(&bot, &msg, kb, entry, lang, pending).await?;
        }
        Outcome::Suggestions { entries } => {
            let ids: Vec<String> = entries.iter().map(|s| s.entry.clone()).collect();
            let pending = match state.store.save_pending(&PendingQuestion {
                time: app::unix_now(),
                lang,
                text: text.clone(),
                user: user.clone(),
                entries: ids.clone(),
            }) {
                Ok(p) => p,
                Err(e) => {
                    // Buttons would point at nothing: say it cannot be kept, and where to get help now.
                    state.store.note_write_failure(&e);
                    let help = help_now_keyboard(kb, lang);
                    send_html(&bot, &msg, t("not_saved"), help).await?;
                    return Ok(());
                }
            };
            let mut rows: Vec<Vec<InlineKeyboardButton>> = ids
                .iter()
                .enumerate()
                .filter_map(|(n, id)| {
                    kb.entry(id).map(|e| {
                        vec![InlineKeyboardButton::callback(
                            shorten(e.title(lang)),
                            Callback::Suggestion { pending, n }.encode(),
                        )]
                    })
                })
                .collect();
            rows.push(vec![InlineKeyboardButton::callback(
                kb.texts.get("none_of_these", lang),
                Callback::NoneOfThese { pending }.encode(),
            )]);
            send_html(
                &bot,
                &msg,
                t("did_you_mean"),
                Some(InlineKeyboardMarkup::new(rows)),
            )
            .await?;
        }
        Outcome::Unanswered { nearest } => {
            let (nearest_id, score) = nearest
                .as_ref()
                .map_or((None, 0.0), |n| (Some(n.entry.clone()), n.score));
            // On disk before the user is told it was passed to staff; if it cannot be, the user is told that.
            // The update's mark goes with the question, so that a re-delivery after a crash confirms the
            // question queued before instead of queueing it again.
            let queued = match ticket.queued_before() {
                Some(question) => Ok(QueuedNow::Before(question)),
                None => state
                    .store
                    .record_unanswered_with_route(
                        UnansweredQuestion {
                            id: 0,
                            time: app::unix_now(),
                            lang,
                            text: text.clone(),
                            reason: "unanswered".to_string(),
                            nearest: nearest_id,
                            score,
                            user: user.clone(),
                            group: 0,
                        },
                        ReplyRoute {
                            chat_id: msg.chat.id.0,
                            message_id: msg.id.0,
                            time: app::unix_now(),
                        },
                        Some(ticket.update_id()),
                    )
                    .await
                    .map(QueuedNow::New),
            };
            let help = help_now_keyboard(kb, lang);
            match queued {
                Ok(queued) => {
                    let question = match &queued {
                        QueuedNow::New(q) => q.question,
                        QueuedNow::Before(question) => *question,
                    };
                    let sent = send_html(&bot, &msg, t("no_answer"), help).await;
                    if let Err(e) = &sent {
                        staff::drop_route_if_blocked(&state, question, e);
                    }
                    sent?;
                    // Staff heard of a question queued before a crash already (or will see it in /pending).
                    if let QueuedNow::New(queued) = queued {
                        staff::notify(&bot, &state, kb, &queued).await;
                    }
                }
                Err(e) => {
                    state.store.note_write_failure(&e);
                    send_html(&bot, &msg, t("not_saved"), help).await?;
                }
            }
        }
        Outcome::Smalltalk { kind } => {
            send_html(&bot, &msg, t(kind.text_key()), None).await?;
        }
    }
    Ok(())
}

/// An unanswered question in the review queue: queued just now, or by a run that crashed before confirming it.
enum QueuedNow {
    New(crate::store::Queued),
    Before(u64),
}

/// Whether Telegram refused a message because the user blocked the bot or the chat is gone (403).
pub(crate) fn is_blocked(e: &teloxide::RequestError) -> bool {
    use teloxide::ApiError;
    matches!(
        e,
        teloxide::RequestError::Api(
            ApiError::BotBlocked
                | ApiError::UserDeactivated
                | ApiError::BotKicked
                | ApiError::BotKickedFromSupergroup
                | ApiError::CantInitiateConversation
                | ApiError::CantTalkWithBots
                | ApiError::ChatNotFound
        )
    )
}

/// A button to the 1414 contact-centre entry, where to get help now, if the knowledge base has it.
fn help_now_keyboard(kb: &KnowledgeBase, lang: Lang) -> Option<InlineKeyboardMarkup> {
    kb.entry("kz-contact-1414").map(|e| {
        InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback(
            shorten(e.title(lang)),
            Callback::Entry(e.id.clone()).encode(),
        )]])
    })
}

/// A command and its arguments, from `/cmd`, `/cmd@thisbot` or `/cmd args`; commands for other bots are ignored.
fn parse_command(text: &str, bot_username: &str) -> Option<(String, String)> {
    let text = text.trim();
    let first = text.split_whitespace().next()?;
    let name = first.strip_prefix('/')?;
    let (name, target) = match name.split_once('@') {
        Some((n, t)) => (n, Some(t)),
        None => (name, None),
    };
    if target.is_some_and(|t| !t.eq_ignore_ascii_case(bot_username)) {
        return None;
    }
    Some((
        name.to_ascii_lowercase(),
        text[first.len()..].trim().to_string(),
    ))
}

async fn on_command(
    bot: &TgBot,
    msg: &Message,
    state: &BotState,
    kb: &KnowledgeBase,
    user: &str,
    lang: Lang,
    command: &str,
) -> HandlerResult {
    let t = |key: &str| render::escape(kb.texts.get(key, lang));
    match command {
        "start" => send_html(bot, msg, t("welcome"), Some(topics_keyboard(kb, lang))).await?,
        "help" => send_html(bot, msg, t("help"), None).await?,
        "about" => send_html(bot, msg, t("about"), None).await?,
        "privacy" => {
            let text = kb
                .texts
                .get("privacy", lang)
                .replace(
                    "{question_days}",
                    &state.retention.question_days.to_string(),
                )
                .replace("{route_days}", &state.retention.route_days.to_string());
            send_html(bot, msg, render::escape(&text), None).await?
        }
        "topics" => send_html(bot, msg, t("label_topics"), Some(topics_keyboard(kb, lang))).await?,
        "lang" => {
            let keyboard = InlineKeyboardMarkup::new(vec![vec![
                InlineKeyboardButton::callback("English", Callback::Lang(Lang::En).encode()),
                InlineKeyboardButton::callback("Русский", Callback::Lang(Lang::Ru).encode()),
            ]]);
            send_html(bot, msg, t("lang_prompt"), Some(keyboard)).await?
        }
        "forget" => {
            let keyboard = InlineKeyboardMarkup::new(vec![vec![
                InlineKeyboardButton::callback(
                    kb.texts.get("forget_yes", lang),
                    Callback::Forget.encode(),
                ),
                InlineKeyboardButton::callback(
                    kb.texts.get("forget_no", lang),
                    Callback::KeepData.encode(),
                ),
            ]]);
            send_html(bot, msg, t("forget_confirm"), Some(keyboard)).await?
        }
        _ => {
            tracing::debug!(command, user, "unknown command");
            send_html(bot, msg, t("help"), None).await?
        }
    }
    Ok(())
}

fn topics_keyboard(kb: &KnowledgeBase, lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(
        TOPICS
            .iter()
            .filter(|topic| kb.entries.iter().any(|e| e.topic == **topic))
            .map(|topic| {
                vec![InlineKeyboardButton::callback(
                    kb.texts.get(&format!("topic_{topic}"), lang),
                    Callback::Topic(topic.to_string()).encode(),
                )]
            })
            .collect::<Vec<_>>(),
    )
}

fn shorten(title: &str) -> String {
    if title.chars().count() <= BUTTON_TITLE_CHARS {
        title.to_string()
    } else {
        let cut: String = title.chars().take(BUTTON_TITLE_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Sends HTML (split when too long) as a reply to `msg`, the keyboard on the last part.
async fn send_html(
    bot: &TgBot,
    msg: &Message,
    html: String,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<(), teloxide::RequestError> {
    send_html_to(bot, msg.chat.id, Some(msg.id), html, keyboard).await
}

async fn send_html_to(
    bot: &TgBot,
    chat: ChatId,
    reply_to: Option<MessageId>,
    html: String,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<(), teloxide::RequestError> {
    let parts = render::split_message(&html);
    let last = parts.len().saturating_sub(1);
    for (i, part) in parts.into_iter().enumerate() {
        let mut request = bot
            .send_message(chat, part)
            .parse_mode(ParseMode::Html)
            .link_preview_options(LinkPreviewOptions {
                is_disabled: true,
                url: None,
                prefer_small_media: false,
                prefer_large_media: false,
                show_above_text: false,
            });
        if let (0, Some(id)) = (i, reply_to) {
            request =
                request.reply_parameters(ReplyParameters::new(id).allow_sending_without_reply());
        }
        if i == last {
            if let Some(k) = keyboard.clone() {
                request = request.reply_markup(k);
            }
        }
        deliver(&request, chat).await?;
    }
    Ok(())
}

/// Sends one message; every message the bot sends goes through here. Paced within Telegram's limits; the update
/// in hand is committed just before its first message goes (see `listener`). A 429 is waited out, and a
/// connection that could not be made is retried: neither message reached Telegram, so a retry never duplicates
/// it. Anything else is reported to the caller.
async fn deliver(
    request: &<TgBot as Requester>::SendMessage,
    chat: ChatId,
) -> Result<Message, teloxide::RequestError> {
    pace::wait(chat.0).await;
    listener::commit_current().await;
    let mut attempt = 0;
    loop {
        match request.send_ref().await {
            Ok(sent) => return Ok(sent),
            Err(teloxide::RequestError::RetryAfter(after)) if attempt < SEND_RETRIES => {
                attempt += 1;
                tracing::warn!(
                    retry_after_s = after.seconds(),
                    "Telegram asked to slow down"
                );
                tokio::time::sleep(after.duration()).await;
            }
            Err(teloxide::RequestError::Network(e)) if e.is_connect() && attempt < SEND_RETRIES => {
                attempt += 1;
                tracing::warn!(attempt, "could not connect to send a message; retrying");
                tokio::time::sleep(SEND_RETRY_PAUSE * attempt).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Sends an entry's answer with 👍/👎 (when it answers a question) and buttons to related entries.
async fn send_answer(
    bot: &TgBot,
    msg: &Message,
    kb: &KnowledgeBase,
    entry_id: &str,
    lang: Lang,
    pending: Option<u64>,
) -> Result<(), teloxide::RequestError> {
    send_answer_to(bot, msg.chat.id, Some(msg.id), kb, entry_id, lang, pending).await
}

async fn send_answer_to(
    bot: &TgBot,
    chat: ChatId,
    reply_to: Option<MessageId>,
    kb: &KnowledgeBase,
    entry_id: &str,
    lang: Lang,
    pending: Option<u64>,
) -> Result<(), teloxide::RequestError> {
    let Some(entry) = kb.entry(entry_id) else {
        return send_html_to(
            bot,
            chat,
            reply_to,
            render::escape(kb.texts.get("no_answer", lang)),
            None,
        )
        .await;
    };
    let view = present::answer_view(kb, entry, lang);
    let html = render::answer_html(kb, &view, lang);
    let mut rows = Vec::new();
    if let Some(pending) = pending {
        rows.push(vec![
            InlineKeyboardButton::callback(
                "👍",
                Callback::Feedback {
                    pending,
                    helpful: true,
                }
                .encode(),
            ),
            InlineKeyboardButton::callback(
                "👎",
                Callback::Feedback {
                    pending,
                    helpful: false,
                }
                .encode(),
            ),
        ]);
    }
    for (id, title) in view.related.iter().take(3) {
        rows.push(vec![InlineKeyboardButton::callback(
            format!("→ {}", shorten(title)),
            Callback::Entry(id.to_string()).encode(),
        )]);
    }
    let keyboard = (!rows.is_empty()).then(|| InlineKeyboardMarkup::new(rows));
    send_html_to(bot, chat, reply_to, html, keyboard).await
}

async fn on_callback(
    bot: TgBot,
    q: CallbackQuery,
    state: Arc<BotState>,
    ticket: Ticket,
) -> HandlerResult {
    ticket.commit().await;
    state.metrics.update_received();
    let user = state.store.user_ref(q.from.id.0);
    let settings = state.store.user_settings(&user).unwrap_or_default();
    let lang = user_lang(&settings, None, Some(&q.from));
    let knowledge = state.knowledge();
    let kb = &knowledge.kb;
    let chat = q
        .regular_message()
        .map(|m| m.chat.id)
        .unwrap_or(ChatId(q.from.id.0 as i64));
    let message_id = q.regular_message().map(|m| m.id);
    let Some(action) = q.data.as_deref().and_then(Callback::parse) else {
        tracing::warn!(user = %user, "rejected malformed callback data");
        bot.answer_callback_query(q.id.clone())
            .text(kb.texts.get("button_expired", lang))
            .await?;
        return Ok(());
    };
    // Buttons about a pending question work only for the user who asked it.
    let pending_for = |id: u64| -> Option<PendingQuestion> {
        state
            .store
            .pending(id)
            .ok()
            .flatten()
            .filter(|p| p.user == user)
    };
    let expired = |bot: &TgBot| {
        bot.answer_callback_query(q.id.clone())
            .text(kb.texts.get("button_expired", lang))
    };
    match action {
        Callback::Topics => {
            bot.answer_callback_query(q.id.clone()).await?;
            if let Some(mid) = message_id {
                bot.edit_message_text(
                    chat,
                    mid,
                    render::escape(kb.texts.get("label_topics", lang)),
                )
                .parse_mode(ParseMode::Html)
                .reply_markup(topics_keyboard(kb, lang))
                .await?;
            }
        }
        Callback::Topic(topic) => {
            bot.answer_callback_query(q.id.clone()).await?;
            let mut rows: Vec<Vec<InlineKeyboardButton>> = kb
                .entries
                .iter()
                .filter(|e| e.topic == topic)
                .map(|e| {
                    vec![InlineKeyboardButton::callback(
                        shorten(e.title(lang)),
                        Callback::Entry(e.id.clone()).encode(),
                    )]
                })
                .collect();
            if rows.is_empty() {
                expired(&bot).await?;
                return Ok(());
            }
            rows.push(vec![InlineKeyboardButton::callback(
                kb.texts.get("label_back", lang),
                Callback::Topics.encode(),
            )]);
            let title = render::escape(kb.texts.get(&format!("topic_{topic}"), lang));
            if let Some(mid) = message_id {
                bot.edit_message_text(chat, mid, title)
                    .parse_mode(ParseMode::Html)
                    .reply_markup(InlineKeyboardMarkup::new(rows))
                    .await?;
            }
        }
        Callback::Entry(id) => {
            if kb.entry(&id).is_none() {
                expired(&bot).await?;
                return Ok(());
            }
            bot.answer_callback_query(q.id.clone()).await?;
            send_answer_to(&bot, chat, None, kb, &id, lang, None).await?;
        }
        Callback::Suggestion { pending, n } => {
            let Some(p) = pending_for(pending) else {
                expired(&bot).await?;
                return Ok(());
            };
            let Some(id) = p.entries.get(n).cloned() else {
                expired(&bot).await?;
                return Ok(());
            };
            bot.answer_callback_query(q.id.clone()).await?;
            // The choice (question → entry) is a candidate variant for staff review.
            state.store.record_feedback(&Feedback {
                time: app::unix_now(),
                entry: id.clone(),
                helpful: true,
                user: user.clone(),
            })?;
            tracing::info!(user = %user, entry = %id, "suggestion chosen");
            let answer_pending = state.store.save_pending(&PendingQuestion {
                entries: vec![id.clone()],
                ..p
            })?;
            send_answer_to(&bot, chat, None, kb, &id, lang, Some(answer_pending)).await?;
        }
        Callback::NoneOfThese { pending } => {
            let Some(p) = pending_for(pending) else {
                expired(&bot).await?;
                return Ok(());
            };
            bot.answer_callback_query(q.id.clone()).await?;
            let queued = queue_for_staff(&state, &p, "none-of-these", chat, message_id).await?;
            staff::notify(&bot, &state, kb, &queued).await;
            send_html_to(
                &bot,
                chat,
                None,
                render::escape(kb.texts.get("none_recorded", p.lang)),
                help_now_keyboard(kb, p.lang),
            )
            .await?;
        }
        Callback::Feedback { pending, helpful } => {
            let Some(p) = pending_for(pending) else {
                expired(&bot).await?;
                return Ok(());
            };
            let entry = p.entries.first().cloned().unwrap_or_default();
            state.store.record_feedback(&Feedback {
                time: app::unix_now(),
                entry: entry.clone(),
                helpful,
                user: user.clone(),
            })?;
            if !helpful {
                let queued = queue_for_staff(&state, &p, "thumbs-down", chat, message_id).await?;
                staff::notify(&bot, &state, kb, &queued).await;
            }
            let key = if helpful {
                "feedback_thanks_up"
            } else {
                "feedback_thanks_down"
            };
            bot.answer_callback_query(q.id.clone())
                .text(kb.texts.get(key, p.lang))
                .await?;
        }
        Callback::Lang(new_lang) => {
            state.store.set_user_settings(
                &user,
                &UserSettings {
                    lang: Some(new_lang),
                },
            )?;
            bot.answer_callback_query(q.id.clone()).await?;
            send_html_to(
                &bot,
                chat,
                None,
                render::escape(kb.texts.get("lang_set", new_lang)),
                None,
            )
            .await?;
        }
        Callback::Forget => {
            let removed = state.store.forget_user(&user)?;
            tracing::info!(user = %user, removed, "user data forgotten");
            bot.answer_callback_query(q.id.clone()).await?;
            send_html_to(
                &bot,
                chat,
                None,
                render::escape(kb.texts.get("forgotten", lang)),
                None,
            )
            .await?;
        }
        Callback::KeepData => {
            bot.answer_callback_query(q.id.clone()).await?;
        }
        Callback::ReviewLink { .. } | Callback::ReviewDismiss { .. } => {
            if !state.staff.allows(chat, Some(&q.from)) {
                tracing::warn!(user = %user, "staff button refused");
                bot.answer_callback_query(q.id.clone())
                    .text("This button is for staff only.")
                    .await?;
                return Ok(());
            }
            let result = staff::on_staff_button(&bot, &state, &action).await?;
            bot.answer_callback_query(q.id.clone()).text(result).await?;
        }
    }
    Ok(())
}

/// Puts a question in the staff review queue (a 👎 or "None of these"), with the route back to the user.
async fn queue_for_staff(
    state: &BotState,
    p: &PendingQuestion,
    reason: &str,
    chat: ChatId,
    message_id: Option<MessageId>,
) -> Result<crate::store::Queued, crate::store::StoreError> {
    state
        .store
        .record_unanswered_with_route(
            UnansweredQuestion {
                id: 0,
                time: app::unix_now(),
                lang: p.lang,
                text: p.text.clone(),
                reason: reason.to_string(),
                nearest: p.entries.first().cloned(),
                score: 0.0,
                user: p.user.clone(),
                group: 0,
            },
            ReplyRoute {
                chat_id: chat.0,
                message_id: message_id.map_or(0, |m| m.0),
                time: app::unix_now(),
            },
            None,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_urls_are_checked() {
        assert!(TelegramConfig::new(Some("123456:ABC-def_1"), None).is_ok());
        assert_eq!(
            TelegramConfig::new(None, None).unwrap_err(),
            ConfigError::MissingToken
        );
        assert_eq!(
            TelegramConfig::new(Some("  "), None).unwrap_err(),
            ConfigError::MissingToken
        );
        for bad in [
            "123456",
            "abc:DEF",
            ":DEF",
            "123:",
            "123:has space",
            "123:ü",
        ] {
            assert_eq!(
                TelegramConfig::new(Some(bad), None).unwrap_err(),
                ConfigError::MalformedToken,
                "{bad}"
            );
        }
        for bad in ["not a url", "ftp://host", "http://"] {
            assert_eq!(
                TelegramConfig::new(Some("1:a"), Some(bad)).unwrap_err(),
                ConfigError::MalformedUrl,
                "{bad}"
            );
        }
        let c = TelegramConfig::new(Some("1:a"), Some("http://127.0.0.1:8081/")).unwrap();
        assert_eq!(
            c.api_url.as_ref().unwrap().as_str(),
            "http://127.0.0.1:8081/"
        );
        assert_eq!(c.api_host(), "127.0.0.1:8081");
        assert!(!format!("{c:?}").contains("1:a"));
    }

    #[test]
    fn the_rate_limit_admits_n_a_minute_and_notifies_once() {
        let limiter = RateLimiter::new(3);
        let t0 = std::time::Instant::now();
        let got: Vec<Admission> = (0..6).map(|_| limiter.admit("u", t0)).collect();
        assert_eq!(
            got,
            [
                Admission::Answer,
                Admission::Answer,
                Admission::Answer,
                Admission::Notify,
                Admission::Drop,
                Admission::Drop
            ]
        );
        assert_eq!(limiter.admit("other", t0), Admission::Answer);
        assert_eq!(
            limiter.admit("u", t0 + Duration::from_secs(61)),
            Admission::Answer
        );
    }

    #[test]
    fn language_codes_map_to_answer_languages() {
        for (code, lang) in [
            ("ru", Lang::Ru),
            ("kk", Lang::Ru),
            ("uz-UZ", Lang::Ru),
            ("tg", Lang::Ru),
            ("en", Lang::En),
            ("de", Lang::En),
        ] {
            assert_eq!(lang_from_code(code), lang, "{code}");
        }
    }

    #[test]
    fn commands_are_parsed_for_this_bot_only() {
        assert_eq!(
            parse_command("/start", "migbot"),
            Some(("start".into(), String::new()))
        );
        assert_eq!(
            parse_command("/Help@MigBot", "migbot"),
            Some(("help".into(), String::new()))
        );
        assert_eq!(
            parse_command("/link 12 eaeu-members", "migbot"),
            Some(("link".into(), "12 eaeu-members".into()))
        );
        assert_eq!(parse_command("/start@otherbot", "migbot"), None);
        assert_eq!(parse_command("no command", "migbot"), None);
    }
}
