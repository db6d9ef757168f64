//! The writing of one scalar as ruamel.yaml 0.19 does it: the analysis of its
//! characters, the choice between plain, single-quoted and double-quoted style,
//! and the writers, which fold long scalars at the line width where ruamel does.
//!
//! Columns count Unicode code points, as Python's `len()` does.

use super::emitter::Emitter;
use super::resolve::plain_loads_as_str;

/// Tells whether `ch` is a line break for ruamel's scanner.
fn is_break(ch: char) -> bool {
    matches!(ch, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Characters that count as "whitespace" around indicators in the analysis.
fn is_blank_or_break(ch: char) -> bool {
    matches!(
        ch,
        '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// A scalar as the representer hands it to the emitter.
pub(super) struct Scalar {
    pub text: String,
    /// Whether the tag is `str`. Other scalars (numbers, booleans, null) are
    /// written by the representer in a form that resolves back to their own type.
    pub is_str: bool,
}

impl Scalar {
    /// ruamel's `implicit[0]`: the plain form of the text resolves to the tag.
    fn plain_is_implicit(&self) -> bool {
        !self.is_str || plain_loads_as_str(&self.text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
}

/// The result of ruamel's `analyze_scalar` for a text.
#[derive(Clone, Copy, Debug)]
pub(super) struct Analysis {
    pub empty: bool,
    pub multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

pub(super) fn analyze(chars: &[char]) -> Analysis {
    if chars.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }

    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;

    if starts_with(chars, "---") || starts_with(chars, "...") {
        block_indicators = true;
        flow_indicators = true;
    }

    let len = chars.len();
    let mut preceded_by_whitespace = true;
    let mut followed_by_whitespace = len == 1 || is_blank_or_break(chars[1]);
    let mut previous_space = false;
    let mut previous_break = false;

    for (index, &ch) in chars.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '?' || ch == ':' {
                if len == 1 {
                    flow_indicators = true;
                }
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '-' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        } else {
            if ",[]{}".contains(ch) {
                flow_indicators = true;
            }
            if ch == ':' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '#' && preceded_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        }

        if is_break(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || (' '..='~').contains(&ch) || is_printable_unicode(ch)) {
            special_characters = true;
        }

        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == len - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            if index == 0 {
                leading_break = true;
            }
            if index == len - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }

        preceded_by_whitespace = is_blank_or_break(ch);
        followed_by_whitespace = index + 2 >= len || is_blank_or_break(chars[index + 2]);
    }

    let mut allow_flow_plain = true;
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;

    if leading_space || leading_break || trailing_space || trailing_break {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if break_space || special_characters || space_break {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if flow_indicators {
        allow_flow_plain = false;
    }
    if block_indicators {
        allow_block_plain = false;
    }

    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain,
        allow_block_plain,
        allow_single_quoted,
    }
}

/// Characters ruamel writes as they are when `allow_unicode` is on, which is the
/// default of `YAML()`. Everything else outside printable ASCII is escaped.
fn is_printable_unicode(ch: char) -> bool {
    (ch == '\u{85}'
        || ('\u{A0}'..='\u{D7FF}').contains(&ch)
        || ('\u{E000}'..='\u{FFFD}').contains(&ch)
        || ('\u{10000}'..='\u{10FFFF}').contains(&ch))
        && ch != '\u{FEFF}'
}

fn starts_with(chars: &[char], prefix: &str) -> bool {
    prefix.chars().count() <= chars.len() && prefix.chars().zip(chars).all(|(a, b)| a == *b)
}

/// ruamel's `choose_scalar_style` for a scalar without a requested style.
pub(super) fn choose_style(
    scalar: &Scalar,
    analysis: &Analysis,
    simple_key_context: bool,
    flow_level: usize,
) -> Style {
    if scalar.plain_is_implicit() {
        let plain_allowed = if flow_level > 0 {
            analysis.allow_flow_plain
        } else {
            analysis.allow_block_plain
        };
        if !(simple_key_context && (analysis.empty || analysis.multiline)) && plain_allowed {
            return Style::Plain;
        }
    }
    if scalar.text.contains(['\'', '\n']) {
        return Style::DoubleQuoted;
    }
    if analysis.allow_single_quoted && !(simple_key_context && analysis.multiline) {
        return Style::SingleQuoted;
    }
    Style::DoubleQuoted
}

impl Emitter<'_> {
    pub(super) fn write_plain(&mut self, text: &[char], split: bool) {
        if self.root_context {
            self.open_ended = true;
        }
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write_raw(" ");
        }
        self.whitespace = false;
        self.indention = false;

        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column >= BEST_WIDTH && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_breaks(&text[start..end]);
                    self.write_indent();
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|ch| ch == ' ' || is_break(ch)) {
                let word = &text[start..end];
                // ruamel moves a word that would cross the width to a line of its
                // own, even right after the space that preceded it.
                if let Some(indent) = self.indent {
                    if word.len() + self.column > BEST_WIDTH && self.column > indent {
                        self.write_indent();
                    }
                }
                self.write_chars(word);
                start = end;
            }
            if let Some(ch) = ch {
                spaces = ch == ' ';
                breaks = is_break(ch);
            }
        }
    }

    pub(super) fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_breaks(&text[start..end]);
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|ch| ch == ' ' || ch == '\'' || is_break(ch)) && start < end {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write_raw("''");
                start = end + 1;
            }
            if let Some(ch) = ch {
                spaces = ch == ' ';
                breaks = is_break(ch);
            }
        }
        self.write_indicator("'", false, false, false);
    }

    /// Writes a run of line breaks inside a quoted or plain scalar: one extra
    /// newline first when the run starts with `\n`, because a single folded
    /// newline would read back as a space.
    fn write_breaks(&mut self, breaks: &[char]) {
        if breaks.first() == Some(&'\n') {
            self.write_line_break("\n");
        }
        for &ch in breaks {
            let mut buffer = [0u8; 4];
            self.write_line_break(ch.encode_utf8(&mut buffer));
        }
    }

    pub(super) fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let len = text.len();
        let mut start = 0;
        let mut end = 0;
        while end <= len {
            let ch = text.get(end).copied();
            if ch.is_none_or(needs_escape) {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(ch) = ch {
                    self.write_raw(&escape(ch));
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < len
                && (ch == Some(' ') || start >= end)
                // `end - start` is -1 right after an escape, as in ruamel.
                && self.column as isize + (end as isize - start as isize) > BEST_WIDTH as isize
                && split
            {
                let need_backslash = double_quoted_fold_needs_backslash(text, start, end);
                let mut data: String = text[start.min(end)..end].iter().collect();
                if need_backslash {
                    data.push('\\');
                }
                if start < end {
                    start = end;
                }
                self.write_raw(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text[start] == ' ' {
                    if !need_backslash {
                        // The line break reads back as the space it replaces.
                        start += 1;
                    } else {
                        self.write_raw("\\");
                    }
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

/// ruamel's test for whether a fold in a double-quoted scalar at `end` must end
/// the line with a backslash so that no space is added or lost on reading.
fn double_quoted_fold_needs_backslash(text: &[char], start: usize, end: usize) -> bool {
    let Some(space_pos) = text[end..].iter().position(|&ch| ch == ' ') else {
        return true;
    };
    let mut space_pos = end + space_pos;
    if let Some(newline) = text[end..space_pos].iter().position(|&ch| ch == '\n') {
        space_pos = end + newline;
    }
    let Some(&after) = text.get(space_pos + 1) else {
        return true;
    };
    if text[space_pos] == '\n' && after != ' ' {
        return true;
    }
    let quote_between = text[end..space_pos]
        .iter()
        .any(|&ch| ch == '"' || ch == '\'');
    let double_space = end >= 1 && text[end - 1] == ' ' && text[end] == ' ';
    !(!quote_between && after != ' ' && after != '\n' && !double_space && start != end)
}

fn needs_escape(ch: char) -> bool {
    matches!(
        ch,
        '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
    ) || !((' '..='~').contains(&ch)
        || ('\u{A0}'..='\u{D7FF}').contains(&ch)
        || ('\u{E000}'..='\u{FFFD}').contains(&ch)
        || ('\u{10000}'..='\u{10FFFF}').contains(&ch))
}

fn escape(ch: char) -> String {
    let short = match ch {
        '\0' => Some('0'),
        '\u{07}' => Some('a'),
        '\u{08}' => Some('b'),
        '\t' => Some('t'),
        '\n' => Some('n'),
        '\u{0B}' => Some('v'),
        '\u{0C}' => Some('f'),
        '\r' => Some('r'),
        '\u{1B}' => Some('e'),
        '"' => Some('"'),
        '\\' => Some('\\'),
        '\u{85}' => Some('N'),
        '\u{A0}' => Some('_'),
        '\u{2028}' => Some('L'),
        '\u{2029}' => Some('P'),
        _ => None,
    };
    let code = ch as u32;
    match short {
        Some(letter) => format!("\\{letter}"),
        None if code <= 0xFF => format!("\\x{code:02X}"),
        None if code <= 0xFFFF => format!("\\u{code:04X}"),
        None => format!("\\U{code:08X}"),
    }
}

/// The line width ruamel folds at when `YAML().width` is not set.
pub(super) const BEST_WIDTH: usize = 80;
