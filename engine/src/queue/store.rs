//! The queue on disk: one JSON file per entry under
//! `.dvc/tmp/exps/retort-queue/`, each replaced atomically, plus one log file
//! per entry. A lock file serializes the claiming of entries by workers.

use std::fs::OpenOptions;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use super::entry::{EntryStatus, QueueEntry};

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("unable to {action} '{}': {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the queue entry '{}' is damaged ({reason}); remove it with `retort queue remove`", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("no queued experiment matches '{0}'; run `retort queue status` to see the queue")]
    NotFound(String),
    #[error("'{id}' matches several queued experiments ({}); give more of the id", .matches.join(", "))]
    Ambiguous { id: String, matches: Vec<String> },
}

/// The queue of one project.
#[derive(Clone, Debug)]
pub struct Queue {
    dir: PathBuf,
}

impl Queue {
    /// The queue of the project whose `.dvc` directory is `dvc_dir`.
    pub fn open(dvc_dir: &Path) -> Queue {
        Queue {
            dir: dvc_dir.join("tmp").join("exps").join("retort-queue"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn entry_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    pub fn log_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.log"))
    }

    /// Writes an entry, replacing the previous version atomically.
    pub fn save(&self, entry: &QueueEntry) -> Result<(), QueueError> {
        let path = self.entry_path(&entry.id);
        std::fs::create_dir_all(&self.dir).map_err(|source| QueueError::Io {
            action: "create the queue directory",
            path: self.dir.clone(),
            source,
        })?;
        let text = serde_json::to_string_pretty(entry).expect("queue entries serialize");
        crate::fsutil::atomic_write(&path, text.as_bytes()).map_err(|error| QueueError::Io {
            action: "write the queue entry",
            path: path.clone(),
            source: std::io::Error::other(error.to_string()),
        })
    }

    pub fn load(&self, id: &str) -> Result<QueueEntry, QueueError> {
        let path = self.entry_path(id);
        let text = std::fs::read_to_string(&path).map_err(|source| QueueError::Io {
            action: "read the queue entry",
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|error| QueueError::Corrupt {
            path,
            reason: error.to_string(),
        })
    }

    /// Every entry, oldest first. Damaged entries are skipped with a warning.
    pub fn list(&self) -> Vec<QueueEntry> {
        let Ok(read) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut entries: Vec<QueueEntry> = read
            .flatten()
            .filter(|item| {
                item.path()
                    .extension()
                    .is_some_and(|extension| extension == "json")
            })
            .filter_map(|item| {
                let id = item.path().file_stem()?.to_string_lossy().into_owned();
                match self.load(&id) {
                    Ok(entry) => Some(entry),
                    Err(error) => {
                        tracing::warn!(%error, "skipping a damaged queue entry");
                        None
                    }
                }
            })
            .collect();
        entries.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        entries
    }

    /// Finds an entry by id, id prefix or experiment name.
    pub fn find(&self, key: &str) -> Result<QueueEntry, QueueError> {
        let entries = self.list();
        if let Some(entry) = entries
            .iter()
            .find(|entry| entry.id == key || entry.name == key)
        {
            return Ok(entry.clone());
        }
        let matches: Vec<&QueueEntry> = entries
            .iter()
            .filter(|entry| entry.id.starts_with(key))
            .collect();
        match matches.as_slice() {
            [] => Err(QueueError::NotFound(key.to_string())),
            [one] => Ok((*one).clone()),
            many => Err(QueueError::Ambiguous {
                id: key.to_string(),
                matches: many
                    .iter()
                    .map(|entry| format!("{} ({})", entry.id, entry.name))
                    .collect(),
            }),
        }
    }

    /// Deletes an entry and its log.
    pub fn remove(&self, id: &str) -> Result<(), QueueError> {
        for path in [self.entry_path(id), self.log_path(id)] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(QueueError::Io {
                        action: "remove",
                        path,
                        source,
                    })
                }
            }
        }
        Ok(())
    }

    /// Runs `change` on an entry under the queue lock and saves the result, so
    /// that two processes never update the same entry from stale copies.
    pub fn update<T>(
        &self,
        id: &str,
        change: impl FnOnce(&mut QueueEntry) -> T,
    ) -> Result<T, QueueError> {
        let _guard = self.lock()?;
        let mut entry = self.load(id)?;
        let result = change(&mut entry);
        self.save(&entry)?;
        Ok(result)
    }

    /// Claims the oldest queued entry for `executor`, marking it running.
    pub fn claim_next(&self, executor: &str) -> Result<Option<QueueEntry>, QueueError> {
        let _guard = self.lock()?;
        let Some(mut entry) = self
            .list()
            .into_iter()
            .find(|entry| entry.status == EntryStatus::Queued)
        else {
            return Ok(None);
        };
        entry.status = EntryStatus::Running;
        entry.executor = executor.to_string();
        entry.started = Some(now());
        self.save(&entry)?;
        Ok(Some(entry))
    }

    /// An exclusive lock on the queue, released when dropped.
    pub fn lock(&self) -> Result<QueueLock, QueueError> {
        std::fs::create_dir_all(&self.dir).map_err(|source| QueueError::Io {
            action: "create the queue directory",
            path: self.dir.clone(),
            source,
        })?;
        let path = self.dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| QueueError::Io {
                action: "open the queue lock",
                path: path.clone(),
                source,
            })?;
        // SAFETY: flock on our own descriptor; it blocks until the lock is free.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(QueueError::Io {
                action: "lock",
                path,
                source: std::io::Error::last_os_error(),
            });
        }
        Ok(QueueLock { _file: file })
    }
}

/// Holds the queue lock; closing the file releases it.
pub struct QueueLock {
    _file: std::fs::File,
}

/// The current Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

/// A random hex id, from the time and process id mixed through SHA-256.
pub fn new_id() -> String {
    use sha2::{Digest, Sha256};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0);
    let seed = format!("{nanos}-{}-{:p}", std::process::id(), &nanos);
    let digest = Sha256::digest(seed.as_bytes());
    digest
        .iter()
        .take(5)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
