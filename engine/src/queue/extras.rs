//! Queued, running and failed experiments as `exp show` rows.

use std::collections::HashMap;

use crate::exp::collect::{
    Collector, ExecutorState, ExpExecutor, ExpRange, ExtraEntry, ExtraExperiments,
    LocalExecutor as ShowExecutor, ShowOptions,
};
use crate::exp::ExpRepo;

use super::entry::{EntryStatus, QueueEntry};
use super::store::Queue;

/// The queue seen by `exp show` and `exp remove`.
pub struct QueueExtras<'a> {
    pub repo: &'a ExpRepo,
    pub queue: Queue,
    pub options: ShowOptions,
}

impl QueueExtras<'_> {
    fn executor(&self, entry: &QueueEntry, state: ExecutorState) -> ExpExecutor {
        ExpExecutor {
            state,
            name: Some(if entry.executor == "local" {
                "dvc-task".to_string()
            } else {
                entry.executor.clone()
            }),
            local: Some(ShowExecutor {
                root: None,
                log: Some(self.queue.log_path(&entry.id).display().to_string()),
                pid: entry.pid.map(i64::from),
                returncode: entry.exit_code.map(i64::from),
                task_id: Some(entry.id.clone()),
            }),
        }
    }
}

impl ExtraExperiments for QueueExtras<'_> {
    fn entries(&self, baselines: &[String]) -> Vec<ExtraEntry> {
        let entries: Vec<QueueEntry> = self
            .queue
            .list()
            .into_iter()
            .filter(|entry| baselines.contains(&entry.baseline))
            .filter(|entry| {
                matches!(
                    entry.status,
                    EntryStatus::Queued | EntryStatus::Running | EntryStatus::Failed
                )
            })
            .collect();
        if entries.is_empty() {
            return Vec::new();
        }
        let collector = Collector::new(self.repo, &self.options);
        let snapshots: Vec<String> = entries.iter().map(|entry| entry.snapshot.clone()).collect();
        let mut states = collector.commits(&snapshots);
        entries
            .iter()
            .map(|entry| {
                let state = match entry.status {
                    // Claimed, but its cluster job still waits for resources.
                    EntryStatus::Running
                        if entry.job_state.as_deref().is_some_and(|state| {
                            crate::queue::slurm::JobPhase::of(state)
                                == crate::queue::slurm::JobPhase::Pending
                        }) =>
                    {
                        ExecutorState::Queued
                    }
                    EntryStatus::Running => ExecutorState::Running,
                    EntryStatus::Failed => ExecutorState::Failed,
                    _ => ExecutorState::Queued,
                };
                let mut row = states
                    .remove(&entry.snapshot)
                    .unwrap_or_else(|| collector.commit(&entry.snapshot));
                row.name = Some(entry.name.clone());
                if state == ExecutorState::Running {
                    // The latest values the run wrote (its live.json).
                    if let Some(live) =
                        crate::live::show::queued_status(&self.repo.project.dvc_dir(), &entry.id)
                    {
                        crate::live::show::overlay(&mut row, &live);
                    }
                }
                if state == ExecutorState::Queued {
                    // A queued run has no results yet; DVC shows its params only.
                    if let Some(data) = row.data.as_mut() {
                        data.metrics.clear();
                    }
                }
                ExtraEntry {
                    baseline: entry.baseline.clone(),
                    range: ExpRange {
                        revs: vec![row],
                        executor: Some(self.executor(entry, state)),
                        name: Some(entry.name.clone()),
                    },
                }
            })
            .collect()
    }

    fn success_executors(&self, baselines: &[String]) -> HashMap<String, ExpExecutor> {
        self.queue
            .list()
            .into_iter()
            .filter(|entry| {
                entry.status == EntryStatus::Success && baselines.contains(&entry.baseline)
            })
            .filter_map(|entry| {
                let reference = entry.result_ref.clone()?;
                Some((reference, self.executor(&entry, ExecutorState::Success)))
            })
            .collect()
    }

    fn remove_queued(&self, names: Option<&[String]>) -> Vec<String> {
        let mut removed = Vec::new();
        for entry in self.queue.list() {
            if entry.status != EntryStatus::Queued {
                continue;
            }
            if names.is_some_and(|names| !names.contains(&entry.name) && !names.contains(&entry.id))
            {
                continue;
            }
            if self.queue.remove(&entry.id).is_ok() {
                super::snapshot::release_snapshot(self.repo, &entry.id);
                removed.push(entry.name);
            }
        }
        removed
    }
}
