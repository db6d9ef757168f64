//! `exp save`: records the current workspace as an experiment of HEAD without
//! running anything.

use super::error::Result;
use super::record::{self, pick_name, record_experiment, RecordRequest, Recorded};
use super::repo::ExpRepo;

#[derive(Clone, Debug, Default)]
pub struct SaveOptions {
    pub name: Option<String>,
    pub force: bool,
    /// `-I`: untracked paths (project-relative) to include.
    pub include_untracked: Vec<String>,
    pub message: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Saved {
    pub recorded: Recorded,
    /// Untracked, non-ignored files that the commit left out.
    pub untracked: Vec<String>,
}

pub fn save(repo: &ExpRepo, options: &SaveOptions) -> Result<Saved> {
    let baseline = repo.head_sha()?;
    let name = pick_name(repo, &baseline, options.name.as_deref(), options.force)?;
    // FIXME(lead): DVC runs `dvc commit --force` on every stage here (hashing
    // changed outputs into the cache and rewriting dvc.lock) before it
    // records the commit; wire the engine's commit step in here once it lands.
    // Until then the lock files are recorded as they are in the workspace.
    let exp_hash = crate::runcache::exp_hash(&record::workspace_lock_stages(&repo.project.root));
    let mut include = record::experiment_files(&repo.project.root);
    include.extend(options.include_untracked.iter().cloned());
    let recorded = record_experiment(
        repo,
        &RecordRequest {
            baseline,
            name,
            message: options.message.clone(),
            exp_hash,
            include: include.clone(),
            force: options.force,
        },
    )?;
    let untracked = record::untracked_files(repo)?
        .into_iter()
        .filter(|path| {
            !include
                .iter()
                .any(|included| crate::paths::is_within(path, included))
        })
        .collect();
    Ok(Saved {
        recorded,
        untracked,
    })
}
