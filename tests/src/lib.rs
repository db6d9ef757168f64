//! Shared helpers for Retort's end-to-end tests.

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests crate sits in the repository")
        .to_path_buf()
}

/// The DVC conformance corpus: `RETORT_CORPUS` when set, else `../shared/corpus`
/// beside the repository. Returns `None` (and says so) when it is absent, since
/// the project must build and pass without it.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("RETORT_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => repo_root().join("../shared/corpus"),
    };
    if dir.join("cases").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: the DVC corpus was not found at {} (set RETORT_CORPUS to its directory)",
            dir.display()
        );
        None
    }
}
