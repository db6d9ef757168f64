//! Turning what the user typed into commits: shas (full or short), branches,
//! tags, `HEAD`, `workspace`, experiment names (looked up across baselines, the
//! one under HEAD winning) and full refs, plus the baseline selection of
//! `exp show`/`list`/`remove`/`push` (`--rev`, `-n`, `-a`, `-T`, `-A`).

use crate::suggest;

use super::error::{ExpError, Result};
use super::refs::ExpRef;
use super::repo::{ExpRefTarget, ExpRepo};

/// What a revision argument names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revision {
    Workspace,
    Commit(String),
}

/// Resolves a revision that may also be `workspace`.
pub fn resolve_revision(repo: &ExpRepo, rev: &str) -> Result<Revision> {
    if rev == "workspace" {
        return Ok(Revision::Workspace);
    }
    resolve_rev(repo, rev).map(Revision::Commit)
}

/// Resolves a git revision or an experiment name to a full commit sha.
pub fn resolve_rev(repo: &ExpRepo, rev: &str) -> Result<String> {
    repo.head_sha()?;
    if let Some(sha) = git_rev(repo, rev) {
        return Ok(sha);
    }
    if rev != "HEAD" && !rev.starts_with("refs/") {
        if let Some(found) = resolve_name(repo, rev)? {
            return Ok(found.sha);
        }
        // A checkpoint: `<name>~N`.
        if let Some(found) = crate::live::checkpoint::resolve_tilde(repo, rev)? {
            return Ok(found.sha);
        }
    }
    Err(ExpError::UnknownRevision {
        rev: rev.to_string(),
        suggestions: suggestions_for(repo, rev),
    })
}

/// A git revision (anything `git rev-parse` takes that names a commit).
fn git_rev(repo: &ExpRepo, rev: &str) -> Option<String> {
    // Git accepts `refs/exps/...` as written; names alone go through the ref
    // lookup rules (heads, tags, remotes) and short shas.
    let object = repo.git.revparse_single(rev).ok()?;
    let commit = object.peel_to_commit().ok()?;
    Some(commit.id().to_string())
}

/// Looks an experiment name up across all baselines. A name under more than
/// one baseline resolves to the one under HEAD, and is otherwise ambiguous.
/// Full `refs/exps/...` refs are accepted too.
pub fn resolve_name(repo: &ExpRepo, name: &str) -> Result<Option<ExpRefTarget>> {
    if name.starts_with("refs/") {
        let Some(exp_ref) = ExpRef::parse(name) else {
            return Ok(None);
        };
        return Ok(repo.ref_sha(name).map(|sha| ExpRefTarget { exp_ref, sha }));
    }
    let all = repo.exp_refs()?;
    let matches: Vec<&ExpRefTarget> = all
        .iter()
        .filter(|found| found.exp_ref.name == name)
        .collect();
    match matches.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        several => {
            let head = repo.head_sha()?;
            if let Some(found) = several.iter().find(|found| found.exp_ref.baseline == head) {
                return Ok(Some((*found).clone()));
            }
            Err(ExpError::AmbiguousName {
                name: name.to_string(),
                refs: several
                    .iter()
                    .map(|found| found.exp_ref.to_string())
                    .collect(),
            })
        }
    }
}

/// Resolves several names; unknown ones are reported together, with the
/// closest existing names.
pub fn resolve_names(repo: &ExpRepo, names: &[String]) -> Result<Vec<ExpRefTarget>> {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        match resolve_name(repo, name)? {
            Some(target) => found.push(target),
            None => unknown.push(name.clone()),
        }
    }
    if !unknown.is_empty() {
        let existing = repo.exp_refs()?;
        let mut suggestions = Vec::new();
        for name in &unknown {
            for candidate in suggest::closest(
                name,
                existing.iter().map(|target| target.exp_ref.name.as_str()),
                3,
            ) {
                if !suggestions.contains(&candidate) {
                    suggestions.push(candidate);
                }
            }
        }
        return Err(ExpError::UnknownNames {
            names: unknown,
            suggestions,
        });
    }
    Ok(found)
}

