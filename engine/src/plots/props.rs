//! Plot properties: what a plot definition (stage-level output, top-level
//! `plots:` entry or command-line flags) says about axes, labels, title and
//! template, merged the way DVC merges the dicts.

use indexmap::IndexMap;

use crate::node::{Node, Value};
use crate::pyfmt;

/// One axis as written: a field name, a list of field names, or fields per file.
#[derive(Clone, Debug, PartialEq)]
pub enum Axis {
    Field(String),
    Fields(Vec<String>),
    /// `{file: field}` or `{file: [fields]}`; a single field is a one-item list.
    Files(IndexMap<String, Vec<String>>),
}

impl Axis {
    /// Every `(file, field)` pair in order, as DVC's `_file_field` yields them.
    pub fn file_fields(&self) -> Vec<(String, String)> {
        match self {
            Axis::Files(files) => files
                .iter()
                .flat_map(|(file, fields)| {
                    fields
                        .iter()
                        .map(move |field| (file.clone(), field.clone()))
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The properties of one plot. `None` means "not given", so that merging keeps
/// the value from the other side.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlotProps {
    pub template: Option<String>,
    pub x: Option<Axis>,
    pub y: Option<Axis>,
    pub x_label: Option<String>,
    pub y_label: Option<String>,
    pub title: Option<String>,
    /// Whether a CSV or TSV file has a header row (stage-level outputs and the
    /// `--no-header` flag only).
    pub header: Option<bool>,
}

impl PlotProps {
    /// Reads properties from a definition mapping. Keys that are not plot
    /// properties (`cache`, `persist`, ...) are ignored, as DVC's
    /// `project(out.plot, PLOT_PROPS)` does.
    pub fn from_map<'a>(entries: impl IntoIterator<Item = (&'a str, &'a Value)>) -> PlotProps {
        let mut props = PlotProps::default();
        for (key, value) in entries {
            match key {
                "template" => props.template = scalar(value),
                "x" => props.x = axis(value),
                "y" => props.y = axis(value),
                "x_label" => props.x_label = scalar(value),
                "y_label" => props.y_label = scalar(value),
                "title" => props.title = scalar(value),
                "header" => {
                    props.header = match value {
                        Value::Bool(flag) => Some(*flag),
                        _ => None,
                    }
                }
                _ => {}
            }
        }
        props
    }

    /// Reads a top-level definition node (`None` for a bare id).
    pub fn from_node(node: Option<&Node>) -> PlotProps {
        match node.and_then(Node::as_map) {
            Some(map) => PlotProps::from_map(
                map.iter()
                    .map(|(key, entry)| (key.as_str(), &entry.value.value)),
            ),
            None => PlotProps::default(),
        }
    }

    /// `self | other` on Python dicts: every property `other` gives wins.
    pub fn overlay(&self, other: &PlotProps) -> PlotProps {
        PlotProps {
            template: other.template.clone().or_else(|| self.template.clone()),
            x: other.x.clone().or_else(|| self.x.clone()),
            y: other.y.clone().or_else(|| self.y.clone()),
            x_label: other.x_label.clone().or_else(|| self.x_label.clone()),
            y_label: other.y_label.clone().or_else(|| self.y_label.clone()),
            title: other.title.clone().or_else(|| self.title.clone()),
            header: other.header.or(self.header),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == PlotProps::default()
    }

    /// DVC treats a definition as path-keyed unless `y` maps files to fields.
    pub fn id_is_path(&self) -> bool {
        !matches!(self.y, Some(Axis::Files(_)))
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Null | Value::List(_) | Value::Map(_) => None,
        other => Some(pyfmt::python_str(other)),
    }
}

fn axis(value: &Value) -> Option<Axis> {
    match value {
        Value::Null => None,
        Value::List(items) => Some(Axis::Fields(
            items
                .iter()
                .filter_map(|item| scalar(&item.value))
                .collect(),
        )),
        Value::Map(map) => Some(Axis::Files(
            map.iter()
                .map(|(file, entry)| {
                    let fields = match &entry.value.value {
                        Value::List(items) => items
                            .iter()
                            .filter_map(|item| scalar(&item.value))
                            .collect(),
                        other => scalar(other).into_iter().collect(),
                    };
                    (file.clone(), fields)
                })
                .collect(),
        )),
        other => scalar(other).map(Axis::Field),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::yaml;

    fn props(text: &str) -> PlotProps {
        let parsed = yaml::parse(text);
        PlotProps::from_node(parsed.root.as_ref())
    }

    #[test]
    fn axes_read_as_field_list_or_files() {
        let read =
            props("x: step\ny: {a.csv: loss, b.csv: [p, q]}\ntemplate: scatter\ncache: false\n");
        assert_eq!(read.x, Some(Axis::Field("step".into())));
        let y = read.y.as_ref().unwrap();
        assert_eq!(
            y.file_fields(),
            vec![
                ("a.csv".to_string(), "loss".to_string()),
                ("b.csv".to_string(), "p".to_string()),
                ("b.csv".to_string(), "q".to_string()),
            ]
        );
        assert_eq!(read.template.as_deref(), Some("scatter"));
        assert!(!read.id_is_path());
        assert!(props("y: [a, b]").id_is_path());
    }

    #[test]
    fn overlay_keeps_unset_values() {
        let base = props("x: step\ntitle: Base\n");
        let top = props("title: Top\n");
        let merged = base.overlay(&top);
        assert_eq!(merged.title.as_deref(), Some("Top"));
        assert_eq!(merged.x, Some(Axis::Field("step".into())));
    }
}
