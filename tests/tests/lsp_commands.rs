//! Commands (`workspace/executeCommand`) with progress and messages, the
//! custom requests, the advertised capabilities, and robustness: bad input
//! gets an error answer and the server keeps running; random edits never
//! crash it.

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use retort_tests::lsp::{ClientOptions, Fixture, LspClient};
use serde_json::{json, Value};

const PIPELINE: &str = "\
stages:
  train:
    cmd: python train.py
    params:
      - train
    metrics:
      - metrics.json:
          cache: false
";

fn project() -> Fixture {
    let fixture = Fixture::new(&[
        ("dvc.yaml", PIPELINE),
        (
            "params.yaml",
            "train:\n  lr: 0.1\n  epochs: 10\n  layers: [1, 2]\nother: x\n",
        ),
        (
            "metrics.json",
            "{\"acc\": 0.5, \"nested\": {\"loss\": 2, \"s\": \"a\"}, \"n\": 3}\n",
        ),
    ]);
    fixture.write(
        "params.yaml",
        "train:\n  lr: 0.25\n  epochs: 10\n  layers: [1, 2]\nother: y\n",
    );
    fixture.write(
        "metrics.json",
        "{\"acc\": 0.75, \"nested\": {\"loss\": 1, \"s\": \"b\"}, \"n\": 3, \"new\": 1}\n",
    );
    fixture
}

fn execute(client: &mut LspClient, command: &str, arguments: Value) -> Result<Value, Value> {
    client.request(
        "workspace/executeCommand",
        json!({ "command": command, "arguments": [arguments] }),
    )
}

#[test]
fn capabilities_are_stable() {
    let fixture = Fixture::new(&[("dvc.yaml", PIPELINE)]);
    let client = LspClient::start(fixture.path(), ClientOptions::default());
    insta::assert_json_snapshot!("initialize_result", client.initialize_result);
}

#[test]
fn check_command_reports_progress_and_answers_with_the_diagnostics() {
    let fixture = Fixture::new(&[("dvc.yaml", "stages:\n  s:\n    cmd: echo\n    outz: [a]\n")]);
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    let result = execute(&mut client, "retort.check", json!({})).expect("retort.check");
    assert_eq!(result["status"], json!("ok"));
    assert_eq!(result["data"]["errors"], json!(1));
    assert_eq!(
        result["data"]["diagnostics"][0]["code"],
        json!("unknown-key")
    );

    let create = client.wait_for("window/workDoneProgress/create", |_| true);
    let token = create["params"]["token"].clone();
    let begin = client.wait_for("$/progress", |params| {
        params["token"] == token && params["value"]["kind"] == json!("begin")
    });
    assert_eq!(
        begin["params"]["value"]["title"],
        json!("Checking pipelines")
    );
    assert_eq!(begin["params"]["value"]["cancellable"], json!(true));
    client.wait_for("$/progress", |params| {
        params["token"] == token && params["value"]["kind"] == json!("end")
    });
    client.wait_for("retort/progress", |params| {
        params["command"] == json!("retort.check") && params["kind"] == json!("end")
    });
    let shown = client.wait_for("window/showMessage", |_| true);
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap()
            .starts_with("1 errors and 0 warnings"),
        "{shown}"
    );
}

#[test]
fn exp_diff_compares_the_workspace_with_head() {
    let fixture = project();
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    let result = execute(&mut client, "retort.exp.diff", json!({})).expect("retort.exp.diff");
    assert_eq!(result["status"], json!("ok"));
    let data = &result["data"];
    assert_eq!(
        data["params"]["params.yaml"]["train.lr"],
        json!({ "old": 0.1, "new": 0.25, "diff": 0.15 })
    );
    assert_eq!(
        data["params"]["params.yaml"]["other"],
        json!({ "old": "x", "new": "y" })
    );
    assert!(
        data["params"]["params.yaml"].get("train.epochs").is_none(),
        "unchanged keys are left out"
    );
    assert_eq!(
        data["metrics"]["metrics.json"]["new"],
        json!({ "old": null, "new": 1 })
    );

    let all = execute(&mut client, "retort.exp.diff", json!({ "all": true })).unwrap();
    assert_eq!(
        all["data"]["params"]["params.yaml"]["train.layers"],
        json!({ "old": "[1, 2]", "new": "[1, 2]" })
    );
    assert_eq!(
        all["data"]["params"]["params.yaml"]["train.epochs"],
        json!({ "old": 10, "new": 10, "diff": 0 })
    );
}

