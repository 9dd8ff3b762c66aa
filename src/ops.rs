//! The operators' HTTP endpoint: `GET /healthz` and `GET /metrics` (Prometheus text format).
//!
//! An adapter: it counts what the Telegram adapter reports and answers on a loopback address by default
//! (`MIGBOT_OPS_ADDR`, `127.0.0.1:9464`; `off` to disable). It exposes no question texts and no user data.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The default listen address: loopback only; put a reverse proxy or a scraper on the same host.
pub const DEFAULT_OPS_ADDR: &str = "127.0.0.1:9464";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QuestionLabels {
    outcome: String,
    lang: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
}

/// Everything `/metrics` reports. Cheap to update from handlers.
pub struct Metrics {
    registry: Registry,
    questions: Family<QuestionLabels, Counter>,
    latency: Histogram,
    telegram_errors: Family<ErrorLabels, Counter>,
    updates: Counter,
    open_groups: Gauge,
    entries: Gauge,
    learned: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("migbot");
        let questions = Family::<QuestionLabels, Counter>::default();
        registry.register(
            "questions",
            "Questions by outcome and language",
            questions.clone(),
        );
        // 50 µs to ~0.8 s.
        let latency = Histogram::new(exponential_buckets(0.000_05, 2.0, 15));
        registry.register(
            "answer_latency_seconds",
            "Time to match a question",
            latency.clone(),
        );
        let telegram_errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "telegram_errors",
            "Telegram Bot API errors by kind",
            telegram_errors.clone(),
        );
        let updates = Counter::default();
        registry.register(
            "updates_received",
            "Telegram updates received",
            updates.clone(),
        );
        let open_groups = Gauge::default();
        registry.register(
            "review_open_groups",
            "Open groups in the staff review queue",
            open_groups.clone(),
        );
        let entries = Gauge::default();
        registry.register(
            "knowledge_entries",
            "Entries in the knowledge base",
            entries.clone(),
        );
        let learned = Gauge::default();
        registry.register(
            "learned_variants",
            "Question variants learned from staff review",
            learned.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_string(),
            })
            .set(1);
        registry.register("build_info", "The running migbot's version", build);
        Metrics {
            registry,
            questions,
            latency,
            telegram_errors,
            updates,
            open_groups,
            entries,
            learned,
        }
    }

    pub fn question(&self, outcome: &str, lang: &str, seconds: f64) {
        self.questions
            .get_or_create(&QuestionLabels {
                outcome: outcome.to_string(),
                lang: lang.to_string(),
            })
            .inc();
        self.latency.observe(seconds);
    }

    pub fn update_received(&self) {
        self.updates.inc();
    }

    /// Counts a Bot API error: `network`, `retry_after`, `blocked`, `api` or `other`.
    pub fn telegram_error(&self, e: &teloxide::RequestError) {
        let kind = match e {
            teloxide::RequestError::Network(_) | teloxide::RequestError::Io(_) => "network",
            teloxide::RequestError::RetryAfter(_) => "retry_after",
            teloxide::RequestError::Api(teloxide::ApiError::BotBlocked) => "blocked",
            teloxide::RequestError::Api(_) => "api",
            _ => "other",
        };
        self.telegram_errors
            .get_or_create(&ErrorLabels {
                kind: kind.to_string(),
            })
            .inc();
    }

    /// Sets the gauges read at scrape time.
    pub fn set_gauges(&self, open_groups: usize, entries: usize, learned: usize) {
        self.open_groups.set(open_groups as i64);
        self.entries.set(entries as i64);
        self.learned.set(learned as i64);
    }

    /// The Prometheus/OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// What `/healthz` checks, and what the bot tells it.
#[derive(Debug, Default)]
pub struct Health {
    /// The dispatcher is running.
    pub dispatching: AtomicBool,
    /// The last probe of the Bot API (`getMe`) succeeded.
    pub telegram_ok: AtomicBool,
}

/// What the endpoint needs from the bot: its metrics and health, and a way to read gauges and check the database.
pub trait OpsSource: Send + Sync + 'static {
    fn metrics(&self) -> &Metrics;
    fn health(&self) -> &Health;
    /// Reads the database; `Err` with a short reason when it does not answer.
    fn check_database(&self) -> Result<(), String>;
    /// Refreshes the gauges (open groups, entries, learned variants) before a scrape.
    fn refresh_gauges(&self);
}

/// Parses `MIGBOT_OPS_ADDR`: `off` disables the endpoint.
pub fn parse_addr(value: Option<&str>) -> Result<Option<SocketAddr>, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => DEFAULT_OPS_ADDR.parse::<SocketAddr>().map(Some).map_err(|e| e.to_string()),
        Some("off") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("MIGBOT_OPS_ADDR `{v}` is not an address: write host:port, e.g. 127.0.0.1:9464, or off")),
    }
}

/// Binds the endpoint (failing at start if the address is taken) and serves it in the background.
pub async fn spawn<S: OpsSource>(addr: SocketAddr, source: Arc<S>) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/healthz", get(healthz::<S>))
        .route("/metrics", get(metrics::<S>))
        .with_state(source);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the ops endpoint stopped");
        }
    });
    tracing::info!(addr = %bound, "ops endpoint listening (/healthz, /metrics)");
    Ok(bound)
}

async fn healthz<S: OpsSource>(State(source): State<Arc<S>>) -> impl IntoResponse {
    let dispatching = source.health().dispatching.load(Ordering::SeqCst);
    let telegram = source.health().telegram_ok.load(Ordering::SeqCst);
    let database = source.check_database();
    let ok = dispatching && telegram && database.is_ok();
    let body = json!({
        "status": if ok { "ok" } else { "failing" },
        "polling": dispatching && telegram,
        "dispatcher": dispatching,
        "telegram": telegram,
        "database": database.is_ok(),
        "database_error": database.err(),
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

async fn metrics<S: OpsSource>(State(source): State<Arc<S>>) -> impl IntoResponse {
    source.refresh_gauges();
    (
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        source.metrics().render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_addresses_parse() {
        assert_eq!(
            parse_addr(None).unwrap(),
            Some(DEFAULT_OPS_ADDR.parse().unwrap())
        );
        assert_eq!(parse_addr(Some("off")).unwrap(), None);
        assert_eq!(
            parse_addr(Some("0.0.0.0:9000")).unwrap(),
            Some("0.0.0.0:9000".parse().unwrap())
        );
        assert!(parse_addr(Some("nine")).is_err());
    }

    #[test]
    fn metrics_render_the_documented_names() {
        let m = Metrics::new();
        m.question("answered", "en", 0.0002);
        m.set_gauges(3, 38, 2);
        let text = m.render();
        for name in [
            "migbot_questions_total{outcome=\"answered\",lang=\"en\"} 1",
            "migbot_answer_latency_seconds_count 1",
            "migbot_review_open_groups 3",
            "migbot_knowledge_entries 38",
            "migbot_learned_variants 2",
            "migbot_updates_received_total 0",
            "migbot_build_info{version=",
        ] {
            assert!(text.contains(name), "{name} missing in:\n{text}");
        }
    }
}
