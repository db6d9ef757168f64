//! Property test of in-place edits: random sequences of `key=value` edits on
//! random YAML, JSON and TOML documents, written in varied styles, must read back
//! with the new values, and every key and value that was not edited must keep
//! its exact bytes.

use proptest::prelude::*;

use retort_engine::formats::{self, Format};
use retort_engine::node::{Entry, Map, Node, Value};
use retort_engine::params::edit::{apply_edits, values_match, EditOp, ParamEdit};
use retort_engine::pyfmt::float_repr;
use retort_engine::text::Span;

// ---------------------------------------------------------------- generation

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(|number| Value::Int(i64::from(number))),
        (-1e6f64..1e6).prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        prop::sample::select(vec![
            "adam",
            "a b",
            "yes",
            "1",
            "x: y",
            "it's",
            "say \"hi\"",
            "é",
            "#c",
            "",
            "tab\tx",
            "null",
        ])
        .prop_map(|text| Value::Str(text.to_string())),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..3)
            .prop_map(|items| Value::List(items.into_iter().map(Node::synthetic).collect())),
    ]
}

fn map_of(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    prop::collection::vec(("[a-e]{1,2}", values), 1..5).prop_map(|pairs| {
        let mut map = Map::new();
        for (key, value) in pairs {
            map.insert(
                key,
                Entry {
                    key_span: Span::default(),
                    value: Node::synthetic(value),
                },
            );
        }
        Value::Map(map)
    })
}

fn document() -> impl Strategy<Value = Value> {
    map_of(prop_oneof![3 => leaf(), 1 => map_of(prop_oneof![3 => leaf(), 1 => map_of(leaf())])])
}

/// Style choices, drawn once per document and used round-robin.
#[derive(Clone, Debug)]
struct Styles(Vec<u8>);

impl Styles {
    fn next(&mut self, choices: u8) -> u8 {
        let value = self.0.pop().unwrap_or(0);
        self.0.insert(0, value);
        value % choices
    }
}

// ---------------------------------------------------------------- writers

fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

fn yaml_scalar(value: &Value, styles: &mut Styles) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => flag.to_string(),
        Value::Int(number) => number.to_string(),
        Value::Float(number) => float_repr(*number),
        Value::Str(text) => {
            let plain_ok = !text.is_empty()
                && text.chars().all(|ch| ch.is_ascii_alphabetic())
                && !["yes", "null", "true", "false"].contains(&text.as_str());
            match styles.next(3) {
                0 if plain_ok => text.clone(),
                1 if !text.contains(['\t', '\n']) => format!("'{}'", text.replace('\'', "''")),
                _ => json_string(text),
            }
        }
        Value::List(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| yaml_scalar(&item.value, styles))
                .collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, entry)| format!("{key}: {}", yaml_scalar(&entry.value.value, styles)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

fn write_yaml(map: &Map, indent: usize, styles: &mut Styles, out: &mut String) {
    let pad = " ".repeat(indent);
    for (key, entry) in map {
        let value = &entry.value.value;
        match value {
            Value::Map(child) if styles.next(2) == 0 => {
                out.push_str(&format!("{pad}{key}:\n"));
                write_yaml(child, indent + 2, styles, out);
            }
            Value::List(items) if !items.is_empty() && styles.next(2) == 0 => {
                out.push_str(&format!("{pad}{key}:\n"));
                for item in items {
                    out.push_str(&format!("{pad}- {}\n", yaml_scalar(&item.value, styles)));
                }
            }
            _ => {
                let comment = if styles.next(3) == 0 { "  # note" } else { "" };
                out.push_str(&format!(
                    "{pad}{key}: {}{comment}\n",
                    yaml_scalar(value, styles)
                ));
            }
        }
        if styles.next(4) == 0 {
            out.push('\n');
        }
    }
}

fn json_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => flag.to_string(),
        Value::Int(number) => number.to_string(),
        Value::Float(number) => float_repr(*number),
        Value::Str(text) => json_string(text),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|item| json_value(&item.value)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, entry)| {
                    format!("{}: {}", json_string(key), json_value(&entry.value.value))
                })
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

fn write_json(map: &Map, indent: usize, styles: &mut Styles) -> String {
    if styles.next(3) == 0 {
        return json_value(&Value::Map(map.clone()));
    }
    let pad = " ".repeat(indent + 2);
    let entries: Vec<String> = map
        .iter()
        .map(|(key, entry)| {
            let value = match &entry.value.value {
                Value::Map(child) => write_json(child, indent + 2, styles),
                other => json_value(other),
            };
            format!("{pad}{}: {value}", json_string(key))
        })
        .collect();
    format!("{{\n{}\n{}}}", entries.join(",\n"), " ".repeat(indent))
}

fn toml_value(value: &Value) -> String {
    match value {
        Value::Str(text) => json_string(text),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|item| toml_value(&item.value)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, entry)| format!("{key} = {}", toml_value(&entry.value.value)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        other => json_value(other),
    }
}

