//! YAML 1.2 loading with source spans, on top of saphyr's event parser.
//!
//! Scalars are resolved with the YAML 1.2 core schema as ruamel.yaml applies it,
//! because that is what DVC 3 reads params and pipelines with: `yes` and `on` stay
//! strings, `1e3` is a float, `~` is null and underscores in numbers are allowed.
//! Anchors, aliases and `<<` merge keys are supported; duplicate keys are errors.

use std::collections::HashMap;

use saphyr_parser::{
    Event, Parser, ScalarStyle, ScanError, Span as EventSpan, SpannedEventReceiver,
};

use super::{Parsed, SyntaxError};
use crate::node::{Entry, Map, Node, Value};
use crate::pyfmt;
use crate::text::Span;

/// Parses one YAML document. An empty stream gives no root and no errors.
pub fn parse(text: &str) -> Parsed {
    let offsets = CharOffsets::new(text);
    let mut builder = Builder {
        text,
        offsets: &offsets,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        documents: 0,
        errors: Vec::new(),
        tab_safe: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    let result = parser.load(&mut builder, false);
    if let Err(error) = result {
        builder.fail(&error);
    } else if text.contains('\t') {
        if let Some(offset) = first_stray_tab(text, &builder.tab_safe) {
            builder.errors.push(SyntaxError {
                span: Span::new(offset, offset + 1),
                message: "found character '\\t' that cannot start any token; \
                          indent and separate with spaces instead of tabs"
                    .to_string(),
            });
        }
    }
    Parsed {
        root: builder.root,
        errors: builder.errors,
    }
}

/// NOTE: saphyr rejects a tab right after `:` in a flow mapping (`{b:\t1}`),
/// which ruamel accepts; such files get an error that DVC would not report.
///
/// Finds a tab that ruamel.yaml, and so DVC, rejects. YAML 1.2 allows tabs as
/// separators in more places than ruamel does: ruamel accepts them only inside
/// quoted and block scalars, inside flow collections and in comments.
fn first_stray_tab(text: &str, tab_safe: &[Span]) -> Option<usize> {
    let inside_safe = |offset: usize| tab_safe.iter().any(|span| span.contains(offset));
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let mut comment_start = None;
        let bytes = line.as_bytes();
        for (index, byte) in bytes.iter().enumerate() {
            let offset = line_start + index;
            if *byte == b'#'
                && comment_start.is_none()
                && (index == 0 || bytes[index - 1] == b' ' || bytes[index - 1] == b'\t')
                && !inside_safe(offset)
            {
                comment_start = Some(index);
            }
            if *byte == b'\t' && comment_start.is_none() && !inside_safe(offset) {
                return Some(offset);
            }
        }
        line_start += line.len();
    }
    None
}

/// Converts saphyr's character indexes to byte offsets.
struct CharOffsets {
    /// Byte offset of each character, plus the text length at the end. Empty for
    /// ASCII text, where the two are the same.
    table: Vec<usize>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> CharOffsets {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .map(|(offset, _)| offset)
                .chain(std::iter::once(text.len()))
                .collect()
        };
        CharOffsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).copied().unwrap_or(self.len)
        }
    }

    fn span(&self, span: &EventSpan) -> Span {
        Span::new(self.byte(span.start.index()), self.byte(span.end.index()))
    }
}

enum Frame {
    List {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
    },
    Map {
        map: Map,
        start: usize,
        anchor: usize,
        key: Option<(String, Span)>,
        merges: Vec<Node>,
    },
}

struct Builder<'a> {
    text: &'a str,
    offsets: &'a CharOffsets,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    documents: usize,
    errors: Vec<SyntaxError>,
    /// Spans where ruamel accepts tabs: quoted and block scalars, flow collections.
    tab_safe: Vec<Span>,
}

impl<'input> SpannedEventReceiver<'input> for Builder<'_> {
    fn on_event(&mut self, event: Event<'input>, event_span: EventSpan) {
        let span = self.offsets.span(&event_span);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.errors.push(SyntaxError {
                        span,
                        message:
                            "expected a single document in the stream, but found another document"
                                .to_string(),
                    });
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let span = self.trim_trailing_space(span);
                if style != ScalarStyle::Plain {
                    // Block scalars start at their content; the header line before
                    // it cannot hold a tab anyway.
                    self.tab_safe.push(span);
                }
                let tag = tag.map(|tag| format!("{}{}", tag.handle, tag.suffix));
                let value = resolve_scalar(&text, style, tag.as_deref());
                self.finish(Node::new(value, span), anchor);
            }
            Event::Alias(anchor) => {
                let node = match self.anchors.get(&anchor) {
                    Some(node) => Node::new(node.value.clone(), span),
                    None => {
                        self.errors.push(SyntaxError {
                            span,
                            message: "found undefined alias".to_string(),
                        });
                        Node::new(Value::Null, span)
                    }
                };
                self.finish(node, 0);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::List {
                items: Vec::new(),
                start: span.start,
                anchor,
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                map: Map::new(),
                start: span.start,
                anchor,
                key: None,
                merges: Vec::new(),
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                // A flow collection ends at its closing bracket, which the end event
                // covers; a block collection ends with its last item.
                let closing = (!span.is_empty()).then_some(span.end);
                if let Some(start) = self.open_start() {
                    if closing.is_some() {
                        self.tab_safe.push(Span::new(start, span.end));
                    }
                }
                self.close(closing);
            }
            _ => {}
        }
    }
}

