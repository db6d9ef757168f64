//! One module per subcommand.

pub mod check;
pub mod dag;
pub mod stage;
