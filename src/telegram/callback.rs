//! The data behind inline buttons: short, parsed strictly, rejected when forged or oversized.
//!
//! Telegram limits callback data to 64 bytes, so buttons carry ids (of entries, topics or pending questions),
//! never text. Anything that does not parse exactly is refused and changes nothing.

use crate::knowledge::Lang;

/// Telegram's limit on callback data, in bytes.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// What a button press asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callback {
    /// The list of topics.
    Topics,
    /// The entries of one topic.
    Topic(String),
    /// One entry's answer.
    Entry(String),
    /// Suggestion number `n` (0-based) of a pending question was chosen.
    Suggestion { pending: u64, n: usize },
    /// "None of these" for a pending question.
    NoneOfThese { pending: u64 },
    /// 👍 (`helpful`) or 👎 on the answer to a pending question.
    Feedback { pending: u64, helpful: bool },
    /// Set the language.
    Lang(Lang),
    /// Confirm `/forget`.
    Forget,
    /// Cancel `/forget`.
    KeepData,
    /// Staff: answer a review group with its nearest entry (and learn its questions).
    ReviewLink { group: u64 },
    /// Staff: dismiss a review group.
    ReviewDismiss { group: u64 },
}

impl Callback {
    /// The callback data for this button. Entry and topic ids are short kebab-case, well under the limit.
    pub fn encode(&self) -> String {
        match self {
            Callback::Topics => "t".to_string(),
            Callback::Topic(t) => format!("t:{t}"),
            Callback::Entry(id) => format!("e:{id}"),
            Callback::Suggestion { pending, n } => format!("s:{pending}:{n}"),
            Callback::NoneOfThese { pending } => format!("n:{pending}"),
            Callback::Feedback { pending, helpful } => {
                format!("f:{pending}:{}", if *helpful { "u" } else { "d" })
            }
            Callback::Lang(l) => format!("l:{}", l.code()),
            Callback::Forget => "x:yes".to_string(),
            Callback::KeepData => "x:no".to_string(),
            Callback::ReviewLink { group } => format!("ra:{group}"),
            Callback::ReviewDismiss { group } => format!("rd:{group}"),
        }
    }

    /// Parses callback data; `None` for anything forged, malformed or oversized.
    pub fn parse(data: &str) -> Option<Callback> {
        if data.is_empty() || data.len() > MAX_CALLBACK_BYTES {
            return None;
        }
        let is_id = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        let number = |s: &str| -> Option<u64> {
            (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let mut parts = data.split(':');
        let kind = parts.next()?;
        let a = parts.next();
        let b = parts.next();
        if parts.next().is_some() {
            return None;
        }
        match (kind, a, b) {
            ("t", None, None) => Some(Callback::Topics),
            ("t", Some(t), None) if is_id(t) => Some(Callback::Topic(t.to_string())),
            ("e", Some(id), None) if is_id(id) => Some(Callback::Entry(id.to_string())),
            ("s", Some(p), Some(n)) => {
                let n = number(n)? as usize;
                (n < 3).then_some(Callback::Suggestion {
                    pending: number(p)?,
                    n,
                })
            }
            ("n", Some(p), None) => Some(Callback::NoneOfThese {
                pending: number(p)?,
            }),
            ("f", Some(p), Some("u")) => Some(Callback::Feedback {
                pending: number(p)?,
                helpful: true,
            }),
            ("f", Some(p), Some("d")) => Some(Callback::Feedback {
                pending: number(p)?,
                helpful: false,
            }),
            ("l", Some(code), None) => Lang::from_code(code).map(Callback::Lang),
            ("x", Some("yes"), None) => Some(Callback::Forget),
            ("x", Some("no"), None) => Some(Callback::KeepData),
            ("ra", Some(g), None) => Some(Callback::ReviewLink { group: number(g)? }),
            ("rd", Some(g), None) => Some(Callback::ReviewDismiss { group: number(g)? }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_callback_round_trips_within_the_limit() {
        let all = [
            Callback::Topics,
            Callback::Topic("work".into()),
            Callback::Entry("eaeu-no-labour-market-restrictions".into()),
            Callback::Suggestion {
                pending: u64::MAX,
                n: 2,
            },
            Callback::NoneOfThese { pending: 7 },
            Callback::Feedback {
                pending: 7,
                helpful: true,
            },
            Callback::Feedback {
                pending: 7,
                helpful: false,
            },
            Callback::Lang(Lang::Ru),
            Callback::Forget,
            Callback::KeepData,
            Callback::ReviewLink { group: 12 },
            Callback::ReviewDismiss { group: u64::MAX },
        ];
        for c in all {
            let data = c.encode();
            assert!(data.len() <= MAX_CALLBACK_BYTES, "{data}");
            assert_eq!(Callback::parse(&data), Some(c), "{data}");
        }
    }

    #[test]
    fn forged_malformed_or_oversized_data_is_rejected() {
        for bad in [
            "",
            "z",
            "e:",
            "e:Bad_Id",
            "e:<script>",
            "s:1:9",
            "s:x:1",
            "s:1",
            "f:1:maybe",
            "l:de",
            "t:work:extra",
            "x:perhaps",
            "n:99999999999999999999999",
            &"e:".repeat(40),
        ] {
            assert_eq!(Callback::parse(bad), None, "{bad:?} should be rejected");
        }
    }
}
