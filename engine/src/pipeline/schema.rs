//! The shape of `dvc.yaml`, as DVC 3 validates it before templating: which keys
//! exist where, which are required and what type each value has. Validation
//! reports every problem with its span instead of stopping at the first, and the
//! field descriptions double as completion and hover text in the editor.

use std::sync::LazyLock;

use crate::diagnostic::{Diagnostic, Fix, TextEdit};
use crate::node::{Node, Value};
use crate::suggest;

/// The expected shape of a value.
#[derive(Debug)]
pub enum Shape {
    Any,
    Str,
    Bool,
    /// A list whose items all have the inner shape.
    List(Box<Shape>),
    /// A mapping with a fixed set of keys; other keys are errors.
    Fields(&'static [Field]),
    /// A mapping from any string key to values of one shape.
    MapOf(Box<Shape>),
    /// Any mapping.
    AnyMap,
    /// Any list.
    AnyList,
    /// The value matches one of the alternatives, picked by the value's kind.
    OneOf(Vec<Shape>),
    /// A stage: a plain or `matrix` stage, or a `foreach`/`do` group.
    Stage,
    Null,
}

/// A key of a [`Shape::Fields`] mapping.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub shape: &'static LazyLock<Shape>,
    pub required: bool,
    pub doc: &'static str,
}

macro_rules! shape {
    ($name:ident, $value:expr) => {
        pub static $name: LazyLock<Shape> = LazyLock::new(|| $value);
    };
}

shape!(ANY, Shape::Any);
shape!(STR, Shape::Str);
shape!(BOOL, Shape::Bool);
shape!(STR_LIST, Shape::List(Box::new(Shape::Str)));
shape!(STR_OR_LIST, Shape::OneOf(vec![Shape::Str, Shape::AnyList]));
shape!(
    VARS,
    Shape::List(Box::new(Shape::OneOf(vec![Shape::Str, Shape::AnyMap])))
);
shape!(
    STAGE_PARAMS,
    Shape::List(Box::new(Shape::OneOf(vec![Shape::Str, Shape::AnyMap])))
);
shape!(
    MATRIX,
    Shape::MapOf(Box::new(Shape::OneOf(vec![Shape::Str, Shape::AnyList])))
);
shape!(
    OUTS,
    Shape::List(Box::new(Shape::OneOf(vec![
        Shape::Str,
        Shape::MapOf(Box::new(Shape::Fields(OUT_FLAGS))),
    ])))
);
shape!(
    STAGE_PLOTS,
    Shape::List(Box::new(Shape::OneOf(vec![
        Shape::Str,
        Shape::MapOf(Box::new(Shape::OneOf(vec![
            Shape::Fields(PLOT_FLAGS),
            Shape::List(Box::new(Shape::Fields(PLOT_FLAGS))),
        ]))),
    ])))
);
shape!(STAGE_DEFINITION, Shape::Fields(STAGE_FIELDS));
shape!(
    FOREACH_DATA,
    Shape::OneOf(vec![Shape::AnyMap, Shape::AnyList, Shape::Str])
);
shape!(
    PLOT_X,
    Shape::OneOf(vec![Shape::Str, Shape::MapOf(Box::new(Shape::Str))])
);
shape!(
    PLOT_Y,
    Shape::OneOf(vec![
        Shape::Str,
        Shape::List(Box::new(Shape::Str)),
        Shape::MapOf(Box::new(Shape::OneOf(vec![
            Shape::Str,
            Shape::List(Box::new(Shape::Str)),
        ]))),
    ])
);
shape!(
    TOP_PLOTS,
    Shape::List(Box::new(Shape::OneOf(vec![
        Shape::Str,
        Shape::MapOf(Box::new(Shape::OneOf(vec![
            Shape::Null,
            Shape::Fields(PLOT_DEFINITION_FIELDS),
        ]))),
    ])))
);
shape!(STAGES, Shape::MapOf(Box::new(Shape::Stage)));
shape!(
    ARTIFACTS,
    Shape::MapOf(Box::new(Shape::Fields(ARTIFACT_FIELDS)))
);
shape!(TOP, Shape::Fields(TOP_FIELDS));

const fn field(name: &'static str, shape: &'static LazyLock<Shape>, doc: &'static str) -> Field {
    Field {
        name,
        shape,
        required: false,
        doc,
    }
}

const fn required(name: &'static str, shape: &'static LazyLock<Shape>, doc: &'static str) -> Field {
    Field {
        name,
        shape,
        required: true,
        doc,
    }
}

