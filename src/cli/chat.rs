//! The console chat: the bot in a terminal, showing what the Telegram reply shows.
//!
//! Suggestions are numbered; typing a number shows that answer, and 0 ("None of these") passes the question to
//! staff. Unanswered questions are stored in the database before the reply is printed, as on Telegram.

use crate::app::{self, App, Config};
use crate::knowledge::Lang;
use crate::matcher::{MatchResult, Outcome};
use crate::present;
use crate::store::UnansweredQuestion;
use anyhow::{Context, Result};
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// The pseudonymous user reference of the console's one user.
const CONSOLE_USER: &str = "console";

pub fn run(config: &Config) -> Result<ExitCode> {
    let app = app::start(config)?;
    let errors: Vec<_> = app
        .problems
        .iter()
        .filter(|p| p.severity == crate::knowledge::Severity::Error)
        .collect();
    if !errors.is_empty() {
        eprintln!(
            "migbot: the knowledge files have {} error(s) (run `migbot kb check`); answering from the knowledge stored earlier",
            errors.len()
        );
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "{}", app.kb.texts.get("console_hint", Lang::En))?;
    writeln!(out, "{}", app.kb.texts.get("console_hint", Lang::Ru))?;
    write!(out, "> ")?;
    out.flush()?;
    let mut lang = Lang::En;
    // The last question and its suggestions, while the user may pick one by number.
    let mut pending: Option<(String, Vec<String>)> = None;
    for line in std::io::stdin().lock().lines() {
        let line = line.context("reading the terminal")?;
        let input = line.trim();
        if input == "/quit" || input == "/exit" {
            break;
        }
        if input.is_empty() {
            write!(out, "> ")?;
            out.flush()?;
            continue;
        }
        let reply = match (input.parse::<usize>(), pending.take()) {
            (Ok(0), Some((question, _))) => {
                record(&app, &question, lang, "none-of-these", None, 0.0)?;
                app.kb.texts.get("none_recorded", lang).to_string()
            }
            (Ok(n), Some((_, ids))) if n <= ids.len() => match app.kb.entry(&ids[n - 1]) {
                Some(e) => {
                    present::render_plain(&app.kb, &present::answer_view(&app.kb, e, lang), lang)
                }
                None => app.kb.texts.get("no_answer", lang).to_string(),
            },
            _ => {
                let m = app.matcher.match_question(input);
                lang = app::answer_lang(None, m.detected_lang.or(Some(lang)));
                tracing::debug!(why = ?m.why, "matched");
                match &m.outcome {
                    Outcome::Unanswered { nearest } => {
                        let (nearest_id, score) = nearest
                            .as_ref()
                            .map_or((None, 0.0), |n| (Some(n.entry.clone()), n.score));
                        record(&app, input, lang, "unanswered", nearest_id, score)?;
                    }
                    Outcome::Suggestions { entries } => {
                        pending = Some((
                            input.to_string(),
                            entries.iter().map(|s| s.entry.clone()).collect(),
                        ));
                    }
                    _ => {}
                }
                reply_text(&app, &m, lang)
            }
        };
        writeln!(out, "{}\n", reply.trim_end())?;
        write!(out, "> ")?;
        out.flush()?;
    }
    writeln!(out)?;
    app.store.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn record(
    app: &App,
    text: &str,
    lang: Lang,
    reason: &str,
    nearest: Option<String>,
    score: f64,
) -> Result<()> {
    app.store
        .record_unanswered(UnansweredQuestion {
            id: 0,
            time: app::unix_now(),
            lang,
            text: text.to_string(),
            reason: reason.to_string(),
            nearest,
            score,
            user: CONSOLE_USER.to_string(),
            group: 0,
        })
        .context("storing the unanswered question")?;
    Ok(())
}

/// The reply to a matched question, as plain text.
pub fn reply_text(app: &App, m: &MatchResult, lang: Lang) -> String {
    let t = |key: &str| app.kb.texts.get(key, lang).to_string();
    match &m.outcome {
        Outcome::Answered { entry, .. } => match app.kb.entry(entry) {
            Some(e) => {
                present::render_plain(&app.kb, &present::answer_view(&app.kb, e, lang), lang)
            }
            None => t("no_answer"),
        },
        Outcome::Suggestions { entries } => {
            let mut s = t("did_you_mean");
            for (i, sc) in entries.iter().enumerate() {
                if let Some(e) = app.kb.entry(&sc.entry) {
                    s.push_str(&format!("\n  {}. {}", i + 1, e.title(lang)));
                }
            }
            s.push_str(&format!("\n  0. {}", t("none_of_these")));
            s
        }
        Outcome::Unanswered { .. } => t("no_answer"),
        Outcome::Smalltalk { kind } => t(kind.text_key()),
    }
}
