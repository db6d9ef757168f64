//! Experiments cross between the tools. One recorded by Retort is listed by
//! `dvc exp show` and restored by `dvc exp apply`, and one run by DVC is
//! applied and branched by Retort. HEAD, branches and the index stay as they
//! were.

mod exp_support;

use exp_support::{dvc, json, Repo};

#[test]
fn saved_experiment_works_in_dvc() {
    let Some(dvc) = dvc() else { return };
    let repo = Repo::project(Some(dvc));
    // On a workspace whose lock matches its files (so that DVC's commit step
    // changes nothing) the experiment hash is the one DVC computes.
    repo.retort(&["exp", "save", "-n", "by-retort"]);
    repo.run_dvc(&["exp", "save", "-q", "-n", "by-dvc"]);
    let subject = |name: &str| repo.git(&["log", "-1", "--format=%s", &repo.exp(name).0]);
    assert_eq!(subject("by-retort"), subject("by-dvc"));
    repo.run_dvc(&["exp", "remove", "by-retort", "by-dvc"]);

    repo.write(
        "params.yaml",
        &exp_support::PARAMS_YAML.replace("lr: 0.01", "lr: 0.07"),
    );
    repo.write("notes.txt", "not part of the experiment\n");
    repo.write("extra.txt", "included with -I\n");
    let before = repo.git_state();

    let output = repo.retort_output(&["exp", "save", "-n", "saved07", "-I", "extra.txt"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "Experiment has been saved as: saved07\n"
    );
    let warning = String::from_utf8_lossy(&output.stderr);
    assert!(
        warning.contains("notes.txt"),
        "untracked files are named: {warning}"
    );
    assert!(
        !warning.contains("extra.txt"),
        "-I files are in the commit: {warning}"
    );
    assert_eq!(
        repo.git_state(),
        before,
        "exp save changed HEAD, branches, index or status"
    );

    let (reference, _) = repo.exp("saved07");
    assert_eq!(
        reference,
        format!(
            "refs/exps/{}/{}/saved07",
            &before.head_sha[..2],
            &before.head_sha[2..]
        )
    );
    let message = repo.git(&["log", "-1", "--format=%s", reference.as_str()]);
    assert!(message.starts_with("dvc: commit experiment "), "{message}");
    let parents = repo.git(&["log", "-1", "--format=%P", reference.as_str()]);
    assert_eq!(
        parents.trim(),
        before.head_sha,
        "the baseline is the only parent"
    );
    let files = repo.git(&["ls-tree", "-r", "--name-only", reference.as_str()]);
    assert!(files.lines().any(|line| line == "extra.txt"));
    assert!(!files.lines().any(|line| line == "notes.txt"));

    // DVC lists it with the same params and metrics as Retort.
    let listed = json(&repo.run_dvc(&["exp", "show", "--json"]));
    let experiment = &listed[1]["experiments"][0];
    assert_eq!(experiment["name"], "saved07");
    assert_eq!(
        experiment["revs"][0]["data"]["params"]["params.yaml"]["data"]["train"]["lr"],
        0.07
    );
    assert_eq!(json(&repo.retort(&["exp", "show", "--json"])), listed);

    // `dvc exp apply` restores the saved params.
    repo.git(&["checkout", "-q", "params.yaml"]);
    repo.run_dvc(&["exp", "apply", "saved07"]);
    assert!(repo.read("params.yaml").contains("lr: 0.07"));
}

#[test]
fn dvc_experiment_applies_and_branches() {
    let Some(dvc) = dvc() else { return };
    let repo = Repo::project(Some(dvc));
    repo.run_dvc(&["exp", "run", "-q", "-n", "lr05", "-S", "train.lr=0.05"]);
    repo.git(&["checkout", "-q", "--", "."]);
    // A cached output that differs from the experiment's: apply checks the
    // experiment's version out of the cache.
    repo.write("model.bin", "stale");
    let exp_sha = repo.exp("lr05").1;
    let before = repo.git_state();

    let printed = repo.retort(&["exp", "apply", "lr05"]);
    assert!(printed
        .starts_with("Changes for experiment 'lr05' have been applied to your current workspace."));
    for path in ["params.yaml", "metrics.json", "dvc.lock"] {
        let committed = repo.git(&["show", &format!("{exp_sha}:{path}")]);
        assert_eq!(repo.read(path), committed, "{path} matches the experiment");
    }
    assert_eq!(
        repo.read("model.bin"),
        "0.05",
        "the cached output is checked out"
    );
    let after = repo.git_state();
    assert_eq!(
        (&after.head, &after.head_sha, &after.branches, &after.index),
        (
            &before.head,
            &before.head_sha,
            &before.branches,
            &before.index
        )
    );
    assert_eq!(
        repo.git(&["rev-parse", "refs/exps/exec/EXEC_APPLY"]).trim(),
        exp_sha
    );

    let printed = repo.retort(&["exp", "branch", "lr05"]);
    assert_eq!(
        printed,
        "Git branch 'lr05-branch' has been created from experiment 'lr05'.\nTo switch to the new branch run:\n\n\tgit checkout lr05-branch\n"
    );
    assert_eq!(repo.git(&["rev-parse", "lr05-branch"]).trim(), exp_sha);
    assert_eq!(repo.head(), before.head_sha);
    let again = repo.retort_fails(&["exp", "branch", "lr05"]);
    assert!(again.contains("'lr05-branch' already exists"), "{again}");
}

#[test]
fn apply_protects_uncommitted_changes() {
    let Some(dvc) = dvc() else { return };
    let repo = Repo::project(Some(dvc));
    repo.run_dvc(&["exp", "run", "-q", "-n", "lr05", "-S", "train.lr=0.05"]);
    repo.git(&["checkout", "-q", "--", "."]);
    let mine = exp_support::PARAMS_YAML.replace("seed: 1", "seed: 42");
    repo.write("params.yaml", &mine);
    let before = repo.git_state();

    let error = repo.retort_fails(&["exp", "apply", "lr05"]);
    assert!(
        error.contains("would overwrite uncommitted changes in: params.yaml"),
        "{error}"
    );
    assert!(error.contains("--force"), "{error}");
    assert_eq!(repo.read("params.yaml"), mine, "nothing was written");
    assert_eq!(repo.git_state(), before);

    let printed = repo.retort(&["exp", "apply", "--force", "lr05"]);
    assert!(
        printed.contains("git stash apply refs/exps/apply/stash"),
        "{printed}"
    );
    assert!(repo.read("params.yaml").contains("lr: 0.05"));
    // The saved stash contains the local edit, in git stash form.
    let stashed = repo.git(&["show", "refs/exps/apply/stash:params.yaml"]);
    assert_eq!(stashed, mine);
    assert_eq!(
        repo.git(&["rev-parse", "refs/exps/apply/ORIG_HEAD"]).trim(),
        before.head_sha
    );
    repo.git(&["reset", "-q", "--hard"]);
    repo.git(&["stash", "apply", "-q", "refs/exps/apply/stash"]);
    assert_eq!(repo.read("params.yaml"), mine);
}
