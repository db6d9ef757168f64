//! `${...}` expressions: finding them, parsing them and substituting values, with
//! DVC's rules. A string that is exactly one expression takes the value with its
//! type; inside a larger string values become text (`true`/`false` for booleans,
//! Python's `str()` otherwise). A backslash before `${` escapes it. Dicts may be
//! interpolated only into `cmd`, where they unpack into command-line flags.

use crate::node::{flatten, Entry, Map, Node, Value};
use crate::pyfmt;
use crate::text::Span;

use super::context::{Context, CtxNode, CtxValue, TrackedVars};

/// One `${...}` occurrence in a string, in byte offsets of that string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    /// From `$` to just after `}`.
    pub start: usize,
    pub end: usize,
}

impl Match {
    pub fn inner<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start + 2..self.end - 1]
    }
}

/// Finds every `${...}` not preceded by a backslash. The expression ends at the
/// first `}` and cannot span lines, as in DVC's regular expression.
pub fn find_matches(text: &str) -> Vec<Match> {
    let bytes = text.as_bytes();
    let mut matches = Vec::new();
    let mut index = 0;
    while let Some(found) = text[index..].find("${") {
        let start = index + found;
        let escaped = start > 0 && bytes[start - 1] == b'\\';
        let close = text[start + 2..].find(['}', '\n']);
        match close {
            Some(offset) if !escaped && bytes[start + 2 + offset] == b'}' => {
                let end = start + 2 + offset + 1;
                matches.push(Match { start, end });
                index = end;
            }
            _ => index = start + 1,
        }
    }
    matches
}

pub fn has_interpolation(text: &str) -> bool {
    !find_matches(text).is_empty()
}

/// A problem with an expression or with the value it selects.
#[derive(Clone, Debug, PartialEq)]
pub struct InterpolationError {
    pub message: String,
    /// The offsets of the offending `${...}` within the string, when known.
    pub within: Option<(usize, usize)>,
}

/// Parses an expression (the text between `${` and `}`) into a normalized dotted
/// path: `a.list[0]` becomes `a.list.0`. Names are any characters other than
/// `.`, `[` and `]`; surrounding spaces are kept here and trimmed on lookup.
pub fn parse_expression(inner: &str) -> Result<String, String> {
    let bytes = inner.as_bytes();
    let is_name = |byte: u8| !matches!(byte, b'.' | b'[' | b']');
    let mut index = 0;
    let mut out = String::new();

    let word = |index: &mut usize| -> Option<String> {
        let start = *index;
        while *index < bytes.len() && is_name(bytes[*index]) {
            *index += 1;
        }
        (*index > start).then(|| inner[start..*index].to_string())
    };

    match word(&mut index) {
        Some(name) => out.push_str(&name),
        None => {
            let found = describe_found(inner, index);
            return Err(format!(
                "expected a name at the start of '${{{inner}}}', found {found}"
            ));
        }
    }
    while index < bytes.len() {
        let before = index;
        let part = match bytes[index] {
            b'.' => {
                index += 1;
                word(&mut index)
            }
            b'[' => {
                index += 1;
                let name = word(&mut index);
                if name.is_some() && index < bytes.len() && bytes[index] == b']' {
                    index += 1;
                    name
                } else {
                    None
                }
            }
            _ => None,
        };
        match part {
            Some(name) => {
                out.push('.');
                out.push_str(&name);
            }
            None => {
                let found = describe_found(inner, before);
                return Err(format!(
                    "expected end of text in '${{{inner}}}', found {found} at character {}",
                    before + 3
                ));
            }
        }
    }
    Ok(out)
}

fn describe_found(inner: &str, index: usize) -> String {
    match inner[index..].chars().next() {
        Some(ch) => format!("'{ch}'"),
        None => "'}'".to_string(),
    }
}

/// Checks that every expression in `text` parses.
pub fn check_syntax(text: &str) -> Result<(), InterpolationError> {
    for found in find_matches(text) {
        parse_expression(found.inner(text)).map_err(|message| InterpolationError {
            message,
            within: Some((found.start, found.end)),
        })?;
    }
    Ok(())
}

/// How values are turned into text and flags, from DVC's `parsing` config.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParsingConfig {
    /// `parsing.bool: boolean_optional` writes `--no-flag` for false values.
    pub bool_optional: bool,
    /// `parsing.list: append` repeats the flag for each list item.
    pub list_append: bool,
}

