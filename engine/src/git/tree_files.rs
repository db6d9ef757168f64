//! A [`FileSource`] over the tree of a git commit, so that anything that reads a
//! project from disk (pipelines, params, metrics, plots) can read it at any
//! revision without checking it out.

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::files::{FileKind, FileSource};

/// The files of one commit, seen from the project root (which may be a
/// subdirectory of the repository).
pub struct TreeFiles {
    repo: Mutex<git2::Repository>,
    tree: git2::Oid,
    /// The project root relative to the repository root, `""` when equal.
    prefix: String,
}

impl TreeFiles {
    /// Opens the commit that `revision` names in the repository at `git_root`.
    pub fn open(
        git_root: &Path,
        revision: &str,
        project_subdir: &str,
    ) -> Result<TreeFiles, git2::Error> {
        let repo = git2::Repository::open(git_root)?;
        let tree = repo.revparse_single(revision)?.peel_to_commit()?.tree_id();
        Ok(TreeFiles::from_tree(repo, tree, project_subdir))
    }

    /// Wraps a tree of an already open repository.
    pub fn from_tree(repo: git2::Repository, tree: git2::Oid, project_subdir: &str) -> TreeFiles {
        TreeFiles {
            repo: Mutex::new(repo),
            tree,
            prefix: project_subdir.trim_matches('/').to_string(),
        }
    }

    fn full_path(&self, path: &str) -> String {
        match (self.prefix.is_empty(), path.is_empty()) {
            (true, _) => path.to_string(),
            (false, true) => self.prefix.clone(),
            (false, false) => format!("{}/{path}", self.prefix),
        }
    }

    /// Reads the raw bytes of a file in the tree.
    pub fn read_bytes(&self, path: &str) -> io::Result<Vec<u8>> {
        let repo = self
            .repo
            .lock()
            .map_err(|_| io::Error::other("git repository lock poisoned"))?;
        let tree = repo.find_tree(self.tree).map_err(io::Error::other)?;
        let entry = tree
            .get_path(Path::new(&self.full_path(path)))
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("'{path}' is not in the commit"),
                )
            })?;
        let object = entry.to_object(&repo).map_err(io::Error::other)?;
        let blob = object.as_blob().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("'{path}' is a directory in the commit"),
            )
        })?;
        Ok(blob.content().to_vec())
    }

    /// Every file (blob) under a directory of the tree, as sorted project-relative
    /// paths. An empty `dir` lists the whole project.
    pub fn files_under(&self, dir: &str) -> io::Result<Vec<String>> {
        let repo = self
            .repo
            .lock()
            .map_err(|_| io::Error::other("git repository lock poisoned"))?;
        let root = repo.find_tree(self.tree).map_err(io::Error::other)?;
        let full = self.full_path(dir);
        let tree = if full.is_empty() {
            root
        } else {
            let entry = root.get_path(Path::new(&full)).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("'{dir}' is not in the commit"),
                )
            })?;
            let object = entry.to_object(&repo).map_err(io::Error::other)?;
            object.into_tree().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("'{dir}' is a file in the commit"),
                )
            })?
        };
        let base = dir.trim_matches('/');
        let mut found = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                if let Ok(name) = entry.name() {
                    let inside = format!("{parent}{name}");
                    found.push(if base.is_empty() {
                        inside
                    } else {
                        format!("{base}/{inside}")
                    });
                }
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(io::Error::other)?;
        found.sort();
        Ok(found)
    }
}

impl TreeFiles {
    /// Lists every file (blob) under a project-relative directory, recursively,
    /// as project-relative paths in tree order. `""` lists the whole project.
    pub fn list_files(&self, dir: &str) -> Vec<String> {
        let Ok(repo) = self.repo.lock() else {
            return Vec::new();
        };
        let Ok(root) = repo.find_tree(self.tree) else {
            return Vec::new();
        };
        let full = self.full_path(dir);
        let tree = if full.is_empty() {
            root
        } else {
            match root
                .get_path(Path::new(&full))
                .and_then(|entry| entry.to_object(&repo))
            {
                Ok(object) => match object.into_tree() {
                    Ok(tree) => tree,
                    Err(_) => return Vec::new(),
                },
                Err(_) => return Vec::new(),
            }
        };
        let mut found = Vec::new();
        let _ = tree.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                if let Ok(name) = entry.name() {
                    let relative = format!("{parent}{name}");
                    found.push(if dir.is_empty() {
                        relative
                    } else {
                        format!("{}/{relative}", dir.trim_end_matches('/'))
                    });
                }
            }
            git2::TreeWalkResult::Ok
        });
        found
    }
}

impl FileSource for TreeFiles {
    fn read(&self, path: &str) -> io::Result<Arc<str>> {
        let bytes = self.read_bytes(path)?;
        String::from_utf8(bytes)
            .map(Arc::from)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the file is not valid UTF-8"))
    }

    fn kind(&self, path: &str) -> Option<FileKind> {
        let repo = self.repo.lock().ok()?;
        let tree = repo.find_tree(self.tree).ok()?;
        let full = self.full_path(path);
        if full.is_empty() {
            return Some(FileKind::Directory);
        }
        let entry = tree.get_path(Path::new(&full)).ok()?;
        match entry.kind()? {
            git2::ObjectType::Tree => Some(FileKind::Directory),
            git2::ObjectType::Blob => Some(FileKind::File),
            _ => None,
        }
    }
}
