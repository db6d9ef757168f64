//! Go to definition, find references and symbols.

use retort_engine::node::{Node, Value};
use retort_engine::params::lookup;
use retort_engine::pipeline::context::CtxNode;
use retort_engine::pipeline::interpolate::{find_matches, parse_expression};
use retort_engine::pipeline::{DefinitionKind, PipelineFile, Stage};
use retort_engine::text::Span;

use super::locate::{target_at, Target};
use super::{Location, World};

/// Where the thing at `offset` is defined: a params key's line in its params
/// file, a `${var}`'s definition, or the stage that writes a dependency.
pub fn definition(world: &World, file: &str, offset: usize) -> Vec<Location> {
    let Some(target) = target_at(world, file, offset) else {
        return Vec::new();
    };
    match target {
        Target::ParamKey { file, key, .. } => {
            param_definition(world, &file, &key).into_iter().collect()
        }
        Target::ParamsFile { file, .. } => vec![Location {
            file,
            span: Span::default(),
        }],
        Target::Expression {
            file: pipeline,
            path,
            ..
        } => expression_definition(world, pipeline, &path)
            .into_iter()
            .collect(),
        Target::Dep { path, .. } => producers(world, &path),
        Target::Out { .. } | Target::TopFile { .. } | Target::StageName { .. } => Vec::new(),
    }
}

/// The key of `key` in the params file `file`; for a glob key, its first match.
pub fn param_definition(world: &World, file: &str, key: &str) -> Option<Location> {
    let data = world.data(file)?;
    let root = data.root()?;
    let concrete = if lookup::is_glob(key) {
        lookup::find(root, key).into_iter().next()?.0
    } else {
        key.to_string()
    };
    let span = match root.get_entry_path(&concrete) {
        Some(entry) => entry.key_span,
        None => root.get_path(&concrete)?.span,
    };
    Some(Location {
        file: file.to_string(),
        span,
    })
}

/// Where a `${...}` value comes from: the key in the file it was loaded from,
/// or the inline `vars` entry in the pipeline.
pub fn expression_definition(
    world: &World,
    pipeline: &PipelineFile,
    path: &str,
) -> Option<Location> {
    let node = pipeline.context.select(path, None)?;
    let origin = node.origin.as_ref()?;
    let file = if origin.from_file {
        origin.source.to_string()
    } else {
        pipeline.path.clone()
    };
    // A file value's span is its value; go to the key when it can be found.
    let span = if origin.from_file {
        world
            .data(&file)
            .and_then(|data| {
                data.root()
                    .and_then(|root| root.get_entry_path(&origin.path))
                    .map(|entry| entry.key_span)
            })
            .unwrap_or(node.span)
    } else {
        node.span
    };
    Some(Location { file, span })
}

/// The context value a `${...}` selects in the pipeline's top-level context.
pub fn context_value<'p>(pipeline: &'p PipelineFile, path: &str) -> Option<&'p CtxNode> {
    pipeline.context.select(path, None)
}

/// The name keys of the stages that write `path` or a directory holding it.
fn producers(world: &World, path: &str) -> Vec<Location> {
    let stages = world.stages();
    world
        .dag
        .producers_of(path)
        .into_iter()
        .map(|index| Location {
            file: stages[index].dvcfile.clone(),
            span: stages[index].spans.name,
        })
        .collect()
}

/// Whether `stage` reads params key `key` of params file `file`: by listing it
/// (or a glob or a parent key that covers it, or the whole file) or by using
/// it in a `${...}`.
pub fn stage_uses_param(stage: &Stage, file: &str, key: &str) -> bool {
    for params in &stage.params {
        if stage.params_file_path(params).as_deref() != Some(file) {
            continue;
        }
        if params.whole_file {
            return true;
        }
        if params
            .keys
            .iter()
            .any(|listed| key_covers(&listed.key, key))
        {
            return true;
        }
    }
    stage.tracked_vars.get(file).is_some_and(|keys| {
        keys.keys()
            .any(|tracked| key_covers(tracked, key) || key_covers(key, tracked))
    })
}

/// Whether a listed key (possibly a glob, possibly a parent) selects `key`.
fn key_covers(listed: &str, key: &str) -> bool {
    if listed == key {
        return true;
    }
    if key.starts_with(listed) && key.as_bytes().get(listed.len()) == Some(&b'.') {
        return true;
    }
    if lookup::is_glob(listed) {
        let pattern: Vec<&str> = listed.split('.').collect();
        let parts: Vec<&str> = key.split('.').collect();
        return pattern.len() <= parts.len()
            && pattern
                .iter()
                .zip(&parts)
                .all(|(pattern, part)| lookup::glob_match(pattern, part));
    }
    false
}

/// The stages (in project order) that read a params key.
pub fn stages_using_param<'w>(world: &'w World, file: &str, key: &str) -> Vec<&'w Stage> {
    world
        .project
        .stages()
        .filter(|stage| stage_uses_param(stage, file, key))
        .collect()
}

