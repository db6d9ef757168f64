//! Turning the data of one plot at one revision into flat rows for Vega-Lite,
//! as DVC's `VegaConverter` does: x and y are inferred when missing (y is the
//! last field of the first record, x a `step` index), every y field of every
//! file becomes its own copy of the rows, and each row is tagged with `rev`,
//! `filename` and `field` (and `dvc_inferred_y_value` when the y fields differ).

use indexmap::IndexMap;

use super::json::{Json, Object};
use super::props::{Axis, PlotProps};

/// The synthetic x field used when a plot has no x.
pub const INDEX_FIELD: &str = "step";
pub const INFERRED_Y: &str = "dvc_inferred_y_value";
pub const INFERRED_X: &str = "dvc_inferred_x_value";

/// A y series definition: the shortened file name and the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YDefinition {
    pub filename: String,
    pub field: String,
}

/// Properties after conversion: the fields the rows carry and the labels.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedProps {
    pub template: Option<String>,
    pub title: Option<String>,
    /// The row field on the x axis.
    pub x: String,
    /// The row field on the y axis.
    pub y: Option<String>,
    pub x_label: String,
    pub y_label: Option<String>,
    pub y_definitions: Vec<YDefinition>,
}

/// Why a plot's data could not be turned into rows.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConvertError {
    #[error("Could not find provided field ('{field}') in data fields ('{found}').")]
    FieldNotFound { field: String, found: String },
    #[error("Cannot have different number of x and y data sources. Found {xs} x and {ys} y data sources.")]
    SourceCountMismatch { xs: usize, ys: usize },
    #[error("Cannot join '{x_field}' from '{x_file}' and '{y_field}' from '{y_file}'. They have to have same length.")]
    LengthMismatch {
        x_field: String,
        x_file: String,
        y_field: String,
        y_file: String,
    },
}

impl ConvertError {
    /// The exception name DVC reports for the same failure.
    pub fn kind(&self) -> &'static str {
        match self {
            ConvertError::FieldNotFound { .. } => "FieldNotFoundError",
            _ => "DvcException",
        }
    }
}

