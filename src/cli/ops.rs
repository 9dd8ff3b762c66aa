//! `migbot stats` and `migbot db export|import`: what operators run from the shell.

use super::DbCommand;
use crate::app::{self, Config};
use crate::stats;
use crate::store::Store;
use anyhow::{bail, Context, Result};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

/// Parses a period such as `7d` or `24h` into seconds.
fn parse_period(s: &str) -> Option<u64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.len().checked_sub(1)?);
    let n: u64 = n.parse().ok().filter(|n| *n > 0)?;
    match unit {
        "d" => Some(n * 86_400),
        "h" => Some(n * 3_600),
        _ => None,
    }
}

pub fn stats(config: &Config, since: &str, json: bool) -> Result<ExitCode> {
    let Some(period) = parse_period(since) else {
        bail!("--since `{since}` is not a period: write a number and d or h, e.g. 7d or 24h");
    };
    let store = Store::open(&config.db, config.cache_bytes)?;
    let now = app::unix_now();
    let stale = store
        .knowledge()?
        .map(|kb| {
            kb.stale_ids(
                &app::today(),
                crate::knowledge::parse::DEFAULT_MAX_AGE_MONTHS,
            )
        })
        .unwrap_or_default();
    let report = stats::compute_for(
        now,
        period.div_ceil(86_400),
        &store.events_since(now.saturating_sub(period))?,
        &store.groups()?,
        &store.feedback()?,
        &stale,
    );
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", stats::render(&report));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn db(config: &Config, command: &DbCommand) -> Result<ExitCode> {
    let store = Store::open(&config.db, config.cache_bytes)?;
    match command {
        DbCommand::Export { file } => {
            let n = if file.as_os_str() == "-" {
                let stdout = std::io::stdout();
                let mut out = BufWriter::new(stdout.lock());
                let n = store.export(&mut out, app::unix_now())?;
                out.flush()?;
                n
            } else {
                let f = std::fs::File::create(file)
                    .with_context(|| format!("creating {}", file.display()))?;
                let mut out = BufWriter::new(f);
                let n = store.export(&mut out, app::unix_now())?;
                out.flush()?;
                n
            };
            eprintln!("exported {n} records from {}", config.db.display());
        }
        DbCommand::Import { file } => {
            let f =
                std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
            let n = store.import_export(std::io::BufReader::new(f))?;
            eprintln!("imported {n} records into {}", config.db.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_period;

    #[test]
    fn periods_parse() {
        assert_eq!(parse_period("7d"), Some(7 * 86_400));
        assert_eq!(parse_period("24h"), Some(86_400));
        for bad in ["", "d", "7", "0d", "7w", "-1d"] {
            assert_eq!(parse_period(bad), None, "{bad}");
        }
    }
}
