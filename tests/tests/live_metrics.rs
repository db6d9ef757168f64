//! Live metrics from a stage script that uses the real dvclive package, and
//! from the digits example that writes the same files by hand. Their values
//! show while they run: in the CLI's log lines (stderr is not a terminal here), through
//! the engine's events, in `exp show` and in `queue status`.

mod exp_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use exp_support::{json, Repo};
use retort_engine::repro::{CancelToken, Event, ReproOptions, Workspace};

/// One `Event::LiveMetrics`: stage, experiment, step and values.
type LiveEvent = (
    String,
    Option<String>,
    Option<u64>,
    Vec<(String, serde_json::Value)>,
);

/// Returns the python of the venv that contains DVC (and dvclive).
fn python_next_to(dvc: &Path) -> PathBuf {
    dvc.parent().expect("dvc's directory").join("python")
}

/// Builds a dvclive script: `STEPS` steps, `PAUSE` seconds apart, logging `acc`
/// and the nested `train/loss`.
fn dvclive_script(steps: u32, pause: f64) -> String {
    format!(
        r#"import time
from dvclive import Live
with Live() as live:
    for step in range({steps}):
        live.log_metric("acc", 0.5 + step / 10)
        live.log_metric("train/loss", 1.0 / (step + 1))
        live.next_step()
        time.sleep({pause})
"#
    )
}

/// Creates a project whose `train` stage runs a dvclive script with `python`.
fn dvclive_project(dvc: &Path, script: &str) -> Repo {
    let repo = Repo::git_only();
    let mut repo = repo;
    repo.dvc = Some(dvc.to_path_buf());
    repo.run_dvc(&["init", "-q"]);
    repo.write("train.py", script);
    let python = python_next_to(dvc);
    repo.write(
        "dvc.yaml",
        &format!(
            "stages:\n  train:\n    cmd: {} train.py\n    deps:\n      - train.py\n    outs:\n      - dvclive:\n          cache: false\n",
            python.display()
        ),
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "baseline"]);
    repo
}

/// Checks that the readings are the expected ones in order, ending with the
/// last. The steps are 0.5 s apart and the files are read every 0.2 s, so
/// each step is normally seen, but a machine too busy to poll in time may
/// merge two steps into one reading.
fn assert_readings<T: PartialEq + std::fmt::Debug>(seen: &[T], expected: &[T]) {
    assert_eq!(seen.last(), expected.last(), "{seen:?}");
    assert!(seen.len() >= expected.len().min(2), "{seen:?}");
    let mut position = 0;
    for reading in seen {
        let found = expected[position..]
            .iter()
            .position(|candidate| candidate == reading);
        let offset = found.unwrap_or_else(|| panic!("{reading:?} out of order in {seen:?}"));
        position += offset + 1;
    }
}

/// Returns the `step N: ...` lines a run printed.
fn step_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.starts_with("step "))
        .collect()
}

