//! Runs the real DVC as the oracle for engine tests. The executable comes from
//! `RETORT_DVC`, else `dvc` on `PATH`. Without one, tests print
//! "skipped: DVC not found" and pass, unless `RETORT_REQUIRE_DVC=1`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Dvc {
    pub executable: PathBuf,
}

/// Finds DVC, or reports the skip. Call as
/// `let Some(dvc) = dvc_oracle::find("test name") else { return };`.
pub fn find(test: &str) -> Option<Dvc> {
    let from_env = std::env::var_os("RETORT_DVC").map(PathBuf::from);
    let executable = from_env.or_else(|| which("dvc"));
    match executable {
        Some(executable) if executable.exists() => Some(Dvc { executable }),
        _ => {
            if std::env::var("RETORT_REQUIRE_DVC").as_deref() == Ok("1") {
                panic!("{test}: DVC not found; set RETORT_DVC to the dvc executable");
            }
            eprintln!("{test}: skipped: DVC not found");
            None
        }
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Runs a command in `dir` and returns its output, failing the test on a non-zero
/// exit with the command's stderr.
pub fn run(dir: &Path, program: &Path, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("DVC_NO_ANALYTICS", "1")
        .env("GIT_AUTHOR_NAME", "Retort Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "Retort Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.display()));
    assert!(
        output.status.success(),
        "{} {:?} failed in {}:\nstdout: {}\nstderr: {}",
        program.display(),
        args,
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn git(dir: &Path, args: &[&str]) -> Output {
    run(dir, Path::new("git"), args)
}

impl Dvc {
    pub fn run(&self, dir: &Path, args: &[&str]) -> Output {
        run(dir, &self.executable, args)
    }

    /// Makes `dir` a git repository with DVC initialised and committed.
    pub fn init_repo(&self, dir: &Path) {
        git(dir, &["init", "-q"]);
        self.run(dir, &["init", "-q"]);
        git(dir, &["commit", "-q", "-m", "init"]);
    }

    /// Finds the Python interpreter of DVC's environment from the shebang of the
    /// `dvc` script, for calling DVC's libraries directly.
    pub fn python(&self) -> Option<PathBuf> {
        let text = std::fs::read(&self.executable).ok()?;
        let first_line = text.split(|&byte| byte == b'\n').next()?;
        let shebang = std::str::from_utf8(first_line).ok()?.strip_prefix("#!")?;
        let interpreter = PathBuf::from(shebang.split_whitespace().next()?);
        interpreter.is_file().then_some(interpreter)
    }
}

/// Reads `md5`, `size`, `nfiles` and `isexec` of the single output in a `.dvc`
/// file written by `dvc add`.
pub fn read_dvc_file(path: &Path) -> DvcOut {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = DvcOut::default();
    for line in text.lines() {
        let line = line.trim_start_matches(['-', ' ']);
        if let Some((key, value)) = line.split_once(": ") {
            match key {
                "md5" => out.md5 = value.to_string(),
                "size" => out.size = value.parse().ok(),
                "nfiles" => out.nfiles = value.parse().ok(),
                "isexec" => out.isexec = value == "true",
                _ => {}
            }
        }
    }
    out
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct DvcOut {
    pub md5: String,
    pub size: Option<u64>,
    pub nfiles: Option<u64>,
    pub isexec: bool,
}

/// Lists every file under `dir`, relative and sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    collect(dir, dir, &mut found);
    found.sort();
    found
}

fn collect(top: &Path, dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(top, &path, found);
        } else {
            found.push(
                path.strip_prefix(top)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}
