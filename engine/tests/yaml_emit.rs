//! The YAML emitter against ruamel.yaml as DVC calls it: stored fixtures whose
//! expected bytes came from DVC's own `dumps_yaml`, and a randomized comparison
//! against the live Python oracle when DVC is installed.

mod common;

use std::path::PathBuf;

use retort_engine::node::{Entry, Node, Value};
use retort_engine::yaml_emit;

/// Python that reads one JSON document per line and prints a JSON list of the
/// YAML that DVC's `dumps_yaml` writes for each.
const ORACLE: &str = r#"
import json, sys
from dvc.utils.serialize._yaml import dumps_yaml
print(json.dumps([dumps_yaml(json.loads(line)) for line in sys.stdin if line.strip()]))
"#;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml_emit")
}

#[test]
fn fixtures_match_ruamel_output() {
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("fixture directory")
        .map(|entry| entry.expect("fixture entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter(|path| !path.to_string_lossy().contains(ROUND_TRIP_FIXTURE))
        .collect();
    entries.sort();
    for input in entries {
        let expected_path = input.with_extension("yaml");
        let expected = std::fs::read_to_string(&expected_path).expect("expected YAML fixture");
        let value = common::value_from_json(&std::fs::read_to_string(&input).unwrap());
        let actual = yaml_emit::dump(&value);
        assert_eq!(actual, expected, "fixture {}", input.display());
        checked += 1;
    }
    assert!(checked > 0, "no fixtures found");
}

/// The fixture of float texts that DVC loaded round-trip and wrote back.
const ROUND_TRIP_FIXTURE: &str = "round_trip_floats";

#[test]
fn round_trip_floats_match_fixture() {
    let read = |name: &str| -> Vec<String> {
        let text = std::fs::read_to_string(fixtures_dir().join(name)).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let sources = read(&format!("{ROUND_TRIP_FIXTURE}.json"));
    let expected = read(&format!("{ROUND_TRIP_FIXTURE}.expected.json"));
    assert_eq!(sources.len(), expected.len());
    for (source, expected) in sources.iter().zip(&expected) {
        let line = format!("k: {source}\n");
        let root = retort_engine::formats::yaml::parse(&line).root.unwrap();
        assert!(
            matches!(root.get("k").unwrap().value, Value::Float(_)),
            "{source}"
        );
        assert_eq!(
            &yaml_emit::dump_from_source(&root, &line),
            expected,
            "{source}"
        );
    }
}

/// A small deterministic generator (SplitMix64), so that a failure reproduces.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const PIECES: &[&str] = &[
    "a",
    "b",
    "x",
    "Z",
    "0",
    "1",
    "9",
    " ",
    " ",
    " ",
    "  ",
    "-",
    "--",
    ":",
    ": ",
    "#",
    " #",
    "?",
    "'",
    "\"",
    "\\",
    ",",
    "[",
    "]",
    "{",
    "}",
    "&",
    "*",
    "!",
    "|",
    ">",
    "%",
    "@",
    "`",
    "=",
    "<<",
    ".",
    "_",
    "e",
    "E",
    "+",
    "\n",
    "\n\n",
    "\t",
    "\r",
    "é",
    "日本",
    "😀",
    "\u{a0}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "\u{1}",
    "\u{7f}",
    "\u{1b}",
    "\0",
    "true",
    "null",
    "~",
    "yes",
    "2024-01-01",
    "1e-05",
    "0x1f",
    "12:30",
    "...",
    "---",
    "python train.py",
    " --epochs 10",
    "word",
    "longerwordwithoutspaces",
    "path/to/file.csv",
    " a",
    "b ",
];

/// Single characters for strings that stress folding: spaces land at every
/// column, next to quotes, escapes and line breaks.
const SOUP: &[char] = &[
    'a', 'b', ' ', ' ', ' ', '\'', '"', '\\', '\n', '\t', 'é', '\u{1}', '\u{2028}', '#', ':', '-',
];

fn random_string(random: &mut Random) -> String {
    if random.below(4) == 0 {
        let len = 60 + random.below(160);
        return (0..len).map(|_| *random.pick(SOUP)).collect();
    }
    let pieces = match random.below(10) {
        0 => 0,
        1..=5 => 1 + random.below(6),
        6..=8 => 10 + random.below(40),
        _ => 40 + random.below(120),
    };
    (0..pieces).map(|_| *random.pick(PIECES)).collect()
}

fn random_scalar(random: &mut Random) -> Value {
    match random.below(12) {
        0 => Value::Null,
        1 => Value::Bool(random.below(2) == 0),
        2 => Value::Int(random.next() as i64 >> random.below(63)),
        3 => {
            let float = f64::from_bits(random.next());
            if float.is_finite() {
                Value::Float(float)
            } else {
                Value::Float(random.below(1000) as f64 / 7.0)
            }
        }
        4 => Value::Float(*random.pick(&[1e-05, 0.001, 1.5e16, 1e22, -0.0, 0.1, 3.0, 2.5e-7])),
        _ => Value::Str(random_string(random)),
    }
}

fn random_value(random: &mut Random, depth: usize) -> Value {
    if depth > 4 || random.below(3) == 0 {
        return random_scalar(random);
    }
    let len = random.below(4);
    if random.below(2) == 0 {
        Value::List(
            (0..len)
                .map(|_| Node::synthetic(random_value(random, depth + 1)))
                .collect(),
        )
    } else {
        let mut map = indexmap::IndexMap::new();
        for _ in 0..len {
            let key = if random.below(20) == 0 {
                "k".repeat(120 + random.below(20)) + &random_string(random)
            } else {
                random_string(random)
            };
            let entry = Entry {
                key_span: Default::default(),
                value: Node::synthetic(random_value(random, depth + 1)),
            };
            map.insert(key, entry);
        }
        Value::Map(map)
    }
}

#[test]
fn random_values_match_ruamel() {
    let Some(dvc) = common::dvc_or_skip("random_values_match_ruamel") else {
        return;
    };
    let python = common::dvc_python(&dvc);
    let seed: u64 = std::env::var("RETORT_FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(20_251_211);
    let count: usize = std::env::var("RETORT_FUZZ_CASES")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(2000);
    let mut random = Random(seed);
    let values: Vec<Value> = (0..count)
        .map(|_| {
            // Strings sit at several depths, since the indent moves the fold.
            let inner = if random.below(10) == 0 {
                random_scalar(&mut random)
            } else {
                random_value(&mut random, 0)
            };
            let mut wrapped = inner;
            for level in 0..random.below(4) {
                let mut map = indexmap::IndexMap::new();
                let entry = Entry {
                    key_span: Default::default(),
                    value: Node::synthetic(wrapped),
                };
                map.insert(format!("level{level}"), entry);
                wrapped = if random.below(3) == 0 {
                    Value::List(vec![Node::synthetic(Value::Map(map))])
                } else {
                    Value::Map(map)
                };
            }
            wrapped
        })
        .collect();
    let input: String = values
        .iter()
        .map(|value| common::value_to_json_text(value) + "\n")
        .collect();
    let expected: Vec<String> =
        serde_json::from_str(&common::run_python(&python, ORACLE, &input)).unwrap();

    let mut failures = Vec::new();
    for ((value, expected), line) in values.iter().zip(&expected).zip(input.lines()) {
        let actual = yaml_emit::dump(value);
        if &actual != expected {
            failures.push(format!(
                "input {line}\nexpected {expected:?}\nactual   {actual:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} differ (seed {seed}); first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// Python that loads each line (`k: <float text>`) with DVC's round-trip loader
/// and prints what DVC's dumper writes back.
const ROUND_TRIP_ORACLE: &str = r#"
import io, json, sys
from dvc.utils.serialize import parse_yaml_for_update
from dvc.utils.serialize._yaml import _dump
out = []
for line in sys.stdin:
    if not line.strip():
        continue
    stream = io.StringIO()
    _dump(parse_yaml_for_update(line, "x.yaml"), stream)
    out.append(stream.getvalue())
print(json.dumps(out))
"#;

fn random_float_text(random: &mut Random) -> String {
    let value = match random.below(4) {
        0 => f64::from_bits(random.next()),
        1 => (random.next() % 100_000) as f64 / 10f64.powi(random.below(12) as i32),
        2 => (random.next() as f64) * 10f64.powi(random.below(40) as i32 - 20),
        _ => *random.pick(&[1e-05, 0.1, 2.448519270213933e-07, 1e16, 123.0, 0.5]),
    };
    if !value.is_finite() {
        return "0.5".to_string();
    }
    let sign = *random.pick(&["", "", "-", "+"]);
    let magnitude = value.abs();
    let precision = random.below(18);
    let body = match random.below(7) {
        0 => retort_engine::pyfmt::float_repr(magnitude),
        1 => {
            let letter = *random.pick(&["e", "E", "e+", "e0"]);
            format!("{magnitude:.precision$e}").replace('e', letter)
        }
        2 => format!("{magnitude:.precision$}"),
        3 => format!("{magnitude:.precision$}")
            .trim_start_matches('0')
            .to_string(),
        4 => format!("{}.", magnitude.trunc()),
        5 => {
            let text = format!("{magnitude:.precision$e}");
            let (mantissa, exponent) = text.split_once('e').unwrap();
            format!("{}e{exponent}", mantissa.replace('.', ""))
        }
        _ => format!("0{magnitude:.precision$}"),
    };
    format!("{sign}{body}")
}

#[test]
fn loaded_floats_are_written_back_as_ruamel_does() {
    let Some(dvc) = common::dvc_or_skip("loaded_floats_are_written_back_as_ruamel_does") else {
        return;
    };
    let python = common::dvc_python(&dvc);
    let mut random = Random(7);
    let count: usize = std::env::var("RETORT_FUZZ_CASES")
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(2000);
    // Keep only texts that both ruamel and Retort read as a float.
    let mut lines = Vec::new();
    while lines.len() < count {
        let text = random_float_text(&mut random);
        let line = format!("k: {text}\n");
        let parsed = retort_engine::formats::yaml::parse(&line);
        let is_float = parsed
            .root
            .as_ref()
            .and_then(|root| root.get("k"))
            .is_some_and(|node| matches!(node.value, Value::Float(_)));
        if is_float {
            lines.push(line);
        }
    }
    let expected: Vec<String> = serde_json::from_str(&common::run_python(
        &python,
        ROUND_TRIP_ORACLE,
        &lines.concat(),
    ))
    .unwrap();

    let mut failures = Vec::new();
    for (line, expected) in lines.iter().zip(&expected) {
        let root = retort_engine::formats::yaml::parse(line).root.unwrap();
        let actual = yaml_emit::dump_from_source(&root, line);
        if &actual != expected {
            failures.push(format!(
                "source {line:?} expected {expected:?} actual {actual:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ; first ones:\n{}",
        failures.len(),
        lines.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
