//! The current state of a stage in the workspace: hashes of its dependencies and
//! outputs and the values of its tracked params, in the shape of a `dvc.lock`
//! entry so that it compares directly with the recorded one.

use std::path::PathBuf;

use indexmap::IndexMap;

use crate::files::{ParsedFiles, ReadFailure};
use crate::hash::{hash_path, HashError, HashOptions, ProgressFn};
use crate::hash_info::{HashAlgorithm, HashInfo};
use crate::lock::{self, LockOut, LockStage};
use crate::node::{Map, Node, Value};
use crate::params::lookup;
use crate::pipeline::{Cmd, Out, ParamsDep, Stage};

use super::workspace::Workspace;

/// A dependency path and its content now.
#[derive(Clone, Debug)]
pub struct DepState {
    /// As written in `dvc.yaml`, relative to the stage's working directory.
    pub path: String,
    pub absolute: PathBuf,
    /// `None` when the path does not exist.
    pub hash: Option<HashInfo>,
}

/// A params file of a stage and the tracked values in it now.
#[derive(Clone, Debug)]
pub struct ParamsState {
    /// As written, relative to the stage's working directory.
    pub file: String,
    pub exists: bool,
    pub whole_file: bool,
    /// The tracked keys, in the order `dvc.yaml` lists them (empty for a whole
    /// file).
    pub keys: Vec<String>,
    /// Tracked key (or top-level key, for a whole file) to its current value.
    /// Keys missing from the file are absent.
    pub values: IndexMap<String, Value>,
}

/// An output and its content now.
#[derive(Clone, Debug)]
pub struct OutState {
    pub path: String,
    pub absolute: PathBuf,
    pub hash: Option<HashInfo>,
    pub cache: bool,
    pub persist: bool,
    pub metric_or_plot: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("path '{path}' of stage '{stage}' points outside the project")]
    OutsideProject { stage: String, path: String },
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("unable to read params file '{path}': {reason}")]
    Params { path: String, reason: String },
}

/// What a stage looks like in the workspace now.
#[derive(Clone, Debug)]
pub struct StageState {
    pub deps: Vec<DepState>,
    pub params: Vec<ParamsState>,
    pub outs: Vec<OutState>,
}

/// The command of a stage in its `dvc.lock` form.
pub fn lock_cmd(cmd: &Cmd) -> lock::Cmd {
    match cmd {
        Cmd::Single(command) => lock::Cmd::Single(command.clone()),
        Cmd::List(commands) => lock::Cmd::List(commands.clone()),
    }
}

/// Hashes a workspace path, or returns `None` when it does not exist.
pub fn hash_if_exists(
    workspace: &Workspace,
    path: &std::path::Path,
    algorithm: HashAlgorithm,
    progress: Option<ProgressFn<'_>>,
) -> Result<Option<HashInfo>, HashError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let mut options = HashOptions::new(algorithm).with_fingerprints(&workspace.fingerprints);
    options.ignore = Some(&workspace.ignore);
    options.progress = progress;
    Ok(Some(hash_path(path, &options)?.hash_info))
}

/// Reads the stage's dependencies, params and outputs as they are now. The
/// hash of each path uses the algorithm of its recorded entry when there is one,
/// so that entries written by DVC 2 (`md5-dos2unix`) still compare equal.
pub fn read_state(
    workspace: &Workspace,
    files: &ParsedFiles<'_>,
    stage: &Stage,
    recorded: Option<&LockStage>,
) -> Result<StageState, StateError> {
    read_state_with_progress(workspace, files, stage, recorded, None)
}

/// [`read_state`], reporting hashing progress to `progress`.
pub fn read_state_with_progress(
    workspace: &Workspace,
    files: &ParsedFiles<'_>,
    stage: &Stage,
    recorded: Option<&LockStage>,
    progress: Option<ProgressFn<'_>>,
) -> Result<StageState, StateError> {
    let mut state = read_inputs(workspace, files, stage, recorded, progress)?;
    state.hash_outputs(workspace, recorded, progress)?;
    Ok(state)
}

/// Reads the stage's dependencies and params as [`read_state`] does, but not
/// its outputs, which get no hash until [`StageState::hash_outputs`]. A stage
/// whose inputs changed runs whatever its outputs are, so they need not be read.
pub fn read_inputs(
    workspace: &Workspace,
    files: &ParsedFiles<'_>,
    stage: &Stage,
    recorded: Option<&LockStage>,
    progress: Option<ProgressFn<'_>>,
) -> Result<StageState, StateError> {
    let mut deps = Vec::new();
    for dep in &stage.deps {
        if dep.path.contains("://") {
            continue;
        }
        let relative = project_path(stage, &dep.path)?;
        let absolute = workspace.path(&relative);
        let algorithm = algorithm_for(workspace, &dep.path, recorded.map(|entry| &entry.deps));
        let hash = hash_if_exists(workspace, &absolute, algorithm, progress)?;
        deps.push(DepState {
            path: dep.path.clone(),
            absolute,
            hash,
        });
    }

    let mut params = Vec::new();
    for params_dep in &stage.params {
        params.push(read_params(files, stage, params_dep)?);
    }

    let mut outs = Vec::new();
    for out in stage.all_outs() {
        let relative = project_path(stage, &out.path)?;
        let absolute = workspace.path(&relative);
        outs.push(out_state(out, absolute, None));
    }
    Ok(StageState { deps, params, outs })
}

