//! Checkpoints (DVC 2.x, kept by Retort as an opt-in). Each step a stage
//! marks becomes a commit on the experiment's ref. Its parent is the previous
//! checkpoint, or for the first one the baseline (or the checkpoint a resumed
//! run started from). The stage's outputs are saved to the cache first, so
//! the `dvc.lock` in each checkpoint commit restores that step's outputs.
//!
//! Checkpoints are addressed by commit sha or as `<name>~N`, N checkpoints
//! before the experiment's tip (`<name>~0` is the tip).

use std::path::PathBuf;
use std::sync::Mutex;

use crate::exp::error::{ExpError, GitContext, Result};
use crate::exp::record::{experiment_files, workspace_tree, Recorded};
use crate::exp::refs::ExpRef;
use crate::exp::repo::{ExpRefTarget, ExpRepo};
use crate::project::ProjectRoot;

/// Records checkpoints for a run; the repro runner calls it at each step.
pub trait CheckpointRecorder: Send + Sync + std::fmt::Debug {
    /// Commits the run's files as they are now; returns the commit sha.
    fn record(&self, stage: &str, step: Option<u64>) -> std::result::Result<String, String>;
}

/// Where a checkpoint's files come from.
#[derive(Clone, Debug)]
pub enum TreeSource {
    /// The user's workspace: the git index refreshed from the work tree, plus
    /// the files an experiment carries and `include` (edited params, `-I`).
    Workspace { include: Vec<String> },
    /// A temporary run directory (`dir`, the git work tree of the run)
    /// written from `snapshot`; the project is `project_dir` inside it.
    RunDir {
        dir: PathBuf,
        project_dir: PathBuf,
        snapshot: String,
    },
}

/// The checkpoints of one experiment run.
#[derive(Debug)]
pub struct ExpCheckpoints {
    project: ProjectRoot,
    baseline: String,
    name: String,
    /// The commit the first checkpoint chains on.
    start: String,
    source: TreeSource,
    chain: Mutex<Vec<String>>,
}

impl ExpCheckpoints {
    /// `start` is the commit to chain on: the baseline, or the checkpoint a
    /// resumed run started from.
    pub fn new(
        project: ProjectRoot,
        baseline: &str,
        name: &str,
        start: &str,
        source: TreeSource,
    ) -> ExpCheckpoints {
        ExpCheckpoints {
            project,
            baseline: baseline.to_string(),
            name: name.to_string(),
            start: start.to_string(),
            source,
            chain: Mutex::new(Vec::new()),
        }
    }

