//! The knowledge model: entries, their sources, the bot's fixed texts, synonyms and small talk.
//!
//! These are plain values. They are read from TOML by `knowledge::parse`, stored as JSON by `store`, and never
//! do I/O themselves.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A language the bot answers in. Users who write Kazakh, Kyrgyz, Uzbek or Tajik get Russian answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    /// Parses `en` or `ru`.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The topics entries are browsed by. Documented in `knowledge/README.md`.
pub const TOPICS: &[&str] = &["iom", "eaeu", "work", "stay", "social", "help"];

/// One curated answer: what people ask, what the bot answers, and where the answer comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub topic: String,
    /// Fact numbers of `shared/sources/domain-facts.md`, or "seed", that the entry rests on.
    pub facts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub en: LangBlock,
    pub ru: LangBlock,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kk: Option<ExtraQuestions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ky: Option<ExtraQuestions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uz: Option<ExtraQuestions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tg: Option<ExtraQuestions>,
    pub source: Source,
}

impl Entry {
    /// The block for an answer language.
    pub fn block(&self, lang: Lang) -> &LangBlock {
        match lang {
            Lang::En => &self.en,
            Lang::Ru => &self.ru,
        }
    }

    /// Every question variant of the entry, in every language.
    pub fn questions(&self) -> impl Iterator<Item = &str> {
        let extra = [&self.kk, &self.ky, &self.uz, &self.tg]
            .into_iter()
            .flatten()
            .flat_map(|x| x.questions.iter());
        self.en
            .questions
            .iter()
            .chain(self.ru.questions.iter())
            .chain(extra)
            .map(String::as_str)
    }

    /// Every question variant, then the tags: everything the matcher indexes for this entry.
    pub fn all_questions(&self) -> impl Iterator<Item = &str> {
        self.questions().chain(self.tags.iter().map(String::as_str))
    }

    /// A short title for lists and buttons: the first question variant in that language.
    pub fn title(&self, lang: Lang) -> &str {
        self.block(lang)
            .questions
            .first()
            .map(String::as_str)
            .unwrap_or(&self.id)
    }

    /// Drops what only the matcher reads, once it has indexed the entry: every question variant but the first
    /// of each language (the title), the questions in other languages, the tags. A serving process keeps
    /// answers, sources and titles; the matcher keeps the variants once, in its own compact form.
    pub fn keep_titles_only(&mut self) {
        for block in [&mut self.en, &mut self.ru] {
            block.questions.truncate(1);
            block.questions.shrink_to_fit();
        }
        self.kk = None;
        self.ky = None;
        self.uz = None;
        self.tg = None;
        self.tags = Vec::new();
    }

    /// The languages that have an answer.
    pub fn langs(&self) -> Vec<Lang> {
        Lang::ALL.to_vec()
    }
}

/// Questions and answer in one language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LangBlock {
    pub questions: Vec<String>,
    pub answer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caution: Option<String>,
}

/// Extra question variants in a language the bot does not answer in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraQuestions {
    pub questions: Vec<String>,
}

/// Whether the source statement is a verbatim quote or a faithful summary of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Quote,
    Summary,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Quote => "quote",
            SourceKind::Summary => "summary",
        }
    }
}

/// Where an answer comes from. Every entry has one, and every answer shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub kind: SourceKind,
    pub statement: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_ru: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub title: String,
    pub url: String,
    /// The source's own date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; absent for an undated page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `YYYY-MM-DD`: when the fact was last read in its source.
    pub last_verified: String,
}

impl Source {
    /// The statement for a reader of `lang`: the Russian rendering where there is one for Russian readers.
    pub fn statement_for(&self, lang: Lang) -> &str {
        match (lang, &self.statement_ru) {
            (Lang::Ru, Some(ru)) => ru,
            _ => &self.statement,
        }
    }
}

/// A text in both answer languages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalText {
    pub en: String,
    pub ru: String,
}

impl LocalText {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ru => &self.ru,
        }
    }
}

