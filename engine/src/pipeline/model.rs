//! The resolved pipeline: stages after templating and `foreach`/`matrix`
//! expansion, with paths relative to the stage's working directory as written and
//! helpers that turn them into project-relative paths.

use indexmap::IndexMap;
use serde::Serialize;

use crate::node::Value;
use crate::paths;
use crate::text::Span;

use super::context::TrackedVars;

/// A stage command: one string, or a list of commands run in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Cmd {
    Single(String),
    List(Vec<String>),
}

impl Cmd {
    /// The commands to run, in order. DVC splits a single string into lines and
    /// runs each line as its own command.
    pub fn commands(&self) -> Vec<&str> {
        match self {
            Cmd::Single(command) => command.lines().collect(),
            Cmd::List(commands) => commands.iter().map(String::as_str).collect(),
        }
    }

    pub fn display(&self) -> String {
        match self {
            Cmd::Single(command) => command.clone(),
            Cmd::List(commands) => commands.join(" && "),
        }
    }
}

/// A path written in a stage, with the span of its text in `dvc.yaml`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathEntry {
    /// The path as written, relative to the stage's working directory.
    pub path: String,
    #[serde(skip)]
    pub span: Span,
}

/// One params file a stage depends on, after DVC's merging of the `params` list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamsDep {
    /// The params file relative to the stage's working directory.
    pub file: String,
    /// Tracked keys; empty when the whole file is tracked.
    pub keys: Vec<ParamKey>,
    pub whole_file: bool,
    /// Where the file is named, or where the first bare key is, for diagnostics.
    #[serde(skip)]
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamKey {
    pub key: String,
    #[serde(skip)]
    pub span: Span,
}

/// What kind of list an output was declared in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutKind {
    Out,
    Metric,
    Plot,
}

/// An output of a stage with its flags.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Out {
    pub path: String,
    pub kind: OutKind,
    pub cache: bool,
    pub persist: bool,
    pub push: bool,
    pub remote: Option<String>,
    pub checkpoint: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_value_option"
    )]
    pub meta: Option<Value>,
    /// Plot properties (`x`, `y`, `template`, ...) given on a plots output.
    #[serde(
        skip_serializing_if = "IndexMap::is_empty",
        serialize_with = "serialize_value_map"
    )]
    pub plot_props: IndexMap<String, Value>,
    #[serde(skip)]
    pub span: Span,
}

impl Out {
    pub fn new(path: String, kind: OutKind, span: Span) -> Out {
        Out {
            path,
            kind,
            cache: true,
            persist: false,
            push: true,
            remote: None,
            checkpoint: false,
            desc: None,
            type_: None,
            labels: None,
            meta: None,
            plot_props: IndexMap::new(),
            span,
        }
    }
}

/// A resolved stage.
#[derive(Clone, Debug, Serialize)]
pub struct Stage {
    /// The stage name; generated stages are `group@key`.
    pub name: String,
    /// The `foreach`/`matrix` group a generated stage came from.
    pub group: Option<String>,
    /// The project-relative path of the `dvc.yaml` that defines the stage.
    pub dvcfile: String,
    pub cmd: Cmd,
    /// The working directory, project-relative and normalized (`""` is the root).
    pub wdir: String,
    pub deps: Vec<PathEntry>,
    pub params: Vec<ParamsDep>,
    pub outs: Vec<Out>,
    pub metrics: Vec<Out>,
    pub plots: Vec<Out>,
    pub frozen: bool,
    pub always_changed: bool,
    pub desc: Option<String>,
    #[serde(serialize_with = "serialize_value_option")]
    pub meta: Option<Value>,
    #[serde(serialize_with = "serialize_tracked")]
    pub tracked_vars: TrackedVars,
    #[serde(skip)]
    pub spans: StageSpans,
}

/// Where the parts of a stage are in its `dvc.yaml`. For generated stages these
/// point into the shared template.
#[derive(Clone, Debug, Default)]
pub struct StageSpans {
    /// The stage name key (the group name for generated stages).
    pub name: Span,
    /// The whole stage definition.
    pub definition: Span,
    pub cmd: Span,
    pub deps: Option<Span>,
    pub params: Option<Span>,
    pub outs: Option<Span>,
    pub metrics: Option<Span>,
    pub plots: Option<Span>,
    pub wdir: Option<Span>,
}

impl Stage {
    /// How DVC names the stage from the project root: `name` in the root
    /// `dvc.yaml`, `dir/dvc.yaml:name` elsewhere.
    pub fn addressing(&self) -> String {
        if self.dvcfile == "dvc.yaml" {
            self.name.clone()
        } else {
            format!("{}:{}", self.dvcfile, self.name)
        }
    }

    /// Turns a path written in this stage into a normalized project-relative
    /// path, or `None` when it leaves the project.
    pub fn resolve_path(&self, path: &str) -> Option<String> {
        paths::join_normalized(&self.wdir, path)
    }

    /// Every output, metrics file and plot in DVC's order: outs, then metrics,
    /// then plots.
    pub fn all_outs(&self) -> impl Iterator<Item = &Out> {
        self.outs.iter().chain(&self.metrics).chain(&self.plots)
    }

    /// The project-relative path of a params file of this stage.
    pub fn params_file_path(&self, params: &ParamsDep) -> Option<String> {
        self.resolve_path(&params.file)
    }
}

fn serialize_value_option<S: serde::Serializer>(
    value: &Option<Value>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serde::Serialize::serialize(&value.to_json(), serializer),
        None => serializer.serialize_none(),
    }
}

fn serialize_value_map<S: serde::Serializer>(
    map: &IndexMap<String, Value>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let json: serde_json::Map<String, serde_json::Value> = map
        .iter()
        .map(|(key, value)| (key.clone(), value.to_json()))
        .collect();
    serde::Serialize::serialize(&json, serializer)
}

fn serialize_tracked<S: serde::Serializer>(
    tracked: &TrackedVars,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let json: serde_json::Map<String, serde_json::Value> = tracked
        .iter()
        .map(|(file, keys)| {
            let keys: serde_json::Map<String, serde_json::Value> = keys
                .iter()
                .map(|(key, value)| (key.clone(), value.to_json()))
                .collect();
            (file.clone(), serde_json::Value::Object(keys))
        })
        .collect();
    serde::Serialize::serialize(&json, serializer)
}