/// What a resolution step needs: the context, the stage field being resolved
/// (which decides whether dicts and lists may be interpolated), the config and
/// where to record tracked values.
pub struct Resolver<'a> {
    pub context: &'a Context,
    pub field: Option<&'a str>,
    pub config: ParsingConfig,
    pub tracked: Option<&'a mut TrackedVars>,
}

/// The result of resolving one string.
pub enum Resolved {
    /// The string was exactly one expression: the selected value keeps its type
    /// and origin.
    Whole(CtxNode),
    Text(String),
}

impl Resolver<'_> {
    /// Resolves every string in a value tree, map keys included.
    pub fn resolve_node(&mut self, node: &Node) -> Result<Node, InterpolationError> {
        let value = match &node.value {
            Value::Str(text) => match self.resolve_str(text, node.span)? {
                Resolved::Whole(found) => return Ok(relocate(found.to_node(), node.span)),
                Resolved::Text(text) => Value::Str(text),
            },
            Value::List(items) => Value::List(
                items
                    .iter()
                    .map(|item| self.resolve_node(item))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(map) => {
                let mut resolved = Map::new();
                for (key, entry) in map {
                    let key = match self.resolve_str(key, entry.key_span)? {
                        Resolved::Whole(found) => match &found.value {
                            CtxValue::Scalar(value) => pyfmt::python_str(value),
                            _ => key.clone(),
                        },
                        Resolved::Text(text) => text,
                    };
                    let value = self.resolve_node(&entry.value)?;
                    resolved.insert(
                        key,
                        Entry {
                            key_span: entry.key_span,
                            value,
                        },
                    );
                }
                Value::Map(resolved)
            }
            other => other.clone(),
        };
        Ok(Node::new(value, node.span))
    }

    /// Resolves a value but keeps selected collections as context nodes, as DVC
    /// does for `foreach` and `matrix` data (its `unwrap=False`), so that items
    /// remember the file they came from.
    pub fn resolve_keep_origin(&mut self, node: &Node) -> Result<CtxNode, InterpolationError> {
        match &node.value {
            Value::Str(text) => match self.resolve_str(text, node.span)? {
                Resolved::Whole(found) => Ok(found),
                Resolved::Text(text) => Ok(CtxNode::local(Value::Str(text), node.span)),
            },
            Value::List(items) => {
                let items = items
                    .iter()
                    .map(|item| self.resolve_keep_origin(item))
                    .collect::<Result<_, _>>()?;
                Ok(CtxNode {
                    value: CtxValue::List(items),
                    origin: None,
                    span: node.span,
                })
            }
            Value::Map(map) => {
                let mut resolved = indexmap::IndexMap::new();
                for (key, entry) in map {
                    let key = match self.resolve_str(key, entry.key_span)? {
                        Resolved::Whole(found) => match &found.value {
                            CtxValue::Scalar(value) => pyfmt::python_str(value),
                            _ => key.clone(),
                        },
                        Resolved::Text(text) => text,
                    };
                    resolved.insert(key, self.resolve_keep_origin(&entry.value)?);
                }
                Ok(CtxNode {
                    value: CtxValue::Map(resolved),
                    origin: None,
                    span: node.span,
                })
            }
            other => Ok(CtxNode::local(other.clone(), node.span)),
        }
    }

    /// Resolves one string: a whole-value expression or text with substitutions.
    pub fn resolve_str(&mut self, text: &str, _span: Span) -> Result<Resolved, InterpolationError> {
        let matches = find_matches(text);
        if matches.len() == 1 && matches[0].start == 0 && matches[0].end == text.len() {
            let found = self.select(text, matches[0])?;
            self.validate(&found, matches[0])?;
            return Ok(Resolved::Whole(found));
        }

        let mut out = String::with_capacity(text.len());
        let mut index = 0;
        for found in &matches {
            let value = self.select(text, *found)?;
            self.validate(&value, *found)?;
            out.push_str(&text[index..found.start]);
            out.push_str(&self.to_text(&value, *found)?);
            index = found.end;
        }
        out.push_str(&text[index..]);
        // DVC unescapes `\${` in every string it resolves.
        Ok(Resolved::Text(out.replace("\\${", "${")))
    }

    fn select(&mut self, text: &str, found: Match) -> Result<CtxNode, InterpolationError> {
        let within = Some((found.start, found.end));
        let path = parse_expression(found.inner(text))
            .map_err(|message| InterpolationError { message, within })?;
        match self.context.select(&path, self.tracked.as_deref_mut()) {
            Some(node) => Ok(node.clone()),
            None => Err(InterpolationError {
                message: format!("Could not find '{path}'"),
                within,
            }),
        }
    }

    /// DVC accepts dicts and lists only in `foreach`/`matrix` data and in
    /// top-level sections, and dicts in `cmd`.
    fn validate(&self, node: &CtxNode, found: Match) -> Result<(), InterpolationError> {
        let Some(field) = self.field else {
            return Ok(());
        };
        if !node.is_collection() || field.contains("foreach") {
            return Ok(());
        }
        if field == "cmd" && matches!(node.value, CtxValue::Map(_)) {
            return Ok(());
        }
        Err(InterpolationError {
            message: format!("Cannot interpolate data of type '{}'", node.type_name()),
            within: Some((found.start, found.end)),
        })
    }

    fn to_text(&self, node: &CtxNode, found: Match) -> Result<String, InterpolationError> {
        match &node.value {
            CtxValue::Scalar(Value::Bool(flag)) => {
                Ok(if *flag { "true" } else { "false" }.to_string())
            }
            CtxValue::Scalar(value) => Ok(pyfmt::python_str(value)),
            CtxValue::Map(_) => {
                unpack_flags(&node.to_node(), self.config).map_err(|message| InterpolationError {
                    message,
                    within: Some((found.start, found.end)),
                })
            }
            CtxValue::List(_) => Ok(pyfmt::python_str(&node.to_node().value)),
        }
    }
}

