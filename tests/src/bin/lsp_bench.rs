//! Client-side benchmark of `retort lsp` on a generated 1,000-stage pipeline:
//! start to first diagnostics, diagnostics after a one-character edit, hover
//! and completion latency, and resident memory. Run it through
//! `bench/lsp/run.sh` (a release build); it is not part of `cargo test`.

use std::time::{Duration, Instant};

use retort_tests::lsp::{range, ClientOptions, Fixture, LspClient};
use serde_json::json;

const STAGES: usize = 1000;

fn main() {
    let (pipeline, params) = generate(STAGES);
    let fixture = Fixture::new(&[
        ("dvc.yaml", &pipeline),
        ("params.yaml", &params),
        ("train.py", ""),
        ("data/raw.csv", "a\n"),
    ]);
    let uri_file = "dvc.yaml";

    // Start to first diagnostics of the opened pipeline.
    let mut starts = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let mut client = LspClient::start(fixture.path(), ClientOptions::default());
        client.open(uri_file, &pipeline);
        client.diagnostics_for(uri_file, |_| true);
        starts.push(started.elapsed());
        client.shutdown();
    }

    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open(uri_file, &pipeline);
    let first = client.diagnostics_for(uri_file, |_| true);
    assert!(
        first.is_empty(),
        "the generated pipeline has problems: {first:?}"
    );

    // One-character edits inside a command, each followed by its diagnostics.
    let mut edits = Vec::new();
    let mut version = 1;
    for round in 0..200 {
        let stage = (round * 37) % STAGES;
        let line = 1 + stage as u32 * 12 + 1; // the `cmd:` line of the stage
        version += 1;
        let (edit_range, text) = if round % 2 == 0 {
            (range((line, 14), (line, 14)), "x")
        } else {
            let previous = ((round - 1) * 37) % STAGES;
            let previous_line = 1 + previous as u32 * 12 + 1;
            (range((previous_line, 14), (previous_line, 15)), "")
        };
        let started = Instant::now();
        client.change(uri_file, version, edit_range, text);
        let uri = client.uri(uri_file);
        client.wait_for("textDocument/publishDiagnostics", |params| {
            params["uri"] == json!(uri) && params["version"] == json!(version)
        });
        edits.push(started.elapsed());
        client.pending.clear();
    }

    // Hovers on params keys of stages spread over the file.
    let mut hovers = Vec::new();
    for round in 0..300 {
        let stage = (round * 53) % STAGES;
        let line = 1 + stage as u32 * 12 + 6; // `      - train.pN`
        let started = Instant::now();
        let answer = client.at("textDocument/hover", uri_file, line, 10);
        hovers.push(started.elapsed());
        assert!(!answer.is_null(), "no hover at line {line}");
    }

    // Completion of params keys in a stage's params list.
    let mut completions = Vec::new();
    for round in 0..300 {
        let stage = (round * 71) % STAGES;
        let line = 1 + stage as u32 * 12 + 6;
        let started = Instant::now();
        let answer = client.at("textDocument/completion", uri_file, line, 16);
        completions.push(started.elapsed());
        assert!(
            answer.as_array().is_some_and(|items| !items.is_empty()),
            "no completion at line {line}"
        );
    }

    let memory = client.resident_bytes().unwrap_or(0);
    client.shutdown();

    let (mut parses, mut loads, mut checks) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..30 {
        let started = Instant::now();
        let parsed = retort_engine::formats::yaml::parse(&pipeline);
        parses.push(started.elapsed());
        drop(parsed);
        let root = retort_engine::project::discover(fixture.path()).expect("project");
        let files = retort_engine::files::DiskFiles::new(root.root.clone());
        let started = Instant::now();
        let project = retort_engine::project::Project::load_files(
            root,
            &files,
            &["dvc.yaml".to_string()],
            Default::default(),
        );
        loads.push(started.elapsed());
        let started = Instant::now();
        let found = retort_engine::check::check_project(&project, &files);
        checks.push(started.elapsed());
        assert!(found.is_empty());
    }

    println!(
        "retort lsp on {STAGES} stages ({} lines of dvc.yaml)",
        pipeline.lines().count()
    );
    report("start to first diagnostics", &mut starts);
    report("diagnostics after a one-character edit", &mut edits);
    report("hover", &mut hovers);
    report("completion", &mut completions);
    println!(
        "resident memory after the run: {:.1} MB",
        memory as f64 / 1_048_576.0
    );
    println!("in process, for comparison:");
    report("  parse dvc.yaml", &mut parses);
    report("  load the project", &mut loads);
    report("  check the project", &mut checks);
}

fn report(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |fraction: f64| samples[((samples.len() - 1) as f64 * fraction).round() as usize];
    println!(
        "{name}: n={} p50={:.2} ms p95={:.2} ms max={:.2} ms",
        samples.len(),
        at(0.5).as_secs_f64() * 1000.0,
        at(0.95).as_secs_f64() * 1000.0,
        samples[samples.len() - 1].as_secs_f64() * 1000.0
    );
}

/// A chain of stages, each 12 lines: a `cmd` with a `${}`, two deps (the
/// previous stage's output), one param, one output and one metrics file.
fn generate(stages: usize) -> (String, String) {
    let mut pipeline = String::from("stages:\n");
    for index in 0..stages {
        let dep = if index == 0 {
            "data/raw.csv".to_string()
        } else {
            format!("data/out{}.csv", index - 1)
        };
        pipeline.push_str(&format!(
            "  stage{index}:\n    cmd: python train.py --lr ${{train.p{index}}} --in {dep}\n    deps:\n      - {dep}\n      - train.py\n    params:\n      - train.p{index}\n    outs:\n      - data/out{index}.csv\n    metrics:\n      - metrics/m{index}.json:\n          cache: false\n"
        ));
    }
    let mut params = String::from("train:\n");
    for index in 0..stages {
        params.push_str(&format!("  p{index}: {}\n", index as f64 * 0.5));
    }
    (pipeline, params)
}
