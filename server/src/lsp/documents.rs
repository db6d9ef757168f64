//! Open documents: a rope that takes incremental edits, the version the
//! client gave it, and a flat copy of the text with its line index that
//! analyses read. Edit ranges are converted with the same `LineIndex` as
//! everything else.

use std::sync::Arc;

use retort_engine::text::{LineIndex, PositionEncoding};
use ropey::Rope;
use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;

use super::convert::LineMap;

pub struct Document {
    pub version: i32,
    rope: Rope,
    text: Arc<str>,
    index: LineIndex,
}

impl Document {
    pub fn new(version: i32, text: &str) -> Document {
        Document {
            version,
            rope: Rope::from_str(text),
            text: Arc::from(text),
            index: LineIndex::new(text),
        }
    }

    pub fn text(&self) -> Arc<str> {
        self.text.clone()
    }

    /// Applies a batch of changes in order: each range refers to the text
    /// left by the change before it.
    pub fn apply(
        &mut self,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: PositionEncoding,
    ) {
        for change in changes {
            match change.range {
                None => self.rope = Rope::from_str(&change.text),
                Some(range) => {
                    let span = LineMap {
                        text: &self.text,
                        index: &self.index,
                        encoding,
                    }
                    .span(range);
                    let start = self.rope.byte_to_char(span.start);
                    let end = self.rope.byte_to_char(span.end);
                    self.rope.remove(start..end);
                    self.rope.insert(start, &change.text);
                }
            }
            self.refresh();
        }
        self.version = version;
    }

    fn refresh(&mut self) {
        let text = self.rope.to_string();
        self.index = LineIndex::new(&text);
        self.text = Arc::from(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn change(start: (u32, u32), end: (u32, u32), text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(
                Position::new(start.0, start.1),
                Position::new(end.0, end.1),
            )),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn incremental_edits_count_utf16_units_and_keep_crlf() {
        let mut document = Document::new(1, "a: é𝄞x\r\nb: 1\r\n");
        // `x` is at UTF-16 column 6 (é is one unit, 𝄞 two).
        document.apply(
            2,
            vec![change((0, 6), (0, 7), "yz")],
            PositionEncoding::Utf16,
        );
        assert_eq!(&*document.text(), "a: é𝄞yz\r\nb: 1\r\n");
        // A column past the end of the line clamps before the CRLF.
        document.apply(
            3,
            vec![change((1, 3), (1, 99), "2")],
            PositionEncoding::Utf16,
        );
        assert_eq!(&*document.text(), "a: é𝄞yz\r\nb: 2\r\n");
        // Changes in one batch apply in order.
        document.apply(
            4,
            vec![change((0, 0), (0, 0), "#\n"), change((1, 0), (1, 1), "c")],
            PositionEncoding::Utf8,
        );
        assert_eq!(&*document.text(), "#\nc: é𝄞yz\r\nb: 2\r\n");
        assert_eq!(document.version, 4);
    }
}
