use super::*;

fn edit(op: EditOp, path: &str, value: Option<Value>) -> ParamEdit {
    ParamEdit {
        op,
        path: path.to_string(),
        value,
    }
}

fn set(path: &str, value: Value) -> ParamEdit {
    edit(EditOp::Set, path, Some(value))
}

fn add(path: &str, value: Value) -> ParamEdit {
    edit(EditOp::Add, path, Some(value))
}

fn remove(path: &str) -> ParamEdit {
    edit(EditOp::Delete, path, None)
}

/// Reads a value written in YAML flow syntax, for short test cases.
fn v(text: &str) -> Value {
    let parsed = formats::parse(Format::Yaml, &format!("v: {text}\n"));
    assert!(parsed.errors.is_empty(), "{text}: {:?}", parsed.errors);
    parsed.root.unwrap().get("v").unwrap().value.clone()
}

fn check(format: Format, before: &str, edits: &[ParamEdit], after: &str) {
    let result = apply_edits(format, before, edits);
    assert_eq!(result.as_deref(), Ok(after), "{before:?} with {edits:?}");
}

fn check_error(format: Format, before: &str, edits: &[ParamEdit]) -> EditError {
    let result = apply_edits(format, before, edits);
    let error = result.expect_err("the edit should fail");
    assert!(!error.to_string().is_empty());
    error
}

// ---------------------------------------------------------------- YAML

const TRAIN_YAML: &str = "\
# Training parameters
train:
  lr: 0.01  # learning rate
  optimizer: 'adam'
  layers: [16, 8]

  epochs: 10
seed: 42
";

#[test]
fn yaml_set_changes_only_the_value() {
    check(
        Format::Yaml,
        TRAIN_YAML,
        &[set("train.lr", v("0.02")), set("train.optimizer", v("sgd"))],
        &TRAIN_YAML
            .replace("0.01", "0.02")
            .replace("'adam'", "'sgd'"),
    );
}

#[test]
fn yaml_set_list_stays_flow() {
    check(
        Format::Yaml,
        TRAIN_YAML,
        &[set("train.layers", v("[32, 16, 8]"))],
        &TRAIN_YAML.replace("[16, 8]", "[32, 16, 8]"),
    );
}

#[test]
fn yaml_set_quotes_only_when_needed() {
    let before = "a: x\nb: x\nc: x\n";
    check(
        Format::Yaml,
        before,
        &[
            set("a", Value::Str("1".into())),
            set("b", Value::Str("plain text".into())),
            set("c", Value::Str("two\nlines".into())),
        ],
        "a: '1'\nb: plain text\nc: \"two\\nlines\"\n",
    );
}

#[test]
fn yaml_set_list_item_by_index() {
    check(
        Format::Yaml,
        "layers:\n- 1\n- 2\n",
        &[set("layers.1", v("5"))],
        "layers:\n- 1\n- 5\n",
    );
}

#[test]
fn yaml_block_list_of_flow_lists() {
    check(
        Format::Yaml,
        "ea:\n- [1, 2]\n",
        &[set("ea", v("[3]"))],
        "ea: [3]\n",
    );
}

#[test]
fn yaml_set_empty_value() {
    check(
        Format::Yaml,
        "a:\nb: 1\n",
        &[set("a", v("3"))],
        "a: 3\nb: 1\n",
    );
}

#[test]
fn yaml_set_replaces_block_collection_and_block_scalar() {
    check(
        Format::Yaml,
        "a:\n  x: 1\n  y: 2\nb: |\n  text\nc: 1\n",
        &[set("a", v("7")), set("b", v("short"))],
        "a: 7\nb: short\nc: 1\n",
    );
}

#[test]
fn yaml_set_mapping_merges_into_mapping() {
    check(
        Format::Yaml,
        "opt:\n  name: adam\n  lr: 0.1\n",
        &[set("opt", v("{lr: 0.2}"))],
        "opt:\n  name: adam\n  lr: 0.2\n",
    );
}

#[test]
fn yaml_add_follows_sibling_indentation() {
    check(
        Format::Yaml,
        TRAIN_YAML,
        &[add("train.dropout", v("0.5"))],
        &TRAIN_YAML.replace("  epochs: 10\n", "  epochs: 10\n  dropout: 0.5\n"),
    );
}

