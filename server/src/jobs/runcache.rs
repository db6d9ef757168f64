//! `retort.runCache.checkout`: restores a stage's outputs from the run-cache
//! entry that matches its current dependencies and params, without running
//! its command.
//!
//! Kept small on purpose: it checks that a usable entry exists, then lets
//! `repro` of the single stage do the restore (which also updates
//! `dvc.lock`), so there is one restore path in the engine. A run-cache
//! catalog with listing and checkout of older entries belongs to the engine's
//! `runcache` module.

use retort_engine::files::{DiskFiles, ParsedFiles};
use retort_engine::lock;
use retort_engine::project::Project;
use retort_engine::repro::plan::Scope;
use retort_engine::repro::state;
use retort_engine::repro::targets::resolve_targets;
use retort_engine::repro::{reproduce, ReproOptions, StageResult};
use retort_engine::runcache;
use serde_json::json;

use super::engine::{open_workspace, report_json, repro_error, targets};
use super::events::JobSink;
use super::{Job, JobError, JobOutcome};

pub fn checkout(job: &Job<'_>) -> Result<JobOutcome, JobError> {
    let wanted = targets(job);
    if wanted.is_empty() {
        return Err(JobError::InvalidArguments(
            "name the stage to restore in 'targets'".to_string(),
        ));
    }
    job.step("Looking for a cached run")?;
    let mut workspace = open_workspace(job)?;
    let disk = DiskFiles::new(workspace.root.root.clone());
    let project = Project::load(workspace.root.clone(), &disk, workspace.parsing_config());
    let selected = resolve_targets(&project, &wanted, "", false)
        .map_err(|error| JobError::InvalidArguments(error.to_string()))?;
    let stages: Vec<_> = project.stages().collect();
    let files = ParsedFiles::new(&disk);
    let mut addresses = Vec::new();
    for index in selected {
        let stage = stages[index];
        let lock_path = match stage.dvcfile.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{}", lock::LOCK_FILE_NAME),
            None => lock::LOCK_FILE_NAME.to_string(),
        };
        let recorded = std::fs::read_to_string(workspace.path(&lock_path))
            .ok()
            .and_then(|text| {
                lock::parse(&text, &lock_path)
                    .lock
                    .stages
                    .get(&stage.name)
                    .cloned()
            });
        let current = state::read_state(&workspace, &files, stage, recorded.as_ref())
            .map_err(|error| JobError::Failed(error.to_string()))?;
        let facts = retort_engine::repro::run::stage_facts(stage, &current);
        if let Err(reason) = runcache::can_hash(&facts) {
            return Err(JobError::Failed(format!(
                "the run-cache does not cover stage '{}': {reason}",
                stage.addressing()
            )));
        }
        let key = runcache::run_cache_key(&current.to_lock_stage(stage));
        let entry = runcache::load_newest(&workspace.cache_dir, &key)
            .map_err(|error| JobError::Failed(error.to_string()))?
            .ok_or_else(|| {
                JobError::Failed(format!(
                    "no cached run of '{}' matches its current dependencies and params; run the stage instead",
                    stage.addressing()
                ))
            })?;
        let missing: Vec<&str> = entry
            .outs
            .iter()
            .filter(|out| {
                !out.hash
                    .as_ref()
                    .is_some_and(|hash| workspace.cache.contains(hash))
            })
            .map(|out| out.path.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(JobError::Failed(format!(
                "the cached run of '{}' has outputs that are not in the cache ({}); fetch them with `dvc pull` or run the stage",
                stage.addressing(),
                missing.join(", ")
            )));
        }
        addresses.push(stage.addressing());
    }
    drop(files);

    let options = ReproOptions {
        targets: addresses,
        scope: Scope::Single,
        ..ReproOptions::default()
    };
    let sink = JobSink::new(job.report);
    let report = reproduce(&mut workspace, &options, &sink, job.cancel.token());
    workspace.save_fingerprints();
    let report = report.map_err(repro_error)?;
    let (stages, _) = report_json(&report);
    let restored: Vec<&str> = report
        .stages
        .iter()
        .filter(|stage| matches!(stage.result, StageResult::Restored(_)))
        .map(|stage| stage.stage.as_str())
        .collect();
    let summary = if restored.is_empty() {
        "The stage is up to date; nothing to restore.".to_string()
    } else {
        format!("Restored {} from the run-cache.", restored.join(", "))
    };
    Ok(JobOutcome {
        summary,
        data: json!({ "stages": stages }),
    })
}
