//! Keeping cached outputs out of git, byte for byte as DVC 3.67 (scmrepo) does.
//!
//! Adding an output `dir/name` appends the line `/name` to `dir/.gitignore`,
//! unless git already ignores the output through any rule. The characters
//! `\ [ ] ! * # ?` in the name are escaped with a backslash. When the file exists
//! and does not end in a newline, a newline is written first. Lines are only
//! appended; existing lines keep their order and line endings.
//!
//! Removing an output deletes every line equal to `/name` (ignoring surrounding
//! whitespace) and deletes the `.gitignore` when no line is left. DVC reads the
//! file with Python's universal newlines when it rewrites it, so `\r\n` and `\r`
//! line endings become `\n`; this module does the same. Unlike DVC, which only
//! compares lines with the unescaped name and so leaves escaped entries behind,
//! it also removes the escaped form.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

use crate::fsutil::{self, FsError};

/// Name of git's per-directory ignore file.
pub const GITIGNORE_FILE: &str = ".gitignore";

#[derive(Debug, thiserror::Error)]
pub enum GitignoreError {
    #[error(transparent)]
    Io(#[from] FsError),

    #[error(
        "'{}' is outside of git repository '{}'; track outputs inside the repository",
        path.display(),
        root.display()
    )]
    OutsideRepository { path: PathBuf, root: PathBuf },
}

/// The `.gitignore` line DVC writes for an output: `/` plus the escaped file name.
pub fn gitignore_entry(output: &Path) -> String {
    let name = output
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("/{}", escape_pattern(&name))
}

/// Escapes the characters gitignore patterns treat specially (pathspec's
/// `GitWildMatchPattern.escape`, which DVC uses). Spaces are not escaped, which
/// matches DVC even though git trims trailing spaces from patterns.
fn escape_pattern(name: &str) -> String {
    let mut escaped = String::with_capacity(name.len());
    for ch in name.chars() {
        if matches!(ch, '\\' | '[' | ']' | '!' | '*' | '#' | '?') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

/// Adds the output to the `.gitignore` of its parent directory, unless git
/// already ignores it. Returns the `.gitignore` that was written, if any.
/// `repo_root` is the git work tree root; `output` may be relative to the
/// current directory.
pub fn ignore_output(repo_root: &Path, output: &Path) -> Result<Option<PathBuf>, GitignoreError> {
    let (root, output) = absolute_pair(repo_root, output);
    let gitignore = gitignore_for(&root, &output)?;
    let is_dir = output.is_dir();
    if GitIgnoreRules::new(&root).is_ignored(&output, is_dir)? {
        return Ok(None);
    }

    let entry = gitignore_entry(&output);
    let existing = match fs::read(&gitignore) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(FsError::new("read", &gitignore, error).into()),
    };

    let needs_newline = existing
        .last()
        .is_some_and(|&last| last != b'\n' && last != b'\r');
    let mut new_line = String::new();
    if needs_newline {
        new_line.push('\n');
    }
    new_line.push_str(&entry);
    new_line.push('\n');

    // DVC skips the write when the exact line (with its newline) is present. A
    // line that needs a newline first never matches, so it is always appended.
    let present = universal_lines(&existing)
        .iter()
        .any(|line| line.as_bytes() == new_line.as_bytes());
    if present {
        return Ok(None);
    }

    let mut content = existing;
    content.extend_from_slice(new_line.as_bytes());
    fsutil::atomic_write(&gitignore, &content)?;
    Ok(Some(gitignore))
}

/// Removes the output's line from the `.gitignore` of its parent directory, and
/// the file itself when nothing else is left in it. Returns the `.gitignore` that
/// was rewritten; `None` when there was none or it was deleted.
pub fn unignore_output(repo_root: &Path, output: &Path) -> Result<Option<PathBuf>, GitignoreError> {
    let (root, output) = absolute_pair(repo_root, output);
    let gitignore = gitignore_for(&root, &output)?;
    let existing = match fs::read(&gitignore) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(FsError::new("read", &gitignore, error).into()),
    };

    let name = output
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let plain = format!("/{name}");
    let escaped = gitignore_entry(&output);
    let kept: Vec<String> = universal_lines(&existing)
        .into_iter()
        .filter(|line| {
            let trimmed = line.trim();
            trimmed != plain.trim() && trimmed != escaped.trim()
        })
        .collect();

    if kept.is_empty() {
        fsutil::remove_path(&gitignore)?;
        return Ok(None);
    }
    fsutil::atomic_write(&gitignore, kept.concat().as_bytes())?;
    Ok(Some(gitignore))
}

/// Splits text into lines the way Python's text mode reads them: `\r\n`, `\r`
/// and `\n` all end a line and read as `\n`; the last line may lack one.
fn universal_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                current.push('\n');
                lines.push(std::mem::take(&mut current));
            }
            '\n' => {
                current.push('\n');
                lines.push(std::mem::take(&mut current));
            }
            other => current.push(other),
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

