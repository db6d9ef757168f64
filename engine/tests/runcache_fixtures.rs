//! Run-cache keys, values and entry files, and experiment hashes, against what
//! real DVC 3.67 wrote in the scenarios under `fixtures/lock/` (see
//! `fixtures/lock/generate.sh`).

mod common;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use retort_engine::lock::{self, LockStage};
use retort_engine::runcache;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lock")
}

/// Lists every run-cache entry DVC saved as (key, value, file path).
fn dvc_entries() -> Vec<(String, String, PathBuf)> {
    let mut entries = Vec::new();
    for scenario in std::fs::read_dir(fixtures_dir()).unwrap() {
        let runs = scenario.unwrap().path().join("runs");
        let Ok(keys) = std::fs::read_dir(&runs) else {
            continue;
        };
        for key_dir in keys {
            let key_dir = key_dir.unwrap().path();
            let key = key_dir.file_name().unwrap().to_string_lossy().into_owned();
            for file in std::fs::read_dir(&key_dir).unwrap() {
                let file = file.unwrap().path();
                let value = file.file_name().unwrap().to_string_lossy().into_owned();
                entries.push((key.clone(), value, file));
            }
        }
    }
    entries.sort();
    assert!(
        entries.len() >= 10,
        "only {} run-cache entries",
        entries.len()
    );
    entries
}

/// Reads every stage entry of every DVC-written lock snapshot.
fn snapshot_stages() -> Vec<LockStage> {
    let mut stages = Vec::new();
    for scenario in std::fs::read_dir(fixtures_dir()).unwrap() {
        let scenario = scenario.unwrap().path();
        let Ok(snapshots) = std::fs::read_dir(scenario.join("snapshots")) else {
            continue;
        };
        for snapshot in snapshots {
            let text = std::fs::read_to_string(snapshot.unwrap().path()).unwrap();
            let parsed = lock::parse(&text, "dvc.lock");
            stages.extend(parsed.lock.stages.into_values());
        }
    }
    stages
}

#[test]
fn entry_keys_and_values_match_dvc() {
    for (key, value, path) in dvc_entries() {
        let stage = runcache::read_entry(&path).expect("valid entry");
        assert_eq!(runcache::run_cache_key(&stage), key, "{}", path.display());
        assert_eq!(
            runcache::run_cache_value(&stage),
            value,
            "{}",
            path.display()
        );
    }
}

#[test]
fn entry_files_are_written_as_dvc_writes_them() {
    for (key, value, path) in dvc_entries() {
        let cache = tempfile::tempdir().unwrap();
        let expected = std::fs::read_to_string(&path).unwrap();
        let stage = runcache::read_entry(&path).unwrap();
        assert_eq!(runcache::entry_yaml(&stage), expected, "{}", path.display());

        let written = runcache::write_entry(cache.path(), &stage).expect("write");
        let expected_path = cache
            .path()
            .join("runs")
            .join(&key[..2])
            .join(&key)
            .join(&value);
        assert_eq!(written.as_deref(), Some(expected_path.as_path()));
        assert_eq!(std::fs::read_to_string(&expected_path).unwrap(), expected);
        let again = runcache::write_entry(cache.path(), &stage).expect("second write");
        assert_eq!(again, None, "an existing entry is not written again");
    }
}

#[test]
fn lock_entries_hash_to_dvc_entries() {
    // Each run-cache entry is the lock entry of a run, so some lock snapshot
    // stage must have the same key and value.
    let stages = snapshot_stages();
    for (key, value, path) in dvc_entries() {
        // In this scenario DVC's second lock write of the same `dvc repro`
        // reformatted the first stage's floats (ruamel's round trip truncates
        // long mantissas), so its dvc.lock no longer matches the run.
        if path
            .components()
            .any(|part| part.as_os_str() == "float-reformat")
        {
            continue;
        }
        let found = stages.iter().any(|stage| {
            runcache::run_cache_key(stage) == key && runcache::run_cache_value(stage) == value
        });
        assert!(found, "no lock stage hashes to {}", path.display());
    }
}

#[test]
fn entries_are_listed_newest_first() {
    let cache = tempfile::tempdir().unwrap();
    let key = "ab".to_string() + &"0".repeat(62);
    let dir = runcache::entry_dir(cache.path(), &key);
    std::fs::create_dir_all(&dir).unwrap();
    let now = filetime::FileTime::now().unix_seconds();
    for (name, age) in [("old", 300), ("newest", 0), ("middle", 100)] {
        let path = dir.join(name);
        std::fs::write(&path, "cmd: x\n").unwrap();
        let mtime = filetime::FileTime::from_unix_time(now - age, 0);
        filetime::set_file_mtime(&path, mtime).unwrap();
    }
    let names: Vec<String> = runcache::list_entries(cache.path(), &key)
        .unwrap()
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["newest", "middle", "old"]);
    assert!(runcache::list_entries(cache.path(), "cd1234")
        .unwrap()
        .is_empty());
}

