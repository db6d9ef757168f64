//! Rendering diagnostics for the terminal and as JSON.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use retort_engine::diagnostic::Diagnostic;
use retort_engine::files::FileSource;
use retort_engine::text::{LineCol, LineIndex, PositionEncoding};
use serde_json::json;

/// Converts spans to 1-based lines and columns, reading each file once.
pub struct Positions<'a> {
    source: &'a dyn FileSource,
    texts: HashMap<PathBuf, Option<(Arc<str>, LineIndex)>>,
}

impl<'a> Positions<'a> {
    pub fn new(source: &'a dyn FileSource) -> Positions<'a> {
        Positions {
            source,
            texts: HashMap::new(),
        }
    }

    /// The 1-based line and column (in characters) of both ends of the span.
    pub fn range(&mut self, diagnostic: &Diagnostic) -> (LineCol, LineCol) {
        let entry = self
            .texts
            .entry(diagnostic.file.clone())
            .or_insert_with(|| {
                let path = diagnostic.file.to_string_lossy().replace('\\', "/");
                let text = self.source.read(&path).ok()?;
                let index = LineIndex::new(&text);
                Some((text, index))
            });
        let Some((text, index)) = entry else {
            return (LineCol { line: 1, col: 1 }, LineCol { line: 1, col: 1 });
        };
        let one_based = |position: LineCol| LineCol {
            line: position.line + 1,
            col: position.col + 1,
        };
        let start = index.position(text, diagnostic.span.start, PositionEncoding::Utf32);
        let end = index.position(text, diagnostic.span.end, PositionEncoding::Utf32);
        (one_based(start), one_based(end))
    }
}

pub fn to_json(
    diagnostic: &Diagnostic,
    shown_path: &str,
    start: LineCol,
    end: LineCol,
) -> serde_json::Value {
    json!({
        "file": shown_path,
        "line": start.line,
        "column": start.col,
        "end_line": end.line,
        "end_column": end.col,
        "severity": diagnostic.severity.as_str(),
        "code": diagnostic.code,
        "message": diagnostic.message,
        "fixes": diagnostic.fixes,
    })
}

pub fn project_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
