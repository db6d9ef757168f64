//! The project lock: one run at a time per workspace. Retort takes the same
//! lock DVC takes (an exclusive `flock` on `.dvc/tmp/lock`, holding ` <pid>\n`),
//! so Retort and DVC also exclude each other.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ProjectLockError {
    #[error("another process holds the project lock '{}': {holder}; wait for it to finish, or stop it", path.display())]
    Held { path: PathBuf, holder: String },
    #[error("unable to take the project lock '{}': {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct ProjectLock {
    file: File,
    path: PathBuf,
}

impl ProjectLock {
    /// Takes the lock of the project whose `.dvc` directory is `dvc_dir`,
    /// failing at once if another process holds it.
    pub fn acquire(dvc_dir: &Path) -> Result<ProjectLock, ProjectLockError> {
        let tmp = dvc_dir.join("tmp");
        let path = tmp.join("lock");
        let io_error = |source| ProjectLockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&tmp).map_err(io_error)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        // SAFETY: flock on a descriptor we own; it has no memory effects.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if !locked {
            let mut content = String::new();
            let _ = file.read_to_string(&mut content);
            return Err(ProjectLockError::Held {
                path: path.clone(),
                holder: describe_holder(content.trim()),
            });
        }
        // Write the pid the way DVC's lock library does, so either tool can name
        // the other in its message.
        file.set_len(0).map_err(io_error)?;
        file.seek(SeekFrom::Start(0)).map_err(io_error)?;
        writeln!(file, " {}", std::process::id()).map_err(io_error)?;
        file.flush().map_err(io_error)?;
        Ok(ProjectLock { file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        // SAFETY: unlocking our own descriptor; closing it would unlock too.
        unsafe {
            libc::flock(self.file.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

/// Names the process with `pid`: its command line when it still runs.
fn describe_holder(pid_text: &str) -> String {
    let Ok(pid) = pid_text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .parse::<u32>()
    else {
        return "an unknown process".to_string();
    };
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(bytes) if !bytes.is_empty() => {
            let command: Vec<String> = bytes
                .split(|byte| *byte == 0)
                .filter(|part| !part.is_empty())
                .map(|part| String::from_utf8_lossy(part).into_owned())
                .collect();
            format!("process {pid} ({})", command.join(" "))
        }
        _ => format!("process {pid}"),
    }
}
