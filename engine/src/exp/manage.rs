//! Keeping and tidying experiments: `exp branch`, `exp remove`, `exp rename`
//! and `exp list`. They work on refs only; cached data stays in the cache
//! (DVC leaves it to `dvc gc` too).

use super::collect::ExtraExperiments;
use super::error::{ExpError, GitContext, Result};
use super::refs::{name_problem, ExpRef, EXEC_APPLY, EXEC_BRANCH};
use super::repo::{ExpRefTarget, ExpRepo};
use super::resolve::{resolve_experiment, resolve_names, select_baselines, BaselineSelection};

/// `exp branch`: creates `refs/heads/<branch>` at the experiment commit.
/// Returns the branch name and the experiment name.
pub fn branch(repo: &ExpRepo, exp: &str, branch_name: Option<&str>) -> Result<(String, String)> {
    let target = resolve_experiment(repo, exp)?;
    let branch_name = branch_name
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}-branch", target.exp_ref.name));
    let ref_name = format!("refs/heads/{branch_name}");
    if !git2::Reference::is_valid_name(&ref_name) {
        return Err(ExpError::InvalidArgument(format!(
            "'{branch_name}' is not a valid git branch name (see `git check-ref-format`)"
        )));
    }
    if repo.git.find_reference(&ref_name).is_ok() {
        return Err(ExpError::BranchExists(branch_name));
    }
    let oid = git2::Oid::from_str(&target.sha).git(|| format!("'{}' is not a sha", target.sha))?;
    repo.git
        .reference(
            &ref_name,
            oid,
            false,
            &format!("dvc: Created from experiment '{}'", target.exp_ref.name),
        )
        .git(|| format!("unable to create branch '{branch_name}'"))?;
    Ok((branch_name, target.exp_ref.name))
}

/// Which experiments `exp remove` removes.
#[derive(Clone, Debug, Default)]
pub struct RemoveSelection {
    pub names: Vec<String>,
    /// `-A`: every experiment.
    pub all_commits: bool,
    /// `--rev` (with `num`): the experiments of these baselines.
    pub revs: Vec<String>,
    pub num: i64,
    /// `--queue`: every queued experiment.
    pub queue: bool,
    /// `--keep`: remove everything except the selection.
    pub keep: bool,
}

/// Removes experiment refs (and, through `extras`, queued entries). Returns
/// the names removed, in order.
pub fn remove(
    repo: &ExpRepo,
    selection: &RemoveSelection,
    extras: &dyn ExtraExperiments,
) -> Result<Vec<String>> {
    if selection.keep && selection.queue {
        return Err(ExpError::InvalidArgument(
            "--keep and --queue cannot be used together".into(),
        ));
    }
    let mut removed: Vec<String> = Vec::new();
    if selection.queue {
        removed.extend(extras.remove_queued(None));
    }
    let mut targets: Vec<ExpRefTarget> = Vec::new();
    if !selection.names.is_empty() {
        // Queued names are removed by the queue; the rest must be refs.
        let queued = extras.remove_queued(Some(&selection.names));
        let wanted: Vec<String> = selection
            .names
            .iter()
            .filter(|name| !queued.contains(name))
            .cloned()
            .collect();
        removed.extend(queued);
        for target in resolve_names(repo, &wanted)? {
            removed.push(target.exp_ref.name.clone());
            targets.push(target);
        }
    } else if !selection.revs.is_empty() {
        let baselines = select_baselines(
            repo,
            &BaselineSelection {
                revs: selection.revs.clone(),
                num: selection.num,
                ..Default::default()
            },
        )?;
        for baseline in baselines {
            for target in repo.exp_refs_of(&baseline)? {
                removed.push(target.exp_ref.name.clone());
                targets.push(target);
            }
        }
    } else if selection.all_commits {
        for target in repo.exp_refs()? {
            removed.push(target.exp_ref.name.clone());
            targets.push(target);
        }
    }
    if selection.keep {
        let all = repo.exp_refs()?;
        targets = all
            .into_iter()
            .filter(|target| !targets.contains(target))
            .collect();
        removed = targets
            .iter()
            .map(|target| target.exp_ref.name.clone())
            .collect();
    }
    remove_refs(repo, &targets)?;
    Ok(removed)
}

fn remove_refs(repo: &ExpRepo, targets: &[ExpRefTarget]) -> Result<()> {
    let exec_apply = repo.ref_sha(EXEC_APPLY);
    for target in targets {
        if let Ok(mut reference) = repo.git.find_reference(EXEC_BRANCH) {
            if reference.symbolic_target().ok().flatten()
                == Some(target.exp_ref.to_string().as_str())
            {
                let _ = reference.delete();
            }
        }
        if exec_apply.as_deref() == Some(target.sha.as_str()) {
            if let Ok(mut reference) = repo.git.find_reference(EXEC_APPLY) {
                let _ = reference.delete();
            }
        }
        let name = target.exp_ref.to_string();
        if let Ok(mut reference) = repo.git.find_reference(&name) {
            reference
                .delete()
                .git(|| format!("unable to delete {name}"))?;
        }
    }
    Ok(())
}

/// `exp rename`: moves the ref to a new name under the same baseline.
pub fn rename(repo: &ExpRepo, exp: &str, new_name: &str, force: bool) -> Result<ExpRef> {
    let target = resolve_names(repo, &[exp.to_string()])?.remove(0);
    if target.exp_ref.name == new_name {
        return Ok(target.exp_ref);
    }
    if let Some(reason) = name_problem(new_name) {
        return Err(ExpError::InvalidName {
            name: new_name.to_string(),
            reason,
        });
    }
    let new_ref = ExpRef::new(&target.exp_ref.baseline, new_name);
    if repo.git.find_reference(&new_ref.to_string()).is_ok() && !force {
        return Err(ExpError::ExperimentExists {
            name: new_name.to_string(),
            baseline: target.exp_ref.baseline.clone(),
        });
    }
    let oid = git2::Oid::from_str(&target.sha).git(|| format!("'{}' is not a sha", target.sha))?;
    repo.git
        .reference(
            &new_ref.to_string(),
            oid,
            true,
            &format!("exp rename: {exp} -> {new_name}"),
        )
        .git(|| format!("unable to create {new_ref}"))?;
    if let Ok(mut reference) = repo.git.find_reference(&target.exp_ref.to_string()) {
        reference
            .delete()
            .git(|| format!("unable to delete {}", target.exp_ref))?;
    }
    Ok(new_ref)
}

/// `exp list`: experiments per baseline, baselines in the order their first
/// experiment appears among the refs.
pub fn list(
    repo: &ExpRepo,
    selection: &BaselineSelection,
) -> Result<Vec<(String, Vec<ExpRefTarget>)>> {
    let baselines = if selection.all_commits {
        None
    } else {
        Some(select_baselines(repo, selection)?)
    };
    let mut grouped: Vec<(String, Vec<ExpRefTarget>)> = Vec::new();
    for target in repo.exp_refs()? {
        if let Some(wanted) = &baselines {
            if !wanted.contains(&target.exp_ref.baseline) {
                continue;
            }
        }
        match grouped
            .iter_mut()
            .find(|(baseline, _)| *baseline == target.exp_ref.baseline)
        {
            Some((_, targets)) => targets.push(target),
            None => grouped.push((target.exp_ref.baseline.clone(), vec![target])),
        }
    }
    Ok(grouped)
}

/// DVC's `humanize.join` of quoted names: `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`.
pub fn join_quoted(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("'{name}'")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
