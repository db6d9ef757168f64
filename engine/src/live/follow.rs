//! Follows a running stage: polls the files it writes for new values and the
//! signal files its command uses to mark a step.
//!
//! Polling (every [`POLL_INTERVAL`]) is used rather than file notifications:
//! the engine has no event-loop dependency, the files are few, and dvclive
//! rewrites them in place, which notification backends report unevenly.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::values::{LiveValues, Sources};

/// How often the files are looked at.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// The signal file of DVC 2's `make_checkpoint()`, relative to a project's
/// `.dvc` directory: the command creates it and waits until it is removed.
pub const CHECKPOINT_SIGNAL: &str = "tmp/DVC_CHECKPOINT";

/// dvclive's step signal, relative to a project's `.dvc` directory: JSON
/// `{"pid": ..., "step": ...}` rewritten after each `next_step()`.
pub const STEP_SIGNAL: &str = "tmp/exps/run/DVCLIVE_STEP_COMPLETED";

/// A step the command marked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    /// dvclive finished step `step`; the command goes on without waiting.
    Step { step: u64 },
    /// `.dvc/tmp/DVC_CHECKPOINT` appeared; the command waits until
    /// [`Follower::release`] removes it.
    Checkpoint { file: PathBuf },
}

/// The result of one poll.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Poll {
    /// New values, when they differ from the last ones reported.
    pub values: Option<LiveValues>,
    pub signal: Option<Signal>,
}

/// Watches one stage's command.
pub struct Follower {
    sources: Sources,
    /// `(mtime, len)` of each watched file at the last reading.
    fingerprints: Vec<(PathBuf, Option<(SystemTime, u64)>)>,
    /// The fingerprints of the files that existed before the command started.
    /// Until such a file changes, its values are an earlier stage's or run's,
    /// and are left out of the readings.
    before: Vec<(PathBuf, Option<(SystemTime, u64)>)>,
    last: LiveValues,
    last_poll: Option<Instant>,
    step_signal: PathBuf,
    checkpoint_signals: Vec<PathBuf>,
    last_step: Option<(u32, u64)>,
}

impl Follower {
    /// `signal_roots` are the project roots whose `.dvc` directories hold
    /// signal files: the run's own root, and `DVC_ROOT` when it differs (a
    /// temporary run points dvclive at the user's project).
    pub fn new(sources: Sources, signal_roots: &[PathBuf]) -> Follower {
        let dvc = |root: &Path, relative: &str| root.join(".dvc").join(relative);
        let step_root = signal_roots
            .last()
            .cloned()
            .unwrap_or_else(|| sources.root.clone());
        let mut checkpoint_signals: Vec<PathBuf> = Vec::new();
        for (index, root) in signal_roots.iter().enumerate() {
            let file = dvc(root, CHECKPOINT_SIGNAL);
            if checkpoint_signals.contains(&file) {
                continue;
            }
            // A signal in the run's own root left by an earlier, killed run
            // cannot be this command's. The one under DVC_ROOT may belong to
            // a concurrent run, so it is left alone.
            if index == 0 {
                let _ = std::fs::remove_file(&file);
            }
            checkpoint_signals.push(file);
        }

        let step_signal = dvc(&step_root, STEP_SIGNAL);
        let last_step = read_step_signal(&step_signal);
        let mut follower = Follower {
            sources,
            fingerprints: Vec::new(),
            before: Vec::new(),
            last: LiveValues::default(),
            last_poll: None,
            step_signal,
            checkpoint_signals,
            last_step,
        };
        // What is there before the command starts (another stage's files, an
        // earlier run's) is not news.
        follower.changed();
        follower.before = follower
            .fingerprints
            .iter()
            .filter(|(_, fingerprint)| fingerprint.is_some())
            .cloned()
            .collect();
        follower
    }

    /// Looks at the files when the poll interval has passed. `group` is the
    /// command's process group: a step signal counts only when the process
    /// that wrote it is in that group.
    pub fn poll(&mut self, group: Option<i32>) -> Poll {
        if self
            .last_poll
            .is_some_and(|last| last.elapsed() < POLL_INTERVAL)
        {
            return Poll::default();
        }
        self.last_poll = Some(Instant::now());
        let signal = self.signal(group);
        // On a signal the files are read even when their fingerprints look
        // unchanged: a rewrite within one mtime tick keeps the same length.
        let values = if self.changed() || signal.is_some() {
            self.read_new()
        } else {
            None
        };
        Poll { values, signal }
    }

    /// Reads the files once more after the command ended; returns the values
    /// when they differ from the last ones reported.
    pub fn finish(&mut self) -> Option<LiveValues> {
        self.changed();
        self.read_new()
    }

    /// Returns the latest values reported.
    pub fn latest(&self) -> &LiveValues {
        &self.last
    }

