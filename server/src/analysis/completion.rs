//! Completion in pipelines: stage keys and output flags with their docs, file
//! paths for deps and outs, params keys with their values, `${` variables and
//! stage names. The place is read from the text by indentation, because the
//! file is usually half-typed and does not parse while the user completes.

use retort_engine::node::Value;
use retort_engine::paths;
use retort_engine::pipeline::context::CtxValue;
use retort_engine::pipeline::schema::{fields_at, Field};
use retort_engine::pipeline::{DefinitionKind, PipelineFile};
use retort_engine::text::Span;

use super::values::{scalar_entries, short_value, truncate};
use super::World;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Field,
    File,
    Folder,
    Variable,
    Param,
    Stage,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    pub documentation: Option<String>,
    /// Text to insert instead of the label.
    pub insert: Option<String>,
    /// The text the completion replaces: the partial word before the cursor.
    pub replace: Span,
}

/// How many directory entries or keys a list may have before it is cut, so a
/// huge data directory cannot make completion slow.
const MAX_ITEMS: usize = 500;

pub fn completions(world: &World, file: &str, offset: usize) -> Vec<Completion> {
    let Some(pipeline) = world.pipeline(file) else {
        return Vec::new();
    };
    let text = pipeline.text.clone();
    if offset > text.len() || !text.is_char_boundary(offset) {
        return Vec::new();
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
    let before = &text[line_start..offset];

    if let Some(prefix_start) = open_expression(before) {
        return variable_completions(pipeline, &before[prefix_start..], line_start + prefix_start);
    }

    let place = place_at(&text, offset);
    let word_start = offset - place.prefix.len();
    let replace = Span::new(word_start, offset);
    let path: Vec<&str> = place.path.iter().map(String::as_str).collect();

    if place.is_key {
        return key_completions(pipeline, &path, &place, replace);
    }
    let stage_wdir = || stage_dir(pipeline, &path);
    match (path.as_slice(), place.value_of.as_deref()) {
        ([.., "deps"], None) => {
            let mut items = file_completions(world, &stage_wdir(), &place.prefix, replace);
            items.extend(output_completions(
                world,
                &stage_wdir(),
                &place.prefix,
                replace,
            ));
            items
        }
        ([.., "outs" | "metrics" | "plots"], None) | (["vars"], None) => {
            file_completions(world, &stage_wdir(), &place.prefix, replace)
        }
        ([.., "params"], None) if path.first() == Some(&"stages") => {
            let dir = stage_wdir();
            let mut items = param_completions(world, &dir, "params.yaml", &place.prefix, replace);
            items.extend(
                file_completions(world, &dir, &place.prefix, replace)
                    .into_iter()
                    .filter(|item| {
                        item.kind == CompletionKind::Folder
                            || super::diagnostics::is_data_file(&item.label)
                    }),
            );
            items
        }
        ([.., "params", _, params_file], None) if path.first() == Some(&"stages") => {
            param_completions(world, &stage_wdir(), params_file, &place.prefix, replace)
        }
        (_, Some("wdir")) => file_completions(world, &pipeline.dir, &place.prefix, replace)
            .into_iter()
            .filter(|item| item.kind == CompletionKind::Folder)
            .collect(),
        (_, Some("cmd")) if expects_target(before) => stage_completions(world, replace),
        _ => Vec::new(),
    }
}

/// Where the cursor is in the YAML structure, read from indentation.
#[derive(Debug, Default)]
struct Place {
    /// Keys from the top of the document to the mapping or list the cursor is
    /// in; list items appear as their index `0` followed by their key when
    /// they are `- key:` mappings.
    path: Vec<String>,
    /// The cursor is where a mapping key is written.
    is_key: bool,
    /// The cursor is in the value of this key on the same line (`wdir: |`).
    value_of: Option<String>,
    /// The partial word before the cursor.
    prefix: String,
}

fn place_at(text: &str, offset: usize) -> Place {
    let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
    let before = &text[line_start..offset];
    let indent = before.len() - before.trim_start_matches(' ').len();
    let mut rest = &before[indent..];
    let mut column = indent;
    let mut list_item = false;
    while let Some(stripped) = rest.strip_prefix("- ") {
        list_item = true;
        let spaces = stripped.len() - stripped.trim_start_matches(' ').len();
        column += 2 + spaces;
        rest = &stripped[spaces..];
    }
    if rest == "-" {
        rest = "";
        list_item = true;
        column += 1;
    }
    let mut place = Place::default();
    let (value_of, value) = match rest.find(": ") {
        Some(colon) if !rest[..colon].contains(['"', '\'', '[', '{']) => {
            (Some(rest[..colon].trim().to_string()), &rest[colon + 2..])
        }
        _ => (None, rest),
    };
    let value = value.trim_start_matches(['[', ' ', '"', '\'']);
    place.prefix = value
        .rsplit([' ', ',', '[', '{', '"', '\''])
        .next()
        .unwrap_or("")
        .to_string();
    place.value_of = value_of.clone();
    place.is_key = value_of.is_none() && !list_item;

    // Walk up to the parents: each line with a smaller indentation holds the
    // key of the enclosing mapping.
    let mut parents: Vec<String> = Vec::new();
    let mut limit = column;
    if let Some(key) = &value_of {
        parents.push(key.clone());
        if list_item {
            parents.push("0".to_string());
        }
    } else if list_item {
        // A plain list item: the list's key is above.
    }
    let mut list_pending = list_item && value_of.is_none();
    for line in text[..line_start].lines().rev() {
        let trimmed = line.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let line_indent = line.len() - trimmed.len();
        let is_item = trimmed.starts_with("- ") || trimmed == "-";
        // A list's items may sit at the same indentation as its key.
        let holds = line_indent < limit || (list_pending && !is_item && line_indent <= limit);
        if !holds {
            continue;
        }
        let mut content = trimmed;
        let mut content_column = line_indent;
        while let Some(stripped) = content.strip_prefix("- ") {
            let spaces = stripped.len() - stripped.trim_start_matches(' ').len();
            content_column += 2 + spaces;
            content = &stripped[spaces..];
        }
        if content_column < limit {
            if let Some(key) = key_of(content) {
                parents.push(key);
                if is_item {
                    parents.push("0".to_string());
                }
                list_pending = false;
                limit = line_indent;
                if line_indent == 0 {
                    break;
                }
                continue;
            }
        }
        if is_item {
            // A sibling list item at a smaller indentation: keep looking for
            // the list's key.
            list_pending = true;
            limit = line_indent + 1;
            continue;
        }
        limit = line_indent;
        if line_indent == 0 {
            break;
        }
    }
    parents.reverse();
    place.path = parents;
    place
}

/// The key of a `key:` or `key: value` line.
fn key_of(content: &str) -> Option<String> {
    let content = content.split(" #").next().unwrap_or(content);
    let colon = if let Some(stripped) = content.strip_suffix(':') {
        stripped.len()
    } else {
        content.find(": ")?
    };
    let key = content[..colon].trim().trim_matches(['"', '\'']);
    (!key.is_empty()).then(|| key.to_string())
}

/// The offset just after an unclosed `${` on the line, if the cursor is in one.
fn open_expression(before: &str) -> Option<usize> {
    let open = before.rfind("${")?;
    if before[open..].contains('}') {
        return None;
    }
    Some(open + 2)
}

fn variable_completions(
    pipeline: &PipelineFile,
    typed: &str,
    typed_start: usize,
) -> Vec<Completion> {
    let (parent, partial) = match typed.rfind(['.', '[']) {
        Some(index) => (Some(&typed[..index]), &typed[index + 1..]),
        None => (None, typed),
    };
    let replace = Span::new(
        typed_start + typed.len() - partial.len(),
        typed_start + typed.len(),
    );
    let entries: Vec<(String, &retort_engine::pipeline::context::CtxNode)> = match parent {
        None => pipeline
            .context
            .top_level()
            .iter()
            .map(|(key, node)| (key.clone(), node))
            .collect(),
        Some(parent) => {
            let normalized = parent.replace('[', ".").replace(']', "");
            match pipeline
                .context
                .select(&normalized, None)
                .map(|node| &node.value)
            {
                Some(CtxValue::Map(map)) => {
                    map.iter().map(|(key, node)| (key.clone(), node)).collect()
                }
                Some(CtxValue::List(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(index, node)| (index.to_string(), node))
                    .collect(),
                _ => Vec::new(),
            }
        }
    };
    let mut items: Vec<Completion> = entries
        .into_iter()
        .take(MAX_ITEMS)
        .map(|(key, node)| {
            let detail = match &node.value {
                CtxValue::Scalar(value) => short_value(value),
                CtxValue::List(items) => format!("list of {}", items.len()),
                CtxValue::Map(map) => format!("dict of {} keys", map.len()),
            };
            let source = node
                .origin
                .as_ref()
                .map(|origin| format!("from `{}`", origin.source));
            Completion {
                label: key,
                kind: CompletionKind::Variable,
                detail: Some(detail),
                documentation: source,
                insert: None,
                replace,
            }
        })
        .collect();
    if parent.is_none() {
        for (name, doc) in [
            ("item", "The current item of a `foreach` or `matrix` stage."),
            ("key", "The current key of a `foreach` over a mapping."),
        ] {
            items.push(Completion {
                label: name.to_string(),
                kind: CompletionKind::Variable,
                detail: None,
                documentation: Some(doc.to_string()),
                insert: None,
                replace,
            });
        }
    }
    items
}

fn key_completions(
    pipeline: &PipelineFile,
    path: &[&str],
    place: &Place,
    replace: Span,
) -> Vec<Completion> {
    let schema_path = path;
    let is_foreach = match schema_path {
        ["stages", name] => pipeline
            .definitions
            .iter()
            .find(|definition| definition.name == *name)
            .map(|definition| definition.kind == DefinitionKind::Foreach)
            .unwrap_or_else(|| {
                sibling_keys(&pipeline.text, replace.start)
                    .iter()
                    .any(|key| key == "foreach" || key == "do")
            }),
        _ => false,
    };
    let Some(fields) = fields_at(schema_path, is_foreach) else {
        return Vec::new();
    };
    let present = sibling_keys(&pipeline.text, replace.start);
    let _ = place;
    fields
        .iter()
        .filter(|field| !present.iter().any(|key| key == field.name))
        .map(|field| field_completion(field, replace))
        .collect()
}

fn field_completion(field: &Field, replace: Span) -> Completion {
    Completion {
        label: field.name.to_string(),
        kind: CompletionKind::Field,
        detail: field.required.then(|| "required".to_string()),
        documentation: Some(field.doc.to_string()),
        insert: Some(format!("{}: ", field.name)),
        replace,
    }
}

/// The keys already written in the mapping around `offset`, so completion does
/// not offer them again.
fn sibling_keys(text: &str, offset: usize) -> Vec<String> {
    let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
    let indent =
        text[line_start..offset].len() - text[line_start..offset].trim_start_matches(' ').len();
    let mut keys = Vec::new();
    let mut scan = |lines: &mut dyn Iterator<Item = &str>| {
        for line in lines {
            let trimmed = line.trim_start_matches(' ');
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let line_indent = line.len() - trimmed.len();
            if line_indent < indent {
                break;
            }
            if line_indent == indent {
                if let Some(key) = key_of(trimmed) {
                    keys.push(key);
                }
            }
        }
    };
    scan(&mut text[..line_start].lines().rev());
    let line_end = text[offset..]
        .find('\n')
        .map_or(text.len(), |index| offset + index + 1);
    scan(&mut text[line_end.min(text.len())..].lines());
    keys
}

/// The project-relative directory paths of a stage are relative to: its wdir
/// when the stage has a literal one, else the pipeline's directory.
fn stage_dir(pipeline: &PipelineFile, path: &[&str]) -> String {
    if let ["stages", name, ..] = path {
        if let Some(stage) = pipeline
            .definitions
            .iter()
            .find(|definition| definition.name == *name)
            .and_then(|definition| definition.generated.first())
            .and_then(|generated| pipeline.stage(generated))
        {
            return stage.wdir.clone();
        }
    }
    pipeline.dir.clone()
}

/// Entries of the directory the typed path points into, relative to `base`.
fn file_completions(world: &World, base: &str, typed: &str, replace: Span) -> Vec<Completion> {
    let (typed_dir, partial) = match typed.rfind('/') {
        Some(index) => (&typed[..=index], &typed[index + 1..]),
        None => ("", typed),
    };
    let Some(dir) = paths::join_normalized(base, typed_dir) else {
        return Vec::new();
    };
    let absolute = world.root.root.join(&dir);
    let Ok(entries) = std::fs::read_dir(&absolute) else {
        return Vec::new();
    };
    let replace = Span::new(replace.end - partial.len(), replace.end);
    let mut items: Vec<Completion> = entries
        .flatten()
        .take(MAX_ITEMS)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().to_string();
            if name == ".git" || name == ".dvc" || !name.starts_with(partial) {
                return None;
            }
            let is_dir = entry.file_type().ok()?.is_dir();
            Some(Completion {
                label: name.clone(),
                kind: if is_dir {
                    CompletionKind::Folder
                } else {
                    CompletionKind::File
                },
                detail: None,
                documentation: None,
                insert: None,
                replace,
            })
        })
        .collect();
    items.sort_by(|a, b| a.label.cmp(&b.label));
    items
}

