//! Renders values as source text of each params format, for the replacement and
//! insertion text of in-place edits. Collections are written on one line, in flow
//! style for YAML and as inline tables for TOML.

use crate::formats::yaml::resolve_plain;
use crate::node::Value;
use crate::pyfmt;

/// The reason a value cannot be written in a format.
pub(super) type RenderResult = Result<String, String>;

// ---------------------------------------------------------------- YAML

/// Renders a value in YAML flow style. `quote` is the quote character the
/// replaced string used, if any, to keep a string's quoting style.
pub(super) fn yaml(value: &Value, quote: Option<char>) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Int(number) => number.to_string(),
        Value::Float(number) => yaml_float(*number),
        Value::Str(text) => yaml_str(text, quote),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|item| yaml(&item.value, None)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, entry)| {
                    format!("{}: {}", yaml_key(key), yaml(&entry.value.value, None))
                })
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

pub(super) fn yaml_key(key: &str) -> String {
    yaml_str(key, None)
}

fn yaml_float(number: f64) -> String {
    if number.is_nan() {
        ".nan".to_string()
    } else if number.is_infinite() {
        if number > 0.0 { ".inf" } else { "-.inf" }.to_string()
    } else {
        // Python's repr always has a `.` or an exponent, which YAML 1.2 reads as
        // a float.
        pyfmt::float_repr(number)
    }
}

/// Words that YAML 1.1 readers (PyYAML) take for booleans. They are strings in
/// YAML 1.2, but quoting them keeps user code that reads params with PyYAML
/// from getting a bool.
const YAML_11_BOOLS: [&str; 8] = ["y", "yes", "n", "no", "on", "off", "true", "false"];

fn yaml_str(text: &str, quote: Option<char>) -> String {
    let needs_double = text
        .chars()
        .any(|ch| ch.is_control() || is_special_space(ch));
    if quote.is_none() && !needs_double && is_plain_safe(text) {
        return text.to_string();
    }
    if quote == Some('"') || needs_double {
        return yaml_double_quoted(text);
    }
    format!("'{}'", text.replace('\'', "''"))
}

fn is_special_space(ch: char) -> bool {
    matches!(
        ch,
        '\u{85}' | '\u{a0}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
    )
}

/// Tells whether a string can be written as a plain scalar, also inside a flow
/// collection, and read back as the same string.
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if resolve_plain(text) != Value::Str(text.to_string())
        || YAML_11_BOOLS.contains(&text.to_ascii_lowercase().as_str())
        || "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || first.is_whitespace()
        || text.ends_with(char::is_whitespace)
        || text.ends_with(':')
        || text.contains(": ")
        || text.contains(" #")
        || text.contains([',', '[', ']', '{', '}'])
    {
        return false;
    }
    true
}