#[test]
fn dvclive_values_print_as_log_lines() {
    let Some(dvc) = exp_support::dvc() else {
        return;
    };
    let repo = dvclive_project(&dvc, &dvclive_script(3, 0.5));
    let output = repo.retort_output(&["exp", "run", "-n", "live-1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_readings(
        &step_lines(&stderr),
        &[
            "step 0: acc=0.5 train.loss=1",
            "step 1: acc=0.6 train.loss=0.5",
            "step 2: acc=0.7 train.loss=0.33333",
        ],
    );
    // The last line agrees with the file dvclive left.
    let summary = json(&repo.read("dvclive/metrics.json"));
    assert_eq!(summary["step"], 2);
    assert_eq!(summary["acc"], 0.7);
    // Without a checkpoint output, dvclive's steps make no checkpoints.
    let (_, sha) = repo.exp("live-1");
    let parents = repo.git(&["rev-list", "--count", &sha, &format!("^{}", repo.head())]);
    assert_eq!(parents.trim(), "1");
    // The status file of the workspace run is gone once it ended.
    assert!(!repo
        .path()
        .join(".dvc/tmp/exps/run/workspace/live.json")
        .exists());
}

#[test]
fn engine_events_carry_the_step_and_values() {
    let Some(dvc) = exp_support::dvc() else {
        return;
    };
    let repo = dvclive_project(&dvc, &dvclive_script(3, 0.5));
    let root = retort_engine::project::discover(repo.path()).expect("project");
    let mut workspace = Workspace::open(root).expect("workspace");
    let seen: Mutex<Vec<LiveEvent>> = Mutex::new(Vec::new());
    let sink = |event: Event| {
        if let Event::LiveMetrics {
            stage,
            experiment,
            step,
            metrics,
        } = event
        {
            seen.lock()
                .unwrap()
                .push((stage, experiment, step, metrics));
        }
    };
    let options = retort_engine::exp::run::ExpRunOptions {
        name: Some("events".into()),
        repro: ReproOptions::default(),
        ..Default::default()
    };
    retort_engine::exp::run::run_in_workspace(&mut workspace, &options, &sink, &CancelToken::new())
        .expect("exp run");
    let seen = seen.into_inner().unwrap();
    let steps: Vec<Option<u64>> = seen.iter().map(|event| event.2).collect();
    assert_readings(&steps, &[Some(0), Some(1), Some(2)]);
    let (stage, experiment, _, metrics) = seen.last().unwrap();
    assert_eq!(stage, "train");
    assert_eq!(experiment.as_deref(), Some("events"));
    assert_eq!(
        metrics,
        &vec![
            ("acc".to_string(), serde_json::json!(0.7)),
            ("train.loss".to_string(), serde_json::json!(1.0 / 3.0)),
        ]
    );
}

#[test]
fn temp_runs_print_live_values() {
    let Some(dvc) = exp_support::dvc() else {
        return;
    };
    let repo = dvclive_project(&dvc, &dvclive_script(2, 0.5));
    let output = repo.retort_output(&["exp", "run", "--temp", "-n", "in-temp"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_readings(
        &step_lines(&stderr),
        &[
            "step 0: acc=0.5 train.loss=1",
            "step 1: acc=0.6 train.loss=0.5",
        ],
    );
    // The user's workspace was not touched.
    assert!(!repo.path().join("dvclive").exists());
}

/// Polls `probe` until it gives a value or `limit` passes.
fn wait_for<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(found) = probe() {
            return Some(found);
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    None
}

/// Lists the running experiments that `exp show --json` shows: (executor name, name,
/// dvclive metrics data).
fn running(repo: &Repo) -> Vec<(String, String, serde_json::Value)> {
    let shown = json(&repo.retort(&["exp", "show", "--json"]));
    let mut found = Vec::new();
    for baseline in shown.as_array().unwrap() {
        for range in baseline["experiments"].as_array().into_iter().flatten() {
            if range["executor"]["state"] != "running" {
                continue;
            }
            found.push((
                range["executor"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                range["name"].as_str().unwrap_or_default().to_string(),
                range["revs"][0]["data"]["metrics"]["dvclive/metrics.json"]["data"].clone(),
            ));
        }
    }
    found
}

#[test]
fn running_experiments_are_listed_with_their_latest_values() {
    let Some(dvc) = exp_support::dvc() else {
        return;
    };
    let repo = dvclive_project(&dvc, &dvclive_script(12, 0.5));

    // In the workspace, from another process.
    let mut child = Command::new(retort_tests::retort_bin())
        .args(["exp", "run", "-n", "in-workspace"])
        .current_dir(repo.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("retort exp run");
    let seen = wait_for(Duration::from_secs(30), || {
        running(&repo)
            .into_iter()
            .find(|(_, _, metrics)| metrics["step"].as_u64().is_some_and(|step| step >= 1))
    });
    let status = child.wait().unwrap();
    assert!(status.success());
    let (executor, name, metrics) = seen.expect("the workspace run was never listed as running");
    assert_eq!(
        (executor.as_str(), name.as_str()),
        ("workspace", "in-workspace")
    );
    assert!(metrics["acc"].as_f64().unwrap() >= 0.6, "{metrics}");
    assert!(running(&repo).is_empty());

    // From the queue, run by a background worker.
    repo.retort(&["exp", "run", "--queue", "-f", "-n", "queued"]);
    repo.retort(&["queue", "start"]);
    let status = wait_for(Duration::from_secs(30), || {
        let status = repo.retort(&["queue", "status"]);
        status.contains("Running (step").then_some(status)
    })
    .unwrap_or_else(|| {
        panic!(
            "queue status never showed the live step:\n{}\n{}",
            repo.retort(&["queue", "status"]),
            repo.retort(&["queue", "logs", "queued"])
        )
    });
    assert!(status.contains("acc="), "{status}");
    let seen = wait_for(Duration::from_secs(30), || {
        running(&repo)
            .into_iter()
            .find(|(_, _, metrics)| metrics["step"].as_u64().is_some_and(|step| step >= 1))
    });
    let (executor, name, metrics) = seen.expect("the queued run was never listed as running");
    assert_eq!((executor.as_str(), name.as_str()), ("dvc-task", "queued"));
    assert!(metrics["acc"].as_f64().unwrap() >= 0.6, "{metrics}");

    // Its log has the same lines as a run in a terminal-less CLI.
    let done = wait_for(Duration::from_secs(60), || {
        let status = repo.retort(&["queue", "status"]);
        status.contains("Success").then_some(())
    });
    assert!(done.is_some(), "{}", repo.retort(&["queue", "status"]));
    let logs = repo.retort(&["queue", "logs", "queued"]);
    assert!(
        logs.contains("step 11: acc=1.6 train.loss=0.083333"),
        "{logs}"
    );
}

#[test]
fn digits_example_shows_live_values() {
    let repo = Repo::git_only();
    copy_dir(
        &retort_tests::repo_root().join("examples/digits"),
        repo.path(),
    );
    std::fs::create_dir_all(repo.path().join(".dvc")).unwrap();
    repo.write(".dvc/config", "");
    repo.write(".dvc/.gitignore", "/config.local\n/tmp\n/cache\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "digits"]);
    let output = repo.retort_output(&["exp", "run", "-n", "digits", "-S", "train.epochs=4"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines = step_lines(&stderr);
    assert!(!lines.is_empty(), "{stderr}");
    // The last line is the summary the script left.
    let summary = json(&repo.read("dvclive/metrics.json"));
    let last = lines.last().unwrap();
    assert!(last.starts_with("step 3: "), "{last}");
    for (name, value) in summary.as_object().unwrap() {
        if name == "step" {
            continue;
        }
        let shown = retort_engine::live::values::format_value(value);
        assert!(
            last.contains(&format!("{name}={shown}")),
            "{name} in {last}"
        );
    }
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

#[test]
fn lsp_exp_run_sends_live_values() {
    use retort_tests::lsp::{ClientOptions, LspClient};
    let Some(dvc) = exp_support::dvc() else {
        return;
    };
    let repo = dvclive_project(&dvc, &dvclive_script(3, 0.5));
    let mut client = LspClient::start(repo.path(), ClientOptions::default());
    let result = client
        .request(
            "workspace/executeCommand",
            serde_json::json!({ "command": "retort.exp.run", "arguments": [{ "experiment": "lsp-live" }] }),
        )
        .unwrap_or_else(|error| panic!("retort.exp.run failed: {error}"));
    assert_eq!(result["status"], "ok", "{result}");

    // Every reading arrived as `retort/progress` of kind `metrics`, before
    // the command returned, so they are all among the kept messages.
    let mut readings = Vec::new();
    while let Some(message) =
        client.wait_for_within("retort/progress", Duration::from_millis(200), |params| {
            params["kind"] == "metrics"
        })
    {
        let params = &message["params"];
        assert_eq!(params["experiment"], "lsp-live", "{params}");
        assert_eq!(params["stage"], "train", "{params}");
        readings.push((
            params["step"].as_u64(),
            params["metrics"]["acc"].as_f64(),
            params["text"].as_str().unwrap_or_default().to_string(),
        ));
    }
    let steps: Vec<Option<u64>> = readings.iter().map(|reading| reading.0).collect();
    assert_readings(&steps, &[Some(0), Some(1), Some(2)]);
    let last = readings.last().expect("at least one reading");
    assert_eq!(last.1, Some(0.7), "{readings:?}");
    assert!(last.2.starts_with("step 2: "), "{readings:?}");
    assert!(client.shutdown().success());
}
