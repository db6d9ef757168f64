use std::path::PathBuf;

use crate::diagnostic::Diagnostic;

/// An error reading, updating or writing a lock file.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The existing text has syntax or schema errors, so DVC would reject it
    /// too. The diagnostics point at each problem.
    #[error("'{}' is invalid ({} problem(s), first: {}); fix or delete it and run the pipeline again", .file.display(), .diagnostics.len(), first_message(.diagnostics))]
    Invalid {
        file: PathBuf,
        diagnostics: Vec<Diagnostic>,
    },
    /// The file is valid but laid out in a way the in-place update does not
    /// handle (flow-style `stages`, such as `stages: {}` after `dvc ds add`).
    #[error("cannot update '{}' in place: its `stages` mapping is in flow style (`{{...}}`); rewrite it in block style or delete the file and run the pipeline again", .file.display())]
    UnsupportedLayout { file: PathBuf },
    #[error("failed to read '{}': {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("failed to write '{}': {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn first_message(diagnostics: &[Diagnostic]) -> &str {
    diagnostics
        .first()
        .map(|diagnostic| diagnostic.message.as_str())
        .unwrap_or("no details")
}
