//! What the cursor is on. Pipelines are matched against the resolved stages,
//! whose entries keep the spans of the text they came from, so one template
//! entry of a `foreach` group maps to the entry of every generated stage.
//! Params files are matched against their parsed key tree.

use retort_engine::node::{Node, Value};
use retort_engine::paths;
use retort_engine::pipeline::interpolate::{find_matches, parse_expression};
use retort_engine::pipeline::{Definition, OutKind, PipelineFile, Stage, TopPlot};
use retort_engine::text::Span;

use super::World;

/// A thing in a project file that features work on.
#[derive(Clone, Debug)]
pub enum Target<'w> {
    /// The name of a stage definition.
    StageName {
        file: &'w PipelineFile,
        definition: &'w Definition,
    },
    /// A params key, in a stage's `params` list or in the params file itself.
    ParamKey {
        /// Project-relative params file.
        file: String,
        key: String,
        span: Span,
    },
    /// The file name of a `{file: [keys]}` params entry.
    ParamsFile { file: String, span: Span },
    /// A dependency path.
    Dep {
        path: String,
        span: Span,
        stage: &'w Stage,
    },
    /// An output, metrics file or plot of a stage.
    Out {
        path: String,
        kind: OutKind,
        span: Span,
        stage: &'w Stage,
    },
    /// A top-level `metrics` or `plots` file.
    TopFile {
        path: String,
        kind: OutKind,
        span: Span,
    },
    /// A `${...}` expression; `path` is the normalized dotted name.
    Expression {
        file: &'w PipelineFile,
        path: String,
        span: Span,
        definition: Option<&'w Definition>,
    },
}

impl Target<'_> {
    pub fn span(&self) -> Span {
        match self {
            Target::StageName { definition, .. } => definition.name_span,
            Target::ParamKey { span, .. }
            | Target::ParamsFile { span, .. }
            | Target::Dep { span, .. }
            | Target::Out { span, .. }
            | Target::TopFile { span, .. }
            | Target::Expression { span, .. } => *span,
        }
    }
}

/// Finds what is at `offset` in the project file `file`.
pub fn target_at<'w>(world: &'w World, file: &str, offset: usize) -> Option<Target<'w>> {
    if let Some(pipeline) = world.pipeline(file) {
        return pipeline_target(world, pipeline, offset);
    }
    params_key_at(world, file, offset).map(|(key, span)| Target::ParamKey {
        file: file.to_string(),
        key,
        span,
    })
}

fn pipeline_target<'w>(
    world: &'w World,
    pipeline: &'w PipelineFile,
    offset: usize,
) -> Option<Target<'w>> {
    if let Some(target) = expression_at(pipeline, offset) {
        return Some(target);
    }
    for definition in &pipeline.definitions {
        if definition.name_span.touches(offset) {
            return Some(Target::StageName {
                file: pipeline,
                definition,
            });
        }
    }
    for stage in &pipeline.stages {
        if let Some(target) = stage_entry_at(stage, offset) {
            return Some(target);
        }
    }
    top_entry_at(world, pipeline, offset)
}

fn stage_entry_at(stage: &Stage, offset: usize) -> Option<Target<'_>> {
    if !stage.spans.definition.touches(offset) {
        return None;
    }
    for dep in &stage.deps {
        if dep.span.touches(offset) {
            return Some(Target::Dep {
                path: stage.resolve_path(&dep.path)?,
                span: dep.span,
                stage,
            });
        }
    }
    for params in &stage.params {
        let file = stage.params_file_path(params)?;
        for key in &params.keys {
            if key.span.touches(offset) {
                return Some(Target::ParamKey {
                    file,
                    key: key.key.clone(),
                    span: key.span,
                });
            }
        }
        // Bare keys share the span of the first key with the implied
        // `params.yaml`; only a written file name is a file target.
        if params.span.touches(offset) && params.keys.iter().all(|key| key.span != params.span) {
            return Some(Target::ParamsFile {
                file,
                span: params.span,
            });
        }
    }
    for out in stage.all_outs() {
        if out.span.touches(offset) {
            return Some(Target::Out {
                path: stage.resolve_path(&out.path)?,
                kind: out.kind,
                span: out.span,
                stage,
            });
        }
    }
    None
}

fn top_entry_at<'w>(
    _world: &'w World,
    pipeline: &'w PipelineFile,
    offset: usize,
) -> Option<Target<'w>> {
    let top = &pipeline.top;
    for entry in &top.metrics {
        if entry.span.touches(offset) {
            return Some(Target::TopFile {
                path: paths::join_normalized(&pipeline.dir, &entry.path)?,
                kind: OutKind::Metric,
                span: entry.span,
            });
        }
    }
    for entry in &top.params {
        if entry.span.touches(offset) {
            return Some(Target::ParamsFile {
                file: paths::join_normalized(&pipeline.dir, &entry.path)?,
                span: entry.span,
            });
        }
    }
    for plot in &top.plots {
        let (path, span) = match plot {
            TopPlot::Path(entry) => (entry.path.clone(), entry.span),
            TopPlot::Definition { id, id_span, .. } => (id.clone(), *id_span),
        };
        if span.touches(offset) {
            return Some(Target::TopFile {
                path: paths::join_normalized(&pipeline.dir, &path)?,
                kind: OutKind::Plot,
                span,
            });
        }
    }
    None
}

/// Finds a `${...}` around `offset` in the pipeline's text. The search works
/// on the line, so it also works while the rest of the file does not parse.
fn expression_at(pipeline: &PipelineFile, offset: usize) -> Option<Target<'_>> {
    let text = &pipeline.text;
    if offset > text.len() {
        return None;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
    let line_end = text[offset..]
        .find('\n')
        .map_or(text.len(), |index| offset + index);
    let line = &text[line_start..line_end];
    let found = find_matches(line)
        .into_iter()
        .find(|found| line_start + found.start <= offset && offset < line_start + found.end)?;
    let path = parse_expression(found.inner(line)).ok()?;
    let path = path.split('.').map(str::trim).collect::<Vec<_>>().join(".");
    let definition = pipeline
        .definitions
        .iter()
        .find(|definition| definition.span.touches(offset));
    Some(Target::Expression {
        file: pipeline,
        path,
        span: Span::new(line_start + found.start, line_start + found.end),
        definition,
    })
}

/// The dotted key whose key text is at `offset` in a params file.
pub fn params_key_at(world: &World, file: &str, offset: usize) -> Option<(String, Span)> {
    let data = world.data(file)?;
    let root = data.root()?;
    let mut prefix = String::new();
    key_at(root, offset, &mut prefix)
}

fn key_at(node: &Node, offset: usize, prefix: &mut String) -> Option<(String, Span)> {
    let Value::Map(map) = &node.value else {
        return None;
    };
    for (key, entry) in map {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if entry.key_span.touches(offset) {
            return Some((path, entry.key_span));
        }
        if entry.value.span.touches(offset) && entry.value.as_map().is_some() {
            let mut nested = path;
            return key_at(&entry.value, offset, &mut nested);
        }
    }
    None
}
