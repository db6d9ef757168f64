//! Builds a [`Stage`] from a resolved stage mapping, applying DVC's merging rules
//! for `params` and for repeated output paths.

use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::node::{Node, Value};
use crate::paths;
use crate::pyfmt;

use super::context::TrackedVars;
use super::model::{Cmd, Out, OutKind, ParamKey, ParamsDep, PathEntry, Stage, StageSpans};

/// The plot properties DVC splits off a plots output's flags.
const PLOT_PROPS: &[&str] = &[
    "template", "x", "y", "x_label", "y_label", "title", "header",
];

/// What a stage is built from.
pub struct StageInput<'a> {
    pub name: String,
    pub group: Option<String>,
    pub dvcfile: &'a str,
    /// The directory of the `dvc.yaml`, project-relative.
    pub dir: &'a str,
    pub resolved: &'a Node,
    pub name_span: crate::text::Span,
    pub tracked_vars: TrackedVars,
}

/// Builds the stage, or returns the diagnostics that stop DVC from loading it.
pub fn build_stage(input: StageInput<'_>) -> Result<Stage, Vec<Diagnostic>> {
    let file = input.dvcfile;
    let mut problems = Vec::new();
    let Some(map) = input.resolved.as_map() else {
        return Err(vec![Diagnostic::error(
            file,
            input.resolved.span,
            "wrong-type",
            format!("stage '{}' must be a mapping of stage keys", input.name),
        )]);
    };
    let span_of = |key: &str| map.get(key).map(|entry| entry.value.span);

    let cmd = match map.get("cmd").map(|entry| &entry.value) {
        Some(Node {
            value: Value::Str(command),
            ..
        }) => Cmd::Single(command.clone()),
        Some(Node {
            value: Value::List(items),
            ..
        }) => Cmd::List(
            items
                .iter()
                .map(|item| pyfmt::python_str(&item.value))
                .collect(),
        ),
        _ => Cmd::Single(String::new()),
    };

    let wdir_text = map
        .get("wdir")
        .and_then(|entry| entry.value.as_str())
        .unwrap_or(".");
    let wdir = match paths::join_normalized(input.dir, wdir_text) {
        Some(wdir) => wdir,
        None => {
            problems.push(Diagnostic::error(
                file,
                span_of("wdir").unwrap_or(input.name_span),
                "path-outside-project",
                format!(
                    "wdir '{wdir_text}' of stage '{}' points outside the project; use a directory inside it",
                    input.name
                ),
            ));
            input.dir.to_string()
        }
    };

    let deps = match map.get("deps") {
        Some(entry) => path_list(&entry.value),
        None => Vec::new(),
    };

    let params = match map.get("params") {
        Some(entry) => merge_params(&entry.value, file, &mut problems),
        None => Vec::new(),
    };

    let mut outs_by_kind = Vec::new();
    for (key, kind) in [
        ("outs", OutKind::Out),
        ("metrics", OutKind::Metric),
        ("plots", OutKind::Plot),
    ] {
        let outs = match map.get(key) {
            Some(entry) => merge_outs(&entry.value, kind, file, &mut problems),
            None => Vec::new(),
        };
        outs_by_kind.push(outs);
    }
    let plots = outs_by_kind.pop().unwrap_or_default();
    let metrics = outs_by_kind.pop().unwrap_or_default();
    let outs = outs_by_kind.pop().unwrap_or_default();

    let flag = |key: &str| {
        map.get(key)
            .and_then(|entry| entry.value.as_bool())
            .unwrap_or(false)
    };
    let desc = map
        .get("desc")
        .and_then(|entry| entry.value.as_str())
        .map(str::to_string);
    let meta = map.get("meta").map(|entry| entry.value.value.clone());

    if !problems.is_empty() {
        return Err(problems);
    }

    Ok(Stage {
        name: input.name,
        group: input.group,
        dvcfile: input.dvcfile.to_string(),
        cmd,
        wdir,
        deps,
        params,
        outs,
        metrics,
        plots,
        frozen: flag("frozen"),
        always_changed: flag("always_changed"),
        desc,
        meta,
        tracked_vars: input.tracked_vars,
        spans: StageSpans {
            name: input.name_span,
            definition: input.resolved.span,
            cmd: span_of("cmd").unwrap_or(input.name_span),
            deps: span_of("deps"),
            params: span_of("params"),
            outs: span_of("outs"),
            metrics: span_of("metrics"),
            plots: span_of("plots"),
            wdir: span_of("wdir"),
        },
    })
}

fn path_list(node: &Node) -> Vec<PathEntry> {
    node.as_list()
        .unwrap_or_default()
        .iter()
        .map(|item| PathEntry {
            path: pyfmt::python_str(&item.value),
            span: item.span,
        })
        .collect()
}

