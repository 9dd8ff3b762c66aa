//! The matcher measured on the labelled evaluation set (tests/eval/).
//!
//! `tuning_part_meets_floors` and `development_part_meets_floors` hold the tuning and development parts above
//! floors set from measurements. The held-out part (`HELD_OUT`) is never used for tuning; `cargo run --release --
//! eval` on its four files reports it. Ignored aids for tuning, run by hand: `tune_grid` (a grid search), `sweep`
//! (named parameter sets) and `decision_points` (each case's best and runner-up), e.g.
//! `cargo test --release --test eval -- --ignored --nocapture tune_grid`.

use migbot::eval::{evaluate, parse_cases, Case, Report};
use migbot::knowledge::{self, CheckOptions, KnowledgeBase};
use migbot::matcher::baseline::Baseline;
use migbot::matcher::{Matcher, Params, DEFAULT_PARAMS};
use std::path::Path;

fn knowledge_base() -> KnowledgeBase {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files =
        migbot::files::read_knowledge_dir(&root.join("knowledge")).expect("knowledge folder");
    let parsed = knowledge::parse(&files, CheckOptions::default());
    assert!(
        !parsed.has_errors(),
        "knowledge has errors: {:?}",
        parsed.errors().collect::<Vec<_>>()
    );
    parsed.kb
}

fn cases(names: &[&str]) -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval");
    names
        .iter()
        .flat_map(|n| {
            let text = std::fs::read_to_string(root.join(n)).expect("eval file");
            parse_cases(&text).expect("eval file parses")
        })
        .collect()
}

const TUNING: &[&str] = &["tune-en.toml", "tune-ru.toml"];
/// The development part: written for the matching issue after the tuning part had shaped the knowledge variants,
/// and never used to write variants, so it shows what generalises. Tuning on it is allowed.
const DEVELOPMENT: &[&str] = &["dev-en.toml", "dev-ru.toml"];
/// A second development part of long messages only (stories with the question anywhere in them), written before
/// the matcher was changed for it. Tuning on it is allowed.
const DEVELOPMENT_LONG: &[&str] = &["dev2-long.toml"];
/// A third development part (2026-11-30): questions in fresh wording (words the variants do not use, indirect
/// phrasing), written from the knowledge files only, to find where the matcher fails. Tuning on it is allowed.
const DEVELOPMENT_FRESH: &[&str] = &["dev3-en.toml", "dev3-ru.toml"];

/// The held-out part: never tuned on. The second and third pairs of files were written later (2026-11-30), each
/// before any change it would measure, so that the held-out part stays at least 30% of every labelled question,
/// the development parts included.
const HELD_OUT: &[&str] = &[
    "heldout-en.toml",
    "heldout-ru.toml",
    "heldout2-en.toml",
    "heldout2-ru.toml",
    "heldout3-en.toml",
    "heldout3-ru.toml",
];

#[test]
fn evaluation_set_is_large_enough_and_split() {
    let tuned_on: Vec<Case> = [TUNING, DEVELOPMENT, DEVELOPMENT_LONG, DEVELOPMENT_FRESH]
        .iter()
        .flat_map(|part| cases(part))
        .collect();
    let held = cases(HELD_OUT);
    let total = tuned_on.len() + held.len();
    assert!(total >= 300, "{total} cases");
    assert!(
        held.len() * 100 >= total * 30,
        "held-out is {} of {total}",
        held.len()
    );
    let kb = knowledge_base();
    for c in tuned_on.iter().chain(&held) {
        for e in c.expect.iter().filter(|e| *e != "NONE") {
            assert!(
                kb.entry(e).is_some(),
                "case {:?} expects unknown entry {e}",
                c.q
            );
        }
    }
}

/// The floors one part of the evaluation set must meet: a little under the figures measured when the defaults
/// were tuned (see README, "Matching").
struct Floors {
    right: f64,
    found: f64,
    /// A ceiling: false answers of all questions, at most.
    false_answers: f64,
    none: f64,
}

// Measured with DEFAULT_PARAMS on the tuning part: right 96.6%, found 99.0%, false 0.4%, none 100%.
const TUNING_FLOORS: Floors = Floors {
    right: 96.0,
    found: 98.0,
    false_answers: 1.5,
    none: 97.0,
};