/// Writes the keys of the table at `path`: values first, as plain, inline or
/// dotted keys, then the mappings chosen to be `[sections]`.
fn write_toml(map: &Map, path: &[String], styles: &mut Styles, out: &mut String) {
    let mut sections = Vec::new();
    for (key, entry) in map {
        match &entry.value.value {
            Value::Map(child) => match styles.next(3) {
                0 => sections.push((key.clone(), child)),
                1 if child.values().all(|entry| entry.value.value.is_scalar()) => {
                    for (sub, sub_entry) in child {
                        out.push_str(&format!(
                            "{key}.{sub} = {}\n",
                            toml_value(&sub_entry.value.value)
                        ));
                    }
                }
                _ => out.push_str(&format!("{key} = {}\n", toml_value(&entry.value.value))),
            },
            other => {
                let comment = if styles.next(3) == 0 { "  # note" } else { "" };
                out.push_str(&format!("{key} = {}{comment}\n", toml_value(other)));
            }
        }
    }
    for (key, child) in sections {
        let mut child_path = path.to_vec();
        child_path.push(key);
        out.push_str(&format!("\n[{}]\n", child_path.join(".")));
        write_toml(child, &child_path, styles, out);
    }
}

fn write(format: Format, root: &Value, styles: &mut Styles) -> String {
    let Value::Map(map) = root else {
        unreachable!("documents are mappings")
    };
    let mut out = String::new();
    match format {
        Format::Yaml => write_yaml(map, 0, styles, &mut out),
        Format::Json => out = write_json(map, 0, styles) + "\n",
        Format::Toml => write_toml(map, &[], styles, &mut out),
        Format::Python => unreachable!("not generated"),
    }
    out
}

// ---------------------------------------------------------------- checks

/// Paths of the leaves: scalars and lists, and the items of lists.
fn leaf_paths(node: &Node, prefix: &str, out: &mut Vec<String>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match &node.value {
        Value::Map(map) => {
            for (key, entry) in map {
                leaf_paths(&entry.value, &join(key), out);
            }
        }
        Value::List(items) => {
            out.push(prefix.to_string());
            for index in 0..items.len() {
                out.push(join(&index.to_string()));
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

fn set_path(value: &mut Value, path: &str, new: &Value) {
    let mut current = value;
    for part in path.split('.') {
        current = match current {
            Value::Map(map) => &mut map.get_mut(part).expect("an existing key").value.value,
            Value::List(items) => &mut items[part.parse::<usize>().expect("an index")].value,
            _ => unreachable!("paths come from the tree"),
        };
    }
    *current = new.clone();
}

fn text_of(text: &str, span: Span) -> &str {
    &text[span.start..span.end]
}

fn overlaps(path: &str, edited: &str) -> bool {
    path == edited
        || path.starts_with(&format!("{edited}."))
        || edited.starts_with(&format!("{path}."))
}

fn parse(format: Format, text: &str) -> Node {
    let parsed = formats::parse(format, text);
    assert!(parsed.errors.is_empty(), "{text}\n{:?}", parsed.errors);
    parsed.root.expect("a document")
}

fn check_edits(
    format: Format,
    tree: Value,
    styles: Vec<u8>,
    picks: Vec<(prop::sample::Index, Value)>,
) {
    let mut styles = Styles(styles);
    let text = write(format, &tree, &mut styles);
    let before = parse(format, &text);
    assert!(values_match(&before.value, &tree), "writer bug:\n{text}");

    let mut paths = Vec::new();
    leaf_paths(&before, "", &mut paths);
    let mut expected = before.value.clone();
    let mut edits: Vec<ParamEdit> = Vec::new();
    for (index, value) in picks {
        let path = index.get(&paths).clone();
        // An earlier edit may have replaced a list that this path points into.
        let mut probe = Node::synthetic(expected.clone());
        probe.value = expected.clone();
        if probe.get_path(&path).is_none() {
            continue;
        }
        set_path(&mut expected, &path, &value);
        edits.push(ParamEdit {
            op: EditOp::Set,
            path,
            value: Some(value),
        });
    }

    let result = apply_edits(format, &text, &edits)
        .unwrap_or_else(|error| panic!("{error}\n{text}\n{edits:?}"));
    let after = parse(format, &result);
    assert!(
        values_match(&after.value, &expected),
        "{text}\n-- edits {edits:?} gave --\n{result}"
    );

    for path in &paths {
        if edits.iter().any(|edit| overlaps(path, &edit.path)) {
            continue;
        }
        let old = before.get_path(path).expect("an old leaf");
        let new = after.get_path(path).expect("a kept leaf");
        assert_eq!(
            text_of(&text, old.span),
            text_of(&result, new.span),
            "{path} changed:\n{text}\n--\n{result}"
        );
        if let (Some(old_entry), Some(new_entry)) =
            (before.get_entry_path(path), after.get_entry_path(path))
        {
            assert_eq!(
                text_of(&text, old_entry.key_span),
                text_of(&result, new_entry.key_span)
            );
        }
    }
}

fn edit_values() -> impl Strategy<Value = Vec<(prop::sample::Index, Value)>> {
    prop::collection::vec((any::<prop::sample::Index>(), leaf()), 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn yaml_set_edits_round_trip(tree in document(), styles in prop::collection::vec(any::<u8>(), 1..16), picks in edit_values()) {
        check_edits(Format::Yaml, tree, styles, picks);
    }

    #[test]
    fn json_set_edits_round_trip(tree in document(), styles in prop::collection::vec(any::<u8>(), 1..16), picks in edit_values()) {
        check_edits(Format::Json, tree, styles, picks);
    }

    #[test]
    fn toml_set_edits_round_trip(tree in document(), styles in prop::collection::vec(any::<u8>(), 1..16), picks in edit_values()) {
        check_edits(Format::Toml, tree, styles, picks);
    }
}
