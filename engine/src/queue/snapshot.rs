//! Snapshots of the workspace for queued and temporary runs: a commit on top of
//! the baseline that holds the workspace's tracked changes, the files an
//! experiment carries, and the `-S` edits applied to the params files' text.
//! The user's files are never edited. A ref under `refs/exps/temp/` keeps the
//! commit alive until the run is done.

use crate::exp::error::{ExpError, GitContext};
use crate::exp::overrides::FileEdits;
use crate::exp::record::{experiment_files, workspace_tree};
use crate::exp::run::apply_edits_to_text;
use crate::exp::ExpRepo;

/// The ref that keeps the snapshot of queue entry `id` alive.
pub fn snapshot_ref(id: &str) -> String {
    format!("refs/exps/temp/queue-{id}")
}

/// Records the workspace plus `edits` as a commit whose parent is `baseline`,
/// and points `snapshot_ref(id)` at it. Returns the commit sha.
pub fn snapshot_workspace(
    repo: &ExpRepo,
    baseline: &str,
    id: &str,
    edits: &[FileEdits],
    include_untracked: &[String],
) -> Result<String, ExpError> {
    let mut include = experiment_files(&repo.project.root);
    include.extend(include_untracked.iter().cloned());
    let tree_oid = workspace_tree(repo, &include)?;
    let git = &repo.git;
    let tree = git
        .find_tree(tree_oid)
        .git(|| "unable to read the workspace tree".into())?;

    let mut index = git2::Index::new().git(|| "unable to create a temporary index".into())?;
    index
        .read_tree(&tree)
        .git(|| "unable to read the workspace tree".into())?;
    for file_edits in edits {
        let git_path = if repo.subdir.is_empty() {
            file_edits.file.clone()
        } else {
            format!("{}/{}", repo.subdir, file_edits.file)
        };
        let entry = index.get_path(std::path::Path::new(&git_path), 0).ok_or_else(|| {
            ExpError::InvalidArgument(format!(
                "params file '{}' is not tracked by git, so a queued run cannot see it; git add it first",
                file_edits.file
            ))
        })?;
        let blob = git
            .find_blob(entry.id)
            .git(|| format!("unable to read '{}'", file_edits.file))?;
        let text = String::from_utf8(blob.content().to_vec()).map_err(|_| {
            ExpError::InvalidArgument(format!(
                "params file '{}' is not valid UTF-8",
                file_edits.file
            ))
        })?;
        let updated = apply_edits_to_text(&file_edits.file, &text, file_edits)
            .map_err(|error| ExpError::InvalidArgument(error.to_string()))?;
        let oid = git
            .blob(updated.as_bytes())
            .git(|| format!("unable to store '{}'", file_edits.file))?;
        let changed = git2::IndexEntry {
            id: oid,
            file_size: updated.len() as u32,
            path: entry.path.clone(),
            ..entry
        };
        index
            .add(&changed)
            .git(|| format!("unable to update '{}'", file_edits.file))?;
    }
    let tree_oid = index
        .write_tree_to(git)
        .git(|| "unable to write the snapshot tree".into())?;
    let tree = git
        .find_tree(tree_oid)
        .git(|| "unable to read the snapshot tree".into())?;
    let parent_oid =
        git2::Oid::from_str(baseline).git(|| format!("'{baseline}' is not a commit sha"))?;
    let parent = git
        .find_commit(parent_oid)
        .git(|| format!("unable to read commit {baseline}"))?;
    let signature = git
        .signature()
        .or_else(|_| git2::Signature::now("Retort", "retort@localhost"))
        .git(|| "unable to make a commit signature".into())?;
    let commit = git
        .commit(
            None,
            &signature,
            &signature,
            &format!("retort: snapshot for queued experiment {id}"),
            &tree,
            &[&parent],
        )
        .git(|| "unable to create the snapshot commit".into())?;
    git.reference(&snapshot_ref(id), commit, true, "retort: queue snapshot")
        .git(|| "unable to keep the snapshot commit".into())?;
    Ok(commit.to_string())
}

/// Drops the ref that kept a snapshot alive.
pub fn release_snapshot(repo: &ExpRepo, id: &str) {
    if let Ok(mut reference) = repo.git.find_reference(&snapshot_ref(id)) {
        let _ = reference.delete();
    }
}