// Measured with DEFAULT_PARAMS on the development part: right 88.8%, found 98.9%, false 0.0%, none 100%.
const DEVELOPMENT_FLOORS: Floors = Floors {
    right: 86.5,
    found: 97.5,
    false_answers: 1.0,
    none: 97.0,
};

// Measured with DEFAULT_PARAMS on the long-message development part: right 85.7%, found 97.1%, false 0.0%,
// none 100% (60.0% right before `Params::long_winner_threshold`, 74.3% before the asking-sentences rule).
const DEVELOPMENT_LONG_FLOORS: Floors = Floors {
    right: 85.0,
    found: 95.0,
    false_answers: 1.0,
    none: 100.0,
};

// Measured with DEFAULT_PARAMS on the fresh-wording development part: right 80.0%, found 97.1%, false 3.0%, none
// 93.3%. When it was added (before knowledge/gaps.toml, this round's small-talk phrases and the knowledge variants
// in new vocabulary): 71.4%, 92.9%, 5.0%, 86.7%. Fresh wording is the matcher's weak side; these floors keep it from
// getting worse.
const DEVELOPMENT_FRESH_FLOORS: Floors = Floors {
    right: 79.0,
    found: 96.0,
    false_answers: 3.5,
    none: 92.0,
};

#[track_caller]
fn check_floors(files: &[&str], floors: &Floors) {
    let kb = knowledge_base();
    let report = evaluate(&cases(files), &Matcher::new(&kb), Some(&Baseline::new(&kb)));
    let m = &report.overall.0;
    println!("{}", migbot::eval::render_table(&report));
    assert!(
        m.answered_right_pct() >= floors.right,
        "right {:.1}%",
        m.answered_right_pct()
    );
    assert!(m.found_pct() >= floors.found, "found {:.1}%", m.found_pct());
    assert!(
        m.false_answer_pct() <= floors.false_answers,
        "false {:.1}%",
        m.false_answer_pct()
    );
    assert!(m.none_pct() >= floors.none, "none {:.1}%", m.none_pct());
    assert!(
        report.overall.0.answered_right > report.overall.1.answered_right,
        "worse than the baseline"
    );
}

#[test]
fn tuning_part_meets_floors() {
    check_floors(TUNING, &TUNING_FLOORS);
}

#[test]
fn development_part_meets_floors() {
    check_floors(DEVELOPMENT, &DEVELOPMENT_FLOORS);
}

#[test]
fn long_message_development_part_meets_floors() {
    check_floors(DEVELOPMENT_LONG, &DEVELOPMENT_LONG_FLOORS);
}

#[test]
fn fresh_wording_development_part_meets_floors() {
    check_floors(DEVELOPMENT_FRESH, &DEVELOPMENT_FRESH_FLOORS);
}

/// A question on a topic no entry answers (`knowledge/gaps.toml`) is not answered with a neighbouring entry, even
/// when it scores high; a story that only mentions such a topic beside its question is still answered.
#[test]
fn a_question_on_a_topic_no_entry_answers_is_not_answered() {
    let m = Matcher::new(&knowledge_base());
    for (message, gap) in [
        ("what is the fine for not registering in 30 days", "fines"),
        ("сколько штраф за просрочку регистрации", "fines"),
        (
            "can I open a bank account in Kazakhstan with a Kyrgyz passport",
            "banks and loans",
        ),
        (
            "how to get Kazakh citizenship after 5 years of work here",
            "getting citizenship",
        ),
        (
            "what is the minimum wage in Kazakhstan for foreign workers",
            "minimum wage",
        ),
        (
            "can I drive in Almaty with my Kyrgyz driving licence",
            "driving licences",
        ),
        (
            "нужен ли российский патент гражданину Таджикистана",
            "Russian patents",
        ),
    ] {
        let r = m.match_question(message);
        assert_eq!(r.outcome.entry(), None, "{message:?}: {:?}", r.why);
        assert_eq!(r.why.gap.as_deref(), Some(gap), "{message:?}: {:?}", r.why);
    }
    // Nor is an entry that does not speak of the topic offered as a suggestion ("did you mean: diploma
    // recognition?" for a bank account, through a variant that mentions an accountant and a bank).
    let r = m.match_question("how to open a bank account");
    assert!(
        matches!(r.outcome, migbot::matcher::Outcome::Unanswered { .. }),
        "{:?}",
        r.outcome
    );
    assert_eq!(r.why.gap.as_deref(), Some("banks and loans"));
    // A story that fears a fine, beside a question the knowledge base answers.
    let story = "A neighbour scares me that I'll be fined. I arrived from Bishkek 5 days ago. How many days do I \
                 have to register?";
    let r = m.match_question(story);
    assert_eq!(
        r.outcome.entry(),
        Some("eaeu-registration-30-days"),
        "{:?}",
        r.why
    );
    assert_eq!(r.why.gap, None);
    // "Citizenship" saying where someone is from does not ask how to get one.
    for message in [
        "I have Kyrgyz citizenship, do I need a work permit in Kazakhstan?",
        "у меня гражданство Армении, нужно ли разрешение на работу в Казахстане",
    ] {
        let r = m.match_question(message);
        assert_eq!(r.why.gap, None, "{message:?}: {:?}", r.why);
        assert!(
            r.why.best.is_some_and(|b| b.entry == "eaeu-no-work-permit"),
            "{message:?}"
        );
    }
}

