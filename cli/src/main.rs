//! `retort`: DVC-style pipelines and experiments from the command line.
//!
//! Exit codes: 0 on success, 1 when the command ran and found errors (or a stage
//! failed), 2 on usage, configuration or I/O failure.

mod commands;
mod context;
mod printer;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "retort",
    version,
    about = "Pipelines and experiments for DVC projects"
)]
struct Cli {
    /// Run as if retort was started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    directory: Option<PathBuf>,

    /// Show debug logs on stderr (or set RETORT_LOG, such as RETORT_LOG=debug).
    #[arg(short, long, global = true)]
    verbose: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check pipelines, params and the stage graph for problems.
    Check(commands::check::Args),
    /// Work with the stages of the pipelines.
    #[command(subcommand)]
    Stage(commands::stage::StageCommand),
    /// Show the stage graph.
    Dag(commands::dag::Args),
    /// Run the stages that changed and record the results in dvc.lock.
    Repro(commands::repro::Args),
    /// Show which stages changed since they last ran.
    Status(commands::status::Args),
    /// Look at, restore and clean up the runs recorded in the run-cache.
    #[command(subcommand)]
    RunCache(commands::run_cache::RunCacheCommand),
    /// Draw plots of the workspace or compare them across revisions.
    #[command(subcommand)]
    Plots(commands::plots::PlotsCommand),
    /// Manage the experiment queue.
    #[command(subcommand)]
    Queue(commands::queue::QueueCommand),
    /// Show, compare, apply and share experiments kept in git.
    #[command(subcommand, alias = "experiments")]
    Exp(commands::exp::ExpCommand),
    /// Compare params between commits and experiments.
    #[command(subcommand)]
    Params(commands::params::ParamsCommand),
    /// Show and compare metrics.
    #[command(subcommand)]
    Metrics(commands::metrics::MetricsCommand),
    /// Run the language server for editors (LSP over stdin and stdout).
    Lsp(commands::lsp::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The language server sets up its own logging, which the client can
    // reconfigure; stdout is its protocol channel.
    if !matches!(cli.command, Command::Lsp(_)) {
        init_logging(cli.verbose);
    }

    if let Some(directory) = &cli.directory {
        if let Err(error) = std::env::set_current_dir(directory) {
            eprintln!(
                "error: unable to change to directory '{}': {error}",
                directory.display()
            );
            return ExitCode::from(2);
        }
    }

    let result = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Stage(command) => commands::stage::run(command),
        Command::Dag(args) => commands::dag::run(args),
        Command::Repro(args) => commands::repro::run(args),
        Command::Status(args) => commands::status::run(args),
        Command::RunCache(command) => commands::run_cache::run(command),
        Command::Queue(command) => commands::queue::run(command),
        Command::Plots(command) => commands::plots::run(command),
        Command::Exp(command) => commands::exp::run(command),
        Command::Params(command) => commands::params::run(command),
        Command::Metrics(command) => commands::metrics::run(command),
        Command::Lsp(args) => commands::lsp::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", error_text(&error));
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: bool) {
    let filter = match std::env::var("RETORT_LOG") {
        Ok(filter) => filter,
        Err(_) if verbose => "debug".to_string(),
        Err(_) => "warn".to_string(),
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// The error and its causes, `: `-separated, leaving out a cause whose text
/// an outer message already includes (many errors quote their source).
fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if text.is_empty() {
            text = message;
        } else if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
    }
    text
}

/// A closed pipe (`retort stage list | head`) is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
