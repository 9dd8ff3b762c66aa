//! The sled adapter: the database that holds the imported knowledge and everything the bot records.
//!
//! Trees: `meta` (schema version, hash of the imported knowledge files, the key for pseudonymous user
//! references), `kb` (the knowledge: one key per entry plus the texts, synonyms and small talk), `unanswered`
//! (questions the bot could not answer, for staff), `routes` (the chat to send a staff reply to, per unanswered
//! question: the only place a Telegram id is kept), `pending` (questions whose reply carries buttons: suggestions,
//! feedback), `feedback`, `users` (per-user settings, keyed by the pseudonymous reference) and `learned`
//! (question variants staff taught the bot). Values are JSON; integer keys are big-endian so they sort in order.

use crate::knowledge::{
    Entry, Gap, KnowledgeBase, Lang, Smalltalk, SourceFile, SynonymGroup, Texts,
};
use crate::review::{self, GroupStatus, ReviewGroup};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use std::path::{Path, PathBuf};

/// The layout version this build reads and writes. A database with another version is refused.
pub const SCHEMA_VERSION: u32 = 1;
/// sled's page cache, in bytes, unless configured (sled's own default is 1 GiB).
pub const DEFAULT_CACHE_BYTES: u64 = 32 * 1024 * 1024;

const KEY_SCHEMA: &[u8] = b"schema_version";
const KEY_KB_HASH: &[u8] = b"kb_hash";
const KEY_TEXTS: &[u8] = b"texts";
const KEY_SYNONYMS: &[u8] = b"synonyms";
const KEY_SMALLTALK: &[u8] = b"smalltalk";
const KEY_GAPS: &[u8] = b"gaps";
const ENTRY_PREFIX: &[u8] = b"entry/";
const KEY_USER_KEY: &[u8] = b"user_ref_key";

/// Errors from the database, each a sentence a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (usually the running bot) holds the database; sled allows one process per database.
    #[error("the database {0} is in use by another migbot process (sled allows one process per database): stop the bot first, or use the bot's staff commands in Telegram")]
    Locked(PathBuf),
    /// The database was written by a different version of migbot.
    #[error("the database {path} has schema version {found}, but this migbot reads version {expected}: run the matching migbot version, or restore a backup made with `migbot db export`")]
    UnknownVersion {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    /// sled reports corruption.
    #[error("the database {path} is corrupted ({detail}): restore it from a backup, or move it away to start afresh")]
    Corrupt { path: PathBuf, detail: String },
    /// The disk is full (or a file-size limit or quota is reached).
    #[error("the disk holding the database {0} is full (or a file-size limit or quota is reached): free some space, then start migbot again")]
    DiskFull(PathBuf),
    /// Any other failure opening the database (permissions, a file where a folder should be...).
    #[error("could not open the database {path}: {detail}")]
    Open { path: PathBuf, detail: String },
    /// A read or write failed while running.
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    /// A stored value could not be decoded.
    #[error("a stored value in tree `{tree}` could not be read ({detail}): restore a backup")]
    Decode { tree: &'static str, detail: String },
}

type Result<T> = std::result::Result<T, StoreError>;

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    /// The files are the ones already imported: nothing was written.
    Unchanged,
    /// The stored knowledge was replaced, in one transaction, by this many entries.
    Imported { entries: usize },
}

/// A question the bot could not answer (or a 👎, or "None of these"), kept for staff review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnansweredQuestion {
    pub id: u64,
    /// Seconds since 1970-01-01 UTC.
    pub time: u64,
    pub lang: Lang,
    /// The text as asked.
    pub text: String,
    /// `unanswered`, `none-of-these` or `thumbs-down`.
    pub reason: String,
    pub nearest: Option<String>,
    pub score: f64,
    /// A pseudonymous reference to the user, never a Telegram id, name or username.
    pub user: String,
    /// The review group it belongs to (0 before it is queued).
    #[serde(default)]
    pub group: u64,
}

/// What queueing a question did to the review queue.
#[derive(Clone, Debug, PartialEq)]
pub struct Queued {
    pub question: u64,
    pub group: ReviewGroup,
    /// The question started a new group.
    pub new_group: bool,
    /// The group's count crossed a repost threshold: staff should hear of it again.
    pub repost: bool,
}

/// A question variant staff taught the bot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LearnedVariant {
    pub entry: String,
    pub text: String,
    pub lang: Lang,
    pub time: u64,
}

/// One question's outcome, for statistics (no text, no user).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuestionEvent {
    pub time: u64,
    pub outcome: String,
    pub entry: Option<String>,
    pub lang: Lang,
}

/// What a purge removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    pub questions: usize,
    pub routes: usize,
    pub groups: usize,
}

