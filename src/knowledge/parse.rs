//! Reading and checking the knowledge files, from their text.
//!
//! `parse` takes the files' names and contents (the adapter in `files` reads them from disk) and returns the
//! knowledge base together with *every* problem found, each with file, line where it can be found, entry id and
//! what to do. It never stops at the first problem: staff fix a whole batch at once.

use super::date::Date;
use super::model::{
    Entry, Gap, KnowledgeBase, LocalText, Smalltalk, SmalltalkKind, SourceKind, SynonymGroup,
    Texts, TEXT_KEYS, TOPICS,
};
use crate::text;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

/// One knowledge file: its path relative to the knowledge folder (with `/`), and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub content: String,
}

/// How serious a problem is: an error refuses the knowledge base, a warning does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A problem in the knowledge files, with what a person needs to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    pub line: Option<usize>,
    pub entry: Option<String>,
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(id) = &self.entry {
            write!(f, ": entry `{id}`")?;
        }
        write!(f, ": {}. Fix: {}", self.message, self.fix)
    }
}

/// What the checker needs from outside: today's date (for stale entries) and how old is too old.
#[derive(Clone, Copy, Debug)]
pub struct CheckOptions {
    pub today: Option<Date>,
    pub max_age_months: i64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            today: None,
            max_age_months: DEFAULT_MAX_AGE_MONTHS,
        }
    }
}

/// Entries whose `last_verified` is older than this many months are reported as stale.
pub const DEFAULT_MAX_AGE_MONTHS: i64 = 12;

/// The result of reading the knowledge files: what could be read, and every problem found.
#[derive(Debug, Default)]
pub struct Parsed {
    pub kb: KnowledgeBase,
    pub problems: Vec<Problem>,
}

impl Parsed {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Ids of entries whose `last_verified` is older than the configured age.
    pub fn stale_ids(&self) -> Vec<String> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning && p.message.starts_with(STALE_PREFIX))
            .filter_map(|p| p.entry.clone())
            .collect()
    }
}

const STALE_PREFIX: &str = "last verified";

/// The files the knowledge folder must hold besides `entries/*.toml`.
pub const TEXTS_FILE: &str = "texts.toml";
pub const SYNONYMS_FILE: &str = "synonyms.toml";
pub const SMALLTALK_FILE: &str = "smalltalk.toml";
pub const GAPS_FILE: &str = "gaps.toml";
/// Every file the knowledge folder holds besides `entries/*.toml`, in the order they are read.
pub const SPECIAL_FILES: [&str; 4] = [TEXTS_FILE, SYNONYMS_FILE, SMALLTALK_FILE, GAPS_FILE];

/// Reads all knowledge files and checks them.
pub fn parse(files: &[SourceFile], options: CheckOptions) -> Parsed {
    let mut out = Parsed::default();
    let mut entry_lines: HashMap<String, (String, Option<usize>)> = HashMap::new();
    let mut seen_special = [false; SPECIAL_FILES.len()];
    for file in files {
        if let Some(i) = SPECIAL_FILES.iter().position(|f| *f == file.path) {
            seen_special[i] = true;
        }
        match file.path.as_str() {
            TEXTS_FILE => parse_texts(file, &mut out),
            SYNONYMS_FILE => parse_synonyms(file, &mut out),
            SMALLTALK_FILE => parse_smalltalk(file, &mut out),
            GAPS_FILE => parse_gaps(file, &mut out),
            p if p.starts_with("entries/") && p.ends_with(".toml") => {
                parse_entries(file, &mut out, &mut entry_lines)
            }
            _ => {}
        }
    }
    let holds = [
        "the bot's fixed texts",
        "synonyms (it may hold no groups)",
        "small-talk phrases",
        "topics no entry answers (it may hold no gaps)",
    ];
    for ((seen, name), what) in seen_special.into_iter().zip(SPECIAL_FILES).zip(holds) {
        if !seen {
            out.problems.push(Problem {
                severity: Severity::Error,
                file: name.to_string(),
                line: None,
                entry: None,
                message: format!("the file is missing; it holds {what}"),
                fix: format!("create {name} as described in knowledge/README.md"),
            });
        }
    }
    if out.kb.entries.is_empty() && !files.iter().any(|f| f.path.starts_with("entries/")) {
        out.problems.push(Problem {
            severity: Severity::Error,
            file: "entries/".to_string(),
            line: None,
            entry: None,
            message: "there are no entry files".to_string(),
            fix: "add entries/<topic>.toml files as described in knowledge/README.md".to_string(),
        });
    }
    check_cross_entry(&mut out, &entry_lines, options);
    // The same order as the database returns them (by id), so a knowledge base compares equal after a round trip.
    out.kb.entries.sort_by(|a, b| a.id.cmp(&b.id));
    out.problems
        .sort_by(|a, b| (a.severity, &a.file, a.line).cmp(&(b.severity, &b.file, b.line)));
    out
}

