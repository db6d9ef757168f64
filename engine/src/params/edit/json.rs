//! JSON text changes: values are replaced in place, new members follow the
//! layout of their siblings (one per line, or all on one line), and a removed
//! member takes its separating comma with it.

use super::render;
use super::text::{self, Change, FlowEntry};
use super::{locate, nested, Rejection};
use crate::node::{Node, Value};

pub(super) fn replace(
    root: &Node,
    parts: &[String],
    value: &Value,
) -> Result<Vec<Change>, Rejection> {
    let node = locate(root, parts)?.node;
    Ok(vec![Change::replace(
        node.span.start,
        node.span.end,
        render::json(value),
    )])
}

pub(super) fn insert(
    text: &str,
    root: &Node,
    parent: &[String],
    missing: &[String],
    value: &Value,
) -> Result<Vec<Change>, Rejection> {
    let object = locate(root, parent)?.node;
    let Value::Map(map) = &object.value else {
        return Err(Rejection::NotInPlace(
            "the parent is not an object".to_string(),
        ));
    };
    let (key, rest) = missing.split_first().expect("a missing key");
    let member = format!(
        "{}: {}",
        render::json_str(key),
        render::json(&nested(rest, value))
    );
    let open = object.span.start;
    let Some(last) = map.values().last() else {
        return Ok(vec![Change::insert(open + 1, member)]);
    };
    let first_key = map.values().next().expect("not empty").key_span.start;
    let one_per_line = text[open..first_key].contains('\n');
    let separator = if one_per_line {
        format!(
            ",{}{}",
            text::newline(text),
            text::indentation(text, last.key_span.start)
        )
    } else {
        ", ".to_string()
    };
    Ok(vec![Change::insert(
        last.value.span.end,
        format!("{separator}{member}"),
    )])
}

pub(super) fn delete(root: &Node, parts: &[String]) -> Result<Vec<Change>, Rejection> {
    let located = locate(root, parts)?;
    let object = located.parent.expect("a deleted key has a parent");
    let Value::Map(map) = &object.value else {
        return Err(Rejection::NotInPlace(
            "the parent is not an object".to_string(),
        ));
    };
    let entries: Vec<FlowEntry> = map
        .values()
        .map(|entry| FlowEntry {
            start: entry.key_span.start,
            end: entry.value.span.end,
        })
        .collect();
    Ok(vec![text::remove_flow_entry(
        &entries,
        located.index,
        object.span.start,
        object.span.end - 1,
    )])
}
