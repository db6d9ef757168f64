//! Compares in-place `-S` edits with DVC's `apply_overrides`: for each params
//! file and list of overrides, DVC and Retort must both reject it, or both accept
//! it and produce files that read back as the same tree. (DVC rewrites the whole
//! file, so only the trees are compared, not the text.)

use std::path::{Path, PathBuf};
use std::process::Command;

use retort_engine::formats::{self, Format};
use retort_engine::node::Value;
use retort_engine::params::edit::{apply_edits, values_match, EditOp, ParamEdit};

/// The Python interpreter of the DVC installation, read from the `dvc` script's
/// shebang line, or `None` when DVC is not installed.
fn dvc_python() -> Option<PathBuf> {
    let dvc = match std::env::var_os("RETORT_DVC") {
        Some(path) => PathBuf::from(path),
        None => std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join("dvc"))
            .find(|candidate| candidate.is_file())?,
    };
    let script = std::fs::read_to_string(&dvc).ok()?;
    let interpreter = script.lines().next()?.strip_prefix("#!")?.trim();
    Some(PathBuf::from(interpreter))
}

/// Parses a Hydra override as DVC's `-S` takes it. Values are read as YAML flow
/// scalars and collections, which matches Hydra's typing for the cases here.
fn parse_override(text: &str) -> ParamEdit {
    let (op, rest) = if let Some(rest) = text.strip_prefix("++") {
        (EditOp::AddOrSet, rest)
    } else if let Some(rest) = text.strip_prefix('+') {
        (EditOp::Add, rest)
    } else if let Some(rest) = text.strip_prefix('~') {
        (EditOp::Delete, rest)
    } else {
        (EditOp::Set, text)
    };
    let (path, value) = match rest.split_once('=') {
        Some((path, value)) => (path, Some(value)),
        None => (rest, None),
    };
    let value = value.map(|value| {
        let parsed = formats::parse(Format::Yaml, &format!("v: {value}\n"));
        assert!(parsed.errors.is_empty(), "{value}: {:?}", parsed.errors);
        parsed.root.unwrap().get("v").unwrap().value.clone()
    });
    ParamEdit {
        op,
        path: path.to_string(),
        value,
    }
}

fn read(format: Format, text: &str) -> Value {
    let parsed = formats::parse(format, text);
    assert!(parsed.errors.is_empty(), "{text:?}: {:?}", parsed.errors);
    parsed.root.map(|root| root.value).unwrap_or(Value::Null)
}

fn compare_with_dvc(python: &Path, file_name: &str, content: &str, overrides: &[&str]) {
    let directory = tempfile::tempdir().expect("a temp dir");
    let path = directory.path().join(file_name);
    std::fs::write(&path, content).expect("the params file is written");
    let format = Format::from_path(&path);

    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/params/dvc_apply_overrides.py");
    let output = Command::new(python)
        .arg(script)
        .arg(&path)
        .args(overrides)
        .output()
        .expect("the DVC interpreter runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (status, dvc_text) = stdout.split_once('\n').expect("a status line");

    let edits: Vec<ParamEdit> = overrides.iter().map(|text| parse_override(text)).collect();
    let ours = apply_edits(format, content, &edits);
    match (status, ours) {
        ("ERROR", Err(_)) => {}
        ("ERROR", Ok(text)) => panic!(
            "{file_name} {overrides:?}: DVC rejected it ({dvc_text}) but Retort wrote {text:?}"
        ),
        ("OK", Err(error)) => {
            panic!("{file_name} {overrides:?}: DVC wrote {dvc_text:?} but Retort failed: {error}")
        }
        (_, Ok(text)) => {
            let expected = read(format, dvc_text);
            let actual = read(format, &text);
            assert!(
                values_match(&actual, &expected),
                "{file_name} {overrides:?}:\nDVC:    {dvc_text:?}\nRetort: {text:?}"
            );
        }
        (status, Err(error)) => panic!("unexpected status {status:?} ({error})"),
    }
}

const YAML: &str = "\
a:
  x: 0  # start
  y: 5
n:
layers: [1, 2, 3]
b: 1
name: adam
runs:
- id: 1
  tag: first
";

const JSON: &str = r#"{
  "a": {"x": 0, "y": 5},
  "n": null,
  "layers": [1, 2, 3],
  "b": 1,
  "name": "adam"
}
"#;

const TOML: &str = "\
b = 1
name = 'adam'
layers = [1, 2, 3]
inline = { p = 1 }

[a]
x = 0
y = 5

[[runs]]
id = 1
";

const PYTHON: &str = "\
EPOCHS = 5
lr = 0.1  # rate

class Train:
    bs = 32

    def __init__(self):
        self.workers = 4
";

const SHARED_OVERRIDES: [&[&str]; 22] = [
    &["a.x=0.5"],
    &["name=sgd"],
    &["layers=[4, 5]"],
    &["layers.0=9"],
    &["a={x: 1}"],
    &["a={x: 1, new: 2}"],
    &["a=3"],
    &["b={q: 1}"],
    &["+b=4"],
    &["+a={z: 1}"],
    &["+c.d.e=1"],
    &["++a.x=2"],
    &["++new=[1, 2]"],
    &["++a={w: 1}"],
    &["~a.x"],
    &["~b=1"],
    &["~b=2"],
    &["a.zz=1"],
    &["+b.c=1"],
    &["~layers.0"],
    &["+layers.x=1"],
    &["a.x=1", "b=2", "+c=3", "~name"],
];

#[test]
fn edits_agree_with_dvc_apply_overrides() {
    let Some(python) = dvc_python() else {
        if std::env::var("RETORT_REQUIRE_DVC").as_deref() == Ok("1") {
            panic!("DVC not found: set RETORT_DVC to the dvc executable or put dvc on PATH");
        }
        println!("skipped: DVC not found");
        return;
    };
    for overrides in SHARED_OVERRIDES {
        compare_with_dvc(&python, "params.yaml", YAML, overrides);
        compare_with_dvc(&python, "params.json", JSON, overrides);
        compare_with_dvc(&python, "params.toml", TOML, overrides);
    }
    let yaml_only: [&[&str]; 6] = [
        &["+n.x=1"],
        &["n=3"],
        &["~n"],
        &["runs.0.tag=second"],
        &["+runs.0.extra=1"],
        &["~runs.0.id"],
    ];
    for overrides in yaml_only {
        compare_with_dvc(&python, "params.yaml", YAML, overrides);
    }
    let toml_only: [&[&str]; 5] = [
        &["inline.p=2"],
        &["+inline.q=3"],
        &["~inline.p"],
        &["runs.0.id=2"],
        &["~a"],
    ];
    for overrides in toml_only {
        compare_with_dvc(&python, "params.toml", TOML, overrides);
    }
    // DVC edits only numbers in place in .py files; other Python edits differ on
    // purpose (Retort edits strings and dict items, and refuses adds and deletes).
    let python_cases: [&[&str]; 3] = [
        &["EPOCHS=10"],
        &["lr=0.5", "Train.bs=64"],
        &["Train.workers=8"],
    ];
    for overrides in python_cases {
        compare_with_dvc(&python, "params.py", PYTHON, overrides);
    }
}
