//! The check of how DVC's round trip treats an existing lock file. DVC updates
//! `dvc.lock` with ruamel's round-trip loader and dumper. Dumping normalizes
//! indentation, quoting, `~` and `null`, booleans and line folding. It keeps
//! comments, flow collections, block scalars, anchors, tags, the source form of
//! floats and special integer forms (`0x1f`, `1_000`).
//!
//! When the text has none of the kept features except floats, dumping the tree
//! reproduces DVC's output exactly. Otherwise the update splices text instead.

use crate::node::{Node, Value};
use crate::text::Span;

/// Tells whether dumping the tree read from `text` gives what DVC's round trip
/// gives.
pub(super) fn is_normalizable(root: &Node, text: &str) -> bool {
    let mut covered = Vec::new();
    if !collect_covered(root, text, &mut covered) {
        return false;
    }
    if has_document_markers(text) {
        return false;
    }
    covered.sort();

    // Outside scalars and keys, DVC's layout has only indentation, line breaks
    // and the indicators `:`, `-` and `?`.
    let mut spans = covered.iter().peekable();
    let mut offset = 0;
    let bytes = text.as_bytes();
    while offset < bytes.len() {
        while spans.peek().is_some_and(|span| span.end <= offset) {
            spans.next();
        }
        if let Some(span) = spans.peek() {
            if span.start <= offset {
                offset = span.end;
                continue;
            }
        }
        if !matches!(bytes[offset], b' ' | b'\n' | b'\r' | b':' | b'-' | b'?') {
            return false;
        }
        offset += 1;
    }
    true
}

/// Collects the spans of keys, scalars and empty collections. Returns false
/// when a node has a feature the round trip keeps.
fn collect_covered(node: &Node, text: &str, covered: &mut Vec<Span>) -> bool {
    let source = text.get(node.span.start..node.span.end).unwrap_or_default();
    let first = source.bytes().next();
    if matches!(first, Some(b'&' | b'!' | b'*')) {
        return false;
    }
    match &node.value {
        Value::List(items) if items.is_empty() => covered.push(node.span),
        Value::Map(map) if map.is_empty() => covered.push(node.span),
        Value::List(_) | Value::Map(_) if matches!(first, Some(b'[' | b'{')) => return false,
        Value::List(items) => {
            return items
                .iter()
                .all(|item| collect_covered(item, text, covered));
        }
        Value::Map(map) => {
            for entry in map.values() {
                covered.push(entry.key_span);
                if !collect_covered(&entry.value, text, covered) {
                    return false;
                }
            }
        }
        // ruamel keeps the width, base and underscores of integers it read.
        Value::Int(number) if source != number.to_string() => return false,
        _ => covered.push(node.span),
    }
    true
}

fn has_document_markers(text: &str) -> bool {
    text.lines().any(|line| {
        line == "---" || line.starts_with("--- ") || line == "..." || line.starts_with("%")
    })
}