fn error(
    file: &str,
    line: Option<usize>,
    entry: Option<&str>,
    message: String,
    fix: &str,
) -> Problem {
    Problem {
        severity: Severity::Error,
        file: file.to_string(),
        line,
        entry: entry.map(str::to_string),
        message,
        fix: fix.to_string(),
    }
}

/// The 1-based line of a byte offset.
fn line_of(content: &str, offset: usize) -> usize {
    content[..offset.min(content.len())].matches('\n').count() + 1
}

/// Reads a whole file as a TOML table, reporting a syntax error with its line.
fn read_table(file: &SourceFile, out: &mut Parsed) -> Option<toml::Table> {
    match file.content.parse::<toml::Table>() {
        Ok(t) => Some(t),
        Err(e) => {
            let line = e.span().map(|s| line_of(&file.content, s.start));
            out.problems.push(error(
                &file.path,
                line,
                None,
                format!("TOML syntax error: {}", e.message()),
                "correct the TOML syntax at that line (quotes, brackets, commas)",
            ));
            None
        }
    }
}

/// The line of the first `key = ...` at or after `from_line` (1-based), if any.
fn find_key_line(content: &str, key: &str, from_line: usize) -> Option<usize> {
    content
        .lines()
        .enumerate()
        .skip(from_line.saturating_sub(1))
        .find(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix(key).is_some_and(|rest| {
                rest.trim_start().starts_with('=') || rest.starts_with(']') || rest.starts_with('.')
            })
        })
        .map(|(i, _)| i + 1)
}

/// Lines with more quotes than this are searched for an id directly instead of being indexed (pathological).
const MAX_INDEXED_QUOTES: usize = 32;

/// Where the entries of one file are declared: the lines that start with `id` (after indentation), indexed by
/// every quoted string on them, built in one pass so that finding each entry's line does not rescan the file.
struct IdLines<'a> {
    /// Every text between two double quotes of an `id` line, with the lines (1-based, ascending) it is on.
    quoted: HashMap<&'a str, Vec<usize>>,
    /// `id` lines with too many quotes to index, searched by `find`.
    crowded: Vec<(usize, &'a str)>,
}

