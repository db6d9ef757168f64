//! `retort queue`: start, watch and manage queued experiments, and the queue
//! half of `exp run --queue/--temp/--run-all`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use retort_engine::exp::ExpRepo;
use retort_engine::queue::executor::process_alive;
use retort_engine::queue::worker::{run_queue, WorkerEvents};
use retort_engine::queue::{enqueue, exec_entry, EntryStatus, Queue, QueueEntry};
use retort_engine::repro::CancelToken;

use crate::commands::exp_run::QueueRequest;
use crate::commands::queue_executor::{self, ExecutorArgs};
use crate::printer::{cancel_on_signal, TerminalPrinter};

#[derive(clap::Subcommand)]
pub enum QueueCommand {
    /// Start a background worker that runs queued experiments N at a time.
    Start(StartArgs),
    /// List queued, running and finished experiments.
    Status,
    /// Show the output of a queued experiment's run.
    Logs(LogsArgs),
    /// Remove entries from the queue.
    #[command(alias = "rm")]
    Remove(RemoveArgs),
    /// Stop running experiments.
    Kill(KillArgs),
    /// Run the queue in the foreground (used by `queue start`).
    #[command(hide = true)]
    Worker(StartArgs),
}

#[derive(clap::Args, Clone)]
pub struct StartArgs {
    /// How many experiments run at once.
    #[arg(short = 'j', long = "jobs", default_value_t = 1)]
    jobs: usize,
    #[command(flatten)]
    executor: ExecutorArgs,
}

#[derive(clap::Args)]
pub struct LogsArgs {
    /// The entry's id (or a unique prefix) or experiment name.
    entry: String,
    /// Keep printing new output until the run ends.
    #[arg(short, long)]
    follow: bool,
}

#[derive(clap::Args)]
pub struct RemoveArgs {
    /// Entries (ids, prefixes or names) to remove.
    entries: Vec<String>,
    /// Remove every entry that is not running.
    #[arg(long)]
    all: bool,
    /// Remove every queued entry.
    #[arg(long)]
    queued: bool,
    /// Remove every successful entry.
    #[arg(long)]
    success: bool,
    /// Remove every failed or cancelled entry.
    #[arg(long)]
    failed: bool,
}

#[derive(clap::Args)]
pub struct KillArgs {
    /// Entries (ids, prefixes or names) to stop.
    entries: Vec<String>,
}

fn open() -> Result<(ExpRepo, Queue)> {
    let cwd = std::env::current_dir().context("unable to read the current directory")?;
    let repo = ExpRepo::discover(&cwd)?;
    let queue = Queue::open(&repo.project.dvc_dir());
    Ok((repo, queue))
}

pub fn run(command: QueueCommand) -> Result<ExitCode> {
    let (repo, queue) = open()?;
    match command {
        QueueCommand::Start(args) => start_background(&repo, &queue, &args),
        QueueCommand::Worker(args) => {
            let cancel = cancel_on_signal();
            let mut executor = queue_executor::make_executor(&repo, &args.executor)?;
            run_queue(&queue, executor.as_mut(), args.jobs, &PrintEvents, &cancel)?;
            Ok(ExitCode::SUCCESS)
        }
        QueueCommand::Status => status(&queue),
        QueueCommand::Logs(args) => logs(&queue, &args),
        QueueCommand::Remove(args) => remove(&repo, &queue, &args),
        QueueCommand::Kill(args) => kill(&repo, &queue, &args),
    }
}

