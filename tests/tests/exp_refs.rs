//! Experiment refs without DVC: clear errors (no commits, unknown and
//! ambiguous names, invalid names), detached HEAD as a baseline, remove,
//! rename and list, and push/pull through a local bare repository.

mod exp_support;

use exp_support::Repo;

#[test]
fn empty_repository_error_is_clear() {
    let repo = Repo::git_only();
    std::fs::create_dir_all(repo.path().join(".dvc")).unwrap();
    for args in [
        &["exp", "show"][..],
        &["exp", "save"][..],
        &["exp", "list"][..],
        &["params", "diff"][..],
    ] {
        let error = repo.retort_fails(args);
        assert!(error.contains("has no commits yet"), "{args:?}: {error}");
        assert!(error.contains("git commit"), "{args:?}: {error}");
    }
}

#[test]
fn names_are_validated_resolved_and_suggested() {
    let repo = Repo::project(None);
    let before = repo.git_state();
    let error = repo.retort_fails(&["exp", "save", "-n", "bad name"]);
    assert!(
        error.contains("invalid experiment name 'bad name'"),
        "{error}"
    );
    let error = repo.retort_fails(&["exp", "save", "-n", "a/b"]);
    assert!(error.contains("contains '/'"), "{error}");

    repo.retort(&["exp", "save", "-n", "first-try"]);
    let error = repo.retort_fails(&["exp", "save", "-n", "first-try"]);
    assert!(error.contains("already exists"), "{error}");
    assert!(error.contains("-f"), "{error}");
    // -f replaces it.
    repo.retort(&["exp", "save", "-n", "first-try", "-f"]);
    let generated = repo.retort(&["exp", "save"]);
    let name = generated
        .trim()
        .strip_prefix("Experiment has been saved as: ")
        .unwrap()
        .to_string();
    let (adjective, noun) = name.split_once('-').expect("adjective-noun");
    assert!((4..=5).contains(&adjective.len()), "{name}");
    assert!((4..=5).contains(&noun.len()), "{name}");

    let error = repo.retort_fails(&["exp", "diff", "first-tyr"]);
    assert!(
        error.contains("'first-tyr' is not a commit, branch, tag or experiment name"),
        "{error}"
    );
    assert!(error.contains("did you mean 'first-try'"), "{error}");
    let error = repo.retort_fails(&["exp", "apply", "frist-try"]);
    assert!(error.contains("did you mean 'first-try'"), "{error}");

    // The same name under a second baseline: the one under HEAD wins, and
    // from elsewhere the name is ambiguous.
    let first_baseline = repo.head();
    repo.write("README.md", "second commit\n");
    repo.git(&["add", "README.md"]);
    repo.git(&["commit", "-qm", "second"]);
    repo.retort(&["exp", "save", "-n", "first-try"]);
    let listed = repo.retort(&["exp", "diff", "first-try", "--json"]);
    assert!(listed.starts_with('{'));
    repo.git(&["checkout", "-q", "--detach", &first_baseline]);
    let detached_list = repo.retort(&["exp", "list"]);
    assert!(
        detached_list.starts_with(&format!("{}:\n", &first_baseline[..7]))
            && detached_list.contains("[first-try]"),
        "a detached HEAD is the baseline: {detached_list}"
    );
    drop(before);
}

#[test]
fn ambiguous_names_list_the_full_refs() {
    let repo = Repo::project(None);
    let first = repo.head();
    repo.retort(&["exp", "save", "-n", "twin"]);
    repo.write("README.md", "second commit\n");
    repo.git(&["add", "README.md"]);
    repo.git(&["commit", "-qm", "second"]);
    repo.retort(&["exp", "save", "-n", "twin"]);
    repo.write("README.md", "third commit\n");
    repo.git(&["commit", "-qam", "third"]);
    let error = repo.retort_fails(&["exp", "apply", "twin"]);
    assert!(
        error.contains("refers to experiments of several baselines"),
        "{error}"
    );
    assert!(
        error.contains(&format!("refs/exps/{}/{}/twin", &first[..2], &first[2..])),
        "{error}"
    );

    // Under a baseline that has it, the name resolves.
    repo.git(&["checkout", "-q", "--detach", &first]);
    let before = repo.git_state();
    repo.retort(&["exp", "branch", "twin", "from-twin"]);
    assert_eq!(repo.git(&["rev-parse", "from-twin^"]).trim(), first);
    let after = repo.git_state();
    assert_eq!(after.head, before.head, "detached HEAD stays detached");
    assert_eq!(after.index, before.index);
}