impl<'a> IdLines<'a> {
    fn new(content: &'a str) -> IdLines<'a> {
        let mut quoted: HashMap<&'a str, Vec<usize>> = HashMap::new();
        let mut crowded = Vec::new();
        for (i, l) in content.lines().enumerate() {
            if !l.trim_start().starts_with("id") {
                continue;
            }
            let quotes: Vec<usize> = l.match_indices('"').map(|(q, _)| q).collect();
            if quotes.len() > MAX_INDEXED_QUOTES {
                crowded.push((i + 1, l));
                continue;
            }
            for (a, &start) in quotes.iter().enumerate() {
                for &end in &quotes[a + 1..] {
                    let lines = quoted.entry(&l[start + 1..end]).or_default();
                    if lines.last() != Some(&(i + 1)) {
                        lines.push(i + 1);
                    }
                }
            }
        }
        IdLines { quoted, crowded }
    }

    /// The line where the `nth` (0-based) entry with this id is declared: the `nth` line that starts with `id`
    /// and contains the id in double quotes.
    fn find(&self, id: &str, nth: usize) -> Option<usize> {
        let indexed = self.quoted.get(id).map_or(&[][..], Vec::as_slice);
        if self.crowded.is_empty() {
            return indexed.get(nth).copied();
        }
        let quoted = format!("\"{id}\"");
        let mut lines: Vec<usize> = indexed
            .iter()
            .copied()
            .chain(
                self.crowded
                    .iter()
                    .filter(|(_, l)| l.contains(&quoted))
                    .map(|&(n, _)| n),
            )
            .collect();
        lines.sort_unstable();
        lines.get(nth).copied()
    }
}

fn parse_entries(
    file: &SourceFile,
    out: &mut Parsed,
    entry_lines: &mut HashMap<String, (String, Option<usize>)>,
) {
    let Some(table) = read_table(file, out) else {
        return;
    };
    let topic = file
        .path
        .trim_start_matches("entries/")
        .trim_end_matches(".toml")
        .to_string();
    for key in table.keys().filter(|k| k.as_str() != "entry") {
        out.problems.push(error(
            &file.path,
            find_key_line(&file.content, key, 1),
            None,
            format!("unknown top-level key `{key}`"),
            "an entries file holds only [[entry]] tables; move or remove this key",
        ));
    }
    let Some(items) = table.get("entry") else {
        out.problems.push(error(
            &file.path,
            None,
            None,
            "the file has no [[entry]] tables".to_string(),
            "add entries or delete the file",
        ));
        return;
    };
    let Some(items) = items.as_array() else {
        out.problems.push(error(
            &file.path,
            find_key_line(&file.content, "entry", 1),
            None,
            "`entry` must be an array of tables, written [[entry]]".to_string(),
            "write each entry as a [[entry]] table",
        ));
        return;
    };
    let mut cursor = 1;
    let mut seen_here: HashMap<String, usize> = HashMap::new();
    let id_lines = IdLines::new(&file.content);
    for (n, item) in items.iter().enumerate() {
        let id = item.get("id").and_then(|v| v.as_str()).map(str::to_string);
        let line = id.as_deref().and_then(|id| {
            let nth = seen_here.entry(id.to_string()).or_insert(0);
            *nth += 1;
            id_lines.find(id, *nth - 1)
        });
        if let Some(l) = line {
            cursor = l;
        }
        let label = id
            .clone()
            .unwrap_or_else(|| format!("#{} in this file", n + 1));
        let entry: Entry = match item.clone().try_into() {
            Ok(e) => e,
            Err(e) => {
                let msg = e.message().to_string();
                let field_line = msg
                    .split('`')
                    .nth(1)
                    .and_then(|field| find_key_line(&file.content, field, cursor))
                    .or(line);
                let fix = if msg.contains("unknown field") {
                    "remove or rename the field; the allowed fields are listed in knowledge/README.md"
                } else if msg.contains("missing field") {
                    "add the field; the required fields are listed in knowledge/README.md"
                } else {
                    "give the field the type knowledge/README.md shows"
                };
                out.problems
                    .push(error(&file.path, field_line, Some(&label), msg, fix));
                continue;
            }
        };
        check_entry(&entry, &topic, file, line, out);
        if let Some((other_file, other_line)) = entry_lines.get(&entry.id) {
            out.problems.push(error(
                &file.path,
                line,
                Some(&entry.id),
                format!(
                    "duplicate id: already used at {other_file}:{}",
                    other_line.map_or("?".to_string(), |l| l.to_string())
                ),
                "give one of the two entries a new, unique id",
            ));
            continue;
        }
        entry_lines.insert(entry.id.clone(), (file.path.clone(), line));
        out.kb.entries.push(entry);
    }
}

fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_entry(
    entry: &Entry,
    topic: &str,
    file: &SourceFile,
    line: Option<usize>,
    out: &mut Parsed,
) {
    let id = Some(entry.id.as_str());
    let at = |key: &str| find_key_line(&file.content, key, line.unwrap_or(1)).or(line);
    let mut push = |line: Option<usize>, message: String, fix: &str| {
        out.problems.push(error(&file.path, line, id, message, fix));
    };
    if !is_kebab_id(&entry.id) {
        push(
            line,
            format!("id `{}` is not lowercase kebab-case", entry.id),
            "use lowercase letters, digits and single hyphens, e.g. eaeu-no-work-permit",
        );
    }
    if !TOPICS.contains(&entry.topic.as_str()) {
        push(
            at("topic"),
            format!("unknown topic `{}`", entry.topic),
            &format!("use one of: {}", TOPICS.join(", ")),
        );
    } else if entry.topic != topic {
        push(
            at("topic"),
            format!(
                "topic `{}` does not match the file entries/{topic}.toml",
                entry.topic
            ),
            &format!(
                "move the entry to entries/{}.toml or change its topic",
                entry.topic
            ),
        );
    }
    if entry.facts.is_empty() || entry.facts.iter().any(|f| f.trim().is_empty()) {
        push(
            at("facts"),
            "`facts` is empty".to_string(),
            "list the fact numbers of domain-facts.md (or \"seed\") the entry rests on",
        );
    }
    for (lang, block) in [("en", &entry.en), ("ru", &entry.ru)] {
        if block.questions.iter().all(|q| text::fold(q).is_empty()) {
            push(
                at(&format!("[entry.{lang}")),
                format!("no question variants in `{lang}`"),
                "add the questions people ask, at least six",
            );
        }
        if block.answer.trim().is_empty() {
            push(
                at("answer"),
                format!("empty answer in `{lang}`"),
                "write the answer: the direct answer first, then one or two sentences",
            );
        }
        if block
            .caution
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            push(
                at("caution"),
                format!("empty caution in `{lang}`"),
                "write the caution or remove the field",
            );
        }
    }
    let s = &entry.source;
    if s.statement.trim().is_empty() {
        push(
            at("statement"),
            "empty source statement".to_string(),
            "give the verbatim quote or a one-sentence summary of the rule",
        );
    }
    if s.kind == SourceKind::Quote && s.speaker.as_deref().is_none_or(|x| x.trim().is_empty()) {
        push(
            at("kind"),
            "a quote has no speaker".to_string(),
            "name who said or wrote it (`speaker`), or mark the statement kind = \"summary\"",
        );
    }
    if s.title.trim().is_empty() {
        push(
            at("title"),
            "empty source title".to_string(),
            "give the source's title",
        );
    }
    match url::Url::parse(&s.url) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some_and(|h| h.contains('.')) => {}
        Ok(u) if u.scheme() != "https" => push(
            at("url"),
            format!("URL `{}` is not https", s.url),
            "link the https address of the source (domain-facts.md gives it)",
        ),
        _ => push(
            at("url"),
            format!("URL `{}` is malformed", s.url),
            "give a full https:// address of the source",
        ),
    }
    if let Some(d) = &s.date {
        if Date::parse(d).is_none() {
            push(
                at("date"),
                format!("date `{d}` does not parse"),
                "write YYYY, YYYY-MM or YYYY-MM-DD, or omit the field for an undated page",
            );
        }
    }
    if Date::parse_full(&s.last_verified).is_none() {
        push(
            at("last_verified"),
            format!("last_verified `{}` does not parse", s.last_verified),
            "write the date as YYYY-MM-DD",
        );
    }
}

