//! One module per subcommand.

pub mod check;
pub mod dag;
pub mod exp;
mod exp_output;
pub mod exp_run;
pub mod lsp;
pub mod metrics;
pub mod params;
pub mod plots;
pub mod queue;
mod queue_executor;
pub mod repro;
pub mod run_cache;
pub mod stage;
pub mod status;
