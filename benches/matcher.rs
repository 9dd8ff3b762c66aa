//! Criterion benchmarks of the matcher, the index build and the import into sled (see BENCHMARKS.md).
//!
//! ```sh
//! cargo bench --bench matcher                 # everything, about 8 minutes on 2 cores
//! cargo bench --bench matcher -- match/real   # one group or benchmark (criterion's filter)
//! ```
//!
//! - `match/<kb>`: one question per iteration, cycling through the questions: the real base with the
//!   labelled questions of `tests/eval/`, and synthetic bases of 1,000, 10,000 and 100,000 entries
//!   (`benches/synthetic.rs`, seed 42) with 500 seeded synthetic questions;
//! - `baseline/<kb>`: the naive baseline (`Baseline`: strsim against every variant) on the same questions
//!   (not at 100,000 entries: seconds per question; the ratio there comes from a few timed questions);
//! - `build/<kb>`: `Matcher::new` (at 100,000 entries timed once and printed: one build takes tens of seconds);
//! - `import/<kb>`: `Store::import` into a fresh database, cache 32 MiB (100,000 entries timed once and printed).
//!
//! Before the criterion groups, it prints `baseline/matcher` ratios of the mean time per question.

#[path = "synthetic.rs"]
mod synthetic;

use criterion::{BatchSize, Criterion, SamplingMode};
use migbot::knowledge::KnowledgeBase;
use migbot::matcher::baseline::Baseline;
use migbot::matcher::Matcher;
use migbot::store::Store;
use std::hint::black_box;
use std::time::{Duration, Instant};

const SEED: u64 = 42;
const QUESTIONS: usize = 500;
const CACHE_BYTES: u64 = 32 << 20;

struct Case {
    label: String,
    kb: KnowledgeBase,
    matcher: Matcher,
    questions: Vec<String>,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let real = synthetic::real_kb();
    out.push(Case {
        label: "real".into(),
        matcher: Matcher::new(&real),
        kb: real,
        questions: synthetic::eval_questions(),
    });
    for n in [1_000, 10_000, 100_000] {
        eprintln!("[matcher bench] generating and indexing {n} entries");
        let kb = synthetic::bench_kb(n, SEED);
        let start = Instant::now();
        let matcher = Matcher::new(&kb);
        if n == 100_000 {
            eprintln!(
                "build/100000: Matcher::new took {:.2} s (timed once)",
                start.elapsed().as_secs_f64()
            );
        }
        let questions = synthetic::synthetic_questions(&kb, QUESTIONS, 7);
        out.push(Case {
            label: n.to_string(),
            kb,
            matcher,
            questions,
        });
    }
    out
}

/// Mean time per question of `f` over `questions`.
fn mean(questions: &[String], mut f: impl FnMut(&str)) -> Duration {
    let start = Instant::now();
    for q in questions {
        f(q);
    }
    start.elapsed() / questions.len() as u32
}

fn print_ratios(cases: &[Case]) {
    for c in cases {
        let few = match c.kb.entries.len() {
            0..=2_000 => c.questions.len().min(100),
            2_001..=20_000 => 10,
            _ => 3,
        };
        let b = Baseline::new(&c.kb);
        let base = mean(&c.questions[..few], |q| {
            black_box(b.match_question(q));
        });
        // At 100,000 entries a question takes hundreds of milliseconds: 50 are enough for a mean.
        let timed = if c.kb.entries.len() > 20_000 {
            &c.questions[..50]
        } else {
            &c.questions[..]
        };
        let m = mean(timed, |q| {
            black_box(c.matcher.match_question(q));
        });
        eprintln!(
            "ratio/{}: baseline {:.3} ms per question (n={few}), matcher {:.3} ms (n={}): baseline/matcher = {:.1}x",
            c.label,
            base.as_secs_f64() * 1e3,
            m.as_secs_f64() * 1e3,
            timed.len(),
            base.as_secs_f64() / m.as_secs_f64()
        );
    }
}

fn bench_match(cr: &mut Criterion, cases: &[Case]) {
    let mut g = cr.benchmark_group("match");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for c in cases {
        if c.kb.entries.len() > 20_000 {
            // Hundreds of milliseconds per question: same iteration count per sample.
            g.sampling_mode(SamplingMode::Flat);
        }
        let mut i = 0;
        g.bench_function(&c.label, |b| {
            b.iter(|| {
                i = (i + 1) % c.questions.len();
                black_box(c.matcher.match_question(&c.questions[i]))
            })
        });
    }
    g.finish();
}

fn bench_baseline(cr: &mut Criterion, cases: &[Case]) {
    let mut g = cr.benchmark_group("baseline");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for c in cases.iter().filter(|c| c.kb.entries.len() <= 20_000) {
        let b = Baseline::new(&c.kb);
        let mut i = 0;
        g.bench_function(&c.label, |bn| {
            bn.iter(|| {
                i = (i + 1) % c.questions.len();
                black_box(b.match_question(&c.questions[i]))
            })
        });
    }
    g.finish();
}

fn bench_build(cr: &mut Criterion, cases: &[Case]) {
    let mut g = cr.benchmark_group("build");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for c in cases.iter().filter(|c| c.kb.entries.len() <= 20_000) {
        g.bench_function(&c.label, |b| b.iter(|| black_box(Matcher::new(&c.kb))));
    }
    g.finish();
}

fn bench_import(cr: &mut Criterion, cases: &[Case]) {
    let mut g = cr.benchmark_group("import");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for c in &cases[1..] {
        let files = synthetic::knowledge_files(&c.kb);
        if c.kb.entries.len() > 20_000 {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = Store::open(&dir.path().join("db"), CACHE_BYTES).expect("open");
            let start = Instant::now();
            store.import(&files, &c.kb).expect("import");
            eprintln!(
                "import/{}: Store::import took {:.2} s (timed once)",
                c.label,
                start.elapsed().as_secs_f64()
            );
            continue;
        }
        g.bench_function(&c.label, |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().expect("temp dir");
                    let store = Store::open(&dir.path().join("db"), CACHE_BYTES).expect("open");
                    (dir, store)
                },
                |(dir, store)| {
                    store.import(&files, &c.kb).expect("import");
                    (dir, store)
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn main() {
    let mut cr = Criterion::default().configure_from_args();
    let cases = cases();
    print_ratios(&cases);
    bench_match(&mut cr, &cases);
    bench_baseline(&mut cr, &cases);
    bench_build(&mut cr, &cases);
    bench_import(&mut cr, &cases);
    cr.final_summary();
}
