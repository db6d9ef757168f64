//! What changed in each stage since `dvc.lock` recorded it, classified the way
//! `dvc status` reports it.

use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use crate::hash_info::HashInfo;
use crate::lock::{LockOut, LockStage};
use crate::node::Value;
use crate::pipeline::Stage;

use super::state::StageState;
use super::workspace::Workspace;

/// The state of one path compared with its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryStatus {
    New,
    Modified,
    Deleted,
    /// The recorded hash is known but the cache has no object for it.
    NotInCache,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::New => "new",
            EntryStatus::Modified => "modified",
            EntryStatus::Deleted => "deleted",
            EntryStatus::NotInCache => "not in cache",
        }
    }
}

/// A changed dependency: a path, or a params file with changed keys.
#[derive(Clone, Debug, PartialEq)]
pub enum DepChange {
    Path(EntryStatus),
    /// The whole params file is new or deleted.
    ParamsFile(EntryStatus),
    /// Changed keys of a params file.
    Params(IndexMap<String, EntryStatus>),
}

/// Everything that changed in one stage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageStatus {
    pub stage: String,
    /// Keyed by the path as written (params files by their file name).
    pub changed_deps: IndexMap<String, DepChange>,
    pub changed_outs: IndexMap<String, EntryStatus>,
    pub always_changed: bool,
    pub changed_command: bool,
}

impl StageStatus {
    pub fn is_changed(&self) -> bool {
        !self.changed_deps.is_empty()
            || !self.changed_outs.is_empty()
            || self.always_changed
            || self.changed_command
    }

    /// Whether only missing outputs make the stage changed, which a checkout
    /// from the cache fixes without running it.
    pub fn only_outputs_missing(&self) -> bool {
        self.changed_deps.is_empty()
            && !self.always_changed
            && !self.changed_command
            && self
                .changed_outs
                .values()
                .all(|status| matches!(status, EntryStatus::Deleted | EntryStatus::Modified))
    }

    /// The entry of `dvc status --json` for this stage.
    pub fn to_json(&self) -> Json {
        let mut items = Vec::new();
        if !self.changed_deps.is_empty() {
            let deps: serde_json::Map<String, Json> = self
                .changed_deps
                .iter()
                .map(|(path, change)| {
                    let value = match change {
                        DepChange::Path(status) | DepChange::ParamsFile(status) => {
                            json!(status.as_str())
                        }
                        DepChange::Params(keys) => Json::Object(
                            keys.iter()
                                .map(|(key, status)| (key.clone(), json!(status.as_str())))
                                .collect(),
                        ),
                    };
                    (path.clone(), value)
                })
                .collect();
            items.push(json!({ "changed deps": deps }));
        }
        if !self.changed_outs.is_empty() {
            let outs: serde_json::Map<String, Json> = self
                .changed_outs
                .iter()
                .map(|(path, status)| (path.clone(), json!(status.as_str())))
                .collect();
            items.push(json!({ "changed outs": outs }));
        }
        if self.always_changed {
            items.push(json!("always changed"));
        }
        if self.changed_command {
            items.push(json!("changed command"));
        }
        Json::Array(items)
    }
}

/// Compares a stage's current state with its recorded entry, following DVC:
/// a frozen stage's dependencies are not checked; a stage with no dependencies
/// and no outputs, or marked `always_changed`, is always changed; the command
/// counts as changed only when there is a record to compare with.
pub fn compare(
    workspace: &Workspace,
    stage: &Stage,
    state: &StageState,
    recorded: Option<&LockStage>,
) -> StageStatus {
    let mut status = StageStatus {
        stage: stage.addressing(),
        ..StageStatus::default()
    };
    let find = |entries: Option<&Vec<LockOut>>, path: &str| -> Option<HashInfo> {
        entries?
            .iter()
            .find(|entry| entry.path == path)
            .and_then(|entry| entry.hash.clone())
    };

    if !stage.frozen {
        for dep in &state.deps {
            let recorded_hash = find(recorded.map(|entry| &entry.deps), &dep.path);
            let change = match (&dep.hash, &recorded_hash) {
                (None, _) => Some(EntryStatus::Deleted),
                (Some(current), Some(old)) if same_content(current, old) => None,
                (Some(_), _) => Some(EntryStatus::Modified),
            };
            if let Some(change) = change {
                status
                    .changed_deps
                    .insert(dep.path.clone(), DepChange::Path(change));
            }
        }
        for params in &state.params {
            let recorded_values = recorded.and_then(|entry| entry.params.get(&params.file));
            if !params.exists {
                status.changed_deps.insert(
                    params.file.clone(),
                    DepChange::ParamsFile(EntryStatus::Deleted),
                );
                continue;
            }
            let Some(recorded_values) = recorded_values else {
                status
                    .changed_deps
                    .insert(params.file.clone(), DepChange::ParamsFile(EntryStatus::New));
                continue;
            };
            let keys: Vec<String> = if params.whole_file {
                let mut keys: Vec<String> = params.values.keys().cloned().collect();
                for key in recorded_values.keys() {
                    if !keys.contains(key) {
                        keys.push(key.clone());
                    }
                }
                keys
            } else {
                params.keys.clone()
            };
            let mut changed = IndexMap::new();
            for key in keys {
                let change = match (params.values.get(&key), recorded_values.get(&key)) {
                    (None, _) => Some(EntryStatus::Deleted),
                    (Some(_), None) => Some(EntryStatus::New),
                    (Some(current), Some(old)) if !current.loosely_equals(old) => {
                        Some(EntryStatus::Modified)
                    }
                    _ => None,
                };
                if let Some(change) = change {
                    changed.insert(key, change);
                }
            }
            if !changed.is_empty() {
                status
                    .changed_deps
                    .insert(params.file.clone(), DepChange::Params(changed));
            }
        }
    }

    for out in &state.outs {
        let recorded_hash = find(recorded.map(|entry| &entry.outs), &out.path);
        let change = match (&out.hash, &recorded_hash) {
            (_, Some(old)) if out.cache && !workspace.cache.contains(old) => {
                Some(EntryStatus::NotInCache)
            }
            (None, _) => Some(EntryStatus::Deleted),
            (Some(current), Some(old)) if same_content(current, old) => None,
            (Some(_), _) => Some(EntryStatus::Modified),
        };
        if let Some(change) = change {
            status.changed_outs.insert(out.path.clone(), change);
        }
    }

    // A stage with a command but no dependencies and no outputs is a "callback
    // stage" in DVC, which always runs; params count as dependencies.
    let has_inputs_or_outputs =
        !stage.deps.is_empty() || !stage.params.is_empty() || stage.all_outs().next().is_some();
    status.always_changed = stage.always_changed || !has_inputs_or_outputs;
    status.changed_command =
        recorded.is_some_and(|entry| entry.cmd != super::state::lock_cmd(&stage.cmd));
    status
}

/// Hashes match when the algorithm and value are the same; size and file count
/// are not part of the identity.
pub fn same_content(a: &HashInfo, b: &HashInfo) -> bool {
    a.algorithm == b.algorithm && a.value == b.value
}

/// The values a params entry had, for messages.
pub fn describe_value(value: Option<&Value>) -> String {
    match value {
        Some(value) => crate::pyfmt::python_repr(value),
        None => "-".to_string(),
    }
}
