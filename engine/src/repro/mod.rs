//! Reproducing pipelines: choosing and ordering stages, deciding which changed,
//! running their commands, saving outputs to the cache and recording results in
//! `dvc.lock` and the run-cache.

pub mod events;
pub mod execute;
pub mod plan;
pub mod project_lock;
pub mod run;
pub mod state;
pub mod status;
pub mod targets;
pub mod workspace;

pub use events::{
    CancelToken, Event, EventSink, HashingReporter, NoEvents, RestoreSource, SkipReason, Stream,
};
pub use run::{reproduce, ReproError, ReproOptions, ReproReport, StageReport, StageResult};
pub use workspace::Workspace;
