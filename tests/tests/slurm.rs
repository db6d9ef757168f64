//! The Slurm executor against a real one-node Slurm cluster that the test
//! starts (tests/slurm/start.sh) and stops. Without Slurm, or when not root,
//! the test prints that it is skipped, unless `RETORT_REQUIRE_SLURM=1` makes that a
//! failure (CI sets it).

mod exp_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use exp_support::{dvc, json, Repo};

/// The daemons of a test cluster, stopped when dropped.
struct Cluster {
    state: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Option<Cluster> {
        let required = std::env::var("RETORT_REQUIRE_SLURM").as_deref() == Ok("1");
        let state = tempfile::tempdir().unwrap();
        let script = retort_tests::repo_root().join("tests/slurm/start.sh");
        let output = Command::new("bash")
            .arg(&script)
            .arg(state.path())
            .output()
            .expect("run tests/slurm/start.sh");
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        match output.status.code() {
            Some(0) => Some(Cluster { state }),
            Some(3) if !required => {
                eprintln!("skipped: {}", stderr.trim());
                None
            }
            _ => {
                let cluster = Cluster { state };
                panic!(
                    "the test cluster did not start ({}):\n{stderr}\nslurmctld log:\n{}",
                    output.status,
                    cluster.log("slurmctld.log")
                );
            }
        }
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.state.path().join(name)).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = retort_tests::repo_root().join("tests/slurm/stop.sh");
        let _ = Command::new("bash")
            .arg(script)
            .arg(self.state.path())
            .status();
    }
}

/// Copies the digits example into a fresh git repository, reproduced and committed.
fn digits_repo() -> Repo {
    let repo = Repo::git_only();
    let source = retort_tests::repo_root().join("examples/digits");
    let status = Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", source.display()))
        .arg(repo.path())
        .status()
        .unwrap();
    assert!(status.success());
    repo.retort(&["repro"]);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "baseline"]);
    Repo { dvc: dvc(), ..repo }
}

fn queue_dir(repo: &Repo) -> PathBuf {
    repo.path().join(".dvc/tmp/exps/retort-queue")
}

/// Loads the stored queue entry of the experiment called `name`.
fn entry(repo: &Repo, name: &str) -> serde_json::Value {
    for item in std::fs::read_dir(queue_dir(repo)).unwrap().flatten() {
        if item.path().extension().is_some_and(|ext| ext == "json") {
            let value = json(&std::fs::read_to_string(item.path()).unwrap());
            if value["name"] == name {
                return value;
            }
        }
    }
    panic!("no queue entry named '{name}'");
}

fn finished(entry: &serde_json::Value) -> bool {
    matches!(
        entry["status"].as_str(),
        Some("success" | "failed" | "cancelled")
    )
}