#[test]
fn remove_rename_and_list_work_on_refs() {
    let repo = Repo::project(None);
    for name in ["one", "two", "three"] {
        repo.retort(&["exp", "save", "-n", name]);
    }
    let before = repo.git_state();
    let head = repo.head();
    let listed = repo.retort(&["exp", "list"]);
    assert!(listed.starts_with("main:\n"), "{listed}");
    assert_eq!(
        listed.lines().filter(|line| line.starts_with('\t')).count(),
        3
    );

    assert_eq!(
        repo.retort(&["exp", "rename", "one", "uno"]),
        "Renamed experiments: 'one'\n"
    );
    let error = repo.retort_fails(&["exp", "rename", "uno", "two"]);
    assert!(error.contains("already exists"), "{error}");
    assert_eq!(
        repo.retort(&["exp", "remove", "uno", "two"]),
        "Removed experiments: 'uno' and 'two'\n"
    );
    let error = repo.retort_fails(&["exp", "remove", "missing"]);
    assert!(
        error.contains("'missing' is not an experiment name"),
        "{error}"
    );
    assert_eq!(repo.retort(&["exp", "list", "--name-only"]), "three\n");
    assert_eq!(
        repo.retort(&["exp", "remove", "--rev", &head]),
        "Removed experiments: 'three'\n"
    );
    assert_eq!(
        repo.retort(&["exp", "remove", "-A"]),
        "No experiments to remove.\n"
    );
    assert_eq!(repo.git_state(), before);
}

#[test]
fn push_pull_through_bare_remote() {
    let repo = Repo::project(None);
    let remote = tempfile::tempdir().unwrap();
    let remote_path = remote.path().join("origin.git");
    let status = std::process::Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(&remote_path)
        .status()
        .unwrap();
    assert!(status.success());
    repo.git(&["remote", "add", "origin", remote_path.to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "main"]);
    repo.retort(&["exp", "save", "-n", "shared"]);
    let (reference, sha) = repo.exp("shared");
    let before = repo.git_state();

    let pushed = repo.retort(&["exp", "push", "origin", "shared"]);
    assert!(
        pushed.starts_with("Pushed experiment 'shared' to Git remote 'origin'."),
        "{pushed}"
    );
    let on_remote = std::process::Command::new("git")
        .args(["rev-parse", &reference])
        .current_dir(&remote_path)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&on_remote.stdout).trim(), sha);
    let again = repo.retort(&["exp", "push", "origin"]);
    assert!(
        again.starts_with("Experiment 'shared' is up to date on Git remote 'origin'."),
        "{again}"
    );
    assert_eq!(
        repo.retort(&["exp", "list", "origin", "--name-only"]),
        "shared\n"
    );

    // A clone without the experiment pulls it.
    let clone_dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("git")
        .args(["clone", "-q"])
        .arg(&remote_path)
        .arg(clone_dir.path().join("clone"))
        .status()
        .unwrap();
    assert!(status.success());
    let clone = Repo {
        dir: clone_dir,
        dvc: None,
    };
    let clone_path = clone.path().join("clone");
    let in_clone = |args: &[&str]| {
        let output = std::process::Command::new(retort_tests::retort_bin())
            .args(args)
            .current_dir(&clone_path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    assert_eq!(in_clone(&["exp", "list", "--name-only"]), "");
    let pulled = in_clone(&["exp", "pull", "origin", "shared"]);
    assert!(
        pulled.starts_with("Pulled experiment 'shared' from Git remote 'origin'."),
        "{pulled}"
    );
    assert_eq!(in_clone(&["exp", "list", "--name-only"]), "shared\n");
    assert_eq!(
        in_clone(&["exp", "pull", "origin"]),
        "No experiments to pull.\n"
    );
    assert_eq!(repo.git_state(), before);
}
