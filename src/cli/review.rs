//! `migbot review ...` and `migbot kb export-learned`: bulk staff work on the review queue from the shell.
//!
//! sled allows one process per database: while the bot runs these commands say so and point to the staff
//! commands in Telegram.

use super::ReviewCommand;
use crate::app::{self, Config};
use crate::knowledge::Lang;
use crate::review::{GroupStatus, ReviewGroup};
use crate::store::{LearnedVariant, Store, StoreError, UnansweredQuestion};
use anyhow::{bail, Result};
use serde_json::json;
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Opens the database for staff work, with a staff-specific message when the bot holds it.
fn open(config: &Config) -> Result<Store> {
    match Store::open(&config.db, config.cache_bytes) {
        Err(StoreError::Locked(path)) => bail!(
            "the database {} is in use by the running bot: use /pending, /link and /dismiss in the staff chat, or stop the bot first",
            path.display()
        ),
        other => Ok(other?),
    }
}

fn group_json(g: &ReviewGroup, questions: &[UnansweredQuestion]) -> serde_json::Value {
    json!({
        "id": g.id,
        "status": g.status,
        "count": g.count,
        "first_seen": g.first_seen,
        "last_seen": g.last_seen,
        "langs": g.langs,
        "nearest": g.nearest,
        "score": g.score,
        "text": g.text,
        "questions": questions.iter().map(|q| json!({
            "text": q.text,
            "time": q.time,
            "lang": q.lang,
            "reason": q.reason,
        })).collect::<Vec<_>>(),
    })
}

pub fn run(config: &Config, command: &ReviewCommand) -> Result<ExitCode> {
    let store = open(config)?;
    match command {
        ReviewCommand::List { json, all } => {
            let groups = if *all {
                store.groups()?
            } else {
                store.open_groups()?
            };
            if *json {
                let items: Vec<_> = groups
                    .iter()
                    .map(|g| Ok(group_json(g, &store.group_questions(g.id)?)))
                    .collect::<Result<_, StoreError>>()?;
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else if groups.is_empty() {
                println!("no open review groups");
            } else {
                for g in &groups {
                    println!(
                        "#{:<20} ×{:<4} {:<12} {:<10} {:<34} {}",
                        g.id,
                        g.count,
                        g.lang_mix(),
                        status_name(&g.status),
                        g.nearest.as_deref().unwrap_or("-"),
                        g.text
                    );
                }
            }
        }
        ReviewCommand::Show { group } => {
            let Some(g) = store.group(*group)? else {
                bail!("no review group #{group}: see `migbot review list`")
            };
            let questions = store.group_questions(g.id)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&group_json(&g, &questions))?
            );
        }
        ReviewCommand::Link { group, entry } => {
            let Some(g) = store.group(*group)?.filter(ReviewGroup::is_open) else {
                bail!("no open review group #{group}: see `migbot review list`")
            };
            let known = store
                .knowledge()?
                .is_some_and(|kb| kb.entry(entry).is_some());
            if !known {
                bail!("no entry `{entry}` in the imported knowledge base: see `migbot kb list`");
            }
            let questions = store.group_questions(g.id)?;
            for q in &questions {
                store.add_learned(&LearnedVariant {
                    entry: entry.clone(),
                    text: q.text.clone(),
                    lang: q.lang,
                    time: app::unix_now(),
                })?;
            }
            store.set_group_status_keep_routes(
                g.id,
                GroupStatus::Linked {
                    entry: entry.clone(),
                },
            )?;
            println!(
                "linked #{group} to {entry}: {} question(s) learned; the bot answers the waiting users at its next start",
                questions.len()
            );
        }
        ReviewCommand::Dismiss { group } => match store.group(*group)? {
            Some(g) if g.is_open() => {
                store.set_group_status(*group, GroupStatus::Dismissed)?;
                println!("dismissed #{group}");
            }
            _ => bail!("no open review group #{group}: see `migbot review list`"),
        },
        ReviewCommand::Export { format } => {
            let groups = store.groups()?;
            match format.as_str() {
                "json" => {
                    let items: Vec<_> = groups
                        .iter()
                        .map(|g| Ok(group_json(g, &store.group_questions(g.id)?)))
                        .collect::<Result<_, StoreError>>()?;
                    println!("{}", serde_json::to_string_pretty(&items)?);
                }
                "csv" => {
                    println!("group,status,count,nearest,score,time,lang,reason,text");
                    for g in &groups {
                        for q in store.group_questions(g.id)? {
                            println!(
                                "{},{},{},{},{:.3},{},{},{},{}",
                                g.id,
                                status_name(&g.status),
                                g.count,
                                csv(g.nearest.as_deref().unwrap_or("")),
                                g.score,
                                q.time,
                                q.lang,
                                q.reason,
                                csv(&q.text)
                            );
                        }
                    }
                }
                other => bail!("unknown format `{other}`: use csv or json"),
            }
        }
        ReviewCommand::Purge { older_than } => {
            let route_days = (*older_than).min(crate::telegram::ROUTE_RETENTION_DAYS as u64);
            let p = store.purge(app::unix_now(), *older_than, route_days)?;
            println!(
                "purged {} question(s), {} reply route(s) and {} group(s) older than {older_than} days (routes: {route_days} days)",
                p.questions, p.routes, p.groups
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn status_name(s: &GroupStatus) -> String {
    match s {
        GroupStatus::Open => "open".to_string(),
        GroupStatus::Answered => "answered".to_string(),
        GroupStatus::Linked { entry } => format!("linked:{entry}"),
        GroupStatus::Dismissed => "dismissed".to_string(),
    }
}

/// A CSV field, quoted when needed.
fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `migbot kb export-learned`: learned variants grouped by entry and language, as TOML staff can paste into the
/// entries' `questions` lists after review.
pub fn export_learned(config: &Config) -> Result<ExitCode> {
    let store = open(config)?;
    let mut by_entry: BTreeMap<String, BTreeMap<Lang, Vec<String>>> = BTreeMap::new();
    for v in store.learned()? {
        let list = by_entry
            .entry(v.entry)
            .or_default()
            .entry(v.lang)
            .or_default();
        if !list.contains(&v.text) {
            list.push(v.text);
        }
    }
    println!(
        "# Learned question variants, exported by `migbot kb export-learned` on {}.",
        app::today()
    );
    println!("# Review each one, then add it to the `questions` of that entry and language in knowledge/entries/.");
    for (entry, langs) in &by_entry {
        println!("\n[learned.{entry}]");
        for (lang, questions) in langs {
            let quoted: Vec<String> = questions.iter().map(|q| toml_string(q)).collect();
            println!("{lang} = [{}]", quoted.join(", "));
        }
    }
    if by_entry.is_empty() {
        println!("# (none yet)");
    }
    Ok(ExitCode::SUCCESS)
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
