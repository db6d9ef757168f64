//! Shared helpers for Retort's end-to-end tests.

pub mod lsp;

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

/// The `retort` binary under test: `RETORT_BIN` when set, else the workspace's
/// build, which this builds once per test process so that `cargo test` alone
/// always tests the current sources.
pub fn retort_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(path) = std::env::var_os("RETORT_BIN") {
            return PathBuf::from(path);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        // The test executable lives in target/<profile>/deps/.
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("test executable sits in target/<profile>/deps")
            .to_path_buf();
        let release = profile_dir
            .file_name()
            .is_some_and(|name| name == "release");
        let target_dir = profile_dir
            .parent()
            .expect("target directory")
            .to_path_buf();
        let mut command = std::process::Command::new(cargo);
        command
            .current_dir(repo_root())
            .args([
                "build",
                "--quiet",
                "-p",
                "retort",
                "--bin",
                "retort",
                "--target-dir",
            ])
            .arg(&target_dir);
        if release {
            command.arg("--release");
        }
        let status = command
            .status()
            .expect("run cargo build for the retort binary");
        assert!(status.success(), "building the retort binary failed");
        profile_dir.join("retort")
    })
    .clone()
}