/// The open database.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    path: PathBuf,
    meta: sled::Tree,
    kb: sled::Tree,
    unanswered: sled::Tree,
    routes: sled::Tree,
    pending: sled::Tree,
    feedback: sled::Tree,
    users: sled::Tree,
    learned: sled::Tree,
    groups: sled::Tree,
    posts: sled::Tree,
    events: sled::Tree,
    updates: sled::Tree,
    user_key: [u8; 32],
    /// Serialises the read-modify-write of review groups.
    queue_lock: std::sync::Arc<std::sync::Mutex<()>>,
    /// Group commit: concurrent `flush_async` calls share one disk flush.
    flusher: std::sync::Arc<GroupFlush>,
    /// The last write or flush that failed while running (a full disk...), cleared by the next flush that
    /// succeeds; `/healthz` reports it.
    write_failure: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

/// What was done with a Telegram update, for re-deliveries after a crash (tree `updates`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateState {
    /// Its question is in the review queue under this id; the confirmation may not have been sent.
    Queued(u64),
    /// Its reply was about to be sent: never handle it again.
    Handled,
}

impl UpdateState {
    fn encode(self) -> Vec<u8> {
        match self {
            UpdateState::Handled => b"h".to_vec(),
            UpdateState::Queued(id) => {
                let mut v = b"q".to_vec();
                v.extend_from_slice(&id.to_be_bytes());
                v
            }
        }
    }

    fn decode(v: &[u8]) -> UpdateState {
        match v {
            [b'q', id @ ..] => <[u8; 8]>::try_from(id)
                .map(|id| UpdateState::Queued(u64::from_be_bytes(id)))
                .unwrap_or(UpdateState::Handled),
            _ => UpdateState::Handled,
        }
    }
}

/// Requests to flush are numbered; one flush covers every request made before it started.
#[derive(Debug, Default)]
struct GroupFlush {
    requested: std::sync::atomic::AtomicU64,
    /// The highest request number known to be on disk.
    flushed: tokio::sync::Mutex<u64>,
}

/// A question whose reply carries buttons (suggestions, feedback): what a button press needs to act on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingQuestion {
    pub time: u64,
    pub lang: Lang,
    pub text: String,
    pub user: String,
    /// The answered entry, or the suggested ones.
    pub entries: Vec<String>,
}

/// A 👍 or 👎 on an answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub time: u64,
    pub entry: String,
    pub helpful: bool,
    pub user: String,
}

/// Per-user settings, keyed by the pseudonymous reference.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserSettings {
    pub lang: Option<Lang>,
}

/// How to reach the user who asked an unanswered question (kept apart from the question itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplyRoute {
    pub chat_id: i64,
    pub message_id: i32,
    pub time: u64,
}

/// The error of a sled transaction: the storage's own, or an abort (which migbot's transactions never ask for)
/// reported against `tree`.
fn transaction_error(
    tree: &'static str,
    detail: &'static str,
) -> impl FnOnce(TransactionError<()>) -> StoreError {
    move |e| match e {
        TransactionError::Storage(e) => StoreError::Sled(e),
        TransactionError::Abort(()) => StoreError::Decode {
            tree,
            detail: detail.to_string(),
        },
    }
}

