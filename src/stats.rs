//! Statistics for staff and operators: answered and unanswered shares, top entries, top open groups, feedback.
//!
//! Pure: computed from the recorded events, groups and feedback that the caller reads from the store.

use crate::review::ReviewGroup;
use crate::store::{Feedback, QuestionEvent};
use serde::Serialize;
use std::collections::BTreeMap;

/// How many top entries and open groups a report lists.
pub const TOP: usize = 5;

/// Counts of outcomes in a period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    pub questions: usize,
    pub answered: usize,
    pub suggestions: usize,
    pub unanswered: usize,
    pub smalltalk: usize,
}

impl Counts {
    fn add(&mut self, outcome: &str) {
        self.questions += 1;
        match outcome {
            "answered" => self.answered += 1,
            "suggestions" => self.suggestions += 1,
            "unanswered" => self.unanswered += 1,
            _ => self.smalltalk += 1,
        }
    }

    /// Share of answered among questions that were not small talk, in percent.
    pub fn answered_share(&self) -> f64 {
        let asked = self.answered + self.suggestions + self.unanswered;
        if asked == 0 {
            0.0
        } else {
            100.0 * self.answered as f64 / asked as f64
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StatsReport {
    /// Since 00:00 UTC today.
    pub today: Counts,
    /// In the whole period given.
    pub period: Counts,
    pub period_days: u64,
    pub top_entries: Vec<(String, usize)>,
    /// (group id, count, text) of the largest open groups.
    pub top_open_groups: Vec<(u64, u32, String)>,
    pub open_groups: usize,
    pub feedback_up: usize,
    pub feedback_down: usize,
    /// Entries whose `last_verified` is older than the configured age.
    pub stale_entries: Vec<String>,
}

/// Builds the report for the `period_days` days ending at `now` (seconds since 1970).
pub fn compute_for(
    now: u64,
    period_days: u64,
    events: &[QuestionEvent],
    groups: &[ReviewGroup],
    feedback: &[Feedback],
    stale: &[String],
) -> StatsReport {
    let since = now.saturating_sub(period_days * 86_400);
    let day_start = now - now % 86_400;
    let mut report = StatsReport {
        period_days,
        ..StatsReport::default()
    };
    let mut by_entry: BTreeMap<&str, usize> = BTreeMap::new();
    for e in events.iter().filter(|e| e.time >= since) {
        report.period.add(&e.outcome);
        if e.time >= day_start {
            report.today.add(&e.outcome);
        }
        if let (Some(id), "answered") = (e.entry.as_deref(), e.outcome.as_str()) {
            *by_entry.entry(id).or_insert(0) += 1;
        }
    }
    let mut top: Vec<(String, usize)> = by_entry
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(TOP);
    report.top_entries = top;
    let mut open: Vec<&ReviewGroup> = groups.iter().filter(|g| g.is_open()).collect();
    report.open_groups = open.len();
    open.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_seen.cmp(&a.last_seen)));
    report.top_open_groups = open
        .iter()
        .take(TOP)
        .map(|g| (g.id, g.count, g.text.clone()))
        .collect();
    for f in feedback.iter().filter(|f| f.time >= since) {
        if f.helpful {
            report.feedback_up += 1;
        } else {
            report.feedback_down += 1;
        }
    }
    report.stale_entries = stale.to_vec();
    report
}

/// The report as a plain-text table.
pub fn render(r: &StatsReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<22} {:>8} {:>8}\n",
        "",
        "today",
        format!("{}d", r.period_days)
    ));
    for (name, t, p) in [
        ("questions", r.today.questions, r.period.questions),
        ("answered", r.today.answered, r.period.answered),
        ("suggestions", r.today.suggestions, r.period.suggestions),
        ("unanswered", r.today.unanswered, r.period.unanswered),
        ("small talk", r.today.smalltalk, r.period.smalltalk),
    ] {
        out.push_str(&format!("{name:<22} {t:>8} {p:>8}\n"));
    }
    out.push_str(&format!(
        "{:<22} {:>7.1}% {:>7.1}%\n",
        "answered share",
        r.today.answered_share(),
        r.period.answered_share()
    ));
    out.push_str(&format!(
        "feedback ({}d): 👍 {}  👎 {}\n",
        r.period_days, r.feedback_up, r.feedback_down
    ));
    out.push_str("top entries:\n");
    for (id, n) in &r.top_entries {
        out.push_str(&format!("  {n:>5}  {id}\n"));
    }
    out.push_str(&format!("open review groups: {}\n", r.open_groups));
    for (id, n, text) in &r.top_open_groups {
        let short: String = text.chars().take(60).collect();
        out.push_str(&format!("  #{id} ×{n}  {short}\n"));
    }
    if !r.stale_entries.is_empty() {
        out.push_str(&format!(
            "stale entries (re-check the source): {}\n",
            r.stale_entries.join(", ")
        ));
    }
    out
}
