//! `retort exp run`: run an experiment in the workspace, in a temporary
//! directory (`--temp`), or queue it (`--queue`) and run the queue (`--run-all`).

use std::process::ExitCode;

use anyhow::Result;
use retort_engine::exp::run::{run_in_workspace, ExpRunError, ExpRunOptions};
use retort_engine::repro::plan::Scope;
use retort_engine::repro::{ReproError, ReproOptions};

use crate::context::open_workspace;
use crate::printer::{cancel_on_signal, TerminalPrinter};

#[derive(clap::Args)]
pub struct RunArgs {
    /// Stages to reproduce (default: every stage of the dvc.yaml in the current directory).
    targets: Vec<String>,

    /// Set a param before running: `key=value`, `file:key=value`, `+key=value` (add),
    /// `++key=value` (add or replace) or `~key` (delete). The value is parsed as YAML.
    #[arg(short = 'S', long = "set-param", value_name = "[FILE:]OVERRIDE")]
    set_param: Vec<String>,

    /// The experiment name (default: a generated adjective-noun name).
    #[arg(short, long)]
    name: Option<String>,

    /// The commit message of the experiment.
    #[arg(short, long)]
    message: Option<String>,

    /// Run every stage, and replace an experiment of the same name.
    #[arg(short, long)]
    force: bool,

    /// Untracked file or directory to include in the experiment commit; repeatable.
    #[arg(short = 'I', long = "include-untracked", value_name = "PATH")]
    include_untracked: Vec<String>,

    /// Only the targets, not their upstream stages.
    #[arg(short = 's', long = "single-item")]
    single_item: bool,

    /// The targets and every stage that depends on them.
    #[arg(long)]
    downstream: bool,

    /// After a failure, skip the failed stage's descendants and run the rest.
    #[arg(short = 'k', long = "keep-going")]
    keep_going: bool,

    /// Add the experiment to the queue instead of running it.
    #[arg(long, conflicts_with = "temp")]
    queue: bool,

    /// Run every queued experiment, N at a time (see -j).
    #[arg(long = "run-all")]
    run_all: bool,

    /// How many queued experiments run at once with --run-all.
    #[arg(short = 'j', long = "jobs", default_value_t = 1)]
    jobs: usize,

    /// Run in a temporary directory and leave the workspace untouched.
    #[arg(long)]
    temp: bool,

    /// Resume from a checkpoint (`NAME~N` or its sha) in a temporary
    /// directory; new checkpoints chain on it. Implies --temp unless --queue.
    #[arg(long, value_name = "CHECKPOINT", conflicts_with = "set_param")]
    rev: Option<String>,

    /// With --queue, the --slurm-* options are this run's Slurm job options;
    /// with --run-all, --executor picks what runs the queue.
    #[command(flatten)]
    executor: crate::commands::queue_executor::ExecutorArgs,
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    if args.queue || args.temp || args.run_all || args.rev.is_some() {
        return crate::commands::queue::run_from_exp(args.into_queue_request());
    }
    if args.executor.executor.is_some() || !args.executor.slurm_options().is_empty() {
        anyhow::bail!(
            "--executor and the --slurm-* options apply to queued runs; add --queue (and --run-all to run the queue now)"
        );
    }
    let (mut workspace, cwd) = open_workspace()?;
    let options = ExpRunOptions {
        set_params: args.set_param,
        name: args.name,
        message: args.message,
        force: args.force,
        include_untracked: args.include_untracked,
        repro: ReproOptions {
            targets: args.targets,
            cwd,
            scope: scope(args.single_item, args.downstream),
            keep_going: args.keep_going,
            ..ReproOptions::default()
        },
    };
    let printer = TerminalPrinter::new();
    let cancel = cancel_on_signal();
    match run_in_workspace(&mut workspace, &options, &printer, &cancel) {
        Ok(result) => {
            println!();
            println!("Ran experiment(s): {}", result.name);
            println!("Experiment results have been applied to your workspace.");
            if !result.untracked.is_empty() {
                eprintln!(
                    "warning: these untracked files are not part of the experiment; add them with -I PATH or git add:\n\t{}",
                    result.untracked.join("\n\t")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ExpRunError::Repro(ReproError::StageFailed {
            stage,
            message,
            exit_code,
        })) => {
            eprintln!("ERROR: failed to reproduce '{stage}': {message}");
            let code = exit_code
                .filter(|code| (1..=255).contains(code))
                .unwrap_or(1);
            Ok(ExitCode::from(code as u8))
        }
        Err(ExpRunError::Repro(ReproError::Cancelled { stage })) => {
            eprintln!("ERROR: the experiment was cancelled during stage '{stage}'; no experiment was recorded");
            Ok(ExitCode::from(130))
        }
        Err(error) => Err(error.into()),
    }
}

fn scope(single_item: bool, downstream: bool) -> Scope {
    if single_item {
        Scope::Single
    } else if downstream {
        Scope::Downstream
    } else {
        Scope::WithUpstream
    }
}

/// What `--queue`, `--temp` and `--run-all` hand to the queue commands.
pub struct QueueRequest {
    pub targets: Vec<String>,
    pub set_params: Vec<String>,
    pub name: Option<String>,
    pub message: Option<String>,
    pub force: bool,
    pub include_untracked: Vec<String>,
    pub queue: bool,
    pub run_all: bool,
    pub temp: bool,
    pub jobs: usize,
    /// `--rev`: the checkpoint to resume from.
    pub rev: Option<String>,
    pub executor: crate::commands::queue_executor::ExecutorArgs,
}

impl RunArgs {
    fn into_queue_request(self) -> QueueRequest {
        QueueRequest {
            targets: self.targets,
            set_params: self.set_param,
            name: self.name,
            message: self.message,
            force: self.force,
            include_untracked: self.include_untracked,
            queue: self.queue,
            run_all: self.run_all,
            temp: self.temp || (self.rev.is_some() && !self.queue),
            jobs: self.jobs,
            rev: self.rev,
            executor: self.executor,
        }
    }
}

#[derive(clap::Args)]
pub struct ExecRunArgs {
    /// The queue entry id.
    id: String,
}

/// Runs one queue entry in a temporary directory; its output is the entry's log.
pub fn exec_run(args: ExecRunArgs) -> Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let repo = retort_engine::exp::ExpRepo::discover(&cwd)?;
    let queue = retort_engine::queue::Queue::open(&repo.project.dvc_dir());
    let printer = TerminalPrinter::new();
    let cancel = cancel_on_signal();
    let entry = retort_engine::queue::exec_entry(&repo, &queue, &args.id, &printer, &cancel)?;
    match entry.status {
        retort_engine::queue::EntryStatus::Success => {
            println!(
                "\nRan experiment '{}' as {}",
                entry.name,
                entry.result_ref.unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        status => {
            eprintln!(
                "ERROR: experiment '{}' {}: {}",
                entry.name,
                status.as_str().to_lowercase(),
                entry.error.unwrap_or_default()
            );
            let code = entry
                .exit_code
                .filter(|code| (1..=255).contains(code))
                .unwrap_or(1);
            Ok(ExitCode::from(code as u8))
        }
    }
}
