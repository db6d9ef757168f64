//! The `exp show` table (DVC's `tabulate` and `show_experiments`): one row
//! per workspace, baseline and experiment, with a column per metric, param
//! and dependency hash, sorted, filtered and shaped for CSV, Markdown or the
//! terminal.

use indexmap::{IndexMap, IndexSet};

use super::collect::{ExpRange, ExpState};
use super::data::FileResult;
use super::error::{ExpError, Result};
use super::format::{format_field, Precision};
use super::json::Json;
use super::table::TabularData;
use super::time;

pub const FIXED_HEADERS: [&str; 7] = [
    "Experiment",
    "rev",
    "typ",
    "Created",
    "parent",
    "State",
    "Executor",
];

/// How cells are made.
#[derive(Clone, Debug)]
pub struct TableOptions {
    /// `-` for tables, `""` for CSV.
    pub fill_value: String,
    pub error_value: String,
    pub precision: Precision,
    /// ISO timestamps (CSV).
    pub iso: bool,
    pub sort_by: Option<String>,
    pub descending: bool,
    /// "Now", to decide between a time and a date in the Created column.
    pub now: i64,
}

impl Default for TableOptions {
    fn default() -> TableOptions {
        TableOptions {
            fill_value: "-".into(),
            error_value: "!".into(),
            precision: Precision::Significant(5),
            iso: false,
            sort_by: None,
            descending: false,
            now: time::now(),
        }
    }
}

/// Which kind of data each column shows.
#[derive(Clone, Debug, Default)]
pub struct ColumnGroups {
    pub metrics: Vec<String>,
    pub params: Vec<String>,
    pub deps: Vec<String>,
}

/// Names of every metric and param per file (flattened), and dep paths.
#[derive(Clone, Debug, Default)]
pub struct DataNames {
    pub metrics: IndexMap<String, IndexSet<String>>,
    pub params: IndexMap<String, IndexSet<String>>,
    pub deps: IndexSet<String>,
}

/// Flattens nested objects with dotted keys, dropping empty objects, as
/// `flatten_dict` does.
pub fn flatten(value: &Json) -> Vec<(String, Json)> {
    let mut out = Vec::new();
    flatten_into(value, "", &mut out);
    out
}

