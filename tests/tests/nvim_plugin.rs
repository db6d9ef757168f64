//! The Neovim plugin (`editors/nvim`) in a real headless Neovim against the
//! real `retort lsp`, on fixture git repositories. The tests cover diagnostics
//! of a broken `dvc.yaml` on the right line, hovers with a param's value, the
//! lens and `:RetortExpRun` that run an experiment, the commands that branch
//! and remove experiments, and the views and health check.
//!
//! Each test runs one Lua script from `editors/nvim/tests`, which drives the
//! editor and writes what it saw as JSON; the assertions are here. Neovim is
//! `RETORT_NVIM` or `nvim` on PATH; without it the tests print why and pass,
//! unless `RETORT_REQUIRE_EDITORS=1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use retort_tests::lsp::Fixture;
use retort_tests::{repo_root, retort_bin};
use serde_json::Value;

fn nvim() -> Option<PathBuf> {
    let candidate = std::env::var_os("RETORT_NVIM").unwrap_or_else(|| "nvim".into());
    let found = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if found {
        return Some(PathBuf::from(candidate));
    }
    let reason = format!(
        "Neovim was not found as '{}' (install the neovim package, or set RETORT_NVIM)",
        candidate.to_string_lossy()
    );
    if std::env::var("RETORT_REQUIRE_EDITORS").as_deref() == Ok("1") {
        panic!("{reason}; RETORT_REQUIRE_EDITORS=1 makes this a failure");
    }
    eprintln!("skipped: {reason}");
    None
}

/// Opens `file` of `project` in headless Neovim with the plugin, runs the test
/// script `script` and returns the JSON it wrote.
fn run_script(nvim: &Path, project: &Path, file: &str, script: &str) -> Value {
    let plugin = repo_root().join("editors/nvim");
    let scripts = plugin.join("tests");
    // Outside the project, so that no run takes them for workspace files.
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("result.json");
    // Neovim's own messages go to a log, shown only when the script fails.
    let log_path = scratch.path().join("nvim.log");
    let log = std::fs::File::create(&log_path).expect("create the Neovim log");
    let mut child = Command::new(nvim)
        .args(["--headless", "--clean", "--cmd"])
        .arg(format!("set rtp^={}", plugin.display()))
        .arg(file)
        .arg("-c")
        .arg(format!("luafile {}", scripts.join(script).display()))
        .current_dir(project)
        .env("RETORT_BIN", retort_bin())
        .env("RETORT_NVIM_TESTS", &scripts)
        .env("RETORT_TEST_OUT", &out)
        .env("DVC_NO_ANALYTICS", "1")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().expect("share the log"))
        .stderr(log)
        .spawn()
        .expect("start nvim");

    // Each script has its own timeouts; this one only guards against a hang
    // outside them.
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for nvim") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{script}: nvim did not exit within 300 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };

    let messages = std::fs::read_to_string(&log_path).unwrap_or_default();
    let written = std::fs::read_to_string(&out).unwrap_or_else(|error| {
        panic!(
            "{script}: no result at {} ({error}); Neovim said:\n{messages}",
            out.display()
        )
    });
    let result: Value = serde_json::from_str(&written).expect("result JSON");
    assert!(
        status.success() && result.get("error").is_none(),
        "{script} failed ({status}): {}\nNeovim said:\n{messages}",
        result["error"]
    );
    eprintln!("{script}: Neovim {}", result["nvim"]);
    result
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("fixture has no line with {needle}")) as u64
}

const BROKEN_PIPELINE: &str = "\
stages:
  train:
    cmd: python3 train.py
    deps:
      - train.py
    params:
      - train.lr
    outz:
      - model.pkl
";

#[test]
fn broken_pipeline_diagnostics_on_their_line() {
    let Some(nvim) = nvim() else { return };
    let fixture = Fixture::new(&[
        ("dvc.yaml", BROKEN_PIPELINE),
        ("params.yaml", "train:\n  lr: 0.1\n"),
        ("dvc.lock", "schema: '2.0'\nstages: {}\n"),
        ("train.py", "print('train')\n"),
    ]);
    let result = run_script(&nvim, fixture.path(), "dvc.yaml", "diagnostics.lua");

    let diagnostics = result["diagnostics"].as_array().unwrap();
    let expected_line = line_of(BROKEN_PIPELINE, "outz:");
    let on_line: Vec<&Value> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic["lnum"].as_u64() == Some(expected_line))
        .collect();
    assert!(
        on_line
            .iter()
            .any(|diagnostic| diagnostic["message"].as_str().unwrap().contains("'outz'")),
        "no diagnostic about 'outz' on line {expected_line}: {diagnostics:?}"
    );
    assert_eq!(on_line[0]["col"], 4, "the column of the key");
    // On 0.7 the plugin must take the start_client path; newer versions take
    // vim.lsp.start or vim.lsp.enable.
    let api = result["api"].as_str().unwrap();
    let version = result["nvim"].as_str().unwrap();
    if version.starts_with("0.7.") {
        assert_eq!(api, "start_client");
    } else {
        assert!(api == "start" || api == "enable", "{api} on {version}");
    }
    // dvc.lock is YAML to Neovim and shares the project's one server.
    assert_eq!(result["lock_filetype"], "yaml");
    assert_eq!(result["one_client"], true);
    assert_eq!(
        Path::new(result["root"].as_str().unwrap())
            .canonicalize()
            .unwrap(),
        fixture.path().canonicalize().unwrap()
    );
}

