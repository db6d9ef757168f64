//! Checkpoints. Steps marked with the real dvclive's `next_step()` in a
//! stage with a `checkpoint: true` output, or with DVC 2's
//! `.dvc/tmp/DVC_CHECKPOINT` signal, become commits chained on the
//! experiment ref. `exp show` lists them, `exp apply` and `exp branch` take
//! them, and `exp run --rev` resumes from one.

mod exp_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use exp_support::{json, Repo};

/// Continues from the step recorded in model.txt, three steps at a time.
const DVCLIVE_TRAIN: &str = r#"import os, time
from dvclive import Live
start = 0
if os.path.exists("model.txt"):
    start = int(open("model.txt").read().split()[-1]) + 1
with Live() as live:
    live.step = start
    for step in range(start, start + 3):
        open("model.txt", "w").write(f"weights after step {step}\n")
        live.log_metric("acc", round(0.5 + step / 10, 4))
        live.next_step()
        time.sleep(0.6)
"#;

/// DVC 2's `make_checkpoint()`: create the signal file and wait until it is
/// removed.
const SIGNAL_TRAIN: &str = r#"import os, time
signal = os.path.join(os.environ["DVC_ROOT"], ".dvc", "tmp", "DVC_CHECKPOINT")
for step in range(2):
    open("result.txt", "w").write(f"result {step}\n")
    open(signal, "w").close()
    while os.path.exists(signal):
        time.sleep(0.05)
"#;

fn project(dvc: &Path, script: &str, dvc_yaml: &str) -> Repo {
    let mut repo = Repo::git_only();
    repo.dvc = Some(dvc.to_path_buf());
    repo.run_dvc(&["init", "-q"]);
    repo.write("train.py", script);
    let python = dvc.parent().unwrap().join("python");
    repo.write(
        "dvc.yaml",
        &dvc_yaml.replace("PYTHON", &python.display().to_string()),
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "baseline"]);
    repo
}

fn dvclive_project(dvc: &Path) -> Repo {
    project(
        dvc,
        DVCLIVE_TRAIN,
        "stages:\n  train:\n    cmd: PYTHON train.py\n    deps:\n      - train.py\n    outs:\n      - model.txt:\n          checkpoint: true\n      - dvclive:\n          cache: false\n",
    )
}

