//! A reader for the INI dialect of Python's configobj 5, which DVC uses for its
//! config files:
//!
//! ```text
//! [core]
//!     remote = storage
//! ['remote "storage"']
//!     url = /mnt/storage   # comment
//! ```
//!
//! Supported, with configobj's rules: `#` comment lines, section headers with
//! optional quotes, `key = value` with optional indentation and quotes, inline
//! comments after values, comma-separated lists (`a, b`, `a,` and `,` for an empty
//! list), and triple-quoted values over several lines. Section and key names are
//! lowercased afterwards, as DVC does. Nested `[[sections]]` are rejected because
//! no DVC setting uses them.
//!
//! NOTE: configobj's `%(name)s` interpolation is not applied; such values are
//! read literally.

use indexmap::IndexMap;

/// A configobj value: a string, or a list when the text has a top-level comma.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IniValue {
    Str(String),
    List(Vec<String>),
}

/// One `key = value` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IniEntry {
    pub value: IniValue,
    /// 1-based line of the key.
    pub line: usize,
}

/// One `[section]` and its entries, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IniSection {
    /// 1-based line of the header; 0 for keys before any header.
    pub line: usize,
    pub entries: IndexMap<String, IniEntry>,
}

/// A parsed file. Keys that come before the first header are in the section
/// named `""`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IniDocument {
    pub sections: IndexMap<String, IniSection>,
}

/// A syntax error at a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IniError {
    pub line: usize,
    pub message: String,
}

/// Parses configobj text.
pub fn parse(text: &str) -> Result<IniDocument, IniError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut document = IniDocument::default();
    let mut current = String::new();
    let mut index = 0;

    while index < lines.len() {
        let line = lines[index];
        let line_number = index + 1;
        let error = |message: String| IniError {
            line: line_number,
            message,
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            index += 1;
            continue;
        }

        if let Some(header) = parse_section_header(line) {
            let (depth, name) = header.map_err(error)?;
            if depth > 1 {
                return Err(error(format!(
                    "nested section '{name}' is not supported in DVC config"
                )));
            }
            let name = name.to_lowercase();
            if document.sections.contains_key(&name) {
                return Err(error(format!("duplicate section [{name}]")));
            }
            document.sections.insert(
                name.clone(),
                IniSection {
                    line: line_number,
                    entries: IndexMap::new(),
                },
            );
            current = name;
            index += 1;
            continue;
        }

        let Some((key, raw_value)) = split_keyword(line) else {
            return Err(error(format!(
                "invalid line {line:?}: expected `[section]` or `key = value`"
            )));
        };
        let key = unquote(key).to_lowercase();

        let value = if raw_value.starts_with("'''") || raw_value.starts_with("\"\"\"") {
            let (value, last_index) = parse_multiline(raw_value, &lines, index).map_err(error)?;
            index = last_index;
            IniValue::Str(value)
        } else {
            parse_value(raw_value).ok_or_else(|| {
                error(format!(
                    "invalid value {raw_value:?} for '{key}': check the quotes and commas"
                ))
            })?
        };

        let section = document.sections.entry(current.clone()).or_default();
        if section.entries.contains_key(&key) {
            return Err(error(format!("duplicate key '{key}'")));
        }
        section.entries.insert(
            key,
            IniEntry {
                value,
                line: line_number,
            },
        );
        index += 1;
    }
    Ok(document)
}

