//! The knowledge base: its model, its dates, and reading and checking its files (from text, never from disk).

pub mod date;
pub mod model;
pub mod parse;

pub use date::Date;
pub use model::{
    Entry, Gap, KnowledgeBase, Lang, LangBlock, LocalText, Smalltalk, SmalltalkKind, Source,
    SourceKind, SynonymGroup, Texts, TEXT_KEYS, TOPICS,
};
pub use parse::{parse, CheckOptions, Parsed, Problem, Severity, SourceFile};