fn flatten_into(value: &Json, prefix: &str, out: &mut Vec<(String, Json)>) {
    match value {
        Json::Object(entries) => {
            for (key, item) in entries {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                match item {
                    Json::Object(_) => flatten_into(item, &path, out),
                    other => out.push((path, other.clone())),
                }
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

fn file_values(result: &FileResult, path: &str) -> Vec<(String, Json)> {
    match result {
        FileResult::Data(data @ Json::Object(_)) => flatten(data),
        FileResult::Data(other) => vec![(path.to_string(), other.clone())],
        FileResult::Error(_) => Vec::new(),
    }
}

pub fn collect_names(states: &[ExpState]) -> DataNames {
    let mut names = DataNames::default();
    fn visit(state: &ExpState, names: &mut DataNames) {
        if let Some(data) = &state.data {
            for (target, files) in [
                (&mut names.metrics, &data.metrics),
                (&mut names.params, &data.params),
            ] {
                for (path, result) in files {
                    let slot = target.entry(path.clone()).or_default();
                    if let FileResult::Data(Json::Object(_)) = result {
                        for (key, _) in file_values(result, path) {
                            slot.insert(key);
                        }
                    }
                }
            }
            for (path, _) in &data.deps {
                names.deps.insert(path.clone());
            }
        }
        for range in state.experiments.iter().flatten() {
            for rev in &range.revs {
                visit(rev, names);
            }
        }
    }
    for state in states {
        visit(state, &mut names);
    }
    names
}

/// Builds the table: fixed columns, then metrics, params and sorted deps.
pub fn tabulate(
    states: &[ExpState],
    options: &TableOptions,
) -> Result<(TabularData, ColumnGroups)> {
    let names = collect_names(states);
    let mut counter: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for files in [&names.metrics, &names.params] {
        for keys in files.values() {
            for key in keys {
                *counter.entry(key.as_str()).or_default() += 1;
            }
        }
    }
    for header in FIXED_HEADERS {
        *counter.entry(header).or_default() += 1;
    }
    let counter = &counter;
    let normalize = |files: &IndexMap<String, IndexSet<String>>| -> Vec<String> {
        files
            .iter()
            .flat_map(|(path, keys)| {
                keys.iter().map(move |key| {
                    if counter.get(key.as_str()) == Some(&1) {
                        key.clone()
                    } else {
                        format!("{path}:{key}")
                    }
                })
            })
            .collect()
    };
    let mut deps: Vec<String> = names.deps.iter().cloned().collect();
    deps.sort();
    let groups = ColumnGroups {
        metrics: normalize(&names.metrics),
        params: normalize(&names.params),
        deps,
    };
    let mut headers: Vec<String> = FIXED_HEADERS
        .iter()
        .map(|header| header.to_string())
        .collect();
    headers.extend(groups.metrics.iter().cloned());
    headers.extend(groups.params.iter().cloned());
    headers.extend(groups.deps.iter().cloned());
    let mut table = TabularData::new(headers.clone(), &options.fill_value);

    let sort_column = match &options.sort_by {
        Some(sort_by) => Some(sort_column(sort_by, &names)?),
        None => None,
    };

    for baseline in states {
        let mut row = Row::new(&headers, &options.fill_value);
        row.set("Experiment", String::new());
        row.set(
            "rev",
            match &baseline.name {
                Some(name) => name.clone(),
                None if is_sha(&baseline.rev) => baseline.rev[..7].to_string(),
                None => baseline.rev.clone(),
            },
        );
        row.set("typ", "baseline".into());
        row.set("parent", String::new());
        if baseline.data.is_some() {
            row.set("Created", created(baseline, options));
            data_cells(baseline, &names, &headers, options, &mut row);
        }
        table.push_row(row.cells);

        let Some(experiments) = &baseline.experiments else {
            continue;
        };
        let experiments: Vec<&ExpRange> = match &sort_column {
            Some(column) => sort_experiments(experiments, column, options.descending),
            None => experiments.iter().collect(),
        };
        let last = experiments.len().saturating_sub(1);
        for (index, range) in experiments.iter().enumerate() {
            let Some(exp) = range.revs.first() else {
                continue;
            };
            let mut row = Row::new(&headers, &options.fill_value);
            row.set("Experiment", exp.name.clone().unwrap_or_default());
            row.set(
                "rev",
                if is_sha(&exp.rev) {
                    exp.rev[..7].to_string()
                } else {
                    exp.rev.clone()
                },
            );
            row.set(
                "typ",
                if index == last {
                    "branch_base"
                } else {
                    "branch_commit"
                }
                .into(),
            );
            row.set("parent", String::new());
            if let Some(executor) = &range.executor {
                row.set("State", capitalize(executor.state.as_str()));
                if let Some(name) = &executor.name {
                    row.set("Executor", capitalize(name));
                }
            }
            if exp.data.is_some() {
                row.set("Created", created(exp, options));
                data_cells(exp, &names, &headers, options, &mut row);
            }
            table.push_row(row.cells);
            // Checkpoints, newest first, under their experiment (DVC 2.x).
            for (back, checkpoint) in range.revs.iter().enumerate().skip(1) {
                let mut row = Row::new(&headers, &options.fill_value);
                let name = exp.name.clone().unwrap_or_default();
                row.set("Experiment", format!("{name}~{back}"));
                row.set("rev", checkpoint.rev.chars().take(7).collect());
                row.set(
                    "typ",
                    if index == last {
                        "checkpoint_base"
                    } else {
                        "checkpoint_commit"
                    }
                    .into(),
                );
                row.set("parent", String::new());
                if checkpoint.data.is_some() {
                    row.set("Created", created(checkpoint, options));
                    data_cells(checkpoint, &names, &headers, options, &mut row);
                }
                table.push_row(row.cells);
            }
        }
    }
    Ok((table, groups))
}

struct Row<'a> {
    headers: &'a [String],
    cells: Vec<String>,
}

impl<'a> Row<'a> {
    fn new(headers: &'a [String], fill: &str) -> Row<'a> {
        Row {
            headers,
            cells: vec![fill.to_string(); headers.len()],
        }
    }

    fn set(&mut self, header: &str, value: String) {
        if let Some(index) = self.headers.iter().position(|existing| existing == header) {
            self.cells[index] = value;
        }
    }
}

fn created(state: &ExpState, options: &TableOptions) -> String {
    match state.data.as_ref().and_then(|data| data.timestamp) {
        Some(timestamp) if options.iso => time::iso(timestamp),
        Some(timestamp) => time::created(timestamp, options.now),
        None => options.fill_value.clone(),
    }
}

fn data_cells(
    exp: &ExpState,
    names: &DataNames,
    headers: &[String],
    options: &TableOptions,
    row: &mut Row<'_>,
) {
    let Some(data) = &exp.data else { return };
    for (files, known) in [
        (&data.metrics, &names.metrics),
        (&data.params, &names.params),
    ] {
        for (path, result) in files {
            let values = file_values(result, path);
            let missing = if matches!(result, FileResult::Error(_)) {
                &options.error_value
            } else {
                &options.fill_value
            };
            for name in known.get(path).into_iter().flatten() {
                let text = match values.iter().find(|(key, _)| key == name) {
                    Some((_, Json::Null)) | None => missing.clone(),
                    Some((_, value)) => format_field(value, options.precision),
                };
                let header = if headers.contains(name) {
                    name.clone()
                } else {
                    format!("{path}:{name}")
                };
                row.set(&header, text);
            }
        }
    }
    for name in &names.deps {
        if let Some((_, dep)) = data.deps.iter().find(|(path, _)| path == name) {
            row.set(
                name,
                dep.hash
                    .clone()
                    .unwrap_or_else(|| options.fill_value.clone()),
            );
        }
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

fn is_sha(text: &str) -> bool {
    text.len() >= 7 && text.len() <= 40 && text.chars().all(|ch| ch.is_ascii_hexdigit())
}

/// The column `--sort-by` names: `[file:]name`, in metrics or params.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortColumn {
    pub path: String,
    pub name: String,
    pub metrics: bool,
}

fn sort_column(sort_by: &str, names: &DataNames) -> Result<SortColumn> {
    let parts: Vec<&str> = sort_by.split(':').collect();
    let mut matches: Vec<SortColumn> = Vec::new();
    let mut wanted = sort_by.to_string();
    let add = |column: SortColumn, matches: &mut Vec<SortColumn>| {
        if !matches.contains(&column) {
            matches.push(column);
        }
    };
    for split in 0..parts.len() {
        let path = parts[..split].join(":");
        let name = parts[split..].join(":");
        if path.is_empty() {
            wanted = name.clone();
        }
        for (files, metrics) in [(&names.metrics, true), (&names.params, false)] {
            if files.get(&path).is_some_and(|keys| keys.contains(&name)) {
                add(
                    SortColumn {
                        path: path.clone(),
                        name: name.clone(),
                        metrics,
                    },
                    &mut matches,
                );
            }
        }
    }
    if matches.is_empty() {
        for (files, metrics) in [(&names.metrics, true), (&names.params, false)] {
            for (path, keys) in files {
                if keys.contains(&wanted) {
                    add(
                        SortColumn {
                            path: path.clone(),
                            name: wanted.clone(),
                            metrics,
                        },
                        &mut matches,
                    );
                }
            }
        }
    }
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => {
            let known: Vec<String> = names
                .metrics
                .values()
                .chain(names.params.values())
                .flatten()
                .cloned()
                .collect();
            let suggestions = crate::suggest::closest(&wanted, known.iter().map(String::as_str), 3);
            let hint = if suggestions.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", crate::suggest::or_list(&suggestions))
            };
            Err(ExpError::InvalidArgument(format!(
                "unknown sort column '{sort_by}'{hint}"
            )))
        }
        _ => Err(ExpError::InvalidArgument(format!(
            "ambiguous sort column '{sort_by}' matches {}; prefix it with the file, as in '{}:{}'",
            matches
                .iter()
                .map(|column| format!("'{}:{}'", column.path, column.name))
                .collect::<Vec<_>>()
                .join(", "),
            matches[0].path,
            matches[0].name
        ))),
    }
}

/// Python's `sorted(key=(value is None, value))`; values that Python could not
/// compare (a string against a number) order numbers first.
fn sort_experiments<'a>(
    experiments: &'a [ExpRange],
    column: &SortColumn,
    descending: bool,
) -> Vec<&'a ExpRange> {
    let value_of = |range: &ExpRange| -> Option<Json> {
        let data = range.revs.first()?.data.as_ref()?;
        let files = if column.metrics {
            &data.metrics
        } else {
            &data.params
        };
        let (_, result) = files.iter().find(|(path, _)| *path == column.path)?;
        let FileResult::Data(data) = result else {
            return None;
        };
        flatten(data)
            .into_iter()
            .find(|(key, _)| *key == column.name)
            .map(|(_, value)| value)
    };
    let mut keyed: Vec<(Option<Json>, &ExpRange)> = experiments
        .iter()
        .map(|range| (value_of(range), range))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        let ordering = compare_values(a.as_ref(), b.as_ref());
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    keyed.into_iter().map(|(_, range)| range).collect()
}

fn compare_values(a: Option<&Json>, b: Option<&Json>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (
        a.filter(|value| !value.is_null()),
        b.filter(|value| !value.is_null()),
    ) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => match (a.as_number(), b.as_number()) {
            (Some(x), Some(y)) => x
                .as_f64()
                .partial_cmp(&y.as_f64())
                .unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => super::format::python_str(a).cmp(&super::format::python_str(b)),
        },
    }
}

