//! In-place edits of params files for `retort exp run -S`.
//!
//! DVC applies `-S` overrides with Hydra and then re-serializes the whole file,
//! which drops comments, quoting and flow style. Here each edit changes only the
//! text of the value or key it is about; every other byte stays as it was.
//!
//! The operations follow Hydra's override semantics as DVC 3.67.1 applies them
//! (checked against `dvc.utils.hydra.apply_overrides`):
//! - `key=value` ([`EditOp::Set`]) needs the key to exist. A mapping value is
//!   merged into an existing mapping key by key, and each of its keys must exist.
//! - `+key=value` ([`EditOp::Add`]) adds a key. It fails if the key exists with a
//!   value other than null, unless the new value is a list or mapping, which is
//!   then set or merged (new keys allowed).
//! - `++key=value` ([`EditOp::AddOrSet`]) adds or sets, merging mappings.
//! - `~key` and `~key=value` ([`EditOp::Delete`]) remove a key, and with a value
//!   only if the key has that value. A key whose value is null counts as missing.
//! - Adding under a key whose value is a scalar or null replaces that value with a
//!   mapping, as Hydra does.
//!
//! After each change the text is parsed again and compared with the expected
//! tree, so an edit never produces a file that reads back differently.

mod json;
mod python;
mod render;
mod text;
mod toml;
mod yaml;

use thiserror::Error;

use crate::formats::{self, Format};
use crate::node::{Entry, Map, Node, Value};
use crate::suggest;
use crate::text::Span;
use text::Change;

/// The kind of a `-S` override.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditOp {
    /// `key=value`
    Set,
    /// `+key=value`
    Add,
    /// `++key=value`
    AddOrSet,
    /// `~key` or `~key=value`
    Delete,
}

/// One override: an operation on a dotted key path. List items are addressed by
/// their index (`layers.0`).
#[derive(Clone, Debug, PartialEq)]
pub struct ParamEdit {
    pub op: EditOp,
    pub path: String,
    /// The new value; for [`EditOp::Delete`] the value the key must have, if any.
    pub value: Option<Value>,
}

#[derive(Debug, Error, PartialEq)]
pub enum EditError {
    #[error("the params file has a syntax error at byte {}: {message}; fix it before editing", span.start)]
    Syntax { message: String, span: Span },

    #[error("invalid key path '{path}': use dot-separated keys such as train.lr")]
    InvalidPath { path: String },

    #[error("{op} of '{path}' needs a value, as in {path}=1")]
    MissingValue { op: &'static str, path: String },

    #[error("key '{path}' is not in the params file{}", suggestion(closest))]
    MissingKey { path: String, closest: Vec<String> },

    #[error("key '{path}' already exists; use {path}=VALUE to change it, or ++{path}=VALUE to add or change it")]
    KeyExists { path: String },

    #[error("cannot add keys under '{path}': it holds a {found}, not a mapping")]
    NotAMapping { path: String, found: &'static str },

    #[error("cannot delete '{path}': its value is {found}, not {expected}")]
    ValueMismatch {
        path: String,
        expected: String,
        found: String,
    },

    #[error("cannot edit '{path}': {reason}")]
    Unsupported { path: String, reason: String },

    #[error("cannot edit '{path}' in place: {reason}")]
    NotInPlace { path: String, reason: String },
}

fn suggestion(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggest::or_list(closest))
    }
}

/// Applies `edits` in order to the params file `text` and returns the new text.
/// Nothing is applied if any edit fails.
pub fn apply_edits(format: Format, text: &str, edits: &[ParamEdit]) -> Result<String, EditError> {
    let mut document = Document::parse(format, text.to_string())?;
    for edit in edits {
        document = apply_edit(document, edit)?;
    }
    Ok(document.text)
}

/// A parsed params file. A YAML file with no document is an empty mapping.
pub(super) struct Document {
    format: Format,
    text: String,
    root: Node,
}

impl Document {
    fn parse(format: Format, text: String) -> Result<Document, EditError> {
        let parsed = formats::parse(format, &text);
        if let Some(error) = parsed.errors.into_iter().next() {
            return Err(EditError::Syntax {
                message: error.message,
                span: error.span,
            });
        }
        let root = match parsed.root {
            Some(root) => root,
            None => Node::new(Value::Map(Map::new()), Span::at(text.len())),
        };
        Ok(Document { format, text, root })
    }
}