#[test]
fn small_talk_with_a_stray_word_is_small_talk_but_not_with_a_question() {
    let m = Matcher::new(&knowledge_base());
    for (message, small_talk) in [
        ("thank you so much brother", true),
        ("рахмет большое", true),
        ("салам брат", true),
        ("hi, 1414", false),
        ("спасибо, а регистрация?", false),
        ("hello, work permit", false),
        // Thanks that say it helped, and questions about the bot itself (which may end in a question mark).
        ("thank you, that was helpful", true),
        ("спасибо, вы мне очень помогли", true),
        ("are you a bot?", true),
        ("вы живой человек?", true),
        ("are you a bot? do I need a work permit?", false),
        ("who helped you get the permit?", false),
        ("это помогло, а что с регистрацией?", false),
        // Asking how the bot is, or who is answering.
        ("hi, how are you?", true),
        ("как у вас дела?", true),
        ("who am I talking to?", true),
        ("с кем я общаюсь?", true),
        ("thanks, it really helped", true),
        ("ты мне очень помогла, спасибо", true),
        ("how are you supposed to register in 30 days?", false),
    ] {
        let outcome = m.match_question(message).outcome;
        assert_eq!(
            matches!(outcome, migbot::matcher::Outcome::Smalltalk { .. }),
            small_talk,
            "{message:?}: {outcome:?}"
        );
    }
}

#[test]
fn a_question_about_the_bot_is_answered_with_what_it_is() {
    let m = Matcher::new(&knowledge_base());
    for message in ["are you a bot?", "who are you", "ты робот?", "kto ty"] {
        let outcome = m.match_question(message).outcome;
        assert!(
            matches!(
                outcome,
                migbot::matcher::Outcome::Smalltalk {
                    kind: migbot::knowledge::SmalltalkKind::About
                }
            ),
            "{message:?}: {outcome:?}"
        );
    }
}

#[test]
fn a_mistyped_word_inside_a_synonym_phrase_still_reads_as_the_phrase() {
    let m = Matcher::new(&knowledge_base());
    for (message, mistyped) in [
        ("is a work permt required for Armenians", "permt"),
        ("нужно ли разрешение на рабту армянам", "рабту"),
    ] {
        let words = m.match_question(message).why.words;
        let w = words
            .iter()
            .find(|w| w.word == mistyped)
            .expect("the word is read");
        assert_eq!(
            (w.how, w.term.as_deref(), w.edits),
            ("synonym", Some("workpermit"), Some(1)),
            "{message:?}: {words:?}"
        );
    }
}

#[test]
fn a_long_message_is_answered_when_its_question_alone_would_be() {
    let m = Matcher::new(&knowledge_base());
    let message = "I came to Almaty from Talas in spring with my brother and my cousin, we rented a small flat near \
                   the bazaar and found jobs at a big warehouse, the pay was fine and the boss was kind. Yesterday the \
                   boss told us the warehouse closes and our contracts were ended early. How many days do we have to \
                   sign a new contract without leaving?";
    let r = m.match_question(message);
    assert_eq!(
        r.outcome.entry(),
        Some("eaeu-contract-ended-15-days"),
        "{:?}",
        r.why
    );
    assert!(
        r.why.decision.contains("asking sentences alone"),
        "{}",
        r.why.decision
    );
}

