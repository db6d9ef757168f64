//! The value tree shared by every file format Retort reads: YAML, JSON, TOML and
//! Python params files all load into [`Node`]s, and every node keeps the byte span
//! of the text it came from so that diagnostics, hovers and in-place edits can
//! point at it. Values built by templating carry the span of their origin.

use indexmap::IndexMap;

use crate::pyfmt;
use crate::text::Span;

/// A value with the span of its source text.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// A value in the data model that DVC's params files share: JSON's types plus the
/// distinction between integers and floats.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Node>),
    Map(Map),
}

/// A mapping that keeps the order of its keys, as Python dicts do.
pub type Map = IndexMap<String, Entry>;

/// One key of a mapping with the span of the key text and the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn new(value: Value, span: Span) -> Node {
        Node { value, span }
    }

    /// A node built in code rather than read from a file.
    pub fn synthetic(value: Value) -> Node {
        Node {
            value,
            span: Span::default(),
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Node]> {
        match &self.value {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(flag) => Some(flag),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Looks up one key of a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key).map(|entry| &entry.value)
    }

    /// Looks up a dotted key path (`train.opt.lr`). List items are addressed by
    /// their index (`layers.0`), as dpath does for DVC.
    pub fn get_path(&self, path: &str) -> Option<&Node> {
        let mut current = self;
        for part in path.split('.') {
            current = match &current.value {
                Value::Map(map) => &map.get(part)?.value,
                Value::List(items) => items.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// The mapping entry (with its key span) that a dotted path ends at.
    pub fn get_entry_path(&self, path: &str) -> Option<&Entry> {
        let (parent, last) = match path.rsplit_once('.') {
            Some((parent, last)) => (self.get_path(parent)?, last),
            None => (self, path),
        };
        parent.as_map()?.get(last)
    }
}

impl Value {
    /// The Python type name DVC uses in messages such as
    /// `Cannot interpolate data of type 'dict'`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List(_) => "list",
            Value::Map(_) => "dict",
        }
    }

    pub fn is_scalar(&self) -> bool {
        !matches!(self, Value::List(_) | Value::Map(_))
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(number) => Some(*number as f64),
            Value::Float(number) => Some(*number),
            Value::Bool(flag) => Some(if *flag { 1.0 } else { 0.0 }),
            _ => None,
        }
    }

    /// Python's `str()` of the value.
    pub fn to_python_str(&self) -> String {
        pyfmt::python_str(self)
    }

    /// Converts to JSON. Integers stay integers and floats stay floats, so the
    /// result serializes the way Python's `json` module writes the same data.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(flag) => serde_json::Value::Bool(*flag),
            Value::Int(number) => serde_json::Value::from(*number),
            Value::Float(number) => serde_json::Number::from_f64(*number)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(text) => serde_json::Value::String(text.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(|item| item.value.to_json()).collect())
            }
            Value::Map(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(key, entry)| (key.clone(), entry.value.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Builds a value from JSON, with no spans.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(flag) => Value::Bool(*flag),
            serde_json::Value::Number(number) => match number.as_i64() {
                Some(integer) => Value::Int(integer),
                None => Value::Float(number.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(text) => Value::Str(text.clone()),
            serde_json::Value::Array(items) => Value::List(
                items
                    .iter()
                    .map(|item| Node::synthetic(Value::from_json(item)))
                    .collect(),
            ),
            serde_json::Value::Object(object) => Value::Map(
                object
                    .iter()
                    .map(|(key, item)| {
                        let entry = Entry {
                            key_span: Span::default(),
                            value: Node::synthetic(Value::from_json(item)),
                        };
                        (key.clone(), entry)
                    })
                    .collect(),
            ),
        }
    }

    /// Compares two values as DVC compares params: an int equals a float of the
    /// same number, as in Python (`1 == 1.0`), and spans do not matter.
    pub fn loosely_equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                (*a as f64) == *b
            }
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(left, right)| left.value.loosely_equals(&right.value))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(key, entry)| {
                        b.get(key).is_some_and(|other| {
                            entry.value.value.loosely_equals(&other.value.value)
                        })
                    })
            }
            (a, b) => a == b,
        }
    }
}

/// Flattens nested mappings into dotted keys, as DVC's `flatten_dict` does for
/// params and metrics tables. Lists are leaves.
pub fn flatten(node: &Node) -> Vec<(String, &Node)> {
    let mut out = Vec::new();
    flatten_into(node, String::new(), &mut out);
    out
}

fn flatten_into<'a>(node: &'a Node, prefix: String, out: &mut Vec<(String, &'a Node)>) {
    match &node.value {
        Value::Map(map) if !map.is_empty() || prefix.is_empty() => {
            for (key, entry) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten_into(&entry.value, path, out);
            }
        }
        _ => out.push((prefix, node)),
    }
}
