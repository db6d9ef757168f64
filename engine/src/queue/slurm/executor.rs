//! The Slurm executor: each entry becomes one `sbatch` job whose script runs
//! `retort exp exec-run <id>` on a compute node, in the project directory that
//! the cluster's shared file system shows every node. The job's output is the
//! entry's log. The run on the node updates the entry, and this executor
//! updates it when Slurm ends a job before the run could record an outcome.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::commands::{self, JobInfo};
use super::options::SlurmOptions;
use super::state::JobPhase;
use crate::queue::entry::{EntryStatus, QueueEntry};
use crate::queue::executor::{Executor, ExecutorError, RunState};
use crate::queue::rundir::RUN_ROOT_ENV;
use crate::queue::store::{now, Queue};

/// The shortest time between two `squeue` calls. One call covers every watched job.
const QUERY_INTERVAL: Duration = Duration::from_secs(1);

pub struct SlurmExecutor {
    program: PathBuf,
    project_root: PathBuf,
    defaults: SlurmOptions,
    /// Jobs to query with `squeue`, and their last reported states.
    watched: BTreeSet<String>,
    known: HashMap<String, JobInfo>,
    queried: Option<Instant>,
    /// Whether the last `squeue` call failed.
    query_failed: bool,
}

impl SlurmExecutor {
    /// Creates an executor. `program` is the `retort` binary, which the nodes
    /// must see at that path unless `defaults.program` is set. `defaults` are
    /// the options of jobs whose entry sets none.
    pub fn new(program: PathBuf, project_root: &Path, defaults: SlurmOptions) -> SlurmExecutor {
        SlurmExecutor {
            program,
            project_root: project_root.to_path_buf(),
            defaults,
            watched: BTreeSet::new(),
            known: HashMap::new(),
            queried: None,
            query_failed: false,
        }
    }

    /// Returns the options that a job of `entry` is submitted with.
    pub fn options_for(&self, entry: &QueueEntry) -> Result<SlurmOptions, ExecutorError> {
        let per_run =
            SlurmOptions::from_entry_options(&entry.executor_options).map_err(|error| {
                ExecutorError::Start {
                    name: entry.name.clone(),
                    message: error.to_string(),
                }
            })?;
        Ok(self.defaults.overlay(&per_run))
    }

    fn refresh(&mut self, job_id: &str) {
        self.watched.insert(job_id.to_string());
        let stale = self
            .queried
            .is_none_or(|queried| queried.elapsed() >= QUERY_INTERVAL);
        if !stale && self.known.contains_key(job_id) {
            return;
        }
        let ids: Vec<String> = self.watched.iter().cloned().collect();
        match commands::query(&ids) {
            Ok(states) => {
                self.known = states;
                self.queried = Some(Instant::now());
                self.query_failed = false;
            }
            Err(error) => {
                // The controller may be restarting, so keep the last states
                // and query again next time.
                tracing::warn!(%error, "squeue failed; keeping the last known job states");
                self.queried = Some(Instant::now());
                self.query_failed = true;
            }
        }
    }

    /// Records Slurm's state in the entry when it changed.
    fn note_state(queue: &Queue, entry: &QueueEntry, info: &JobInfo) {
        if entry.job_state.as_deref() != Some(info.state.as_str()) {
            let _ = queue.update(&entry.id, |stored| {
                stored.job_state = Some(info.state.clone());
            });
        }
    }
}

/// Writes the batch script: where the work tree goes, then the run itself.
/// `exec` makes the run the process that Slurm signals when it stops the job.
pub fn batch_script(
    program: &Path,
    project_root: &Path,
    entry: &QueueEntry,
    work_dir: Option<&Path>,
) -> String {
    let mut script = String::from("#!/bin/sh\n");
    script.push_str(&format!(
        "# Queued experiment {} (task {}), submitted by `retort queue`.\n",
        entry.name.replace('\n', " "),
        entry.id
    ));
    if let Some(dir) = work_dir {
        script.push_str(&format!(
            "{RUN_ROOT_ENV}={}\nexport {RUN_ROOT_ENV}\n",
            shell_quote(&dir.display().to_string())
        ));
    }
    script.push_str(&format!(
        "exec {} -C {} exp exec-run {}\n",
        shell_quote(&program.display().to_string()),
        shell_quote(&project_root.display().to_string()),
        shell_quote(&entry.id)
    ));
    script
}

/// Quotes a word for `sh`: inside single quotes nothing is special but the
/// single quote itself.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

