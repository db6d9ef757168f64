//! Python params files (`params.py`), read the way DVC 3 reads them: the source
//! is parsed, never executed, and only literal assignments count.
//!
//! DVC's `parse_py` (dvc/utils/serialize/_py.py) walks the statements of the
//! module body and keeps
//! - `NAME = literal` and `NAME: T = literal`,
//! - `self.NAME = literal` (with or without annotation), also at module level,
//! - each `class` as a nested mapping of the same statements in its body, plus
//!   the `self.NAME = literal` statements directly in its `def __init__`,
//! - the `self.NAME = literal` statements of a module-level `def __init__`.
//!
//! Statements inside `if`, `for`, `with`, other functions and so on are not read.
//! An assignment whose value `ast.literal_eval` rejects, one with several targets
//! (`a = b = 1`) and one whose target is anything else (`a.b`, `a[0]`, `a, b`) is
//! skipped. A later assignment to the same name replaces the value but keeps the
//! first position, as `dict.update` does.
//!
//! Tuples become lists and sets become lists in source order.
//!
//! NOTE: the tokenizer finds lexical errors (strings, brackets, indentation,
//! numbers) and literals are checked fully, but statements that are skipped are
//! not checked against Python's grammar, so some files that `ast.parse` rejects
//! still load here.

mod literal;
mod strings;
mod tokenize;

use literal::Outcome;
use tokenize::{Kind, Line, Token};

use super::{Parsed, SyntaxError};
use crate::node::{Entry, Map, Node, Value};
use crate::text::Span;

/// Statements that open a block. An assignment after their `:` on the same line
/// belongs to the block, so such lines are skipped as a whole.
const COMPOUND_KEYWORDS: [&str; 10] = [
    "if", "elif", "else", "for", "while", "try", "except", "finally", "with", "async",
];

/// Python's hard keywords, none of which starts an assignment.
const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Parses a Python params file.
pub fn parse(text: &str) -> Parsed {
    let mut errors = Vec::new();
    let mut start = 0;
    if text.starts_with('\u{feff}') {
        errors.push(SyntaxError {
            span: Span::new(0, 3),
            message: "the file starts with a UTF-8 byte order mark, which Python rejects in \
                      DVC's params files; save the file without it"
                .to_string(),
        });
        start = 3;
    }
    let tokenized = tokenize::tokenize(text, start);
    errors.extend(tokenized.error);

    let mut reader = Reader {
        text,
        errors: Vec::new(),
    };
    let map = reader.block(&tokenized.lines, Mode::Names);
    errors.append(&mut reader.errors);
    errors.sort_by_key(|error| error.span.start);
    Parsed {
        root: Some(Node::new(Value::Map(map), Span::new(0, text.len()))),
        errors,
    }
}

/// The assignment targets a block reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Module and class bodies: `NAME` and `self.NAME`.
    Names,
    /// The body of `__init__`: only `self.NAME`.
    SelfAttributes,
}

struct Reader<'a> {
    text: &'a str,
    errors: Vec<SyntaxError>,
}

