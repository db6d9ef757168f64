//! Collecting what `exp show` lists: the workspace, each baseline commit and
//! the experiments derived from it (successful ones from refs; queued,
//! running and failed ones from whoever runs experiments, through
//! [`ExtraExperiments`]). The result mirrors DVC's `ExpState`/`ExpRange` and
//! serializes to DVC 3's `exp show --json` schema.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::files::DiskFiles;
use crate::git::TreeFiles;

use super::cache::ExpCache;
use super::data::{collect_data, CollectOptions, ExpData, ObjectCache, RevError, RevisionFiles};
use super::error::Result;
use super::json::Json;
use super::repo::ExpRepo;
use super::resolve::{select_baselines, BaselineSelection};

/// One row's data: a revision with its data or the error that prevented it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpState {
    pub rev: String,
    pub name: Option<String>,
    pub data: Option<ExpData>,
    pub error: Option<RevError>,
    /// For baselines: their experiments, `None` when there are none.
    pub experiments: Option<Vec<ExpRange>>,
}

/// One experiment: its commits (newest first; one unless it came from a 2.x
/// checkpoint run) and who ran it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpRange {
    pub revs: Vec<ExpState>,
    pub executor: Option<ExpExecutor>,
    pub name: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutorState {
    Success,
    Queued,
    Running,
    Failed,
}

impl ExecutorState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutorState::Success => "success",
            ExecutorState::Queued => "queued",
            ExecutorState::Running => "running",
            ExecutorState::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExpExecutor {
    pub state: ExecutorState,
    /// `workspace`, `tempdir` or `dvc-task` in DVC.
    pub name: Option<String>,
    pub local: Option<LocalExecutor>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocalExecutor {
    pub root: Option<String>,
    pub log: Option<String>,
    pub pid: Option<i64>,
    pub returncode: Option<i64>,
    pub task_id: Option<String>,
}

/// An experiment that is not (only) a ref: queued, running or failed.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtraEntry {
    pub baseline: String,
    pub range: ExpRange,
}

/// Experiments known to a runner rather than to git refs. The queue
/// implements this; `exp show` merges its entries under their baselines.
pub trait ExtraExperiments {
    /// Queued, running and failed experiments derived from these baselines.
    /// The state is in each range's executor. Queued entries carry the data of
    /// their stash commit without metrics.
    fn entries(&self, baselines: &[String]) -> Vec<ExtraEntry>;

    /// Executors of finished runs, by experiment ref, so that successful
    /// queued experiments show their executor.
    fn success_executors(&self, _baselines: &[String]) -> HashMap<String, ExpExecutor> {
        HashMap::new()
    }

    /// Removes queued experiments: all of them for `None`, else those with
    /// these names. Returns the names removed; names it does not know are
    /// left to the refs.
    fn remove_queued(&self, _names: Option<&[String]>) -> Vec<String> {
        Vec::new()
    }
}

/// No queue: only refs.
pub struct NoExtras;

impl ExtraExperiments for NoExtras {
    fn entries(&self, _baselines: &[String]) -> Vec<ExtraEntry> {
        Vec::new()
    }
}

/// What to collect.
#[derive(Clone, Debug)]
pub struct ShowOptions {
    pub selection: BaselineSelection,
    pub hide_queued: bool,
    pub hide_failed: bool,
    pub hide_workspace: bool,
    /// `--sha`: name baselines by sha only.
    pub sha_only: bool,
    pub param_deps: bool,
    /// `-f`: collect again instead of reading the cache.
    pub force: bool,
}

impl Default for ShowOptions {
    fn default() -> ShowOptions {
        ShowOptions {
            selection: BaselineSelection::head(),
            hide_queued: false,
            hide_failed: false,
            hide_workspace: false,
            sha_only: false,
            param_deps: false,
            force: false,
        }
    }
}

