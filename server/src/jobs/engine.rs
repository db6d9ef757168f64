//! The commands that run the engine in-process: repro, status, experiments
//! and the queue. Each opens the workspace or the experiments repository,
//! forwards the engine's events to the job's progress and passes the job's
//! cancellation flag to the engine. Nothing here starts `retort` or `dvc`.

use retort_engine::exp::apply::{apply, ApplyOptions};
use retort_engine::exp::manage::{self, RemoveSelection};
use retort_engine::exp::run::{run_in_workspace, ExpRunError, ExpRunOptions};
use retort_engine::exp::ExpRepo;
use retort_engine::files::DiskFiles;
use retort_engine::project::Project;
use retort_engine::queue::extras::QueueExtras;
use retort_engine::queue::{enqueue, exec_entry, EnqueueRequest, EntryStatus, Queue};
use retort_engine::repro::plan::Scope;
use retort_engine::repro::targets::resolve_targets;
use retort_engine::repro::{
    reproduce, ReproError, ReproOptions, ReproReport, RestoreSource, StageResult, Workspace,
};
use serde_json::{json, Value as Json};

use super::events::JobSink;
use super::{Job, JobError, JobOutcome};
use crate::integration;

pub(super) fn open_workspace(job: &Job<'_>) -> Result<Workspace, JobError> {
    let root = job.world.root.clone();
    if !root.has_dvc_dir {
        return Err(JobError::Failed(format!(
            "'{}' is not a DVC project yet (it has no .dvc directory); run `dvc init` there first",
            root.root.display()
        )));
    }
    Workspace::open(root).map_err(|error| JobError::Failed(error.to_string()))
}

fn open_repo(job: &Job<'_>) -> Result<ExpRepo, JobError> {
    ExpRepo::open(job.world.root.clone()).map_err(|error| JobError::Failed(error.to_string()))
}

/// The targets of a command: its `targets`, else the pipeline file it came
/// from, else every stage of the root `dvc.yaml`.
pub(super) fn targets(job: &Job<'_>) -> Vec<String> {
    if !job.arguments.targets.is_empty() {
        return job.arguments.targets.clone();
    }
    job.arguments.pipeline.iter().cloned().collect()
}

/// `-S` overrides, with `params_file` as the file of those that name none.
fn overrides(job: &Job<'_>) -> Vec<String> {
    let Some(file) = &job.arguments.params_file else {
        return job.arguments.set.clone();
    };
    job.arguments
        .set
        .iter()
        .map(|entry| {
            let key = entry.split('=').next().unwrap_or(entry);
            if key.contains(':') {
                entry.clone()
            } else {
                format!("{file}:{entry}")
            }
        })
        .collect()
}

pub(super) fn repro_error(error: ReproError) -> JobError {
    match error {
        ReproError::Cancelled { .. } => JobError::Cancelled,
        other => JobError::Failed(other.to_string()),
    }
}

/// The stages of a report as JSON, and a one-line count of what happened.
pub(super) fn report_json(report: &ReproReport) -> (Json, String) {
    let (mut ran, mut restored, mut skipped, mut failed) = (0, 0, 0, 0);
    let stages: Vec<Json> = report
        .stages
        .iter()
        .map(|stage| {
            let (result, detail) = match &stage.result {
                StageResult::Ran => {
                    ran += 1;
                    ("ran", Json::Null)
                }
                StageResult::Restored(source) => {
                    restored += 1;
                    let from = match source {
                        RestoreSource::RunCache => "run-cache",
                        RestoreSource::LockEntry => "cache",
                    };
                    ("restored", json!(from))
                }
                StageResult::Skipped(reason) => {
                    skipped += 1;
                    ("skipped", json!(format!("{reason:?}")))
                }
                StageResult::WouldRun => ("would-run", Json::Null),
                StageResult::Failed(message) => {
                    failed += 1;
                    ("failed", json!(message))
                }
            };
            json!({
                "stage": stage.stage,
                "result": result,
                "detail": detail,
            })
        })
        .collect();
    let mut parts = vec![format!("{ran} ran")];
    if restored > 0 {
        parts.push(format!("{restored} restored"));
    }
    parts.push(format!("{skipped} unchanged"));
    if failed > 0 {
        parts.push(format!("{failed} failed"));
    }
    (json!(stages), parts.join(", "))
}

/// `retort.repro`: runs the targets and what they depend on.
pub fn repro(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    job.step("Opening the project")?;
    let mut workspace = open_workspace(job)?;
    let options = ReproOptions {
        targets: targets(job),
        scope: Scope::WithUpstream,
        ..ReproOptions::default()
    };
    let sink = JobSink::new(job.report);
    let report = reproduce(&mut workspace, &options, &sink, job.cancel.token());
    workspace.save_fingerprints();
    let report = report.map_err(repro_error)?;
    let (stages, counts) = report_json(&report);
    if let Some(message) = report.stages.iter().find_map(|stage| match &stage.result {
        StageResult::Failed(message) => Some(format!("'{}' failed: {message}", stage.stage)),
        _ => None,
    }) {
        return Err(JobError::Failed(message));
    }
    let summary = if report.changed_anything() {
        format!("Reproduced the pipeline: {counts}.")
    } else {
        "Data and pipelines are up to date.".to_string()
    };
    Ok(JobOutcome {
        summary,
        data: json!({ "stages": stages, "changed": report.changed_anything() }),
    })
}

