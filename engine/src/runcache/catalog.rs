//! The run-cache as a list of past runs: every entry file read back, matched to
//! the stage that made it, with its params, dependency hashes and the metric
//! values stored in the cache, and compared with the workspace. DVC keeps these
//! records but offers no way to look at them; `retort run-cache` does.
//!
//! Entry files do not name their stage. A stage owns an entry when the entry
//! lists the same dependency and output paths, which stay the same when params
//! or the command change.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::store::{read_entry, RUNS_DIR};
use super::{run_cache_key, run_cache_value, RunCacheError};
use crate::files::{DiskFiles, ParsedFiles};
use crate::formats::{self, Format};
use crate::hash_info::HashInfo;
use crate::lock::{self, LockStage};
use crate::node::{flatten, Node, Value};
use crate::pipeline::Stage;
use crate::project::Project;
use crate::repro::state::{self, StateError};
use crate::repro::Workspace;

/// The shortest id printed for an entry: enough hex digits of its value hash to
/// be read and typed, more when two entries share the prefix.
const MIN_ID_LEN: usize = 8;

/// One recorded run.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// A short unique prefix of `value`.
    pub id: String,
    pub key: String,
    pub value: String,
    pub file: PathBuf,
    /// When the entry was written (the file's modification time).
    pub recorded: SystemTime,
    /// The addressing of the stage that owns the entry, if one does.
    pub stage: Option<String>,
    pub entry: LockStage,
    /// Params values: params file, flattened key, value.
    pub params: Vec<(String, String, Value)>,
    /// Metric values read from the cached metrics outputs: file (as the entry
    /// names it), flattened key, value. Only scalars are kept.
    pub metrics: Vec<(String, String, Value)>,
    /// Every object the entry's outputs name is in the cache.
    pub objects_present: bool,
    /// The stage's command, dependencies and params are the same now, so
    /// `repro` would restore this entry.
    pub inputs_match: bool,
    /// The outputs in the workspace are the ones this run produced, too.
    pub workspace_matches: bool,
}

/// Every run-cache entry of a project.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Records grouped by stage in project order, newest first within a stage.
    /// Entries that no stage owns come last.
    pub records: Vec<RunRecord>,
    /// Entry files that could not be read, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    RunCache(#[from] RunCacheError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("no run-cache entry matches '{0}'; run `retort run-cache list` to see the ids")]
    NotFound(String),
    #[error("'{id}' matches several run-cache entries ({}); give more digits", .matches.join(", "))]
    Ambiguous { id: String, matches: Vec<String> },
    #[error("'{0}' is too short for an entry id; give at least 4 hex digits of the value hash, or STAGE~N")]
    TooShort(String),
}

/// Reads every entry under `<cache>/runs`. With `only`, entries owned by other
/// stages (and by no stage) are left out.
pub fn load_catalog(
    workspace: &Workspace,
    project: &Project,
    only: Option<&[usize]>,
) -> Result<Catalog, CatalogError> {
    let stages: Vec<&Stage> = project.stages().collect();
    let signatures: Vec<Signature> = stages.iter().map(|stage| signature(stage)).collect();
    let disk = DiskFiles::new(workspace.root.root.clone());
    let files = ParsedFiles::new(&disk);

    let mut catalog = Catalog::default();
    let mut found: Vec<(Option<usize>, RunRecord)> = Vec::new();
    let mut current: Vec<Option<Option<(String, String)>>> = vec![None; stages.len()];
    for (file, recorded) in entry_files(&workspace.cache_dir)? {
        let entry = match read_entry(&file) {
            Ok(entry) => entry,
            Err(error) => {
                catalog.unreadable.push((file, error.to_string()));
                continue;
            }
        };
        let owner = signatures
            .iter()
            .position(|candidate| *candidate == entry_signature(&entry));
        if let Some(only) = only {
            if !owner.is_some_and(|index| only.contains(&index)) {
                continue;
            }
        }
        let (inputs_match, workspace_matches) = match owner {
            Some(index) => {
                // The current key and value of the stage, computed once.
                let now = match &current[index] {
                    Some(now) => now.clone(),
                    None => {
                        let now = stage_now(workspace, &files, stages[index])?;
                        current[index] = Some(now.clone());
                        now
                    }
                };
                match now {
                    Some((key, value)) => (
                        key == run_cache_key(&entry),
                        value == run_cache_value(&entry),
                    ),
                    None => (false, false),
                }
            }
            None => (false, false),
        };
        let stage = owner.map(|index| stages[index]);
        let record = RunRecord {
            id: String::new(),
            key: run_cache_key(&entry),
            value: file_name(&file),
            file: file.clone(),
            recorded,
            stage: stage.map(Stage::addressing),
            params: flatten_params(&entry),
            metrics: stage
                .map(|stage| cached_metrics(workspace, stage, &entry))
                .unwrap_or_default(),
            objects_present: objects_present(workspace, &entry),
            inputs_match,
            workspace_matches,
            entry,
        };
        found.push((owner, record));
    }
    found.sort_by(|(a_owner, a), (b_owner, b)| {
        let rank = |owner: &Option<usize>| owner.unwrap_or(usize::MAX);
        rank(a_owner)
            .cmp(&rank(b_owner))
            .then_with(|| b.recorded.cmp(&a.recorded))
            .then_with(|| a.value.cmp(&b.value))
    });
    catalog.records = found.into_iter().map(|(_, record)| record).collect();
    assign_ids(&mut catalog.records);
    Ok(catalog)
}

