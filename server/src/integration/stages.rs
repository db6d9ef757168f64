//! Stage status against `dvc.lock` and run-cache entries, for hovers and the
//! "N cached runs" lens.
//!
//! Both need the current hashes of a stage's dependencies. The workspace's
//! fingerprint store turns hashing an unchanged file into a `stat`, and the
//! results are memoized per stage under a digest of the stage definition and
//! its params values, so that an edit elsewhere in `dvc.yaml` costs nothing.
//! The memo is cleared when files change on disk.

use std::collections::hash_map::DefaultHasher;
use std::fmt::Write;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use retort_engine::files::{FileSource, ParsedFiles};
use retort_engine::lock::{self, LockFile, LockStage};
use retort_engine::pipeline::Stage;
use retort_engine::project::Project;
use retort_engine::repro::state::{self, DepState, ParamsState, StageState, StateError};
use retort_engine::repro::status::{compare, DepChange, StageStatus};
use retort_engine::repro::Workspace;
use retort_engine::runcache;

use super::{lock, Insights};
use crate::analysis::World;

/// The server's facts about one stage.
#[derive(Debug, Default)]
pub struct StageInsight {
    /// Whether the stage has an entry in its `dvc.lock`.
    recorded: bool,
    status: Option<StageStatus>,
    /// How many run-cache entries match the stage's current inputs; `None`
    /// when the run-cache does not cover the stage.
    cached_runs: Option<usize>,
    /// The reason the status is unknown.
    error: Option<String>,
}

/// Reports whether a stage is up to date, or what changed since `dvc.lock`.
pub fn stage_status(world: &World, stage: &Stage) -> Option<String> {
    let insight = insight(world, stage, true)?;
    if let Some(error) = &insight.error {
        return Some(format!("unknown ({error})"));
    }
    if !insight.recorded {
        return Some("never run (no entry in dvc.lock)".to_string());
    }
    insight.status.as_ref().map(stage_status_text)
}

/// How many entries the run-cache holds for a stage's current inputs
/// (`.dvc/cache/runs/<key>`). `None` when the run-cache does not cover the
/// stage (no deps, no outs, always changed, missing deps...).
pub fn run_cache_entries(world: &World, stage: &Stage) -> Option<usize> {
    insight(world, stage, false)?.cached_runs
}

/// Summarizes a status in one line, in the words of `dvc status`.
pub fn stage_status_text(status: &StageStatus) -> String {
    if !status.is_changed() {
        return "up to date".to_string();
    }
    let mut parts = Vec::new();
    for (path, change) in &status.changed_deps {
        match change {
            DepChange::Path(entry) | DepChange::ParamsFile(entry) => {
                parts.push(format!("`{path}` {}", entry.as_str()))
            }
            DepChange::Params(keys) => {
                let mut text = format!("`{path}`:");
                for (key, entry) in keys {
                    let _ = write!(text, " `{key}` {}", entry.as_str());
                }
                parts.push(text);
            }
        }
    }
    for (path, entry) in &status.changed_outs {
        parts.push(format!("out `{path}` {}", entry.as_str()));
    }
    if status.changed_command {
        parts.push("command changed".to_string());
    }
    if status.always_changed {
        parts.push("always changed".to_string());
    }
    format!("changed: {}", parts.join(", "))
}

/// The changed stages among `selected` (indexes into `project.stages()`),
/// as `retort status` computes them; used by the `retort.status` command.
pub fn stage_statuses(
    workspace: &Workspace,
    source: &dyn FileSource,
    project: &Project,
    selected: &[usize],
) -> Result<Vec<StageStatus>, StateError> {
    let files = ParsedFiles::new(source);
    let mut locks: std::collections::HashMap<String, LockFile> = Default::default();
    let mut statuses = Vec::new();
    for (index, stage) in project.stages().enumerate() {
        if !selected.contains(&index) {
            continue;
        }
        let path = lock_path(stage);
        let lock_file = locks
            .entry(path.clone())
            .or_insert_with(|| read_lock(source, &path));
        let recorded = lock_file.stages.get(&stage.name);
        let current = state::read_state(workspace, &files, stage, recorded)?;
        let status = compare(workspace, stage, &current, recorded);
        if status.is_changed() {
            statuses.push(status);
        }
    }
    Ok(statuses)
}

fn lock_path(stage: &Stage) -> String {
    match stage.dvcfile.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{}", lock::LOCK_FILE_NAME),
        None => lock::LOCK_FILE_NAME.to_string(),
    }
}

fn read_lock(source: &dyn FileSource, path: &str) -> LockFile {
    source
        .read(path)
        .map(|text| lock::parse(&text, path).lock)
        .unwrap_or_default()
}

impl Insights {
    fn lock_file(&self, world: &World, path: &str) -> Arc<LockFile> {
        if let Some(found) = lock(&self.locks).get(path) {
            return found.clone();
        }
        let parsed = Arc::new(read_lock(world.source(), path));
        lock(&self.locks).insert(path.to_string(), parsed.clone());
        parsed
    }
}