/// `retort.exp.diff` gives what `dvc params diff --json` and `dvc metrics
/// diff --json` give on the same repository (compared as objects: DVC's key
/// order varies between runs).
#[test]
fn exp_diff_matches_dvc() {
    let Some(dvc) = dvc() else {
        return;
    };
    let fixture = project();
    let status = Command::new(&dvc)
        .args(["init", "-q", "--force"])
        .current_dir(fixture.path())
        .status()
        .unwrap();
    assert!(status.success());
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    for all in [false, true] {
        let result = execute(&mut client, "retort.exp.diff", json!({ "all": all })).unwrap();
        for (kind, section) in [("params", "params"), ("metrics", "metrics")] {
            let mut args = vec![kind, "diff", "--json"];
            if all {
                args.push("--all");
            }
            let output = Command::new(&dvc)
                .args(&args)
                .current_dir(fixture.path())
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "dvc {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let expected: Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(
                result["data"][section], expected,
                "{kind} diff (all: {all})"
            );
        }
    }
}

fn dvc() -> Option<String> {
    let found = std::env::var("RETORT_DVC").ok().or_else(|| {
        Command::new("dvc")
            .arg("--version")
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|_| "dvc".to_string())
    });
    if found.is_none() {
        assert!(
            std::env::var("RETORT_REQUIRE_DVC").as_deref() != Ok("1"),
            "DVC not found and RETORT_REQUIRE_DVC=1"
        );
        println!("skipped: DVC not found");
    }
    found
}

#[test]
fn commands_reject_unknown_ids_targets_and_arguments() {
    let fixture = project();
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    let error = execute(&mut client, "retort.nope", json!({})).unwrap_err();
    assert_eq!(error["code"], json!(-32602));
    let error = execute(
        &mut client,
        "retort.repro",
        json!({ "targets": ["missing"] }),
    )
    .unwrap_err();
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("'missing' is not a stage"),
        "{error}"
    );
    let error = execute(&mut client, "retort.repro", json!({ "target": "train" })).unwrap_err();
    assert!(
        error["message"].as_str().unwrap().contains("unknown field"),
        "{error}"
    );
    assert!(client.is_running());
}

#[test]
fn custom_requests_answer_experiments_and_plots() {
    let fixture = project();
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    let table = client.request("retort/experiments", json!({})).unwrap();
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows[0]["rev"], json!("workspace"));
    assert_eq!(rows[0]["params"]["params.yaml"]["train.lr"], json!(0.25));
    assert_eq!(rows[1]["name"], json!("HEAD"));
    assert_eq!(rows[1]["metrics"]["metrics.json"]["acc"], json!(0.5));
    // A git repository without experiments: the list is known and empty.
    assert_eq!(table["experiments_available"], json!(true));
    assert_eq!(rows.len(), 2);
    assert_eq!(table["exp_show"][0]["rev"], json!("workspace"));

    let plots = client
        .request("retort/plots", json!({ "revisions": ["HEAD"] }))
        .unwrap();
    assert_eq!(plots["revisions"], json!(["HEAD"]));
    assert_eq!(plots["available"], json!(true));
    assert!(plots["data"].is_object(), "{plots}");
}

