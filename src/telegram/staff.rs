//! Staff review inside Telegram: posting new question groups to the staff chat, staff replies delivered to
//! every waiting user, `/link`, `/dismiss`, `/pending`, `/stats`, and who may do any of it.
//!
//! Staff texts are in English (the staff's working language); what users receive comes from `texts.toml`.

use super::callback::Callback;
use super::render::escape;
use super::{deliver, send_answer_to, send_html_to, BotState, Knowledge, TgBot};
use crate::app;
use crate::knowledge::{KnowledgeBase, Lang};
use crate::review::{GroupStatus, ReviewGroup};
use crate::stats;
use crate::store::{LearnedVariant, Queued};
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageId, User};

/// Open groups shown per `/pending` page.
const PENDING_PAGE: usize = 10;

/// Who is staff: the staff chat, and admins by Telegram user id.
#[derive(Clone, Debug, Default)]
pub struct StaffConfig {
    pub chat: Option<ChatId>,
    pub admins: Vec<u64>,
}

impl StaffConfig {
    /// Staff commands and buttons work in the staff chat, or for an admin anywhere.
    pub fn allows(&self, chat: ChatId, from: Option<&User>) -> bool {
        self.chat == Some(chat) || from.is_some_and(|u| self.admins.contains(&u.id.0))
    }
}

/// The staff commands; anyone else who sends one is refused.
pub const STAFF_COMMANDS: &[&str] = &["pending", "link", "dismiss", "stats", "reload", "backup"];

/// Posts a group to the staff chat when it is new or its count crossed a repost threshold.
pub async fn notify(bot: &TgBot, state: &BotState, kb: &KnowledgeBase, queued: &Queued) {
    let Some(chat) = state.staff.chat else { return };
    if !(queued.new_group || queued.repost) {
        return;
    }
    let g = &queued.group;
    let head = if queued.new_group {
        format!("🆕 <b>Question #{}</b>", g.id)
    } else {
        format!("🔁 <b>Question #{} asked {} times</b>", g.id, g.count)
    };
    let nearest = g.nearest.as_deref().unwrap_or("none");
    let text = format!(
        "{head} ({})\n«{}»\nNearest entry: <code>{}</code> (score {:.2})\n\nReply to this message to answer everyone \
         waiting, or /link {} ENTRY, or /dismiss {}.",
        escape(&g.lang_mix()),
        escape(&g.text),
        escape(nearest),
        g.score,
        g.id,
        g.id
    );
    let mut row = Vec::new();
    if let Some(entry) = g.nearest.as_deref().filter(|e| kb.entry(e).is_some()) {
        row.push(InlineKeyboardButton::callback(
            format!("Answer with {entry}"),
            Callback::ReviewLink { group: g.id }.encode(),
        ));
    }
    row.push(InlineKeyboardButton::callback(
        "Dismiss",
        Callback::ReviewDismiss { group: g.id }.encode(),
    ));
    let request = bot
        .send_message(chat, text)
        .parse_mode(teloxide::types::ParseMode::Html)
        .reply_markup(InlineKeyboardMarkup::new(vec![row]));
    let sent = deliver(&request, chat).await;
    match sent {
        Ok(m) => {
            if let Err(e) = state.store.add_post(chat.0, m.id.0, g.id) {
                tracing::error!(error = %e, group = g.id, "could not remember the staff post");
            }
        }
        Err(e) => tracing::error!(error = %e, group = g.id, "could not post to the staff chat"),
    }
}

