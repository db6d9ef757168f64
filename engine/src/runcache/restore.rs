//! Acting on past runs: putting one run's outputs back into the workspace
//! (`run-cache checkout`) and dropping entries that can no longer be restored
//! (`run-cache gc`).

use std::path::PathBuf;

use super::catalog::{lock_path, read_dir_sorted, RunRecord};
use super::store::{read_entry, RUNS_DIR};
use super::RunCacheError;
use crate::cache::{CacheError, CacheOptions, LinkType};
use crate::fsutil;
use crate::lock::{self, LockError};
use crate::pipeline::Stage;
use crate::project::Project;
use crate::repro::project_lock::{ProjectLock, ProjectLockError};
use crate::repro::state::{self, StateError};
use crate::repro::Workspace;

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Lock(#[from] ProjectLockError),
    #[error("run-cache entry {0} belongs to no stage of the project; its dependency and output paths match no stage in dvc.yaml")]
    NoStage(String),
    #[error("objects of run-cache entry {0} are missing from the cache; it cannot be restored (`retort run-cache gc` removes such entries)")]
    ObjectsMissing(String),
    #[error("output '{path}' has changes that are not in the cache and would be lost; save them (`retort repro` or `dvc commit`) or pass --force to overwrite")]
    UnsavedOutput { path: String },
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    LockFile(#[from] LockError),
    #[error(transparent)]
    RunCache(#[from] RunCacheError),
}

/// The result of a checkout.
#[derive(Clone, Debug)]
pub struct CheckoutReport {
    pub stage: String,
    /// Project-relative paths of the restored outputs.
    pub outputs: Vec<String>,
    /// The project-relative `dvc.lock` that now records the run.
    pub lock_file: String,
}

/// Restores the outputs of `record` into the workspace and records the run as
/// the stage's `dvc.lock` entry, under the project lock. Without `force`,
/// outputs whose current content is not in the cache stop the checkout before
/// anything is written.
pub fn checkout_run(
    workspace: &mut Workspace,
    project: &Project,
    record: &RunRecord,
    force: bool,
) -> Result<CheckoutReport, RestoreError> {
    let _lock = ProjectLock::acquire(&workspace.root.dvc_dir())?;
    let stage: &Stage = record
        .stage
        .as_deref()
        .and_then(|name| project.stages().find(|stage| stage.addressing() == name))
        .ok_or_else(|| RestoreError::NoStage(record.id.clone()))?;
    if !record.objects_present {
        return Err(RestoreError::ObjectsMissing(record.id.clone()));
    }

    let mut targets = Vec::new();
    for out in &record.entry.outs {
        let relative = state::project_path(stage, &out.path)?;
        let absolute = workspace.path(&relative);
        let hash = out
            .hash
            .clone()
            .ok_or_else(|| RestoreError::ObjectsMissing(record.id.clone()))?;
        if !force {
            let now = state::hash_if_exists(workspace, &absolute, hash.algorithm, None)
                .map_err(StateError::from)?;
            if let Some(now) = now {
                if now.value != hash.value && !workspace.cache.contains(&now) {
                    return Err(RestoreError::UnsavedOutput { path: relative });
                }
            }
        }
        let cached = stage
            .all_outs()
            .find(|candidate| candidate.path == out.path)
            .is_none_or(|candidate| candidate.cache);
        targets.push((relative, absolute, hash, cached));
    }

    for (relative, absolute, hash, cached) in &targets {
        // Outputs that git tracks are plain copies, never links into the cache.
        let link_types: &[LinkType] = if *cached {
            &workspace.link_types
        } else {
            &[LinkType::Copy]
        };
        let options = CacheOptions::new(link_types).with_fingerprints(&workspace.fingerprints);
        workspace.cache.checkout(absolute, hash, &options)?;
        if let (true, Some(git_root)) = (*cached, &workspace.root.git_root) {
            if let Err(error) = crate::cache::gitignore::ignore_output(git_root, absolute) {
                tracing::warn!(output = %relative, %error, "unable to add the output to .gitignore");
            }
        }
    }

    let lock_file = lock_path(stage);
    let lock_absolute = workspace.path(&lock_file);
    let existing = std::fs::read_to_string(&lock_absolute).ok();
    let update = lock::update_stages(
        existing.as_deref(),
        std::path::Path::new(&lock_file),
        &[(&stage.name, &record.entry)],
    )?;
    fsutil::atomic_write(&lock_absolute, update.text.as_bytes()).map_err(CacheError::from)?;
    workspace.save_fingerprints();
    Ok(CheckoutReport {
        stage: stage.addressing(),
        outputs: targets.into_iter().map(|(relative, ..)| relative).collect(),
        lock_file,
    })
}

/// The entries `gc` removed, or would remove, and the count it kept.
#[derive(Clone, Debug, Default)]
pub struct GcReport {
    /// Entry files whose outputs name objects the cache no longer has.
    pub missing_objects: Vec<PathBuf>,
    /// Entry files that are not valid entries.
    pub corrupted: Vec<PathBuf>,
    /// Entries that stay.
    pub kept: usize,
}

/// Removes run-cache entries that cannot be restored: those whose output
/// objects are gone from the cache and those that do not parse. With `dry`,
/// only reports them. Emptied key directories are removed too. Takes the
/// project lock, since `repro` writes entries.
pub fn gc(workspace: &Workspace, dry: bool) -> Result<GcReport, RestoreError> {
    let _lock = if dry {
        None
    } else {
        Some(ProjectLock::acquire(&workspace.root.dvc_dir())?)
    };
    let mut report = GcReport::default();
    let runs = workspace.cache_dir.join(RUNS_DIR);
    for prefix in read_dir_sorted(&runs)? {
        for key in read_dir_sorted(&prefix)? {
            for file in read_dir_sorted(&key)? {
                let hidden = file
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with('.'));
                if hidden || !file.is_file() {
                    continue;
                }
                match read_entry(&file) {
                    Ok(entry) => {
                        let restorable = entry.outs.iter().all(|out| {
                            out.hash
                                .as_ref()
                                .is_some_and(|hash| workspace.cache.contains(hash))
                        });
                        if restorable {
                            report.kept += 1;
                        } else {
                            report.missing_objects.push(file);
                        }
                    }
                    Err(RunCacheError::Corrupted { .. }) => report.corrupted.push(file),
                    Err(error) => return Err(error.into()),
                }
            }
        }
    }
    if dry {
        return Ok(report);
    }
    for file in report.missing_objects.iter().chain(&report.corrupted) {
        fsutil::remove_path(file).map_err(CacheError::from)?;
        // Drop the key and prefix directories once they are empty; a failure
        // means they still hold something, which is fine.
        if let Some(key_dir) = file.parent() {
            let _ = std::fs::remove_dir(key_dir);
            if let Some(prefix_dir) = key_dir.parent() {
                let _ = std::fs::remove_dir(prefix_dir);
            }
        }
    }
    Ok(report)
}
