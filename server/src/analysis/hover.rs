//! Hover text, in Markdown: values of params keys in the workspace and at
//! `HEAD`, stage summaries with their latest metrics, the current values of
//! metrics and plots files, sizes of dependencies and outputs, and where a
//! `${...}` value comes from.

use std::fmt::Write;

use retort_engine::files::FileKind;
use retort_engine::node::Value;
use retort_engine::pipeline::context::CtxValue;
use retort_engine::pipeline::{Definition, DefinitionKind, OutKind, PipelineFile, Stage};
use retort_engine::text::Span;

use super::locate::{target_at, Target};
use super::navigation::{context_value, expression_definition, stages_using_param};
use super::values::{scalar_entries, short_value, truncate};
use super::World;
use crate::integration;

/// Hover content and the span it applies to.
#[derive(Clone, Debug, PartialEq)]
pub struct HoverInfo {
    pub span: Span,
    pub markdown: String,
}

/// How many metric rows a hover lists before summarizing the rest.
const METRIC_ROWS: usize = 12;

pub fn hover(world: &World, file: &str, offset: usize) -> Option<HoverInfo> {
    let target = target_at(world, file, offset)?;
    let span = target.span();
    let markdown = match &target {
        Target::ParamKey { file, key, .. } => param_hover(world, file, key),
        Target::ParamsFile { file, .. } => params_file_hover(world, file),
        Target::StageName { file, definition } => stage_hover(world, file, definition),
        Target::Dep { path, .. } => path_hover(world, path, "dependency"),
        Target::Out {
            path, kind, stage, ..
        } => out_hover(world, path, *kind, Some(stage)),
        Target::TopFile { path, kind, .. } => out_hover(world, path, *kind, None),
        Target::Expression {
            file,
            path,
            definition,
            ..
        } => expression_hover(world, file, path, *definition),
    }?;
    Some(HoverInfo { span, markdown })
}

fn param_hover(world: &World, file: &str, key: &str) -> Option<String> {
    let mut text = format!("**`{key}`** in `{file}`\n\n");
    let workspace = world.data(file).and_then(|data| {
        data.root()
            .and_then(|root| root.get_path(key))
            .map(|node| node.value.clone())
    });
    let head = world.head.as_ref().and_then(|head| {
        head.data(file).and_then(|data| {
            data.root()
                .and_then(|root| root.get_path(key))
                .map(|node| node.value.clone())
        })
    });
    text.push_str("| | value |\n|---|---|\n");
    let _ = writeln!(text, "| workspace | {} |", cell(workspace.as_ref()));
    if let Some(revision) = &world.head {
        let changed = match (&workspace, &head) {
            (Some(now), Some(then)) if !now.loosely_equals(then) => " (changed)",
            (Some(_), None) => " (new)",
            _ => "",
        };
        let _ = writeln!(
            text,
            "| HEAD `{}` | {}{changed} |",
            revision.short_commit(),
            cell(head.as_ref())
        );
    }
    for (experiment, value) in integration::latest_experiment_values(world, file, key) {
        let _ = writeln!(text, "| exp `{experiment}` | {} |", cell(Some(&value)));
    }
    let users = stages_using_param(world, file, key);
    if users.is_empty() {
        text.push_str("\nNo stage reads this key.");
    } else {
        let names: Vec<String> = users
            .iter()
            .map(|stage| format!("`{}`", stage.addressing()))
            .collect();
        let _ = write!(text, "\nUsed by {}", names.join(", "));
    }
    Some(text)
}

fn params_file_hover(world: &World, file: &str) -> Option<String> {
    let mut text = format!("**params file** `{file}`\n\n");
    match world.data(file) {
        Some(data) => {
            let count = data
                .root()
                .map(|root| scalar_entries(root).len())
                .unwrap_or(0);
            let _ = writeln!(text, "{count} keys ({})", data.format.name());
        }
        None => text.push_str("The file does not exist.\n"),
    }
    Some(text)
}

