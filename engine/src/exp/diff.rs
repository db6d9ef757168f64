//! Differences of params and metrics between two revisions (DVC's
//! `utils/diff.py` and `compare.diff_table`), for `exp diff`, `params diff`
//! and `metrics diff`: per file, per flattened key, the old and new values and,
//! when both are numbers, `new - old`.

use super::data::FileResult;
use super::format::{format_field, python_str, Precision};
use super::json::Json;
use super::show::flatten;
use super::table::TabularData;

/// One changed (or, with `all`, unchanged) value.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub old: Json,
    pub new: Json,
    /// `new - old` when both are numbers.
    pub diff: Option<Json>,
}

/// File → key → change, files and keys sorted.
pub type Diff = Vec<(String, Vec<(String, Change)>)>;

/// DVC's `format_dict`: lists become their Python text, recursively in dicts.
fn format_lists(value: &Json) -> Json {
    match value {
        Json::Object(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, item)| (key.clone(), format_lists(item)))
                .collect(),
        ),
        Json::List(_) => Json::Str(python_str(value)),
        other => other.clone(),
    }
}

/// Compares the params or metrics files of two revisions.
pub fn diff(
    old: &[(String, FileResult)],
    new: &[(String, FileResult)],
    with_unchanged: bool,
) -> Diff {
    let mut paths: Vec<&String> = old.iter().chain(new).map(|(path, _)| path).collect();
    paths.sort();
    paths.dedup();
    let data_of = |files: &[(String, FileResult)], path: &str| -> Option<Json> {
        files
            .iter()
            .find(|(existing, _)| existing == path)
            .and_then(|(_, result)| match result {
                FileResult::Data(data) => Some(format_lists(data)),
                FileResult::Error(_) => None,
            })
    };
    let mut result = Vec::new();
    for path in paths {
        let old_data = data_of(old, path);
        let new_data = data_of(new, path);
        let changes = diff_file(old_data.as_ref(), new_data.as_ref(), with_unchanged);
        if !changes.is_empty() {
            result.push((path.clone(), changes));
        }
    }
    result
}

fn diff_file(
    old: Option<&Json>,
    new: Option<&Json>,
    with_unchanged: bool,
) -> Vec<(String, Change)> {
    let is_object = |value: Option<&Json>| matches!(value, Some(Json::Object(_)));
    if is_object(old) || is_object(new) {
        let flat = |value: Option<&Json>| -> Option<Vec<(String, Json)>> {
            match value {
                None | Some(Json::Null) => Some(Vec::new()),
                Some(object @ Json::Object(entries)) if !entries.is_empty() => {
                    Some(flatten(object))
                }
                Some(Json::Object(_)) => Some(Vec::new()),
                Some(_) => None,
            }
        };
        let unparsable = Json::str("unable to parse");
        let (old_flat, new_flat) = (flat(old), flat(new));
        let lookup = |flat: &Option<Vec<(String, Json)>>, key: &str| -> Json {
            match flat {
                Some(entries) => entries
                    .iter()
                    .find(|(existing, _)| existing == key)
                    .map(|(_, value)| value.clone())
                    .unwrap_or(Json::Null),
                None => unparsable.clone(),
            }
        };
        let mut keys: Vec<String> = old_flat
            .iter()
            .chain(&new_flat)
            .flatten()
            .map(|(key, _)| key.clone())
            .collect();
        keys.sort();
        keys.dedup();
        return keys
            .into_iter()
            .filter_map(|key| {
                let change = diff_values(
                    lookup(&old_flat, &key),
                    lookup(&new_flat, &key),
                    with_unchanged,
                )?;
                Some((key, change))
            })
            .collect();
    }
    let value = |side: Option<&Json>| side.cloned().unwrap_or_else(Json::object);
    match diff_values(value(old), value(new), with_unchanged) {
        Some(change) => vec![(String::new(), change)],
        None => Vec::new(),
    }
}