/// Every list found in a file's content: the content itself when it is a list,
/// else the lists among its values, looking into nested objects.
fn lists(content: &Json) -> Vec<&[Json]> {
    let mut found = Vec::new();
    match content {
        Json::Array(items) => found.push(items.as_slice()),
        Json::Object(object) => {
            for value in object.values() {
                match value {
                    Json::Object(_) => found.extend(lists(value)),
                    Json::Array(items) => found.push(items.as_slice()),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    found
}

/// A list of records that all have the same keys.
fn is_datapoints(list: &[Json]) -> bool {
    let Some(Json::Object(first)) = list.first() else {
        return false;
    };
    if !list.iter().all(|item| matches!(item, Json::Object(_))) {
        return false;
    }
    let mut all_keys: Vec<&String> = Vec::new();
    for item in list {
        if let Json::Object(object) = item {
            for key in object.keys() {
                if !all_keys.contains(&key) {
                    all_keys.push(key);
                }
            }
        }
    }
    all_keys.len() == first.len() && all_keys.iter().all(|key| first.contains_key(*key))
}

/// The records of a file: record *i* of every list of records in the content,
/// merged into one.
pub fn datapoints(content: &Json) -> Vec<Object> {
    let mut result: Vec<Object> = Vec::new();
    for list in lists(content) {
        if !is_datapoints(list) {
            continue;
        }
        for (index, item) in list.iter().enumerate() {
            if result.len() <= index {
                result.push(Object::new());
            }
            if let Json::Object(object) = item {
                for (key, value) in object {
                    result[index].insert(key.clone(), value.clone());
                }
            }
        }
    }
    result
}

/// The last field of the first record of the plot's own file.
fn infer_y(plot_id: &str, data: &IndexMap<String, Json>) -> Option<Axis> {
    let content = data.get(plot_id)?;
    for list in lists(content) {
        if !list.is_empty() && list.iter().all(|item| matches!(item, Json::Object(_))) {
            let field = list.first()?.as_object()?.keys().last()?.clone();
            return Some(Axis::Files(IndexMap::from([(
                plot_id.to_string(),
                vec![field],
            )])));
        }
    }
    None
}

/// Fills in `x` and `y` as `{file: [fields]}` maps.
fn infer_axes(
    plot_id: &str,
    data: &IndexMap<String, Json>,
    props: &PlotProps,
) -> (Option<Axis>, Option<Axis>) {
    let x = match &props.x {
        Some(Axis::Field(field)) => Some(Axis::Files(match &props.y {
            // One x per y series of every file.
            Some(Axis::Files(files)) => files
                .iter()
                .map(|(file, fields)| (file.clone(), vec![field.clone(); fields.len()]))
                .collect(),
            _ => IndexMap::from([(plot_id.to_string(), vec![field.clone()])]),
        })),
        other => other.clone(),
    };
    let y = match &props.y {
        None => infer_y(plot_id, data),
        Some(Axis::Field(field)) => Some(Axis::Files(IndexMap::from([(
            plot_id.to_string(),
            vec![field.clone()],
        )]))),
        Some(Axis::Fields(fields)) => Some(Axis::Files(IndexMap::from([(
            plot_id.to_string(),
            fields.clone(),
        )]))),
        Some(files) => Some(files.clone()),
    };
    (x, y)
}

fn distinct<'a>(items: impl Iterator<Item = &'a String>) -> Vec<&'a String> {
    let mut found = Vec::new();
    for item in items {
        if !found.contains(&item) {
            found.push(item);
        }
    }
    found
}

fn axis_label(explicit: &Option<String>, axis: &Option<Axis>, fallback: &str) -> Option<String> {
    if explicit.is_some() {
        return explicit.clone();
    }
    let pairs = axis.as_ref().map(Axis::file_fields).unwrap_or_default();
    let fields = distinct(pairs.iter().map(|(_, field)| field));
    match fields.as_slice() {
        [] => None,
        [only] => Some((*only).clone()),
        _ => Some(fallback.to_string()),
    }
}

/// Checks a field against the first record of its file.
fn verify_field(
    file_rows: &IndexMap<String, Vec<Object>>,
    file: &str,
    field: &str,
) -> Result<(), ConvertError> {
    if let Some(first) = file_rows.get(file).and_then(|rows| rows.first()) {
        if !first.contains_key(field) {
            return Err(ConvertError::FieldNotFound {
                field: field.to_string(),
                found: first.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        }
    }
    Ok(())
}

/// Python's `os.path.commonpath` for relative `/` paths.
fn common_path(paths: &[&String]) -> String {
    let mut parts: Vec<&str> = match paths.first() {
        Some(first) => first.split('/').collect(),
        None => return String::new(),
    };
    for path in &paths[1..] {
        let other: Vec<&str> = path.split('/').collect();
        let shared = parts.iter().zip(&other).take_while(|(a, b)| a == b).count();
        parts.truncate(shared);
    }
    parts.join("/")
}

fn short_file(file: &str, prefix_len: usize) -> String {
    file.get(prefix_len..)
        .unwrap_or(file)
        .trim_matches(|c| c == '/' || c == '\\')
        .to_string()
}

/// The rows of one plot at one revision and the resolved properties, or `None`
/// when there are no rows. `data` maps each source file to its content.
pub fn flat_datapoints(
    plot_id: &str,
    data: &IndexMap<String, Json>,
    props: &PlotProps,
    revision: &str,
) -> Result<Option<(Vec<Json>, ResolvedProps)>, ConvertError> {
    let (x_axis, y_axis) = infer_axes(plot_id, data, props);
    let file_rows: IndexMap<String, Vec<Object>> = data
        .iter()
        .map(|(file, content)| (file.clone(), datapoints(content)))
        .collect();
    let y_label = axis_label(&props.y_label, &y_axis, "y");
    let x_label = match (&props.x_label, &x_axis) {
        (Some(label), _) => label.clone(),
        (None, Some(Axis::Files(_))) => {
            axis_label(&None, &x_axis, "x").unwrap_or_else(|| "x".to_string())
        }
        (None, _) => INDEX_FIELD.to_string(),
    };

    let xs: Vec<(String, String)> = match &x_axis {
        Some(axis @ Axis::Files(_)) => axis.file_fields(),
        _ => Vec::new(),
    };
    for (file, field) in &xs {
        verify_field(&file_rows, file, field)?;
    }
    let multiple_x_fields = xs.len() > 1 && distinct(xs.iter().map(|(_, field)| field)).len() > 1;
    let (mut x_file, mut x_field) = match xs.first() {
        Some((file, field)) => (Some(file.clone()), field.clone()),
        None => (None, INDEX_FIELD.to_string()),
    };
    let x_name = if multiple_x_fields {
        INFERRED_X.to_string()
    } else {
        x_field.clone()
    };

    let ys: Vec<(String, String)> = y_axis.as_ref().map(Axis::file_fields).unwrap_or_default();
    for (file, field) in &ys {
        verify_field(&file_rows, file, field)?;
    }
    if xs.len() > 1 && xs.len() != ys.len() {
        return Err(ConvertError::SourceCountMismatch {
            xs: xs.len(),
            ys: ys.len(),
        });
    }
    let y_fields = distinct(ys.iter().map(|(_, field)| field));
    let y_files = distinct(ys.iter().map(|(file, _)| file));
    let y_name = if y_fields.len() > 1 {
        Some(INFERRED_Y.to_string())
    } else {
        y_fields.first().map(|field| (*field).clone())
    };
    let prefix_len = if y_files.len() > 1 {
        common_path(&y_files).len()
    } else {
        0
    };
    let y_definitions: Vec<YDefinition> = ys
        .iter()
        .map(|(file, field)| YDefinition {
            filename: short_file(file, prefix_len),
            field: field.clone(),
        })
        .collect();

    let mut all_rows: Vec<Json> = Vec::new();
    for (index, (y_file, y_field)) in ys.iter().enumerate() {
        if xs.len() > 1 {
            (x_file, x_field) = (Some(xs[index].0.clone()), xs[index].1.clone());
        }
        let mut rows: Vec<Object> = file_rows.get(y_file).cloned().unwrap_or_default();
        if y_name.as_deref() == Some(INFERRED_Y) {
            for row in &mut rows {
                if let Some(value) = row.get(y_field).cloned() {
                    row.insert(INFERRED_Y.to_string(), value);
                }
            }
        }
        match &x_file {
            None => {
                for (position, row) in rows.iter_mut().enumerate() {
                    row.insert(INDEX_FIELD.to_string(), Json::Int(position as i64));
                }
            }
            Some(file) => {
                let source = file_rows.get(file).map(Vec::as_slice).unwrap_or_default();
                if source.len() != rows.len() {
                    return Err(ConvertError::LengthMismatch {
                        x_field: x_field.clone(),
                        x_file: file.clone(),
                        y_field: y_field.clone(),
                        y_file: y_file.clone(),
                    });
                }
                let target = if multiple_x_fields {
                    INFERRED_X
                } else {
                    x_field.as_str()
                };
                for (row, source_row) in rows.iter_mut().zip(source) {
                    if let Some(value) = source_row.get(&x_field) {
                        row.insert(target.to_string(), value.clone());
                    }
                }
            }
        }
        let filename = short_file(y_file, prefix_len);
        for row in &mut rows {
            row.insert("rev".to_string(), Json::str(revision));
            row.insert("filename".to_string(), Json::str(filename.clone()));
            row.insert("field".to_string(), Json::str(y_field.clone()));
        }
        all_rows.extend(rows.into_iter().map(Json::Object));
    }
    if all_rows.is_empty() {
        return Ok(None);
    }
    Ok(Some((
        all_rows,
        ResolvedProps {
            template: props.template.clone(),
            title: props.title.clone(),
            x: x_name,
            y: y_name,
            x_label,
            y_label,
            y_definitions,
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::yaml;

    fn props(text: &str) -> PlotProps {
        PlotProps::from_node(yaml::parse(text).root.as_ref())
    }

    fn data(pairs: &[(&str, &str)]) -> IndexMap<String, Json> {
        pairs
            .iter()
            .map(|(file, text)| (file.to_string(), Json::parse(text).unwrap()))
            .collect()
    }

    #[test]
    fn nested_record_lists_merge_by_position() {
        let content = Json::parse(
            r#"{"train": [{"x": 1, "acc": 0.5}, {"x": 2, "acc": 0.7}], "meta": {"val": [{"vacc": 0.4}, {"vacc": 0.6}]}, "n": 3}"#,
        )
        .unwrap();
        let rows = datapoints(&content);
        assert_eq!(
            Json::Array(rows.into_iter().map(Json::Object).collect()).to_compact(),
            r#"[{"x":1,"acc":0.5,"vacc":0.4},{"x":2,"acc":0.7,"vacc":0.6}]"#
        );
    }

    #[test]
    fn missing_axes_become_step_and_last_field() {
        let files = data(&[(
            "a.tsv",
            r#"[{"step": "5", "loss": "1.0"}, {"step": "6", "loss": "0.5"}]"#,
        )]);
        let (rows, resolved) = flat_datapoints("a.tsv", &files, &PlotProps::default(), "workspace")
            .unwrap()
            .unwrap();
        assert_eq!(resolved.x, "step");
        assert_eq!(resolved.y.as_deref(), Some("loss"));
        assert_eq!(resolved.x_label, "step");
        assert_eq!(
            rows[1].to_compact(),
            r#"{"step":1,"loss":"0.5","rev":"workspace","filename":"a.tsv","field":"loss"}"#
        );
    }

    #[test]
    fn several_y_fields_repeat_rows() {
        let files = data(&[("e/l.csv", r#"[{"step": "0", "loss": "1.0", "val": "1.2"}]"#)]);
        let (rows, resolved) =
            flat_datapoints("e/l.csv", &files, &props("x: step\ny: [loss, val]"), "HEAD")
                .unwrap()
                .unwrap();
        assert_eq!(resolved.y.as_deref(), Some(INFERRED_Y));
        assert_eq!(resolved.y_label.as_deref(), Some("y"));
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1].to_compact(),
            r#"{"step":"0","loss":"1.0","val":"1.2","dvc_inferred_y_value":"1.2","rev":"HEAD","filename":"e/l.csv","field":"val"}"#
        );
    }

    #[test]
    fn file_names_lose_common_prefix() {
        let files = data(&[
            ("eval/a.csv", r#"[{"step": "0", "loss": "1"}]"#),
            ("eval/b.csv", r#"[{"step": "0", "loss": "2"}]"#),
        ]);
        let (rows, resolved) = flat_datapoints(
            "Both",
            &files,
            &props("x: step\ny: {eval/a.csv: loss, eval/b.csv: loss}"),
            "workspace",
        )
        .unwrap()
        .unwrap();
        assert_eq!(resolved.y.as_deref(), Some("loss"));
        let names: Vec<&str> = resolved
            .y_definitions
            .iter()
            .map(|d| d.filename.as_str())
            .collect();
        assert_eq!(names, vec!["a.csv", "b.csv"]);
        assert_eq!(
            rows[1].get("filename").and_then(Json::as_str),
            Some("b.csv")
        );
    }

    #[test]
    fn missing_field_lists_fields_found() {
        let files = data(&[("o.csv", r#"[{"a": "1", "b": "2"}]"#)]);
        let error = flat_datapoints("X", &files, &props("x: step\ny: {o.csv: a}"), "workspace")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Could not find provided field ('step') in data fields ('a, b')."
        );
    }
}
