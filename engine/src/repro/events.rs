//! Progress events and cancellation for long operations. The command line
//! prints events as they come; the language server turns them into `$/progress`
//! messages. Both pass a [`CancelToken`] that Ctrl-C or a client's cancel
//! request sets.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Which stream a line of command output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Why a stage did not run its command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Nothing it depends on changed.
    Unchanged,
    /// The stage is frozen.
    Frozen,
    /// An upstream stage failed (with `--keep-going`).
    UpstreamFailed(String),
}

/// Where the outputs of a stage that did not run came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreSource {
    /// The stage's own `dvc.lock` entry, whose objects are in the cache.
    LockEntry,
    /// A run-cache entry recorded by an earlier run with the same inputs.
    RunCache,
}

/// Something that happened during a run.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A stage is about to run; `commands` are its resolved commands.
    StageStarted {
        stage: String,
        commands: Vec<String>,
    },
    /// One of a stage's commands is about to run.
    CommandStarted {
        stage: String,
        command: String,
    },
    /// A line of output from a stage's command, without its line ending.
    Output {
        stage: String,
        stream: Stream,
        line: String,
    },
    StageSkipped {
        stage: String,
        reason: SkipReason,
    },
    StageRestored {
        stage: String,
        source: RestoreSource,
    },
    StageFinished {
        stage: String,
        duration: Duration,
    },
    StageFailed {
        stage: String,
        message: String,
    },
    /// `dvc.lock` was created or changed.
    LockWritten {
        path: String,
        created: bool,
    },
    /// Hashing progress, sent while hashing takes long.
    Hashing {
        files_done: u64,
        files_total: u64,
        bytes_done: u64,
    },
    /// A free-form message for the user, such as a warning.
    Message {
        text: String,
    },
    /// New values from what a running stage writes in dvclive's format or
    /// to its metrics files (see `crate::live`). `metrics` holds flattened
    /// names (`train.loss`) in reading order.
    LiveMetrics {
        stage: String,
        experiment: Option<String>,
        step: Option<u64>,
        metrics: Vec<(String, serde_json::Value)>,
    },
    /// A checkpoint commit was recorded on the experiment's ref.
    Checkpoint {
        stage: String,
        experiment: Option<String>,
        step: Option<u64>,
        sha: String,
    },
}

/// Receives events. Implementations must be cheap: they run on the thread
/// that does the work.
pub trait EventSink: Send + Sync {
    fn event(&self, event: Event);
}

/// A sink that drops every event.
pub struct NoEvents;

impl EventSink for NoEvents {
    fn event(&self, _event: Event) {}
}

impl<F: Fn(Event) + Send + Sync> EventSink for F {
    fn event(&self, event: Event) {
        self(event)
    }
}

/// A flag that asks a running operation to stop. Clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
