//! The vocabulary: every normalised term the knowledge base uses, with a typo-tolerant look-up.
//!
//! Fuzzy look-up is a symmetric-delete index (the SymSpell idea): each key is stored under itself and every
//! string made by deleting up to its edit limit of characters, so a misspelled word finds its vocabulary word by a
//! few look-ups instead of a scan over the whole vocabulary. Candidates are then confirmed with strsim's optimal
//! string alignment distance under a length-aware cut-off, so that short words never match everything.
//!
//! A long key has dozens of deletes (46 for a nine-letter word), so the index stores each (delete, key) pair in
//! four bytes: the key's number and the low eight bits of the delete's 32-bit hash, in one array grouped into
//! buckets by the hash's top bits ([`Deletes`]). A delete whose hash shares its bucket and those eight bits only
//! brings a candidate more to confirm: the distance check decides, so the look-up finds exactly the keys a map of
//! delete strings would.

use rustc_hash::FxHashMap as HashMap;
use std::hash::{BuildHasher, BuildHasherDefault};

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
    deletes: Deletes,
}

/// The 32-bit hash of a delete string (FxHash: fast and the same on every run).
fn delete_hash(s: &str) -> u32 {
    let h = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(s);
    (h >> 32) as u32 ^ h as u32
}

/// The symmetric-delete index: for each delete hash, the keys that have a delete with that hash.
///
/// While the index is built, each key's delete hashes collect in `pending` (four bytes a pair: the key is noted
/// once, in `pending_keys`, with the end of its hashes); `seal` groups them into `entries`, with
/// `starts[b]..starts[b + 1]` the pairs of bucket `b` (the hash's top `bits` bits), each stored as the key's number
/// and the hash's low `TAG_BITS` bits (four bytes instead of eight: the fuzzy index went from 95 to 56 MiB at
/// 100,000 entries); `starts` is empty until then. Keys added after sealing (learned variants at run time) go to
/// the small `late` map, so adding one never rebuilds the array.
#[derive(Clone, Debug, Default)]
struct Deletes {
    bits: u32,
    starts: Vec<u32>,
    entries: Vec<u32>,
    pending: Vec<u32>,
    pending_keys: Vec<(u32, u32)>,
    late: HashMap<u32, Vec<u32>>,
}

/// The bits of a delete's hash kept beside its key in the sealed array.
const TAG_BITS: u32 = 8;

/// Keys numbered from this on have no deletes in the sealed array (its entries keep 24 bits of a key's number):
/// they are matched exactly only. The synthetic base of 100,000 entries has about 195,000 terms.
const MAX_FUZZY_KEYS: u32 = 1 << (u32::BITS - TAG_BITS);

const TAG_MASK: u32 = (1 << TAG_BITS) - 1;

/// The low bits of a delete's hash, kept beside its key (the top bits choose the bucket).
fn tag(h: u32) -> u32 {
    h & TAG_MASK
}

/// Each pending key with its delete hashes (`pending_keys` holds each key with the end of its hashes in `pending`).
fn pending_spans<'a>(
    keys: &'a [(u32, u32)],
    hashes: &'a [u32],
) -> impl Iterator<Item = (u32, &'a [u32])> {
    let starts = std::iter::once(0).chain(keys.iter().map(|&(_, end)| end as usize));
    keys.iter()
        .zip(starts)
        .map(move |(&(k, end), start)| (k, &hashes[start..end as usize]))
}

impl Deletes {
    /// Adds key number `k` under each of the delete hashes (deduplicated by the caller).
    fn add(&mut self, k: u32, hashes: &[u32]) {
        if self.sealed() {
            for &h in hashes {
                self.late.entry(h).or_default().push(k);
            }
        } else if k < MAX_FUZZY_KEYS {
            self.pending.extend_from_slice(hashes);
            self.pending_keys.push((k, self.pending.len() as u32));
        }
    }

    fn sealed(&self) -> bool {
        !self.starts.is_empty()
    }

    fn bucket(&self, h: u32) -> usize {
        if self.bits == 0 {
            0
        } else {
            (h >> (32 - self.bits)) as usize
        }
    }

    /// Groups the pending hashes, with their keys, into buckets (a counting sort by the hash's top bits), each pair
    /// written out in four bytes. Sealing again changes nothing: keys added after the first seal stay in `late`.
    fn seal(&mut self) {
        if self.sealed() {
            return;
        }
        let hashes = std::mem::take(&mut self.pending);
        // About four pairs a bucket.
        self.bits = (hashes.len() / 4)
            .max(1)
            .next_power_of_two()
            .trailing_zeros();
        let buckets = 1usize << self.bits;
        let mut starts = vec![0u32; buckets + 1];
        for &h in &hashes {
            starts[self.bucket(h) + 1] += 1;
        }
        for b in 0..buckets {
            starts[b + 1] += starts[b];
        }
        let mut next: Vec<u32> = starts[..buckets].to_vec();
        let mut entries = vec![0u32; hashes.len()];
        for (k, key_hashes) in pending_spans(&std::mem::take(&mut self.pending_keys), &hashes) {
            for &h in key_hashes {
                let b = self.bucket(h);
                entries[next[b] as usize] = k << TAG_BITS | tag(h);
                next[b] += 1;
            }
        }
        self.starts = starts;
        self.entries = entries;
    }

