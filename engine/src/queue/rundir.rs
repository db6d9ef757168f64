//! Runs a snapshot in a temporary directory: the snapshot's files are written
//! out, the directory shares the project's object cache and run-cache through
//! `.dvc/config.local`, the pipeline runs there, and the result is committed
//! as an experiment in the user's repository. The user's workspace is never
//! touched.

use std::path::{Path, PathBuf};

use crate::exp::error::{ExpError, GitContext, IoContext};
use crate::exp::record::{commit_tree, experiment_files, RecordRequest, Recorded};
use crate::exp::ExpRepo;
use crate::live::checkpoint::{ExpCheckpoints, TreeSource};
use crate::project::ProjectRoot;
use crate::repro::{
    reproduce, CancelToken, EventSink, ReproError, ReproOptions, ReproReport, StageResult,
    Workspace,
};

/// What a temporary run needs besides the snapshot.
#[derive(Clone, Debug, Default)]
pub struct RunDirRequest {
    pub id: String,
    pub name: String,
    pub baseline: String,
    pub snapshot: String,
    pub targets: Vec<String>,
    pub message: Option<String>,
    pub force: bool,
    /// The checkpoint this run resumes from (`exp run --rev`): its outputs
    /// are restored first and new checkpoints chain on it.
    pub resume: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    #[error(transparent)]
    Exp(#[from] ExpError),
    #[error(transparent)]
    Repro(#[from] ReproError),
    #[error("unable to prepare the run directory: {0}")]
    Workspace(String),
}

/// The outcome of a temporary run.
#[derive(Debug)]
pub struct RunDirResult {
    pub recorded: Recorded,
    pub report: ReproReport,
}

/// Names a directory for temporary runs instead of the project's
/// `.dvc/tmp/exps/run`; cluster executors set it to one every node sees.
pub const RUN_ROOT_ENV: &str = "RETORT_RUN_ROOT";

/// Where temporary runs of a project happen.
pub fn run_dir(dvc_dir: &Path, id: &str) -> PathBuf {
    match std::env::var_os(RUN_ROOT_ENV) {
        Some(root) if !root.is_empty() => PathBuf::from(root).join(id),
        _ => dvc_dir.join("tmp").join("exps").join("run").join(id),
    }
}

/// Runs the snapshot in `.dvc/tmp/exps/run/<id>` and records the experiment.
/// The directory is removed afterwards, whatever the outcome.
pub fn run_snapshot(
    repo: &ExpRepo,
    request: &RunDirRequest,
    events: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<RunDirResult, RunDirError> {
    let dir = run_dir(&repo.project.dvc_dir(), &request.id);
    let result = run_in(repo, request, &dir, events, cancel);
    if let Err(error) = std::fs::remove_dir_all(&dir) {
        if error.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(dir = %dir.display(), %error, "unable to remove the run directory");
        }
    }
    result
}

fn run_in(
    repo: &ExpRepo,
    request: &RunDirRequest,
    dir: &Path,
    events: &dyn EventSink,
    cancel: &CancelToken,
) -> Result<RunDirResult, RunDirError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).io(|| format!("unable to clear '{}'", dir.display()))?;
    }
    std::fs::create_dir_all(dir).io(|| format!("unable to create '{}'", dir.display()))?;
    let snapshot_oid = git2::Oid::from_str(&request.snapshot)
        .git(|| format!("'{}' is not a commit sha", request.snapshot))?;
    let snapshot = repo
        .git
        .find_commit(snapshot_oid)
        .git(|| format!("unable to read snapshot {}", request.snapshot))?;
    let tree = snapshot
        .tree()
        .git(|| "unable to read the snapshot tree".into())?;
    write_tree(&repo.git, &tree, dir)?;

    let project_dir = if repo.subdir.is_empty() {
        dir.to_path_buf()
    } else {
        dir.join(&repo.subdir)
    };
    share_cache(repo, &project_dir)?;

    let root = ProjectRoot {
        root: project_dir.clone(),
        git_root: Some(dir.to_path_buf()),
        has_dvc_dir: project_dir.join(".dvc").is_dir(),
    };
    let mut workspace =
        Workspace::open(root).map_err(|error| RunDirError::Workspace(error.to_string()))?;
    if request.resume.is_some() {
        crate::live::checkpoint::checkout_recorded_outputs(&workspace);
    }
    let checkpoints = std::sync::Arc::new(ExpCheckpoints::new(
        repo.project.clone(),
        &request.baseline,
        &request.name,
        request.resume.as_deref().unwrap_or(&request.baseline),
        TreeSource::RunDir {
            dir: dir.to_path_buf(),
            project_dir: project_dir.clone(),
            snapshot: request.snapshot.clone(),
        },
    ));
    let options = ReproOptions {
        checkpoints: Some(checkpoints.clone()),
        live_status: Some(dir.join("live.json")),
        targets: request.targets.clone(),
        force: request.force,
        env: vec![
            // DVC points DVC_ROOT at the user's project even in a temporary
            // directory; dvclive writes its step signal files there.
            (
                "DVC_ROOT".to_string(),
                repo.project.root.display().to_string(),
            ),
            ("DVC_EXP_BASELINE_REV".to_string(), request.baseline.clone()),
            ("DVC_EXP_NAME".to_string(), request.name.clone()),
        ],
        ..ReproOptions::default()
    };
    let report = reproduce(&mut workspace, &options, events, cancel)?;
    if let Some((stage, message)) = report.stages.iter().find_map(|stage| match &stage.result {
        StageResult::Failed(message) => Some((stage.stage.clone(), message.clone())),
        _ => None,
    }) {
        return Err(ReproError::StageFailed {
            stage,
            message,
            exit_code: None,
        }
        .into());
    }

    let include = experiment_files(&project_dir);
    let tree_oid = result_tree(repo, &tree, dir, &include)?;
    let exp_hash = crate::runcache::exp_hash(&report.reproduced());
    // Runs that finish together (on several nodes) must not both find a name
    // free and both take it.
    let _refs_lock = super::lock::FileLock::exclusive(&super::lock::exp_refs_lock_path(&repo.git))
        .io(|| "unable to lock the experiment refs".into())?;
    if checkpoints.chains() {
        let message = request
            .message
            .clone()
            .unwrap_or_else(|| format!("dvc: commit experiment {exp_hash}"));
        let recorded = checkpoints.finish(repo, &message)?;
        return Ok(RunDirResult { recorded, report });
    }
    let recorded = commit_tree(
        repo,
        &RecordRequest {
            baseline: request.baseline.clone(),
            name: request.name.clone(),
            message: request.message.clone(),
            exp_hash,
            include: Vec::new(),
            force: request.force,
        },
        tree_oid,
    )?;
    Ok(RunDirResult { recorded, report })
}

