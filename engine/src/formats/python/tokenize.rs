//! A tokenizer for Python 3.11 source that groups tokens into logical lines with
//! their indentation. It follows CPython's tokenizer closely enough to find the
//! statements DVC reads and to reject the lexical errors that make `ast.parse`
//! fail: unterminated strings, unbalanced brackets, bad indentation, invalid
//! numbers and characters. It does not check the grammar beyond that.

use crate::formats::SyntaxError;
use crate::text::Span;

/// CPython's tokenizer stops at this bracket depth ("too many nested parentheses").
const MAX_BRACKET_DEPTH: usize = 200;

/// Tab stops for indentation, as in CPython's tokenizer.
const TAB_SIZE: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Name,
    Number,
    String,
    Op,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    pub kind: Kind,
    pub span: Span,
}

/// One logical line: the tokens of a statement, joined across brackets and
/// backslash continuations, and the indentation of its first physical line.
#[derive(Debug)]
pub(super) struct Line {
    pub indent: usize,
    pub tokens: Vec<Token>,
}

#[derive(Debug, Default)]
pub(super) struct Tokenized {
    pub lines: Vec<Line>,
    /// The first error. Tokenizing stops there; the lines before it are kept.
    pub error: Option<SyntaxError>,
}

/// Splits `text` from byte `start` into logical lines.
pub(super) fn tokenize(text: &str, start: usize) -> Tokenized {
    let mut tokenizer = Tokenizer {
        text,
        bytes: text.as_bytes(),
        pos: start,
        brackets: Vec::new(),
        indents: vec![(0, 0)],
        out: Tokenized::default(),
        tokens: Vec::new(),
        indent: 0,
        expect_block: false,
    };
    if let Err(error) = tokenizer.run() {
        tokenizer.out.error = Some(error);
    }
    tokenizer.out
}

struct Tokenizer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Open brackets with their offsets.
    brackets: Vec<(u8, usize)>,
    /// The indentation stack, each level measured with tab stops of 8 and of 1 so
    /// that inconsistent tabs and spaces can be detected as CPython does.
    indents: Vec<(usize, usize)>,
    out: Tokenized,
    /// Tokens of the logical line being read.
    tokens: Vec<Token>,
    indent: usize,
    /// Whether the previous logical line ended with `:`, so a block must follow.
    expect_block: bool,
}

fn error(span: Span, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        span,
        message: message.into(),
    }
}