/// The memoized insight of a stage; with `full`, also its status (which
/// hashes outputs too, so lenses do without it).
fn insight(world: &World, stage: &Stage, full: bool) -> Option<Arc<StageInsight>> {
    let insights = &world.insights;
    let workspace = insights.workspace(world)?;
    // The params files are parsed once per world, not once per stage.
    for params in &stage.params {
        if let Some(path) = stage.params_file_path(params) {
            world.data(&path);
        }
    }
    let files = world.parsed();
    let params: Vec<ParamsState> = stage
        .params
        .iter()
        .map(|params| state::read_params(&files, stage, params))
        .collect::<Result<_, _>>()
        .ok()?;
    let recorded_file = insights.lock_file(world, &lock_path(stage));
    let recorded = recorded_file.stages.get(&stage.name);
    let digest = digest(stage, &params);
    let key = stage.addressing();
    if let Some((known, found)) = lock(&insights.stages).get(&key) {
        if *known == digest && (!full || found.status.is_some() || found.error.is_some()) {
            return Some(found.clone());
        }
    }
    let workspace = lock(&workspace);
    let computed = Arc::new(compute(&workspace, &files, stage, params, recorded, full));
    drop(workspace);
    lock(&insights.stages).insert(key, (digest, computed.clone()));
    Some(computed)
}

fn compute(
    workspace: &Workspace,
    files: &ParsedFiles<'_>,
    stage: &Stage,
    params: Vec<ParamsState>,
    recorded: Option<&LockStage>,
    full: bool,
) -> StageInsight {
    let mut insight = StageInsight {
        recorded: recorded.is_some(),
        ..StageInsight::default()
    };
    let current = if full {
        state::read_state(workspace, files, stage, recorded)
    } else {
        inputs_only(workspace, stage, params, recorded)
    };
    let current = match current {
        Ok(current) => current,
        Err(error) => {
            insight.error = Some(error.to_string());
            return insight;
        }
    };
    if full {
        insight.status = Some(compare(workspace, stage, &current, recorded));
    }
    let facts = retort_engine::repro::run::stage_facts(stage, &current);
    if runcache::can_hash(&facts).is_ok() {
        let key = runcache::run_cache_key(&current.to_lock_stage(stage));
        insight.cached_runs = runcache::list_entries(&workspace.cache_dir, &key)
            .ok()
            .map(|entries| entries.len());
    }
    insight
}

/// The stage's dependencies and params now, with its outputs unhashed: the
/// run-cache key lists output paths only, so lenses need not hash outputs.
fn inputs_only(
    workspace: &Workspace,
    stage: &Stage,
    params: Vec<ParamsState>,
    recorded: Option<&LockStage>,
) -> Result<StageState, StateError> {
    let mut deps = Vec::new();
    for dep in &stage.deps {
        if dep.path.contains("://") {
            continue;
        }
        let relative = state::project_path(stage, &dep.path)?;
        let absolute = workspace.path(&relative);
        let algorithm = recorded
            .and_then(|entry| entry.deps.iter().find(|entry| entry.path == dep.path))
            .and_then(|entry| entry.hash.as_ref())
            .map_or(workspace.algorithm, |hash| hash.algorithm);
        let hash = state::hash_if_exists(workspace, &absolute, algorithm, None)?;
        deps.push(DepState {
            path: dep.path.clone(),
            absolute,
            hash,
        });
    }
    let mut outs = Vec::new();
    for out in stage.all_outs() {
        let relative = state::project_path(stage, &out.path)?;
        outs.push(state::OutState {
            path: out.path.clone(),
            absolute: workspace.path(&relative),
            hash: None,
            cache: out.cache,
            persist: out.persist,
            metric_or_plot: out.kind != retort_engine::pipeline::OutKind::Out,
        });
    }
    Ok(StageState { deps, params, outs })
}

/// A digest of what a stage's insight depends on besides files on disk
/// (whose changes clear the memo): its definition, without source
/// positions, and its params values, which may come from an unsaved buffer.
fn digest(stage: &Stage, params: &[ParamsState]) -> u64 {
    let mut hasher = DefaultHasher::new();
    stage.dvcfile.hash(&mut hasher);
    stage.name.hash(&mut hasher);
    stage.wdir.hash(&mut hasher);
    format!("{:?}", state::lock_cmd(&stage.cmd)).hash(&mut hasher);
    for dep in &stage.deps {
        dep.path.hash(&mut hasher);
    }
    for out in stage.all_outs() {
        (&out.path, out.cache, out.persist, format!("{:?}", out.kind)).hash(&mut hasher);
    }
    (stage.frozen, stage.always_changed).hash(&mut hasher);
    for params in params {
        (&params.file, params.exists, params.whole_file).hash(&mut hasher);
        format!("{:?}", params.values).hash(&mut hasher);
    }
    hasher.finish()
}
