//! Preparing collected plots for output: each chart plot gets its template
//! resolved and filled, and the result is written as DVC's `plots show --json`
//! structure.

use std::path::Path;

use super::fill::{fill_template, FilledPlot};
use super::group::{ImagePlot, Plot, PlotIssue, VegaPlot};
use super::json::Json;
use super::show::PlotsResult;
use super::template::Template;

/// A plot ready to print or draw.
// A handful of plots per command: the size difference does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Prepared {
    Vega {
        plot: VegaPlot,
        template: Template,
        /// `None` when no revision had rows.
        filled: Option<FilledPlot>,
    },
    Image(ImagePlot),
}

impl Prepared {
    pub fn id(&self) -> &str {
        match self {
            Prepared::Vega { plot, .. } => &plot.id,
            Prepared::Image(plot) => &plot.id,
        }
    }
}

/// Resolves and fills the templates. Template problems become issues, and the
/// plot is left without rows.
pub fn prepare(
    result: &PlotsResult,
    templates_dir: Option<&Path>,
    base: &Path,
) -> (Vec<Prepared>, Vec<PlotIssue>) {
    let mut issues = result.issues.clone();
    let mut prepared = Vec::new();
    for plot in &result.plots {
        match plot {
            Plot::Image(image) => prepared.push(Prepared::Image(image.clone())),
            Plot::Vega(vega) => {
                let problem = |kind: &str, message: String| PlotIssue {
                    name: Some(vega.id.clone()),
                    revision: vega.revisions.first().cloned().unwrap_or_default(),
                    source: None,
                    kind: kind.to_string(),
                    message,
                };
                let template = match Template::find(vega.template.as_deref(), templates_dir, base) {
                    Ok(template) => template,
                    Err(error) => {
                        issues.push(problem("TemplateNotFoundError", error.to_string()));
                        Template::built_in(super::template::DEFAULT_TEMPLATE)
                            .expect("the default template exists")
                    }
                };
                let filled = match fill_template(vega, &template) {
                    Ok(filled) => filled,
                    Err(error) => {
                        issues.push(problem("BadTemplateError", error.to_string()));
                        None
                    }
                };
                prepared.push(Prepared::Vega {
                    plot: vega.clone(),
                    template,
                    filled,
                });
            }
        }
    }
    (prepared, issues)
}

/// Builds the file name DVC gives an image it writes: `REV_PATH` with `/` made `_`.
pub fn image_file_name(revision: &str, filename: &str) -> String {
    format!("{revision}_{filename}").replace(['/', '\\'], "_")
}

/// Builds `{"data": {id: [...]}, "errors": [...]}`. Images are written to
/// `image_dir` (as DVC does) and referenced by absolute path; `write_image`
/// does the writing so that callers choose how.
pub fn to_json(
    prepared: &[Prepared],
    issues: &[PlotIssue],
    image_dir: &Path,
    write_image: &mut dyn FnMut(&Path, &[u8]) -> std::io::Result<()>,
) -> std::io::Result<Json> {
    let mut data = super::json::Object::new();
    for plot in prepared {
        let entries = match plot {
            Prepared::Vega { plot, filled, .. } => match filled {
                Some(filled) => vec![Json::object([
                    ("type", Json::str("vega")),
                    ("revisions", Json::strings(&plot.revisions)),
                    ("content", filled.spec.clone()),
                ])],
                None => Vec::new(),
            },
            Prepared::Image(image) => {
                let mut entries = Vec::new();
                for found in &image.images {
                    let path = image_dir.join(image_file_name(&found.revision, &found.filename));
                    write_image(&path, &found.bytes)?;
                    entries.push(Json::object([
                        ("type", Json::str("image")),
                        ("revisions", Json::strings([found.revision.as_str()])),
                        ("url", Json::str(path.display().to_string())),
                    ]));
                }
                entries
            }
        };
        data.insert(plot.id().to_string(), Json::Array(entries));
    }
    let mut output = super::json::Object::new();
    if !issues.is_empty() {
        output.insert(
            "errors".to_string(),
            Json::Array(issues.iter().map(issue_json).collect()),
        );
    }
    // DVC drops empty keys from this output.
    if !data.is_empty() {
        output.insert("data".to_string(), Json::Object(data));
    }
    Ok(Json::Object(output))
}

fn issue_json(issue: &PlotIssue) -> Json {
    let mut pairs = Vec::new();
    if let Some(name) = &issue.name {
        pairs.push(("name", Json::str(name.clone())));
    }
    pairs.push(("rev", Json::str(issue.revision.clone())));
    if let Some(source) = &issue.source {
        pairs.push(("source", Json::str(source.clone())));
    }
    pairs.push(("type", Json::str(issue.kind.clone())));
    pairs.push(("msg", Json::str(issue.message.clone())));
    Json::object(pairs)
}
