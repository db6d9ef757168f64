//! DVC config reading compared with DVC's own libraries: configobj for the file
//! syntax, and `Repo.config` for the merged, validated settings.

mod dvc_oracle;

use std::fs;
use std::path::Path;
use std::process::Command;

use retort_engine::cache::LinkType;
use retort_engine::config::configobj::{parse, IniValue};
use retort_engine::config::{DvcConfig, ParsingBool};

/// Runs Python from DVC's environment and parses its stdout as JSON.
fn python_json(python: &Path, dir: &Path, script: &str, args: &[&str]) -> serde_json::Value {
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .current_dir(dir)
        .env("DVC_NO_ANALYTICS", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn to_json(value: &IniValue) -> serde_json::Value {
    match value {
        IniValue::Str(text) => serde_json::Value::String(text.clone()),
        IniValue::List(items) => serde_json::json!(items),
    }
}

#[test]
fn configobj_syntax_matches_python() {
    let Some(dvc) = dvc_oracle::find("configobj_syntax_matches_python") else {
        return;
    };
    let python = dvc.python().expect("python of the dvc environment");
    let text = concat!(
        "# leading comment\n",
        "[core]\n",
        "    remote = storage\n",
        "    autostage = True   # inline comment\n",
        "[ cache ]\n",
        "type = reflink,copy\n",
        "quoted = \"reflink, copy\"\n",
        "single_quoted = 'it has # inside'\n",
        "trailing_comma = one,\n",
        "empty_list = ,\n",
        "empty =\n",
        "hash_glued = value#comment\n",
        "spaced list = a , b ,c\n",
        "\"quoted key\" = 1\n",
        "multi = '''first\n",
        "second'''\n",
        "one_line_triple = \"\"\"x = y\"\"\"  # c\n",
        "['remote \"storage\"']\n",
        "    url = s3://bucket/path\n",
        "[\"machine \\\"m\\\"\"]\n",
        "    cloud = aws\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config");
    fs::write(&file, text).unwrap();

    let script = "import json, sys\nfrom configobj import ConfigObj\n\
                  print(json.dumps(ConfigObj(open(sys.argv[1], encoding='utf-8')).dict()))";
    let theirs = python_json(&python, dir.path(), script, &[file.to_str().unwrap()]);

    let ours = parse(text).unwrap();
    let mut ours_json = serde_json::Map::new();
    for (section, content) in &ours.sections {
        let mut entries = serde_json::Map::new();
        for (key, entry) in &content.entries {
            entries.insert(key.clone(), to_json(&entry.value));
        }
        ours_json.insert(section.clone(), serde_json::Value::Object(entries));
    }
    // DVC lowercases names after configobj parses them; so does Retort's parser.
    let theirs_lowered = lowercase_keys(&theirs);
    assert_eq!(serde_json::Value::Object(ours_json), theirs_lowered);
}

fn lowercase_keys(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .map(|(key, value)| (key.to_lowercase(), lowercase_keys(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn merged_settings_match_dvc_repo_config() {
    let Some(dvc) = dvc_oracle::find("merged_settings_match_dvc_repo_config") else {
        return;
    };
    let python = dvc.python().expect("python of the dvc environment");
    let repo = tempfile::tempdir().unwrap();
    dvc.init_repo(repo.path());
    fs::write(
        repo.path().join(".dvc/config"),
        "[core]\n    autostage = true\n    remote = Storage\n[cache]\n    type = \"hardlink, symlink\"\n    dir = ../shared-cache\n['remote \"storage\"']\n    url = /tmp/store\n[exp]\n    git_remote = upstream\n    auto_push = TRUE\n",
    )
    .unwrap();
    fs::write(
        repo.path().join(".dvc/config.local"),
        "[core]\n    autostage = false\n[parsing]\n    bool = Boolean_Optional\n    list = append\n",
    )
    .unwrap();

    let script =
        "import json\nfrom dvc.repo import Repo\nprint(json.dumps(Repo('.').config, default=str))";
    let theirs = python_json(&python, repo.path(), script, &[]);
    let ours = DvcConfig::load(&repo.path().join(".dvc")).unwrap();

    assert_eq!(theirs["core"]["autostage"], ours.autostage);
    assert_eq!(theirs["core"]["remote"], ours.remote.clone().unwrap());
    assert_eq!(theirs["exp"]["git_remote"], ours.exp_git_remote);
    assert_eq!(theirs["exp"]["auto_push"], ours.exp_auto_push);
    assert_eq!(theirs["parsing"]["bool"], "boolean_optional");
    assert_eq!(ours.parsing_bool, ParsingBool::BooleanOptional);
    assert_eq!(theirs["parsing"]["list"], "append");
    let their_types: Vec<LinkType> = theirs["cache"]["type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| LinkType::from_name(name.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(ours.cache_types, their_types);
    let their_dir = Path::new(theirs["cache"]["dir"].as_str().unwrap());
    let our_dir = std::path::absolute(ours.cache_dir.clone().unwrap()).unwrap();
    assert_eq!(normalize(&our_dir), normalize(their_dir));
    assert_eq!(
        theirs["remote"]["storage"]["url"],
        match &ours.get("remote \"storage\"", "url").unwrap().value {
            IniValue::Str(url) => url.clone(),
            IniValue::List(_) => panic!("url parsed as a list"),
        }
    );
}

/// Removes `..` and `.` components without touching the file system.
fn normalize(path: &Path) -> std::path::PathBuf {
    let mut normalized = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                normalized.pop();
            }
            std::path::Component::CurDir => {}
            other => normalized.push(other),
        }
    }
    normalized
}
