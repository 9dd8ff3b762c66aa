//! The matcher: from a migrant's question to an honest outcome (answered, suggestions, unanswered, small talk).
//!
//! It owns the index over the knowledge base's question variants and the decision rule. It never touches
//! sled, Telegram, files or the clock: it takes a [`KnowledgeBase`] value and questions as strings, and returns
//! plain [`MatchResult`] values with a [`Why`] that explains them.
//!
//! How a question is matched:
//! 1. `analyze` folds and splits it, maps Latin-typed Russian to Cyrillic where the vocabulary says so,
//!    applies synonyms, drops stop words and stems; an unknown word gets its nearest vocabulary word (`vocab`).
//! 2. An inverted index (term → variants) gives the candidate variants: only variants sharing a term are scored,
//!    so the cost follows the number of matching variants, not the size of the knowledge base.
//! 3. Each candidate's score blends IDF-weighted term coverage (of the variant and of the question) with strsim
//!    similarity of the folded texts (a Latin-typed Russian question in Cyrillic), for the best few candidates.
//!    In a message of several sentences, the words of the sentences that ask weigh more.
//! 4. `decide` answers only when the best entry clears [`Params::answer_threshold`] and beats the runner-up by
//!    [`Params::answer_margin`]; otherwise it suggests or says it does not know. A long message is also answered
//!    when its asking sentences alone would be answered with confidence by the entry the whole message ranks first.

mod analyze;
pub mod baseline;
mod gaps;
mod similarity;
mod variants;
pub mod vocab;

use crate::knowledge::{Entry, KnowledgeBase, Lang, SmalltalkKind};
use crate::text;
use analyze::{Analysis, Reading};
use serde::Serialize;
use similarity::Pattern;
use std::cell::RefCell;
use std::collections::HashMap;
use variants::Variants;
use vocab::{TermId, Vocabulary};

/// The numbers that shape matching, with their defaults below. Scores run from 0 to 1.
/// Tuned on `tests/eval/tune-*.toml` and `tests/eval/dev-*.toml` only (never on the held-out files); see the
/// README's "Matching" section.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Params {
    /// An entry is answered only when its score is at least this...
    pub answer_threshold: f64,
    /// ...and only when it beats the best other entry by at least this much.
    pub answer_margin: f64,
    /// The best variant must cover at least this share of its own term weight for an answer: a question that
    /// touches one word of a long variant is not answered by it.
    pub min_variant_coverage: f64,
    /// The question must name at least one word that this share of the entry's variants use (a word the entry
    /// is really about), not only words of one stray variant. The word need not be in the best variant: a
    /// question that asks in the words of one variant and names the entry's subject in another's ("...ride to
    /// the border every three months? I have a contract") is still about the entry.
    pub min_core_share: f64,
    /// A clear winner is answered at a lower score: at least this...
    pub clear_winner_threshold: f64,
    /// ...when it beats the best other entry by at least this much.
    pub clear_winner_margin: f64,
    /// Entries scoring at least this are offered as suggestions when the bot is not sure.
    pub suggest_threshold: f64,
    /// Suggestions are taken only within this distance of the best entry's score.
    pub suggest_window: f64,
    /// Weight of the variant's coverage (share of the best variant's term weight the question matched).
    pub variant_coverage_weight: f64,
    /// Weight of the question's coverage by the best variant (share of the question's weight it matched).
    pub question_coverage_weight: f64,
    /// Weight of the question's coverage by the whole entry (all its variants and tags together).
    /// The three coverage weights sum to 1.
    pub entry_coverage_weight: f64,
    /// Weight of the lexical score in the final score; the rest is strsim similarity of the folded texts.
    pub lexical_weight: f64,
    /// An unknown question word weighs this fraction of the weight of a word that occurs in one entry only...
    pub unknown_word_weight: f64,
    /// ...and the unknown words of one question count at most this many times (long stories stay answerable).
    pub unknown_word_cap: f64,
    /// A fuzzy-matched word counts this much less per edit.
    pub fuzzy_penalty_per_edit: f64,
    /// In a message of several sentences, a word of the asking sentences (`focus_sentences`) weighs this many
    /// times its usual weight in the question's coverage (1 = no emphasis): the story around a question gives
    /// context, the question says what is asked.
    pub focus_weight: f64,
    /// A long message (at least `LONG_MESSAGE_TERMS` words the matcher reads) scores lower than a short question
    /// on the same topic (its story dilutes the coverage, its length the similarity): its clear winner is answered
    /// from this score (with the same `clear_winner_margin`).
    pub long_winner_threshold: f64,
    /// A near-tie is broken by coverage: an entry scoring at least `answer_threshold` is answered with a margin of
    /// only this much...
    pub lead_margin: f64,
    /// ...when its variants together cover at least this much more of the question than the runner-up's do
    /// (entry coverage)...
    pub lead_entry_coverage: f64,
    /// ...and the question names a word the entry is really about: a core share of at least this.
    pub lead_core_share: f64,
    /// A question whose terms have more postings than this (variants and entries together) walks only part of
    /// them (`Matcher::gather_capped`), so its cost stops growing with the knowledge base; it then answers only
    /// when its margin also holds over what a variant left unwalked could score (`Why::unwalked_ceiling`). Below
    /// it, every variant sharing a term with the question is scored. The default, `usize::MAX`, always walks
    /// them all; [`SUGGESTED_POSTING_BUDGET`] is for knowledge bases of tens of thousands of entries, where it
    /// answers a large base's questions many times faster but turns some answers into suggestions (never into
    /// other answers; BENCHMARKS.md).
    pub posting_budget: usize,
}

/// The tuned defaults.
pub const DEFAULT_PARAMS: Params = Params {
    answer_threshold: 0.5,
    answer_margin: 0.09,
    min_variant_coverage: 0.25,
    min_core_share: 0.07,
    clear_winner_threshold: 0.44,
    clear_winner_margin: 0.12,
    suggest_threshold: 0.34,
    suggest_window: 0.25,
    variant_coverage_weight: 0.4,
    question_coverage_weight: 0.3,
    entry_coverage_weight: 0.3,
    lexical_weight: 0.85,
    unknown_word_weight: 0.8,
    unknown_word_cap: 2.0,
    fuzzy_penalty_per_edit: 0.2,
    focus_weight: 3.0,
    long_winner_threshold: 0.38,
    lead_margin: 0.04,
    lead_entry_coverage: 0.15,
    lead_core_share: 0.3,
    posting_budget: usize::MAX,
};

impl Params {
    /// Whether a posting budget is set (the walk may be capped, and postings are kept lightest first).
    fn budgeted(&self) -> bool {
        self.posting_budget != usize::MAX
    }

    /// A candidate's score from its lexical score and its similarity (`lexical_weight` of the first).
    fn score(&self, lexical: f64, similarity: f64) -> f64 {
        self.lexical_weight * lexical + (1.0 - self.lexical_weight) * similarity
    }
}

impl Default for Params {
    fn default() -> Self {
        DEFAULT_PARAMS
    }
}

/// At most this many suggestions.
pub const MAX_SUGGESTIONS: usize = 3;
/// `decide` reads the best entries of a ranking only: the best, the runner-up and the suggestions (which, being
/// the entries above a score, are always the first ones).
const DECIDING_ENTRIES: usize = if MAX_SUGGESTIONS > 2 {
    MAX_SUGGESTIONS
} else {
    2
};
/// A [`Params::posting_budget`] for large knowledge bases (`MIGBOT_POSTING_BUDGET`; the default walks every
/// posting): measured in BENCHMARKS.md ("With a posting budget") at 1,000 to 100,000 entries.
pub const SUGGESTED_POSTING_BUDGET: usize = 8_000;
/// After a capped walk ([`Params::posting_budget`]), this many of the best candidates by their partial sums are
/// scored exactly, and only they can be admitted to re-ranking.
const EXACT_HEAD: usize = 16 * RERANK_CANDIDATES;
/// The full walk (`Matcher::walk_in_blocks`) adds the postings of this many variant numbers at a time.
const WALK_BLOCK: u32 = 2048;
/// The full walk keeps its first round of candidates in a heap (`keep_best`) only when it touched more than this
/// many times as many variants: with fewer (a knowledge base of hundreds of entries), selecting them all is
/// cheaper, and their best often come from few entries and would need the second try.
const KEEP_BEST_FROM: usize = 8;
/// Only this many best lexical candidates get the (costlier) strsim comparison.
pub const RERANK_CANDIDATES: usize = 24;
/// `Matcher::rank` first sorts this many of the best lexical candidates (enough to admit `RERANK_CANDIDATES`
/// unless many come from the same entries), then four times as many, and so on.
const FIRST_SORTED: usize = 4 * RERANK_CANDIDATES;
/// Questions longer than this many characters are cut before matching (Telegram allows 4096).
pub const MAX_QUESTION_CHARS: usize = 1000;
/// The asking sentences of a longer message are emphasised together with the sentences before them until they
/// name at least this many distinct vocabulary terms.
pub const MIN_FOCUS_TERMS: usize = 2;
/// A small-talk message with at most this many other words and no question mark (a question about the bot itself
/// may have one) is still small talk when no variant could answer those words (no variant has
/// `STRAY_WORDS_COVERAGE` of its weight in them).
pub const MAX_SMALLTALK_EXTRA_WORDS: usize = 2;
/// The variant coverage below which the stray words of a small-talk message could not be answered. It was
/// `Params::min_variant_coverage` until that gate was lowered to 0.25 for questions; at 0.25 "thanks" with a
/// stray word or two is offered suggestions instead of a polite reply, so small talk keeps 0.3.
pub const STRAY_WORDS_COVERAGE: f64 = 0.3;
/// A message with at least this many content words (vocabulary terms and unknown words) is long
/// (`Params::long_winner_threshold`).
pub const LONG_MESSAGE_TERMS: usize = 10;
/// Only this many words of a question are matched.
pub const MAX_QUESTION_WORDS: usize = 80;