/// Writes every file of `tree` under `dir`, keeping executable bits and links.
fn write_tree(git: &git2::Repository, tree: &git2::Tree<'_>, dir: &Path) -> Result<(), ExpError> {
    let mut failure = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
        let Ok(name) = entry.name() else {
            return git2::TreeWalkResult::Skip;
        };
        let path = dir.join(parent).join(name);
        let result = match entry.kind() {
            Some(git2::ObjectType::Tree) => {
                std::fs::create_dir_all(&path).map_err(|error| error.to_string())
            }
            Some(git2::ObjectType::Blob) => write_blob(git, entry, &path),
            _ => Ok(()),
        };
        match result {
            Ok(()) => git2::TreeWalkResult::Ok,
            Err(error) => {
                failure = Some(format!("unable to write '{}': {error}", path.display()));
                git2::TreeWalkResult::Abort
            }
        }
    })
    .git(|| "unable to write the snapshot files".into())
    .or_else(|error| {
        if failure.is_some() {
            Ok(())
        } else {
            Err(error)
        }
    })?;
    match failure {
        Some(message) => Err(ExpError::InvalidArgument(message)),
        None => Ok(()),
    }
}

fn write_blob(
    git: &git2::Repository,
    entry: &git2::TreeEntry<'_>,
    path: &Path,
) -> Result<(), String> {
    let blob = git
        .find_blob(entry.id())
        .map_err(|error| error.to_string())?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|error| error.to_string())?;
    }
    if entry.filemode() == 0o120000 {
        let target = String::from_utf8_lossy(blob.content()).into_owned();
        return std::os::unix::fs::symlink(target, path).map_err(|error| error.to_string());
    }
    std::fs::write(path, blob.content()).map_err(|error| error.to_string())?;
    if entry.filemode() == 0o100755 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|error| error.to_string())?;
    }
    Ok(())
}

