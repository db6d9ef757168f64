//! The top-level sections of `dvc.yaml` besides `stages`: `metrics`, `params`,
//! `plots`, `artifacts` and `datasets`. DVC templates them eagerly with the
//! file's context, and dicts and lists may be interpolated into them.

use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::node::{Node, Value};
use crate::pyfmt;
use crate::text::Span;

use super::context::Context;
use super::interpolate::{self, ParsingConfig, Resolved, Resolver};
use super::model::PathEntry;

/// A top-level plot: a bare path, or an id with an optional definition.
#[derive(Clone, Debug)]
pub enum TopPlot {
    Path(PathEntry),
    Definition {
        id: String,
        id_span: Span,
        /// The resolved definition (`x`, `y`, `template`, ...), if any.
        definition: Option<Node>,
    },
}

#[derive(Clone, Debug)]
pub struct Artifact {
    pub name: String,
    pub name_span: Span,
    pub definition: Node,
}

#[derive(Clone, Debug, Default)]
pub struct TopLevel {
    pub metrics: Vec<PathEntry>,
    pub params: Vec<PathEntry>,
    pub plots: Vec<TopPlot>,
    pub artifacts: IndexMap<String, Artifact>,
    pub datasets: Vec<Node>,
}

pub(super) fn resolve_top_level(
    root: &Node,
    context: &Context,
    path: &str,
    config: ParsingConfig,
    source: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> TopLevel {
    let mut top = TopLevel::default();
    let resolve = |node: &Node, place: String, diagnostics: &mut Vec<Diagnostic>| -> Option<Node> {
        let mut resolver = Resolver {
            context,
            field: None,
            config,
            tracked: None,
        };
        match resolver.resolve_node(node) {
            Ok(resolved) => Some(resolved),
            Err(error) => {
                let span = narrow(source, node.span, error.within);
                diagnostics.push(Diagnostic::error(
                    path,
                    span,
                    "undefined-variable",
                    format!("failed to parse '{place}' in '{path}': {}", error.message),
                ));
                None
            }
        }
    };

    for (section, target) in [("metrics", &mut top.metrics), ("params", &mut top.params)] {
        for (index, item) in list(root, section).iter().enumerate() {
            if let Some(resolved) = resolve(item, format!("{section}.{index}"), diagnostics) {
                target.push(PathEntry {
                    path: pyfmt::python_str(&resolved.value),
                    span: item.span,
                });
            }
        }
    }

    for (index, item) in list(root, "plots").iter().enumerate() {
        let Some(resolved) = resolve(item, format!("plots.{index}"), diagnostics) else {
            continue;
        };
        match &resolved.value {
            Value::Map(map) => {
                for (id, entry) in map {
                    top.plots.push(TopPlot::Definition {
                        id: id.clone(),
                        id_span: entry.key_span,
                        definition: (!entry.value.is_null()).then(|| entry.value.clone()),
                    });
                }
            }
            other => top.plots.push(TopPlot::Path(PathEntry {
                path: pyfmt::python_str(other),
                span: item.span,
            })),
        }
    }

    if let Some(artifacts) = root.get("artifacts").and_then(Node::as_map) {
        for (name, entry) in artifacts {
            let mut resolver = Resolver {
                context,
                field: None,
                config,
                tracked: None,
            };
            let resolved_name = match resolver.resolve_str(name, entry.key_span) {
                Ok(Resolved::Text(text)) => text,
                Ok(Resolved::Whole(node)) => match node.to_node().value {
                    Value::Str(text) => text,
                    other => {
                        diagnostics.push(Diagnostic::error(
                            path,
                            entry.key_span,
                            "wrong-type",
                            format!(
                                "failed to resolve 'artifacts.{name}' in '{path}': expected str, got {}",
                                other.type_name()
                            ),
                        ));
                        continue;
                    }
                },
                Err(error) => {
                    diagnostics.push(Diagnostic::error(
                        path,
                        narrow(source, entry.key_span, error.within),
                        "undefined-variable",
                        format!(
                            "failed to parse 'artifacts.{name}' in '{path}': {}",
                            error.message
                        ),
                    ));
                    continue;
                }
            };
            if let Some(definition) =
                resolve(&entry.value, format!("artifacts.{name}"), diagnostics)
            {
                top.artifacts.insert(
                    resolved_name.clone(),
                    Artifact {
                        name: resolved_name,
                        name_span: entry.key_span,
                        definition,
                    },
                );
            }
        }
    }

    for (index, item) in list(root, "datasets").iter().enumerate() {
        if let Some(resolved) = resolve(item, format!("datasets.{index}"), diagnostics) {
            top.datasets.push(resolved);
        }
    }
    top
}

fn list<'a>(root: &'a Node, key: &str) -> &'a [Node] {
    root.get(key).and_then(Node::as_list).unwrap_or_default()
}

fn narrow(source: &str, span: Span, within: Option<(usize, usize)>) -> Span {
    let Some(region) = source.get(span.start..span.end) else {
        return span;
    };
    let Some((start, end)) = within else {
        return span;
    };
    // The offsets are into the scalar's value; find the same `${...}` text in
    // the source.
    let matches = interpolate::find_matches(region);
    match matches
        .into_iter()
        .find(|found| found.end - found.start == end - start)
    {
        Some(found) => Span::new(span.start + found.start, span.start + found.end),
        None => span,
    }
}
