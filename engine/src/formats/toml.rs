//! TOML loading with source spans, on top of `toml_edit`'s parser.
//!
//! DVC reads TOML params with tomlkit, which accepts TOML 1.0 plus the 1.1 forms
//! that `toml_edit` 0.25 also reads (trailing commas and newlines in inline
//! tables). Tables, inline tables and dotted keys become mappings, and an array of
//! tables becomes a list of mappings. A leading byte order mark is an error, as it
//! is for tomlkit.
//!
//! `toml_edit` rejects a file with any syntax error as a whole. To still offer a
//! partial tree, the loader parses the text before the line of the error.

use toml_edit::{Document, Item, Table, TableLike};

use super::{Parsed, SyntaxError};
use crate::node::{Entry, Map, Node, Value};
use crate::text::Span;

/// How many shorter prefixes to try when looking for a partial tree.
const PREFIX_ATTEMPTS: usize = 8;

/// Parses one TOML document.
pub fn parse(text: &str) -> Parsed {
    let mut errors = Vec::new();
    if text.starts_with('\u{feff}') {
        errors.push(SyntaxError {
            span: Span::new(0, 3),
            message: "the file starts with a UTF-8 byte order mark, which DVC's TOML reader \
                      rejects; save the file without it"
                .to_string(),
        });
    }

    match Document::parse(text) {
        Ok(document) => Parsed {
            root: Some(convert_root(&document, text)),
            errors,
        },
        Err(error) => {
            let offset = error
                .span()
                .map_or(text.len(), |span| span.start.min(text.len()));
            errors.push(SyntaxError {
                span: error
                    .span()
                    .map_or(Span::at(offset), |span| Span::new(span.start, span.end)),
                message: error.message().to_string(),
            });
            Parsed {
                root: parse_prefix(text, offset),
                errors,
            }
        }
    }
}

/// Parses the text before the line that contains `offset`, stepping further back
/// while that still fails, as it does when the error sits in a multi-line string
/// or array that began on an earlier line.
fn parse_prefix(text: &str, offset: usize) -> Option<Node> {
    let mut cut = line_start(text, offset);
    for _ in 0..PREFIX_ATTEMPTS {
        if cut == 0 {
            return None;
        }
        let prefix = &text[..cut];
        match Document::parse(prefix) {
            Ok(document) => return Some(convert_root(&document, prefix)),
            Err(error) => {
                let failed_at = error.span().map_or(cut, |span| span.start.min(cut));
                let next = line_start(text, failed_at);
                cut = if next < cut {
                    next
                } else {
                    line_start(text, cut.saturating_sub(1))
                };
            }
        }
    }
    None
}

fn line_start(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    text[..offset].rfind('\n').map_or(0, |newline| newline + 1)
}

fn convert_root(document: &Document<&str>, text: &str) -> Node {
    let mut node = convert_table(document.as_table());
    node.span = Span::new(0, text.len());
    node
}

fn to_span(range: Option<std::ops::Range<usize>>) -> Option<Span> {
    range.map(|range| Span::new(range.start, range.end))
}

/// Converts a table or inline table. Its span covers its header, if it has one,
/// and all its keys and values, so that the span of a `[section]` reaches to the
/// end of its last value and the span of a dotted-key table covers its keys.
fn convert_table_like(table: &dyn TableLike, own_span: Option<Span>) -> Node {
    let mut map = Map::new();
    let mut span = own_span;
    for (key, item) in table.iter() {
        let Some(value) = convert_item(item) else {
            continue;
        };
        let key_span = table
            .key(key)
            .and_then(|key| to_span(key.span()))
            .unwrap_or(value.span);
        let covered = key_span.cover(value.span);
        span = Some(span.map_or(covered, |span| span.cover(covered)));
        map.insert(key.to_string(), Entry { key_span, value });
    }
    Node::new(Value::Map(map), span.unwrap_or_default())
}

fn convert_table(table: &Table) -> Node {
    // Implicit tables, such as `a` in `[a.b]`, report the span of their key, but
    // only their contents belong to them.
    let own_span = if table.is_implicit() {
        None
    } else {
        to_span(table.span())
    };
    convert_table_like(table, own_span)
}

fn convert_item(item: &Item) -> Option<Node> {
    match item {
        Item::None => None,
        Item::Value(value) => Some(convert_value(value)),
        Item::Table(table) => Some(convert_table(table)),
        Item::ArrayOfTables(array) => {
            let items: Vec<Node> = array.iter().map(convert_table).collect();
            let span = items
                .iter()
                .map(|item| item.span)
                .reduce(Span::cover)
                .or_else(|| to_span(array.span()))
                .unwrap_or_default();
            Some(Node::new(Value::List(items), span))
        }
    }
}

