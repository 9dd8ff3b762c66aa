//! Starting up: read and check the knowledge files, open the database, import what changed, build the matcher.
//!
//! Every command that answers questions starts here, so they all see the same knowledge the same way.

use crate::files;
use crate::knowledge::{self, CheckOptions, Date, KnowledgeBase, Lang, Problem};
use crate::matcher::{Matcher, MatcherBuilder};
use crate::store::{ImportOutcome, Store};
use std::path::PathBuf;

/// Where things are and how big sled's cache is.
#[derive(Clone, Debug)]
pub struct Config {
    pub db: PathBuf,
    pub knowledge: PathBuf,
    pub cache_bytes: u64,
    /// The matcher's `Params::posting_budget` (`usize::MAX`: every posting is walked).
    pub posting_budget: usize,
}

/// Errors at start-up, each one sentence with what to do.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Files(#[from] files::FilesError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The files have errors and the database holds no earlier knowledge to fall back on.
    #[error("the knowledge files have {0} error(s) and no earlier knowledge is stored: run `migbot kb check` and fix them")]
    Invalid(usize),
}

/// What is ready to answer questions.
pub struct App {
    pub store: Store,
    /// Answers, sources and titles; the question variants live in the matcher only
    /// ([`crate::knowledge::Entry::keep_titles_only`]).
    pub kb: KnowledgeBase,
    pub matcher: Matcher,
    /// Whether the files were imported at this start (false: unchanged, or refused).
    pub imported: bool,
    /// Problems in the files; when there are errors the stored knowledge is used instead.
    pub problems: Vec<Problem>,
}

/// Today's date from the system clock (UTC): adapters pass it into the pure core.
pub fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Date::from_unix_days((secs / 86_400) as i64)
}

/// Seconds since 1970-01-01 UTC.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Reads the knowledge files, opens the database and imports the files when they changed.
///
/// Files with errors are never imported; the knowledge stored earlier keeps serving, with the problems returned
/// for the caller to report. With no stored knowledge to fall back on, start-up fails.
pub fn start(config: &Config) -> Result<App, StartError> {
    let files = files::read_knowledge_dir(&config.knowledge)?;
    let parsed = knowledge::parse(
        &files,
        CheckOptions {
            today: Some(today()),
            ..CheckOptions::default()
        },
    );
    let store = Store::open(&config.db, config.cache_bytes)?;
    let mut imported = false;
    if parsed.has_errors() {
        let errors = parsed.errors().count();
        tracing::warn!(errors, "knowledge files have errors; not imported");
        if !store.has_knowledge()? {
            return Err(StartError::Invalid(errors));
        }
    } else if let ImportOutcome::Imported { entries } = store.import(&files, &parsed.kb)? {
        tracing::info!(entries, "knowledge imported into the database");
        imported = true;
    }
    // The files and the parsed copy are not needed any more: free them before the stored knowledge is loaded
    // and indexed, so that the three copies never share the peak.
    drop(files);
    let problems = parsed.problems;
    drop(parsed.kb);
    let (kb, matcher) =
        serving_knowledge(&store, config.posting_budget)?.ok_or(StartError::Invalid(0))?;
    Ok(App {
        store,
        kb,
        matcher,
        imported,
        problems,
    })
}

/// Re-reads the knowledge files and, when they are valid, imports them and builds a new matcher (with the
/// learned variants). With errors nothing changes and the problems are returned.
pub fn reload(config: &Config, store: &Store) -> Result<(KnowledgeBase, Matcher), Vec<String>> {
    let files = files::read_knowledge_dir(&config.knowledge).map_err(|e| vec![e.to_string()])?;
    let parsed = knowledge::parse(
        &files,
        CheckOptions {
            today: Some(today()),
            ..CheckOptions::default()
        },
    );
    if parsed.has_errors() {
        return Err(parsed.errors().map(ToString::to_string).collect());
    }
    let db_error = |e: crate::store::StoreError| vec![e.to_string()];
    store.import(&files, &parsed.kb).map_err(db_error)?;
    serving_knowledge(store, config.posting_budget)
        .map_err(db_error)?
        .ok_or_else(|| vec!["no knowledge stored".to_string()])
}

/// The stored knowledge as served (answers, sources and titles) and the matcher over it, built while the entries
/// are read, with the learned variants added; `None` when nothing is stored.
fn serving_knowledge(
    store: &Store,
    posting_budget: usize,
) -> Result<Option<(KnowledgeBase, Matcher)>, crate::store::StoreError> {
    let Some((kb, builder)) =
        store.knowledge_indexed(MatcherBuilder::new, MatcherBuilder::add_entry)?
    else {
        return Ok(None);
    };
    let mut matcher = builder.finish().with_params(crate::matcher::Params {
        posting_budget,
        ..crate::matcher::DEFAULT_PARAMS
    });
    // Question variants staff taught the bot survive restarts and knowledge changes.
    for v in store.learned()? {
        if let Err(e) = matcher.add_learned_variant(&v.entry, &v.text) {
            tracing::warn!(entry = %v.entry, error = %e, "a learned variant was not indexed");
        }
    }
    Ok(Some((kb, matcher)))
}

/// The language to answer in: the one asked for, else the question's, else English.
pub fn answer_lang(forced: Option<Lang>, detected: Option<Lang>) -> Lang {
    forced.or(detected).unwrap_or(Lang::En)
}
