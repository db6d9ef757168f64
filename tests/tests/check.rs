//! `retort check` on broken pipelines: one fixture per check, each expected to
//! report its problem at the right line and column with the right exit code.

use std::path::Path;
use std::process::Command;

use retort_tests::{repo_root, retort_bin};
use serde_json::Value;

/// Runs `retort check --json` on a copy of a fixture project.
fn check_fixture(name: &str) -> (i32, Vec<Value>) {
    let fixture = repo_root().join("tests/fixtures/check").join(name);
    let project = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture, project.path());
    let output = Command::new(retort_bin())
        .args(["check", "--json"])
        .current_dir(project.path())
        .output()
        .expect("run retort check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let diagnostics: Vec<Value> = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("invalid JSON from retort check ({error}):\n{stdout}"));
    (output.status.code().expect("exit code"), diagnostics)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("fixture directory") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("create directory");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// The (file, line, column, severity, code) of each diagnostic.
fn summary(diagnostics: &[Value]) -> Vec<(String, u64, u64, String, String)> {
    diagnostics
        .iter()
        .map(|diagnostic| {
            (
                diagnostic["file"].as_str().unwrap_or_default().to_string(),
                diagnostic["line"].as_u64().unwrap_or_default(),
                diagnostic["column"].as_u64().unwrap_or_default(),
                diagnostic["severity"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                diagnostic["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn expect(name: &str, exit_code: i32, expected: &[(&str, u64, u64, &str, &str)]) -> Vec<Value> {
    let (code, diagnostics) = check_fixture(name);
    let got = summary(&diagnostics);
    let want: Vec<(String, u64, u64, String, String)> = expected
        .iter()
        .map(|(file, line, column, severity, code)| {
            (
                file.to_string(),
                *line,
                *column,
                severity.to_string(),
                code.to_string(),
            )
        })
        .collect();
    assert_eq!(
        got, want,
        "diagnostics of fixture '{name}': {diagnostics:#?}"
    );
    assert_eq!(code, exit_code, "exit code of fixture '{name}'");
    diagnostics
}

fn message(diagnostics: &[Value], index: usize) -> &str {
    diagnostics[index]["message"].as_str().unwrap_or_default()
}

#[test]
fn clean_project_has_no_diagnostics() {
    expect("clean", 0, &[]);
}

#[test]
fn unknown_key_suggests_a_fix() {
    let found = expect(
        "unknown-key",
        1,
        &[("dvc.yaml", 4, 5, "error", "unknown-key")],
    );
    assert!(
        message(&found, 0).contains("did you mean 'outs'"),
        "{}",
        message(&found, 0)
    );
    assert_eq!(found[0]["fixes"][0]["edits"][0]["new_text"], "outs");
}

#[test]
fn wrong_types_are_reported_per_value() {
    let found = expect(
        "wrong-type",
        1,
        &[
            ("dvc.yaml", 4, 11, "error", "wrong-type"),
            ("dvc.yaml", 5, 13, "error", "wrong-type"),
        ],
    );
    assert!(
        message(&found, 0).contains("'deps' of stage 'train' must be a list"),
        "{}",
        message(&found, 0)
    );
}

#[test]
fn missing_cmd_is_an_error() {
    let found = expect(
        "missing-cmd",
        1,
        &[("dvc.yaml", 3, 5, "error", "missing-cmd")],
    );
    assert!(message(&found, 0).contains("stage 'train' has no 'cmd'"));
}

#[test]
fn undefined_variable_points_at_the_expression() {
    let found = expect(
        "undefined-variable",
        1,
        &[("dvc.yaml", 3, 31, "error", "undefined-variable")],
    );
    assert!(
        message(&found, 0).contains("Could not find 'train.lrate'"),
        "{}",
        message(&found, 0)
    );
    assert!(
        message(&found, 0).contains("did you mean 'train.lr'"),
        "{}",
        message(&found, 0)
    );
}

#[test]
fn dict_in_a_path_cannot_be_interpolated() {
    let found = expect(
        "interpolate-dict",
        1,
        &[("dvc.yaml", 5, 15, "error", "interpolate-collection")],
    );
    assert!(message(&found, 0).contains("Cannot interpolate data of type 'dict'"));
}

#[test]
fn list_in_cmd_cannot_be_interpolated() {
    let found = expect(
        "list-in-cmd",
        1,
        &[("dvc.yaml", 3, 26, "error", "interpolate-collection")],
    );
    assert!(message(&found, 0).contains("type 'list'"));
}

#[test]
fn redefinition_across_vars_names_both_sources() {
    let found = expect(
        "redefinition",
        1,
        &[("extra.yaml", 2, 5, "error", "vars-redefinition")],
    );
    assert!(
        message(&found, 0).contains(
            "cannot redefine 'lr' from 'extra.yaml' as it already exists in 'params.yaml'"
        ),
        "{}",
        message(&found, 0)
    );
}

#[test]
fn one_output_in_two_stages() {
    expect(
        "duplicate-output",
        1,
        &[
            ("dvc.yaml", 5, 9, "error", "duplicate-output"),
            ("dvc.yaml", 9, 9, "error", "duplicate-output"),
        ],
    );
}

#[test]
fn output_inside_another_output() {
    let found = expect(
        "overlapping-outputs",
        1,
        &[("dvc.yaml", 9, 9, "error", "overlapping-outputs")],
    );
    assert!(message(&found, 0)
        .contains("'data/x.txt' of stage 'b' is inside output 'data' of stage 'a'"));
}

#[test]
fn dependency_cycle_names_its_stages() {
    let found = expect(
        "cycle",
        1,
        &[
            ("dvc.yaml", 2, 3, "error", "cycle"),
            ("dvc.yaml", 8, 3, "error", "cycle"),
        ],
    );
    assert!(
        message(&found, 0).contains("stages 'a' and 'b' depend on each other"),
        "{}",
        message(&found, 0)
    );
}

#[test]
fn dependency_that_is_also_an_output() {
    expect(
        "dep-is-out",
        1,
        &[("dvc.yaml", 7, 9, "error", "dep-is-out")],
    );
}

#[test]
fn missing_dependency_is_a_warning() {
    let found = expect(
        "missing-dep",
        0,
        &[("dvc.yaml", 5, 9, "warning", "missing-dep")],
    );
    assert!(message(&found, 0).contains("'data/raw.csv' of stage 'train' does not exist"));
}

#[test]
fn missing_param_key_suggests_existing_keys() {
    let found = expect(
        "missing-param",
        1,
        &[("dvc.yaml", 5, 9, "error", "missing-param")],
    );
    assert!(
        message(&found, 0).contains("did you mean 'train.lr'"),
        "{}",
        message(&found, 0)
    );
}

#[test]
fn missing_params_file_offers_to_create_it() {
    let found = expect(
        "missing-params-file",
        0,
        &[("dvc.yaml", 5, 9, "warning", "missing-params-file")],
    );
    assert_eq!(found[0]["fixes"][0]["create_file"], "config.yaml");
}

#[test]
fn key_in_list_foreach_explains_item() {
    let found = expect(
        "key-in-list-foreach",
        1,
        &[("dvc.yaml", 5, 17, "error", "undefined-variable")],
    );
    assert!(
        message(&found, 0).contains("use ${item}"),
        "{}",
        message(&found, 0)
    );
}

#[test]
fn path_outside_project_is_an_error() {
    expect(
        "path-outside-project",
        1,
        &[("dvc.yaml", 5, 9, "error", "path-outside-project")],
    );
}

#[test]
fn metrics_file_nobody_writes() {
    expect(
        "missing-metrics-file",
        0,
        &[("dvc.yaml", 2, 5, "warning", "missing-file")],
    );
}

#[test]
fn yaml_syntax_error_has_a_position() {
    expect(
        "yaml-syntax",
        1,
        &[("dvc.yaml", 5, 1, "error", "yaml-syntax")],
    );
}

#[test]
fn invalid_expression_syntax() {
    expect(
        "invalid-expression",
        1,
        &[("dvc.yaml", 3, 26, "error", "invalid-expression")],
    );
}

#[test]
fn missing_vars_file() {
    let found = expect(
        "missing-vars-file",
        1,
        &[("dvc.yaml", 2, 3, "error", "missing-vars-file")],
    );
    assert!(message(&found, 0).contains("'config.yaml' does not exist"));
}

#[test]
fn params_file_syntax_error_is_reported_in_that_file() {
    expect(
        "params-syntax",
        1,
        &[("params.yaml", 2, 1, "error", "params-syntax")],
    );
}

#[test]
fn text_output_uses_path_line_column() {
    let fixture = repo_root().join("tests/fixtures/check/unknown-key");
    let project = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixture, project.path());
    let output = Command::new(retort_bin())
        .arg("check")
        .current_dir(project.path())
        .output()
        .expect("run retort check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("dvc.yaml:4:5: error: unknown key 'outz' in stage 'train'"),
        "{stdout}"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn outside_a_project_exits_with_two() {
    let empty = tempfile::tempdir().expect("temp dir");
    let output = Command::new(retort_bin())
        .arg("check")
        .current_dir(empty.path())
        .output()
        .expect("run retort check");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no DVC project found"));
}
