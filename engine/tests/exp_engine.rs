//! The experiment engine API that `exp run` and the queue build on, on real
//! git repositories: recording (reuse of an identical tree, conflicts, `-f`,
//! the untouched index) and extra entries from a queue in `exp show`.

use std::path::Path;
use std::process::Command;

use retort_engine::exp::collect::{
    collect, ExecutorState, ExpExecutor, ExpRange, ExpState, ExtraEntry, ExtraExperiments,
    LocalExecutor, ShowOptions,
};
use retort_engine::exp::record::{pick_name, record_experiment, untracked_files, RecordRequest};
use retort_engine::exp::show::{shape, tabulate, ShapeOptions, TableOptions};
use retort_engine::exp::{ExpError, ExpRepo};

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A committed project: params, a pipeline and a metrics file.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.email", "tests@example.com"]);
    git(root, &["config", "user.name", "Retort Tests"]);
    std::fs::create_dir(root.join(".dvc")).unwrap();
    std::fs::write(root.join(".dvc/.gitignore"), "/tmp\n/cache\n").unwrap();
    std::fs::write(root.join("params.yaml"), "lr: 0.1\n").unwrap();
    std::fs::write(
        root.join("dvc.yaml"),
        "stages:\n  train:\n    cmd: echo\n    params: [lr]\n    metrics:\n      - metrics.json:\n          cache: false\n",
    )
    .unwrap();
    std::fs::write(root.join("metrics.json"), "{\"acc\": 0.5}").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "baseline"]);
    dir
}

fn request(repo: &ExpRepo, name: &str, include: &[&str], force: bool) -> RecordRequest {
    RecordRequest {
        baseline: repo.head_sha().unwrap(),
        name: name.to_string(),
        message: None,
        exp_hash: "0".repeat(64),
        include: include.iter().map(|path| path.to_string()).collect(),
        force,
    }
}

#[test]
fn record_reuses_or_rejects_existing_refs() {
    let dir = project();
    let root = dir.path();
    let repo = ExpRepo::discover(root).unwrap();
    std::fs::write(root.join("params.yaml"), "lr: 0.2\n").unwrap();
    std::fs::write(root.join("staged.txt"), "staged\n").unwrap();
    git(root, &["add", "staged.txt"]);
    std::fs::write(root.join("loose.txt"), "untracked\n").unwrap();
    let index_before = std::fs::read(root.join(".git/index")).unwrap();
    let head_before = git(root, &["rev-parse", "HEAD"]);

    let first = record_experiment(&repo, &request(&repo, "try", &[], false)).unwrap();
    assert!(!first.reused);
    assert_eq!(
        git(root, &["show", &format!("{}:params.yaml", first.sha)]),
        "lr: 0.2\n"
    );
    assert_eq!(
        git(root, &["show", &format!("{}:staged.txt", first.sha)]),
        "staged\n"
    );
    let files = git(root, &["ls-tree", "-r", "--name-only", &first.sha]);
    assert!(
        !files.contains("loose.txt"),
        "untracked files stay out: {files}"
    );
    assert_eq!(
        git(root, &["log", "-1", "--format=%s", &first.sha]).trim(),
        format!("dvc: commit experiment {}", "0".repeat(64))
    );
    assert_eq!(
        untracked_files(&repo).unwrap(),
        vec!["loose.txt".to_string()]
    );

    let again = record_experiment(&repo, &request(&repo, "try", &[], false)).unwrap();
    assert!(again.reused, "the same tree keeps the existing commit");
    assert_eq!(again.sha, first.sha);

    let conflict = record_experiment(&repo, &request(&repo, "try", &["loose.txt"], false));
    assert!(
        matches!(conflict, Err(ExpError::ExperimentExists { .. })),
        "{conflict:?}"
    );
    let forced = record_experiment(&repo, &request(&repo, "try", &["loose.txt"], true)).unwrap();
    assert_ne!(forced.sha, first.sha);
    assert_eq!(
        git(root, &["show", &format!("{}:loose.txt", forced.sha)]),
        "untracked\n"
    );

    assert_eq!(
        std::fs::read(root.join(".git/index")).unwrap(),
        index_before,
        "the index is untouched"
    );
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head_before);
    assert!(matches!(
        pick_name(&repo, &repo.head_sha().unwrap(), Some("try"), false),
        Err(ExpError::ExperimentExists { .. })
    ));
    assert_eq!(
        pick_name(&repo, &repo.head_sha().unwrap(), Some("try"), true).unwrap(),
        "try"
    );
}

/// A queue stand-in with one queued and one failed experiment.
struct FakeQueue {
    baseline: String,
}

impl ExtraExperiments for FakeQueue {
    fn entries(&self, baselines: &[String]) -> Vec<ExtraEntry> {
        if !baselines.contains(&self.baseline) {
            return Vec::new();
        }
        let entry = |name: &str, state: ExecutorState, rev: &str| ExtraEntry {
            baseline: self.baseline.clone(),
            range: ExpRange {
                revs: vec![ExpState {
                    rev: rev.to_string(),
                    name: Some(name.to_string()),
                    data: None,
                    error: None,
                    experiments: None,
                }],
                executor: Some(ExpExecutor {
                    state,
                    name: Some("dvc-task".into()),
                    local: Some(LocalExecutor {
                        task_id: Some(rev.to_string()),
                        ..Default::default()
                    }),
                }),
                name: Some(name.to_string()),
            },
        };
        vec![
            entry("waiting", ExecutorState::Queued, &"a".repeat(40)),
            entry("broken", ExecutorState::Failed, &"b".repeat(40)),
        ]
    }
}

#[test]
fn queue_entries_follow_finished_experiments() {
    let dir = project();
    let root = dir.path();
    let repo = ExpRepo::discover(root).unwrap();
    record_experiment(&repo, &request(&repo, "done", &[], false)).unwrap();
    let queue = FakeQueue {
        baseline: repo.head_sha().unwrap(),
    };

    let states = collect(&repo, &ShowOptions::default(), &queue).unwrap();
    let names: Vec<&str> = states[1]
        .experiments
        .as_ref()
        .unwrap()
        .iter()
        .map(|range| range.name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["done", "waiting", "broken"]);
    let json = states[1].to_json();
    let queued = &json.get("experiments").unwrap();
    assert!(
        queued
            .dumps()
            .contains(r#""state": "queued", "name": "dvc-task""#),
        "{}",
        queued.dumps()
    );

    let (mut table, _) = tabulate(&states, &TableOptions::default()).unwrap();
    shape(&mut table, &ShapeOptions::default()).unwrap();
    assert_eq!(
        table.column("State").unwrap(),
        ["-", "-", "-", "Queued", "Failed"]
    );
    assert_eq!(
        table.column("Executor").unwrap(),
        ["-", "-", "-", "Dvc-task", "Dvc-task"]
    );
    let ids = table.column("Experiment").unwrap();
    assert!(ids[2].starts_with("├── "), "{ids:?}");
    assert!(ids[2].ends_with("[done]"), "{ids:?}");
    assert!(ids[4].starts_with("└── "), "{ids:?}");
    assert!(ids[4].ends_with("[broken]"), "{ids:?}");

    let hidden = ShowOptions {
        hide_queued: true,
        hide_failed: true,
        ..ShowOptions::default()
    };
    let states = collect(&repo, &hidden, &queue).unwrap();
    assert_eq!(states[1].experiments.as_ref().unwrap().len(), 1);
}
