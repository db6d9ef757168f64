//! A queued experiment: the request, its snapshot commit, and what became of it.

use serde::{Deserialize, Serialize};

/// Where a queued experiment is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryStatus {
    Queued,
    Running,
    Success,
    Failed,
    Cancelled,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Queued => "Queued",
            EntryStatus::Running => "Running",
            EntryStatus::Success => "Success",
            EntryStatus::Failed => "Failed",
            EntryStatus::Cancelled => "Cancelled",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(
            self,
            EntryStatus::Success | EntryStatus::Failed | EntryStatus::Cancelled
        )
    }
}

/// One queued experiment, stored as JSON in the queue directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueEntry {
    /// A short random hex id, unique in the queue.
    pub id: String,
    pub name: String,
    /// The commit the experiment is based on.
    pub baseline: String,
    /// The commit holding the workspace to run: the baseline plus the
    /// workspace's changes and the `-S` edits.
    pub snapshot: String,
    pub targets: Vec<String>,
    /// The `-S` arguments, kept for display; they are already in the snapshot.
    pub set_params: Vec<String>,
    pub message: Option<String>,
    pub force: bool,
    pub status: EntryStatus,
    /// Unix time in seconds.
    pub created: i64,
    pub started: Option<i64>,
    pub finished: Option<i64>,
    /// The executor that runs it: `local` or `slurm`.
    pub executor: String,
    /// The process running it (local executor).
    pub pid: Option<u32>,
    /// The scheduler's job id (cluster executors).
    pub job_id: Option<String>,
    /// The scheduler's last reported state, such as PENDING or RUNNING.
    pub job_state: Option<String>,
    /// Executor options such as a Slurm partition, as `key=value`.
    #[serde(default)]
    pub executor_options: Vec<String>,
    pub exit_code: Option<i32>,
    /// Why the run failed, in one sentence.
    pub error: Option<String>,
    /// The experiment ref and commit it produced.
    pub result_ref: Option<String>,
    pub result_sha: Option<String>,
    /// The checkpoint the run resumes from (`exp run --rev`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<String>,
}

impl QueueEntry {
    /// Builds an entry that waits in the queue, run by the local executor
    /// until a worker hands it to another one.
    pub fn queued(id: String, name: String, baseline: String, snapshot: String) -> QueueEntry {
        QueueEntry {
            id,
            name,
            baseline,
            snapshot,
            targets: Vec::new(),
            set_params: Vec::new(),
            message: None,
            force: false,
            status: EntryStatus::Queued,
            created: super::store::now(),
            started: None,
            finished: None,
            executor: "local".to_string(),
            pid: None,
            job_id: None,
            job_state: None,
            executor_options: Vec::new(),
            exit_code: None,
            error: None,
            result_ref: None,
            result_sha: None,
            resume: None,
        }
    }
}
