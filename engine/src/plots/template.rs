//! Vega-Lite templates: the built-in ones (Retort's own specs, with the same
//! names and `<DVC_METRIC_*>` placeholders as DVC's) and custom templates that a
//! project keeps in `.dvc/plots/NAME.json` or names by path.

use std::path::{Path, PathBuf};

use super::json::Json;

/// The built-in templates in the order `dvc plots templates` lists them.
pub const BUILT_IN: [(&str, &str); 9] = [
    ("simple", include_str!("templates/simple.json")),
    ("linear", include_str!("templates/linear.json")),
    ("confusion", include_str!("templates/confusion.json")),
    (
        "confusion_normalized",
        include_str!("templates/confusion_normalized.json"),
    ),
    ("scatter", include_str!("templates/scatter.json")),
    (
        "scatter_jitter",
        include_str!("templates/scatter_jitter.json"),
    ),
    ("smooth", include_str!("templates/smooth.json")),
    (
        "bar_horizontal_sorted",
        include_str!("templates/bar_horizontal_sorted.json"),
    ),
    (
        "bar_horizontal",
        include_str!("templates/bar_horizontal.json"),
    ),
];

/// The template used when a plot names none.
pub const DEFAULT_TEMPLATE: &str = "linear";

/// The kind of static drawing. Custom templates are classified by their marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    Linear,
    Simple,
    Smooth,
    Scatter,
    ScatterJitter,
    Confusion,
    ConfusionNormalized,
    BarHorizontal,
    BarHorizontalSorted,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("Template '{0}' not found. Use a built-in template name (see `retort plots templates`), a file in .dvc/plots/, or a path to a Vega-Lite JSON file")]
    NotFound(String),
    #[error("unable to read the template '{path}': {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("Template '{name}' is not using '{anchor}' anchor; add \"values\": \"{anchor}\" to its data")]
    MissingAnchor { name: String, anchor: String },
    #[error("Field '{0}' does not exist in provided data.")]
    NoFieldInData(String),
}

/// A template: its name, its content with placeholders, and how to draw it.
#[derive(Clone, Debug)]
pub struct Template {
    pub name: String,
    pub content: Json,
    pub kind: ChartKind,
    pub built_in: bool,
}

/// Builds the placeholder for an anchor name: `<DVC_METRIC_NAME>`.
pub fn anchor(name: &str) -> String {
    format!("<DVC_METRIC_{}>", name.to_uppercase())
}

impl Template {
    /// Loads a built-in template by name.
    pub fn built_in(name: &str) -> Option<Template> {
        let (name, text) = BUILT_IN.iter().find(|(built_in, _)| *built_in == name)?;
        let content = Json::parse(text).expect("built-in templates are valid JSON");
        Some(Template {
            name: name.to_string(),
            kind: built_in_kind(name),
            content,
            built_in: true,
        })
    }

    /// Finds a template as DVC does: `templates_dir/NAME`, then
    /// `templates_dir/NAME.json`, then `NAME` as a path relative to `base`, then
    /// the built-in templates. `None` means the default, `linear`.
    pub fn find(
        name: Option<&str>,
        templates_dir: Option<&Path>,
        base: &Path,
    ) -> Result<Template, TemplateError> {
        let name = name.unwrap_or(DEFAULT_TEMPLATE);
        let mut candidates = Vec::new();
        if let Some(dir) = templates_dir {
            candidates.push(dir.join(name));
            candidates.push(dir.join(format!("{name}.json")));
        }
        candidates.push(base.join(name));
        for path in candidates {
            if path.is_file() {
                let text =
                    std::fs::read_to_string(&path).map_err(|error| TemplateError::Unreadable {
                        path: path.clone(),
                        message: error.to_string(),
                    })?;
                let content = Json::parse(&text).map_err(|error| TemplateError::Unreadable {
                    path: path.clone(),
                    message: format!("not valid JSON: {error}"),
                })?;
                if content.as_object().is_none() {
                    return Err(TemplateError::Unreadable {
                        path,
                        message: "a template must be a JSON object".to_string(),
                    });
                }
                return Ok(Template {
                    name: name.to_string(),
                    kind: guess_kind(&content),
                    content,
                    built_in: false,
                });
            }
        }
        Template::built_in(name).ok_or_else(|| TemplateError::NotFound(name.to_string()))
    }

    /// Checks whether the placeholder for `name` is a whole string value
    /// somewhere in the template.
    pub fn has_anchor(&self, name: &str) -> bool {
        contains_value(&self.content, &anchor(name))
    }

    /// Replaces the placeholder for `name` with `value`. A string that is
    /// exactly the placeholder becomes `value`; inside longer strings that are
    /// values of objects, a string `value` replaces the placeholder text.
    pub fn fill_anchor(&mut self, name: &str, value: &Json) {
        let placeholder = anchor(name);
        replace_in(&mut self.content, &placeholder, value, false);
    }
}