#[test]
fn hover_shows_param_value() {
    let Some(nvim) = nvim() else { return };
    let fixture = Fixture::new(&[
        (
            "dvc.yaml",
            "stages:\n  train:\n    cmd: python3 train.py\n    params:\n      - train.lr\n",
        ),
        ("params.yaml", "train:\n  lr: 0.125\n"),
    ]);
    let result = run_script(&nvim, fixture.path(), "dvc.yaml", "hover.lua");

    for field in ["pipeline_hover", "params_hover"] {
        let hover = result[field].as_str().unwrap();
        assert!(hover.contains("train.lr"), "{field}: {hover}");
        assert!(hover.contains("0.125"), "{field}: {hover}");
    }
    let lenses: Vec<&str> = result["params_lenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|title| title.as_str().unwrap())
        .collect();
    assert!(lenses.contains(&"Run experiment"), "{lenses:?}");
}

const PIPELINE: &str = "\
stages:
  train:
    cmd: python3 train.py
    deps:
      - train.py
    params:
      - train.lr
    metrics:
      - metrics.json:
          cache: false
";

const TRAIN: &str = "\
import json, re
text = open('params.yaml').read()
lr = float(re.search(r'lr:\\s*([0-9.eE+-]+)', text).group(1))
json.dump({'loss': 1.0 - lr}, open('metrics.json', 'w'))
";

fn experiment_refs(project: &Path) -> Vec<String> {
    let output = Command::new("git")
        .args(["for-each-ref", "--format=%(refname)", "refs/exps"])
        .current_dir(project)
        .output()
        .expect("run git for-each-ref");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn run_lens_and_command_create_experiments() {
    let Some(nvim) = nvim() else { return };
    let fixture = Fixture::new(&[
        ("dvc.yaml", PIPELINE),
        ("params.yaml", "train:\n  lr: 0.1\n"),
        ("train.py", TRAIN),
    ]);
    let result = run_script(&nvim, fixture.path(), "dvc.yaml", "lens.lua");

    let lenses: Vec<&str> = result["lenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|title| title.as_str().unwrap())
        .collect();
    assert!(lenses.contains(&"Run experiment"), "{lenses:?}");
    // Progress reached the statusline function while the command ran.
    assert!(result["progress_events"].as_u64().unwrap() > 0);
    assert!(
        result["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|status| status.as_str().unwrap().starts_with("retort exp.run: ")),
        "{}",
        result["statuses"]
    );

    let lens = &result["from_lens"];
    let command = &result["from_command"];
    for outcome in [lens, command] {
        assert_eq!(outcome["command"], "retort.exp.run");
        assert!(outcome["error"].is_null(), "{outcome}");
    }
    assert_eq!(lens["result"]["status"], "ok", "{lens}");
    assert_eq!(command["result"]["status"], "ok", "{command}");
    let first = lens["result"]["data"]["name"].as_str().unwrap();
    let second = command["result"]["data"]["name"].as_str().unwrap();
    assert_ne!(first, second, "one experiment per run");

    // The override of `:RetortExpRun train.lr=0.3` is in the experiment.
    let second_ref = command["result"]["data"]["ref"].as_str().unwrap();
    let second_commit = command["result"]["data"]["commit"].as_str().unwrap();
    let params = Command::new("git")
        .args(["show", &format!("{second_commit}:params.yaml")])
        .current_dir(fixture.path())
        .output()
        .expect("run git show");
    let params = String::from_utf8_lossy(&params.stdout);
    assert!(params.contains("lr: 0.3"), "{params}");

    // :RetortExpBranch made a branch of the second, and :RetortExpRemove
    // removed the first, which left only the second's ref.
    assert_eq!(
        result["branch"]["result"]["status"], "ok",
        "{}",
        result["branch"]
    );
    assert_eq!(
        result["remove"]["result"]["status"], "ok",
        "{}",
        result["remove"]
    );
    let branch = Command::new("git")
        .args(["rev-parse", "--verify", "--quiet", "refs/heads/from-neovim"])
        .current_dir(fixture.path())
        .output()
        .expect("run git rev-parse");
    assert!(
        branch.status.success(),
        "the branch 'from-neovim' is missing"
    );
    assert_eq!(result["refs_after_remove"], serde_json::json!([second_ref]));

    // `x` in the experiments table removed the second one too.
    let table_remove = &result["table_remove"];
    assert_eq!(table_remove["command"], "retort.exp.remove");
    assert_eq!(table_remove["result"]["status"], "ok", "{table_remove}");
    assert!(experiment_refs(fixture.path()).is_empty());
}

#[test]
fn views_show_table_diff_and_health() {
    let Some(nvim) = nvim() else { return };
    let fixture = Fixture::new(&[
        ("dvc.yaml", PIPELINE),
        ("params.yaml", "train:\n  lr: 0.1\n"),
        ("metrics.json", "{\"loss\": 0.9}\n"),
        ("train.py", TRAIN),
    ]);
    fixture.write("params.yaml", "train:\n  lr: 0.25\n");
    let result = run_script(&nvim, fixture.path(), "dvc.yaml", "views.lua");

    let lines = |field: &str| -> Vec<String> {
        result[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| line.as_str().unwrap().to_string())
            .collect()
    };
    let table = lines("experiments");
    let words = |line: &str| -> Vec<String> { line.split_whitespace().map(String::from).collect() };
    assert_eq!(
        words(&table[0]),
        ["Experiment", "loss", "train.lr"],
        "{table:?}"
    );
    assert_eq!(words(&table[1]), ["workspace", "0.9", "0.25"], "{table:?}");
    assert_eq!(words(&table[2]), ["HEAD", "0.9", "0.1"], "{table:?}");
    assert_eq!(result["experiments_in_window"], true);

    let diff = lines("diff");
    assert!(
        diff.iter()
            .any(|line| words(line) == ["params.yaml", "train.lr", "0.1", "0.25", "0.15"]),
        "{diff:?}"
    );

    assert_eq!(
        result["diff_in_float"], true,
        "view = 'float' opens a float"
    );

    let health = lines("health").join("\n");
    assert!(health.contains("OK: retort "), "{health}");
    assert!(health.contains("setup() ran"), "{health}");
    assert!(!health.contains("ERROR"), "{health}");

    let commands = lines("commands");
    for name in [
        "RetortExpRun",
        "RetortExpQueue",
        "RetortQueueStart",
        "RetortExpShow",
        "RetortExpApply",
        "RetortExpBranch",
        "RetortExpRemove",
        "RetortDiff",
        "RetortExpDiff",
        "RetortQueue",
    ] {
        assert!(
            commands.iter().any(|defined| defined == name),
            "{name}: {commands:?}"
        );
    }
}

#[test]
fn units_parse_render_and_match() {
    let Some(nvim) = nvim() else { return };
    let fixture = Fixture::new(&[("dvc.yaml", PIPELINE)]);
    std::fs::create_dir_all(fixture.path().join("sub/deeper")).unwrap();
    let result = run_script(&nvim, fixture.path(), "dvc.yaml", "units.lua");

    // Stage names become targets, key=value and -S become overrides, and
    // nothing gives an empty object.
    let parsed = result["parsed"].as_array().unwrap();
    assert_eq!(parsed[0], serde_json::json!({}));
    assert_eq!(parsed[1], serde_json::json!({ "targets": ["train"] }));
    assert_eq!(
        parsed[2],
        serde_json::json!({ "targets": ["evaluate"], "set": ["train.lr=0.2"] })
    );
    assert_eq!(
        parsed[3],
        serde_json::json!({ "set": ["train.lr=0.2", "epochs=3"] })
    );
    assert_eq!(result["missing"]["ok"], false);
    assert!(result["missing"]["error"]
        .as_str()
        .unwrap()
        .contains("-S needs a key=value"));

    // Extra fields become columns and commits are shortened. With two params
    // files each params column names its file, while the one metrics file
    // goes unnamed.
    let table: Vec<Vec<&str>> = result["table"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap().split_whitespace().collect())
        .collect();
    assert_eq!(
        table[0],
        [
            "Experiment",
            "baseline",
            "state",
            "acc",
            "eval.yaml:threshold",
            "params.yaml:lr"
        ]
    );
    assert_eq!(table[1], ["workspace", "-", "-", "0.875", "3", "0.5"]);
    assert_eq!(
        table[2],
        ["quick-fox", "bbbbbbb", "failed", "-", "-", "0.25"]
    );
    assert_eq!(table.len(), 3, "no note when experiments are available");

    assert_eq!(
        result["empty_diff"],
        serde_json::json!(["No params or metrics changed since HEAD."])
    );
    assert_eq!(result["served"], serde_json::json!([true, true, false]));
    assert_eq!(
        Path::new(result["root_of_nested"].as_str().unwrap())
            .canonicalize()
            .unwrap(),
        fixture.path().canonicalize().unwrap()
    );
}