    /// Returns the checkpoint commits recorded so far, oldest first.
    pub fn recorded(&self) -> Vec<String> {
        self.chain
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Returns the parent of the next commit.
    fn parent(&self) -> String {
        self.recorded()
            .last()
            .cloned()
            .unwrap_or_else(|| self.start.clone())
    }

    /// Tells whether the final commit must be chained here rather than recorded
    /// on the baseline as usual.
    pub fn chains(&self) -> bool {
        self.parent() != self.baseline
    }

    fn tree(&self, repo: &ExpRepo) -> Result<git2::Oid> {
        match &self.source {
            TreeSource::Workspace { include } => {
                let mut files = experiment_files(&repo.project.root);
                files.extend(include.iter().cloned());
                workspace_tree(repo, &files)
            }
            TreeSource::RunDir {
                dir,
                project_dir,
                snapshot,
            } => {
                let oid = git2::Oid::from_str(snapshot)
                    .git(|| format!("'{snapshot}' is not a commit sha"))?;
                let tree = repo
                    .git
                    .find_commit(oid)
                    .and_then(|commit| commit.tree())
                    .git(|| format!("unable to read snapshot {snapshot}"))?;
                let include = experiment_files(project_dir);
                crate::queue::rundir::result_tree(repo, &tree, dir, &include)
            }
        }
    }

    /// Commits `tree` on the chain and points the experiment ref at it.
    fn commit(&self, repo: &ExpRepo, tree: git2::Oid, message: &str) -> Result<String> {
        let git = &repo.git;
        let parent_sha = self.parent();
        let parent = git
            .find_commit(git2::Oid::from_str(&parent_sha).git(|| "invalid parent sha".into())?)
            .git(|| format!("unable to read commit {parent_sha}"))?;
        let tree = git
            .find_tree(tree)
            .git(|| "unable to read the checkpoint tree".into())?;
        let signature = git.signature().map_err(|source| ExpError::Git {
            context: "git needs a user name and email to record a checkpoint; set them with `git config user.name NAME` and `git config user.email EMAIL`".into(),
            source,
        })?;
        let commit = git
            .commit(None, &signature, &signature, message, &tree, &[&parent])
            .git(|| "unable to create the checkpoint commit".into())?;
        let exp_ref = ExpRef::new(&self.baseline, &self.name).to_string();
        git.reference(&exp_ref, commit, true, &format!("commit: {message}"))
            .git(|| format!("unable to set {exp_ref}"))?;
        Ok(commit.to_string())
    }

    /// Records the experiment's final commit on top of the last checkpoint.
    /// When the files did not change since that checkpoint, it becomes the
    /// tip as it is.
    pub fn finish(&self, repo: &ExpRepo, message: &str) -> Result<Recorded> {
        let tree = self.tree(repo)?;
        let parent = self.parent();
        let parent_tree = repo
            .git
            .find_commit(git2::Oid::from_str(&parent).git(|| "invalid parent sha".into())?)
            .map(|commit| commit.tree_id())
            .git(|| format!("unable to read commit {parent}"))?;
        let exp_ref = ExpRef::new(&self.baseline, &self.name);
        if parent_tree == tree && !self.recorded().is_empty() {
            return Ok(Recorded {
                exp_ref,
                sha: parent,
                reused: true,
            });
        }
        let sha = self.commit(repo, tree, message)?;
        Ok(Recorded {
            exp_ref,
            sha,
            reused: false,
        })
    }
}

impl CheckpointRecorder for ExpCheckpoints {
    fn record(&self, stage: &str, step: Option<u64>) -> std::result::Result<String, String> {
        let repo = ExpRepo::open(self.project.clone()).map_err(|error| error.to_string())?;
        let tree = self.tree(&repo).map_err(|error| error.to_string())?;
        let message = match step {
            Some(step) => format!(
                "dvc: commit checkpoint of {} (stage {stage}, step {step})",
                self.name
            ),
            None => format!("dvc: commit checkpoint of {} (stage {stage})", self.name),
        };
        let sha = self
            .commit(&repo, tree, &message)
            .map_err(|error| error.to_string())?;
        self.chain
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(sha.clone());
        Ok(sha)
    }
}

/// Resolves `<name>~N` to the checkpoint N commits before the experiment's
/// tip. `None` when `text` has no `~N` suffix or names no experiment.
pub fn resolve_tilde(repo: &ExpRepo, text: &str) -> Result<Option<ExpRefTarget>> {
    let Some((name, count)) = text.rsplit_once('~') else {
        return Ok(None);
    };
    let Ok(count) = count.parse::<usize>() else {
        return Ok(None);
    };
    let Some(target) = crate::exp::resolve::resolve_name(repo, name)? else {
        return Ok(None);
    };
    let revs = repo.branch_revs(&target.sha, &target.exp_ref.baseline);
    match revs.get(count) {
        Some(sha) => Ok(Some(ExpRefTarget {
            exp_ref: target.exp_ref,
            sha: sha.clone(),
        })),
        None => Err(ExpError::InvalidArgument(format!(
            "experiment '{name}' has {} commit(s), so '{text}' names none; use {name}~0 to {name}~{}",
            revs.len(),
            revs.len().saturating_sub(1)
        ))),
    }
}

/// Finds the experiment whose chain contains commit `sha` (a checkpoint that is not
/// the tip), with `sha` as the target.
pub fn containing_experiment(repo: &ExpRepo, sha: &str) -> Result<Option<ExpRefTarget>> {
    for target in repo.exp_refs()? {
        let revs = repo.branch_revs(&target.sha, &target.exp_ref.baseline);
        if revs.iter().skip(1).any(|rev| rev == sha) {
            return Ok(Some(ExpRefTarget {
                exp_ref: target.exp_ref,
                sha: sha.to_string(),
            }));
        }
    }
    Ok(None)
}

/// Resolves a checkpoint given as `<name>~N`, a full ref with `~N`, or a
/// commit sha (full or short) inside an experiment's chain.
pub fn resolve_checkpoint(repo: &ExpRepo, text: &str) -> Result<Option<ExpRefTarget>> {
    if let Some(found) = resolve_tilde(repo, text)? {
        return Ok(Some(found));
    }
    let Some(sha) = repo
        .git
        .revparse_single(text)
        .ok()
        .and_then(|object| object.peel_to_commit().ok())
        .map(|commit| commit.id().to_string())
    else {
        return Ok(None);
    };
    if let Some(tip) = repo
        .exp_refs()?
        .into_iter()
        .find(|target| target.sha == sha)
    {
        return Ok(Some(tip));
    }
    containing_experiment(repo, &sha)
}

/// Brings the outputs that the `dvc.lock` files of a run directory record
/// out of the cache, so a resumed run starts from the checkpoint's outputs.
/// Outputs missing from the cache are left out with a warning.
pub fn checkout_recorded_outputs(workspace: &crate::repro::Workspace) {
    use crate::files::DiskFiles;
    use crate::pipeline::interpolate::ParsingConfig;
    use crate::project::{find_pipeline_files, Project};

    let root = &workspace.root.root;
    let disk = DiskFiles::new(root.clone());
    let pipelines = find_pipeline_files(root);
    let project = Project::load_files(
        workspace.root.clone(),
        &disk,
        &pipelines,
        ParsingConfig::default(),
    );
    let options = workspace.cache_options();
    for file in &project.files {
        let lock_path = crate::paths::join_normalized(&file.dir, "dvc.lock").unwrap_or_default();
        let Ok(text) = std::fs::read_to_string(root.join(&lock_path)) else {
            continue;
        };
        let lock = crate::lock::parse(&text, &lock_path).lock;
        for stage in &file.stages {
            let Some(entry) = lock.stages.get(&stage.name) else {
                continue;
            };
            for out in stage.all_outs().filter(|out| out.cache) {
                let recorded = entry.outs.iter().find(|recorded| recorded.path == out.path);
                let (Some(hash), Some(path)) = (
                    recorded.and_then(|recorded| recorded.hash.as_ref()),
                    stage.resolve_path(&out.path),
                ) else {
                    continue;
                };
                if let Err(error) = workspace
                    .cache
                    .checkout(&workspace.path(&path), hash, &options)
                {
                    tracing::warn!(output = %path, %error, "unable to restore the checkpoint output");
                }
            }
        }
    }
}

/// Queues a run that resumes from a checkpoint (`exp run --rev`): its
/// snapshot is the checkpoint commit itself, its baseline the checkpoint's
/// experiment's baseline, and its checkpoints chain on the checkpoint.
pub fn enqueue_resume(
    repo: &ExpRepo,
    queue: &crate::queue::Queue,
    checkpoint: &str,
    request: &crate::queue::EnqueueRequest,
) -> Result<crate::queue::QueueEntry> {
    use crate::queue::{store, QueueEntry};

    if !request.set_params.is_empty() {
        return Err(ExpError::InvalidArgument(
            "-S cannot be combined with --rev: a resumed run keeps the checkpoint's params".into(),
        ));
    }
    let target = resolve_checkpoint(repo, checkpoint)?.ok_or_else(|| {
        ExpError::InvalidArgument(format!(
            "'{checkpoint}' is not a checkpoint of any experiment; `retort exp show` lists them as NAME~N"
        ))
    })?;
    let baseline = target.exp_ref.baseline.clone();
    let name =
        crate::exp::record::pick_name(repo, &baseline, request.name.as_deref(), request.force)?;
    let id = store::new_id();
    let oid = git2::Oid::from_str(&target.sha).git(|| format!("'{}' is not a sha", target.sha))?;
    repo.git
        .reference(
            &crate::queue::snapshot::snapshot_ref(&id),
            oid,
            true,
            "retort: resume from a checkpoint",
        )
        .git(|| "unable to keep the checkpoint commit".into())?;
    let entry = QueueEntry {
        targets: request.targets.clone(),
        message: request.message.clone(),
        force: request.force,
        resume: Some(target.sha.clone()),
        ..QueueEntry::queued(id, name, baseline, target.sha)
    };
    queue
        .save(&entry)
        .map_err(|error| ExpError::InvalidArgument(error.to_string()))?;
    Ok(entry)
}