    /// Calls `f` with every key number stored under hash `h` (a key may come more than once).
    fn for_each(&self, h: u32, f: &mut impl FnMut(u32)) {
        if self.sealed() {
            let b = self.bucket(h);
            let bucket = &self.entries[self.starts[b] as usize..self.starts[b + 1] as usize];
            for &packed in bucket {
                if packed & TAG_MASK == tag(h) {
                    f(packed >> TAG_BITS);
                }
            }
        }
        for (k, key_hashes) in pending_spans(&self.pending_keys, &self.pending) {
            if key_hashes.contains(&h) {
                f(k);
            }
        }
        if let Some(keys) = self.late.get(&h) {
            keys.iter().for_each(|&k| f(k));
        }
    }
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
            let mut hashes = Vec::new();
            for_each_delete(key, max_edits(chars), &mut |d| hashes.push(delete_hash(d)));
            hashes.sort_unstable();
            hashes.dedup();
            self.deletes.add(k, &hashes);
        }
    }

    /// Ends building: groups the fuzzy index for fast look-ups and frees spare capacity. Keys added later still
    /// work (they are kept apart, and a second `seal` leaves them there). Look-ups before sealing work too, by a
    /// scan.
    pub fn seal(&mut self) {
        self.deletes.seal();
        self.names.shrink_to_fit();
        self.keys.shrink_to_fit();
        self.ids.shrink_to_fit();
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
            self.deletes.for_each(delete_hash(p), &mut |k| {
                if seen.contains(&k) {
                    return;
                }
                seen.push(k);
                let (cand, _) = &self.keys[k as usize];
                let cand_chars = cand.chars().count();
                if cand_chars.abs_diff(chars) > limit {
                    return;
                }
                let dist = strsim::osa_distance(key, cand);
                if dist == 0 || dist > limit.min(max_edits(cand_chars).max(1)) {
                    return;
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
            });
        });
        best.map(|(dist, _, _, k)| {
            let (cand, id) = &self.keys[k as usize];
            (*id, cand.as_str(), dist)
        })
    }
}

/// `s` and every distinct string made by deleting up to `depth` characters of it (what `for_each_delete` must
/// reach).
#[cfg(test)]
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
#[cfg(test)]
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
    fn sealing_and_adding_later_find_the_same_words() {
        let words = [
            "employment",
            "разрешение",
            "регистрация",
            "permit",
            "pension",
            "visa",
        ];
        let probes = [
            "emplymnt",
            "employmnet",
            "разрешенние",
            "регистрацыя",
            "pemrit",
            "pensoin",
            "vise",
            "xyzw",
        ];
        let unsealed = vocab(&words);
        let mut sealed = vocab(&words);
        sealed.seal();
        // Half the words before sealing, half after (as learned variants add them at run time).
        let mut late = vocab(&words[..3]);
        late.seal();
        for w in &words[3..] {
            late.intern(w);
        }
        for p in probes {
            let want = unsealed.fuzzy(p);
            assert_eq!(sealed.fuzzy(p), want, "sealed, {p}");
            assert_eq!(late.fuzzy(p), want, "added after sealing, {p}");
        }
        assert_eq!(unsealed.fuzzy("pemrit").map(|(_, k, _)| k), Some("permit"));
        // Sealing again leaves the late keys apart.
        late.seal();
        assert!(!late.deletes.late.is_empty());
        assert_eq!(late.fuzzy("pemrit").map(|(_, k, _)| k), Some("permit"));
    }

    #[test]
    fn keys_past_the_packed_limit_are_exact_only() {
        let mut d = Deletes::default();
        d.add(MAX_FUZZY_KEYS - 1, &[7, 0xdead_beef]);
        d.add(MAX_FUZZY_KEYS, &[7]);
        d.seal();
        let found = |h| {
            let mut keys = Vec::new();
            d.for_each(h, &mut |k| keys.push(k));
            keys
        };
        assert_eq!(found(7), vec![MAX_FUZZY_KEYS - 1]);
        assert_eq!(found(0xdead_beef), vec![MAX_FUZZY_KEYS - 1]);
        assert_eq!(found(8), Vec::<u32>::new());
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
