//! The command line: parsing arguments and running each command. `main` only calls [`run`].

mod ask;
mod chat;
mod eval;
mod kb;
mod ops;
mod review;

use crate::app::Config;
use crate::knowledge::Lang;
use crate::store::DEFAULT_CACHE_BYTES;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// migbot answers labour migrants' questions about working and staying in Kazakhstan and the EAEU, from a
/// curated knowledge base where every answer shows its source. With TELOXIDE_TOKEN set it runs on Telegram;
/// without it, `migbot` opens a chat in this terminal.
#[derive(Debug, Parser)]
#[command(name = "migbot", version, about, long_about = None)]
pub struct Cli {
    /// The sled database (created if missing).
    #[arg(
        long,
        env = "MIGBOT_DB",
        default_value = "data/migbot.db",
        global = true
    )]
    pub db: PathBuf,
    /// The knowledge folder (entries/, texts.toml, synonyms.toml, smalltalk.toml, gaps.toml).
    #[arg(
        long,
        env = "MIGBOT_KNOWLEDGE",
        default_value = "knowledge",
        global = true
    )]
    pub knowledge: PathBuf,
    /// sled's page cache in MiB (sled's own default, 1 GiB, is far too much for a small server).
    #[arg(long, env = "MIGBOT_CACHE_MB", default_value_t = DEFAULT_CACHE_BYTES / (1024 * 1024), global = true)]
    pub cache_mb: u64,
    /// Walk at most this many postings a question (at least 1000; unset: walk them all). For knowledge bases of
    /// tens of thousands of entries: much faster there, but some answers become suggestions (see BENCHMARKS.md).
    #[arg(long, env = "MIGBOT_POSTING_BUDGET", value_parser = clap::value_parser!(u64).range(1000..), global = true)]
    pub posting_budget: Option<u64>,
    /// Log format on stderr: readable text, or JSON lines for log collectors.
    #[arg(long, env = "MIGBOT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Cli {
    /// The default log level when RUST_LOG is unset: `info` for the bot on Telegram, `warn` for commands.
    pub fn default_log_level(&self) -> &'static str {
        let telegram = matches!(self.command, Some(Command::Serve))
            || (self.command.is_none()
                && std::env::var_os("TELOXIDE_TOKEN").is_some_and(|t| !t.is_empty()));
        if telegram {
            "info"
        } else {
            "warn"
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot on Telegram by long polling (what `migbot` does when TELOXIDE_TOKEN is set).
    /// Reads TELOXIDE_TOKEN and, for a self-hosted or test Bot API server, TELOXIDE_API_URL.
    Serve,
    /// Chat with the bot in this terminal (what `migbot` does without TELOXIDE_TOKEN). Unanswered questions
    /// are stored for staff, as on Telegram.
    Chat,
    /// Answer one question (or one per line of standard input) and exit. Records nothing: for testing and scripts.
    Ask(AskArgs),
    /// Check, list and import the knowledge files.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Staff review of unanswered questions: list, show, link to an entry, dismiss, export, purge.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Answered and unanswered shares, top entries, top open groups, feedback and stale entries for a period.
    Stats {
        /// The period: a number and d (days) or h (hours), e.g. 7d, 24h.
        #[arg(long, default_value = "7d")]
        since: String,
        #[arg(long)]
        json: bool,
    },
    /// Back up and restore the database.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Measure the matcher on labelled questions (tests/eval/*.toml), beside the naive baseline.
    Eval(EvalArgs),
}

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// Print one JSON object (per question) instead of the reply text.
    #[arg(long)]
    pub json: bool,
    /// Answer in this language instead of the question's.
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Read one question per line from standard input.
    #[arg(long, conflicts_with = "question")]
    pub stdin: bool,
    /// The question (quote it).
    #[arg(required_unless_present = "stdin")]
    pub question: Vec<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LangArg {
    En,
    Ru,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::En => Lang::En,
            LangArg::Ru => Lang::Ru,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Validate every knowledge file and report all problems at once (exit 1 on any error).
    Check {
        /// Warn about entries last verified more than this many months ago.
        #[arg(long, default_value_t = crate::knowledge::parse::DEFAULT_MAX_AGE_MONTHS)]
        max_age_months: i64,
    },
    /// List the entries, one per line (or a JSON array with --json).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Import the knowledge files into the database now (other commands import on start when files changed).
    Import,
    /// Print the question variants staff taught the bot, as TOML to review and add to the knowledge files.
    ExportLearned,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Write every tree as versioned JSON lines to FILE (`-` for standard output).
    Export { file: PathBuf },
    /// Read an export into an empty database (a new --db path).
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Open groups of similar unanswered questions, largest first (--all: every group).
    List {
        /// JSON: each group with every question in it (text as asked, time, language).
        #[arg(long)]
        json: bool,
        #[arg(long)]
        all: bool,
    },
    /// One group with all its questions.
    Show { group: u64 },
    /// Teach the bot: the group's questions become variants of ENTRY (users are answered at the bot's next start).
    Link { group: u64, entry: String },
    /// Close a group without an answer.
    Dismiss { group: u64 },
    /// Every group and question, as CSV or JSON.
    Export {
        #[arg(long, default_value = "json", value_parser = ["csv", "json"])]
        format: String,
    },
    /// Delete question texts older than DAYS (and reply routes older than DAYS or 30 days, whichever is less).
    Purge {
        #[arg(long = "older-than", value_name = "DAYS")]
        older_than: u64,
    },
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Evaluation files (TOML with [[case]] tables).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Also list every case the matcher got wrong.
    #[arg(long)]
    pub verbose: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

impl Cli {
    fn config(&self) -> Config {
        Config {
            db: self.db.clone(),
            knowledge: self.knowledge.clone(),
            cache_bytes: self.cache_mb.saturating_mul(1024 * 1024),
            posting_budget: self
                .posting_budget
                .map_or(usize::MAX, |b| usize::try_from(b).unwrap_or(usize::MAX)),
        }
    }
}

/// Runs the bot on Telegram. A missing or malformed token or URL is one sentence and exit code 2.
fn serve(config: &Config) -> anyhow::Result<ExitCode> {
    let telegram = match crate::telegram::TelegramConfig::from_env() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("migbot: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let app = crate::app::start(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("could not start the async runtime: {e}"))?;
    runtime.block_on(crate::telegram::run(app, telegram, config.clone()))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let config = cli.config();
    let result = match cli.command {
        None => {
            if std::env::var_os("TELOXIDE_TOKEN").is_some_and(|t| !t.is_empty()) {
                serve(&config)
            } else {
                chat::run(&config)
            }
        }
        Some(Command::Serve) => serve(&config),
        Some(Command::Chat) => chat::run(&config),
        Some(Command::Ask(args)) => ask::run(&config, &args),
        Some(Command::Kb { command }) => kb::run(&config, &command),
        Some(Command::Eval(args)) => eval::run(&config, &args),
        Some(Command::Review { command }) => review::run(&config, &command),
        Some(Command::Stats { since, json }) => ops::stats(&config, &since, json),
        Some(Command::Db { command }) => ops::db(&config, &command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("migbot: {e:#}");
            ExitCode::from(1)
        }
    }
}
