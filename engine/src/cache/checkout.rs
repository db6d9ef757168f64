//! Restoring workspace outputs from the cache (`dvc checkout`, run-cache restores,
//! switching experiments). A file is replaced unless it already has the recorded
//! content. A directory is made to match its listing: missing and changed files
//! are linked from the cache, and files the listing does not name are deleted
//! (files that `.dvcignore` hides are left alone). Callers decide beforehand
//! whether unsaved workspace changes may be overwritten.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::cache::{CacheError, CacheOptions, ObjectCache};
use crate::fsutil::{self, FsError, IoResultExt};
use crate::hash::dir::{list_files, DirEntry};
use crate::hash::parallel::{hash_files, FileToHash};
use crate::hash::{HashError, HashOptions};
use crate::hash_info::{HashAlgorithm, HashInfo};

/// Counts of the workspace files a checkout wrote, kept and deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckoutSummary {
    /// Files linked or copied from the cache.
    pub written: u64,
    /// Files that already had the right content.
    pub unchanged: u64,
    /// Files deleted because the directory listing does not name them.
    pub deleted: u64,
}

impl CheckoutSummary {
    pub fn changed(&self) -> bool {
        self.written > 0 || self.deleted > 0
    }

    fn add(&mut self, other: CheckoutSummary) {
        self.written += other.written;
        self.unchanged += other.unchanged;
        self.deleted += other.deleted;
    }
}

impl ObjectCache {
    /// Restores `path` to the content `hash` names, removing whatever is in the
    /// way first. Fails without touching the workspace when an object is missing.
    pub fn checkout(
        &self,
        path: &Path,
        hash: &HashInfo,
        options: &CacheOptions<'_>,
    ) -> Result<CheckoutSummary, CacheError> {
        if hash.is_dir() {
            return self.checkout_dir(path, hash, options);
        }
        let object = self.existing_object(hash.algorithm, &hash.value)?;
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            make_directory(parent)?;
        }
        let written = self.checkout_file(path, &object, hash, options)?;
        Ok(if written {
            CheckoutSummary {
                written: 1,
                ..CheckoutSummary::default()
            }
        } else {
            CheckoutSummary {
                unchanged: 1,
                ..CheckoutSummary::default()
            }
        })
    }

    fn existing_object(
        &self,
        algorithm: HashAlgorithm,
        value: &str,
    ) -> Result<PathBuf, CacheError> {
        let object = self.object_path_for(algorithm, value)?;
        if !object.is_file() {
            return Err(CacheError::MissingObject {
                value: value.to_string(),
                object,
            });
        }
        Ok(object)
    }

    fn checkout_dir(
        &self,
        dir: &Path,
        hash: &HashInfo,
        options: &CacheOptions<'_>,
    ) -> Result<CheckoutSummary, CacheError> {
        let listing = self.read_dir_object(hash)?;
        let objects: Vec<PathBuf> = listing
            .entries
            .iter()
            .map(|entry| self.existing_object(hash.algorithm, &entry.value))
            .collect::<Result<_, _>>()?;

        let mut summary = CheckoutSummary::default();
        match fs::symlink_metadata(dir) {
            Ok(metadata) if metadata.is_dir() => {
                summary.deleted = delete_unlisted_files(dir, &listing.entries, options)?;
            }
            Ok(_) => fsutil::remove_path(dir)?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(FsError::new("read metadata of", dir, error).into()),
        }
        make_directory(dir)?;

        // Create every parent directory first, in path order, so that the
        // parallel file step below never races on a shared parent.
        let parents: BTreeSet<PathBuf> = listing
            .entries
            .iter()
            .filter_map(|entry| Path::new(&entry.relpath).parent().map(Path::to_path_buf))
            .filter(|parent| !parent.as_os_str().is_empty())
            .collect();
        for parent in parents {
            make_directory(&dir.join(parent))?;
        }

        let results: Vec<CheckoutSummary> = listing
            .entries
            .par_iter()
            .zip(objects.par_iter())
            .map(|(entry, object)| {
                let file_hash = HashInfo {
                    algorithm: hash.algorithm,
                    value: entry.value.clone(),
                    size: None,
                    nfiles: None,
                    isexec: false,
                };
                let written =
                    self.checkout_file(&dir.join(&entry.relpath), object, &file_hash, options)?;
                Ok(CheckoutSummary {
                    written: u64::from(written),
                    unchanged: u64::from(!written),
                    deleted: 0,
                })
            })
            .collect::<Result<_, CacheError>>()?;
        for result in results {
            summary.add(result);
        }
        Ok(summary)
    }

    /// Puts `object` at `path` unless `path` already has its content. Returns
    /// whether anything was written.
    fn checkout_file(
        &self,
        path: &Path,
        object: &Path,
        hash: &HashInfo,
        options: &CacheOptions<'_>,
    ) -> Result<bool, CacheError> {
        let unchanged = match fs::symlink_metadata(path) {
            Ok(metadata) if metadata.is_dir() => {
                fsutil::remove_path(path)?;
                false
            }
            Ok(metadata) => self.has_content(path, &metadata, object, hash, options)?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => false,
            Err(error) => return Err(FsError::new("read metadata of", path, error).into()),
        };

        if !unchanged {
            self.link_back_replacing(path, object, options)?;
        }
        if hash.isexec {
            fsutil::add_owner_execute(path)?;
        }
        self.record_fingerprint(path, hash, options)?;
        Ok(!unchanged)
    }

    /// Replaces `path` with a link to `object`. Unlike `link_back`, a regular file
    /// at `path` is not kept for `copy`, since its content differs.
    fn link_back_replacing(
        &self,
        path: &Path,
        object: &Path,
        options: &CacheOptions<'_>,
    ) -> Result<(), CacheError> {
        crate::cache::link::replace_with_link(
            object,
            path,
            options.link_types,
            &self.unsupported_links,
        )?;
        Ok(())
    }

    /// Checks whether the existing workspace entry already has the object's
    /// content, which is the case when it is the object (a hard link or symlink to it),
    /// or a regular file of the same size whose hash matches. The hash comes from
    /// the fingerprint store or from reading the file.
    fn has_content(
        &self,
        path: &Path,
        metadata: &fs::Metadata,
        object: &Path,
        hash: &HashInfo,
        options: &CacheOptions<'_>,
    ) -> Result<bool, CacheError> {
        let object_metadata = fs::metadata(object).with_path("read metadata of", object)?;
        if metadata.file_type().is_symlink() {
            return Ok(fs::read_link(path).is_ok_and(|target| target == object));
        }
        if !metadata.is_file() || metadata.len() != object_metadata.len() {
            return Ok(false);
        }
        if metadata.ino() == object_metadata.ino() && metadata.dev() == object_metadata.dev() {
            return Ok(true);
        }
        let file = FileToHash::from_metadata(path.to_path_buf(), metadata)?;
        let hash_options = HashOptions {
            algorithm: hash.algorithm,
            ignore: None,
            fingerprints: options.fingerprints,
            progress: None,
            cancel: None,
        };
        let digests = hash_files(std::slice::from_ref(&file), &hash_options)?;
        Ok(digests[0].value == hash.value)
    }
}

