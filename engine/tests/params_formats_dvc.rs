//! Compares the JSON, TOML and Python params loaders with DVC's own parsers.
//!
//! Each input under `tests/fixtures/params/` has a `.expected` file holding the
//! repr that `tests/oracle/dvc_parse.py` printed for it with DVC 3.67.1. The
//! first test checks the loaders against those files. The second runs the oracle
//! again with the DVC found on this machine, so a stale fixture or a DVC change
//! shows up.

use std::path::{Path, PathBuf};
use std::process::Command;

use retort_engine::formats::{self, Format};
use retort_engine::pyfmt::python_repr;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/params")
}

/// Returns the params inputs among the fixtures, in a stable order.
fn fixture_inputs() -> Vec<PathBuf> {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("the fixtures directory exists")
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| {
            let extension = path.extension().and_then(|extension| extension.to_str());
            matches!(extension, Some("py" | "json" | "toml"))
        })
        .collect();
    inputs.sort();
    inputs
}

fn retort_repr(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a readable fixture");
    let parsed = formats::parse(Format::from_path(path), &text);
    assert!(
        parsed.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        parsed.errors
    );
    python_repr(&parsed.root.expect("a tree").value)
}

#[test]
fn loaders_match_stored_dvc_output() {
    let inputs = fixture_inputs();
    assert!(inputs.len() >= 6, "fixtures are missing: {inputs:?}");
    for input in inputs {
        let expected_path = PathBuf::from(format!("{}.expected", input.display()));
        let expected = std::fs::read_to_string(&expected_path).expect("an expected file");
        assert_eq!(
            retort_repr(&input),
            expected.trim_end(),
            "{}",
            input.display()
        );
    }
}

/// Returns the Python interpreter of the DVC installation, read from the `dvc` script's
/// shebang line, or `None` when DVC is not installed.
fn dvc_python() -> Option<PathBuf> {
    let dvc = match std::env::var_os("RETORT_DVC") {
        Some(path) => PathBuf::from(path),
        None => std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join("dvc"))
            .find(|candidate| candidate.is_file())?,
    };
    let script = std::fs::read_to_string(&dvc).ok()?;
    let interpreter = script.lines().next()?.strip_prefix("#!")?.trim();
    Some(PathBuf::from(interpreter))
}

#[test]
fn stored_fixtures_match_live_dvc() {
    let Some(python) = dvc_python() else {
        if std::env::var("RETORT_REQUIRE_DVC").as_deref() == Ok("1") {
            panic!("DVC not found: set RETORT_DVC to the dvc executable or put dvc on PATH");
        }
        println!("skipped: DVC not found");
        return;
    };
    let inputs = fixture_inputs();
    let output = Command::new(&python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/dvc_parse.py"))
        .args(&inputs)
        .output()
        .expect("the DVC interpreter runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), inputs.len());
    for (input, line) in inputs.iter().zip(lines) {
        let expected_path = PathBuf::from(format!("{}.expected", input.display()));
        let stored = std::fs::read_to_string(&expected_path).expect("an expected file");
        assert_eq!(line, stored.trim_end(), "{}", input.display());
        assert_eq!(retort_repr(input), line, "{}", input.display());
    }
}
