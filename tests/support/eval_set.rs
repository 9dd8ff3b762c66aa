//! The labelled questions of `tests/eval/` (every part, files in name order), for the tests and the benches
//! alike: `tests/support` declares it as a module, `benches/synthetic.rs` includes it with `#[path]`.

use std::path::{Path, PathBuf};

/// Every evaluation case of `tests/eval/*.toml`, file by file in name order, each file's cases in its order.
pub fn eval_cases() -> Vec<migbot::eval::Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/eval")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .flat_map(|p| {
            migbot::eval::parse_cases(&std::fs::read_to_string(p).expect("read eval file"))
                .expect("eval file parses")
        })
        .collect()
}
