//! Choosing the executor that runs the queue (`--executor`, or `[executor]`
//! in `.dvc/retort.toml`) and the `--slurm-*` options of Slurm jobs, shared by
//! `retort queue start` and `retort exp run`.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use retort_engine::config::{ExecutorKind, RetortConfig};
use retort_engine::exp::ExpRepo;
use retort_engine::queue::slurm::{self, JobInfo, JobPhase, SlurmExecutor, SlurmOptions};
use retort_engine::queue::{Executor, LocalExecutor, Queue, QueueEntry};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExecutorChoice {
    /// Child processes on this machine.
    Local,
    /// One `sbatch` job per experiment.
    Slurm,
}

/// The executor and the options of Slurm jobs.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ExecutorArgs {
    /// The executor of queued experiments (default: `[executor] kind` in
    /// .dvc/retort.toml, else local).
    #[arg(long, value_enum)]
    pub executor: Option<ExecutorChoice>,

    /// Slurm partition of the jobs (sbatch --partition).
    #[arg(long = "slurm-partition", value_name = "NAME")]
    pub partition: Option<String>,

    /// Time limit of each job (sbatch --time), such as 30 or 2:00:00.
    #[arg(long = "slurm-time", value_name = "TIME")]
    pub time: Option<String>,

    /// CPUs of each job (sbatch --cpus-per-task).
    #[arg(long = "slurm-cpus-per-task", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub cpus_per_task: Option<u32>,

    /// Memory of each job (sbatch --mem), such as 8G.
    #[arg(long = "slurm-mem", value_name = "SIZE")]
    pub mem: Option<String>,

    /// Generic resources of each job (sbatch --gres), such as gpu:1.
    #[arg(long = "slurm-gres", value_name = "LIST")]
    pub gres: Option<String>,

    /// A further sbatch argument, such as --slurm-arg=--qos=high; repeatable.
    #[arg(long = "slurm-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub sbatch_args: Vec<String>,

    /// A directory that every node can reach, for the jobs' temporary work trees.
    #[arg(long = "slurm-work-dir", value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
}

impl ExecutorArgs {
    /// Returns the Slurm options given on the command line.
    pub fn slurm_options(&self) -> SlurmOptions {
        SlurmOptions {
            partition: self.partition.clone(),
            time: self.time.clone(),
            cpus_per_task: self.cpus_per_task,
            mem: self.mem.clone(),
            gres: self.gres.clone(),
            sbatch_args: self.sbatch_args.clone(),
            work_dir: self
                .work_dir
                .as_ref()
                .map(|dir| std::path::absolute(dir).unwrap_or_else(|_| dir.clone())),
            program: None,
        }
    }

    /// Converts the arguments back to command-line words for a worker process.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(choice) = self.executor {
            let name = match choice {
                ExecutorChoice::Local => "local",
                ExecutorChoice::Slurm => "slurm",
            };
            args.push(format!("--executor={name}"));
        }
        let options = self.slurm_options();

        let mut push = |flag: &str, value: Option<String>| {
            if let Some(value) = value {
                args.push(format!("--slurm-{flag}={value}"));
            }
        };
        push("partition", options.partition);
        push("time", options.time);
        push(
            "cpus-per-task",
            options.cpus_per_task.map(|n| n.to_string()),
        );
        push("mem", options.mem);
        push("gres", options.gres);
        push(
            "work-dir",
            options.work_dir.map(|dir| dir.display().to_string()),
        );
        for arg in options.sbatch_args {
            args.push(format!("--slurm-arg={arg}"));
        }
        args
    }
}

fn retort_program() -> Result<PathBuf> {
    std::env::current_exe().context("unable to find the retort executable")
}