/// The keys `texts.toml` must define. The code asks for these and nothing else.
pub const TEXT_KEYS: &[&str] = &[
    "welcome",
    "help",
    "about",
    "privacy",
    "no_answer",
    "no_answer_nearest",
    "not_saved",
    "did_you_mean",
    "none_of_these",
    "none_recorded",
    "smalltalk_greeting",
    "smalltalk_thanks",
    "smalltalk_bye",
    "smalltalk_about",
    "non_text",
    "rate_limited",
    "lang_prompt",
    "lang_set",
    "forgotten",
    "feedback_thanks_up",
    "feedback_thanks_down",
    "staff_answer_label",
    "label_source",
    "label_said",
    "label_link",
    "label_verified",
    "label_caution",
    "label_related",
    "label_summary",
    "label_topics",
    "label_back",
    "topic_iom",
    "topic_eaeu",
    "topic_work",
    "topic_stay",
    "topic_social",
    "topic_help",
    "console_hint",
    "menu_start",
    "menu_help",
    "menu_topics",
    "menu_lang",
    "menu_about",
    "menu_privacy",
    "menu_forget",
    "forget_confirm",
    "forget_yes",
    "forget_no",
    "button_expired",
];

/// The bot's fixed texts, by key. Every key of [`TEXT_KEYS`] is present once the knowledge base is checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Texts(pub BTreeMap<String, LocalText>);

impl Texts {
    /// The text for `key` in `lang`; the key itself when it is missing (a checked knowledge base has them all).
    pub fn get<'a>(&'a self, key: &'a str, lang: Lang) -> &'a str {
        self.0.get(key).map(|t| t.get(lang)).unwrap_or(key)
    }
}

/// Words and phrases that mean the same thing, all replaced by `canonical` before matching.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynonymGroup {
    pub canonical: String,
    pub terms: Vec<String>,
}

/// A topic migrants ask about that no entry answers (`knowledge/gaps.toml`): a question that asks about it is
/// not answered with an entry whose answer does not speak of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// A short name for staff and `why` ("fines").
    pub topic: String,
    /// Words and phrases that name the topic, in every language, each inflected form listed (whole words).
    pub terms: Vec<String>,
    /// More words that show an entry's answer speaks of the topic, though a question using them need not ask
    /// about it ("free", "tenge" for prices).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spoken_as: Vec<String>,
}

/// The kinds of small talk the bot recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmalltalkKind {
    Greeting,
    Thanks,
    Bye,
    Ack,
    /// Asking what the bot is ("are you a bot?"): answered with the `smalltalk_about` text.
    About,
}

impl SmalltalkKind {
    pub const ALL: [SmalltalkKind; 5] = [
        SmalltalkKind::Greeting,
        SmalltalkKind::Thanks,
        SmalltalkKind::Bye,
        SmalltalkKind::Ack,
        SmalltalkKind::About,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SmalltalkKind::Greeting => "greeting",
            SmalltalkKind::Thanks => "thanks",
            SmalltalkKind::Bye => "bye",
            SmalltalkKind::Ack => "ack",
            SmalltalkKind::About => "about",
        }
    }

    /// The key of the reply in `texts.toml`.
    pub fn text_key(self) -> &'static str {
        match self {
            SmalltalkKind::Greeting | SmalltalkKind::Ack => "smalltalk_greeting",
            SmalltalkKind::Thanks => "smalltalk_thanks",
            SmalltalkKind::Bye => "smalltalk_bye",
            SmalltalkKind::About => "smalltalk_about",
        }
    }
}

/// Phrases of small talk, by kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Smalltalk {
    pub phrases: Vec<(SmalltalkKind, String)>,
}

/// The whole curated knowledge: what the matcher indexes and what the adapters show.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeBase {
    pub entries: Vec<Entry>,
    pub texts: Texts,
    pub synonyms: Vec<SynonymGroup>,
    pub smalltalk: Smalltalk,
    /// Topics no entry answers (`gaps.toml`).
    #[serde(default)]
    pub gaps: Vec<Gap>,
}

impl KnowledgeBase {
    /// The entry with this id. Entries come sorted by id from the parser and the store, so this is a binary
    /// search; a knowledge base built in another order is still searched right, by a scan when the search misses.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        match self.entries.binary_search_by(|e| e.id.as_str().cmp(id)) {
            Ok(i) => Some(&self.entries[i]),
            Err(_) => self.entries.iter().find(|e| e.id == id),
        }
    }

    /// Ids of entries last verified at least `max_age_months` before `today`: rules that may have changed.
    pub fn stale_ids(&self, today: &super::Date, max_age_months: i64) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| {
                super::Date::parse_full(&e.source.last_verified)
                    .is_some_and(|d| d.months_until(today) >= max_age_months)
            })
            .map(|e| e.id.clone())
            .collect()
    }
}