/// What the bot should do with a question.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// One entry answers it with confidence.
    Answered { entry: String, score: f64 },
    /// Plausible entries, best first; the bot is not sure.
    Suggestions { entries: Vec<Scored> },
    /// No entry is close enough; `nearest` is the best there was.
    Unanswered { nearest: Option<Scored> },
    /// A greeting, thanks, goodbye, acknowledgement or question about the bot itself: never answered with an entry,
    /// never logged.
    Smalltalk { kind: SmalltalkKind },
}

impl Outcome {
    /// `answered`, `suggestions`, `unanswered` or `smalltalk`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Answered { .. } => "answered",
            Outcome::Suggestions { .. } => "suggestions",
            Outcome::Unanswered { .. } => "unanswered",
            Outcome::Smalltalk { .. } => "smalltalk",
        }
    }

    /// The answered entry, if any.
    pub fn entry(&self) -> Option<&str> {
        match self {
            Outcome::Answered { entry, .. } => Some(entry),
            _ => None,
        }
    }

    /// The score that led to the outcome (the best candidate's, or 0 for small talk).
    pub fn score(&self) -> f64 {
        match self {
            Outcome::Answered { score, .. } => *score,
            Outcome::Suggestions { entries } => entries.first().map_or(0.0, |s| s.score),
            Outcome::Unanswered { nearest } => nearest.as_ref().map_or(0.0, |s| s.score),
            Outcome::Smalltalk { .. } => 0.0,
        }
    }

    /// Suggested entry ids, best first.
    pub fn suggestion_ids(&self) -> Vec<&str> {
        match self {
            Outcome::Suggestions { entries } => entries.iter().map(|s| s.entry.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

/// An entry with its score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scored {
    pub entry: String,
    pub score: f64,
}

/// The result of matching one question.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatchResult {
    pub outcome: Outcome,
    /// The language the question is written in, when the text tells (Latin-typed Russian is Russian).
    pub detected_lang: Option<Lang>,
    pub why: Why,
}

/// Why the matcher decided what it decided: for staff, `ask --json` and debug logs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Why {
    /// How each word of the question was read.
    pub words: Vec<WordWhy>,
    /// The best candidate entry, with its score parts.
    pub best: Option<CandidateWhy>,
    /// The best other entry.
    pub runner_up: Option<CandidateWhy>,
    /// The rule that decided, in words.
    pub decision: String,
    /// In a message of several sentences, the sentences that ask (their words weigh `Params::focus_weight` times
    /// more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<String>,
    /// When the question's words are so common that not every variant using them was scored
    /// ([`Params::posting_budget`]): the highest score one of the others could reach. An answer must beat it by the margin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unwalked_ceiling: Option<f64>,
    /// A topic no entry answers (`knowledge/gaps.toml`) that the question asks about and the best entry does not
    /// speak of: it keeps that entry from being the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<String>,
}

/// How one word of the question was read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WordWhy {
    pub word: String,
    /// `exact`, `latin-russian`, `synonym`, `fuzzy`, `stopword`, `smalltalk` or `unknown`.
    pub how: &'static str,
    /// The vocabulary term it became, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edits: Option<usize>,
}

/// One candidate entry and its score parts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CandidateWhy {
    pub entry: String,
    /// The question variant that matched best, as the matcher compared it (folded: lower case, without
    /// punctuation).
    pub variant: String,
    /// Whether that variant was learned from staff review.
    pub learned: bool,
    pub matched_terms: Vec<String>,
    /// Share of the variant's term weight the question matched.
    pub variant_coverage: f64,
    /// Share of the question's term weight the variant matched.
    pub question_coverage: f64,
    /// Share of the question's term weight the entry's variants and tags matched together.
    pub entry_coverage: f64,
    /// The largest share of the entry's variants that use one of the question's words.
    pub core_share: f64,
    pub lexical: f64,
    /// strsim similarity of the folded question and variant.
    pub similarity: f64,
    pub score: f64,
}

/// Errors from changing the matcher at run time.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MatcherError {
    /// A learned variant names an entry that does not exist (it may have been removed from the files).
    #[error("no entry `{0}` in the knowledge base")]
    UnknownEntry(String),
    /// A learned variant has no words left after normalisation.
    #[error("the question has no words to match")]
    EmptyVariant,
}

/// The index over a knowledge base. Build it once per knowledge base; add learned variants as staff teach them.
#[derive(Clone, Debug)]
pub struct Matcher {
    entry_ids: Vec<String>,
    entry_index: HashMap<String, u32>,
    vocab: Vocabulary,
    variants: Variants,
    /// For each term, the variants that use it: by variant number, or, under a [`Params::posting_budget`],
    /// lightest first (by `variant_weight`: the variants to which the term matters most, whose head a question
    /// over the budget walks) (`Matcher::order_postings`).
    postings: Vec<Vec<u32>>,
    /// For each term, the entries whose variants use it (sorted), for IDF.
    term_entries: Vec<Vec<u32>>,
    /// Per entry, how many of its variants use each term (sorted by term; a term of its tags only counts 0): the
    /// words an entry is really about recur in its variants.
    entry_term_variants: Vec<Vec<(TermId, u32)>>,
    /// How many variants each entry has.
    entry_variants: Vec<u32>,
    /// Inverse document frequency of each term (`idf_of`), kept up to date as learned variants add terms.
    idf: Vec<f64>,
    /// Each variant's term weight (the sum of its terms' IDF, in the order of its (sorted) terms) beside its
    /// entry: `rank` reads both for every variant a question touches, so one random read fetches both.
    variant_weight: Vec<Weighed>,
    synonyms: analyze::Synonyms,
    smalltalk: analyze::SmalltalkPhrases,
    /// Topics no entry answers, and the entries that speak of each (`gaps`).
    gaps: gaps::Gaps,
    /// The key (stem, stop word) of every word the variants and tags use, computed while building: a question's
    /// words are mostly among them, and stemming is a tenth of the time of a question.
    keys: analyze::KeyCache,
    params: Params,
}

impl Matcher {
    /// Builds the index over every question variant and tag of the knowledge base.
    pub fn new(kb: &KnowledgeBase) -> Matcher {
        let mut builder = MatcherBuilder::new(kb);
        for e in &kb.entries {
            builder.add_entry(e);
        }
        builder.finish()
    }

    /// The same index with other parameters (for tuning, and for a posting budget).
    pub fn with_params(mut self, params: Params) -> Matcher {
        let reorder = params.budgeted() != self.params.budgeted();
        self.params = params;
        if reorder {
            self.order_postings();
        }
        self
    }

