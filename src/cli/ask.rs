//! `migbot ask`: answer questions and exit, recording nothing.

use super::AskArgs;
use crate::app::{self, App, Config};
use crate::knowledge::Lang;
use crate::matcher::MatchResult;
use crate::present;
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::process::ExitCode;

pub fn run(config: &Config, args: &AskArgs) -> Result<ExitCode> {
    let app = app::start(config)?;
    let forced = args.lang.map(Lang::from);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.stdin {
        for line in std::io::stdin().lock().lines() {
            let line = line.context("reading standard input")?;
            if line.trim().is_empty() {
                continue;
            }
            write_one(&app, &line, forced, args.json, &mut out)?;
        }
    } else {
        write_one(&app, &args.question.join(" "), forced, args.json, &mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_one(
    app: &App,
    question: &str,
    forced: Option<Lang>,
    as_json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let m = app.matcher.match_question(question);
    let lang = app::answer_lang(forced, m.detected_lang);
    if as_json {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&to_json(app, question, &m, lang))?
        )?;
    } else {
        writeln!(out, "{}", super::chat::reply_text(app, &m, lang))?;
    }
    Ok(())
}

/// The JSON object of `ask --json`: the shape scripts and tests rely on.
pub fn to_json(app: &App, question: &str, m: &MatchResult, lang: Lang) -> Value {
    let entry = m.outcome.entry().and_then(|id| app.kb.entry(id));
    let source = entry.map(|e| {
        let s = &e.source;
        json!({
            "statement": s.statement_for(lang),
            "kind": s.kind.as_str(),
            "speaker": s.speaker,
            "role": s.role,
            "title": s.title,
            "url": s.url,
            "date": s.date,
            "last_verified": s.last_verified,
        })
    });
    json!({
        "question": question,
        "outcome": m.outcome.name(),
        "entry": m.outcome.entry(),
        "score": m.outcome.score(),
        "lang": lang.code(),
        "suggestions": m.outcome.suggestion_ids(),
        "answer": entry.map(|e| present::answer_view(&app.kb, e, lang).answer),
        "caution": entry.and_then(|e| e.block(lang).caution.as_deref()),
        "source": source,
        "why": m.why,
    })
}