/// Applies DVC's `params` merging: bare keys go to `params.yaml` unless that
/// file is tracked whole; a file listed with no keys is tracked whole and its
/// separate keys are dropped; files keep the order of first appearance.
fn merge_params(node: &Node, file: &str, problems: &mut Vec<Diagnostic>) -> Vec<ParamsDep> {
    let items = node.as_list().unwrap_or_default();
    let is_whole = |value: &Node| match &value.value {
        Value::Null => true,
        Value::List(items) => items.is_empty(),
        Value::Map(map) => map.is_empty(),
        Value::Str(text) => text.is_empty(),
        Value::Bool(flag) => !flag,
        Value::Int(number) => *number == 0,
        Value::Float(number) => *number == 0.0,
    };
    let mut wholly_tracked: Vec<&str> = Vec::new();
    for item in items {
        if let Some(map) = item.as_map() {
            for (path, entry) in map {
                if is_whole(&entry.value) {
                    wholly_tracked.push(path);
                }
            }
        }
    }

    let mut merged: IndexMap<String, ParamsDep> = IndexMap::new();
    for item in items {
        match &item.value {
            Value::Str(key) => {
                if wholly_tracked.contains(&"params.yaml") {
                    continue;
                }
                let dep = merged
                    .entry("params.yaml".to_string())
                    .or_insert_with(|| ParamsDep {
                        file: "params.yaml".to_string(),
                        keys: Vec::new(),
                        whole_file: false,
                        span: item.span,
                    });
                dep.keys.push(ParamKey {
                    key: key.clone(),
                    span: item.span,
                });
            }
            Value::Map(map) => {
                for (path, entry) in map {
                    let dep = merged.entry(path.clone()).or_insert_with(|| ParamsDep {
                        file: path.clone(),
                        keys: Vec::new(),
                        whole_file: false,
                        span: entry.key_span,
                    });
                    if wholly_tracked.contains(&path.as_str()) {
                        dep.keys.clear();
                        dep.whole_file = true;
                        continue;
                    }
                    match &entry.value.value {
                        Value::List(keys) => dep.keys.extend(keys.iter().map(|key| ParamKey {
                            key: pyfmt::python_str(&key.value),
                            span: key.span,
                        })),
                        other => problems.push(Diagnostic::error(
                            file,
                            entry.value.span,
                            "wrong-type",
                            format!(
                                "Expected list of params for custom params file '{path}', got '{}'; list the keys, or leave it empty to track the whole file",
                                other.type_name()
                            ),
                        )),
                    }
                }
            }
            other => problems.push(Diagnostic::error(
                file,
                item.span,
                "wrong-type",
                format!(
                    "Only list of str/dict is supported in 'params'. Got: '{}'",
                    other.type_name()
                ),
            )),
        }
    }
    merged.into_values().collect()
}

/// Merges an outputs list as DVC does: a path listed twice is one output whose
/// flags are combined, in the order of first appearance.
fn merge_outs(node: &Node, kind: OutKind, file: &str, problems: &mut Vec<Diagnostic>) -> Vec<Out> {
    let mut merged: IndexMap<String, Out> = IndexMap::new();
    for item in node.as_list().unwrap_or_default() {
        match &item.value {
            Value::Map(map) => {
                for (path, entry) in map {
                    let out = merged
                        .entry(path.clone())
                        .or_insert_with(|| Out::new(path.clone(), kind, entry.key_span));
                    match entry.value.as_map() {
                        Some(flags) => apply_flags(out, flags),
                        None => problems.push(Diagnostic::error(
                            file,
                            entry.value.span,
                            "wrong-type",
                            format!(
                                "Expected dict for '{path}', got: '{}'; give the output's flags as a mapping",
                                entry.value.value.type_name()
                            ),
                        )),
                    }
                }
            }
            other => {
                let path = pyfmt::python_str(other);
                merged
                    .entry(path.clone())
                    .or_insert_with(|| Out::new(path, kind, item.span));
            }
        }
    }
    merged.into_values().collect()
}

fn apply_flags(out: &mut Out, flags: &crate::node::Map) {
    for (key, entry) in flags {
        let value = &entry.value.value;
        if out.kind == OutKind::Plot && PLOT_PROPS.contains(&key.as_str()) {
            out.plot_props.insert(key.clone(), value.clone());
            continue;
        }
        match (key.as_str(), value) {
            ("cache", Value::Bool(flag)) => out.cache = *flag,
            ("persist", Value::Bool(flag)) => out.persist = *flag,
            ("push", Value::Bool(flag)) => out.push = *flag,
            ("checkpoint", Value::Bool(flag)) => out.checkpoint = *flag,
            ("remote", Value::Str(remote)) => out.remote = Some(remote.clone()),
            ("desc", Value::Str(desc)) => out.desc = Some(desc.clone()),
            ("type", Value::Str(kind)) => out.type_ = Some(kind.clone()),
            ("labels", Value::List(labels)) => {
                out.labels = Some(
                    labels
                        .iter()
                        .map(|label| pyfmt::python_str(&label.value))
                        .collect(),
                )
            }
            ("meta", value) => out.meta = Some(value.clone()),
            _ => {}
        }
    }
}
