//! Reading `dvc.lock` with the checks DVC 3.67 applies (`LOCKFILE_SCHEMA` in
//! `dvc/schema.py`). Every problem becomes a diagnostic whose message starts with
//! DVC's own wording and path (`extra keys not allowed, in stages -> a -> wdir`),
//! and the problems come in the order DVC lists them: keys in file order, then
//! missing required keys.
//!
//! One deliberate extension: an entry may carry `hash: blake3` with a `blake3:`
//! value, the form Retort writes for BLAKE3-hashed projects. DVC rejects it.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::serialize::without_spans;
use super::{Cmd, LockFile, LockOut, LockStage, SCHEMA_VERSION};
use crate::diagnostic::{Diagnostic, Severity};
use crate::formats::yaml;
use crate::hash_info::{HashAlgorithm, HashInfo};
use crate::node::{Map, Node, Value};
use crate::pyfmt::python_str;
use crate::text::Span;

/// A lock file as read: the stages that passed the checks, the problems found,
/// and the parsed tree for in-place updates.
#[derive(Clone, Debug, Default)]
pub struct ParsedLock {
    /// Stages without problems. DVC refuses the whole file if any diagnostic is an
    /// error; the partial result is for editors.
    pub lock: LockFile,
    pub diagnostics: Vec<Diagnostic>,
    /// The YAML tree, `None` for an empty file or a syntax error.
    pub root: Option<Node>,
}

impl ParsedLock {
    /// Tells whether DVC would accept the file.
    pub fn is_valid(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|diagnostic| diagnostic.severity == Severity::Error)
    }
}

/// Diagnostic codes, one per kind of problem.
pub mod codes {
    pub const READ: &str = "lock-read";
    pub const SYNTAX: &str = "lock-syntax";
    pub const SCHEMA_VERSION: &str = "lock-schema-version";
    pub const MISSING_KEY: &str = "lock-missing-key";
    pub const UNKNOWN_KEY: &str = "lock-unknown-key";
    pub const INVALID_TYPE: &str = "lock-invalid-type";
    pub const INVALID_VALUE: &str = "lock-invalid-value";
    pub const CMD_ITEM_TYPE: &str = "lock-cmd-item-type";
}

/// Parses and checks the text of a lock file. `file` is the path diagnostics
/// name, relative to the project root.
pub fn parse(text: &str, file: impl Into<PathBuf>) -> ParsedLock {
    let file = file.into();
    let parsed = yaml::parse(text);
    if !parsed.errors.is_empty() {
        let diagnostics = parsed
            .errors
            .iter()
            .map(|error| {
                let message = format!("YAML syntax error: {}", error.message);
                Diagnostic::error(&file, error.span, codes::SYNTAX, message)
            })
            .collect();
        return ParsedLock {
            lock: LockFile::default(),
            diagnostics,
            root: None,
        };
    }

    let mut checker = Checker {
        file: &file,
        diagnostics: Vec::new(),
    };
    let lock = match &parsed.root {
        // DVC reads an empty file, or any document Python considers false
        // (`[]`, `0`, `''`, ...), as an empty mapping.
        Some(root) if !is_python_falsy(&root.value) => checker.root(root),
        _ => {
            checker.missing(Span::at(0), &[], "schema", SCHEMA_HINT);
            LockFile::default()
        }
    };
    ParsedLock {
        lock,
        diagnostics: checker.diagnostics,
        root: parsed.root,
    }
}