pub static TOP_FIELDS: &[Field] = &[
    field("stages", &STAGES, "The pipeline's stages, by name."),
    field("vars", &VARS, "Values for `${...}` templating: params files to load (`file` or `file:key1,key2`) and inline mappings. `params.yaml` is always loaded first."),
    field("params", &STR_LIST, "Params files tracked as a whole for `exp show` and `params diff`, without being a dependency of any stage."),
    field("metrics", &STR_LIST, "Metrics files shown by `metrics show` and `exp show`."),
    field("plots", &TOP_PLOTS, "Plot definitions: a path, or `{id: {x, y, template, title, ...}}`."),
    field("artifacts", &ARTIFACTS, "Models and data sets registered by name, each with a `path`."),
    field("datasets", &ANY, "Datasets that stages can depend on as `ds://name`."),
];

pub static STAGE_FIELDS: &[Field] = &[
    required("cmd", &STR_OR_LIST, "The command to run: a string, or a list of commands run in order that stops at the first failure."),
    field("wdir", &STR, "Working directory of the command, relative to this `dvc.yaml`. Paths in the stage are relative to it."),
    field("deps", &STR_LIST, "Files and directories the stage reads. A change in any of them makes the stage run again."),
    field("params", &STAGE_PARAMS, "Params the stage depends on: keys of `params.yaml`, or `{file: [keys]}`; `{file: null}` tracks the whole file."),
    field("outs", &OUTS, "Files and directories the stage writes. Cached by default; flags: cache, persist, remote, push, desc, type, labels, meta."),
    field("metrics", &OUTS, "Metrics files the stage writes (JSON, YAML, TOML)."),
    field("plots", &STAGE_PLOTS, "Plot data files the stage writes, with optional x, y, template and title."),
    field("frozen", &BOOL, "A frozen stage never runs and its dependencies are not checked."),
    field("always_changed", &BOOL, "The stage runs on every repro and is never restored from the run-cache."),
    field("desc", &STR, "A description of the stage."),
    field("meta", &ANY, "Free-form metadata, ignored when deciding whether the stage changed."),
    field("vars", &VARS, "Stage-local values for `${...}` templating."),
    field("matrix", &MATRIX, "Generates one stage per combination of the listed values; use `${item.<name>}` in the stage."),
];

pub static FOREACH_FIELDS: &[Field] = &[
    required("foreach", &FOREACH_DATA, "A list or mapping (or `${...}` that resolves to one); one stage is generated per item, named `group@key`."),
    required("do", &STAGE_DEFINITION, "The stage template; `${item}` is the current item and `${key}` its key when iterating over a mapping."),
];

pub static OUT_FLAGS: &[Field] = &[
    field("cache", &BOOL, "Whether the output goes into the cache (default true). With false, git is expected to track it."),
    field("persist", &BOOL, "Keep the output when the stage runs again instead of deleting it first (default false)."),
    field("checkpoint", &BOOL, "Marks a checkpoint output: the stage records a checkpoint each time its command signals a step."),
    field("remote", &STR, "The name of the DVC remote this output is pushed to."),
    field("push", &BOOL, "Whether `dvc push` uploads the output (default true)."),
    field("desc", &STR, "A description of the output."),
    field("type", &STR, "The type of the output, such as model or dataset."),
    field("labels", &STR_LIST, "Labels for the output."),
    field("meta", &ANY, "Free-form metadata for the output."),
];

pub static PLOT_FLAGS: &[Field] = &[
    field("cache", &BOOL, "Whether the plot file goes into the cache (default true)."),
    field("persist", &BOOL, "Keep the file when the stage runs again."),
    field("checkpoint", &BOOL, "Marks a checkpoint output."),
    field("remote", &STR, "The DVC remote for this output."),
    field("push", &BOOL, "Whether `dvc push` uploads the output."),
    field("desc", &STR, "A description of the plot."),
    field("type", &STR, "The type of the output."),
    field("labels", &STR_LIST, "Labels for the output."),
    field("meta", &ANY, "Free-form metadata."),
    field("template", &STR, "The plot template: linear, simple, scatter, smooth, confusion, confusion_normalized, bar_horizontal, bar_horizontal_sorted, or a custom template path."),
    field("x", &STR, "The field on the x axis; without it, a step index is used."),
    field("y", &STR, "The field on the y axis; without it, the last field is used."),
    field("x_label", &STR, "The x axis title."),
    field("y_label", &STR, "The y axis title."),
    field("title", &STR, "The plot title."),
    field("header", &BOOL, "Whether a CSV or TSV file has a header row (default true)."),
];