/// The reason a format cannot make a change. The caller adds the key path.
pub(super) enum Rejection {
    /// The format cannot express the change at all.
    Unsupported(String),
    /// The change is possible in principle but not without rewriting other text.
    NotInPlace(String),
}

fn rejected(path: &[String], rejection: Rejection) -> EditError {
    let path = path.join(".");
    match rejection {
        Rejection::Unsupported(reason) => EditError::Unsupported { path, reason },
        Rejection::NotInPlace(reason) => EditError::NotInPlace { path, reason },
    }
}

fn split_path(path: &str) -> Result<Vec<String>, EditError> {
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    if parts.iter().any(String::is_empty) {
        return Err(EditError::InvalidPath {
            path: path.to_string(),
        });
    }
    Ok(parts)
}

fn apply_edit(document: Document, edit: &ParamEdit) -> Result<Document, EditError> {
    let parts = split_path(&edit.path)?;
    let value = || {
        edit.value.as_ref().ok_or_else(|| EditError::MissingValue {
            op: match edit.op {
                EditOp::Set => "setting",
                EditOp::Add => "adding",
                _ => "adding or setting",
            },
            path: edit.path.clone(),
        })
    };
    match edit.op {
        EditOp::Set => set(document, &parts, value()?, false),
        EditOp::AddOrSet => set(document, &parts, value()?, true),
        EditOp::Add => {
            let value = value()?;
            if let Lookup::Found(node) = lookup(&document.root, &parts) {
                let is_collection = matches!(value, Value::List(_) | Value::Map(_));
                if !node.is_null() && !is_collection {
                    return Err(EditError::KeyExists {
                        path: edit.path.clone(),
                    });
                }
            }
            set(document, &parts, value, true)
        }
        EditOp::Delete => delete(document, &parts, edit.value.as_ref()),
    }
}

/// The result of following a key path in a tree.
pub(super) enum Lookup<'a> {
    Found(&'a Node),
    /// The first `depth` parts exist and end at `at`; the next part does not.
    Missing {
        depth: usize,
        at: &'a Node,
    },
}

pub(super) fn lookup<'a>(root: &'a Node, parts: &[String]) -> Lookup<'a> {
    let mut current = root;
    for (depth, part) in parts.iter().enumerate() {
        let next = match &current.value {
            Value::Map(map) => map.get(part).map(|entry| &entry.value),
            Value::List(items) => part
                .parse::<usize>()
                .ok()
                .and_then(|index| items.get(index)),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => return Lookup::Missing { depth, at: current },
        }
    }
    Lookup::Found(current)
}

/// A node found by its path, with what it sits in.
pub(super) struct Located<'a> {
    pub node: &'a Node,
    pub parent: Option<&'a Node>,
    /// The key span when the parent is a mapping.
    pub key_span: Option<Span>,
    /// The position in the parent mapping or list.
    pub index: usize,
}

/// Finds the node at `parts`, which must exist. Refuses nodes whose text lies
/// outside their parent's, as values reached through a YAML alias or `<<` merge
/// do: editing them would change the anchor and every other use of it.
pub(super) fn locate<'a>(root: &'a Node, parts: &[String]) -> Result<Located<'a>, Rejection> {
    let mut located = Located {
        node: root,
        parent: None,
        key_span: None,
        index: 0,
    };
    for part in parts {
        let parent = located.node;
        let (node, key_span, index) = match &parent.value {
            Value::Map(map) => {
                let (index, _, entry) = map
                    .get_full(part)
                    .ok_or_else(|| Rejection::NotInPlace(format!("key '{part}' not found")))?;
                (&entry.value, Some(entry.key_span), index)
            }
            Value::List(items) => {
                let index = part
                    .parse::<usize>()
                    .ok()
                    .filter(|index| *index < items.len());
                let index =
                    index.ok_or_else(|| Rejection::NotInPlace(format!("no list item '{part}'")))?;
                (&items[index], None, index)
            }
            _ => {
                return Err(Rejection::NotInPlace(format!(
                    "'{part}' is inside a scalar"
                )))
            }
        };
        let inside = |span: Span| parent.span.start <= span.start && span.end <= parent.span.end;
        if !inside(node.span) || !key_span.is_none_or(inside) {
            return Err(Rejection::NotInPlace(
                "the value comes from a YAML alias or '<<' merge key; edit the anchored value instead"
                    .to_string(),
            ));
        }
        located = Located {
            node,
            parent: Some(parent),
            key_span,
            index,
        };
    }
    Ok(located)
}