/// `retort.status`: which target stages changed since `dvc.lock`, in the
/// shape of `dvc status --json`.
pub fn status(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    job.step("Hashing dependencies and outputs")?;
    let mut workspace = open_workspace(job)?;
    let disk = DiskFiles::new(workspace.root.root.clone());
    let project = Project::load(workspace.root.clone(), &disk, workspace.parsing_config());
    let wanted = targets(job);
    let selected: Vec<usize> = if wanted.is_empty() {
        (0..project.stages().count()).collect()
    } else {
        resolve_targets(&project, &wanted, "", false)
            .map_err(|error| JobError::InvalidArguments(error.to_string()))?
    };
    let statuses = integration::stage_statuses(&workspace, &disk, &project, &selected)
        .map_err(|error| JobError::Failed(error.to_string()));
    workspace.save_fingerprints();
    let statuses = statuses?;
    if job.cancel.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    let object: serde_json::Map<String, Json> = statuses
        .iter()
        .map(|status| (status.stage.clone(), status.to_json()))
        .collect();
    let summary = match statuses.len() {
        0 => "Data and pipelines are up to date.".to_string(),
        1 => format!(
            "'{}' {}",
            statuses[0].stage,
            integration::stage_status_text(&statuses[0])
        ),
        count => format!("{count} stages changed."),
    };
    Ok(JobOutcome {
        summary,
        data: Json::Object(object),
    })
}

/// `retort.exp.run`: sets params, reproduces and records the experiment
/// under `refs/exps`.
pub fn exp_run(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    job.step("Opening the project")?;
    let mut workspace = open_workspace(job)?;
    let options = ExpRunOptions {
        set_params: overrides(job),
        name: job.arguments.experiment.clone(),
        repro: ReproOptions {
            targets: targets(job),
            scope: Scope::WithUpstream,
            ..ReproOptions::default()
        },
        ..ExpRunOptions::default()
    };
    let sink = JobSink::new(job.report);
    let result = run_in_workspace(&mut workspace, &options, &sink, job.cancel.token());
    workspace.save_fingerprints();
    let result = match result {
        Ok(result) => result,
        Err(ExpRunError::Repro(error)) => return Err(repro_error(error)),
        Err(ExpRunError::Exp(retort_engine::exp::ExpError::InvalidArgument(message))) => {
            return Err(JobError::InvalidArguments(message))
        }
        Err(error) => return Err(JobError::Failed(error.to_string())),
    };
    let (stages, counts) = report_json(&result.report);
    Ok(JobOutcome {
        summary: format!("Ran experiment '{}' ({counts}).", result.name),
        data: json!({
            "name": result.name,
            "baseline": result.baseline,
            "ref": result.recorded.exp_ref.to_string(),
            "commit": result.recorded.sha,
            "stages": stages,
            "untracked": result.untracked,
        }),
    })
}

/// `retort.exp.queue`: adds an experiment (one per combination of a sweep
/// such as `lr=0.1,0.2`) to the queue.
pub fn exp_queue(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    job.step("Saving the workspace for the queue")?;
    let repo = open_repo(job)?;
    let queue = Queue::open(&repo.project.dvc_dir());
    let request = EnqueueRequest {
        targets: targets(job),
        set_params: overrides(job),
        name: job.arguments.experiment.clone(),
        allow_sweeps: true,
        ..EnqueueRequest::default()
    };
    let entries = enqueue(&repo, &queue, &request).map_err(|error| match error {
        retort_engine::exp::ExpError::InvalidArgument(message) => {
            JobError::InvalidArguments(message)
        }
        other => JobError::Failed(other.to_string()),
    })?;
    let names: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
    Ok(JobOutcome {
        summary: format!("Queued experiment(s): {}.", names.join(", ")),
        data: json!({
            "queued": entries
                .iter()
                .map(|entry| json!({ "id": entry.id, "name": entry.name }))
                .collect::<Vec<_>>(),
        }),
    })
}

