//! `exp run` in the workspace: apply `-S` overrides to the params files in
//! place, reproduce the pipeline, and record the result as an experiment commit
//! on top of HEAD. HEAD, the branches and the git index stay as they were; the
//! workspace keeps the results, as with DVC.

use std::path::Path;

use crate::formats::Format;
use crate::params::edit::apply_edits;
use crate::repro::project_lock::ProjectLock;
use crate::repro::{
    reproduce, CancelToken, EventSink, ReproError, ReproOptions, ReproReport, Workspace,
};

use super::error::{ExpError, IoContext};
use super::overrides::{parse_overrides, FileEdits};
use super::record::{self, pick_name, record_experiment, RecordRequest, Recorded};
use super::repo::ExpRepo;
use crate::live::checkpoint::{ExpCheckpoints, TreeSource};

/// What to run and how to record it.
#[derive(Clone, Debug, Default)]
pub struct ExpRunOptions {
    /// `-S` arguments, such as `train.lr=0.1` or `params.yaml:+seed=1`.
    pub set_params: Vec<String>,
    /// `-n`: the experiment name; generated when `None`.
    pub name: Option<String>,
    /// `-m`: the commit message.
    pub message: Option<String>,
    /// `-f`: run every stage and replace an experiment of the same name.
    pub force: bool,
    /// `-I`: untracked paths (project-relative) to include in the commit.
    pub include_untracked: Vec<String>,
    /// The repro part: targets, scope and flags.
    pub repro: ReproOptions,
}

/// The outcome of a successful experiment run.
#[derive(Clone, Debug)]
pub struct ExpRunResult {
    pub name: String,
    pub baseline: String,
    pub recorded: Recorded,
    pub report: ReproReport,
    /// Untracked files that git does not ignore and the commit left out.
    pub untracked: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExpRunError {
    #[error(transparent)]
    Exp(#[from] ExpError),
    #[error(transparent)]
    Repro(#[from] ReproError),
    #[error("unable to apply -S to '{file}': {message}")]
    Override { file: String, message: String },
}

/// Runs an experiment in the workspace.
pub fn run_in_workspace(
    workspace: &mut Workspace,
    options: &ExpRunOptions,
    events: &dyn EventSink,
    cancel: &CancelToken,
) -> std::result::Result<ExpRunResult, ExpRunError> {
    let repo = ExpRepo::open(workspace.root.clone())?;
    let baseline = repo.head_sha()?;
    let name = pick_name(&repo, &baseline, options.name.as_deref(), options.force)?;
    let edits = parse_overrides(&options.set_params)
        .map_err(|error| ExpError::InvalidArgument(error.to_string()))?;

    // The lock is held from the params edits to the commit, so no other run
    // sees a half-applied experiment.
    let _lock = ProjectLock::acquire(&workspace.root.dvc_dir()).map_err(ReproError::from)?;
    let edited = apply_overrides_in_place(workspace.root_dir(), &edits)?;

    let mut repro = options.repro.clone();
    repro.force = repro.force || options.force;
    repro.already_locked = true;
    repro
        .env
        .push(("DVC_EXP_BASELINE_REV".to_string(), baseline.clone()));
    repro.env.push(("DVC_EXP_NAME".to_string(), name.clone()));
    let mut carried = edited.clone();
    carried.extend(options.include_untracked.iter().cloned());
    let checkpoints = std::sync::Arc::new(ExpCheckpoints::new(
        workspace.root.clone(),
        &baseline,
        &name,
        &baseline,
        TreeSource::Workspace { include: carried },
    ));
    repro.checkpoints = Some(checkpoints.clone());
    repro.live_status = Some(crate::live::status::status_path(
        &workspace.root.dvc_dir(),
        crate::live::status::WORKSPACE_RUN,
    ));
    let report = reproduce(workspace, &repro, events, cancel)?;
    if let Some(failure) = report.stages.iter().find_map(|stage| match &stage.result {
        crate::repro::StageResult::Failed(message) => Some((stage.stage.clone(), message.clone())),
        _ => None,
    }) {
        return Err(ReproError::StageFailed {
            stage: failure.0,
            message: failure.1,
            exit_code: None,
        }
        .into());
    }

    let exp_hash = crate::runcache::exp_hash(&report.reproduced());
    let mut include = record::experiment_files(workspace.root_dir());
    include.extend(edited);
    include.extend(options.include_untracked.iter().cloned());
    let message = options
        .message
        .clone()
        .unwrap_or_else(|| format!("dvc: commit experiment {exp_hash}"));
    let recorded = if checkpoints.chains() {
        // The experiment's ref already points at its last checkpoint.
        checkpoints.finish(&repo, &message)?
    } else {
        record_experiment(
            &repo,
            &RecordRequest {
                baseline: baseline.clone(),
                name: name.clone(),
                message: options.message.clone(),
                exp_hash,
                include: include.clone(),
                force: options.force,
            },
        )?
    };
    let untracked = record::untracked_files(&repo)?
        .into_iter()
        .filter(|path| {
            !include
                .iter()
                .any(|included| crate::paths::is_within(path, included))
        })
        .collect();
    Ok(ExpRunResult {
        name,
        baseline,
        recorded,
        report,
        untracked,
    })
}

/// Applies `-S` edits to the params files under `root`, changing only the
/// edited values. Returns the project-relative paths of the edited files.
pub fn apply_overrides_in_place(
    root: &Path,
    edits: &[FileEdits],
) -> std::result::Result<Vec<String>, ExpRunError> {
    let mut edited = Vec::new();
    for file_edits in edits {
        let path = root.join(&file_edits.file);
        let text = std::fs::read_to_string(&path)
            .io(|| format!("unable to read params file '{}'", file_edits.file))?;
        let updated = apply_edits_to_text(&file_edits.file, &text, file_edits)?;
        crate::fsutil::atomic_write(&path, updated.as_bytes()).map_err(|error| {
            ExpRunError::Override {
                file: file_edits.file.clone(),
                message: error.to_string(),
            }
        })?;
        edited.push(file_edits.file.clone());
    }
    Ok(edited)
}

/// Applies one file's `-S` edits to its text.
pub fn apply_edits_to_text(
    file: &str,
    text: &str,
    edits: &FileEdits,
) -> std::result::Result<String, ExpRunError> {
    let format = Format::from_path(Path::new(file));
    apply_edits(format, text, &edits.edits).map_err(|error| ExpRunError::Override {
        file: file.to_string(),
        message: error.to_string(),
    })
}
