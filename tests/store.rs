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
