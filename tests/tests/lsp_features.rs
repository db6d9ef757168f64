//! Hovers, lenses, code actions, completion, navigation, symbols and inlay
//! hints of `retort lsp`, on fixture projects in real git repositories.

use retort_tests::lsp::{cursor, range, ClientOptions, Fixture, LspClient};
use serde_json::{json, Value};

const PIPELINE: &str = "\
vars:
  - model: {width: 64}
stages:
  prepare:
    desc: Split the data.
    cmd: python prep.py --seed ${prepare.seed}
    deps:
      - data/raw.csv
    params:
      - prepare.seed
    outs:
      - data/clean.csv
  train:
    cmd: python train.py --lr ${train.lr} --width ${model.width}
    deps:
      - data/clean.csv
    params:
      - train.lr
    outs:
      - model.pkl
    metrics:
      - metrics.yaml:
          cache: false
  sweep:
    foreach: [1, 2]
    do:
      cmd: python sweep.py ${item}
";

const PARAMS_AT_HEAD: &str = "prepare:\n  seed: 1\ntrain:\n  lr: 0.1\n";
const PARAMS_NOW: &str = "prepare:\n  seed: 1\ntrain:\n  lr: 0.25\n";

/// A project whose params and metrics changed since the commit.
fn project() -> Fixture {
    let fixture = Fixture::new(&[
        ("dvc.yaml", PIPELINE),
        ("params.yaml", PARAMS_AT_HEAD),
        ("metrics.yaml", "acc: 0.5\nloss: 2\n"),
        ("data/raw.csv", "x\n1\n2\n"),
        ("prep.py", ""),
    ]);
    fixture.write("params.yaml", PARAMS_NOW);
    fixture.write("metrics.yaml", "acc: 0.75\nloss: 1\n");
    fixture
}

fn started(fixture: &Fixture) -> LspClient {
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open("dvc.yaml", PIPELINE);
    client.diagnostics_for("dvc.yaml", |_| true);
    client
}

/// The line and UTF-16 column of `needle` (plus `shift` characters) in the
/// pipeline.
fn position_of(text: &str, needle: &str, shift: u32) -> (u32, u32) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("'{needle}' not in the text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    (
        line,
        before[line_start..].encode_utf16().count() as u32 + shift,
    )
}