    /// Lets a command that waits on a checkpoint signal go on.
    pub fn release(&self, signal: &Signal) {
        if let Signal::Checkpoint { file } = signal {
            if let Err(error) = std::fs::remove_file(file) {
                if error.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(file = %file.display(), %error, "unable to remove the checkpoint signal; the command may wait forever");
                }
            }
        }
    }

    fn read_new(&mut self) -> Option<LiveValues> {
        let untouched = |path: &Path| {
            self.before.iter().any(|(file, before)| {
                file == path
                    && self
                        .fingerprints
                        .iter()
                        .any(|(now, fingerprint)| now == path && fingerprint == before)
            })
        };
        let values = self.sources.read_where(|path| !untouched(path));
        if values.is_empty() || values == self.last {
            return None;
        }
        self.last = values.clone();
        Some(values)
    }

    fn changed(&mut self) -> bool {
        let now: Vec<(PathBuf, Option<(SystemTime, u64)>)> = self
            .sources
            .watched_files()
            .into_iter()
            .map(|path| {
                let fingerprint = std::fs::metadata(&path)
                    .ok()
                    .and_then(|metadata| Some((metadata.modified().ok()?, metadata.len())));
                (path, fingerprint)
            })
            .collect();
        let changed = now != self.fingerprints;
        self.fingerprints = now;
        changed
    }

    fn signal(&mut self, group: Option<i32>) -> Option<Signal> {
        if let Some(file) = self.checkpoint_signals.iter().find(|file| file.exists()) {
            return Some(Signal::Checkpoint { file: file.clone() });
        }
        let (pid, step) = read_step_signal(&self.step_signal)?;
        if self.last_step == Some((pid, step)) {
            return None;
        }
        if group.is_some_and(|group| process_group(pid) != Some(group)) {
            // Another run's step (two runs share the user's project).
            return None;
        }
        self.last_step = Some((pid, step));
        Some(Signal::Step { step })
    }
}

fn read_step_signal(path: &Path) -> Option<(u32, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let pid = u32::try_from(value.get("pid")?.as_u64()?).ok()?;
    Some((pid, value.get("step")?.as_u64()?))
}

fn process_group(pid: u32) -> Option<i32> {
    // SAFETY: getpgid only reads the process table.
    let group = unsafe { libc::getpgid(pid as libc::pid_t) };
    (group >= 0).then_some(group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_new_values_once_and_signals() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join(".dvc/tmp/exps/run")).unwrap();
        std::fs::create_dir_all(root.join("dvclive")).unwrap();
        let sources = Sources {
            root: root.clone(),
            dvclive_dirs: vec!["dvclive".into()],
            metrics_files: Vec::new(),
        };
        let mut follower = Follower::new(sources, std::slice::from_ref(&root));
        assert_eq!(follower.poll(None), Poll::default());

        std::fs::write(
            root.join("dvclive/metrics.json"),
            r#"{"acc": 0.5, "step": 0}"#,
        )
        .unwrap();
        std::thread::sleep(POLL_INTERVAL);
        let poll = follower.poll(None);
        assert_eq!(poll.values.unwrap().summary(), "step 0: acc=0.5");
        std::thread::sleep(POLL_INTERVAL);
        assert_eq!(follower.poll(None).values, None);

        // Our own pid, in our own process group.
        let pid = std::process::id();
        std::fs::write(
            root.join(".dvc").join(STEP_SIGNAL),
            format!(r#"{{"pid": {pid}, "step": 0}}"#),
        )
        .unwrap();
        std::thread::sleep(POLL_INTERVAL);
        let group = process_group(pid);
        assert_eq!(follower.poll(group).signal, Some(Signal::Step { step: 0 }));
        std::thread::sleep(POLL_INTERVAL);
        assert_eq!(follower.poll(group).signal, None);

        let signal_file = root.join(".dvc").join(CHECKPOINT_SIGNAL);
        std::fs::write(&signal_file, "").unwrap();
        std::thread::sleep(POLL_INTERVAL);
        let signal = follower.poll(group).signal.unwrap();
        assert!(matches!(signal, Signal::Checkpoint { .. }));
        follower.release(&signal);
        assert!(!signal_file.exists());
    }

    #[test]
    fn files_from_before_the_command_stay_out_until_they_change() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("dvclive")).unwrap();
        std::fs::write(
            root.join("dvclive/metrics.json"),
            r#"{"acc": 0.9, "step": 19}"#,
        )
        .unwrap();
        let sources = Sources {
            root: root.clone(),
            dvclive_dirs: vec!["dvclive".into()],
            metrics_files: vec!["metrics.json".into()],
        };
        let mut follower = Follower::new(sources, std::slice::from_ref(&root));

        std::fs::write(root.join("metrics.json"), r#"{"accuracy": 0.97}"#).unwrap();
        std::thread::sleep(POLL_INTERVAL);
        let values = follower.poll(None).values.unwrap();
        assert_eq!(values.summary(), "accuracy=0.97");

        std::fs::write(
            root.join("dvclive/metrics.json"),
            r#"{"acc": 0.95, "step": 20}"#,
        )
        .unwrap();
        std::thread::sleep(POLL_INTERVAL);
        let values = follower.poll(None).values.unwrap();
        assert_eq!(values.step, Some(20));
    }
}
