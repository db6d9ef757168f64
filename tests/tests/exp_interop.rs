//! Experiments made by `retort exp run` and by `dvc exp run` in the same
//! repository: each tool lists, applies and shares the other's, and both
//! print the same `exp show --json`. Also the parallel queue, a detached HEAD
//! as the baseline, push and pull through a local bare repository, and the
//! errors a user meets on the way.

mod exp_support;

use std::path::Path;

use exp_support::{dvc, json, Repo};
use serde_json::Value;

/// The params and metrics that `exp show --json` gives for one experiment.
fn exp_data<'a>(listing: &'a Value, name: &str) -> &'a Value {
    listing
        .as_array()
        .expect("a list of rows")
        .iter()
        .filter_map(|row| row["experiments"].as_array())
        .flatten()
        .find(|range| range["name"] == name)
        .map(|range| &range["revs"][0]["data"])
        .unwrap_or_else(|| panic!("no experiment '{name}' in {listing:#}"))
}

fn lr_of(data: &Value) -> &Value {
    &data["params"]["params.yaml"]["data"]["train"]["lr"]
}

fn acc_of(data: &Value) -> &Value {
    &data["metrics"]["metrics.json"]["data"]["acc"]
}

/// HEAD, branches and the index's entries: what an experiment command must
/// leave alone (the status changes when the workspace keeps the results).
/// The entries are compared rather than the index file's bytes, which git
/// itself rewrites when it refreshes file times.
fn refs_and_index(repo: &Repo) -> (String, String, String, String) {
    let state = repo.git_state();
    let entries = repo.git(&["ls-files", "--stage"]);
    (state.head, state.head_sha, state.branches, entries)
}

/// The same plus `git status`: for commands that must not touch the workspace.
fn refs_index_and_status(repo: &Repo) -> ((String, String, String, String), String) {
    let status = repo.git(&["status", "--porcelain"]);
    (refs_and_index(repo), status)
}

#[test]
fn retort_run_is_listed_and_applied_by_dvc() {
    let Some(dvc) = dvc() else { return };
    let repo = Repo::project(Some(dvc));
    let before = refs_and_index(&repo);

    let printed = repo.retort(&["exp", "run", "-n", "by-retort", "-S", "train.lr=0.2"]);
    assert!(
        printed.contains("Ran experiment(s): by-retort"),
        "{printed}"
    );
    assert_eq!(
        refs_and_index(&repo),
        before,
        "HEAD, branches or index moved"
    );
    // The workspace keeps the results, and DVC finds its lock up to date.
    assert!(repo.read("params.yaml").contains("lr: 0.2"));
    assert!(repo
        .run_dvc(&["status"])
        .contains("Data and pipelines are up to date."));

    let listed = json(&repo.run_dvc(&["exp", "show", "--json"]));
    let data = exp_data(&listed, "by-retort");
    assert_eq!(lr_of(data), 0.2);
    assert_eq!(acc_of(data), 0.7);
    assert_eq!(json(&repo.retort(&["exp", "show", "--json"])), listed);

    // Back to the baseline, then DVC restores the experiment, its cached
    // model included (Retort stored it in the cache in DVC's layout).
    repo.git(&["checkout", "-q", "--", "."]);
    repo.git(&["clean", "-qfd", "--", "metrics.json", "dvc.lock"]);
    repo.write("model.bin", "stale");
    repo.run_dvc(&["exp", "apply", "by-retort"]);
    assert!(repo.read("params.yaml").contains("lr: 0.2"));
    assert_eq!(json(&repo.read("metrics.json"))["acc"], 0.7);
    assert_eq!(repo.read("model.bin"), "0.2");
}