/// Outputs of stages, for dependencies that do not exist yet.
fn output_completions(world: &World, base: &str, typed: &str, replace: Span) -> Vec<Completion> {
    let mut items = Vec::new();
    for owner in world.dag.outputs() {
        let relative = relative_to(&owner.path, base);
        if !relative.starts_with(typed) {
            continue;
        }
        let stages = world.stages();
        items.push(Completion {
            label: relative,
            kind: CompletionKind::File,
            detail: Some(format!(
                "output of stage {}",
                stages[owner.stage].addressing()
            )),
            documentation: None,
            insert: None,
            replace,
        });
        if items.len() >= MAX_ITEMS {
            break;
        }
    }
    items
}

/// A project-relative path written relative to the directory `base`.
fn relative_to(path: &str, base: &str) -> String {
    if base.is_empty() {
        return path.to_string();
    }
    let mut ups = String::new();
    let mut dir = base;
    loop {
        if paths::is_within(path, dir) && !dir.is_empty() {
            return format!("{ups}{}", &path[dir.len() + 1..]);
        }
        if dir.is_empty() {
            return format!("{ups}{path}");
        }
        ups.push_str("../");
        dir = paths::parent(dir);
    }
}

fn param_completions(
    world: &World,
    dir: &str,
    file: &str,
    typed: &str,
    replace: Span,
) -> Vec<Completion> {
    let Some(path) = paths::join_normalized(dir, file) else {
        return Vec::new();
    };
    let Some(data) = world.data(&path) else {
        return Vec::new();
    };
    let Some(root) = data.root() else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let mut seen_groups: Vec<String> = Vec::new();
    for (key, node) in scalar_entries(root) {
        if !key.starts_with(typed) {
            continue;
        }
        // Offer each parent too: `train` tracks everything under it.
        if let Some((group, _)) = key.rsplit_once('.') {
            if group.starts_with(typed) && !seen_groups.iter().any(|known| known == group) {
                seen_groups.push(group.to_string());
                items.push(Completion {
                    label: group.to_string(),
                    kind: CompletionKind::Param,
                    detail: Some(format!("all keys under '{group}' in {path}")),
                    documentation: None,
                    insert: None,
                    replace,
                });
            }
        }
        let value = match &node.value {
            Value::Str(text) => truncate(text, 40),
            other => short_value(other),
        };
        items.push(Completion {
            label: key.clone(),
            kind: CompletionKind::Param,
            detail: Some(format!("{value}  ({path})")),
            documentation: None,
            insert: None,
            replace,
        });
        if items.len() >= MAX_ITEMS {
            break;
        }
    }
    items
}

