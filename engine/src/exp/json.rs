//! An ordered JSON value for experiment data. DVC prints params, metrics and
//! `exp show --json` in the key order of the files and of its own dataclasses,
//! and `serde_json::Map` would sort the keys, so experiment data uses this type:
//! objects keep insertion order, integers stay apart from floats, and the text
//! form matches Python's `json.dumps` (separators, `ensure_ascii`, float repr).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::node::{Node, Value};
use crate::pyfmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn object() -> Json {
        Json::Object(Vec::new())
    }

    pub fn str(text: impl Into<String>) -> Json {
        Json::Str(text.into())
    }

    pub fn opt_str(text: Option<impl Into<String>>) -> Json {
        text.map_or(Json::Null, |text| Json::Str(text.into()))
    }

    /// Adds or replaces a key of an object; does nothing on other values.
    pub fn insert(&mut self, key: impl Into<String>, value: Json) {
        if let Json::Object(entries) = self {
            let key = key.into();
            match entries.iter_mut().find(|(existing, _)| *existing == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
    }

    /// Builder form of [`Json::insert`].
    pub fn with(mut self, key: impl Into<String>, value: Json) -> Json {
        self.insert(key, value);
        self
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries
                .iter()
                .find(|(existing, _)| existing == key)
                .map(|(_, value)| value),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(number) => Some(*number),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// The value as a number when Python would treat it as one in arithmetic
    /// (`bool` is a subclass of `int`).
    pub fn as_number(&self) -> Option<Number> {
        match self {
            Json::Bool(flag) => Some(Number::Int(i64::from(*flag))),
            Json::Int(number) => Some(Number::Int(*number)),
            Json::Float(number) => Some(Number::Float(*number)),
            _ => None,
        }
    }

    /// Converts a params or metrics tree.
    pub fn from_value(value: &Value) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Bool(flag) => Json::Bool(*flag),
            Value::Int(number) => Json::Int(*number),
            Value::Float(number) => Json::Float(*number),
            Value::Str(text) => Json::Str(text.clone()),
            Value::List(items) => Json::List(
                items
                    .iter()
                    .map(|item| Json::from_value(&item.value))
                    .collect(),
            ),
            Value::Map(map) => Json::Object(
                map.iter()
                    .map(|(key, entry)| (key.clone(), Json::from_value(&entry.value.value)))
                    .collect(),
            ),
        }
    }

    pub fn from_node(node: &Node) -> Json {
        Json::from_value(&node.value)
    }

    /// Converts to a node tree (without spans), for code that works on `Value`s.
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(flag) => Value::Bool(*flag),
            Json::Int(number) => Value::Int(*number),
            Json::Float(number) => Value::Float(*number),
            Json::Str(text) => Value::Str(text.clone()),
            Json::List(items) => Value::List(
                items
                    .iter()
                    .map(|item| Node::synthetic(item.to_value()))
                    .collect(),
            ),
            Json::Object(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(key, value)| {
                        (
                            key.clone(),
                            crate::node::Entry {
                                key_span: Default::default(),
                                value: Node::synthetic(value.to_value()),
                            },
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// Converts to `serde_json` (which sorts object keys), for comparisons.
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            Json::Null => serde_json::Value::Null,
            Json::Bool(flag) => serde_json::Value::Bool(*flag),
            Json::Int(number) => serde_json::Value::from(*number),
            Json::Float(number) => serde_json::Number::from_f64(*number)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Json::Str(text) => serde_json::Value::String(text.clone()),
            Json::List(items) => {
                serde_json::Value::Array(items.iter().map(Json::to_serde).collect())
            }
            Json::Object(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| (key.clone(), value.to_serde()))
                    .collect(),
            ),
        }
    }

    /// Python's `json.dumps(value)`: `", "` and `": "` separators, ASCII only.
    pub fn dumps(&self) -> String {
        let mut out = String::new();
        write_json(self, None, 0, &mut out);
        out
    }

    /// Python's `json.dumps(value, indent=indent)`.
    pub fn dumps_indented(&self, indent: usize) -> String {
        let mut out = String::new();
        write_json(self, Some(indent), 0, &mut out);
        out
    }

    /// Parses JSON text keeping the key order.
    pub fn parse(text: &str) -> Result<Json, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// A number as Python sees it in `new - old`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn minus(self, other: Number) -> Json {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => match a.checked_sub(b) {
                Some(result) => Json::Int(result),
                None => Json::Float(a as f64 - b as f64),
            },
            (a, b) => Json::Float(a.as_f64() - b.as_f64()),
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(number) => number as f64,
            Number::Float(number) => number,
        }
    }
}

fn write_json(value: &Json, indent: Option<usize>, depth: usize, out: &mut String) {
    let newline = |out: &mut String, depth: usize| {
        if let Some(width) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
    };
    let item_separator = if indent.is_some() { "," } else { ", " };
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Json::Int(number) => out.push_str(&number.to_string()),
        Json::Float(number) => out.push_str(&pyfmt::json_float(*number)),
        Json::Str(text) => write_str(text, out),
        Json::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(item_separator);
                }
                newline(out, depth + 1);
                write_json(item, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        Json::Object(entries) => {
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (index, (key, item)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push_str(item_separator);
                }
                newline(out, depth + 1);
                write_str(key, out);
                out.push_str(": ");
                write_json(item, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

fn write_str(text: &str, out: &mut String) {
    // Reuse the escaping of the sorted dumper, which writes a lone string as is.
    out.push_str(&pyfmt::json_dumps_sorted(&serde_json::Value::String(
        text.to_string(),
    )));
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Json, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Json, E> {
        Ok(Json::Int(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Json, E> {
        Ok(i64::try_from(value).map_or(Json::Float(value as f64), Json::Int))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Json, E> {
        Ok(Json::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Json, E> {
        Ok(Json::Str(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Json, E> {
        Ok(Json::Str(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries: Vec<(String, Json)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            match entries.iter_mut().find(|(existing, _)| *existing == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
        Ok(Json::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_like_python_and_keeps_order() {
        let text = r#"{"b": 1, "a": [1.0, 1e-05, true, null], "é": "x"}"#;
        let parsed = Json::parse(text).unwrap();
        assert_eq!(
            parsed.dumps(),
            r#"{"b": 1, "a": [1.0, 1e-05, true, null], "\u00e9": "x"}"#
        );
        assert_eq!(
            Json::parse(r#"{"a": [1], "b": {}}"#)
                .unwrap()
                .dumps_indented(2),
            "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}"
        );
    }
}
