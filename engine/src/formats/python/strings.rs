//! Decoding of Python string literal tokens: prefixes, quotes and the escape
//! sequences of CPython 3.11.

use crate::formats::SyntaxError;
use crate::text::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StringKind {
    Str,
    Bytes,
    /// An f-string, which is not a literal for `literal_eval`.
    Formatted,
}

/// Decodes the string token at `span` into its kind and text. Bytes are decoded
/// as Latin-1 text; callers only need to know that they are bytes.
pub(super) fn decode_string(text: &str, span: Span) -> Result<(StringKind, String), SyntaxError> {
    let token = &text[span.start..span.end];
    let quote_at = token.find(['\'', '"']).expect("a string token has a quote");
    let prefix = token[..quote_at].to_ascii_lowercase();
    let raw = prefix.contains('r');
    let kind = if prefix.contains('b') {
        StringKind::Bytes
    } else if prefix.contains('f') {
        StringKind::Formatted
    } else {
        StringKind::Str
    };
    let body = &token[quote_at..];
    let quote_len = if body.len() >= 6 && (body.starts_with("'''") || body.starts_with("\"\"\"")) {
        3
    } else {
        1
    };
    let content_start = span.start + quote_at + quote_len;
    let content = &body[quote_len..body.len() - quote_len];

    if kind == StringKind::Bytes {
        if let Some((offset, ch)) = content.char_indices().find(|(_, ch)| !ch.is_ascii()) {
            let start = content_start + offset;
            return Err(SyntaxError {
                span: Span::new(start, start + ch.len_utf8()),
                message: "bytes can only contain ASCII literal characters".to_string(),
            });
        }
    }
    if raw || kind == StringKind::Formatted {
        return Ok((kind, normalize_newlines(content)));
    }
    let decoded = unescape(content, content_start, kind == StringKind::Bytes)?;
    Ok((kind, decoded))
}

/// Python reads source with universal newlines, so `\r\n` in a literal is `\n`.
fn normalize_newlines(content: &str) -> String {
    content.replace("\r\n", "\n").replace('\r', "\n")
}

fn unescape(content: &str, offset: usize, bytes: bool) -> Result<String, SyntaxError> {
    let mut out = String::with_capacity(content.len());
    let mut chars = content.char_indices().peekable();
    while let Some((index, ch)) = chars.next() {
        if ch == '\r' {
            // Universal newlines: `\r\n` and a lone `\r` both read as `\n`.
            if chars.peek().is_some_and(|(_, next)| *next == '\n') {
                chars.next();
            }
            out.push('\n');
            continue;
        }
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        let Some((_, escaped)) = chars.next() else {
            out.push('\\');
            break;
        };
        let invalid = |end: usize, message: &str| SyntaxError {
            span: Span::new(offset + index, offset + end),
            message: format!("invalid escape sequence in a string literal: {message}"),
        };
        match escaped {
            '\n' => {}
            '\r' => {
                if chars.peek().is_some_and(|(_, next)| *next == '\n') {
                    chars.next();
                }
            }
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '0'..='7' => {
                let mut value = escaped.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|(_, next)| next.to_digit(8)) {
                        Some(digit) => {
                            value = value * 8 + digit;
                            chars.next();
                        }
                        None => break,
                    }
                }
                // NOTE: in bytes an octal escape above 0o377 wraps; bytes are
                // never kept in the tree, so the exact value does not matter.
                out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
            }
            'x' | 'u' | 'U' if !(bytes && escaped != 'x') => {
                let width = match escaped {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut value = 0u32;
                let mut end = index + 2;
                for _ in 0..width {
                    match chars.peek().and_then(|(_, next)| next.to_digit(16)) {
                        Some(digit) => {
                            value = value.wrapping_mul(16).wrapping_add(digit);
                            let (at, next) = chars.next().expect("peeked");
                            end = at + next.len_utf8();
                        }
                        None => {
                            return Err(invalid(
                                end,
                                &format!(
                                    "truncated \\{escaped} escape: it needs {width} hex digits"
                                ),
                            ))
                        }
                    }
                }
                if value > 0x10ffff {
                    return Err(invalid(end, "illegal Unicode character"));
                }
                // NOTE: Python keeps a lone surrogate such as "\ud800"; Rust
                // strings cannot hold one, so it becomes U+FFFD.
                out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
            }
            'N' if !bytes => {
                let rest = &content[index + 2..];
                let name = rest
                    .strip_prefix('{')
                    .and_then(|rest| rest.find('}').map(|close| &rest[..close]));
                let Some(name) = name else {
                    return Err(invalid(index + 2, "malformed \\N character escape"));
                };
                let end = index + 2 + name.len() + 2;
                let Some(named) = unicode_names2::character(name) else {
                    return Err(invalid(
                        end,
                        &format!("unknown Unicode character name '{name}'"),
                    ));
                };
                out.push(named);
                while chars.peek().is_some_and(|(at, _)| *at < end) {
                    chars.next();
                }
            }
            // Python keeps an unknown escape as it is, with a warning.
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(token: &str) -> Result<(StringKind, String), SyntaxError> {
        decode_string(token, Span::new(0, token.len()))
    }

    #[test]
    fn escapes_follow_python() {
        let cases = [
            (r#""a\tb\n""#, "a\tb\n"),
            (r#"'\x41\101\u00e9\U0001F600'"#, "AA\u{e9}\u{1f600}"),
            (r#""\N{BULLET}\d""#, "\u{2022}\\d"),
            (r#"r"\n\"""#, "\\n\\\""),
            ("'''a\r\nb'''", "a\nb"),
            ("'a\\\nb'", "ab"),
        ];
        for (token, expected) in cases {
            let (kind, text) = decode(token).unwrap();
            assert_eq!(kind, StringKind::Str, "{token}");
            assert_eq!(text, expected, "{token}");
        }
    }

    #[test]
    fn prefixes_set_the_kind() {
        assert_eq!(decode("b'x'").unwrap().0, StringKind::Bytes);
        assert_eq!(decode("Rb'x'").unwrap().0, StringKind::Bytes);
        assert_eq!(decode("f'{x}'").unwrap().0, StringKind::Formatted);
        assert_eq!(decode("U'x'").unwrap().0, StringKind::Str);
    }

    #[test]
    fn bad_escapes_are_errors() {
        for token in [r#""\x4""#, r#""\U00110000""#, r#""\N{NO SUCH NAME}""#] {
            assert!(decode(token).is_err(), "{token}");
        }
        assert!(decode("b'\u{e9}'").is_err());
    }
}
