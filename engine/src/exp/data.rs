//! The data `exp show` reports for one revision (DVC's `SerializableExp`):
//! params, metrics, the recorded hashes of deps and outs, and the commit time.
//! It is computed from the files of the revision (the workspace or a commit
//! tree) and the `dvc.lock` files next to each `dvc.yaml`.

use std::path::{Path, PathBuf};

use crate::files::{DiskFiles, FileKind, FileSource};
use crate::formats::{self, Format};
use crate::git::TreeFiles;
use crate::metrics;
use crate::params::show as params_show;
use crate::paths;
use crate::pipeline::interpolate::ParsingConfig;
use crate::project::{self, Project, ProjectRoot};

use super::json::Json;
use super::lock_view::{LockView, LockedPath};
use super::time;

/// A file of params or metrics: its values, or why it could not be read.
#[derive(Clone, Debug, PartialEq)]
pub enum FileResult {
    Data(Json),
    Error(FileError),
}

/// An error in DVC's JSON form (`{"type": ..., "msg": ...}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub kind: String,
    pub msg: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpDep {
    pub hash: Option<String>,
    pub size: Option<i64>,
    pub nfiles: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpOut {
    pub hash: Option<String>,
    pub size: Option<i64>,
    pub nfiles: Option<i64>,
    pub use_cache: bool,
    pub is_data_source: bool,
}

/// The data `exp show` reports for one revision.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpData {
    /// The commit sha, or `workspace`.
    pub rev: String,
    /// Commit time in seconds since the epoch; `None` for the workspace.
    pub timestamp: Option<i64>,
    pub params: Vec<(String, FileResult)>,
    pub metrics: Vec<(String, FileResult)>,
    pub deps: Vec<(String, ExpDep)>,
    pub outs: Vec<(String, ExpOut)>,
}

impl ExpData {
    /// Reports whether a params or metrics file failed to load. Such results
    /// are not cached, as in DVC.
    pub fn contains_error(&self) -> bool {
        self.params
            .iter()
            .chain(&self.metrics)
            .any(|(_, result)| matches!(result, FileResult::Error(_)))
    }

    /// DVC's `SerializableExp.dumpd()` in JSON form.
    pub fn to_json(&self) -> Json {
        let files = |results: &[(String, FileResult)]| {
            Json::Object(
                results
                    .iter()
                    .map(|(path, result)| {
                        let value = match result {
                            FileResult::Data(data) => Json::object().with("data", data.clone()),
                            FileResult::Error(error) => Json::object().with(
                                "error",
                                Json::object()
                                    .with("type", Json::str(&error.kind))
                                    .with("msg", Json::str(&error.msg)),
                            ),
                        };
                        (path.clone(), value)
                    })
                    .collect(),
            )
        };
        let number = |value: Option<i64>| value.map_or(Json::Null, Json::Int);
        Json::object()
            .with("rev", Json::str(&self.rev))
            .with(
                "timestamp",
                self.timestamp
                    .map_or(Json::Null, |t| Json::Str(time::iso(t))),
            )
            .with("params", files(&self.params))
            .with("metrics", files(&self.metrics))
            .with(
                "deps",
                Json::Object(
                    self.deps
                        .iter()
                        .map(|(path, dep)| {
                            (
                                path.clone(),
                                Json::object()
                                    .with("hash", Json::opt_str(dep.hash.clone()))
                                    .with("size", number(dep.size))
                                    .with("nfiles", number(dep.nfiles)),
                            )
                        })
                        .collect(),
                ),
            )
            .with(
                "outs",
                Json::Object(
                    self.outs
                        .iter()
                        .map(|(path, out)| {
                            (
                                path.clone(),
                                Json::object()
                                    .with("hash", Json::opt_str(out.hash.clone()))
                                    .with("size", number(out.size))
                                    .with("nfiles", number(out.nfiles))
                                    .with("use_cache", Json::Bool(out.use_cache))
                                    .with("is_data_source", Json::Bool(out.is_data_source)),
                            )
                        })
                        .collect(),
                ),
            )
            .with("meta", Json::object())
    }