impl Store {
    /// Opens (or creates) the database at `path` with an explicit cache size, and checks its schema version.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        }
        // A database whose files exist but hold nothing of migbot's lost its contents: sled drops a log it
        // cannot read back as if it were an unfinished write, so this is how corruption shows.
        let existed = path.join("db").metadata().is_ok_and(|m| m.len() > 0);
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(cache_bytes)
            .open()
            .map_err(|e| classify_open_error(path, e))?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| classify_open_error(path, e));
        let store = Store {
            meta: tree("meta")?,
            kb: tree("kb")?,
            unanswered: tree("unanswered")?,
            routes: tree("routes")?,
            pending: tree("pending")?,
            feedback: tree("feedback")?,
            users: tree("users")?,
            learned: tree("learned")?,
            groups: tree("groups")?,
            posts: tree("posts")?,
            events: tree("events")?,
            updates: tree("updates")?,
            path: path.to_path_buf(),
            db,
            user_key: [0; 32],
            queue_lock: Default::default(),
            flusher: Default::default(),
            write_failure: Default::default(),
        };
        store.check_schema(existed)?;
        let mut store = store;
        store.user_key = store.load_user_key()?;
        Ok(store)
    }

    /// The secret key of pseudonymous user references: made once per database from the OS's random source.
    fn load_user_key(&self) -> Result<[u8; 32]> {
        if let Some(k) = self.meta.get(KEY_USER_KEY)? {
            if let Ok(key) = <[u8; 32]>::try_from(k.as_ref()) {
                return Ok(key);
            }
        }
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|e| StoreError::Open {
            path: self.path.clone(),
            detail: format!("no random source for the user-reference key: {e}"),
        })?;
        self.meta.insert(KEY_USER_KEY, &key)?;
        self.meta.flush()?;
        Ok(key)
    }

    /// A pseudonymous reference for a Telegram user id: a keyed hash, stable for this database, that cannot be
    /// turned back into the id without the database's key.
    pub fn user_ref(&self, telegram_user_id: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.user_key);
        h.update(telegram_user_id.to_be_bytes());
        h.finalize()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn check_schema(&self, existed: bool) -> Result<()> {
        match self.meta.get(KEY_SCHEMA)? {
            None if existed => Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: "its files are there but hold no migbot data, not even the schema version"
                    .to_string(),
            }),
            None => {
                self.meta
                    .insert(KEY_SCHEMA, &SCHEMA_VERSION.to_be_bytes())?;
                self.meta.flush()?;
                Ok(())
            }
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if found == SCHEMA_VERSION {
                    Ok(())
                } else {
                    Err(StoreError::UnknownVersion {
                        path: self.path.clone(),
                        found,
                        expected: SCHEMA_VERSION,
                    })
                }
            }
        }
    }

    /// Writes a schema version (tests use it to simulate a database from another migbot version).
    #[doc(hidden)]
    pub fn force_schema_version(&self, version: u32) -> Result<()> {
        self.meta.insert(KEY_SCHEMA, &version.to_be_bytes())?;
        self.meta.flush()?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fingerprint of the knowledge files: their paths and contents.
    pub fn files_hash(files: &[SourceFile]) -> String {
        let mut h = Sha256::new();
        for f in files {
            h.update(f.path.as_bytes());
            h.update([0]);
            h.update(f.content.as_bytes());
            h.update([0]);
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Replaces the stored knowledge with `kb` (parsed from `files`) in one transaction, unless the same files
    /// were imported last time.
    pub fn import(&self, files: &[SourceFile], kb: &KnowledgeBase) -> Result<ImportOutcome> {
        let hash = Self::files_hash(files);
        if self.meta.get(KEY_KB_HASH)?.as_deref() == Some(hash.as_bytes()) {
            return Ok(ImportOutcome::Unchanged);
        }
        let mut new: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(kb.entries.len() + 4);
        for e in &kb.entries {
            let mut key = ENTRY_PREFIX.to_vec();
            key.extend_from_slice(e.id.as_bytes());
            new.push((key, to_json(e)?));
        }
        new.push((KEY_TEXTS.to_vec(), to_json(&kb.texts)?));
        new.push((KEY_SYNONYMS.to_vec(), to_json(&kb.synonyms)?));
        new.push((KEY_SMALLTALK.to_vec(), to_json(&kb.smalltalk)?));
        new.push((KEY_GAPS.to_vec(), to_json(&kb.gaps)?));
        let old: Vec<sled::IVec> = self
            .kb
            .iter()
            .keys()
            .collect::<std::result::Result<_, _>>()?;
        (&self.kb, &self.meta)
            .transaction(|(kb_tx, meta_tx)| {
                for k in &old {
                    kb_tx.remove(k)?;
                }
                for (k, v) in &new {
                    kb_tx.insert(k.as_slice(), v.as_slice())?;
                }
                meta_tx.insert(KEY_KB_HASH, hash.as_bytes())?;
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error("kb", "import aborted"))?;
        self.db.flush()?;
        Ok(ImportOutcome::Imported {
            entries: kb.entries.len(),
        })
    }

    /// The stored knowledge, or `None` if nothing was ever imported.
    pub fn knowledge(&self) -> Result<Option<KnowledgeBase>> {
        Ok(self
            .knowledge_each(|_| (), |(), _| {}, false)?
            .map(|(kb, ())| kb))
    }

    /// Whether any knowledge is stored (without reading it).
    pub fn has_knowledge(&self) -> Result<bool> {
        Ok(self.kb.contains_key(KEY_TEXTS)?)
    }

    /// The stored knowledge for serving, with its index built as the entries are read: `start` gets the
    /// knowledge base without entries (texts, synonyms, small talk), `add` each entry in turn; each entry is then
    /// kept with its titles only ([`Entry::keep_titles_only`]), so that all the question variants are never held
    /// twice. `None` when nothing is stored.
    pub fn knowledge_indexed<I>(
        &self,
        start: impl FnOnce(&KnowledgeBase) -> I,
        add: impl FnMut(&mut I, &Entry),
    ) -> Result<Option<(KnowledgeBase, I)>> {
        self.knowledge_each(start, add, true)
    }

    /// Reads the stored knowledge entry by entry: `knowledge` keeps every entry whole, `knowledge_indexed` slims
    /// each one after `add` has seen it.
    fn knowledge_each<I>(
        &self,
        start: impl FnOnce(&KnowledgeBase) -> I,
        mut add: impl FnMut(&mut I, &Entry),
        slim: bool,
    ) -> Result<Option<(KnowledgeBase, I)>> {
        let Some(texts) = self.kb.get(KEY_TEXTS)? else {
            return Ok(None);
        };
        let decode_err = |detail: String| StoreError::Decode { tree: "kb", detail };
        let texts: Texts = serde_json::from_slice(&texts).map_err(|e| decode_err(e.to_string()))?;
        let get = |key: &[u8]| -> Result<Vec<u8>> {
            Ok(self
                .kb
                .get(key)?
                .map(|v| v.to_vec())
                .unwrap_or_else(|| b"null".to_vec()))
        };
        let synonyms: Option<Vec<SynonymGroup>> =
            serde_json::from_slice(&get(KEY_SYNONYMS)?).map_err(|e| decode_err(e.to_string()))?;
        let smalltalk: Option<Smalltalk> =
            serde_json::from_slice(&get(KEY_SMALLTALK)?).map_err(|e| decode_err(e.to_string()))?;
        let gaps: Option<Vec<Gap>> =
            serde_json::from_slice(&get(KEY_GAPS)?).map_err(|e| decode_err(e.to_string()))?;
        let mut kb = KnowledgeBase {
            entries: Vec::new(),
            texts,
            synonyms: synonyms.unwrap_or_default(),
            smalltalk: smalltalk.unwrap_or_default(),
            gaps: gaps.unwrap_or_default(),
        };
        let mut index = start(&kb);
        for item in self.kb.scan_prefix(ENTRY_PREFIX) {
            let (_, v) = item?;
            let mut e: Entry = serde_json::from_slice(&v).map_err(|e| decode_err(e.to_string()))?;
            add(&mut index, &e);
            if slim {
                e.keep_titles_only();
            }
            kb.entries.push(e);
        }
        kb.entries.shrink_to_fit();
        Ok(Some((kb, index)))
    }

    /// Records an unanswered question in the review queue and waits until it is on disk.
    pub fn record_unanswered(&self, q: UnansweredQuestion) -> Result<Queued> {
        let queued = self.queue(q, None, None)?;
        self.db.flush()?;
        Ok(queued)
    }

    /// Adds a question to the review queue (and its group), with the route to reply to its asker if any.
    /// The caller flushes.
    /// The question, its group, its route and the update's mark are written in one transaction: after a crash
    /// either all are there or none.
    fn queue(
        &self,
        mut q: UnansweredQuestion,
        route: Option<ReplyRoute>,
        update: Option<u32>,
    ) -> Result<Queued> {
        let _guard = self.queue_lock.lock().unwrap_or_else(|p| p.into_inner());
        q.id = self.db.generate_id()?;
        let folded = crate::text::fold(&q.text);
        let existing = self
            .groups()?
            .into_iter()
            .find(|g| g.is_open() && review::same_group(&folded, &g.folded));
        let (group, new_group, repost) = match existing {
            Some(mut g) => {
                let before = g.count;
                g.count += 1;
                g.last_seen = q.time;
                *g.langs.entry(q.lang).or_insert(0) += 1;
                let repost = review::crosses_repost(before, g.count);
                (g, false, repost)
            }
            None => {
                let g = ReviewGroup {
                    id: self.db.generate_id()?,
                    text: q.text.clone(),
                    folded,
                    count: 1,
                    first_seen: q.time,
                    last_seen: q.time,
                    langs: [(q.lang, 1)].into_iter().collect(),
                    nearest: q.nearest.clone(),
                    score: q.score,
                    status: GroupStatus::Open,
                };
                (g, true, false)
            }
        };
        q.group = group.id;
        let group_json = to_json(&group)?;
        let question_json = to_json(&q)?;
        let route_json = route.as_ref().map(to_json).transpose()?;
        let mark = UpdateState::Queued(q.id).encode();
        (&self.groups, &self.unanswered, &self.routes, &self.updates)
            .transaction(|(groups, unanswered, routes, updates)| {
                groups.insert(&group.id.to_be_bytes(), group_json.as_slice())?;
                unanswered.insert(&q.id.to_be_bytes(), question_json.as_slice())?;
                if let Some(route) = &route_json {
                    routes.insert(&q.id.to_be_bytes(), route.as_slice())?;
                }
                if let Some(update) = update {
                    updates.insert(&update.to_be_bytes(), mark.as_slice())?;
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .map_err(transaction_error("unanswered", "queueing aborted"))?;
        Ok(Queued {
            question: q.id,
            group,
            new_group,
            repost,
        })
    }

    /// Records an unanswered question with the route to reply to its asker, and waits until both are on disk.
    /// With the Telegram update it came in, the update is marked as queued in the same transaction, so that a
    /// re-delivery after a crash finds the question instead of queueing it twice.
    pub async fn record_unanswered_with_route(
        &self,
        q: UnansweredQuestion,
        route: ReplyRoute,
        update: Option<u32>,
    ) -> Result<Queued> {
        let queued = self.queue(q, Some(route), update)?;
        self.flush_async().await?;
        Ok(queued)
    }

    /// Whether a question is in the review queue.
    pub fn has_question(&self, id: u64) -> Result<bool> {
        Ok(self.unanswered.contains_key(id.to_be_bytes())?)
    }

    /// Every review group, oldest first.
    pub fn groups(&self) -> Result<Vec<ReviewGroup>> {
        self.groups
            .iter()
            .values()
            .map(|v| decode(&v?, "groups"))
            .collect()
    }

    /// Open groups, largest first (then most recent).
    pub fn open_groups(&self) -> Result<Vec<ReviewGroup>> {
        let mut open: Vec<ReviewGroup> = self
            .groups()?
            .into_iter()
            .filter(ReviewGroup::is_open)
            .collect();
        open.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_seen.cmp(&a.last_seen)));
        Ok(open)
    }

    pub fn group(&self, id: u64) -> Result<Option<ReviewGroup>> {
        decode_opt(self.groups.get(id.to_be_bytes())?, "groups")
    }

    /// The questions of a group, oldest first.
    pub fn group_questions(&self, group: u64) -> Result<Vec<UnansweredQuestion>> {
        Ok(self
            .unanswered()?
            .into_iter()
            .filter(|q| q.group == group)
            .collect())
    }

    /// Sets a group's status; answered, linked or dismissed groups drop their reply routes.
    pub fn set_group_status(&self, id: u64, status: GroupStatus) -> Result<Option<ReviewGroup>> {
        let _guard = self.queue_lock.lock().unwrap_or_else(|p| p.into_inner());
        let Some(mut g) = self.group(id)? else {
            return Ok(None);
        };
        g.status = status;
        self.groups.insert(id.to_be_bytes(), to_json(&g)?)?;
        if !g.is_open() {
            for q in self.group_questions(id)? {
                self.routes.remove(q.id.to_be_bytes())?;
            }
        }
        self.db.flush()?;
        Ok(Some(g))
    }

    /// Sets a group's status and keeps its reply routes (a link made from the CLI: the bot answers the waiting
    /// users at its next start).
    pub fn set_group_status_keep_routes(
        &self,
        id: u64,
        status: GroupStatus,
    ) -> Result<Option<ReviewGroup>> {
        let Some(mut g) = self.group(id)? else {
            return Ok(None);
        };
        g.status = status;
        self.groups.insert(id.to_be_bytes(), to_json(&g)?)?;
        self.db.flush()?;
        Ok(Some(g))
    }

    /// The waiting askers of a group: (question, route), oldest first.
    pub fn group_routes(&self, group: u64) -> Result<Vec<(UnansweredQuestion, ReplyRoute)>> {
        let mut out = Vec::new();
        for q in self.group_questions(group)? {
            if let Some(r) = self.route(q.id)? {
                out.push((q, r));
            }
        }
        Ok(out)
    }

    /// Drops one reply route (the user blocked the bot, or was answered).
    pub fn remove_route(&self, question: u64) -> Result<()> {
        self.routes.remove(question.to_be_bytes())?;
        Ok(())
    }

    /// Remembers that a message in the staff chat is about a group.
    pub fn add_post(&self, chat: i64, message: i32, group: u64) -> Result<()> {
        self.posts
            .insert(post_key(chat, message), &group.to_be_bytes())?;
        Ok(())
    }

    /// The group a staff-chat message is about.
    pub fn post_group(&self, chat: i64, message: i32) -> Result<Option<u64>> {
        Ok(self
            .posts
            .get(post_key(chat, message))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(u64::from_be_bytes))
    }

    /// Stores a learned variant (the matcher is told separately).
    pub fn add_learned(&self, v: &LearnedVariant) -> Result<()> {
        let id = self.db.generate_id()?;
        self.learned.insert(id.to_be_bytes(), to_json(v)?)?;
        Ok(())
    }

    /// Every learned variant, oldest first.
    pub fn learned(&self) -> Result<Vec<LearnedVariant>> {
        self.learned
            .iter()
            .values()
            .map(|v| decode(&v?, "learned"))
            .collect()
    }

    /// Records a question's outcome for statistics (not flushed: losing the last half second of counts is fine).
    pub fn record_event(&self, e: &QuestionEvent) -> Result<()> {
        let id = self.db.generate_id()?;
        let mut key = e.time.to_be_bytes().to_vec();
        key.extend_from_slice(&id.to_be_bytes());
        self.events.insert(key, to_json(e)?)?;
        Ok(())
    }

    /// Question outcomes at or after `since` (seconds since 1970).
    pub fn events_since(&self, since: u64) -> Result<Vec<QuestionEvent>> {
        self.events
            .range(since.to_be_bytes().to_vec()..)
            .values()
            .map(|v| decode(&v?, "events"))
            .collect()
    }

    /// Removes question texts older than `question_days` (with their routes, and groups last seen before then)
    /// and reply routes older than `route_days`.
    pub fn purge(&self, now: u64, question_days: u64, route_days: u64) -> Result<Purged> {
        let _guard = self.queue_lock.lock().unwrap_or_else(|p| p.into_inner());
        let q_cut = now.saturating_sub(question_days * 86_400);
        let r_cut = now.saturating_sub(route_days * 86_400);
        let mut purged = Purged::default();
        for item in self.unanswered.iter() {
            let (k, v) = item?;
            let q: UnansweredQuestion = decode(&v, "unanswered")?;
            if q.time < q_cut {
                self.unanswered.remove(&k)?;
                purged.questions += 1;
                if self.routes.remove(&k)?.is_some() {
                    purged.routes += 1;
                }
            }
        }
        for item in self.routes.iter() {
            let (k, v) = item?;
            let r: ReplyRoute = decode(&v, "routes")?;
            if r.time < r_cut {
                self.routes.remove(&k)?;
                purged.routes += 1;
            }
        }
        for item in self.groups.iter() {
            let (k, v) = item?;
            let g: ReviewGroup = decode(&v, "groups")?;
            if g.last_seen < q_cut {
                self.groups.remove(&k)?;
                purged.groups += 1;
            }
        }
        self.db.flush()?;
        Ok(purged)
    }

    /// Every recorded unanswered question, oldest first.
    pub fn unanswered(&self) -> Result<Vec<UnansweredQuestion>> {
        self.unanswered
            .iter()
            .values()
            .map(|v| {
                let v = v?;
                serde_json::from_slice(&v).map_err(|e| StoreError::Decode {
                    tree: "unanswered",
                    detail: e.to_string(),
                })
            })
            .collect()
    }

    /// Saves a question whose reply carries buttons; returns its id for the buttons' callback data.
    pub fn save_pending(&self, p: &PendingQuestion) -> Result<u64> {
        let id = self.db.generate_id()?;
        self.pending.insert(id.to_be_bytes(), to_json(p)?)?;
        Ok(id)
    }

    pub fn pending(&self, id: u64) -> Result<Option<PendingQuestion>> {
        decode_opt(self.pending.get(id.to_be_bytes())?, "pending")
    }

    pub fn record_feedback(&self, f: &Feedback) -> Result<()> {
        let id = self.db.generate_id()?;
        self.feedback.insert(id.to_be_bytes(), to_json(f)?)?;
        Ok(())
    }

    /// Every recorded feedback, oldest first.
    pub fn feedback(&self) -> Result<Vec<Feedback>> {
        self.feedback
            .iter()
            .values()
            .map(|v| decode(&v?, "feedback"))
            .collect()
    }

    pub fn user_settings(&self, user: &str) -> Result<UserSettings> {
        Ok(decode_opt(self.users.get(user)?, "users")?.unwrap_or_default())
    }

    pub fn set_user_settings(&self, user: &str, settings: &UserSettings) -> Result<()> {
        self.users.insert(user, to_json(settings)?)?;
        self.users.flush()?;
        Ok(())
    }

    /// The route to reply to the asker of an unanswered question, if it is still kept.
    pub fn route(&self, question: u64) -> Result<Option<ReplyRoute>> {
        decode_opt(self.routes.get(question.to_be_bytes())?, "routes")
    }

    /// Deletes everything stored about a user: settings, their unanswered questions and the routes to them,
    /// their pending questions and their feedback. Returns how many records were removed.
    pub fn forget_user(&self, user: &str) -> Result<usize> {
        let mut removed = usize::from(self.users.remove(user)?.is_some());
        for item in self.unanswered.iter() {
            let (k, v) = item?;
            let q: UnansweredQuestion = decode(&v, "unanswered")?;
            if q.user == user {
                self.unanswered.remove(&k)?;
                self.routes.remove(&k)?;
                removed += 1;
            }
        }
        // A group whose first question was this user's shows another of its questions, or goes.
        for g in self.groups()? {
            let rest = self.group_questions(g.id)?;
            match rest.first() {
                None => {
                    self.groups.remove(g.id.to_be_bytes())?;
                }
                Some(first) if !rest.iter().any(|q| q.text == g.text) => {
                    let g = ReviewGroup {
                        text: first.text.clone(),
                        folded: crate::text::fold(&first.text),
                        ..g
                    };
                    self.groups.insert(g.id.to_be_bytes(), to_json(&g)?)?;
                }
                Some(_) => {}
            }
        }
        for item in self.pending.iter() {
            let (k, v) = item?;
            let p: PendingQuestion = decode(&v, "pending")?;
            if p.user == user {
                self.pending.remove(&k)?;
                removed += 1;
            }
        }
        for item in self.feedback.iter() {
            let (k, v) = item?;
            let f: Feedback = decode(&v, "feedback")?;
            if f.user == user {
                self.feedback.remove(&k)?;
                removed += 1;
            }
        }
        self.db.flush()?;
        Ok(removed)
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Writes everything written so far to disk without blocking the async runtime. sled's own `flush_async`
    /// can hang when several run at once (sled issue #1308), so the blocking flush runs on tokio's blocking pool.
    /// Concurrent callers share flushes (group commit): a caller waits for the first flush that starts after
    /// its call, so a burst of questions costs a few disk flushes, not one each.
    pub async fn flush_async(&self) -> Result<()> {
        use std::sync::atomic::Ordering;
        let mine = self.flusher.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut flushed = self.flusher.flushed.lock().await;
        if *flushed >= mine {
            return Ok(());
        }
        // Every request numbered up to here was made before this flush starts, so it covers them all.
        let covers = self.flusher.requested.load(Ordering::SeqCst);
        let db = self.db.clone();
        let result = match tokio::task::spawn_blocking(move || db.flush()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Sled(e)),
            Err(e) => Err(StoreError::Open {
                path: self.path.clone(),
                detail: format!("the flush task failed: {e}"),
            }),
        };
        match &result {
            Ok(()) => {
                *flushed = covers;
                self.clear_write_failure();
            }
            Err(e) => self.note_write_failure(e),
        }
        result
    }

    /// Remembers a failed write for `/healthz` and logs it once per kind of failure.
    pub fn note_write_failure(&self, e: &StoreError) {
        let text = match e {
            StoreError::Sled(sled::Error::Io(io)) if is_disk_full(io) => {
                StoreError::DiskFull(self.path.clone()).to_string()
            }
            other => other.to_string(),
        };
        let mut last = self.write_failure.lock().unwrap_or_else(|p| p.into_inner());
        if last.as_deref() != Some(text.as_str()) {
            tracing::error!(error = %text, "the database could not be written; answering from memory");
        }
        *last = Some(text);
    }

    fn clear_write_failure(&self) {
        let mut last = self.write_failure.lock().unwrap_or_else(|p| p.into_inner());
        if last.take().is_some() {
            tracing::info!("the database is writable again");
        }
    }

    /// The last write failure, if no flush has succeeded since.
    pub fn write_failure(&self) -> Option<String> {
        self.write_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Marks a Telegram update as handled (its reply is about to be sent), so that a re-delivery after a crash
    /// is skipped. On disk at the next `flush_async`.
    pub fn mark_update_handled(&self, update_id: u32) -> Result<()> {
        self.updates
            .insert(update_id.to_be_bytes(), UpdateState::Handled.encode())?;
        Ok(())
    }

    /// What an earlier run did with an update. A mark naming a question that is not in the queue (purged,
    /// or answered and removed) counts as handled.
    pub fn update_state(&self, update_id: u32) -> Result<Option<UpdateState>> {
        Ok(self
            .updates
            .get(update_id.to_be_bytes())?
            .map(|v| UpdateState::decode(&v)))
    }

    /// Whether an update was handled by an earlier run (queued questions are not: their reply may be owed).
    pub fn update_handled(&self, update_id: u32) -> Result<bool> {
        Ok(matches!(
            self.update_state(update_id)?,
            Some(UpdateState::Handled)
        ))
    }

    /// Forgets handled updates below `offset`: Telegram confirmed them and never sends them again.
    pub fn forget_updates_below(&self, offset: u32) -> Result<usize> {
        let mut n = 0;
        for key in self.updates.range(..offset.to_be_bytes()).keys() {
            self.updates.remove(key?)?;
            n += 1;
        }
        Ok(n)
    }

    /// Every key and value of a tree, for tests that check what is stored.
    #[doc(hidden)]
    pub fn dump_tree(&self, name: &str) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.db
            .open_tree(name)?
            .iter()
            .map(|kv| {
                kv.map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(StoreError::from)
            })
            .collect()
    }
}

/// The first line of a database export: what it is and which layout it holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportHeader {
    /// The export format's version.
    pub migbot_export: u32,
    pub schema_version: u32,
    pub created: u64,
    pub migbot_version: String,
}

/// The export format this build writes and reads.
pub const EXPORT_FORMAT: u32 = 1;

/// One key and value of one tree, in an export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ExportRecord {
    tree: String,
    /// The key, hex-encoded (keys are often big-endian integers).
    key: String,
    /// The value as text when it is UTF-8 (the JSON values, byte for byte), else `hex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hex: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Errors reading an export.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the target database is not empty: import into a new database path")]
    NotEmpty,
    #[error("line {line}: {detail}")]
    Malformed { line: usize, detail: String },
    #[error("the export has format {found} and schema {schema}; this migbot reads format {EXPORT_FORMAT}, schema {SCHEMA_VERSION}")]
    Version { found: u32, schema: u32 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the export: {0}")]
    Io(#[from] std::io::Error),
}

impl Store {
    /// Writes every tree as JSON lines: a header, then one record per key. Safe while the bot runs (sled
    /// iterators see a consistent view of each tree).
    pub fn export(
        &self,
        out: &mut impl std::io::Write,
        now: u64,
    ) -> std::result::Result<usize, ImportError> {
        let header = ExportHeader {
            migbot_export: EXPORT_FORMAT,
            schema_version: SCHEMA_VERSION,
            created: now,
            migbot_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        writeln!(
            out,
            "{}",
            serde_json::to_string(&header).map_err(|e| ImportError::Malformed {
                line: 0,
                detail: e.to_string()
            })?
        )?;
        let mut n = 0;
        let mut names: Vec<sled::IVec> = self.db.tree_names();
        names.sort();
        for name in names {
            let tree_name = String::from_utf8_lossy(&name).into_owned();
            for item in self.db.open_tree(&name).map_err(StoreError::from)?.iter() {
                let (k, v) = item.map_err(StoreError::from)?;
                let text = std::str::from_utf8(&v).ok().map(str::to_string);
                let record = ExportRecord {
                    tree: tree_name.clone(),
                    key: hex(&k),
                    hex: text.is_none().then(|| hex(&v)),
                    text,
                };
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&record).map_err(|e| ImportError::Malformed {
                        line: 0,
                        detail: e.to_string()
                    })?
                )?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Reads an export into this database, which must hold nothing but what opening it created.
    pub fn import_export(
        &self,
        input: impl std::io::BufRead,
    ) -> std::result::Result<usize, ImportError> {
        let busy = self.db.tree_names().into_iter().any(|name| {
            name.as_ref() != b"meta"
                && self
                    .db
                    .open_tree(&name)
                    .map(|t| !t.is_empty())
                    .unwrap_or(true)
        });
        if busy {
            return Err(ImportError::NotEmpty);
        }
        let mut lines = input.lines().enumerate();
        let header: ExportHeader = match lines.next() {
            Some((_, line)) => {
                serde_json::from_str(&line?).map_err(|e| ImportError::Malformed {
                    line: 1,
                    detail: e.to_string(),
                })?
            }
            None => {
                return Err(ImportError::Malformed {
                    line: 1,
                    detail: "the file is empty".to_string(),
                })
            }
        };
        if header.migbot_export != EXPORT_FORMAT || header.schema_version != SCHEMA_VERSION {
            return Err(ImportError::Version {
                found: header.migbot_export,
                schema: header.schema_version,
            });
        }
        let mut n = 0;
        for (i, line) in lines {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let malformed = |detail: String| ImportError::Malformed {
                line: i + 1,
                detail,
            };
            let r: ExportRecord =
                serde_json::from_str(&line).map_err(|e| malformed(e.to_string()))?;
            let key = unhex(&r.key).ok_or_else(|| malformed("the key is not hex".to_string()))?;
            let value = match (&r.text, &r.hex) {
                (Some(t), _) => t.as_bytes().to_vec(),
                (None, Some(h)) => {
                    unhex(h).ok_or_else(|| malformed("the value is not hex".to_string()))?
                }
                (None, None) => return Err(malformed("a record without a value".to_string())),
            };
            self.db
                .open_tree(r.tree.as_bytes())
                .map_err(StoreError::from)?
                .insert(key, value)
                .map_err(StoreError::from)?;
            n += 1;
        }
        self.db.flush().map_err(StoreError::from)?;
        Ok(n)
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], tree: &'static str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Decode {
        tree,
        detail: e.to_string(),
    })
}

fn decode_opt<T: serde::de::DeserializeOwned>(
    v: Option<sled::IVec>,
    tree: &'static str,
) -> Result<Option<T>> {
    v.map(|v| decode(&v, tree)).transpose()
}

fn classify_open_error(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) if is_disk_full(&io) => StoreError::DiskFull(path.to_path_buf()),
        sled::Error::Io(io)
            if io.kind() == std::io::ErrorKind::WouldBlock
                || io.to_string().contains("could not acquire lock") =>
        {
            StoreError::Locked(path.to_path_buf())
        }
        sled::Error::Corruption { at, .. } => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("at {at:?}"),
        },
        other => StoreError::Open {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    }
}

/// ENOSPC, EFBIG (a file-size limit) or EDQUOT.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28 | 27 | 122))
        || matches!(
            e.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::FileTooLarge
        )
}

fn post_key(chat: i64, message: i32) -> Vec<u8> {
    let mut k = chat.to_be_bytes().to_vec();
    k.extend_from_slice(&message.to_be_bytes());
    k
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Decode {
        tree: "kb",
        detail: e.to_string(),
    })
}
