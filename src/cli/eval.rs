//! `migbot eval FILE...`: the matcher's figures beside the naive baseline's.

use super::EvalArgs;
use crate::app::Config;
use crate::eval;
use crate::files;
use crate::knowledge::{self, CheckOptions};
use crate::matcher::baseline::Baseline;
use crate::matcher::Matcher;
use anyhow::{bail, Context, Result};
use std::process::ExitCode;

pub fn run(config: &Config, args: &EvalArgs) -> Result<ExitCode> {
    // The evaluation reads the knowledge files directly: it measures them, and needs no database.
    let files = files::read_knowledge_dir(&config.knowledge)?;
    let parsed = knowledge::parse(&files, CheckOptions::default());
    if parsed.has_errors() {
        bail!("the knowledge files have errors; run `migbot kb check`");
    }
    let mut cases = Vec::new();
    for path in &args.files {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        cases.extend(
            eval::parse_cases(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        );
    }
    let matcher = Matcher::new(&parsed.kb);
    let baseline = Baseline::new(&parsed.kb);
    let report = eval::evaluate(&cases, &matcher, Some(&baseline));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", eval::render_table(&report));
    if args.verbose {
        println!("\nmisses:");
        for r in report.results.iter().filter(|r| !r.ok) {
            println!(
                "  [{}] {:?} expect {:?} got {} {:?} {:?} score {:.3}",
                r.case.kind, r.case.q, r.case.expect, r.outcome, r.entry, r.suggestions, r.score
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
