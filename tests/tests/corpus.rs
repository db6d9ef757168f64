//! Conformance with real DVC: every case of the corpus (real `dvc.yaml` files
//! with the answer DVC 3.67.1 gave for each) must resolve to the same stages,
//! or fail exactly when DVC failed.

use std::path::Path;

use retort_engine::files::{DiskFiles, ParsedFiles};
use retort_engine::pipeline::interpolate::ParsingConfig;
use retort_engine::pipeline::{load_pipeline, Cmd, Out, PipelineFile, Stage, TopPlot};
use retort_tests::corpus_dir;
use serde_json::{json, Value};

#[test]
fn corpus_cases_match_dvc() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    let mut cases: Vec<_> = std::fs::read_dir(corpus.join("cases"))
        .expect("cases directory")
        .map(|entry| entry.expect("case entry").path())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "the corpus has no cases");

    let mut failures = Vec::new();
    for case in &cases {
        if let Err(problem) = check_case(case) {
            failures.push(format!("{}: {problem}", case.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases differ from DVC:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    println!("{} corpus cases match DVC", cases.len());
}

fn check_case(case: &Path) -> Result<(), String> {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(case.join("expected.json")).map_err(|error| error.to_string())?,
    )
    .map_err(|error| error.to_string())?;
    let dvcfile = expected["dvcfile"].as_str().ok_or("no dvcfile")?;
    let source = DiskFiles::new(case);
    let files = ParsedFiles::new(&source);
    let file = load_pipeline(&files, dvcfile, ParsingConfig::default());
    let lock_problems = retort_engine::lock::check_lock_for(&source, dvcfile);

    if !expected["error"].is_null() {
        let has_error = file.has_errors() || !lock_problems.is_empty();
        if !has_error {
            return Err(format!(
                "DVC fails with {} but Retort reports no error",
                expected["error"]
            ));
        }
        return Ok(());
    }
    if let Some(diagnostic) = file
        .diagnostics
        .iter()
        .chain(&lock_problems)
        .find(|diagnostic| diagnostic.severity == retort_engine::diagnostic::Severity::Error)
    {
        return Err(format!(
            "DVC loads the file but Retort reports: {} ({}:{:?})",
            diagnostic.message,
            diagnostic.file.display(),
            diagnostic.span
        ));
    }

    let expected_stages = expected["stages"].as_array().ok_or("no stages")?;
    let names: Vec<&str> = file
        .stages
        .iter()
        .map(|stage| stage.name.as_str())
        .collect();
    let expected_names: Vec<&str> = expected_stages
        .iter()
        .map(|stage| stage["name"].as_str().unwrap_or_default())
        .collect();
    if names != expected_names {
        return Err(format!("stage names {names:?}, DVC has {expected_names:?}"));
    }
    for (stage, want) in file.stages.iter().zip(expected_stages) {
        compare_stage(stage, want)
            .map_err(|problem| format!("stage '{}': {problem}", stage.name))?;
    }
    compare_top_level(&file, &expected["top_level"])
}

fn compare_stage(stage: &Stage, want: &Value) -> Result<(), String> {
    let cmd = match &stage.cmd {
        Cmd::Single(command) => json!(command),
        Cmd::List(commands) => json!(commands),
    };
    check("cmd", &cmd, &want["cmd"])?;
    let wdir = if stage.wdir.is_empty() {
        "."
    } else {
        stage.wdir.as_str()
    };
    check("wdir", &json!(wdir), &want["wdir"])?;
    let deps: Vec<&str> = stage.deps.iter().map(|dep| dep.path.as_str()).collect();
    check("deps", &json!(deps), &want["deps"])?;
    let params: Vec<Value> = stage
        .params
        .iter()
        .map(|params| {
            let keys: Vec<&str> = params.keys.iter().map(|key| key.key.as_str()).collect();
            json!({"file": params.file, "keys": keys, "whole_file": params.whole_file})
        })
        .collect();
    check("params", &json!(params), &want["params"])?;
    for (name, outs) in [
        ("outs", &stage.outs),
        ("metrics", &stage.metrics),
        ("plots", &stage.plots),
    ] {
        let got: Vec<Value> = outs.iter().map(out_json).collect();
        check(name, &json!(got), &want[name])?;
    }
    check("frozen", &json!(stage.frozen), &want["frozen"])?;
    check(
        "always_changed",
        &json!(stage.always_changed),
        &want["always_changed"],
    )?;
    check("desc", &json!(stage.desc), &want["desc"])?;
    let meta = stage
        .meta
        .as_ref()
        .map(|meta| meta.to_json())
        .unwrap_or(Value::Null);
    check("meta", &meta, &want["meta"])?;
    let tracked: serde_json::Map<String, Value> = stage
        .tracked_vars
        .iter()
        .map(|(file, keys)| {
            let keys: serde_json::Map<String, Value> = keys
                .iter()
                .map(|(key, value)| (key.clone(), value.to_json()))
                .collect();
            (file.clone(), Value::Object(keys))
        })
        .collect();
    check(
        "tracked_vars",
        &Value::Object(tracked),
        &want["tracked_vars"],
    )
}

fn out_json(out: &Out) -> Value {
    let mut value = json!({
        "path": out.path,
        "cache": out.cache,
        "persist": out.persist,
        "push": out.push,
        "remote": out.remote,
    });
    let object = value.as_object_mut().expect("object");
    if !out.plot_props.is_empty() {
        let props: serde_json::Map<String, Value> = out
            .plot_props
            .iter()
            .map(|(key, value)| (key.clone(), value.to_json()))
            .collect();
        object.insert("plot_props".into(), Value::Object(props));
    }
    if let Some(desc) = &out.desc {
        object.insert("desc".into(), json!(desc));
    }
    if let Some(kind) = &out.type_ {
        object.insert("type".into(), json!(kind));
    }
    if let Some(labels) = &out.labels {
        object.insert("labels".into(), json!(labels));
    }
    if let Some(meta) = &out.meta {
        object.insert("meta".into(), meta.to_json());
    }
    value
}

fn compare_top_level(file: &PipelineFile, want: &Value) -> Result<(), String> {
    let metrics: Vec<&str> = file
        .top
        .metrics
        .iter()
        .map(|entry| entry.path.as_str())
        .collect();
    check("top-level metrics", &json!(metrics), &want["metrics"])?;
    let params: Vec<&str> = file
        .top
        .params
        .iter()
        .map(|entry| entry.path.as_str())
        .collect();
    check("top-level params", &json!(params), &want["params"])?;
    let plots: Vec<Value> = file
        .top
        .plots
        .iter()
        .map(|plot| match plot {
            TopPlot::Path(entry) => json!(entry.path),
            TopPlot::Definition { id, definition, .. } => {
                json!({ id.clone(): definition.as_ref().map(|node| node.value.to_json()) })
            }
        })
        .collect();
    check("top-level plots", &json!(plots), &want["plots"])?;
    let artifacts: serde_json::Map<String, Value> = file
        .top
        .artifacts
        .iter()
        .map(|(name, artifact)| (name.clone(), artifact.definition.value.to_json()))
        .collect();
    check("artifacts", &Value::Object(artifacts), &want["artifacts"])?;
    let datasets: Vec<Value> = file
        .top
        .datasets
        .iter()
        .map(|node| node.value.to_json())
        .collect();
    check("datasets", &json!(datasets), &want["datasets"])
}

fn check(what: &str, got: &Value, want: &Value) -> Result<(), String> {
    if numbers_equal(got, want) {
        Ok(())
    } else {
        Err(format!("{what}: Retort has {got}, DVC has {want}"))
    }
}

/// JSON equality where `1` and `1.0` are the same number, as in Python.
fn numbers_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| numbers_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, value)| y.get(key).is_some_and(|other| numbers_equal(value, other)))
        }
        _ => a == b,
    }
}
