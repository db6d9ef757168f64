//! Watching the project's files without the client's help: Neovim on Linux
//! sends no file events, and runs made by the CLI or by DVC change params,
//! metrics, `dvc.lock` and git refs behind the editor's back.
//!
//! Only the directories that hold files the server reads are watched, each
//! without recursion (plus `.git/refs`), so a large data directory costs no
//! watches. The set is recomputed after every analysis.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use retort_engine::paths;
use tokio::sync::mpsc;

use super::state::ServerState;
use crate::analysis::World;

pub struct Watcher {
    inner: RecommendedWatcher,
    root: PathBuf,
    git_dir: Option<PathBuf>,
    watched: BTreeSet<(PathBuf, bool)>,
}

impl Watcher {
    /// Starts watching; events are handled on the runtime by `handle_events`.
    pub fn start(state: Arc<ServerState>, root: &Path, git_root: Option<&Path>) -> Option<Watcher> {
        let (sender, receiver) = mpsc::unbounded_channel::<PathBuf>();
        let inner =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
                // Reads show up as access events, and as atime metadata
                // changes; the server's own reads must not count as changes.
                Ok(event)
                    if matches!(
                        event.kind,
                        notify::EventKind::Access(_)
                            | notify::EventKind::Modify(notify::event::ModifyKind::Metadata(_))
                    ) => {}
                Ok(event) => {
                    for path in event.paths {
                        let _ = sender.send(path);
                    }
                }
                Err(error) => tracing::warn!("file watching failed: {error}"),
            });
        let inner = match inner {
            Ok(inner) => inner,
            Err(error) => {
                tracing::error!("unable to watch the project's files, so changes made outside the editor will not show until a file is edited: {error}");
                return None;
            }
        };
        let git_dir = git_root
            .map(|git| git.join(".git"))
            .filter(|dir| dir.is_dir());
        tokio::spawn(handle_events(
            state,
            receiver,
            root.to_path_buf(),
            git_dir.clone(),
        ));
        Some(Watcher {
            inner,
            root: root.to_path_buf(),
            git_dir,
            watched: BTreeSet::new(),
        })
    }

    /// Watches the directories of every file the world reads, and stops
    /// watching the ones it no longer reads.
    pub fn update(&mut self, world: &World) {
        let mut wanted: BTreeSet<(PathBuf, bool)> = BTreeSet::new();
        wanted.insert((self.root.clone(), false));
        if let Some(git_dir) = &self.git_dir {
            wanted.insert((git_dir.clone(), false));
            if git_dir.join("refs").is_dir() {
                wanted.insert((git_dir.join("refs"), true));
            }
        }
        let mut files: Vec<String> = world
            .project
            .files
            .iter()
            .map(|file| file.path.clone())
            .collect();
        files.extend(world.params_files());
        files.extend(world.metrics_files());
        // Dependencies and outputs too: the checks remember whether each
        // exists (`analysis::disk`) until an event here says otherwise.
        for stage in world.project.stages() {
            files.extend(
                stage
                    .all_outs()
                    .filter_map(|out| stage.resolve_path(&out.path)),
            );
            files.extend(
                stage
                    .deps
                    .iter()
                    .filter(|dep| !dep.path.contains("://"))
                    .filter_map(|dep| stage.resolve_path(&dep.path)),
            );
        }
        // Many files share a directory; look at each directory once. The
        // directories of every path the checks looked up are watched too,
        // because the server remembers whether those paths exist.
        let looked_up = world.kinds.directories();
        let dirs: BTreeSet<&str> = files
            .iter()
            .map(|file| paths::parent(file))
            .chain(looked_up.iter().map(String::as_str))
            .collect();
        for relative in dirs {
            let mut dir = self.root.join(relative);
            // A directory that does not exist yet is seen through its
            // nearest existing parent, and watched once it appears.
            while !dir.is_dir() && dir.starts_with(&self.root) && dir != self.root {
                match dir.parent() {
                    Some(parent) => dir = parent.to_path_buf(),
                    None => break,
                }
            }
            if dir.starts_with(&self.root) {
                wanted.insert((dir, false));
            }
        }
        for gone in self
            .watched
            .difference(&wanted)
            .cloned()
            .collect::<Vec<_>>()
        {
            let _ = self.inner.unwatch(&gone.0);
            self.watched.remove(&gone);
        }
        for new in wanted
            .difference(&self.watched.clone())
            .cloned()
            .collect::<Vec<_>>()
        {
            let mode = if new.1 {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            match self.inner.watch(&new.0, mode) {
                Ok(()) => {
                    self.watched.insert(new);
                }
                Err(error) => tracing::warn!("unable to watch '{}': {error}", new.0.display()),
            }
        }
    }
}

/// Collects events for a short while, then tells the state what kind of
/// change happened.
async fn handle_events(
    state: Arc<ServerState>,
    mut receiver: mpsc::UnboundedReceiver<PathBuf>,
    root: PathBuf,
    git_dir: Option<PathBuf>,
) {
    while let Some(first) = receiver.recv().await {
        let mut changed = vec![first];
        // Tools write several files in a row; handle them as one change.
        tokio::time::sleep(Duration::from_millis(50)).await;
        while let Ok(path) = receiver.try_recv() {
            changed.push(path);
        }
        let mut relevant = false;
        for path in &changed {
            match classify(path, &root, git_dir.as_deref()) {
                Change::Ignored => {}
                Change::GitRefs => {
                    state.head_moved();
                    relevant = true;
                }
                Change::Pipeline => {
                    state.rescan_pipelines();
                    state.files_changed();
                    relevant = true;
                }
                Change::File => {
                    state.files_changed();
                    relevant = true;
                }
            }
        }
        if relevant {
            tracing::debug!(?changed, "files changed on disk");
            state.request_view_refresh();
            state.touch();
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Ignored,
    GitRefs,
    Pipeline,
    File,
}

/// What a changed path means for the analysis.
pub fn classify(path: &Path, root: &Path, git_dir: Option<&Path>) -> Change {
    if let Some(git_dir) = git_dir {
        if let Ok(inside) = path.strip_prefix(git_dir) {
            let first = inside
                .components()
                .next()
                .map(|part| part.as_os_str().to_string_lossy().to_string());
            return match first.as_deref() {
                Some("HEAD" | "refs" | "packed-refs") => Change::GitRefs,
                _ => Change::Ignored,
            };
        }
    }
    let Ok(inside) = path.strip_prefix(root) else {
        return Change::Ignored;
    };
    let first = inside
        .components()
        .next()
        .map(|part| part.as_os_str().to_string_lossy().to_string());
    if matches!(first.as_deref(), Some(".dvc" | ".git")) {
        return Change::Ignored;
    }
    if path.file_name().is_some_and(|name| name == "dvc.yaml") {
        return Change::Pipeline;
    }
    Change::File
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_classified_by_place() {
        let root = Path::new("/p");
        let git = Some(Path::new("/p/.git"));
        assert_eq!(
            classify(Path::new("/p/.git/refs/exps/a"), root, git),
            Change::GitRefs
        );
        assert_eq!(
            classify(Path::new("/p/.git/HEAD"), root, git),
            Change::GitRefs
        );
        assert_eq!(
            classify(Path::new("/p/.git/index"), root, git),
            Change::Ignored
        );
        assert_eq!(
            classify(Path::new("/p/sub/dvc.yaml"), root, git),
            Change::Pipeline
        );
        assert_eq!(
            classify(Path::new("/p/params.yaml"), root, git),
            Change::File
        );
        assert_eq!(
            classify(Path::new("/p/.dvc/tmp/x"), root, git),
            Change::Ignored
        );
    }
}