/// Collects rows for `exp show`.
pub fn collect(
    repo: &ExpRepo,
    options: &ShowOptions,
    extras: &dyn ExtraExperiments,
) -> Result<Vec<ExpState>> {
    let baselines = select_baselines(repo, &options.selection)?;
    let names = if options.sha_only {
        HashMap::new()
    } else {
        repo.describe(&baselines)
    };
    let collector = Collector::new(repo, options);

    let mut result = Vec::new();
    if !options.hide_workspace {
        result.push(collector.workspace());
    }

    let extra_entries = extras.entries(&baselines);
    let executors = extras.success_executors(&baselines);

    // Successful experiments: every ref under each baseline, with the commits
    // of its branch back to the baseline.
    let mut successful: HashMap<String, Vec<(String, Vec<String>)>> = HashMap::new();
    let mut wanted: Vec<String> = baselines.clone();
    for baseline in &baselines {
        let mut ranges = Vec::new();
        for target in repo.exp_refs_of(baseline)? {
            let revs = repo.branch_revs(&target.sha, baseline);
            wanted.extend(revs.iter().cloned());
            ranges.push((target.exp_ref.to_string(), revs));
        }
        successful.insert(baseline.clone(), ranges);
    }
    let states = collector.commits(&wanted);

    for baseline in &baselines {
        let state = |sha: &str| states.get(sha).cloned().unwrap_or_else(|| missing(sha));
        let mut groups: [Vec<ExpRange>; 4] = Default::default();
        for entry in &extra_entries {
            if entry.baseline != *baseline {
                continue;
            }
            let state_kind = entry.range.executor.as_ref().map(|executor| executor.state);
            let group = match state_kind {
                Some(ExecutorState::Running) => 0,
                Some(ExecutorState::Queued) => {
                    if options.hide_queued {
                        continue;
                    }
                    2
                }
                Some(ExecutorState::Failed) => {
                    if options.hide_failed {
                        continue;
                    }
                    3
                }
                _ => 1,
            };
            groups[group].push(entry.range.clone());
        }
        for (ref_name, revs) in successful.get(baseline).into_iter().flatten() {
            let Some(exp_ref) = super::refs::ExpRef::parse(ref_name) else {
                continue;
            };
            let mut exp_states: Vec<ExpState> = revs.iter().map(|sha| state(sha)).collect();
            if exp_states.is_empty() {
                continue;
            }
            // A running experiment that records checkpoints has its ref
            // already: its commits go under the running row.
            if let Some(running) = groups[0]
                .iter_mut()
                .find(|range| range.name.as_deref() == Some(exp_ref.name.as_str()))
            {
                running.revs.extend(exp_states);
                continue;
            }
            exp_states[0].name = Some(exp_ref.name.clone());
            groups[1].push(ExpRange {
                revs: exp_states,
                executor: executors.get(ref_name).cloned(),
                name: Some(exp_ref.name.clone()),
            });
        }
        let experiments: Vec<ExpRange> = groups.into_iter().flat_map(sorted_ranges).collect();
        let base = state(baseline);
        result.push(ExpState {
            rev: baseline.clone(),
            name: names.get(baseline).cloned(),
            data: base.data,
            error: base.error,
            experiments: (!experiments.is_empty()).then_some(experiments),
        });
    }
    Ok(result)
}

fn missing(sha: &str) -> ExpState {
    ExpState {
        rev: sha.to_string(),
        name: None,
        data: None,
        error: Some(RevError {
            msg: format!("unable to read commit {sha}"),
            kind: "SCMError".into(),
        }),
        experiments: None,
    }
}

/// Newest first by the head commit's time, then by sha, as DVC sorts.
fn sorted_ranges(mut ranges: Vec<ExpRange>) -> Vec<ExpRange> {
    let key = |range: &ExpRange| -> (i64, String) {
        match range.revs.first() {
            Some(head) => match head.data.as_ref().and_then(|data| data.timestamp) {
                Some(timestamp) => (timestamp, head.rev.clone()),
                None => (0, String::new()),
            },
            None => (0, String::new()),
        }
    };
    ranges.sort_by_key(|range| std::cmp::Reverse(key(range)));
    ranges
}

/// Collects the data of revisions, through the cache.
pub struct Collector<'a> {
    repo: &'a ExpRepo,
    cache: ExpCache,
    objects: ObjectCache,
    options: CollectOptions,
    force: bool,
}

