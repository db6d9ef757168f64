//! Metrics as DVC 3 reads them: which files are metrics (every stage `metrics`
//! output plus the top-level `metrics` list of each `dvc.yaml`) and which values
//! count (numbers, strings and booleans; lists and nulls are dropped).

use crate::exp::json::Json;
use crate::node::{Node, Value};
use crate::paths;
use crate::project::Project;

/// The metrics files of a project, project-relative, in DVC's order: stage
/// metrics outputs first (stage by stage), then each file's top-level list.
/// Directories are expanded by the caller, which knows where files live.
pub fn metric_paths(project: &Project) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for stage in project.stages() {
        for metric in &stage.metrics {
            if let Some(path) = stage.resolve_path(&metric.path) {
                found.push(path);
            }
        }
    }
    for file in &project.files {
        for entry in &file.top.metrics {
            if let Some(path) = paths::join_normalized(&file.dir, &entry.path) {
                found.push(path);
            }
        }
    }
    distinct(found)
}

/// Keeps the first occurrence of each path.
pub fn distinct(items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}

/// The metric values of a loaded file: scalars are kept, mappings are walked,
/// and anything else (lists, nulls) is dropped, with empty mappings dropped
/// too. A file with nothing left gives `{}`.
pub fn extract(root: Option<&Node>) -> Json {
    match root.and_then(|node| extract_value(&node.value)) {
        Some(Json::Object(entries)) if entries.is_empty() => Json::object(),
        Some(value) => value,
        None => Json::object(),
    }
}

fn extract_value(value: &Value) -> Option<Json> {
    match value {
        Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) => {
            Some(Json::from_value(value))
        }
        Value::Map(map) => {
            let mut entries = Vec::new();
            for (key, entry) in map {
                match extract_value(&entry.value.value) {
                    None => {}
                    Some(Json::Object(inner)) if inner.is_empty() => {}
                    Some(kept) => entries.push((key.clone(), kept)),
                }
            }
            Some(Json::Object(entries))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::yaml;

    #[test]
    fn lists_and_nulls_are_dropped() {
        let parsed = yaml::parse("acc: 0.5\nhist: [1, 2]\nnothing: null\nname: m\nok: true\nnested: {a: [1], b: 2}\nempty: {x: null}\n");
        assert_eq!(
            extract(parsed.root.as_ref()).dumps(),
            r#"{"acc": 0.5, "name": "m", "ok": true, "nested": {"b": 2}}"#
        );
        assert_eq!(extract(yaml::parse("[1, 2]").root.as_ref()).dumps(), "{}");
    }
}
