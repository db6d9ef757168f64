//! Filling a template with one plot, as DVC's `VegaRenderer` does: colours per
//! revision, stroke dashes and shapes per field or file, grouping, tooltips and
//! size placeholders, then the title, axes, labels and rows. It also returns
//! the row field that separates series, for the SVG renderer.

use super::group::VegaPlot;
use super::json::Json;
use super::template::{Template, TemplateError};

/// The optional placeholders, in DVC's order.
const OPTIONAL_ANCHORS: [&str; 13] = [
    "color",
    "column",
    "group_by_x",
    "group_by_y",
    "group_by",
    "pivot_field",
    "plot_height",
    "plot_width",
    "row",
    "shape",
    "stroke_dash",
    "tooltip",
    "zoom_and_pan",
];

/// One colour per revision, in order; they repeat after the last.
pub const COLORS: [&str; 7] = [
    "#945dd6", "#13adc7", "#f46837", "#48bb78", "#4299e1", "#ed8936", "#f56565",
];
/// One dash pattern per field or file.
pub const STROKE_DASHES: [[u32; 2]; 7] = [[1, 0], [8, 8], [8, 4], [4, 4], [4, 2], [2, 1], [1, 1]];
/// One point shape per field or file.
pub const SHAPES: [&str; 4] = ["circle", "square", "triangle", "diamond"];

/// The default chart size DVC puts in the size placeholders.
pub const PLOT_SIZE: i64 = 300;

const FIELD_SEPARATOR: &str = "::";

/// A filled template and what a static renderer needs to draw it.
#[derive(Clone, Debug)]
pub struct FilledPlot {
    /// The Vega-Lite spec with the rows inline.
    pub spec: Json,
    /// The rows as filled in: `filename` and `field` are dropped when they do
    /// not vary and joined into `filename::field` when both vary.
    pub rows: Vec<Json>,
    /// The row field that separates series within a revision (`field`,
    /// `filename` or `filename::field`), when there are several sources.
    pub series_field: Option<String>,
    /// Its values in legend order (sorted, as DVC sorts the scale domain).
    pub series_domain: Vec<String>,
    /// Revisions in colour order.
    pub revisions: Vec<String>,
}

fn escape_field(field: &str) -> String {
    let mut escaped = String::new();
    for c in field.chars() {
        if matches!(c, '.' | '[' | ']') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Builds a scale that maps `field`'s `domain` to values from `range`, cycling.
fn mapping<T: Clone + Into<Json>>(
    field: &str,
    domain: &[String],
    range: &[T],
    legend: bool,
) -> Json {
    let values: Vec<Json> = (0..domain.len())
        .map(|index| range[index % range.len()].clone().into())
        .collect();
    let mut pairs = vec![
        ("field", Json::str(field)),
        (
            "scale",
            Json::object([
                ("domain", Json::strings(domain)),
                ("range", Json::Array(values)),
            ]),
        ),
    ];
    if legend {
        // Dash and shape legends show outlines only, so they do not look like
        // one of the revision colours.
        pairs.push((
            "legend",
            Json::object([
                ("symbolFillColor", Json::str("transparent")),
                ("symbolStrokeColor", Json::str("grey")),
            ]),
        ));
    }
    Json::object(pairs)
}

impl From<[u32; 2]> for Json {
    fn from(dash: [u32; 2]) -> Json {
        Json::Array(
            dash.iter()
                .map(|&part| Json::Int(i64::from(part)))
                .collect(),
        )
    }
}

struct Filler<'a> {
    template: &'a mut Template,
    optional: Vec<&'static str>,
}

impl Filler<'_> {
    fn fill(&mut self, name: &str, value: Json) {
        if let Some(position) = self.optional.iter().position(|anchor| *anchor == name) {
            self.optional.remove(position);
            self.template.fill_anchor(name, &value);
        }
    }
}

