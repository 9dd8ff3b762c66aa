use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = migbot::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    migbot::cli::run(cli)
}
