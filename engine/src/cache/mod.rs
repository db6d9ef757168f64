//! The object cache: content-addressed copies of outputs, laid out as DVC 3 does,
//! `<cache>/files/md5/<first 2 hex>/<remaining hex>` for files and the same path
//! plus `.dir` for directory listings. Retort's BLAKE3 mode uses
//! `<cache>/files/blake3/...`, and DVC 2's `md5-dos2unix` objects live at
//! `<cache>/<2 hex>/<rest>`. Objects are read-only (mode 0444) and are written
//! under a temporary name and renamed into place, so a reader never sees a
//! partial object.
//!
//! - [`ObjectCache::save`] puts a workspace file or directory into the cache and
//!   links it back (`save.rs`).
//! - [`ObjectCache::checkout`] restores a workspace path from the cache
//!   (`checkout.rs`).
//! - [`gitignore`] keeps cached outputs out of git as DVC does.

mod checkout;
pub mod gitignore;
pub mod link;
mod save;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::fsutil::{self, FsError, IoResultExt, CACHE_OBJECT_MODE};
use crate::hash::dir::DIR_SUFFIX;
#[cfg(doc)]
use crate::hash::HashOptions;
use crate::hash::{DirObject, DvcIgnore, FingerprintStore, HashError, ProgressFn};
use crate::hash_info::{HashAlgorithm, HashInfo};

pub use checkout::CheckoutSummary;
pub use link::{LinkError, LinkType};

/// The default cache directory, relative to the repository root.
pub const DEFAULT_CACHE_DIR: &str = ".dvc/cache";

/// The subdirectory of DVC 3 objects (`cachemgr.FILES_DIR`).
const FILES_DIR: &str = "files";

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Hash(#[from] HashError),

    #[error(transparent)]
    Io(#[from] FsError),

    #[error(transparent)]
    Link(#[from] LinkError),

    #[error(
        "the cache has no object {value} (expected at '{}'); fetch it with `dvc pull`, \
         or run the stage that produces it again",
        object.display()
    )]
    MissingObject { value: String, object: PathBuf },

    #[error(
        "invalid hash value '{value}': expected lowercase hex digits, optionally \
         followed by .dir; fix the entry in the lock or .dvc file"
    )]
    InvalidHash { value: String },

    #[error(
        "the cache directory '{}' is not a directory; point cache.dir at a directory",
        path.display()
    )]
    NotADirectory { path: PathBuf },
}

/// Settings shared by [`ObjectCache::save`] and [`ObjectCache::checkout`].
#[derive(Clone, Copy)]
pub struct CacheOptions<'a> {
    /// Link types to try, in order (`cache.type`).
    pub link_types: &'a [LinkType],
    /// Rules that leave files out of directories.
    pub ignore: Option<&'a DvcIgnore>,
    /// Known hashes, used to skip reading unchanged files and updated with the
    /// fingerprints of the files that were written.
    pub fingerprints: Option<&'a FingerprintStore>,
    pub progress: Option<ProgressFn<'a>>,
    /// Stops the hashing phase of a save when set; see [`HashOptions::cancel`].
    pub cancel: Option<&'a AtomicBool>,
}

