//! Updating an existing `dvc.lock` the way DVC's `Lockfile.dump_stages` does:
//! DVC loads the file with ruamel's round-trip loader, replaces the entry of
//! each written stage in place (new stages go to the end of `stages`), and dumps
//! the whole document again.
//!
//! For a file whose layout ruamel normalizes (see `layout`), dumping the
//! updated tree gives DVC's bytes exactly, including the floats of untouched
//! stages, which ruamel rewrites from their source text. A file with features
//! ruamel keeps (comments, flow collections, block scalars, anchors, integers
//! such as `0x1f`) is changed by splicing instead: the written stage's lines
//! are replaced and the rest is kept byte for byte.

use std::path::Path;

use super::layout;
use super::serialize::map_value;
use super::{parse, LockError, LockStage, SCHEMA_VERSION};
use crate::node::{Map, Node, Value};
use crate::yaml_emit;

/// The new text of a lock file and what changed, which decides DVC's messages
/// `Generating lock file 'dvc.lock'` and `Updating lock file 'dvc.lock'`.
#[derive(Clone, Debug, PartialEq)]
pub struct LockUpdate {
    pub text: String,
    /// The file did not exist or was empty.
    pub created: bool,
    /// At least one stage entry differs from what the file had (a new stage
    /// counts). DVC writes the file even when this is false.
    pub changed: bool,
}

/// The effect of removing a stage's entry on the file.
#[derive(Clone, Debug, PartialEq)]
pub enum RemoveOutcome {
    /// The file has no entry for the stage; leave it alone.
    NotPresent,
    /// Write this text.
    Rewritten(String),
    /// The removed stage was the last one, so DVC deletes the file.
    DeleteFile,
}

/// Writes the entries of `stages` into the lock file text `existing` (`None` when
/// the file does not exist). `file` names the file in errors.
pub fn update_stages(
    existing: Option<&str>,
    file: &Path,
    stages: &[(&str, &LockStage)],
) -> Result<LockUpdate, LockError> {
    let root = match existing {
        None => None,
        Some(text) => {
            let parsed = parse(text, file);
            if !parsed.is_valid() {
                return Err(LockError::Invalid {
                    file: file.to_path_buf(),
                    diagnostics: parsed.diagnostics,
                });
            }
            parsed.root
        }
    };
    let is_empty = root
        .as_ref()
        .is_none_or(|root| root.as_map().is_some_and(Map::is_empty));

    let changed = stages.iter().any(|(name, stage)| {
        let old = root
            .as_ref()
            .and_then(|root| root.get("stages"))
            .and_then(|entries| entries.get(name));
        old.is_none_or(|old| !python_equal(&old.value, &stage.to_value()))
    });

    let text = match (existing, root) {
        (Some(text), Some(root)) if !is_empty => {
            if in_dvc_layout(&root, text) {
                dump_with_stages(root, text, stages)
            } else {
                splice_stages(text, file, stages)?
            }
        }
        _ => {
            let fresh = Node::synthetic(map_value(vec![(
                "schema".to_string(),
                Value::Str(SCHEMA_VERSION.to_string()),
            )]));
            dump_with_stages(fresh, "", stages)
        }
    };
    Ok(LockUpdate {
        text,
        created: is_empty,
        changed,
    })
}

/// Writes the entries of `stages` into the lock file at `path`, creating it if
/// needed, as DVC does after running stages. The file is replaced atomically.
pub fn save_stages(path: &Path, stages: &[(&str, &LockStage)]) -> Result<LockUpdate, LockError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(LockError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let update = update_stages(existing.as_deref(), path, stages)?;
    write_atomic(path, &update.text)?;
    Ok(update)
}

