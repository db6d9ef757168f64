//! The templating context of one `dvc.yaml`: the values that `${...}` expressions
//! read, where each came from, and which of them a stage used.
//!
//! DVC's rules, reproduced here: `params.yaml` next to the `dvc.yaml` is loaded
//! first, then the top-level `vars` in order, then a stage's own `vars` into a
//! copy of the context. Mappings merge deeply, but redefining a value that exists
//! is an error. Values read from files are tracked when a stage uses them, so
//! that they show up with the stage's params; inline `vars` are never tracked.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::files::{ParsedFiles, ReadFailure};
use crate::node::{Entry, Map, Node, Value};
use crate::paths;
use crate::text::Span;

/// Where a context value came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    /// The file the value was read from (project-relative), or a label such as
    /// `vars[0]` for inline values.
    pub source: Arc<str>,
    /// The dotted path of the value inside its source.
    pub path: String,
    /// Whether the value came from a file, which makes it tracked when used.
    pub from_file: bool,
}

/// A value in the context, with its origin and the span of its text in the
/// source it came from.
#[derive(Clone, Debug)]
pub struct CtxNode {
    pub value: CtxValue,
    pub origin: Option<Arc<Origin>>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum CtxValue {
    Scalar(Value),
    List(Vec<CtxNode>),
    Map(IndexMap<String, CtxNode>),
}

impl CtxNode {
    /// Converts a loaded value, giving every nested value an origin under
    /// `source` at its dotted path.
    pub fn from_node(
        node: &Node,
        source: Option<&Arc<str>>,
        path: &str,
        from_file: bool,
    ) -> CtxNode {
        let origin = source.map(|source| {
            Arc::new(Origin {
                source: source.clone(),
                path: path.to_string(),
                from_file,
            })
        });
        let child_path = |key: &str| {
            if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            }
        };
        let value = match &node.value {
            Value::List(items) => CtxValue::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| {
                        CtxNode::from_node(item, source, &child_path(&index.to_string()), from_file)
                    })
                    .collect(),
            ),
            Value::Map(map) => CtxValue::Map(
                map.iter()
                    .map(|(key, entry)| {
                        (
                            key.clone(),
                            CtxNode::from_node(&entry.value, source, &child_path(key), from_file),
                        )
                    })
                    .collect(),
            ),
            scalar => CtxValue::Scalar(scalar.clone()),
        };
        CtxNode {
            value,
            origin,
            span: node.span,
        }
    }

    /// A value built while resolving, such as `key` in a foreach stage.
    pub fn local(value: Value, span: Span) -> CtxNode {
        CtxNode::from_node(&Node::new(value, span), None, "", false)
    }

    /// Converts back to a plain value tree, keeping spans.
    pub fn to_node(&self) -> Node {
        let value = match &self.value {
            CtxValue::Scalar(value) => value.clone(),
            CtxValue::List(items) => Value::List(items.iter().map(CtxNode::to_node).collect()),
            CtxValue::Map(map) => Value::Map(
                map.iter()
                    .map(|(key, node)| {
                        let entry = Entry {
                            key_span: node.span,
                            value: node.to_node(),
                        };
                        (key.clone(), entry)
                    })
                    .collect::<Map>(),
            ),
        };
        Node::new(value, self.span)
    }

    pub fn type_name(&self) -> &'static str {
        match &self.value {
            CtxValue::Scalar(value) => value.type_name(),
            CtxValue::List(_) => "list",
            CtxValue::Map(_) => "dict",
        }
    }

    pub fn is_collection(&self) -> bool {
        !matches!(self.value, CtxValue::Scalar(_))
    }

    fn source_label(&self) -> String {
        match &self.origin {
            Some(origin) => origin.source.to_string(),
            None => "<local>".to_string(),
        }
    }
}

/// A failure while building the context or selecting from it.
#[derive(Clone, Debug, PartialEq)]
pub struct ContextError {
    pub message: String,
    /// Set when the problem is about a particular value, such as a redefinition.
    pub span: Option<Span>,
    /// The file the span points into, when it is not the `dvc.yaml` itself.
    pub file: Option<String>,
}

impl ContextError {
    fn new(message: impl Into<String>) -> ContextError {
        ContextError {
            message: message.into(),
            span: None,
            file: None,
        }
    }
}

/// What a stage read from params files while it was resolved:
/// file → dotted key → value, in the order of first use.
pub type TrackedVars = IndexMap<String, IndexMap<String, Value>>;

