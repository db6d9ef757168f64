//! Grouping of definitions across revisions into the plots to draw, as DVC's
//! `match_defs_renderers` does. Each id becomes one plot, and ids that several
//! config files define get a `config::` prefix. Properties come from the first
//! revision that defines them, rows from every revision, and problems become
//! issues.

use indexmap::IndexMap;

use super::collect::{self, Definitions};
use super::convert::{self, ResolvedProps};
use super::data::{self, PlotData, SourceError};
use super::json::Json;
use super::props::PlotProps;

/// The definitions and data files collected at one revision.
#[derive(Clone, Debug)]
pub struct RevisionData {
    /// The revision as the user named it (`workspace`, `HEAD`, a branch, ...).
    pub revision: String,
    /// The definitions, or why the revision's pipelines could not be read.
    pub definitions: Result<Definitions, DefinitionsError>,
    /// Every data file the definitions read, loaded.
    pub sources: IndexMap<String, Result<PlotData, SourceError>>,
}

/// A revision whose plot definitions could not be collected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct DefinitionsError {
    pub kind: String,
    pub message: String,
}

/// A problem with one plot, one source or one revision, as DVC lists it under
/// `errors` in `plots show --json`.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotIssue {
    /// The plot, when the problem belongs to one.
    pub name: Option<String>,
    pub revision: String,
    /// The data file, for problems reading one.
    pub source: Option<String>,
    pub kind: String,
    pub message: String,
}

/// A chart plot: rows from every revision and the properties to fill a
/// template with.
#[derive(Clone, Debug)]
pub struct VegaPlot {
    pub id: String,
    pub rows: Vec<Json>,
    /// `None` when no revision had rows.
    pub props: Option<ResolvedProps>,
    /// The title: the one given, else the plot id.
    pub title: String,
    /// The template named by the definitions (`None` for the default).
    pub template: Option<String>,
    /// Revisions with rows, in order.
    pub revisions: Vec<String>,
}

/// One image at one revision.
#[derive(Clone, Debug)]
pub struct Image {
    pub revision: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// An image plot: the same file at each revision.
#[derive(Clone, Debug)]
pub struct ImagePlot {
    pub id: String,
    pub images: Vec<Image>,
}

// A handful of plots per command: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Plot {
    Vega(VegaPlot),
    Image(ImagePlot),
}

impl Plot {
    pub fn id(&self) -> &str {
        match self {
            Plot::Vega(plot) => &plot.id,
            Plot::Image(plot) => &plot.id,
        }
    }
}

/// Plot ids of one revision: the bare id when one config file defines it,
/// else `config::id` for each config file.
fn definitions_by_id(definitions: &Definitions) -> IndexMap<String, (String, PlotProps)> {
    let mut by_config: IndexMap<&String, IndexMap<&String, &PlotProps>> = IndexMap::new();
    for (config, plots) in &definitions.configs {
        for (id, props) in plots {
            by_config.entry(id).or_default().insert(config, props);
        }
    }
    let mut by_id = IndexMap::new();
    for (id, configs) in by_config {
        if configs.len() == 1 {
            let props = configs.values().next().expect("one config");
            by_id.insert(id.clone(), (id.clone(), (*props).clone()));
        } else {
            for (config, props) in configs {
                by_id.insert(collect::full_id(config, id), (id.clone(), props.clone()));
            }
        }
    }
    by_id
}

/// Builds the plots and the issues from the data of every revision.
pub fn group_plots(revisions: &[RevisionData]) -> (Vec<Plot>, Vec<PlotIssue>) {
    let mut issues = Vec::new();
    // plot id -> [(revision index, inner id, props)]
    let mut groups: IndexMap<String, Vec<(usize, String, PlotProps)>> = IndexMap::new();
    for (index, revision) in revisions.iter().enumerate() {
        match &revision.definitions {
            Ok(definitions) => {
                for (id, (inner, props)) in definitions_by_id(definitions) {
                    groups.entry(id).or_default().push((index, inner, props));
                }
            }
            Err(error) => issues.push(PlotIssue {
                name: None,
                revision: revision.revision.clone(),
                source: None,
                kind: error.kind.clone(),
                message: error.message.clone(),
            }),
        }
    }

    let mut plots = Vec::new();
    for (id, group) in groups {
        // The first revision's properties win.
        let props = group
            .iter()
            .rev()
            .fold(PlotProps::default(), |merged, (_, _, props)| {
                merged.overlay(props)
            });
        let is_image = group.iter().any(|(_, inner, _)| data::is_image(inner));
        let mut rows = Vec::new();
        let mut first_props: Option<ResolvedProps> = None;
        let mut with_rows: Vec<String> = Vec::new();
        let mut images = Vec::new();
        let mut image_id = id.clone();

        for (index, inner, definition) in &group {
            let revision = &revisions[*index];
            let sources = collect::data_sources(inner, definition);
            let mut content: IndexMap<String, &PlotData> = IndexMap::new();
            for source in &sources {
                match revision.sources.get(source) {
                    Some(Ok(found)) if !found.is_empty() => {
                        content.insert(source.clone(), found);
                    }
                    Some(Err(error)) => issues.push(PlotIssue {
                        name: Some(if is_image { inner.clone() } else { id.clone() }),
                        revision: revision.revision.clone(),
                        source: Some(source.clone()),
                        kind: error.kind.clone(),
                        message: error.message.clone(),
                    }),
                    _ => {}
                }
            }
            if data::is_image(inner) {
                image_id = inner.clone();
                for (filename, found) in content {
                    if let PlotData::Image(bytes) = found {
                        images.push(Image {
                            revision: revision.revision.clone(),
                            filename,
                            bytes: bytes.clone(),
                        });
                    }
                }
                continue;
            }
            let values: IndexMap<String, Json> = content
                .into_iter()
                .filter_map(|(file, found)| match found {
                    PlotData::Values(json) => Some((file, json.clone())),
                    PlotData::Image(_) => None,
                })
                .collect();
            match convert::flat_datapoints(inner, &values, &props, &revision.revision) {
                Ok(Some((revision_rows, resolved))) => {
                    if !with_rows.contains(&revision.revision) {
                        with_rows.push(revision.revision.clone());
                    }
                    first_props.get_or_insert(resolved);
                    rows.extend(revision_rows);
                }
                Ok(None) => {}
                Err(error) => issues.push(PlotIssue {
                    name: Some(id.clone()),
                    revision: revision.revision.clone(),
                    source: None,
                    kind: error.kind().to_string(),
                    message: error.to_string(),
                }),
            }
        }

        if is_image {
            plots.push(Plot::Image(ImagePlot {
                id: image_id,
                images,
            }));
        } else {
            let title = first_props
                .as_ref()
                .and_then(|resolved| resolved.title.clone())
                .unwrap_or_else(|| id.clone());
            plots.push(Plot::Vega(VegaPlot {
                title,
                template: props.template.clone(),
                props: first_props,
                rows,
                revisions: with_rows,
                id,
            }));
        }
    }
    (plots, issues)
}
