//! One module per subcommand.

pub mod check;
pub mod dag;
pub mod plots;
pub mod repro;
pub mod stage;
pub mod status;