impl Catalog {
    /// Finds one entry by id: a prefix of its value hash (at least 4 digits), or
    /// `STAGE~N`, the Nth newest run of a stage counting from 0.
    pub fn resolve(&self, id: &str) -> Result<&RunRecord, CatalogError> {
        if let Some((stage, nth)) = id.rsplit_once('~') {
            if let Ok(nth) = nth.parse::<usize>() {
                return self
                    .records
                    .iter()
                    .filter(|record| record.stage.as_deref() == Some(stage))
                    .nth(nth)
                    .ok_or_else(|| CatalogError::NotFound(id.to_string()));
            }
        }
        let prefix = id.to_ascii_lowercase();
        if prefix.len() < 4 {
            return Err(CatalogError::TooShort(id.to_string()));
        }
        let matches: Vec<&RunRecord> = self
            .records
            .iter()
            .filter(|record| record.value.starts_with(&prefix))
            .collect();
        match matches.as_slice() {
            [] => Err(CatalogError::NotFound(id.to_string())),
            [only] => Ok(only),
            many => Err(CatalogError::Ambiguous {
                id: id.to_string(),
                matches: many.iter().map(|record| record.id.clone()).collect(),
            }),
        }
    }
}

/// The paths that tie entries to a stage: dependencies (params files included)
/// and outputs, as written relative to the stage's working directory.
#[derive(Debug, PartialEq)]
struct Signature {
    deps: BTreeSet<String>,
    outs: BTreeSet<String>,
}

fn signature(stage: &Stage) -> Signature {
    Signature {
        deps: stage
            .deps
            .iter()
            .map(|dep| dep.path.clone())
            .filter(|path| !path.contains("://"))
            .chain(stage.params.iter().map(|params| params.file.clone()))
            .collect(),
        outs: stage.all_outs().map(|out| out.path.clone()).collect(),
    }
}

fn entry_signature(entry: &LockStage) -> Signature {
    Signature {
        deps: entry
            .deps
            .iter()
            .map(|dep| dep.path.clone())
            .chain(entry.params.keys().cloned())
            .collect(),
        outs: entry.outs.iter().map(|out| out.path.clone()).collect(),
    }
}

/// Lists `<cache>/runs/*/*/*` with modification times. Temporary files (names
/// starting with a dot) are skipped.
fn entry_files(cache_dir: &Path) -> Result<Vec<(PathBuf, SystemTime)>, RunCacheError> {
    let mut files = Vec::new();
    let runs = cache_dir.join(RUNS_DIR);
    for prefix in read_dir_sorted(&runs)? {
        for key in read_dir_sorted(&prefix)? {
            for file in read_dir_sorted(&key)? {
                if file_name(&file).starts_with('.') {
                    continue;
                }
                let metadata = std::fs::metadata(&file).map_err(|source| RunCacheError::Read {
                    path: file.clone(),
                    source,
                })?;
                if metadata.is_file() {
                    let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                    files.push((file, modified));
                }
            }
        }
    }
    Ok(files)
}

