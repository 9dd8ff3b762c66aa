//! Long polling that loses no update and handles none twice, across crashes.
//!
//! Telegram keeps an update until a `getUpdates` call with a higher `offset` confirms it. teloxide's own
//! `Polling` confirms a batch as soon as it asks for the next one, before the handlers have finished, so a crash
//! loses the updates in hand. This listener confirms only up to the oldest update still being handled (the
//! [`Journal`] tracks them), so Telegram re-delivers what was not finished. An update whose reply is about to be
//! sent is marked handled in the database first ([`Ticket::commit`]), so a re-delivered update that was already
//! answered is skipped, not answered twice.
//!
//! The cost of "never twice": a crash between `commit` and the reply leaves that one reply unsent (an unanswered
//! question is still in the review queue, with its route, so staff's answer reaches the user).

use crate::store::Store;
use futures::stream::{self, BoxStream, StreamExt};
use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::errors::AsResponseParameters;
use teloxide::prelude::*;
use teloxide::requests::Request;
use teloxide::stop::{mk_stop_token, StopFlag, StopToken};
use teloxide::types::AllowedUpdate;
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};

use super::TgBot;

/// The longest pause between failed `getUpdates` calls (the pause doubles from one second).
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// When `getUpdates` brings nothing new (only updates still in hand), the next call waits until one of them is
/// finished, or this long: Telegram answers such a call at once, so without a pause the listener would spin.
const IN_HAND_PAUSE: Duration = Duration::from_millis(100);

/// Which updates are in hand, and the highest one seen, for this run of the bot.
pub struct Journal {
    store: Store,
    progress: Mutex<Progress>,
    /// Woken whenever an update is finished.
    finished: tokio::sync::Notify,
}

#[derive(Default)]
struct Progress {
    in_hand: BTreeSet<u32>,
    highest_seen: Option<u32>,
}

