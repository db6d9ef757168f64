//! Git access through libgit2: reading project files at a revision. Experiment
//! refs, commits and the queue build on this module.

mod tree_files;

pub use tree_files::TreeFiles;
