//! Reads the right-hand side of an assignment as `ast.literal_eval` (CPython
//! 3.11) would: numbers, strings, `True`/`False`/`None`, and lists, tuples, sets
//! and dicts of literals, with a unary `+` or `-` on a number. Nothing is
//! evaluated; any other expression is "not a literal", which DVC skips.

use super::strings::{decode_string, StringKind};
use super::tokenize::{Kind, Token};
use crate::formats::SyntaxError;
use crate::node::{Entry, Map, Node, Value};
use crate::pyfmt;
use crate::text::Span;

/// The result of evaluating an assignment's value.
pub(super) enum Outcome {
    Value(Node),
    /// Not something `literal_eval` accepts, or a literal the value tree cannot
    /// hold (bytes, complex numbers, `...`). The assignment is skipped.
    Skip,
    /// An error that makes DVC fail on the whole file: a syntax error inside the
    /// literal, or an unhashable set item or dict key (a `TypeError` in Python).
    Error(SyntaxError),
}

/// Evaluates `tokens`, the whole right-hand side of an assignment.
pub(super) fn evaluate(text: &str, tokens: &[Token]) -> Outcome {
    let mut reader = Reader {
        text,
        tokens,
        pos: 0,
    };
    let literal = match reader.expression_list() {
        Ok(Some(literal)) if reader.pos == tokens.len() => literal,
        Ok(_) => return Outcome::Skip,
        Err(error) => return Outcome::Error(error),
    };
    match to_node(literal) {
        Ok(Some(node)) => Outcome::Value(node),
        Ok(None) => Outcome::Skip,
        Err(error) => Outcome::Error(error),
    }
}

/// A Python literal before conversion to the value tree, which keeps the
/// distinctions that matter for hashing and equality (tuples, sets).
#[derive(Debug)]
struct Literal {
    kind: LiteralKind,
    span: Span,
}

