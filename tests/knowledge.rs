//! The knowledge base itself: the required entries exist, in both languages, sourced, with enough variants.

use migbot::files::read_knowledge_dir;
use migbot::knowledge::{self, CheckOptions, KnowledgeBase, Lang, SourceKind};
use std::path::Path;

/// The ids the knowledge-base issue requires. An id must never disappear: links and learned variants use it.
const REQUIRED: &[&str] = &[
    "iom-about",
    "iom-kazakhstan",
    "roundtable-2014",
    "kazakhstan-migration-corridors",
    "quote-sultanov",
    "quote-amanbayev",
    "quote-ashikbayev",
    "quote-swing",
    "quote-held",
    "migration-and-development",
    "central-asia-labour-mobility",
    "kazakhstan-2050",
    "iom-safe-migration-campaign",
    "eaeu-treaty",
    "eaeu-members",
    "eaeu-no-work-permit",
    "eaeu-no-labour-market-restrictions",
    "eaeu-diploma-recognition",
    "eaeu-registration-30-days",
    "eaeu-stay-contract-term",
    "eaeu-contract-ended-15-days",
    "eaeu-social-security",
    "eaeu-emergency-medical-care",
    "eaeu-children-education",
    "eaeu-tax-resident-rate",
    "eaeu-pensions",
    "agreement-2010-migrant-workers",
    "kz-migration-law",
    "kz-stay-90-in-180",
    "kz-host-notification",
    "kz-registration-2026",
    "kz-labour-immigrant-permit",
    "kz-labour-immigrant-tax",
    "kz-foreign-labour-quota-2026",
    "kz-contact-1414",
    "kz-online-services",
    "kz-trafficking-help",
    "kz-migration-police",
];

fn kb() -> KnowledgeBase {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let parsed = knowledge::parse(&read_knowledge_dir(&dir).unwrap(), CheckOptions::default());
    let errors: Vec<String> = parsed.errors().map(ToString::to_string).collect();
    assert!(
        errors.is_empty(),
        "knowledge errors:\n{}",
        errors.join("\n")
    );
    parsed.kb
}

#[test]
fn every_required_entry_exists() {
    let kb = kb();
    let missing: Vec<&&str> = REQUIRED
        .iter()
        .filter(|id| kb.entry(id).is_none())
        .collect();
    assert!(missing.is_empty(), "missing entries: {missing:?}");
}

#[test]
fn every_entry_answers_in_english_and_russian_with_at_least_six_variants_each() {
    for e in &kb().entries {
        for lang in Lang::ALL {
            let b = e.block(lang);
            assert!(
                b.questions.len() >= 6,
                "{}: {} has {} variants",
                e.id,
                lang,
                b.questions.len()
            );
            assert!(!b.answer.trim().is_empty(), "{}: empty {lang} answer", e.id);
        }
    }
}

#[test]
fn every_source_is_https_dated_and_attributed() {
    for e in &kb().entries {
        let s = &e.source;
        assert!(s.url.starts_with("https://"), "{}: {}", e.id, s.url);
        assert!(
            knowledge::Date::parse_full(&s.last_verified).is_some(),
            "{}",
            e.id
        );
        if s.kind == SourceKind::Quote {
            assert!(s.speaker.is_some(), "{}: a quote needs a speaker", e.id);
        }
        assert!(!e.facts.is_empty(), "{}: no facts listed", e.id);
        // correction 16 of domain-facts.md: this page shows an outdated rule.
        assert!(
            !s.url.contains("egov.kz/cms/en/articles/workpermit"),
            "{}",
            e.id
        );
    }
}

#[test]
fn no_question_variant_is_in_two_entries() {
    let kb = kb();
    let mut seen = std::collections::HashMap::new();
    for e in &kb.entries {
        for q in e.questions() {
            let key = migbot::text::fold(q);
            if let Some(other) = seen.insert(key, e.id.clone()) {
                assert_eq!(other, e.id, "{q:?} is in {other} and {}", e.id);
            }
        }
    }
}

/// The only phone number the sources allow publishing is 1414 (domain-facts.md, facts 64 and 74).
#[test]
fn no_phone_number_but_1414_is_published() {
    let kb = kb();
    let mut texts: Vec<String> = kb
        .texts
        .0
        .values()
        .flat_map(|t| [t.en.clone(), t.ru.clone()])
        .collect();
    for e in &kb.entries {
        for lang in Lang::ALL {
            texts.push(e.block(lang).answer.clone());
            texts.extend(e.block(lang).caution.clone());
        }
    }
    for t in &texts {
        let digits_runs = t.split(|c: char| {
            !(c.is_ascii_digit() || c == ' ' || c == '-' || c == '+' || c == '(' || c == ')')
        });
        for run in digits_runs {
            let n = run.chars().filter(char::is_ascii_digit).count();
            assert!(n < 7, "looks like a phone number: {run:?} in {t:?}");
        }
        assert!(!t.contains("+7"), "phone prefix in {t:?}");
    }
}