/// Gives a value selected from the context the span of the expression that
/// selected it, so diagnostics about the resolved value point into the file
/// being resolved.
fn relocate(mut node: Node, span: Span) -> Node {
    node.span = span;
    node
}

/// Unpacks a dict into command-line flags as DVC does for `cmd: ${args}`:
/// `true` gives `--k`, `false` gives nothing (or `--no-k`), strings are
/// shell-quoted, lists give `--k a b` (or `--k a --k b`), other values `--k v`.
pub fn unpack_flags(dict: &Node, config: ParsingConfig) -> Result<String, String> {
    let mut out = String::new();
    for (key, node) in flatten(dict) {
        match &node.value {
            Value::Bool(true) => out.push_str(&format!("--{key} ")),
            Value::Bool(false) => {
                if config.bool_optional {
                    out.push_str(&format!("--no-{key} "));
                }
            }
            Value::Str(text) => out.push_str(&format!("--{key} {} ", shell_quote(text))),
            Value::List(items) => {
                for (index, item) in items.iter().enumerate() {
                    let text = match &item.value {
                        Value::Str(text) => shell_quote(text),
                        Value::List(_) | Value::Map(_) => {
                            return Err(format!("Cannot interpolate nested iterable in '{key}'"))
                        }
                        other => pyfmt::python_str(other),
                    };
                    if config.list_append || index == 0 {
                        out.push_str(&format!("--{key} {text} "));
                    } else {
                        out.push_str(&format!("{text} "));
                    }
                }
            }
            // An empty nested dict is a leaf of `flatten`; Python iterates it as
            // an empty iterable and writes nothing.
            Value::Map(_) => {}
            other => out.push_str(&format!("--{key} {} ", pyfmt::python_str(other))),
        }
    }
    Ok(out.trim_end().to_string())
}

/// Quotes a string for a POSIX shell as Python's `shlex.quote` does.
pub fn shell_quote(text: &str) -> String {
    if text.is_empty() {
        return "''".to_string();
    }
    let safe = text
        .chars()
        .all(|ch| ch.is_ascii_alphanumeric() || "_@%+=:,./-".contains(ch));
    if safe {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', "'\"'\"'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_parse_like_dvc() {
        assert_eq!(parse_expression("a").unwrap(), "a");
        assert_eq!(parse_expression(" a ").unwrap(), " a ");
        assert_eq!(parse_expression("a.b[1].c").unwrap(), "a.b.1.c");
        assert_eq!(parse_expression("a[0][1]").unwrap(), "a.0.1");
        assert_eq!(parse_expression("a[ 0 ]").unwrap(), "a. 0 ");
        for bad in ["", "a..b", "a[", "a]", "[0]", "a.", "a[0]b", ".a"] {
            assert!(parse_expression(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn matches_skip_escapes_and_newlines() {
        let text = r"a ${x} \${y} ${z";
        let found = find_matches(text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].inner(text), "x");
        assert!(find_matches("${a\n}").is_empty());
    }

    #[test]
    fn shell_quote_matches_shlex() {
        assert_eq!(shell_quote("abc"), "abc");
        assert_eq!(shell_quote("x y"), "'x y'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("it's"), "'it'\"'\"'s'");
    }
}