/// Replaces `path` with `text` through a temporary file in the same directory.
/// An existing file keeps its permissions; a new one gets mode 644, what DVC's
/// `open(path, "w")` gives under the usual umask.
fn write_atomic(path: &Path, text: &str) -> Result<(), LockError> {
    use std::io::Write;

    let write_error = |source| LockError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let permissions = std::fs::metadata(path).ok().map(|meta| meta.permissions());
    let mut temp = tempfile::Builder::new()
        .prefix(".dvc.lock.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(write_error)?;
    temp.write_all(text.as_bytes()).map_err(write_error)?;
    temp.as_file().sync_all().map_err(write_error)?;
    if let Some(permissions) = permissions.or_else(default_permissions) {
        temp.as_file()
            .set_permissions(permissions)
            .map_err(write_error)?;
    }
    temp.persist(path)
        .map_err(|error| write_error(error.error))?;
    Ok(())
}

#[cfg(unix)]
fn default_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

/// Elsewhere a temporary file already has the permissions of a new file.
#[cfg(not(unix))]
fn default_permissions() -> Option<std::fs::Permissions> {
    None
}

/// Removes a stage's entry, as `dvc remove` and `dvc stage` edits do.
pub fn remove_stage(existing: &str, file: &Path, name: &str) -> Result<RemoveOutcome, LockError> {
    let parsed = parse(existing, file);
    if !parsed.is_valid() {
        return Err(LockError::Invalid {
            file: file.to_path_buf(),
            diagnostics: parsed.diagnostics,
        });
    }
    let Some(mut root) = parsed.root else {
        return Ok(RemoveOutcome::NotPresent);
    };
    let Some(stages) = root.get("stages").and_then(Node::as_map) else {
        return Ok(RemoveOutcome::NotPresent);
    };
    let Some(entry) = stages.get(name) else {
        return Ok(RemoveOutcome::NotPresent);
    };
    if stages.len() == 1 {
        return Ok(RemoveOutcome::DeleteFile);
    }

    if !in_dvc_layout(&root, existing) {
        let (start, end) = entry_lines(existing, entry.key_span.start, entry.value.span.end)
            .ok_or_else(|| unsupported_layout(file))?;
        let mut text = existing.to_string();
        text.replace_range(start..end, "");
        return Ok(RemoveOutcome::Rewritten(text));
    }
    if let Value::Map(root_map) = &mut root.value {
        if let Some(Value::Map(stages)) = root_map.get_mut("stages").map(|e| &mut e.value.value) {
            stages.shift_remove(name);
        }
    }
    let text = yaml_emit::dump_from_source(&root, existing);
    Ok(RemoveOutcome::Rewritten(text))
}

/// Tells whether dumping the loaded tree with ruamel's round-trip float rules
/// reproduces what DVC writes for `text`.
fn in_dvc_layout(root: &Node, text: &str) -> bool {
    layout::is_normalizable(root, text)
}

/// Sets each stage's entry in the tree read from `source` (in place, or
/// appended) and dumps it.
fn dump_with_stages(mut root: Node, source: &str, stages: &[(&str, &LockStage)]) -> String {
    if let Value::Map(root_map) = &mut root.value {
        let entry = root_map
            .entry("stages".to_string())
            .or_insert_with(|| crate::node::Entry {
                key_span: Default::default(),
                value: Node::synthetic(Value::Map(Map::new())),
            });
        if !matches!(entry.value.value, Value::Map(_)) {
            entry.value.value = Value::Map(Map::new());
        }
        if let Value::Map(entries) = &mut entry.value.value {
            for (name, stage) in stages {
                let value = Node::synthetic(stage.to_value());
                match entries.get_mut(*name) {
                    Some(existing) => existing.value = value,
                    None => {
                        entries.insert(
                            name.to_string(),
                            crate::node::Entry {
                                key_span: Default::default(),
                                value,
                            },
                        );
                    }
                }
            }
        }
    }
    yaml_emit::dump_from_source(&root, source)
}

/// Replaces or appends stage entries in text that is not in DVC's own layout,
/// keeping the rest of the text unchanged.
fn splice_stages(
    text: &str,
    file: &Path,
    stages: &[(&str, &LockStage)],
) -> Result<String, LockError> {
    let mut text = text.to_string();
    for (name, stage) in stages {
        let parsed = parse(&text, file);
        let root = parsed.root.ok_or_else(|| unsupported_layout(file))?;
        if text[root.span.start..].starts_with('{') {
            return Err(unsupported_layout(file));
        }
        let fragment_value = map_value(vec![(name.to_string(), stage.to_value())]);

        let Some(stages_entry) = root.as_map().and_then(|map| map.get("stages")) else {
            // No `stages` key yet: add it at the end, at the root's indentation.
            ensure_trailing_newline(&mut text);
            text.push_str("stages:\n");
            text.push_str(&yaml_emit::dump_at_indent(&fragment_value, 2));
            continue;
        };
        let value = &stages_entry.value;
        let entries = match value.as_map() {
            Some(entries) if entries.is_empty() => {
                // `stages: {}` becomes a block mapping once it has entries.
                let end = next_line_start(&text, value.span.end);
                let fragment = yaml_emit::dump_at_indent(&fragment_value, 2);
                text.replace_range(stages_entry.key_span.end..end, &format!(":\n{fragment}"));
                continue;
            }
            Some(entries) if !text[value.span.start..].starts_with('{') => entries,
            // NOTE: ruamel keeps a non-empty flow mapping in flow style, which
            // this splice does not write.
            _ => return Err(unsupported_layout(file)),
        };

        match entries.get(*name) {
            Some(entry) => {
                let (start, end) = entry_lines(&text, entry.key_span.start, entry.value.span.end)
                    .ok_or_else(|| unsupported_layout(file))?;
                let column = entry.key_span.start - start;
                let mut replacement = yaml_emit::dump_at_indent(&fragment_value, column);
                if end == text.len() && !text.ends_with('\n') {
                    replacement.pop();
                }
                text.replace_range(start..end, &replacement);
            }
            None => {
                let (_, last_entry) = entries
                    .iter()
                    .last()
                    .ok_or_else(|| unsupported_layout(file))?;
                let (start, end) =
                    entry_lines(&text, last_entry.key_span.start, last_entry.value.span.end)
                        .ok_or_else(|| unsupported_layout(file))?;
                let column = last_entry.key_span.start - start;
                let fragment = yaml_emit::dump_at_indent(&fragment_value, column);
                if end == text.len() {
                    ensure_trailing_newline(&mut text);
                    text.push_str(&fragment);
                } else {
                    text.insert_str(end, &fragment);
                }
            }
        }
    }
    Ok(text)
}

/// Finds the byte range of the whole lines a mapping entry occupies: from the
/// start of its key's line to after the line break ending its value, plus the
/// comment and blank lines right after it. ruamel attaches those lines to the
/// entry's last value, so they go when DVC replaces or removes the entry.
/// Returns `None` when the key does not start its line, as in flow style.
fn entry_lines(text: &str, key_start: usize, value_end: usize) -> Option<(usize, usize)> {
    let start = text[..key_start].rfind('\n').map_or(0, |index| index + 1);
    if !text[start..key_start].bytes().all(|byte| byte == b' ') {
        return None;
    }
    let mut end = next_line_start(text, value_end);
    while end < text.len() {
        let line_end = next_line_start(text, end);
        let line = text[end..line_end].trim_start_matches(' ');
        if !(line.starts_with('#') || line.trim().is_empty()) {
            break;
        }
        end = line_end;
    }
    Some((start, end))
}

fn next_line_start(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |index| offset + index + 1)
}

fn ensure_trailing_newline(text: &mut String) {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
}

fn unsupported_layout(file: &Path) -> LockError {
    LockError::UnsupportedLayout {
        file: file.to_path_buf(),
    }
}

/// Python's `==` on the loaded data, which DVC uses to decide whether a stage
/// changed: `1 == 1.0 == True`, and mappings compare without regard to order.
fn python_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(a), Value::List(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(left, right)| python_equal(&left.value, &right.value))
        }
        (Value::Map(a), Value::Map(b)) => {
            a.len() == b.len()
                && a.iter().all(|(key, entry)| {
                    b.get(key)
                        .is_some_and(|other| python_equal(&entry.value.value, &other.value.value))
                })
        }
        (a, b) => match (a.as_f64(), b.as_f64()) {
            (Some(left), Some(right)) => left == right,
            _ => a == b,
        },
    }
}