#[test]
fn yaml_add_creates_block_intermediates() {
    check(
        Format::Yaml,
        "a:\n    x: 1\n",
        &[add("a.b.c", v("[1, 2]"))],
        "a:\n    x: 1\n    b:\n        c: [1, 2]\n",
    );
}

#[test]
fn yaml_add_into_flow_mapping() {
    check(
        Format::Yaml,
        "opt: {name: adam}  # optimizer\nempty: {}\n",
        &[add("opt.lr", v("0.1")), add("empty.k", v("v"))],
        "opt: {name: adam, lr: 0.1}  # optimizer\nempty: {k: v}\n",
    );
}

#[test]
fn yaml_add_at_end_of_file() {
    check(Format::Yaml, "", &[add("a", v("1"))], "a: 1\n");
    check(Format::Yaml, "x: 1", &[add("a", v("1"))], "x: 1\na: 1\n");
}

#[test]
fn yaml_add_replaces_null_and_scalar_parents() {
    // `+n.x=1` on `n: null` and `+b.c=1` on `b: 1` give mappings (DVC 3.67.1).
    check(
        Format::Yaml,
        "n:\nb: 1\n",
        &[add("n.x", v("1")), add("b.c", v("1"))],
        "n: {x: 1}\nb: {c: 1}\n",
    );
}

#[test]
fn yaml_delete_block_keys() {
    check(
        Format::Yaml,
        TRAIN_YAML,
        &[remove("train.layers"), remove("seed")],
        &TRAIN_YAML
            .replace("  layers: [16, 8]\n", "")
            .replace("seed: 42\n", ""),
    );
}

#[test]
fn yaml_delete_first_key_of_list_item() {
    check(
        Format::Yaml,
        "runs:\n- a: 1\n  b: 2\n",
        &[remove("runs.0.a")],
        "runs:\n- b: 2\n",
    );
}

#[test]
fn yaml_delete_last_key_leaves_empty_mapping() {
    check(
        Format::Yaml,
        "a:\n  x: 1\nb: 2\n",
        &[remove("a.x")],
        "a: {}\nb: 2\n",
    );
    check(Format::Yaml, "only: 1\n", &[remove("only")], "{}\n");
}

#[test]
fn yaml_delete_in_flow_mapping() {
    check(
        Format::Yaml,
        "o: {a: 1, b: 2, c: 3}\n",
        &[remove("o.b"), remove("o.c")],
        "o: {a: 1}\n",
    );
}

#[test]
fn yaml_rejects_values_behind_aliases() {
    let error = check_error(
        Format::Yaml,
        "base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n",
        &[set("use.x", v("5"))],
    );
    assert!(matches!(error, EditError::NotInPlace { .. }), "{error:?}");
}

// ---------------------------------------------------------------- errors

#[test]
fn set_of_missing_key_suggests_close_keys() {
    let error = check_error(Format::Yaml, TRAIN_YAML, &[set("train.lrr", v("1"))]);
    let EditError::MissingKey { path, closest } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(path, "train.lrr");
    assert_eq!(closest.first().map(String::as_str), Some("train.lr"));
    assert!(closest.len() <= 3);
    assert!(error.to_string().contains("did you mean 'train.lr'"));
}

#[test]
fn set_merge_with_new_key_is_missing_key() {
    // DVC: "Could not override 'a'" for `a={x: 1, new: 2}`.
    let error = check_error(
        Format::Yaml,
        "a:\n  x: 0\n",
        &[set("a", v("{x: 1, new: 2}"))],
    );
    assert!(
        matches!(error, EditError::MissingKey { ref path, .. } if path == "a.new"),
        "{error:?}"
    );
}

#[test]
fn add_of_existing_scalar_key_fails() {
    let error = check_error(Format::Yaml, "b: 1\n", &[add("b", v("4"))]);
    assert_eq!(error, EditError::KeyExists { path: "b".into() });
}

#[test]
fn add_collection_onto_existing_key() {
    check(
        Format::Yaml,
        "a:\n  x: 0\nl: [1]\n",
        &[add("a", v("{z: 1}")), add("l", v("[9]"))],
        "a:\n  x: 0\n  z: 1\nl: [9]\n",
    );
}

