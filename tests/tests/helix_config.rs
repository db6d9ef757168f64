//! The Helix configuration (`editors/helix`). Helix cannot be installed here
//! because it is not packaged for Debian bookworm and no reachable registry
//! ships it. So these tests parse `languages.toml` and check its keys against
//! the schema Helix documents for `[language-server.*]` and `[[language]]`.
//! They check that each language's queries inherit from its grammar, and the
//! server side of what the README promises Helix users: code actions and
//! advertised commands in place of code lenses.

use std::collections::BTreeSet;
use std::path::PathBuf;

use retort_tests::lsp::{range, ClientOptions, Fixture, LspClient};
use retort_tests::repo_root;
use serde_json::json;
use toml_edit::{DocumentMut, Item, Table};

fn helix_dir() -> PathBuf {
    repo_root().join("editors/helix")
}

fn languages() -> DocumentMut {
    let path = helix_dir().join("languages.toml");
    let text = std::fs::read_to_string(&path).expect("read languages.toml");
    text.parse()
        .unwrap_or_else(|error| panic!("{} is not valid TOML: {error}", path.display()))
}

/// Keys Helix documents for a `[language-server.<name>]` table.
const SERVER_KEYS: &[&str] = &[
    "command",
    "args",
    "config",
    "environment",
    "timeout",
    "required-root-patterns",
];

/// Keys Helix documents for a `[[language]]` table.
const LANGUAGE_KEYS: &[&str] = &[
    "name",
    "language-id",
    "scope",
    "injection-regex",
    "file-types",
    "shebangs",
    "roots",
    "auto-format",
    "comment-tokens",
    "block-comment-tokens",
    "indent",
    "grammar",
    "language-servers",
    "formatter",
    "soft-wrap",
    "text-width",
    "workspace-lsp-roots",
    "persistent-diagnostic-sources",
    "path-completion",
    "word-completion",
    "rulers",
    "auto-pairs",
    "debugger",
];

/// Servers that Helix's built-in languages.toml defines, which the file may
/// name without defining them.
const HELIX_BUILT_IN_SERVERS: &[&str] = &["vscode-json-language-server", "taplo"];

fn strings(item: &Item) -> Vec<String> {
    item.as_array()
        .map(|array| {
            array
                .iter()
                .filter_map(|value| value.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn language_tables(document: &DocumentMut) -> Vec<&Table> {
    document["language"]
        .as_array_of_tables()
        .expect("[[language]] tables")
        .iter()
        .collect()
}

#[test]
fn servers_use_documented_keys_and_start_retort_lsp() {
    let document = languages();
    let servers = document["language-server"]
        .as_table()
        .expect("a [language-server] table");
    for (name, server) in servers.iter() {
        let server = server.as_table().expect("a server table");
        for (key, _) in server.iter() {
            assert!(
                SERVER_KEYS.contains(&key),
                "[language-server.{name}] has '{key}', which Helix does not document"
            );
        }
        assert!(server["command"].as_str().is_some(), "{name} has a command");
    }
    // The command and arguments that the language server tests start too.
    assert_eq!(servers["retort"]["command"].as_str(), Some("retort"));
    assert_eq!(strings(&servers["retort"]["args"]), ["lsp"]);
}

#[test]
fn languages_cover_dvc_files_with_retort_first() {
    let document = languages();
    let defined: BTreeSet<String> = document["language-server"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    let mut globs = BTreeSet::new();
    for language in language_tables(&document) {
        let name = language["name"].as_str().expect("a language name");
        for (key, _) in language.iter() {
            assert!(
                LANGUAGE_KEYS.contains(&key),
                "language '{name}' has '{key}', which Helix does not document"
            );
        }
        for key in ["scope", "grammar"] {
            assert!(language[key].as_str().is_some(), "'{name}' sets {key}");
        }
        let servers = strings(&language["language-servers"]);
        assert_eq!(
            servers.first().map(String::as_str),
            Some("retort"),
            "{name}"
        );
        for server in &servers {
            assert!(
                defined.contains(server) || HELIX_BUILT_IN_SERVERS.contains(&server.as_str()),
                "'{name}' names the server '{server}', which is defined nowhere"
            );
        }
        for file_type in language["file-types"]
            .as_array()
            .expect("file-types")
            .iter()
        {
            // Either an extension string or an inline table with one glob.
            if let Some(table) = file_type.as_inline_table() {
                let keys: Vec<&str> = table.iter().map(|(key, _)| key).collect();
                assert_eq!(keys, ["glob"], "'{name}' file type {file_type}");
                globs.insert(table["glob"].as_str().unwrap().to_string());
            } else {
                assert!(
                    file_type.as_str().is_some(),
                    "'{name}' file type {file_type}"
                );
            }
        }
    }
    for wanted in [
        "dvc.yaml",
        "dvc.lock",
        "params.yaml",
        "params.json",
        "params.toml",
    ] {
        assert!(
            globs.contains(wanted),
            "no language claims {wanted}: {globs:?}"
        );
    }
    // YAML keeps its own server, after Retort.
    let dvc = language_tables(&document)
        .into_iter()
        .find(|language| language["name"].as_str() == Some("dvc"))
        .expect("a 'dvc' language");
    assert_eq!(dvc["grammar"].as_str(), Some("yaml"));
    assert_eq!(
        strings(&dvc["language-servers"]),
        ["retort", "yaml-language-server"]
    );
}

#[test]
fn queries_inherit_from_grammar() {
    let document = languages();
    for language in language_tables(&document) {
        let name = language["name"].as_str().unwrap();
        let grammar = language["grammar"].as_str().unwrap();
        let path = helix_dir()
            .join("runtime/queries")
            .join(name)
            .join("highlights.scm");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(
            text.trim(),
            format!("; inherits: {grammar}"),
            "{}",
            path.display()
        );
    }
}

/// Helix shows no code lenses; the README sends its users to code actions and
/// `:lsp-workspace-command`, which list what the server offers here.
#[test]
fn server_offers_lens_actions_as_code_actions() {
    let pipeline = "stages:\n  train:\n    cmd: python3 train.py\n";
    let fixture = Fixture::new(&[("dvc.yaml", pipeline), ("params.yaml", "lr: 0.1\n")]);
    let mut client = LspClient::start(fixture.path(), ClientOptions::default());
    let commands =
        strings_of(&client.initialize_result["capabilities"]["executeCommandProvider"]["commands"]);
    for wanted in [
        "retort.exp.run",
        "retort.exp.queue",
        "retort.exp.show",
        "retort.exp.diff",
    ] {
        assert!(
            commands.iter().any(|command| command == wanted),
            "{commands:?}"
        );
    }
    client.open("dvc.yaml", pipeline);
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": client.uri("dvc.yaml") },
                "range": range((1, 3), (1, 3)),
                "context": { "diagnostics": [] },
            }),
        )
        .expect("codeAction answers");
    let offered: Vec<String> = actions
        .as_array()
        .expect("a list of actions")
        .iter()
        .filter_map(|action| action["command"]["command"].as_str().map(str::to_string))
        .collect();
    assert!(
        offered.iter().any(|command| command == "retort.exp.run"),
        "{actions}"
    );
    client.shutdown();
}

fn strings_of(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|array| {
            array
                .iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
