//! `exp push` and `exp pull`: exchanging experiment refs with a git remote
//! (a remote name or a URL/path), one `refs/exps/...:refs/exps/...` refspec
//! per experiment, as DVC does. The baseline commit must already be on the
//! other side; only the experiment commits travel.

use std::collections::HashMap;

use super::error::{ExpError, GitContext, Result};
use super::refs::{self, ExpRef, TEMP_NAMESPACE};
use super::repo::{ExpRefTarget, ExpRepo};
use super::resolve::{resolve_names, select_baselines, BaselineSelection};

/// Which experiments to exchange.
#[derive(Clone, Debug, Default)]
pub struct SyncSelection {
    pub names: Vec<String>,
    pub all_commits: bool,
    pub revs: Vec<String>,
    pub num: i64,
    pub force: bool,
}

/// Names grouped by outcome, as DVC reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncResult {
    pub success: Vec<String>,
    pub up_to_date: Vec<String>,
    pub diverged: Vec<String>,
}

fn remote_error(remote: &str, error: git2::Error) -> ExpError {
    ExpError::Remote {
        remote: remote.to_string(),
        message: error.message().to_string(),
    }
}

fn open_remote<'r>(repo: &'r ExpRepo, remote: &str) -> Result<git2::Remote<'r>> {
    match repo.git.find_remote(remote) {
        Ok(found) => Ok(found),
        Err(_) => repo
            .git
            .remote_anonymous(remote)
            .map_err(|_| ExpError::Remote {
                remote: remote.to_string(),
                message: "is neither a configured remote nor a valid git URL".into(),
            }),
    }
}

/// The experiment refs of a remote, with their commits.
pub fn remote_exp_refs(repo: &ExpRepo, remote: &str) -> Result<Vec<ExpRefTarget>> {
    let mut connection = open_remote(repo, remote)?;
    connection
        .connect(git2::Direction::Fetch)
        .map_err(|error| remote_error(remote, error))?;
    let heads = connection
        .list()
        .map_err(|error| remote_error(remote, error))?;
    let found = heads
        .iter()
        .filter(|head| head.name().starts_with("refs/exps/") && !refs::is_skipped(head.name()))
        .filter_map(|head| {
            let exp_ref = ExpRef::parse(head.name())?;
            (!exp_ref.name.is_empty()).then(|| ExpRefTarget {
                exp_ref,
                sha: head.oid().to_string(),
            })
        })
        .collect();
    let _ = connection.disconnect();
    Ok(found)
}

fn local_selection(repo: &ExpRepo, selection: &SyncSelection) -> Result<Vec<ExpRefTarget>> {
    let mut targets: Vec<ExpRefTarget> = Vec::new();
    let add = |target: ExpRefTarget, targets: &mut Vec<ExpRefTarget>| {
        if !targets.contains(&target) {
            targets.push(target);
        }
    };
    if selection.all_commits {
        for target in repo.exp_refs()? {
            add(target, &mut targets);
        }
    }
    if !selection.names.is_empty() {
        for target in resolve_names(repo, &selection.names)? {
            add(target, &mut targets);
        }
    } else if !selection.all_commits {
        let baselines = select_baselines(
            repo,
            &BaselineSelection {
                revs: selection.revs.clone(),
                num: selection.num.max(1),
                ..Default::default()
            },
        )?;
        for baseline in baselines {
            for target in repo.exp_refs_of(&baseline)? {
                add(target, &mut targets);
            }
        }
    }
    Ok(targets)
}

fn is_ancestor(repo: &ExpRepo, ancestor: &str, descendant: &str) -> bool {
    let (Ok(ancestor), Ok(descendant)) = (
        git2::Oid::from_str(ancestor),
        git2::Oid::from_str(descendant),
    ) else {
        return false;
    };
    repo.git
        .graph_descendant_of(descendant, ancestor)
        .unwrap_or(false)
}

/// Pushes experiment refs to a remote.
pub fn push(repo: &ExpRepo, remote: &str, selection: &SyncSelection) -> Result<SyncResult> {
    let targets = local_selection(repo, selection)?;
    let mut result = SyncResult::default();
    if targets.is_empty() {
        return Ok(result);
    }
    let on_remote: HashMap<String, String> = remote_exp_refs(repo, remote)?
        .into_iter()
        .map(|target| (target.exp_ref.to_string(), target.sha))
        .collect();
    let mut refspecs = Vec::new();
    let mut pushed = Vec::new();
    for target in &targets {
        let name = target.exp_ref.to_string();
        match on_remote.get(&name) {
            Some(sha) if *sha == target.sha => result.up_to_date.push(target.exp_ref.name.clone()),
            Some(sha) if !selection.force && !is_ancestor(repo, sha, &target.sha) => {
                result.diverged.push(target.exp_ref.name.clone())
            }
            _ => {
                let plus = if selection.force { "+" } else { "" };
                refspecs.push(format!("{plus}{name}:{name}"));
                pushed.push(target.exp_ref.name.clone());
            }
        }
    }
    if !refspecs.is_empty() {
        let mut rejected: Vec<String> = Vec::new();
        {
            let mut callbacks = git2::RemoteCallbacks::new();
            callbacks.push_update_reference(|reference, status| {
                if status.is_some() {
                    rejected.push(reference.to_string());
                }
                Ok(())
            });
            let mut options = git2::PushOptions::new();
            options.remote_callbacks(callbacks);
            let mut connection = open_remote(repo, remote)?;
            connection
                .push(&refspecs, Some(&mut options))
                .map_err(|error| remote_error(remote, error))?;
        }
        for name in pushed {
            let rejected_here = rejected.iter().any(|reference| {
                ExpRef::parse(reference).is_some_and(|exp_ref| exp_ref.name == name)
            });
            if rejected_here {
                result.diverged.push(name);
            } else {
                result.success.push(name);
            }
        }
    }
    Ok(result)
}

