//! `retort repro` when a run goes wrong: a command fails in the middle of a
//! pipeline, or the run is stopped with SIGTERM. Nothing half-done may be
//! recorded, and the project lock must be free afterwards.

mod repro_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use repro_support::Project;
use retort_tests::retort_bin;

#[test]
fn middle_failure_records_nothing() {
    let project = Project::fixture(None);
    project.retort(&["repro"]);
    let count_entry = project.lock_entry("count").expect("count entry");
    let entries = project.run_cache_entries();
    let objects = project.cache_objects();

    // The middle stage now writes part of its output and fails.
    project.write("count.sh", "echo partial > total.txt\nexit 3\n");
    let output = project.retort_output(&["repro"]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "exit code of the failed command"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("failed to reproduce 'count'"),
        "stderr:\n{stderr}"
    );
    assert_eq!(project.lock_entry("count").as_ref(), Some(&count_entry));
    assert_eq!(project.run_cache_entries(), entries);
    assert_eq!(
        project.cache_objects(),
        objects,
        "the partial output was cached"
    );
    assert_eq!(project.runs("notes"), 1, "the downstream stage ran");

    // The lock was released: the next run starts and fails the same way.
    let again = project.retort_output(&["repro"]);
    assert_eq!(again.status.code(), Some(3));
    let status = project.retort(&["status"]);
    assert!(status.contains("count.sh"), "status:\n{status}");
}

#[test]
fn sigterm_kills_process_group() {
    let project = Project::new(None);
    project.write(
        "dvc.yaml",
        "stages:\n  slow:\n    cmd: sleep 60 & echo $! > child.pid; wait; echo done > out.txt\n    deps:\n    - in.txt\n    outs:\n    - out.txt\n",
    );
    project.write("in.txt", "input\n");
    project.commit("slow");

    let mut child = Command::new(retort_bin())
        .arg("repro")
        .current_dir(project.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start retort repro");
    let pid_file = project.path().join("child.pid");
    let started = Instant::now();
    while !pid_file.exists() || project.read("child.pid").trim().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the stage command did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let sleeper = project.read("child.pid").trim().to_string();
    // The shell's kill builtin, so that no procps package is needed.
    let sent = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = child.wait().expect("wait for retort");
    assert_eq!(status.code(), Some(130), "exit code after SIGTERM");

    // The background sleep was in the command's process group, so it is gone.
    let started = Instant::now();
    loop {
        let alive = Command::new("sh")
            .args(["-c", &format!("kill -0 {sleeper}")])
            .stderr(Stdio::null())
            .status()
            .expect("kill -0")
            .success();
        if !alive {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "process {sleeper} of the stage survived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!project.exists("out.txt"));
    assert!(!project.exists("dvc.lock"), "a lock entry was written");
    assert!(project.run_cache_entries().is_empty());

    // The project lock is free: a quick run of the same stage goes through.
    project.write(
        "dvc.yaml",
        "stages:\n  slow:\n    cmd: echo done > out.txt\n    deps:\n    - in.txt\n    outs:\n    - out.txt\n",
    );
    project.retort(&["repro"]);
    assert_eq!(project.read("out.txt"), "done\n");
}

#[test]
fn uncached_and_directory_outputs() {
    let project = Project::fixture(None);
    project.retort(&["repro"]);
    let lock = project.read("dvc.lock");
    // The directory output is one .dir entry with its file count.
    let gen = project.lock_entry("gen").unwrap();
    assert!(gen.contains(".dir"), "gen entry:\n{gen}");
    assert!(gen.contains("nfiles: 2"), "gen entry:\n{gen}");
    // The uncached output stays a plain file, not a link, and is not ignored.
    let notes = project.path().join("notes.txt");
    let metadata = std::fs::symlink_metadata(&notes).unwrap();
    assert!(metadata.file_type().is_file());
    assert!(!project.read(".gitignore").contains("notes.txt"));
    assert!(project.read(".gitignore").contains("/total.txt"));
    // Stages without dependencies or with uncached plain outputs are not in
    // the run-cache; only `count` is.
    assert_eq!(project.run_cache_entries().len(), 1);
    assert!(lock.contains("notes.txt"));
}