/// Resolves an experiment given by name, full ref or commit sha to its ref.
/// A commit is accepted when exactly one experiment ref points at it, or when
/// one of several is under HEAD.
pub fn resolve_experiment(repo: &ExpRepo, text: &str) -> Result<ExpRefTarget> {
    if let Some(found) = resolve_name(repo, text)? {
        return Ok(found);
    }
    if let Some(found) = crate::live::checkpoint::resolve_tilde(repo, text)? {
        return Ok(found);
    }
    if let Some(sha) = git_rev(repo, text) {
        let all = repo.exp_refs()?;
        let pointing: Vec<&ExpRefTarget> = all.iter().filter(|target| target.sha == sha).collect();
        return match pointing.as_slice() {
            // A checkpoint inside an experiment's chain.
            [] => crate::live::checkpoint::containing_experiment(repo, &sha)?
                .ok_or_else(|| ExpError::NotAnExperiment(text.to_string())),
            [one] => Ok((*one).clone()),
            several => {
                let head = repo.head_sha()?;
                several
                    .iter()
                    .find(|target| target.exp_ref.baseline == head)
                    .map(|target| (*target).clone())
                    .ok_or_else(|| ExpError::AmbiguousName {
                        name: text.to_string(),
                        refs: several
                            .iter()
                            .map(|target| target.exp_ref.to_string())
                            .collect(),
                    })
            }
        };
    }
    Err(ExpError::UnknownNames {
        names: vec![text.to_string()],
        suggestions: suggestions_for(repo, text),
    })
}

fn suggestions_for(repo: &ExpRepo, wanted: &str) -> Vec<String> {
    let mut candidates: Vec<String> = repo
        .exp_refs()
        .unwrap_or_default()
        .into_iter()
        .map(|target| target.exp_ref.name)
        .collect();
    candidates.extend(repo.branches());
    candidates.extend(repo.tags());
    candidates.push("workspace".to_string());
    candidates.push("HEAD".to_string());
    candidates.sort();
    candidates.dedup();
    suggest::closest(wanted, candidates.iter().map(String::as_str), 3)
}

/// Which baseline commits a command looks at.
#[derive(Clone, Debug, Default)]
pub struct BaselineSelection {
    /// `--rev`; HEAD when empty and nothing else is selected.
    pub revs: Vec<String>,
    /// `-n`: how many first-parent commits from each rev; negative means all.
    pub num: i64,
    pub all_branches: bool,
    pub all_tags: bool,
    pub all_commits: bool,
}

impl BaselineSelection {
    pub fn head() -> BaselineSelection {
        BaselineSelection {
            num: 1,
            ..Default::default()
        }
    }
}

/// The baseline shas a selection names, in DVC's order: each rev with its
/// ancestors, then branches (sorted, with ancestors), then tags (sorted), or
/// every commit newest first for `all_commits`. Duplicates keep their first
/// place.
pub fn select_baselines(repo: &ExpRepo, selection: &BaselineSelection) -> Result<Vec<String>> {
    repo.head_sha()?;
    let mut revs = selection.revs.clone();
    if revs.is_empty() && !selection.all_branches && !selection.all_tags && !selection.all_commits {
        revs.push("HEAD".to_string());
    }
    let num = if selection.num == 0 && selection.revs.is_empty() {
        1
    } else {
        selection.num
    };
    let mut shas: Vec<String> = Vec::new();
    for rev in &revs {
        shas.extend(first_parents(repo, &resolve_rev(repo, rev)?, num));
    }
    if selection.all_commits {
        shas.extend(repo.all_commits()?);
    } else {
        if selection.all_branches {
            for branch in repo.branches() {
                if let Some(sha) = repo.ref_sha(&format!("refs/heads/{branch}")) {
                    shas.extend(first_parents(repo, &sha, num));
                }
            }
        }
        if selection.all_tags {
            for tag in repo.tags() {
                if let Some(sha) = repo.ref_sha(&format!("refs/tags/{tag}")) {
                    shas.push(sha);
                }
            }
        }
    }
    let mut unique = Vec::with_capacity(shas.len());
    let mut seen = std::collections::HashSet::new();
    for sha in shas {
        if seen.insert(sha.clone()) {
            unique.push(sha);
        }
    }
    Ok(unique)
}

/// `sha` and up to `num - 1` first-parent ancestors (all of them when `num` is
/// negative, none when it is 0).
fn first_parents(repo: &ExpRepo, sha: &str, num: i64) -> Vec<String> {
    if num == 0 {
        return Vec::new();
    }
    let mut found = vec![sha.to_string()];
    let Ok(oid) = git2::Oid::from_str(sha) else {
        return found;
    };
    let Ok(mut commit) = repo.git.find_commit(oid) else {
        return found;
    };
    while num < 0 || (found.len() as i64) < num {
        let Ok(parent) = commit.parent(0) else { break };
        found.push(parent.id().to_string());
        commit = parent;
    }
    found
}