fn diff_values(old: Json, new: Json, with_unchanged: bool) -> Option<Change> {
    if !with_unchanged && python_eq(&old, &new) {
        return None;
    }
    let diff = match (old.as_number(), new.as_number()) {
        (Some(before), Some(after)) => Some(after.minus(before)),
        _ => None,
    };
    Some(Change { old, new, diff })
}

/// Python's `==` on JSON-like values: `1 == 1.0 == True`.
pub fn python_eq(a: &Json, b: &Json) -> bool {
    match (a.as_number(), b.as_number()) {
        (Some(x), Some(y)) => return x.as_f64() == y.as_f64(),
        (Some(_), None) | (None, Some(_)) => return false,
        _ => {}
    }
    match (a, b) {
        (Json::List(x), Json::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| python_eq(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(key, value)| {
                    y.iter()
                        .any(|(other, other_value)| other == key && python_eq(value, other_value))
                })
        }
        _ => a == b,
    }
}

/// The JSON form: `{file: {key: {"old", "new", "diff"?}}}`.
pub fn diff_json(diff: &Diff) -> Json {
    Json::Object(
        diff.iter()
            .map(|(path, changes)| {
                (
                    path.clone(),
                    Json::Object(
                        changes
                            .iter()
                            .map(|(key, change)| {
                                let mut entry = Json::object()
                                    .with("old", change.old.clone())
                                    .with("new", change.new.clone());
                                if let Some(diff) = &change.diff {
                                    entry.insert("diff", diff.clone());
                                }
                                (key.clone(), entry)
                            })
                            .collect(),
                    ),
                )
            })
            .collect(),
    )
}

/// How a diff table looks.
#[derive(Clone, Debug)]
pub struct DiffTableOptions {
    /// `Metric` or `Param`.
    pub title: String,
    pub a_rev: String,
    pub b_rev: String,
    pub no_path: bool,
    pub show_changes: bool,
    pub precision: Precision,
    /// Text for a change that has no numeric difference (`exp diff` says
    /// `diff not supported`; the others show `-`).
    pub on_empty_diff: Option<String>,
}

/// DVC's `diff_table`.
pub fn diff_table(diff: &Diff, options: &DiffTableOptions) -> TabularData {
    let headers = vec![
        "Path".to_string(),
        options.title.clone(),
        options.a_rev.clone(),
        options.b_rev.clone(),
        "Change".to_string(),
    ];
    let fill = "-";
    let mut table = TabularData::new(headers, fill);
    let cell = |value: &Json| -> String {
        if value.is_null() {
            fill.to_string()
        } else {
            format_field(value, options.precision)
        }
    };
    for (path, changes) in diff {
        for (key, change) in changes {
            let change_text = match (&change.diff, &options.on_empty_diff) {
                (Some(diff), _) => cell(diff),
                (None, Some(text)) => text.clone(),
                (None, None) => fill.to_string(),
            };
            table.push_row(vec![
                path.clone(),
                key.clone(),
                cell(&change.old),
                cell(&change.new),
                change_text,
            ]);
        }
    }
    if options.no_path {
        table.drop(&["Path"]);
    }
    if !options.show_changes {
        table.drop(&["Change"]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_differences_and_others_do_not() {
        let old = vec![(
            "m.json".to_string(),
            FileResult::Data(
                Json::parse(r#"{"acc": 0.51, "name": "m", "n": 1, "l": [1, 2]}"#).unwrap(),
            ),
        )];
        let new = vec![(
            "m.json".to_string(),
            FileResult::Data(
                Json::parse(r#"{"acc": 0.53, "name": "m", "n": 1.0, "l": [1, 3], "extra": true}"#)
                    .unwrap(),
            ),
        )];
        let changed = diff(&old, &new, false);
        // `dvc metrics diff --json` printed 0.020000000000000018 for 0.51 -> 0.53.
        assert_eq!(
            diff_json(&changed).dumps(),
            r#"{"m.json": {"acc": {"old": 0.51, "new": 0.53, "diff": 0.020000000000000018}, "extra": {"old": null, "new": true}, "l": {"old": "[1, 2]", "new": "[1, 3]"}}}"#
        );
        let all = diff(&old, &new, true);
        assert_eq!(all[0].1.len(), 5);
    }
}