/// What `show_experiments` does before rendering.
#[derive(Clone, Debug, Default)]
pub struct ShapeOptions {
    pub keep: Vec<String>,
    pub drop: Vec<String>,
    pub only_changed: bool,
    /// CSV keeps the rev, typ and parent columns; other forms merge them into
    /// the Experiment column.
    pub csv: bool,
}

/// The tree glyph in front of an experiment.
pub fn tree_glyph(typ: &str) -> &'static str {
    match typ {
        "branch_commit" => "├──",
        "branch_base" => "└──",
        "checkpoint_commit" => "│   ╟",
        "checkpoint_base" => "    ╟",
        _ => "",
    }
}

/// Applies `--keep`, `--drop` and `--only-changed`, drops empty State and
/// Executor columns, and merges the id columns. Returns the row kinds
/// (`baseline`, `branch_commit`, `branch_base`) for styling.
pub fn shape(
    table: &mut TabularData,
    options: &ShapeOptions,
) -> std::result::Result<Vec<String>, regex::Error> {
    if !options.keep.is_empty() {
        let keep = regex::Regex::new(&format!("^(?:{})", options.keep.join("|")))?;
        let protected: Vec<String> = table
            .keys()
            .iter()
            .filter(|key| keep.is_match(key))
            .cloned()
            .collect();
        for key in protected {
            table.protect(&key);
        }
    }
    for column in ["State", "Executor"] {
        if table.column_is_empty(column) {
            table.drop(&[column]);
        }
    }
    let kinds: Vec<String> = table
        .column("typ")
        .map(<[String]>::to_vec)
        .unwrap_or_default();
    if !options.csv {
        let experiment: Vec<String> = table
            .column("Experiment")
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        let revs: Vec<String> = table
            .column("rev")
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        let ids: Vec<String> = experiment
            .iter()
            .zip(&revs)
            .zip(&kinds)
            .map(|((name, rev), kind)| {
                let text = if kind == "baseline" || name.is_empty() {
                    if name.is_empty() {
                        rev.clone()
                    } else {
                        name.clone()
                    }
                } else {
                    format!("{rev} [{name}]")
                };
                match tree_glyph(kind) {
                    "" => text,
                    glyph => format!("{glyph} {text}"),
                }
            })
            .collect();
        if let Some(column) = table.column_mut("Experiment") {
            *column = ids;
        }
        table.drop(&["rev", "typ", "parent"]);
    }
    if options.only_changed {
        table.drop_unchanged_columns();
    }
    if !options.drop.is_empty() {
        let drop = regex::Regex::new(&format!("^(?:{})", options.drop.join("|")))?;
        let dropped: Vec<String> = table
            .keys()
            .iter()
            .filter(|key| drop.is_match(key))
            .cloned()
            .collect();
        let refs: Vec<&str> = dropped.iter().map(String::as_str).collect();
        table.drop(&refs);
    }
    Ok(kinds)
}
