use serde::Serialize;

/// The unit an editor counts columns in. LSP clients choose one at `initialize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PositionEncoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

/// A zero-based line and column. The column counts units of the encoding it was
/// computed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Line starts of one text, for converting between byte offsets and line/column
/// positions. Lines end at `\n`; a `\r` before it belongs to the line ending, so a
/// position never points between `\r` and `\n`.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        for (offset, byte) in text.bytes().enumerate() {
            if byte == b'\n' {
                line_starts.push(offset + 1);
            }
        }
        LineIndex {
            line_starts,
            len: text.len(),
            ascii: text.is_ascii(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte offset where zero-based `line` starts, or the text length past the end.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// The byte range of `line` without its line ending.
    pub fn line_range(&self, text: &str, line: usize) -> (usize, usize) {
        let start = self.line_start(line);
        let mut end = self.line_start(line + 1);
        let bytes = text.as_bytes();
        if end > start && end <= bytes.len() && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end)
    }

    /// Converts a byte offset to a line and a column counted in `encoding` units.
    /// Offsets inside a multi-byte character or a CRLF pair snap back to its start.
    pub fn position(&self, text: &str, offset: usize, encoding: PositionEncoding) -> LineCol {
        let offset = offset.min(self.len);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        };
        let start = self.line_starts[line];
        let (_, line_end) = self.line_range(text, line);
        let end = offset.min(line_end);
        let col = if self.ascii || encoding == PositionEncoding::Utf8 {
            end - start
        } else {
            let prefix = floor_char_boundary(text, end);
            count_units(&text[start..prefix], encoding)
        };
        LineCol {
            line: line as u32,
            col: col as u32,
        }
    }

    /// Converts a line and column in `encoding` units back to a byte offset. A column
    /// past the end of the line clamps to the line end, as LSP requires.
    pub fn offset(&self, text: &str, position: LineCol, encoding: PositionEncoding) -> usize {
        let line = position.line as usize;
        if line >= self.line_starts.len() {
            return self.len;
        }
        let (start, end) = self.line_range(text, line);
        let wanted = position.col as usize;
        if self.ascii || encoding == PositionEncoding::Utf8 {
            return floor_char_boundary(text, (start + wanted).min(end));
        }
        let mut units = 0;
        for (index, ch) in text[start..end].char_indices() {
            if units >= wanted {
                return start + index;
            }
            units += match encoding {
                PositionEncoding::Utf16 => ch.len_utf16(),
                _ => 1,
            };
        }
        end
    }
}

fn count_units(text: &str, encoding: PositionEncoding) -> usize {
    match encoding {
        PositionEncoding::Utf8 => text.len(),
        PositionEncoding::Utf16 => text.chars().map(char::len_utf16).sum(),
        PositionEncoding::Utf32 => text.chars().count(),
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_in_each_encoding() {
        let text = "a: é𝄞x\r\nb: 1\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(
            index.position(text, x, PositionEncoding::Utf8),
            LineCol { line: 0, col: 9 }
        );
        assert_eq!(
            index.position(text, x, PositionEncoding::Utf16),
            LineCol { line: 0, col: 6 }
        );
        assert_eq!(
            index.position(text, x, PositionEncoding::Utf32),
            LineCol { line: 0, col: 5 }
        );
        let b = text.find('b').unwrap();
        assert_eq!(
            index.position(text, b, PositionEncoding::Utf16),
            LineCol { line: 1, col: 0 }
        );
    }

    #[test]
    fn offsets_round_trip_and_clamp() {
        let text = "a: é𝄞x\r\nb: 1\n";
        let index = LineIndex::new(text);
        for encoding in [
            PositionEncoding::Utf8,
            PositionEncoding::Utf16,
            PositionEncoding::Utf32,
        ] {
            for (offset, _) in text.char_indices() {
                if text[offset..].starts_with('\n') {
                    continue;
                }
                let position = index.position(text, offset, encoding);
                assert_eq!(
                    index.offset(text, position, encoding),
                    offset,
                    "{encoding:?}"
                );
            }
        }
        let past_end = LineCol { line: 0, col: 99 };
        assert_eq!(
            index.offset(text, past_end, PositionEncoding::Utf16),
            text.find('\r').unwrap()
        );
    }
}
