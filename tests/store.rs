//! The sled store: idempotent import, atomic replacement, schema-version refusal, one process per database.

mod support;

use migbot::files::read_knowledge_dir;
use migbot::knowledge::{self, CheckOptions};
use migbot::store::{ImportOutcome, Store, StoreError};
use support::{migbot, real_knowledge, KnowledgeDir};

const CACHE: u64 = 8 * 1024 * 1024;

fn parsed(dir: &std::path::Path) -> (Vec<knowledge::SourceFile>, knowledge::KnowledgeBase) {
    let files = read_knowledge_dir(dir).expect("knowledge");
    let p = knowledge::parse(&files, CheckOptions::default());
    assert!(!p.has_errors());
    (files, p.kb)
}

#[test]
fn import_is_idempotent_and_replaces_changed_knowledge() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let store = Store::open(&db, CACHE).expect("open");
    let (files, kb) = parsed(&real_knowledge());
    assert_eq!(
        store.import(&files, &kb).unwrap(),
        ImportOutcome::Imported {
            entries: kb.entries.len()
        }
    );
    assert_eq!(store.import(&files, &kb).unwrap(), ImportOutcome::Unchanged);
    assert_eq!(store.knowledge().unwrap().unwrap(), kb);

    // Change one answer and drop the IOM entries (and the links to them): the next import replaces the stored
    // knowledge, leaving nothing of the old behind.
    let dir = KnowledgeDir::copy_of_real();
    std::fs::remove_file(dir.path().join("entries/iom.toml")).unwrap();
    for f in std::fs::read_dir(dir.path().join("entries")).unwrap() {
        let path = f.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("related"))
            .collect();
        let mut text = kept.join("\n");
        text = text.replacen("answer = \"", "answer = \"CHANGED ", 1);
        std::fs::write(&path, text).unwrap();
    }
    let (files2, kb2) = parsed(dir.path());
    assert!(kb2.entries.len() < kb.entries.len());
    assert_eq!(
        store.import(&files2, &kb2).unwrap(),
        ImportOutcome::Imported {
            entries: kb2.entries.len()
        }
    );
    let stored = store.knowledge().unwrap().unwrap();
    assert_eq!(stored, kb2);
    assert!(stored.entry("iom-about").is_none());
    assert!(stored
        .entries
        .iter()
        .any(|e| e.en.answer.starts_with("CHANGED ")));
}

#[test]
fn knowledge_survives_reopening() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let (files, kb) = parsed(&real_knowledge());
    {
        let store = Store::open(&db, CACHE).unwrap();
        store.import(&files, &kb).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let store = Store::open(&db, CACHE).unwrap();
    assert_eq!(store.import(&files, &kb).unwrap(), ImportOutcome::Unchanged);
    assert_eq!(
        store.knowledge().unwrap().unwrap().entries.len(),
        kb.entries.len()
    );
}

#[test]
fn a_database_of_an_unknown_version_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    {
        let store = Store::open(&db, CACHE).unwrap();
        store.force_schema_version(99).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    match Store::open(&db, CACHE) {
        Err(StoreError::UnknownVersion {
            found: 99,
            expected: 1,
            ..
        }) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a version-99 database was opened"),
    }
    // The binary says so in one sentence and exits non-zero.
    let out = migbot(&["--db", db.to_str().unwrap(), "ask", "work permit"], None);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("has schema version 99, but this migbot reads version 1"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
}

#[test]
fn a_second_process_gets_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let _held = Store::open(&db, CACHE).expect("first open");
    let k = real_knowledge();
    for args in [
        vec!["ask", "work permit"],
        vec!["kb", "import"],
        vec!["chat"],
    ] {
        let mut all = vec![
            "--db",
            db.to_str().unwrap(),
            "--knowledge",
            k.to_str().unwrap(),
        ];
        all.extend(args.iter());
        let out = migbot(&all, Some(""));
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("is in use by another migbot process"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

#[test]
fn serving_knowledge_keeps_titles_and_answers_and_indexes_every_variant() {
    use migbot::matcher::{Matcher, MatcherBuilder};
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("db"), CACHE).expect("open");
    assert!(!store.has_knowledge().unwrap());
    let (files, kb) = parsed(&real_knowledge());
    store.import(&files, &kb).unwrap();
    assert!(store.has_knowledge().unwrap());
    let (slim, builder) = store
        .knowledge_indexed(MatcherBuilder::new, MatcherBuilder::add_entry)
        .unwrap()
        .expect("stored");
    let built = builder.finish();
    let whole = Matcher::new(&kb);
    assert_eq!(built.variant_count(), whole.variant_count());
    assert_eq!(built.entry_count(), kb.entries.len());
    // The slim copy answers, sources and titles exactly as the whole one; it holds one variant per language.
    assert_eq!(slim.entries.len(), kb.entries.len());
    for (s, e) in slim.entries.iter().zip(&kb.entries) {
        assert_eq!(s.id, e.id);
        for lang in migbot::knowledge::Lang::ALL {
            assert_eq!(s.title(lang), e.title(lang));
            assert_eq!(s.block(lang).answer, e.block(lang).answer);
        }
        assert_eq!(s.source, e.source);
        assert!(s.questions().count() <= 2 && s.tags.is_empty());
    }
    assert!(kb.entries.iter().any(|e| e.questions().count() > 2));
    assert_eq!((&slim.texts, &slim.synonyms), (&kb.texts, &kb.synonyms));
    // The index built entry by entry from the store answers as the one built from the parsed files.
    for q in [
        "nuzhno li razreshenie na rabotu dlya grazhdan eaes",
        "how long can I stay in kazakhstan without registration",
        "what is the weather today",
        "сколько дней можно жить без регистрации",
    ] {
        assert_eq!(built.match_question(q), whole.match_question(q), "{q}");
    }
}