/// Waits until every named entry has finished, showing the worker's log and
/// the queue when it takes too long.
fn wait_for(repo: &Repo, names: &[&str], limit: Duration) {
    let deadline = Instant::now() + limit;
    while !names.iter().all(|name| finished(&entry(repo, name))) {
        if Instant::now() > deadline {
            panic!(
                "the runs did not finish within {limit:?}.\nqueue status:\n{}\nworker log:\n{}",
                repo.retort(&["queue", "status"]),
                std::fs::read_to_string(queue_dir(repo).join("worker.log")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Starts a background worker with `extra` flags and returns its process id.
fn start_worker(repo: &Repo, jobs: &str, extra: &[&str]) -> u32 {
    let mut args = vec!["queue", "start", "-j", jobs];
    args.extend_from_slice(extra);
    let started = repo.retort(&args);
    started
        .split("(process ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no worker process id in:\n{started}"))
}

/// Waits for a worker to exit, which it does once every run it started has
/// ended and it has recorded Slurm's final state.
fn wait_for_worker(pid: u32, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie waiting for its parent.
        if stat.is_empty()
            || stat
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the queue worker {pid} did not exit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn scontrol_job(job_id: &str) -> String {
    let output = Command::new("scontrol")
        .args(["show", "job", job_id])
        .output()
        .expect("scontrol");
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// Reads the number `key` from a JSON or `key: value` file at an experiment ref.
fn number_at(repo: &Repo, reference: &str, path: &str, key: &str) -> f64 {
    let text = repo.git(&["show", &format!("{reference}:{path}")]);
    if path.ends_with(".json") {
        return json(&text)[key].as_f64().unwrap();
    }
    text.lines()
        .find_map(|line| {
            let (name, value) = line.trim().split_once(':')?;
            (name.trim() == key).then(|| {
                value
                    .split('#')
                    .next()
                    .unwrap()
                    .trim()
                    .parse::<f64>()
                    .unwrap()
            })
        })
        .unwrap_or_else(|| panic!("no '{key}' in {reference}:{path}:\n{text}"))
}

const EXPERIMENTS: [(&str, &str, u32); 4] = [
    ("slow-lr", "0.02", 2),
    ("mid-lr", "0.05", 3),
    ("fast-lr", "0.1", 4),
    ("faster-lr", "0.2", 5),
];

#[test]
fn slurm_runs_the_queue() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let repo = digits_repo();
    let shared = tempfile::tempdir().unwrap();
    let runs = shared.path().join("runs");
    repo.write(
        ".dvc/retort.toml",
        &format!(
            "[executor]\nkind = \"slurm\"\n\n[executor.slurm]\nwork_dir = \"{}\"\nsbatch_args = [\"--comment=retort-test\"]\n",
            runs.display()
        ),
    );

    four_experiments_become_refs(&repo, &runs);
    failures_cancellations_and_time_limits(&repo);
    drop(cluster);
}

fn four_experiments_become_refs(repo: &Repo, runs: &Path) {
    for (n, (name, lr, epochs)) in EXPERIMENTS.iter().enumerate() {
        let mut args = vec![
            "exp".to_string(),
            "run".to_string(),
            "--queue".to_string(),
            "-n".to_string(),
            name.to_string(),
            "-S".to_string(),
            format!("train.lr={lr}"),
            "-S".to_string(),
            format!("train.epochs={epochs}"),
        ];
        if n == 0 {
            args.push("--slurm-mem=300M".to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        repo.retort(&args);
    }
    let worker = start_worker(repo, "4", &[]);
    let names: Vec<&str> = EXPERIMENTS.iter().map(|(name, _, _)| *name).collect();
    wait_for(repo, &names, Duration::from_secs(300));
    wait_for_worker(worker, Duration::from_secs(30));

    let status = repo.retort(&["queue", "status"]);
    for (name, lr, epochs) in EXPERIMENTS {
        let stored = entry(repo, name);
        assert_eq!(stored["status"], "success", "{stored}\n{status}");
        assert_eq!(stored["executor"], "slurm");
        assert_eq!(stored["job_state"], "COMPLETED");
        let job_id = stored["job_id"].as_str().expect("a Slurm job id");
        assert!(
            status.lines().any(|line| line.contains(name)
                && line.contains(job_id)
                && line.contains("completed")),
            "{status}"
        );

        // The ref contains this run's params, and metrics of that many epochs.
        let (reference, _) = repo.exp(name);
        assert_eq!(stored["result_ref"], reference.as_str());
        assert_eq!(
            number_at(repo, &reference, "params.yaml", "lr"),
            lr.parse::<f64>().unwrap()
        );
        assert_eq!(
            number_at(repo, &reference, "dvclive/metrics.json", "step"),
            f64::from(epochs - 1)
        );
        let accuracy = number_at(repo, &reference, "metrics.json", "accuracy");
        assert!(accuracy > 0.5, "{name}: {accuracy}");
        assert!(accuracy <= 1.0, "{name}: {accuracy}");

        // Options reach sbatch: config defaults for all, --slurm-mem per run.
        let job = scontrol_job(job_id);
        assert!(job.contains("Comment=retort-test"), "{job}");
        if name == "slow-lr" {
            assert!(job.contains("MinMemoryNode=300M"), "{job}");
        }
    }
    // The jobs worked in the configured directory and cleaned it up.
    assert!(runs.is_dir(), "the work directory was never used");
    assert_eq!(std::fs::read_dir(runs).unwrap().count(), 0);

    // A local run of the same params gets the same metrics.
    let (name, lr, epochs) = EXPERIMENTS[1];
    repo.retort(&[
        "exp",
        "run",
        "--temp",
        "-n",
        "mid-lr-local",
        "-S",
        &format!("train.lr={lr}"),
        "-S",
        &format!("train.epochs={epochs}"),
    ]);
    let (on_slurm, _) = repo.exp(name);
    let (local, _) = repo.exp("mid-lr-local");
    assert_eq!(
        repo.git(&["show", &format!("{on_slurm}:metrics.json")]),
        repo.git(&["show", &format!("{local}:metrics.json")])
    );

    // exp show lists them as Slurm runs; so does DVC.
    let shown = json(&repo.retort(&["exp", "show", "--json"]));
    let rows = shown[1]["experiments"].as_array().unwrap();
    for name in &names {
        let row = rows
            .iter()
            .find(|row| row["name"] == *name)
            .unwrap_or_else(|| panic!("{name} missing from exp show: {shown}"));
        assert_eq!(row["executor"]["name"], "slurm", "{row}");
        assert_eq!(row["executor"]["state"], "success", "{row}");
    }
    if repo.dvc.is_some() {
        let listed = json(&repo.run_dvc(&["exp", "show", "--json"]));
        let rows = listed[1]["experiments"].as_array().unwrap();
        for (name, lr, _) in EXPERIMENTS {
            let row = rows
                .iter()
                .find(|row| row["name"] == name)
                .unwrap_or_else(|| panic!("DVC does not list {name}: {listed}"));
            let params = &row["revs"][0]["data"]["params"]["params.yaml"]["data"]["train"];
            assert_eq!(params["lr"].as_f64(), lr.parse::<f64>().ok(), "{row}");
        }
    }
}

fn failures_cancellations_and_time_limits(repo: &Repo) {
    repo.retort(&[
        "exp",
        "run",
        "--queue",
        "-n",
        "broken",
        "-S",
        "train.lr=abc",
    ]);
    repo.retort(&[
        "exp",
        "run",
        "--queue",
        "-n",
        "stopped",
        "-S",
        "train.epochs=100000",
    ]);
    repo.retort(&[
        "exp",
        "run",
        "--queue",
        "-n",
        "overtime",
        "-S",
        "train.epochs=100000",
        "--slurm-time=1",
    ]);
    // Flags of `queue start` come after the configured defaults, so this
    // comment replaces the configured one.
    let worker = start_worker(repo, "3", &["--slurm-arg=--comment=second-worker"]);

    // Cancel `stopped` once it is training.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let log = repo.retort(&["queue", "logs", "stopped"]);
        if log.contains("epoch ") {
            break;
        }
        assert!(Instant::now() < deadline, "'stopped' never trained:\n{log}");
        std::thread::sleep(Duration::from_millis(250));
    }
    let killed = repo.retort(&["queue", "kill", "stopped"]);
    assert!(killed.contains("Stopped 'stopped'"), "{killed}");

    // Slurm's time limit is whole minutes and is checked every 30 s or so.
    wait_for(
        repo,
        &["broken", "stopped", "overtime"],
        Duration::from_secs(300),
    );
    wait_for_worker(worker, Duration::from_secs(30));

    let broken = entry(repo, "broken");
    assert_eq!(broken["status"], "failed", "{broken}");
    assert_eq!(broken["job_state"], "FAILED", "{broken}");
    assert!(
        broken["error"].as_str().unwrap().contains("'train'"),
        "{broken}"
    );
    let log = repo.retort(&["queue", "logs", "broken"]);
    assert!(log.contains("invalid float value: 'abc'"), "{log}");
    let job = scontrol_job(broken["job_id"].as_str().unwrap());
    assert!(job.contains("Comment=second-worker"), "{job}");

    let stopped = entry(repo, "stopped");
    assert_eq!(stopped["status"], "cancelled", "{stopped}");
    let job_id = stopped["job_id"].as_str().unwrap();
    assert!(
        scontrol_job(job_id).contains("JobState=CANCELLED"),
        "{}",
        scontrol_job(job_id)
    );

    let overtime = entry(repo, "overtime");
    assert_eq!(overtime["status"], "failed", "{overtime}");
    let error = overtime["error"].as_str().unwrap();
    assert!(
        error.contains("time limit") && error.contains("TIMEOUT"),
        "{error}"
    );

    let refs = repo.git(&["for-each-ref", "--format=%(refname)", "refs/exps"]);
    for name in ["broken", "stopped", "overtime"] {
        assert!(!refs.contains(&format!("/{name}\n")), "{refs}");
    }
    let status = repo.retort(&["queue", "status"]);
    assert!(
        status
            .lines()
            .any(|line| line.contains("overtime") && line.contains("timeout")),
        "{status}"
    );
    assert!(
        status
            .lines()
            .any(|line| line.contains("stopped") && line.contains("cancelled")),
        "{status}"
    );

    // exp show marks the failed runs as such.
    let shown = json(&repo.retort(&["exp", "show", "--json"]));
    let rows = shown[1]["experiments"].as_array().unwrap();
    for name in ["broken", "overtime"] {
        let row = rows
            .iter()
            .find(|row| row["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing from exp show: {shown}"));
        assert_eq!(row["executor"]["state"], "failed", "{row}");
        assert_eq!(row["executor"]["name"], "slurm", "{row}");
    }
}