/// Recognizes `[name]`, `[ 'quoted name' ]` and deeper `[[name]]` headers with an
/// optional trailing comment. Returns `None` when the line is not a header, or an
/// error when it is one with unbalanced brackets.
fn parse_section_header(line: &str) -> Option<Result<(usize, String), String>> {
    let rest = line.trim_start();
    if !rest.starts_with('[') {
        return None;
    }

    let mut opening = 0;
    let mut position = 0;
    let bytes = rest.as_bytes();
    while position < bytes.len() {
        match bytes[position] {
            b'[' => opening += 1,
            b' ' | b'\t' => {}
            _ => break,
        }
        position += 1;
    }
    let body = &rest[position..];

    // The name is the shortest prefix after which only closing brackets and an
    // optional comment remain, as configobj's lazy pattern decides.
    for (end, _) in body.char_indices().skip(1).chain([(body.len(), ' ')]) {
        let name = &body[..end];
        let Some(closing) = closing_brackets(&body[end..]) else {
            continue;
        };
        let quoted = name.starts_with('"') || name.starts_with('\'');
        if quoted
            && (name.len() < 2
                || !name.ends_with(&name[..1])
                || name[1..name.len() - 1].trim().is_empty())
        {
            continue;
        }
        if !quoted && name.starts_with(char::is_whitespace) {
            return None;
        }
        if closing != opening {
            return Some(Err(
                "cannot compute the section depth: brackets do not match".to_string(),
            ));
        }
        return Some(Ok((opening, unquote(name).to_string())));
    }
    None
}

/// Counts `]` in text made only of closing brackets, whitespace and an optional
/// trailing `#` comment.
fn closing_brackets(text: &str) -> Option<usize> {
    let mut count = 0;
    for ch in text.chars() {
        match ch {
            ']' => count += 1,
            '#' if count > 0 => return Some(count),
            ch if ch.is_whitespace() => {}
            _ => return None,
        }
    }
    (count > 0).then_some(count)
}

/// Splits `key = value`: the key is quoted or runs up to the first `=`.
fn split_keyword(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start();
    let first = rest.chars().next()?;
    let (key, after_key) = if first == '"' || first == '\'' {
        let close = rest[1..].find(first)? + 1;
        (&rest[..=close], &rest[close + 1..])
    } else {
        if first == '=' {
            return None;
        }
        let equals = rest.find('=')?;
        (rest[..equals].trim_end(), &rest[equals..])
    };
    let value = after_key.trim_start().strip_prefix('=')?;
    Some((key, value.trim_start()))
}

/// Parses a single-line value with configobj's list and comment rules.
fn parse_value(text: &str) -> Option<IniValue> {
    let text = text.trim_end();
    if let Some(after_comma) = text.strip_prefix(',') {
        let rest = after_comma.trim_start();
        return (rest.is_empty() || rest.starts_with('#')).then_some(IniValue::List(Vec::new()));
    }

    let mut items = Vec::new();
    let mut rest = text;
    // Items that end in a comma.
    while let Some((item, after_item)) = take_token(rest, true) {
        let after_item = after_item.trim_start();
        let Some(after_comma) = after_item.strip_prefix(',') else {
            break;
        };
        items.push(unquote(item).to_string());
        rest = after_comma.trim_start();
    }

    // The last item, or the whole value when there is no comma.
    let (single, after_single) = match take_token(rest, false) {
        Some((token, after)) => (Some(token), after),
        None => (None, rest),
    };
    let remainder = after_single.trim_start();
    if !(remainder.is_empty() || remainder.starts_with('#')) {
        return None;
    }

    if items.is_empty() {
        return Some(IniValue::Str(single.map(unquote).unwrap_or("").to_string()));
    }
    if let Some(single) = single.filter(|token| !token.is_empty()) {
        items.push(unquote(single).to_string());
    }
    Some(IniValue::List(items))
}

/// Takes one quoted or unquoted token from the start of `text`. List items (with
/// `in_list`) stop at `,` or `#`; a final unquoted value stops at `#` and may
/// not contain a comma.
fn take_token(text: &str, in_list: bool) -> Option<(&str, &str)> {
    let first = text.chars().next()?;
    if first == '"' || first == '\'' {
        let close = text[1..].find(first)? + 1;
        return Some((&text[..=close], &text[close + 1..]));
    }
    if first == ',' || first == '#' || first.is_whitespace() {
        return None;
    }
    let end = text.find(['#', ',']).unwrap_or(text.len());
    if !in_list && text[end..].starts_with(',') {
        return None;
    }
    let token = text[..end].trim_end();
    Some((token, &text[token.len()..]))
}

