//! The experiment queue: requests stored with a snapshot of the workspace,
//! run later N at a time in temporary directories by an executor, each ending
//! as an experiment ref or as a failed entry whose log is kept.

pub mod entry;
pub mod executor;
pub mod extras;
pub mod lock;
pub mod rundir;
pub mod slurm;
pub mod snapshot;
pub mod store;
pub mod worker;

pub use entry::{EntryStatus, QueueEntry};
pub use executor::{Executor, ExecutorError, LocalExecutor, RunState};
pub use store::{Queue, QueueError};

use crate::exp::error::ExpError;
use crate::exp::overrides::{expand_sweeps, sweep_names};
use crate::exp::record::pick_name;
use crate::exp::ExpRepo;
use crate::repro::{CancelToken, EventSink};

/// What `exp run --queue` (or `--temp`) asks for.
#[derive(Clone, Debug, Default)]
pub struct EnqueueRequest {
    pub targets: Vec<String>,
    pub set_params: Vec<String>,
    pub name: Option<String>,
    pub message: Option<String>,
    pub force: bool,
    pub include_untracked: Vec<String>,
    /// Sweeps (`a=1,2`) expand into one entry per combination.
    pub allow_sweeps: bool,
}

/// Adds one entry per combination of `-S` values to the queue, each with its
/// own snapshot. Names come from `-n` (`name-1`, `name-2`... for a sweep) or
/// are generated, unique among experiments and queued entries.
pub fn enqueue(
    repo: &ExpRepo,
    queue: &Queue,
    request: &EnqueueRequest,
) -> Result<Vec<QueueEntry>, ExpError> {
    let baseline = repo.head_sha()?;
    let combinations = if request.allow_sweeps {
        expand_sweeps(&request.set_params)
    } else {
        crate::exp::overrides::parse_overrides(&request.set_params).map(|edits| vec![edits])
    }
    .map_err(|error| ExpError::InvalidArgument(error.to_string()))?;
    let queued_names: Vec<String> = queue
        .list()
        .into_iter()
        .filter(|entry| !entry.status.is_finished())
        .map(|entry| entry.name)
        .collect();
    let names: Vec<Option<String>> = match (&request.name, combinations.len()) {
        (Some(base), count) if count > 1 => {
            sweep_names(base, count).into_iter().map(Some).collect()
        }
        (name, count) => vec![name.clone(); count],
    };

    let mut entries = Vec::new();
    let mut taken = queued_names;
    for (edits, requested) in combinations.iter().zip(names) {
        let name = loop {
            let candidate = pick_name(repo, &baseline, requested.as_deref(), request.force)?;
            if requested.is_some() || !taken.contains(&candidate) {
                break candidate;
            }
        };
        if taken.contains(&name) && !request.force {
            return Err(ExpError::InvalidArgument(format!(
                "an experiment named '{name}' is already queued; pick another name with -n"
            )));
        }
        taken.push(name.clone());
        let id = store::new_id();
        let snapshot =
            snapshot::snapshot_workspace(repo, &baseline, &id, edits, &request.include_untracked)?;
        let entry = QueueEntry {
            targets: request.targets.clone(),
            set_params: request.set_params.clone(),
            message: request.message.clone(),
            force: request.force,
            ..QueueEntry::queued(id, name, baseline.clone(), snapshot)
        };
        queue
            .save(&entry)
            .map_err(|error| ExpError::InvalidArgument(error.to_string()))?;
        entries.push(entry);
    }
    Ok(entries)
}

/// Runs one entry in a temporary directory and records its outcome in the
/// entry. This is what every executor's run process does.
pub fn exec_entry(
    repo: &ExpRepo,
    queue: &Queue,
    id: &str,
    events: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<QueueEntry, QueueError> {
    let entry = queue.update(id, |stored| {
        stored.status = EntryStatus::Running;
        stored.pid = Some(std::process::id());
        stored.started.get_or_insert_with(store::now);
        stored.clone()
    })?;
    let request = rundir::RunDirRequest {
        id: entry.id.clone(),
        name: entry.name.clone(),
        baseline: entry.baseline.clone(),
        snapshot: entry.snapshot.clone(),
        targets: entry.targets.clone(),
        message: entry.message.clone(),
        force: entry.force,
        resume: entry.resume.clone(),
    };
    let outcome = rundir::run_snapshot(repo, &request, events, cancel);
    let cancelled = cancel.is_cancelled();
    let updated = queue.update(id, |stored| {
        stored.finished = Some(store::now());
        match &outcome {
            Ok(result) => {
                stored.status = EntryStatus::Success;
                stored.exit_code = Some(0);
                stored.result_ref = Some(result.recorded.exp_ref.to_string());
                stored.result_sha = Some(result.recorded.sha.clone());
            }
            Err(error) => {
                stored.status = if cancelled {
                    EntryStatus::Cancelled
                } else {
                    EntryStatus::Failed
                };
                stored.error = Some(error.to_string());
                stored.exit_code = match error {
                    rundir::RunDirError::Repro(crate::repro::ReproError::StageFailed {
                        exit_code,
                        ..
                    }) => exit_code.or(Some(1)),
                    _ => Some(1),
                };
            }
        }
        stored.clone()
    })?;
    if outcome.is_ok() {
        snapshot::release_snapshot(repo, id);
    }
    Ok(updated)
}
