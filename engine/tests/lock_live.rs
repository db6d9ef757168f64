//! Live check against the installed DVC: runs `dvc repro` in a new repository
//! and compares the lock file and run-cache entries it writes with what Retort
//! writes for the same stages. Needs DVC (`RETORT_DVC` or `dvc` on `PATH`).

mod common;

use std::path::Path;
use std::process::Command;

use retort_engine::lock::{self, LockStage};
use retort_engine::runcache;

fn run(dir: &Path, program: &Path, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("DVC_NO_ANALYTICS", "1")
        .output()
        .expect("start process");
    assert!(
        output.status.success(),
        "{} {args:?} failed: {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

const PARAMS: &str = "\
train:
  lr: 1e-05
  schedule: [2.448519270213934e-07, 0.1, 1.0]
  name: 'yes'
  note: a long note that goes well past the eighty column limit of the YAML dumper for sure
other:
  value: 1
";

const PIPELINE: &str = "\
stages:
  train:
    cmd: cp data.txt model.txt
    deps:
    - data.txt
    params:
    - train
    outs:
    - model.txt
  report:
    cmd: cp data.txt report.txt
    deps:
    - data.txt
    params:
    - other.value
    outs:
    - report.txt
";

#[test]
fn repro_lock_and_run_cache_match_retort() {
    let Some(dvc) = common::dvc_or_skip("repro_lock_and_run_cache_match_retort") else {
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    run(dir, Path::new("git"), &["init", "-q"]);
    run(dir, &dvc, &["init", "-q"]);
    std::fs::write(dir.join("params.yaml"), PARAMS).unwrap();
    std::fs::write(dir.join("dvc.yaml"), PIPELINE).unwrap();
    std::fs::write(dir.join("data.txt"), "data\n").unwrap();

    run(dir, &dvc, &["repro", "-q"]);
    let first = std::fs::read_to_string(dir.join("dvc.lock")).unwrap();

    // The run-cache contains each stage's entry as it ran. dvc.lock differs,
    // because the write for `report` sent the `train` entry through ruamel's
    // round trip, which rewrote one of its floats. Writing the runs in order
    // must give the same file.
    let cache = dir.join(".dvc/cache");
    let train = newest_entry(&cache, "cp data.txt model.txt");
    let report = newest_entry(&cache, "cp data.txt report.txt");
    let own = dir.join("retort.lock");
    for (name, stage) in [("train", &train), ("report", &report)] {
        let update = lock::save_stages(&own, &[(name, stage)]).unwrap();
        assert!(update.changed);
    }
    assert_eq!(std::fs::read_to_string(&own).unwrap(), first);

    std::fs::write(
        dir.join("params.yaml"),
        PARAMS.replace("value: 1", "value: 2"),
    )
    .unwrap();
    run(dir, &dvc, &["repro", "-q", "report"]);
    let second = std::fs::read_to_string(dir.join("dvc.lock")).unwrap();
    let report = newest_entry(&cache, "cp data.txt report.txt");
    let update = lock::save_stages(&own, &[("report", &report)]).unwrap();
    assert!(update.changed);
    assert!(!update.created);
    assert_eq!(update.text, second);
    assert_eq!(std::fs::read_to_string(&own).unwrap(), second);
}

/// Finds the newest run-cache entry whose command is `cmd` and checks it
/// against its key, value and file text.
fn newest_entry(cache: &Path, cmd: &str) -> LockStage {
    let mut found: Vec<(std::time::SystemTime, LockStage)> = Vec::new();
    for prefix in std::fs::read_dir(cache.join("runs")).unwrap() {
        for key_dir in std::fs::read_dir(prefix.unwrap().path()).unwrap() {
            let key_dir = key_dir.unwrap().path();
            let key = key_dir.file_name().unwrap().to_str().unwrap().to_string();
            for path in runcache::list_entries(cache, &key).unwrap() {
                let stage = runcache::read_entry(&path).unwrap();
                if stage.cmd.commands() != [cmd] {
                    continue;
                }
                let value = path.file_name().unwrap().to_str().unwrap();
                assert_eq!(runcache::run_cache_key(&stage), key);
                assert_eq!(runcache::run_cache_value(&stage), value);
                assert_eq!(
                    runcache::entry_yaml(&stage),
                    std::fs::read_to_string(&path).unwrap()
                );
                let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
                found.push((modified, stage));
            }
        }
    }
    found.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    found.into_iter().next().expect("a run-cache entry").1
}
