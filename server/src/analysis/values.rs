//! Reading params and metrics values from the workspace or from a git
//! revision, and formatting them short enough for hovers and inlay hints.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use retort_engine::files::{FileKind, FileSource};
use retort_engine::formats::{self, Format};
use retort_engine::git::TreeFiles;
use retort_engine::node::{flatten, Node, Value};
use retort_engine::project::ProjectRoot;

/// A data file (params or metrics) read and parsed.
pub use retort_engine::files::DataFile;

/// Reads and parses a data file; `None` when it is missing, a directory or
/// unreadable. Analyses of the workspace use [`super::World::data`], which
/// parses each file once.
pub fn read_data(source: &dyn FileSource, path: &str) -> Option<DataFile> {
    if source.kind(path) != Some(FileKind::File) {
        return None;
    }
    let text = source.read(path).ok()?;
    let format = Format::from_path(Path::new(path));
    Some(DataFile {
        path: path.to_string(),
        format,
        parsed: formats::parse(format, &text),
        text,
    })
}

/// The project's files at one git revision, with parsed data files memoized:
/// the revision never changes, so neither do they.
pub struct Revision {
    pub name: String,
    /// The commit id, for display and to notice when `HEAD` moves.
    pub commit: String,
    files: TreeFiles,
    memo: Mutex<HashMap<String, Option<Arc<DataFile>>>>,
}

impl Revision {
    /// Opens `revision` (such as `HEAD`) of the repository around the project.
    /// Returns `None` outside git or before the first commit.
    pub fn open(root: &ProjectRoot, revision: &str) -> Option<Revision> {
        let git_root = root.git_root.as_ref()?;
        let repo = git2::Repository::open(git_root).ok()?;
        let commit = repo.revparse_single(revision).ok()?.peel_to_commit().ok()?;
        let commit_id = commit.id().to_string();
        let tree = commit.tree_id();
        let subdir = root.subdir_in_git().unwrap_or_default();
        drop(commit);
        Some(Revision {
            name: revision.to_string(),
            commit: commit_id,
            files: TreeFiles::from_tree(repo, tree, &subdir),
            memo: Mutex::new(HashMap::new()),
        })
    }

    pub fn source(&self) -> &dyn FileSource {
        &self.files
    }

    /// The parsed data file at this revision.
    pub fn data(&self, path: &str) -> Option<Arc<DataFile>> {
        if let Some(found) = self.memo.lock().ok()?.get(path) {
            return found.clone();
        }
        let data = read_data(&self.files, path).map(Arc::new);
        self.memo
            .lock()
            .ok()?
            .insert(path.to_string(), data.clone());
        data
    }

    pub fn short_commit(&self) -> &str {
        &self.commit[..self.commit.len().min(7)]
    }
}

/// Formats a value for one line of a hover or hint: Python's `str()` for
/// scalars (as DVC prints params), and a bounded form for collections.
pub fn short_value(value: &Value) -> String {
    let text = match value {
        Value::Str(text) => text.clone(),
        other => other.to_python_str(),
    };
    truncate(&text, 60)
}

/// Cuts text to at most `limit` characters, marking the cut.
pub fn truncate(text: &str, limit: usize) -> String {
    let single_line = text.replace('\n', " ");
    if single_line.chars().count() <= limit {
        return single_line;
    }
    let kept: String = single_line.chars().take(limit.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// The scalar values of a data file by dotted key, as `metrics show` lists
/// them. Lists count as leaves.
pub fn scalar_entries(root: &Node) -> Vec<(String, &Node)> {
    flatten(root)
        .into_iter()
        .filter(|(key, _)| !key.is_empty())
        .collect()
}

/// A few `key=value` pairs of a metrics file for a one-line summary.
pub fn summary(root: &Node, limit: usize) -> String {
    let entries = scalar_entries(root);
    let mut parts: Vec<String> = entries
        .iter()
        .filter(|(_, node)| node.value.is_scalar())
        .take(limit)
        .map(|(key, node)| format!("{key}={}", short_value(&node.value)))
        .collect();
    let scalars = entries
        .iter()
        .filter(|(_, node)| node.value.is_scalar())
        .count();
    if scalars > limit {
        parts.push(format!("+{}", scalars - limit));
    }
    parts.join(" ")
}