impl Journal {
    pub fn new(store: Store) -> Arc<Journal> {
        Arc::new(Journal {
            store,
            progress: Mutex::default(),
            finished: tokio::sync::Notify::new(),
        })
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a fetched update is to be handled now: not when this run already has it (Telegram sends an
    /// unconfirmed update again with every `getUpdates`), nor when an earlier run handled it.
    pub fn admit(&self, id: u32) -> bool {
        let mut p = self.progress();
        if p.highest_seen.is_some_and(|h| id <= h) {
            return false;
        }
        p.highest_seen = Some(id);
        match self.store.update_handled(id) {
            Ok(true) => {
                tracing::info!(update = id, "skipping an update handled before a restart");
                false
            }
            Ok(false) => {
                p.in_hand.insert(id);
                true
            }
            Err(e) => {
                // Better a possible duplicate than a lost question.
                tracing::error!(error = %e, update = id, "could not check whether an update was handled");
                p.in_hand.insert(id);
                true
            }
        }
    }

    /// The `offset` for the next `getUpdates`: it confirms every update below it, so it is the oldest update
    /// still in hand, or the one after the highest seen.
    pub fn offset(&self) -> Option<u32> {
        let p = self.progress();
        p.in_hand
            .first()
            .copied()
            .or(p.highest_seen.map(|h| h.saturating_add(1)))
    }

    fn finished(&self, id: u32) {
        self.progress().in_hand.remove(&id);
        self.finished.notify_waiters();
    }

    /// Telegram confirmed everything below `offset`: the marks of those updates are no longer needed.
    fn confirmed(&self, offset: u32) {
        if let Err(e) = self.store.forget_updates_below(offset) {
            tracing::warn!(error = %e, "could not forget confirmed updates");
        }
    }

    /// The ticket of an update being handled; the update is finished when the last clone is dropped.
    pub fn ticket(self: &Arc<Self>, id: u32) -> Ticket {
        Ticket(Arc::new(TicketInner {
            journal: Arc::clone(self),
            id,
            committed: AtomicBool::new(false),
        }))
    }
}

/// One update in hand. Handlers call [`Ticket::commit`] before they send the first reply.
#[derive(Clone)]
pub struct Ticket(Arc<TicketInner>);

struct TicketInner {
    journal: Arc<Journal>,
    id: u32,
    committed: AtomicBool,
}

tokio::task_local! {
    /// The ticket of the update the current handler task is working on.
    static CURRENT: Ticket;
}

/// Runs a handler with its update's ticket, so that every message it sends commits the update first
/// ([`commit_current`]), at the last moment before the send.
pub async fn handling<F: std::future::Future>(ticket: Ticket, handler: F) -> F::Output {
    CURRENT.scope(ticket, handler).await
}

/// Commits the update the current handler works on, if any (messages sent outside a handler have none).
pub async fn commit_current() {
    if let Ok(ticket) = CURRENT.try_with(Ticket::clone) {
        ticket.commit().await;
    }
}

impl Ticket {
    /// The question an earlier run queued for this update, if it is still in the queue: the handler confirms
    /// it instead of queueing it again.
    pub fn queued_before(&self) -> Option<u64> {
        let store = &self.0.journal.store;
        match store.update_state(self.0.id) {
            Ok(Some(crate::store::UpdateState::Queued(question))) => {
                store.has_question(question).ok().filter(|has| *has)?;
                Some(question)
            }
            _ => None,
        }
    }

    /// The update's id.
    pub fn update_id(&self) -> u32 {
        self.0.id
    }

    /// Marks the update handled without flushing: for a handler that flushes next anyway (an unanswered
    /// question is flushed before its confirmation), so that the question and the mark reach the disk together
    /// and a re-delivery after a crash cannot queue the question twice.
    pub fn mark(&self) {
        let store = &self.0.journal.store;
        if let Err(e) = store.mark_update_handled(self.0.id) {
            store.note_write_failure(&e);
        }
    }

    /// Marks the update handled and flushes the database (with whatever the handler wrote before), so that
    /// after a crash the update is not handled again. Only the first call does anything. A failed write is
    /// logged and reported by `/healthz`; the reply goes out anyway (answering matters more).
    pub async fn commit(&self) {
        if self.0.committed.swap(true, Ordering::SeqCst) {
            return;
        }
        self.mark();
        // A failed flush is noted by the store itself.
        let _ = self.0.journal.store.flush_async().await;
    }
}

impl Drop for TicketInner {
    fn drop(&mut self) {
        self.journal.finished(self.id);
    }
}

/// The listener handed to teloxide's dispatcher.
pub struct JournaledPolling {
    bot: TgBot,
    journal: Arc<Journal>,
    timeout: Duration,
    allowed: Option<Vec<AllowedUpdate>>,
    token: StopToken,
    flag: StopFlag,
}

impl JournaledPolling {
    pub fn new(bot: TgBot, journal: Arc<Journal>, timeout: Duration) -> Self {
        let (token, flag) = mk_stop_token();
        JournaledPolling {
            bot,
            journal,
            timeout,
            allowed: None,
            token,
            flag,
        }
    }
}

impl UpdateListener for JournaledPolling {
    type Err = teloxide::RequestError;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.allowed = Some(hint.collect());
    }
}

struct PollState {
    bot: TgBot,
    journal: Arc<Journal>,
    timeout: u32,
    allowed: Option<Vec<AllowedUpdate>>,
    flag: StopFlag,
    buffer: VecDeque<Update>,
    failures: u32,
    pause: Option<Duration>,
    stopped: bool,
}

impl<'a> AsUpdateStream<'a> for JournaledPolling {
    type StreamErr = teloxide::RequestError;
    type Stream = BoxStream<'a, Result<Update, teloxide::RequestError>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let state = PollState {
            bot: self.bot.clone(),
            journal: Arc::clone(&self.journal),
            timeout: u32::try_from(self.timeout.as_secs()).unwrap_or(10),
            allowed: self.allowed.clone(),
            flag: self.flag.clone(),
            buffer: VecDeque::new(),
            failures: 0,
            pause: None,
            stopped: false,
        };
        stream::unfold(state, next_update).boxed()
    }
}

