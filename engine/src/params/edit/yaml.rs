//! YAML text changes. Scalars and flow collections are replaced in place. A
//! block collection or block scalar that is replaced becomes a flow value on its
//! key's line. New keys go after the last key of their mapping, in
//! block style at the siblings' indentation or inline in a flow mapping.

use super::render;
use super::text::{self, Change, FlowEntry};
use super::{locate, nested, Rejection};
use crate::node::{Entry, Node, Value};

const DEFAULT_INDENT_STEP: usize = 2;

pub(super) fn replace(
    text: &str,
    root: &Node,
    parts: &[String],
    value: &Value,
) -> Result<Vec<Change>, Rejection> {
    let located = locate(root, parts)?;
    let node = located.node;
    let quote = match &node.value {
        Value::Str(_) => text[node.span.start..]
            .chars()
            .next()
            .filter(|ch| *ch == '\'' || *ch == '"'),
        _ => None,
    };
    let rendered = render::yaml(value, quote);

    // A value left empty (`key:` or `-`) has an empty span next to its key or
    // dash; the new value goes after the `:`.
    if node.span.is_empty() {
        let at = match located.key_span {
            Some(key_span) => text::after_separator(text, key_span.end, ':')
                .ok_or_else(|| Rejection::NotInPlace("no ':' after the key".to_string()))?,
            None => node.span.start,
        };
        return Ok(vec![Change::insert(at, format!(" {rendered}"))]);
    }

    let end = trimmed_end(text, node.span.start, node.span.end);
    if let Some(header) = block_scalar_header(text, node.span.start, located.key_span) {
        return Ok(vec![Change::replace(header, end, rendered)]);
    }
    let is_block_collection = !node.value.is_scalar() && !is_flow(text, node);
    if let (true, Some(key_span)) = (is_block_collection, located.key_span) {
        // `key:\n  a: 1` becomes `key: <value>`: the block goes, the key stays.
        let after_colon = text::after_separator(text, key_span.end, ':')
            .ok_or_else(|| Rejection::NotInPlace("no ':' after the key".to_string()))?;
        return Ok(vec![Change::replace(
            after_colon,
            end,
            format!(" {rendered}"),
        )]);
    }
    Ok(vec![Change::replace(node.span.start, end, rendered)])
}

/// Returns the end of a span without the line breaks and blank lines that block
/// scalars include.
fn trimmed_end(text: &str, start: usize, end: usize) -> usize {
    start
        + text[start..end]
            .trim_end_matches([' ', '\t', '\r', '\n'])
            .len()
}

/// Returns the first character of a node's text after its anchor and tag, if any.
fn first_content_char(text: &str, start: usize) -> Option<char> {
    let mut rest = &text[start..];
    while rest.starts_with(['&', '!']) {
        let token_end = rest.find([' ', '\t', '\n', '\r']).unwrap_or(rest.len());
        rest = rest[token_end..].trim_start();
    }
    rest.chars().next()
}

/// Returns the offset of the `|` or `>` that starts a block scalar whose content starts
/// at `content_start`, or `None` if the node is not a block scalar. The header
/// sits at the end of an earlier line, after the key's `:` or the item's `-`.
fn block_scalar_header(
    text: &str,
    content_start: usize,
    key_span: Option<crate::text::Span>,
) -> Option<usize> {
    let before = text[..content_start].trim_end_matches([' ', '\t', '\r', '\n']);
    if before.len() == content_start || before.is_empty() {
        return None;
    }
    let header_line = text::line_start(text, before.len() - 1);
    if header_line == text::line_start(text, content_start) {
        return None;
    }
    let search_from = match key_span {
        Some(key_span) if key_span.end >= header_line => key_span.end,
        Some(_) => return None,
        None => header_line,
    };
    let line = &text[search_from..before.len()];
    let code = line.split(" #").next().unwrap_or(line);
    let offset = code.find(['|', '>'])?;
    Some(search_from + offset)
}

/// Returns where an entry's text ends: after its value, or after the `:` of an
/// empty value.
fn entry_end(text: &str, entry: &Entry) -> usize {
    if entry.value.span.is_empty() {
        text::after_separator(text, entry.key_span.end, ':').unwrap_or(entry.key_span.end)
    } else {
        entry.value.span.end
    }
}

/// Tells whether a collection is in flow style. A block collection's span starts at
/// its first key or item, which may itself be a flow collection, so the first
/// character alone does not tell.
fn is_flow(text: &str, node: &Node) -> bool {
    let first_child_start = match &node.value {
        Value::Map(map) => map.values().next().map(|entry| entry.key_span.start),
        Value::List(items) => items.first().map(|item| item.span.start),
        _ => return false,
    };
    first_child_start != Some(node.span.start)
        && !node.span.is_empty()
        && matches!(first_content_char(text, node.span.start), Some('{' | '['))
}

fn column(text: &str, offset: usize) -> usize {
    offset - text::line_start(text, offset)
}