/// Parses and checks one stage entry on its own, the form of a run-cache entry
/// (`cmd`, `deps`, `params`, `outs` at the top level). Returns the stage when it
/// has no errors.
pub fn parse_stage_entry(
    text: &str,
    file: impl Into<PathBuf>,
) -> (Option<LockStage>, Vec<Diagnostic>) {
    let file = file.into();
    let parsed = yaml::parse(text);
    if !parsed.errors.is_empty() {
        let diagnostics = parsed
            .errors
            .iter()
            .map(|error| {
                let message = format!("YAML syntax error: {}", error.message);
                Diagnostic::error(&file, error.span, codes::SYNTAX, message)
            })
            .collect();
        return (None, diagnostics);
    }
    let mut checker = Checker {
        file: &file,
        diagnostics: Vec::new(),
    };
    // DVC's loader reads an empty file as an empty mapping.
    let root = parsed
        .root
        .unwrap_or_else(|| Node::synthetic(Value::Map(Map::new())));
    checker.stage(&[], &root);
    let has_errors = checker
        .diagnostics
        .iter()
        .any(|diagnostic| diagnostic.severity == Severity::Error);
    let stage = if has_errors {
        None
    } else {
        checker.build_stage(&root)
    };
    (stage, checker.diagnostics)
}

fn is_python_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => !flag,
        Value::Int(number) => *number == 0,
        Value::Float(number) => *number == 0.0,
        Value::Str(text) => text.is_empty(),
        Value::List(items) => items.is_empty(),
        Value::Map(map) => map.is_empty(),
    }
}

const SCHEMA_HINT: &str =
    "DVC 3 reads only lock files with `schema: '2.0'`; a lock file without it \
     was written by DVC 1, so delete it and run the pipeline again to write a new one";

struct Checker<'a> {
    file: &'a Path,
    diagnostics: Vec<Diagnostic>,
}

/// Joins a key path as DVC's messages write it: `stages -> train -> deps -> 0`.
fn render_path(path: &[&str]) -> String {
    path.join(" -> ")
}