/// Starts `retort queue worker` detached from the terminal and returns.
fn start_background(repo: &ExpRepo, queue: &Queue, args: &StartArgs) -> Result<ExitCode> {
    let queued = queue
        .list()
        .iter()
        .filter(|entry| entry.status == EntryStatus::Queued)
        .count();
    if queued == 0 {
        println!("The queue is empty; add experiments with `retort exp run --queue`.");
        return Ok(ExitCode::SUCCESS);
    }
    // Refuse bad settings here rather than in the detached worker.
    queue_executor::make_executor(repo, &args.executor)?;
    std::fs::create_dir_all(queue.dir())?;
    let log_path = queue.dir().join("worker.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("unable to create '{}'", log_path.display()))?;
    let program = std::env::current_exe().context("unable to find the retort executable")?;
    use std::os::unix::process::CommandExt;
    let child = std::process::Command::new(program)
        .arg("-C")
        .arg(&repo.project.root)
        .args(["queue", "worker", "-j", &args.jobs.to_string()])
        .args(args.executor.to_args())
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .context("unable to start the queue worker")?;
    println!(
        "Started a queue worker (process {}) running {} experiments {} at a time.\nWatch it with `retort queue status`; its log is {}",
        child.id(),
        queued,
        args.jobs.max(1),
        log_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

struct PrintEvents;

impl WorkerEvents for PrintEvents {
    fn started(&self, id: &str, name: &str) {
        println!("Started experiment '{name}' (task {id})");
    }

    fn finished(&self, id: &str, name: &str, status: EntryStatus) {
        println!("Experiment '{name}' (task {id}): {}", status.as_str());
    }
}

fn status(queue: &Queue) -> Result<ExitCode> {
    let entries = queue.list();
    let mut out = std::io::stdout().lock();
    if entries.is_empty() {
        writeln!(out, "No experiments in the queue.")?;
        return Ok(ExitCode::SUCCESS);
    }
    let with_jobs = entries.iter().any(|entry| entry.job_id.is_some());
    let live = queue_executor::live_jobs(&entries);
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::TableStyle::new());
    let mut header = vec!["Task", "Name", "Created", "Status"];
    if with_jobs {
        header.extend(["Job", "Job state"]);
    }
    table.set_header(header);
    for entry in &entries {
        let mut row = vec![
            entry.id.clone(),
            entry.name.clone(),
            format_time(entry.created),
            describe_status(queue, entry),
        ];
        if with_jobs {
            row.push(entry.job_id.clone().unwrap_or_else(|| "-".into()));
            row.push(queue_executor::job_state_text(entry, &live));
        }
        table.add_row(row);
    }
    writeln!(out, "{table}")?;
    let running = entries
        .iter()
        .filter(|entry| {
            entry.status == EntryStatus::Running
                && (entry.executor != "local" || entry.pid.is_some_and(process_alive))
        })
        .count();
    writeln!(out, "\nRunning: {running}")?;
    Ok(ExitCode::SUCCESS)
}

fn describe_status(queue: &Queue, entry: &QueueEntry) -> String {
    if entry.status == EntryStatus::Running {
        // The latest values the run wrote to its live.json.
        let dvc_dir = queue
            .dir()
            .parent()
            .and_then(|exps| exps.parent())
            .and_then(|tmp| tmp.parent());
        if let Some(live) =
            dvc_dir.and_then(|dir| retort_engine::live::show::queued_status(dir, &entry.id))
        {
            if live.step.is_some() || !live.metrics.is_empty() {
                return format!("Running ({})", live.summary());
            }
        }
    }
    match (&entry.status, &entry.error) {
        (EntryStatus::Failed | EntryStatus::Cancelled, Some(error)) => {
            let short: String = error.chars().take(60).collect();
            format!("{} ({short})", entry.status.as_str())
        }
        (status, _) => status.as_str().to_string(),
    }
}

fn format_time(seconds: i64) -> String {
    retort_engine::exp::time::created(seconds, retort_engine::exp::time::now())
}

fn logs(queue: &Queue, args: &LogsArgs) -> Result<ExitCode> {
    let entry = queue.find(&args.entry)?;
    let path = queue.log_path(&entry.id);
    let mut printed = 0usize;
    loop {
        let text = std::fs::read(&path).unwrap_or_default();
        if text.len() > printed {
            std::io::stdout().write_all(&text[printed..])?;
            std::io::stdout().flush()?;
            printed = text.len();
        }
        if !args.follow {
            break;
        }
        let current = queue.load(&entry.id)?;
        // A Slurm job can end before its run records an outcome (killed
        // while pending, or with no worker left to notice).
        if current.status.is_finished() || queue_executor::job_gone(&current) {
            // Print what the run wrote between the last read and its end.
            let text = std::fs::read(&path).unwrap_or_default();
            if text.len() > printed {
                std::io::stdout().write_all(&text[printed..])?;
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if printed == 0 && !args.follow {
        eprintln!(
            "No output yet for '{}' ({}).",
            entry.name,
            entry.status.as_str()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(repo: &ExpRepo, queue: &Queue, args: &RemoveArgs) -> Result<ExitCode> {
    let mut selected: Vec<QueueEntry> = Vec::new();
    for key in &args.entries {
        selected.push(queue.find(key)?);
    }
    for entry in queue.list() {
        let by_flag = (args.all && entry.status != EntryStatus::Running)
            || (args.queued && entry.status == EntryStatus::Queued)
            || (args.success && entry.status == EntryStatus::Success)
            || (args.failed
                && matches!(entry.status, EntryStatus::Failed | EntryStatus::Cancelled));
        if by_flag && !selected.iter().any(|chosen| chosen.id == entry.id) {
            selected.push(entry);
        }
    }
    if selected.is_empty() {
        println!("Nothing to remove.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut removed = Vec::new();
    for entry in selected {
        if entry.status == EntryStatus::Running {
            eprintln!(
                "'{}' is running; stop it with `retort queue kill {}` first",
                entry.name, entry.id
            );
            continue;
        }
        queue.remove(&entry.id)?;
        retort_engine::queue::snapshot::release_snapshot(repo, &entry.id);
        removed.push(entry.name);
    }
    println!("Removed {}", removed.join(", "));
    Ok(ExitCode::SUCCESS)
}

fn kill(repo: &ExpRepo, queue: &Queue, args: &KillArgs) -> Result<ExitCode> {
    for key in &args.entries {
        let entry = queue.find(key)?;
        if entry.status != EntryStatus::Running {
            eprintln!(
                "'{}' is not running ({})",
                entry.name,
                entry.status.as_str()
            );
            continue;
        }
        queue_executor::executor_of(repo, &entry)?.cancel(queue, &entry)?;
        queue.update(&entry.id, |stored| {
            stored.status = EntryStatus::Cancelled;
            stored.finished = Some(retort_engine::queue::store::now());
            stored.error = Some("cancelled with `retort queue kill`".to_string());
        })?;
        println!("Stopped '{}'.", entry.name);
    }
    Ok(ExitCode::SUCCESS)
}

/// `exp run --queue`, `--temp` and `--run-all`.
pub fn run_from_exp(request: QueueRequest) -> Result<ExitCode> {
    let (repo, queue) = open()?;
    let mut queued: Vec<QueueEntry> = Vec::new();
    if request.queue || request.temp {
        let enqueue_request = retort_engine::queue::EnqueueRequest {
            targets: request.targets.clone(),
            set_params: request.set_params.clone(),
            name: request.name.clone(),
            message: request.message.clone(),
            force: request.force,
            include_untracked: request.include_untracked.clone(),
            allow_sweeps: request.queue,
        };
        if !request.set_params.is_empty() && request.queue {
            println!(
                "Queueing with overrides '{}'.",
                request.set_params.join(" ")
            );
        }
        queued = match &request.rev {
            Some(checkpoint) => vec![retort_engine::live::checkpoint::enqueue_resume(
                &repo,
                &queue,
                checkpoint,
                &enqueue_request,
            )?],
            None => enqueue(&repo, &queue, &enqueue_request)?,
        };
        queue_executor::store_run_options(&queue, &queued, &request.executor)?;
    }

    if request.temp {
        let entry = queued.first().context("no experiment was queued")?;
        let printer = TerminalPrinter::new();
        let cancel = cancel_on_signal();
        let done = exec_entry(&repo, &queue, &entry.id, &printer, &cancel)?;
        return Ok(report_done(&[done], true));
    }
    if request.queue && !request.run_all {
        for entry in &queued {
            println!("Queued experiment '{}' for future execution.", entry.name);
        }
        return Ok(ExitCode::SUCCESS);
    }

    // --run-all: run the whole queue here, N at a time.
    let started_at = retort_engine::queue::store::now();
    let cancel: CancelToken = cancel_on_signal();
    let mut executor = queue_executor::make_executor(&repo, &request.executor)?;
    run_queue(
        &queue,
        executor.as_mut(),
        request.jobs,
        &PrintEvents,
        &cancel,
    )?;
    let finished: Vec<QueueEntry> = queue
        .list()
        .into_iter()
        .filter(|entry| {
            entry
                .finished
                .is_some_and(|finished| finished >= started_at)
        })
        .collect();
    Ok(report_done(&finished, false))
}

fn report_done(entries: &[QueueEntry], temp: bool) -> ExitCode {
    let succeeded: Vec<&str> = entries
        .iter()
        .filter(|entry| entry.status == EntryStatus::Success)
        .map(|entry| entry.name.as_str())
        .collect();
    let failed: Vec<&QueueEntry> = entries
        .iter()
        .filter(|entry| entry.status != EntryStatus::Success)
        .collect();
    if !succeeded.is_empty() {
        println!("\nRan experiment(s): {}", succeeded.join(", "));
        println!(
            "To apply the results of an experiment to your workspace run:\n\n\tretort exp apply <exp>"
        );
    }
    for entry in &failed {
        eprintln!(
            "ERROR: experiment '{}' {}: {}{}",
            entry.name,
            entry.status.as_str().to_lowercase(),
            entry.error.as_deref().unwrap_or("no reason recorded"),
            if temp {
                String::new()
            } else {
                format!(" (see `retort queue logs {}`)", entry.id)
            }
        );
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
