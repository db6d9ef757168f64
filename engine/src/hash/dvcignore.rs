//! Which files DVC leaves out when it hashes a directory: `.dvcignore` files, read
//! like `.gitignore` files, plus DVC's built-in rules `.hg/`, `.git/`, `.git` and
//! `.dvc/`, which apply at every depth.
//!
//! Precedence follows DVC's `DvcIgnoreFilter` (dvc 3.67): the built-in rules come
//! first, then the patterns of each `.dvcignore` from the repository root down, and
//! the last matching pattern wins. So a deeper `.dvcignore` overrides a shallower
//! one, and `!.git` in a `.dvcignore` would re-include `.git`. An ignored directory
//! is not entered, so nothing below it can be re-included. A `.dvcignore` that the
//! rules above it ignore is not read.
//!
//! Directories that contain a `.dvc` entry (a file or a directory) are nested DVC
//! repositories, and DVC skips them whole, whatever the patterns match.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

use crate::fsutil::FsError;
use crate::hash::HashError;

/// The name of DVC's ignore files.
pub const DVCIGNORE_FILE: &str = ".dvcignore";

/// Patterns DVC ignores in every repository (`DvcIgnoreFilter.__init__`).
const BUILTIN_PATTERNS: [&str; 4] = [".hg/", ".git/", ".git", ".dvc/"];

/// The `.dvcignore` rules of one repository. Files are read on first use and kept.
#[derive(Debug)]
pub struct DvcIgnore {
    /// `None` when only the built-in rules apply (hashing outside a repository).
    root: Option<PathBuf>,
    builtin: Arc<Gitignore>,
    /// Parsed `.dvcignore` per directory; `None` when the directory has none.
    loaded: Mutex<HashMap<PathBuf, Option<Arc<Gitignore>>>>,
}

