//! Property tests over normalisation and matching: any input, no panic, bounded work.
//!
//! `cargo test --release --test fuzz` runs the default number of cases; for a long run:
//! `PROPTEST_CASES=200000 cargo test --release --test fuzz`.

use migbot::knowledge::{self, CheckOptions};
use migbot::matcher::Matcher;
use proptest::prelude::*;
use std::sync::OnceLock;

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let parsed = knowledge::parse(
            &migbot::files::read_knowledge_dir(&dir).unwrap(),
            CheckOptions::default(),
        );
        Matcher::new(&parsed.kb)
    })
}

/// Text that looks like what people (and attackers) send: letters of both scripts, digits, punctuation, emoji,
/// zero-width, bidi and control characters, HTML and Markdown.
fn messy_text() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(
        prop_oneof![
            "[a-zA-Z]{1,12}",
            "[а-яА-ЯёЁ]{1,12}",
            "[0-9]{1,6}",
            Just(" ".to_string()),
            Just("\u{200B}".to_string()),
            Just("\u{202E}".to_string()),
            Just("\u{0000}".to_string()),
            Just("\n\t".to_string()),
            Just("<b>".to_string()),
            Just("<a href=\"x\">".to_string()),
            Just("&amp;".to_string()),
            Just("`**_".to_string()),
            Just("🙂👍🇰🇿".to_string()),
            Just("'".to_string()),
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..60,
    );
    pieces.prop_map(|p| p.concat())
}

proptest! {
    // 2,000 cases each in CI; PROPTEST_CASES sets another number for a long run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000),
        .. ProptestConfig::default()
    })]

    #[test]
    fn folding_never_panics_and_is_idempotent(s in messy_text()) {
        let once = migbot::text::fold(&s);
        prop_assert_eq!(migbot::text::fold(&once), once.clone());
        prop_assert!(!once.chars().any(|c| c.is_control()));
        for w in migbot::text::words(&once) {
            let _ = migbot::text::stem(w);
            let _ = migbot::text::latin_to_cyrillic(w);
        }
    }

    #[test]
    fn matching_never_panics_and_scores_stay_in_range(s in messy_text()) {
        let m = matcher().match_question(&s);
        let score = m.outcome.score();
        prop_assert!((0.0..=1.0).contains(&score), "score {}", score);
        prop_assert!(m.outcome.suggestion_ids().len() <= 3);
    }

    #[test]
    fn very_long_words_and_messages_are_handled(word in "[a-zа-я]{200,2000}", n in 1usize..5) {
        let msg = vec![word; n].join(" ");
        let started = std::time::Instant::now();
        let _ = matcher().match_question(&msg);
        // Generous: a bound that catches runaway (quadratic) work, not a benchmark.
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
