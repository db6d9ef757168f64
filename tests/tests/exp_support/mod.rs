//! Shared setup for the experiment tests: throwaway git repositories with a
//! small DVC project, the real `retort` binary, real DVC when it is installed,
//! and a snapshot of the git state that every command must leave alone.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use retort_tests::retort_bin;

/// Finds the dvc executable: `RETORT_DVC`, else `dvc` on PATH. Without it the
/// test prints that it is skipped, unless `RETORT_REQUIRE_DVC=1` makes that a
/// failure.
pub fn dvc() -> Option<PathBuf> {
    let found = match std::env::var_os("RETORT_DVC") {
        Some(path) => Some(PathBuf::from(path)),
        None => std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("dvc"))
                .find(|candidate| candidate.is_file())
        }),
    };
    if found.is_none() {
        if std::env::var("RETORT_REQUIRE_DVC").as_deref() == Ok("1") {
            panic!("DVC not found: set RETORT_DVC to the dvc executable or put dvc on PATH");
        }
        eprintln!("skipped: DVC not found (set RETORT_DVC or put dvc on PATH)");
    }
    found
}

pub struct Repo {
    pub dir: tempfile::TempDir,
    pub dvc: Option<PathBuf>,
}

fn check(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// A training script that writes metrics from params, with a list and a
/// string among them so that every value kind is compared.
pub const TRAIN_PY: &str = r#"import json
lr = None
epochs = None
for line in open("params.yaml"):
    line = line.strip()
    if line.startswith("lr:"):
        lr = float(line.split(":", 1)[1])
    if line.startswith("epochs:"):
        epochs = int(line.split(":", 1)[1])
metrics = {"acc": round(0.5 + lr, 6), "loss": {"train": 1 - lr, "val": 1.2 - lr * epochs}, "name": "m", "hist": [1, 2]}
json.dump(metrics, open("metrics.json", "w"))
open("model.bin", "w").write(str(lr))
"#;

pub const PARAMS_YAML: &str =
    "train:\n  lr: 0.01\n  epochs: 3\n  layers: [16, 8]\n  flag: true\nseed: 1\n";

pub const DVC_YAML: &str = "stages:\n  train:\n    cmd: python3 train.py\n    deps:\n      - train.py\n    params:\n      - train.lr\n      - train.epochs\n    outs:\n      - model.bin\n    metrics:\n      - metrics.json:\n          cache: false\n";

impl Repo {
    /// Creates an empty git repository with a user identity.
    pub fn git_only() -> Repo {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Repo { dir, dvc: None };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "tests@example.com"]);
        repo.git(&["config", "user.name", "Retort Tests"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// Creates the small project and commits it. With `dvc` it runs real
    /// `dvc init` and `dvc repro`; without, it runs the script directly and
    /// writes a `dvc.lock` by hand.
    pub fn project(dvc: Option<PathBuf>) -> Repo {
        let mut repo = Repo::git_only();
        repo.dvc = dvc;
        repo.write("params.yaml", PARAMS_YAML);
        repo.write("train.py", TRAIN_PY);
        repo.write("dvc.yaml", DVC_YAML);
        if repo.dvc.is_some() {
            repo.run_dvc(&["init", "-q"]);
            repo.run_dvc(&["repro", "-q"]);
        } else {
            std::fs::create_dir_all(repo.path().join(".dvc")).unwrap();
            repo.write(".dvc/.gitignore", "/config.local\n/tmp\n/cache\n");
            repo.write(".dvc/config", "");
            let status = Command::new("python3")
                .arg("train.py")
                .current_dir(repo.path())
                .status()
                .expect("python3");
            assert!(status.success());
            repo.write(".gitignore", "/model.bin\n");
            repo.write(
                "dvc.lock",
                "schema: '2.0'\nstages:\n  train:\n    cmd: python3 train.py\n    deps:\n    - path: train.py\n      hash: md5\n      md5: 00000000000000000000000000000001\n      size: 1\n    params:\n      params.yaml:\n        train.epochs: 3\n        train.lr: 0.01\n    outs:\n    - path: metrics.json\n      hash: md5\n      md5: 00000000000000000000000000000002\n      size: 2\n    - path: model.bin\n      hash: md5\n      md5: 00000000000000000000000000000003\n      size: 4\n",
            );
        }
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-qm", "baseline"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, path: &str, text: &str) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.path().join(path)).unwrap()
    }

    pub fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("git");
        check(output, &format!("git {}", args.join(" ")))
    }

    pub fn run_dvc(&self, args: &[&str]) -> String {
        let dvc = self.dvc.as_ref().expect("DVC is needed here");
        let output = Command::new(dvc)
            .args(args)
            .current_dir(self.path())
            .env("DVC_NO_ANALYTICS", "1")
            .output()
            .expect("dvc");
        check(output, &format!("dvc {}", args.join(" ")))
    }

    pub fn retort_output(&self, args: &[&str]) -> Output {
        Command::new(retort_bin())
            .args(args)
            .current_dir(self.path())
            .env_remove("COLUMNS")
            .output()
            .expect("retort")
    }

    pub fn retort(&self, args: &[&str]) -> String {
        check(
            self.retort_output(args),
            &format!("retort {}", args.join(" ")),
        )
    }

    /// Runs retort expecting failure; returns stderr.
    pub fn retort_fails(&self, args: &[&str]) -> String {
        let output = self.retort_output(args);
        assert!(
            !output.status.success(),
            "retort {} should fail, printed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8_lossy(&output.stderr).to_string()
    }

    /// Looks an experiment up by name and returns its full ref and commit.
    pub fn exp(&self, name: &str) -> (String, String) {
        let listing = self.git(&[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/exps",
        ]);
        listing
            .lines()
            .filter_map(|line| line.split_once(' '))
            .find(|(reference, _)| reference.ends_with(&format!("/{name}")))
            .map(|(reference, sha)| (reference.to_string(), sha.to_string()))
            .unwrap_or_else(|| panic!("no experiment '{name}' in:\n{listing}"))
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn git_state(&self) -> GitState {
        GitState {
            head: std::fs::read_to_string(self.path().join(".git/HEAD")).unwrap(),
            head_sha: self.head(),
            branches: self.git(&["for-each-ref", "refs/heads", "refs/tags"]),
            index: std::fs::read(self.path().join(".git/index")).unwrap_or_default(),
            status: self.git(&["status", "--porcelain"]),
        }
    }
}

/// What the user has in git besides experiment refs: HEAD, branches, tags,
/// the index (byte for byte) and the status.
#[derive(Debug, PartialEq, Eq)]
pub struct GitState {
    pub head: String,
    pub head_sha: String,
    pub branches: String,
    pub index: Vec<u8>,
    pub status: String,
}

/// Parses JSON output.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("invalid JSON ({error}):\n{text}"))
}
