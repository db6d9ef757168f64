//! Which params DVC shows for a revision (`exp show`, `params diff`): the keys
//! stages track in their params files, every top-level `params` file whole,
//! the root `params.yaml` whole, and values that stages read through
//! templating from other files.

use indexmap::IndexMap;

use crate::exp::json::Json;
use crate::node::{Node, Value};
use crate::paths;
use crate::project::Project;

use super::lookup;

/// One params file to read and the keys to keep (all of them when empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamsFile {
    pub path: String,
    pub keys: Vec<String>,
}

/// The params files of a project after DVC's merging: a file that any source
/// tracks whole is read whole; otherwise the tracked keys of every stage are
/// combined. With `deps_only`, only stage params count.
pub fn params_files(
    project: &Project,
    deps_only: bool,
    root_params_exists: bool,
) -> Vec<ParamsFile> {
    let mut sources: Vec<(String, Vec<String>)> = Vec::new();
    for stage in project.stages() {
        for dep in &stage.params {
            let Some(path) = stage.params_file_path(dep) else {
                continue;
            };
            let keys = if dep.whole_file {
                Vec::new()
            } else {
                dep.keys.iter().map(|key| key.key.clone()).collect()
            };
            sources.push((path, keys));
        }
    }
    if !deps_only {
        for file in &project.files {
            for entry in &file.top.params {
                if let Some(path) = paths::join_normalized(&file.dir, &entry.path) {
                    sources.push((path, Vec::new()));
                }
            }
        }
        if root_params_exists {
            sources.push(("params.yaml".to_string(), Vec::new()));
        }
    }
    let whole: std::collections::HashSet<String> = sources
        .iter()
        .filter(|(_, keys)| keys.is_empty())
        .map(|(path, _)| path.clone())
        .collect();
    let mut merged: IndexMap<String, Vec<String>> = IndexMap::new();
    for (path, keys) in sources {
        let slot = merged.entry(path.clone()).or_default();
        if whole.contains(&path) {
            slot.clear();
        } else {
            for key in keys {
                if !slot.contains(&key) {
                    slot.push(key);
                }
            }
        }
    }
    merged
        .into_iter()
        .map(|(path, keys)| ParamsFile { path, keys })
        .collect()
}

/// The values of a params file that a list of tracked keys selects, nested as
/// in the file (dpath `search` + `merge`). Missing keys are left out.
pub fn select(root: &Node, keys: &[String]) -> Json {
    if keys.is_empty() {
        return Json::from_node(root);
    }
    let mut selected = Json::object();
    for key in keys {
        for (path, node) in lookup::find(root, key) {
            let parts: Vec<&str> = path.split('.').collect();
            merge_at(&mut selected, &parts, Json::from_node(node));
        }
    }
    selected
}

fn merge_at(target: &mut Json, parts: &[&str], value: Json) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    if !matches!(target, Json::Object(_)) {
        *target = Json::object();
    }
    let Json::Object(entries) = target else {
        return;
    };
    let index = match entries.iter().position(|(key, _)| key == first) {
        Some(index) => index,
        None => {
            entries.push((first.to_string(), Json::object()));
            entries.len() - 1
        }
    };
    if rest.is_empty() {
        entries[index].1 = value;
    } else {
        merge_at(&mut entries[index].1, rest, value);
    }
}

/// Values stages read through `${...}` from files that are not already
/// shown: file → flat dotted key → value, in order of first use.
pub fn tracked_vars(project: &Project, shown: &[String]) -> Vec<(String, Json)> {
    let mut found: IndexMap<String, Vec<(String, Json)>> = IndexMap::new();
    for stage in project.stages() {
        for (file, vars) in &stage.tracked_vars {
            if shown.contains(file) {
                continue;
            }
            let slot = found.entry(file.clone()).or_default();
            for (key, value) in vars {
                let value = Json::from_value(value);
                match slot.iter_mut().find(|(existing, _)| existing == key) {
                    Some(entry) => entry.1 = value,
                    None => slot.push((key.clone(), value)),
                }
            }
        }
    }
    found
        .into_iter()
        .map(|(file, vars)| (file, Json::Object(vars)))
        .collect()
}

/// A value tree from a parsed file, with a null root for an empty file.
pub fn root_json(root: Option<&Node>) -> Json {
    root.map(Json::from_node).unwrap_or(Json::Null)
}

/// Whether a value is a mapping, which params files must be at the top.
pub fn is_mapping(node: &Node) -> bool {
    matches!(node.value, Value::Map(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::yaml;

    #[test]
    fn tracked_keys_are_kept_nested_in_tracked_order() {
        let root = yaml::parse("train:\n  lr: 0.1\n  epochs: 3\n  other: x\nseed: 1\n")
            .root
            .unwrap();
        let keys = vec![
            "train.epochs".to_string(),
            "train.lr".to_string(),
            "missing.key".to_string(),
        ];
        assert_eq!(
            select(&root, &keys).dumps(),
            r#"{"train": {"epochs": 3, "lr": 0.1}}"#
        );
    }
}