    /// Reads the form [`ExpData::to_json`] writes (with the timestamp kept as
    /// seconds by the cache).
    pub fn from_cache_json(json: &Json) -> Option<ExpData> {
        let files = |key: &str| -> Option<Vec<(String, FileResult)>> {
            json.get(key)?
                .as_object()?
                .iter()
                .map(|(path, value)| {
                    let result = if let Some(data) = value.get("data") {
                        FileResult::Data(data.clone())
                    } else {
                        let error = value.get("error")?;
                        FileResult::Error(FileError {
                            kind: error.get("type")?.as_str()?.to_string(),
                            msg: error.get("msg")?.as_str()?.to_string(),
                        })
                    };
                    Some((path.clone(), result))
                })
                .collect()
        };
        let text =
            |value: &Json, key: &str| value.get(key).and_then(Json::as_str).map(str::to_string);
        let number = |value: &Json, key: &str| value.get(key).and_then(Json::as_i64);
        let flag = |value: &Json, key: &str| matches!(value.get(key), Some(Json::Bool(true)));
        Some(ExpData {
            rev: json.get("rev")?.as_str()?.to_string(),
            timestamp: json.get("timestamp").and_then(Json::as_i64),
            params: files("params")?,
            metrics: files("metrics")?,
            deps: json
                .get("deps")?
                .as_object()?
                .iter()
                .map(|(path, dep)| {
                    (
                        path.clone(),
                        ExpDep {
                            hash: text(dep, "hash"),
                            size: number(dep, "size"),
                            nfiles: number(dep, "nfiles"),
                        },
                    )
                })
                .collect(),
            outs: json
                .get("outs")?
                .as_object()?
                .iter()
                .map(|(path, out)| {
                    (
                        path.clone(),
                        ExpOut {
                            hash: text(out, "hash"),
                            size: number(out, "size"),
                            nfiles: number(out, "nfiles"),
                            use_cache: flag(out, "use_cache"),
                            is_data_source: flag(out, "is_data_source"),
                        },
                    )
                })
                .collect(),
        })
    }
}

/// The files of one revision, with the listing that `FileSource` lacks.
pub enum RevisionFiles {
    Workspace(DiskFiles),
    Commit(TreeFiles),
}

impl RevisionFiles {
    pub fn source(&self) -> &dyn FileSource {
        match self {
            RevisionFiles::Workspace(files) => files,
            RevisionFiles::Commit(files) => files,
        }
    }

    /// Lists every file under a project-relative directory.
    pub fn list_files(&self, dir: &str) -> Vec<String> {
        match self {
            RevisionFiles::Workspace(files) => {
                let mut found = Vec::new();
                list_disk(files.root(), dir, &mut found);
                found.sort();
                found
            }
            RevisionFiles::Commit(files) => files.list_files(dir),
        }
    }

    /// Finds the `dvc.yaml` files (shallow first) and `.dvc` files of the revision.
    pub fn dvc_files(&self) -> (Vec<String>, Vec<String>) {
        match self {
            RevisionFiles::Workspace(files) => {
                let pipelines = project::find_pipeline_files(files.root());
                let mut dot_dvc = Vec::new();
                find_dot_dvc(files.root(), &mut dot_dvc);
                (pipelines, dot_dvc)
            }
            RevisionFiles::Commit(files) => {
                let mut pipelines = Vec::new();
                let mut dot_dvc = Vec::new();
                for path in files.list_files("") {
                    if path.starts_with(".dvc/") || path.starts_with(".git/") {
                        continue;
                    }
                    let name = paths::file_name(&path);
                    if name == "dvc.yaml" {
                        pipelines.push(path);
                    } else if name.ends_with(".dvc") && name != ".dvc" {
                        dot_dvc.push(path);
                    }
                }
                pipelines.sort_by(|a, b| {
                    a.matches('/')
                        .count()
                        .cmp(&b.matches('/').count())
                        .then_with(|| a.cmp(b))
                });
                (pipelines, dot_dvc)
            }
        }
    }
}

fn list_disk(root: &Path, dir: &str, found: &mut Vec<String>) {
    let absolute = if dir.is_empty() {
        root.to_path_buf()
    } else {
        root.join(dir)
    };
    let Ok(entries) = std::fs::read_dir(&absolute) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let relative = if dir.is_empty() {
            name
        } else {
            format!("{dir}/{name}")
        };
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => list_disk(root, &relative, found),
            Ok(_) => found.push(relative),
            Err(_) => {}
        }
    }
}