fn cell(value: Option<&Value>) -> String {
    match value {
        Some(value) => format!("`{}`", short_value(value).replace('|', "\\|")),
        None => "—".to_string(),
    }
}

fn stage_hover(world: &World, file: &PipelineFile, definition: &Definition) -> Option<String> {
    let stages: Vec<&Stage> = definition
        .generated
        .iter()
        .filter_map(|name| file.stage(name))
        .collect();
    let mut text = String::new();
    match definition.kind {
        DefinitionKind::Plain => {
            let _ = writeln!(text, "**stage `{}`** in `{}`\n", definition.name, file.path);
        }
        DefinitionKind::Foreach | DefinitionKind::Matrix => {
            let kind = if definition.kind == DefinitionKind::Foreach {
                "foreach"
            } else {
                "matrix"
            };
            let names: Vec<String> = definition
                .generated
                .iter()
                .take(8)
                .map(|name| format!("`{name}`"))
                .collect();
            let more = definition.generated.len().saturating_sub(names.len());
            let _ = writeln!(
                text,
                "**{kind} group `{}`** in `{}`: {} stages\n\n{}{}\n",
                definition.name,
                file.path,
                definition.generated.len(),
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
    }
    let Some(first) = stages.first() else {
        text.push_str("The stage could not be resolved; see its diagnostics.");
        return Some(text);
    };
    if let Some(desc) = &first.desc {
        let _ = writeln!(text, "{desc}\n");
    }
    if definition.kind == DefinitionKind::Plain {
        let _ = writeln!(text, "```sh\n{}\n```", truncate(&first.cmd.display(), 200));
        let _ = writeln!(
            text,
            "{} deps · {} params · {} outs · {} metrics · {} plots{}",
            first.deps.len(),
            first
                .params
                .iter()
                .map(|params| params.keys.len().max(1))
                .sum::<usize>(),
            first.outs.len(),
            first.metrics.len(),
            first.plots.len(),
            if first.frozen { " · frozen" } else { "" }
        );
        neighbours(world, first, &mut text);
    }
    for stage in &stages {
        if let Some(status) = integration::stage_status(world, stage) {
            let _ = writeln!(text, "\nStatus of `{}`: {status}", stage.name);
        }
        if let Some(count) = integration::run_cache_entries(world, stage) {
            let _ = writeln!(text, "\n`{}` has {count} cached runs", stage.name);
        }
    }
    let metrics: Vec<String> = stages
        .iter()
        .flat_map(|stage| {
            stage
                .metrics
                .iter()
                .filter_map(|out| stage.resolve_path(&out.path))
        })
        .collect();
    if !metrics.is_empty() {
        text.push('\n');
        metrics_table(world, &metrics, &mut text);
        experiment_metrics(world, &metrics, &mut text);
    }
    Some(text)
}

/// The stage's metrics in the newest experiment of `HEAD`.
fn experiment_metrics(world: &World, files: &[String], text: &mut String) {
    let Some((name, rows)) = integration::latest_experiment_metrics(world) else {
        return;
    };
    let values: Vec<String> = rows
        .iter()
        .filter(|metric| files.contains(&metric.file))
        .take(METRIC_ROWS)
        .map(|metric| format!("`{}` = {}", metric.key, cell(Some(&metric.value))))
        .collect();
    if !values.is_empty() {
        let _ = writeln!(text, "\nLatest experiment `{name}`: {}", values.join(", "));
    }
}

fn neighbours(world: &World, stage: &Stage, text: &mut String) {
    let stages = world.stages();
    let Some(index) = stages
        .iter()
        .position(|candidate| candidate.dvcfile == stage.dvcfile && candidate.name == stage.name)
    else {
        return;
    };
    let names = |indexes: &[usize]| -> String {
        indexes
            .iter()
            .map(|&other| format!("`{}`", stages[other].addressing()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let upstream = world.dag.upstream.get(index).cloned().unwrap_or_default();
    let downstream = world.dag.downstream.get(index).cloned().unwrap_or_default();
    if !upstream.is_empty() {
        let _ = writeln!(text, "\nafter {}", names(&upstream));
    }
    if !downstream.is_empty() {
        let _ = writeln!(text, "\nbefore {}", names(&downstream));
    }
}

/// A table of metric values in the workspace and at `HEAD`.
fn metrics_table(world: &World, files: &[String], text: &mut String) {
    let head_label = world
        .head
        .as_ref()
        .map(|head| format!("HEAD `{}`", head.short_commit()));
    match &head_label {
        Some(label) => {
            let _ = writeln!(text, "| metric | workspace | {label} |\n|---|---|---|");
        }
        None => text.push_str("| metric | workspace |\n|---|---|\n"),
    }
    let mut rows = 0;
    let mut hidden = 0;
    for file in files {
        let workspace = world.data(file);
        let head = world.head.as_ref().and_then(|head| head.data(file));
        let mut keys: Vec<String> = Vec::new();
        for data in [workspace.as_deref(), head.as_deref()]
            .into_iter()
            .flatten()
        {
            if let Some(root) = data.root() {
                for (key, _) in scalar_entries(root) {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
            }
        }
        if keys.is_empty() {
            let _ = writeln!(
                text,
                "| `{file}` | (no values yet) |{}",
                if head_label.is_some() { " |" } else { "" }
            );
            rows += 1;
            continue;
        }
        for key in keys {
            if rows >= METRIC_ROWS {
                hidden += 1;
                continue;
            }
            let now = workspace.as_ref().and_then(|data| {
                data.root()
                    .and_then(|root| root.get_path(&key))
                    .map(|node| &node.value)
            });
            let then = head.as_ref().and_then(|data| {
                data.root()
                    .and_then(|root| root.get_path(&key))
                    .map(|node| &node.value)
            });
            let name = if files.len() > 1 {
                format!("{file}: {key}")
            } else {
                key.clone()
            };
            match &head_label {
                Some(_) => {
                    let _ = writeln!(text, "| {name} | {} | {} |", cell(now), cell(then));
                }
                None => {
                    let _ = writeln!(text, "| {name} | {} |", cell(now));
                }
            }
            rows += 1;
        }
    }
    if hidden > 0 {
        let _ = writeln!(text, "\n{hidden} more values");
    }
}

fn out_hover(world: &World, path: &str, kind: OutKind, stage: Option<&&Stage>) -> Option<String> {
    let noun = match kind {
        OutKind::Out => "output",
        OutKind::Metric => "metrics file",
        OutKind::Plot => "plots file",
    };
    let mut text = match stage {
        Some(stage) => format!("**{noun}** `{path}` of stage `{}`\n\n", stage.addressing()),
        None => format!("**{noun}** `{path}`\n\n"),
    };
    match kind {
        OutKind::Metric => {
            if world.source().kind(path) == Some(FileKind::File) {
                metrics_table(world, &[path.to_string()], &mut text);
            } else {
                text.push_str(&size_line(world, path));
            }
        }
        OutKind::Plot => {
            text.push_str(&size_line(world, path));
            if let Some(summary) = plot_summary(world, path) {
                text.push('\n');
                text.push_str(&summary);
            }
        }
        OutKind::Out => text.push_str(&size_line(world, path)),
    }
    Some(text)
}

fn path_hover(world: &World, path: &str, noun: &str) -> Option<String> {
    let mut text = format!("**{noun}** `{path}`\n\n");
    text.push_str(&size_line(world, path));
    let stages = world.stages();
    let producers: Vec<String> = world
        .dag
        .producers_of(path)
        .into_iter()
        .map(|index| format!("`{}`", stages[index].addressing()))
        .collect();
    if !producers.is_empty() {
        let _ = write!(text, "\n\nwritten by {}", producers.join(", "));
    }
    Some(text)
}

/// Whether a path exists, and its size (the total of the files for a
/// directory, counted up to a bound so that a huge data directory cannot stall
/// a hover).
fn size_line(world: &World, path: &str) -> String {
    let absolute = world.root.root.join(path);
    let Ok(metadata) = std::fs::metadata(&absolute) else {
        return if world.is_open(path) {
            "Not saved yet.".to_string()
        } else {
            "Does not exist in the workspace.".to_string()
        };
    };
    // FIXME: show the content hash and whether it changed since dvc.lock once
    // the hashing and lock modules land.
    if metadata.is_dir() {
        let (files, bytes, complete) = directory_size(&absolute, 10_000);
        let more = if complete { "" } else { "more than " };
        format!("Directory: {more}{files} files, {}", human_size(bytes))
    } else {
        format!("File: {}", human_size(metadata.len()))
    }
}

fn directory_size(dir: &std::path::Path, limit: usize) -> (usize, u64, bool) {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(entry.path());
            } else {
                files += 1;
                bytes += entry.metadata().map(|meta| meta.len()).unwrap_or(0);
                if files >= limit {
                    return (files, bytes, false);
                }
            }
        }
    }
    (files, bytes, true)
}

pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The columns and last row of a CSV, TSV, JSON or YAML plots file.
fn plot_summary(world: &World, path: &str) -> Option<String> {
    let text = world.text(path)?;
    if path.ends_with(".csv") || path.ends_with(".tsv") {
        let separator = if path.ends_with(".tsv") { '\t' } else { ',' };
        let mut lines = text.lines().filter(|line| !line.trim().is_empty());
        let header = lines.next()?;
        let rows: Vec<&str> = lines.collect();
        let mut out = format!(
            "{} rows; columns: {}",
            rows.len(),
            header
                .split(separator)
                .map(|name| format!("`{}`", name.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(last) = rows.last() {
            let _ = write!(out, "\n\nlast row: `{}`", truncate(last, 120));
        }
        return Some(out);
    }
    let data = world.data(path)?;
    let root = data.root()?;
    match &root.value {
        Value::List(items) => Some(format!("{} rows", items.len())),
        Value::Map(map) => {
            let lists: Vec<String> = map
                .iter()
                .filter_map(|(key, entry)| {
                    entry
                        .value
                        .as_list()
                        .map(|items| format!("`{key}`: {} rows", items.len()))
                })
                .collect();
            (!lists.is_empty()).then(|| lists.join(", "))
        }
        _ => None,
    }
}

fn expression_hover(
    world: &World,
    pipeline: &PipelineFile,
    path: &str,
    definition: Option<&Definition>,
) -> Option<String> {
    let first = path.split('.').next().unwrap_or(path);
    if matches!(first, "item" | "key") {
        let definition =
            definition.filter(|definition| definition.kind != DefinitionKind::Plain)?;
        return Some(format!(
            "**`${{{path}}}`**: the {} of each stage generated by `{}` ({} stages: {})",
            if first == "item" {
                "current item"
            } else {
                "current key"
            },
            definition.name,
            definition.generated.len(),
            definition
                .generated
                .iter()
                .take(6)
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let Some(node) = context_value(pipeline, path) else {
        return Some(format!(
            "**`${{{path}}}`** is not defined in the context of `{}`",
            pipeline.path
        ));
    };
    let value = match &node.value {
        CtxValue::Scalar(value) => format!("`{}`", short_value(value)),
        other => {
            let kind = if matches!(other, CtxValue::List(_)) {
                "list"
            } else {
                "dict"
            };
            format!(
                "{kind}: `{}`",
                truncate(&node.to_node().value.to_python_str(), 120)
            )
        }
    };
    let mut text = format!("**`${{{path}}}`** = {value}\n\n");
    match (&node.origin, expression_definition(world, pipeline, path)) {
        (Some(origin), Some(location)) => {
            let line = world
                .line_of(&location.file, location.span.start)
                .unwrap_or(1);
            if origin.from_file {
                let _ = write!(
                    text,
                    "from `{}` at `{}:{line}` (key `{}`)",
                    origin.source, location.file, origin.path
                );
            } else {
                let _ = write!(
                    text,
                    "from inline `{}` at `{}:{line}`",
                    origin.source, location.file
                );
            }
        }
        _ => text.push_str("defined while resolving the stage"),
    }
    Some(text)
}