pub static PLOT_DEFINITION_FIELDS: &[Field] = &[
    field("x", &PLOT_X, "The x field, or `{file: field}`."),
    field(
        "y",
        &PLOT_Y,
        "The y field or fields, or `{file: field | [fields]}`.",
    ),
    field("x_label", &STR, "The x axis title."),
    field("y_label", &STR, "The y axis title."),
    field("title", &STR, "The plot title."),
    field("template", &STR, "The plot template (default linear)."),
];

pub static ARTIFACT_FIELDS: &[Field] = &[
    required("path", &STR, "The path of the artifact."),
    field("desc", &STR, "A description of the artifact."),
    field(
        "type",
        &STR,
        "The type of the artifact, such as model or dataset.",
    ),
    field("labels", &STR_LIST, "Labels for the artifact."),
    field("meta", &ANY, "Free-form metadata for the artifact."),
];

/// Validates a parsed `dvc.yaml` and returns one diagnostic per problem.
pub fn validate(root: &Node, file: &str) -> Vec<Diagnostic> {
    let mut validator = Validator {
        file,
        out: Vec::new(),
    };
    let mut path = Vec::new();
    validator.check(root, &TOP, &mut path);
    validator.out
}

/// The fields a mapping at `path` (keys from the top of `dvc.yaml`) may have,
/// for completion. `stage_is_foreach` says whether the stage at that path is a
/// `foreach` group.
pub fn fields_at(path: &[&str], stage_is_foreach: bool) -> Option<&'static [Field]> {
    match path {
        [] => Some(TOP_FIELDS),
        ["stages", _] if stage_is_foreach => Some(FOREACH_FIELDS),
        ["stages", _] | ["stages", _, "do"] => Some(STAGE_FIELDS),
        ["stages", _, "outs" | "metrics", _, _] | ["stages", _, "do", "outs" | "metrics", _, _] => {
            Some(OUT_FLAGS)
        }
        ["stages", _, "plots", _, _] | ["stages", _, "do", "plots", _, _] => Some(PLOT_FLAGS),
        ["plots", _, _] => Some(PLOT_DEFINITION_FIELDS),
        ["artifacts", _] => Some(ARTIFACT_FIELDS),
        _ => None,
    }
}