impl Tokenizer<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn char_at(&self, pos: usize) -> Option<char> {
        self.text[pos..].chars().next()
    }

    fn run(&mut self) -> Result<(), SyntaxError> {
        loop {
            if !self.start_line()? {
                break;
            }
            self.read_line()?;
        }
        if let Some(&(bracket, offset)) = self.brackets.last() {
            return Err(error(
                Span::new(offset, offset + 1),
                format!("'{}' was never closed", bracket as char),
            ));
        }
        if self.expect_block {
            return Err(error(
                Span::at(self.text.len()),
                "expected an indented block at the end of the file",
            ));
        }
        Ok(())
    }

    /// Skips blank and comment-only lines, measures the indentation of the next
    /// line and checks it against the indentation stack. Returns false at the end
    /// of the text.
    fn start_line(&mut self) -> Result<bool, SyntaxError> {
        loop {
            let line_start = self.pos;
            let (mut col8, mut col1) = (0, 0);
            while let Some(byte) = self.peek() {
                match byte {
                    b' ' => {
                        col8 += 1;
                        col1 += 1;
                    }
                    b'\t' => {
                        col8 = (col8 / TAB_SIZE + 1) * TAB_SIZE;
                        col1 += 1;
                    }
                    b'\x0c' => {
                        col8 = 0;
                        col1 = 0;
                    }
                    _ => break,
                }
                self.pos += 1;
            }
            match self.peek() {
                None => return Ok(false),
                Some(b'#') => {
                    self.skip_to_line_end();
                    self.skip_newline();
                    continue;
                }
                Some(b'\n' | b'\r') => {
                    self.skip_newline();
                    continue;
                }
                Some(b'\\') if matches!(self.peek_at(1), Some(b'\n' | b'\r')) => {
                    // A continuation on an otherwise blank line joins it to the
                    // next one, which then carries the statement.
                    self.pos += 1;
                    self.skip_newline();
                    continue;
                }
                _ => {}
            }
            self.check_indent(col8, col1, Span::new(line_start, self.pos))?;
            self.indent = col8;
            return Ok(true);
        }
    }

    fn check_indent(&mut self, col8: usize, col1: usize, span: Span) -> Result<(), SyntaxError> {
        let &(top8, top1) = self.indents.last().expect("the stack starts with level 0");
        if col8 > top8 {
            if col1 <= top1 {
                return Err(error(
                    span,
                    "inconsistent use of tabs and spaces in indentation",
                ));
            }
            if !self.expect_block {
                return Err(error(span, "unexpected indent"));
            }
            self.indents.push((col8, col1));
        } else {
            if self.expect_block {
                return Err(error(
                    span,
                    "expected an indented block after the line ending with ':'",
                ));
            }
            while self.indents.last().is_some_and(|&(level, _)| level > col8) {
                self.indents.pop();
            }
            let &(level8, level1) = self.indents.last().expect("level 0 is never popped");
            if level8 != col8 {
                return Err(error(
                    span,
                    "unindent does not match any outer indentation level",
                ));
            }
            if level1 != col1 {
                return Err(error(
                    span,
                    "inconsistent use of tabs and spaces in indentation",
                ));
            }
        }
        self.expect_block = false;
        Ok(())
    }

    fn skip_to_line_end(&mut self) {
        while let Some(byte) = self.peek() {
            if byte == b'\n' || byte == b'\r' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Skips one line ending: `\n`, `\r\n` or `\r`.
    fn skip_newline(&mut self) {
        match self.peek() {
            Some(b'\r') => {
                self.pos += 1;
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            Some(b'\n') => self.pos += 1,
            _ => {}
        }
    }

    /// Reads tokens up to the end of the logical line.
    fn read_line(&mut self) -> Result<(), SyntaxError> {
        loop {
            let Some(byte) = self.peek() else {
                self.finish_line();
                return Ok(());
            };
            match byte {
                b' ' | b'\t' | b'\x0c' => self.pos += 1,
                b'#' => self.skip_to_line_end(),
                b'\n' | b'\r' => {
                    self.skip_newline();
                    if self.brackets.is_empty() {
                        self.finish_line();
                        return Ok(());
                    }
                }
                b'\\' => {
                    let start = self.pos;
                    self.pos += 1;
                    match self.peek() {
                        Some(b'\n' | b'\r') => self.skip_newline(),
                        None => {
                            return Err(error(
                                Span::new(start, self.pos),
                                "unexpected end of file after a line continuation character",
                            ))
                        }
                        Some(_) => {
                            return Err(error(
                                Span::new(start, self.pos),
                                "unexpected character after line continuation character",
                            ))
                        }
                    }
                }
                b'"' | b'\'' => self.string(self.pos)?,
                b'0'..=b'9' => self.number()?,
                b'.' if self.peek_at(1).is_some_and(|next| next.is_ascii_digit()) => {
                    self.number()?
                }
                _ => {
                    let ch = self.char_at(self.pos).expect("not at the end");
                    if ch == '_' || ch.is_alphabetic() {
                        self.name_or_string()?;
                    } else {
                        self.operator(ch)?;
                    }
                }
            }
        }
    }

    fn finish_line(&mut self) {
        if self.tokens.is_empty() {
            return;
        }
        let tokens = std::mem::take(&mut self.tokens);
        let last = tokens.last().expect("not empty");
        self.expect_block = self.kind_text(last) == (Kind::Op, ":");
        self.out.lines.push(Line {
            indent: self.indent,
            tokens,
        });
    }

    fn kind_text(&self, token: &Token) -> (Kind, &str) {
        (token.kind, &self.text[token.span.start..token.span.end])
    }

    fn push(&mut self, kind: Kind, start: usize) {
        self.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
        });
    }

    fn name_or_string(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        while let Some(ch) = self.char_at(self.pos) {
            if ch == '_' || ch.is_alphanumeric() {
                self.pos += ch.len_utf8();
            } else {
                break;
            }
        }
        let name = &self.text[start..self.pos];
        let is_prefix = matches!(
            name.to_ascii_lowercase().as_str(),
            "r" | "u" | "b" | "f" | "br" | "rb" | "fr" | "rf"
        );
        if is_prefix && matches!(self.peek(), Some(b'"' | b'\'')) {
            return self.string(start);
        }
        self.push(Kind::Name, start);
        Ok(())
    }

    /// Reads a string literal whose prefix starts at `start` and whose quote is at
    /// the current position.
    fn string(&mut self, start: usize) -> Result<(), SyntaxError> {
        let quote = self.peek().expect("at a quote");
        let triple = self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote);
        self.pos += if triple { 3 } else { 1 };
        loop {
            match self.peek() {
                None => {
                    let message = if triple {
                        "unterminated triple-quoted string literal"
                    } else {
                        "unterminated string literal"
                    };
                    let end = if triple {
                        self.pos
                    } else {
                        self.line_end(start)
                    };
                    return Err(error(Span::new(start, end), message));
                }
                // A backslash escapes the next character for the purpose of
                // finding the end, in raw strings too.
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'\r' | b'\n') => self.skip_newline(),
                        Some(_) => {
                            let len = self.char_at(self.pos).map_or(1, char::len_utf8);
                            self.pos += len;
                        }
                        None => {}
                    }
                }
                Some(b'\n' | b'\r') if !triple => {
                    return Err(error(
                        Span::new(start, self.pos),
                        "unterminated string literal",
                    ));
                }
                Some(byte) if byte == quote => {
                    if !triple {
                        self.pos += 1;
                        break;
                    }
                    if self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote) {
                        self.pos += 3;
                        break;
                    }
                    self.pos += 1;
                }
                Some(_) => {
                    let len = self.char_at(self.pos).map_or(1, char::len_utf8);
                    self.pos += len;
                }
            }
        }
        self.push(Kind::String, start);
        Ok(())
    }

    fn line_end(&self, from: usize) -> usize {
        self.text[from..]
            .find(['\n', '\r'])
            .map_or(self.text.len(), |offset| from + offset)
    }

    /// Reads digits of `radix` separated by single underscores. Returns how many
    /// digits were read, or an error for an underscore not followed by a digit.
    fn digits(&mut self, radix: u32) -> Result<usize, SyntaxError> {
        let mut count = 0;
        loop {
            match self.peek() {
                Some(b'_') if count > 0 => {
                    if !self
                        .peek_at(1)
                        .is_some_and(|next| (next as char).is_digit(radix))
                    {
                        return Err(error(
                            Span::new(self.pos, self.pos + 1),
                            "invalid number literal: an underscore must sit between two digits",
                        ));
                    }
                    self.pos += 1;
                }
                Some(byte) if (byte as char).is_digit(radix) => {
                    self.pos += 1;
                    count += 1;
                }
                _ => return Ok(count),
            }
        }
    }

    fn number(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let radix = match (self.peek(), self.peek_at(1)) {
            (Some(b'0'), Some(b'x' | b'X')) => 16,
            (Some(b'0'), Some(b'o' | b'O')) => 8,
            (Some(b'0'), Some(b'b' | b'B')) => 2,
            _ => 10,
        };
        if radix != 10 {
            self.pos += 2;
            if self.peek() == Some(b'_') {
                self.pos += 1;
            }
            if self.digits(radix)? == 0 {
                return Err(error(
                    Span::new(start, self.pos),
                    "invalid number literal: digits are missing after the base prefix",
                ));
            }
        } else {
            let whole_start = self.pos;
            let whole = self.digits(10)?;
            let whole_text = &self.text[whole_start..self.pos];
            let mut is_integer = true;
            if self.peek() == Some(b'.') {
                self.pos += 1;
                self.digits(10)?;
                is_integer = false;
            }
            if let Some(b'e' | b'E') = self.peek() {
                let mark = self.pos;
                self.pos += 1;
                if let Some(b'+' | b'-') = self.peek() {
                    self.pos += 1;
                }
                if self.digits(10)? == 0 {
                    return Err(error(
                        Span::new(start, mark + 1),
                        "invalid number literal: the exponent has no digits",
                    ));
                }
                is_integer = false;
            }
            if let Some(b'j' | b'J') = self.peek() {
                self.pos += 1;
                is_integer = false;
            }
            if is_integer
                && whole > 1
                && whole_text.starts_with('0')
                && whole_text.bytes().any(|byte| matches!(byte, b'1'..=b'9'))
            {
                return Err(error(
                    Span::new(start, self.pos),
                    "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
                ));
            }
        }

        // A letter glued to a number is an error, except for the keywords that
        // CPython 3.11 still accepts there (`1if x else 2`).
        if let Some(ch) = self.char_at(self.pos) {
            if ch == '_' || ch.is_alphanumeric() {
                let rest = &self.text[self.pos..];
                let word_len = rest
                    .find(|ch: char| !(ch == '_' || ch.is_alphanumeric()))
                    .unwrap_or(rest.len());
                let word = &rest[..word_len];
                let allowed = ["and", "else", "for", "if", "in", "is", "not", "or"];
                if !allowed.contains(&word) {
                    return Err(error(
                        Span::new(start, self.pos + word_len),
                        format!(
                            "invalid number literal '{}'",
                            &self.text[start..self.pos + word_len]
                        ),
                    ));
                }
            }
        }
        self.push(Kind::Number, start);
        Ok(())
    }

    fn operator(&mut self, ch: char) -> Result<(), SyntaxError> {
        const OPERATORS: [&str; 47] = [
            "**=", "//=", ">>=", "<<=", "...", "->", ":=", "==", "!=", "<=", ">=", "**", "//",
            "<<", ">>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", "+", "-", "*", "/",
            "%", "@", "&", "|", "^", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".",
            ";", "=",
        ];
        let start = self.pos;
        let rest = &self.text[start..];
        let Some(operator) = OPERATORS
            .iter()
            .find(|operator| rest.starts_with(**operator))
        else {
            let span = Span::new(start, start + ch.len_utf8());
            let message = if ch == '\0' {
                "source code cannot contain null bytes".to_string()
            } else if ch == '\u{feff}' {
                "invalid non-printable character U+FEFF (a byte order mark); save the file without it"
                    .to_string()
            } else {
                format!("invalid character '{ch}' (U+{:04X})", ch as u32)
            };
            return Err(error(span, message));
        };
        self.pos += operator.len();

        match operator.as_bytes()[0] {
            open @ (b'(' | b'[' | b'{') => {
                if self.brackets.len() >= MAX_BRACKET_DEPTH {
                    return Err(error(
                        Span::new(start, self.pos),
                        "too many nested parentheses",
                    ));
                }
                self.brackets.push((open, start));
            }
            close @ (b')' | b']' | b'}') => {
                let expected = match self.brackets.pop() {
                    None => {
                        return Err(error(
                            Span::new(start, self.pos),
                            format!("unmatched '{}'", close as char),
                        ))
                    }
                    Some((open, _)) => match open {
                        b'(' => b')',
                        b'[' => b']',
                        _ => b'}',
                    },
                };
                if expected != close {
                    return Err(error(
                        Span::new(start, self.pos),
                        format!(
                            "closing parenthesis '{}' does not match opening parenthesis '{}'",
                            close as char,
                            match expected {
                                b')' => '(',
                                b']' => '[',
                                _ => '{',
                            }
                        ),
                    ));
                }
            }
            _ => {}
        }
        self.push(Kind::Op, start);
        Ok(())
    }
}
