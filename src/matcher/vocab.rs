//! The vocabulary: every normalised term the knowledge base uses, with a typo-tolerant look-up.
//!
//! Fuzzy look-up is a symmetric-delete index (the SymSpell idea): each key is stored under itself and every
//! string made by deleting one character, so a misspelled word finds its vocabulary word by a few hash look-ups
//! instead of a scan over the whole vocabulary. Candidates are then confirmed with strsim's optimal string
//! alignment distance under a length-aware cut-off, so that short words never match everything.

use rustc_hash::FxHashMap as HashMap;

/// Index of a term in the vocabulary.
pub type TermId = u32;

/// Words shorter than this (in characters) are matched exactly only.
pub const MIN_FUZZY_CHARS: usize = 4;
/// Words longer than this are matched exactly only: no vocabulary word is that long, and the deletes of a very
/// long word would cost quadratic time and memory (a 2,000-letter word has two million).
pub const MAX_FUZZY_CHARS: usize = 24;
/// Words of at least this many characters may be two edits away; shorter ones one edit.
pub const TWO_EDITS_FROM_CHARS: usize = 8;

/// The largest edit distance a word of `chars` characters may be from its vocabulary word.
pub fn max_edits(chars: usize) -> usize {
    if !(MIN_FUZZY_CHARS..=MAX_FUZZY_CHARS).contains(&chars) {
        0
    } else if chars < TWO_EDITS_FROM_CHARS {
        1
    } else {
        2
    }
}

#[derive(Clone, Debug, Default)]
pub struct Vocabulary {
    ids: HashMap<String, TermId>,
    names: Vec<String>,
    /// Every key that resolves to a term (a term's own name, or a synonym's stem), for fuzzy confirmation.
    keys: Vec<(String, TermId)>,
    deletes: HashMap<String, Vec<u32>>,
}

impl Vocabulary {
    /// The id of `key`, added as a new term if it is not known yet.
    pub fn intern(&mut self, key: &str) -> TermId {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.names.len() as TermId;
        self.names.push(key.to_string());
        self.add_key(key, id);
        id
    }

    /// Makes `key` resolve to the existing term `id` (used for synonyms).
    pub fn alias(&mut self, key: &str, id: TermId) {
        if !self.ids.contains_key(key) {
            self.add_key(key, id);
        }
    }