/// A posting budget (`Params::posting_budget`) walks only part of the postings of a question's common terms, and
/// answers only when the answer's margin also holds over what a variant left unwalked could score: it may turn
/// answers into suggestions, never into another answer or an answer the full walk would not give. The real base
/// is small, so a tiny budget stands in for a large base's cut.
#[test]
fn a_posting_budget_never_answers_what_the_full_walk_would_not() {
    let full = Matcher::new(&knowledge_base());
    let questions = cases(&[TUNING, DEVELOPMENT, DEVELOPMENT_LONG, DEVELOPMENT_FRESH].concat());
    for budget in [30, 60, 120, 240] {
        check_budget(&full, budget, &questions);
    }
}

fn check_budget(full: &Matcher, budget: usize, questions: &[Case]) {
    let capped = full.clone().with_params(Params {
        posting_budget: budget,
        ..DEFAULT_PARAMS
    });
    let (mut cut, mut answered, mut kept) = (0, 0, 0);
    for c in questions {
        let (a, b) = (full.match_question(&c.q), capped.match_question(&c.q));
        cut += usize::from(b.why.unwalked_ceiling.is_some());
        if let Some(entry) = b.outcome.entry() {
            assert_eq!(
                a.outcome.entry(),
                Some(entry),
                "{:?}: answered with the budget, not without: {:?}",
                c.q,
                b.why
            );
        }
        if a.outcome.entry().is_some() {
            answered += 1;
            kept += usize::from(a.outcome.entry() == b.outcome.entry());
        }
    }
    println!("budget {budget}: {cut} questions cut, {kept} of {answered} answers kept");
    // The budget is really exercised, and still answers.
    assert!(cut >= 50, "budget {budget}: only {cut} questions were cut");
    assert!(
        kept >= answered / 4,
        "budget {budget}: {kept} of {answered} answers kept"
    );
}

fn objective(r: &Report) -> f64 {
    let m = &r.overall.0;
    m.answered_right_pct() + 0.5 * m.found_pct() - 4.0 * m.false_answer_pct() + 0.5 * m.none_pct()
}

#[test]
#[ignore = "grid search for tuning; run by hand"]
fn tune_grid() {
    let kb = knowledge_base();
    let base = Matcher::new(&kb);
    // The defaults are tuned on the tuning and development parts together.
    let tune = cases(&[TUNING, DEVELOPMENT].concat());
    let mut best: Vec<(f64, Params, String)> = Vec::new();
    for at in [0.45, 0.5, 0.55] {
        for am in [0.08, 0.09, 0.1] {
            for ct in [0.4, 0.44, 0.48] {
                for cm in [0.12, 0.15, 0.2] {
                    for (vw, qw) in [(0.4, 0.3), (0.35, 0.25), (0.45, 0.2)] {
                        for uw in [0.45, 0.6, 0.8] {
                            for mv in [0.2, 0.3, 0.4] {
                                let p = Params {
                                    answer_threshold: at,
                                    answer_margin: am,
                                    clear_winner_threshold: ct,
                                    clear_winner_margin: cm,
                                    min_variant_coverage: mv,
                                    variant_coverage_weight: vw,
                                    question_coverage_weight: qw,
                                    entry_coverage_weight: 1.0 - vw - qw,
                                    unknown_word_weight: uw,
                                    ..DEFAULT_PARAMS
                                };
                                let r = evaluate(&tune, &base.clone().with_params(p), None);
                                let m = &r.overall.0;
                                let line = format!(
                                    "right {:.1} found {:.1} false {:.1} none {:.1}",
                                    m.answered_right_pct(),
                                    m.found_pct(),
                                    m.false_answer_pct(),
                                    m.none_pct()
                                );
                                best.push((objective(&r), p, line));
                            }
                        }
                    }
                }
            }
        }
    }
    best.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (score, p, line) in best.iter().take(15) {
        println!("{score:.1} {line}\n    {p:?}");
    }
}