/// Fetches experiment refs from a remote.
pub fn pull(repo: &ExpRepo, remote: &str, selection: &SyncSelection) -> Result<SyncResult> {
    let available = remote_exp_refs(repo, remote)?;
    let mut wanted: Vec<ExpRefTarget> = Vec::new();
    if selection.all_commits {
        wanted = available.clone();
    } else if !selection.names.is_empty() {
        let head = repo.head_sha()?;
        let mut unknown = Vec::new();
        for name in &selection.names {
            if name.starts_with("refs/") {
                match available
                    .iter()
                    .find(|target| target.exp_ref.to_string() == *name)
                {
                    Some(found) => wanted.push(found.clone()),
                    None => unknown.push(name.clone()),
                }
                continue;
            }
            let matches: Vec<&ExpRefTarget> = available
                .iter()
                .filter(|target| target.exp_ref.name == *name)
                .collect();
            match matches.as_slice() {
                [] => unknown.push(name.clone()),
                [one] => wanted.push((*one).clone()),
                several => match several
                    .iter()
                    .find(|target| target.exp_ref.baseline == head)
                {
                    Some(found) => wanted.push((*found).clone()),
                    None => {
                        return Err(ExpError::AmbiguousName {
                            name: name.clone(),
                            refs: several
                                .iter()
                                .map(|target| target.exp_ref.to_string())
                                .collect(),
                        })
                    }
                },
            }
        }
        if !unknown.is_empty() {
            return Err(ExpError::Remote {
                remote: remote.to_string(),
                message: format!(
                    "has no experiment named {}",
                    super::manage::join_quoted(&unknown)
                ),
            });
        }
    } else {
        let baselines = select_baselines(
            repo,
            &BaselineSelection {
                revs: selection.revs.clone(),
                num: selection.num.max(1),
                ..Default::default()
            },
        )?;
        wanted = available
            .iter()
            .filter(|target| baselines.contains(&target.exp_ref.baseline))
            .cloned()
            .collect();
    }
    let mut result = SyncResult::default();
    if wanted.is_empty() {
        return Ok(result);
    }
    // Fetch into temporary refs first, then move each ref only when it is new,
    // a fast-forward, or forced.
    let temp: Vec<String> = (0..wanted.len())
        .map(|index| format!("{TEMP_NAMESPACE}/pull-{index}"))
        .collect();
    let refspecs: Vec<String> = wanted
        .iter()
        .zip(&temp)
        .map(|(target, temp)| format!("+{}:{temp}", target.exp_ref))
        .collect();
    let mut connection = open_remote(repo, remote)?;
    connection
        .fetch(&refspecs, None, None)
        .map_err(|error| remote_error(remote, error))?;
    for (target, temp) in wanted.iter().zip(&temp) {
        let name = target.exp_ref.to_string();
        let local = repo.ref_sha(&name);
        let outcome = match &local {
            Some(sha) if *sha == target.sha => Outcome::UpToDate,
            Some(sha) if !selection.force && !is_ancestor(repo, sha, &target.sha) => {
                Outcome::Diverged
            }
            _ => Outcome::Update,
        };
        match outcome {
            Outcome::UpToDate => result.up_to_date.push(target.exp_ref.name.clone()),
            Outcome::Diverged => result.diverged.push(target.exp_ref.name.clone()),
            Outcome::Update => {
                let oid = git2::Oid::from_str(&target.sha)
                    .git(|| format!("'{}' is not a sha", target.sha))?;
                repo.git
                    .reference(&name, oid, true, &format!("pull: from {remote}"))
                    .git(|| format!("unable to set {name}"))?;
                result.success.push(target.exp_ref.name.clone());
            }
        }
        if let Ok(mut reference) = repo.git.find_reference(temp) {
            let _ = reference.delete();
        }
    }
    Ok(result)
}

enum Outcome {
    UpToDate,
    Diverged,
    Update,
}