#[test]
fn corrupted_newest_entry_is_deleted() {
    let cache = tempfile::tempdir().unwrap();
    let key = "cd".to_string() + &"1".repeat(62);
    let dir = runcache::entry_dir(cache.path(), &key);
    std::fs::create_dir_all(&dir).unwrap();
    let corrupted = dir.join("value");
    // `wdir` is not allowed in a lock entry, so DVC treats the file as corrupted.
    std::fs::write(&corrupted, "cmd: echo\nwdir: .\n").unwrap();
    assert!(matches!(
        runcache::read_entry(&corrupted),
        Err(runcache::RunCacheError::Corrupted { .. })
    ));
    assert_eq!(runcache::load_newest(cache.path(), &key).unwrap(), None);
    assert!(!corrupted.exists());
}

/// `<snapshot> <exp_hash> <stages that ran, comma-separated or ->` per line.
fn experiments() -> Vec<(String, String, Vec<String>)> {
    let text = std::fs::read_to_string(fixtures_dir().join("experiment/experiments.txt")).unwrap();
    text.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let ran = match fields[2] {
                "-" => Vec::new(),
                list => list.split(',').map(str::to_string).collect(),
            };
            (fields[0].to_string(), fields[1].to_string(), ran)
        })
        .collect()
}

#[test]
fn exp_hashes_match_dvc_commit_messages() {
    let snapshots = fixtures_dir().join("experiment/snapshots");
    let experiments = experiments();
    assert_eq!(experiments.len(), 3);
    for (snapshot, expected, ran) in experiments {
        let text = std::fs::read_to_string(Path::new(&snapshots).join(&snapshot)).unwrap();
        let lock = lock::parse(&text, "dvc.lock").lock;
        let stages: IndexMap<String, LockStage> = ran
            .iter()
            .map(|name| (name.clone(), lock.stages[name].clone()))
            .collect();
        assert_eq!(runcache::exp_hash(&stages), expected, "{snapshot}");
    }
}

fn dep(path: &str) -> runcache::DepFacts {
    runcache::DepFacts {
        path: path.to_string(),
        local: true,
        hashed: true,
    }
}

fn out(path: &str) -> runcache::OutFacts {
    runcache::OutFacts {
        path: path.to_string(),
        local: true,
        in_repo: true,
        persist: false,
        cache: true,
        metric_or_plot: false,
    }
}

/// Describes the stages of `fixtures/lock/features/inputs/dvc.yaml` as the
/// pipeline model describes them to the run-cache.
fn features_stage_facts() -> Vec<(&'static str, runcache::StageFacts)> {
    let stage =
        |deps: Vec<runcache::DepFacts>, outs: Vec<runcache::OutFacts>| runcache::StageFacts {
            has_cmd: true,
            always_changed: false,
            deps,
            outs,
        };
    let uncached_metric = |path| runcache::OutFacts {
        cache: false,
        metric_or_plot: true,
        ..out(path)
    };
    vec![
        (
            "prepare",
            stage(
                vec![dep("src/run.sh"), dep("data/raw.csv"), dep("params.yaml")],
                vec![out("data/prepared")],
            ),
        ),
        (
            "train",
            stage(
                vec![dep("data/prepared"), dep("params.yaml"), dep("cfg.json")],
                vec![
                    out("model.pkl"),
                    uncached_metric("metrics.json"),
                    uncached_metric("plot.json"),
                ],
            ),
        ),
        (
            "evaluate",
            stage(
                vec![dep("model.pkl")],
                vec![runcache::OutFacts {
                    persist: true,
                    ..out("eval/persisted.txt")
                }],
            ),
        ),
        ("script", stage(vec![], vec![out("script.txt")])),
        (
            "unicode",
            stage(
                vec![dep("données/entrée.txt")],
                vec![out("données/sortie.txt")],
            ),
        ),
        ("loop@a", stage(vec![], vec![out("out_a.txt")])),
        ("loop@b", stage(vec![], vec![out("out_b.txt")])),
        (
            "in_sub",
            stage(
                vec![dep("input.txt"), dep("../params.yaml")],
                vec![out("output.txt")],
            ),
        ),
        (
            "always",
            runcache::StageFacts {
                always_changed: true,
                ..stage(
                    vec![],
                    vec![runcache::OutFacts {
                        cache: false,
                        ..out("always.txt")
                    }],
                )
            },
        ),
        ("only_cmd", stage(vec![], vec![])),
        (
            "added",
            stage(vec![dep("data/raw.csv")], vec![out("added.csv")]),
        ),
    ]
}

#[test]
fn eligible_stages_are_the_ones_dvc_cached() {
    let scenario = fixtures_dir().join("features");
    let values: Vec<String> = dvc_entries()
        .into_iter()
        .filter(|(_, _, path)| path.starts_with(&scenario))
        .map(|(_, value, _)| value)
        .collect();
    let text = std::fs::read_to_string(scenario.join("snapshots/2-updated.lock")).unwrap();
    let lock = lock::parse(&text, "dvc.lock").lock;
    for (name, facts) in features_stage_facts() {
        let cached = values.contains(&runcache::run_cache_value(&lock.stages[name]));
        let eligible = runcache::saves_runs(&facts, false);
        assert_eq!(eligible.is_ok(), cached, "{name}: {eligible:?}");
    }
}
