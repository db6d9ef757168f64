//! Experiments in git, compatible with DVC's refs: recording a workspace as an
//! experiment commit, resolving names, collecting and comparing results, and
//! the commands that keep and share experiments (apply, branch, remove,
//! rename, push, pull). Running pipelines is not here; `exp run` and the queue
//! build on [`record::record_experiment`] and [`collect::ExtraExperiments`].

pub mod apply;
pub mod cache;
pub mod collect;
pub mod data;
pub mod diff;
pub mod error;
pub mod format;
pub mod json;
pub mod lock_view;
pub mod manage;
pub mod names;
pub mod overrides;
pub mod record;
pub mod refs;
pub mod repo;
pub mod resolve;
pub mod run;
pub mod save;
pub mod show;
pub mod sync;
pub mod table;
pub mod time;

pub use error::{ExpError, Result};
pub use refs::ExpRef;
pub use repo::{ExpRefTarget, ExpRepo};
