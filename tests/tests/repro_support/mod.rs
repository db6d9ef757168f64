//! Shared setup for the repro and run-cache tests: a throwaway git repository
//! holding a DVC project, the real `retort` binary, and real DVC when it is
//! installed.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use retort_tests::retort_bin;

/// Finds DVC through `RETORT_DVC` or `PATH`. Without it the test prints that
/// it is skipped, unless `RETORT_REQUIRE_DVC=1` makes that a failure.
pub fn dvc(test: &str) -> Option<PathBuf> {
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
            panic!("{test}: DVC not found; set RETORT_DVC to the dvc executable");
        }
        eprintln!("skipped {test}: DVC not found (set RETORT_DVC or put dvc on PATH)");
    }
    found
}

/// The side-effect counter that fixture commands append a line to, one per
/// run. It is neither a dependency nor an output.
pub const COUNTER: &str = "runs.log";

/// A pipeline with a stage without dependencies writing a directory, a stage
/// with params, a cached output and an uncached metric (the one the run-cache
/// covers), and a stage with an uncached output.
pub const PIPELINE: &str = "\
stages:
  gen:
    cmd: mkdir -p raw && printf 'a\\n' > raw/a.txt && printf 'bb\\n' > raw/b.txt
    outs:
    - raw
  count:
    cmd: echo count >> runs.log && sh count.sh ${scale}
    deps:
    - raw
    - count.sh
    params:
    - scale
    outs:
    - total.txt
    metrics:
    - metrics.json:
        cache: false
  notes:
    cmd: echo notes >> runs.log && cp total.txt notes.txt
    deps:
    - total.txt
    outs:
    - notes.txt:
        cache: false
";

pub const COUNT_SH: &str = "\
total=$(cat raw/*.txt | wc -c)
echo $((total * $1)) > total.txt
printf '{\"total\": %s, \"scale\": %s}\\n' $((total * $1)) $1 > metrics.json
";

pub struct Project {
    pub dir: tempfile::TempDir,
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

impl Project {
    /// Creates a git repository with an initialized DVC project: by `dvc init`
    /// when DVC is given, else with the files `dvc init` writes.
    pub fn new(dvc: Option<&Path>) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        let project = Project { dir };
        project.git(&["init", "-q", "-b", "main"]);
        project.git(&["config", "user.email", "tests@example.com"]);
        project.git(&["config", "user.name", "Retort Tests"]);
        project.git(&["config", "commit.gpgsign", "false"]);
        match dvc {
            Some(dvc) => {
                check(project.command(dvc, &["init", "-q"]), "dvc init");
            }
            None => {
                project.write(".dvc/.gitignore", "/config.local\n/tmp\n/cache\n");
                project.write(".dvc/config", "");
            }
        }
        project
    }

    /// The fixture pipeline, committed.
    pub fn fixture(dvc: Option<&Path>) -> Project {
        let project = Project::new(dvc);
        project.write("dvc.yaml", PIPELINE);
        project.write("count.sh", COUNT_SH);
        project.write("params.yaml", "scale: 2\n");
        project.commit("fixture");
        project
    }

    /// Copies `examples/digits` into a new repository and commits it.
    pub fn digits() -> Project {
        let project = Project::new(None);
        let source = retort_tests::repo_root().join("examples/digits");
        copy_tree(&source, project.path());
        project.commit("digits");
        project
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
        std::fs::read_to_string(self.path().join(path))
            .unwrap_or_else(|error| panic!("read {path}: {error}"))
    }

    pub fn exists(&self, path: &str) -> bool {
        self.path().join(path).exists()
    }

    /// How many times fixture commands ran, by the counter file.
    pub fn runs(&self, name: &str) -> usize {
        std::fs::read_to_string(self.path().join(COUNTER))
            .unwrap_or_default()
            .lines()
            .filter(|line| *line == name)
            .count()
    }

    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-qm", message]);
    }

    pub fn git(&self, args: &[&str]) -> String {
        check(
            self.command(Path::new("git"), args),
            &format!("git {}", args.join(" ")),
        )
    }

    pub fn command(&self, program: &Path, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .current_dir(self.path())
            .env("DVC_NO_ANALYTICS", "1")
            .env_remove("COLUMNS")
            .output()
            .unwrap_or_else(|error| panic!("start {}: {error}", program.display()))
    }

    pub fn dvc(&self, dvc: &Path, args: &[&str]) -> String {
        check(self.command(dvc, args), &format!("dvc {}", args.join(" ")))
    }

    pub fn retort_output(&self, args: &[&str]) -> Output {
        self.command(&retort_bin(), args)
    }

    pub fn retort(&self, args: &[&str]) -> String {
        check(
            self.retort_output(args),
            &format!("retort {}", args.join(" ")),
        )
    }

    /// Paths of every run-cache entry file.
    pub fn run_cache_entries(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        collect_files(&self.path().join(".dvc/cache/runs"), &mut found);
        found.sort();
        found
    }

    /// Paths of every object in the cache.
    pub fn cache_objects(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        collect_files(&self.path().join(".dvc/cache/files"), &mut found);
        found.sort();
        found
    }

    /// Returns the lines of one stage's entry in `dvc.lock`.
    pub fn lock_entry(&self, stage: &str) -> Option<String> {
        let lock = std::fs::read_to_string(self.path().join("dvc.lock")).ok()?;
        let header = format!("  {stage}:");
        let mut lines = lock.lines().skip_while(|line| *line != header);
        let first = lines.next()?;
        let rest: Vec<&str> = lines
            .take_while(|line| line.starts_with("    ") || line.is_empty())
            .collect();
        Some(format!("{first}\n{}", rest.join("\n")))
    }
}

fn collect_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in listing.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, found);
        } else {
            found.push(path);
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Tells whether `dvc status` or `retort status` printed that nothing changed.
pub fn up_to_date(status: &str) -> bool {
    status.contains("Data and pipelines are up to date.")
}