pub(super) fn insert(
    text: &str,
    root: &Node,
    parent: &[String],
    missing: &[String],
    value: &Value,
) -> Result<Vec<Change>, Rejection> {
    let mapping = locate(root, parent)?.node;
    let Value::Map(map) = &mapping.value else {
        return Err(Rejection::NotInPlace(
            "the parent is not a mapping".to_string(),
        ));
    };
    let (key, rest) = missing.split_first().expect("a missing key");

    if is_flow(text, mapping) {
        let entry = format!(
            "{}: {}",
            render::yaml_key(key),
            render::yaml(&nested(rest, value), None)
        );
        return Ok(vec![match map.values().last() {
            Some(last) => Change::insert(entry_end(text, last), format!(", {entry}")),
            None => {
                let open = mapping.span.start + text[mapping.span.start..].find('{').unwrap_or(0);
                Change::insert(open + 1, entry)
            }
        }]);
    }

    let newline = text::newline(text);
    let step = indent_step(text, root);
    let Some(last) = map.values().last() else {
        // Only an empty document has an empty block mapping: the root.
        let mut insertion = String::new();
        if !text.is_empty() && !text.ends_with('\n') {
            insertion.push_str(newline);
        }
        insertion.push_str(&block_entry(missing, value, 0, step, newline));
        return Ok(vec![Change::insert(text.len(), insertion)]);
    };
    let indent = column(text, map.values().next().expect("not empty").key_span.start);
    let end = entry_end(text, last);
    let at = if text[..end].ends_with('\n') {
        end
    } else {
        text::next_line_start(text, trimmed_end(text, last.key_span.start, end))
    };
    let mut insertion = String::new();
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        insertion.push_str(newline);
    }
    insertion.push_str(&block_entry(missing, value, indent, step, newline));
    Ok(vec![Change::insert(at, insertion)])
}

/// `a:\n  b: value\n` for the parts `[a, b]`, starting at column `indent`.
fn block_entry(
    parts: &[String],
    value: &Value,
    indent: usize,
    step: usize,
    newline: &str,
) -> String {
    let mut out = String::new();
    let (last, intermediate) = parts.split_last().expect("a key");
    let mut column = indent;
    for key in intermediate {
        out.push_str(&format!(
            "{}{}:{newline}",
            " ".repeat(column),
            render::yaml_key(key)
        ));
        column += step;
    }
    out.push_str(&format!(
        "{}{}: {}{newline}",
        " ".repeat(column),
        render::yaml_key(last),
        render::yaml(value, None)
    ));
    out
}

/// Returns the indentation step of nested block mappings in the file, or 2.
fn indent_step(text: &str, node: &Node) -> usize {
    fn find(text: &str, node: &Node) -> Option<usize> {
        let Value::Map(map) = &node.value else {
            return None;
        };
        for entry in map.values() {
            if let Value::Map(child) = &entry.value.value {
                if let Some(first) = child.values().next() {
                    let parent_column = column(text, entry.key_span.start);
                    let child_column = column(text, first.key_span.start);
                    if !is_flow(text, &entry.value) && child_column > parent_column {
                        return Some(child_column - parent_column);
                    }
                }
            }
            if let Some(step) = find(text, &entry.value) {
                return Some(step);
            }
        }
        None
    }
    find(text, node).unwrap_or(DEFAULT_INDENT_STEP)
}

pub(super) fn delete(text: &str, root: &Node, parts: &[String]) -> Result<Vec<Change>, Rejection> {
    let located = locate(root, parts)?;
    let mapping = located.parent.expect("a deleted key has a parent");
    let Value::Map(map) = &mapping.value else {
        return Err(Rejection::NotInPlace(
            "the parent is not a mapping".to_string(),
        ));
    };
    let entries: Vec<&Entry> = map.values().collect();
    let entry = entries[located.index];

    if is_flow(text, mapping) {
        let flow: Vec<FlowEntry> = entries
            .iter()
            .map(|entry| FlowEntry {
                start: entry.key_span.start,
                end: entry_end(text, entry),
            })
            .collect();
        let open = mapping.span.start + text[mapping.span.start..].find('{').unwrap_or(0);
        return Ok(vec![text::remove_flow_entry(
            &flow,
            located.index,
            open,
            mapping.span.end - 1,
        )]);
    }

    if entries.len() == 1 {
        // A block mapping cannot be empty: the last key leaves `{}` behind.
        let parent_parts = &parts[..parts.len() - 1];
        if parent_parts.is_empty() {
            let end = trimmed_end(text, entry.key_span.start, entry_end(text, entry));
            return Ok(vec![Change::replace(entry.key_span.start, end, "{}")]);
        }
        return replace(text, root, parent_parts, &Value::Map(Default::default()));
    }

    let key_start = entry.key_span.start;
    let line = text::line_start(text, key_start);
    let end = entry_end(text, entry);
    let after = if text[..end].ends_with('\n') {
        end
    } else {
        text::next_line_start(text, end)
    };
    if text[line..key_start].trim().is_empty() {
        return Ok(vec![Change::remove(line, after)]);
    }
    // The first key of a list item (`- a: 1`): the next key moves up behind the
    // dash.
    match entries.get(located.index + 1) {
        Some(next) => Ok(vec![Change::remove(key_start, next.key_span.start)]),
        None => Err(Rejection::NotInPlace(
            "the key shares its line with other text".to_string(),
        )),
    }
}
