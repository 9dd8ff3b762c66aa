//! The naive baseline every matching change is measured against: the best strsim score of the raw question
//! against every raw question variant, no normalisation, one fixed threshold. Its cost grows with the number
//! of variants, which is why the real matcher uses an index.

use crate::knowledge::KnowledgeBase;

/// The one threshold of the baseline (normalised Levenshtein similarity, 0 to 1).
pub const BASELINE_THRESHOLD: f64 = 0.6;

/// The baseline's verdict: the nearest entry and its similarity; answered when `score >= BASELINE_THRESHOLD`.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineResult {
    pub nearest: Option<String>,
    pub score: f64,
}

impl BaselineResult {
    pub fn answered(&self) -> Option<&str> {
        (self.score >= BASELINE_THRESHOLD)
            .then_some(self.nearest.as_deref())
            .flatten()
    }
}

/// A flat list of raw variants, built once.
#[derive(Clone, Debug)]
pub struct Baseline {
    variants: Vec<(String, usize)>,
    ids: Vec<String>,
}

impl Baseline {
    pub fn new(kb: &KnowledgeBase) -> Baseline {
        let mut variants = Vec::new();
        for (i, e) in kb.entries.iter().enumerate() {
            variants.extend(e.all_questions().map(|q| (q.to_string(), i)));
        }
        Baseline {
            variants,
            ids: kb.entries.iter().map(|e| e.id.clone()).collect(),
        }
    }

    pub fn match_question(&self, question: &str) -> BaselineResult {
        let mut best: Option<(f64, usize)> = None;
        for (v, e) in &self.variants {
            let s = strsim::normalized_levenshtein(question, v);
            if best.is_none_or(|(b, _)| s > b) {
                best = Some((s, *e));
            }
        }
        BaselineResult {
            nearest: best.map(|(_, e)| self.ids[e].clone()),
            score: best.map_or(0.0, |(s, _)| s),
        }
    }
}
