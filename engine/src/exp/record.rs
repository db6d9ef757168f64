//! Recording a workspace as an experiment commit without touching HEAD, the
//! branches or the git index: the tree is built in a temporary in-memory
//! index (the user's staged entries, refreshed from the work tree, plus the
//! files an experiment must carry), committed with the baseline as its only
//! parent, and pointed at by `refs/exps/<baseline>/<name>`.

use std::path::Path;

use indexmap::IndexMap;

use crate::files::DiskFiles;
use crate::lock::LockStage;
use crate::paths;
use crate::pipeline::interpolate::ParsingConfig;
use crate::project::{find_pipeline_files, Project};

use super::error::{ExpError, GitContext, IoContext, Result};
use super::names;
use super::refs::{name_problem, ExpRef};
use super::repo::ExpRepo;

/// What to record.
#[derive(Clone, Debug, Default)]
pub struct RecordRequest {
    /// The baseline commit (full sha); the experiment commit's only parent.
    pub baseline: String,
    /// The experiment name, already checked with [`pick_name`].
    pub name: String,
    /// The commit message; `dvc: commit experiment <exp_hash>` when `None`.
    pub message: Option<String>,
    /// DVC's experiment hash (`runcache::exp_hash` of the stages that
    /// ran), used in the default message.
    pub exp_hash: String,
    /// Project-relative paths to add besides the tracked files: `dvc.lock`
    /// files, `cache: false` outputs, `-I` paths. Directories are added with
    /// everything under them; git-ignored files are added too (as `git add -f`).
    pub include: Vec<String>,
    /// Replace an existing ref of the same name.
    pub force: bool,
}

/// The result of recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub exp_ref: ExpRef,
    /// The experiment commit.
    pub sha: String,
    /// True when an existing experiment with the same tree was kept.
    pub reused: bool,
}

/// Checks a requested name, or generates one that is free under the
/// baseline. An existing name is an error unless `force`.
pub fn pick_name(
    repo: &ExpRepo,
    baseline: &str,
    requested: Option<&str>,
    force: bool,
) -> Result<String> {
    match requested {
        Some(name) => {
            if let Some(reason) = name_problem(name) {
                return Err(ExpError::InvalidName {
                    name: name.to_string(),
                    reason,
                });
            }
            let exp_ref = ExpRef::new(baseline, name);
            if !force && repo.git.find_reference(&exp_ref.to_string()).is_ok() {
                return Err(ExpError::ExperimentExists {
                    name: name.to_string(),
                    baseline: baseline.to_string(),
                });
            }
            Ok(name.to_string())
        }
        None => Ok(names::unique_name(|candidate| {
            repo.git
                .find_reference(&ExpRef::new(baseline, candidate).to_string())
                .is_ok()
        })),
    }
}

/// Collects the lock entries of every stage in the workspace's `dvc.lock`
/// files (a later file's stage replaces an earlier one of the same name, as in
/// DVC), which `exp save` hashes with `runcache::exp_hash`.
pub fn workspace_lock_stages(root: &Path) -> IndexMap<String, LockStage> {
    let mut stages = IndexMap::new();
    for pipeline in find_pipeline_files(root) {
        let lock = paths::join_normalized(paths::parent(&pipeline), "dvc.lock").unwrap_or_default();
        let Ok(text) = std::fs::read_to_string(root.join(&lock)) else {
            continue;
        };
        stages.extend(crate::lock::parse(&text, &lock).lock.stages);
    }
    stages
}