/// `OmegaConf.update(cfg, key, value, merge=True)`, with `force_add` for the
/// `+` and `++` forms.
fn set(
    document: Document,
    parts: &[String],
    value: &Value,
    force_add: bool,
) -> Result<Document, EditError> {
    match lookup(&document.root, parts) {
        Lookup::Found(node) => {
            if let (Value::Map(_), Value::Map(new)) = (&node.value, value) {
                let mut document = document;
                for (key, entry) in new {
                    let mut path = parts.to_vec();
                    path.push(key.clone());
                    document = set(document, &path, &entry.value.value, force_add)?;
                }
                return Ok(document);
            }
            replace(document, parts, value)
        }
        Lookup::Missing { depth, at } => {
            if !force_add {
                return Err(EditError::MissingKey {
                    path: parts.join("."),
                    closest: closest_keys(&document.root, &parts.join(".")),
                });
            }
            let (existing, missing) = parts.split_at(depth);
            match &at.value {
                Value::Map(_) => insert(document, existing, missing, value),
                Value::List(_) => Err(EditError::NotAMapping {
                    path: existing.join("."),
                    found: "list",
                }),
                // Hydra replaces a scalar or null on the way with a new mapping.
                _ if depth > 0 => replace(document, existing, &nested(missing, value)),
                other => Err(EditError::NotAMapping {
                    path: String::new(),
                    found: other.type_name(),
                }),
            }
        }
    }
}

fn delete(
    document: Document,
    parts: &[String],
    expected: Option<&Value>,
) -> Result<Document, EditError> {
    let node = match lookup(&document.root, parts) {
        Lookup::Found(node) if !node.is_null() => node,
        _ => {
            return Err(EditError::MissingKey {
                path: parts.join("."),
                closest: closest_keys(&document.root, &parts.join(".")),
            })
        }
    };
    if let Some(expected) = expected {
        if !expected.loosely_equals(&node.value) {
            return Err(EditError::ValueMismatch {
                path: parts.join("."),
                expected: expected.to_python_str(),
                found: node.value.to_python_str(),
            });
        }
    }
    let (parent_parts, _) = parts.split_at(parts.len() - 1);
    if let Lookup::Found(parent) = lookup(&document.root, parent_parts) {
        if matches!(parent.value, Value::List(_)) {
            return Err(EditError::Unsupported {
                path: parts.join("."),
                reason: "list items cannot be deleted by index (DVC fails on it too); set the whole list instead"
                    .to_string(),
            });
        }
    }

    let changes = match document.format {
        Format::Yaml => yaml::delete(&document.text, &document.root, parts),
        Format::Json => json::delete(&document.root, parts),
        Format::Toml => toml::delete(&document.text, &document.root, parts),
        Format::Python => python::delete(),
    }
    .map_err(|rejection| rejected(parts, rejection))?;
    let mut expected_root = document.root.value.clone();
    if let Some(Value::Map(map)) = value_at_mut(&mut expected_root, parent_parts) {
        map.shift_remove(&parts[parts.len() - 1]);
    }
    commit(document, changes, &expected_root, parts)
}

fn replace(document: Document, parts: &[String], value: &Value) -> Result<Document, EditError> {
    let changes = match document.format {
        Format::Yaml => yaml::replace(&document.text, &document.root, parts, value),
        Format::Json => json::replace(&document.root, parts, value),
        Format::Toml => toml::replace(&document.text, &document.root, parts, value),
        Format::Python => python::replace(&document.text, &document.root, parts, value),
    }
    .map_err(|rejection| rejected(parts, rejection))?;
    let mut expected_root = document.root.value.clone();
    if let Some(target) = value_at_mut(&mut expected_root, parts) {
        *target = value.clone();
    }
    commit(document, changes, &expected_root, parts)
}

