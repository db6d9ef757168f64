//! `retort lsp`: the language server, speaking LSP over stdin and stdout.

use std::process::ExitCode;

use anyhow::{Context as _, Result};

#[derive(clap::Args)]
pub struct Args {
    /// Talk over stdin and stdout (the only transport). Some clients add the
    /// flag to a command that has it already, so it may repeat.
    #[arg(long, overrides_with = "stdio")]
    stdio: bool,

    /// Write logs to this file instead of stderr.
    #[arg(long, value_name = "FILE")]
    log_file: Option<String>,

    /// The log level or filter, such as `debug` (default: RETORT_LOG, else warn).
    #[arg(long, value_name = "LEVEL")]
    log_level: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let _ = args.stdio;
    retort_server::run_stdio(retort_server::StartOptions {
        log_level: args.log_level,
        log_file: args.log_file,
    })
    .context("the language server stopped")?;
    Ok(ExitCode::SUCCESS)
}
