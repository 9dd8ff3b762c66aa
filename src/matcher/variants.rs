//! The question variants of the index, stored column by column: the terms of each and its folded text, each kind
//! in one flat buffer with end offsets (a few bytes per variant instead of two allocations). The text as written is
//! not kept: the folded text is what the matcher compares and what `why` shows, and the text as written was a
//! quarter of the index (196 MiB of 760 at 100,000 entries). Scoring reads the texts of a few dozen variants per
//! question; the entry and weight of each, which it reads for thousands, are kept together in
//! `Matcher::variant_weight`.

use super::vocab::TermId;

#[derive(Clone, Debug, Default)]
pub struct Variants {
    learned: Vec<bool>,
    terms: Vec<TermId>,
    term_ends: Vec<u32>,
    folded: String,
    folded_ends: Vec<u32>,
}

/// The end offset of a buffer that just grew. Offsets are 32-bit: the index holds less than 4 GiB of text.
fn end(len: usize) -> u32 {
    u32::try_from(len).expect("the question variants hold less than 4 GiB of text")
}

fn span(ends: &[u32], v: usize) -> std::ops::Range<usize> {
    let start = if v == 0 { 0 } else { ends[v - 1] as usize };
    start..ends[v] as usize
}

impl Variants {
    /// Adds a variant (its number is the count before).
    pub fn push(&mut self, terms: &[TermId], folded: &str, learned: bool) {
        self.learned.push(learned);
        self.terms.extend_from_slice(terms);
        self.term_ends.push(end(self.terms.len()));
        self.folded.push_str(folded);
        self.folded_ends.push(end(self.folded.len()));
    }

    /// Frees the spare capacity left by building.
    pub fn shrink_to_fit(&mut self) {
        self.learned.shrink_to_fit();
        self.terms.shrink_to_fit();
        self.term_ends.shrink_to_fit();
        self.folded.shrink_to_fit();
        self.folded_ends.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.learned.len()
    }

    pub fn learned(&self, v: usize) -> bool {
        self.learned[v]
    }

    pub fn learned_count(&self) -> usize {
        self.learned.iter().filter(|&&l| l).count()
    }

    /// The variant's terms, sorted and distinct.
    pub fn terms(&self, v: usize) -> &[TermId] {
        &self.terms[span(&self.term_ends, v)]
    }

    pub fn folded(&self, v: usize) -> &str {
        &self.folded[span(&self.folded_ends, v)]
    }
}
