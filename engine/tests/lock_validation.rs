//! `dvc.lock` schema checks against DVC's own: `fixtures/lock_invalid/` holds
//! lock texts and the errors DVC 3.67's schema reports for each
//! (`regenerate.py` there recomputes them).

use std::collections::HashMap;
use std::path::PathBuf;

use retort_engine::diagnostic::Severity;
use retort_engine::lock;
use retort_engine::text::Span;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lock_invalid")
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    text: String,
}

#[test]
fn errors_match_dvc_schema_errors() {
    let dir = fixtures_dir();
    let cases: Vec<Case> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("inputs.json")).unwrap()).unwrap();
    let expected: HashMap<String, Vec<String>> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    assert!(cases.len() > 40);
    for case in cases {
        let parsed = lock::parse(&case.text, "dvc.lock");
        let errors: Vec<&str> = parsed
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
            .map(|diagnostic| diagnostic.message.as_str())
            .collect();
        let wanted = &expected[&case.name];
        assert_eq!(errors.len(), wanted.len(), "{}: {errors:#?}", case.name);
        for (error, dvc_message) in errors.iter().zip(wanted) {
            // Retort adds a hint after DVC's message.
            let rest = error.strip_prefix(dvc_message.as_str());
            assert!(
                rest.is_some_and(|rest| rest.is_empty() || rest.starts_with(". ")),
                "{}: {error:?} does not start with {dvc_message:?}",
                case.name
            );
        }
        assert_eq!(parsed.is_valid(), wanted.is_empty(), "{}", case.name);
    }
}

#[test]
fn dvc1_lock_file_errors() {
    let text = "train:\n  cmd: python train.py\nevaluate:\n  cmd: python eval.py\n";
    let parsed = lock::parse(text, "dvc.lock");
    let spans: Vec<(Span, &str)> = parsed
        .diagnostics
        .iter()
        .map(|diagnostic| (diagnostic.span, diagnostic.code))
        .collect();
    let evaluate = text.find("evaluate").unwrap();
    assert_eq!(
        spans,
        [
            (Span::new(0, 5), lock::codes::UNKNOWN_KEY),
            (Span::new(evaluate, evaluate + 8), lock::codes::UNKNOWN_KEY),
            (Span::at(0), lock::codes::MISSING_KEY),
        ]
    );
    assert!(parsed.diagnostics[2].message.contains("DVC 1"));
}

#[test]
fn value_errors_point_at_the_value() {
    let text =
        "schema: '2.0'\nstages:\n  a:\n    cmd: x\n    outs:\n    - path: a\n      size: big\n";
    let parsed = lock::parse(text, "dvc.lock");
    let [diagnostic] = parsed.diagnostics.as_slice() else {
        panic!("{:#?}", parsed.diagnostics);
    };
    let start = text.find("big").unwrap();
    assert_eq!(diagnostic.span, Span::new(start, start + 3));
    assert_eq!(diagnostic.code, lock::codes::INVALID_TYPE);
}

#[test]
fn syntax_errors_are_reported_without_panicking() {
    for text in [
        "schema: '2.0'\nstages:\n  a:\n    cmd: [x\n",
        "schema: '2.0'\nschema: '2.0'\n",
        "a: *missing\n",
        "{",
        "schema: '2.0'\nstages:\n  a:\n    cmd: x\n   deps: []\n",
    ] {
        let parsed = lock::parse(text, "dvc.lock");
        assert!(!parsed.is_valid(), "{text:?}");
        assert!(parsed
            .diagnostics
            .iter()
            .any(|diagnostic| diagnostic.code == lock::codes::SYNTAX));
    }
}

#[test]
fn legacy_entries_read_as_md5_dos2unix() {
    let text = "schema: '2.0'\nstages:\n  a:\n    cmd: x\n    outs:\n    - path: a\n      md5: 2306b4377429730ee03a806cff76e92b\n      size: 4\n    - path: b\n      hash: md5\n      md5: 2306b4377429730ee03a806cff76e92b\n";
    let lock = lock::parse(text, "dvc.lock").lock;
    let outs = &lock.stages["a"].outs;
    let algorithms: Vec<_> = outs
        .iter()
        .map(|out| out.hash.as_ref().unwrap().algorithm)
        .collect();
    use retort_engine::hash_info::HashAlgorithm;
    assert_eq!(algorithms, [HashAlgorithm::Md5Dos2Unix, HashAlgorithm::Md5]);
    assert_eq!(lock.to_yaml(), text);
}

/// SplitMix64, so that a failing case reproduces.
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
        (self.next() % bound.max(1) as u64) as usize
    }
}

fn mangle(text: &str, random: &mut Random) -> String {
    const INSERTS: &[&str] = &[
        ":",
        " ",
        "- ",
        "[",
        "{",
        "}",
        "'",
        "\"",
        "#",
        "\t",
        "\n",
        "é",
        "&a ",
        "*a",
        "!!str ",
        "  ",
        "\n  - path: x\n",
        "md5: 1\n",
        "null",
        "~",
        "2.0",
        "\r\n",
    ];
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + random.below(4) {
        let at = random.below(chars.len() + 1);
        match random.below(4) {
            0 => {
                let end = (at + random.below(20)).min(chars.len());
                chars.drain(at..end);
            }
            1 => {
                let insert = INSERTS[random.below(INSERTS.len())];
                chars.splice(at..at, insert.chars());
            }
            2 => chars.truncate(at),
            _ => {
                let end = (at + random.below(60)).min(chars.len());
                let copy: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, copy);
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mangled_lock_files_never_panic() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lock");
    let sample = std::fs::read_to_string(fixtures.join("features/snapshots/2-updated.lock"))
        .expect("features snapshot");
    let stage = lock::parse(&sample, "dvc.lock").lock.stages["train"].clone();
    let seed = std::env::var("RETORT_FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(11);
    let mut random = Random(seed);
    let mut valid = 0;
    for _ in 0..500 {
        let text = mangle(&sample, &mut random);
        let parsed = lock::parse(&text, "dvc.lock");
        let _ = lock::parse_stage_entry(&text, "entry");
        if !parsed.is_valid() {
            continue;
        }
        valid += 1;
        let _ = parsed.lock.to_yaml();
        let file = std::path::Path::new("dvc.lock");
        let written = [("train", &stage), ("new", &stage)];
        if let Ok(update) = lock::update_stages(Some(&text), file, &written) {
            let reread = lock::parse(&update.text, "dvc.lock");
            assert!(
                reread.is_valid(),
                "update of {text:?} gave {:?}",
                update.text
            );
            assert_eq!(reread.lock.stages.get("new"), Some(&stage));
        }
        let _ = lock::remove_stage(&text, file, "prepare");
    }
    assert!(valid > 25, "only {valid} mangled files were valid");
}