fn find_dot_dvc(root: &Path, found: &mut Vec<String>) {
    let mut walker = ignore::WalkBuilder::new(root);
    walker
        .standard_filters(false)
        .add_custom_ignore_filename(".dvcignore")
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| {
            let name = entry.file_name();
            name != ".git" && name != ".dvc"
        });
    for entry in walker.build().flatten() {
        let name = entry.file_name().to_string_lossy();
        if name.ends_with(".dvc") && entry.file_type().is_some_and(|kind| kind.is_file()) {
            if let Ok(relative) = entry.path().strip_prefix(root) {
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
}

/// DVC's object cache, from which outputs that are not in git are read.
pub struct ObjectCache {
    pub dir: PathBuf,
}

impl ObjectCache {
    /// Opens the cache a project uses: `cache.dir` from its DVC config, or
    /// `.dvc/cache`.
    pub fn for_project(root: &Path) -> ObjectCache {
        let dir = crate::config::ProjectConfig::load(&root.join(".dvc"))
            .map(|config| config.dvc.cache_dir_or_default(root))
            .unwrap_or_else(|_| root.join(".dvc").join("cache"));
        ObjectCache { dir }
    }

    fn object_path(&self, hash: &str) -> Option<PathBuf> {
        if hash.len() < 3 || !hash.is_ascii() {
            return None;
        }
        let modern = self
            .dir
            .join("files")
            .join("md5")
            .join(&hash[..2])
            .join(&hash[2..]);
        if modern.exists() {
            return Some(modern);
        }
        let legacy = self.dir.join(&hash[..2]).join(&hash[2..]);
        legacy.exists().then_some(legacy)
    }

    /// Reads `relative` inside the output recorded as `locked`: the object
    /// itself for a file, or the file's entry of a `.dir` listing.
    fn read(&self, locked: &LockedPath, relative: &str) -> Option<Vec<u8>> {
        let hash = locked.hash.as_deref()?;
        if relative.is_empty() {
            return std::fs::read(self.object_path(hash)?).ok();
        }
        let listing = std::fs::read_to_string(self.object_path(hash)?).ok()?;
        let entries: serde_json::Value = serde_json::from_str(&listing).ok()?;
        let entry = entries
            .as_array()?
            .iter()
            .find(|entry| entry.get("relpath").and_then(|path| path.as_str()) == Some(relative))?;
        let file_hash = entry.get("md5").and_then(|hash| hash.as_str())?;
        std::fs::read(self.object_path(file_hash)?).ok()
    }
}

/// Options of a collection.
#[derive(Clone, Copy, Debug, Default)]
pub struct CollectOptions {
    /// `--param-deps`: only params that stages depend on.
    pub param_deps: bool,
}

/// The error that prevented collecting a whole revision (DVC's `SerializableError`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevError {
    pub msg: String,
    pub kind: String,
}

/// Collects the data of one revision.
pub fn collect_data(
    root: &ProjectRoot,
    files: &RevisionFiles,
    cache: &ObjectCache,
    rev: &str,
    timestamp: Option<i64>,
    options: CollectOptions,
) -> Result<ExpData, RevError> {
    let source = files.source();
    let (pipeline_paths, dot_dvc_paths) = files.dvc_files();
    let project = Project::load_files(
        root.clone(),
        source,
        &pipeline_paths,
        ParsingConfig::default(),
    );
    if let Some(diagnostic) = project
        .files
        .iter()
        .flat_map(|file| &file.diagnostics)
        .find(|diagnostic| diagnostic.severity == crate::diagnostic::Severity::Error)
    {
        return Err(RevError {
            msg: diagnostic.message.clone(),
            kind: "DvcException".to_string(),
        });
    }
    let locks: Vec<(String, LockView)> = project
        .files
        .iter()
        .map(|file| {
            let lock_path = paths::join_normalized(&file.dir, "dvc.lock").unwrap_or_default();
            let view = source
                .read(&lock_path)
                .map(|text| LockView::parse(&text))
                .unwrap_or_default();
            (file.path.clone(), view)
        })
        .collect();
    let lock_of = |dvcfile: &str| {
        locks
            .iter()
            .find(|(path, _)| path == dvcfile)
            .map(|(_, view)| view)
    };

    // Outputs that live in the cache rather than in git, for reading cached
    // metrics and params at a commit.
    let mut cached_outs: Vec<(String, LockedPath)> = Vec::new();
    let mut deps: Vec<(String, ExpDep)> = Vec::new();
    let mut outs: Vec<(String, ExpOut)> = Vec::new();
    for stage in project.stages() {
        let lock = lock_of(&stage.dvcfile);
        for dep in &stage.deps {
            let Some(path) = stage.resolve_path(&dep.path) else {
                continue;
            };
            let locked = lock
                .and_then(|view| view.dep(&stage.name, &dep.path))
                .cloned()
                .unwrap_or_default();
            upsert(
                &mut deps,
                path,
                ExpDep {
                    hash: locked.hash,
                    size: locked.size,
                    nfiles: locked.nfiles,
                },
            );
        }
        for out in stage.all_outs() {
            let Some(path) = stage.resolve_path(&out.path) else {
                continue;
            };
            let locked = lock
                .and_then(|view| view.out(&stage.name, &out.path))
                .cloned()
                .unwrap_or_default();
            if out.cache {
                cached_outs.push((path.clone(), locked.clone()));
            }
            if out.kind == crate::pipeline::OutKind::Out {
                upsert(
                    &mut outs,
                    path,
                    ExpOut {
                        hash: locked.hash,
                        size: locked.size,
                        nfiles: locked.nfiles,
                        use_cache: out.cache,
                        is_data_source: false,
                    },
                );
            }
        }
    }
    for dot_dvc in &dot_dvc_paths {
        for (path, out) in read_dot_dvc(source, dot_dvc) {
            if out.use_cache {
                cached_outs.push((
                    path.clone(),
                    LockedPath {
                        hash: out.hash.clone(),
                        size: out.size,
                        nfiles: out.nfiles,
                    },
                ));
            }
            upsert(&mut outs, path, out);
        }
    }

    let reader = DataReader {
        files,
        cache,
        cached_outs: &cached_outs,
        from_commit: matches!(files, RevisionFiles::Commit(_)),
    };

    // Params.
    let root_params = source.kind("params.yaml") == Some(FileKind::File)
        || reader.cached("params.yaml").is_some();
    let mut params: Vec<(String, FileResult)> = Vec::new();
    for file in params_show::params_files(&project, options.param_deps, root_params) {
        for path in reader.expand(&file.path) {
            let result = match reader.parse(&path) {
                Ok(root) => FileResult::Data(match &root {
                    Some(node) => params_show::select(node, &file.keys),
                    None if file.keys.is_empty() => Json::Null,
                    None => Json::object(),
                }),
                Err(error) => FileResult::Error(error),
            };
            upsert(&mut params, path, result);
        }
    }
    let shown: Vec<String> = params.iter().map(|(path, _)| path.clone()).collect();
    for (path, vars) in params_show::tracked_vars(&project, &shown) {
        params.push((path, FileResult::Data(vars)));
    }

    // Metrics.
    let mut metrics_found: Vec<(String, FileResult)> = Vec::new();
    let expanded: Vec<String> = metrics::distinct(
        metrics::metric_paths(&project)
            .iter()
            .flat_map(|path| reader.expand(path))
            .collect(),
    );
    for path in expanded {
        let result = match reader.parse(&path) {
            Ok(root) => FileResult::Data(metrics::extract(root.as_ref())),
            Err(error) => FileResult::Error(error),
        };
        metrics_found.push((path, result));
    }

    Ok(ExpData {
        rev: rev.to_string(),
        timestamp,
        params,
        metrics: metrics_found,
        deps,
        outs,
    })
}

fn upsert<T>(list: &mut Vec<(String, T)>, key: String, value: T) {
    match list.iter_mut().find(|(existing, _)| *existing == key) {
        Some(entry) => entry.1 = value,
        None => list.push((key, value)),
    }
}

/// Outputs of a `.dvc` file (from `dvc add` or an import).
fn read_dot_dvc(source: &dyn FileSource, path: &str) -> Vec<(String, ExpOut)> {
    let Ok(text) = source.read(path) else {
        return Vec::new();
    };
    let Some(root) = crate::formats::yaml::parse(&text).root else {
        return Vec::new();
    };
    let dir = paths::parent(path);
    let Some(items) = root.get("outs").and_then(crate::node::Node::as_list) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for item in items {
        let Some(out_path) = item.get("path").and_then(crate::node::Node::as_str) else {
            continue;
        };
        let Some(full) = paths::join_normalized(dir, out_path) else {
            continue;
        };
        let algorithm = item
            .get("hash")
            .and_then(crate::node::Node::as_str)
            .unwrap_or("md5");
        let hash = item
            .get(algorithm)
            .or_else(|| item.get("md5"))
            .and_then(crate::node::Node::as_str)
            .map(str::to_string);
        let number = |key: &str| match item.get(key).map(|node| &node.value) {
            Some(crate::node::Value::Int(number)) => Some(*number),
            _ => None,
        };
        let use_cache = item
            .get("cache")
            .and_then(crate::node::Node::as_bool)
            .unwrap_or(true);
        found.push((
            full,
            ExpOut {
                hash,
                size: number("size"),
                nfiles: number("nfiles"),
                use_cache,
                is_data_source: true,
            },
        ));
    }
    found
}

struct DataReader<'a> {
    files: &'a RevisionFiles,
    cache: &'a ObjectCache,
    cached_outs: &'a [(String, LockedPath)],
    from_commit: bool,
}

