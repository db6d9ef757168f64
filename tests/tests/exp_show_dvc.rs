//! `retort exp show`, `exp diff`, `params diff` and `metrics show/diff` on
//! experiments made by real `dvc exp run` give the same rows, names, params
//! and metrics as DVC itself, and leave HEAD, branches and the index alone.

mod exp_support;

use exp_support::{dvc, json, Repo};

/// The fixture project with three DVC experiments (two named, one generated).
fn repo_with_dvc_experiments() -> Option<Repo> {
    let repo = Repo::project(Some(dvc()?));
    repo.run_dvc(&["exp", "run", "-q", "-n", "lr02", "-S", "train.lr=0.02"]);
    repo.run_dvc(&[
        "exp",
        "run",
        "-q",
        "-S",
        "train.lr=0.03",
        "-S",
        "train.epochs=5",
    ]);
    repo.run_dvc(&["exp", "run", "-q", "-n", "lr05", "-S", "train.lr=0.05"]);
    Some(repo)
}

#[test]
fn exp_show_matches_dvc_output() {
    let Some(repo) = repo_with_dvc_experiments() else {
        return;
    };
    let before = repo.git_state();
    for extra in [&[][..], &["--sha"][..], &["-A"][..], &["-n", "2"][..]] {
        let mut dvc_args = vec!["exp", "show", "--json"];
        dvc_args.extend_from_slice(extra);
        let expected = json(&repo.run_dvc(&dvc_args));
        let actual = json(&repo.retort(&dvc_args));
        assert_eq!(actual, expected, "exp show --json {extra:?}");
    }
    let expected = json(&repo.run_dvc(&["exp", "show", "--json"]));
    let names: Vec<&str> = expected[1]["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|range| range["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "DVC lists the three experiments");
    for format in [
        &["--csv"][..],
        &["--md"][..],
        &["--md", "--only-changed"][..],
        &["--csv", "--sort-by", "acc", "--sort-order", "desc"][..],
        &["--md", "--drop", "train\\..*", "--keep", "train.lr"][..],
        &["--csv", "--precision", "2"][..],
    ] {
        let mut args = vec!["exp", "show"];
        args.extend_from_slice(format);
        assert_eq!(
            repo.retort(&args),
            repo.run_dvc(&args),
            "exp show {format:?}"
        );
    }
    assert_eq!(repo.git_state(), before, "exp show changed the git state");
}

#[test]
fn diff_commands_match_dvc() {
    let Some(repo) = repo_with_dvc_experiments() else {
        return;
    };
    let before = repo.git_state();
    let text_commands: [&[&str]; 9] = [
        &["params", "diff"],
        &["params", "diff", "--all", "--md"],
        &["params", "diff", "lr02", "lr05"],
        &["metrics", "show"],
        &["metrics", "show", "--md"],
        &["metrics", "diff"],
        &["metrics", "diff", "HEAD", "lr05", "--all"],
        &["exp", "diff"],
        &["exp", "diff", "lr02", "lr05", "--all"],
    ];
    for args in text_commands {
        assert_eq!(repo.retort(args), repo.run_dvc(args), "{args:?}");
    }
    let json_commands: [&[&str]; 5] = [
        &["params", "diff", "lr02", "lr05", "--json"],
        &["metrics", "show", "--json"],
        &["metrics", "diff", "HEAD", "lr02", "--json"],
        &["exp", "diff", "--json"],
        &["exp", "diff", "lr02", "lr05", "--all", "--json"],
    ];
    for args in json_commands {
        assert_eq!(
            json(&repo.retort(args)),
            json(&repo.run_dvc(args)),
            "{args:?}"
        );
    }
    // DVC lists refs in the order of a Python set, which changes from run to
    // run, so the lines are compared sorted.
    for args in [&["exp", "list"][..], &["exp", "list", "-A"][..]] {
        let sorted = |text: String| {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines.sort();
            lines
        };
        assert_eq!(
            sorted(repo.retort(args)),
            sorted(repo.run_dvc(args)),
            "{args:?}"
        );
    }
    let names = repo.retort(&["exp", "list", "--name-only"]);
    assert_eq!(names.lines().count(), 3);
    assert_eq!(
        repo.git_state(),
        before,
        "the diff commands changed the git state"
    );
}

#[test]
fn digits_experiments_match_dvc() {
    let Some(dvc) = dvc() else { return };
    let repo = Repo::git_only();
    let source = retort_tests::repo_root().join("examples/digits");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", source.display()))
        .arg(repo.path())
        .status()
        .unwrap();
    assert!(status.success());
    let repo = Repo {
        dvc: Some(dvc),
        ..repo
    };
    if !repo.path().join(".dvc").is_dir() {
        repo.run_dvc(&["init", "-q"]);
    }
    repo.run_dvc(&["repro", "-q"]);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "baseline"]);
    repo.run_dvc(&[
        "exp",
        "run",
        "-q",
        "-n",
        "fast",
        "-S",
        "train.epochs=2",
        "-S",
        "train.lr=0.1",
    ]);
    let expected = json(&repo.run_dvc(&["exp", "show", "--json"]));
    let actual = json(&repo.retort(&["exp", "show", "--json"]));
    assert_eq!(actual, expected);
    assert_eq!(expected[1]["experiments"][0]["name"], "fast");
    assert_eq!(
        repo.retort(&["exp", "show", "--csv"]),
        repo.run_dvc(&["exp", "show", "--csv"])
    );
}
