//! The Retort language server (`retort lsp`). `analysis` answers every
//! feature as plain functions over an immutable snapshot of the project, in
//! byte spans and labels; `lsp` is the only module that knows the protocol;
//! `jobs` runs commands through the engine; `integration` reads stage status,
//! run-cache entries, experiments and plots for the analyses.

pub mod analysis;
pub mod integration;
pub mod jobs;
pub mod logging;
mod lsp;

pub use lsp::{RetortProgress, RetortProgressParams};

/// How `retort lsp` was started.
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// A `tracing` filter for the first logs, before the client's options.
    pub log_level: Option<String>,
    /// A file to log to instead of stderr.
    pub log_file: Option<String>,
}

/// Runs the server on stdin and stdout until the client exits.
pub fn run_stdio(options: StartOptions) -> std::io::Result<()> {
    let log = logging::init(options.log_level.as_deref().unwrap_or("warn"));
    log.configure(None, options.log_file.as_deref());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Few blocking threads: analyses are serialized anyway, and each
        // extra thread can hold its own allocator arena.
        .max_blocking_threads(4)
        .enable_all()
        .build()?;
    runtime.block_on(lsp::serve_stdio(log));
    // Blocking tasks (a command still running after `exit`) must not keep
    // the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(())
}