/// The files an experiment commit carries besides the tracked ones, for a
/// workspace that was just reproduced or saved: every `dvc.yaml`, `dvc.lock`,
/// `.dvc` file, the outputs with `cache: false`, and the top-level metrics,
/// params and plots files. Missing paths are left out.
pub fn experiment_files(root: &Path) -> Vec<String> {
    let disk = DiskFiles::new(root.to_path_buf());
    let pipelines = find_pipeline_files(root);
    let project_root = crate::project::ProjectRoot {
        root: root.to_path_buf(),
        git_root: None,
        has_dvc_dir: true,
    };
    let project = Project::load_files(project_root, &disk, &pipelines, ParsingConfig::default());
    let mut found = Vec::new();
    for file in &project.files {
        found.push(file.path.clone());
        if let Some(lock) = paths::join_normalized(&file.dir, "dvc.lock") {
            found.push(lock);
        }
        let tops = file
            .top
            .metrics
            .iter()
            .chain(&file.top.params)
            .map(|entry| entry.path.clone())
            .chain(file.top.plots.iter().map(|plot| match plot {
                crate::pipeline::TopPlot::Path(entry) => entry.path.clone(),
                crate::pipeline::TopPlot::Definition { id, .. } => id.clone(),
            }));
        for path in tops {
            if let Some(path) = paths::join_normalized(&file.dir, &path) {
                found.push(path);
            }
        }
    }
    for stage in project.stages() {
        for out in stage.all_outs() {
            let Some(path) = stage.resolve_path(&out.path) else {
                continue;
            };
            if out.cache {
                // DVC adds the `.gitignore` that lists a cached output, so that
                // checking out the experiment keeps the output out of git.
                let gitignore = paths::join_normalized(paths::parent(&path), ".gitignore");
                found.extend(gitignore);
            } else {
                found.push(path);
            }
        }
    }
    found.retain(|path| root.join(path).exists());
    crate::metrics::distinct(found)
}

/// Records the workspace as an experiment commit and sets its ref.
pub fn record_experiment(repo: &ExpRepo, request: &RecordRequest) -> Result<Recorded> {
    if let Some(reason) = name_problem(&request.name) {
        return Err(ExpError::InvalidName {
            name: request.name.clone(),
            reason,
        });
    }
    let tree_oid = workspace_tree(repo, &request.include)?;
    commit_tree(repo, request, tree_oid)
}

/// Commits `tree_oid` as the experiment `request` describes, with the
/// baseline as its only parent, and sets the experiment ref.
pub fn commit_tree(
    repo: &ExpRepo,
    request: &RecordRequest,
    tree_oid: git2::Oid,
) -> Result<Recorded> {
    if let Some(reason) = name_problem(&request.name) {
        return Err(ExpError::InvalidName {
            name: request.name.clone(),
            reason,
        });
    }
    let git = &repo.git;
    let baseline_oid = git2::Oid::from_str(&request.baseline)
        .git(|| format!("'{}' is not a commit sha", request.baseline))?;
    let baseline = git
        .find_commit(baseline_oid)
        .git(|| format!("unable to read the baseline commit {}", request.baseline))?;

    let exp_ref = ExpRef::new(&request.baseline, &request.name);
    let ref_name = exp_ref.to_string();

    if let Ok(existing) = git.find_reference(&ref_name) {
        if !request.force {
            let existing_commit = existing
                .peel_to_commit()
                .git(|| format!("unable to read the commit of {ref_name}"))?;
            if existing_commit.tree_id() == tree_oid {
                return Ok(Recorded {
                    exp_ref,
                    sha: existing_commit.id().to_string(),
                    reused: true,
                });
            }
            return Err(ExpError::ExperimentExists {
                name: request.name.clone(),
                baseline: request.baseline.clone(),
            });
        }
    }

    let tree = git
        .find_tree(tree_oid)
        .git(|| "unable to read the experiment tree".into())?;
    let signature = git.signature().map_err(|source| ExpError::Git {
        context: "git needs a user name and email to record an experiment commit; set them with `git config user.name NAME` and `git config user.email EMAIL`".into(),
        source,
    })?;
    let message = request
        .message
        .clone()
        .unwrap_or_else(|| format!("dvc: commit experiment {}", request.exp_hash));
    let commit = git
        .commit(None, &signature, &signature, &message, &tree, &[&baseline])
        .git(|| "unable to create the experiment commit".into())?;
    git.reference(&ref_name, commit, true, &format!("commit: {message}"))
        .git(|| format!("unable to set {ref_name}"))?;
    Ok(Recorded {
        exp_ref,
        sha: commit.to_string(),
        reused: false,
    })
}

