//! The disk as the analyses see it, with the kind of each path (file,
//! directory or missing) remembered between edits. The checks look up every
//! dependency of every stage, which on a large pipeline is thousands of
//! `stat` calls per keystroke.
//!
//! The memo is shared by successive worlds and cleared whenever the file
//! watcher (or the client) reports a change. The watcher covers the
//! directories of every path looked up for that reason (`lsp::watcher`).

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use retort_engine::files::{DiskFiles, FileKind, FileSource};

/// The kinds of paths seen so far, shared by successive worlds.
#[derive(Clone, Default)]
pub struct KindMemo(Arc<Mutex<HashMap<String, Option<FileKind>>>>);

impl KindMemo {
    /// The parent directories of every path looked up, for the watcher.
    pub fn directories(&self) -> std::collections::BTreeSet<String> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .keys()
            .map(|path| retort_engine::paths::parent(path).to_string())
            .collect()
    }

    /// Forgets every kind, after something changed on disk.
    pub fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }
}

/// [`DiskFiles`] with remembered path kinds. Reads are not remembered; the
/// parsed-file memo of each world reuses unchanged texts.
pub struct CachedDisk {
    disk: DiskFiles,
    kinds: KindMemo,
}

impl CachedDisk {
    pub fn new(disk: DiskFiles, kinds: KindMemo) -> CachedDisk {
        CachedDisk { disk, kinds }
    }
}

impl FileSource for CachedDisk {
    fn read(&self, path: &str) -> io::Result<Arc<str>> {
        self.disk.read(path)
    }

    fn kind(&self, path: &str) -> Option<FileKind> {
        let memo = &self.kinds.0;
        if let Some(kind) = memo
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(path)
        {
            return *kind;
        }
        let kind = self.disk.kind(path);
        memo.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(path.to_string(), kind);
        kind
    }
}
