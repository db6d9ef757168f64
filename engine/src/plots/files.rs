//! Sources of plot files: the workspace on disk, or a git revision, where files that DVC tracks (outputs with `cache: true`) are not in git and
//! come from the DVC cache through the revision's `dvc.lock`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::config::dvc::DvcConfig;
use crate::files::{DiskFiles, FileKind, FileSource};
use crate::formats::yaml;
use crate::git::TreeFiles;
use crate::node::Node;
use crate::paths;
use crate::project::{self, ProjectRoot};

/// Files DVC's file system leaves out of directory listings: pipeline files,
/// `.dvc` files and `.dvcignore`.
pub fn is_dvc_file(path: &str) -> bool {
    let name = paths::file_name(path);
    name == "dvc.yaml" || name == ".dvcignore" || name.ends_with(".dvc")
}

/// Read access to the files of one revision.
pub trait PlotFiles: Send + Sync {
    /// Text access for loading `dvc.yaml` and params files.
    fn source(&self) -> &dyn FileSource;
    fn read_bytes(&self, path: &str) -> io::Result<Vec<u8>>;
    fn kind(&self, path: &str) -> Option<FileKind>;
    /// Lists every file under a directory as sorted project-relative paths (the
    /// order of fsspec's `find`, which DVC uses to expand plot directories).
    fn files_under(&self, dir: &str) -> io::Result<Vec<String>>;
    /// Lists the `dvc.yaml` files of the revision, root first.
    fn pipeline_files(&self) -> Vec<String>;
}

/// The workspace: files on disk under the project root.
pub struct WorkspaceFiles {
    disk: DiskFiles,
}

impl WorkspaceFiles {
    pub fn new(root: impl Into<PathBuf>) -> WorkspaceFiles {
        WorkspaceFiles {
            disk: DiskFiles::new(root),
        }
    }
}

impl PlotFiles for WorkspaceFiles {
    fn source(&self) -> &dyn FileSource {
        &self.disk
    }

    fn read_bytes(&self, path: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.disk.root().join(path))
    }

    fn kind(&self, path: &str) -> Option<FileKind> {
        self.disk.kind(path)
    }

    fn files_under(&self, dir: &str) -> io::Result<Vec<String>> {
        let root = self.disk.root();
        let start = root.join(dir);
        std::fs::metadata(&start)?;
        let mut walker = ignore::WalkBuilder::new(&start);
        walker
            .standard_filters(false)
            .add_custom_ignore_filename(".dvcignore");
        let mut found = Vec::new();
        for entry in walker.build() {
            let entry = entry.map_err(io::Error::other)?;
            if !entry.file_type().is_some_and(|kind| kind.is_file()) {
                continue;
            }
            if let Ok(relative) = entry.path().strip_prefix(root) {
                let relative = relative.to_string_lossy().replace('\\', "/");
                if !is_dvc_file(&relative) {
                    found.push(relative);
                }
            }
        }
        found.sort();
        Ok(found)
    }

    fn pipeline_files(&self) -> Vec<String> {
        project::find_pipeline_files(self.disk.root())
    }
}

/// A file DVC tracks at a revision: its hash and the cache layout it uses.
#[derive(Clone, Debug)]
struct CachedFile {
    md5: String,
    /// DVC 3 writes `hash: md5` and keeps objects under `files/md5/`; entries
    /// without it come from DVC 2 and use the old layout.
    dvc3: bool,
}

/// A git revision, with DVC-tracked outputs read from the cache.
pub struct RevisionFiles {
    tree: TreeFiles,
    cache_dir: PathBuf,
    /// DVC-tracked files that git does not hold, by project-relative path.
    cached: BTreeMap<String, CachedFile>,
}

impl RevisionFiles {
    /// Opens `revision` for the project at `root`.
    pub fn open(root: &ProjectRoot, revision: &str) -> Result<RevisionFiles, git2::Error> {
        let git_root = root
            .git_root
            .as_ref()
            .ok_or_else(|| git2::Error::from_str("the project is not inside a git repository"))?;
        let subdir = root.subdir_in_git().unwrap_or_default();
        let tree = TreeFiles::open(git_root, revision, &subdir)?;
        let mut files = RevisionFiles {
            tree,
            cache_dir: cache_dir(&root.root),
            cached: BTreeMap::new(),
        };
        files.index_lock_files();
        Ok(files)
    }

    /// Reads every `dvc.lock` of the revision and records the outputs it lists,
    /// expanding directory outputs through their `.dir` manifests.
    fn index_lock_files(&mut self) {
        for pipeline in self.pipeline_files() {
            let dir = paths::parent(&pipeline).to_string();
            let lock_path = if dir.is_empty() {
                "dvc.lock".to_string()
            } else {
                format!("{dir}/dvc.lock")
            };
            let Ok(text) = self.tree.read(&lock_path) else {
                continue;
            };
            let Some(root) = yaml::parse(&text).root else {
                continue;
            };
            let Some(stages) = root.get("stages").and_then(Node::as_map) else {
                continue;
            };
            for entry in stages.values() {
                let Some(outs) = entry.value.get("outs").and_then(Node::as_list) else {
                    continue;
                };
                for out in outs {
                    self.index_out(&dir, out);
                }
            }
        }
    }

