//! Saving workspace outputs into the cache (`dvc add`, `dvc commit`, and the end of
//! a stage run): hash, insert each new object, then make the workspace path a link
//! to the cached object with the first `cache.type` that works.
//!
//! How a new object gets into the cache depends on the first usable link type.
//! Reflink and copy clone or copy the workspace file and leave it in place.
//! Hardlink links the workspace file itself into the cache, so it becomes
//! read-only. Symlink moves the file into the cache and leaves a symlink behind.
//!
//! When the object is already cached, the workspace file is replaced by a link to
//! it. The exception is `copy`: the workspace file already has the same content,
//! so it is kept as it is (DVC would copy the object over it again).

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rayon::prelude::*;

use crate::cache::link::{self, LinkError, LinkType};
use crate::cache::{CacheError, CacheOptions, ObjectCache};
use crate::fsutil::{self, FsError, IoResultExt, CACHE_OBJECT_MODE};
use crate::hash::fingerprint::Fingerprint;
use crate::hash::{hash_path, DirObject, HashOptions};
use crate::hash_info::HashInfo;

impl ObjectCache {
    /// Saves a file or directory into the cache and links it back into the
    /// workspace. Returns its hash as a lock entry records it.
    pub fn save(&self, path: &Path, options: &CacheOptions<'_>) -> Result<HashInfo, CacheError> {
        let hashed = hash_path(path, &self.hash_options(options))?;
        match hashed.dir {
            Some(listing) => self.save_listed_dir(path, &listing, options),
            None => {
                let hash_info = hashed.hash_info;
                self.save_file_object(path, &hash_info.value, options)?;
                if hash_info.isexec {
                    fsutil::add_owner_execute(path)?;
                }
                self.record_fingerprint(path, &hash_info, options)?;
                Ok(hash_info)
            }
        }
    }

    /// Saves a directory: one object per file plus the `.dir` listing. Returns the
    /// directory hash and the listing.
    pub fn save_dir(
        &self,
        path: &Path,
        options: &CacheOptions<'_>,
    ) -> Result<(HashInfo, DirObject), CacheError> {
        let hashed = hash_path(path, &self.hash_options(options))?;
        let Some(listing) = hashed.dir else {
            return Err(CacheError::Io(FsError::new(
                "save as a directory",
                path,
                std::io::Error::from(std::io::ErrorKind::NotADirectory),
            )));
        };
        let hash_info = self.save_listed_dir(path, &listing, options)?;
        Ok((hash_info, listing))
    }