#[test]
fn both_tools_show_the_same_rows_for_mixed_experiments() {
    let Some(dvc) = dvc() else { return };
    let repo = Repo::project(Some(dvc));
    repo.retort(&["exp", "run", "-n", "r-first", "-S", "train.lr=0.11"]);
    repo.run_dvc(&["exp", "run", "-q", "-n", "d-second", "-S", "train.lr=0.12"]);
    repo.retort(&["exp", "run", "-S", "train.lr=0.13", "-S", "train.epochs=4"]);
    repo.run_dvc(&["exp", "run", "-q", "-S", "train.lr=0.14"]);

    let expected = json(&repo.run_dvc(&["exp", "show", "--json"]));
    let actual = json(&repo.retort(&["exp", "show", "--json"]));
    assert_eq!(actual, expected);
    let ranges = expected[1]["experiments"].as_array().unwrap();
    assert_eq!(ranges.len(), 4, "{expected:#}");
    for range in ranges {
        let data = &range["revs"][0]["data"];
        let lr = lr_of(data).as_f64().unwrap();
        let acc = acc_of(data).as_f64().unwrap();
        assert!((acc - (0.5 + lr)).abs() < 1e-9, "{range:#}");
    }
    for args in [&["exp", "show", "--csv"][..], &["exp", "show", "--md"][..]] {
        assert_eq!(repo.retort(args), repo.run_dvc(args), "{args:?}");
    }

    // Retort applies and branches the experiment DVC made.
    let (_, dvc_sha) = repo.exp("d-second");
    repo.retort(&["exp", "apply", "--force", "d-second"]);
    assert_eq!(
        repo.read("params.yaml"),
        repo.git(&["show", &format!("{dvc_sha}:params.yaml")])
    );
    assert_eq!(repo.read("model.bin"), "0.12");
    repo.retort(&["exp", "branch", "d-second", "kept"]);
    assert_eq!(repo.git(&["rev-parse", "kept"]).trim(), dvc_sha);
}

/// A training script that sleeps, and appends when it starts and ends to a
/// file outside the repository, so that the test can count the runs that
/// were in flight at once.
fn slow_train(times: &Path) -> String {
    format!(
        "import time\nlog = open({times:?}, 'a')\nlog.write(f'start {{time.time()}}\\n'); log.flush()\ntime.sleep(1.0)\n{}log.write(f'end {{time.time()}}\\n')\n",
        exp_support::TRAIN_PY
    )
}

/// The most runs in flight at one time, from the start and end lines.
fn max_in_flight(log: &str) -> usize {
    let mut events: Vec<(f64, i32)> = log
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(kind, at)| (at.parse().unwrap(), if kind == "start" { 1 } else { -1 }))
        .collect();
    events.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let (mut now, mut most) = (0, 0);
    for (_, step) in events {
        now += step;
        most = most.max(now);
    }
    most as usize
}

#[test]
fn queue_runs_two_at_a_time_without_touching_the_workspace() {
    let Some(dvc) = dvc() else { return };
    let repo = Repo::project(Some(dvc));
    let scratch = tempfile::tempdir().unwrap();
    let times = scratch.path().join("times.log");
    repo.write("train.py", &slow_train(&times));
    repo.run_dvc(&["repro", "-q"]);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "slow training"]);
    std::fs::remove_file(&times).unwrap();

    for lr in ["0.21", "0.22", "0.23", "0.24"] {
        let printed = repo.retort(&["exp", "run", "--queue", "-S", &format!("train.lr={lr}")]);
        assert!(printed.contains("Queued experiment"), "{printed}");
    }
    let queued = json(&repo.retort(&["exp", "show", "--json"]));
    let states: Vec<&Value> = queued[1]["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|range| &range["executor"]["state"])
        .collect();
    assert_eq!(states, vec!["queued"; 4], "{queued:#}");

    let before = refs_index_and_status(&repo);
    repo.retort(&["exp", "run", "--run-all", "-j", "2"]);
    assert_eq!(
        refs_index_and_status(&repo),
        before,
        "queued runs touched the workspace"
    );
    let log = std::fs::read_to_string(&times).unwrap();
    assert_eq!(log.lines().count(), 8, "{log}");
    assert_eq!(max_in_flight(&log), 2, "-j 2 runs two at once:\n{log}");

    // Every run ended as an experiment that DVC lists with its own params.
    let listed = json(&repo.run_dvc(&["exp", "show", "--json"]));
    let mut lrs: Vec<f64> = listed[1]["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|range| {
            let data = &range["revs"][0]["data"];
            let lr = lr_of(data).as_f64().unwrap();
            assert!((acc_of(data).as_f64().unwrap() - (0.5 + lr)).abs() < 1e-9);
            lr
        })
        .collect();
    lrs.sort_by(f64::total_cmp);
    assert_eq!(lrs, vec![0.21, 0.22, 0.23, 0.24]);
    let status = repo.retort(&["queue", "status"]);
    assert_eq!(status.matches("Success").count(), 4, "{status}");
}