fn yaml_double_quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            ch if (ch as u32) < 0x100 && (ch.is_control() || is_special_space(ch)) => {
                out.push_str(&format!("\\x{:02x}", ch as u32));
            }
            ch if ch.is_control() || is_special_space(ch) => {
                out.push_str(&format!("\\u{:04x}", ch as u32));
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------- JSON

/// Renders a value as JSON on one line, with Python's `", "` and `": "`
/// separators. Non-ASCII text stays as it is.
pub(super) fn json(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Int(number) => number.to_string(),
        Value::Float(number) => pyfmt::json_float(*number),
        Value::Str(text) => json_str(text),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|item| json(&item.value)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, entry)| format!("{}: {}", json_str(key), json(&entry.value.value)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

pub(super) fn json_str(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ch if (ch as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------- TOML

/// Renders a value as a TOML value; mappings become inline tables. `quote` is
/// the quote character of the replaced string, to keep literal strings literal.
pub(super) fn toml(value: &Value, quote: Option<char>) -> RenderResult {
    Ok(match value {
        Value::Null => return Err("TOML has no null value".to_string()),
        Value::Bool(flag) => flag.to_string(),
        Value::Int(number) => number.to_string(),
        Value::Float(number) => {
            if number.is_nan() {
                "nan".to_string()
            } else if number.is_infinite() {
                if *number > 0.0 { "inf" } else { "-inf" }.to_string()
            } else {
                pyfmt::float_repr(*number)
            }
        }
        Value::Str(text) => toml_str(text, quote),
        Value::List(items) => {
            let items: Result<Vec<String>, String> =
                items.iter().map(|item| toml(&item.value, None)).collect();
            format!("[{}]", items?.join(", "))
        }
        Value::Map(map) => {
            if map.is_empty() {
                return Ok("{}".to_string());
            }
            let entries: Result<Vec<String>, String> = map
                .iter()
                .map(|(key, entry)| {
                    Ok(format!(
                        "{} = {}",
                        toml_key(key),
                        toml(&entry.value.value, None)?
                    ))
                })
                .collect();
            format!("{{ {} }}", entries?.join(", "))
        }
    })
}

/// Renders a TOML key: bare when it can be, else a basic string.
pub(super) fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if bare {
        key.to_string()
    } else {
        toml_basic_str(key)
    }
}

/// Renders a dotted TOML key path.
pub(super) fn toml_key_path(parts: &[String]) -> String {
    let keys: Vec<String> = parts.iter().map(|part| toml_key(part)).collect();
    keys.join(".")
}

fn toml_str(text: &str, quote: Option<char>) -> String {
    let literal_ok = !text.contains('\'') && !text.chars().any(|ch| ch.is_control() && ch != '\t');
    if quote == Some('\'') && literal_ok {
        format!("'{text}'")
    } else {
        toml_basic_str(text)
    }
}

fn toml_basic_str(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ch if ch.is_control() => out.push_str(&format!("\\u{:04X}", ch as u32)),
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------- Python

/// Renders a value as a Python literal that `ast.literal_eval` reads back.
/// Strings use `quote` (`'` or `"`).
pub(super) fn python(value: &Value, quote: char) -> RenderResult {
    Ok(match value {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Int(number) => number.to_string(),
        Value::Float(number) => {
            if !number.is_finite() {
                return Err(format!(
                    "{} has no literal form in Python (it needs float('{}')), so DVC could not read it back",
                    pyfmt::float_repr(*number),
                    pyfmt::float_repr(*number)
                ));
            }
            pyfmt::float_repr(*number)
        }
        Value::Str(text) => python_str(text, quote),
        Value::List(items) => {
            let items: Result<Vec<String>, String> = items
                .iter()
                .map(|item| python(&item.value, quote))
                .collect();
            format!("[{}]", items?.join(", "))
        }
        Value::Map(map) => {
            let entries: Result<Vec<String>, String> = map
                .iter()
                .map(|(key, entry)| {
                    Ok(format!(
                        "{}: {}",
                        python_str(key, quote),
                        python(&entry.value.value, quote)?
                    ))
                })
                .collect();
            format!("{{{}}}", entries?.join(", "))
        }
    })
}

fn python_str(text: &str, quote: char) -> String {
    let mut out = String::new();
    out.push(quote);
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ch if ch == quote => {
                out.push('\\');
                out.push(ch);
            }
            ch if ch.is_control() => {
                if (ch as u32) < 0x100 {
                    out.push_str(&format!("\\x{:02x}", ch as u32));
                } else {
                    out.push_str(&format!("\\u{:04x}", ch as u32));
                }
            }
            ch => out.push(ch),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{self, Format};
    use crate::node::{Entry, Map, Node};
    use crate::params::edit::values_match;

    fn sample_values() -> Vec<Value> {
        let strings = [
            "plain",
            "yes",
            "No",
            "1",
            "1.5",
            "null",
            "~",
            "",
            " lead",
            "trail ",
            "a: b",
            "a #b",
            "#x",
            "-x",
            "- x",
            "[x]",
            "x,y",
            "it's",
            "say \"hi\"",
            "two\nlines",
            "tab\there",
            "é ü",
            "back\\slash",
            "{",
            "true",
            "0x10",
            ".inf",
            "@at",
            "%p",
            "*star",
            "&amp",
        ];
        let mut values: Vec<Value> = strings
            .iter()
            .map(|text| Value::Str(text.to_string()))
            .collect();
        values.extend([
            Value::Int(-3),
            Value::Int(i64::MAX),
            Value::Float(0.1),
            Value::Float(1e-5),
            Value::Float(1e16),
            Value::Float(-2.0),
            Value::Bool(true),
        ]);
        let mut map = Map::new();
        for (index, value) in values.clone().into_iter().enumerate() {
            map.insert(
                format!("k{index} x"),
                Entry {
                    key_span: Default::default(),
                    value: Node::synthetic(value),
                },
            );
        }
        values.push(Value::List(
            values.iter().cloned().map(Node::synthetic).collect(),
        ));
        values.push(Value::Map(map));
        values
    }

    /// Writes `key = value` in `format` and reads it back.
    fn read_back(format: Format, value_text: &str) -> Value {
        let document = match format {
            Format::Yaml => format!("key: {value_text}\n"),
            Format::Json => format!("{{\"key\": {value_text}}}"),
            Format::Toml => format!("key = {value_text}\n"),
            Format::Python => format!("key = {value_text}\n"),
        };
        let parsed = formats::parse(format, &document);
        assert!(
            parsed.errors.is_empty(),
            "{document:?}: {:?}",
            parsed.errors
        );
        parsed.root.unwrap().get("key").unwrap().value.clone()
    }

    fn assert_reads_back(format: Format, text: &str, value: &Value) {
        let read = read_back(format, text);
        assert!(
            values_match(&read, value),
            "{format:?} {text:?} read as {read:?}"
        );
    }

    #[test]
    fn rendered_values_read_back_the_same() {
        for value in sample_values() {
            for quote in [None, Some('\''), Some('"')] {
                assert_reads_back(Format::Yaml, &yaml(&value, quote), &value);
                assert_reads_back(Format::Toml, &toml(&value, quote).unwrap(), &value);
            }
            assert_reads_back(Format::Json, &json(&value), &value);
            for quote in ['\'', '"'] {
                assert_reads_back(Format::Python, &python(&value, quote).unwrap(), &value);
            }
        }
    }

    #[test]
    fn yaml_prefers_plain_scalars() {
        assert_eq!(yaml(&Value::Str("adam".into()), None), "adam");
        assert_eq!(yaml(&Value::Str("1".into()), None), "'1'");
        assert_eq!(yaml(&Value::Str("yes".into()), None), "'yes'");
        assert_eq!(yaml(&Value::Str("adam".into()), Some('"')), "\"adam\"");
        assert_eq!(yaml(&Value::Float(1e-5), None), "1e-05");
    }

    #[test]
    fn unwritable_values_are_rejected() {
        assert!(python(&Value::Float(f64::NAN), '\'').is_err());
        assert!(toml(&Value::Null, None).is_err());
    }
}
