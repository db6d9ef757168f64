//! The Retort engine: reads DVC projects (pipelines, params, lock files), hashes and
//! caches data, runs pipelines and records experiments in git. It is a plain
//! library with no protocol or async-runtime dependencies, so the command line and
//! the language server both call it in-process.

pub mod cache;
pub mod check;
pub mod config;
pub mod dag;
pub mod diagnostic;
pub mod exp;
pub mod files;
pub mod formats;
pub mod fsutil;
pub mod git;
pub mod hash;
pub mod hash_info;
pub mod live;
pub mod lock;
pub mod metrics;
pub mod node;
pub mod params;
pub mod paths;
pub mod pipeline;
pub mod plots;
pub mod project;
pub mod pyfmt;
pub mod queue;
pub mod repro;
pub mod runcache;
pub mod suggest;
pub mod text;
pub mod yaml_emit;