#[test]
fn detached_head_is_the_baseline_for_both_tools() {
    let Some(dvc) = dvc() else { return };
    let repo = Repo::project(Some(dvc));
    let first = repo.head();
    repo.write("README.md", "second commit\n");
    repo.git(&["add", "README.md"]);
    repo.git(&["commit", "-qm", "second"]);
    repo.git(&["checkout", "-q", "--detach", &first]);
    let before = refs_and_index(&repo);

    repo.retort(&["exp", "run", "-n", "on-detached", "-S", "train.lr=0.3"]);
    assert_eq!(refs_and_index(&repo), before, "HEAD stays detached");
    let (reference, _) = repo.exp("on-detached");
    assert_eq!(
        reference,
        format!("refs/exps/{}/{}/on-detached", &first[..2], &first[2..])
    );
    let listed = json(&repo.run_dvc(&["exp", "show", "--json"]));
    assert_eq!(listed[1]["rev"], first.as_str());
    assert_eq!(lr_of(exp_data(&listed, "on-detached")), 0.3);
    assert_eq!(json(&repo.retort(&["exp", "show", "--json"])), listed);
}

#[test]
fn push_and_pull_cross_between_the_tools() {
    let Some(dvc) = dvc() else { return };
    let repo = Repo::project(Some(dvc.clone()));
    let remote = tempfile::tempdir().unwrap();
    let remote_path = remote.path().to_str().unwrap();
    repo.git(&["init", "-q", "--bare", "-b", "main", remote_path]);
    repo.git(&["remote", "add", "origin", remote_path]);
    repo.git(&["push", "-q", "origin", "main"]);

    repo.retort(&["exp", "run", "-n", "from-retort", "-S", "train.lr=0.31"]);
    repo.run_dvc(&["exp", "run", "-q", "-n", "from-dvc", "-S", "train.lr=0.32"]);
    let pushed = repo.retort(&["exp", "push", "origin", "from-retort"]);
    assert!(
        pushed.starts_with("Pushed experiment 'from-retort' to Git remote 'origin'."),
        "{pushed}"
    );
    repo.run_dvc(&["exp", "push", "--no-cache", "origin", "from-dvc"]);
    let remote_list = repo.run_dvc(&["exp", "list", "--name-only", "origin"]);
    let mut names: Vec<&str> = remote_list.lines().collect();
    names.sort();
    assert_eq!(names, ["from-dvc", "from-retort"]);

    // A second clone pulls one with each tool, and both list the same.
    let clone = Repo::git_only();
    clone.git(&["fetch", "-q", remote_path, "main"]);
    clone.git(&["reset", "-q", "--hard", "FETCH_HEAD"]);
    clone.git(&["remote", "add", "origin", remote_path]);
    let clone = Repo {
        dvc: Some(dvc),
        ..clone
    };
    let pulled = clone.retort(&["exp", "pull", "origin", "from-dvc"]);
    assert!(
        pulled.starts_with("Pulled experiment 'from-dvc' from Git remote 'origin'."),
        "{pulled}"
    );
    clone.run_dvc(&["exp", "pull", "--no-cache", "origin", "from-retort"]);
    let expected = json(&clone.run_dvc(&["exp", "show", "--json"]));
    assert_eq!(json(&clone.retort(&["exp", "show", "--json"])), expected);
    assert_eq!(lr_of(exp_data(&expected, "from-retort")), 0.31);
    assert_eq!(lr_of(exp_data(&expected, "from-dvc")), 0.32);
    assert_eq!(
        clone.retort(&["exp", "pull", "origin", "from-dvc"]),
        "No experiments to pull.\n"
    );
    let error = clone.retort_fails(&["exp", "pull", "origin", "missing"]);
    assert!(error.contains("no experiment named 'missing'"), "{error}");
}

