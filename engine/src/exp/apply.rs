//! `exp apply`: brings an experiment's files into the workspace without moving
//! HEAD or touching the index. Unlike DVC it refuses to overwrite uncommitted
//! changes unless forced, and it always keeps a way back: the pre-apply
//! workspace is saved as a git stash commit in `refs/exps/apply/stash` (DVC's
//! format, so `git stash apply refs/exps/apply/stash` restores it) and HEAD in
//! `refs/exps/apply/ORIG_HEAD`.

use std::path::Path;

use super::error::{ExpError, GitContext, IoContext, Result};
use super::record::{untracked_files, workspace_tree};
use super::refs::{APPLY_HEAD, APPLY_STASH, EXEC_APPLY};
use super::repo::ExpRepo;
use super::resolve::{resolve_experiment, resolve_rev};

#[derive(Clone, Debug, Default)]
pub struct ApplyOptions {
    /// Overwrite files with uncommitted changes.
    pub force: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// What the user asked for.
    pub name: String,
    /// The applied commit.
    pub sha: String,
    /// Files written, relative to the git work tree.
    pub written: Vec<String>,
    /// The stash commit that contains the pre-apply workspace, when it had
    /// changes.
    pub stash: Option<String>,
    /// The untracked files saved in the stash, relative to the git work tree.
    /// They stay in the workspace after `git reset --hard`, and `git stash
    /// apply` refuses to restore them over existing files, so the way back
    /// removes them first.
    pub stash_untracked: Vec<String>,
    /// Cached outputs that could not be checked out (their objects are not
    /// in the cache; `dvc pull` fetches them).
    pub missing_outputs: Vec<String>,
}

/// Applies an experiment (name, ref or commit) to the workspace.
pub fn apply(repo: &ExpRepo, rev: &str, options: &ApplyOptions) -> Result<Applied> {
    let head = repo.head_sha()?;
    let sha = match resolve_experiment(repo, rev) {
        Ok(target) => target.sha,
        Err(error @ ExpError::AmbiguousName { .. }) => return Err(error),
        Err(_) => resolve_rev(repo, rev)?,
    };
    let git = &repo.git;
    let commit = git
        .find_commit(git2::Oid::from_str(&sha).git(|| format!("'{sha}' is not a sha"))?)
        .git(|| format!("unable to read commit {sha}"))?;
    let exp_tree = commit
        .tree()
        .git(|| format!("unable to read the tree of {sha}"))?;
    let head_tree = git
        .find_commit(git2::Oid::from_str(&head).git(|| "invalid HEAD".into())?)
        .and_then(|commit| commit.tree())
        .git(|| "unable to read the tree of HEAD".into())?;

    // Which files change, and which of those hold work that is not committed.
    let mut changes: Vec<(String, git2::Oid, i32)> = Vec::new();
    let mut conflicts: Vec<String> = Vec::new();
    let mut walk_error = None;
    exp_tree
        .walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
            if entry.kind() != Some(git2::ObjectType::Blob) {
                return git2::TreeWalkResult::Ok;
            }
            let Ok(name) = entry.name() else {
                return git2::TreeWalkResult::Ok;
            };
            let path = format!("{parent}{name}");
            let absolute = repo.git_root.join(&path);
            let current = workspace_blob(&absolute);
            if current == Some(entry.id()) {
                return git2::TreeWalkResult::Ok;
            }
            let committed = head_tree
                .get_path(Path::new(&path))
                .ok()
                .map(|found| found.id());
            if current.is_some() && current != committed {
                conflicts.push(path.clone());
            }
            if current.is_none() && committed.is_some() && absolute.exists() {
                conflicts.push(path.clone());
            }
            changes.push((path, entry.id(), entry.filemode()));
            git2::TreeWalkResult::Ok
        })
        .unwrap_or_else(|error| walk_error = Some(error));
    if let Some(error) = walk_error {
        return Err(ExpError::Git {
            context: format!("unable to read the files of {sha}"),
            source: error,
        });
    }
    if !conflicts.is_empty() && !options.force {
        return Err(ExpError::WouldOverwrite {
            name: rev.to_string(),
            paths: conflicts,
        });
    }

    let stash = save_apply_stash(repo, &head, &sha, rev)?;
    let stash_untracked = match &stash {
        Some(stash) => stash_untracked_paths(repo, stash)?,
        None => Vec::new(),
    };

    let mut written = Vec::new();
    for (path, oid, mode) in &changes {
        let blob = git
            .find_blob(*oid)
            .git(|| format!("unable to read '{path}' from {sha}"))?;
        let absolute = repo.git_root.join(path);
        write_file(&absolute, blob.content(), *mode).io(|| format!("unable to write '{path}'"))?;
        written.push(path.clone());
    }

    let missing_outputs = checkout_outputs(repo)?;

    git.reference(EXEC_APPLY, commit.id(), true, "exp apply")
        .git(|| format!("unable to set {EXEC_APPLY}"))?;
    Ok(Applied {
        name: rev.to_string(),
        sha,
        written,
        stash,
        stash_untracked,
        missing_outputs,
    })
}

