//! `retort run-cache list|show|checkout|gc` on real repositories.

mod repro_support;

use repro_support::Project;
use serde_json::Value;

/// The fixture run at scale 2 and then at scale 3: two entries for `count`.
fn two_runs() -> Project {
    let project = Project::fixture(None);
    project.retort(&["repro"]);
    project.write("params.yaml", "scale: 3\n");
    project.retort(&["repro"]);
    assert_eq!(project.runs("count"), 2);
    project
}

fn list_json(project: &Project, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["run-cache", "list", "--json"];
    all.extend_from_slice(args);
    let text = project.retort(&all);
    match serde_json::from_str(&text).expect("list --json prints JSON") {
        Value::Array(items) => items,
        other => panic!("expected an array, got {other}"),
    }
}

#[test]
fn list_params_metrics_and_state() {
    let project = two_runs();
    let runs = list_json(&project, &["count"]);
    assert_eq!(runs.len(), 2, "{runs:#?}");
    let (newest, older) = (&runs[0], &runs[1]);
    for run in &runs {
        assert_eq!(run["stage"], "count");
        assert_eq!(run["objects_present"], true);
        let deps: Vec<&str> = run["deps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|dep| dep["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            deps,
            ["count.sh", "raw"],
            "sorted by path, as DVC writes them"
        );
        assert!(run["deps"][1]["value"].as_str().unwrap().ends_with(".dir"));
        let id = run["id"].as_str().unwrap();
        assert!(run["value"].as_str().unwrap().starts_with(id));
    }
    assert_eq!(newest["params"]["params.yaml"]["scale"], 3);
    assert_eq!(older["params"]["params.yaml"]["scale"], 2);
    // The files in raw have 2 + 3 bytes.
    assert_eq!(newest["metrics"]["metrics.json"]["total"], 15);
    assert_eq!(older["metrics"]["metrics.json"]["total"], 10);
    assert_eq!(newest["workspace_matches"], true);
    assert_eq!(older["workspace_matches"], false);
    assert_eq!(older["inputs_match"], false);

    let table = project.retort(&["run-cache", "list"]);
    for run in &runs {
        assert!(table.contains(run["id"].as_str().unwrap()), "{table}");
    }
    assert!(
        table.contains("scale=3") && table.contains("total=15"),
        "{table}"
    );
    assert!(table.contains("current"), "{table}");
}

#[test]
fn show_by_prefix_and_position() {
    let project = two_runs();
    let runs = list_json(&project, &[]);
    let older_value = runs[1]["value"].as_str().unwrap();
    let by_position = project.retort(&["run-cache", "show", "count~1", "--json"]);
    let by_position: Value = serde_json::from_str(&by_position).unwrap();
    assert_eq!(by_position["value"], older_value);
    let by_prefix = project.retort(&["run-cache", "show", &older_value[..6]]);
    assert!(by_prefix.contains(older_value), "{by_prefix}");
    assert!(by_prefix.contains("scale = 2"), "{by_prefix}");

    for (id, message) in [
        ("ab", "too short"),
        ("count~7", "no run-cache entry matches"),
        ("zzzzzzzz", "no run-cache entry matches"),
    ] {
        let output = project.retort_output(&["run-cache", "show", id]);
        assert_eq!(output.status.code(), Some(2), "show {id}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "show {id}: {stderr}");
    }
}

#[test]
fn checkout_older_run() {
    let project = two_runs();
    let output = project.retort(&["run-cache", "checkout", "count~1"]);
    assert!(output.contains("Updated lock file 'dvc.lock'"), "{output}");
    assert_eq!(project.read("total.txt"), "10\n");
    assert!(project.read("metrics.json").contains("\"scale\": 2"));
    assert_eq!(project.runs("count"), 2, "checkout ran the command");
    let entry = project.lock_entry("count").unwrap();
    assert!(entry.contains("scale: 2"), "{entry}");
    // params.yaml still has scale 3, so the stage is reported as changed.
    let status = project.retort(&["status"]);
    assert!(status.contains("scale"), "{status}");

    // Back to the newest run: everything matches again.
    project.retort(&["run-cache", "checkout", "count~0"]);
    assert_eq!(project.read("total.txt"), "15\n");
    let listed = list_json(&project, &["count"]);
    assert_eq!(listed[0]["workspace_matches"], true);
}

#[test]
fn checkout_keeps_unsaved_outputs() {
    let project = two_runs();
    std::fs::remove_file(project.path().join("total.txt")).unwrap();
    project.write("total.txt", "hand edited\n");
    let output = project.retort_output(&["run-cache", "checkout", "count~1"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(project.read("total.txt"), "hand edited\n");

    project.retort(&["run-cache", "checkout", "count~1", "--force"]);
    assert_eq!(project.read("total.txt"), "10\n");
}

#[test]
fn gc_missing_objects() {
    let project = two_runs();
    let runs = list_json(&project, &[]);
    let older = &runs[1];
    let total = older["outs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|out| out["path"] == "total.txt")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    let object = project
        .path()
        .join(".dvc/cache/files/md5")
        .join(&total[..2])
        .join(&total[2..]);
    std::fs::remove_file(&object).expect("remove the older run's object");

    let listed = list_json(&project, &[]);
    assert_eq!(listed[1]["objects_present"], false);
    let dry = project.retort(&["run-cache", "gc", "--dry"]);
    assert!(
        dry.contains("Would remove 1 run-cache entry; 1 kept."),
        "{dry}"
    );
    assert_eq!(project.run_cache_entries().len(), 2);

    let removed = project.retort(&["run-cache", "gc"]);
    assert!(
        removed.contains("Removed 1 run-cache entry; 1 kept."),
        "{removed}"
    );
    let listed = list_json(&project, &[]);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["value"], runs[0]["value"]);
}

#[test]
fn checkout_project_lock_held() {
    let project = two_runs();
    // Another process holds the project lock, as a running `dvc repro` would.
    let mut holder = std::process::Command::new("flock")
        .args(["--exclusive", ".dvc/tmp/lock", "sleep", "30"])
        .current_dir(project.path())
        .spawn()
        .expect("flock from util-linux");
    let started = std::time::Instant::now();
    let output = loop {
        let output = project.retort_output(&["run-cache", "checkout", "count~1"]);
        if !output.status.success() || started.elapsed() > std::time::Duration::from_secs(10) {
            break output;
        }
        // flock had not taken the lock yet; undo and try again.
        project.retort(&["run-cache", "checkout", "count~0"]);
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("holds the project lock"), "{stderr}");
    assert_eq!(project.read("total.txt"), "15\n");
}