fn check_cross_entry(
    out: &mut Parsed,
    entry_lines: &HashMap<String, (String, Option<usize>)>,
    options: CheckOptions,
) {
    let place = |id: &str| entry_lines.get(id).cloned().unwrap_or_default();
    let mut problems = Vec::new();
    let mut questions: HashMap<String, &str> = HashMap::new();
    for entry in &out.kb.entries {
        let (file, line) = place(&entry.id);
        for rel in &entry.related {
            if !entry_lines.contains_key(rel) {
                problems.push(error(
                    &file,
                    line,
                    Some(&entry.id),
                    format!("`related` names `{rel}`, which does not exist"),
                    "correct the id or remove it from `related`",
                ));
            } else if rel == &entry.id {
                problems.push(error(
                    &file,
                    line,
                    Some(&entry.id),
                    "`related` names the entry itself".to_string(),
                    "remove it from `related`",
                ));
            }
        }
        let mut own = std::collections::HashSet::new();
        for q in entry.questions() {
            let key = text::fold(q);
            if key.is_empty() || !own.insert(key.clone()) {
                continue;
            }
            match questions.get(key.as_str()) {
                Some(other) if *other != entry.id => problems.push(error(
                    &file,
                    line,
                    Some(&entry.id),
                    format!("the question \"{q}\" is also a variant of `{other}`"),
                    "keep each question in the one entry that answers it best",
                )),
                _ => {
                    questions.insert(key, &entry.id);
                }
            }
        }
        if let (Some(today), Some(verified)) =
            (options.today, Date::parse_full(&entry.source.last_verified))
        {
            let age = verified.months_until(&today);
            if age >= options.max_age_months {
                problems.push(Problem {
                    severity: Severity::Warning,
                    file: file.clone(),
                    line: find_key_line_in_entry(line),
                    entry: Some(entry.id.clone()),
                    message: format!(
                        "{STALE_PREFIX} {verified}, {age} months ago (limit {} months)",
                        options.max_age_months
                    ),
                    fix: "re-read the source, correct the entry if the rule changed, and update last_verified"
                        .to_string(),
                });
            }
        }
    }
    out.problems.extend(problems);
}