/// Handles a staff message: a reply to a group post, or a staff command. Returns false when it is neither.
pub async fn on_staff_message(
    bot: &TgBot,
    msg: &Message,
    state: &BotState,
    command: Option<(&str, &str)>,
    text: &str,
) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    if command.is_none() {
        let Some(replied) = msg.reply_to_message() else {
            return Ok(false);
        };
        let Some(group) = state.store.post_group(msg.chat.id.0, replied.id.0)? else {
            return Ok(false);
        };
        let sent = answer_group_with_text(bot, state, group, text).await?;
        reply(
            bot,
            msg,
            format!("Sent to {sent} waiting user(s); question #{group} is answered."),
        )
        .await?;
        return Ok(true);
    }
    let Some((name, args)) = command else {
        return Ok(false);
    };
    let args: Vec<&str> = args.split_whitespace().collect();
    match (name, args.as_slice()) {
        ("pending", rest) => {
            let page = rest
                .first()
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(1)
                .max(1);
            reply(bot, msg, pending_text(state, page)?).await?;
        }
        ("link", [group, entry]) => {
            let Some(group) = parse_group(group) else {
                reply(
                    bot,
                    msg,
                    "Usage: /link GROUP ENTRY (see /pending)".to_string(),
                )
                .await?;
                return Ok(true);
            };
            let answer = match link(bot, state, group, entry).await? {
                Ok(n) => format!("Linked #{group} to {entry}: {n} waiting user(s) answered; the same question is now answered at once."),
                Err(why) => why,
            };
            reply(bot, msg, answer).await?;
        }
        ("dismiss", [group]) => {
            let answer = match parse_group(group).map(|g| dismiss(state, g)).transpose()? {
                Some(true) => format!("Dismissed #{group}."),
                _ => format!("No open question #{group}."),
            };
            reply(bot, msg, answer).await?;
        }
        ("backup", _) => {
            let answer = match backup(state) {
                Ok((path, n)) => format!("Backup written: {} ({n} records).", path.display()),
                Err(e) => format!("Backup failed: {e}"),
            };
            tracing::info!(%answer, "backup requested by staff");
            reply(bot, msg, escape(&answer)).await?;
        }
        ("reload", _) => {
            let line = super::reload_and_report(bot, state).await;
            reply(bot, msg, escape(&line)).await?;
        }
        ("stats", _) => {
            let now = app::unix_now();
            let stale = state.knowledge().kb.stale_ids(
                &app::today(),
                crate::knowledge::parse::DEFAULT_MAX_AGE_MONTHS,
            );
            let report = stats::compute_for(
                now,
                7,
                &state.store.events_since(now.saturating_sub(7 * 86_400))?,
                &state.store.groups()?,
                &state.store.feedback()?,
                &stale,
            );
            reply(
                bot,
                msg,
                format!("<pre>{}</pre>", escape(&stats::render(&report))),
            )
            .await?;
        }
        _ => {
            reply(
                bot,
                msg,
                "Staff commands: /pending [PAGE], /link GROUP ENTRY, /dismiss GROUP, /stats, /reload, /backup. Reply to a question post to answer it.".to_string(),
            )
            .await?;
        }
    }
    Ok(true)
}

/// A staff button press: "Answer with <nearest entry>" or "Dismiss".
pub async fn on_staff_button(
    bot: &TgBot,
    state: &BotState,
    action: &Callback,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    Ok(match action {
        Callback::ReviewLink { group } => {
            let Some(entry) = state
                .store
                .group(*group)?
                .filter(ReviewGroup::is_open)
                .and_then(|g| g.nearest)
            else {
                return Ok("This question is no longer open.".to_string());
            };
            match link(bot, state, *group, &entry).await? {
                Ok(n) => format!("Linked to {entry}; {n} user(s) answered."),
                Err(why) => why,
            }
        }
        Callback::ReviewDismiss { group } => {
            if dismiss(state, *group)? {
                "Dismissed.".to_string()
            } else {
                "This question is no longer open.".to_string()
            }
        }
        _ => String::new(),
    })
}

/// Exports the database while the bot runs, next to it: `<db>-backup-<unix time>.jsonl`.
fn backup(
    state: &BotState,
) -> Result<(std::path::PathBuf, usize), Box<dyn std::error::Error + Send + Sync>> {
    let db = state.store.path();
    let name = format!(
        "{}-backup-{}.jsonl",
        db.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "migbot".to_string()),
        app::unix_now()
    );
    let path = db
        .parent()
        .map(|p| p.join(&name))
        .unwrap_or_else(|| name.into());
    let file = std::fs::File::create(&path)?;
    let mut out = std::io::BufWriter::new(file);
    let n = state.store.export(&mut out, app::unix_now())?;
    std::io::Write::flush(&mut out)?;
    Ok((path, n))
}

fn parse_group(s: &str) -> Option<u64> {
    s.trim_start_matches('#').parse().ok()
}

async fn reply(bot: &TgBot, msg: &Message, html: String) -> Result<(), teloxide::RequestError> {
    send_html_to(bot, msg.chat.id, Some(msg.id), html, None).await
}

fn pending_text(state: &BotState, page: usize) -> Result<String, crate::store::StoreError> {
    let open = state.store.open_groups()?;
    if open.is_empty() {
        return Ok("No open questions. 🎉".to_string());
    }
    let pages = open.len().div_ceil(PENDING_PAGE);
    let page = page.min(pages);
    let mut out = format!(
        "<b>Open questions</b> ({} groups), page {page}/{pages}, largest first:\n",
        open.len()
    );
    for g in open
        .iter()
        .skip((page - 1) * PENDING_PAGE)
        .take(PENDING_PAGE)
    {
        out.push_str(&format!(
            "\n<b>#{}</b> ×{} ({}) «{}» → {}",
            g.id,
            g.count,
            escape(&g.lang_mix()),
            escape(&g.text),
            escape(g.nearest.as_deref().unwrap_or("none"))
        ));
    }
    if page < pages {
        out.push_str(&format!("\n\nNext: /pending {}", page + 1));
    }
    Ok(out)
}

