//! Reading a question against the vocabulary: which words are small talk, which are stop words, which are
//! Latin-typed Russian, which are synonyms, and which vocabulary term each remaining word is (exactly or
//! within a few typos).
//!
//! Question variants in the knowledge files are written in their proper script, so they are read without
//! transliteration (`document_terms`). Questions are read by `analyze_query`, which tries both readings of
//! a Latin word (English, and Russian typed in Latin letters) and keeps the one the vocabulary knows.

use super::vocab::{max_edits, TermId, Vocabulary};
use super::{WordWhy, MAX_QUESTION_WORDS};
use crate::knowledge::{Lang, Smalltalk, SmalltalkKind, SynonymGroup};
use crate::text::{self, Script};
use rustc_hash::FxHashMap as HashMap;

/// Synonym phrases of several words; single-word synonyms are vocabulary aliases.
#[derive(Clone, Debug, Default)]
pub struct Synonyms {
    /// Each phrase as the keys of its words, with its canonical term and word; longest phrases first.
    phrases: Vec<(Vec<String>, TermId, String)>,
    /// The phrases (indices into `phrases`, ascending) by the key of their first word.
    by_first: HashMap<String, Vec<usize>>,
}

impl Synonyms {
    /// Registers every group's canonical word as a term and every term as an alias or a phrase of it.
    pub fn new(groups: &[SynonymGroup], vocab: &mut Vocabulary) -> Synonyms {
        let mut phrases = Vec::new();
        for g in groups {
            let id = vocab.intern(&g.canonical);
            for t in &g.terms {
                let folded = text::fold(t);
                let keys: Vec<String> = text::words(&folded).map(|w| document_key(w).0).collect();
                match keys.len() {
                    0 => {}
                    1 => vocab.alias(&keys[0], id),
                    _ => phrases.push((keys, id, g.canonical.clone())),
                }
            }
        }
        phrases.sort_by_key(|p: &(Vec<String>, TermId, String)| std::cmp::Reverse(p.0.len()));
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::default();
        for (ix, (keys, _, _)) in phrases.iter().enumerate() {
            by_first.entry(keys[0].clone()).or_default().push(ix);
        }
        Synonyms { phrases, by_first }
    }

    /// The longest phrase starting at `i` (whose word there has one of the keys `firsts`), as (the keys of its
    /// words, canonical term, canonical word). Only the phrases beginning with one of `firsts` are tried.
    fn phrase_at<'k>(
        &self,
        i: usize,
        firsts: impl IntoIterator<Item = &'k str>,
        matches: impl Fn(usize, &str) -> bool,
    ) -> Option<(&[String], TermId, &str)> {
        let mut tried: Vec<usize> = firsts
            .into_iter()
            .filter_map(|k| self.by_first.get(k))
            .flatten()
            .copied()
            .collect();
        // Phrases are tried in their order (longest first), whichever first key brought them.
        tried.sort_unstable();
        tried.dedup();
        tried
            .into_iter()
            .map(|ix| &self.phrases[ix])
            .find(|(keys, _, _)| keys.iter().enumerate().all(|(j, k)| matches(i + j, k)))
            .map(|(keys, id, word)| (keys.as_slice(), *id, word.as_str()))
    }
}

/// The edits between a question word the vocabulary does not know and a phrase word's key `k`, when within the
/// typos `Vocabulary::fuzzy` would allow (none for stop words and known words).
fn typos_from(c: &Candidate, k: &str, vocab: &Vocabulary) -> Option<usize> {
    let readings = || std::iter::once(&c.plain).chain(c.russian.as_ref());
    if readings().any(|(key, stop)| *stop || vocab.get(key).is_some()) {
        return None;
    }
    readings()
        .filter_map(|(key, _)| {
            let chars = key.chars().count();
            let limit = max_edits(chars).min(max_edits(k.chars().count()).max(1));
            let d = strsim::osa_distance(key, k);
            (d > 0 && d <= limit).then_some(d)
        })
        .min()
}

/// Small-talk phrases as sequences of folded words.
#[derive(Clone, Debug, Default)]
pub struct SmalltalkPhrases {
    phrases: Vec<(Vec<String>, SmalltalkKind)>,
    /// The phrases (indices into `phrases`, ascending) by their first word.
    by_first: HashMap<String, Vec<usize>>,
}

impl SmalltalkPhrases {
    pub fn new(smalltalk: &Smalltalk) -> SmalltalkPhrases {
        let mut phrases: Vec<(Vec<String>, SmalltalkKind)> = smalltalk
            .phrases
            .iter()
            .map(|(kind, p)| {
                (
                    text::words(&text::fold(p)).map(str::to_string).collect(),
                    *kind,
                )
            })
            .filter(|(w, _): &(Vec<String>, SmalltalkKind)| !w.is_empty())
            .collect();
        phrases.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        let mut by_first: HashMap<String, Vec<usize>> = HashMap::default();
        for (ix, (words, _)) in phrases.iter().enumerate() {
            by_first.entry(words[0].clone()).or_default().push(ix);
        }
        SmalltalkPhrases { phrases, by_first }
    }