fn contains_value(json: &Json, wanted: &str) -> bool {
    match json {
        Json::Str(text) => text == wanted,
        Json::Array(items) => items.iter().any(|item| contains_value(item, wanted)),
        Json::Object(object) => object.values().any(|value| contains_value(value, wanted)),
        _ => false,
    }
}

fn replace_in(json: &mut Json, placeholder: &str, value: &Json, in_list: bool) {
    match json {
        Json::Str(text) => {
            if text == placeholder {
                *json = value.clone();
            } else if !in_list && text.contains(placeholder) {
                if let Json::Str(replacement) = value {
                    *text = text.replace(placeholder, replacement);
                }
            }
        }
        Json::Array(items) => {
            for item in items {
                replace_in(item, placeholder, value, true);
            }
        }
        Json::Object(object) => {
            for item in object.values_mut() {
                replace_in(item, placeholder, value, false);
            }
        }
        _ => {}
    }
}

fn built_in_kind(name: &str) -> ChartKind {
    match name {
        "simple" => ChartKind::Simple,
        "smooth" => ChartKind::Smooth,
        "scatter" => ChartKind::Scatter,
        "scatter_jitter" => ChartKind::ScatterJitter,
        "confusion" => ChartKind::Confusion,
        "confusion_normalized" => ChartKind::ConfusionNormalized,
        "bar_horizontal" => ChartKind::BarHorizontal,
        "bar_horizontal_sorted" => ChartKind::BarHorizontalSorted,
        _ => ChartKind::Linear,
    }
}

/// Picks a static drawing for a custom template from the marks it uses: rect
/// marks in a facet are a confusion matrix, bars are horizontal bars, points
/// are a scatter plot, and anything else is drawn as lines.
fn guess_kind(content: &Json) -> ChartKind {
    let mut marks = Vec::new();
    collect_marks(content, &mut marks);
    let has = |mark: &str| marks.iter().any(|found| found == mark);
    if has("rect") && content.get("facet").is_some() {
        ChartKind::Confusion
    } else if has("bar") {
        ChartKind::BarHorizontal
    } else if (has("point") || has("circle")) && !has("line") {
        ChartKind::Scatter
    } else {
        ChartKind::Simple
    }
}

fn collect_marks(json: &Json, marks: &mut Vec<String>) {
    match json {
        Json::Object(object) => {
            for (key, value) in object {
                if key == "mark" {
                    match value {
                        Json::Str(mark) => marks.push(mark.clone()),
                        Json::Object(mark) => {
                            if let Some(Json::Str(kind)) = mark.get("type") {
                                marks.push(kind.clone());
                            }
                        }
                        _ => {}
                    }
                } else {
                    collect_marks(value, marks);
                }
            }
        }
        Json::Array(items) => items.iter().for_each(|item| collect_marks(item, marks)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_have_every_placeholder() {
        for (name, _) in BUILT_IN {
            let template = Template::built_in(name).unwrap();
            for placeholder in ["data", "title", "x", "y", "x_label", "y_label"] {
                assert!(
                    template.has_anchor(placeholder),
                    "{name} lacks {placeholder}"
                );
            }
            assert!(
                template.has_anchor("color") || template.has_anchor("row"),
                "{name}"
            );
        }
    }

    #[test]
    fn fill_replaces_values_and_inner_text() {
        let mut template = Template {
            name: "t".into(),
            content: Json::parse(
                r#"{"a": "<DVC_METRIC_X>", "b": "datum.<DVC_METRIC_X> > 0", "c": ["<DVC_METRIC_X>", "x <DVC_METRIC_X>"], "d": "<DVC_METRIC_COLOR>"}"#,
            )
            .unwrap(),
            kind: ChartKind::Simple,
            built_in: false,
        };
        template.fill_anchor("x", &Json::str("step"));
        template.fill_anchor("color", &Json::object([("field", Json::str("rev"))]));
        assert_eq!(
            template.content.to_compact(),
            r#"{"a":"step","b":"datum.step > 0","c":["step","x <DVC_METRIC_X>"],"d":{"field":"rev"}}"#
        );
    }

    #[test]
    fn templates_dir_wins_over_built_ins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.json"),
            r#"{"data": {"values": "<DVC_METRIC_DATA>"}, "mark": "bar"}"#,
        )
        .unwrap();
        let found = Template::find(Some("mine"), Some(dir.path()), dir.path()).unwrap();
        assert!(!found.built_in);
        assert_eq!(found.kind, ChartKind::BarHorizontal);
        assert_eq!(
            Template::find(None, Some(dir.path()), dir.path())
                .unwrap()
                .name,
            "linear"
        );
        assert!(matches!(
            Template::find(Some("nope"), Some(dir.path()), dir.path()),
            Err(TemplateError::NotFound(_))
        ));
    }
}
