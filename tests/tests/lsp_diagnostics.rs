//! Diagnostics from `retort lsp`: the same checks as `retort check`, params
//! edits that re-check pipelines before saving, syntax errors of params and
//! lock files, CRLF and UTF-16 ranges, freshness after changes on disk, and
//! conformance with real DVC on the corpus.

use std::path::Path;
use std::process::Command;

use retort_tests::lsp::{range, retort_binary, ClientOptions, Fixture, LspClient};
use serde_json::{json, Value};

fn messages(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|diagnostic| {
            diagnostic["message"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn has_code(diagnostics: &[Value], code: &str) -> bool {
    diagnostics
        .iter()
        .any(|diagnostic| diagnostic["code"] == json!(code))
}

const BROKEN_PIPELINE: &str = "\
stages:
  prepare:
    cmd: python prep.py
    deps:
      - data/raw.csv
    outs:
      - data/clean.csv
  train:
    cmd: python train.py ${train.lr}
    deps:
      - data/clean.csv
    params:
      - train.lr
      - train.epocs
    outz:
      - model.pkl
  evaluate:
    cmd: python eval.py
    params:
      - eval.yaml:
          - threshold
";

#[test]
fn published_diagnostics_match_retort_check() {
    let fixture = Fixture::new(&[
        ("dvc.yaml", BROKEN_PIPELINE),
        ("params.yaml", "train:\n  lr: 0.1\n  epochs: 3\n"),
    ]);
    let output = Command::new(retort_binary())
        .args(["check", "--json"])
        .current_dir(fixture.path())
        .output()
        .expect("run retort check");
    let expected: Vec<Value> = serde_json::from_slice(&output.stdout).expect("check --json output");
    assert!(!expected.is_empty());

    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open("dvc.yaml", BROKEN_PIPELINE);
    let published = client.diagnostics_for("dvc.yaml", |list| !list.is_empty());
    let mut from_server: Vec<(u64, u64, String, String)> = published
        .iter()
        .map(|diagnostic| {
            (
                diagnostic["range"]["start"]["line"].as_u64().unwrap() + 1,
                diagnostic["range"]["start"]["character"].as_u64().unwrap() + 1,
                diagnostic["code"].as_str().unwrap().to_string(),
                diagnostic["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut from_check: Vec<(u64, u64, String, String)> = expected
        .iter()
        .filter(|diagnostic| diagnostic["file"] == json!("dvc.yaml"))
        .map(|diagnostic| {
            (
                diagnostic["line"].as_u64().unwrap(),
                diagnostic["column"].as_u64().unwrap(),
                diagnostic["code"].as_str().unwrap().to_string(),
                diagnostic["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    from_server.sort();
    from_check.sort();
    assert_eq!(from_server, from_check);
    for code in [
        "unknown-key",
        "missing-param",
        "missing-params-file",
        "missing-dep",
    ] {
        assert!(
            from_server.iter().any(|found| found.2 == code),
            "no {code} in {from_server:?}"
        );
    }
}

#[test]
fn editing_params_rechecks_the_pipeline_before_saving() {
    let pipeline =
        "stages:\n  train:\n    cmd: python train.py\n    params:\n      - train.epochs\n";
    let params = "train:\n  lr: 0.1\n";
    let fixture = Fixture::new(&[("dvc.yaml", pipeline), ("params.yaml", params)]);
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open("dvc.yaml", pipeline);
    let before = client.diagnostics_for("dvc.yaml", |list| !list.is_empty());
    assert!(has_code(&before, "missing-param"), "{before:?}");

    client.open("params.yaml", params);
    // Add `epochs` after `lr` without saving.
    client.change("params.yaml", 2, range((2, 0), (2, 0)), "  epochs: 5\n");
    let after = client.diagnostics_for("dvc.yaml", |list| list.is_empty());
    assert!(after.is_empty());
    assert_eq!(
        std::fs::read_to_string(fixture.path().join("params.yaml")).unwrap(),
        params
    );
}

#[test]
fn params_and_lock_files_get_syntax_errors() {
    let pipeline = "stages:\n  train:\n    cmd: python train.py\n    params:\n      - train.lr\n";
    let fixture = Fixture::new(&[
        ("dvc.yaml", pipeline),
        ("params.yaml", "train:\n  lr: 0.1\n"),
        ("dvc.lock", "schema: '2.0'\nstages:\n  train: [unclosed\n"),
    ]);
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    let lock = client.diagnostics_for("dvc.lock", |list| !list.is_empty());
    assert!(has_code(&lock, "lock-syntax"), "{lock:?}");

    client.open("params.yaml", "train:\n  lr: 0.1\n");
    client.change("params.yaml", 2, range((1, 6), (1, 6)), "[");
    let params = client.diagnostics_for("params.yaml", |list| !list.is_empty());
    assert!(
        messages(&params)
            .iter()
            .any(|message| message.contains("YAML") && message.contains("expected ',' or ']'")),
        "{params:?}"
    );
    assert_eq!(params[0]["severity"], json!(1));
}

#[test]
fn stale_lock_entries_are_hints() {
    let pipeline = "stages:\n  train:\n    cmd: python train.py --new\n  test:\n    cmd: echo ok\n";
    let lock = "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n  test:\n    cmd: echo ok\n  old:\n    cmd: echo gone\n";
    let fixture = Fixture::new(&[("dvc.yaml", pipeline), ("dvc.lock", lock)]);
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    let hints = client.diagnostics_for("dvc.lock", |list| list.len() >= 2);
    assert_eq!(hints.len(), 2, "{hints:?}");
    for hint in &hints {
        assert_eq!(hint["severity"], json!(4), "{hint}");
        assert_eq!(hint["code"], json!("lock-stale"), "{hint}");
    }
    // `train` changed its command (line 2); `old` is gone (line 6).
    assert_eq!(hints[0]["range"]["start"]["line"], json!(2));
    assert!(
        messages(&hints)[0].contains("retort repro train"),
        "{hints:?}"
    );
    assert_eq!(hints[1]["range"]["start"]["line"], json!(6));
    assert!(messages(&hints)[1].contains("'old'"), "{hints:?}");
}

#[test]
fn ranges_count_utf16_units_by_default_and_bytes_when_utf8_is_agreed() {
    // The unknown key sits after a 4-byte character: 2 UTF-16 units, 4 bytes.
    let pipeline = "stages:\n  s:\n    desc: \"𝄞\"\n    cmd: echo\n    𝄞outz: [a]\n";
    let fixture = Fixture::new(&[("dvc.yaml", pipeline)]);
    for (utf8, expected_start, expected_end, encoding) in
        [(false, 4, 10, "utf-16"), (true, 4, 12, "utf-8")]
    {
        let mut client = LspClient::start(
            fixture.path(),
            ClientOptions {
                utf8,
                ..ClientOptions::default()
            },
        );
        assert_eq!(
            client.initialize_result["capabilities"]["positionEncoding"],
            json!(encoding)
        );
        client.open("dvc.yaml", pipeline);
        let found = client.diagnostics_for("dvc.yaml", |list| !list.is_empty());
        let unknown = found
            .iter()
            .find(|diagnostic| diagnostic["code"] == json!("unknown-key"))
            .unwrap_or_else(|| panic!("no unknown-key in {found:?}"));
        assert_eq!(
            unknown["range"],
            range((4, expected_start), (4, expected_end)),
            "{encoding}"
        );
    }
}

#[test]
fn crlf_documents_keep_positions_across_edits() {
    let pipeline = "stages:\r\n  train:\r\n    cmd: echo\r\n    params:\r\n      - train.lr\r\n";
    let fixture = Fixture::new(&[
        ("dvc.yaml", pipeline),
        ("params.yaml", "train:\r\n  lr: 1\r\n"),
    ]);
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open("dvc.yaml", pipeline);
    let clean = client.diagnostics_for("dvc.yaml", |list| list.is_empty());
    assert!(clean.is_empty());
    // Replace `lr` with `lx`; a column past the line end must not eat the CRLF.
    client.change("dvc.yaml", 2, range((4, 15), (4, 99)), "x");
    let found = client.diagnostics_for("dvc.yaml", |list| !list.is_empty());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], json!("missing-param"));
    assert_eq!(found[0]["range"], range((4, 8), (4, 16)));
    // The next line is intact: the server's text still has five lines.
    client.change("dvc.yaml", 3, range((4, 8), (4, 16)), "train.lr");
    let clean = client.diagnostics_for("dvc.yaml", |list| list.is_empty());
    assert!(clean.is_empty());
}

#[test]
fn only_the_latest_version_gets_final_diagnostics() {
    let pipeline = "stages:\n  s:\n    cmd: echo\n";
    let fixture = Fixture::new(&[("dvc.yaml", pipeline)]);
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open("dvc.yaml", pipeline);
    client.diagnostics_for("dvc.yaml", |list| list.is_empty());
    // Type `    outz: [a]` one character at a time on a new line.
    let typed = "    outz: [a]";
    client.change("dvc.yaml", 2, range((3, 0), (3, 0)), "\n");
    for (index, ch) in typed.chars().enumerate() {
        client.change(
            "dvc.yaml",
            3 + index as i32,
            range((3, index as u32), (3, index as u32)),
            &ch.to_string(),
        );
    }
    let last_version = 2 + typed.len() as i32;
    let uri = client.uri("dvc.yaml");
    let message = client.wait_for("textDocument/publishDiagnostics", |params| {
        params["uri"] == json!(uri) && params["version"] == json!(last_version)
    });
    let found = message["params"]["diagnostics"].as_array().unwrap();
    assert!(has_code(found, "unknown-key"), "{found:?}");
    // Nothing arrives after the final version: messages kept so far came
    // before it.
    client.pending.clear();
    let later = client.wait_for_within(
        "textDocument/publishDiagnostics",
        std::time::Duration::from_millis(300),
        |params| params["uri"] == json!(uri),
    );
    assert!(later.is_none(), "{later:?}");
}

#[test]
fn pull_diagnostics_answer_for_open_documents() {
    let pipeline = "stages:\n  s:\n    cmd: echo\n    outz: [a]\n";
    let fixture = Fixture::new(&[("dvc.yaml", pipeline)]);
    let mut client = LspClient::start(
        fixture.path(),
        ClientOptions {
            pull_diagnostics: true,
            ..ClientOptions::default()
        },
    );
    assert_eq!(
        client.initialize_result["capabilities"]["diagnosticProvider"]["interFileDependencies"],
        json!(true)
    );
    client.open("dvc.yaml", pipeline);
    let uri = client.uri("dvc.yaml");
    let report = client
        .request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": uri } }),
        )
        .expect("diagnostic request");
    assert_eq!(report["kind"], json!("full"));
    let items = report["items"].as_array().unwrap();
    assert!(has_code(items, "unknown-key"), "{items:?}");
}

#[test]
fn changes_on_disk_refresh_diagnostics_and_lenses() {
    let pipeline =
        "stages:\n  train:\n    cmd: python train.py\n    params:\n      - train.epochs\n";
    let fixture = Fixture::new(&[
        ("dvc.yaml", pipeline),
        ("params.yaml", "train:\n  lr: 0.1\n"),
    ]);
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open("dvc.yaml", pipeline);
    let before = client.diagnostics_for("dvc.yaml", |list| !list.is_empty());
    assert!(has_code(&before, "missing-param"));
    // Another tool (DVC, the CLI) writes the params file.
    fixture.write("params.yaml", "train:\n  lr: 0.1\n  epochs: 10\n");
    let after = client.diagnostics_for("dvc.yaml", |list| list.is_empty());
    assert!(after.is_empty());
    client.wait_for("workspace/codeLens/refresh", |_| true);
    client.wait_for("workspace/inlayHint/refresh", |_| true);
}

#[test]
fn created_dependency_clears_its_warning() {
    // The server remembers which paths exist between edits; the watcher
    // must tell it when one appears, in a directory that exists already
    // and in one that does not exist yet.
    let pipeline = "stages:\n  train:\n    cmd: python train.py\n    deps:\n      - data/raw.csv\n      - more/extra.csv\n";
    let fixture = Fixture::new(&[("dvc.yaml", pipeline), ("data/keep.txt", "")]);
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open("dvc.yaml", pipeline);
    let before = client.diagnostics_for("dvc.yaml", |list| list.len() == 2);
    assert!(has_code(&before, "missing-dep"));
    fixture.write("data/raw.csv", "a\n");
    client.diagnostics_for("dvc.yaml", |list| list.len() == 1);
    fixture.write("more/extra.csv", "b\n");
    let after = client.diagnostics_for("dvc.yaml", |list| list.is_empty());
    assert!(after.is_empty());
}

#[test]
fn example_project_opens_with_no_diagnostics() {
    let example = retort_tests::repo_root().join("examples/digits");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&example, dir.path());
    std::fs::create_dir_all(dir.path().join(".dvc")).unwrap();
    retort_tests::lsp::git(dir.path(), &["init", "-q"]);
    let mut client = LspClient::start(dir.path(), ClientOptions::default());
    let text = std::fs::read_to_string(dir.path().join("dvc.yaml")).unwrap();
    client.open("dvc.yaml", &text);
    client.open(
        "params.yaml",
        &std::fs::read_to_string(dir.path().join("params.yaml")).unwrap(),
    );
    let found = client.diagnostics_for("dvc.yaml", |_| true);
    assert!(found.is_empty(), "{found:#?}");
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": client.uri("dvc.yaml") } }),
    );
    let names: Vec<String> = symbols
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|symbol| symbol["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["prepare", "train", "evaluate"]);
}

/// Each corpus case gets an error diagnostic exactly when DVC 3.67.1 failed
/// on it (the answers were recorded from real DVC in `expected.json`).
#[test]
fn corpus_errors_match_dvc() {
    let Some(corpus) = retort_tests::corpus_dir() else {
        return;
    };
    let mut cases: Vec<_> = std::fs::read_dir(corpus.join("cases"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    let mut mismatches = Vec::new();
    for case in &cases {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap())
                .unwrap();
        let dvcfile = expected["dvcfile"].as_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        copy_dir(case, dir.path());
        std::fs::create_dir_all(dir.path().join(".dvc")).unwrap();
        let mut client = LspClient::start(dir.path(), ClientOptions::default());
        let text = std::fs::read_to_string(dir.path().join(dvcfile)).unwrap();
        client.open(dvcfile, &text);
        let first = client.diagnostics_for(dvcfile, |_| true);
        let mut all = client.settled_diagnostics(std::time::Duration::from_millis(200));
        all.entry(client.uri(dvcfile)).or_insert(first);
        let errors: Vec<&Value> = all
            .values()
            .flatten()
            .filter(|diagnostic| diagnostic["severity"] == json!(1))
            .collect();
        let dvc_failed = !expected["error"].is_null();
        let retort_failed = !errors.is_empty();
        if dvc_failed != retort_failed {
            mismatches.push(format!(
                "{}: DVC error {} but Retort errors {:?}",
                case.display(),
                expected["error"],
                errors
                    .iter()
                    .map(|diagnostic| &diagnostic["message"])
                    .collect::<Vec<_>>()
            ));
        }
        drop(client);
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
