//! Reproducing pipelines: choosing and ordering stages, deciding which changed,
//! running their commands, saving outputs to the cache and recording results in
//! `dvc.lock` and the run-cache.

pub mod events;
pub mod plan;
pub mod targets;

pub use events::{CancelToken, Event, EventSink, NoEvents, RestoreSource, SkipReason, Stream};