/// Fills `template` with `plot`. Returns `None` when the plot has no rows.
pub fn fill_template(
    plot: &VegaPlot,
    template: &Template,
) -> Result<Option<FilledPlot>, TemplateError> {
    let Some(props) = &plot.props else {
        return Ok(None);
    };
    if plot.rows.is_empty() {
        return Ok(None);
    }
    let has_field = |field: &str| plot.rows.iter().any(|row| row.get(field).is_some());
    if !has_field(&props.x) {
        return Err(TemplateError::NoFieldInData(props.x.clone()));
    }
    if let Some(y) = &props.y {
        if !has_field(y) {
            return Err(TemplateError::NoFieldInData(y.clone()));
        }
    }

    let mut template = template.clone();
    let mut rows = plot.rows.clone();
    let x = props.x.clone();
    let y = props.y.clone().unwrap_or_default();
    let revisions = plot.revisions.clone();
    let optional: Vec<&'static str> = OPTIONAL_ANCHORS
        .iter()
        .copied()
        .filter(|anchor| template.has_anchor(anchor))
        .collect();

    let mut series_field = None;
    let mut series_domain = Vec::new();
    // `None`: the template has no optional placeholders and the rows keep
    // `filename` and `field` as they are.
    let mut varied: Option<Vec<&'static str>> = None;
    if !optional.is_empty() {
        let mut filler = Filler {
            template: &mut template,
            optional,
        };
        filler.fill("color", mapping("rev", &revisions, &COLORS, false));
        filler.fill(
            "zoom_and_pan",
            Json::object([
                ("name", Json::str("grid")),
                ("select", Json::str("interval")),
                ("bind", Json::str("scales")),
            ]),
        );
        filler.fill("plot_height", Json::Int(PLOT_SIZE));
        filler.fill("plot_width", Json::Int(PLOT_SIZE));

        let definitions = &props.y_definitions;
        if definitions.len() <= 1 {
            filler.fill("group_by", Json::strings(["rev"]));
            filler.fill("group_by_x", Json::strings(["rev", x.as_str()]));
            filler.fill("group_by_y", Json::strings(["rev", y.as_str()]));
            filler.fill("pivot_field", Json::str("datum.rev"));
            filler.fill("tooltip", tooltip(&["rev", &x, &y]));
            for anchor in filler.optional.clone() {
                filler.fill(anchor, Json::object(Vec::<(&str, Json)>::new()));
            }
            varied = Some(Vec::new());
        } else {
            let mut filenames: Vec<&str> =
                definitions.iter().map(|d| d.filename.as_str()).collect();
            let mut fields: Vec<&str> = definitions.iter().map(|d| d.field.as_str()).collect();
            filenames.sort_unstable();
            filenames.dedup();
            fields.sort_unstable();
            fields.dedup();
            let mut keys = Vec::new();
            if filenames.len() > 1 {
                keys.push("filename");
            }
            if fields.len() > 1 {
                keys.push("field");
            }
            let mut domain: Vec<String> = match keys.as_slice() {
                ["filename", "field"] => definitions
                    .iter()
                    .map(|d| format!("{}{FIELD_SEPARATOR}{}", d.filename, d.field))
                    .collect(),
                ["filename"] => filenames.iter().map(|name| name.to_string()).collect(),
                ["field"] => fields.iter().map(|name| name.to_string()).collect(),
                _ => Vec::new(),
            };
            domain.sort();
            domain.dedup();
            let concat = keys.join(FIELD_SEPARATOR);
            filler.fill("group_by", Json::strings(["rev", concat.as_str()]));
            filler.fill(
                "group_by_x",
                Json::strings(["rev", concat.as_str(), x.as_str()]),
            );
            filler.fill(
                "group_by_y",
                Json::strings(["rev", concat.as_str(), y.as_str()]),
            );
            let pivot: Vec<String> = std::iter::once("rev")
                .chain(keys.iter().copied())
                .map(|key| format!("datum.{key}"))
                .collect();
            filler.fill("pivot_field", Json::str(pivot.join(" + '::' + ")));
            let facet = Json::object([
                ("field", Json::str(concat.clone())),
                ("sort", Json::Array(Vec::new())),
            ]);
            filler.fill("row", facet.clone());
            filler.fill("column", facet);
            filler.fill("tooltip", tooltip(&["rev", &x, &y, &concat]));
            filler.fill(
                "stroke_dash",
                mapping(&concat, &domain, &STROKE_DASHES, true),
            );
            filler.fill("shape", mapping(&concat, &domain, &SHAPES, true));
            if !keys.is_empty() {
                series_field = Some(concat);
                series_domain = domain;
            }
            varied = Some(keys);
        }
    }

    if let Some(keys) = &varied {
        for row in &mut rows {
            let Json::Object(object) = row else {
                continue;
            };
            if keys.len() == 2 {
                let joined = keys
                    .iter()
                    .map(|key| {
                        object
                            .get(*key)
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_string()
                    })
                    .collect::<Vec<_>>()
                    .join(FIELD_SEPARATOR);
                object.insert(keys.join(FIELD_SEPARATOR), Json::str(joined));
                for key in keys {
                    object.shift_remove(*key);
                }
            } else {
                for key in ["filename", "field"] {
                    if !keys.contains(&key) {
                        object.shift_remove(key);
                    }
                }
            }
        }
    }

    template.fill_anchor("title", &Json::str(plot.title.clone()));
    template.fill_anchor("x", &Json::str(escape_field(&x)));
    if props.y.is_some() {
        template.fill_anchor("y", &Json::str(escape_field(&y)));
    }
    template.fill_anchor("x_label", &Json::str(props.x_label.clone()));
    let y_label = props.y_label.clone().or_else(|| props.y.clone());
    if let Some(label) = &y_label {
        template.fill_anchor("y_label", &Json::str(label.clone()));
    }
    if !template.has_anchor("data") {
        return Err(TemplateError::MissingAnchor {
            name: template.name.clone(),
            anchor: super::template::anchor("data"),
        });
    }
    template.fill_anchor("data", &Json::Array(rows.clone()));

    Ok(Some(FilledPlot {
        spec: template.content,
        rows,
        series_field,
        series_domain,
        revisions,
    }))
}

