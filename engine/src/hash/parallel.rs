//! Hashing many files at once on rayon's thread pool (one thread per core), with
//! fingerprint reuse and progress reporting.

use std::fs::{File, Metadata};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::fsutil::{is_executable, IoResultExt};
use crate::hash::file::{hash_reader, FileDigest};
use crate::hash::fingerprint::Fingerprint;
use crate::hash::{HashError, HashOptions, HashProgress, ProgressFn};

/// A regular file (or symlink to one) to hash, with its fingerprint at the time
/// it was listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileToHash {
    pub path: PathBuf,
    pub fingerprint: Fingerprint,
    pub isexec: bool,
}

impl FileToHash {
    /// Describes the file at `path` from metadata that follows symlinks. Anything
    /// but a regular file is rejected: reading a FIFO would block forever.
    pub fn from_metadata(path: PathBuf, metadata: &Metadata) -> Result<FileToHash, HashError> {
        if !metadata.is_file() {
            return Err(HashError::NotARegularFile {
                path,
                kind: file_kind(metadata),
            });
        }
        Ok(FileToHash {
            fingerprint: Fingerprint::from_metadata(metadata),
            isexec: is_executable(metadata),
            path,
        })
    }
}

fn file_kind(metadata: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;

    let file_type = metadata.file_type();
    if file_type.is_dir() {
        "directory"
    } else if file_type.is_fifo() {
        "named pipe (FIFO)"
    } else if file_type.is_socket() {
        "socket"
    } else if file_type.is_block_device() || file_type.is_char_device() {
        "device file"
    } else {
        "special file"
    }
}

/// Shared counters behind the progress callback.
struct ProgressCounter<'a> {
    callback: Option<ProgressFn<'a>>,
    files_total: u64,
    bytes_total: u64,
    files_done: AtomicU64,
    bytes_done: AtomicU64,
}

impl ProgressCounter<'_> {
    fn report(&self) {
        if let Some(callback) = self.callback {
            callback(HashProgress {
                files_done: self.files_done.load(Ordering::Relaxed),
                files_total: self.files_total,
                bytes_done: self.bytes_done.load(Ordering::Relaxed),
                bytes_total: self.bytes_total,
            });
        }
    }

    fn add_bytes(&self, bytes: u64) {
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
        self.report();
    }

    fn finish_file(&self) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
        self.report();
    }
}

/// Hashes `files`, returning one digest per file in the same order. Files whose
/// fingerprint is in the store are not read. Every file that is read and did not
/// change while it was read is recorded in the store.
pub fn hash_files(
    files: &[FileToHash],
    options: &HashOptions<'_>,
) -> Result<Vec<FileDigest>, HashError> {
    let algorithm = options.algorithm;
    let known: Vec<Option<String>> = files
        .iter()
        .map(|file| {
            options
                .fingerprints
                .and_then(|store| store.lookup(&file.path, &file.fingerprint, algorithm))
        })
        .collect();

    let counter = ProgressCounter {
        callback: options.progress,
        files_total: files.len() as u64,
        bytes_total: files.iter().map(|file| file.fingerprint.size).sum(),
        files_done: AtomicU64::new(0),
        bytes_done: AtomicU64::new(0),
    };
    let reused = known.iter().filter(|value| value.is_some()).count() as u64;
    let reused_bytes: u64 = files
        .iter()
        .zip(&known)
        .filter(|(_, value)| value.is_some())
        .map(|(file, _)| file.fingerprint.size)
        .sum();
    counter.files_done.store(reused, Ordering::Relaxed);
    counter.bytes_done.store(reused_bytes, Ordering::Relaxed);
    if reused > 0 {
        counter.report();
    }

    files
        .par_iter()
        .zip(known.into_par_iter())
        .map(|(file, known)| match known {
            Some(value) => Ok(FileDigest {
                value,
                size: file.fingerprint.size,
            }),
            None => {
                let digest = hash_one(file, options, &counter)?;
                counter.finish_file();
                Ok(digest)
            }
        })
        .collect()
}

fn hash_one(
    file: &FileToHash,
    options: &HashOptions<'_>,
    counter: &ProgressCounter<'_>,
) -> Result<FileDigest, HashError> {
    options.check_cancelled()?;
    let mut handle = File::open(&file.path).with_path("open", &file.path)?;
    let mut cancelled = false;
    let mut reader = CancellableReader {
        inner: &mut handle,
        options,
        cancelled: &mut cancelled,
    };
    let read = hash_reader(&mut reader, options.algorithm, &mut |bytes| {
        counter.add_bytes(bytes)
    });
    if cancelled {
        return Err(HashError::Cancelled);
    }
    let digest = read.with_path("read", &file.path)?;

    if let Some(store) = options.fingerprints {
        // Record only when the file was not replaced or written while it was
        // read; otherwise the digest may mix old and new content.
        let after = handle
            .metadata()
            .with_path("read metadata of", &file.path)?;
        let fingerprint = Fingerprint::from_metadata(&after);
        if fingerprint == file.fingerprint && digest.size == fingerprint.size {
            store.record(&file.path, fingerprint, options.algorithm, &digest.value);
        }
    }
    Ok(digest)
}

/// A reader that fails once cancellation is requested, so a large file stops
/// between chunks.
struct CancellableReader<'r, 'o> {
    inner: &'r mut File,
    options: &'r HashOptions<'o>,
    cancelled: &'r mut bool,
}

impl std::io::Read for CancellableReader<'_, '_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.options.check_cancelled().is_err() {
            *self.cancelled = true;
            return Err(std::io::Error::other("hashing was cancelled"));
        }
        self.inner.read(buffer)
    }
}