impl Checker<'_> {
    fn report(&mut self, span: Span, code: &'static str, dvc_message: &str, path: &[&str]) {
        let mut message = dvc_message.to_string();
        if !path.is_empty() {
            message.push_str(", in ");
            message.push_str(&render_path(path));
        }
        self.diagnostics
            .push(Diagnostic::error(self.file, span, code, message));
    }

    fn report_with_hint(
        &mut self,
        span: Span,
        code: &'static str,
        dvc_message: &str,
        path: &[&str],
        hint: &str,
    ) {
        self.report(span, code, dvc_message, path);
        if let Some(last) = self.diagnostics.last_mut() {
            last.message.push_str(". ");
            last.message.push_str(hint);
        }
    }

    fn missing(&mut self, span: Span, parent: &[&str], key: &str, hint: &str) {
        let mut path = parent.to_vec();
        path.push(key);
        self.report_with_hint(
            span,
            codes::MISSING_KEY,
            "required key not provided",
            &path,
            hint,
        );
    }

    fn unknown(&mut self, key_span: Span, parent: &[&str], key: &str, allowed: &str) {
        let mut path = parent.to_vec();
        path.push(key);
        let hint = format!("Allowed keys here: {allowed}");
        self.report_with_hint(
            key_span,
            codes::UNKNOWN_KEY,
            "extra keys not allowed",
            &path,
            &hint,
        );
    }

    fn wrong_type(&mut self, node: &Node, path: &[&str], expected: &str) {
        self.report(node.span, codes::INVALID_TYPE, expected, path);
    }

    /// Checks the top level: `schema`, `datasets` and `stages`.
    fn root(&mut self, root: &Node) -> LockFile {
        let Some(map) = root.as_map() else {
            self.wrong_type(root, &[], "expected a dictionary");
            return LockFile::default();
        };
        let mut lock = LockFile::default();
        for (key, entry) in map {
            let value = &entry.value;
            match key.as_str() {
                "schema" => {
                    if value.as_str() != Some(SCHEMA_VERSION) {
                        self.report_with_hint(
                            value.span,
                            codes::SCHEMA_VERSION,
                            "invalid schema version",
                            &["schema"],
                            "DVC 3 reads only `schema: '2.0'` (a quoted string)",
                        );
                    }
                }
                // DVC accepts anything under `datasets`.
                "datasets" => {}
                "stages" => lock.stages = self.stages(value),
                _ => self.unknown(entry.key_span, &[], key, "schema, stages, datasets"),
            }
        }
        if !map.contains_key("schema") {
            self.missing(Span::at(root.span.start), &[], "schema", SCHEMA_HINT);
        }
        lock
    }

    fn stages(&mut self, node: &Node) -> IndexMap<String, LockStage> {
        let mut stages = IndexMap::new();
        let Some(map) = node.as_map() else {
            self.wrong_type(node, &["stages"], "expected a dictionary");
            return stages;
        };
        for (name, entry) in map {
            let before = self.diagnostics.len();
            self.stage(&["stages", name], &entry.value);
            if self.diagnostics.len() == before {
                if let Some(stage) = self.build_stage(&entry.value) {
                    stages.insert(name.clone(), stage);
                }
            }
        }
        stages
    }

    /// `LOCK_FILE_STAGE_SCHEMA`: `cmd` (required), `deps`, `params`, `outs`.
    /// `path` locates the entry in the file, empty for a run-cache entry.
    fn stage(&mut self, path: &[&str], node: &Node) {
        let Some(map) = node.as_map() else {
            self.wrong_type(node, path, "expected a dictionary");
            return;
        };
        for (key, entry) in map {
            let value = &entry.value;
            let mut key_path = path.to_vec();
            key_path.push(key);
            match key.as_str() {
                "cmd" => {
                    if !matches!(value.value, Value::Str(_) | Value::List(_)) {
                        self.wrong_type(value, &key_path, "expected str");
                    }
                }
                "deps" | "outs" => self.data_list(value, &key_path),
                "params" => self.params(value, &key_path),
                _ => self.unknown(entry.key_span, path, key, "cmd, deps, params, outs"),
            }
        }
        if !map.contains_key("cmd") {
            let span = Span::at(node.span.start);
            self.missing(
                span,
                path,
                "cmd",
                "every stage entry needs the command it ran",
            );
        }
    }

    /// `{str: {str: object}}`: params values per file.
    fn params(&mut self, node: &Node, path: &[&str]) {
        let Some(files) = node.as_map() else {
            self.wrong_type(node, path, "expected a dictionary");
            return;
        };
        for (file, entry) in files {
            if entry.value.as_map().is_none() {
                let mut file_path = path.to_vec();
                file_path.push(file);
                self.wrong_type(&entry.value, &file_path, "expected a dictionary");
            }
        }
    }

    fn data_list(&mut self, node: &Node, path: &[&str]) {
        let Some(items) = node.as_list() else {
            self.wrong_type(node, path, "expected a list");
            return;
        };
        for (index, item) in items.iter().enumerate() {
            let index = index.to_string();
            let mut item_path = path.to_vec();
            item_path.push(&index);
            self.data_entry(item, &item_path, EntryKind::Data);
        }
    }

    /// `DATA_SCHEMA` for deps and outs, or `DIR_FILES_SCHEMA` for the items of
    /// `files:` in a directory entry.
    fn data_entry(&mut self, node: &Node, path: &[&str], kind: EntryKind) {
        let Some(map) = node.as_map() else {
            self.wrong_type(node, path, "expected a dictionary");
            return;
        };
        for (key, entry) in map {
            let value = &entry.value;
            let mut key_path = path.to_vec();
            key_path.push(key);
            if self.meta_or_checksum(key, value, &key_path) {
                continue;
            }
            match (key.as_str(), kind) {
                ("path", EntryKind::Data) | ("relpath", EntryKind::DirFile) => {
                    self.expect_str(value, &key_path)
                }
                ("hash", EntryKind::Data) => self.expect_str(value, &key_path),
                ("blake3", EntryKind::Data) => self.checksum(value, &key_path),
                ("cloud", _) => self.cloud(value, &key_path),
                ("files", EntryKind::Data) => match value.as_list() {
                    Some(items) => {
                        for (index, item) in items.iter().enumerate() {
                            let index = index.to_string();
                            let mut item_path = key_path.clone();
                            item_path.push(&index);
                            self.data_entry(item, &item_path, EntryKind::DirFile);
                        }
                    }
                    None => self.wrong_type(value, &key_path, "expected a list"),
                },
                ("dataset", EntryKind::Data) => {
                    if value.as_map().is_none() {
                        self.wrong_type(value, &key_path, "expected dict");
                    }
                }
                _ => {
                    let allowed = match kind {
                        EntryKind::Data => DATA_KEYS,
                        EntryKind::DirFile => DIR_FILE_KEYS,
                    };
                    self.unknown(entry.key_span, path, key, allowed);
                }
            }
        }
        let required = match kind {
            EntryKind::Data => "path",
            EntryKind::DirFile => "relpath",
        };
        if !map.contains_key(required) {
            self.missing(Span::at(node.span.start), path, required, "add it");
        }
    }

    /// Checks the keys `META_SCHEMA` and `CHECKSUMS_SCHEMA` share between deps,
    /// directory files and cloud entries. Returns whether `key` is one of them.
    fn meta_or_checksum(&mut self, key: &str, value: &Node, path: &[&str]) -> bool {
        match key {
            "md5" | "checksum" | "etag" => self.checksum(value, path),
            // Python's bool is an int, so `size: true` passes DVC's check.
            "size" | "nfiles" => {
                if !matches!(value.value, Value::Int(_) | Value::Bool(_)) {
                    self.wrong_type(value, path, "expected int");
                }
            }
            "isexec" => {
                if value.as_bool().is_none() {
                    self.wrong_type(value, path, "expected bool");
                }
            }
            "version_id" => self.expect_str(value, path),
            _ => return false,
        }
        true
    }

    /// `CHECKSUM_SCHEMA`: null, an empty string, or a string or int of at least
    /// three characters.
    fn checksum(&mut self, value: &Node, path: &[&str]) {
        let valid = match &value.value {
            Value::Null => true,
            Value::Str(text) => text.is_empty() || text.chars().count() >= 3,
            scalar @ (Value::Int(_) | Value::Bool(_)) => python_str(scalar).len() >= 3,
            _ => false,
        };
        if !valid {
            self.report(value.span, codes::INVALID_VALUE, "not a valid value", path);
        }
    }

    /// `CLOUD_SCHEMA`: at most one remote name, mapped to meta and checksum keys.
    fn cloud(&mut self, node: &Node, path: &[&str]) {
        let Some(remotes) = node.as_map() else {
            self.wrong_type(node, path, "expected a dictionary");
            return;
        };
        let before = self.diagnostics.len();
        for (remote, entry) in remotes {
            let mut remote_path = path.to_vec();
            remote_path.push(remote);
            let Some(fields) = entry.value.as_map() else {
                self.wrong_type(&entry.value, &remote_path, "expected a dictionary");
                continue;
            };
            for (key, field) in fields {
                let mut key_path = remote_path.clone();
                key_path.push(key);
                if !self.meta_or_checksum(key, &field.value, &key_path) {
                    self.unknown(field.key_span, &remote_path, key, CLOUD_KEYS);
                }
            }
        }
        if self.diagnostics.len() == before && remotes.len() > 1 {
            self.report(
                node.span,
                codes::INVALID_VALUE,
                "length of value must be at most 1",
                path,
            );
        }
    }

    fn expect_str(&mut self, value: &Node, path: &[&str]) {
        if value.as_str().is_none() {
            self.wrong_type(value, path, "expected str");
        }
    }

    /// Builds the typed stage from an entry that passed the checks.
    fn build_stage(&mut self, node: &Node) -> Option<LockStage> {
        let cmd = self.build_cmd(node.get("cmd")?);
        let deps = build_entries(node.get("deps"));
        let outs = build_entries(node.get("outs"));
        let mut params = IndexMap::new();
        if let Some(files) = node.get("params").and_then(Node::as_map) {
            for (file, entry) in files {
                let values: IndexMap<String, Value> = entry
                    .value
                    .as_map()
                    .map(|keys| {
                        keys.iter()
                            .map(|(key, value)| (key.clone(), without_spans(&value.value.value)))
                            .collect()
                    })
                    .unwrap_or_default();
                params.insert(file.clone(), values);
            }
        }
        Some(LockStage {
            cmd,
            deps,
            params,
            outs,
        })
    }

    fn build_cmd(&mut self, node: &Node) -> Cmd {
        let Some(items) = node.as_list() else {
            return Cmd::Single(node.as_str().unwrap_or_default().to_string());
        };
        let commands = items
            .iter()
            .map(|item| match item.as_str() {
                Some(command) => command.to_string(),
                None => {
                    // DVC loads such a lock file but fails when it runs the command.
                    self.diagnostics.push(Diagnostic::warning(
                        self.file,
                        item.span,
                        codes::CMD_ITEM_TYPE,
                        "a command in a cmd list is not a string; DVC cannot run it, so quote it",
                    ));
                    python_str(&item.value)
                }
            })
            .collect();
        Cmd::List(commands)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryKind {
    /// A dependency or output.
    Data,
    /// An item of a directory entry's `files:` list.
    DirFile,
}

const DATA_KEYS: &str =
    "path, hash, md5, etag, checksum, size, nfiles, isexec, version_id, cloud, files, dataset";
const DIR_FILE_KEYS: &str = "relpath, md5, etag, checksum, size, nfiles, isexec, version_id, cloud";
const CLOUD_KEYS: &str = "md5, etag, checksum, size, nfiles, isexec, version_id";

fn build_entries(node: Option<&Node>) -> Vec<LockOut> {
    node.and_then(Node::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(|item| item.as_map().and_then(build_entry))
        .collect()
}

/// Splits an entry into its content hash and the remaining keys. Entries whose
/// hash fields are missing or unusual keep every key raw, so that writing them
/// back changes nothing.
fn build_entry(map: &Map) -> Option<LockOut> {
    let path = map.get("path")?.value.as_str()?.to_string();
    let raw_extra = || -> IndexMap<String, Value> {
        map.iter()
            .filter(|(key, _)| key.as_str() != "path")
            .map(|(key, entry)| (key.clone(), without_spans(&entry.value.value)))
            .collect()
    };
    let Some(hash) = hash_from_entry(map) else {
        return Some(LockOut {
            path,
            hash: None,
            extra: raw_extra(),
        });
    };
    let hash_keys = [
        "hash",
        hash.algorithm.value_key(),
        "size",
        "nfiles",
        "isexec",
    ];
    let extra = map
        .iter()
        .filter(|(key, _)| key.as_str() != "path" && !hash_keys.contains(&key.as_str()))
        .map(|(key, entry)| (key.clone(), without_spans(&entry.value.value)))
        .collect();
    Some(LockOut {
        path,
        hash: Some(hash),
        extra,
    })
}

fn hash_from_entry(map: &Map) -> Option<HashInfo> {
    let algorithm = match map.get("hash").map(|entry| &entry.value.value) {
        None => HashAlgorithm::Md5Dos2Unix,
        Some(Value::Str(name)) if name == "md5" => HashAlgorithm::Md5,
        Some(Value::Str(name)) if name == "blake3" => HashAlgorithm::Blake3,
        Some(_) => return None,
    };
    let value = map.get(algorithm.value_key())?.value.as_str()?;
    if value.is_empty() {
        return None;
    }
    let count = |key: &str| -> Result<Option<u64>, ()> {
        match map.get(key).map(|entry| &entry.value.value) {
            None => Ok(None),
            Some(Value::Int(number)) => u64::try_from(*number).map(Some).map_err(|_| ()),
            Some(_) => Err(()),
        }
    };
    let isexec = match map.get("isexec").map(|entry| &entry.value.value) {
        None => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return None,
    };
    Some(HashInfo {
        algorithm,
        value: value.to_string(),
        size: count("size").ok()?,
        nfiles: count("nfiles").ok()?,
        isexec,
    })
}

impl HashAlgorithm {
    /// Returns the entry key that contains the hash value: `md5` for both MD5
    /// variants.
    pub(crate) fn value_key(self) -> &'static str {
        match self {
            HashAlgorithm::Md5 | HashAlgorithm::Md5Dos2Unix => "md5",
            HashAlgorithm::Blake3 => "blake3",
        }
    }
}