impl DataReader<'_> {
    /// The cached output that holds `path`, with the path inside it.
    fn cached(&self, path: &str) -> Option<(&LockedPath, String)> {
        if !self.from_commit {
            return None;
        }
        self.cached_outs.iter().find_map(|(out, locked)| {
            if out == path {
                Some((locked, String::new()))
            } else if paths::is_within(path, out) {
                Some((locked, path[out.len() + 1..].to_string()))
            } else {
                None
            }
        })
    }

    /// A directory expands to the files under it, as DVC's `try_expand_paths`.
    fn expand(&self, path: &str) -> Vec<String> {
        if self.files.source().kind(path) == Some(FileKind::Directory) {
            let listed = self.files.list_files(path);
            if !listed.is_empty() {
                return listed;
            }
        }
        vec![path.to_string()]
    }

    fn read_text(&self, path: &str) -> Result<String, FileError> {
        let source = self.files.source();
        match source.kind(path) {
            Some(FileKind::File) => {
                source
                    .read(path)
                    .map(|text| text.to_string())
                    .map_err(|error| FileError {
                        kind: "UnicodeDecodeError".into(),
                        msg: format!("unable to read '{path}': {error}"),
                    })
            }
            Some(FileKind::Directory) => Err(FileError {
                kind: "IsADirectoryError".into(),
                msg: format!("[Errno 21] Is a directory: '{path}'"),
            }),
            None => {
                if let Some((locked, inside)) = self.cached(path) {
                    if let Some(bytes) = self.cache.read(locked, &inside) {
                        return String::from_utf8(bytes).map_err(|_| FileError {
                            kind: "UnicodeDecodeError".into(),
                            msg: format!("'{path}' is not valid UTF-8"),
                        });
                    }
                }
                Err(FileError {
                    kind: "FileNotFoundError".into(),
                    msg: format!("[Errno 2] No such file or directory: '{path}'"),
                })
            }
        }
    }

    /// Reads and parses a params or metrics file in the format its extension
    /// selects.
    fn parse(&self, path: &str) -> Result<Option<crate::node::Node>, FileError> {
        let text = self.read_text(path)?;
        let format = Format::from_path(Path::new(path));
        if format == Format::Json {
            // DVC reads JSON with `json.load`; values are all it needs here, so
            // JSON goes through serde (keeping key order) instead of the
            // span-keeping loader.
            return Json::parse(&text)
                .map(|json| Some(crate::node::Node::synthetic(json.to_value())))
                .map_err(|error| FileError {
                    kind: "JSONFileCorruptedError".into(),
                    msg: format!(
                        "unable to read: '{path}', JSON file structure is corrupted: {error}"
                    ),
                });
        }
        let parsed = formats::parse(format, &text);
        if let Some(error) = parsed.errors.first() {
            return Err(FileError {
                kind: match format {
                    Format::Yaml => "YAMLFileCorruptedError",
                    Format::Json => "JSONFileCorruptedError",
                    Format::Toml => "TOMLFileCorruptedError",
                    Format::Python => "PythonFileCorruptedError",
                }
                .to_string(),
                msg: format!(
                    "unable to read: '{path}', {} file structure is corrupted: {}",
                    format.name(),
                    error.message
                ),
            });
        }
        Ok(parsed.root)
    }
}