/// Lists the entries of a directory, sorted. A missing directory or a file has none.
pub(crate) fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, RunCacheError> {
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(error)
            if matches!(
                error.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(Vec::new())
        }
        Err(source) => {
            return Err(RunCacheError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut paths: Vec<PathBuf> = listing
        .filter_map(|item| item.ok().map(|item| item.path()))
        .collect();
    paths.sort();
    Ok(paths)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Computes the stage's run-cache key and value as if it ran now on the
/// workspace, or `None` when a dependency is missing.
fn stage_now(
    workspace: &Workspace,
    files: &ParsedFiles<'_>,
    stage: &Stage,
) -> Result<Option<(String, String)>, CatalogError> {
    let recorded = recorded_entry(workspace, stage);
    let current = state::read_state(workspace, files, stage, recorded.as_ref())?;
    if current.deps.iter().any(|dep| dep.hash.is_none()) {
        return Ok(None);
    }
    let entry = current.to_lock_stage(stage);
    let value = if current.outs.iter().all(|out| out.hash.is_some()) {
        run_cache_value(&entry)
    } else {
        String::new()
    };
    Ok(Some((run_cache_key(&entry), value)))
}

/// Reads the stage's entry in its `dvc.lock`, which decides the hash algorithm
/// of paths it already records.
pub(crate) fn recorded_entry(workspace: &Workspace, stage: &Stage) -> Option<LockStage> {
    let path = lock_path(stage);
    let text = std::fs::read_to_string(workspace.path(&path)).ok()?;
    lock::parse(&text, &path)
        .lock
        .stages
        .get(&stage.name)
        .cloned()
}

/// Returns the project-relative `dvc.lock` beside the stage's `dvc.yaml`.
pub(crate) fn lock_path(stage: &Stage) -> String {
    match stage.dvcfile.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{}", lock::LOCK_FILE_NAME),
        None => lock::LOCK_FILE_NAME.to_string(),
    }
}

fn flatten_params(entry: &LockStage) -> Vec<(String, String, Value)> {
    let mut params = Vec::new();
    for (file, values) in &entry.params {
        for (key, value) in values {
            let node = Node::synthetic(value.clone());
            for (inner, leaf) in flatten(&node) {
                let name = if inner.is_empty() {
                    key.clone()
                } else {
                    format!("{key}.{inner}")
                };
                params.push((file.clone(), name, leaf.value.clone()));
            }
        }
    }
    params
}

/// Reads the metrics outputs of the entry from the cache. Directories and
/// objects that are gone or do not parse are skipped.
fn cached_metrics(
    workspace: &Workspace,
    stage: &Stage,
    entry: &LockStage,
) -> Vec<(String, String, Value)> {
    let mut metrics = Vec::new();
    for metric in &stage.metrics {
        let Some(hash) = entry
            .outs
            .iter()
            .find(|out| out.path == metric.path)
            .and_then(|out| out.hash.as_ref())
            .filter(|hash| !hash.is_dir())
        else {
            continue;
        };
        let Some(root) = read_cached_tree(workspace, hash, &metric.path) else {
            continue;
        };
        for (key, node) in flatten(&root) {
            if node.value.is_scalar() && !node.is_null() && !key.is_empty() {
                metrics.push((metric.path.clone(), key, node.value.clone()));
            }
        }
    }
    metrics
}

fn read_cached_tree(workspace: &Workspace, hash: &HashInfo, path: &str) -> Option<Node> {
    let object = workspace.cache.object_path(hash).ok()?;
    let text = std::fs::read_to_string(object).ok()?;
    let parsed = formats::parse(Format::from_path(Path::new(path)), &text);
    if !parsed.is_ok() {
        return None;
    }
    parsed.root
}

fn objects_present(workspace: &Workspace, entry: &LockStage) -> bool {
    entry.outs.iter().all(|out| {
        out.hash
            .as_ref()
            .is_some_and(|hash| workspace.cache.contains(hash))
    })
}

/// Gives each record the shortest prefix of its value, at least
/// [`MIN_ID_LEN`] digits, that no other record shares.
fn assign_ids(records: &mut [RunRecord]) {
    let mut values: Vec<String> = records.iter().map(|record| record.value.clone()).collect();
    values.sort();
    values.dedup();
    let common = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    for record in records.iter_mut() {
        let position = values.binary_search(&record.value).unwrap_or(0);
        let mut shared = 0;
        if position > 0 {
            shared = shared.max(common(&values[position - 1], &record.value));
        }
        if let Some(next) = values.get(position + 1) {
            shared = shared.max(common(next, &record.value));
        }
        let length = (shared + 1).max(MIN_ID_LEN).min(record.value.len());
        record.id = record.value[..length].to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: &str) -> RunRecord {
        RunRecord {
            id: String::new(),
            key: String::new(),
            value: value.to_string(),
            file: PathBuf::new(),
            recorded: SystemTime::UNIX_EPOCH,
            stage: Some("train".to_string()),
            entry: LockStage {
                cmd: lock::Cmd::Single("true".to_string()),
                deps: Vec::new(),
                params: Default::default(),
                outs: Vec::new(),
            },
            params: Vec::new(),
            metrics: Vec::new(),
            objects_present: true,
            inputs_match: false,
            workspace_matches: false,
        }
    }

    #[test]
    fn ids_grow_until_unique() {
        let mut records = vec![
            record("abcdef0123456789aa"),
            record("abcdef0123456789bb"),
            record("0123456789abcdef00"),
        ];
        assign_ids(&mut records);
        assert_eq!(records[0].id, "abcdef0123456789a");
        assert_eq!(records[1].id, "abcdef0123456789b");
        assert_eq!(records[2].id, "01234567");
    }

    #[test]
    fn resolve_by_prefix_and_by_stage_position() {
        let mut records = vec![record("abcd1111"), record("abcd2222"), record("ffff0000")];
        assign_ids(&mut records);
        let catalog = Catalog {
            records,
            unreadable: Vec::new(),
        };
        assert_eq!(catalog.resolve("ffff").unwrap().value, "ffff0000");
        assert_eq!(catalog.resolve("train~1").unwrap().value, "abcd2222");
        assert!(matches!(
            catalog.resolve("abcd"),
            Err(CatalogError::Ambiguous { .. })
        ));
        assert!(matches!(
            catalog.resolve("ab"),
            Err(CatalogError::TooShort(_))
        ));
        assert!(matches!(
            catalog.resolve("train~9"),
            Err(CatalogError::NotFound(_))
        ));
    }
}