#[test]
fn delete_checks_value_and_treats_null_as_missing() {
    let error = check_error(
        Format::Yaml,
        "b: 1\n",
        &[edit(EditOp::Delete, "b", Some(v("2")))],
    );
    assert!(
        matches!(error, EditError::ValueMismatch { .. }),
        "{error:?}"
    );
    check(
        Format::Yaml,
        "b: 1\nc: 2\n",
        &[edit(EditOp::Delete, "b", Some(v("1.0")))],
        "c: 2\n",
    );
    let error = check_error(Format::Yaml, "n:\nc: 2\n", &[remove("n")]);
    assert!(matches!(error, EditError::MissingKey { .. }), "{error:?}");
}

#[test]
fn list_index_paths_cannot_add_or_delete() {
    let error = check_error(Format::Yaml, "l: [1, 2]\n", &[remove("l.0")]);
    assert!(matches!(error, EditError::Unsupported { .. }), "{error:?}");
    let error = check_error(Format::Yaml, "l: [1, 2]\n", &[add("l.x", v("1"))]);
    assert!(matches!(error, EditError::NotAMapping { .. }), "{error:?}");
}

#[test]
fn invalid_edits_are_errors() {
    let error = check_error(Format::Yaml, "a: [1\n", &[set("a", v("1"))]);
    assert!(matches!(error, EditError::Syntax { .. }), "{error:?}");
    let error = check_error(
        Format::Yaml,
        "a: 1\n",
        &[set("a", v("2")), set("b", v("3"))],
    );
    assert!(matches!(error, EditError::MissingKey { .. }));
    let error = check_error(Format::Yaml, "a: 1\n", &[edit(EditOp::Set, "a", None)]);
    assert!(matches!(error, EditError::MissingValue { .. }));
    let error = check_error(Format::Yaml, "a: 1\n", &[set("a..b", v("1"))]);
    assert!(matches!(error, EditError::InvalidPath { .. }));
}

// ---------------------------------------------------------------- JSON

const PRETTY_JSON: &str = "{\n    \"train\": {\n        \"lr\": 0.01,\n        \"name\": \"adam\"\n    },\n    \"seed\": 1\n}\n";

#[test]
fn json_set_add_and_delete_keep_layout() {
    check(
        Format::Json,
        PRETTY_JSON,
        &[set("train.lr", v("0.5")), add("train.extra", v("[1, 2]"))],
        "{\n    \"train\": {\n        \"lr\": 0.5,\n        \"name\": \"adam\",\n        \"extra\": [1, 2]\n    },\n    \"seed\": 1\n}\n",
    );
    check(
        Format::Json,
        PRETTY_JSON,
        &[remove("train.lr"), remove("seed")],
        "{\n    \"train\": {\n        \"name\": \"adam\"\n    }\n}\n",
    );
}

#[test]
fn json_compact_objects_stay_on_one_line() {
    check(
        Format::Json,
        r#"{"a": 1, "b": {}}"#,
        &[add("c.d", v("x")), add("b.k", v("true")), remove("a")],
        r#"{"b": {"k": true}, "c": {"d": "x"}}"#,
    );
}

#[test]
fn json_delete_only_member() {
    check(Format::Json, "{\n  \"a\": 1\n}", &[remove("a")], "{}");
}

// ---------------------------------------------------------------- TOML

const TOML_TEXT: &str = "\
# params
seed = 1
path = 'data/raw'  # literal string
a.b = 1