    /// Orders each term's postings for the walk the parameters ask for: by variant number for the full walk
    /// (the accumulators are then visited in memory order: 1.4x faster than any other order at 10,000 entries), or
    /// lightest variant first for a posting budget (the head of a list is then where its term weighs most).
    fn order_postings(&mut self) {
        let weights = &self.variant_weight;
        let by_weight = self.params.budgeted();
        for postings in &mut self.postings {
            if by_weight {
                postings.sort_unstable_by(|&a, &b| {
                    weights[a as usize]
                        .weight
                        .total_cmp(&weights[b as usize].weight)
                        .then(a.cmp(&b))
                });
            } else {
                postings.sort_unstable();
            }
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Notes that `entry` uses term `t`; true when it did not before (the term's IDF changes).
    fn note_term_entry(&mut self, t: TermId, entry: u32) -> bool {
        let t = t as usize;
        if self.postings.len() <= t {
            self.postings.resize_with(t + 1, Vec::new);
            self.term_entries.resize_with(t + 1, Vec::new);
        }
        match self.term_entries[t].binary_search(&entry) {
            Ok(_) => false,
            Err(pos) => {
                self.term_entries[t].insert(pos, entry);
                true
            }
        }
    }

    /// The number of entries indexed.
    pub fn entry_count(&self) -> usize {
        self.entry_ids.len()
    }

    /// The number of distinct terms (stems, synonym groups) the index knows.
    pub fn term_count(&self) -> usize {
        self.vocab.len()
    }

    /// The number of question variants indexed (learned ones included).
    pub fn variant_count(&self) -> usize {
        self.variants.len()
    }

    /// The number of learned variants indexed.
    pub fn learned_count(&self) -> usize {
        self.variants.learned_count()
    }

    /// Adds a question variant learned from staff review, effective for the next question.
    pub fn add_learned_variant(&mut self, entry: &str, question: &str) -> Result<(), MatcherError> {
        let &ix = self
            .entry_index
            .get(entry)
            .ok_or_else(|| MatcherError::UnknownEntry(entry.to_string()))?;
        let mut keys = std::mem::take(&mut self.keys);
        let pushed = self.push_variant(ix, question, true, &mut keys);
        self.keys = keys;
        if pushed {
            Ok(())
        } else {
            Err(MatcherError::EmptyVariant)
        }
    }

    fn push_variant(
        &mut self,
        entry: u32,
        question: &str,
        learned: bool,
        cache: &mut analyze::KeyCache,
    ) -> bool {
        let folded = text::fold(question);
        let keys = analyze::document_terms(&folded, &self.synonyms, cache);
        if keys.is_empty() {
            return false;
        }
        let mut terms: Vec<TermId> = keys.iter().map(|k| self.vocab.intern(k)).collect();
        terms.sort_unstable();
        terms.dedup();
        let vid = self.variants.len() as u32;
        let mut changed = Vec::new();
        for &t in &terms {
            if self.note_term_entry(t, entry) {
                changed.push(t);
            }
            if !learned {
                // In variant order while building (`Matcher::order_postings` orders them for a budget).
                self.postings[t as usize].push(vid);
            }
            if let Some(counts) = self.entry_term_variants.get_mut(entry as usize) {
                match counts.binary_search_by_key(&t, |&(term, _)| term) {
                    Ok(i) => counts[i].1 += 1,
                    Err(i) => counts.insert(i, (t, 1)),
                }
            }
        }
        if let Some(n) = self.entry_variants.get_mut(entry as usize) {
            *n += 1;
        }
        self.variants.push(&terms, &folded, learned);
        // The weight is computed once the IDF is known: at the end of a build, or below for a learned variant.
        self.variant_weight.push(Weighed {
            weight: 0.0,
            entry,
            chars: u16::try_from(folded.chars().count()).unwrap_or(u16::MAX),
        });
        // While `new` builds the index the weights are computed once at the end; a learned variant (added after)
        // refreshes the IDF of the terms whose entries it changed and the weight of every variant that uses them.
        if learned {
            let vocab_len = self.vocab.len();
            while self.idf.len() < vocab_len {
                let t = self.idf.len() as TermId;
                self.idf.push(self.idf_of(t));
            }
            for &t in &changed {
                self.idf[t as usize] = self.idf_of(t);
            }
            let mut stale: Vec<u32> = changed
                .iter()
                .flat_map(|&t| self.postings[t as usize].iter().copied())
                .chain(std::iter::once(vid))
                .collect();
            stale.sort_unstable();
            stale.dedup();
            for v in stale {
                self.variant_weight[v as usize].weight = self.weigh(v as usize);
            }
            // Into each posting list at its place: last in variant order (the newest variant has the highest
            // number), or by weight under a posting budget (the lists were sorted with the weights of their time;
            // a learned variant that changed some weights leaves them nearly sorted, which is enough).
            let weight = self.variant_weight[vid as usize].weight;
            let by_weight = self.params.budgeted();
            for &t in &terms {
                let postings = &mut self.postings[t as usize];
                let at = if by_weight {
                    postings.partition_point(|&v| self.variant_weight[v as usize].weight <= weight)
                } else {
                    postings.len()
                };
                postings.insert(at, vid);
            }
        }
        true
    }

    /// Inverse document frequency of a term over entries (BM25's form, always positive), from the index.
    fn idf_of(&self, t: TermId) -> f64 {
        let n = self.entry_ids.len() as f64;
        let df = self.term_entries.get(t as usize).map_or(0, Vec::len) as f64;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Inverse document frequency of a term, precomputed.
    fn idf(&self, t: TermId) -> f64 {
        match self.idf.get(t as usize) {
            Some(&w) => w,
            None => self.idf_of(t),
        }
    }

    /// A variant's term weight: the sum of its terms' IDF.
    fn weigh(&self, v: usize) -> f64 {
        self.variants.terms(v).iter().map(|&t| self.idf(t)).sum()
    }

    /// The weight of a question word the vocabulary does not know.
    fn unknown_weight(&self) -> f64 {
        let n = self.entry_ids.len() as f64;
        self.params.unknown_word_weight * (1.0 + (n - 0.5) / 1.5).ln()
    }

    /// Reads a folded text against this index's vocabulary, synonyms and small talk.
    fn analyze(&self, folded: &str) -> Analysis {
        analyze::analyze_query(
            folded,
            &self.vocab,
            &self.keys,
            &self.synonyms,
            &self.smalltalk,
            self.params.fuzzy_penalty_per_edit,
        )
    }

    /// Matches a question. Pure: the same matcher and question always give the same result.
    pub fn match_question(&self, question: &str) -> MatchResult {
        let cut: String = question.chars().take(MAX_QUESTION_CHARS).collect();
        let folded = text::fold(&cut);
        let analysis = self.analyze(&folded);
        let detected_lang = analysis.lang;
        let mut why = Why {
            words: analysis.words.clone(),
            ..Why::default()
        };
        if let Some(kind) = analysis.smalltalk {
            why.decision = format!("the message is small talk ({})", kind.as_str());
            return MatchResult {
                outcome: Outcome::Smalltalk { kind },
                detected_lang,
                why,
            };
        }
        // A long message usually tells a story and asks at the end: the words of the sentences that ask weigh more
        // in the message's ranking (the story still counts: a question such as "how many days do I have?" needs it).
        // A question that leans on the story ("who is right?", "how many days do I have?", "is this legal?") takes
        // the sentence before it into the focus, until the focus names at least `MIN_FOCUS_TERMS` terms; a first
        // asking sentence that points back at the story (`refers_back`) takes the sentence before it in any case.
        let mut focus_terms: Vec<TermId> = Vec::new();
        let sentences = sentences(&cut);
        let mut focus = focus_sentences(&sentences);
        let asking = focus.clone();
        let asked = focus.first().copied().unwrap_or(0);
        while let Some(&first) = focus.first() {
            let text = focus
                .iter()
                .map(|&i| sentences[i].0)
                .collect::<Vec<_>>()
                .join(" ");
            let focus_analysis = self.analyze(&text::fold(&text));
            focus_terms.clear();
            if focus_analysis.smalltalk.is_none() {
                focus_terms.extend(focus_analysis.term_ids());
                focus_terms.sort_unstable();
                focus_terms.dedup();
            }
            let enough = focus_terms.len() >= MIN_FOCUS_TERMS
                && !(first == asked && refers_back(sentences[first].0));
            if enough || first == 0 {
                if !focus_terms.is_empty() {
                    why.focus = Some(text);
                }
                break;
            }
            focus.insert(0, first - 1);
        }
        // Russian typed in Latin letters is compared with the (Cyrillic) variants in Cyrillic.
        let compared = compared_text(&folded, detected_lang);
        let (qterms, unknown) = query_terms(&analysis);
        let (ranked, unwalked) = self.rank(&qterms, unknown, &compared, &focus_terms);
        // Thanks or a greeting with a word or two more ("thank you brother", "рахмет большое") and no question is
        // small talk when those words could not be answered anyway: a polite reply, not suggestions.
        if let Some(kind) = analysis.smalltalk_aside {
            let stray = analysis.readings.len() <= MAX_SMALLTALK_EXTRA_WORDS
                && (!cut.contains('?') || kind == SmalltalkKind::About)
                && ranked
                    .first()
                    .is_none_or(|b| round3(b.variant_coverage) < STRAY_WORDS_COVERAGE);
            if stray {
                why.decision = format!(
                    "the message is small talk ({}) with words no variant answers",
                    kind.as_str()
                );
                return MatchResult {
                    outcome: Outcome::Smalltalk { kind },
                    detected_lang,
                    why,
                };
            }
        }
        // `decide` reads the best `DECIDING_ENTRIES` only: only those are written out with their explanation.
        let ranked: Vec<CandidateWhy> = ranked
            .iter()
            .take(DECIDING_ENTRIES)
            .map(|c| self.explain(c, &qterms))
            .collect();
        let long = analysis.readings.len() >= LONG_MESSAGE_TERMS;
        why.unwalked_ceiling = unwalked;
        // What is asked may name a topic no entry answers: a short message as a whole; in a long one, only its
        // asking sentences (a story often names a fine it fears: "my friend says I will be fined; how many days do
        // I have?"), and nothing when it is one long sentence, whose story and question cannot be told apart.
        let asked_text: Option<std::borrow::Cow<str>> = if !long {
            Some(folded.as_str().into())
        } else if asking.len() < sentences.len() {
            let text: Vec<&str> = asking.iter().map(|&i| sentences[i].0).collect();
            Some(text::fold(&text.join(" ")).into())
        } else {
            None
        };
        // Per candidate, the gap topic the question names and the candidate does not speak of: such a candidate is
        // neither answered nor suggested (a question about fines is not "did you mean the registration rule?").
        let asked = asked_text.map_or_else(Vec::new, |a| self.gaps.asked(&a));
        let gaps: Vec<Option<&str>> = ranked
            .iter()
            .map(|c| {
                let entry = *self.entry_index.get(&c.entry)?;
                self.gaps
                    .unspoken(&asked, entry, c.learned.then_some(c.variant.as_str()))
            })
            .collect();
        let mut outcome = decide(&ranked, &gaps, &self.params, long, unwalked, &mut why);
        // A long message's story dilutes its score: when its asking sentences alone (not the whole message) would
        // be answered with confidence, by the entry the whole message ranks first, that entry is the answer.
        // After a capped walk the whole message's first entry must be certain: above what a variant left out
        // could score.
        let first_certain = ranked
            .first()
            .is_some_and(|b| unwalked.is_none_or(|u| b.score > u));
        if long
            && first_certain
            && why.gap.is_none()
            && !matches!(outcome, Outcome::Answered { .. })
            && focus.len() < sentences.len()
        {
            if let (Some(text), Some(best)) = (why.focus.clone(), ranked.first()) {
                if let Some(asked) = self.asking_sentences_answer(&text, &best.entry) {
                    why.decision = format!(
                        "answered: the asking sentences alone name this entry with confidence (score {:.3} >= {}, \
                         margin {:.3} >= {}) and the whole message ranks it first (score {:.3})",
                        asked.0.score,
                        self.params.answer_threshold,
                        asked.1,
                        self.params.answer_margin,
                        best.score
                    );
                    outcome = Outcome::Answered {
                        entry: best.entry.clone(),
                        score: asked.0.score,
                    };
                }
            }
        }
        MatchResult {
            outcome,
            detected_lang,
            why,
        }
    }

    /// The asking sentences of a long message read as a question of their own: their best candidate with its
    /// margin over the runner-up, when it is `entry` and would be answered with confidence
    /// (`Params::answer_threshold` and `Params::answer_margin`, with the coverage checks; not the lower
    /// clear-winner score).
    fn asking_sentences_answer(&self, text: &str, entry: &str) -> Option<(CandidateWhy, f64)> {
        let folded = text::fold(text);
        let analysis = self.analyze(&folded);
        if analysis.smalltalk.is_some() {
            return None;
        }
        let compared = compared_text(&folded, analysis.lang);
        let (qterms, unknown) = query_terms(&analysis);
        let (ranked, unwalked) = self.rank(&qterms, unknown, &compared, &[]);
        let best = self.explain(ranked.first()?, &qterms);
        let runner = rival_score(ranked.get(1).map(|c| c.score), unwalked);
        let margin = best.score - runner;
        let p = &self.params;
        let answered = best.entry == entry && covered(&best, p) && confident(&best, margin, p);
        answered.then_some((best, margin))
    }

    /// Scores candidate entries, best first, one (best) variant per entry. `qterms` are the question's terms with
    /// their quality (`query_terms`), `unknown` the number of its words the vocabulary does not know. The terms in
    /// `focus` (those of the asking sentences of a longer message) weigh `Params::focus_weight` times more in the
    /// question's coverage. When the question's terms have too many postings to walk them all ([`Params::posting_budget`]),
    /// the second value is the highest score a variant left unwalked could reach (`Matcher::unwalked_ceiling`).
    fn rank(
        &self,
        qterms: &[(TermId, f64)],
        unknown: f64,
        folded: &str,
        focus: &[TermId],
    ) -> (Vec<Scoring>, Option<f64>) {
        let p = &self.params;
        let emphasis = |t: TermId| {
            if focus.contains(&t) {
                p.focus_weight
            } else {
                1.0
            }
        };
        let question_weight = qterms
            .iter()
            .map(|&(t, _)| self.idf(t) * emphasis(t))
            .sum::<f64>()
            + self.unknown_weight() * f64::min(unknown, p.unknown_word_cap);
        if qterms.is_empty() || question_weight <= 0.0 {
            return (Vec::new(), None);
        }
        // Each question term's weight in a variant, plain and with the focus emphasis.
        let weights: Vec<(f64, f64)> = qterms
            .iter()
            .map(|&(t, quality)| {
                let w = self.idf(t) * quality;
                (w, w * emphasis(t))
            })
            .collect();
        let mut cut: Vec<CutTerm> = Vec::new();
        let mut rivals: Vec<(u32, f64)> = Vec::new();
        let mut left_out: [Option<(u32, f64)>; 2] = [None, None];
        let admitted: Vec<(u32, f64, f64, f64, f64)> = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let s = scratch.begin(self.variants.len(), self.entry_ids.len(), p.budgeted());
            let within_budget = || {
                let walk: usize = qterms
                    .iter()
                    .map(|&(t, _)| self.postings_of(t).len() + self.term_entries_of(t).len())
                    .sum();
                walk <= p.posting_budget
            };
            // (The capped walk marks a question's terms in a 128-bit mask; a question has at most
            // `MAX_QUESTION_WORDS` of them.)
            if !p.budgeted() {
                self.walk_in_blocks(s, qterms, &weights);
            } else if qterms.len() > u128::BITS as usize || within_budget() {
                // Accumulate the matched weight per variant from the postings of the question's terms, in the
                // question's term order (so the sums are the same floating-point numbers whatever the container).
                for (&(t, _), &(w, emphasised)) in qterms.iter().zip(&weights) {
                    for &v in self.postings_of(t) {
                        s.add_variant(v, w, emphasised);
                    }
                    for &e in self.term_entries_of(t) {
                        s.add_entry(e, emphasised);
                    }
                }
            } else {
                cut = self.gather_capped(s, qterms, &weights);
            }
            let capped = !cut.is_empty();
            // Only a capped walk intersects term lists with the question's terms.
            let by_id = if capped {
                terms_by_id(qterms)
            } else {
                Vec::new()
            };
            if capped {
                // The entries met through the terms walked in full, with their exact entry coverage: a variant
                // left unwalked in one of them has that entry's coverage (`unwalked_ceiling`).
                rivals.extend(
                    s.entries_touched
                        .iter()
                        .map(|&e| (e, self.entry_exactly(e, &by_id, &weights) / question_weight)),
                );
            }
            // An entry's coverage of the question, from its matched weight.
            let entry_coverage = |entry_weight: f64| (entry_weight / question_weight).min(1.0);
            // A variant's lexical score and its parts (variant, question and entry coverage), from its weight,
            // its entry's coverage and its matched weight.
            let parts_of = |vw: f64, ecov: f64, (m, emphasised): (f64, f64)| {
                let vcov = if vw > 0.0 { (m / vw).min(1.0) } else { 0.0 };
                let qcov = (emphasised / question_weight).min(1.0);
                let lex = p.variant_coverage_weight * vcov
                    + p.question_coverage_weight * qcov
                    + p.entry_coverage_weight * ecov;
                (lex, vcov, qcov, ecov)
            };
            // A variant of the full walk's `sums` with its lexical score, from the coverage of the entries walked.
            let score_sum = |coverage: &[f64], (v, m, emphasised): (u32, f64, f64)| {
                let Weighed {
                    weight: vw, entry, ..
                } = self.variant_weight[v as usize];
                (parts_of(vw, coverage[entry as usize], (m, emphasised)).0, v)
            };
            let parts = |s: &Scratch, v: u32, summed: (f64, f64)| {
                let Weighed {
                    weight: vw, entry, ..
                } = self.variant_weight[v as usize];
                parts_of(vw, entry_coverage(s.entry_weight(entry)), summed)
            };
            // Only the score and the variant are sorted (16 bytes an item); the parts are computed again for
            // the few admitted, by the same arithmetic.
            let mut lexical = std::mem::take(&mut s.lexical);
            lexical.clear();
            // The full walk leaves its sums in `sums`; a walk under a posting budget, in `matched`.
            let blocked = !p.budgeted();
            // Whether `lexical` holds every candidate, or only the first round's best (below).
            let mut every = true;
            if blocked {
                // Every variant of the full walk has its entry among the entries walked: their coverage is
                // computed once per entry, not once per variant (a division per variant less: about 8% of a
                // question at 10,000 entries).
                let mut coverage = std::mem::take(&mut s.entry_coverage);
                if coverage.len() < self.entry_ids.len() {
                    coverage.resize(self.entry_ids.len(), 0.0);
                }
                for &e in &s.entries_touched {
                    coverage[e as usize] = entry_coverage(s.entry_weight(e));
                }
                let sums = &s.sums;
                let scored = sums.iter().enumerate().map(|(i, &sum)| {
                    // The record of a variant a few places ahead is fetched while this one is scored: at 100,000
                    // entries the records span 35 MiB, and waiting for each in turn was the largest single cost of
                    // a question (perf: three quarters of the scoring loop on that one load).
                    if let Some(&(ahead, ..)) = sums.get(i + PREFETCH_AHEAD) {
                        prefetch(&self.variant_weight[ahead as usize]);
                    }
                    // (A variant's terms are its entry's: `push_variant` notes both.)
                    debug_assert_eq!(
                        s.entry_matched[self.variant_weight[sum.0 as usize].entry as usize].0,
                        s.epoch
                    );
                    score_sum(&coverage, sum)
                });
                // The first round below reads the best `FIRST_SORTED`: they are kept as they are scored
                // (`keep_best`), without storing every score; when they do not admit enough (a few questions in a
                // hundred), every score is taken and the rounds start again.
                if s.sums.len() > KEEP_BEST_FROM * FIRST_SORTED {
                    keep_best(&mut lexical, scored, FIRST_SORTED);
                    every = false;
                } else {
                    lexical.extend(scored);
                }
                s.entry_coverage = coverage;
            } else {
                lexical.extend(
                    s.touched
                        .iter()
                        .map(|&v| (parts(s, v, s.variant_weight(v)).0, v)),
                );
            }
            if capped {
                // The capped walk's sums miss the cut terms' weight in variants beyond their walked heads: they
                // order the candidates roughly. The best `EXACT_HEAD` of that order are scored exactly, and only
                // they go on.
                let head = lexical.len().min(EXACT_HEAD);
                if head < lexical.len() {
                    lexical.select_nth_unstable_by(head - 1, lexical_order);
                }
                // A variant met but left out of the head is no candidate either: like an unwalked one, it is
                // bounded, by its partial sums with every cut term's weight added (entries' as well), and the
                // most similarity its length allows. The two best such bounds of different entries are kept (one
                // may be the best entry's own).
                let (cut_w, cut_e) = cut
                    .iter()
                    .fold((0.0, 0.0), |(w, e), c| (w + c.weight, e + c.emphasised));
                // That similarity is at most the ratio of the two texts' lengths: the edit distance is at least
                // their difference (a perfect one is assumed when the weights are not a mix of the two).
                let question_chars = folded.chars().count() as f64;
                let similarity_bound = |variant_chars: u16| {
                    let variant_chars = f64::from(variant_chars);
                    let longer = question_chars.max(variant_chars);
                    if longer > 0.0 && (0.0..=1.0).contains(&p.lexical_weight) {
                        question_chars.min(variant_chars) / longer
                    } else {
                        1.0
                    }
                };
                for &(_, v) in &lexical[head..] {
                    let (m, emphasised) = s.variant_weight(v);
                    let Weighed {
                        weight: vw,
                        entry: e,
                        chars,
                    } = self.variant_weight[v as usize];
                    let (lex, ..) = parts_of(
                        vw,
                        entry_coverage(s.entry_weight(e) + cut_e),
                        (m + cut_w, emphasised + cut_e),
                    );
                    let bound = round3(p.score(lex, similarity_bound(chars)));
                    left_out = best_two(left_out, (e, bound));
                }
                lexical.truncate(head);
                for &(_, v) in &lexical {
                    self.score_exactly(s, v, &by_id, &weights);
                }
                for item in &mut lexical {
                    item.0 = parts(s, item.1, s.variant_weight(item.1)).0;
                }
            }
            // Best variant per entry by lexical score (ties to the earlier variant), at most two per entry, until
            // `RERANK_CANDIDATES` are admitted: only the head of the order is sorted, and when it does not admit
            // enough, the next stretch of the order is selected from the rest and sorted in its turn.
            let admit = |s: &Scratch, lexical: &mut [(f64, u32)]| {
                // Admitted variants per entry (at most `RERANK_CANDIDATES` entries: a short list beats hashing).
                let mut per_entry: Vec<(u32, usize)> = Vec::with_capacity(RERANK_CANDIDATES);
                let mut admitted = Vec::with_capacity(RERANK_CANDIDATES);
                let (mut sorted, mut head) = (0, lexical.len().min(FIRST_SORTED));
                while sorted < head {
                    if head < lexical.len() {
                        lexical[sorted..].select_nth_unstable_by(head - sorted - 1, lexical_order);
                    }
                    lexical[sorted..head].sort_unstable_by(lexical_order);
                    for &(_, v) in &lexical[sorted..head] {
                        let entry = self.variant_weight[v as usize].entry;
                        let count = match per_entry.iter_mut().find(|(e, _)| *e == entry) {
                            Some((_, n)) => n,
                            None => {
                                per_entry.push((entry, 0));
                                &mut per_entry.last_mut().expect("just pushed").1
                            }
                        };
                        // Two variants per entry reach re-ranking: strsim may prefer the second.
                        if *count >= 2 {
                            continue;
                        }
                        *count += 1;
                        let summed = if blocked {
                            s.summed(v)
                        } else {
                            s.variant_weight(v)
                        };
                        let (lex, vcov, qcov, ecov) = parts(s, v, summed);
                        admitted.push((v, lex, vcov, qcov, ecov));
                        if admitted.len() >= RERANK_CANDIDATES {
                            break;
                        }
                    }
                    if admitted.len() >= RERANK_CANDIDATES {
                        break;
                    }
                    sorted = head;
                    head = (head * 4).min(lexical.len());
                }
                admitted
            };
            let mut admitted = admit(s, &mut lexical);
            if admitted.len() < RERANK_CANDIDATES && !every {
                lexical.clear();
                lexical.extend(s.sums.iter().map(|&sum| score_sum(&s.entry_coverage, sum)));
                admitted = admit(s, &mut lexical);
            }
            s.lexical = lexical;
            admitted
        });
        let pattern = Pattern::new(folded);
        let mut shortlist: Vec<Scoring> = Vec::with_capacity(admitted.len());
        // Only the best `DECIDING_ENTRIES` entries of the ranking reach `decide`. Candidates come by lexical score,
        // best first; once even a perfect similarity could not lift one above the entries already that far up,
        // neither it nor any after it can change the outcome or the `why`, and they are not scored.
        let bounded = (0.0..=1.0).contains(&p.lexical_weight);
        let mut best_by_entry: Vec<(u32, f64)> = Vec::new();
        for (v, lex, vcov, qcov, ecov) in admitted {
            let (v, entry) = (v as usize, self.variant_weight[v as usize].entry);
            if bounded && best_by_entry.len() >= DECIDING_ENTRIES {
                let ceiling = round3(p.score(lex, 1.0));
                let mut scores: Vec<f64> = best_by_entry.iter().map(|&(_, s)| s).collect();
                scores.sort_by(|a, b| b.total_cmp(a));
                if ceiling < scores[DECIDING_ENTRIES - 1] {
                    break;
                }
            }
            let similarity = pattern.normalized_similarity(self.variants.folded(v));
            let score = p.score(lex, similarity);
            match best_by_entry.iter_mut().find(|(e, _)| *e == entry) {
                Some(b) => b.1 = b.1.max(round3(score)),
                None => best_by_entry.push((entry, round3(score))),
            }
            shortlist.push(Scoring {
                entry,
                variant: v as u32,
                variant_coverage: vcov,
                question_coverage: qcov,
                entry_coverage: ecov,
                lexical: lex,
                similarity,
                score: round3(score),
            });
        }
        shortlist.sort_by(|a, b| self.by_score(a, b));
        let mut seen: Vec<u32> = Vec::with_capacity(shortlist.len());
        shortlist.retain(|c| {
            let first = !seen.contains(&c.entry);
            seen.push(c.entry);
            first
        });
        let ceiling = (!cut.is_empty()).then(|| {
            // An unwalked variant uses cut terms only. Its entry's coverage is exact for the entries met through
            // the terms walked in full (but the best entry's own variants are no rival), and at most the cut
            // terms' share of the question for every other entry.
            let cut_share = cut.iter().map(|c| c.emphasised).sum::<f64>() / question_weight;
            let best = shortlist.first().map(|c| c.entry);
            let entry_coverage = rivals
                .iter()
                .filter(|&&(e, _)| Some(e) != best)
                .fold(cut_share.min(1.0), |m, &(_, c)| m.max(c.min(1.0)));
            let met = left_out
                .iter()
                .flatten()
                .find(|&&(e, _)| Some(e) != best)
                .map_or(0.0, |&(_, bound)| bound);
            unwalked_ceiling(&mut cut, question_weight, entry_coverage, p).max(met)
        });
        (shortlist, ceiling)
    }

    fn postings_of(&self, t: TermId) -> &[u32] {
        self.postings.get(t as usize).map_or(&[][..], Vec::as_slice)
    }

    fn term_entries_of(&self, t: TermId) -> &[u32] {
        self.term_entries
            .get(t as usize)
            .map_or(&[][..], Vec::as_slice)
    }

    /// The full walk: every posting of the question's terms accumulated per variant, and every entry of each term
    /// per entry, each variant's and each entry's sum taken in the question's term order (so the sums are the same
    /// floating-point numbers whatever the container). Postings are in variant order, so they are walked in blocks
    /// of `WALK_BLOCK` variant numbers, each term's postings in the block in turn: the accumulators of a block stay
    /// in the core's cache while every term adds to them, instead of each term sweeping the accumulators of the
    /// whole base (230,000 variants at 10,000 entries).
    fn walk_in_blocks(&self, s: &mut Scratch, qterms: &[(TermId, f64)], weights: &[(f64, f64)]) {
        for (&(t, _), &(_, emphasised)) in qterms.iter().zip(weights) {
            for &e in self.term_entries_of(t) {
                s.add_entry(e, emphasised);
            }
        }
        let lists: Vec<&[u32]> = qterms.iter().map(|&(t, _)| self.postings_of(t)).collect();
        let mut next = vec![0usize; lists.len()];
        s.begin_walk();
        while let Some(&first) = lists.iter().zip(&next).filter_map(|(l, &i)| l.get(i)).min() {
            let start = first - first % WALK_BLOCK;
            let end = u64::from(start) + u64::from(WALK_BLOCK);
            s.begin_block();
            for ((list, i), &(w, emphasised)) in lists.iter().zip(next.iter_mut()).zip(weights) {
                while let Some(&v) = list.get(*i) {
                    if u64::from(v) >= end {
                        break;
                    }
                    s.add_in_block(v - start, w, emphasised);
                    *i += 1;
                }
            }
            s.end_block(start);
        }
        s.block_dirty = false;
    }

    /// Candidate generation for a question whose terms have more postings than [`Params::posting_budget`]: the
    /// rarest term first, each term walks at most an equal share of the budget left (so the rare terms, which say
    /// most about the question, are walked in full), from the head of its postings (the lightest variants, in
    /// which the term weighs most). The weights are accumulated as in the full walk, so a variant's sum misses
    /// the weight of the terms cut before reaching it, and an entry's misses every cut term: `rank` scores the
    /// best of them exactly (`score_exactly`). Returns the cut terms, for the ceiling of what the variants left
    /// unwalked could score (`unwalked_ceiling`).
    fn gather_capped(
        &self,
        s: &mut Scratch,
        qterms: &[(TermId, f64)],
        weights: &[(f64, f64)],
    ) -> Vec<CutTerm> {
        let mut cut = Vec::new();
        let mut rarest: Vec<usize> = (0..qterms.len()).collect();
        rarest.sort_by_key(|&i| (self.postings_of(qterms[i].0).len(), i));
        let mut left = self.params.posting_budget;
        for (k, &i) in rarest.iter().enumerate() {
            let t = qterms[i].0;
            let (w, emphasised) = weights[i];
            let postings = self.postings_of(t);
            let take = postings.len().min(left / (rarest.len() - k));
            for &v in &postings[..take] {
                s.add_variant(v, w, emphasised);
            }
            match postings.get(take) {
                Some(&first_left) => cut.push(CutTerm {
                    lightest_left: self.variant_weight[first_left as usize].weight,
                    weight: w,
                    emphasised,
                }),
                None => {
                    for &e in self.term_entries_of(t) {
                        s.add_entry(e, emphasised);
                    }
                }
            }
            left -= take;
        }
        cut
    }

    /// Scores variant `v` exactly from its own terms and its entry's (`by_id`: the question's terms sorted by id
    /// with their place in the question), with the same sums, in the same order, as the full walk.
    fn score_exactly(
        &self,
        s: &mut Scratch,
        v: u32,
        by_id: &[(TermId, u32)],
        weights: &[(f64, f64)],
    ) {
        let mask = shared_terms(by_id, self.variants.terms(v as usize).iter().copied());
        let (w, emphasised) = masked_sums(mask, weights);
        s.set_variant(v, w, emphasised);
        let e = self.variant_weight[v as usize].entry;
        if s.entry_exact[e as usize] != s.epoch {
            s.entry_exact[e as usize] = s.epoch;
            s.set_entry(e, self.entry_exactly(e, by_id, weights));
        }
    }

    /// The emphasised weight of the question's terms that entry `e`'s variants and tags use, summed in the
    /// question's order as the full walk sums it.
    fn entry_exactly(&self, e: u32, by_id: &[(TermId, u32)], weights: &[(f64, f64)]) -> f64 {
        let terms = self
            .entry_term_variants
            .get(e as usize)
            .map_or(&[][..], Vec::as_slice);
        let mask = by_id.iter().fold(0u128, |mask, &(t, place)| {
            if terms.binary_search_by_key(&t, |&(term, _)| term).is_ok() {
                mask | 1u128 << place
            } else {
                mask
            }
        });
        masked_sums(mask, weights).1
    }

    /// Best first: by score, ties by entry id.
    fn by_score(&self, a: &Scoring, b: &Scoring) -> std::cmp::Ordering {
        b.score
            .total_cmp(&a.score)
            .then_with(|| self.entry_ids[a.entry as usize].cmp(&self.entry_ids[b.entry as usize]))
    }

    /// A candidate with its explanation written out: the entry id, the variant's folded text, the matched terms, and
    /// the core share of the question's terms in the entry (read by `decide` only, so computed here, for the few
    /// written out).
    fn explain(&self, c: &Scoring, qterms: &[(TermId, f64)]) -> CandidateWhy {
        let v = c.variant as usize;
        let matched: Vec<TermId> = self
            .variants
            .terms(v)
            .iter()
            .copied()
            .filter(|&t| qterms.iter().any(|&(q, _)| q == t))
            .collect();
        let entry_size = f64::from(
            self.entry_variants
                .get(c.entry as usize)
                .copied()
                .unwrap_or(1)
                .max(1),
        );
        let counts = self
            .entry_term_variants
            .get(c.entry as usize)
            .map_or(&[][..], Vec::as_slice);
        let core_share = qterms
            .iter()
            .map(|&(t, _)| {
                let uses = counts
                    .binary_search_by_key(&t, |&(term, _)| term)
                    .map_or(0, |i| counts[i].1);
                f64::from(uses) / entry_size
            })
            .fold(0.0, f64::max);
        let matched_terms = matched
            .iter()
            .map(|&t| self.vocab.name(t).to_string())
            .collect();
        CandidateWhy {
            entry: self.entry_ids[c.entry as usize].clone(),
            variant: self.variants.folded(v).to_string(),
            learned: self.variants.learned(v),
            matched_terms,
            variant_coverage: round3(c.variant_coverage),
            question_coverage: round3(c.question_coverage),
            entry_coverage: round3(c.entry_coverage),
            core_share: round3(core_share),
            lexical: round3(c.lexical),
            similarity: round3(c.similarity),
            score: c.score,
        }
    }
}

/// Builds a [`Matcher`] entry by entry, so that a caller reading entries one at a time (the store) never holds
/// the whole knowledge base's question variants twice: each entry can be slimmed once it is indexed.
pub struct MatcherBuilder {
    m: Matcher,
    cache: analyze::KeyCache,
}

impl MatcherBuilder {
    /// Starts an index with the synonyms and small talk of `kb`; its entries are not read (add them with
    /// [`MatcherBuilder::add_entry`]).
    pub fn new(kb: &KnowledgeBase) -> MatcherBuilder {
        let mut m = Matcher {
            entry_ids: Vec::with_capacity(kb.entries.len()),
            entry_index: HashMap::with_capacity(kb.entries.len()),
            vocab: Vocabulary::default(),
            variants: Variants::default(),
            postings: Vec::new(),
            term_entries: Vec::new(),
            entry_term_variants: Vec::with_capacity(kb.entries.len()),
            entry_variants: Vec::with_capacity(kb.entries.len()),
            idf: Vec::new(),
            variant_weight: Vec::new(),
            synonyms: analyze::Synonyms::default(),
            smalltalk: analyze::SmalltalkPhrases::new(&kb.smalltalk),
            gaps: gaps::Gaps::new(&kb.gaps),
            keys: analyze::KeyCache::default(),
            params: DEFAULT_PARAMS,
        };
        m.synonyms = analyze::Synonyms::new(&kb.synonyms, &mut m.vocab);
        MatcherBuilder {
            m,
            cache: analyze::KeyCache::default(),
        }
    }

    /// Indexes an entry's question variants and tags.
    pub fn add_entry(&mut self, e: &Entry) {
        let m = &mut self.m;
        let i = m.entry_ids.len() as u32;
        m.entry_ids.push(e.id.clone());
        m.entry_index.insert(e.id.clone(), i);
        m.entry_term_variants.push(Vec::new());
        m.entry_variants.push(0);
        for q in e.questions() {
            m.push_variant(i, q, false, &mut self.cache);
        }
        m.gaps.note_entry(i, gaps::spoken_texts(e));
        // Tags are not questions: they add to what the entry as a whole is about, not to any variant.
        for tag in &e.tags {
            let terms: Vec<TermId> =
                analyze::document_terms(&text::fold(tag), &m.synonyms, &mut self.cache)
                    .into_iter()
                    .map(|key| m.vocab.intern(key))
                    .collect();
            for t in terms {
                m.note_term_entry(t, i);
                let counts = &mut m.entry_term_variants[i as usize];
                if let Err(at) = counts.binary_search_by_key(&t, |&(term, _)| term) {
                    counts.insert(at, (t, 0));
                }
            }
        }
    }

    /// The finished index: term weights computed, spare capacity freed.
    pub fn finish(self) -> Matcher {
        let mut m = self.m;
        m.keys = self.cache;
        m.keys.shrink_to_fit();
        m.idf = (0..m.vocab.len() as TermId).map(|t| m.idf_of(t)).collect();
        for v in 0..m.variants.len() {
            m.variant_weight[v].weight = m.weigh(v);
        }
        m.variant_weight.shrink_to_fit();
        m.variants.shrink_to_fit();
        m.postings.iter_mut().for_each(Vec::shrink_to_fit);
        m.term_entries.iter_mut().for_each(Vec::shrink_to_fit);
        m.entry_term_variants
            .iter_mut()
            .for_each(Vec::shrink_to_fit);
        m.entry_ids.shrink_to_fit();
        m.entry_term_variants.shrink_to_fit();
        m.entry_variants.shrink_to_fit();
        // Last, once the rest has given back its spare capacity: sealing briefly holds the fuzzy index twice.
        m.vocab.seal();
        m
    }
}

/// What `rank` reads of every variant a question touches (`Matcher::variant_weight`): its term weight, its entry
/// and its length.
#[derive(Clone, Copy, Debug)]
struct Weighed {
    weight: f64,
    entry: u32,
    /// The length of its folded text in characters (at most `u16::MAX`: a longer one only loosens the bound it
    /// serves), which bounds its similarity to a question of another length (a capped walk's left-out
    /// candidates; it fills what would be padding).
    chars: u16,
}

/// A scored candidate: its entry and best variant with the parts of its score (unrounded, except the score that
/// orders them). Only the few that reach `decide` are written out as a [`CandidateWhy`] (`Matcher::explain`).
#[derive(Clone, Copy, Debug)]
struct Scoring {
    entry: u32,
    variant: u32,
    variant_coverage: f64,
    question_coverage: f64,
    entry_coverage: f64,
    lexical: f64,
    similarity: f64,
    /// Rounded to three decimals, as shown.
    score: f64,
}

/// A question term whose postings `Matcher::gather_capped` did not walk to the end.
#[derive(Clone, Copy, Debug)]
struct CutTerm {
    /// The weight of the lightest variant left unwalked: the postings are sorted by weight, so every variant left
    /// weighs at least this.
    lightest_left: f64,
    /// The term's weight in a variant's match, plain and with the focus emphasis.
    weight: f64,
    emphasised: f64,
}

/// The highest score a variant that the capped walk did not meet could reach. Such a variant shares with the
/// question only cut terms (a term walked in full would have met it), and it lies beyond the walked head of each
/// of them, so it weighs at least the largest `lightest_left` among the cut terms it uses. Taking the cut terms in
/// order of `lightest_left`, a variant whose heaviest such term is the `j`-th uses at most the first `j` terms and
/// weighs at least that term's `lightest_left`: that bounds its variant coverage and its question coverage
/// together. Its entry coverage is at most `entry_coverage` (the caller's bound over the rival entries), its
/// similarity at most 1.
fn unwalked_ceiling(
    cut: &mut [CutTerm],
    question_weight: f64,
    entry_coverage: f64,
    p: &Params,
) -> f64 {
    cut.sort_by(|a, b| a.lightest_left.total_cmp(&b.lightest_left));
    let (mut matched, mut emphasised, mut best) = (0.0, 0.0, 0.0f64);
    for c in cut.iter() {
        matched += c.weight;
        emphasised += c.emphasised;
        let vcov = if c.lightest_left > 0.0 {
            (matched / c.lightest_left).min(1.0)
        } else {
            1.0
        };
        let qcov = (emphasised / question_weight).min(1.0);
        best = best.max(p.variant_coverage_weight * vcov + p.question_coverage_weight * qcov);
    }
    let lexical = best + p.entry_coverage_weight * entry_coverage;
    round3(p.score(lexical, 1.0))
}

/// How many places ahead in the full walk's sums a variant's record is fetched (`prefetch`).
const PREFETCH_AHEAD: usize = 32;

/// Asks the processor to bring `r` into its cache, without waiting for it (a hint: no effect on any result).
#[inline(always)]
fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of every x86-64 processor, and a prefetch reads nothing the program sees (it cannot
        // fault, whatever the address; here it is a live reference).
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(r).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// The order of (lexical score, variant) pairs: best score first, ties to the earlier variant (a total order:
/// variants are distinct).
fn lexical_order(a: &(f64, u32), b: &(f64, u32)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// Puts into `kept` the `k` best items by [`lexical_order`] (in no particular order): the same set as collecting
/// them all and selecting, without storing the others. A heap holds the best seen so far with the worst of them
/// on top; most items are worse than it by their score alone, one comparison each.
fn keep_best(kept: &mut Vec<(f64, u32)>, items: impl Iterator<Item = (f64, u32)>, k: usize) {
    use std::cmp::Ordering;
    use std::collections::BinaryHeap;
    /// An item ordered so that the heap's top is the worst item kept.
    struct Kept((f64, u32));
    impl PartialEq for Kept {
        fn eq(&self, other: &Self) -> bool {
            self.cmp(other) == Ordering::Equal
        }
    }
    impl Eq for Kept {}
    impl PartialOrd for Kept {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Kept {
        fn cmp(&self, other: &Self) -> Ordering {
            lexical_order(&self.0, &other.0)
        }
    }
    kept.clear();
    if k == 0 {
        return;
    }
    let mut heap: BinaryHeap<Kept> = BinaryHeap::with_capacity(k);
    // The score of the worst item kept, once `k` are.
    let mut worst = f64::NEG_INFINITY;
    for item in items {
        if heap.len() < k {
            heap.push(Kept(item));
            if heap.len() == k {
                worst = heap.peek().map_or(worst, |w| w.0 .0);
            }
        } else if item.0 >= worst {
            let mut top = heap.peek_mut().expect("k > 0 items kept");
            if lexical_order(&item, &top.0) == Ordering::Less {
                *top = Kept(item);
                drop(top);
                worst = heap.peek().map_or(worst, |w| w.0 .0);
            }
        }
    }
    kept.extend(heap.into_iter().map(|Kept(item)| item));
}

/// The two highest `(entry, bound)` pairs of different entries, highest first, with `next` taken in.
fn best_two(mut two: [Option<(u32, f64)>; 2], next: (u32, f64)) -> [Option<(u32, f64)>; 2] {
    match two {
        [Some(a), _] if a.0 == next.0 => {
            if next.1 > a.1 {
                two[0] = Some(next);
            }
        }
        [_, Some(b)] if b.0 == next.0 => {
            if next.1 > b.1 {
                two[1] = Some(next);
            }
        }
        _ => {
            if two[0].is_none_or(|a| next.1 > a.1) {
                two[1] = two[0];
                two[0] = Some(next);
            } else if two[1].is_none_or(|b| next.1 > b.1) {
                two[1] = Some(next);
            }
        }
    }
    if let [Some(a), Some(b)] = two {
        if b.1 > a.1 {
            two = [Some(b), Some(a)];
        }
    }
    two
}

/// The question's terms sorted by id, with their place in the question (to intersect with sorted term lists).
fn terms_by_id(qterms: &[(TermId, f64)]) -> Vec<(TermId, u32)> {
    let mut by_id: Vec<(TermId, u32)> = qterms
        .iter()
        .enumerate()
        .map(|(i, &(t, _))| (t, i as u32))
        .collect();
    by_id.sort_unstable();
    by_id
}

/// Which of the question's terms (`by_id`: sorted by term, with their place in the question) a sorted term list
/// holds, as a bit per place.
fn shared_terms(by_id: &[(TermId, u32)], terms: impl Iterator<Item = TermId>) -> u128 {
    let mut mask = 0u128;
    let mut q = by_id.iter().peekable();
    for t in terms {
        while q.next_if(|&&(id, _)| id < t).is_some() {}
        match q.peek() {
            Some(&&(id, place)) if id == t => {
                mask |= 1u128 << place;
                q.next();
            }
            Some(_) => {}
            None => break,
        }
    }
    mask
}

/// The sums of the weights (plain, emphasised) of the question terms in `mask`, added in the question's order as
/// the full walk adds them (the same floating-point numbers).
fn masked_sums(mut mask: u128, weights: &[(f64, f64)]) -> (f64, f64) {
    let (mut w, mut emphasised) = (0.0, 0.0);
    while mask != 0 {
        let i = mask.trailing_zeros() as usize;
        w += weights[i].0;
        emphasised += weights[i].1;
        mask &= mask - 1;
    }
    (w, emphasised)
}

/// The question's terms, each once with the best quality it was read with, and the number of unknown words.
fn query_terms(analysis: &Analysis) -> (Vec<(TermId, f64)>, f64) {
    let mut qterms: Vec<(TermId, f64)> = Vec::new();
    let mut unknown = 0.0;
    for r in &analysis.readings {
        match r {
            Reading::Term { id, quality } => {
                if let Some(q) = qterms.iter_mut().find(|(t, _)| t == id) {
                    q.1 = q.1.max(*quality);
                } else {
                    qterms.push((*id, *quality));
                }
            }
            Reading::Unknown => unknown += 1.0,
        }
    }
    (qterms, unknown)
}

/// Per-thread work space of `Matcher::rank`: dense accumulators indexed by entry (and, under a posting budget, by
/// variant), valid where their stamp is the current epoch, so nothing is cleared or hashed per question; the full
/// walk accumulates variants a block at a time (`block`) into `sums`.
#[derive(Default)]
struct Scratch {
    epoch: u32,
    /// Per variant: the stamp of the epoch that last touched it, and its matched weight then (plain, and with the
    /// focus emphasis). Only a walk under a posting budget uses it (24 bytes a variant: 55 MB at 100,000 entries,
    /// per thread), and only then is it allocated.
    matched: Vec<(u32, f64, f64)>,
    /// The variants matched in this epoch, in the order first seen.
    touched: Vec<u32>,
    /// Per entry, as `matched`.
    entry_matched: Vec<(u32, f64)>,
    /// The entries `add_entry` met in this epoch, in the order first met.
    entries_touched: Vec<u32>,
    /// Per entry, the stamp of the epoch in which `Matcher::score_exactly` gave it its exact weight.
    entry_exact: Vec<u32>,
    /// The touched variants' lexical scores, for selecting the best (kept to reuse its allocation).
    lexical: Vec<(f64, u32)>,
    /// The full walk's accumulators for the block of `WALK_BLOCK` variants it is adding to (`Matcher::walk_in_blocks`),
    /// zero between blocks, with `block_bits` marking the offsets touched: small enough to stay in the core's cache,
    /// where the first touch of a variant's slot in `matched` is a cache miss.
    block: Vec<(f64, f64)>,
    block_bits: Vec<u64>,
    /// Set while a full walk is under way: a walk that did not finish leaves it set, and the next clears `block`.
    block_dirty: bool,
    /// The full walk's result: each variant touched, with its matched weight (plain, and with the focus emphasis),
    /// by variant number.
    sums: Vec<(u32, f64, f64)>,
    /// Per entry walked, its coverage of the question (valid for `entries_touched` only).
    entry_coverage: Vec<f64>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl Scratch {
    /// Starts a new question over `variants` variants and `entries` entries; `per_variant`: with the accumulators
    /// indexed by variant (a walk under a posting budget).
    fn begin(&mut self, variants: usize, entries: usize, per_variant: bool) -> &mut Scratch {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.matched.fill((0, 0.0, 0.0));
            self.entry_matched.fill((0, 0.0));
            self.entry_exact.fill(0);
            self.epoch = 1;
        }
        if per_variant && self.matched.len() < variants {
            self.matched.resize(variants, (0, 0.0, 0.0));
        }
        if self.entry_matched.len() < entries {
            self.entry_matched.resize(entries, (0, 0.0));
            self.entry_exact.resize(entries, 0);
        }
        self.touched.clear();
        self.entries_touched.clear();
        self
    }

    fn add_variant(&mut self, v: u32, w: f64, emphasised: f64) {
        let slot = &mut self.matched[v as usize];
        if slot.0 == self.epoch {
            slot.1 += w;
            slot.2 += emphasised;
        } else {
            *slot = (self.epoch, w, emphasised);
            self.touched.push(v);
        }
    }

    /// Starts a block of the full walk.
    fn begin_block(&mut self) {
        self.block_bits.fill(0);
    }

    /// Starts the full walk of a question with every block slot zero, as `end_block` leaves them; they are
    /// cleared only when the last walk did not finish (a panic), so that it cannot leave sums behind.
    fn begin_walk(&mut self) {
        if self.block_dirty || self.block.len() < WALK_BLOCK as usize {
            self.block.clear();
            self.block.resize(WALK_BLOCK as usize, (0.0, 0.0));
            self.block_bits.resize(WALK_BLOCK as usize / 64, 0);
        }
        self.block_dirty = true;
        self.sums.clear();
    }

    /// Adds a term's weight to the variant at `offset` in the current block. The slots of a block start at zero
    /// (`end_block` puts back each one it reads), so the first weight is added to 0.0, which gives the weight
    /// itself: no branch on whether the variant was touched before.
    fn add_in_block(&mut self, offset: u32, w: f64, emphasised: f64) {
        let slot = &mut self.block[offset as usize];
        slot.0 += w;
        slot.1 += emphasised;
        self.block_bits[offset as usize / 64] |= 1u64 << (offset % 64);
    }

    /// Ends the block of variants from `start`: its variants go to `sums`, by number.
    fn end_block(&mut self, start: u32) {
        for (word, &bits) in self.block_bits.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let offset = word as u32 * 64 + bits.trailing_zeros();
                bits &= bits - 1;
                let (w, emphasised) = std::mem::take(&mut self.block[offset as usize]);
                self.sums.push((start + offset, w, emphasised));
            }
        }
    }

    /// The matched weight of variant `v` after the full walk (`sums`, by number).
    fn summed(&self, v: u32) -> (f64, f64) {
        let i = self
            .sums
            .binary_search_by_key(&v, |&(u, _, _)| u)
            .expect("a variant of the full walk's candidates is in its sums");
        (self.sums[i].1, self.sums[i].2)
    }

    fn set_variant(&mut self, v: u32, w: f64, emphasised: f64) {
        self.matched[v as usize] = (self.epoch, w, emphasised);
    }

    fn set_entry(&mut self, e: u32, w: f64) {
        self.entry_matched[e as usize] = (self.epoch, w);
    }

    fn add_entry(&mut self, e: u32, w: f64) {
        let slot = &mut self.entry_matched[e as usize];
        if slot.0 == self.epoch {
            slot.1 += w;
        } else {
            *slot = (self.epoch, w);
            self.entries_touched.push(e);
        }
    }

    /// The variant's matched weight, plain and with the focus emphasis.
    fn variant_weight(&self, v: u32) -> (f64, f64) {
        let slot = self.matched[v as usize];
        (slot.1, slot.2)
    }

    fn entry_weight(&self, e: u32) -> f64 {
        let slot = self.entry_matched[e as usize];
        if slot.0 == self.epoch {
            slot.1
        } else {
            0.0
        }
    }
}

/// A message cut into sentences (at `.`, `!`, `?`, `;` or `…` before a space or the end, and at line breaks),
/// each with whether it asks (its final punctuation has a `?`). A dot inside a word (`vmp.gov.kz`, `2.5`) ends
/// nothing. Sentences with no words are dropped; a `?` alone marks the sentence before it as asking.
fn sentences(message: &str) -> Vec<(&str, bool)> {
    let mut sentences: Vec<(&str, bool)> = Vec::new();
    let mut start = 0;
    let mut asks = false;
    let mut chars = message.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let terminator = matches!(c, '.' | '!' | '?' | ';' | '…');
        if terminator {
            asks |= c == '?';
        }
        let next = chars.peek().map(|&(_, n)| n);
        let ends = c == '\n' || (terminator && next.is_none_or(char::is_whitespace));
        if !terminator && c != '\n' {
            asks = false;
        }
        if ends {
            let end = i + c.len_utf8();
            let current = &message[start..end];
            if !text::fold(current).is_empty() {
                sentences.push((current.trim(), asks));
            } else if asks {
                if let Some(last) = sentences.last_mut() {
                    last.1 = true;
                }
            }
            start = end;
            asks = false;
        }
    }
    let rest = &message[start..];
    if !text::fold(rest).is_empty() {
        sentences.push((rest.trim(), false));
    }
    sentences
}

/// The sentences of a message of several sentences that ask a question (those ending in `?`), or its last
/// sentence when none does, as indices into `sentences`; empty for a message of one sentence.
fn focus_sentences(sentences: &[(&str, bool)]) -> Vec<usize> {
    if sentences.len() < 2 {
        return Vec::new();
    }
    let asking: Vec<usize> = (0..sentences.len()).filter(|&i| sentences[i].1).collect();
    if asking.is_empty() {
        vec![sentences.len() - 1]
    } else {
        asking
    }
}

/// Words by which a question points back at the story before it ("is this legal?", "сколько это стоит?").
const POINTING_BACK: &[&str] = &[
    "this",
    "it",
    "these",
    "those",
    "это",
    "этого",
    "этому",
    "этим",
    "этом",
    "эти",
    "этих",
    "такое",
    "eto",
    "etogo",
    "etom",
    "eti",
];

/// Whether a sentence points back at the sentence before it (`POINTING_BACK`): a question that leans on the
/// story takes the sentence before it into the focus.
fn refers_back(sentence: &str) -> bool {
    text::words(&text::fold(sentence)).any(|w| POINTING_BACK.contains(&w))
}

/// The text a question's similarity to the variants is measured on: the folded question, with its Latin words
/// in Cyrillic when it reads as Russian (Russian typed in Latin letters; the variants are in Cyrillic).
fn compared_text(folded: &str, lang: Option<Lang>) -> std::borrow::Cow<'_, str> {
    let latin = || text::words(folded).any(|w| text::script(w) == text::Script::Latin);
    if lang == Some(Lang::Ru) && latin() {
        std::borrow::Cow::Owned(text::latin_words_to_cyrillic(folded))
    } else {
        std::borrow::Cow::Borrowed(folded)
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Whether the best candidate's variant is covered enough, and names a word its entry is really about, to be
/// answered. A variant staff taught the bot is trusted even if the entry's other variants do not share its words.
fn covered(best: &CandidateWhy, p: &Params) -> bool {
    best.variant_coverage >= p.min_variant_coverage
        && (best.core_share >= p.min_core_share || best.learned)
}

/// The score an answer's margin is measured against: the runner-up's, or after a capped walk what a candidate not
/// scored exactly could reach (`unwalked_ceiling`), whichever is higher.
fn rival_score(runner_up: Option<f64>, unwalked: Option<f64>) -> f64 {
    runner_up.unwrap_or(0.0).max(unwalked.unwrap_or(0.0))
}

/// Whether the best candidate's score and its margin over the runner-up are high enough for an answer.
fn confident(best: &CandidateWhy, margin: f64, p: &Params) -> bool {
    best.score >= p.answer_threshold && margin >= p.answer_margin
}

/// The decision rule, over candidates sorted best first.
/// `gaps` holds, per candidate (in the same order), the topic the question asks about that the candidate does not
/// speak of (`Gaps`): such a candidate is neither answered nor suggested.
/// `unwalked` is the highest score a variant the capped walk did not meet could reach (`unwalked_ceiling`): the
/// margin must hold over it too, so a capped walk never answers where the full walk might have found a rival.
fn decide(
    ranked: &[CandidateWhy],
    gaps: &[Option<&str>],
    p: &Params,
    long: bool,
    unwalked: Option<f64>,
    why: &mut Why,
) -> Outcome {
    why.best = ranked.first().cloned();
    why.runner_up = ranked.get(1).cloned();
    why.gap = gaps.first().copied().flatten().map(str::to_string);
    let Some(best) = ranked.first() else {
        why.decision = "no question word is in the knowledge base's vocabulary".to_string();
        return Outcome::Unanswered { nearest: None };
    };
    let runner = rival_score(ranked.get(1).map(|c| c.score), unwalked);
    let margin = best.score - runner;
    let covered = covered(best, p);
    let confident = confident(best, margin, p);
    let winner_threshold = if long {
        p.clear_winner_threshold.min(p.long_winner_threshold)
    } else {
        p.clear_winner_threshold
    };
    let clear_winner = best.score >= winner_threshold && margin >= p.clear_winner_margin;
    // The entry lead is measured against the runner-up only: after a capped walk (`unwalked`) it is not used.
    let lead = ranked
        .get(1)
        .map(|r| best.entry_coverage - r.entry_coverage);
    let entry_lead = unwalked.is_none()
        && lead.is_some_and(|lead| {
            best.score >= p.answer_threshold
                && margin >= p.lead_margin
                && best.core_share >= p.lead_core_share
                && lead >= p.lead_entry_coverage
        });
    if covered && why.gap.is_none() && (confident || clear_winner || entry_lead) {
        why.decision = if confident {
            format!(
                "answered: score {:.3} >= {} and margin {margin:.3} over the runner-up >= {}",
                best.score, p.answer_threshold, p.answer_margin
            )
        } else if clear_winner {
            format!(
                "answered: clear winner{}, score {:.3} >= {winner_threshold} and margin {margin:.3} over the runner-up >= {}",
                if long { " of a long message" } else { "" },
                best.score, p.clear_winner_margin
            )
        } else {
            format!(
                "answered: score {:.3} >= {} and margin {margin:.3} >= {}, with the entry covering {:.3} more of the \
                 question than the runner-up's (>= {}) and core share {:.3} >= {}",
                best.score,
                p.answer_threshold,
                p.lead_margin,
                lead.unwrap_or(0.0),
                p.lead_entry_coverage,
                best.core_share,
                p.lead_core_share
            )
        };
        return Outcome::Answered {
            entry: best.entry.clone(),
            score: best.score,
        };
    }
    let suggestions: Vec<Scored> = ranked
        .iter()
        .zip(gaps)
        .filter(|(c, gap)| {
            gap.is_none()
                && c.score >= p.suggest_threshold
                && best.score - c.score <= p.suggest_window
        })
        .map(|(c, _)| c)
        .take(MAX_SUGGESTIONS)
        .map(|c| Scored {
            entry: c.entry.clone(),
            score: c.score,
        })
        .collect();
    if !suggestions.is_empty() {
        why.decision = if let Some(gap) = &why.gap {
            format!(
                "suggestions: the question asks about {gap} (knowledge/gaps.toml), which the best entry does not \
                 speak of; these entries do"
            )
        } else if !covered && (confident || clear_winner || entry_lead) {
            format!(
                "suggestions: the question matches only a small part of the best variant (coverage {:.3}, minimum {}) \
                 or only words its entry rarely uses (core share {:.3}, minimum {})",
                best.variant_coverage, p.min_variant_coverage, best.core_share, p.min_core_share
            )
        } else if best.score >= p.answer_threshold {
            format!(
                "suggestions: score {:.3} is high but the margin {margin:.3} over the runner-up{} is below {}",
                best.score,
                if unwalked.is_some_and(|u| u >= ranked.get(1).map_or(0.0, |c| c.score)) {
                    " (or over what a variant left unwalked could score)"
                } else {
                    ""
                },
                p.answer_margin
            )
        } else {
            format!(
                "suggestions: score {:.3} is below {} but at least {}",
                best.score, p.answer_threshold, p.suggest_threshold
            )
        };
        return Outcome::Suggestions {
            entries: suggestions,
        };
    }
    why.decision = match &why.gap {
        Some(gap) => format!(
            "unanswered: the question asks about {gap} (knowledge/gaps.toml), which none of the closest entries \
             speaks of"
        ),
        None => format!(
            "unanswered: best score {:.3} is below the suggestion threshold {}",
            best.score, p.suggest_threshold
        ),
    };
    Outcome::Unanswered {
        nearest: Some(Scored {
            entry: best.entry.clone(),
            score: best.score,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_into_sentences_that_ask_or_tell() {
        for (message, expected) in [
            ("do I need a permit", &[("do I need a permit", false)][..]),
            (
                "I came in May. Do I need a permit?",
                &[("I came in May.", false), ("Do I need a permit?", true)][..],
            ),
            (
                "я из оша!! сколько дней ?",
                &[("я из оша!!", false), ("сколько дней ?", true)][..],
            ),
            ("really?! ok", &[("really?!", true), ("ok", false)][..]),
            (
                "vmp.gov.kz or egov.kz? it costs 2.5 mci.",
                &[
                    ("vmp.gov.kz or egov.kz?", true),
                    ("it costs 2.5 mci.", false),
                ][..],
            ),
            (
                "hello\nmy contract ended... how many days do I have",
                &[
                    ("hello", false),
                    ("my contract ended...", false),
                    ("how many days do I have", false),
                ][..],
            ),
            ("?!", &[][..]),
        ] {
            assert_eq!(sentences(message), expected, "sentences({message:?})");
        }
    }

    #[test]
    fn the_focus_is_the_asking_sentences_or_the_last() {
        for (sentences, expected) in [
            (&[("one sentence?", true)][..], &[][..]),
            (&[("story.", false), ("question?", true)][..], &[1][..]),
            (
                &[
                    ("a?", true),
                    ("story.", false),
                    ("b?", true),
                    ("end.", false),
                ][..],
                &[0, 2][..],
            ),
            (&[("story.", false), ("more story", false)][..], &[1][..]),
        ] {
            assert_eq!(
                focus_sentences(sentences),
                expected,
                "focus_sentences({sentences:?})"
            );
        }
    }

    #[test]
    fn a_question_that_leans_on_the_story_points_back() {
        for (sentence, expected) in [
            ("Is this really needed when I have a contract?", true),
            ("How much money is it per month?", true),
            ("Мне как белорусу тоже это нужно?", true),
            ("eto pravda?", true),
            ("How many days do I have?", false),
            (
                "Who has to tell the migration service that we live there?",
                false,
            ),
            ("Сколько у нас есть времени?", false),
        ] {
            assert_eq!(refers_back(sentence), expected, "refers_back({sentence:?})");
        }
    }

    #[test]
    fn latin_typed_russian_is_compared_in_cyrillic() {
        for (folded, lang, expected) in [
            (
                "nuzhno li razreshenie",
                Some(Lang::Ru),
                "нужно ли разрешение",
            ),
            ("do i need a permit", Some(Lang::En), "do i need a permit"),
            ("нужно ли разрешение", Some(Lang::Ru), "нужно ли разрешение"),
            ("1414", None, "1414"),
        ] {
            assert_eq!(
                compared_text(folded, lang),
                expected,
                "compared_text({folded:?}, {lang:?})"
            );
        }
    }
}
