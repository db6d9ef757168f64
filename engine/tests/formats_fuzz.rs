//! Robustness of the params loaders and the editor on broken input: random text,
//! random mixes of each format's syntax characters, and every truncation of the
//! fixture files must load without panicking, with error and node spans inside
//! the text and on character boundaries.

use std::path::Path;

use proptest::prelude::*;

use retort_engine::formats::{self, Format};
use retort_engine::node::{Node, Value};
use retort_engine::params::edit::{apply_edits, EditOp, ParamEdit};
use retort_engine::text::Span;

const FORMATS: [Format; 4] = [Format::Yaml, Format::Json, Format::Toml, Format::Python];

fn check_span(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end,
        "{what} span {span:?} is reversed in {text:?}"
    );
    assert!(
        span.end <= text.len(),
        "{what} span {span:?} is past the end of {text:?}"
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what} span {span:?} splits a character in {text:?}"
    );
}

fn check_node(text: &str, node: &Node) {
    check_span(text, node.span, "node");
    match &node.value {
        Value::Map(map) => {
            for entry in map.values() {
                check_span(text, entry.key_span, "key");
                check_node(text, &entry.value);
            }
        }
        Value::List(items) => items.iter().for_each(|item| check_node(text, item)),
        _ => {}
    }
}

fn check_parse(format: Format, text: &str) {
    let parsed = formats::parse(format, text);
    for error in &parsed.errors {
        check_span(text, error.span, "error");
        assert!(!error.message.is_empty());
    }
    if let Some(root) = &parsed.root {
        check_node(text, root);
    }
    // Editing broken or odd input must fail cleanly or succeed, never panic.
    let edits = [
        ParamEdit {
            op: EditOp::AddOrSet,
            path: "a.b".to_string(),
            value: Some(Value::Int(1)),
        },
        ParamEdit {
            op: EditOp::Delete,
            path: "a".to_string(),
            value: None,
        },
    ];
    let _ = apply_edits(format, text, &edits);
}

fn fixture_texts() -> Vec<(Format, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/params");
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the fixtures directory exists") {
        let path = entry.expect("a readable entry").path();
        let extension = path.extension().and_then(|extension| extension.to_str());
        if matches!(extension, Some("py" | "json" | "toml")) {
            let text = std::fs::read_to_string(&path).expect("a readable fixture");
            texts.push((Format::from_path(&path), text));
        }
    }
    texts.push((
        Format::Yaml,
        "# c\ntrain:\n  lr: 0.1  # x\n  layers: [1, {a: 'b'}]\n  text: |\n    line\nlist:\n- k: v\n- \"q\"\n"
            .to_string(),
    ));
    texts
}

#[test]
fn every_truncation_of_the_fixtures_loads() {
    for (format, text) in fixture_texts() {
        for (cut, _) in text.char_indices() {
            check_parse(format, &text[..cut]);
        }
    }
}

/// Characters that make up each format's syntax, plus some that break it.
const SYNTAX: &str =
    "{}[](),:;=.-+#'\"\\ \t\n\r\u{feff}é0123456789aefnrtuxyzAINTF_@|>&*!%$`?~jbolsc";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn random_text_loads_in_every_format(text in ".{0,80}") {
        for format in FORMATS {
            check_parse(format, &text);
        }
    }

    #[test]
    fn random_syntax_loads_in_every_format(indices in prop::collection::vec(0usize..SYNTAX.chars().count(), 0..120)) {
        let chars: Vec<char> = SYNTAX.chars().collect();
        let text: String = indices.into_iter().map(|index| chars[index]).collect();
        for format in FORMATS {
            check_parse(format, &text);
        }
    }

    #[test]
    fn fixtures_with_one_byte_changed_load(pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), replacement in prop::sample::select(SYNTAX.chars().collect::<Vec<char>>())) {
        let texts = fixture_texts();
        let (format, text) = pick.get(&texts);
        let positions: Vec<usize> = text.char_indices().map(|(offset, _)| offset).collect();
        let offset = *at.get(&positions);
        let mut changed = text.clone();
        let len = changed[offset..].chars().next().map_or(0, char::len_utf8);
        changed.replace_range(offset..offset + len, &replacement.to_string());
        check_parse(*format, &changed);
    }
}