    fn index_out(&mut self, dir: &str, out: &Node) {
        let (Some(path), Some(md5)) = (
            out.get("path").and_then(Node::as_str),
            out.get("md5").and_then(Node::as_str),
        ) else {
            return;
        };
        // Lock paths are relative to the stage's directory; stages with a `wdir`
        // are rare for plots and are looked up relative to the `dvc.yaml`.
        let Some(path) = paths::join_normalized(dir, path) else {
            return;
        };
        let dvc3 = out.get("hash").and_then(Node::as_str) == Some("md5");
        if let Some(dir_md5) = md5.strip_suffix(".dir") {
            let manifest = self.object_path(&format!("{dir_md5}.dir"), dvc3);
            let Ok(text) = std::fs::read_to_string(manifest) else {
                return;
            };
            let Ok(super::json::Json::Array(entries)) = super::json::Json::parse(&text) else {
                return;
            };
            for entry in entries {
                if let (Some(relpath), Some(file_md5)) = (
                    entry.get("relpath").and_then(|value| value.as_str()),
                    entry.get("md5").and_then(|value| value.as_str()),
                ) {
                    if let Some(full) = paths::join_normalized(&path, relpath) {
                        self.cached.insert(
                            full,
                            CachedFile {
                                md5: file_md5.to_string(),
                                dvc3,
                            },
                        );
                    }
                }
            }
        } else {
            self.cached.insert(
                path,
                CachedFile {
                    md5: md5.to_string(),
                    dvc3,
                },
            );
        }
    }

    fn object_path(&self, md5: &str, dvc3: bool) -> PathBuf {
        let (head, tail) = md5.split_at(md5.len().min(2));
        if dvc3 {
            self.cache_dir
                .join("files")
                .join("md5")
                .join(head)
                .join(tail)
        } else {
            self.cache_dir.join(head).join(tail)
        }
    }

    fn cached_dir_exists(&self, dir: &str) -> bool {
        self.cached
            .keys()
            .any(|path| paths::is_within(path, dir) && path != dir)
    }
}

impl PlotFiles for RevisionFiles {
    fn source(&self) -> &dyn FileSource {
        &self.tree
    }

    fn read_bytes(&self, path: &str) -> io::Result<Vec<u8>> {
        match self.tree.read_bytes(path) {
            Ok(bytes) => Ok(bytes),
            Err(error) => match self.cached.get(path) {
                Some(file) => std::fs::read(self.object_path(&file.md5, file.dvc3)).map_err(|cache_error| {
                    io::Error::new(
                        cache_error.kind(),
                        format!(
                            "'{path}' is tracked by DVC but its object {} is not in the cache ({cache_error}); run `dvc fetch` for that revision",
                            file.md5
                        ),
                    )
                }),
                None => Err(error),
            },
        }
    }

    fn kind(&self, path: &str) -> Option<FileKind> {
        self.tree.kind(path).or_else(|| {
            if self.cached.contains_key(path) {
                Some(FileKind::File)
            } else if self.cached_dir_exists(path) {
                Some(FileKind::Directory)
            } else {
                None
            }
        })
    }

    fn files_under(&self, dir: &str) -> io::Result<Vec<String>> {
        let mut found = match self.tree.files_under(dir) {
            Ok(found) => found,
            Err(_) if self.cached_dir_exists(dir) => Vec::new(),
            Err(error) => return Err(error),
        };
        found.extend(
            self.cached
                .keys()
                .filter(|path| paths::is_within(path, dir) && path.as_str() != dir)
                .cloned(),
        );
        found.retain(|path| !is_dvc_file(path));
        found.sort();
        found.dedup();
        Ok(found)
    }

    fn pipeline_files(&self) -> Vec<String> {
        let mut found: Vec<String> = self
            .tree
            .files_under("")
            .unwrap_or_default()
            .into_iter()
            .filter(|path| paths::file_name(path) == "dvc.yaml")
            .collect();
        found.sort_by(|a, b| {
            a.matches('/')
                .count()
                .cmp(&b.matches('/').count())
                .then_with(|| a.cmp(b))
        });
        found
    }
}

/// Finds the DVC cache directory from the project's config (`cache.dir`), else
/// `.dvc/cache`. A config that does not load falls back to the default, since
/// plots only read from the cache.
fn cache_dir(root: &Path) -> PathBuf {
    DvcConfig::load(&root.join(".dvc"))
        .map(|config| config.cache_dir_or_default(root))
        .unwrap_or_else(|_| root.join(".dvc").join("cache"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dir_follows_the_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".dvc")).unwrap();
        assert_eq!(cache_dir(dir.path()), dir.path().join(".dvc").join("cache"));
        std::fs::write(
            dir.path().join(".dvc/config"),
            "[cache]\n    dir = ../elsewhere\n",
        )
        .unwrap();
        let configured = cache_dir(dir.path());
        assert!(
            configured.ends_with("elsewhere"),
            "{}",
            configured.display()
        );
    }

    #[test]
    fn workspace_directories_expand_sorted() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "logs/b.tsv",
            "logs/a.tsv",
            "logs/deep/c.tsv",
            "logs/dvc.yaml",
            "logs/x.dvc",
            "other.csv",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x\n").unwrap();
        }
        let files = WorkspaceFiles::new(dir.path());
        assert_eq!(
            files.files_under("logs").unwrap(),
            vec!["logs/a.tsv", "logs/b.tsv", "logs/deep/c.tsv"]
        );
        assert_eq!(files.kind("logs"), Some(FileKind::Directory));
    }
}