[train]
lr = 0.01
opt = { name = \"adam\", beta = 0.9 }

[train.schedule]
kind = \"step\"

[[runs]]
id = 1
";

#[test]
fn toml_set_values_keeps_quote_style() {
    check(
        Format::Toml,
        TOML_TEXT,
        &[
            set("path", v("data/new")),
            set("train.lr", v("0.02")),
            set("train.opt.beta", v("0.99")),
            set("runs.0.id", v("2")),
        ],
        &TOML_TEXT
            .replace("'data/raw'", "'data/new'")
            .replace("0.01", "0.02")
            .replace("0.9 }", "0.99 }")
            .replace("id = 1", "id = 2"),
    );
}

#[test]
fn toml_add_goes_into_the_right_section() {
    check(
        Format::Toml,
        TOML_TEXT,
        &[
            add("train.epochs", v("10")),
            add("new", v("x")),
            add("a.c", v("2")),
            add("train.opt.eps", v("1e-8")),
            add("train.schedule.x.y", v("1")),
        ],
        &TOML_TEXT
            .replace("a.b = 1\n", "a.b = 1\nnew = \"x\"\na.c = 2\n")
            .replace(
                "lr = 0.01\nopt = { name = \"adam\", beta = 0.9 }\n",
                "lr = 0.01\nopt = { name = \"adam\", beta = 0.9, eps = 1e-08 }\nepochs = 10\n",
            )
            .replace("kind = \"step\"\n", "kind = \"step\"\nx.y = 1\n"),
    );
}

#[test]
fn toml_add_under_implicit_table_appends_a_section() {
    check(
        Format::Toml,
        "[x.y]\nk = 1\n",
        &[add("x.z", v("2"))],
        "[x.y]\nk = 1\n\n[x]\nz = 2\n",
    );
}

#[test]
fn toml_add_before_first_section() {
    check(
        Format::Toml,
        "# c\n[t]\nk = 1\n",
        &[add("top", v("1"))],
        "top = 1\n\n# c\n[t]\nk = 1\n",
    );
}

#[test]
fn toml_delete_keys_and_sections() {
    check(
        Format::Toml,
        TOML_TEXT,
        &[
            remove("seed"),
            remove("train.opt.name"),
            remove("train.schedule"),
        ],
        &TOML_TEXT
            .replace("seed = 1\n", "")
            .replace("{ name = \"adam\", beta", "{ beta")
            .replace("[train.schedule]\nkind = \"step\"\n\n", ""),
    );
}

#[test]
fn toml_delete_whole_table_with_sub_sections() {
    check(
        Format::Toml,
        "x = 1\n\n[t]\nk = 1\n\n[t.sub]\nm = 2\n\n[u]\nn = 3\n",
        &[remove("t")],
        "x = 1\n\n[u]\nn = 3\n",
    );
}

#[test]
fn toml_delete_last_dotted_key_keeps_empty_table() {
    check(
        Format::Toml,
        "a.b = 1\nc = 2\n",
        &[remove("a.b")],
        "a = {}\nc = 2\n",
    );
}

#[test]
fn toml_set_section_to_value() {
    check(
        Format::Toml,
        "x = 1\n\n[t]\nk = 1\n",
        &[set("t", v("[1, 2]"))],
        "x = 1\nt = [1, 2]\n\n",
    );
}

#[test]
fn toml_null_is_unsupported() {
    let error = check_error(Format::Toml, "a = 1\n", &[set("a", Value::Null)]);
    assert!(matches!(error, EditError::Unsupported { .. }), "{error:?}");
}

// ---------------------------------------------------------------- Python

const PY_TEXT: &str = "\
EPOCHS = 5  # epochs
NAME = \"model\"
D = {\"lr\": 0.1, \"bs\": 32}

class Train:
    lr = 0.1

    def __init__(self):
        self.bs = 32
";

#[test]
fn python_set_replaces_literals() {
    check(
        Format::Python,
        PY_TEXT,
        &[
            set("EPOCHS", v("10")),
            set("NAME", v("other")),
            set("D.lr", v("0.5")),
            set("Train.lr", v("0.2")),
            set("Train.bs", v("64")),
        ],
        &PY_TEXT
            .replace("EPOCHS = 5", "EPOCHS = 10")
            .replace("\"model\"", "\"other\"")
            .replace("0.1, \"bs\"", "0.5, \"bs\"")
            .replace("lr = 0.1", "lr = 0.2")
            .replace("self.bs = 32", "self.bs = 64"),
    );
}

#[test]
fn python_add_and_delete_are_unsupported() {
    for edits in [vec![add("NEW", v("1"))], vec![remove("EPOCHS")]] {
        let error = check_error(Format::Python, PY_TEXT, &edits);
        assert!(matches!(error, EditError::Unsupported { .. }), "{error:?}");
    }
    let error = check_error(
        Format::Python,
        PY_TEXT,
        &[set("EPOCHS", Value::Float(f64::NAN))],
    );
    assert!(matches!(error, EditError::Unsupported { .. }), "{error:?}");
}