/// Adds the key path `missing` with `value` under the mapping at `existing`.
fn insert(
    document: Document,
    existing: &[String],
    missing: &[String],
    value: &Value,
) -> Result<Document, EditError> {
    let changes = match document.format {
        Format::Yaml => yaml::insert(&document.text, &document.root, existing, missing, value),
        Format::Json => json::insert(&document.text, &document.root, existing, missing, value),
        Format::Toml => toml::insert(&document.text, &document.root, existing, missing, value),
        Format::Python => python::insert(),
    };
    let full: Vec<String> = existing.iter().chain(missing).cloned().collect();
    let changes = changes.map_err(|rejection| rejected(&full, rejection))?;
    let mut expected_root = document.root.value.clone();
    if let Some(Value::Map(map)) = value_at_mut(&mut expected_root, existing) {
        let (first, rest) = missing.split_first().expect("a missing key");
        map.insert(
            first.clone(),
            Entry {
                key_span: Span::default(),
                value: Node::synthetic(nested(rest, value)),
            },
        );
    }
    commit(document, changes, &expected_root, &full)
}

/// Builds `{a: {b: value}}` from the parts `[a, b]`. No parts give the value.
pub(super) fn nested(parts: &[String], value: &Value) -> Value {
    parts.iter().rev().fold(value.clone(), |inner, key| {
        let mut map = Map::new();
        map.insert(
            key.clone(),
            Entry {
                key_span: Span::default(),
                value: Node::synthetic(inner),
            },
        );
        Value::Map(map)
    })
}

fn value_at_mut<'a>(value: &'a mut Value, parts: &[String]) -> Option<&'a mut Value> {
    let mut current = value;
    for part in parts {
        current = match current {
            Value::Map(map) => &mut map.get_mut(part)?.value.value,
            Value::List(items) => &mut items.get_mut(part.parse::<usize>().ok()?)?.value,
            _ => return None,
        };
    }
    Some(current)
}

/// Applies `changes`, parses the result and checks that it reads back as
/// `expected`.
fn commit(
    document: Document,
    changes: Vec<Change>,
    expected: &Value,
    parts: &[String],
) -> Result<Document, EditError> {
    let new_text = text::apply(&document.text, changes);
    let not_in_place = |reason: String| EditError::NotInPlace {
        path: parts.join("."),
        reason,
    };
    let parsed = formats::parse(document.format, &new_text);
    if let Some(error) = parsed.errors.first() {
        return Err(not_in_place(format!(
            "the edited file would not parse ({}); this is a bug in Retort's {} editing",
            error.message,
            document.format.name()
        )));
    }
    let root = parsed
        .root
        .unwrap_or_else(|| Node::new(Value::Map(Map::new()), Span::at(new_text.len())));
    if !values_match(&root.value, expected) {
        return Err(not_in_place(
            "the edited file would not read back as intended, so nothing was changed".to_string(),
        ));
    }
    Ok(Document {
        format: document.format,
        text: new_text,
        root,
    })
}

/// Compares values strictly (an int is not a float) but ignores spans and the
/// order of mapping keys. NaN equals NaN.
pub fn values_match(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Float(a), Value::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
        (Value::List(a), Value::List(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| values_match(&x.value, &y.value))
        }
        (Value::Map(a), Value::Map(b)) => {
            a.len() == b.len()
                && a.iter().all(|(key, entry)| {
                    b.get(key)
                        .is_some_and(|other| values_match(&entry.value.value, &other.value.value))
                })
        }
        (a, b) => a == b,
    }
}

/// Returns up to three existing key paths closest to `path`, for "did you
/// mean" hints.
fn closest_keys(root: &Node, path: &str) -> Vec<String> {
    let mut candidates = Vec::new();
    collect_paths(root, String::new(), &mut candidates);
    suggest::closest(path, candidates.iter().map(String::as_str), 3)
}

fn collect_paths(node: &Node, prefix: String, out: &mut Vec<String>) {
    if let Value::Map(map) = &node.value {
        for (key, entry) in map {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            out.push(path.clone());
            collect_paths(&entry.value, path, out);
        }
    }
}

#[cfg(test)]
mod tests;