/// The files of a stash commit's untracked-files parent (its third), if any.
fn stash_untracked_paths(repo: &ExpRepo, stash: &str) -> Result<Vec<String>> {
    let git = &repo.git;
    let commit = git2::Oid::from_str(stash)
        .and_then(|oid| git.find_commit(oid))
        .git(|| format!("unable to read the stash commit {stash}"))?;
    let Ok(untracked) = commit.parent(2) else {
        return Ok(Vec::new());
    };
    let tree = untracked
        .tree()
        .git(|| "unable to read the stashed untracked files".into())?;
    let mut paths = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            if let Ok(name) = entry.name() {
                paths.push(format!("{parent}{name}"));
            }
        }
        git2::TreeWalkResult::Ok
    })
    .git(|| "unable to list the stashed untracked files".into())?;
    Ok(paths)
}

/// Brings the cached outputs that the workspace's `dvc.lock` files record
/// (models, data) into the workspace, as `dvc checkout --force` does after
/// DVC's apply. Outputs whose objects are not in the cache are returned, not
/// treated as errors, so the files from git stay applied.
pub fn checkout_outputs(repo: &ExpRepo) -> Result<Vec<String>> {
    use crate::files::DiskFiles;
    use crate::pipeline::interpolate::ParsingConfig;
    use crate::project::{find_pipeline_files, Project};

    let workspace =
        crate::repro::workspace::Workspace::open(repo.project.clone()).map_err(|error| {
            ExpError::InvalidArgument(format!("unable to open the project cache: {error}"))
        })?;
    let disk = DiskFiles::new(repo.project.root.clone());
    let pipelines = find_pipeline_files(&repo.project.root);
    let project = Project::load_files(
        repo.project.clone(),
        &disk,
        &pipelines,
        ParsingConfig::default(),
    );
    let options = workspace.cache_options();
    let mut missing = Vec::new();
    for file in &project.files {
        let lock_path = crate::paths::join_normalized(&file.dir, "dvc.lock").unwrap_or_default();
        let Ok(text) = std::fs::read_to_string(repo.project.root.join(&lock_path)) else {
            continue;
        };
        let lock = crate::lock::parse(&text, &lock_path).lock;
        for stage in &file.stages {
            let Some(entry) = lock.stages.get(&stage.name) else {
                continue;
            };
            for out in stage.all_outs().filter(|out| out.cache) {
                let Some(recorded) = entry.outs.iter().find(|recorded| recorded.path == out.path)
                else {
                    continue;
                };
                let (Some(hash), Some(path)) = (&recorded.hash, stage.resolve_path(&out.path))
                else {
                    continue;
                };
                if let Err(error) = workspace
                    .cache
                    .checkout(&workspace.path(&path), hash, &options)
                {
                    tracing::debug!("unable to check out '{path}': {error}");
                    missing.push(path);
                }
            }
        }
    }
    Ok(missing)
}

/// The blob id of a work-tree file, `None` when it is missing.
fn workspace_blob(path: &Path) -> Option<git2::Oid> {
    let metadata = std::fs::symlink_metadata(path).ok()?;
    if metadata.file_type().is_symlink() {
        let target = std::fs::read_link(path).ok()?;
        return git2::Oid::hash_object(git2::ObjectType::Blob, target.to_string_lossy().as_bytes())
            .ok();
    }
    if !metadata.is_file() {
        return None;
    }
    git2::Oid::hash_file(git2::ObjectType::Blob, path).ok()
}

fn write_file(path: &Path, bytes: &[u8], mode: i32) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    if std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_dir()) {
        return Err(std::io::Error::other("a directory is in the way"));
    }
    if mode == 0o120000 {
        #[cfg(unix)]
        {
            let _ = std::fs::remove_file(path);
            return std::os::unix::fs::symlink(String::from_utf8_lossy(bytes).as_ref(), path);
        }
    }
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temp, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = if mode == 0o100755 { 0o755 } else { 0o644 };
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(permissions))?;
    }
    temp.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Saves the workspace as a git stash commit in `refs/exps/apply/stash`
