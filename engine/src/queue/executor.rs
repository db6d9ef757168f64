//! Executors run queued experiments. The queue only hands entries to an
//! executor and asks it how they are doing, so a cluster scheduler can be added
//! beside the local executor without changing the queue.
//!
//! Every executor ends up running `retort exp exec-run <id>` somewhere: that
//! process runs the snapshot in a temporary directory and records the outcome
//! in the entry.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::entry::QueueEntry;
use super::store::Queue;

/// What an executor says about a handed-over entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunState {
    /// Waiting for resources (a cluster job that has not started).
    Pending,
    Running,
    /// The run process ended; the entry says how.
    Finished,
    /// The run ended without recording an outcome, for this reason.
    Lost(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    #[error("unable to start the run of '{name}': {message}")]
    Start { name: String, message: String },
    #[error("unable to stop the run of '{name}': {message}")]
    Cancel { name: String, message: String },
}

/// Runs queued experiments.
pub trait Executor: Send {
    /// A short name stored in entries, such as `local` or `slurm`.
    fn name(&self) -> &'static str;

    /// Starts running `entry` (which the queue has marked running) and returns
    /// once it is handed over.
    fn start(&mut self, queue: &Queue, entry: &QueueEntry) -> Result<(), ExecutorError>;

    /// Reports on an entry this executor started.
    fn poll(&mut self, queue: &Queue, entry: &QueueEntry) -> RunState;

    /// Stops an entry this executor (or an earlier process of it) started.
    fn cancel(&mut self, queue: &Queue, entry: &QueueEntry) -> Result<(), ExecutorError>;
}

/// Runs each entry as a child process on this machine.
pub struct LocalExecutor {
    program: PathBuf,
    project_root: PathBuf,
    children: Vec<(String, Child)>,
}

impl LocalExecutor {
    /// `program` is the `retort` binary; `project_root` is where runs start.
    pub fn new(program: PathBuf, project_root: &Path) -> LocalExecutor {
        LocalExecutor {
            program,
            project_root: project_root.to_path_buf(),
            children: Vec::new(),
        }
    }
}

/// Builds the `retort exp exec-run` command for an entry.
pub fn exec_run_command(program: &Path, project_root: &Path, entry: &QueueEntry) -> Command {
    let mut command = Command::new(program);
    command
        .arg("-C")
        .arg(project_root)
        .args(["exp", "exec-run", &entry.id])
        .stdin(Stdio::null());
    command
}

impl Executor for LocalExecutor {
    fn name(&self) -> &'static str {
        "local"
    }

    fn start(&mut self, queue: &Queue, entry: &QueueEntry) -> Result<(), ExecutorError> {
        let start_error = |message: String| ExecutorError::Start {
            name: entry.name.clone(),
            message,
        };
        let log = std::fs::File::create(queue.log_path(&entry.id))
            .map_err(|error| start_error(error.to_string()))?;
        let log_err = log
            .try_clone()
            .map_err(|error| start_error(error.to_string()))?;
        let mut command = exec_run_command(&self.program, &self.project_root, entry);
        // A process group of its own lets `queue kill` end the run and every
        // process its stages started.
        command.stdout(log).stderr(log_err).process_group(0);
        let child = command
            .spawn()
            .map_err(|error| start_error(error.to_string()))?;
        let pid = child.id();
        self.children.push((entry.id.clone(), child));
        let _ = queue.update(&entry.id, |stored| stored.pid = Some(pid));
        Ok(())
    }

    fn poll(&mut self, _queue: &Queue, entry: &QueueEntry) -> RunState {
        let Some(position) = self.children.iter().position(|(id, _)| *id == entry.id) else {
            // Started by another process: judge by whether its pid is alive.
            return match entry.pid {
                Some(pid) if process_alive(pid) => RunState::Running,
                _ => RunState::Lost("the run process is gone".to_string()),
            };
        };
        match self.children[position].1.try_wait() {
            Ok(None) => RunState::Running,
            Ok(Some(status)) => {
                self.children.remove(position);
                if status.success() {
                    RunState::Finished
                } else {
                    use std::os::unix::process::ExitStatusExt;
                    match (status.code(), status.signal()) {
                        (Some(_), _) => RunState::Finished,
                        (None, Some(signal)) => {
                            RunState::Lost(format!("the run process was killed by signal {signal}"))
                        }
                        _ => RunState::Lost("the run process ended abnormally".to_string()),
                    }
                }
            }
            Err(error) => RunState::Lost(format!("unable to watch the run process: {error}")),
        }
    }

    fn cancel(&mut self, _queue: &Queue, entry: &QueueEntry) -> Result<(), ExecutorError> {
        let Some(pid) = entry.pid else {
            return Ok(());
        };
        // SAFETY: signals the process group the run leads; no memory is touched.
        let result = unsafe { libc::killpg(pid as libc::pid_t, libc::SIGTERM) };
        if result != 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() != Some(libc::ESRCH) {
                return Err(ExecutorError::Cancel {
                    name: entry.name.clone(),
                    message: error.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// Whether a process with this pid exists (and is not a zombie we reaped).
pub fn process_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
}