fn absolute_pair(repo_root: &Path, output: &Path) -> (PathBuf, PathBuf) {
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    (absolute(repo_root), absolute(output))
}

/// The `.gitignore` next to `output`, which must be inside the repository
/// (checked on the resolved path, as DVC does).
fn gitignore_for(root: &Path, output: &Path) -> Result<PathBuf, GitignoreError> {
    let outside = || GitignoreError::OutsideRepository {
        path: output.to_path_buf(),
        root: root.to_path_buf(),
    };
    let parent = output.parent().ok_or_else(outside)?;
    let resolved_parent = fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    let resolved_root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if !resolved_parent.starts_with(&resolved_root) {
        return Err(outside());
    }
    Ok(parent.join(GITIGNORE_FILE))
}

/// Git's ignore rules for one work tree: `.gitignore` files, `info/exclude` and
/// the `core.excludesFile` of the user's git config. Tracked files are not
/// consulted, as in the dulwich check DVC uses.
struct GitIgnoreRules {
    root: PathBuf,
    exclude: Option<Gitignore>,
    global: Option<Gitignore>,
}

impl GitIgnoreRules {
    fn new(root: &Path) -> GitIgnoreRules {
        let exclude = git_dir(root)
            .map(|git_dir| git_dir.join("info").join("exclude"))
            .and_then(|path| load_patterns(root, &path));
        let global = ignore::gitignore::gitconfig_excludes_path()
            .and_then(|path| load_patterns(root, &path));
        GitIgnoreRules {
            root: root.to_path_buf(),
            exclude,
            global,
        }
    }

    /// Whether git ignores `path`: a parent directory is ignored, or the path's
    /// own decisive pattern is an exclude. Deeper `.gitignore` files win over
    /// shallower ones, which win over `info/exclude`, then `core.excludesFile`.
    fn is_ignored(&self, path: &Path, is_dir: bool) -> Result<bool, GitignoreError> {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let components: Vec<Component> = relative.components().collect();
        let mut per_directory: Vec<(PathBuf, Option<Gitignore>)> = Vec::new();
        let mut dir = self.root.clone();
        let mut inside = PathBuf::new();

        for (index, component) in components.iter().enumerate() {
            let patterns = load_patterns(&dir, &dir.join(GITIGNORE_FILE));
            per_directory.push((dir.clone(), patterns));
            inside.push(component);
            let candidate_is_dir = index + 1 < components.len() || is_dir;

            if self.decide(&per_directory, &inside, candidate_is_dir) {
                return Ok(true);
            }
            dir.push(component);
        }
        Ok(false)
    }

    fn decide(
        &self,
        per_directory: &[(PathBuf, Option<Gitignore>)],
        inside: &Path,
        is_dir: bool,
    ) -> bool {
        let absolute = self.root.join(inside);
        for (dir, patterns) in per_directory.iter().rev() {
            let Some(patterns) = patterns else { continue };
            let relative = absolute.strip_prefix(dir).unwrap_or(inside);
            match patterns.matched(relative, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        for patterns in [&self.exclude, &self.global].into_iter().flatten() {
            match patterns.matched(inside, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }
}

/// The git directory of a work tree: `.git`, or the directory a `.git` file
/// names (worktrees and submodules). Worktrees share `info/exclude` with the
/// main repository through their `commondir` file.
fn git_dir(root: &Path) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    let metadata = fs::metadata(&dot_git).ok()?;
    if metadata.is_dir() {
        return Some(dot_git);
    }
    let text = fs::read_to_string(&dot_git).ok()?;
    let pointed = text.strip_prefix("gitdir:")?.trim();
    let git_dir = root.join(pointed);
    match fs::read_to_string(git_dir.join("commondir")) {
        Ok(common) => Some(git_dir.join(common.trim())),
        Err(_) => Some(git_dir),
    }
}

/// Parses one ignore file with patterns relative to `base`. Unreadable files and
/// invalid lines are skipped, as git does.
fn load_patterns(base: &Path, file: &Path) -> Option<Gitignore> {
    let bytes = fs::read(file).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let mut builder = GitignoreBuilder::new(base);
    for line in text.lines() {
        let _ = builder.add_line(Some(file.to_path_buf()), line);
    }
    builder.build().ok().filter(|patterns| !patterns.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_escapes_special_characters() {
        assert_eq!(gitignore_entry(Path::new("d/model.pkl")), "/model.pkl");
        assert_eq!(
            gitignore_entry(Path::new("a[1] #x!.txt")),
            r"/a\[1\] \#x\!.txt"
        );
    }

    #[test]
    fn universal_lines_match_python_text_mode() {
        assert_eq!(
            universal_lines(b"a\r\nb\rc\nd"),
            vec!["a\n", "b\n", "c\n", "d"]
        );
        assert!(universal_lines(b"").is_empty());
    }
}
