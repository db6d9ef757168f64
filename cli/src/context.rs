//! Finding and loading the project a command works on.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use retort_engine::files::DiskFiles;
use retort_engine::pipeline::interpolate::ParsingConfig;
use retort_engine::project::{self, Project};

/// The project around the current directory, loaded from disk.
pub struct Loaded {
    pub project: Project,
    pub files: DiskFiles,
    pub cwd: PathBuf,
}

pub fn load_project() -> Result<Loaded> {
    let cwd = std::env::current_dir().context("unable to read the current directory")?;
    let root = project::discover(&cwd)?;
    let files = DiskFiles::new(root.root.clone());
    let project = Project::load(root, &files, ParsingConfig::default());
    Ok(Loaded {
        project,
        files,
        cwd,
    })
}

impl Loaded {
    /// A project-relative path as the user should see it: relative to the
    /// current directory when that is inside the project.
    pub fn display_path(&self, relative: &Path) -> String {
        let absolute = self.project.root.root.join(relative);
        match absolute.strip_prefix(&self.cwd) {
            Ok(inside) => inside.display().to_string(),
            Err(_) => pathdiff(&absolute, &self.cwd),
        }
    }

    /// Turns a user-given path into a project-relative one.
    pub fn project_relative(&self, path: &str) -> Option<String> {
        let absolute = std::path::absolute(self.cwd.join(path)).ok()?;
        let relative = absolute.strip_prefix(&self.project.root.root).ok()?;
        let text = relative.to_string_lossy().replace('\\', "/");
        retort_engine::paths::normalize(&text)
    }
}

/// `path` relative to `base` with `..` parts, for files outside the current directory.
fn pathdiff(path: &Path, base: &Path) -> String {
    let path_parts: Vec<_> = path.components().collect();
    let base_parts: Vec<_> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut result = PathBuf::new();
    for _ in common..base_parts.len() {
        result.push("..");
    }
    for part in &path_parts[common..] {
        result.push(part.as_os_str());
    }
    result.display().to_string()
}

/// Opens the project around the current directory for running, and returns the
/// current directory relative to the project root.
pub fn open_workspace() -> Result<(retort_engine::repro::Workspace, String)> {
    let cwd = std::env::current_dir().context("unable to read the current directory")?;
    let root = project::discover(&cwd)?;
    let relative = cwd
        .strip_prefix(&root.root)
        .map(|path| path.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let workspace = retort_engine::repro::Workspace::open(root)?;
    Ok((workspace, relative))
}
