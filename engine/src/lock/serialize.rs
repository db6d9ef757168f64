//! Lock entries as the value tree DVC 3.67 dumps (`to_single_stage_lockfile` in
//! `dvc/stage/serialize.py`). A stage entry has `cmd`, then `deps` sorted by
//! path, then `params` with `params.yaml` first and the other files in
//! alphabetical order, then `outs` sorted by path. Params keys are sorted within
//! each file, and values are kept as they are. Empty sections are left out.
//! Each dependency or output lists `path`, `hash`, the hash value, `size`,
//! `nfiles` and `isexec: true`, in that order.

use indexmap::IndexMap;

use super::{Cmd, LockFile, LockOut, LockStage, SCHEMA_VERSION};
use crate::hash_info::HashAlgorithm;
use crate::node::{Entry, Node, Value};
use crate::yaml_emit;

/// The params file DVC lists first in `params:`.
const DEFAULT_PARAMS_FILE: &str = "params.yaml";

impl LockFile {
    /// Builds the whole file as DVC writes a new one: `schema: '2.0'`, then
    /// `stages`.
    pub fn to_value(&self) -> Value {
        let stages = self
            .stages
            .iter()
            .map(|(name, stage)| (name.clone(), stage.to_value()))
            .collect();
        map_value(vec![
            ("schema".to_string(), Value::Str(SCHEMA_VERSION.to_string())),
            ("stages".to_string(), map_value(stages)),
        ])
    }

    /// Serializes these stages as DVC writes them into a new lock file.
    pub fn to_yaml(&self) -> String {
        yaml_emit::dump(&self.to_value())
    }
}

impl LockStage {
    /// Builds the stage's entry as DVC serializes it, which is also the content
    /// of a run-cache entry.
    pub fn to_value(&self) -> Value {
        let mut entry = vec![("cmd".to_string(), self.cmd.to_value())];
        if !self.deps.is_empty() {
            entry.push(("deps".to_string(), entries_value(&self.deps)));
        }
        if !self.params.is_empty() {
            entry.push(("params".to_string(), params_value(&self.params)));
        }
        if !self.outs.is_empty() {
            entry.push(("outs".to_string(), entries_value(&self.outs)));
        }
        map_value(entry)
    }
}

impl Cmd {
    pub fn to_value(&self) -> Value {
        match self {
            Cmd::Single(command) => Value::Str(command.clone()),
            Cmd::List(commands) => Value::List(
                commands
                    .iter()
                    .map(|command| Node::synthetic(Value::Str(command.clone())))
                    .collect(),
            ),
        }
    }
}

impl LockOut {
    pub fn to_value(&self) -> Value {
        let mut fields = vec![("path".to_string(), Value::Str(self.path.clone()))];
        if let Some(hash) = &self.hash {
            // DVC 2 entries (`md5-dos2unix`) have no `hash:` key.
            match hash.algorithm {
                HashAlgorithm::Md5 => fields.push(("hash".into(), Value::Str("md5".into()))),
                HashAlgorithm::Blake3 => fields.push(("hash".into(), Value::Str("blake3".into()))),
                HashAlgorithm::Md5Dos2Unix => {}
            }
            let value_key = hash.algorithm.value_key().to_string();
            fields.push((value_key, Value::Str(hash.value.clone())));
            if let Some(size) = hash.size {
                fields.push(("size".into(), count_value(size)));
            }
            if let Some(nfiles) = hash.nfiles {
                fields.push(("nfiles".into(), count_value(nfiles)));
            }
            if hash.isexec {
                fields.push(("isexec".into(), Value::Bool(true)));
            }
        }
        for (key, value) in &self.extra {
            fields.push((key.clone(), without_spans(value)));
        }
        map_value(fields)
    }
}

fn count_value(count: u64) -> Value {
    // Sizes above i64::MAX bytes do not occur; saturate rather than wrap.
    Value::Int(i64::try_from(count).unwrap_or(i64::MAX))
}

fn entries_value(entries: &[LockOut]) -> Value {
    let mut sorted: Vec<&LockOut> = entries.iter().collect();
    // Python sorts str by code point, which is the byte order of UTF-8.
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    Value::List(
        sorted
            .into_iter()
            .map(|entry| Node::synthetic(entry.to_value()))
            .collect(),
    )
}

fn params_value(params: &IndexMap<String, IndexMap<String, Value>>) -> Value {
    let mut files: Vec<&String> = params.keys().collect();
    files.sort();
    if let Some(position) = files.iter().position(|file| *file == DEFAULT_PARAMS_FILE) {
        let default = files.remove(position);
        files.insert(0, default);
    }
    let entries = files
        .into_iter()
        .map(|file| {
            let values = &params[file];
            let mut keys: Vec<&String> = values.keys().collect();
            keys.sort();
            let sorted = keys
                .into_iter()
                .map(|key| (key.clone(), without_spans(&values[key])))
                .collect();
            (file.clone(), map_value(sorted))
        })
        .collect();
    map_value(entries)
}

/// Copies `value` without spans. Stage values are kept without spans, so that
/// two stages compare equal whatever file positions they were read from. It
/// also makes the emitter write their floats with `repr`, because it takes the
/// text of spanned floats from the source it is given.
pub(crate) fn without_spans(value: &Value) -> Value {
    match value {
        Value::List(items) => Value::List(
            items
                .iter()
                .map(|item| Node::synthetic(without_spans(&item.value)))
                .collect(),
        ),
        Value::Map(map) => map_value(
            map.iter()
                .map(|(key, entry)| (key.clone(), without_spans(&entry.value.value)))
                .collect(),
        ),
        scalar => scalar.clone(),
    }
}

/// Builds a mapping value from key-value pairs in order.
pub(crate) fn map_value(entries: Vec<(String, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(key, value)| {
                let entry = Entry {
                    key_span: Default::default(),
                    value: Node::synthetic(value),
                };
                (key, entry)
            })
            .collect(),
    )
}
