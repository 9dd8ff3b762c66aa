//! Topics no entry answers (`knowledge/gaps.toml`): fines, citizenship, bank accounts, ... A question that asks
//! about one of them shares words with entries that do not answer it ("how big is the fine for living without
//! registration?" with the registration rule), and its score can clear every threshold. Such a question is neither
//! answered nor suggested with an entry unless the entry speaks of that topic: in its answer, its caution or its
//! tags, or in a learned variant (taught by staff) that matched.

use crate::knowledge::{Entry, Gap};
use crate::text;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use rustc_hash::FxHashMap as HashMap;

/// What an entry says, where it speaks of a topic: its answers, cautions and tags, in every language.
pub fn spoken_texts(e: &Entry) -> impl Iterator<Item = &str> {
    [&e.en, &e.ru]
        .into_iter()
        .flat_map(|b| std::iter::once(&b.answer).chain(&b.caution))
        .chain(&e.tags)
        .map(String::as_str)
}

/// One term of a gap: its folded words, its topic, and whether a question asks about the topic with it (a term)
/// or only an answer speaks of it so (`Gap::spoken_as`).
#[derive(Clone, Debug)]
struct Term {
    words: Vec<String>,
    topic: usize,
    asks: bool,
}

/// The gap topics and the entries that speak of each.
#[derive(Clone, Debug, Default)]
pub struct Gaps {
    topics: Vec<String>,
    /// The terms by their first word.
    by_first: HashMap<String, Vec<Term>>,
    /// Per topic, the entries (by number, ascending) whose answers, cautions or tags name it.
    spoken: Vec<Vec<u32>>,
    /// The longest word of each term, found anywhere in lower-cased text: a text without any is not folded and
    /// read word by word (`note_entry` reads every answer while the index is built).
    longest_words: Option<AhoCorasick>,
}

impl Gaps {
    pub fn new(gaps: &[Gap]) -> Gaps {
        let mut by_first: HashMap<String, Vec<Term>> = HashMap::default();
        for (topic, g) in gaps.iter().enumerate() {
            let asking = g.terms.iter().map(|t| (t, true));
            for (t, asks) in asking.chain(g.spoken_as.iter().map(|t| (t, false))) {
                let words: Vec<String> = text::words(&text::fold(t)).map(str::to_string).collect();
                if let Some(first) = words.first() {
                    by_first
                        .entry(first.clone())
                        .or_default()
                        .push(Term { words, topic, asks });
                }
            }
        }
        let longest = by_first.values().flatten().filter_map(|t| {
            t.words
                .iter()
                .max_by_key(|w| w.chars().count())
                .map(String::as_str)
        });
        // Built from a few hundred short words: it cannot fail (its only errors are size limits).
        let longest_words = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .build(longest)
            .ok();
        Gaps {
            topics: gaps.iter().map(|g| g.topic.clone()).collect(),
            by_first,
            spoken: vec![Vec::new(); gaps.len()],
            longest_words,
        }
    }