    fn add_key(&mut self, key: &str, id: TermId) {
        self.ids.insert(key.to_string(), id);
        let k = self.keys.len() as u32;
        self.keys.push((key.to_string(), id));
        let chars = key.chars().count();
        if chars >= MIN_FUZZY_CHARS && !key.bytes().all(|b| b.is_ascii_digit()) {
            for d in deletes_upto(key, max_edits(chars)) {
                let list = self.deletes.entry(d).or_default();
                if list.last() != Some(&k) {
                    list.push(k);
                }
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<TermId> {
        self.ids.get(key).copied()
    }

    pub fn name(&self, id: TermId) -> &str {
        &self.names[id as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The closest vocabulary term to a word that is not in the vocabulary, with its key and edit distance.
    /// Ties go to the key sharing the word's first letter, then to the shorter distance in length.
    pub fn fuzzy(&self, key: &str) -> Option<(TermId, &str, usize)> {
        let chars = key.chars().count();
        let limit = max_edits(chars);
        if limit == 0 || key.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let first = key.chars().next();
        let mut best: Option<(usize, bool, usize, u32)> = None;
        // Keys already compared: a key is reached by several probes (the deletes overlap), compared once.
        let mut seen: Vec<u32> = Vec::new();
        for_each_delete(key, limit, &mut |p| {
            let Some(list) = self.deletes.get(p) else {
                return;
            };
            for &k in list {
                if seen.contains(&k) {
                    continue;
                }
                seen.push(k);
                let (cand, _) = &self.keys[k as usize];
                let cand_chars = cand.chars().count();
                if cand_chars.abs_diff(chars) > limit {
                    continue;
                }
                let dist = strsim::osa_distance(key, cand);
                if dist == 0 || dist > limit.min(max_edits(cand_chars).max(1)) {
                    continue;
                }
                let rank = (
                    dist,
                    cand.chars().next() != first,
                    cand_chars.abs_diff(chars),
                    k,
                );
                if best.is_none_or(|b| rank < b) {
                    best = Some(rank);
                }
            }
        });
        best.map(|(dist, _, _, k)| {
            let (cand, id) = &self.keys[k as usize];
            (*id, cand.as_str(), dist)
        })
    }
}

/// `s` and every distinct string made by deleting up to `depth` characters of it.
fn deletes_upto(s: &str, depth: usize) -> Vec<String> {
    let mut all = vec![s.to_string()];
    let mut frontier = vec![s.to_string()];
    for _ in 0..depth {
        let next: Vec<String> = frontier.iter().flat_map(|d| deletes1(d)).collect();
        all.extend(next.iter().cloned());
        frontier = next;
    }
    all.sort_unstable();
    all.dedup();
    all
}

/// Every string made by deleting one character of `s`.
fn deletes1(s: &str) -> Vec<String> {
    let idx: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
    idx.iter()
        .map(|&i| {
            let mut d = String::with_capacity(s.len());
            d.push_str(&s[..i]);
            let next = s[i..].chars().next().map_or(0, char::len_utf8);
            d.push_str(&s[i + next..]);
            d
        })
        .collect()
}

/// Calls `f` with `s` and every string made by deleting up to `depth` characters of it, in one reused buffer
/// (a string may come more than once). The look-up side of `deletes_upto`, without allocating per string.
fn for_each_delete(s: &str, depth: usize, f: &mut impl FnMut(&str)) {
    f(s);
    for_each_delete_from(s, depth, 0, f);
}

/// The deletes of `s` (up to `depth` characters) that remove characters at byte `from` or later only: each
/// delete recurses from where it deleted, so every combination of positions is made, most of them once.
fn for_each_delete_from(s: &str, depth: usize, from: usize, f: &mut impl FnMut(&str)) {
    if depth == 0 {
        return;
    }
    let mut buf = String::with_capacity(s.len());
    for (i, c) in s[from..].char_indices() {
        let i = from + i;
        buf.clear();
        buf.push_str(&s[..i]);
        buf.push_str(&s[i + c.len_utf8()..]);
        f(&buf);
        if depth > 1 {
            let once = buf.clone();
            for_each_delete_from(&once, depth - 1, i, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(words: &[&str]) -> Vocabulary {
        let mut v = Vocabulary::default();
        for w in words {
            v.intern(w);
        }
        v
    }

    #[track_caller]
    fn check_fuzzy(v: &Vocabulary, word: &str, expected: Option<(&str, usize)>) {
        let got = v.fuzzy(word).map(|(_, k, d)| (k, d));
        assert_eq!(got, expected, "fuzzy({word:?})");
    }

    #[test]
    fn finds_words_one_or_two_edits_away() {
        let v = vocab(&["разрешен", "регистрац", "permit", "registr", "pension"]);
        check_fuzzy(&v, "разрешн", Some(("разрешен", 1)));
        check_fuzzy(&v, "регистрцыя", None);
        check_fuzzy(&v, "рeгистрац", Some(("регистрац", 1)));
        check_fuzzy(&v, "pemrit", Some(("permit", 1)));
        check_fuzzy(&v, "pensoin", Some(("pension", 1)));
        check_fuzzy(&v, "regisrtaц", None);
    }

    #[test]
    fn long_words_tolerate_two_edits_short_words_none() {
        let v = vocab(&["employment", "tax", "visa"]);
        check_fuzzy(&v, "emplymnt", Some(("employment", 2)));
        check_fuzzy(&v, "employmnet", Some(("employment", 1)));
        check_fuzzy(&v, "emplaymant", Some(("employment", 2)));
        check_fuzzy(&v, "tex", None);
        check_fuzzy(&v, "vise", Some(("visa", 1)));
        check_fuzzy(&v, "vxyz", None);
    }

    #[test]
    fn aliases_resolve_to_their_term() {
        let mut v = vocab(&["eaeu"]);
        let id = v.get("eaeu").unwrap();
        v.alias("еаэс", id);
        assert_eq!(v.get("еаэс"), Some(id));
        assert_eq!(v.fuzzy("eaaeu").map(|(t, _, _)| t), Some(id));
    }

    #[test]
    fn numbers_are_never_fuzzy() {
        let v = vocab(&["1414", "2026"]);
        check_fuzzy(&v, "1415", None);
        check_fuzzy(&v, "2025", None);
    }

    #[test]
    fn every_delete_is_probed() {
        for (word, depth) in [
            ("permit", 1),
            ("разрешение", 2),
            ("employment", 2),
            ("abc", 2),
            ("visa", 0),
        ] {
            let mut probed = Vec::new();
            for_each_delete(word, depth, &mut |d| probed.push(d.to_string()));
            probed.sort_unstable();
            probed.dedup();
            assert_eq!(probed, deletes_upto(word, depth), "{word} at depth {depth}");
        }
    }
}