impl Executor for SlurmExecutor {
    fn name(&self) -> &'static str {
        "slurm"
    }

    fn start(&mut self, queue: &Queue, entry: &QueueEntry) -> Result<(), ExecutorError> {
        let start_error = |message: String| ExecutorError::Start {
            name: entry.name.clone(),
            message,
        };
        let options = self.options_for(entry)?;

        let program = options
            .program
            .clone()
            .unwrap_or_else(|| self.program.clone());
        let script_path = queue.dir().join(format!("{}.sbatch", entry.id));
        let script = batch_script(
            &program,
            &self.project_root,
            entry,
            options.work_dir.as_deref(),
        );
        crate::fsutil::atomic_write(&script_path, script.as_bytes())
            .map_err(|error| start_error(error.to_string()))?;

        let mut args = vec![
            format!("--job-name=retort-{}", entry.name),
            format!("--output={}", queue.log_path(&entry.id).display()),
            format!("--chdir={}", self.project_root.display()),
        ];
        args.extend(options.sbatch_resource_args());
        let job_id = commands::submit(&args, &script_path)
            .map_err(|error| start_error(error.to_string()))?;

        self.watched.insert(job_id.clone());
        let submitted = options.to_entry_options();
        queue
            .update(&entry.id, |stored| {
                stored.job_id = Some(job_id.clone());
                stored.job_state = Some("PENDING".to_string());
                stored.executor_options = submitted;
            })
            .map_err(|error| start_error(error.to_string()))?;
        Ok(())
    }

    fn poll(&mut self, queue: &Queue, entry: &QueueEntry) -> RunState {
        let Some(job_id) = entry.job_id.clone() else {
            return RunState::Lost("no Slurm job id was recorded for this run".to_string());
        };
        self.refresh(&job_id);
        // When squeue fails, a run that recorded its outcome is done, and an
        // unfinished one waits for the controller to come back.
        if self.query_failed && entry.status.is_finished() {
            self.watched.remove(&job_id);
            return RunState::Finished;
        }
        let Some(info) = self.known.get(&job_id).cloned() else {
            self.watched.remove(&job_id);
            return if entry.status.is_finished() {
                RunState::Finished
            } else {
                RunState::Lost(format!(
                    "Slurm no longer knows job {job_id} and the run recorded no result; see `retort queue logs {}`",
                    entry.id
                ))
            };
        };
        Self::note_state(queue, entry, &info);
        let phase = JobPhase::of(&info.state);
        if phase.is_finished() {
            self.watched.remove(&job_id);
        }
        match phase {
            JobPhase::Pending => RunState::Pending,
            JobPhase::Running => RunState::Running,
            JobPhase::Completed => RunState::Finished,
            JobPhase::Failed => {
                if entry.status.is_finished() {
                    RunState::Finished
                } else {
                    RunState::Lost(format!(
                        "Slurm job {job_id} failed ({}) before the run recorded a result; see `retort queue logs {}`",
                        info.reason, entry.id
                    ))
                }
            }
            JobPhase::Cancelled => {
                let _ = queue.update(&entry.id, |stored| {
                    if !stored.status.is_finished() {
                        stored.status = EntryStatus::Cancelled;
                        stored.finished = Some(now());
                        stored.error = Some(format!("Slurm job {job_id} was cancelled"));
                    }
                });
                RunState::Finished
            }
            JobPhase::Killed(why) => {
                // The run may have recorded itself as cancelled when Slurm's
                // SIGTERM reached it; the reason is Slurm's, and it is a failure.
                let _ = queue.update(&entry.id, |stored| {
                    stored.status = EntryStatus::Failed;
                    stored.finished.get_or_insert_with(now);
                    stored.error = Some(format!(
                        "Slurm stopped job {job_id}: {why} ({})",
                        info.state
                    ));
                });
                RunState::Finished
            }
        }
    }

    fn cancel(&mut self, _queue: &Queue, entry: &QueueEntry) -> Result<(), ExecutorError> {
        let Some(job_id) = &entry.job_id else {
            return Ok(());
        };
        commands::cancel(job_id).map_err(|error| ExecutorError::Cancel {
            name: entry.name.clone(),
            message: error.to_string(),
        })
    }
}

/// Queries the current states of the unfinished Slurm entries' jobs, for
/// `queue status` and `queue logs`. Empty when `squeue` fails.
pub fn live_states(entries: &[QueueEntry]) -> HashMap<String, JobInfo> {
    let ids: Vec<String> = entries
        .iter()
        .filter(|entry| entry.executor == "slurm" && !entry.status.is_finished())
        .filter_map(|entry| entry.job_id.clone())
        .collect();
    commands::query(&ids).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_script_quotes_paths() {
        let entry = QueueEntry {
            executor: "slurm".into(),
            ..QueueEntry::queued(
                "abc123".into(),
                "exp-1".into(),
                String::new(),
                String::new(),
            )
        };
        let script = batch_script(
            Path::new("/opt/retort/bin/retort"),
            Path::new("/home/o'neil/project"),
            &entry,
            Some(Path::new("/scratch/runs")),
        );
        assert!(script.starts_with("#!/bin/sh\n"));
        assert!(script.contains("RETORT_RUN_ROOT='/scratch/runs'\nexport RETORT_RUN_ROOT\n"));
        assert!(script.ends_with(
            "exec '/opt/retort/bin/retort' -C '/home/o'\\''neil/project' exp exec-run 'abc123'\n"
        ));
    }
}