#[derive(Debug)]
enum LiteralKind {
    None,
    Bool(bool),
    Int(i64),
    /// An integer beyond 64 bits, kept as the nearest float.
    BigInt(f64),
    Float(f64),
    Str(String),
    /// Bytes, complex numbers and `...`: valid literals with no place in the tree.
    Unrepresentable(&'static str),
    List(Vec<Literal>),
    Tuple(Vec<Literal>),
    Set(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

/// `Ok(None)` means "not a literal"; errors are real syntax errors.
type Read = Result<Option<Literal>, SyntaxError>;

struct Reader<'a> {
    text: &'a str,
    tokens: &'a [Token],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn token_text(&self, index: usize) -> Option<(Kind, &'a str)> {
        let token = self.tokens.get(index)?;
        Some((token.kind, &self.text[token.span.start..token.span.end]))
    }

    fn is_op(&self, op: &str) -> bool {
        self.is_op_at(self.pos, op)
    }

    fn is_op_at(&self, index: usize, op: &str) -> bool {
        self.token_text(index) == Some((Kind::Op, op))
    }

    fn span_from(&self, start: usize) -> Span {
        let first = self.tokens[start].span;
        let last = self.tokens[self.pos - 1].span;
        first.cover(last)
    }

    /// `expr (',' expr)* [',']`, which is a tuple when it has a comma.
    fn expression_list(&mut self) -> Read {
        let start = self.pos;
        let Some(first) = self.expression()? else {
            return Ok(None);
        };
        if !self.is_op(",") {
            return Ok(Some(first));
        }
        let mut items = vec![first];
        while self.is_op(",") {
            self.pos += 1;
            if self.pos == self.tokens.len() || self.is_op(")") {
                break;
            }
            let Some(item) = self.expression()? else {
                return Ok(None);
            };
            items.push(item);
        }
        Ok(Some(Literal {
            kind: LiteralKind::Tuple(items),
            span: self.span_from(start),
        }))
    }

    /// Reads an atom, or `+`/`-` applied to a number. `literal_eval` accepts the
    /// sign only directly on a number constant: not on `True`, not twice.
    fn expression(&mut self) -> Read {
        let start = self.pos;
        let sign = if self.is_op("-") {
            Some(-1.0)
        } else if self.is_op("+") {
            Some(1.0)
        } else {
            None
        };
        let Some(sign) = sign else {
            return self.atom();
        };
        self.pos += 1;
        // Parentheses add no node, so `-(1)` is fine, but `-(-1)` and `-True` are not.
        let operand_start = (self.pos..self.tokens.len()).find(|&index| !self.is_op_at(index, "("));
        let on_number = operand_start
            .and_then(|index| self.token_text(index))
            .is_some_and(|(kind, _)| kind == Kind::Number);
        if !on_number {
            return Ok(None);
        }
        let Some(operand) = self.atom()? else {
            return Ok(None);
        };
        let negative = sign < 0.0;
        let kind = match operand.kind {
            LiteralKind::Int(number) if negative => match number.checked_neg() {
                Some(negated) => LiteralKind::Int(negated),
                None => LiteralKind::BigInt(-(number as f64)),
            },
            LiteralKind::BigInt(number) if negative => {
                // -9223372036854775808 is the one big literal that fits in i64.
                if number == 9223372036854775808.0 {
                    LiteralKind::Int(i64::MIN)
                } else {
                    LiteralKind::BigInt(-number)
                }
            }
            LiteralKind::Float(number) if negative => LiteralKind::Float(-number),
            kind @ (LiteralKind::Int(_)
            | LiteralKind::BigInt(_)
            | LiteralKind::Float(_)
            | LiteralKind::Unrepresentable("complex")) => kind,
            // `-(1, 2)` starts with a number but is a tuple.
            _ => return Ok(None),
        };
        // A sign binds tighter than `+` between numbers, so `1 + 2j` is read as
        // far as `1` here; the caller sees leftover tokens and skips it.
        Ok(Some(Literal {
            kind,
            span: self.span_from(start),
        }))
    }

    fn atom(&mut self) -> Read {
        let start = self.pos;
        let Some((kind, text)) = self.token_text(self.pos) else {
            return Ok(None);
        };
        let literal = match (kind, text) {
            (Kind::Number, _) => {
                self.pos += 1;
                number(text)
            }
            (Kind::String, _) => return self.strings(),
            (Kind::Name, "True") => {
                self.pos += 1;
                LiteralKind::Bool(true)
            }
            (Kind::Name, "False") => {
                self.pos += 1;
                LiteralKind::Bool(false)
            }
            (Kind::Name, "None") => {
                self.pos += 1;
                LiteralKind::None
            }
            (Kind::Op, "...") => {
                self.pos += 1;
                LiteralKind::Unrepresentable("Ellipsis")
            }
            (Kind::Op, "(") => return self.parenthesized(),
            (Kind::Op, "[") => {
                self.pos += 1;
                let Some(items) = self.items("]")? else {
                    return Ok(None);
                };
                LiteralKind::List(items)
            }
            (Kind::Op, "{") => {
                self.pos += 1;
                let Some(kind) = self.braces()? else {
                    return Ok(None);
                };
                kind
            }
            _ => return Ok(None),
        };
        Ok(Some(Literal {
            kind: literal,
            span: self.span_from(start),
        }))
    }

    /// Adjacent string literals, which Python joins into one.
    fn strings(&mut self) -> Read {
        let start = self.pos;
        let mut joined = String::new();
        let mut kinds = Vec::new();
        while let Some((Kind::String, _)) = self.token_text(self.pos) {
            let token = self.tokens[self.pos];
            let (kind, text) = decode_string(self.text, token.span)?;
            kinds.push((kind, token.span));
            joined.push_str(&text);
            self.pos += 1;
        }
        let has_bytes = kinds.iter().any(|(kind, _)| *kind == StringKind::Bytes);
        let all_bytes = kinds.iter().all(|(kind, _)| *kind == StringKind::Bytes);
        if has_bytes && !all_bytes {
            return Err(SyntaxError {
                span: self.span_from(start),
                message: "cannot mix bytes and nonbytes literals".to_string(),
            });
        }
        if kinds.iter().any(|(kind, _)| *kind == StringKind::Formatted) {
            // An f-string is a JoinedStr node, which `literal_eval` rejects.
            return Ok(None);
        }
        let kind = if has_bytes {
            LiteralKind::Unrepresentable("bytes")
        } else {
            LiteralKind::Str(joined)
        };
        Ok(Some(Literal {
            kind,
            span: self.span_from(start),
        }))
    }

    /// `(expr)` is the expression itself; `()`, `(a,)` and `(a, b)` are tuples.
    fn parenthesized(&mut self) -> Read {
        let start = self.pos;
        self.pos += 1;
        if self.is_op(")") {
            self.pos += 1;
            return Ok(Some(Literal {
                kind: LiteralKind::Tuple(Vec::new()),
                span: self.span_from(start),
            }));
        }
        let Some(mut inner) = self.expression_list()? else {
            return Ok(None);
        };
        if !self.is_op(")") {
            return Ok(None);
        }
        self.pos += 1;
        if matches!(inner.kind, LiteralKind::Tuple(_)) {
            inner.span = self.span_from(start);
        }
        Ok(Some(inner))
    }

    /// Comma-separated expressions up to `close`, with an optional trailing comma.
    fn items(&mut self, close: &str) -> Result<Option<Vec<Literal>>, SyntaxError> {
        let mut items = Vec::new();
        loop {
            if self.is_op(close) {
                self.pos += 1;
                return Ok(Some(items));
            }
            let Some(item) = self.expression()? else {
                return Ok(None);
            };
            items.push(item);
            if self.is_op(",") {
                self.pos += 1;
            } else if !self.is_op(close) {
                return Ok(None);
            }
        }
    }

    /// Reads a dict or a set after its `{`.
    fn braces(&mut self) -> Result<Option<LiteralKind>, SyntaxError> {
        if self.is_op("}") {
            self.pos += 1;
            return Ok(Some(LiteralKind::Dict(Vec::new())));
        }
        let Some(first) = self.expression()? else {
            return Ok(None);
        };
        if !self.is_op(":") {
            if self.is_op(",") {
                self.pos += 1;
            } else if !self.is_op("}") {
                return Ok(None);
            }
            let Some(mut rest) = self.items("}")? else {
                return Ok(None);
            };
            rest.insert(0, first);
            return Ok(Some(LiteralKind::Set(rest)));
        }

        let mut pairs = Vec::new();
        let mut key = first;
        loop {
            if !self.is_op(":") {
                return Ok(None);
            }
            self.pos += 1;
            let Some(value) = self.expression()? else {
                return Ok(None);
            };
            pairs.push((key, value));
            if self.is_op(",") {
                self.pos += 1;
            }
            if self.is_op("}") {
                self.pos += 1;
                return Ok(Some(LiteralKind::Dict(pairs)));
            }
            key = match self.expression()? {
                Some(key) => key,
                None => return Ok(None),
            };
        }
    }
}

/// Converts a number token. Tokenizing already checked its form.
fn number(text: &str) -> LiteralKind {
    let cleaned: String = text.chars().filter(|ch| *ch != '_').collect();
    let lower = cleaned.to_ascii_lowercase();
    if lower.ends_with('j') {
        return LiteralKind::Unrepresentable("complex");
    }
    let (radix, digits) = match lower.get(..2) {
        Some("0x") => (16, &lower[2..]),
        Some("0o") => (8, &lower[2..]),
        Some("0b") => (2, &lower[2..]),
        _ => (10, lower.as_str()),
    };
    let is_float = radix == 10 && lower.contains(['.', 'e']);
    if is_float {
        return LiteralKind::Float(lower.parse::<f64>().unwrap_or(f64::NAN));
    }
    match i64::from_str_radix(digits, radix) {
        Ok(number) => LiteralKind::Int(number),
        // NOTE: Python integers have no size limit; the value tree has no big
        // integers, so those beyond 64 bits become the nearest float.
        // NOTE: beyond 2**53 the float of a hex, octal or binary literal is summed
        // digit by digit and may differ from Python's float() in the last bit.
        Err(_) if radix == 10 => LiteralKind::BigInt(digits.parse::<f64>().unwrap_or(f64::NAN)),
        Err(_) => LiteralKind::BigInt(digits.chars().fold(0.0, |total, digit| {
            total * f64::from(radix) + f64::from(digit.to_digit(radix).unwrap_or(0))
        })),
    }
}

/// Converts a literal to the value tree. Returns `Ok(None)` when it holds
/// a value the tree cannot represent.
fn to_node(literal: Literal) -> Result<Option<Node>, SyntaxError> {
    let span = literal.span;
    let value = match literal.kind {
        LiteralKind::None => Value::Null,
        LiteralKind::Bool(flag) => Value::Bool(flag),
        LiteralKind::Int(number) => Value::Int(number),
        LiteralKind::BigInt(number) | LiteralKind::Float(number) => Value::Float(number),
        LiteralKind::Str(text) => Value::Str(text),
        LiteralKind::Unrepresentable(_) => return Ok(None),
        LiteralKind::List(items) | LiteralKind::Tuple(items) => {
            let mut nodes = Vec::with_capacity(items.len());
            for item in items {
                let Some(node) = to_node(item)? else {
                    return Ok(None);
                };
                nodes.push(node);
            }
            Value::List(nodes)
        }
        LiteralKind::Set(items) => {
            // NOTE: Python iterates a set in hash order, which for strings changes
            // from run to run; the list keeps the source order, without repeats.
            let mut kept: Vec<Literal> = Vec::new();
            for item in items {
                check_hashable(&item)?;
                if !kept.iter().any(|other| python_equal(other, &item)) {
                    kept.push(item);
                }
            }
            let mut nodes = Vec::with_capacity(kept.len());
            for item in kept {
                let Some(node) = to_node(item)? else {
                    return Ok(None);
                };
                nodes.push(node);
            }
            Value::List(nodes)
        }
        LiteralKind::Dict(pairs) => {
            // Python keeps the first key of equal keys (`1` and `1.0` are equal)
            // in its first position and takes the last value.
            let mut entries: Vec<(Literal, Literal)> = Vec::new();
            for (key, value) in pairs {
                check_hashable(&key)?;
                match entries
                    .iter_mut()
                    .find(|(other, _)| python_equal(other, &key))
                {
                    Some(entry) => entry.1 = value,
                    None => entries.push((key, value)),
                }
            }
            let mut map = Map::new();
            for (key, value) in entries {
                // NOTE: the tree has only string keys; other keys become their
                // Python str(), which is also how DVC's flattened names show them.
                let Some(key_text) = key_text(&key) else {
                    return Ok(None);
                };
                let Some(value) = to_node(value)? else {
                    return Ok(None);
                };
                map.insert(
                    key_text,
                    Entry {
                        key_span: key.span,
                        value,
                    },
                );
            }
            Value::Map(map)
        }
    };
    Ok(Some(Node::new(value, span)))
}

fn check_hashable(literal: &Literal) -> Result<(), SyntaxError> {
    let type_name = match &literal.kind {
        LiteralKind::List(_) => "list",
        LiteralKind::Set(_) => "set",
        LiteralKind::Dict(_) => "dict",
        LiteralKind::Tuple(items) => {
            return items.iter().try_for_each(check_hashable);
        }
        _ => return Ok(()),
    };
    Err(SyntaxError {
        span: literal.span,
        message: format!(
            "unhashable type: '{type_name}' used as a set item or dict key; Python raises TypeError and DVC cannot read the file"
        ),
    })
}

/// Python's `==` between hashable literals.
fn python_equal(left: &Literal, right: &Literal) -> bool {
    fn number(kind: &LiteralKind) -> Option<f64> {
        match kind {
            LiteralKind::Bool(flag) => Some(f64::from(u8::from(*flag))),
            LiteralKind::Int(number) => Some(*number as f64),
            LiteralKind::BigInt(number) | LiteralKind::Float(number) => Some(*number),
            _ => None,
        }
    }
    match (&left.kind, &right.kind) {
        (LiteralKind::Int(a), LiteralKind::Int(b)) => a == b,
        (LiteralKind::Str(a), LiteralKind::Str(b)) => a == b,
        (LiteralKind::None, LiteralKind::None) => true,
        (LiteralKind::Tuple(a), LiteralKind::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| python_equal(x, y))
        }
        (a, b) => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// Python's `str()` of a dict key.
fn key_text(literal: &Literal) -> Option<String> {
    Some(match &literal.kind {
        LiteralKind::Str(text) => text.clone(),
        LiteralKind::None => "None".to_string(),
        LiteralKind::Bool(flag) => if *flag { "True" } else { "False" }.to_string(),
        LiteralKind::Int(number) => number.to_string(),
        LiteralKind::Float(number) => pyfmt::float_repr(*number),
        LiteralKind::Tuple(items) => {
            let parts: Option<Vec<String>> = items.iter().map(key_repr).collect();
            let parts = parts?;
            if parts.len() == 1 {
                format!("({},)", parts[0])
            } else {
                format!("({})", parts.join(", "))
            }
        }
        _ => return None,
    })
}

/// Python's `repr()` of a tuple item inside a dict key.
fn key_repr(literal: &Literal) -> Option<String> {
    match &literal.kind {
        LiteralKind::Str(text) => Some(pyfmt::python_repr(&Value::Str(text.clone()))),
        _ => key_text(literal),
    }
}