impl<'a> CacheOptions<'a> {
    pub fn new(link_types: &'a [LinkType]) -> CacheOptions<'a> {
        CacheOptions {
            link_types,
            ignore: None,
            fingerprints: None,
            progress: None,
            cancel: None,
        }
    }

    pub fn with_ignore(mut self, ignore: &'a DvcIgnore) -> CacheOptions<'a> {
        self.ignore = Some(ignore);
        self
    }

    pub fn with_fingerprints(mut self, store: &'a FingerprintStore) -> CacheOptions<'a> {
        self.fingerprints = Some(store);
        self
    }

    pub fn with_progress(mut self, progress: ProgressFn<'a>) -> CacheOptions<'a> {
        self.progress = Some(progress);
        self
    }
}

/// A local object cache for one hash algorithm.
#[derive(Debug)]
pub struct ObjectCache {
    root: PathBuf,
    algorithm: HashAlgorithm,
    unsupported_links: link::UnsupportedLinks,
}

impl ObjectCache {
    /// Opens the cache at `cache_dir` (usually `.dvc/cache`), which saves new
    /// objects hashed with `algorithm`. Directories are created on first write.
    pub fn open(cache_dir: &Path, algorithm: HashAlgorithm) -> Result<ObjectCache, CacheError> {
        match fs::metadata(cache_dir) {
            Ok(metadata) if !metadata.is_dir() => {
                return Err(CacheError::NotADirectory {
                    path: cache_dir.to_path_buf(),
                })
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(FsError::new("read metadata of", cache_dir, error).into()),
        }
        Ok(ObjectCache {
            root: std::path::absolute(cache_dir).unwrap_or_else(|_| cache_dir.to_path_buf()),
            algorithm,
            unsupported_links: link::UnsupportedLinks::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// Returns the path of the object for `hash`. The layout follows the hash's
    /// own algorithm, so DVC 2 entries resolve to the legacy layout.
    pub fn object_path(&self, hash: &HashInfo) -> Result<PathBuf, CacheError> {
        self.object_path_for(hash.algorithm, &hash.value)
    }

    fn object_path_for(
        &self,
        algorithm: HashAlgorithm,
        value: &str,
    ) -> Result<PathBuf, CacheError> {
        let digest = value.strip_suffix(DIR_SUFFIX).unwrap_or(value);
        let valid = digest.len() > 2
            && digest
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if !valid {
            return Err(CacheError::InvalidHash {
                value: value.to_string(),
            });
        }
        let base = match algorithm {
            HashAlgorithm::Md5Dos2Unix => self.root.clone(),
            HashAlgorithm::Md5 | HashAlgorithm::Blake3 => {
                self.root.join(FILES_DIR).join(algorithm.name())
            }
        };
        Ok(base.join(&value[..2]).join(&value[2..]))
    }

    /// Checks whether the cache contains `hash`: the object file, and for a
    /// directory also every file its listing names.
    pub fn contains(&self, hash: &HashInfo) -> bool {
        let Ok(path) = self.object_path(hash) else {
            return false;
        };
        if !path.is_file() {
            return false;
        }
        if !hash.is_dir() {
            return true;
        }
        match self.read_dir_object(hash) {
            Ok(listing) => listing.entries.iter().all(|entry| {
                self.object_path_for(hash.algorithm, &entry.value)
                    .map(|object| object.is_file())
                    .unwrap_or(false)
            }),
            Err(_) => false,
        }
    }

    /// Reads the listing of a directory hash from the cache.
    pub fn read_dir_object(&self, hash: &HashInfo) -> Result<DirObject, CacheError> {
        let path = self.object_path(hash)?;
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(CacheError::MissingObject {
                    value: hash.value.clone(),
                    object: path,
                })
            }
            Err(error) => return Err(FsError::new("read", &path, error).into()),
        };
        Ok(DirObject::parse(&bytes, hash.algorithm, &path)?)
    }

    /// Writes a directory listing into the cache unless it is already there.
    pub fn write_dir_object(&self, listing: &DirObject) -> Result<HashInfo, CacheError> {
        let hash = listing.hash_info();
        let path = self.object_path(&hash)?;
        if !path.is_file() {
            let bytes = listing.to_bytes();
            self.write_object_bytes(&path, &bytes)?;
        }
        Ok(hash)
    }

    /// Writes an object from memory: temporary file, mode 0444, rename.
    fn write_object_bytes(&self, object: &Path, bytes: &[u8]) -> Result<(), CacheError> {
        fsutil::create_dir_all(fsutil::parent_dir(object))?;
        let (temp, file) = fsutil::create_temp_sibling(object, 0o666)?;
        let written = (|| -> Result<(), FsError> {
            use std::io::Write;
            let mut file = file;
            file.write_all(bytes).with_path("write", &temp)?;
            file.sync_all().with_path("flush", &temp)?;
            drop(file);
            fsutil::set_mode(&temp, CACHE_OBJECT_MODE)?;
            fs::rename(&temp, object).with_path("rename into place", object)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        Ok(written?)
    }
}
