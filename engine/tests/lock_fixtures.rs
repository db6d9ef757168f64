//! `dvc.lock` reading and writing against files real DVC 3.67 wrote. Each
//! scenario under `fixtures/lock/` contains the pipeline inputs, the lock file
//! DVC wrote after each step (`snapshots/`) and the run-cache entries it saved
//! (`runs/<key>/<value>`). `fixtures/lock/generate.sh` recreates them.
//! Snapshots named `*.hand.lock` were edited by hand between DVC runs.

mod common;

use std::path::{Path, PathBuf};

use retort_engine::lock::{self, LockFile, RemoveOutcome};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lock")
}

fn scenarios() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("lock fixtures")
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|path| path.join("snapshots").is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no lock fixture scenarios");
    dirs
}

/// Reads the snapshots of one scenario in the order they were taken.
fn snapshots(scenario: &Path) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario.join("snapshots"))
        .expect("snapshots")
        .map(|entry| entry.expect("snapshot").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("snapshot text"))
        })
        .collect()
}

fn is_hand_edit(name: &str) -> bool {
    name.ends_with(".hand.lock")
}

fn parse_valid(text: &str, name: &str) -> LockFile {
    let parsed = lock::parse(text, "dvc.lock");
    assert!(parsed.is_valid(), "{name}: {:#?}", parsed.diagnostics);
    parsed.lock
}

#[test]
fn dvc_written_locks_rewrite_identically() {
    for scenario in scenarios() {
        for (name, text) in snapshots(&scenario) {
            // A typed lock file has no comments to write back.
            let has_comments = text.lines().any(|line| line.trim_start().starts_with('#'));
            if is_hand_edit(&name) || has_comments {
                continue;
            }
            let lock = parse_valid(&text, &name);
            assert_eq!(lock.to_yaml(), text, "{}/{name}", scenario.display());
        }
    }
}

/// Replays the step from `before` to `after` with `update_stages` or
/// `remove_stage` and returns the text it gives.
fn replay_step(before: &str, old: &LockFile, new: &LockFile) -> String {
    let file = Path::new("dvc.lock");
    let removed: Vec<&String> = old
        .stages
        .keys()
        .filter(|name| !new.stages.contains_key(*name))
        .collect();
    if let [name] = removed.as_slice() {
        return match lock::remove_stage(before, file, name).expect("remove") {
            RemoveOutcome::Rewritten(text) => text,
            other => panic!("unexpected {other:?}"),
        };
    }
    assert!(removed.is_empty(), "more than one stage removed");

    // DVC rewrites every stage that ran; the ones whose entry changed or is new
    // are enough to reproduce the file.
    let written: Vec<(&str, &lock::LockStage)> = new
        .stages
        .iter()
        .filter(|(name, stage)| old.stages.get(*name) != Some(stage))
        .map(|(name, stage)| (name.as_str(), stage))
        .collect();
    if written.is_empty() {
        // Nothing ran, as in an experiment without changes.
        return before.to_string();
    }
    let update = lock::update_stages(Some(before), file, &written).expect("update");
    assert!(update.changed);
    assert!(!update.created);
    update.text
}

#[test]
fn stage_updates_match_dvc() {
    let mut steps = 0;
    for scenario in scenarios() {
        let snapshots = snapshots(&scenario);
        for pair in snapshots.windows(2) {
            let (before_name, before) = &pair[0];
            let (after_name, after) = &pair[1];
            if is_hand_edit(after_name) {
                continue;
            }
            let old = parse_valid(before, before_name);
            let new = parse_valid(after, after_name);
            let actual = replay_step(before, &old, &new);
            assert_eq!(
                &actual,
                after,
                "{}: {before_name} -> {after_name}",
                scenario.display()
            );
            steps += 1;
        }
    }
    assert!(steps >= 5, "only {steps} steps checked");
}

#[test]
fn first_write_matches_dvc() {
    for scenario in scenarios() {
        let (name, text) = &snapshots(&scenario)[0];
        if is_hand_edit(name) {
            continue;
        }
        let lock = parse_valid(text, name);
        let stages: Vec<(&str, &lock::LockStage)> = lock
            .stages
            .iter()
            .map(|(name, stage)| (name.as_str(), stage))
            .collect();
        let update = lock::update_stages(None, Path::new("dvc.lock"), &stages).expect("update");
        assert_eq!(&update.text, text, "{}/{name}", scenario.display());
        assert!(update.created);
        assert!(update.changed);
    }
}
