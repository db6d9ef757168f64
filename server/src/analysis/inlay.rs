//! Inlay hints: the current value after each params key of a pipeline, and
//! the latest values after each metrics path.

use retort_engine::files::FileKind;
use retort_engine::paths;
use retort_engine::text::Span;

use super::values::{short_value, summary};
use super::World;

#[derive(Clone, Debug, PartialEq)]
pub struct Hint {
    /// Where the hint is shown: right after the entry.
    pub offset: usize,
    pub label: String,
    /// A longer text for the hint's tooltip.
    pub tooltip: Option<String>,
}

/// Hints for the part of `file` inside `range`.
pub fn hints(world: &World, file: &str, range: Span) -> Vec<Hint> {
    let Some(pipeline) = world.pipeline(file) else {
        return Vec::new();
    };
    let inside = |span: Span| span.end >= range.start && span.end <= range.end;
    let mut found: Vec<Hint> = Vec::new();
    let mut push = |hint: Hint| {
        // Stages generated from one template share entries; hint them once.
        if !found.iter().any(|known| known.offset == hint.offset) {
            found.push(hint);
        }
    };
    for stage in &pipeline.stages {
        if !inside(stage.spans.definition) && !stage.spans.definition.touches(range.start) {
            continue;
        }
        for params in &stage.params {
            let Some(params_file) = stage.params_file_path(params) else {
                continue;
            };
            let data = world.data(&params_file);
            let root = data.as_ref().and_then(|data| data.root());
            for key in &params.keys {
                if !inside(key.span) {
                    continue;
                }
                let Some(value) = root.and_then(|root| root.get_path(&key.key)) else {
                    continue;
                };
                if !value.value.is_scalar() {
                    continue;
                }
                push(Hint {
                    offset: key.span.end,
                    label: format!(" = {}", short_value(&value.value)),
                    tooltip: Some(format!("value of '{}' in {params_file}", key.key)),
                });
            }
        }
        for out in &stage.metrics {
            if !inside(out.span) {
                continue;
            }
            if let Some(path) = stage.resolve_path(&out.path) {
                if let Some(hint) = metrics_hint(world, &path, out.span) {
                    push(hint);
                }
            }
        }
    }
    for entry in &pipeline.top.metrics {
        if !inside(entry.span) {
            continue;
        }
        if let Some(path) = paths::join_normalized(&pipeline.dir, &entry.path) {
            if let Some(hint) = metrics_hint(world, &path, entry.span) {
                push(hint);
            }
        }
    }
    found.sort_by_key(|hint| hint.offset);
    found
}

fn metrics_hint(world: &World, path: &str, span: Span) -> Option<Hint> {
    if world.source().kind(path) != Some(FileKind::File) {
        return None;
    }
    let data = world.data(path)?;
    let text = summary(data.root()?, 3);
    if text.is_empty() {
        return None;
    }
    Some(Hint {
        offset: span.end,
        label: format!("  {text}"),
        tooltip: Some(format!("latest values in {path}")),
    })
}
