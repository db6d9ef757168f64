//! Commands that run the engine inside `retort lsp`: `retort.exp.run`
//! records an experiment under `refs/exps`, `retort.repro` runs stages and
//! fills the run-cache, `retort.runCache.checkout` restores a cached run
//! without running it, a long stage can be cancelled, and hovers and lenses
//! show what the runs left behind.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use retort_tests::lsp::{git, retort_binary, ClientOptions, Fixture, LspClient};
use serde_json::{json, Value};

/// `train` reads `train.lr`, appends a line to `runs.log` each time its
/// command really runs, and writes a cached model and an uncached metrics
/// file whose value depends on the param.
const PIPELINE: &str = "\
stages:
  train:
    cmd: >-
      echo training &&
      echo run >> runs.log &&
      echo model > model.txt &&
      printf '{\"acc\": %s}' \"$(grep lr: params.yaml | cut -d: -f2 | tr -d ' ')\" > metrics.json
    params:
      - train.lr
    outs:
      - model.txt
    metrics:
      - metrics.json:
          cache: false
  slow:
    cmd: echo starting && sleep 30 && echo done > slow.txt
    outs:
      - slow.txt
";

fn project() -> Fixture {
    let fixture = Fixture::new(&[
        ("dvc.yaml", PIPELINE),
        ("params.yaml", "train:\n  lr: 0.1\n"),
        (".dvc/.gitignore", "/config.local\n/tmp\n/cache\n"),
        (".gitignore", "/model.txt\n/slow.txt\n/runs.log\n"),
    ]);
    // Experiments are commits; they need an author.
    git(fixture.path(), &["config", "user.name", "Retort Tests"]);
    git(
        fixture.path(),
        &["config", "user.email", "tests@retort.invalid"],
    );
    fixture
}

fn execute(client: &mut LspClient, command: &str, arguments: Value) -> Value {
    client
        .request(
            "workspace/executeCommand",
            json!({ "command": command, "arguments": [arguments] }),
        )
        .unwrap_or_else(|error| panic!("{command} failed: {error}"))
}