#[test]
fn errors_name_the_problem_and_the_fix() {
    let Some(dvc) = dvc() else { return };
    // No commits: nothing is edited or run.
    let empty = Repo::git_only();
    empty.write("params.yaml", exp_support::PARAMS_YAML);
    empty.write("train.py", exp_support::TRAIN_PY);
    empty.write("dvc.yaml", exp_support::DVC_YAML);
    for args in [
        &["exp", "run", "-S", "train.lr=0.5"][..],
        &["exp", "run", "--queue", "-S", "train.lr=0.5"][..],
    ] {
        let error = empty.retort_fails(args);
        assert!(error.contains("has no commits yet"), "{args:?}: {error}");
    }
    assert_eq!(empty.read("params.yaml"), exp_support::PARAMS_YAML);
    assert!(!empty.path().join("metrics.json").exists());

    let repo = Repo::project(Some(dvc));
    // A typo in -S is refused before anything runs.
    let error = repo.retort_fails(&["exp", "run", "-S", "train.lrr=0.5"]);
    assert!(error.contains("'train.lrr'"), "{error}");
    assert!(error.contains("did you mean 'train.lr'"), "{error}");
    assert_eq!(repo.read("params.yaml"), exp_support::PARAMS_YAML);

    // Names: unknown (with a suggestion) and ambiguous across baselines, for
    // experiments made by DVC.
    let first = repo.head();
    repo.run_dvc(&["exp", "run", "-q", "-n", "twin", "-S", "train.lr=0.4"]);
    repo.git(&["checkout", "-q", "--", "."]);
    repo.write("README.md", "second\n");
    repo.git(&["add", "README.md"]);
    repo.git(&["commit", "-qm", "second"]);
    repo.retort(&["exp", "run", "-n", "twin", "-S", "train.lr=0.41"]);
    repo.git(&["checkout", "-q", "--", "."]);
    repo.write("README.md", "third\n");
    repo.git(&["commit", "-qam", "third"]);
    let error = repo.retort_fails(&["exp", "apply", "twin"]);
    assert!(error.contains("several baselines"), "{error}");
    assert!(
        error.contains(&format!("refs/exps/{}/{}/twin", &first[..2], &first[2..])),
        "{error}"
    );
    let error = repo.retort_fails(&["exp", "branch", "twni"]);
    assert!(error.contains("did you mean 'twin'"), "{error}");

    // A dirty workspace: apply refuses, and the forced apply keeps a way back
    // that restores tracked and untracked files alike.
    repo.git(&["checkout", "-q", "--detach", &first]);
    let mine = exp_support::PARAMS_YAML.replace("seed: 1", "seed: 7");
    repo.write("params.yaml", &mine);
    repo.write("notes.txt", "mine, untracked\n");
    let before = refs_index_and_status(&repo);
    let error = repo.retort_fails(&["exp", "apply", "twin"]);
    assert!(
        error.contains("would overwrite uncommitted changes"),
        "{error}"
    );
    assert_eq!(refs_index_and_status(&repo), before);
    let printed = repo.retort(&["exp", "apply", "--force", "twin"]);
    assert!(repo.read("params.yaml").contains("lr: 0.4"));
    let way_back: Vec<&str> = printed
        .lines()
        .filter_map(|line| line.strip_prefix("\tgit "))
        .collect();
    assert_eq!(way_back.len(), 3, "{printed}");
    for command in way_back {
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("git {command}"))
            .current_dir(repo.path())
            .output()
            .unwrap();
        assert!(status.status.success(), "git {command}: {status:?}");
    }
    assert_eq!(repo.read("params.yaml"), mine);
    assert_eq!(repo.read("notes.txt"), "mine, untracked\n");
}
