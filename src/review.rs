//! The staff review queue's rules: which unanswered questions belong together, and when staff hear of a group.
//!
//! Pure: it decides from texts and counts. The store keeps the groups; the Telegram adapter posts them.

use crate::knowledge::Lang;
use crate::text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Two questions whose folded texts are at least this similar (normalised Levenshtein, 0 to 1) are one group.
pub const SAME_GROUP_SIMILARITY: f64 = 0.85;
/// ...or whose sets of words overlap at least this much (Jaccard), for the same words in another order.
pub const SAME_GROUP_WORD_OVERLAP: f64 = 0.8;
/// A group is posted to the staff chat when it is new, and again when its count reaches one of these.
pub const REPOST_AT_COUNTS: [u32; 3] = [5, 20, 100];

/// Where a group stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum GroupStatus {
    /// Waiting for staff.
    Open,
    /// Staff replied in their own words.
    Answered,
    /// Staff linked it to an entry; its questions became learned variants of that entry.
    Linked { entry: String },
    /// Staff decided it needs no answer.
    Dismissed,
}

/// Similar unanswered questions, reviewed together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewGroup {
    pub id: u64,
    /// The first question's text as asked: what staff see.
    pub text: String,
    /// The first question's folded text: what later questions are compared with.
    pub folded: String,
    pub count: u32,
    pub first_seen: u64,
    pub last_seen: u64,
    /// How many questions of the group came in each language.
    pub langs: BTreeMap<Lang, u32>,
    pub nearest: Option<String>,
    pub score: f64,
    pub status: GroupStatus,
}

impl ReviewGroup {
    pub fn is_open(&self) -> bool {
        self.status == GroupStatus::Open
    }

    /// "en 3, ru 1".
    pub fn lang_mix(&self) -> String {
        self.langs
            .iter()
            .map(|(l, n)| format!("{l} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether a new question (folded) belongs to a group whose first question is `group_folded`.
pub fn same_group(question_folded: &str, group_folded: &str) -> bool {
    if question_folded == group_folded {
        return true;
    }
    if question_folded.is_empty() || group_folded.is_empty() {
        return false;
    }
    if strsim::normalized_levenshtein(question_folded, group_folded) >= SAME_GROUP_SIMILARITY {
        return true;
    }
    let a: std::collections::BTreeSet<&str> = text::words(question_folded).collect();
    let b: std::collections::BTreeSet<&str> = text::words(group_folded).collect();
    let inter = a.intersection(&b).count() as f64;
    let union = a.union(&b).count() as f64;
    union > 0.0 && inter / union >= SAME_GROUP_WORD_OVERLAP
}

/// Whether growing from `before` to `after` questions crosses a repost count.
pub fn crosses_repost(before: u32, after: u32) -> bool {
    REPOST_AT_COUNTS.iter().any(|&n| before < n && after >= n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(a: &str, b: &str, expected: bool) {
        assert_eq!(
            same_group(&text::fold(a), &text::fold(b)),
            expected,
            "{a:?} ~ {b:?}"
        );
    }

    #[test]
    fn similar_questions_group_together() {
        check("How do I get a SIM card?", "how do i get a sim card", true);
        check("how do i get a sim-card", "how do i get a sim card?", true);
        check("sim card how do i get", "how do i get sim card", true);
        check(
            "where to buy a sim card",
            "how do I open a bank account",
            false,
        );
        check("визу", "виза", false);
    }

    #[test]
    fn reposts_happen_when_counts_cross_thresholds() {
        assert!(!crosses_repost(1, 2));
        assert!(crosses_repost(4, 5));
        assert!(!crosses_repost(5, 6));
        assert!(crosses_repost(19, 20));
        assert!(crosses_repost(99, 100));
    }
}
