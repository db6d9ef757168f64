//! The analyses behind every editor feature, as plain functions over an
//! immutable [`World`]: they take byte offsets and return data in editor terms
//! (byte spans, labels, Markdown), and know nothing about the protocol. The
//! `lsp` module converts their answers at the boundary.

pub mod actions;
pub mod completion;
pub mod diagnostics;
pub mod diff;
pub mod disk;
pub mod hover;
pub mod inlay;
pub mod locate;
pub mod navigation;
pub mod stale_lock;
pub mod values;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use retort_engine::dag::Dag;
use retort_engine::diagnostic::Diagnostic;
use retort_engine::files::{DataFile, DiskFiles, FileSource, Overlay, ParsedFiles};
use retort_engine::paths;
use retort_engine::pipeline::interpolate::ParsingConfig;
use retort_engine::pipeline::{PipelineFile, Stage};
use retort_engine::project::{Project, ProjectRoot};
use retort_engine::text::{LineIndex, Span};

use crate::integration::Insights;
use disk::{CachedDisk, KindMemo};
use values::Revision;

/// What a [`World`] is built from: the project, the editor buffers laid over
/// the disk, and the pipeline files to load.
pub struct WorldInput {
    pub root: ProjectRoot,
    /// Open documents by project-relative path.
    pub buffers: HashMap<String, Arc<str>>,
    /// The editor's version of each open document.
    pub versions: HashMap<String, i32>,
    /// Project-relative paths of every `dvc.yaml`, found by a directory walk
    /// that the caller caches, since walking on every keystroke is too slow.
    pub pipeline_files: Vec<String>,
    /// The files at `HEAD`, when the project is in a git repository.
    pub head: Option<Arc<Revision>>,
    /// Increases with every change the world reflects.
    pub generation: u64,
    /// Engine state kept between worlds (stage status, experiments).
    pub insights: Arc<Insights>,
    /// Data files the previous world parsed; unchanged ones are reused.
    pub parsed_before: HashMap<String, Arc<DataFile>>,
    /// The previous world's stage graph and its key; reused when the
    /// stages, their paths and their order did not change.
    pub dag_before: Option<(u64, Arc<Dag>)>,
    /// Kinds of paths on disk, kept until the watcher reports a change.
    pub kinds: KindMemo,
}

/// One consistent view of the project: loaded pipelines, the stage graph and
/// every diagnostic, computed from one set of buffers.
pub struct World {
    pub root: ProjectRoot,
    pub generation: u64,
    pub project: Project,
    pub dag: Arc<Dag>,
    /// What the graph was built from (see [`dag_key`]).
    pub dag_key: u64,
    /// The kinds of paths looked up on disk, shared with other worlds.
    pub kinds: KindMemo,
    /// Diagnostics by project-relative file, for every file that has any.
    pub diagnostics: BTreeMap<String, Vec<Diagnostic>>,
    pub head: Option<Arc<Revision>>,
    pub insights: Arc<Insights>,
    buffers: HashMap<String, Arc<str>>,
    versions: HashMap<String, i32>,
    source: Overlay<CachedDisk>,
    line_indexes: Mutex<HashMap<String, Arc<LineIndex>>>,
    /// Parsed data files by path: those the load read, then those analyses
    /// asked for. `None` for a path that is not a readable file.
    data: Mutex<HashMap<String, Option<Arc<DataFile>>>>,
    /// What the previous world parsed, for files this one has not read yet.
    parsed_before: HashMap<String, Arc<DataFile>>,
}

impl World {
    /// Loads and checks the project. This is the costly step (it resolves every
    /// stage), so callers run it off the async runtime, once per batch of edits.
    pub fn build(input: WorldInput) -> World {
        let source = Overlay::new(
            CachedDisk::new(DiskFiles::new(input.root.root.clone()), input.kinds.clone()),
            input.buffers.clone(),
        );
        let mut pipeline_files = input.pipeline_files;
        // An unsaved new `dvc.yaml` is a pipeline too.
        for path in input.buffers.keys() {
            if paths::file_name(path) == "dvc.yaml" && !pipeline_files.contains(path) {
                pipeline_files.push(path.clone());
            }
        }
        let started = std::time::Instant::now();
        let parsed = ParsedFiles::reusing(&source, input.parsed_before.clone());
        let project = Project::load_parsed(
            input.root.clone(),
            &parsed,
            &pipeline_files,
            ParsingConfig::default(),
        );
        let loaded = started.elapsed();
        // Most edits change a command or a value, not the graph.
        let key = dag_key(&project);
        let dag = match input.dag_before {
            Some((before, dag)) if before == key => dag,
            _ => Arc::new(Dag::build(&project)),
        };
        let graphed = started.elapsed();
        let diagnostics = diagnostics::collect(&project, &dag, &parsed, input.buffers.keys());
        let data = parsed
            .loaded()
            .into_iter()
            .map(|(path, file)| (path, Some(file)))
            .collect();
        drop(parsed);
        tracing::debug!(
            load_ms = loaded.as_secs_f64() * 1000.0,
            dag_ms = (graphed - loaded).as_secs_f64() * 1000.0,
            total_ms = started.elapsed().as_secs_f64() * 1000.0,
            "built the project model"
        );
        World {
            root: input.root,
            generation: input.generation,
            project,
            dag,
            dag_key: key,
            kinds: input.kinds,
            diagnostics,
            head: input.head,
            insights: input.insights,
            buffers: input.buffers,
            versions: input.versions,
            source,
            line_indexes: Mutex::new(HashMap::new()),
            data: Mutex::new(data),
            parsed_before: input.parsed_before,
        }
    }