/// Whether the command text before the cursor is a DVC or Retort command that
/// takes stage names, such as `dvc repro `.
fn expects_target(before: &str) -> bool {
    let words: Vec<&str> = before.split_whitespace().collect();
    let ends_with_space = before.ends_with(' ');
    let command_words: &[&str] = if ends_with_space {
        &words
    } else {
        &words[..words.len().saturating_sub(1)]
    };
    command_words.windows(2).any(|pair| {
        matches!(pair[0], "dvc" | "retort")
            && matches!(
                pair[1],
                "repro" | "status" | "freeze" | "unfreeze" | "commit" | "checkout"
            )
    }) || command_words.ends_with(&["exp", "run"])
}

fn stage_completions(world: &World, replace: Span) -> Vec<Completion> {
    world
        .project
        .stages()
        .take(MAX_ITEMS)
        .map(|stage| Completion {
            label: stage.addressing(),
            kind: CompletionKind::Stage,
            detail: stage.desc.clone(),
            documentation: Some(format!("`{}`", truncate(&stage.cmd.display(), 100))),
            insert: None,
            replace,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(text_with_cursor: &str) -> Place {
        let offset = text_with_cursor.find('$').unwrap();
        let text = text_with_cursor.replace('$', "");
        place_at(&text, offset)
    }

    #[test]
    fn stage_key_position_from_indentation() {
        let found = place("stages:\n  train:\n    cmd: x\n    ou$\n");
        assert_eq!(found.path, ["stages", "train"]);
        assert!(found.is_key);
        assert_eq!(found.prefix, "ou");
    }

    #[test]
    fn list_items_under_deps_and_output_flags() {
        let found = place("stages:\n  train:\n    deps:\n      - data/$\n");
        assert_eq!(found.path, ["stages", "train", "deps"]);
        assert!(!found.is_key);
        assert_eq!(found.prefix, "data/");

        let found = place("stages:\n  t:\n    outs:\n      - model.pkl:\n          ca$\n");
        assert_eq!(found.path, ["stages", "t", "outs", "0", "model.pkl"]);
        assert!(found.is_key);

        let found = place("stages:\n  t:\n    params:\n    - a\n    - $\n");
        assert_eq!(found.path, ["stages", "t", "params"]);

        let found = place("stages:\n  t:\n    params:\n      - custom.yaml:\n          - tr$\n");
        assert_eq!(found.path, ["stages", "t", "params", "0", "custom.yaml"]);
        assert_eq!(found.prefix, "tr");
    }

    #[test]
    fn value_position_names_its_key() {
        let found = place("stages:\n  t:\n    wdir: sr$\n");
        assert_eq!(found.value_of.as_deref(), Some("wdir"));
        assert_eq!(found.path, ["stages", "t", "wdir"]);
        assert_eq!(found.prefix, "sr");
    }

    #[test]
    fn stage_commands_expect_targets() {
        assert!(expects_target("    cmd: dvc repro "));
        assert!(expects_target("    cmd: dvc repro tr"));
        assert!(!expects_target("    cmd: python train.py "));
    }

    #[test]
    fn relative_paths_climb_out_of_wdir() {
        assert_eq!(relative_to("data/a.csv", ""), "data/a.csv");
        assert_eq!(relative_to("sub/a.csv", "sub"), "a.csv");
        assert_eq!(relative_to("data/a.csv", "sub"), "../data/a.csv");
    }

    #[test]
    fn open_expressions_are_found() {
        assert_eq!(open_expression("cmd: run ${tr"), Some(11));
        assert_eq!(open_expression("cmd: run ${a} x"), None);
    }

    #[test]
    fn data_file_names() {
        assert!(super::super::diagnostics::is_data_file("conf/params.json"));
        assert!(!super::super::diagnostics::is_data_file("dvc.lock"));
    }
}
