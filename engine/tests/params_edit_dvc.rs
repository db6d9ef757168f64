//! Compares in-place `-S` edits with DVC's `apply_overrides`: for each params
//! file and list of overrides, DVC and Retort must both reject it, or both accept
//! it and produce files that read back as the same tree. (DVC rewrites the whole
//! file, so only the trees are compared, not the text.)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use retort_engine::formats::{self, Format};
use retort_engine::node::Value;
use retort_engine::params::edit::{apply_edits, values_match, EditOp, ParamEdit};

/// Returns the Python interpreter of the DVC installation, read from the `dvc` script's
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

/// One params file and the overrides applied to it.
struct Case {
    file_name: &'static str,
    content: &'static str,
    overrides: &'static [&'static str],
}

/// Runs DVC's `apply_overrides` on every case in one Python process.
fn run_dvc(python: &Path, cases: &[Case]) -> Vec<serde_json::Value> {
    let input: Vec<serde_json::Value> = cases
        .iter()
        .map(|case| {
            serde_json::json!({
                "file_name": case.file_name,
                "content": case.content,
                "overrides": case.overrides,
            })
        })
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/dvc_apply_overrides.py");
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the DVC interpreter starts");
    let mut stdin = child.stdin.take().expect("a piped stdin");
    stdin
        .write_all(
            serde_json::to_string(&input)
                .expect("cases serialize")
                .as_bytes(),
        )
        .expect("the cases are written");
    drop(stdin);
    let output = child.wait_with_output().expect("the DVC interpreter runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON list of results")
}

fn compare_with_dvc(case: &Case, dvc: &serde_json::Value) {
    let Case {
        file_name,
        content,
        overrides,
    } = case;
    let format = Format::from_path(Path::new(file_name));
    let edits: Vec<ParamEdit> = overrides.iter().map(|text| parse_override(text)).collect();
    let ours = apply_edits(format, content, &edits);
    match (dvc["ok"].as_bool(), ours) {
        (Some(false), Err(_)) => {}
        (Some(false), Ok(text)) => panic!(
            "{file_name} {overrides:?}: DVC rejected it ({}) but Retort wrote {text:?}",
            dvc["error"]
        ),
        (Some(true), Err(error)) => panic!(
            "{file_name} {overrides:?}: DVC wrote {:?} but Retort failed: {error}",
            dvc["text"]
        ),
        (Some(true), Ok(text)) => {
            let dvc_text = dvc["text"].as_str().expect("the new text");
            let expected = read(format, dvc_text);
            let actual = read(format, &text);
            assert!(
                values_match(&actual, &expected),
                "{file_name} {overrides:?}:\nDVC:    {dvc_text:?}\nRetort: {text:?}"
            );
        }
        (None, _) => panic!("unexpected result {dvc}"),
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

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for overrides in SHARED_OVERRIDES {
        for (file_name, content) in [
            ("params.yaml", YAML),
            ("params.json", JSON),
            ("params.toml", TOML),
        ] {
            cases.push(Case {
                file_name,
                content,
                overrides,
            });
        }
    }
    let yaml_only: [&'static [&'static str]; 6] = [
        &["+n.x=1"],
        &["n=3"],
        &["~n"],
        &["runs.0.tag=second"],
        &["+runs.0.extra=1"],
        &["~runs.0.id"],
    ];
    for overrides in yaml_only {
        cases.push(Case {
            file_name: "params.yaml",
            content: YAML,
            overrides,
        });
    }
    let toml_only: [&'static [&'static str]; 5] = [
        &["inline.p=2"],
        &["+inline.q=3"],
        &["~inline.p"],
        &["runs.0.id=2"],
        &["~a"],
    ];
    for overrides in toml_only {
        cases.push(Case {
            file_name: "params.toml",
            content: TOML,
            overrides,
        });
    }
    // DVC edits only numbers in place in .py files; other Python edits differ on
    // purpose (Retort edits strings and dict items, and refuses adds and deletes).
    let python_only: [&'static [&'static str]; 3] = [
        &["EPOCHS=10"],
        &["lr=0.5", "Train.bs=64"],
        &["Train.workers=8"],
    ];
    for overrides in python_only {
        cases.push(Case {
            file_name: "params.py",
            content: PYTHON,
            overrides,
        });
    }
    cases
}

#[test]
fn edits_agree_with_dvc_apply_overrides() {
    let Some(python) = dvc_python() else {
        if std::env::var("RETORT_REQUIRE_DVC").as_deref() == Ok("1") {
            panic!("DVC not found: set RETORT_DVC to the dvc executable or put dvc on PATH");
        }
        println!("skipped: DVC not found");
        return;
    };
    let cases = cases();
    let results = run_dvc(&python, &cases);
    assert_eq!(results.len(), cases.len());
    let rejected = results
        .iter()
        .filter(|result| result["ok"] == false)
        .count();
    assert!(
        rejected > 0 && rejected < cases.len(),
        "both outcomes are covered"
    );
    for (case, result) in cases.iter().zip(&results) {
        compare_with_dvc(case, result);
    }
}
