//! Params and metrics of the workspace against a git revision, in the shape of
//! `dvc params diff --json` and `dvc metrics diff --json`: file → dotted key →
//! `{old, new, diff}`, with `diff` only for numbers and changed keys only
//! unless all are asked for.

use std::collections::BTreeMap;

use retort_engine::node::{Node, Value};
use serde_json::{json, Map as JsonMap, Value as Json};

use super::values::{scalar_entries, Revision};
use super::World;

/// Which files to compare.
#[derive(Clone, Debug, Default)]
pub struct DiffRequest {
    /// Limit the comparison to these project-relative files.
    pub only: Option<Vec<String>>,
    /// Include unchanged keys, as `--all` does.
    pub all: bool,
}

/// The comparison, as JSON objects keyed like DVC's output.
#[derive(Clone, Debug, Default)]
pub struct DiffReport {
    pub params: JsonMap<String, Json>,
    pub metrics: JsonMap<String, Json>,
}

impl DiffReport {
    pub fn changed_count(&self) -> usize {
        [&self.params, &self.metrics]
            .into_iter()
            .flat_map(|files| files.values())
            .filter_map(Json::as_object)
            .map(JsonMap::len)
            .sum()
    }
}

/// Compares params files and metrics files. `step` is called once per file
/// before it is read and may stop the comparison by returning false.
pub fn diff(
    world: &World,
    revision: &Revision,
    request: &DiffRequest,
    mut step: impl FnMut(&str) -> bool,
) -> Option<DiffReport> {
    let wanted = |path: &String| {
        request
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|item| item == path))
    };
    let mut report = DiffReport::default();
    for (files, target, is_params) in [
        (world.params_files(), &mut report.params, true),
        (world.metrics_files(), &mut report.metrics, false),
    ] {
        for file in files.iter().filter(|path| wanted(path)) {
            if !step(file) {
                return None;
            }
            let new = world.data(file);
            let old = revision.data(file);
            let rows = compare(
                old.as_ref().and_then(|data| data.root()),
                new.as_ref().and_then(|data| data.root()),
                is_params,
                request.all,
            );
            if !rows.is_empty() {
                target.insert(file.clone(), Json::Object(rows));
            }
        }
    }
    Some(report)
}

fn compare(
    old: Option<&Node>,
    new: Option<&Node>,
    is_params: bool,
    all: bool,
) -> JsonMap<String, Json> {
    let flat = |node: Option<&Node>| -> BTreeMap<String, Value> {
        node.map(|root| {
            scalar_entries(root)
                .into_iter()
                .map(|(key, node)| (key, node.value.clone()))
                .collect()
        })
        .unwrap_or_default()
    };
    let old = flat(old);
    let new = flat(new);
    let mut keys: Vec<&String> = new.keys().collect();
    for key in old.keys() {
        if !new.contains_key(key) {
            keys.push(key);
        }
    }
    let mut rows = JsonMap::new();
    for key in keys {
        let (before, after) = (old.get(key), new.get(key));
        let same = match (before, after) {
            (Some(a), Some(b)) => a.loosely_equals(b),
            _ => false,
        };
        if same && !all {
            continue;
        }
        let mut row = json!({
            "old": before.map_or(Json::Null, |value| shown(value, is_params)),
            "new": after.map_or(Json::Null, |value| shown(value, is_params)),
        });
        if let (Some(a), Some(b)) = (before, after) {
            if let Some(change) = numeric_change(a, b) {
                row["diff"] = change;
            }
        }
        rows.insert(key.clone(), row);
    }
    rows
}

/// DVC shows params lists as their Python text and metrics as JSON values.
fn shown(value: &Value, is_params: bool) -> Json {
    match value {
        Value::List(_) | Value::Map(_) if is_params => Json::String(value.to_python_str()),
        other => other.to_json(),
    }
}

/// `new - old` for two numbers (booleans are not numbers here): an integer
/// when both are integers.
fn numeric_change(old: &Value, new: &Value) -> Option<Json> {
    match (old, new) {
        (Value::Int(a), Value::Int(b)) => Some(json!(b.wrapping_sub(*a))),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            let change = new.as_f64()? - old.as_f64()?;
            serde_json::Number::from_f64(change).map(Json::Number)
        }
        _ => None,
    }
}
