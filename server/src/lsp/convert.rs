//! The protocol boundary for positions and paths: LSP ranges in the
//! negotiated encoding to and from byte offsets (through the engine's
//! `LineIndex`, the one place that counts columns), and file URIs to and from
//! project-relative paths.

use std::path::Path;

use retort_engine::diagnostic::{Diagnostic, Severity};
use retort_engine::text::{LineCol, LineIndex, PositionEncoding, Span};
use tower_lsp_server::ls_types::{self as lsp, Uri};

/// A text with its line index, for converting positions in one file.
pub struct LineMap<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
    pub encoding: PositionEncoding,
}

impl LineMap<'_> {
    pub fn offset(&self, position: lsp::Position) -> usize {
        self.index.offset(
            self.text,
            LineCol {
                line: position.line,
                col: position.character,
            },
            self.encoding,
        )
    }

    pub fn position(&self, offset: usize) -> lsp::Position {
        let at = self.index.position(self.text, offset, self.encoding);
        lsp::Position::new(at.line, at.col)
    }

    pub fn range(&self, span: Span) -> lsp::Range {
        lsp::Range::new(self.position(span.start), self.position(span.end))
    }

    pub fn span(&self, range: lsp::Range) -> Span {
        let start = self.offset(range.start);
        let end = self.offset(range.end);
        Span::new(start.min(end), start.max(end))
    }
}

/// The encoding to use: UTF-8 when the client offers it (no conversion at
/// all), else UTF-16, which every client supports.
pub fn negotiate_encoding(capabilities: &lsp::ClientCapabilities) -> PositionEncoding {
    let offered = capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&lsp::PositionEncodingKind::UTF8) => PositionEncoding::Utf8,
        _ => PositionEncoding::Utf16,
    }
}

pub fn encoding_kind(encoding: PositionEncoding) -> lsp::PositionEncodingKind {
    match encoding {
        PositionEncoding::Utf8 => lsp::PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        PositionEncoding::Utf32 => lsp::PositionEncodingKind::UTF32,
    }
}

/// The project-relative path of a file URI, or `None` for other schemes and
/// files outside the project.
pub fn relative_path(root: &Path, uri: &Uri) -> Option<String> {
    let path = uri.to_file_path()?;
    let relative = path.strip_prefix(root).ok()?;
    let text = relative.to_string_lossy().replace('\\', "/");
    retort_engine::paths::normalize(&text)
}

pub fn file_uri(root: &Path, relative: &str) -> Option<Uri> {
    Uri::from_file_path(root.join(relative))
}

pub fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Information => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

pub fn diagnostic(map: &LineMap<'_>, diagnostic: &Diagnostic) -> lsp::Diagnostic {
    lsp::Diagnostic {
        range: map.range(diagnostic.span),
        severity: Some(severity(diagnostic.severity)),
        code: Some(lsp::NumberOrString::String(diagnostic.code.to_string())),
        source: Some("retort".to_string()),
        message: diagnostic.message.clone(),
        ..Default::default()
    }
}

/// New text for an edit in a file, with the file's line ending: edits are
/// written with `\n`, and a CRLF file keeps CRLF.
pub fn with_line_endings(text: &str, file_text: &str) -> String {
    if file_text.contains("\r\n") {
        text.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        text.to_string()
    }
}