    /// Whether there are no gap topics (then nothing is read).
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// The topics a folded text names, ascending, once each: with the terms a question asks with, and with
    /// `Gap::spoken_as` too when `answer`.
    fn named(&self, folded: &str, answer: bool) -> Vec<usize> {
        let words: Vec<&str> = text::words(folded).collect();
        let mut topics: Vec<usize> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            for t in self.by_first.get(*w).into_iter().flatten() {
                let rest = &words[i..];
                let here =
                    rest.len() >= t.words.len() && t.words.iter().zip(rest).all(|(a, b)| a == b);
                if here && (t.asks || answer) {
                    topics.push(t.topic);
                }
            }
        }
        topics.sort_unstable();
        topics.dedup();
        topics
    }

    /// Notes which topics entry number `entry` speaks of in `texts` (`spoken_texts`). Entries are added in
    /// ascending number.
    pub fn note_entry<'t>(&mut self, entry: u32, texts: impl IntoIterator<Item = &'t str>) {
        if self.is_empty() {
            return;
        }
        for t in texts {
            // Folding changes letters only in case, ё→е and compatibility forms (NFKC: fullwidth letters, which
            // curated answers do not use): a text whose lower-cased form holds no term's longest word names no topic.
            let lower = t.to_lowercase();
            let lower = if lower.contains('ё') {
                lower.replace('ё', "е")
            } else {
                lower
            };
            if self
                .longest_words
                .as_ref()
                .is_some_and(|ac| !ac.is_match(&lower))
            {
                continue;
            }
            for topic in self.named(&text::fold(t), true) {
                let spoken = &mut self.spoken[topic];
                if spoken.last() != Some(&entry) {
                    spoken.push(entry);
                }
            }
        }
    }

    /// The topics a question (folded) asks about, by number.
    pub fn asked(&self, question: &str) -> Vec<usize> {
        if self.is_empty() {
            return Vec::new();
        }
        self.named(question, false)
    }

    /// The first of the topics `asked` (`Gaps::asked`) that entry number `entry` does not speak of, unless
    /// `learned`, the variant staff taught the bot for this entry that matched (folded), names it too: staff
    /// decided that this answer fits that question. (A variant of the knowledge files does not count: one may name
    /// a topic in passing, "I'm an accountant… a bank wants to hire me"; staff tag the entry instead.)
    pub fn unspoken(&self, asked: &[usize], entry: u32, learned: Option<&str>) -> Option<&str> {
        let in_variant = match learned {
            Some(v) if !asked.is_empty() => self.named(v, false),
            _ => Vec::new(),
        };
        asked
            .iter()
            .find(|&&t| self.spoken[t].binary_search(&entry).is_err() && !in_variant.contains(&t))
            .map(|&t| self.topics[t].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(topic: &str, terms: &[&str], spoken_as: &[&str]) -> Gap {
        let strings = |v: &[&str]| v.iter().map(|t| t.to_string()).collect();
        Gap {
            topic: topic.to_string(),
            terms: strings(terms),
            spoken_as: strings(spoken_as),
        }
    }

    #[test]
    fn a_question_on_a_gap_topic_is_open_only_where_the_entry_speaks_of_it() {
        let mut g = Gaps::new(&[
            gap("fines", &["fined", "штраф", "штрафа"], &[]),
            gap("wage", &["minimum wage"], &[]),
            gap("prices", &["cost"], &["free"]),
            gap("children", &["ребенка"], &[]),
        ]);
        g.note_entry(
            0,
            ["Register within 30 days.", "Встаньте на учёт за 30 дней."],
        );
        g.note_entry(1, ["You may be fined if you do not."]);
        g.note_entry(2, ["No.", "минимальная зарплата", "Minimum wage"]);
        g.note_entry(3, ["Calls are free."]);
        g.note_entry(
            4,
            ["Размер ШТРАФА закон не указывает.", "Школа примет Ребёнка."],
        );
        let cases: [(&str, u32, Option<&str>, Option<&str>); 15] = [
            // (question, entry, the learned variant that matched, the topic that keeps it from being answered)
            (
                "how much is the штрафа for late registration",
                0,
                None,
                Some("fines"),
            ),
            ("will i be fined for late registration", 1, None, None),
            // A variant staff taught for this entry that names the topic.
            (
                "will i be fined for late registration",
                0,
                Some("or i will be fined is that true"),
                None,
            ),
            (
                "will i be fined for late registration",
                0,
                Some("when must i register"),
                Some("fines"),
            ),
            ("what is the minimum wage", 0, None, Some("wage")),
            ("what is the minimum wage", 2, None, None),
            // Whole words and whole phrases only.
            ("what is the minimum age", 0, None, None),
            ("is it fine to register late", 0, None, None),
            ("when must i register", 0, None, None),
            // An answer may speak of a topic in words a question does not ask with.
            ("does a call cost money", 3, None, None),
            ("does a call cost money", 0, None, Some("prices")),
            ("is the call free", 0, None, None),
            // Whatever the case and ё in the answer.
            ("какой размер штрафа", 4, None, None),
            ("примут ли ребенка", 4, None, None),
            ("примут ли ребенка", 3, None, Some("children")),
        ];
        for (asked, e, variant, want) in cases {
            assert_eq!(
                g.unspoken(&g.asked(asked), e, variant),
                want,
                "{asked:?} with entry {e}"
            );
        }
    }

    #[test]
    fn no_gaps_leave_every_question_open() {
        let g = Gaps::new(&[]);
        assert!(g.is_empty());
        assert_eq!(g.unspoken(&g.asked("how big is the fine"), 0, None), None);
    }
}
