//! Content hashing of workspace files and directories, as DVC 3 computes it, plus
//! Retort's BLAKE3 opt-in.
//!
//! - [`file`]: streamed digests of one file (`md5`, `md5-dos2unix`, `blake3`).
//! - [`dir`]: the directory listing object (`.dir`) and the directory hash.
//! - [`dvcignore`]: which files DVC leaves out of a tracked directory.
//! - [`fingerprint`]: the persistent store that skips re-reading unchanged files.
//! - [`parallel`]: hashing many files on every core.
//!
//! [`hash_path`] is the entry point that combines them.

pub mod dir;
pub mod dvcignore;
pub mod file;
pub mod fingerprint;
pub mod parallel;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::fsutil::FsError;
use crate::hash_info::{HashAlgorithm, HashInfo};

pub use dir::DirObject;
pub use dvcignore::DvcIgnore;
pub use fingerprint::FingerprintStore;

/// Progress of a hashing run, reported to an optional callback so that a front
/// end can draw a progress bar. Totals are known before the first file is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashProgress {
    pub files_done: u64,
    pub files_total: u64,
    /// Bytes read so far. Files whose hash came from the fingerprint store count
    /// as done without being read.
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// A progress callback. It may be called from several threads at once.
pub type ProgressFn<'a> = &'a (dyn Fn(HashProgress) + Sync);

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Io(#[from] FsError),

    #[error(
        "cannot hash '{}': it is a {kind}, not a regular file or directory; \
         remove it or list it in .dvcignore",
        path.display()
    )]
    NotARegularFile { path: PathBuf, kind: &'static str },

    #[error(
        "cannot hash '{}': it is a symbolic link whose target does not exist; \
         fix or remove the link",
        path.display()
    )]
    BrokenSymlink { path: PathBuf },

    #[error(
        "cannot hash '{}': the file name is not valid UTF-8, which DVC's directory \
         listing cannot represent; rename the file",
        path.display()
    )]
    NonUtf8Name { path: PathBuf },

    #[error(
        "'{}' contains a .dvcignore file, which DVC does not allow inside a tracked \
         directory; move its rules to a .dvcignore file outside the directory",
        dir.display()
    )]
    DvcIgnoreInsideOutput { dir: PathBuf },

    #[error("invalid .dvcignore '{}': {message}", path.display())]
    InvalidDvcIgnore { path: PathBuf, message: String },

    #[error(
        "invalid directory object '{}': {reason}; delete it so that it is rebuilt \
         from the workspace or fetched again",
        path.display()
    )]
    InvalidDirObject { path: PathBuf, reason: String },

    #[error("'{}' does not exist", path.display())]
    NotFound { path: PathBuf },

    #[error("hashing was cancelled")]
    Cancelled,
}

/// Options shared by the functions that hash workspace paths.
#[derive(Clone, Copy)]
pub struct HashOptions<'a> {
    pub algorithm: HashAlgorithm,
    /// Rules that leave files out of directories. Without them only DVC's
    /// built-in rules apply (`.git`, `.hg` and `.dvc` are skipped).
    pub ignore: Option<&'a DvcIgnore>,
    /// Known hashes of unchanged files. New hashes are recorded into it.
    pub fingerprints: Option<&'a FingerprintStore>,
    pub progress: Option<ProgressFn<'a>>,
    /// Set to `true` from another thread to stop hashing with
    /// [`HashError::Cancelled`]; checked before each file and each chunk.
    pub cancel: Option<&'a AtomicBool>,
}

impl<'a> HashOptions<'a> {
    pub fn new(algorithm: HashAlgorithm) -> HashOptions<'a> {
        HashOptions {
            algorithm,
            ignore: None,
            fingerprints: None,
            progress: None,
            cancel: None,
        }
    }

    pub fn with_cancel(mut self, cancel: &'a AtomicBool) -> HashOptions<'a> {
        self.cancel = Some(cancel);
        self
    }

    /// Fails with [`HashError::Cancelled`] once cancellation was requested.
    pub fn check_cancelled(&self) -> Result<(), HashError> {
        match self.cancel {
            Some(flag) if flag.load(Ordering::Relaxed) => Err(HashError::Cancelled),
            _ => Ok(()),
        }
    }

    pub fn with_ignore(mut self, ignore: &'a DvcIgnore) -> HashOptions<'a> {
        self.ignore = Some(ignore);
        self
    }

    pub fn with_fingerprints(mut self, store: &'a FingerprintStore) -> HashOptions<'a> {
        self.fingerprints = Some(store);
        self
    }

    pub fn with_progress(mut self, progress: ProgressFn<'a>) -> HashOptions<'a> {
        self.progress = Some(progress);
        self
    }
}

/// The hash of a workspace path, with the listing object when it is a directory.
#[derive(Clone, Debug, PartialEq)]
pub struct HashedPath {
    pub hash_info: HashInfo,
    /// The `.dir` listing; `None` for a file.
    pub dir: Option<DirObject>,
}

/// Hashes a file or a directory. Symlinks to files are followed, as DVC does.
pub fn hash_path(path: &Path, options: &HashOptions<'_>) -> Result<HashedPath, HashError> {
    let metadata = dir::stat_following_links(path)?;
    if metadata.is_dir() {
        let listed = dir::list_files(path, options.ignore)?;
        let object = dir::hash_listed_files(&listed, options)?;
        let hash_info = object.hash_info();
        return Ok(HashedPath {
            hash_info,
            dir: Some(object),
        });
    }

    let file = parallel::FileToHash::from_metadata(path.to_path_buf(), &metadata)?;
    let mut digests = parallel::hash_files(std::slice::from_ref(&file), options)?;
    let digest = digests.pop().expect("one digest per input file");
    Ok(HashedPath {
        hash_info: HashInfo {
            algorithm: options.algorithm,
            value: digest.value,
            size: Some(digest.size),
            nfiles: None,
            isexec: file.isexec,
        },
        dir: None,
    })
}
