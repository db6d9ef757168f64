//! Advisory file locks (`flock`) for what several run processes change at the
//! same time. Queue entries have their own lock (`Queue::lock`). This one
//! guards experiment refs, because runs on different machines that finish
//! together must check a ref's name and create the ref in one step. `flock` works across
//! machines on NFS (Linux turns it into an NFS lock) and on Lustre, BeeGFS and
//! GPFS mounted with lock support.

use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// Holds an exclusive lock until dropped (closing the file releases it).
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Blocks until this process holds the exclusive lock on `path`, creating
    /// the file when needed.
    pub fn exclusive(path: &Path) -> std::io::Result<FileLock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        loop {
            // SAFETY: flock on a descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(FileLock { _file: file });
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }
}

/// Returns the lock file for creating experiment refs. It is in the git
/// directory, which every run of the repository shares.
pub fn exp_refs_lock_path(git: &git2::Repository) -> std::path::PathBuf {
    git.commondir().join("retort-exp-refs.lock")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn lock_excludes_other_holders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let inside = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                let inside = inside.clone();
                let max = max.clone();
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        // Each open is a separate lock owner, as in separate processes.
                        let _lock = FileLock::exclusive(&path).unwrap();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        max.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_micros(200));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(max.load(Ordering::SeqCst), 1);
    }
}
