//! One module per subcommand.

pub mod check;
pub mod dag;
pub mod repro;
pub mod plots;
pub mod stage;
pub mod status;