    fn phrase_at(&self, words: &[&str], i: usize) -> Option<(usize, SmalltalkKind)> {
        self.by_first
            .get(words[i])
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&ix| &self.phrases[ix])
            .find(|(p, _)| {
                p.len() <= words.len() - i && p.iter().zip(&words[i..]).all(|(a, b)| a == b)
            })
            .map(|(p, kind)| (p.len(), *kind))
    }
}

/// The key of a word in a question variant, and whether it is a stop word.
fn document_key(word: &str) -> (String, bool) {
    match text::script(word) {
        Script::Latin => (text::stem_en(word), text::is_en_stop(word)),
        Script::Cyrillic => (text::stem_ru(word), text::is_ru_stop(word)),
        Script::Digits | Script::Other => (word.to_string(), false),
    }
}

/// Document keys of words already seen, so that building an index stems each distinct word once.
#[derive(Clone, Debug, Default)]
pub struct KeyCache {
    keys: HashMap<String, (String, bool)>,
}

impl KeyCache {
    /// The key of a word, from the cache when the knowledge base uses the word (exactly what `document_key`
    /// gives: the cache holds nothing else), computed otherwise.
    fn known(&self, word: &str) -> (String, bool) {
        match self.keys.get(word) {
            Some(k) => k.clone(),
            None => document_key(word),
        }
    }

    /// Frees the spare capacity left by building.
    pub fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
    }

    /// Computes and keeps the key of a word not seen yet.
    fn ensure(&mut self, word: &str) {
        if !self.keys.contains_key(word) {
            self.keys.insert(word.to_string(), document_key(word));
        }
    }

    /// The key of a word `ensure`d before.
    fn get(&self, word: &str) -> (&str, bool) {
        let (key, stop) = &self.keys[word];
        (key.as_str(), *stop)
    }
}

/// The term keys of a question variant (folded), synonyms applied and stop words dropped. The keys are borrowed
/// from the cache (and the synonyms): building an index reads millions of words, mostly seen before.
pub fn document_terms<'a>(
    folded: &str,
    synonyms: &'a Synonyms,
    cache: &'a mut KeyCache,
) -> Vec<&'a str> {
    for w in text::words(folded) {
        cache.ensure(w);
    }
    let cache: &'a KeyCache = cache;
    // A word takes at least two bytes with its separator: one allocation, never grown.
    let mut keys: Vec<(&str, bool)> = Vec::with_capacity(folded.len() / 2 + 1);
    keys.extend(text::words(folded).map(|w| cache.get(w)));
    let mut out = Vec::with_capacity(keys.len());
    let mut i = 0;
    while i < keys.len() {
        if let Some((phrase, _, word)) = synonyms.phrase_at(i, [keys[i].0], |j, k| {
            keys.get(j).is_some_and(|&(key, _)| key == k)
        }) {
            out.push(word);
            i += phrase.len();
            continue;
        }
        let (key, stop) = keys[i];
        if !stop {
            out.push(key);
        }
        i += 1;
    }
    out
}

/// How a question word was read.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    /// A vocabulary term, with how much it counts (1 for exact, less for typos).
    Term { id: TermId, quality: f64 },
    /// A content word the knowledge base does not use: evidence the question is about something else.
    Unknown,
}

/// A question read against the vocabulary.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub readings: Vec<Reading>,
    pub words: Vec<WordWhy>,
    pub lang: Option<Lang>,
    pub smalltalk: Option<SmalltalkKind>,
    /// The kind of the first small-talk phrase set aside in a message that is not only small talk.
    pub smalltalk_aside: Option<SmalltalkKind>,
}

impl Analysis {
    /// The vocabulary terms the question was read as, in reading order (a term may repeat).
    pub fn term_ids(&self) -> impl Iterator<Item = TermId> + '_ {
        self.readings.iter().filter_map(|r| match r {
            Reading::Term { id, .. } => Some(*id),
            Reading::Unknown => None,
        })
    }
}

/// The two ways a word may be read.
struct Candidate<'a> {
    word: &'a str,
    /// English (or digits/other) key and stop-word flag.
    plain: (String, bool),
    /// Russian key and stop-word flag: the word itself if Cyrillic, its Cyrillic mapping if Latin.
    russian: Option<(String, bool)>,
    latin: bool,
}

