use std::path::PathBuf;

use crate::diagnostic::Diagnostic;

/// An error reading or writing a run-cache entry.
#[derive(Debug, thiserror::Error)]
pub enum RunCacheError {
    /// The entry file is not valid YAML or does not match the lock entry schema.
    /// DVC deletes such files when it meets them.
    #[error("corrupted run-cache entry '{}': {}; delete the file", .path.display(), first_message(.diagnostics))]
    Corrupted {
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
    },
    #[error("failed to read run-cache entry '{}': {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("failed to write run-cache entry '{}': {source}", .path.display())]
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