/// Creates `dir` and its parents, removing files (or symlinks) that stand where a
/// directory has to go.
fn make_directory(dir: &Path) -> Result<(), CacheError> {
    match fs::create_dir_all(dir) {
        Ok(()) => return Ok(()),
        Err(error) if !matches!(error.raw_os_error(), Some(libc::EEXIST | libc::ENOTDIR)) => {
            return Err(FsError::new("create directory", dir, error).into())
        }
        Err(_) => {}
    }
    let mut current = PathBuf::new();
    for component in dir.components() {
        current.push(component);
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.is_dir() => continue,
            Ok(_) => fsutil::remove_path(&current)?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(FsError::new("read metadata of", &current, error).into()),
        }
        fs::create_dir(&current).with_path("create directory", &current)?;
    }
    Ok(())
}

/// Deletes the files under `dir` that the listing does not name and the ignore
/// rules do not hide. Returns how many were deleted.
fn delete_unlisted_files(
    dir: &Path,
    entries: &[DirEntry],
    options: &CacheOptions<'_>,
) -> Result<u64, CacheError> {
    let listed: HashSet<&str> = entries.iter().map(|entry| entry.relpath.as_str()).collect();
    let current = match list_files(dir, options.ignore) {
        Ok(current) => current,
        // A workspace that cannot be listed as a DVC directory (a FIFO, a broken
        // link, a .dvcignore inside) is replaced as a whole.
        Err(
            HashError::NotARegularFile { .. }
            | HashError::BrokenSymlink { .. }
            | HashError::NonUtf8Name { .. }
            | HashError::DvcIgnoreInsideOutput { .. },
        ) => {
            fsutil::remove_path(dir)?;
            return Ok(0);
        }
        Err(error) => return Err(error.into()),
    };
    let mut deleted = 0;
    for file in current {
        if !listed.contains(file.relpath.as_str()) {
            fsutil::remove_path(&file.file.path)?;
            deleted += 1;
        }
    }
    Ok(deleted)
}
