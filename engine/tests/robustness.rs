//! Loading never panics: random text, and every prefix of real pipeline files,
//! must load into a (possibly partial) project with diagnostics.

use std::collections::HashMap;
use std::sync::Arc;

use proptest::prelude::*;
use retort_engine::check::check_project;
use retort_engine::files::{DiskFiles, Overlay};
use retort_engine::pipeline::interpolate::ParsingConfig;
use retort_engine::project::{Project, ProjectRoot};

/// Loads and checks a project made of the given in-memory files.
fn load_and_check(files: &[(&str, &str)]) -> usize {
    let empty = tempfile::tempdir().expect("temp dir");
    let buffers: HashMap<String, Arc<str>> = files
        .iter()
        .map(|(path, text)| (path.to_string(), Arc::from(*text)))
        .collect();
    let source = Overlay::new(DiskFiles::new(empty.path()), buffers);
    let root = ProjectRoot {
        root: empty.path().to_path_buf(),
        git_root: None,
        has_dvc_dir: false,
    };
    let project = Project::load_files(
        root,
        &source,
        &["dvc.yaml".to_string()],
        ParsingConfig::default(),
    );
    check_project(&project, &source).len()
}

const PIPELINE: &str = "vars:\n  - params.yaml:train\n  - {extra: [1, 2]}\nstages:\n  prepare:\n    cmd: python prepare.py ${train.split}\n    deps: [raw.csv]\n    params: [train.split]\n    outs:\n      - data/prepared:\n          cache: false\n  train:\n    foreach: ${models}\n    do:\n      cmd: python train.py ${item.name} --lr ${item.lr}\n      outs: [\"model-${item.name}.pkl\"]\n  grid:\n    matrix:\n      opt: [adam, sgd]\n      lr: ${train.lrs}\n    cmd: echo ${item.opt} ${item.lr} ${key}\nplots:\n  - loss.csv: {x: step, y: [a, b]}\n";
const PARAMS: &str = "train:\n  split: 0.2\n  lrs: [0.1, 0.01]\nmodels:\n  - {name: a, lr: 0.1}\n  - {name: b, lr: 1e-3}\n";

#[test]
fn every_prefix_of_a_pipeline_loads() {
    for end in 0..=PIPELINE.len() {
        if PIPELINE.is_char_boundary(end) {
            load_and_check(&[("dvc.yaml", &PIPELINE[..end]), ("params.yaml", PARAMS)]);
        }
    }
}

#[test]
fn every_prefix_of_a_params_file_loads() {
    for end in 0..=PARAMS.len() {
        load_and_check(&[("dvc.yaml", PIPELINE), ("params.yaml", &PARAMS[..end])]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_yaml_never_panics(text in "[ a-z0-9:\\-\\[\\]{}$.,'\"#&*!|>\\n\\t@%]{0,200}") {
        load_and_check(&[("dvc.yaml", &text), ("params.yaml", PARAMS)]);
    }

    #[test]
    fn random_edits_of_a_real_pipeline_never_panic(
        position in 0usize..PIPELINE.len(),
        insert in "[ a-z0-9:\\-\\[\\]{}$.,'\"#\\n]{0,12}",
        delete in 0usize..20,
    ) {
        let mut text = PIPELINE.to_string();
        let start = position.min(text.len());
        let end = (start + delete).min(text.len());
        text.replace_range(start..end, &insert);
        load_and_check(&[("dvc.yaml", &text), ("params.yaml", PARAMS)]);
    }
}