#[test]
fn bad_requests_get_errors_and_the_server_keeps_running() {
    let fixture = project();
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    let error = client
        .request("textDocument/hover", json!({ "nonsense": true }))
        .unwrap_err();
    assert_eq!(error["code"], json!(-32602));
    // A document outside the project, and positions past the end of a file.
    let outside = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///elsewhere/dvc.yaml" }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(outside, Ok(Value::Null));
    client.open("dvc.yaml", PIPELINE);
    client.at("textDocument/hover", "dvc.yaml", 999, 999);
    client.at("textDocument/completion", "dvc.yaml", 999, 999);
    assert!(client.is_running());
    assert!(client.shutdown().success());
}

fn utf16_position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    (line, before[line_start..].encode_utf16().count() as u32)
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

const PIECES: &[&str] = &[
    "",
    "x",
    "${",
    "}",
    ":",
    " ",
    "\n",
    "\r\n",
    "- ",
    "  ",
    "é",
    "𝄞",
    "[",
    "{",
    "train.lr",
    "cmd: ",
    "stages:\n",
    "\t",
    "'",
    "${item}",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random edits (including multi-byte characters, CRLF and half-typed
    /// syntax) never crash the server: it keeps answering, and its final
    /// diagnostics are for the final version.
    #[test]
    fn random_edits_never_crash_the_server(edits in prop::collection::vec((0usize..2000, 0usize..8, 0usize..PIECES.len()), 1..25)) {
        let fixture = Fixture::new(&[("dvc.yaml", PIPELINE), ("params.yaml", "train:\n  lr: 0.1\n")]);
        let mut client = LspClient::start(fixture.path(), ClientOptions::default());
        let mut text = PIPELINE.to_string();
        client.open("dvc.yaml", &text);
        let mut version = 1;
        for (at, length, piece) in edits {
            let start = floor_boundary(&text, at % (text.len() + 1));
            let end = floor_boundary(&text, start + length);
            let (start_position, end_position) = (utf16_position(&text, start), utf16_position(&text, end));
            text.replace_range(start..end, PIECES[piece]);
            version += 1;
            client.change(
                "dvc.yaml",
                version,
                retort_tests::lsp::range(start_position, end_position),
                PIECES[piece],
            );
            let (line, character) = utf16_position(&text, floor_boundary(&text, at % (text.len() + 1)));
            let hover = client.request(
                "textDocument/hover",
                json!({ "textDocument": { "uri": client.uri("dvc.yaml") }, "position": { "line": line, "character": character } }),
            );
            prop_assert!(hover.is_ok(), "hover failed: {:?}", hover);
        }
        let uri = client.uri("dvc.yaml");
        client.wait_for("textDocument/publishDiagnostics", |params| {
            params["uri"] == json!(uri) && params["version"] == json!(version)
        });
        // The server's text matches ours: the pipeline it checks has the
        // stages that the final text has, when that text parses.
        let symbols = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
        prop_assert!(symbols.is_ok());
        prop_assert!(client.is_running());
        let _ = Path::new(".");
    }
}

#[test]
fn repeated_stdio_flag_still_starts() {
    use std::io::{BufRead, BufReader, Read, Write};
    let fixture = Fixture::new(&[("dvc.yaml", "stages: {}\n")]);
    let mut child = std::process::Command::new(retort_tests::lsp::retort_binary())
        .args(["lsp", "--stdio", "--stdio"])
        .current_dir(fixture.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start retort lsp");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut send = |body: &str| {
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    };
    send(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#);
    let mut header = String::new();
    stdout.read_line(&mut header).unwrap();
    let length: usize = header
        .trim()
        .strip_prefix("Content-Length: ")
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("not a header: {header:?}"));
    stdout.read_line(&mut String::new()).unwrap();
    let mut body = vec![0; length];
    stdout.read_exact(&mut body).unwrap();
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert!(answer["result"]["capabilities"].is_object(), "{answer}");
    send(r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#);
    send(r#"{"jsonrpc":"2.0","method":"exit"}"#);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}
