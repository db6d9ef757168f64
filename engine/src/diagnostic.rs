//! Problems found in user files. Invalid input is data, not an error: loaders and
//! checks return what they could build plus a list of [`Diagnostic`]s, and the
//! command line and the language server render the same list.

use std::path::PathBuf;

use serde::Serialize;

use crate::text::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "info",
            Severity::Hint => "hint",
        }
    }
}

/// A replacement of one span of one file, relative to the project root.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TextEdit {
    pub file: PathBuf,
    pub span: Span,
    pub new_text: String,
}

/// An edit that resolves a diagnostic, offered as a quick fix by the language server.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<TextEdit>,
    /// A file to create before the edits apply, for fixes such as "create the
    /// missing params file".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_file: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// The file the span points into, relative to the project root.
    pub file: PathBuf,
    pub span: Span,
    pub severity: Severity,
    /// A stable identifier of the check, such as `unknown-key` or `missing-param`.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    pub fn new(
        file: impl Into<PathBuf>,
        span: Span,
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            span,
            severity,
            code,
            message: message.into(),
            fixes: Vec::new(),
        }
    }

    pub fn error(
        file: impl Into<PathBuf>,
        span: Span,
        code: &'static str,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(file, span, Severity::Error, code, message)
    }

    pub fn warning(
        file: impl Into<PathBuf>,
        span: Span,
        code: &'static str,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(file, span, Severity::Warning, code, message)
    }

    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fixes.push(fix);
        self
    }
}
