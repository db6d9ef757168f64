//! `live.json`: the latest values of a running experiment, written into its
//! run directory (`.dvc/tmp/exps/run/<id>/live.json`, `workspace` for a run in
//! the workspace) so that other processes (`exp show`, `queue status`) can
//! show them. Written atomically at each change; removed when the run ends.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::values::LiveValues;

/// The run id of an experiment running in the workspace.
pub const WORKSPACE_RUN: &str = "workspace";

/// The contents of `live.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub experiment: Option<String>,
    pub stage: String,
    pub step: Option<u64>,
    /// Flattened names (`train.loss`) and values.
    pub metrics: Map<String, Value>,
    /// The metrics files read, project-relative, with their nested values.
    #[serde(default)]
    pub files: Map<String, Value>,
    /// The process that runs the experiment; a dead pid means a stale file.
    pub pid: u32,
    /// Unix time in seconds of the last change.
    pub updated: i64,
    /// The commits of the checkpoints recorded so far, oldest first.
    #[serde(default)]
    pub checkpoints: Vec<String>,
    /// The baseline commit, so `exp show` lists the run under it.
    #[serde(default)]
    pub baseline: Option<String>,
}

impl LiveStatus {
    pub fn update(&mut self, stage: &str, values: &LiveValues) {
        self.stage = stage.to_string();
        self.step = values.step;
        self.metrics = super::values::metrics_object(&values.metrics);
        self.files = values.files.iter().cloned().collect();
        self.updated = crate::queue::store::now();
    }

    /// `step 3: acc=0.91 loss=0.2`.
    pub fn summary(&self) -> String {
        LiveValues {
            step: self.step,
            metrics: self
                .metrics
                .iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
            files: Vec::new(),
        }
        .summary()
    }

    /// Tells whether the process that wrote the file still runs.
    pub fn is_live(&self) -> bool {
        crate::queue::executor::process_alive(self.pid)
    }
}

/// `.dvc/tmp/exps/run/<id>/live.json`.
pub fn status_path(dvc_dir: &Path, run_id: &str) -> PathBuf {
    dvc_dir
        .join("tmp")
        .join("exps")
        .join("run")
        .join(run_id)
        .join("live.json")
}

pub fn write(path: &Path, status: &LiveStatus) -> Result<(), crate::fsutil::FsError> {
    if let Some(parent) = path.parent() {
        crate::fsutil::create_dir_all(parent)?;
    }
    let text = serde_json::to_string_pretty(status).unwrap_or_default();
    crate::fsutil::atomic_write(path, text.as_bytes())
}

/// Reads a status file; `None` when it is missing or unreadable.
pub fn read(path: &Path) -> Option<LiveStatus> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Removes a status file and its directory when that is left empty.
pub fn remove(path: &Path) {
    let _ = std::fs::remove_file(path);
    if let Some(parent) = path.parent() {
        let _ = std::fs::remove_dir(parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = status_path(dir.path(), "abc");
        let mut status = LiveStatus {
            experiment: Some("exp-1".into()),
            pid: std::process::id(),
            ..LiveStatus::default()
        };
        status.update(
            "train",
            &LiveValues {
                step: Some(3),
                metrics: vec![("acc".into(), serde_json::json!(0.91))],
                files: Vec::new(),
            },
        );
        write(&path, &status).unwrap();
        let read_back = read(&path).unwrap();
        assert_eq!(read_back, status);
        assert_eq!(read_back.summary(), "step 3: acc=0.91");
        assert!(read_back.is_live());
        remove(&path);
        assert!(!path.exists());
    }
}