struct Validator<'a> {
    file: &'a str,
    out: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn check(&mut self, node: &Node, shape: &Shape, path: &mut Vec<String>) {
        match shape {
            Shape::Any => {}
            Shape::Null => {
                if !node.is_null() {
                    self.wrong_type(node, path, "null");
                }
            }
            Shape::Str => {
                if !matches!(node.value, Value::Str(_)) {
                    self.wrong_type(node, path, "a string");
                }
            }
            Shape::Bool => {
                if !matches!(node.value, Value::Bool(_)) {
                    self.wrong_type(node, path, "true or false");
                }
            }
            Shape::AnyMap => {
                if node.as_map().is_none() {
                    self.wrong_type(node, path, "a mapping");
                }
            }
            Shape::AnyList => {
                if node.as_list().is_none() {
                    self.wrong_type(node, path, "a list");
                }
            }
            Shape::List(item_shape) => match &node.value {
                Value::List(items) => {
                    for (index, item) in items.iter().enumerate() {
                        path.push(index.to_string());
                        self.check(item, item_shape, path);
                        path.pop();
                    }
                }
                _ => self.wrong_type(
                    node,
                    path,
                    &format!("a list of {}", describe_shape(item_shape)),
                ),
            },
            Shape::MapOf(value_shape) => match &node.value {
                Value::Map(map) => {
                    for (key, entry) in map {
                        path.push(key.clone());
                        self.check(&entry.value, value_shape, path);
                        path.pop();
                    }
                }
                _ => self.wrong_type(node, path, "a mapping"),
            },
            Shape::Fields(fields) => self.check_fields(node, fields, path),
            Shape::OneOf(options) => {
                let chosen = options
                    .iter()
                    .find(|option| kind_matches(option, &node.value))
                    .or_else(|| {
                        options
                            .iter()
                            .find(|option| kind_compatible(option, &node.value))
                    });
                match chosen {
                    Some(option) => self.check(node, option, path),
                    None => {
                        let expected: Vec<&str> = options.iter().map(describe_shape).collect();
                        self.wrong_type(node, path, &expected.join(" or "));
                    }
                }
            }
            Shape::Stage => {
                let is_foreach = node
                    .as_map()
                    .is_some_and(|map| map.contains_key("foreach") || map.contains_key("do"));
                let fields = if is_foreach {
                    FOREACH_FIELDS
                } else {
                    STAGE_FIELDS
                };
                self.check_fields(node, fields, path);
            }
        }
    }

    fn check_fields(&mut self, node: &Node, fields: &'static [Field], path: &mut Vec<String>) {
        let Some(map) = node.as_map() else {
            self.wrong_type(node, path, "a mapping");
            return;
        };
        for (key, entry) in map {
            match fields.iter().find(|field| field.name == key) {
                Some(field) => {
                    path.push(key.clone());
                    self.check(&entry.value, field.shape, path);
                    path.pop();
                }
                None => self.unknown_key(key, entry.key_span, fields, path),
            }
        }
        for field in fields.iter().filter(|field| field.required) {
            if !map.contains_key(field.name) {
                self.missing_key(node, field, path);
            }
        }
    }

    fn unknown_key(
        &mut self,
        key: &str,
        span: crate::text::Span,
        fields: &[Field],
        path: &[String],
    ) {
        let names: Vec<&str> = fields.iter().map(|field| field.name).collect();
        let closest = suggest::closest(key, names.iter().copied(), 3);
        let place = describe_place(path);
        let mut message = format!("unknown key '{key}' in {place}");
        if let Some(hint) = known_key_hint(key) {
            message.push_str(&format!("; {hint}"));
        } else if closest.is_empty() {
            message.push_str(&format!(
                "; valid keys are {}",
                suggest::or_list(
                    &names
                        .iter()
                        .map(|name| name.to_string())
                        .collect::<Vec<_>>()
                )
            ));
        } else {
            message.push_str(&format!("; did you mean {}?", suggest::or_list(&closest)));
        }
        let mut diagnostic = Diagnostic::error(self.file, span, "unknown-key", message);
        for candidate in closest {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Replace '{key}' with '{candidate}'"),
                edits: vec![TextEdit {
                    file: self.file.into(),
                    span,
                    new_text: candidate.clone(),
                }],
                create_file: None,
            });
        }
        self.out.push(diagnostic);
    }

    fn missing_key(&mut self, node: &Node, field: &Field, path: &[String]) {
        let place = describe_place(path);
        let message = match field.name {
            "cmd" => format!("{place} has no 'cmd'; add the command that runs it"),
            "do" => format!("{place} has 'foreach' but no 'do'; add the stage template under 'do'"),
            "foreach" => format!(
                "{place} has 'do' but no 'foreach'; add the list or mapping to iterate over"
            ),
            name => format!("{place} has no '{name}', which is required"),
        };
        // Point at the mapping's first line rather than its whole body.
        let span = crate::text::Span::new(node.span.start, node.span.start);
        let span = match node.as_map().and_then(|map| map.values().next()) {
            Some(first) => first.key_span,
            None => span,
        };
        let code = if field.name == "cmd" {
            "missing-cmd"
        } else {
            "missing-key"
        };
        self.out
            .push(Diagnostic::error(self.file, span, code, message));
    }

    fn wrong_type(&mut self, node: &Node, path: &[String], expected: &str) {
        let place = describe_place(path);
        let found = describe_value(&node.value);
        let message = format!("{place} must be {expected}, not {found}");
        self.out.push(Diagnostic::error(
            self.file,
            node.span,
            "wrong-type",
            message,
        ));
    }
}

/// Keys that older DVC versions or other tools used, with what to do instead.
fn known_key_hint(key: &str) -> Option<&'static str> {
    match key {
        "live" => Some(
            "DVC 3 removed 'live'; declare dvclive's files under 'metrics' and 'plots' instead",
        ),
        "checkpoints" => Some("use 'outs' with 'checkpoint: true' instead"),
        "locked" => Some("use 'frozen' instead"),
        _ => None,
    }
}

fn kind_matches(shape: &Shape, value: &Value) -> bool {
    matches!(
        (shape, value),
        (Shape::Str, Value::Str(_))
            | (Shape::Bool, Value::Bool(_))
            | (Shape::Null, Value::Null)
            | (Shape::Any, _)
            | (Shape::AnyList, Value::List(_))
            | (Shape::List(_), Value::List(_))
            | (Shape::AnyMap, Value::Map(_))
            | (Shape::MapOf(_), Value::Map(_))
            | (Shape::Fields(_), Value::Map(_))
            | (Shape::Stage, Value::Map(_))
    )
}

