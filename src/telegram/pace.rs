//! Keeping within Telegram's sending limits: about 30 messages a second overall, about one a second in a chat,
//! and 20 a minute in a group (<https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this>).
//!
//! Each limit is a "generic cell rate algorithm": a message may go at `max(now, TAT - burst)`, where TAT, the
//! theoretical arrival time, moves on by the limit's interval with every message. A 429 that still comes is
//! waited out by the sender. `MIGBOT_THROTTLE=off` turns pacing off (load tests, a local Bot API server).
//!
//! The limits are per bot token, so per process: one pacer for the process.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Overall: 30 messages a second, a burst of 10 at once.
const OVERALL: Limit = Limit {
    interval: Duration::from_micros(33_334),
    burst: Duration::from_millis(333),
};
/// A private chat: one message a second, a burst of 3 (an answer split in parts).
const PRIVATE_CHAT: Limit = Limit {
    interval: Duration::from_secs(1),
    burst: Duration::from_secs(2),
};
/// A group: 20 messages a minute, a burst of 3.
const GROUP_CHAT: Limit = Limit {
    interval: Duration::from_secs(3),
    burst: Duration::from_secs(6),
};
/// Chats whose schedule is in the past are forgotten once the map holds this many.
const MAX_TRACKED_CHATS: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Limit {
    interval: Duration,
    burst: Duration,
}

/// The schedule of one process's messages.
#[derive(Debug)]
pub struct Pacer {
    enabled: bool,
    state: Mutex<Schedule>,
}

#[derive(Debug, Default)]
struct Schedule {
    overall: Option<Instant>,
    chats: HashMap<i64, Instant>,
}

impl Pacer {
    pub fn new(enabled: bool) -> Pacer {
        Pacer {
            enabled,
            state: Mutex::default(),
        }
    }

    /// Reserves the next slot for a message to `chat` asked for at `now`, and returns when it may be sent.
    pub fn reserve(&self, chat: i64, now: Instant) -> Instant {
        if !self.enabled {
            return now;
        }
        let chat_limit = if chat < 0 { GROUP_CHAT } else { PRIVATE_CHAT };
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let earliest = |tat: Option<Instant>, limit: Limit| {
            tat.and_then(|t| t.checked_sub(limit.burst))
                .map_or(now, |t| t.max(now))
        };
        let at =
            earliest(s.overall, OVERALL).max(earliest(s.chats.get(&chat).copied(), chat_limit));
        let advance =
            |tat: Option<Instant>, limit: Limit| tat.map_or(at, |t| t.max(at)) + limit.interval;
        s.overall = Some(advance(s.overall, OVERALL));
        let next = advance(s.chats.get(&chat).copied(), chat_limit);
        if s.chats.len() >= MAX_TRACKED_CHATS {
            s.chats.retain(|_, tat| *tat > now);
        }
        s.chats.insert(chat, next);
        at
    }
}

static PACER: OnceLock<Pacer> = OnceLock::new();

/// Turns pacing on or off for this process (once, at start; on when never called).
pub fn configure(enabled: bool) {
    let _ = PACER.set(Pacer::new(enabled));
}

/// Waits for the next slot to send a message to `chat`.
pub async fn wait(chat: i64) {
    let now = Instant::now();
    let at = PACER.get_or_init(|| Pacer::new(true)).reserve(chat, now);
    if at > now {
        tokio::time::sleep_until(at.into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[test]
    fn one_chat_gets_a_burst_then_one_message_a_second() {
        let p = Pacer::new(true);
        let t0 = Instant::now();
        let slots: Vec<u128> = (0..6).map(|_| ms(p.reserve(42, t0) - t0)).collect();
        assert_eq!(slots, vec![0, 0, 0, 1000, 2000, 3000]);
    }

    #[test]
    fn many_chats_share_thirty_a_second() {
        let p = Pacer::new(true);
        let t0 = Instant::now();
        let slots: Vec<Duration> = (0..100).map(|chat| p.reserve(chat, t0) - t0).collect();
        // A burst of about 10, then one every 33 ms: the 100th goes after about three seconds.
        assert_eq!(slots.iter().filter(|d| d.is_zero()).count(), 10);
        let last = slots[99];
        assert!(
            last > Duration::from_millis(2900) && last < Duration::from_millis(3100),
            "{last:?}"
        );
        assert!(slots.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn groups_get_twenty_a_minute() {
        let p = Pacer::new(true);
        let t0 = Instant::now();
        let slots: Vec<u128> = (0..5).map(|_| ms(p.reserve(-100, t0) - t0)).collect();
        assert_eq!(slots, vec![0, 0, 0, 3000, 6000]);
    }

    #[test]
    fn a_quiet_chat_gets_its_burst_back() {
        let p = Pacer::new(true);
        let t0 = Instant::now();
        for _ in 0..3 {
            p.reserve(7, t0);
        }
        let later = t0 + Duration::from_secs(10);
        assert_eq!(p.reserve(7, later), later);
    }

    #[test]
    fn off_means_now() {
        let p = Pacer::new(false);
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(p.reserve(1, t0), t0);
        }
    }
}