/// The next update to handle, fetching when the buffer is empty; `None` once stopped.
async fn next_update(
    mut s: PollState,
) -> Option<(Result<Update, teloxide::RequestError>, PollState)> {
    loop {
        if let Some(update) = s.buffer.pop_front() {
            return Some((Ok(update), s));
        }
        if s.stopped || s.flag.is_stopped() {
            // Confirm what is finished, so that a clean restart does not fetch it again.
            let mut last = s.bot.get_updates().limit(1).timeout(0);
            if let Some(offset) = s.journal.offset() {
                last = last.offset(offset_param(offset));
            }
            let _ = last.send().await;
            return None;
        }
        if let Some(pause) = s.pause.take() {
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = s.flag.clone() => continue,
            }
        }
        let journal = Arc::clone(&s.journal);
        let finished = journal.finished.notified();
        tokio::pin!(finished);
        finished.as_mut().enable();
        let offset = s.journal.offset();
        let mut request = s.bot.get_updates().timeout(s.timeout);
        if let Some(offset) = offset {
            request = request.offset(offset_param(offset));
        }
        if let Some(allowed) = &s.allowed {
            request = request.allowed_updates(allowed.clone());
        }
        let fetched = tokio::select! {
            r = request.send() => r,
            _ = s.flag.clone() => { s.stopped = true; continue; }
        };
        match fetched {
            Ok(updates) => {
                s.failures = 0;
                if let Some(offset) = offset {
                    s.journal.confirmed(offset);
                }
                let fetched = updates.len();
                s.buffer
                    .extend(updates.into_iter().filter(|u| s.journal.admit(u.id.0)));
                if fetched > 0 && s.buffer.is_empty() {
                    tokio::select! {
                        _ = finished => {}
                        _ = tokio::time::sleep(IN_HAND_PAUSE) => {}
                        _ = s.flag.clone() => {}
                    }
                }
            }
            Err(e) => {
                s.pause = Some(match e.retry_after() {
                    Some(after) => after.duration(),
                    None => {
                        let pause = Duration::from_secs(1u64 << s.failures.min(5)).min(MAX_BACKOFF);
                        s.failures = s.failures.saturating_add(1);
                        pause
                    }
                });
                return Some((Err(e), s));
            }
        }
    }
}

fn offset_param(offset: u32) -> i32 {
    i32::try_from(offset).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal() -> (tempfile::TempDir, Arc<Journal>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db"), 1 << 20).unwrap();
        (dir, Journal::new(store))
    }

    #[test]
    fn the_offset_waits_for_the_oldest_update_in_hand() {
        let (_dir, j) = journal();
        assert_eq!(j.offset(), None);
        assert!(j.admit(10) && j.admit(11) && j.admit(12));
        let (t10, t11, t12) = (j.ticket(10), j.ticket(11), j.ticket(12));
        assert_eq!(j.offset(), Some(10));
        drop(t11);
        assert_eq!(j.offset(), Some(10), "11 is done but 10 is not");
        drop(t10);
        assert_eq!(j.offset(), Some(12));
        drop(t12);
        assert_eq!(j.offset(), Some(13));
    }

    #[test]
    fn a_re_delivered_update_is_not_admitted_twice() {
        let (_dir, j) = journal();
        assert!(j.admit(5));
        assert!(
            !j.admit(5),
            "Telegram re-sends unconfirmed updates with every getUpdates"
        );
        assert!(!j.admit(4), "below the highest seen: already had");
        assert!(j.admit(6));
    }

    #[tokio::test]
    async fn a_committed_update_is_skipped_after_a_restart_and_forgotten_once_confirmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let j = Journal::new(Store::open(&path, 1 << 20).unwrap());
            assert!(j.admit(7) && j.admit(8));
            j.ticket(7).commit().await;
            // 8 was fetched but not finished when the process died.
        }
        let store = Store::open(&path, 1 << 20).unwrap();
        let j = Journal::new(store.clone());
        assert!(!j.admit(7), "handled before the restart");
        assert!(j.admit(8), "not finished before the restart");
        j.confirmed(8);
        assert!(
            !store.update_handled(7).unwrap(),
            "confirmed by Telegram: the mark is dropped"
        );
    }
}