/// The tuning and development parts' decision points (best and runner-up of every case) as JSON lines, for
/// studying the decision rule: `cargo test --release --test eval -- --ignored --nocapture decision_points`.
#[test]
#[ignore = "analysis aid; run by hand"]
fn decision_points() {
    let kb = knowledge_base();
    let m = Matcher::new(&kb).with_params(params_from(
        &std::env::var("MIGBOT_SWEEP").unwrap_or_default(),
    ));
    for c in cases(&[TUNING, DEVELOPMENT, DEVELOPMENT_LONG, DEVELOPMENT_FRESH].concat()) {
        let r = m.match_question(&c.q);
        let line = serde_json::json!({
            "q": c.q, "kind": c.kind, "expect": c.expect,
            "outcome": r.outcome.name(), "entry": r.outcome.entry(),
            "best": r.why.best, "runner": r.why.runner_up, "focus": r.why.focus, "gap": r.why.gap,
        });
        println!("DP {line}");
    }
}

/// Parameter sets from `MIGBOT_SWEEP` (`name=value,...` per set, sets separated by `;`; unnamed fields keep
/// their defaults) measured on the tuning and development parts:
/// `MIGBOT_SWEEP='answer_margin=0.08;focus_weight=2' cargo test --release --test eval -- --ignored --nocapture sweep`.
#[test]
#[ignore = "parameter sweep for tuning; run by hand"]
fn sweep() {
    let kb = knowledge_base();
    let base = Matcher::new(&kb);
    let parts = [
        ("tune", cases(TUNING)),
        ("dev", cases(DEVELOPMENT)),
        ("dev2", cases(DEVELOPMENT_LONG)),
        ("dev3", cases(DEVELOPMENT_FRESH)),
    ];
    let spec = std::env::var("MIGBOT_SWEEP").unwrap_or_default();
    for set in spec.split(';') {
        let p = params_from(set);
        let m = base.clone().with_params(p);
        for (name, cases) in &parts {
            let r = evaluate(cases, &m, None);
            let o = &r.overall.0;
            let kinds: Vec<String> = r
                .by_kind
                .iter()
                .filter(|(_, (t, _))| t.in_scope > 0)
                .map(|(k, (t, _))| {
                    format!("{} {:.0}", &k[..4.min(k.len())], t.answered_right_pct())
                })
                .collect();
            println!(
                "SWEEP [{set}] {name:<4} right {:.1} found {:.1} false {:.1} none {:.1} | {}",
                o.answered_right_pct(),
                o.found_pct(),
                o.false_answer_pct(),
                o.none_pct(),
                kinds.join(" ")
            );
        }
    }
}

/// `DEFAULT_PARAMS` with the fields named in `set` (`name=value,...`) changed.
fn params_from(set: &str) -> Params {
    let mut p = DEFAULT_PARAMS;
    for assignment in set.split(',').filter(|a| !a.trim().is_empty()) {
        let (name, value) = assignment.split_once('=').expect("name=value");
        let v: f64 = value.trim().parse().expect("a number");
        match name.trim() {
            "answer_threshold" => p.answer_threshold = v,
            "answer_margin" => p.answer_margin = v,
            "min_variant_coverage" => p.min_variant_coverage = v,
            "min_core_share" => p.min_core_share = v,
            "clear_winner_threshold" => p.clear_winner_threshold = v,
            "clear_winner_margin" => p.clear_winner_margin = v,
            "suggest_threshold" => p.suggest_threshold = v,
            "suggest_window" => p.suggest_window = v,
            "variant_coverage_weight" => p.variant_coverage_weight = v,
            "question_coverage_weight" => p.question_coverage_weight = v,
            "entry_coverage_weight" => p.entry_coverage_weight = v,
            "lexical_weight" => p.lexical_weight = v,
            "unknown_word_weight" => p.unknown_word_weight = v,
            "unknown_word_cap" => p.unknown_word_cap = v,
            "fuzzy_penalty_per_edit" => p.fuzzy_penalty_per_edit = v,
            "focus_weight" => p.focus_weight = v,
            "long_winner_threshold" => p.long_winner_threshold = v,
            "lead_margin" => p.lead_margin = v,
            "lead_entry_coverage" => p.lead_entry_coverage = v,
            "lead_core_share" => p.lead_core_share = v,
            other => panic!("unknown parameter {other}"),
        }
    }
    p
}