impl Builder<'_> {
    /// Moves a scalar's end back over trailing blanks, which saphyr includes in
    /// the spans of quoted and block scalars.
    fn trim_trailing_space(&self, mut span: Span) -> Span {
        let bytes = self.text.as_bytes();
        while span.end > span.start
            && matches!(bytes.get(span.end - 1), Some(b' ' | b'\t' | b'\r' | b'\n'))
        {
            span.end -= 1;
        }
        span
    }

    fn open_start(&self) -> Option<usize> {
        match self.stack.last()? {
            Frame::List { start, .. } | Frame::Map { start, .. } => Some(*start),
        }
    }

    /// Closes the innermost open collection and hands it to its parent.
    fn close(&mut self, closing: Option<usize>) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let (node, anchor) = match frame {
            Frame::List {
                items,
                start,
                anchor,
            } => {
                let end = closing
                    .or_else(|| items.last().map(|item| item.span.end))
                    .unwrap_or(start);
                (Node::new(Value::List(items), Span::new(start, end)), anchor)
            }
            Frame::Map {
                mut map,
                start,
                anchor,
                key,
                merges,
            } => {
                if let Some((key, key_span)) = key {
                    // A key whose value never arrived, as in a half-typed file.
                    let value = Node::new(Value::Null, Span::at(key_span.end));
                    map.insert(key, Entry { key_span, value });
                }
                let end = closing
                    .or_else(|| map.values().last().map(|entry| entry.value.span.end))
                    .unwrap_or(start);
                apply_merges(&mut map, merges);
                (Node::new(Value::Map(map), Span::new(start, end)), anchor)
            }
        };
        self.finish(node, anchor);
    }

    /// Places a complete node into its parent collection, or makes it the root.
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::List { items, .. }) => items.push(node),
            Some(Frame::Map {
                map, key, merges, ..
            }) => match key.take() {
                None => {
                    let text = match &node.value {
                        value if value.is_scalar() => pyfmt::python_str(value),
                        _ => {
                            self.errors.push(SyntaxError {
                                span: node.span,
                                message: "a mapping key must be a scalar, not a list or mapping"
                                    .to_string(),
                            });
                            String::from("<invalid key>")
                        }
                    };
                    *key = Some((text, node.span));
                }
                Some((key, key_span)) => {
                    if key == "<<" {
                        merges.push(node);
                    } else if let Some(previous) = map.get(&key) {
                        self.errors.push(SyntaxError {
                            span: key_span,
                            message: format!(
                                "found duplicate key '{key}' (first defined at byte {}); remove one of them",
                                previous.key_span.start
                            ),
                        });
                    } else {
                        map.insert(
                            key,
                            Entry {
                                key_span,
                                value: node,
                            },
                        );
                    }
                }
            },
        }
    }

    /// Records a scan error and closes every open collection, so that the part of
    /// the file before the error is still available.
    fn fail(&mut self, error: &ScanError) {
        let offset = self.offsets.byte(error.marker().index());
        self.errors.push(SyntaxError {
            span: Span::at(offset),
            message: error.info().to_string(),
        });
        while !self.stack.is_empty() {
            self.close(None);
        }
    }
}

/// Adds the keys of `<<` merge values that the mapping does not define itself.
fn apply_merges(map: &mut Map, merges: Vec<Node>) {
    for merge in merges {
        let sources: Vec<Node> = match merge.value {
            Value::List(items) => items,
            _ => vec![merge],
        };
        for source in sources {
            if let Value::Map(source) = source.value {
                for (key, entry) in source {
                    map.entry(key).or_insert(entry);
                }
            }
        }
    }
}

/// Resolves a scalar's type from its text, style and tag.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    if let Some(tag) = tag {
        let name = tag.rsplit([':', '!']).next().unwrap_or(tag);
        match name {
            "str" => return Value::Str(text.to_string()),
            "int" => {
                if let Some(value) = resolve_int(text) {
                    return Value::Int(value);
                }
            }
            "float" => {
                if let Some(value) = resolve_int(text)
                    .map(|value| value as f64)
                    .or_else(|| resolve_float(text))
                {
                    return Value::Float(value);
                }
            }
            "bool" => match text {
                "true" | "True" | "TRUE" => return Value::Bool(true),
                "false" | "False" | "FALSE" => return Value::Bool(false),
                _ => {}
            },
            "null" => return Value::Null,
            _ => {}
        }
    }
    if style != ScalarStyle::Plain {
        return Value::Str(text.to_string());
    }
    resolve_plain(text)
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(value) = resolve_int(text) {
        return Value::Int(value);
    }
    if let Some(value) = resolve_float(text) {
        return Value::Float(value);
    }
    Value::Str(text.to_string())
}

