//! JSON loading with source spans, matching what DVC gets from Python's
//! `json.loads` (CPython 3.11). Integers and floats stay apart, and `NaN`,
//! `Infinity` and `-Infinity` are accepted. A duplicate key keeps its first
//! position but takes the last value. A leading UTF-8 byte order mark is an
//! error, because DVC opens params files as `utf-8`, not `utf-8-sig`.
//!
//! On a syntax error the parser stops, closes every open container and returns the
//! tree built so far together with the error.

use super::{Parsed, SyntaxError};
use crate::node::{Entry, Map, Node, Value};
use crate::text::Span;

/// Python's default recursion limit stops `json.loads` at about this depth.
const MAX_DEPTH: usize = 1000;

/// Parses one JSON document.
pub fn parse(text: &str) -> Parsed {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        error: None,
    };
    let mut errors = Vec::new();
    if text.starts_with('\u{feff}') {
        errors.push(SyntaxError {
            span: Span::new(0, 3),
            message: "the file starts with a UTF-8 byte order mark, which Python's json module \
                      rejects; save the file without it"
                .to_string(),
        });
        parser.pos = 3;
    }

    parser.skip_whitespace();
    let root = if parser.pos >= parser.bytes.len() {
        parser.fail(
            Span::at(parser.pos),
            "expected a JSON value, found the end of the file",
        );
        None
    } else {
        parser.value()
    };
    if parser.error.is_none() {
        parser.skip_whitespace();
        if parser.pos < parser.bytes.len() {
            let span = Span::new(parser.pos, parser.line_end(parser.pos));
            parser.fail(span, "unexpected text after the JSON value");
        }
    }
    errors.extend(parser.error);
    Parsed { root, errors }
}

const EXPECTED_VALUE: &str =
    "expected a JSON value (an object, array, string, number, true, false or null)";

/// An object or array whose closing bracket has not been read yet.
struct Frame {
    close: u8,
    start: usize,
    /// The end of the last complete part, or after the closing bracket.
    end: usize,
    items: Vec<Node>,
    map: Map,
    /// The key whose value is being read.
    key: Option<(String, Span)>,
}

impl Frame {
    fn new(open: u8, start: usize) -> Frame {
        Frame {
            close: if open == b'{' { b'}' } else { b']' },
            start,
            end: start + 1,
            items: Vec::new(),
            map: Map::new(),
            key: None,
        }
    }

    fn push(&mut self, node: Node) {
        self.end = self.end.max(node.span.end);
        if self.close == b']' {
            self.items.push(node);
        } else if let Some((key, key_span)) = self.key.take() {
            // Python builds the dict from the pairs in order: a repeated key keeps
            // its first position and takes the last value.
            self.map.insert(
                key,
                Entry {
                    key_span,
                    value: node,
                },
            );
        }
    }

    fn into_node(mut self) -> Node {
        if let Some((key, key_span)) = self.key.take() {
            // A key whose value is missing still goes into the tree as null, so
            // that a half-typed file keeps the key for completion and hovers.
            let value = Node::new(Value::Null, Span::at(key_span.end));
            self.map.insert(key, Entry { key_span, value });
        }
        let value = if self.close == b']' {
            Value::List(self.items)
        } else {
            Value::Map(self.map)
        };
        Node::new(value, Span::new(self.start, self.end))
    }
}

/// Closes every open container after an error, innermost first, and returns the
/// outermost one with the values it contains so far.
fn close_all(mut stack: Vec<Frame>, mut node: Option<Node>) -> Option<Node> {
    while let Some(mut frame) = stack.pop() {
        if let Some(child) = node.take() {
            frame.push(child);
        }
        node = Some(frame.into_node());
    }
    node
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// The first syntax error. Once set, every open container closes.
    error: Option<SyntaxError>,
}

