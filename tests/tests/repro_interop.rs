//! `retort repro` and `retort status` against real DVC on the same projects:
//! each tool finds the other's results up to date, uses the other's run-cache
//! entries, and writes the same `dvc.lock`.

mod repro_support;

use repro_support::{dvc, up_to_date, Project};

/// After `retort repro`, DVC finds nothing to do, and the reverse.
#[test]
fn repro_up_to_date_for_both() {
    let Some(dvc) = dvc("repro_up_to_date_for_both") else {
        return;
    };
    let by_retort = Project::fixture(Some(&dvc));
    by_retort.retort(&["repro"]);
    assert_eq!(by_retort.runs("count"), 1);
    let status = by_retort.dvc(&dvc, &["status"]);
    assert!(
        up_to_date(&status),
        "dvc status after retort repro:\n{status}"
    );
    let lock = by_retort.read("dvc.lock");
    let repro = by_retort.dvc(&dvc, &["repro"]);
    assert!(!repro.contains("Running stage"), "dvc repro ran:\n{repro}");
    assert_eq!(by_retort.runs("count"), 1);
    assert_eq!(by_retort.runs("notes"), 1);
    assert_eq!(by_retort.read("dvc.lock"), lock);

    let by_dvc = Project::fixture(Some(&dvc));
    by_dvc.dvc(&dvc, &["repro"]);
    let status = by_dvc.retort(&["status"]);
    assert!(
        up_to_date(&status),
        "retort status after dvc repro:\n{status}"
    );
    let repro = by_dvc.retort(&["repro"]);
    assert!(
        !repro.contains("Running stage"),
        "retort repro ran:\n{repro}"
    );
    assert_eq!(by_dvc.runs("count"), 1);

    // The same runs give the same bytes, and the same .gitignore entries.
    assert_eq!(by_dvc.read("dvc.lock"), lock);
    assert_eq!(by_dvc.read(".gitignore"), by_retort.read(".gitignore"));
    assert_eq!(
        relative(&by_dvc, by_dvc.cache_objects()),
        relative(&by_retort, by_retort.cache_objects())
    );
}

/// A run-cache entry written by either tool restores the stage in the other,
/// which the counter shows by not growing.
#[test]
fn run_cache_shared_both_ways() {
    let Some(dvc) = dvc("run_cache_shared_both_ways") else {
        return;
    };
    let project = Project::fixture(Some(&dvc));
    project.retort(&["repro"]);
    let retort_total = project.read("total.txt");

    project.write("params.yaml", "scale: 3\n");
    project.dvc(&dvc, &["repro"]);
    assert_eq!(project.runs("count"), 2);
    let dvc_total = project.read("total.txt");

    // Back to the run Retort recorded: DVC restores it.
    project.write("params.yaml", "scale: 2\n");
    let output = project.dvc(&dvc, &["repro"]);
    assert!(
        output.contains("Stage 'count' is cached - skipping run"),
        "dvc repro:\n{output}"
    );
    assert_eq!(project.runs("count"), 2);
    assert_eq!(project.read("total.txt"), retort_total);

    // Forward to the run DVC recorded: Retort restores it.
    project.write("params.yaml", "scale: 3\n");
    let output = project.retort(&["repro"]);
    assert!(
        output.contains("Stage 'count' is cached - skipping run"),
        "retort repro:\n{output}"
    );
    assert_eq!(project.runs("count"), 2);
    assert_eq!(project.read("total.txt"), dvc_total);
    let status = project.dvc(&dvc, &["status"]);
    assert!(up_to_date(&status), "dvc status:\n{status}");
}

/// The example project: run by Retort in one copy and by DVC in another, each
/// is up to date for the other tool and the lock files are byte-identical.
#[test]
fn example_project_both_tools() {
    let Some(dvc) = dvc("example_project_both_tools") else {
        return;
    };
    let by_retort = Project::digits();
    by_retort.retort(&["repro"]);
    let status = by_retort.dvc(&dvc, &["status"]);
    assert!(
        up_to_date(&status),
        "dvc status after retort repro:\n{status}"
    );
    let repro = by_retort.dvc(&dvc, &["repro"]);
    assert!(!repro.contains("Running stage"), "dvc repro ran:\n{repro}");

    let by_dvc = Project::digits();
    by_dvc.dvc(&dvc, &["repro"]);
    let status = by_dvc.retort(&["status"]);
    assert!(
        up_to_date(&status),
        "retort status after dvc repro:\n{status}"
    );
    assert_eq!(by_dvc.read("dvc.lock"), by_retort.read("dvc.lock"));
    assert_eq!(
        by_dvc.run_cache_entries().len(),
        by_retort.run_cache_entries().len()
    );
}

/// Persistent outputs survive a rerun and keep the stage out of the
/// run-cache; frozen stages never run; both tools agree afterwards.
#[test]
fn persist_and_frozen_stages() {
    let Some(dvc) = dvc("persist_and_frozen_stages") else {
        return;
    };
    let pipeline = "\
stages:
  grow:
    cmd: echo grow >> runs.log && cat seed.txt >> log.txt
    deps:
    - seed.txt
    outs:
    - log.txt:
        persist: true
  fixed:
    cmd: echo fixed >> runs.log && cp seed.txt fixed.txt
    deps:
    - seed.txt
    outs:
    - fixed.txt
";
    let project = Project::new(Some(&dvc));
    project.write("dvc.yaml", pipeline);
    project.write("seed.txt", "one\n");
    project.commit("persist");
    project.retort(&["repro"]);
    project.write("seed.txt", "two\n");
    project.retort(&["repro", "grow"]);
    assert_eq!(project.read("log.txt"), "one\ntwo\n");
    assert_eq!(project.runs("grow"), 2);
    // Persistent outputs keep a stage out of the run-cache.
    let status = project.dvc(&dvc, &["status", "grow"]);
    assert!(up_to_date(&status), "dvc status grow:\n{status}");

    project.dvc(&dvc, &["freeze", "fixed"]);
    let output = project.retort(&["repro"]);
    assert!(
        output.contains("Stage 'fixed' is frozen"),
        "retort repro:\n{output}"
    );
    assert_eq!(project.runs("fixed"), 1);
    assert_eq!(project.read("fixed.txt"), "one\n");
    let ours = project.retort(&["status", "--json"]);
    let theirs = project.dvc(&dvc, &["status", "--json"]);
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
    assert_eq!(parse(&ours), parse(&theirs));
}

fn relative(project: &Project, paths: Vec<std::path::PathBuf>) -> Vec<String> {
    paths
        .into_iter()
        .map(|path| {
            path.strip_prefix(project.path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect()
}
