//! Live metrics and checkpoints while a stage runs.
//!
//! A [`follow::Follower`] watches what the stage's command writes in
//! dvclive's format (`dvclive/metrics.json`, `dvclive/plots/metrics/**/*.tsv`),
//! the metrics files the stage declares, and the step signal files
//! (`.dvc/tmp/exps/run/DVCLIVE_STEP_COMPLETED`, `.dvc/tmp/DVC_CHECKPOINT`).
//! The runner polls it while the command runs and turns what it finds into
//! `Event::LiveMetrics`, into `live.json` status files for other processes
//! (`status`), and into checkpoint commits (`checkpoint`). `show` reads the
//! status files back for `exp show` and `queue status`.

pub mod checkpoint;
pub mod follow;
pub mod show;
pub mod status;
pub mod values;

pub use follow::{Follower, Signal};
pub use status::LiveStatus;
pub use values::LiveValues;