    /// A data file of the project, parsed once per world (and reused from
    /// the previous world when its text did not change); `None` when it is
    /// missing, a directory or unreadable.
    pub fn data(&self, path: &str) -> Option<Arc<DataFile>> {
        if let Some(found) = self.data.lock().ok()?.get(path) {
            return found.clone();
        }
        let loaded = ParsedFiles::reusing(&self.source, one(&self.parsed_before, path))
            .get(path)
            .ok();
        self.data
            .lock()
            .ok()?
            .insert(path.to_string(), loaded.clone());
        loaded
    }

    /// A memo of parsed files over this world's files that starts with
    /// every file the world parsed already, for engine calls that read
    /// params.
    pub fn parsed(&self) -> ParsedFiles<'_> {
        ParsedFiles::with_loaded(&self.source, self.parsed_files())
    }

    /// The data files this world parsed, for the next world to reuse.
    pub fn parsed_files(&self) -> HashMap<String, Arc<DataFile>> {
        let Ok(data) = self.data.lock() else {
            return HashMap::new();
        };
        data.iter()
            .filter_map(|(path, file)| Some((path.clone(), file.clone()?)))
            .collect()
    }

    /// The files of the project as the editor sees them: buffers over the disk.
    pub fn source(&self) -> &dyn FileSource {
        &self.source
    }

    /// The text of a project file, from its buffer when it is open.
    pub fn text(&self, path: &str) -> Option<Arc<str>> {
        match self.buffers.get(path) {
            Some(text) => Some(text.clone()),
            None => self.source.read(path).ok(),
        }
    }

    /// The line index of a project file's text, computed once per world.
    pub fn line_index(&self, path: &str) -> Option<Arc<LineIndex>> {
        if let Some(found) = self.line_indexes.lock().ok()?.get(path) {
            return Some(found.clone());
        }
        let text = self.text(path)?;
        let index = Arc::new(LineIndex::new(&text));
        self.line_indexes
            .lock()
            .ok()?
            .insert(path.to_string(), index.clone());
        Some(index)
    }

    /// The editor's version of an open document.
    pub fn version(&self, path: &str) -> Option<i32> {
        self.versions.get(path).copied()
    }

    /// The project-relative paths of the open documents.
    pub fn open_files(&self) -> impl Iterator<Item = &String> {
        self.buffers.keys()
    }

    pub fn is_open(&self, path: &str) -> bool {
        self.buffers.contains_key(path)
    }

    pub fn pipeline(&self, path: &str) -> Option<&PipelineFile> {
        self.project.file(path)
    }

    /// Every stage in [`Project::stages`] order, which is the order the
    /// [`Dag`] indexes.
    pub fn stages(&self) -> Vec<&Stage> {
        self.project.stages().collect()
    }

    /// The project-relative paths of the params files the pipelines read:
    /// every file a stage lists under `params`, each pipeline's default
    /// `params.yaml` when it exists, and top-level `params` entries.
    pub fn params_files(&self) -> Vec<String> {
        let mut files = Vec::new();
        let mut add = |path: String| {
            if !files.contains(&path) {
                files.push(path);
            }
        };
        for file in &self.project.files {
            if let Some(default) = paths::join_normalized(&file.dir, "params.yaml") {
                if self.source.exists(&default) {
                    add(default);
                }
            }
            for entry in &file.top.params {
                if let Some(path) = paths::join_normalized(&file.dir, &entry.path) {
                    add(path);
                }
            }
        }
        for stage in self.project.stages() {
            for params in &stage.params {
                if let Some(path) = stage.params_file_path(params) {
                    add(path);
                }
            }
        }
        files
    }

    /// Whether a project file is a params file some pipeline reads.
    pub fn is_params_file(&self, path: &str) -> bool {
        self.params_files().iter().any(|known| known == path)
    }

    /// The metrics files of the project: stage metrics outputs, then
    /// top-level `metrics` entries, each once.
    pub fn metrics_files(&self) -> Vec<String> {
        // A large pipeline has a metrics file per stage; a set keeps the
        // de-duplication linear.
        let mut seen = std::collections::HashSet::new();
        let mut files = Vec::new();
        let mut add = |path: String| {
            if seen.insert(path.clone()) {
                files.push(path);
            }
        };
        for stage in self.project.stages() {
            for out in &stage.metrics {
                if let Some(path) = stage.resolve_path(&out.path) {
                    add(path);
                }
            }
        }
        for file in &self.project.files {
            for entry in &file.top.metrics {
                if let Some(path) = paths::join_normalized(&file.dir, &entry.path) {
                    add(path);
                }
            }
        }
        files
    }

    /// The 1-based line of a byte offset in a project file, for text such as
    /// "defined in params.yaml:3".
    pub fn line_of(&self, path: &str, offset: usize) -> Option<u32> {
        let text = self.text(path)?;
        let index = self.line_index(path)?;
        let position = index.position(&text, offset, retort_engine::text::PositionEncoding::Utf8);
        Some(position.line + 1)
    }
}

/// A key of everything the stage graph depends on: the stages in order,
/// with their files, working directories and the paths they read and write.
fn dag_key(project: &Project) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for stage in project.stages() {
        (&stage.dvcfile, &stage.name, &stage.wdir).hash(&mut hasher);
        for dep in &stage.deps {
            (0u8, &dep.path).hash(&mut hasher);
        }
        for params in &stage.params {
            (1u8, &params.file).hash(&mut hasher);
        }
        for out in stage.all_outs() {
            (2u8, &out.path).hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// The entry for `path` alone, to seed a one-file memo.
fn one(files: &HashMap<String, Arc<DataFile>>, path: &str) -> HashMap<String, Arc<DataFile>> {
    files
        .get(path)
        .map(|file| (path.to_string(), file.clone()))
        .into_iter()
        .collect()
}

/// A place in a project file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub span: Span,
}