/// Lists the commits of an experiment from its tip back to (not including) its
/// baseline.
fn chain(repo: &Repo, name: &str) -> Vec<String> {
    let (reference, _) = repo.exp(name);
    let exp_ref = reference.trim_start_matches("refs/exps/");
    let sha: String = exp_ref.split('/').take(2).collect();
    repo.git(&["rev-list", "--first-parent", &reference, &format!("^{sha}")])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Reads the dvclive step recorded in a commit.
fn step_of(repo: &Repo, sha: &str) -> u64 {
    json(&repo.git(&["show", &format!("{sha}:dvclive/metrics.json")]))["step"]
        .as_u64()
        .unwrap()
}

#[test]
fn dvclive_checkpoints_round_trip() {
    let Some(dvc) = exp_support::dvc() else {
        return;
    };
    let repo = dvclive_project(&dvc);
    let before = repo.git_state();
    let printed = repo.retort(&["exp", "run", "-n", "cp"]);
    assert_eq!(
        printed.matches("Checkpoint experiment iteration").count(),
        3,
        "{printed}"
    );

    // Every checkpoint is a commit with that step's metrics, chained on the
    // baseline; the tip is the experiment's final commit.
    let commits = chain(&repo, "cp");
    assert!((3..=4).contains(&commits.len()), "{commits:?}");
    let checkpoints: Vec<&String> = commits.iter().rev().take(3).collect();
    let steps: Vec<u64> = checkpoints.iter().map(|sha| step_of(&repo, sha)).collect();
    assert_eq!(steps, [0, 1, 2]);
    let oldest_parent = repo.git(&["rev-parse", &format!("{}^", checkpoints[0])]);
    assert_eq!(oldest_parent.trim(), before.head_sha);

    // exp show lists them under the experiment, newest first.
    let shown = json(&repo.retort(&["exp", "show", "--json"]));
    let range = shown[1]["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|range| range["name"] == "cp")
        .unwrap();
    let revs: Vec<&str> = range["revs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rev| rev["rev"].as_str().unwrap())
        .collect();
    assert_eq!(revs, commits.iter().map(String::as_str).collect::<Vec<_>>());
    let table = repo.retort(&["exp", "show"]);
    let step1_back = commits
        .iter()
        .position(|sha| sha == checkpoints[1])
        .unwrap();
    let step1_name = format!("cp~{step1_back}");
    let row = table
        .lines()
        .find(|line| line.contains(&format!("[{step1_name}]")))
        .unwrap_or_else(|| panic!("no {step1_name} row:\n{table}"));
    assert!(row.contains(&checkpoints[1][..7]), "{row}");
    assert!(row.contains("0.6"), "{row}");

    // exp apply restores the checkpoint's files and its cached output.
    repo.retort(&["exp", "apply", "--force", &step1_name]);
    assert_eq!(repo.read("model.txt"), "weights after step 1\n");
    assert_eq!(json(&repo.read("dvclive/metrics.json"))["step"], 1);
    assert_eq!(repo.git_state().head_sha, before.head_sha);

    // exp branch takes a checkpoint sha.
    repo.retort(&["exp", "branch", &checkpoints[0][..7], "first-step"]);
    assert_eq!(
        repo.git(&["rev-parse", "first-step"]).trim(),
        checkpoints[0].as_str()
    );

    // exp run --rev resumes from step 1 in a temporary directory: the script
    // finds that checkpoint's model and goes on with steps 2 to 4.
    let printed = repo.retort(&["exp", "run", "--rev", &step1_name, "-n", "cp-resumed"]);
    assert_eq!(
        printed.matches("Checkpoint experiment iteration").count(),
        3,
        "{printed}"
    );
    let resumed = chain(&repo, "cp-resumed");
    let new_steps: Vec<u64> = resumed
        .iter()
        .rev()
        .skip_while(|sha| *sha != checkpoints[1])
        .skip(1)
        .take(3)
        .map(|sha| step_of(&repo, sha))
        .collect();
    assert_eq!(new_steps, [2, 3, 4], "{resumed:?}");
    // The workspace kept the applied checkpoint.
    assert_eq!(repo.read("model.txt"), "weights after step 1\n");

    let error = repo.retort_fails(&["exp", "apply", "cp~9"]);
    assert!(error.contains("names none"), "{error}");
}

fn signal_project(dvc: &Path) -> Repo {
    project(
        dvc,
        SIGNAL_TRAIN,
        "stages:\n  train:\n    cmd: python3 train.py\n    deps:\n      - train.py\n    outs:\n      - result.txt\n",
    )
}

/// Runs retort with a time limit, so a command that waits on a signal that is
/// never removed fails the test instead of hanging it.
fn retort_within(repo: &Repo, args: &[&str], limit: Duration) -> String {
    let mut child = Command::new(retort_tests::retort_bin())
        .args(args)
        .current_dir(repo.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("retort {} did not finish within {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn dvc2_checkpoint_signal_records_cached_outputs() {
    let Some(dvc) = exp_support::dvc() else {
        return;
    };
    let repo = signal_project(&dvc);
    for (name, extra) in [("in-workspace", None), ("in-temp", Some("--temp"))] {
        let mut args = vec!["exp", "run", "-f", "-n", name];
        args.extend(extra);
        let printed = retort_within(&repo, &args, Duration::from_secs(60));
        assert_eq!(
            printed.matches("Checkpoint experiment iteration").count(),
            2,
            "{printed}"
        );
        let commits = chain(&repo, name);
        // Each checkpoint's dvc.lock names that step's output, whose object is
        // in the cache.
        for (index, sha) in commits.iter().rev().take(2).enumerate() {
            let lock = repo.git(&["show", &format!("{sha}:dvc.lock")]);
            let md5 = lock
                .lines()
                .skip_while(|line| !line.contains("path: result.txt"))
                .find_map(|line| line.trim().strip_prefix("md5: "))
                .unwrap_or_else(|| panic!("no result.txt hash in:\n{lock}"))
                .to_string();
            let object = repo
                .path()
                .join(".dvc/cache/files/md5")
                .join(&md5[..2])
                .join(&md5[2..]);
            assert_eq!(
                std::fs::read_to_string(&object).unwrap(),
                format!("result {index}\n")
            );
        }
    }
    // `repro` records nothing, but lets the command go on.
    let printed = retort_within(&repo, &["repro", "-f"], Duration::from_secs(60));
    assert!(!printed.contains("Checkpoint"), "{printed}");
    assert!(!repo.path().join(".dvc/tmp/DVC_CHECKPOINT").exists());
}

#[test]
fn running_experiment_lists_its_checkpoints_once() {
    let Some(dvc) = exp_support::dvc() else {
        return;
    };
    let repo = project(
        &dvc,
        &DVCLIVE_TRAIN.replace("start + 3", "start + 10"),
        "stages:\n  train:\n    cmd: PYTHON train.py\n    deps:\n      - train.py\n    outs:\n      - model.txt:\n          checkpoint: true\n      - dvclive:\n          cache: false\n",
    );
    let mut child = Command::new(retort_tests::retort_bin())
        .args(["exp", "run", "-n", "long"])
        .current_dir(repo.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut seen = None;
    while started.elapsed() < Duration::from_secs(40) && seen.is_none() {
        let shown = json(&repo.retort(&["exp", "show", "--json"]));
        let ranges: Vec<serde_json::Value> = shown[1]["experiments"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|range| range["name"] == "long")
            .collect();
        if let [range] = ranges.as_slice() {
            if range["executor"]["state"] == "running"
                && range["revs"].as_array().unwrap().len() >= 3
            {
                seen = Some(range.clone());
            }
        }
        assert!(ranges.len() <= 1, "listed twice: {ranges:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(child.wait().unwrap().success());
    let range = seen.expect("the running experiment never showed two checkpoints");
    // The running row first (the workspace), then the checkpoints, newest
    // first, with their steps.
    let revs = range["revs"].as_array().unwrap();
    assert_eq!(revs[0]["rev"], "workspace");
    let steps: Vec<u64> = revs[1..]
        .iter()
        .map(|rev| {
            rev["data"]["metrics"]["dvclive/metrics.json"]["data"]["step"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let mut sorted = steps.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(steps, sorted);
    assert_eq!(*steps.last().unwrap(), 0);
}