fn dismiss(state: &BotState, group: u64) -> Result<bool, crate::store::StoreError> {
    match state.store.group(group)? {
        Some(g) if g.is_open() => {
            state
                .store
                .set_group_status(group, GroupStatus::Dismissed)?;
            tracing::info!(group, "review group dismissed");
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Sends a staff member's words to every waiting user of a group, and marks it answered. Returns how many
/// users it reached.
async fn answer_group_with_text(
    bot: &TgBot,
    state: &BotState,
    group: u64,
    text: &str,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let kb = state.knowledge();
    let mut sent = 0;
    for (q, route) in state.store.group_routes(group)? {
        let html = format!(
            "<b>{}</b>\n{}",
            escape(kb.kb.texts.get("staff_answer_label", q.lang)),
            escape(text)
        );
        match send_html_to(
            bot,
            ChatId(route.chat_id),
            Some(MessageId(route.message_id)),
            html,
            None,
        )
        .await
        {
            Ok(()) => sent += 1,
            Err(e) => drop_route_if_blocked(state, q.id, &e),
        }
    }
    state.store.set_group_status(group, GroupStatus::Answered)?;
    tracing::info!(group, sent, "review group answered by staff");
    Ok(sent)
}

/// Teaches the bot a group's questions as variants of `entry`, and answers the waiting users with it.
/// The inner `Err` is a refusal to show staff (unknown group or entry).
async fn link(
    bot: &TgBot,
    state: &BotState,
    group: u64,
    entry: &str,
) -> Result<Result<usize, String>, Box<dyn std::error::Error + Send + Sync>> {
    let Some(g) = state.store.group(group)?.filter(ReviewGroup::is_open) else {
        return Ok(Err(format!("No open question #{group} (see /pending).")));
    };
    if state.knowledge().kb.entry(entry).is_none() {
        return Ok(Err(format!("No entry `{entry}` in the knowledge base.")));
    }
    let questions = state.store.group_questions(g.id)?;
    learn(
        state,
        entry,
        questions.iter().map(|q| (q.text.as_str(), q.lang)),
    )?;
    let routes = state.store.group_routes(group)?;
    let sent = deliver_entry(bot, state, routes, entry, false).await;
    state.store.set_group_status(
        group,
        GroupStatus::Linked {
            entry: entry.to_string(),
        },
    )?;
    tracing::info!(group, entry, sent, "review group linked");
    Ok(Ok(sent))
}

/// Stores learned variants and swaps in a matcher that knows them: the next question is matched with them.
pub fn learn<'a>(
    state: &BotState,
    entry: &str,
    questions: impl Iterator<Item = (&'a str, Lang)>,
) -> Result<(), crate::store::StoreError> {
    let mut guard = state.knowledge.write().unwrap_or_else(|p| p.into_inner());
    let mut next: Knowledge = (**guard).clone();
    for (text, lang) in questions {
        state.store.add_learned(&LearnedVariant {
            entry: entry.to_string(),
            text: text.to_string(),
            lang,
            time: app::unix_now(),
        })?;
        if let Err(e) = next.matcher.add_learned_variant(entry, text) {
            tracing::warn!(error = %e, entry, "learned variant not indexed");
        }
    }
    state.store.flush()?;
    *guard = Arc::new(next);
    Ok(())
}

/// Sends an entry's answer to waiting askers; returns how many it reached. A blocked user's route is dropped,
/// and with `drop_delivered` so is every route that worked.
async fn deliver_entry(
    bot: &TgBot,
    state: &BotState,
    routes: Vec<(crate::store::UnansweredQuestion, crate::store::ReplyRoute)>,
    entry: &str,
    drop_delivered: bool,
) -> usize {
    let kb = state.knowledge();
    let mut sent = 0;
    for (q, route) in routes {
        let result = send_answer_to(
            bot,
            ChatId(route.chat_id),
            Some(MessageId(route.message_id)),
            &kb.kb,
            entry,
            q.lang,
            None,
        )
        .await;
        match result {
            Ok(()) => {
                sent += 1;
                if drop_delivered {
                    let _ = state.store.remove_route(q.id);
                }
            }
            Err(e) => drop_route_if_blocked(state, q.id, &e),
        }
    }
    sent
}

/// A user who blocked the bot (403) cannot be answered: their route is dropped.
pub(crate) fn drop_route_if_blocked(state: &BotState, question: u64, e: &teloxide::RequestError) {
    state.metrics.telegram_error(e);
    if super::is_blocked(e) {
        tracing::info!(question, "the user blocked the bot; reply route dropped");
        if let Err(e) = state.store.remove_route(question) {
            tracing::error!(error = %e, "could not drop a reply route");
        }
    } else {
        tracing::warn!(question, error = %e, "could not send a message on a reply route");
    }
}

/// Delivers the answers of groups linked from the CLI while the bot was stopped.
pub async fn deliver_linked(bot: &TgBot, state: &BotState) {
    let Ok(groups) = state.store.groups() else {
        return;
    };
    for g in groups {
        let GroupStatus::Linked { entry } = &g.status else {
            continue;
        };
        let Ok(routes) = state.store.group_routes(g.id) else {
            continue;
        };
        deliver_entry(bot, state, routes, entry, true).await;
    }
}