/// Points the run directory's cache at the project's cache, so objects and
/// run-cache entries are shared, keeping the user's other local settings.
fn share_cache(repo: &ExpRepo, project_dir: &Path) -> Result<(), ExpError> {
    let dvc_dir = project_dir.join(".dvc");
    std::fs::create_dir_all(&dvc_dir).io(|| format!("unable to create '{}'", dvc_dir.display()))?;
    let config = crate::config::DvcConfig::load(&repo.project.dvc_dir())
        .map_err(|error| ExpError::InvalidArgument(error.to_string()))?;
    let cache_dir = config.cache_dir_or_default(&repo.project.root);
    let cache_dir = std::path::absolute(&cache_dir).unwrap_or(cache_dir);
    let local =
        std::fs::read_to_string(repo.project.dvc_dir().join("config.local")).unwrap_or_default();
    let mut text = String::new();
    let mut in_cache = false;
    for line in local.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_cache = trimmed == "[cache]";
        } else if in_cache
            && trimmed
                .split('=')
                .next()
                .is_some_and(|key| key.trim() == "dir")
        {
            continue;
        }
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&format!("[cache]\n    dir = {}\n", cache_dir.display()));
    std::fs::write(dvc_dir.join("config.local"), text)
        .io(|| "unable to write the run directory's config.local".into())?;
    // Retort's own settings (such as the hash algorithm) may be untracked.
    let retort_toml = repo.project.dvc_dir().join("retort.toml");
    if retort_toml.is_file() && !dvc_dir.join("retort.toml").exists() {
        std::fs::copy(&retort_toml, dvc_dir.join("retort.toml"))
            .io(|| "unable to copy retort.toml".into())?;
    }
    Ok(())
}

/// The experiment tree: the snapshot tree with every file as the run left it
/// (changed files updated, deleted ones dropped) plus the files an experiment
/// carries (`include`, project-relative).
pub(crate) fn result_tree(
    repo: &ExpRepo,
    base: &git2::Tree<'_>,
    dir: &Path,
    include: &[String],
) -> Result<git2::Oid, ExpError> {
    let git = &repo.git;
    let mut index = git2::Index::new().git(|| "unable to create a temporary index".into())?;
    index
        .read_tree(base)
        .git(|| "unable to read the snapshot tree".into())?;
    let tracked: Vec<String> = index
        .iter()
        .map(|entry| String::from_utf8_lossy(&entry.path).into_owned())
        .collect();
    for path in tracked {
        let absolute = dir.join(&path);
        if std::fs::symlink_metadata(&absolute).is_err() {
            let _ = index.remove_path(Path::new(&path));
            continue;
        }
        add_file(git, &mut index, dir, &path)?;
    }
    let prefix = if repo.subdir.is_empty() {
        String::new()
    } else {
        format!("{}/", repo.subdir)
    };
    for relative in include {
        let path = format!("{prefix}{relative}");
        let absolute = dir.join(&path);
        if absolute.is_dir() {
            for file in walk(&absolute) {
                if let Ok(inside) = file.strip_prefix(dir) {
                    add_file(git, &mut index, dir, &inside.to_string_lossy())?;
                }
            }
        } else if absolute.exists() {
            add_file(git, &mut index, dir, &path)?;
        }
    }
    index
        .write_tree_to(git)
        .git(|| "unable to write the experiment tree".into())
}

fn add_file(
    git: &git2::Repository,
    index: &mut git2::Index,
    dir: &Path,
    path: &str,
) -> Result<(), ExpError> {
    let absolute = dir.join(path);
    let metadata =
        std::fs::symlink_metadata(&absolute).io(|| format!("unable to read '{path}'"))?;
    let (oid, mode) = if metadata.file_type().is_symlink() {
        let target =
            std::fs::read_link(&absolute).io(|| format!("unable to read the link '{path}'"))?;
        (
            git.blob(target.to_string_lossy().as_bytes())
                .git(|| format!("unable to store '{path}'"))?,
            0o120000,
        )
    } else {
        use std::os::unix::fs::PermissionsExt;
        let executable = metadata.permissions().mode() & 0o111 != 0;
        (
            git.blob_path(&absolute)
                .git(|| format!("unable to store '{path}'"))?,
            if executable { 0o100755 } else { 0o100644 },
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

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