fn kind_compatible(shape: &Shape, value: &Value) -> bool {
    match shape {
        Shape::OneOf(options) => options.iter().any(|option| kind_matches(option, value)),
        _ => false,
    }
}

fn describe_shape(shape: &Shape) -> &'static str {
    match shape {
        Shape::Any => "any value",
        Shape::Str => "a string",
        Shape::Bool => "true or false",
        Shape::Null => "empty",
        Shape::List(_) | Shape::AnyList => "a list",
        Shape::Fields(_) | Shape::MapOf(_) | Shape::AnyMap | Shape::Stage => "a mapping",
        Shape::OneOf(_) => "one of several forms",
    }
}

fn describe_value(value: &Value) -> &'static str {
    match value {
        Value::Null => "empty (null)",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

/// Describes a key path for messages: `stage 'train'`, `'outs' of stage 'train'`,
/// `output 'model.pkl' of stage 'train'`.
pub fn describe_place(path: &[String]) -> String {
    let strings: Vec<&str> = path.iter().map(String::as_str).collect();
    match strings.as_slice() {
        [] => "the top level of dvc.yaml".to_string(),
        ["stages", stage] => format!("stage '{stage}'"),
        ["stages", stage, "do"] => format!("the 'do' template of stage '{stage}'"),
        ["stages", stage, rest @ ..] => {
            let rest: Vec<&str> = rest.iter().copied().filter(|part| *part != "do").collect();
            match rest.as_slice() {
                [field] => format!("'{field}' of stage '{stage}'"),
                [field, _index] => format!("an item of '{field}' in stage '{stage}'"),
                [field, _index, output] => {
                    format!("{} '{output}' in stage '{stage}'", output_noun(field))
                }
                [field, _index, output, flag, ..] => {
                    format!(
                        "'{flag}' of {} '{output}' in stage '{stage}'",
                        output_noun(field)
                    )
                }
                [] => format!("stage '{stage}'"),
            }
        }
        ["artifacts", name] => format!("artifact '{name}'"),
        ["artifacts", name, field, ..] => format!("'{field}' of artifact '{name}'"),
        ["plots", _index, id] => format!("plot '{id}'"),
        ["plots", _index, id, field, ..] => format!("'{field}' of plot '{id}'"),
        [first] => format!("'{first}'"),
        parts => format!("'{}'", parts.join(" -> ")),
    }
}

fn output_noun(field: &str) -> &'static str {
    match field {
        "metrics" => "metrics file",
        "plots" => "plot",
        _ => "output",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::yaml;

    fn problems(text: &str) -> Vec<Diagnostic> {
        let root = yaml::parse(text).root.expect("document");
        validate(&root, "dvc.yaml")
    }

    #[test]
    fn unknown_stage_key_suggests_the_closest() {
        let found = problems("stages:\n  s1:\n    cmd: echo\n    outz: [x]\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, "unknown-key");
        assert!(
            found[0].message.contains("did you mean 'outs'"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].fixes[0].edits[0].new_text, "outs");
    }

    #[test]
    fn missing_cmd_and_wrong_types() {
        let found = problems("stages:\n  s1:\n    deps: a.txt\n    frozen: 1\n");
        let codes: Vec<&str> = found.iter().map(|diagnostic| diagnostic.code).collect();
        assert_eq!(codes, vec!["wrong-type", "wrong-type", "missing-cmd"]);
    }

    #[test]
    fn foreach_requires_do() {
        let found = problems("stages:\n  g:\n    foreach: [a]\n    cmd: echo\n");
        let messages: Vec<&str> = found
            .iter()
            .map(|diagnostic| diagnostic.message.as_str())
            .collect();
        assert_eq!(found.len(), 2, "{messages:?}");
    }

    #[test]
    fn valid_file_has_no_problems() {
        let text = "vars:\n  - params.yaml\n  - {a: 1}\nstages:\n  s:\n    cmd: [a, b]\n    outs:\n      - m.pkl:\n          cache: false\n    plots:\n      - p.csv: {x: step}\n  g:\n    foreach: ${items}\n    do:\n      cmd: echo ${item}\n  m:\n    matrix:\n      a: [1, 2]\n    cmd: echo\nplots:\n  - loss.csv\n  - P:\n      y: {a.csv: [x, y]}\n  - Q:\nartifacts:\n  model:\n    path: m.pkl\n    labels: [a]\n";
        assert!(problems(text).is_empty(), "{:?}", problems(text));
    }
}