impl<'a> Collector<'a> {
    pub fn new(repo: &'a ExpRepo, options: &ShowOptions) -> Collector<'a> {
        Collector {
            repo,
            cache: ExpCache::new(&repo.tmp_dir()),
            objects: ObjectCache::for_project(&repo.project.root),
            options: CollectOptions {
                param_deps: options.param_deps,
            },
            force: options.force || options.param_deps,
        }
    }

    /// The workspace row, never cached.
    pub fn workspace(&self) -> ExpState {
        let files = RevisionFiles::Workspace(DiskFiles::new(self.repo.project.root.clone()));
        state_from(
            "workspace",
            collect_data(
                &self.repo.project,
                &files,
                &self.objects,
                "workspace",
                None,
                self.options,
            ),
        )
    }

    /// One commit.
    pub fn commit(&self, sha: &str) -> ExpState {
        self.commits(&[sha.to_string()])
            .remove(sha)
            .unwrap_or_else(|| missing(sha))
    }

    /// Several commits; cache misses are collected in parallel.
    pub fn commits(&self, shas: &[String]) -> HashMap<String, ExpState> {
        let mut found = HashMap::new();
        let mut misses = Vec::new();
        for sha in shas {
            if found.contains_key(sha) || misses.contains(sha) {
                continue;
            }
            match (!self.force).then(|| self.cache.get(sha)).flatten() {
                Some(data) => {
                    found.insert(sha.clone(), state_from(sha, Ok(data)));
                }
                None => misses.push(sha.clone()),
            }
        }
        let git_root = self.repo.git_root.clone();
        let subdir = self.repo.subdir.clone();
        let project = self.repo.project.clone();
        let (cache, objects, options) = (&self.cache, &self.objects, self.options);
        let collected: Vec<(String, ExpState)> = misses
            .par_iter()
            .map(|sha| {
                let result = (|| {
                    let git = git2::Repository::open(&git_root).map_err(|error| RevError {
                        msg: error.message().to_string(),
                        kind: "SCMError".into(),
                    })?;
                    let oid = git2::Oid::from_str(sha).map_err(|error| RevError {
                        msg: error.message().to_string(),
                        kind: "SCMError".into(),
                    })?;
                    let commit = git.find_commit(oid).map_err(|error| RevError {
                        msg: error.message().to_string(),
                        kind: "SCMError".into(),
                    })?;
                    let timestamp = commit.time().seconds();
                    let tree = commit.tree_id();
                    drop(commit);
                    let files = RevisionFiles::Commit(TreeFiles::from_tree(git, tree, &subdir));
                    collect_data(&project, &files, objects, sha, Some(timestamp), options)
                })();
                if let Ok(data) = &result {
                    if !options.param_deps {
                        cache.put(data);
                    }
                }
                (sha.clone(), state_from(sha, result))
            })
            .collect();
        found.extend(collected);
        found
    }
}

fn state_from(rev: &str, result: std::result::Result<ExpData, RevError>) -> ExpState {
    match result {
        Ok(data) => ExpState {
            rev: rev.to_string(),
            name: None,
            data: Some(data),
            error: None,
            experiments: None,
        },
        Err(error) => ExpState {
            rev: rev.to_string(),
            name: None,
            data: None,
            error: Some(error),
            experiments: None,
        },
    }
}

impl ExpState {
    /// DVC's `ExpState.dumpd()`.
    pub fn to_json(&self) -> Json {
        Json::object()
            .with("rev", Json::str(&self.rev))
            .with("name", Json::opt_str(self.name.clone()))
            .with(
                "data",
                self.data.as_ref().map_or(Json::Null, ExpData::to_json),
            )
            .with(
                "error",
                self.error.as_ref().map_or(Json::Null, |error| {
                    Json::object()
                        .with("msg", Json::str(&error.msg))
                        .with("type", Json::str(&error.kind))
                }),
            )
            .with(
                "experiments",
                self.experiments.as_ref().map_or(Json::Null, |ranges| {
                    Json::List(ranges.iter().map(ExpRange::to_json).collect())
                }),
            )
    }
}

impl ExpRange {
    pub fn to_json(&self) -> Json {
        Json::object()
            .with(
                "revs",
                Json::List(self.revs.iter().map(ExpState::to_json).collect()),
            )
            .with(
                "executor",
                self.executor
                    .as_ref()
                    .map_or(Json::Null, ExpExecutor::to_json),
            )
            .with("name", Json::opt_str(self.name.clone()))
    }
}

impl ExpExecutor {
    pub fn to_json(&self) -> Json {
        let number = |value: Option<i64>| value.map_or(Json::Null, Json::Int);
        Json::object()
            .with("state", Json::str(self.state.as_str()))
            .with("name", Json::opt_str(self.name.clone()))
            .with(
                "local",
                self.local.as_ref().map_or(Json::Null, |local| {
                    Json::object()
                        .with("root", Json::opt_str(local.root.clone()))
                        .with("log", Json::opt_str(local.log.clone()))
                        .with("pid", number(local.pid))
                        .with("returncode", number(local.returncode))
                        .with("task_id", Json::opt_str(local.task_id.clone()))
                }),
            )
    }
}

/// The `--json` output of `exp show`.
pub fn states_json(states: &[ExpState]) -> Json {
    Json::List(states.iter().map(ExpState::to_json).collect())
}