/// Creates the executor that `queue start` (or `exp run --run-all`) uses.
pub fn make_executor(repo: &ExpRepo, args: &ExecutorArgs) -> Result<Box<dyn Executor>> {
    let config = RetortConfig::load(&repo.project.dvc_dir())?;
    let kind = match args.executor {
        Some(ExecutorChoice::Local) => ExecutorKind::Local,
        Some(ExecutorChoice::Slurm) => ExecutorKind::Slurm,
        None => config.executor.kind,
    };
    let program = retort_program()?;
    match kind {
        ExecutorKind::Local => {
            if !args.slurm_options().is_empty() {
                bail!(
                    "the --slurm-* options apply to Slurm jobs; add --executor slurm or set kind = \"slurm\" under [executor] in .dvc/retort.toml"
                );
            }
            Ok(Box::new(LocalExecutor::new(program, &repo.project.root)))
        }
        ExecutorKind::Slurm => {
            if !on_path("sbatch") {
                bail!(
                    "the Slurm executor needs `sbatch`, `squeue` and `scancel`, and `sbatch` is not on PATH; run the queue on a machine with Slurm's client commands (a login node), or use --executor local"
                );
            }
            let defaults = config.executor.slurm.overlay(&args.slurm_options());
            Ok(Box::new(SlurmExecutor::new(
                program,
                &repo.project.root,
                defaults,
            )))
        }
    }
}

/// Checks whether an executable called `program` is in a `PATH` directory.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Creates the executor that started `entry`, to stop it with.
pub fn executor_of(repo: &ExpRepo, entry: &QueueEntry) -> Result<Box<dyn Executor>> {
    let executor = match entry.executor.as_str() {
        "slurm" => ExecutorChoice::Slurm,
        _ => ExecutorChoice::Local,
    };
    make_executor(
        repo,
        &ExecutorArgs {
            executor: Some(executor),
            ..ExecutorArgs::default()
        },
    )
}

/// Stores the per-run `--slurm-*` options of `exp run --queue` in its entries.
pub fn store_run_options(queue: &Queue, entries: &[QueueEntry], args: &ExecutorArgs) -> Result<()> {
    let options = args.slurm_options().to_entry_options();
    if options.is_empty() {
        return Ok(());
    }
    for entry in entries {
        queue.update(&entry.id, |stored| {
            stored.executor_options = options.clone();
        })?;
    }
    Ok(())
}

/// Queries the current states of the unfinished Slurm entries' jobs, by job id.
pub fn live_jobs(entries: &[QueueEntry]) -> HashMap<String, JobInfo> {
    slurm::live_states(entries)
}

/// Returns the job state that `queue status` shows: the current state from
/// `squeue`, else the last state the worker recorded.
pub fn job_state_text(entry: &QueueEntry, live: &HashMap<String, JobInfo>) -> String {
    let state = entry
        .job_id
        .as_ref()
        .and_then(|id| live.get(id))
        .map(|info| info.state.clone())
        .or_else(|| entry.job_state.clone());
    match state {
        Some(state) => slurm::display_state(&state),
        None => "-".to_string(),
    }
}

/// Checks whether the Slurm job of an unfinished entry has ended (or Slurm
/// has purged it), so that following its log would wait forever.
pub fn job_gone(entry: &QueueEntry) -> bool {
    if entry.executor != "slurm" || entry.status.is_finished() {
        return false;
    }
    let Some(job_id) = &entry.job_id else {
        return false;
    };
    // `queue logs -f` checks every 200 ms; squeue loads the controller, so
    // it runs at most every 2 s.
    static LAST_QUERY: std::sync::Mutex<Option<std::time::Instant>> = std::sync::Mutex::new(None);
    let mut last = LAST_QUERY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if last.is_some_and(|at| at.elapsed() < std::time::Duration::from_secs(2)) {
        return false;
    }
    *last = Some(std::time::Instant::now());
    match slurm::commands::query(std::slice::from_ref(job_id)) {
        Ok(jobs) => jobs
            .get(job_id)
            .is_none_or(|info| JobPhase::of(&info.state).is_finished()),
        Err(_) => false,
    }
}
