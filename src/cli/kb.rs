//! `migbot kb check | list | import`.

use super::KbCommand;
use crate::app::{self, Config};
use crate::files;
use crate::knowledge::{self, CheckOptions, Severity};
use crate::store::{ImportOutcome, Store};
use anyhow::Result;
use serde_json::json;
use std::process::ExitCode;

pub fn run(config: &Config, command: &KbCommand) -> Result<ExitCode> {
    match command {
        KbCommand::Check { max_age_months } => check(config, *max_age_months),
        KbCommand::List { json } => list(config, *json),
        KbCommand::Import => import(config),
        KbCommand::ExportLearned => super::review::export_learned(config),
    }
}

fn check(config: &Config, max_age_months: i64) -> Result<ExitCode> {
    let files = files::read_knowledge_dir(&config.knowledge)?;
    let parsed = knowledge::parse(
        &files,
        CheckOptions {
            today: Some(app::today()),
            max_age_months,
        },
    );
    for p in &parsed.problems {
        println!("{p}");
    }
    let errors = parsed.errors().count();
    let warnings = parsed
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Warning)
        .count();
    let variants: usize = parsed
        .kb
        .entries
        .iter()
        .map(|e| e.all_questions().count())
        .sum();
    println!(
        "{}: {} files, {} entries, {} question variants; {errors} error(s), {warnings} warning(s)",
        config.knowledge.display(),
        files.len(),
        parsed.kb.entries.len(),
        variants
    );
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn list(config: &Config, as_json: bool) -> Result<ExitCode> {
    let files = files::read_knowledge_dir(&config.knowledge)?;
    let parsed = knowledge::parse(&files, CheckOptions::default());
    if as_json {
        let items: Vec<_> = parsed
            .kb
            .entries
            .iter()
            .map(|e| {
                json!({
                    "id": e.id,
                    "topic": e.topic,
                    "langs": e.langs().iter().map(|l| l.code()).collect::<Vec<_>>(),
                    "url": e.source.url,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
    } else {
        for e in &parsed.kb.entries {
            let langs: Vec<&str> = e.langs().iter().map(|l| l.code()).collect();
            println!(
                "{:<40} {:<7} {:<6} {}",
                e.id,
                e.topic,
                langs.join(","),
                e.source.url
            );
        }
    }
    if parsed.has_errors() {
        eprintln!("migbot: the knowledge files have errors; run `migbot kb check`");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn import(config: &Config) -> Result<ExitCode> {
    let files = files::read_knowledge_dir(&config.knowledge)?;
    let parsed = knowledge::parse(&files, CheckOptions::default());
    if parsed.has_errors() {
        for p in parsed.errors() {
            eprintln!("{p}");
        }
        eprintln!("migbot: not imported: the knowledge files have errors (the stored knowledge is unchanged)");
        return Ok(ExitCode::from(1));
    }
    let store = Store::open(&config.db, config.cache_bytes)?;
    match store.import(&files, &parsed.kb)? {
        ImportOutcome::Unchanged => {
            println!("unchanged: the database already holds these knowledge files")
        }
        ImportOutcome::Imported { entries } => {
            println!("imported {entries} entries into {}", config.db.display())
        }
    }
    Ok(ExitCode::SUCCESS)
}
