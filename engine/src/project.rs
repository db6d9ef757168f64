//! Project discovery and loading: finds the project root from any directory
//! inside it, finds every `dvc.yaml` below the root and loads them.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::files::{FileSource, ParsedFiles};
use crate::pipeline::interpolate::ParsingConfig;
use crate::pipeline::{load_pipeline, PipelineFile, Stage};

/// Where a project is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRoot {
    /// The directory that holds `.dvc/` (or the top `dvc.yaml` before `.dvc/`
    /// exists).
    pub root: PathBuf,
    /// The git work tree that contains the project, which may be an ancestor of
    /// the project root.
    pub git_root: Option<PathBuf>,
    pub has_dvc_dir: bool,
}

impl ProjectRoot {
    pub fn dvc_dir(&self) -> PathBuf {
        self.root.join(".dvc")
    }

    /// The project root relative to the git work tree, `""` when they are the
    /// same directory.
    pub fn subdir_in_git(&self) -> Option<String> {
        let git_root = self.git_root.as_ref()?;
        let relative = self.root.strip_prefix(git_root).ok()?;
        Some(relative.to_string_lossy().replace('\\', "/"))
    }
}

#[derive(Debug, Error)]
pub enum DiscoverError {
    #[error("no DVC project found in '{0}' or any parent directory; run `dvc init` (or create a dvc.yaml) in the project directory")]
    NotFound(PathBuf),
    #[error("unable to read the directory '{path}': {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Finds the project that contains `start`: the nearest ancestor with a `.dvc`
/// directory, or else the nearest one with a `dvc.yaml`.
pub fn discover(start: &Path) -> Result<ProjectRoot, DiscoverError> {
    let start = std::path::absolute(start).map_err(|source| DiscoverError::Io {
        path: start.to_path_buf(),
        source,
    })?;
    let mut with_dvc_dir = None;
    let mut with_pipeline = None;
    let mut git_root = None;
    for directory in start.ancestors() {
        if with_dvc_dir.is_none() && directory.join(".dvc").is_dir() {
            with_dvc_dir = Some(directory.to_path_buf());
        }
        if with_dvc_dir.is_none() && with_pipeline.is_none() && directory.join("dvc.yaml").is_file()
        {
            with_pipeline = Some(directory.to_path_buf());
        }
        if directory.join(".git").exists() {
            git_root = Some(directory.to_path_buf());
            break;
        }
    }
    let (root, has_dvc_dir) = match (with_dvc_dir, with_pipeline) {
        (Some(root), _) => (root, true),
        (None, Some(root)) => (root, false),
        (None, None) => return Err(DiscoverError::NotFound(start)),
    };
    // The git work tree must contain the project root to count.
    let git_root = git_root.filter(|git| root.starts_with(git));
    Ok(ProjectRoot {
        root,
        git_root,
        has_dvc_dir,
    })
}

/// Lists the project-relative paths of every `dvc.yaml` under `root`, the root
/// file first and then in sorted directory order. It honours `.dvcignore`, and
/// skips `.git`, `.dvc` and nested projects (directories with their own `.dvc`).
pub fn find_pipeline_files(root: &Path) -> Vec<String> {
    let mut walker = ignore::WalkBuilder::new(root);
    walker
        .standard_filters(false)
        .add_custom_ignore_filename(".dvcignore")
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| {
            let name = entry.file_name();
            if name == ".git" || name == ".dvc" {
                return false;
            }
            let is_nested_project = entry.depth() > 0
                && entry.file_type().is_some_and(|kind| kind.is_dir())
                && entry.path().join(".dvc").is_dir();
            !is_nested_project
        });
    let mut found: Vec<String> = walker
        .build()
        .filter_map(Result::ok)
        .filter(|entry| {
            entry.file_name() == "dvc.yaml" && entry.file_type().is_some_and(|kind| kind.is_file())
        })
        .filter_map(|entry| {
            let relative = entry.path().strip_prefix(root).ok()?;
            Some(relative.to_string_lossy().replace('\\', "/"))
        })
        .collect();
    // Shallower files first, as DVC's top-down walk finds them.
    found.sort_by(|a, b| {
        a.matches('/')
            .count()
            .cmp(&b.matches('/').count())
            .then_with(|| a.cmp(b))
    });
    found
}

/// A loaded project: every pipeline file with its stages and diagnostics.
#[derive(Clone, Debug)]
pub struct Project {
    pub root: ProjectRoot,
    pub files: Vec<PipelineFile>,
}

impl Project {
    /// Loads every `dvc.yaml` through `source`.
    pub fn load(root: ProjectRoot, source: &dyn FileSource, config: ParsingConfig) -> Project {
        let paths = find_pipeline_files(&root.root);
        Project::load_files(root, source, &paths, config)
    }

    /// Loads the given pipeline files, for callers that know them already.
    pub fn load_files(
        root: ProjectRoot,
        source: &dyn FileSource,
        paths: &[String],
        config: ParsingConfig,
    ) -> Project {
        Project::load_parsed(root, &ParsedFiles::new(source), paths, config)
    }

    /// [`Project::load_files`] through a memo of parsed files that the caller
    /// keeps, to share it with the checks or reuse it in the next load.
    pub fn load_parsed(
        root: ProjectRoot,
        parsed: &ParsedFiles<'_>,
        paths: &[String],
        config: ParsingConfig,
    ) -> Project {
        let files = paths
            .iter()
            .map(|path| load_pipeline(parsed, path, config))
            .collect();
        Project { root, files }
    }

    pub fn stages(&self) -> impl Iterator<Item = &Stage> {
        self.files.iter().flat_map(|file| file.stages.iter())
    }

    pub fn file(&self, path: &str) -> Option<&PipelineFile> {
        self.files.iter().find(|file| file.path == path)
    }
}