/// The tree of the workspace: the index's entries (staged files included)
/// with their current work-tree content, deleted files left out, plus
/// `include`. The real index is only read.
pub fn workspace_tree(repo: &ExpRepo, include: &[String]) -> Result<git2::Oid> {
    let git = &repo.git;
    let real = git.index().git(|| "unable to read the git index".into())?;
    if real.has_conflicts() {
        return Err(ExpError::InvalidArgument(
            "the git index has unresolved merge conflicts; resolve them before recording an experiment".into(),
        ));
    }
    let mut index = git2::Index::new().git(|| "unable to create a temporary index".into())?;
    for entry in real.iter() {
        index
            .add(&entry)
            .git(|| "unable to copy the git index".into())?;
    }

    // Tracked files that differ from the index are re-read from the work tree.
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(false)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = git
        .statuses(Some(&mut options))
        .git(|| "unable to compare the work tree with the index".into())?;
    for status in statuses.iter() {
        let Ok(path) = status.path() else { continue };
        let flags = status.status();
        if flags.contains(git2::Status::WT_DELETED) {
            let _ = index.remove_path(Path::new(path));
        } else if flags.intersects(git2::Status::WT_MODIFIED | git2::Status::WT_TYPECHANGE) {
            add_path(repo, &mut index, path)?;
        }
    }
    for path in include {
        let Some(relative) = paths::normalize(path) else {
            continue;
        };
        let in_git = git_path(repo, &relative);
        let absolute = repo.git_root.join(&in_git);
        if absolute.is_dir() {
            for file in walk_files(&absolute) {
                if let Ok(inside) = file.strip_prefix(&repo.git_root) {
                    let inside = inside.to_string_lossy().replace('\\', "/");
                    if !inside.starts_with(".git/") {
                        add_path(repo, &mut index, &inside)?;
                    }
                }
            }
        } else if absolute.exists() || absolute.is_symlink() {
            add_path(repo, &mut index, &in_git)?;
        }
    }
    index
        .write_tree_to(git)
        .git(|| "unable to write the experiment tree".into())
}

/// A project-relative path as a path in the git work tree.
fn git_path(repo: &ExpRepo, relative: &str) -> String {
    match (repo.subdir.is_empty(), relative.is_empty()) {
        (true, _) => relative.to_string(),
        (false, true) => repo.subdir.clone(),
        (false, false) => format!("{}/{relative}", repo.subdir),
    }
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => {
                if entry.file_name() != ".git" {
                    found.extend(walk_files(&path));
                }
            }
            Ok(_) => found.push(path),
            Err(_) => {}
        }
    }
    found.sort();
    found
}

/// Adds one work-tree file (path relative to the git root) to an index.
fn add_path(repo: &ExpRepo, index: &mut git2::Index, path: &str) -> Result<()> {
    let absolute = repo.git_root.join(path);
    let metadata =
        std::fs::symlink_metadata(&absolute).io(|| format!("unable to read '{path}'"))?;
    let (oid, mode) = if metadata.file_type().is_symlink() {
        let target =
            std::fs::read_link(&absolute).io(|| format!("unable to read the link '{path}'"))?;
        let oid = repo
            .git
            .blob(target.to_string_lossy().as_bytes())
            .git(|| format!("unable to store '{path}'"))?;
        (oid, 0o120000)
    } else {
        let oid = repo
            .git
            .blob_path(&absolute)
            .git(|| format!("unable to store '{path}'"))?;
        (
            oid,
            if is_executable(&metadata) {
                0o100755
            } else {
                0o100644
            },
        )
    };
    let entry = git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: metadata.len() as u32,
        id: oid,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    };
    index
        .add(&entry)
        .git(|| format!("unable to add '{path}' to the experiment tree"))
}

#[cfg(unix)]
fn is_executable(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_metadata: &std::fs::Metadata) -> bool {
    false
}

/// Files git does not track and does not ignore, as project-relative paths
/// (directories with only such files are listed file by file). Callers warn
/// about them, since an experiment commit leaves them out unless included.
pub fn untracked_files(repo: &ExpRepo) -> Result<Vec<String>> {
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo
        .git
        .statuses(Some(&mut options))
        .git(|| "unable to list untracked files".into())?;
    let prefix = if repo.subdir.is_empty() {
        String::new()
    } else {
        format!("{}/", repo.subdir)
    };
    let mut found: Vec<String> = statuses
        .iter()
        .filter(|status| status.status().contains(git2::Status::WT_NEW))
        .filter_map(|status| status.path().ok().map(str::to_string))
        .filter_map(|path| path.strip_prefix(&prefix).map(str::to_string))
        .collect();
    found.sort();
    Ok(found)
}
