//! Several queued runs finishing at the same moment, as cluster jobs do:
//! every run must end as its own experiment ref with an intact queue entry,
//! and the repository and the shared cache must stay sound.

mod exp_support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use exp_support::{dvc, json, Repo};
use retort_tests::retort_bin;

/// Waits at a gate so that every run reaches its end together: it writes a
/// file saying it started, then sleeps until the test creates the gate file.
const GATED_TRAIN_PY: &str = r#"import json, os, time
lr = None
for line in open("params.yaml"):
    line = line.strip()
    if line.startswith("lr:"):
        lr = float(line.split(":", 1)[1])
started = os.environ["RETORT_TEST_STARTED"]
open(os.path.join(started, str(lr)), "w").close()
while not os.path.exists(os.environ["RETORT_TEST_GATE"]):
    time.sleep(0.01)
json.dump({"acc": round(0.5 + lr, 6)}, open("metrics.json", "w"))
open("model.bin", "w").write("weights for lr=%s\n" % lr * 2000)
"#;

const RUNS: usize = 6;

#[test]
fn runs_finishing_together_keep_the_repository_sound() {
    let repo = Repo::project(dvc());
    repo.write("train.py", GATED_TRAIN_PY);
    repo.git(&["commit", "-qam", "gated training"]);
    let signals = tempfile::tempdir().unwrap();
    let started = signals.path().join("started");
    std::fs::create_dir(&started).unwrap();
    let gate = signals.path().join("gate");

    let rates: Vec<String> = (1..=RUNS).map(|n| format!("0.{n}")).collect();
    for (n, lr) in rates.iter().enumerate() {
        let name = format!("together-{n}");
        repo.retort(&[
            "exp",
            "run",
            "--queue",
            "-n",
            &name,
            "-S",
            &format!("train.lr={lr}"),
        ]);
    }
    let status = json_entries(&repo);
    assert_eq!(status.len(), RUNS);

    // One `exec-run` per entry, as Slurm jobs on several nodes would start them.
    let mut children: Vec<Child> = status
        .iter()
        .map(|entry| {
            Command::new(retort_bin())
                .args(["exp", "exec-run", entry["id"].as_str().unwrap()])
                .current_dir(repo.path())
                .env("RETORT_TEST_STARTED", &started)
                .env("RETORT_TEST_GATE", &gate)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start retort exp exec-run")
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::fs::read_dir(&started).unwrap().count() < RUNS {
        assert!(
            Instant::now() < deadline,
            "not every run reached its training stage"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::write(&gate, "").unwrap();
    for child in children.iter_mut() {
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        use std::io::Read;
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert!(status.success(), "a run failed ({status}):\n{stderr}");
    }

    // Every entry is whole JSON, succeeded, and names its own ref.
    let entries = json_entries(&repo);
    let mut refs: Vec<String> = entries
        .iter()
        .map(|entry| {
            assert_eq!(entry["status"], "success", "{entry}");
            entry["result_ref"].as_str().unwrap().to_string()
        })
        .collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), RUNS, "runs shared refs: {refs:?}");

    // Each experiment commit contains its own params and metrics.
    for (n, lr) in rates.iter().enumerate() {
        let (reference, _) = repo.exp(&format!("together-{n}"));
        let params = repo.git(&["show", &format!("{reference}:params.yaml")]);
        assert!(params.contains(&format!("lr: {lr}")), "{params}");
        let metrics = json(&repo.git(&["show", &format!("{reference}:metrics.json")]));
        let expected = 0.5 + lr.parse::<f64>().unwrap();
        assert!(
            (metrics["acc"].as_f64().unwrap() - expected).abs() < 1e-9,
            "{reference}: {metrics}"
        );
    }
    repo.git(&["fsck", "--no-progress", "--strict"]);
    let lock_leftovers = repo.git(&["for-each-ref", "--format=%(refname)", "refs/exps"]);
    assert!(!lock_leftovers.contains(".lock"), "{lock_leftovers}");

    // Every cache object is whole: its name is the MD5 of its content.
    let cache = repo.path().join(".dvc/cache/files/md5");
    let mut objects = 0;
    for prefix in std::fs::read_dir(&cache).unwrap().flatten() {
        for object in std::fs::read_dir(prefix.path()).unwrap().flatten() {
            let name = format!(
                "{}{}",
                prefix.file_name().to_string_lossy(),
                object.file_name().to_string_lossy()
            );
            let bytes = std::fs::read(object.path()).unwrap();
            let digest = md5_hex(&object.path());
            assert_eq!(digest, name, "damaged cache object ({} bytes)", bytes.len());
            objects += 1;
        }
    }
    assert!(objects > RUNS, "expected one model per run in the cache");

    if repo.dvc.is_some() {
        let shown = repo.run_dvc(&["exp", "show", "--json"]);
        for n in 0..RUNS {
            assert!(shown.contains(&format!("\"together-{n}\"")), "{shown}");
        }
    }
}

/// Loads the queue's entries as `retort` stores them, each parsed as JSON.
fn json_entries(repo: &Repo) -> Vec<serde_json::Value> {
    let dir = repo.path().join(".dvc/tmp/exps/retort-queue");
    let mut entries: Vec<serde_json::Value> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|item| item.path().extension().is_some_and(|ext| ext == "json"))
        .map(|item| json(&std::fs::read_to_string(item.path()).unwrap()))
        .collect();
    entries.sort_by_key(|entry| entry["name"].as_str().unwrap_or_default().to_string());
    entries
}

/// MD5 through the system's `md5sum`, independent of the code under test.
fn md5_hex(path: &std::path::Path) -> String {
    let output = Command::new("md5sum").arg(path).output().expect("md5sum");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}
