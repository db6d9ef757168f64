//! TOML text changes. A value (including an inline table) is replaced in
//! place. A new key becomes a `key = value` line after the last key-value line
//! of the section it belongs in, using a dotted key for nested paths, or an
//! entry of an inline table. Deleting removes key-value lines or whole
//! `[section]`s with their sub-sections.
//!
//! Replacing a `[table]` section, a table made by dotted keys or an array of
//! tables with a new value deletes it and adds the key again in its parent.

use toml_edit::{ArrayOfTables, Document, InlineTable, Item, Table};

use super::render;
use super::text::{self, Change, FlowEntry};
use super::{locate, Rejection};
use crate::node::{Node, Value};

/// The kind of TOML structure a key path leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Root,
    /// A `[table]` section or one `[[array]]` element.
    Header,
    /// A table made by dotted keys (`a.b = 1` makes `a`).
    Dotted,
    /// A table that only exists through sub-sections (`a` of `[a.b]`).
    Implicit,
    ArrayOfTables,
    InlineTable,
    /// A table made by a dotted key inside an inline table (`{ a.b = 1 }`).
    InlineDotted,
    /// Any other value: scalars and arrays.
    Value,
}

#[derive(Clone, Copy)]
enum Cursor<'d> {
    Table(&'d Table),
    ArrayOfTables(&'d ArrayOfTables),
    Inline(&'d InlineTable),
    Value(&'d toml_edit::Value),
}

impl<'d> Cursor<'d> {
    fn from_item(item: &'d Item) -> Option<Cursor<'d>> {
        match item {
            Item::None => None,
            Item::Table(table) => Some(Cursor::Table(table)),
            Item::ArrayOfTables(array) => Some(Cursor::ArrayOfTables(array)),
            Item::Value(value) => Some(Cursor::from_value(value)),
        }
    }

    fn from_value(value: &'d toml_edit::Value) -> Cursor<'d> {
        match value {
            toml_edit::Value::InlineTable(table) => Cursor::Inline(table),
            other => Cursor::Value(other),
        }
    }

    fn step(self, part: &str) -> Option<Cursor<'d>> {
        match self {
            Cursor::Table(table) => Cursor::from_item(table.get(part)?),
            Cursor::Inline(table) => Some(Cursor::from_value(table.get(part)?)),
            Cursor::ArrayOfTables(array) => array.get(part.parse().ok()?).map(Cursor::Table),
            Cursor::Value(toml_edit::Value::Array(array)) => {
                Some(Cursor::from_value(array.get(part.parse().ok()?)?))
            }
            Cursor::Value(_) => None,
        }
    }

    fn kind(self) -> Kind {
        match self {
            Cursor::Table(table) if table.is_dotted() => Kind::Dotted,
            Cursor::Table(table) if table.is_implicit() => Kind::Implicit,
            Cursor::Table(_) => Kind::Header,
            Cursor::ArrayOfTables(_) => Kind::ArrayOfTables,
            Cursor::Inline(table) if table.is_dotted() => Kind::InlineDotted,
            Cursor::Inline(_) => Kind::InlineTable,
            Cursor::Value(_) => Kind::Value,
        }
    }
}

/// Returns the cursors along a key path: element 0 is the root, element `i` is
/// `parts[..i]`.
fn walk<'d>(document: &'d Document<&str>, parts: &[String]) -> Result<Vec<Cursor<'d>>, Rejection> {
    let mut cursors = vec![Cursor::Table(document.as_table())];
    for part in parts {
        let next = cursors
            .last()
            .and_then(|cursor| cursor.step(part))
            .ok_or_else(|| Rejection::NotInPlace(format!("key '{part}' not found")))?;
        cursors.push(next);
    }
    Ok(cursors)
}

fn kind_at(cursors: &[Cursor], depth: usize) -> Kind {
    if depth == 0 {
        Kind::Root
    } else {
        cursors[depth].kind()
    }
}

fn parse(text: &str) -> Result<Document<&str>, Rejection> {
    Document::parse(text).map_err(|error| {
        Rejection::NotInPlace(format!("the file does not parse: {}", error.message()))
    })
}

pub(super) fn replace(
    text: &str,
    root: &Node,
    parts: &[String],
    value: &Value,
) -> Result<Vec<Change>, Rejection> {
    let document = parse(text)?;
    let cursors = walk(&document, parts)?;
    match kind_at(&cursors, parts.len()) {
        Kind::Value | Kind::InlineTable => {
            let node = locate(root, parts)?.node;
            let quote = match &node.value {
                Value::Str(_) => text[node.span.start..].chars().next(),
                _ => None,
            };
            let rendered = render::toml(value, quote).map_err(Rejection::Unsupported)?;
            Ok(vec![Change::replace(
                node.span.start,
                node.span.end,
                rendered,
            )])
        }
        Kind::Root => Err(Rejection::NotInPlace(
            "the root cannot be replaced".to_string(),
        )),
        Kind::InlineDotted => Err(Rejection::NotInPlace(
            "it is a dotted key inside an inline table; set its keys one by one".to_string(),
        )),
        Kind::Header | Kind::Dotted | Kind::Implicit | Kind::ArrayOfTables => {
            // Render first, so that an unwritable value fails before anything else.
            render::toml(value, None).map_err(Rejection::Unsupported)?;
            let (last, parent) = parts.split_last().expect("not the root");
            let mut changes = delete_with(text, root, &document, parts, false)?;
            changes.extend(insert_with(
                text,
                root,
                &document,
                parent,
                std::slice::from_ref(last),
                value,
            )?);
            Ok(changes)
        }
    }
}

pub(super) fn insert(
    text: &str,
    root: &Node,
    parent: &[String],
    missing: &[String],
    value: &Value,
) -> Result<Vec<Change>, Rejection> {
    let document = parse(text)?;
    insert_with(text, root, &document, parent, missing, value)
}

fn insert_with(
    text: &str,
    root: &Node,
    document: &Document<&str>,
    parent: &[String],
    missing: &[String],
    value: &Value,
) -> Result<Vec<Change>, Rejection> {
    let cursors = walk(document, parent)?;
    let rendered = render::toml(value, None).map_err(Rejection::Unsupported)?;
    let newline = text::newline(text);
    match kind_at(&cursors, parent.len()) {
        Kind::InlineTable | Kind::InlineDotted => {
            // Nested keys inside an inline table become a dotted key of the
            // outermost table-like value that is a real inline table.
            let owner = (1..=parent.len())
                .rev()
                .find(|&depth| cursors[depth].kind() == Kind::InlineTable)
                .expect("an inline dotted table sits in an inline table");
            let relative: Vec<String> = parent[owner..].iter().chain(missing).cloned().collect();
            let entry = format!("{} = {rendered}", render::toml_key_path(&relative));
            let table = locate(root, &parent[..owner])?.node;
            let Value::Map(map) = &table.value else {
                return Err(Rejection::NotInPlace("not an inline table".to_string()));
            };
            Ok(vec![match map.values().last() {
                Some(last) => Change::insert(last.value.span.end, format!(", {entry}")),
                None => Change::replace(table.span.start, table.span.end, format!("{{ {entry} }}")),
            }])
        }
        Kind::Root | Kind::Header | Kind::Dotted => {
            let owner = (0..=parent.len())
                .rev()
                .find(|&depth| matches!(kind_at(&cursors, depth), Kind::Root | Kind::Header))
                .expect("the root owns a section");
            let relative: Vec<String> = parent[owner..].iter().chain(missing).cloned().collect();
            let key = render::toml_key_path(&relative);
            let Cursor::Table(section) = cursors[owner] else {
                return Err(Rejection::NotInPlace("not a table".to_string()));
            };
            Ok(vec![insert_in_section(
                text,
                document,
                section,
                owner == 0,
                &key,
                &rendered,
                newline,
            )])
        }
        Kind::Implicit => {
            if parent.iter().any(|part| part.parse::<usize>().is_ok()) {
                return Err(Rejection::NotInPlace(
                    "the table sits in an array of tables and has no [section] of its own"
                        .to_string(),
                ));
            }
            let mut section = String::new();
            if !text.is_empty() && !text.ends_with('\n') {
                section.push_str(newline);
            }
            if !text.is_empty() {
                section.push_str(newline);
            }
            section.push_str(&format!(
                "[{}]{newline}{} = {rendered}{newline}",
                render::toml_key_path(parent),
                render::toml_key_path(missing)
            ));
            Ok(vec![Change::insert(text.len(), section)])
        }
        Kind::ArrayOfTables | Kind::Value => Err(Rejection::NotInPlace(
            "the parent is not a table".to_string(),
        )),
    }
}

/// Inserts a `key = value` line after the last key-value line of `section`, or after
/// its header, or (for the root) before the first section.
fn insert_in_section(
    text: &str,
    document: &Document<&str>,
    section: &Table,
    is_root: bool,
    key: &str,
    rendered: &str,
    newline: &str,
) -> Change {
    let last_value = section
        .get_values()
        .into_iter()
        .filter_map(|(keys, value)| {
            let start = keys.first()?.span()?.start;
            Some((start, value.span()?.end))
        })
        .max_by_key(|(_, end)| *end);
    if let Some((key_start, value_end)) = last_value {
        let indent = text::indentation(text, key_start);
        let at = text::next_line_start(text, value_end);
        let lead = if at == text.len() && !text.ends_with('\n') {
            newline
        } else {
            ""
        };
        return Change::insert(at, format!("{lead}{indent}{key} = {rendered}{newline}"));
    }
    if !is_root {
        if let Some(header) = section.span() {
            let at = text::next_line_start(text, header.end);
            let lead = if at == text.len() && !text.ends_with('\n') {
                newline
            } else {
                ""
            };
            return Change::insert(at, format!("{lead}{key} = {rendered}{newline}"));
        }
    }
    match header_starts(document).first() {
        Some(&first) => {
            let at = attached_comments_start(text, text::line_start(text, first));
            Change::insert(at, format!("{key} = {rendered}{newline}{newline}"))
        }
        None => {
            let lead = if !text.is_empty() && !text.ends_with('\n') {
                newline
            } else {
                ""
            };
            Change::insert(text.len(), format!("{lead}{key} = {rendered}{newline}"))
        }
    }
}

pub(super) fn delete(text: &str, root: &Node, parts: &[String]) -> Result<Vec<Change>, Rejection> {
    let document = parse(text)?;
    delete_with(text, root, &document, parts, true)
}

/// Removes the key at `parts`. With `keep_parent`, a dotted or implicit parent
/// that would lose its last key is kept as an empty table, as Hydra leaves it.
fn delete_with(
    text: &str,
    root: &Node,
    document: &Document<&str>,
    parts: &[String],
    keep_parent: bool,
) -> Result<Vec<Change>, Rejection> {
    let cursors = walk(document, parts)?;
    let depth = parts.len();
    let parent_kind = kind_at(&cursors, depth - 1);
    let newline = text::newline(text);

    if matches!(parent_kind, Kind::InlineTable) {
        let located = locate(root, parts)?;
        let table = located.parent.expect("a deleted key has a parent");
        let Value::Map(map) = &table.value else {
            return Err(Rejection::NotInPlace("not an inline table".to_string()));
        };
        let entries: Vec<FlowEntry> = map
            .values()
            .map(|entry| FlowEntry {
                start: entry.key_span.start,
                end: entry.value.span.end,
            })
            .collect();
        return Ok(vec![text::remove_flow_entry(
            &entries,
            located.index,
            table.span.start,
            table.span.end - 1,
        )]);
    }
    if matches!(parent_kind, Kind::InlineDotted) {
        return Err(Rejection::NotInPlace(
            "it is under a dotted key inside an inline table; set the inline table instead"
                .to_string(),
        ));
    }

    let mut ranges = Vec::new();
    collect_ranges(text, document, cursors[depth], root, parts, &mut ranges)?;
    ranges.sort();
    let mut changes: Vec<Change> = ranges
        .iter()
        .map(|&(start, end)| Change::remove(start, end))
        .collect();

    let parent_len = match cursors[depth - 1] {
        Cursor::Table(table) => table.len(),
        _ => 0,
    };
    if keep_parent && parent_len == 1 {
        let first = ranges.first().map_or(text.len(), |range| range.0);
        let parent = &parts[..depth - 1];
        match parent_kind {
            Kind::Dotted => {
                let owner = (0..depth - 1)
                    .rev()
                    .find(|&index| matches!(kind_at(&cursors, index), Kind::Root | Kind::Header))
                    .unwrap_or(0);
                let indent = text::indentation(text, first);
                changes.push(Change::insert(
                    first,
                    format!(
                        "{indent}{} = {{}}{newline}",
                        render::toml_key_path(&parent[owner..])
                    ),
                ));
            }
            Kind::Implicit => {
                changes.push(Change::insert(
                    first,
                    format!("[{}]{newline}", render::toml_key_path(parent)),
                ));
            }
            _ => {}
        }
    }
    Ok(changes)
}

/// Collects the byte ranges that contain the key at `parts`: its key-value lines, or its
/// sections and their sub-sections.
fn collect_ranges(
    text: &str,
    document: &Document<&str>,
    cursor: Cursor,
    root: &Node,
    parts: &[String],
    ranges: &mut Vec<(usize, usize)>,
) -> Result<(), Rejection> {
    match cursor.kind() {
        Kind::Value | Kind::InlineTable => {
            let located = locate(root, parts)?;
            let key_start = located
                .key_span
                .map_or(located.node.span.start, |span| span.start);
            ranges.push((
                text::line_start(text, key_start),
                text::next_line_start(text, located.node.span.end),
            ));
        }
        Kind::Dotted => {
            let Cursor::Table(table) = cursor else {
                unreachable!("dotted tables are tables")
            };
            for (keys, value) in table.get_values() {
                let start = keys
                    .first()
                    .and_then(|key| key.span())
                    .map(|span| span.start);
                if let (Some(start), Some(span)) = (start, value.span()) {
                    ranges.push((
                        text::line_start(text, start),
                        text::next_line_start(text, span.end),
                    ));
                }
            }
        }
        Kind::Header | Kind::Implicit | Kind::ArrayOfTables => {
            let starts = header_starts(document);
            let mut tables = Vec::new();
            collect_section_tables(cursor, &mut tables);
            for table in tables {
                let Some(header) = table.span() else { continue };
                let start = text::line_start(text, header.start);
                let end = starts
                    .iter()
                    .find(|&&other| other > header.start)
                    .map_or(text.len(), |&next| {
                        attached_comments_start(text, text::line_start(text, next))
                    });
                ranges.push((start, end.max(start)));
            }
        }
        Kind::Root | Kind::InlineDotted => {
            return Err(Rejection::NotInPlace(
                "this key cannot be removed on its own".to_string(),
            ))
        }
    }
    Ok(())
}

/// Collects every table with a `[header]` at or under `cursor`.
fn collect_section_tables<'d>(cursor: Cursor<'d>, out: &mut Vec<&'d Table>) {
    match cursor {
        Cursor::Table(table) => {
            if !table.is_implicit() && !table.is_dotted() {
                out.push(table);
            }
            for (_, item) in table.iter() {
                if let Some(child) = Cursor::from_item(item) {
                    collect_section_tables(child, out);
                }
            }
        }
        Cursor::ArrayOfTables(array) => {
            for table in array.iter() {
                collect_section_tables(Cursor::Table(table), out);
            }
        }
        Cursor::Inline(_) | Cursor::Value(_) => {}
    }
}

/// Returns the offsets where `[header]` lines start, in order.
fn header_starts(document: &Document<&str>) -> Vec<usize> {
    let mut tables = Vec::new();
    for (_, item) in document.as_table().iter() {
        if let Some(child) = Cursor::from_item(item) {
            collect_section_tables(child, &mut tables);
        }
    }
    let mut starts: Vec<usize> = tables
        .iter()
        .filter_map(|table| Some(table.span()?.start))
        .collect();
    starts.sort_unstable();
    starts
}

/// Returns the start of the comment lines directly above the line at `line`, which
/// belong to that line's section.
fn attached_comments_start(text: &str, mut line: usize) -> usize {
    while line > 0 {
        let previous = text::line_start(text, line - 1);
        if !text[previous..line].trim_start().starts_with('#') {
            break;
        }
        line = previous;
    }
    line
}