    pub(crate) fn hash_options<'a>(&self, options: &CacheOptions<'a>) -> HashOptions<'a> {
        HashOptions {
            algorithm: self.algorithm,
            ignore: options.ignore,
            fingerprints: options.fingerprints,
            progress: options.progress,
            cancel: options.cancel,
        }
    }

    fn save_listed_dir(
        &self,
        dir: &Path,
        listing: &DirObject,
        options: &CacheOptions<'_>,
    ) -> Result<HashInfo, CacheError> {
        // Files with equal content share one object. Handling each group on one
        // thread keeps two threads from inserting the same object at once.
        let mut groups: HashMap<&str, Vec<&str>> = HashMap::new();
        for entry in &listing.entries {
            groups.entry(&entry.value).or_default().push(&entry.relpath);
        }
        groups
            .into_par_iter()
            .try_for_each(|(value, relpaths)| -> Result<(), CacheError> {
                for relpath in relpaths {
                    let path = dir.join(relpath);
                    self.save_file_object(&path, value, options)?;
                    let file_hash = HashInfo {
                        algorithm: self.algorithm,
                        value: value.to_string(),
                        size: None,
                        nfiles: None,
                        isexec: false,
                    };
                    self.record_fingerprint(&path, &file_hash, options)?;
                }
                Ok(())
            })?;
        self.write_dir_object(listing)
    }

    /// Puts one workspace file into the cache as object `value` (unless it is
    /// there already) and links the workspace path to it.
    fn save_file_object(
        &self,
        path: &Path,
        value: &str,
        options: &CacheOptions<'_>,
    ) -> Result<(), CacheError> {
        let object = self.object_path_for(self.algorithm, value)?;
        let workspace = fs::symlink_metadata(path).with_path("read metadata of", path)?;

        if object.is_file() {
            self.link_back(path, &object, options.link_types)?;
        } else if workspace.file_type().is_symlink() {
            // The workspace path links to a file elsewhere. Hard-linking or moving
            // it would touch that file, so its content is cloned or copied into
            // the cache and the symlink is replaced afterwards.
            let target = fs::canonicalize(path).with_path("resolve the link", path)?;
            self.insert_copy(&target, &object)?;
            self.link_back(path, &object, options.link_types)?;
        } else {
            self.insert_from_workspace(path, &object, options.link_types)?;
        }
        Ok(())
    }

    /// Inserts a regular workspace file as `object` with the first link type that
    /// works, leaving the workspace path pointing at the same content.
    ///
    /// NOTE: the file is not hashed again after insertion, as in DVC, so a write
    /// between hashing and insertion would store new content under the old name.
    fn insert_from_workspace(
        &self,
        path: &Path,
        object: &Path,
        link_types: &[LinkType],
    ) -> Result<(), CacheError> {
        fsutil::create_dir_all(fsutil::parent_dir(object))?;
        let mut failures = Vec::new();
        for &link_type in link_types {
            if self.unsupported_links.contains(link_type) {
                continue;
            }
            let temp = fsutil::temp_sibling_path(object);
            let attempt = match link_type {
                LinkType::Symlink => fs::rename(path, &temp),
                other => link::create_link(path, &temp, other),
            };
            match attempt {
                Ok(()) => {
                    self.publish_object(&temp, object)?;
                    if link_type == LinkType::Symlink {
                        self.restore_moved_file(path, object, link_types)?;
                    }
                    return Ok(());
                }
                Err(error)
                    if link::is_unsupported_link_error(&error) && link_type != LinkType::Copy =>
                {
                    let _ = fs::remove_file(&temp);
                    self.unsupported_links.insert(link_type);
                    failures.push(format!("{link_type}: {error}"));
                }
                Err(error) => {
                    let _ = fs::remove_file(&temp);
                    return Err(FsError::new("add to the cache", path, error).into());
                }
            }
        }
        Err(LinkError::NoneWorked {
            path: path.to_path_buf(),
            tried: if failures.is_empty() {
                "every listed type failed earlier in this run".to_string()
            } else {
                failures.join("; ")
            },
        }
        .into())
    }

    /// After the symlink strategy moved the file into the cache, puts a link at
    /// the workspace path. If no link works, a copy goes back so no data is lost
    /// from the workspace.
    fn restore_moved_file(
        &self,
        path: &Path,
        object: &Path,
        link_types: &[LinkType],
    ) -> Result<(), CacheError> {
        match link::replace_with_link(object, path, link_types, &self.unsupported_links) {
            Ok(_) => Ok(()),
            Err(error) => {
                link::replace_with_link(object, path, &[LinkType::Copy], &self.unsupported_links)?;
                Err(error.into())
            }
        }
    }

    /// Copies (or clones) a file that must stay untouched into the cache.
    fn insert_copy(&self, source: &Path, object: &Path) -> Result<(), CacheError> {
        fsutil::create_dir_all(fsutil::parent_dir(object))?;
        let temp = fsutil::temp_sibling_path(object);
        let cloned = if self.unsupported_links.contains(LinkType::Reflink) {
            Err(std::io::Error::from_raw_os_error(libc::EOPNOTSUPP))
        } else {
            link::reflink(source, &temp)
        };
        if let Err(error) = cloned {
            if link::is_unsupported_link_error(&error) {
                self.unsupported_links.insert(LinkType::Reflink);
            }
            link::copy(source, &temp).with_path("copy into the cache", source)?;
        }
        self.publish_object(&temp, object)
    }

    /// Makes a staged object read-only and renames it to its final name.
    fn publish_object(&self, temp: &Path, object: &Path) -> Result<(), CacheError> {
        let published = fsutil::set_mode(temp, CACHE_OBJECT_MODE)
            .and_then(|()| fs::rename(temp, object).with_path("rename into place", object));
        if published.is_err() {
            let _ = fs::remove_file(temp);
        }
        Ok(published?)
    }

    /// Makes the workspace path a link to `object`, which has the same content.
    /// Paths that already are such a link are left alone, and so is a regular
    /// file when the next link type to try is `copy`.
    pub(crate) fn link_back(
        &self,
        path: &Path,
        object: &Path,
        link_types: &[LinkType],
    ) -> Result<LinkType, CacheError> {
        let workspace = fs::symlink_metadata(path).ok();
        let object_metadata = fs::metadata(object).with_path("read metadata of", object)?;
        let is_regular = workspace
            .as_ref()
            .is_some_and(|metadata| metadata.is_file());

        for &link_type in link_types {
            let already_linked = match link_type {
                LinkType::Hardlink => workspace.as_ref().is_some_and(|metadata| {
                    metadata.ino() == object_metadata.ino()
                        && metadata.dev() == object_metadata.dev()
                }),
                LinkType::Symlink => fs::read_link(path).is_ok_and(|target| target == object),
                LinkType::Copy => is_regular,
                LinkType::Reflink => false,
            };
            if already_linked {
                return Ok(link_type);
            }
            match link::replace_with_link(object, path, &[link_type], &self.unsupported_links) {
                Ok(linked) => return Ok(linked),
                Err(LinkError::NoneWorked { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(LinkError::NoneWorked {
            path: path.to_path_buf(),
            tried: link_types
                .iter()
                .map(|link_type| link_type.name())
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into())
    }

    /// Stores the workspace file's current fingerprint with its hash, so the next
    /// status does not read it again.
    pub(crate) fn record_fingerprint(
        &self,
        path: &Path,
        hash: &HashInfo,
        options: &CacheOptions<'_>,
    ) -> Result<(), CacheError> {
        if let Some(store) = options.fingerprints {
            let metadata = fs::metadata(path).with_path("read metadata of", path)?;
            store.record(
                path,
                Fingerprint::from_metadata(&metadata),
                hash.algorithm,
                &hash.value,
            );
        }
        Ok(())
    }
}
