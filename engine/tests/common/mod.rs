//! Helpers shared by the engine's integration tests: finding real DVC (the
//! oracle for file formats) and reading JSON into the value tree with the key
//! order kept, as Python's `json.loads` does.

#![allow(dead_code)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use indexmap::IndexMap;
use retort_engine::node::{Entry, Node, Value};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Finds the DVC executable named by `RETORT_DVC`, else `dvc` on `PATH`.
/// Returns `None` after printing a skip line, or panics when
/// `RETORT_REQUIRE_DVC=1`.
pub fn dvc_or_skip(test: &str) -> Option<PathBuf> {
    let found = match std::env::var_os("RETORT_DVC") {
        Some(path) => Some(PathBuf::from(path)),
        None => find_on_path("dvc"),
    };
    if found.is_none() {
        if std::env::var("RETORT_REQUIRE_DVC").as_deref() == Ok("1") {
            panic!("{test}: DVC not found; set RETORT_DVC to the dvc executable");
        }
        println!("{test}: skipped: DVC not found (set RETORT_DVC to run it)");
    }
    found
}

/// Finds the Python interpreter DVC runs under from the executable's `#!` line,
/// so that oracle scripts can import `dvc` and `ruamel.yaml`.
pub fn dvc_python(dvc: &Path) -> PathBuf {
    let text = std::fs::read(dvc).expect("read the dvc executable");
    let first_line = text.split(|byte| *byte == b'\n').next().unwrap_or_default();
    let first_line = String::from_utf8_lossy(first_line);
    match first_line.strip_prefix("#!") {
        Some(interpreter) => PathBuf::from(interpreter.trim()),
        None => dvc.with_file_name("python"),
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Runs `python -c script` with `input` on stdin and returns stdout; panics with
/// stderr when the script fails.
pub fn run_python(python: &Path, script: &str, input: &str) -> String {
    use std::io::Write;
    use std::process::Stdio;

    let mut child = Command::new(python)
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the DVC Python interpreter");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("wait for Python");
    writer
        .join()
        .expect("stdin writer")
        .expect("write to Python");
    assert!(
        output.status.success(),
        "Python oracle failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("Python prints UTF-8")
}

/// Writes a value as JSON with map keys in their order and floats in Python's
/// `repr`, so that Python's `json.loads` rebuilds the same data.
pub fn value_to_json_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Int(number) => number.to_string(),
        Value::Float(number) => retort_engine::pyfmt::json_float(*number),
        Value::Str(text) => serde_json::to_string(text).unwrap(),
        Value::List(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| value_to_json_text(&item.value))
                .collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, entry)| {
                    let key = serde_json::to_string(key).unwrap();
                    format!("{key}: {}", value_to_json_text(&entry.value.value))
                })
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

/// Parses JSON into a value tree, keeping object keys in document order.
pub fn value_from_json(text: &str) -> Value {
    let ordered: Ordered = serde_json::from_str(text).expect("valid JSON");
    ordered.0
}

struct Ordered(Value);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ordered, D::Error> {
        deserializer.deserialize_any(OrderedVisitor).map(Ordered)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Value, E> {
        Ok(Value::Bool(flag))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Value, E> {
        Ok(Value::Int(number))
    }

    fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Value, E> {
        i64::try_from(number)
            .map(Value::Int)
            .map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E>(self, number: f64) -> Result<Value, E> {
        Ok(Value::Float(number))
    }

    fn visit_str<E>(self, text: &str) -> Result<Value, E> {
        Ok(Value::Str(text.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Ordered(item)) = seq.next_element()? {
            items.push(Node::synthetic(item));
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = IndexMap::new();
        while let Some((key, Ordered(value))) = map.next_entry::<String, Ordered>()? {
            let entry = Entry {
                key_span: Default::default(),
                value: Node::synthetic(value),
            };
            entries.insert(key, entry);
        }
        Ok(Value::Map(entries))
    }
}