/// Reads a `'''` or `"""` value, possibly spanning lines. Returns the value and
/// the index of its last line.
fn parse_multiline(first: &str, lines: &[&str], index: usize) -> Result<(String, usize), String> {
    let quote = &first[..3];
    let after_open = &first[3..];
    if let Some(close) = after_open.find(quote) {
        let rest = after_open[close + 3..].trim_start();
        if rest.is_empty() || rest.starts_with('#') {
            return Ok((after_open[..close].to_string(), index));
        }
        return Err("text after the closing triple quote".to_string());
    }

    let mut value = after_open.to_string();
    for (offset, line) in lines[index + 1..].iter().enumerate() {
        value.push('\n');
        match line.find(quote) {
            None => value.push_str(line),
            Some(close) => {
                let rest = line[close + 3..].trim_start();
                if !(rest.is_empty() || rest.starts_with('#')) {
                    return Err("text after the closing triple quote".to_string());
                }
                value.push_str(&line[..close]);
                return Ok((value, index + 1 + offset));
            }
        }
    }
    Err(format!("the value opened with {quote} is never closed"))
}

fn unquote(text: &str) -> &str {
    let bytes = text.as_bytes();
    if bytes.len() >= 2 && bytes[0] == bytes[bytes.len() - 1] && matches!(bytes[0], b'"' | b'\'') {
        &text[1..text.len() - 1]
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(document: &IniDocument, section: &str, key: &str) -> IniValue {
        document.sections[section].entries[key].value.clone()
    }

    fn text(value: &str) -> IniValue {
        IniValue::Str(value.to_string())
    }

    #[test]
    fn dvc_written_config_parses() {
        let document = parse(
            "[core]\n    remote = storage\n    autostage = true\n['remote \"storage\"']\n    url = /tmp/store\n",
        )
        .unwrap();
        assert_eq!(value(&document, "core", "remote"), text("storage"));
        assert_eq!(value(&document, "core", "autostage"), text("true"));
        assert_eq!(
            value(&document, "remote \"storage\"", "url"),
            text("/tmp/store")
        );
        assert_eq!(document.sections["core"].entries["autostage"].line, 3);
    }

    #[test]
    fn lists_quotes_and_comments() {
        let document = parse(
            "[cache]\ntype = reflink, copy  # comment\nsingle = 'a, b'\nlist1 = a,\nempty = ,\nblank =\nhash = x#y\nq = \"quoted\" # c\n",
        )
        .unwrap();
        assert_eq!(
            value(&document, "cache", "type"),
            IniValue::List(vec!["reflink".into(), "copy".into()])
        );
        assert_eq!(value(&document, "cache", "single"), text("a, b"));
        assert_eq!(
            value(&document, "cache", "list1"),
            IniValue::List(vec!["a".into()])
        );
        assert_eq!(value(&document, "cache", "empty"), IniValue::List(vec![]));
        assert_eq!(value(&document, "cache", "blank"), text(""));
        assert_eq!(value(&document, "cache", "hash"), text("x"));
        assert_eq!(value(&document, "cache", "q"), text("quoted"));
    }

    #[test]
    fn multiline_values() {
        let document = parse("[a]\nk = '''one\ntwo'''\nnext = 1\n").unwrap();
        assert_eq!(value(&document, "a", "k"), text("one\ntwo"));
        assert_eq!(document.sections["a"].entries["next"].line, 4);
    }

    #[test]
    fn errors_name_the_line() {
        let error = parse("[core]\nthis is not valid\n").unwrap_err();
        assert_eq!(error.line, 2);

        let error = parse("[core]\na = 1\na = 2\n").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(error.message.contains("duplicate key"));

        let error = parse("[core\n").unwrap_err();
        assert_eq!(error.line, 1);

        let error = parse("[x]\nk = \"unclosed\n").unwrap_err();
        assert_eq!(error.line, 2);
    }

    #[test]
    fn names_are_lowercased() {
        let document = parse("[Core]\nAutoStage = True\n").unwrap();
        assert_eq!(value(&document, "core", "autostage"), text("True"));
    }
}