/// The algorithm for a path: that of its recorded entry, else the project's.
fn algorithm_for(
    workspace: &Workspace,
    path: &str,
    entries: Option<&Vec<LockOut>>,
) -> HashAlgorithm {
    entries
        .and_then(|entries| entries.iter().find(|entry| entry.path == path))
        .and_then(|entry| entry.hash.as_ref())
        .map(|hash| hash.algorithm)
        .unwrap_or(workspace.algorithm)
}

fn out_state(out: &Out, absolute: PathBuf, hash: Option<HashInfo>) -> OutState {
    OutState {
        path: out.path.clone(),
        absolute,
        hash,
        cache: out.cache,
        // A checkpoint output is kept for the command to resume from.
        persist: out.persist || out.checkpoint,
        metric_or_plot: out.kind != crate::pipeline::OutKind::Out,
    }
}

pub fn project_path(stage: &Stage, path: &str) -> Result<String, StateError> {
    stage
        .resolve_path(path)
        .ok_or_else(|| StateError::OutsideProject {
            stage: stage.addressing(),
            path: path.to_string(),
        })
}

/// Reads the tracked values of one params file: each tracked key's value (a
/// glob key takes its first match, as dpath's `get` does), or every top-level
/// key when the whole file is tracked. A missing or empty file has no values.
pub fn read_params(
    files: &ParsedFiles<'_>,
    stage: &Stage,
    params: &ParamsDep,
) -> Result<ParamsState, StateError> {
    let relative = project_path(stage, &params.file)?;
    let keys: Vec<String> = params.keys.iter().map(|key| key.key.clone()).collect();
    let mut state = ParamsState {
        file: params.file.clone(),
        exists: false,
        whole_file: params.whole_file,
        keys: keys.clone(),
        values: IndexMap::new(),
    };
    let data = match files.get(&relative) {
        Ok(data) => data,
        Err(ReadFailure::Missing) => return Ok(state),
        Err(ReadFailure::IsDirectory) => {
            return Err(StateError::Params {
                path: relative,
                reason: "it is a directory, expected a params file".to_string(),
            })
        }
        Err(ReadFailure::Unreadable(reason)) => {
            return Err(StateError::Params {
                path: relative,
                reason,
            })
        }
    };
    state.exists = true;
    if let Some(error) = data.parsed.errors.first() {
        return Err(StateError::Params {
            path: relative,
            reason: format!("invalid {}: {}", data.format.name(), error.message),
        });
    }
    let empty = Node::synthetic(Value::Map(Map::new()));
    let root = data
        .parsed
        .root
        .as_ref()
        .filter(|root| !root.is_null())
        .unwrap_or(&empty);
    if params.whole_file {
        if let Some(map) = root.as_map() {
            for (key, entry) in map {
                state
                    .values
                    .insert(key.clone(), strip_spans(&entry.value).value);
            }
        }
    } else {
        for key in &keys {
            let found = if lookup::is_glob(key) {
                lookup::find(root, key)
                    .into_iter()
                    .next()
                    .map(|(_, node)| node)
            } else {
                root.get_path(key)
            };
            if let Some(node) = found {
                state.values.insert(key.clone(), strip_spans(node).value);
            }
        }
    }
    Ok(state)
}

/// Copies a value without spans, so that values read now compare equal to
/// values read from `dvc.lock`.
pub fn strip_spans(node: &Node) -> Node {
    let value = match &node.value {
        Value::List(items) => Value::List(items.iter().map(strip_spans).collect()),
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(key, entry)| {
                    (
                        key.clone(),
                        crate::node::Entry {
                            key_span: Default::default(),
                            value: strip_spans(&entry.value),
                        },
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    };
    Node::synthetic(value)
}

impl StageState {
    /// Hashes the outputs, which [`read_inputs`] left without hashes.
    pub fn hash_outputs(
        &mut self,
        workspace: &Workspace,
        recorded: Option<&LockStage>,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<(), StateError> {
        for out in &mut self.outs {
            let algorithm = algorithm_for(workspace, &out.path, recorded.map(|entry| &entry.outs));
            out.hash = hash_if_exists(workspace, &out.absolute, algorithm, progress)?;
        }
        Ok(())
    }

    /// The `dvc.lock` entry describing this state. Paths that do not exist get
    /// entries without a hash.
    pub fn to_lock_stage(&self, stage: &Stage) -> LockStage {
        let entry = |path: &str, hash: &Option<HashInfo>| LockOut {
            path: path.to_string(),
            hash: hash.clone(),
            extra: IndexMap::new(),
        };
        LockStage {
            cmd: lock_cmd(&stage.cmd),
            deps: self
                .deps
                .iter()
                .map(|dep| entry(&dep.path, &dep.hash))
                .collect(),
            params: self
                .params
                .iter()
                .map(|params| (params.file.clone(), params.values.clone()))
                .collect(),
            outs: self
                .outs
                .iter()
                .map(|out| entry(&out.path, &out.hash))
                .collect(),
        }
    }
}