impl Candidate<'_> {
    /// Whether either reading of the word has the key `k`.
    fn reads_as(&self, k: &str) -> bool {
        self.plain.0 == k || self.russian.as_ref().is_some_and(|r| r.0 == k)
    }
}

fn why(word: &str, how: &'static str, term: Option<String>, edits: Option<usize>) -> WordWhy {
    WordWhy {
        word: word.to_string(),
        how,
        term,
        edits,
    }
}

/// The first other reading of a Latin word (`text::latin_to_cyrillic_alternatives`) that is a Russian stop word
/// or a vocabulary term, as its slot.
fn read_alternatives(word: &str, vocab: &Vocabulary) -> Option<(Option<Reading>, WordWhy)> {
    text::latin_to_cyrillic_alternatives(word)
        .into_iter()
        .find_map(|cyr| {
            if text::is_ru_stop(&cyr) {
                return Some((None, why(word, "stopword", None, None)));
            }
            vocab.get(&text::stem_ru(&cyr)).map(|id| {
                (
                    Some(Reading::Term { id, quality: 1.0 }),
                    why(
                        word,
                        "latin-russian",
                        Some(vocab.name(id).to_string()),
                        None,
                    ),
                )
            })
        })
}

/// Reads a folded question.
pub fn analyze_query(
    folded: &str,
    vocab: &Vocabulary,
    keys: &KeyCache,
    synonyms: &Synonyms,
    smalltalk: &SmalltalkPhrases,
    fuzzy_penalty_per_edit: f64,
) -> Analysis {
    let words: Vec<&str> = text::words(folded).take(MAX_QUESTION_WORDS).collect();
    let mut a = Analysis::default();
    if words.is_empty() {
        a.smalltalk = Some(SmalltalkKind::Ack);
        return a;
    }
    // Small talk: phrases anywhere are set aside; a message of nothing but small talk and stop words is small talk.
    let mut chat = vec![false; words.len()];
    let mut first_kind = None;
    let mut i = 0;
    while i < words.len() {
        if let Some((len, kind)) = smalltalk.phrase_at(&words, i) {
            chat[i..i + len].iter_mut().for_each(|c| *c = true);
            first_kind.get_or_insert(kind);
            i += len;
        } else {
            i += 1;
        }
    }
    let candidates: Vec<Candidate> = words
        .iter()
        .map(|&w| match text::script(w) {
            // The words the knowledge base uses were stemmed when the index was built (`keys`); a word is read
            // with the key its script gives, so the Cyrillic mapping of a Latin word is looked up only when it is
            // all Cyrillic.
            Script::Latin => {
                let cyr = text::latin_to_cyrillic(w);
                let russian = if text::script(&cyr) == Script::Cyrillic {
                    keys.known(&cyr)
                } else {
                    (text::stem_ru(&cyr), text::is_ru_stop(&cyr))
                };
                Candidate {
                    word: w,
                    plain: keys.known(w),
                    russian: Some(russian),
                    latin: true,
                }
            }
            Script::Cyrillic => {
                let key = keys.known(w);
                Candidate {
                    word: w,
                    plain: key.clone(),
                    russian: Some(key),
                    latin: false,
                }
            }
            Script::Digits | Script::Other => Candidate {
                word: w,
                plain: (w.to_string(), false),
                russian: None,
                latin: false,
            },
        })
        .collect();
    a.smalltalk_aside = first_kind;
    if let Some(kind) = first_kind {
        let only_chat = candidates
            .iter()
            .zip(&chat)
            .all(|(c, &is_chat)| is_chat || c.plain.1 || c.russian.as_ref().is_some_and(|r| r.1));
        if only_chat {
            a.smalltalk = Some(kind);
            a.words = words
                .iter()
                .map(|w| why(w, "smalltalk", None, None))
                .collect();
            // Answered in the script it was written in ("спасибо" in Russian); Latin letters may be English or
            // Russian typed in Latin ("spasibo"), and are read as English.
            let in_script = |s: Script| words.iter().filter(|w| text::script(w) == s).count();
            a.lang = lang_of(in_script(Script::Latin), in_script(Script::Cyrillic));
            return a;
        }
    }

    let (mut en_evidence, mut ru_evidence) = (0usize, 0usize);
    // Slot per word: Some(reading) once decided, None while it waits for the fuzzy pass.
    let mut slots: Vec<Option<(Option<Reading>, WordWhy)>> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < candidates.len() {
        let c = &candidates[i];
        if chat[i] {
            slots.push(Some((None, why(c.word, "smalltalk", None, None))));
            i += 1;
            continue;
        }
        let firsts =
            std::iter::once(c.plain.0.as_str()).chain(c.russian.as_ref().map(|r| r.0.as_str()));
        // A phrase's later words may be mistyped ("work permmit"): a word the vocabulary does not know matches a
        // phrase word within the typos `vocab.fuzzy` allows, and the phrase counts less per edit.
        let typos = |c: &Candidate, k: &str| typos_from(c, k, vocab);
        let phrase = synonyms.phrase_at(i, firsts, |j, k| {
            candidates
                .get(j)
                .is_some_and(|c| !chat[j] && (c.reads_as(k) || (j > i && typos(c, k).is_some())))
        });
        if let Some((keys, id, _)) = phrase {
            let len = keys.len();
            let term = Some(vocab.name(id).to_string());
            // The typos in the phrase's words (none where a word reads as its key).
            let edits: Vec<Option<usize>> = candidates[i..i + len]
                .iter()
                .zip(keys)
                .map(|(c, k)| if c.reads_as(k) { None } else { typos(c, k) })
                .collect();
            let total: usize = edits.iter().flatten().sum();
            let quality = (1.0 - fuzzy_penalty_per_edit * total as f64).max(0.0);
            for (j, c) in candidates[i..i + len].iter().enumerate() {
                let reading = (j == 0).then_some(Reading::Term { id, quality });
                slots.push(Some((
                    reading,
                    why(c.word, "synonym", term.clone(), edits[j]),
                )));
            }
            i += len;
            continue;
        }
        let slot = if c.latin {
            let ru = c
                .russian
                .as_ref()
                .expect("Latin words have a Russian reading");
            if c.plain.1 {
                en_evidence += 1;
                Some((None, why(c.word, "stopword", None, None)))
            } else if ru.1 {
                ru_evidence += 1;
                Some((None, why(c.word, "stopword", None, None)))
            } else if let Some(id) = vocab.get(&c.plain.0) {
                en_evidence += 1;
                Some((
                    Some(Reading::Term { id, quality: 1.0 }),
                    why(c.word, "exact", Some(vocab.name(id).to_string()), None),
                ))
            } else if let Some(id) = vocab.get(&ru.0) {
                ru_evidence += 1;
                Some((
                    Some(Reading::Term { id, quality: 1.0 }),
                    why(
                        c.word,
                        "latin-russian",
                        Some(vocab.name(id).to_string()),
                        None,
                    ),
                ))
            } else {
                // An ambiguous spelling read the other way ("detskiy" is детский, not децкий) may be a stop word
                // or a word the knowledge base uses.
                read_alternatives(c.word, vocab).inspect(|_| ru_evidence += 1)
            }
        } else {
            if c.russian.is_some() {
                ru_evidence += 1;
            }
            if c.plain.1 {
                Some((None, why(c.word, "stopword", None, None)))
            } else {
                vocab.get(&c.plain.0).map(|id| {
                    (
                        Some(Reading::Term { id, quality: 1.0 }),
                        why(c.word, "exact", Some(vocab.name(id).to_string()), None),
                    )
                })
            }
        };
        slots.push(slot);
        i += 1;
    }

    let prefer_russian = ru_evidence > en_evidence;
    for (c, slot) in candidates.iter().zip(slots.iter_mut()) {
        if slot.is_some() {
            continue;
        }
        let en = vocab.fuzzy(&c.plain.0);
        let ru = if c.latin {
            c.russian.as_ref().and_then(|r| vocab.fuzzy(&r.0))
        } else {
            None
        };
        let pick = match (en, ru) {
            (Some(e), Some(r)) => {
                if (r.2, !prefer_russian) < (e.2, prefer_russian) {
                    Some((r, true))
                } else {
                    Some((e, false))
                }
            }
            (Some(e), None) => Some((e, false)),
            (None, Some(r)) => Some((r, true)),
            (None, None) => None,
        };
        *slot = Some(match pick {
            Some(((id, _, edits), via_russian)) => {
                if via_russian {
                    ru_evidence += 1;
                }
                let quality = (1.0 - fuzzy_penalty_per_edit * edits as f64).max(0.0);
                (
                    Some(Reading::Term { id, quality }),
                    why(
                        c.word,
                        "fuzzy",
                        Some(vocab.name(id).to_string()),
                        Some(edits),
                    ),
                )
            }
            None => (Some(Reading::Unknown), why(c.word, "unknown", None, None)),
        });
    }
    for (reading, w) in slots.into_iter().flatten() {
        if let Some(r) = reading {
            a.readings.push(r);
        }
        a.words.push(w);
    }
    a.lang = lang_of(en_evidence, ru_evidence);
    a
}

/// The language of a message from the words that read as English and as Russian: Russian when more read so,
/// none when no word reads as either.
fn lang_of(en: usize, ru: usize) -> Option<Lang> {
    match (en, ru) {
        (0, 0) => None,
        (en, ru) if ru > en => Some(Lang::Ru),
        _ => Some(Lang::En),
    }
}