fn resolve_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(rest) = body.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = body.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = body.strip_prefix("0b") {
        (2, rest)
    } else {
        (10, body)
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || !digits.chars().all(|ch| ch == '_' || ch.is_digit(radix))
    {
        return None;
    }
    let cleaned: String = digits.chars().filter(|ch| *ch != '_').collect();
    let magnitude = i64::from_str_radix(&cleaned, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

fn resolve_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(index) => (&body[..index], Some(&body[index + 1..])),
        None => (body, None),
    };
    let has_point = mantissa.contains('.');
    // ruamel accepts `1.`, `.5`, `1.5e3` and `1e3`, but not a bare integer.
    if !has_point && exponent.is_none() {
        return None;
    }
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |part: &str| part.chars().all(|ch| ch.is_ascii_digit() || ch == '_');
    if !digits_ok(whole) || !digits_ok(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return None;
    }
    if whole.starts_with('_') {
        return None;
    }
    if let Some(exponent) = exponent {
        let exponent_digits = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
        if exponent_digits.is_empty() || !exponent_digits.chars().all(|ch| ch.is_ascii_digit()) {
            return None;
        }
    }
    let cleaned: String = text.chars().filter(|ch| *ch != '_').collect();
    cleaned.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let parsed = parse(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        parsed.root.expect("a document")
    }

    #[test]
    fn scalars_follow_yaml_1_2() {
        let node =
            root("a: yes\nb: 1e3\nc: ~\nd: 0.20\ne: '1'\nf: 1_000\ng: on\nh: True\ni: 0x1f\n");
        assert_eq!(node.get("a").unwrap().value, Value::Str("yes".into()));
        assert_eq!(node.get("b").unwrap().value, Value::Float(1000.0));
        assert_eq!(node.get("c").unwrap().value, Value::Null);
        assert_eq!(node.get("d").unwrap().value, Value::Float(0.2));
        assert_eq!(node.get("e").unwrap().value, Value::Str("1".into()));
        assert_eq!(node.get("f").unwrap().value, Value::Int(1000));
        assert_eq!(node.get("g").unwrap().value, Value::Str("on".into()));
        assert_eq!(node.get("h").unwrap().value, Value::Bool(true));
        assert_eq!(node.get("i").unwrap().value, Value::Int(31));
    }

    #[test]
    fn spans_are_byte_offsets() {
        let text = "é: x\nlist: [1, 'two']\n";
        let node = root(text);
        let map = node.as_map().unwrap();
        let entry = &map["list"];
        assert_eq!(&text[entry.key_span.start..entry.key_span.end], "list");
        assert_eq!(
            &text[entry.value.span.start..entry.value.span.end],
            "[1, 'two']"
        );
        let two = &entry.value.as_list().unwrap()[1];
        assert_eq!(&text[two.span.start..two.span.end], "'two'");
    }

    #[test]
    fn anchors_and_merge_keys() {
        let node = root("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n");
        let used = node.get("use").unwrap();
        assert_eq!(used.get("x").unwrap().value, Value::Int(1));
        assert_eq!(used.get("y").unwrap().value, Value::Int(3));
    }

    #[test]
    fn tabs_are_rejected_where_ruamel_rejects_them() {
        for bad in ["a: b\t\n", "a:\tb\n", "\ta: b\n", "- a\t\n", "a: \"x\"\t\n"] {
            assert!(!parse(bad).errors.is_empty(), "{bad:?} should be rejected");
        }
        for good in [
            "a: [1,\t2]\n",
            "a: 'x\ty'\n",
            "a: b # c\td\n",
            "a: |\n  x\ty\n",
        ] {
            assert!(parse(good).errors.is_empty(), "{good:?} should be accepted");
        }
    }

    #[test]
    fn duplicate_key_is_an_error() {
        let parsed = parse("a: 1\na: 2\n");
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].message.contains("duplicate key 'a'"));
    }

    #[test]
    fn broken_file_keeps_the_part_before_the_error() {
        let parsed = parse("stages:\n  train:\n    cmd: python train.py\n    deps: [a\n");
        assert!(!parsed.errors.is_empty());
        let root = parsed.root.expect("partial tree");
        let cmd = root.get_path("stages.train.cmd").unwrap();
        assert_eq!(cmd.as_str(), Some("python train.py"));
    }
}