impl Parser<'_> {
    fn fail(&mut self, span: Span, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(SyntaxError {
                span,
                message: message.into(),
            });
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn line_end(&self, from: usize) -> usize {
        self.text[from..]
            .find(['\n', '\r'])
            .map_or(self.text.len(), |offset| from + offset)
    }

    /// Returns the span of the character at the current position, for error messages.
    fn current_char_span(&self) -> Span {
        let len = self.text[self.pos..]
            .chars()
            .next()
            .map_or(0, char::len_utf8);
        Span::new(self.pos, self.pos + len)
    }

    /// Parses a value at the current position, which is not whitespace. The
    /// nesting is tracked on an explicit stack, so deep input cannot overflow the
    /// thread's stack. Returns `None` when not even a partial value could be read.
    fn value(&mut self) -> Option<Node> {
        let mut stack: Vec<Frame> = Vec::new();
        'values: loop {
            // Read one value, or open a container and go on to its first item.
            let mut node = match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if stack.len() >= MAX_DEPTH {
                        let span = Span::new(self.pos, self.pos + 1);
                        self.fail(
                            span,
                            format!("containers are nested more than {MAX_DEPTH} deep, which Python's json module cannot read"),
                        );
                        return close_all(stack, None);
                    }
                    let start = self.pos;
                    self.pos += 1;
                    self.skip_whitespace();
                    let close = if open == b'{' { b'}' } else { b']' };
                    let mut frame = Frame::new(open, start);
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        frame.end = self.pos;
                        frame.into_node()
                    } else {
                        if open == b'{' && !self.member_key(&mut frame) {
                            stack.push(frame);
                            return close_all(stack, None);
                        }
                        stack.push(frame);
                        if self.peek().is_none() {
                            self.fail(
                                Span::at(self.pos),
                                "expected a value, found the end of the file",
                            );
                            return close_all(stack, None);
                        }
                        continue 'values;
                    }
                }
                Some(b'"') => {
                    let start = self.pos;
                    match self.string() {
                        Some(text) => Node::new(Value::Str(text), Span::new(start, self.pos)),
                        None => return close_all(stack, None),
                    }
                }
                Some(b'-' | b'0'..=b'9') => match self.number() {
                    Some(node) => node,
                    None => return close_all(stack, None),
                },
                Some(first @ (b't' | b'f' | b'n' | b'N' | b'I')) => {
                    let (word, value) = match first {
                        b't' => ("true", Value::Bool(true)),
                        b'f' => ("false", Value::Bool(false)),
                        b'n' => ("null", Value::Null),
                        b'N' => ("NaN", Value::Float(f64::NAN)),
                        _ => ("Infinity", Value::Float(f64::INFINITY)),
                    };
                    match self.keyword(word, value) {
                        Some(node) => node,
                        None => return close_all(stack, None),
                    }
                }
                _ => {
                    let span = self.current_char_span();
                    self.fail(span, EXPECTED_VALUE);
                    return close_all(stack, None);
                }
            };

            // Put the value into its container, then read the separator after it.
            // A closing bracket completes the container, which is in turn a value.
            loop {
                let Some(frame) = stack.last_mut() else {
                    return Some(node);
                };
                frame.push(node);
                self.skip_whitespace();
                let close = frame.close;
                match self.peek() {
                    Some(b',') => {
                        let comma = self.pos;
                        self.pos += 1;
                        self.skip_whitespace();
                        if self.peek() == Some(close) {
                            self.fail(
                                Span::new(comma, comma + 1),
                                format!(
                                    "trailing comma before '{}': JSON does not allow it, remove the comma",
                                    close as char
                                ),
                            );
                            return close_all(stack, None);
                        }
                        if close == b'}' && !self.member_key(frame) {
                            return close_all(stack, None);
                        }
                        if self.peek().is_none() {
                            self.fail(
                                Span::at(self.pos),
                                "expected a value, found the end of the file",
                            );
                            return close_all(stack, None);
                        }
                        continue 'values;
                    }
                    Some(byte) if byte == close => {
                        self.pos += 1;
                        let mut frame = stack.pop().expect("the frame was just used");
                        frame.end = self.pos;
                        node = frame.into_node();
                    }
                    _ => {
                        let span = self.current_char_span();
                        let message = if close == b'}' {
                            "expected ',' or '}' after an object member"
                        } else {
                            "expected ',' or ']' after an array item"
                        };
                        self.fail(span, message);
                        return close_all(stack, None);
                    }
                }
            }
        }
    }

    /// Reads `word` at the current position, or fails.
    fn keyword(&mut self, word: &str, value: Value) -> Option<Node> {
        let start = self.pos;
        if self.text[start..].starts_with(word) {
            self.pos += word.len();
            return Some(Node::new(value, Span::new(start, self.pos)));
        }
        let span = self.current_char_span();
        self.fail(span, EXPECTED_VALUE);
        None
    }

    /// Reads an object key and its `:` into `frame`, leaving the position at the
    /// value. Returns false after recording an error.
    fn member_key(&mut self, frame: &mut Frame) -> bool {
        if self.peek() != Some(b'"') {
            let span = self.current_char_span();
            self.fail(span, "expected an object key in double quotes");
            return false;
        }
        let start = self.pos;
        let Some(key) = self.string() else {
            return false;
        };
        let key_span = Span::new(start, self.pos);
        frame.end = self.pos;
        frame.key = Some((key, key_span));
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            let span = self.current_char_span();
            self.fail(span, "expected ':' after the object key");
            return false;
        }
        self.pos += 1;
        self.skip_whitespace();
        true
    }

    /// Reads a number with the grammar of Python's `json` scanner:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`, or `-Infinity`.
    fn number(&mut self) -> Option<Node> {
        let start = self.pos;
        if self.text[start..].starts_with("-Infinity") {
            self.pos += "-Infinity".len();
            return Some(Node::new(
                Value::Float(f64::NEG_INFINITY),
                Span::new(start, self.pos),
            ));
        }
        let mut pos = start;
        if self.bytes[pos] == b'-' {
            pos += 1;
        }
        let digits = |pos: usize| {
            self.bytes[pos..]
                .iter()
                .take_while(|byte| byte.is_ascii_digit())
                .count()
        };
        let whole = digits(pos);
        if whole == 0 {
            let span = Span::new(start, pos);
            self.fail(span, "expected digits after '-'");
            return None;
        }
        // Python reads only the `0` of `01` and then stops at the `1`.
        pos += if self.bytes[pos] == b'0' { 1 } else { whole };
        let mut is_float = false;
        if self.bytes.get(pos) == Some(&b'.') && digits(pos + 1) > 0 {
            pos += 1 + digits(pos + 1);
            is_float = true;
        }
        if let Some(b'e' | b'E') = self.bytes.get(pos) {
            let mut exponent = pos + 1;
            if let Some(b'+' | b'-') = self.bytes.get(exponent) {
                exponent += 1;
            }
            let exponent_digits = digits(exponent);
            if exponent_digits > 0 {
                pos = exponent + exponent_digits;
                is_float = true;
            }
        }

        // Text glued to the number, such as `01`, `1.` or `1x`, makes the whole
        // token invalid. Python reports it as a missing delimiter; naming the
        // number is clearer.
        let glued = self.bytes[pos..]
            .iter()
            .take_while(|byte| {
                byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'+' | b'-')
            })
            .count();
        if glued > 0 {
            let span = Span::new(start, pos + glued);
            self.fail(
                span,
                format!(
                    "invalid number '{}': JSON numbers have no leading zeros, no trailing '.' and no other characters",
                    &self.text[start..pos + glued]
                ),
            );
            return None;
        }

        self.pos = pos;
        let literal = &self.text[start..pos];
        let value = if is_float {
            Value::Float(literal.parse::<f64>().unwrap_or(f64::NAN))
        } else {
            // NOTE: Python keeps integers beyond 64 bits exact; the value tree has
            // no big integers, so they become the nearest float.
            match literal.parse::<i64>() {
                Ok(integer) => Value::Int(integer),
                Err(_) => Value::Float(literal.parse::<f64>().unwrap_or(f64::NAN)),
            }
        };
        Some(Node::new(value, Span::new(start, pos)))
    }

    /// Reads a string at an opening `"` and returns its decoded text, leaving the
    /// position after the closing quote.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        let mut pos = start + 1;
        let mut out = String::new();
        loop {
            let run = self.bytes[pos..]
                .iter()
                .take_while(|byte| !matches!(byte, b'"' | b'\\') && **byte >= 0x20)
                .count();
            out.push_str(&self.text[pos..pos + run]);
            pos += run;
            match self.bytes.get(pos) {
                None => {
                    let span = Span::new(start, self.line_end(start));
                    self.fail(span, "unterminated string: add the closing '\"'");
                    return None;
                }
                Some(b'"') => {
                    self.pos = pos + 1;
                    return Some(out);
                }
                Some(b'\\') => pos = self.escape(pos, &mut out)?,
                Some(_) => {
                    let span = Span::new(pos, pos + 1);
                    self.fail(
                        span,
                        "invalid control character in a string: write it as an escape such as \\n or \\t",
                    );
                    return None;
                }
            }
        }
    }

    /// Decodes the escape at `pos` (a backslash) and returns the position after it.
    fn escape(&mut self, pos: usize, out: &mut String) -> Option<usize> {
        let simple = match self.bytes.get(pos + 1) {
            Some(b'"') => Some('"'),
            Some(b'\\') => Some('\\'),
            Some(b'/') => Some('/'),
            Some(b'b') => Some('\u{8}'),
            Some(b'f') => Some('\u{c}'),
            Some(b'n') => Some('\n'),
            Some(b'r') => Some('\r'),
            Some(b't') => Some('\t'),
            Some(b'u') => None,
            _ => {
                let len = self.text[pos + 1..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8);
                let span = Span::new(pos, pos + 1 + len);
                let message = format!(
                    "invalid escape '{}' in a string: JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX",
                    &self.text[pos..pos + 1 + len]
                );
                self.fail(span, message);
                return None;
            }
        };
        if let Some(ch) = simple {
            out.push(ch);
            return Some(pos + 2);
        }

        let first = self.hex4(pos)?;
        let mut next = pos + 6;
        let ch = if (0xd800..0xdc00).contains(&first)
            && self.text[next..].starts_with("\\u")
            && self
                .hex4_at(next + 2)
                .is_some_and(|low| (0xdc00..0xe000).contains(&low))
        {
            let low = self.hex4_at(next + 2).unwrap_or(0);
            next += 6;
            char::from_u32(0x10000 + ((first - 0xd800) << 10) + (low - 0xdc00))
        } else {
            char::from_u32(first)
        };
        // NOTE: Python keeps a lone surrogate such as "\ud800" in the string; Rust
        // strings cannot hold one, so it becomes U+FFFD.
        out.push(ch.unwrap_or('\u{fffd}'));
        Some(next)
    }

    fn hex4(&mut self, pos: usize) -> Option<u32> {
        let value = self.hex4_at(pos + 2);
        if value.is_none() {
            let end = (pos + 6).min(self.line_end(pos));
            let end = (pos..=end)
                .rev()
                .find(|offset| self.text.is_char_boundary(*offset))
                .unwrap_or(pos);
            self.fail(
                Span::new(pos, end.max(pos + 2)),
                "invalid \\u escape: expected four hex digits, as in \\u00e9",
            );
        }
        value
    }

    fn hex4_at(&self, pos: usize) -> Option<u32> {
        let digits = self.bytes.get(pos..pos + 4)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    }
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

    #[test]
    fn integers_and_floats_stay_apart() {
        let node = root(r#"{"a": 1, "b": 1.0, "c": -0, "d": 1E2, "e": 12345678901234567890}"#);
        assert_eq!(node.get("a").unwrap().value, Value::Int(1));
        assert_eq!(node.get("b").unwrap().value, Value::Float(1.0));
        assert_eq!(node.get("c").unwrap().value, Value::Int(0));
        assert_eq!(node.get("d").unwrap().value, Value::Float(100.0));
        assert_eq!(
            node.get("e").unwrap().value,
            Value::Float(12345678901234567890.0)
        );
    }

    #[test]
    fn non_finite_numbers_are_accepted() {
        let node = root("[NaN, Infinity, -Infinity, 1e400]");
        let items = node.as_list().unwrap();
        assert!(matches!(items[0].value, Value::Float(x) if x.is_nan()));
        assert_eq!(items[1].value, Value::Float(f64::INFINITY));
        assert_eq!(items[2].value, Value::Float(f64::NEG_INFINITY));
        assert_eq!(items[3].value, Value::Float(f64::INFINITY));
    }

    #[test]
    fn duplicate_key_keeps_position_and_last_value() {
        let text = r#"{"a": 1, "b": 2, "a": 3}"#;
        let node = root(text);
        let map = node.as_map().unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(map["a"].value.value, Value::Int(3));
        assert_eq!(map["a"].key_span.start, text.rfind("\"a\"").unwrap());
    }

    #[test]
    fn spans_cover_keys_and_values() {
        let text = "{\n  \"é\": [1, \"two\"],\n  \"n\": {\"x\": null}\n}";
        let node = root(text);
        assert_eq!(slice(text, node.span), text);
        let entry = &node.as_map().unwrap()["é"];
        assert_eq!(slice(text, entry.key_span), "\"é\"");
        assert_eq!(slice(text, entry.value.span), "[1, \"two\"]");
        let two = &entry.value.as_list().unwrap()[1];
        assert_eq!(slice(text, two.span), "\"two\"");
        let x = &node.get("n").unwrap().as_map().unwrap()["x"];
        assert_eq!(slice(text, x.value.span), "null");
    }

    #[test]
    fn escapes_decode() {
        let node = root(r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800""#);
        assert_eq!(
            node.as_str(),
            Some("a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}\u{fffd}")
        );
    }

    #[test]
    fn byte_order_mark_is_reported() {
        let parsed = parse("\u{feff}{\"a\": 1}");
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].message.contains("byte order mark"));
        assert_eq!(parsed.root.unwrap().get("a").unwrap().value, Value::Int(1));
    }

    #[test]
    fn syntax_errors_name_the_problem() {
        let cases = [
            ("{\"a\": 1 \"b\": 2}", "expected ',' or '}'", "\""),
            ("[1 2]", "expected ',' or ']'", "2"),
            ("{\"a\" 1}", "expected ':'", "1"),
            ("{a: 1}", "object key in double quotes", "a"),
            ("[1,]", "trailing comma", ","),
            ("{\"a\": 01}", "invalid number '01'", "01"),
            ("\"abc", "unterminated string", "\"abc"),
            ("\"a\tb\"", "invalid control character", "\t"),
            ("\"\\q\"", "invalid escape '\\q'", "\\q"),
            ("[1] x", "unexpected text after", "x"),
            ("", "found the end of the file", ""),
            ("[tru]", "expected a JSON value", "t"),
        ];
        for (text, message, pointed) in cases {
            let parsed = parse(text);
            assert_eq!(parsed.errors.len(), 1, "{text:?}");
            let error = &parsed.errors[0];
            assert!(
                error.message.contains(message),
                "{text:?}: {}",
                error.message
            );
            assert_eq!(slice(text, error.span), pointed, "{text:?}");
        }
    }

    #[test]
    fn broken_file_keeps_the_part_before_the_error() {
        let parsed = parse("{\"train\": {\"lr\": 0.1, \"layers\": [1, 2,\n");
        assert_eq!(parsed.errors.len(), 1);
        let root = parsed.root.expect("partial tree");
        assert_eq!(root.get_path("train.lr").unwrap().value, Value::Float(0.1));
        let layers = root.get_path("train.layers").unwrap().as_list().unwrap();
        assert_eq!(layers.len(), 2);
    }

    #[test]
    fn half_typed_member_keeps_its_key() {
        let parsed = parse("{\"a\": 1, \"b\": ");
        assert_eq!(parsed.errors.len(), 1);
        let root = parsed.root.unwrap();
        assert!(root.get("b").unwrap().is_null());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        for text in ["[".repeat(5000), "{\"a\": ".repeat(5000)] {
            let parsed = parse(&text);
            assert_eq!(parsed.errors.len(), 1);
            assert!(parsed.errors[0].message.contains("nested more than"));
        }
    }
}
