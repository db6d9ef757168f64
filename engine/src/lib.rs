//! The Retort engine: reads DVC projects (pipelines, params, lock files), hashes and
//! caches data, runs pipelines and records experiments in git. It is a plain
//! library with no protocol or async-runtime dependencies, so the command line and
//! the language server both call it in-process.

pub mod diagnostic;
pub mod formats;
pub mod hash_info;
pub mod node;
pub mod pyfmt;
pub mod text;