fn find_key_line_in_entry(line: Option<usize>) -> Option<usize> {
    line
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymsFile {
    #[serde(default)]
    group: Vec<SynonymGroup>,
}

fn parse_texts(file: &SourceFile, out: &mut Parsed) {
    let Some(table) = read_table(file, out) else {
        return;
    };
    let mut texts = BTreeMap::new();
    for (key, value) in table {
        let line = find_key_line(&file.content, &format!("[{key}"), 1)
            .or_else(|| find_key_line(&file.content, &key, 1));
        if !TEXT_KEYS.contains(&key.as_str()) {
            out.problems.push(error(
                &file.path,
                line,
                None,
                format!("unknown text `{key}`"),
                &format!("the bot uses only these texts: {}", TEXT_KEYS.join(", ")),
            ));
            continue;
        }
        match value.try_into::<LocalText>() {
            Ok(t) if t.en.trim().is_empty() || t.ru.trim().is_empty() => out.problems.push(error(
                &file.path,
                line,
                None,
                format!("text `{key}` is empty in a language"),
                "write the text in both en and ru",
            )),
            Ok(t) => {
                texts.insert(key, t);
            }
            Err(e) => out.problems.push(error(
                &file.path,
                line,
                None,
                format!("text `{key}`: {}", e.message()),
                "give the text as a table with `en` and `ru` strings",
            )),
        }
    }
    for key in TEXT_KEYS.iter().filter(|k| !texts.contains_key(**k)) {
        if find_key_line(&file.content, &format!("[{key}"), 1).is_none() {
            out.problems.push(error(
                &file.path,
                None,
                None,
                format!("text `{key}` is missing"),
                "add it with `en` and `ru` strings",
            ));
        }
    }
    out.kb.texts = Texts(texts);
}

fn parse_synonyms(file: &SourceFile, out: &mut Parsed) {
    let Some(parsed) = read_toml::<SynonymsFile>(
        file,
        out,
        "each group is a [[group]] table with `canonical` (one word) and `terms` (a list)",
    ) else {
        return;
    };
    let mut terms = TermOwners::new(file, "group");
    for g in &parsed.group {
        let line = find_id_line_any(&file.content, &g.canonical);
        let canonical_ok = !g.canonical.is_empty()
            && g.canonical
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !canonical_ok {
            out.problems.push(error(
                &file.path,
                line,
                None,
                format!(
                    "canonical `{}` is not one lowercase ASCII word",
                    g.canonical
                ),
                "use one lowercase ASCII word without spaces, e.g. eaeu",
            ));
        }
        terms.check(&g.canonical, &g.terms, line, out);
    }
    out.kb.synonyms = parsed.group;
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GapsFile {
    #[serde(default)]
    gap: Vec<Gap>,
}

fn parse_gaps(file: &SourceFile, out: &mut Parsed) {
    let Some(parsed) = read_toml::<GapsFile>(
        file,
        out,
        "each gap is a [[gap]] table with `topic` (a short name) and `terms` (a list)",
    ) else {
        return;
    };
    let (mut terms, mut spoken) = (TermOwners::new(file, "gap"), TermOwners::new(file, "gap"));
    let mut topics: HashSet<&str> = HashSet::new();
    for g in &parsed.gap {
        let line = find_id_line_any(&file.content, &g.topic);
        if g.topic.trim().is_empty() || !topics.insert(g.topic.as_str()) {
            out.problems.push(error(
                &file.path,
                line,
                None,
                format!("gap topic `{}` is empty or used twice", g.topic),
                "give each gap its own short name",
            ));
        }
        if g.terms.is_empty() {
            out.problems.push(error(
                &file.path,
                line,
                None,
                format!("gap `{}` has no terms", g.topic),
                "list the words and phrases that name the topic",
            ));
        }
        terms.check(&g.topic, &g.terms, line, out);
        spoken.check(&g.topic, &g.spoken_as, line, out);
    }
    out.kb.gaps = parsed.gap;
}

/// A whole knowledge file as `T`, or `None` with its TOML error reported (`fix` says what the file should hold).
fn read_toml<T: serde::de::DeserializeOwned>(
    file: &SourceFile,
    out: &mut Parsed,
    fix: &str,
) -> Option<T> {
    toml::from_str(&file.content)
        .map_err(|e| {
            let line = e.span().map(|s| line_of(&file.content, s.start));
            out.problems
                .push(error(&file.path, line, None, e.message().to_string(), fix));
        })
        .ok()
}

/// The groups of a file of term lists (synonym groups, gaps), checking that each term is non-empty once folded
/// and belongs to one group only.
struct TermOwners<'f> {
    file: &'f SourceFile,
    /// What a group is called in messages ("group", "gap").
    kind: &'static str,
    owner: HashMap<String, String>,
}

impl<'f> TermOwners<'f> {
    fn new(file: &'f SourceFile, kind: &'static str) -> Self {
        TermOwners {
            file,
            kind,
            owner: HashMap::new(),
        }
    }

    /// Records group `name`'s terms (declared at `line`), reporting empty terms and terms of another group.
    fn check(&mut self, name: &str, terms: &[String], line: Option<usize>, out: &mut Parsed) {
        let kind = self.kind;
        for t in terms {
            let key = text::fold(t);
            let problem = if key.is_empty() {
                Some((
                    format!("empty term in {kind} `{name}`"),
                    "remove it".to_string(),
                ))
            } else {
                match self.owner.insert(key, name.to_string()) {
                    Some(other) if other != name => Some((
                        format!("term \"{t}\" is in both {kind}s `{other}` and `{name}`"),
                        format!("keep each term in one {kind}"),
                    )),
                    _ => None,
                }
            };
            if let Some((message, fix)) = problem {
                out.problems
                    .push(error(&self.file.path, line, None, message, &fix));
            }
        }
    }
}

fn find_id_line_any(content: &str, value: &str) -> Option<usize> {
    let quoted = format!("\"{value}\"");
    content
        .lines()
        .position(|l| l.contains(&quoted))
        .map(|i| i + 1)
}

fn parse_smalltalk(file: &SourceFile, out: &mut Parsed) {
    let Some(table) = read_table(file, out) else {
        return;
    };
    let mut phrases = Vec::new();
    for (key, value) in table {
        let line = find_key_line(&file.content, &format!("[{key}"), 1);
        let Some(kind) = SmalltalkKind::ALL.into_iter().find(|k| k.as_str() == key) else {
            out.problems.push(error(
                &file.path,
                line,
                None,
                format!("unknown small-talk kind `{key}`"),
                "use greeting, thanks, bye, ack or about",
            ));
            continue;
        };
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Group {
            phrases: Vec<String>,
        }
        match value.try_into::<Group>() {
            Ok(g) => phrases.extend(g.phrases.into_iter().map(|p| (kind, p))),
            Err(e) => out.problems.push(error(
                &file.path,
                line,
                None,
                format!("`{key}`: {}", e.message()),
                "write `phrases = [\"...\", ...]` under the kind's table",
            )),
        }
    }
    out.kb.smalltalk = Smalltalk { phrases };
}

#[cfg(test)]
mod tests {
    use super::IdLines;

    /// The one-pass index must find the same line as a scan for the `nth` `id` line holding `"id"`.
    fn scan(content: &str, id: &str, nth: usize) -> Option<usize> {
        let quoted = format!("\"{id}\"");
        content
            .lines()
            .enumerate()
            .filter(|(_, l)| {
                let t = l.trim_start();
                t.starts_with("id") && t.contains(&quoted)
            })
            .nth(nth)
            .map(|(i, _)| i + 1)
    }

    #[test]
    fn id_lines_agree_with_a_scan() {
        let crowded = format!("id = \"c\" {}", "\"x\" ".repeat(20));
        let content = format!(
            "[[entry]]\nid = \"a\"\nquestion = \"id\"\n  id = \"b\" # \"a\"\nidea = \"a\"\n[[entry]]\nid = \"a\"\n{crowded}\nid = \"a b\" \"c\"\nid=\"\"\n"
        );
        let ids = ["a", "b", "c", "x", " ", "a b", "", "missing", "\"a\""];
        let index = IdLines::new(&content);
        for id in ids {
            for nth in 0..4 {
                assert_eq!(
                    index.find(id, nth),
                    scan(&content, id, nth),
                    "{id:?} #{nth}"
                );
            }
        }
    }
}