/// Tooltip fields, in DVC's order: `rev`, x, y, then the series field.
fn tooltip(fields: &[&str]) -> Json {
    Json::Array(
        fields
            .iter()
            .map(|field| Json::object([("field", Json::str(*field))]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::yaml;
    use crate::plots::convert::flat_datapoints;
    use crate::plots::props::PlotProps;
    use indexmap::IndexMap;

    fn plot(id: &str, props: &str, data: &str) -> VegaPlot {
        let props = PlotProps::from_node(yaml::parse(props).root.as_ref());
        let files: IndexMap<String, Json> =
            IndexMap::from([(id.to_string(), Json::parse(data).unwrap())]);
        let (rows, resolved) = flat_datapoints(id, &files, &props, "workspace")
            .unwrap()
            .unwrap();
        VegaPlot {
            id: id.to_string(),
            title: id.to_string(),
            template: None,
            rows,
            props: Some(resolved),
            revisions: vec!["workspace".to_string()],
        }
    }

    const DATA: &str = r#"[{"epoch": "1", "train_loss": "0.7", "test_loss": "0.73"}]"#;

    #[test]
    fn several_fields_get_one_dash_each() {
        let plot = plot("h.csv", "x: epoch\ny: [train_loss, test_loss]", DATA);
        let filled = fill_template(&plot, &Template::built_in("linear").unwrap())
            .unwrap()
            .unwrap();
        let encoding = filled.spec.get("encoding").unwrap();
        // The encodings `dvc plots show --json` gives for the same file.
        assert_eq!(
            encoding.get("strokeDash").unwrap().to_compact(),
            r#"{"field":"field","scale":{"domain":["test_loss","train_loss"],"range":[[1,0],[8,8]]},"legend":{"symbolFillColor":"transparent","symbolStrokeColor":"grey"}}"#
        );
        assert_eq!(
            encoding.get("color").unwrap().to_compact(),
            r##"{"field":"rev","scale":{"domain":["workspace"],"range":["#945dd6"]}}"##
        );
        assert_eq!(
            filled.rows[0].to_compact(),
            r#"{"epoch":"1","train_loss":"0.7","test_loss":"0.73","dvc_inferred_y_value":"0.7","rev":"workspace","field":"train_loss"}"#
        );
        assert_eq!(filled.series_field.as_deref(), Some("field"));
        assert_eq!(filled.series_domain, vec!["test_loss", "train_loss"]);
        let text = filled.spec.to_compact();
        assert!(!text.contains("<DVC_METRIC_"), "{text}");
    }

    #[test]
    fn one_source_empties_unused_placeholders() {
        let plot = plot("h.csv", "x: epoch\ny: test_loss", DATA);
        let filled = fill_template(&plot, &Template::built_in("linear").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            filled
                .spec
                .get("encoding")
                .unwrap()
                .get("strokeDash")
                .unwrap()
                .to_compact(),
            "{}"
        );
        assert_eq!(
            filled.rows[0].to_compact(),
            r#"{"epoch":"1","train_loss":"0.7","test_loss":"0.73","rev":"workspace"}"#
        );
        assert_eq!(filled.series_field, None);
        let data = filled.spec.get("data").unwrap().get("values").unwrap();
        assert_eq!(data.as_array().unwrap().len(), 1);
    }

    #[test]
    fn field_names_with_dots_are_escaped_for_vega() {
        assert_eq!(escape_field("metrics.acc[0]"), r"metrics\.acc\[0\]");
    }
}