impl Reader<'_> {
    fn token_text(&self, token: &Token) -> &str {
        &self.text[token.span.start..token.span.end]
    }

    fn is_op(&self, token: Option<&Token>, op: &str) -> bool {
        token.is_some_and(|token| token.kind == Kind::Op && self.token_text(token) == op)
    }

    fn is_name(&self, token: Option<&Token>, name: &str) -> bool {
        token.is_some_and(|token| token.kind == Kind::Name && self.token_text(token) == name)
    }

    /// Reads the statements of a block: `lines` starts with a statement at the
    /// block's indentation, and deeper lines belong to the statement above them.
    fn block(&mut self, lines: &[Line], mode: Mode) -> Map {
        let mut map = Map::new();
        let Some(first) = lines.first() else {
            return map;
        };
        let indent = first.indent;
        let mut index = 0;
        while index < lines.len() {
            let line = &lines[index];
            let body_end = lines[index + 1..]
                .iter()
                .position(|next| next.indent <= indent)
                .map_or(lines.len(), |offset| index + 1 + offset);
            let body = &lines[index + 1..body_end];
            self.statement(&line.tokens, body, mode, &mut map);
            index = body_end;
        }
        map
    }

    /// Reads one logical line whose block (if it opens one) is `body`.
    fn statement(&mut self, tokens: &[Token], body: &[Line], mode: Mode, map: &mut Map) {
        let first = tokens.first();
        if self.is_name(first, "class") {
            self.class(tokens, body, map);
            return;
        }
        if self.is_name(first, "def") {
            self.function(tokens, body, map);
            return;
        }
        if first.is_some_and(|token| {
            token.kind == Kind::Name && COMPOUND_KEYWORDS.contains(&self.token_text(token))
        }) {
            return;
        }
        for simple in self.split_simple_statements(tokens) {
            self.assignment(simple, mode, map);
        }
    }

    /// Splits a line at its top-level semicolons.
    fn split_simple_statements<'t>(&self, tokens: &'t [Token]) -> Vec<&'t [Token]> {
        let mut parts = Vec::new();
        let mut depth = 0usize;
        let mut start = 0;
        for (index, token) in tokens.iter().enumerate() {
            if token.kind != Kind::Op {
                continue;
            }
            match self.token_text(token) {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth = depth.saturating_sub(1),
                ";" if depth == 0 => {
                    parts.push(&tokens[start..index]);
                    start = index + 1;
                }
                _ => {}
            }
        }
        parts.push(&tokens[start..]);
        parts.retain(|part| !part.is_empty());
        parts
    }

    /// Index of the `:` that ends a compound statement's header: the first one
    /// outside brackets.
    fn header_colon(&self, tokens: &[Token]) -> Option<usize> {
        let mut depth = 0usize;
        for (index, token) in tokens.iter().enumerate() {
            if token.kind != Kind::Op {
                continue;
            }
            match self.token_text(token) {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth = depth.saturating_sub(1),
                ":" if depth == 0 => return Some(index),
                _ => {}
            }
        }
        None
    }

    /// Reads the suite of a compound statement: the statements after its `:` on
    /// the same line, or else its indented block.
    fn suite(&mut self, tokens: &[Token], colon: usize, body: &[Line], mode: Mode) -> Map {
        let inline = &tokens[colon + 1..];
        if inline.is_empty() {
            return self.block(body, mode);
        }
        let mut map = Map::new();
        for simple in self.split_simple_statements(inline) {
            self.assignment(simple, mode, &mut map);
        }
        map
    }

    /// `class NAME[(bases)]: suite` becomes a mapping under NAME.
    fn class(&mut self, tokens: &[Token], body: &[Line], map: &mut Map) {
        let Some(name) = tokens.get(1).filter(|token| token.kind == Kind::Name) else {
            return;
        };
        let Some(colon) = self.header_colon(tokens) else {
            return;
        };
        let members = self.suite(tokens, colon, body, Mode::Names);
        let end = body
            .last()
            .and_then(|line| line.tokens.last())
            .or(tokens.last())
            .map_or(name.span.end, |token| token.span.end);
        let key = self.token_text(name).to_string();
        let value = Node::new(Value::Map(members), Span::new(tokens[0].span.start, end));
        map.insert(
            key,
            Entry {
                key_span: name.span,
                value,
            },
        );
    }

    /// `def __init__(...): suite` adds its `self.NAME` assignments to the
    /// enclosing mapping; other functions are not read.
    fn function(&mut self, tokens: &[Token], body: &[Line], map: &mut Map) {
        if !self.is_name(tokens.get(1), "__init__") {
            return;
        }
        let Some(colon) = self.header_colon(tokens) else {
            return;
        };
        let members = self.suite(tokens, colon, body, Mode::SelfAttributes);
        for (key, entry) in members {
            map.insert(key, entry);
        }
    }

    /// Reads `target = value` or `target: annotation = value`.
    fn assignment(&mut self, tokens: &[Token], mode: Mode, map: &mut Map) {
        if tokens.first().is_some_and(|token| {
            token.kind == Kind::Name && KEYWORDS.contains(&self.token_text(token))
        }) {
            return;
        }
        let mut depth = 0usize;
        let mut equals = Vec::new();
        let mut annotation_colon = None;
        for (index, token) in tokens.iter().enumerate() {
            if token.kind != Kind::Op {
                continue;
            }
            match self.token_text(token) {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth = depth.saturating_sub(1),
                "=" if depth == 0 => equals.push(index),
                ":" if depth == 0 && equals.is_empty() && annotation_colon.is_none() => {
                    annotation_colon = Some(index)
                }
                _ => {}
            }
        }
        // No value (`x: int`), or several targets (`a = b = 1`), or a `=` that
        // belongs to a lambda's default: DVC skips all of these.
        let [equal] = equals[..] else {
            return;
        };
        let target_end = annotation_colon.unwrap_or(equal);
        let Some((key, key_span)) = self.target(&tokens[..target_end], mode) else {
            return;
        };
        let value_tokens = &tokens[equal + 1..];
        if value_tokens.is_empty() {
            return;
        }
        match literal::evaluate(self.text, value_tokens) {
            Outcome::Value(value) => {
                map.insert(key, Entry { key_span, value });
            }
            Outcome::Skip => {}
            Outcome::Error(error) => self.errors.push(error),
        }
    }

    /// Returns the key of an assignment target: `NAME` (in [`Mode::Names`]) or
    /// `self.NAME`, possibly in parentheses. The span is the name's.
    fn target(&self, mut tokens: &[Token], mode: Mode) -> Option<(String, Span)> {
        while tokens.len() >= 2 && self.is_op(tokens.first(), "(") && self.is_op(tokens.last(), ")")
        {
            tokens = &tokens[1..tokens.len() - 1];
        }
        match tokens {
            [name] if mode == Mode::Names && name.kind == Kind::Name => {
                Some((self.token_text(name).to_string(), name.span))
            }
            [object, dot, name]
                if self.is_name(Some(object), "self")
                    && self.is_op(Some(dot), ".")
                    && name.kind == Kind::Name =>
            {
                Some((self.token_text(name).to_string(), name.span))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let parsed = parse(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        parsed.root.expect("a module")
    }

    fn slice(text: &str, span: Span) -> &str {
        &text[span.start..span.end]
    }

    #[test]
    fn reads_module_class_and_init_assignments() {
        // The case the DVC format notes record as verified: keys EPOCHS,
        // Train.lr and Train.bs.
        let text = "EPOCHS = 5\nclass Train:\n    lr = 0.1\n    def __init__(self):\n        self.bs = 32\n";
        let node = root(text);
        assert_eq!(node.get("EPOCHS").unwrap().value, Value::Int(5));
        assert_eq!(node.get_path("Train.lr").unwrap().value, Value::Float(0.1));
        assert_eq!(node.get_path("Train.bs").unwrap().value, Value::Int(32));
    }

    #[test]
    fn spans_point_at_names_and_literals() {
        let text = "lr: float = -1e-3  # rate\nlayers = (\n    1,\n    2,\n)\nclass A:\n    def __init__(self):\n        self.x = {'k': 'v'}\n";
        let node = root(text);
        let map = node.as_map().unwrap();
        assert_eq!(slice(text, map["lr"].key_span), "lr");
        assert_eq!(slice(text, map["lr"].value.span), "-1e-3");
        assert_eq!(
            slice(text, map["layers"].value.span),
            "(\n    1,\n    2,\n)"
        );
        let x = node.get("A").unwrap().as_map().unwrap()["x"].clone();
        assert_eq!(slice(text, x.key_span), "x");
        assert_eq!(slice(text, x.value.span), "{'k': 'v'}");
        let k = &x.value.as_map().unwrap()["k"];
        assert_eq!(slice(text, k.key_span), "'k'");
        assert_eq!(slice(text, k.value.span), "'v'");
    }

    #[test]
    fn skips_what_dvc_skips() {
        let text = "\
import os
a = b = 1
c, d = 1, 2
e = os.getcwd()
f = 1 + 2
g = f'x'
h = b'x'
i = 1j
if True:
    j = 1
def other():
    k = 1
obj.attr = 1
l: int
m = --1
n = -True
o = [1, x]
";
        let node = root(text);
        assert!(node.as_map().unwrap().is_empty(), "{:?}", node.value);
    }

    #[test]
    fn later_assignment_replaces_value_in_place() {
        let node = root("a = 1\nb = 2\na = 3\n");
        let map = node.as_map().unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(map["a"].value.value, Value::Int(3));
    }

    #[test]
    fn numbers_strings_and_containers() {
        let text = "\
a = 1_000
b = 0x_ff
c = 0o17
d = 0b101
e = 1.
f = .5
g = 'x' \"y\" '''z'''
h = (1,)
i = {3, 1, 3}
j = {1: 'a', True: 'b', 'k': None}
k = +2
l = ()
m = 99999999999999999999
";
        let node = root(text);
        let get = |key: &str| node.get(key).unwrap().value.clone();
        assert_eq!(get("a"), Value::Int(1000));
        assert_eq!(get("b"), Value::Int(255));
        assert_eq!(get("c"), Value::Int(15));
        assert_eq!(get("d"), Value::Int(5));
        assert_eq!(get("e"), Value::Float(1.0));
        assert_eq!(get("f"), Value::Float(0.5));
        assert_eq!(get("g"), Value::Str("xyz".into()));
        assert_eq!(crate::pyfmt::python_repr(&get("h")), "[1]");
        assert_eq!(crate::pyfmt::python_repr(&get("i")), "[3, 1]");
        assert_eq!(
            crate::pyfmt::python_repr(&get("j")),
            "{'1': 'b', 'k': None}"
        );
        assert_eq!(get("k"), Value::Int(2));
        assert_eq!(get("l"), Value::List(Vec::new()));
        assert_eq!(get("m"), Value::Float(99999999999999999999.0));
    }

    #[test]
    fn lexical_errors_are_reported_with_spans() {
        let cases = [
            ("a = 'x\n", "unterminated string literal", "'x"),
            ("a = (1,\n", "was never closed", "("),
            ("a = 1)\n", "unmatched ')'", ")"),
            ("a = 1\n  b = 2\n", "unexpected indent", "  "),
            ("class A:\nb = 1\n", "expected an indented block", ""),
            ("a = 0777\n", "leading zeros", "0777"),
            ("a = 1__0\n", "underscore", "_"),
            ("a = $\n", "invalid character", "$"),
            ("a = {[1]: 2}\n", "unhashable type: 'list'", "[1]"),
            ("a = 'x' b'y'\n", "cannot mix bytes", "'x' b'y'"),
            ("a = '\\x4'\n", "truncated \\x escape", "\\x4"),
        ];
        for (text, message, pointed) in cases {
            let parsed = parse(text);
            assert_eq!(parsed.errors.len(), 1, "{text:?}: {:?}", parsed.errors);
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
    fn error_keeps_the_statements_before_it() {
        let parsed = parse("a = 1\nb = [1,\nc = 'x\n");
        assert_eq!(parsed.errors.len(), 1);
        let root = parsed.root.unwrap();
        assert_eq!(root.get("a").unwrap().value, Value::Int(1));
    }
}
