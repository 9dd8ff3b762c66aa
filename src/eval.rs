//! Measuring the matcher on labelled questions (`tests/eval/*.toml`), beside the naive baseline.
//!
//! Pure: it takes the cases' text and a matcher, and returns figures. `migbot eval` prints them and a test
//! holds the tuning part above floors.

use crate::matcher::baseline::Baseline;
use crate::matcher::{Matcher, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The label for questions no entry answers.
pub const NONE: &str = "NONE";

/// One labelled question.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub q: String,
    pub expect: Vec<String>,
    pub kind: String,
    pub lang: String,
}

impl Case {
    pub fn in_scope(&self) -> bool {
        !self.expect.iter().any(|e| e == NONE)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Vec<Case>,
}

/// Parses an evaluation file.
pub fn parse_cases(content: &str) -> Result<Vec<Case>, String> {
    toml::from_str::<CaseFile>(content)
        .map(|f| f.case)
        .map_err(|e| e.to_string())
}

/// Counts for one group of cases.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Tally {
    pub cases: usize,
    pub in_scope: usize,
    pub none: usize,
    /// In-scope questions answered with a right entry.
    pub answered_right: usize,
    /// In-scope questions whose right entry was the answer or among the suggestions.
    pub found: usize,
    /// Answers with a wrong entry, or answers to a `NONE` question.
    pub false_answers: usize,
    /// `NONE` questions not answered with an entry.
    pub none_not_answered: usize,
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        f64::NAN
    } else {
        100.0 * n as f64 / d as f64
    }
}

impl Tally {
    pub fn answered_right_pct(&self) -> f64 {
        pct(self.answered_right, self.in_scope)
    }
    pub fn found_pct(&self) -> f64 {
        pct(self.found, self.in_scope)
    }
    pub fn false_answer_pct(&self) -> f64 {
        pct(self.false_answers, self.cases)
    }
    pub fn none_pct(&self) -> f64 {
        pct(self.none_not_answered, self.none)
    }

    fn add(&mut self, case: &Case, answered: Option<&str>, suggested: &[&str]) {
        self.cases += 1;
        let right = |id: &str| case.expect.iter().any(|e| e == id);
        if case.in_scope() {
            self.in_scope += 1;
            match answered {
                Some(id) if right(id) => {
                    self.answered_right += 1;
                    self.found += 1;
                }
                Some(_) => self.false_answers += 1,
                None if suggested.iter().any(|s| right(s)) => self.found += 1,
                None => {}
            }
        } else {
            self.none += 1;
            match answered {
                Some(_) => self.false_answers += 1,
                None => self.none_not_answered += 1,
            }
        }
    }
}

/// One case's result, for `--verbose` listings of misses.
#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    pub case: Case,
    pub outcome: String,
    pub entry: Option<String>,
    pub suggestions: Vec<String>,
    pub score: f64,
    pub ok: bool,
}

/// The figures for a set of cases: per kind and overall, for migbot and for the baseline.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub by_kind: BTreeMap<String, (Tally, Tally)>,
    pub overall: (Tally, Tally),
    pub smalltalk_recognised: usize,
    pub smalltalk_cases: usize,
    pub results: Vec<CaseResult>,
}

/// Runs every case through the matcher and, when given, the baseline.
pub fn evaluate(cases: &[Case], matcher: &Matcher, baseline: Option<&Baseline>) -> Report {
    let mut report = Report::default();
    for case in cases {
        let m = matcher.match_question(&case.q);
        let answered = m.outcome.entry();
        let suggested = m.outcome.suggestion_ids();
        let b = baseline.map(|b| b.match_question(&case.q));
        let b_answered = b.as_ref().and_then(|b| b.answered());
        let row = report.by_kind.entry(case.kind.clone()).or_default();
        row.0.add(case, answered, &suggested);
        row.1.add(case, b_answered, &[]);
        report.overall.0.add(case, answered, &suggested);
        report.overall.1.add(case, b_answered, &[]);
        if case.kind == "smalltalk" {
            report.smalltalk_cases += 1;
            if matches!(m.outcome, Outcome::Smalltalk { .. }) {
                report.smalltalk_recognised += 1;
            }
        }
        let ok = if case.in_scope() {
            answered.is_some_and(|a| case.expect.iter().any(|e| e == a))
        } else {
            answered.is_none()
        };
        report.results.push(CaseResult {
            case: case.clone(),
            outcome: m.outcome.name().to_string(),
            entry: answered.map(str::to_string),
            suggestions: suggested.iter().map(|s| s.to_string()).collect(),
            score: m.outcome.score(),
            ok,
        });
    }
    report
}

/// The report as a table: one row per kind, then overall, migbot beside the baseline.
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<11} {:>5} | {:>8} {:>8} {:>7} {:>7} | {:>8} {:>7} {:>7}\n",
        "kind", "cases", "right%", "found%", "false%", "none%", "base:rt%", "false%", "none%"
    ));
    let fmt = |x: f64| {
        if x.is_nan() {
            "-".to_string()
        } else {
            format!("{x:.1}")
        }
    };
    let mut row = |name: &str, (m, b): &(Tally, Tally)| {
        out.push_str(&format!(
            "{:<11} {:>5} | {:>8} {:>8} {:>7} {:>7} | {:>8} {:>7} {:>7}\n",
            name,
            m.cases,
            fmt(m.answered_right_pct()),
            fmt(m.found_pct()),
            fmt(m.false_answer_pct()),
            fmt(m.none_pct()),
            fmt(b.answered_right_pct()),
            fmt(b.false_answer_pct()),
            fmt(b.none_pct()),
        ));
    };
    for (kind, t) in &report.by_kind {
        row(kind, t);
    }
    row("OVERALL", &report.overall);
    out.push_str(&format!(
        "small talk recognised: {}/{}\n",
        report.smalltalk_recognised, report.smalltalk_cases
    ));
    out.push_str(
        "right% = in-scope answered with the right entry; found% = right entry answered or suggested;\n\
         false% = wrong answers (wrong entry, or an answer to a NONE question) of all cases;\n\
         none% = NONE questions not answered. base: the naive baseline (raw strsim, one threshold).\n",
    );
    out
}
