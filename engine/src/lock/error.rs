use std::path::PathBuf;

use crate::diagnostic::Diagnostic;

/// Why a lock file or run-cache entry could not be read, updated or written.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The existing text has syntax or schema errors, so DVC would refuse to
    /// update it too. The diagnostics say where.
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