/// The templating context.
#[derive(Clone, Debug, Default)]
pub struct Context {
    root: IndexMap<String, CtxNode>,
    /// Files loaded so far: `None` when loaded whole, or the keys loaded.
    imports: IndexMap<String, Option<Vec<String>>>,
    reserved: Vec<String>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.root.contains_key(key)
    }

    pub fn top_level(&self) -> &IndexMap<String, CtxNode> {
        &self.root
    }

    /// Loads `params.yaml` from `dir` when it exists, then each `vars` item:
    /// strings name files (`path` or `path:key1,key2`, relative to `dir`) and
    /// mappings are inline values labelled `vars[i]` (or `stage.vars[i]`).
    pub fn load_vars(
        &mut self,
        files: &ParsedFiles<'_>,
        vars: &[VarsItem],
        dir: &str,
        stage_name: Option<&str>,
        load_default: bool,
    ) -> Result<(), ContextError> {
        if load_default {
            if let Some(default) = paths::join_normalized(dir, "params.yaml") {
                if files.source().exists(&default) {
                    self.merge_file(files, "params.yaml", dir)?;
                }
            }
        }
        for (index, item) in vars.iter().enumerate() {
            match item {
                VarsItem::File(text, _) => self.merge_file(files, text, dir)?,
                VarsItem::Inline(node) => {
                    let label: Arc<str> = match stage_name {
                        Some(stage) => Arc::from(format!("{stage}.vars[{index}]")),
                        None => Arc::from(format!("vars[{index}]")),
                    };
                    let Some(map) = node.as_map() else {
                        continue;
                    };
                    let converted: IndexMap<String, CtxNode> = map
                        .iter()
                        .map(|(key, entry)| {
                            (
                                key.clone(),
                                CtxNode::from_node(&entry.value, Some(&label), key, false),
                            )
                        })
                        .collect();
                    self.merge_update(converted)?;
                }
            }
        }
        Ok(())
    }

    /// Loads one `vars` file item such as `config.yaml` or `config.yaml:a,b`.
    fn merge_file(
        &mut self,
        files: &ParsedFiles<'_>,
        item: &str,
        dir: &str,
    ) -> Result<(), ContextError> {
        let (path_text, keys_text) = match item.split_once(':') {
            Some((path, keys)) => (path, Some(keys)),
            None => (item, None),
        };
        let Some(path) = paths::join_normalized(dir, path_text) else {
            return Err(ContextError::new(format!(
                "'{path_text}' points outside the project; vars files must be inside it"
            )));
        };
        let select: Option<Vec<String>> = keys_text
            .map(|keys| {
                keys.split(',')
                    .filter(|key| !key.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .filter(|keys| !keys.is_empty());

        if let Some(imported) = self.imports.get(&path) {
            if select.is_none() && imported.is_none() {
                // Loading a whole file again is allowed and changes nothing.
                return Ok(());
            }
            check_loaded(imported, item, select.as_deref())?;
        }

        let data = match files.get(&path) {
            Ok(data) => data,
            Err(ReadFailure::Missing) => {
                return Err(ContextError::new(format!("'{path}' does not exist")))
            }
            Err(ReadFailure::IsDirectory) => {
                return Err(ContextError::new(format!("'{path}' is a directory")))
            }
            Err(ReadFailure::Unreadable(reason)) => {
                return Err(ContextError::new(format!(
                    "unable to read '{path}': {reason}"
                )))
            }
        };
        if let Some(error) = data.parsed.errors.first() {
            return Err(ContextError {
                message: format!(
                    "unable to read '{path}' as {}: {}",
                    data.format.name(),
                    error.message
                ),
                span: Some(error.span),
                file: Some(path.clone()),
            });
        }
        let empty = Node::synthetic(Value::Map(Map::new()));
        let root = data.parsed.root.as_ref().unwrap_or(&empty);
        let Some(map) = root.as_map() else {
            return Err(ContextError::new(format!(
                "expected a dictionary, got '{}' in file '{path}'",
                root.value.type_name()
            )));
        };
        let source: Arc<str> = Arc::from(path.as_str());
        let mut loaded = IndexMap::new();
        match &select {
            Some(keys) => {
                for key in keys {
                    let Some(entry) = map.get(key) else {
                        return Err(ContextError::new(format!(
                            "could not find '{key}' in '{path}'"
                        )));
                    };
                    loaded.insert(
                        key.clone(),
                        CtxNode::from_node(&entry.value, Some(&source), key, true),
                    );
                }
            }
            None => {
                for (key, entry) in map {
                    loaded.insert(
                        key.clone(),
                        CtxNode::from_node(&entry.value, Some(&source), key, true),
                    );
                }
            }
        }

        self.merge_update(loaded).map_err(|mut error| {
            if error.message.starts_with("attempted to modify reserved") {
                error.message.push_str(&format!(" in '{item}'"));
            }
            error
        })?;

        match (self.imports.get_mut(&path), select) {
            (None, select) => {
                self.imports.insert(path, select);
            }
            (Some(Some(existing)), Some(keys)) => existing.extend(keys),
            _ => {}
        }
        Ok(())
    }

    /// Merges new top-level values, rejecting reserved keys and redefinitions.
    pub fn merge_update(&mut self, update: IndexMap<String, CtxNode>) -> Result<(), ContextError> {
        let reserved: Vec<&String> = self
            .reserved
            .iter()
            .filter(|key| update.contains_key(key.as_str()))
            .collect();
        if !reserved.is_empty() {
            let names: Vec<String> = reserved.iter().map(|key| format!("'{key}'")).collect();
            let noun = if names.len() > 1 { "keys" } else { "key" };
            return Err(ContextError::new(format!(
                "attempted to modify reserved {noun} {}",
                join_names(&names)
            )));
        }
        merge_maps(&mut self.root, update)
    }

    /// Sets `item` and `key` for one generated stage and reserves them, so that
    /// the stage's own `vars` cannot redefine them. Returns the values they
    /// replaced, for [`Context::restore_reserved`].
    pub fn set_reserved(
        &mut self,
        values: Vec<(String, CtxNode)>,
    ) -> Vec<(String, Option<CtxNode>)> {
        let mut previous = Vec::new();
        for (key, value) in values {
            self.reserved.push(key.clone());
            let old = self.root.insert(key.clone(), value);
            previous.push((key, old));
        }
        previous
    }

    pub fn restore_reserved(&mut self, previous: Vec<(String, Option<CtxNode>)>) {
        for (key, old) in previous {
            self.reserved.retain(|reserved| reserved != &key);
            match old {
                Some(old) => {
                    self.root.insert(key, old);
                }
                None => {
                    self.root.shift_remove(&key);
                }
            }
        }
    }

    /// Selects the value at a normalized dotted path (`a.b.0`), recording it in
    /// `tracked` when it came from a file. DVC tracks scalars and lists, but not
    /// mappings, which is why unpacking a dict into `cmd` tracks nothing.
    pub fn select(&self, path: &str, tracked: Option<&mut TrackedVars>) -> Option<&CtxNode> {
        let mut parts = path.split('.');
        let first = parts.next()?.trim();
        let mut current = self.root.get(first)?;
        for part in parts {
            let part = part.trim();
            current = match &current.value {
                CtxValue::Map(map) => map.get(part)?,
                CtxValue::List(items) => items.get(part.parse::<usize>().ok()?)?,
                CtxValue::Scalar(_) => return None,
            };
        }
        if let Some(tracked) = tracked {
            track(current, tracked);
        }
        Some(current)
    }
}

/// A `vars` list item.
#[derive(Clone, Debug)]
pub enum VarsItem {
    File(String, Span),
    Inline(Node),
}

fn track(node: &CtxNode, tracked: &mut TrackedVars) {
    let Some(origin) = &node.origin else {
        return;
    };
    if !origin.from_file || matches!(node.value, CtxValue::Map(_)) {
        return;
    }
    tracked
        .entry(origin.source.to_string())
        .or_default()
        .insert(origin.path.clone(), node.to_node().value);
}

fn check_loaded(
    imported: &Option<Vec<String>>,
    item: &str,
    select: Option<&[String]>,
) -> Result<(), ContextError> {
    match (imported, select) {
        (Some(_), None) => Err(ContextError::new(format!(
            "cannot load '{item}' as it's partially loaded already"
        ))),
        (None, Some(_)) => Err(ContextError::new(format!(
            "cannot partially load '{item}' as it's already loaded."
        ))),
        (Some(loaded), Some(keys)) if keys.iter().any(|key| loaded.contains(key)) => {
            Err(ContextError::new(format!(
                "cannot load '{item}' as it's partially loaded already"
            )))
        }
        _ => Ok(()),
    }
}

fn merge_maps(
    into: &mut IndexMap<String, CtxNode>,
    update: IndexMap<String, CtxNode>,
) -> Result<(), ContextError> {
    for (key, value) in update {
        match into.get_mut(&key) {
            Some(existing) => {
                if let (CtxValue::Map(existing_map), CtxValue::Map(new_map)) =
                    (&mut existing.value, &value.value)
                {
                    merge_maps(existing_map, new_map.clone())?;
                    continue;
                }
                let path = value
                    .origin
                    .as_ref()
                    .map(|origin| origin.path.clone())
                    .unwrap_or_else(|| key.clone());
                return Err(ContextError {
                    message: format!(
                        "cannot redefine '{path}' from '{}' as it already exists in '{}'; rename it or remove one of the two definitions",
                        value.source_label(),
                        existing.source_label()
                    ),
                    span: Some(value.span),
                    file: value
                        .origin
                        .as_ref()
                        .filter(|origin| origin.from_file)
                        .map(|origin| origin.source.to_string()),
                });
            }
            None => {
                into.insert(key, value);
            }
        }
    }
    Ok(())
}

/// Joins names as DVC's `humanize.join` does: `'a'`, `'a' and 'b'`,
/// `'a', 'b' and 'c'`.
pub fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Keeps a map from a context's file sources to their loaded state, for hovers
/// that explain where a value came from.
pub type Imports = HashMap<String, Option<Vec<String>>>;