/// Every place a params key is used: its entries in stage `params` lists and
/// the `${...}` expressions that read it.
pub fn references(world: &World, file: &str, offset: usize) -> Vec<Location> {
    let Some(target) = target_at(world, file, offset) else {
        return Vec::new();
    };
    let (params_file, key) = match target {
        Target::ParamKey { file, key, .. } => (file, key),
        Target::Expression {
            file: pipeline,
            path,
            ..
        } => match pipeline
            .context
            .select(&path, None)
            .and_then(|node| node.origin.clone())
        {
            Some(origin) if origin.from_file => (origin.source.to_string(), origin.path.clone()),
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    param_references(world, &params_file, &key)
}

pub fn param_references(world: &World, params_file: &str, key: &str) -> Vec<Location> {
    let mut found: Vec<Location> = Vec::new();
    let mut push = |location: Location| {
        if !found.contains(&location) {
            found.push(location);
        }
    };
    for stage in world.project.stages() {
        for params in &stage.params {
            if stage.params_file_path(params).as_deref() != Some(params_file) {
                continue;
            }
            for listed in &params.keys {
                if key_covers(&listed.key, key) {
                    push(Location {
                        file: stage.dvcfile.clone(),
                        span: listed.span,
                    });
                }
            }
        }
    }
    for pipeline in &world.project.files {
        for (path, span) in expressions(pipeline) {
            let reads_key = pipeline
                .context
                .select(&path, None)
                .and_then(|node| node.origin.as_ref())
                .is_some_and(|origin| {
                    origin.from_file
                        && *origin.source == *params_file
                        && (key_covers(key, &origin.path) || key_covers(&origin.path, key))
                });
            if reads_key {
                push(Location {
                    file: pipeline.path.clone(),
                    span,
                });
            }
        }
    }
    found
}

/// Every `${...}` in a pipeline's text with its normalized path.
fn expressions(pipeline: &PipelineFile) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let text = &pipeline.text;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if line.contains("${") {
            for found in find_matches(line) {
                if let Ok(path) = parse_expression(found.inner(line)) {
                    let path = path.split('.').map(str::trim).collect::<Vec<_>>().join(".");
                    out.push((
                        path,
                        Span::new(line_start + found.start, line_start + found.end),
                    ));
                }
            }
        }
        line_start += line.len();
    }
    out
}

/// A symbol for the outline: stages with their generated members, or the keys
/// of a params file.
#[derive(Clone, Debug)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub span: Span,
    pub selection: Span,
    pub children: Vec<Symbol>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Stage,
    GeneratedStage,
    Key,
}

pub fn document_symbols(world: &World, file: &str) -> Vec<Symbol> {
    if let Some(pipeline) = world.pipeline(file) {
        return pipeline
            .definitions
            .iter()
            .map(|definition| {
                let children = match definition.kind {
                    DefinitionKind::Plain => Vec::new(),
                    _ => definition
                        .generated
                        .iter()
                        .map(|name| Symbol {
                            name: name.clone(),
                            detail: None,
                            kind: SymbolKind::GeneratedStage,
                            span: definition.span.cover(definition.name_span),
                            selection: definition.name_span,
                            children: Vec::new(),
                        })
                        .collect(),
                };
                let detail = match definition.kind {
                    DefinitionKind::Plain => pipeline
                        .stage(&definition.name)
                        .and_then(|stage| stage.desc.clone()),
                    DefinitionKind::Foreach => Some(format!("foreach, {} stages", children.len())),
                    DefinitionKind::Matrix => Some(format!("matrix, {} stages", children.len())),
                };
                Symbol {
                    name: definition.name.clone(),
                    detail,
                    kind: SymbolKind::Stage,
                    span: definition.span.cover(definition.name_span),
                    selection: definition.name_span,
                    children,
                }
            })
            .collect();
    }
    match world.data(file) {
        Some(data) => data.root().map(key_symbols).unwrap_or_default(),
        None => Vec::new(),
    }
}

fn key_symbols(node: &Node) -> Vec<Symbol> {
    let Value::Map(map) = &node.value else {
        return Vec::new();
    };
    map.iter()
        .filter(|(_, entry)| entry.key_span != Span::default())
        .map(|(key, entry)| Symbol {
            name: key.clone(),
            detail: entry
                .value
                .value
                .is_scalar()
                .then(|| super::values::short_value(&entry.value.value)),
            kind: SymbolKind::Key,
            span: entry.key_span.cover(entry.value.span),
            selection: entry.key_span,
            children: key_symbols(&entry.value),
        })
        .collect()
}

/// A stage found by a workspace symbol search.
#[derive(Clone, Debug)]
pub struct StageSymbol {
    pub name: String,
    pub container: String,
    pub location: Location,
}

/// Stages whose name contains `query` (case-insensitive), in project order.
pub fn workspace_symbols(world: &World, query: &str) -> Vec<StageSymbol> {
    let query = query.to_lowercase();
    let mut found = Vec::new();
    for pipeline in &world.project.files {
        for definition in &pipeline.definitions {
            let names = std::iter::once(&definition.name).chain(
                definition
                    .generated
                    .iter()
                    .filter(|name| **name != definition.name),
            );
            for name in names {
                if name.to_lowercase().contains(&query) {
                    found.push(StageSymbol {
                        name: name.clone(),
                        container: pipeline.path.clone(),
                        location: Location {
                            file: pipeline.path.clone(),
                            span: definition.name_span,
                        },
                    });
                }
            }
        }
    }
    found
}