impl DvcIgnore {
    /// Creates the rules of the repository at `repo_root`.
    pub fn new(repo_root: &Path) -> DvcIgnore {
        DvcIgnore {
            root: Some(std::path::absolute(repo_root).unwrap_or_else(|_| repo_root.to_path_buf())),
            builtin: Arc::new(builtin_rules()),
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// Only DVC's built-in rules, for directories outside any repository.
    pub fn builtin_only() -> DvcIgnore {
        DvcIgnore {
            root: None,
            builtin: Arc::new(builtin_rules()),
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// Returns the rules that apply to entries directly inside `dir`: the
    /// `.dvcignore` files from the repository root down to `dir` itself, and the
    /// built-in rules.
    pub fn rules_below(&self, dir: &Path) -> Result<DirRules, HashError> {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut levels = Vec::new();
        if let Some(root) = &self.root {
            if let Ok(inside) = dir.strip_prefix(root) {
                let mut level_dir = root.clone();
                let mut to_base = inside.to_path_buf();
                if let Some(rules) = self.rules_of(&level_dir)? {
                    levels.push(Level {
                        prefix: to_base.clone(),
                        rules,
                    });
                }
                for component in inside.components() {
                    level_dir.push(component);
                    to_base = to_base
                        .strip_prefix(component)
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    // DVC does not read a `.dvcignore` that the rules above it ignore.
                    let parent_rules = DirRules {
                        levels: levels.iter().rev().cloned().collect(),
                        builtin: self.builtin.clone(),
                    };
                    let own_file = Path::new(component.as_os_str()).join(DVCIGNORE_FILE);
                    if parent_rules.is_ignored(&own_file, false) {
                        continue;
                    }
                    if let Some(rules) = self.rules_of(&level_dir)? {
                        levels.push(Level {
                            prefix: to_base.clone(),
                            rules,
                        });
                    }
                }
            }
        }
        levels.reverse();
        Ok(DirRules {
            levels,
            builtin: self.builtin.clone(),
        })
    }

    /// Checks whether `path` is ignored, either itself or through an ignored parent
    /// directory. Paths outside the repository only see the built-in rules.
    pub fn is_ignored(&self, path: &Path, is_dir: bool) -> Result<bool, HashError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let (base, relative) = match &self.root {
            Some(root) if path.starts_with(root) => (
                root.clone(),
                path.strip_prefix(root).unwrap_or(&path).to_path_buf(),
            ),
            _ => {
                let parent = crate::fsutil::parent_dir(&path).to_path_buf();
                let name = PathBuf::from(path.file_name().unwrap_or_default());
                (parent, name)
            }
        };

        let components: Vec<_> = relative.components().collect();
        let mut dir = base;
        for (index, component) in components.iter().enumerate() {
            let last = index + 1 == components.len();
            let component_is_dir = if last { is_dir } else { true };
            let rules = self.rules_below(&dir)?;
            let name = Path::new(component.as_os_str());
            if rules.is_ignored(name, component_is_dir) {
                return Ok(true);
            }
            dir.push(component);
            if component_is_dir && is_nested_repo(&dir) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Returns the parsed `.dvcignore` of `dir`, read on first use.
    fn rules_of(&self, dir: &Path) -> Result<Option<Arc<Gitignore>>, HashError> {
        if let Some(cached) = self
            .loaded
            .lock()
            .expect("dvcignore cache lock poisoned")
            .get(dir)
        {
            return Ok(cached.clone());
        }
        let parsed = parse_dvcignore(dir)?.map(Arc::new);
        self.loaded
            .lock()
            .expect("dvcignore cache lock poisoned")
            .insert(dir.to_path_buf(), parsed.clone());
        Ok(parsed)
    }
}

/// Checks whether `dir` is the root of a nested DVC repository (it has a `.dvc` entry
/// of any kind). DVC leaves such directories out of its walks entirely.
pub fn is_nested_repo(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(".dvc")).is_ok()
}

fn builtin_rules() -> Gitignore {
    let mut builder = GitignoreBuilder::new("");
    for pattern in BUILTIN_PATTERNS {
        builder
            .add_line(None, pattern)
            .expect("built-in dvcignore patterns are valid globs");
    }
    builder
        .build()
        .expect("built-in dvcignore patterns are valid globs")
}

/// Reads `dir/.dvcignore`. Lines that are not valid patterns are skipped with a
/// warning, so one typo does not stop hashing.
fn parse_dvcignore(dir: &Path) -> Result<Option<Gitignore>, HashError> {
    let path = dir.join(DVCIGNORE_FILE);
    let text = match fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        // A `.dvcignore` that is a directory is not an ignore file.
        Err(error) if error.kind() == io::ErrorKind::IsADirectory => return Ok(None),
        Err(error) => return Err(FsError::new("read", path, error).into()),
    };

    let mut builder = GitignoreBuilder::new(dir);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    for (index, line) in text.lines().enumerate() {
        if let Err(error) = builder.add_line(Some(path.clone()), line) {
            tracing::warn!(
                file = %path.display(),
                line = index + 1,
                %error,
                "skipping an invalid .dvcignore pattern"
            );
        }
    }
    match builder.build() {
        Ok(rules) => Ok(Some(rules)),
        Err(error) => Err(HashError::InvalidDvcIgnore {
            path,
            message: error.to_string(),
        }),
    }
}

/// One `.dvcignore` that applies below a directory, with the path from its own
/// directory to that directory.
#[derive(Clone, Debug)]
struct Level {
    prefix: PathBuf,
    rules: Arc<Gitignore>,
}

/// The ignore rules for entries below one directory, deepest `.dvcignore` first.
#[derive(Clone, Debug)]
pub struct DirRules {
    levels: Vec<Level>,
    builtin: Arc<Gitignore>,
}

impl DirRules {
    /// Checks whether the entry at `relative` (relative to the directory these
    /// rules were made for) is ignored by its own name and path. The caller skips the
    /// contents of ignored directories.
    pub fn is_ignored(&self, relative: &Path, is_dir: bool) -> bool {
        for level in &self.levels {
            let candidate = level.prefix.join(relative);
            match level.rules.matched(&candidate, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        self.builtin.matched(relative, is_dir).is_ignore()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_skip_vcs_dirs_at_any_depth() {
        let ignore = DvcIgnore::builtin_only();
        let rules = ignore.rules_below(Path::new("/tmp/anything")).unwrap();
        assert!(rules.is_ignored(Path::new(".git"), true));
        assert!(rules.is_ignored(Path::new(".git"), false));
        assert!(rules.is_ignored(Path::new("sub/.hg"), true));
        assert!(rules.is_ignored(Path::new("sub/.dvc"), true));
        assert!(!rules.is_ignored(Path::new("sub/.dvc"), false));
        assert!(!rules.is_ignored(Path::new(".gitignore"), false));
    }

    #[test]
    fn deeper_dvcignore_overrides_root() {
        let repo = tempfile::tempdir().unwrap();
        fs::create_dir_all(repo.path().join("a/data")).unwrap();
        fs::write(repo.path().join(DVCIGNORE_FILE), "*.log\n").unwrap();
        fs::write(
            repo.path().join("a").join(DVCIGNORE_FILE),
            "!keep.log\n/data/tmp\n",
        )
        .unwrap();

        let ignore = DvcIgnore::new(repo.path());
        let rules = ignore.rules_below(&repo.path().join("a/data")).unwrap();

        assert!(rules.is_ignored(Path::new("x.log"), false));
        assert!(!rules.is_ignored(Path::new("keep.log"), false));
        assert!(rules.is_ignored(Path::new("tmp"), true));
        assert!(!rules.is_ignored(Path::new("sub/tmp"), true));
    }

    #[test]
    fn is_ignored_checks_parent_directories() {
        let repo = tempfile::tempdir().unwrap();
        fs::write(repo.path().join(DVCIGNORE_FILE), "logs/\n").unwrap();

        let ignore = DvcIgnore::new(repo.path());

        assert!(ignore
            .is_ignored(&repo.path().join("logs/a/b.txt"), false)
            .unwrap());
        assert!(!ignore
            .is_ignored(&repo.path().join("data/b.txt"), false)
            .unwrap());
    }
}