/// `retort.queue.start`: runs the queued experiments in this process, each
/// in a temporary directory, `jobs` at a time, until the queue is empty or
/// the command is cancelled.
pub fn queue_start(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    job.step("Reading the queue")?;
    let queue = Queue::open(&open_repo(job)?.project.dvc_dir());
    let workers = job.arguments.jobs.unwrap_or(1).clamp(1, 8);
    let finished = std::sync::Mutex::new(Vec::new());
    let sink = JobSink::new(job.report);
    let failure = std::sync::Mutex::new(None::<String>);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            // A git repository handle is not shared between threads; each
            // worker opens its own.
            scope.spawn(|| {
                let repo = match open_repo(job) {
                    Ok(repo) => repo,
                    Err(error) => {
                        *failure.lock().unwrap_or_else(|p| p.into_inner()) =
                            Some(error.to_string());
                        return;
                    }
                };
                loop {
                    if job.cancel.is_cancelled() {
                        return;
                    }
                    let entry = match queue.claim_next("lsp") {
                        Ok(Some(entry)) => entry,
                        Ok(None) => return,
                        Err(error) => {
                            *failure.lock().unwrap_or_else(|p| p.into_inner()) =
                                Some(error.to_string());
                            return;
                        }
                    };
                    (job.report)(super::ProgressEvent::Message(format!(
                        "Running queued experiment '{}'",
                        entry.name
                    )));
                    let outcome = exec_entry(&repo, &queue, &entry.id, &sink, job.cancel.token());
                    let record = match outcome {
                        Ok(entry) => json!({
                            "id": entry.id,
                            "name": entry.name,
                            "status": entry.status,
                            "ref": entry.result_ref,
                            "error": entry.error,
                        }),
                        Err(error) => json!({
                            "id": entry.id,
                            "name": entry.name,
                            "status": EntryStatus::Failed,
                            "error": error.to_string(),
                        }),
                    };
                    finished
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(record);
                }
            });
        }
    });
    if let Some(message) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(JobError::Failed(message));
    }
    if job.cancel.is_cancelled() {
        return Err(JobError::Cancelled);
    }
    let finished = finished.into_inner().unwrap_or_else(|p| p.into_inner());
    let succeeded = finished
        .iter()
        .filter(|entry| entry["status"] == json!(EntryStatus::Success))
        .count();
    Ok(JobOutcome {
        summary: if finished.is_empty() {
            "No queued experiments to run.".to_string()
        } else {
            format!(
                "Ran {} queued experiments: {succeeded} succeeded.",
                finished.len()
            )
        },
        data: json!({ "experiments": finished }),
    })
}

fn experiment_name(job: &Job<'_>) -> Result<String, JobError> {
    job.arguments.experiment.clone().ok_or_else(|| {
        JobError::InvalidArguments(
            "this command needs 'experiment': the name of an experiment (see retort/experiments)"
                .to_string(),
        )
    })
}

/// `retort.exp.apply`: brings an experiment's files into the workspace.
pub fn exp_apply(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    let name = experiment_name(job)?;
    job.step(format!("Applying '{name}'"))?;
    let repo = open_repo(job)?;
    let applied = apply(
        &repo,
        &name,
        &ApplyOptions {
            force: job.arguments.force,
        },
    )
    .map_err(|error| JobError::Failed(error.to_string()))?;
    let mut summary = format!(
        "Changes for experiment '{}' have been applied to your workspace.",
        applied.name
    );
    if !applied.missing_outputs.is_empty() {
        summary.push_str(&format!(
            " These outputs are not in the cache and were not checked out: {}.",
            applied.missing_outputs.join(", ")
        ));
    }
    Ok(JobOutcome {
        summary,
        data: json!({
            "name": applied.name,
            "commit": applied.sha,
            "written": applied.written,
            "stash": applied.stash,
            "missing_outputs": applied.missing_outputs,
        }),
    })
}

/// `retort.exp.branch`: creates a git branch from an experiment.
pub fn exp_branch(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    let name = experiment_name(job)?;
    job.step(format!("Creating a branch from '{name}'"))?;
    let repo = open_repo(job)?;
    let (branch, experiment) = manage::branch(&repo, &name, job.arguments.branch.as_deref())
        .map_err(|error| JobError::Failed(error.to_string()))?;
    Ok(JobOutcome {
        summary: format!("Git branch '{branch}' has been created from experiment '{experiment}'."),
        data: json!({ "branch": branch, "experiment": experiment }),
    })
}

/// `retort.exp.remove`: removes an experiment (its ref, or its queue entry).
pub fn exp_remove(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    let name = experiment_name(job)?;
    job.step(format!("Removing '{name}'"))?;
    let repo = open_repo(job)?;
    let options = retort_engine::exp::collect::ShowOptions::default();
    let extras = QueueExtras {
        repo: &repo,
        queue: Queue::open(&repo.project.dvc_dir()),
        options,
    };
    let removed = manage::remove(
        &repo,
        &RemoveSelection {
            names: vec![name],
            num: 1,
            ..RemoveSelection::default()
        },
        &extras,
    )
    .map_err(|error| JobError::Failed(error.to_string()))?;
    Ok(JobOutcome {
        summary: if removed.is_empty() {
            "No experiments to remove.".to_string()
        } else {
            format!("Removed experiments: {}.", removed.join(", "))
        },
        data: json!({ "removed": removed }),
    })
}
