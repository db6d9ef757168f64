//! One module per subcommand.

pub mod check;
pub mod dag;
pub mod exp;
pub mod exp_run;
mod exp_output;
pub mod lsp;
pub mod metrics;
pub mod params;
pub mod plots;
pub mod queue;
pub mod repro;
pub mod stage;
pub mod status;
