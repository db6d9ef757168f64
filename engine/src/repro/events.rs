//! Progress events and cancellation for long operations. The command line
//! prints events as they come; the language server turns them into `$/progress`
//! messages. Both pass a [`CancelToken`] that Ctrl-C or a client's cancel
//! request sets.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::hash::HashProgress;

/// How long hashing runs before progress events start, so that quick hashes
/// (the usual case, thanks to the fingerprint store) draw nothing.
pub const HASHING_QUIET_PERIOD: Duration = Duration::from_millis(300);

/// The minimum time between two hashing events.
pub const HASHING_EVENT_INTERVAL: Duration = Duration::from_millis(50);

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
    /// Hashing progress, sent while hashing takes long: not before
    /// [`HASHING_QUIET_PERIOD`] has passed, then at most every
    /// [`HASHING_EVENT_INTERVAL`], and once more when a path is done. The
    /// counts are those of the path being hashed.
    Hashing {
        stage: String,
        files_done: u64,
        files_total: u64,
        bytes_done: u64,
        bytes_total: u64,
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

/// Turns the hashing callbacks of one stage's work into throttled
/// [`Event::Hashing`] events. The callbacks come from every hashing thread, often
/// once per chunk, so most of them return after one clock read.
pub struct HashingReporter<'a> {
    events: &'a dyn EventSink,
    stage: String,
    started: Instant,
    /// When the last event was sent, `None` before the first.
    last: Mutex<Option<Instant>>,
}

impl<'a> HashingReporter<'a> {
    pub fn new(events: &'a dyn EventSink, stage: impl Into<String>) -> HashingReporter<'a> {
        HashingReporter {
            events,
            stage: stage.into(),
            started: Instant::now(),
            last: Mutex::new(None),
        }
    }

    pub fn report(&self, progress: HashProgress) {
        let now = Instant::now();
        if now.duration_since(self.started) < HASHING_QUIET_PERIOD {
            return;
        }
        let done = progress.files_done == progress.files_total;
        // Another thread is sending; this update is dropped unless it is final.
        let mut last = match self.last.try_lock() {
            Ok(last) => last,
            Err(_) if done => match self.last.lock() {
                Ok(last) => last,
                Err(_) => return,
            },
            Err(_) => return,
        };
        let due = match *last {
            None => true,
            Some(sent) => done || now.duration_since(sent) >= HASHING_EVENT_INTERVAL,
        };
        if !due {
            return;
        }
        *last = Some(now);
        self.events.event(Event::Hashing {
            stage: self.stage.clone(),
            files_done: progress.files_done,
            files_total: progress.files_total,
            bytes_done: progress.bytes_done,
            bytes_total: progress.bytes_total,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(done: u64, total: u64) -> HashProgress {
        HashProgress {
            files_done: done,
            files_total: total,
            bytes_done: done * 10,
            bytes_total: total * 10,
        }
    }

    #[test]
    fn hashing_events_wait_then_throttle() {
        let seen = Mutex::new(Vec::new());
        let sink = |event: Event| seen.lock().unwrap().push(event);
        let reporter = HashingReporter::new(&sink, "train");
        reporter.report(progress(1, 100));
        assert!(
            seen.lock().unwrap().is_empty(),
            "quick hashing draws nothing"
        );

        std::thread::sleep(HASHING_QUIET_PERIOD);
        for done in 2..50 {
            reporter.report(progress(done, 100));
        }
        reporter.report(progress(100, 100));
        let seen = seen.lock().unwrap();
        assert!(
            seen.len() >= 2 && seen.len() < 10,
            "throttled to a few events, got {}",
            seen.len()
        );
        assert_eq!(
            seen.last(),
            Some(&Event::Hashing {
                stage: "train".to_string(),
                files_done: 100,
                files_total: 100,
                bytes_done: 1000,
                bytes_total: 1000,
            })
        );
    }
}