fn exp_refs(root: &Path) -> Vec<String> {
    let output = Command::new("git")
        .args(["for-each-ref", "--format=%(refname)", "refs/exps"])
        .current_dir(root)
        .output()
        .expect("run git for-each-ref");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn runs(root: &Path) -> usize {
    std::fs::read_to_string(root.join("runs.log"))
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

/// The zero-based line and column of the first `needle` in `text`, moved
/// right by `shift` characters.
fn position_of(text: &str, needle: &str, shift: u32) -> (u32, u32) {
    let offset = text.find(needle).expect("needle in text");
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let column = before[before.rfind('\n').map_or(0, |index| index + 1)..]
        .encode_utf16()
        .count() as u32;
    (line, column + shift)
}

fn hover(client: &mut LspClient, needle: &str, shift: u32) -> String {
    let (line, column) = position_of(PIPELINE, needle, shift);
    let answer = client.at("textDocument/hover", "dvc.yaml", line, column);
    answer["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn exp_run_records_the_experiment_with_progress_and_hovers_show_it() {
    let fixture = project();
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open("dvc.yaml", PIPELINE);

    let result = execute(
        &mut client,
        "retort.exp.run",
        json!({ "targets": ["train"], "set": ["train.lr=0.5"], "experiment": "lsp-exp" }),
    );
    assert_eq!(result["status"], json!("ok"), "{result}");
    assert_eq!(result["data"]["name"], json!("lsp-exp"));
    let reference = result["data"]["ref"].as_str().unwrap().to_string();
    assert!(reference.starts_with("refs/exps/"), "{reference}");
    assert!(reference.ends_with("/lsp-exp"), "{reference}");
    assert_eq!(exp_refs(fixture.path()), vec![reference]);
    assert_eq!(
        std::fs::read_to_string(fixture.path().join("metrics.json")).unwrap(),
        "{\"acc\": 0.5}"
    );

    // Progress: the client's token was created, then begin, stage reports
    // and end, and the same steps as `retort/progress`.
    let create = client.wait_for("window/workDoneProgress/create", |_| true);
    let token = create["params"]["token"].clone();
    client.wait_for("$/progress", |params| {
        params["token"] == token && params["value"]["kind"] == json!("begin")
    });
    client.wait_for("$/progress", |params| {
        params["token"] == token && params["value"]["message"] == json!("Running stage 'train'")
    });
    client.wait_for("$/progress", |params| {
        params["token"] == token && params["value"]["message"] == json!("training")
    });
    client.wait_for("$/progress", |params| {
        params["token"] == token && params["value"]["kind"] == json!("end")
    });
    client.wait_for("retort/progress", |params| {
        params["kind"] == json!("stage-started") && params["stage"] == json!("train")
    });
    client.wait_for("retort/progress", |params| {
        params["kind"] == json!("stage-finished") && params["stage"] == json!("train")
    });
    let shown = client.wait_for("window/showMessage", |_| true);
    assert_eq!(shown["params"]["type"], json!(3), "{shown}");
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap()
            .contains("Ran experiment 'lsp-exp'"),
        "{shown}"
    );

    // Hovers show the experiment's param and metric values.
    let text = hover(&mut client, "train.lr", 2);
    assert!(text.contains("| exp `lsp-exp` | `0.5` |"), "{text}");
    let text = hover(&mut client, "train:", 1);
    assert!(
        text.contains("Latest experiment `lsp-exp`: `acc` = `0.5`"),
        "{text}"
    );

    // The experiments table lists it, as `exp show --json` does.
    let table = client.request("retort/experiments", json!({})).unwrap();
    let rows = table["rows"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|row| row["name"] == json!("lsp-exp"))
        .unwrap_or_else(|| panic!("no experiment row: {table}"));
    assert_eq!(row["params"]["params.yaml"]["train.lr"], json!(0.5));
    assert_eq!(row["metrics"]["metrics.json"]["acc"], json!(0.5));
    assert_eq!(row["state"], json!("success"));
    let experiments = &table["exp_show"][1]["experiments"];
    assert_eq!(experiments[0]["name"], json!("lsp-exp"), "{table}");

    // An experiment made outside the editor shows up too: the server
    // watches the experiment refs.
    let status = Command::new(retort_binary())
        .args(["exp", "run", "-S", "train.lr=0.7", "-n", "cli-exp", "train"])
        .current_dir(fixture.path())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run retort exp run");
    assert!(status.success());
    let text = wait_for_hover(&mut client, "train.lr", 2, "| exp `cli-exp` | `0.7` |");
    assert!(text.contains("| exp `lsp-exp` | `0.5` |"), "{text}");
    assert!(client.shutdown().success());
}

#[test]
fn repro_fills_the_run_cache_and_checkout_restores_without_running() {
    let fixture = project();
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open("dvc.yaml", PIPELINE);

    let result = execute(&mut client, "retort.repro", json!({ "targets": ["train"] }));
    assert_eq!(result["status"], json!("ok"), "{result}");
    assert_eq!(result["data"]["stages"][0]["result"], json!("ran"));
    assert_eq!(runs(fixture.path()), 1);
    assert!(fixture.path().join("dvc.lock").exists());
    let text = hover(&mut client, "train:", 1);
    assert!(text.contains("Status of `train`: up to date"), "{text}");
    assert!(text.contains("`train` has 1 cached runs"), "{text}");

    let result = execute(
        &mut client,
        "retort.status",
        json!({ "targets": ["train"] }),
    );
    assert_eq!(result["data"], json!({}), "{result}");
    let result = execute(&mut client, "retort.repro", json!({ "targets": ["train"] }));
    assert_eq!(
        result["message"],
        json!("Data and pipelines are up to date.")
    );
    assert_eq!(runs(fixture.path()), 1);

    // Another value runs again; going back finds the first run cached.
    fixture.write("params.yaml", "train:\n  lr: 0.3\n");
    let text = wait_for_hover(&mut client, "train:", 1, "`train.lr` modified");
    assert!(text.contains("`train` has 0 cached runs"), "{text}");
    execute(&mut client, "retort.repro", json!({ "targets": ["train"] }));
    assert_eq!(runs(fixture.path()), 2);
    fixture.write("params.yaml", "train:\n  lr: 0.1\n");
    wait_for_hover(&mut client, "train:", 1, "`train` has 1 cached runs");
    let lenses = client
        .request(
            "textDocument/codeLens",
            json!({ "textDocument": { "uri": client.uri("dvc.yaml") } }),
        )
        .unwrap();
    let lens = lenses
        .as_array()
        .unwrap()
        .iter()
        .find(|lens| lens["command"]["command"] == json!("retort.runCache.checkout"))
        .unwrap_or_else(|| panic!("no run-cache lens: {lenses}"))
        .clone();
    assert_eq!(lens["command"]["title"], json!("1 cached runs"));

    let result = execute(
        &mut client,
        "retort.runCache.checkout",
        lens["command"]["arguments"][0].clone(),
    );
    assert_eq!(result["status"], json!("ok"), "{result}");
    assert_eq!(result["data"]["stages"][0]["result"], json!("restored"));
    assert_eq!(runs(fixture.path()), 2, "the command must not run again");
    assert_eq!(
        std::fs::read_to_string(fixture.path().join("metrics.json")).unwrap(),
        "{\"acc\": 0.1}"
    );
    client.wait_for("retort/progress", |params| {
        params["command"] == json!("retort.runCache.checkout")
            && params["kind"] == json!("stage-restored")
    });

    // Nothing cached for a value never run.
    fixture.write("params.yaml", "train:\n  lr: 0.9\n");
    wait_for_hover(&mut client, "train:", 1, "`train` has 0 cached runs");
    let result = execute(
        &mut client,
        "retort.runCache.checkout",
        json!({ "targets": ["train"] }),
    );
    assert_eq!(result["status"], json!("failed"), "{result}");
    assert!(
        result["message"]
            .as_str()
            .unwrap()
            .contains("no cached run"),
        "{result}"
    );
}

/// Hovers until the text contains `expected`: changes on disk reach the
/// server through its file watcher.
fn wait_for_hover(client: &mut LspClient, needle: &str, shift: u32, expected: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = hover(client, needle, shift);
        if text.contains(expected) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "the hover never showed '{expected}': {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn cancel_long_stage_by_token_and_request() {
    let fixture = project();
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());

    // window/workDoneProgress/cancel with the client's own token.
    let started = Instant::now();
    let id = client.start_request(
        "workspace/executeCommand",
        json!({
            "command": "retort.repro",
            "arguments": [{ "targets": ["slow"] }],
            "workDoneToken": "slow-run",
        }),
    );
    client.wait_for("retort/progress", |params| {
        params["kind"] == json!("stage-started") && params["stage"] == json!("slow")
    });
    client.notify(
        "window/workDoneProgress/cancel",
        json!({ "token": "slow-run" }),
    );
    let result = client
        .response(id)
        .expect("a cancelled command still answers");
    assert_eq!(result["status"], json!("cancelled"), "{result}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!fixture.path().join("slow.txt").exists());
    let shown = client.wait_for("window/showMessage", |_| true);
    assert!(shown["params"]["message"]
        .as_str()
        .unwrap()
        .contains("cancelled"));

    // $/cancelRequest on the request: the job stops and releases the
    // project lock, so the next run can start.
    let id = client.start_request(
        "workspace/executeCommand",
        json!({ "command": "retort.repro", "arguments": [{ "targets": ["slow"] }] }),
    );
    client.wait_for("retort/progress", |params| {
        params["kind"] == json!("stage-started") && params["stage"] == json!("slow")
    });
    let cancelled_at = Instant::now();
    client.notify("$/cancelRequest", json!({ "id": id }));
    let error = client.response(id).expect_err("a cancelled request");
    assert_eq!(error["code"], json!(-32800), "{error}");
    let result = loop {
        let result = execute(&mut client, "retort.repro", json!({ "targets": ["train"] }));
        if result["status"] == json!("ok") || cancelled_at.elapsed() > Duration::from_secs(15) {
            break result;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(result["status"], json!("ok"), "{result}");
    assert!(!fixture.path().join("slow.txt").exists());
}

#[test]
fn queue_branch_apply_and_remove_experiments() {
    let fixture = project();
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());

    // A sweep queues one experiment per value; the queue runs in-process.
    let result = execute(
        &mut client,
        "retort.exp.queue",
        json!({ "targets": ["train"], "set": ["train.lr=0.2,0.4"], "experiment": "sweep" }),
    );
    assert_eq!(result["status"], json!("ok"), "{result}");
    let queued = result["data"]["queued"].as_array().unwrap().clone();
    assert_eq!(queued.len(), 2, "{result}");
    let table = client.request("retort/experiments", json!({})).unwrap();
    let states: Vec<&Value> = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row.get("state"))
        .collect();
    assert_eq!(states, vec![&json!("queued"), &json!("queued")], "{table}");

    let result = execute(&mut client, "retort.queue.start", json!({}));
    assert_eq!(result["status"], json!("ok"), "{result}");
    let ran = result["data"]["experiments"].as_array().unwrap();
    assert_eq!(ran.len(), 2, "{result}");
    assert!(
        ran.iter().all(|entry| entry["status"] == json!("success")),
        "{result}"
    );
    assert_eq!(exp_refs(fixture.path()).len(), 2);
    // Queued runs happen in temporary directories: the workspace is as it was.
    assert_eq!(runs(fixture.path()), 0);

    // Branch, apply and remove by name.
    let name = queued[0]["name"].as_str().unwrap().to_string();
    let result = execute(
        &mut client,
        "retort.exp.branch",
        json!({ "experiment": name, "branch": "from-lsp" }),
    );
    assert_eq!(result["status"], json!("ok"), "{result}");
    let branches = Command::new("git")
        .args(["branch", "--list", "from-lsp"])
        .current_dir(fixture.path())
        .output()
        .unwrap();
    assert!(!branches.stdout.is_empty());

    let result = execute(
        &mut client,
        "retort.exp.apply",
        json!({ "experiment": name }),
    );
    assert_eq!(result["status"], json!("ok"), "{result}");
    let params = std::fs::read_to_string(fixture.path().join("params.yaml")).unwrap();
    assert!(
        params.contains("lr: 0.2") || params.contains("lr: 0.4"),
        "{params}"
    );

    // A local edit makes apply refuse, and `force` overwrites it.
    std::fs::write(fixture.path().join("params.yaml"), "train:\n  lr: 0.9\n").unwrap();
    let result = execute(
        &mut client,
        "retort.exp.apply",
        json!({ "experiment": name }),
    );
    assert_eq!(result["status"], json!("failed"), "{result}");
    assert!(
        result["message"]
            .as_str()
            .unwrap_or_default()
            .contains("uncommitted changes"),
        "{result}"
    );
    let result = execute(
        &mut client,
        "retort.exp.apply",
        json!({ "experiment": name, "force": true }),
    );
    assert_eq!(result["status"], json!("ok"), "{result}");
    let params = std::fs::read_to_string(fixture.path().join("params.yaml")).unwrap();
    assert!(!params.contains("lr: 0.9"), "{params}");

    let result = execute(
        &mut client,
        "retort.exp.remove",
        json!({ "experiment": name }),
    );
    assert_eq!(result["status"], json!("ok"), "{result}");
    assert_eq!(result["data"]["removed"], json!([name]));
    let left = exp_refs(fixture.path());
    assert_eq!(
        left.iter()
            .filter(|reference| reference.ends_with(&format!("/{name}")))
            .count(),
        0,
        "{left:?}"
    );

    let error = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "retort.exp.apply", "arguments": [{}] }),
        )
        .unwrap_err();
    assert_eq!(error["code"], json!(-32602), "{error}");
}