/// (index, work tree and untracked files, as `git stash -u` would, without
/// resetting anything) and HEAD in `refs/exps/apply/ORIG_HEAD`. Returns the
/// stash commit, or `None` when the workspace had no changes.
pub fn save_apply_stash(
    repo: &ExpRepo,
    head: &str,
    rev: &str,
    name: &str,
) -> Result<Option<String>> {
    let git = &repo.git;
    let head_oid = git2::Oid::from_str(head).git(|| "invalid HEAD".into())?;
    let head_commit = git
        .find_commit(head_oid)
        .git(|| "unable to read HEAD".into())?;
    git.reference(APPLY_HEAD, head_oid, true, "exp apply")
        .git(|| format!("unable to set {APPLY_HEAD}"))?;

    let real = git.index().git(|| "unable to read the git index".into())?;
    let mut index_copy = git2::Index::new().git(|| "unable to create a temporary index".into())?;
    for entry in real.iter() {
        index_copy
            .add(&entry)
            .git(|| "unable to copy the git index".into())?;
    }
    let index_tree = index_copy
        .write_tree_to(git)
        .git(|| "unable to write the index tree".into())?;
    let work_tree = workspace_tree(repo, &[])?;
    let untracked = untracked_files(repo)?;
    let head_tree = head_commit.tree_id();
    if index_tree == head_tree && work_tree == head_tree && untracked.is_empty() {
        // Nothing to keep; an older stash would describe another state.
        if let Ok(mut reference) = git.find_reference(APPLY_STASH) {
            let _ = reference.delete();
        }
        return Ok(None);
    }

    let signature = git.signature().map_err(|source| ExpError::Git {
        context: "git needs a user name and email to save the workspace before applying; set them with `git config user.name` and `git config user.email`".into(),
        source,
    })?;
    let branch = repo
        .head_branch()
        .unwrap_or_else(|| "(no branch)".to_string());
    let subject = head_commit
        .summary()
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_string();
    let short = &head[..7];
    let index_commit = git
        .commit(
            None,
            &signature,
            &signature,
            &format!("index on {branch}: {short} {subject}"),
            &git.find_tree(index_tree)
                .git(|| "unable to read the index tree".into())?,
            &[&head_commit],
        )
        .git(|| "unable to save the index".into())?;
    let index_commit = git
        .find_commit(index_commit)
        .git(|| "unable to read the index commit".into())?;
    let mut parents = vec![head_commit.clone(), index_commit];
    if !untracked.is_empty() {
        let mut only_untracked =
            git2::Index::new().git(|| "unable to create a temporary index".into())?;
        for path in &untracked {
            let in_git = if repo.subdir.is_empty() {
                path.clone()
            } else {
                format!("{}/{path}", repo.subdir)
            };
            let absolute = repo.git_root.join(&in_git);
            let Ok(oid) = git.blob_path(&absolute) else {
                continue;
            };
            let mode = std::fs::metadata(&absolute)
                .map(|m| executable_mode(&m))
                .unwrap_or(0o100644);
            only_untracked
                .add(&git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode,
                    uid: 0,
                    gid: 0,
                    file_size: 0,
                    id: oid,
                    flags: 0,
                    flags_extended: 0,
                    path: in_git.into_bytes(),
                })
                .git(|| "unable to save an untracked file".into())?;
        }
        let tree = only_untracked
            .write_tree_to(git)
            .git(|| "unable to write the untracked files".into())?;
        let untracked_commit = git
            .commit(
                None,
                &signature,
                &signature,
                &format!("untracked files on {branch}: {short} {subject}"),
                &git.find_tree(tree)
                    .git(|| "unable to read the untracked tree".into())?,
                &[],
            )
            .git(|| "unable to save the untracked files".into())?;
        parents.push(
            git.find_commit(untracked_commit)
                .git(|| "unable to read a stash commit".into())?,
        );
    }
    let message = format!("On {branch}: dvc-exp-apply:{head}:{rev}:{name}");
    let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
    let stash = git
        .commit(
            None,
            &signature,
            &signature,
            &message,
            &git.find_tree(work_tree)
                .git(|| "unable to read the work tree".into())?,
            &parent_refs,
        )
        .git(|| "unable to save the workspace".into())?;
    // DVC keeps at most one entry: drop the old ref and its log first.
    if let Ok(mut reference) = git.find_reference(APPLY_STASH) {
        let _ = reference.delete();
    }
    let _ = std::fs::create_dir_all(git.path().join("logs/refs/exps/apply"));
    let log_path = git.path().join("logs").join(APPLY_STASH);
    if !log_path.exists() {
        let _ = std::fs::write(&log_path, b"");
    }
    git.reference(APPLY_STASH, stash, true, &message)
        .git(|| format!("unable to set {APPLY_STASH}"))?;
    Ok(Some(stash.to_string()))
}

fn executable_mode(metadata: &std::fs::Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o111 != 0 {
            return 0o100755;
        }
    }
    let _ = metadata;
    0o100644
}
