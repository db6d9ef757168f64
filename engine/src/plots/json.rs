//! An ordered JSON value for plot data and Vega-Lite specs. DVC builds both from
//! Python dicts, which keep insertion order, and clients read the rows and specs
//! in that order; `serde_json::Value` sorts keys in this workspace, so plots use
//! this type instead.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::node::{Node, Value};
use crate::pyfmt;

/// A JSON value whose objects keep their key order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Object),
}

/// A JSON object in insertion order.
pub type Object = IndexMap<String, Json>;

impl Json {
    pub fn str(text: impl Into<String>) -> Json {
        Json::Str(text.into())
    }

    /// Builds an object from key-value pairs, in order.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Object(
            pairs
                .into_iter()
                .map(|(key, value)| (key.into(), value))
                .collect(),
        )
    }

    /// A list of strings.
    pub fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Json {
        Json::Array(
            items
                .into_iter()
                .map(|item| Json::str(item.as_ref()))
                .collect(),
        )
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(object) => Some(object),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?.get(key)
    }

    /// Whether Python would call the value false: `None`, `False`, `0`, and empty
    /// strings, lists and dicts. DVC skips "empty" plot data with this test.
    pub fn is_falsy(&self) -> bool {
        match self {
            Json::Null => true,
            Json::Bool(flag) => !flag,
            Json::Int(number) => *number == 0,
            Json::Float(number) => *number == 0.0,
            Json::Str(text) => text.is_empty(),
            Json::Array(items) => items.is_empty(),
            Json::Object(object) => object.is_empty(),
        }
    }

    /// The value as a number, the way Vega-Lite reads a quantitative field:
    /// numbers as they are, numeric strings parsed, booleans as 0 and 1.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Json::Int(number) => Some(*number as f64),
            Json::Float(number) => Some(*number),
            Json::Bool(flag) => Some(if *flag { 1.0 } else { 0.0 }),
            Json::Str(text) => {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    return None;
                }
                trimmed
                    .parse::<f64>()
                    .ok()
                    .filter(|number| number.is_finite())
            }
            _ => None,
        }
    }

    /// The text a label shows for the value: strings as they are, numbers as
    /// Python prints them.
    pub fn label(&self) -> String {
        match self {
            Json::Null => "null".to_string(),
            Json::Bool(flag) => flag.to_string(),
            Json::Int(number) => number.to_string(),
            Json::Float(number) => pyfmt::float_repr(*number),
            Json::Str(text) => text.clone(),
            other => serde_json::to_string(other).unwrap_or_default(),
        }
    }

    /// Converts a loaded file's value tree, keeping key order.
    pub fn from_node(node: &Node) -> Json {
        Json::from_value(&node.value)
    }

    pub fn from_value(value: &Value) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Bool(flag) => Json::Bool(*flag),
            Value::Int(number) => Json::Int(*number),
            Value::Float(number) => Json::Float(*number),
            Value::Str(text) => Json::Str(text.clone()),
            Value::List(items) => Json::Array(items.iter().map(Json::from_node).collect()),
            Value::Map(map) => Json::Object(
                map.iter()
                    .map(|(key, entry)| (key.clone(), Json::from_node(&entry.value)))
                    .collect(),
            ),
        }
    }

    /// Two-space indented JSON text.
    pub fn to_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "null".to_string())
    }

    /// Compact JSON text.
    pub fn to_compact(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_string())
    }

    /// Parses JSON text, keeping key order.
    pub fn parse(text: &str) -> Result<Json, serde_json::Error> {
        serde_json::from_str(text)
    }
}

impl From<&str> for Json {
    fn from(text: &str) -> Json {
        Json::Str(text.to_string())
    }
}

impl From<String> for Json {
    fn from(text: String) -> Json {
        Json::Str(text)
    }
}

impl From<i64> for Json {
    fn from(number: i64) -> Json {
        Json::Int(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_key_order() {
        let parsed = Json::parse(r#"{"z": 1, "a": 2.5, "m": [true, null, "x"]}"#).unwrap();
        assert_eq!(
            parsed.to_compact(),
            r#"{"z":1,"a":2.5,"m":[true,null,"x"]}"#
        );
    }

    #[test]
    fn numeric_strings_read_as_numbers() {
        assert_eq!(Json::str(" 0.25 ").as_number(), Some(0.25));
        assert_eq!(Json::str("abc").as_number(), None);
        assert_eq!(Json::Int(3).as_number(), Some(3.0));
    }
}
