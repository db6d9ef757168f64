//! The repository an experiment command works on: the git repository (through
//! libgit2), the DVC project inside it, and the queries every command needs
//! (HEAD, experiment refs, baselines, names for commits).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::project::{self, ProjectRoot};

use super::error::{ExpError, GitContext, Result};
use super::refs::{self, ExpRef};

pub struct ExpRepo {
    pub git: git2::Repository,
    pub project: ProjectRoot,
    /// The work tree of the git repository.
    pub git_root: PathBuf,
    /// The project root relative to the git work tree, `""` when they match.
    pub subdir: String,
}

/// One experiment ref and the commit it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpRefTarget {
    pub exp_ref: ExpRef,
    pub sha: String,
}

impl ExpRepo {
    /// Opens the project that contains `start` and its git repository.
    pub fn discover(start: &Path) -> Result<ExpRepo> {
        let project =
            project::discover(start).map_err(|error| ExpError::NoProject(error.to_string()))?;
        ExpRepo::open(project)
    }

    pub fn open(project: ProjectRoot) -> Result<ExpRepo> {
        let git = git2::Repository::discover(&project.root)
            .map_err(|_| ExpError::NotGit(project.root.clone()))?;
        let git_root = git
            .workdir()
            .ok_or_else(|| {
                ExpError::InvalidArgument(format!(
                    "the git repository of '{}' is bare; experiments need a work tree",
                    project.root.display()
                ))
            })?
            .to_path_buf();
        let git_root = std::fs::canonicalize(&git_root).unwrap_or(git_root);
        let root = std::fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
        let subdir = root
            .strip_prefix(&git_root)
            .map(|relative| relative.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        Ok(ExpRepo {
            git,
            project,
            git_root,
            subdir,
        })
    }

    /// `.dvc/tmp` of the project.
    pub fn tmp_dir(&self) -> PathBuf {
        self.project.dvc_dir().join("tmp")
    }

    /// The commit HEAD points at; an error names the repository when it has no
    /// commits.
    pub fn head_sha(&self) -> Result<String> {
        match self.git.head().ok().and_then(|head| head.target()) {
            Some(oid) => Ok(oid.to_string()),
            None => Err(ExpError::NoCommits(self.git_root.clone())),
        }
    }

    /// The branch HEAD is on, `None` when HEAD is detached.
    pub fn head_branch(&self) -> Option<String> {
        let head = self.git.find_reference("HEAD").ok()?;
        let target = head.symbolic_target().ok()??;
        target.strip_prefix("refs/heads/").map(str::to_string)
    }

    /// The commit a ref points at, peeling tags.
    pub fn ref_sha(&self, name: &str) -> Option<String> {
        let reference = self.git.find_reference(name).ok()?;
        let commit = reference.peel_to_commit().ok()?;
        Some(commit.id().to_string())
    }

    /// Every experiment ref in the repository, skipping the special refs, in
    /// libgit2's ref order (as DVC, which also uses libgit2, sees them).
    pub fn exp_refs(&self) -> Result<Vec<ExpRefTarget>> {
        self.exp_refs_under(&format!("{}/", refs::EXPS_NAMESPACE))
    }

    /// The experiments of one baseline.
    pub fn exp_refs_of(&self, baseline: &str) -> Result<Vec<ExpRefTarget>> {
        self.exp_refs_under(&ExpRef::baseline_prefix(baseline))
    }

    fn exp_refs_under(&self, prefix: &str) -> Result<Vec<ExpRefTarget>> {
        let glob = format!("{prefix}*");
        let mut found = Vec::new();
        let references = self
            .git
            .references_glob(&glob)
            .git(|| "unable to list the experiment refs".into())?;
        for reference in references {
            let Ok(reference) = reference else { continue };
            let Ok(name) = reference.name() else { continue };
            if !name.starts_with(prefix) || refs::is_skipped(name) {
                continue;
            }
            let Some(exp_ref) = ExpRef::parse(name) else {
                continue;
            };
            if exp_ref.name.is_empty() {
                continue;
            }
            let Some(oid) = reference
                .resolve()
                .ok()
                .and_then(|resolved| resolved.target())
            else {
                continue;
            };
            found.push(ExpRefTarget {
                exp_ref,
                sha: oid.to_string(),
            });
        }
        Ok(found)
    }

    /// Names for baseline commits as DVC's `describe` gives them: the current
    /// branch for HEAD, else a tag, else a branch.
    pub fn describe(&self, shas: &[String]) -> HashMap<String, String> {
        let head = self.head_sha().ok();
        let head_branch = self.head_branch();
        let mut tags: HashMap<String, String> = HashMap::new();
        let mut branches: HashMap<String, String> = HashMap::new();
        if let Ok(references) = self.git.references() {
            for reference in references.flatten() {
                let Ok(name) = reference.name() else { continue };
                let (map, short) = if let Some(tag) = name.strip_prefix("refs/tags/") {
                    (&mut tags, tag)
                } else if let Some(branch) = name.strip_prefix("refs/heads/") {
                    (&mut branches, branch)
                } else {
                    continue;
                };
                let Ok(commit) = reference.peel_to_commit() else {
                    continue;
                };
                map.entry(commit.id().to_string())
                    .or_insert_with(|| short.to_string());
            }
        }
        let mut names = HashMap::new();
        for sha in shas {
            let name = if Some(sha) == head.as_ref() && head_branch.is_some() {
                head_branch.clone()
            } else {
                tags.get(sha).or_else(|| branches.get(sha)).cloned()
            };
            if let Some(name) = name {
                names.insert(sha.clone(), name);
            }
        }
        names
    }

    /// Branch names, sorted.
    pub fn branches(&self) -> Vec<String> {
        self.short_refs("refs/heads/")
    }

    /// Tag names, sorted.
    pub fn tags(&self) -> Vec<String> {
        self.short_refs("refs/tags/")
    }

    fn short_refs(&self, prefix: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .git
            .references_glob(&format!("{prefix}*"))
            .map(|references| {
                references
                    .flatten()
                    .filter_map(|reference| {
                        reference
                            .name()
                            .ok()
                            .and_then(|name| name.strip_prefix(prefix))
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Every commit reachable from HEAD, branches, remote branches and tags,
    /// newest first (DVC's `list_all_commits`).
    pub fn all_commits(&self) -> Result<Vec<String>> {
        let mut walk = self
            .git
            .revwalk()
            .git(|| "unable to walk the commits".into())?;
        walk.set_sorting(git2::Sort::TIME)
            .git(|| "unable to walk the commits".into())?;
        if let Ok(head) = self.head_sha() {
            if let Ok(oid) = git2::Oid::from_str(&head) {
                let _ = walk.push(oid);
            }
        }
        if let Ok(references) = self.git.references() {
            for reference in references.flatten() {
                let Ok(name) = reference.name() else { continue };
                if name.starts_with("refs/heads/")
                    || name.starts_with("refs/remotes/")
                    || name.starts_with("refs/tags/")
                {
                    if let Ok(commit) = reference.peel_to_commit() {
                        let _ = walk.push(commit.id());
                    }
                }
            }
        }
        Ok(walk.flatten().map(|oid| oid.to_string()).collect())
    }

    /// The first-parent chain from `tip` back to `end` (exclusive), newest
    /// first: the commits of one experiment branch.
    pub fn branch_revs(&self, tip: &str, end: &str) -> Vec<String> {
        let mut revs = Vec::new();
        let Ok(oid) = git2::Oid::from_str(tip) else {
            return revs;
        };
        let Ok(mut commit) = self.git.find_commit(oid) else {
            return revs;
        };
        loop {
            revs.push(commit.id().to_string());
            let Ok(parent) = commit.parent(0) else { break };
            if parent.id().to_string() == end {
                break;
            }
            commit = parent;
        }
        revs
    }

    /// The commit time in seconds since the epoch.
    pub fn commit_time(&self, sha: &str) -> Option<i64> {
        let oid = git2::Oid::from_str(sha).ok()?;
        Some(self.git.find_commit(oid).ok()?.time().seconds())
    }
}