fn hover_text(client: &mut LspClient, needle: &str, shift: u32) -> String {
    let (line, character) = position_of(PIPELINE, needle, shift);
    let answer = client.at("textDocument/hover", "dvc.yaml", line, character);
    answer["contents"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no hover on '{needle}': {answer}"))
        .to_string()
}

#[test]
fn hover_on_a_param_key_shows_workspace_and_head_values_and_users() {
    let fixture = project();
    let mut client = started(&fixture);
    let text = hover_text(&mut client, "- train.lr", 4);
    assert!(text.contains("| workspace | `0.25` |"), "{text}");
    assert!(text.contains("`0.1` (changed)"), "{text}");
    assert!(text.contains("Used by `train`"), "{text}");

    // The same key in the params file itself.
    client.open("params.yaml", PARAMS_NOW);
    let (line, character) = position_of(PARAMS_NOW, "lr", 0);
    let answer = client.at("textDocument/hover", "params.yaml", line, character);
    let text = answer["contents"]["value"].as_str().unwrap();
    assert!(text.contains("**`train.lr`** in `params.yaml`"), "{text}");
    assert!(text.contains("Used by `train`"), "{text}");
}

#[test]
fn hover_on_a_stage_summarizes_it_with_metrics_now_and_at_head() {
    let fixture = project();
    let mut client = started(&fixture);
    let text = hover_text(&mut client, "train:", 1);
    assert!(
        text.starts_with("**stage `train`** in `dvc.yaml`"),
        "{text}"
    );
    assert!(
        text.contains("python train.py --lr 0.25 --width 64"),
        "{text}"
    );
    assert!(text.contains("after `prepare`"), "{text}");
    assert!(text.contains("| acc | `0.75` | `0.5` |"), "{text}");

    let group = hover_text(&mut client, "sweep:", 1);
    assert!(group.contains("foreach group `sweep`"), "{group}");
    assert!(group.contains("`sweep@1`, `sweep@2`"), "{group}");
}

#[test]
fn hover_on_paths_and_expressions() {
    let fixture = project();
    let mut client = started(&fixture);
    let dep = hover_text(&mut client, "data/raw.csv", 2);
    assert!(dep.contains("**dependency** `data/raw.csv`"), "{dep}");
    assert!(dep.contains("File: 6 B"), "{dep}");

    let produced = hover_text(
        &mut client,
        "      - data/clean.csv\n    params:\n      - train.lr",
        9,
    );
    assert!(produced.contains("written by `prepare`"), "{produced}");

    let metrics = hover_text(&mut client, "metrics.yaml:", 2);
    assert!(
        metrics.contains("**metrics file** `metrics.yaml` of stage `train`"),
        "{metrics}"
    );
    assert!(metrics.contains("| loss | `1` | `2` |"), "{metrics}");

    let from_file = hover_text(&mut client, "${train.lr}", 3);
    assert!(
        from_file.contains("**`${train.lr}`** = `0.25`"),
        "{from_file}"
    );
    assert!(
        from_file.contains("from `params.yaml` at `params.yaml:4` (key `train.lr`)"),
        "{from_file}"
    );

    let inline = hover_text(&mut client, "${model.width}", 3);
    assert!(inline.contains("= `64`"), "{inline}");
    assert!(
        inline.contains("from inline `vars[0]` at `dvc.yaml:2`"),
        "{inline}"
    );

    let item = hover_text(&mut client, "${item}", 3);
    assert!(
        item.contains("the current item of each stage generated by `sweep`"),
        "{item}"
    );
}

#[test]
fn code_lenses_carry_commands_the_server_lists() {
    let fixture = project();
    let mut client = started(&fixture);
    let commands: Vec<String> = client.initialize_result["capabilities"]["executeCommandProvider"]
        ["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|command| command.as_str().unwrap().to_string())
        .collect();
    let lenses = client
        .request(
            "textDocument/codeLens",
            json!({ "textDocument": { "uri": client.uri("dvc.yaml") } }),
        )
        .unwrap();
    let lenses = lenses.as_array().unwrap();
    let on_train: Vec<&str> = lenses
        .iter()
        .filter(|lens| lens["range"]["start"]["line"] == json!(12))
        .map(|lens| lens["command"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(on_train, ["▶ Run stage", "Run experiment", "Show changes"]);
    let diff = lenses
        .iter()
        .find(|lens| lens["command"]["title"] == json!("Diff with HEAD"))
        .expect("a Diff with HEAD lens on the metrics entry");
    assert_eq!(diff["range"]["start"]["line"], json!(21));
    assert_eq!(
        diff["command"]["arguments"][0]["files"],
        json!(["metrics.yaml"])
    );
    for lens in lenses {
        let command = lens["command"]["command"].as_str().unwrap();
        assert!(
            commands.iter().any(|listed| listed == command),
            "{command} is not listed"
        );
    }
    let run = lenses
        .iter()
        .find(|lens| lens["command"]["title"] == json!("▶ Run stage"))
        .unwrap();
    assert_eq!(run["command"]["command"], json!("retort.repro"));
    assert_eq!(
        run["command"]["arguments"][0]["targets"],
        json!(["prepare"])
    );

    client.open("params.yaml", PARAMS_NOW);
    let lenses = client
        .request(
            "textDocument/codeLens",
            json!({ "textDocument": { "uri": client.uri("params.yaml") } }),
        )
        .unwrap();
    let titles: Vec<&str> = lenses
        .as_array()
        .unwrap()
        .iter()
        .map(|lens| lens["command"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Run experiment", "Queue experiment"]);
}

fn code_actions(client: &mut LspClient, file: &str, at: Value) -> Vec<Value> {
    let uri = client.uri(file);
    client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": at, "context": { "diagnostics": [] } }),
        )
        .unwrap()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn titles(actions: &[Value]) -> Vec<String> {
    actions
        .iter()
        .map(|action| action["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_lens_is_also_a_code_action_on_its_stage() {
    let fixture = project();
    let mut client = started(&fixture);
    // Inside the body of `train`, far from its name.
    let actions = code_actions(&mut client, "dvc.yaml", range((16, 8), (16, 8)));
    let found = titles(&actions);
    assert!(
        found.contains(&"Run stage 'train'".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"Run an experiment up to stage 'train'".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"Show what changed for stage 'train'".to_string()),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|title| title.contains("'prepare'")),
        "{found:?}"
    );
    let run = actions
        .iter()
        .find(|action| action["title"] == json!("Run stage 'train'"))
        .unwrap();
    assert_eq!(run["command"]["command"], json!("retort.repro"));
}

#[test]
fn quick_fixes_replace_keys_add_params_and_create_files() {
    let pipeline = "stages:\n  train:\n    cmd: python train.py\n    outz: [model.pkl]\n    params:\n      - train.epochs\n      - eval.yaml:\n          - threshold\n";
    let fixture = Fixture::new(&[
        ("dvc.yaml", pipeline),
        ("params.yaml", "train:\n  lr: 0.1\n"),
    ]);
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    client.open("dvc.yaml", pipeline);
    client.diagnostics_for("dvc.yaml", |list| list.len() >= 3);

    let replace = code_actions(&mut client, "dvc.yaml", range((3, 4), (3, 4)));
    let fix = replace
        .iter()
        .find(|action| action["title"] == json!("Replace 'outz' with 'outs'"))
        .expect("replace fix");
    assert_eq!(fix["kind"], json!("quickfix"));
    let edit = &fix["edit"]["documentChanges"][0];
    assert_eq!(edit["edits"][0]["newText"], json!("outs"));
    assert_eq!(edit["edits"][0]["range"], range((3, 4), (3, 8)));

    let add = code_actions(&mut client, "dvc.yaml", range((5, 10), (5, 10)));
    let fix = add
        .iter()
        .find(|action| action["title"] == json!("Add 'train.epochs' to 'params.yaml'"))
        .unwrap_or_else(|| panic!("{:?}", titles(&add)));
    let edit = &fix["edit"]["documentChanges"][0];
    assert_eq!(
        edit["textDocument"]["uri"],
        json!(client.uri("params.yaml"))
    );
    assert_eq!(edit["edits"][0]["newText"], json!("  epochs: null\n"));
    assert_eq!(edit["edits"][0]["range"], range((2, 0), (2, 0)));

    let create = code_actions(&mut client, "dvc.yaml", range((6, 8), (6, 8)));
    let fix = create
        .iter()
        .find(|action| action["title"] == json!("Create 'eval.yaml'"))
        .unwrap_or_else(|| panic!("{:?}", titles(&create)));
    let changes = fix["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(changes[0]["kind"], json!("create"));
    assert_eq!(changes[0]["uri"], json!(client.uri("eval.yaml")));
    assert_eq!(
        changes[1]["edits"][0]["newText"],
        json!("threshold: null\n")
    );
}

fn completion_labels(
    client: &mut LspClient,
    file: &str,
    text_with_cursor: &str,
    version: i32,
) -> Vec<Value> {
    let (text, line, character) = cursor(text_with_cursor);
    client.replace_all(file, version, &text);
    let answer = client.at("textDocument/completion", file, line, character);
    answer.as_array().cloned().unwrap_or_default()
}

fn labels(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn completion_offers_keys_paths_params_variables_and_stages() {
    let fixture = project();
    let mut client = started(&fixture);

    let keys = completion_labels(
        &mut client,
        "dvc.yaml",
        "stages:\n  a:\n    cmd: echo\n    ou$0\n",
        2,
    );
    let found = labels(&keys);
    assert!(
        found.contains(&"outs".to_string()) && found.contains(&"deps".to_string()),
        "{found:?}"
    );
    assert!(
        !found.contains(&"cmd".to_string()),
        "cmd is already there: {found:?}"
    );
    let outs = keys
        .iter()
        .find(|item| item["label"] == json!("outs"))
        .unwrap();
    assert!(outs["documentation"]["value"]
        .as_str()
        .unwrap()
        .contains("Files and directories the stage writes"));

    let flags = completion_labels(
        &mut client,
        "dvc.yaml",
        "stages:\n  a:\n    cmd: echo\n    outs:\n      - m.pkl:\n          pe$0\n",
        3,
    );
    assert!(
        labels(&flags).contains(&"persist".to_string()),
        "{:?}",
        labels(&flags)
    );

    let paths = completion_labels(
        &mut client,
        "dvc.yaml",
        "stages:\n  a:\n    cmd: echo\n    deps:\n      - data/$0\n",
        4,
    );
    let found = labels(&paths);
    assert!(found.contains(&"raw.csv".to_string()), "{found:?}");

    let params = completion_labels(
        &mut client,
        "dvc.yaml",
        "stages:\n  a:\n    cmd: echo\n    params:\n      - tr$0\n",
        5,
    );
    let lr = params
        .iter()
        .find(|item| item["label"] == json!("train.lr"))
        .unwrap_or_else(|| panic!("{:?}", labels(&params)));
    assert!(lr["detail"].as_str().unwrap().starts_with("0.25"), "{lr}");

    let variables = completion_labels(
        &mut client,
        "dvc.yaml",
        "stages:\n  a:\n    cmd: python x.py ${train.$0\n",
        6,
    );
    assert_eq!(labels(&variables), ["lr"]);

    let stages = completion_labels(
        &mut client,
        "dvc.yaml",
        &format!("{PIPELINE}  again:\n    cmd: dvc repro $0\n"),
        7,
    );
    let found = labels(&stages);
    assert!(
        found.contains(&"prepare".to_string()) && found.contains(&"sweep@1".to_string()),
        "{found:?}"
    );
}

#[test]
fn definitions_and_references() {
    let fixture = project();
    let mut client = started(&fixture);
    let uri = client.uri("dvc.yaml");
    let params_uri = client.uri("params.yaml");

    let (line, character) = position_of(PIPELINE, "- train.lr", 4);
    let found = client.at("textDocument/definition", "dvc.yaml", line, character);
    assert_eq!(found[0]["uri"], json!(params_uri));
    assert_eq!(found[0]["range"], range((3, 2), (3, 4)));

    let (line, character) = position_of(PIPELINE, "${model.width}", 4);
    let found = client.at("textDocument/definition", "dvc.yaml", line, character);
    assert_eq!(found[0]["uri"], json!(uri));
    assert_eq!(found[0]["range"]["start"]["line"], json!(1));

    let (line, character) = position_of(
        PIPELINE,
        "      - data/clean.csv\n    params:\n      - train.lr",
        10,
    );
    let found = client.at("textDocument/definition", "dvc.yaml", line, character);
    assert_eq!(
        found[0]["range"],
        range((3, 2), (3, 9)),
        "the 'prepare' stage name"
    );

    let (line, character) = position_of(PIPELINE, "- train.lr", 4);
    let uri_value = json!(uri);
    let references = client
        .request(
            "textDocument/references",
            json!({
                "textDocument": { "uri": uri },
                "position": { "line": line, "character": character },
                "context": { "includeDeclaration": true },
            }),
        )
        .unwrap();
    let lines: Vec<u64> = references
        .as_array()
        .unwrap()
        .iter()
        .filter(|location| location["uri"] == uri_value)
        .map(|location| location["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        [17, 13],
        "the params entry and the ${{train.lr}} in cmd"
    );
}

#[test]
fn symbols_list_stages_with_generated_members() {
    let fixture = project();
    let mut client = started(&fixture);
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": client.uri("dvc.yaml") } }),
        )
        .unwrap();
    let symbols = symbols.as_array().unwrap();
    let names: Vec<&str> = symbols
        .iter()
        .map(|symbol| symbol["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["prepare", "train", "sweep"]);
    let members: Vec<&str> = symbols[2]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|symbol| symbol["name"].as_str().unwrap())
        .collect();
    assert_eq!(members, ["sweep@1", "sweep@2"]);
    assert_eq!(symbols[0]["detail"], json!("Split the data."));

    let found = client
        .request("workspace/symbol", json!({ "query": "SWE" }))
        .unwrap();
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|symbol| symbol["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sweep", "sweep@1", "sweep@2"]);
}

#[test]
fn inlay_hints_show_param_values_and_latest_metrics() {
    let fixture = project();
    let mut client = started(&fixture);
    let hints = client
        .request(
            "textDocument/inlayHint",
            json!({ "textDocument": { "uri": client.uri("dvc.yaml") }, "range": range((0, 0), (40, 0)) }),
        )
        .unwrap();
    let found: Vec<(u64, u64, String)> = hints
        .as_array()
        .unwrap()
        .iter()
        .map(|hint| {
            (
                hint["position"]["line"].as_u64().unwrap(),
                hint["position"]["character"].as_u64().unwrap(),
                hint["label"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (9, 20, " = 1".to_string()),
            (17, 16, " = 0.25".to_string()),
            (21, 20, "  acc=0.75 loss=1".to_string()),
        ]
    );
}