fn convert_value(value: &toml_edit::Value) -> Node {
    let span = to_span(value.span()).unwrap_or_default();
    let converted = match value {
        toml_edit::Value::String(text) => Value::Str(text.value().clone()),
        toml_edit::Value::Integer(number) => Value::Int(*number.value()),
        toml_edit::Value::Float(number) => Value::Float(*number.value()),
        toml_edit::Value::Boolean(flag) => Value::Bool(*flag.value()),
        // NOTE: tomlkit gives DVC date and time objects; the value tree has no such
        // type, so they become their RFC 3339 text (`1979-05-27T07:32:00Z`).
        toml_edit::Value::Datetime(datetime) => Value::Str(datetime.value().to_string()),
        toml_edit::Value::Array(array) => Value::List(array.iter().map(convert_value).collect()),
        // A dotted key inside an inline table (`{ a.b = 1 }`) makes a nested
        // inline table whose own span is just the key `a`; its contents widen it.
        toml_edit::Value::InlineTable(table) => return convert_table_like(table, Some(span)),
    };
    Node::new(converted, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let parsed = parse(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        parsed.root.expect("a document")
    }

    fn slice(text: &str, span: Span) -> &str {
        &text[span.start..span.end]
    }

    const SAMPLE: &str = "\
# top
title = \"x\"  # comment
a.b.c = 1
\"q k\" = 'lit'
arr = [1, 2.5, \"s\"]
inl = { x = 1, y.z = 2 }
dt = 1979-05-27T07:32:00Z

[sec]
k = 1

[sec.sub]
m = true

[[srv]]
p = 1
[[srv]]
p = 2

[deep.er]
v = -1
";

    #[test]
    fn values_and_types() {
        let node = root(SAMPLE);
        assert_eq!(node.get("title").unwrap().as_str(), Some("x"));
        assert_eq!(node.get_path("a.b.c").unwrap().value, Value::Int(1));
        assert_eq!(node.get("q k").unwrap().as_str(), Some("lit"));
        let arr = node.get("arr").unwrap().as_list().unwrap();
        assert_eq!(arr[1].value, Value::Float(2.5));
        assert_eq!(node.get_path("inl.y.z").unwrap().value, Value::Int(2));
        assert_eq!(
            node.get("dt").unwrap().as_str(),
            Some("1979-05-27T07:32:00Z")
        );
        assert_eq!(node.get_path("sec.sub.m").unwrap().value, Value::Bool(true));
        assert_eq!(node.get_path("srv.1.p").unwrap().value, Value::Int(2));
        assert_eq!(node.get_path("deep.er.v").unwrap().value, Value::Int(-1));
    }

    #[test]
    fn spans_cover_keys_values_and_sections() {
        let text = SAMPLE;
        let node = root(text);
        let map = node.as_map().unwrap();
        assert_eq!(slice(text, map["q k"].key_span), "\"q k\"");
        assert_eq!(slice(text, map["q k"].value.span), "'lit'");
        assert_eq!(slice(text, map["inl"].value.span), "{ x = 1, y.z = 2 }");
        assert_eq!(
            slice(text, map["sec"].value.span),
            "[sec]\nk = 1\n\n[sec.sub]\nm = true"
        );
        assert_eq!(slice(text, map["a"].value.span), "b.c = 1");
        let first_server = &node.get("srv").unwrap().as_list().unwrap()[0];
        assert_eq!(slice(text, first_server.span), "[[srv]]\np = 1");
        let z = &node.get_path("inl.y").unwrap().as_map().unwrap()["z"];
        assert_eq!(slice(text, z.key_span), "z");
        assert_eq!(slice(text, z.value.span), "2");
    }

    #[test]
    fn syntax_error_keeps_the_lines_before_it() {
        let text = "a = 1\n[t]\nb = [1, 2\nc = 3\n";
        let parsed = parse(text);
        assert_eq!(parsed.errors.len(), 1);
        let root = parsed.root.expect("partial tree");
        assert_eq!(root.get("a").unwrap().value, Value::Int(1));
        assert!(root.get("t").unwrap().as_map().unwrap().is_empty());
        assert!(root.get_path("t.b").is_none());
    }

    #[test]
    fn duplicate_key_is_an_error_with_a_span() {
        let text = "a = 1\na = 2\n";
        let parsed = parse(text);
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].message.contains("duplicate key"));
        assert_eq!(slice(text, parsed.errors[0].span), "a");
        assert_eq!(parsed.errors[0].span.start, 6);
    }

    #[test]
    fn byte_order_mark_is_an_error() {
        let parsed = parse("\u{feff}a = 1\n");
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].message.contains("byte order mark"));
        assert_eq!(parsed.root.unwrap().get("a").unwrap().value, Value::Int(1));
    }
}
