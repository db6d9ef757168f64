//! File system helpers shared by the hashing, cache and file-writing code: atomic
//! replacement of files, removal of whole trees (including read-only cache links),
//! and the permission bits DVC uses for cache objects.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Mode of every object in the cache: read-only for everyone, as DVC's
/// `LocalHashFileDB.CACHE_MODE`, so that a hard- or symlinked workspace file
/// cannot be edited in place by accident.
pub const CACHE_OBJECT_MODE: u32 = 0o444;

/// A failed file system operation, with the path it failed on.
#[derive(Debug, thiserror::Error)]
#[error("failed to {action} '{}': {source}", path.display())]
pub struct FsError {
    /// What was being done, as a verb phrase ("write", "rename into place").
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl FsError {
    pub fn new(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> FsError {
        FsError {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Extension trait that attaches an action and a path to an `io::Result`.
pub trait IoResultExt<T> {
    fn with_path(self, action: &'static str, path: &Path) -> Result<T, FsError>;
}

impl<T> IoResultExt<T> for io::Result<T> {
    fn with_path(self, action: &'static str, path: &Path) -> Result<T, FsError> {
        self.map_err(|source| FsError::new(action, path, source))
    }
}

/// Replaces `path` with `bytes` atomically: readers see the old file or the new
/// one, never a partial write. The data goes to a temporary file in the same
/// directory, is flushed to disk, and is renamed over the target. An existing
/// target keeps its permission bits; a new file gets `0o666` minus the umask,
/// like any file a program creates.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let existing_mode = existing_permission_bits(path)?;
    let (temp_path, mut file) = create_temp_sibling(path, 0o666)?;

    let written = (|| -> Result<(), FsError> {
        file.write_all(bytes).with_path("write", &temp_path)?;
        if let Some(mode) = existing_mode {
            file.set_permissions(fs::Permissions::from_mode(mode))
                .with_path("set permissions of", &temp_path)?;
        }
        file.sync_all().with_path("flush", &temp_path)?;
        drop(file);
        fs::rename(&temp_path, path).with_path("rename into place", path)
    })();

    if written.is_err() {
        let _ = fs::remove_file(&temp_path);
    }
    written?;
    sync_parent_dir(path);
    Ok(())
}

/// Permission bits of the file at `path`, or `None` when it does not exist.
fn existing_permission_bits(path: &Path) -> Result<Option<u32>, FsError> {
    match fs::metadata(path) {
        Ok(metadata) => Ok(Some(metadata.permissions().mode() & 0o7777)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(FsError::new("read metadata of", path, error)),
    }
}

/// Creates a new, empty file next to `path` with a unique hidden name and the
/// given mode (the umask applies). The caller renames it over `path` or deletes it.
pub fn create_temp_sibling(path: &Path, mode: u32) -> Result<(PathBuf, File), FsError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let parent = parent_dir(path);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    loop {
        let serial = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut temp_name = OsString::from(".");
        temp_name.push(format!(
            "{}.{}.{}.{}.tmp",
            truncate_name(&name, 64),
            std::process::id(),
            serial,
            random_suffix()
        ));
        let temp_path = parent.join(temp_name);
        let opened = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp_path);
        match opened {
            Ok(file) => return Ok((temp_path, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(FsError::new("create a temporary file in", parent, error)),
        }
    }
}

/// Returns a path next to `path` that no file uses, for staging a replacement that
/// is created by something other than `create_temp_sibling` (a hard link, a symlink).
pub fn temp_sibling_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let serial = COUNTER.fetch_add(1, Ordering::Relaxed);
    parent_dir(path).join(format!(
        ".{}.{}.{}.{}.tmp",
        truncate_name(&name, 64),
        std::process::id(),
        serial,
        random_suffix()
    ))
}

/// The directory that contains `path`; `.` for a bare file name.
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Cuts a file name to at most `max_bytes` bytes on a character boundary, so that
/// temporary names built from long names stay under the 255-byte name limit.
fn truncate_name(name: &str, max_bytes: usize) -> &str {
    if name.len() <= max_bytes {
        return name;
    }
    let mut end = max_bytes;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// A value that differs between processes and calls, to keep temporary names
/// unique even when two processes share a pid namespace boundary.
fn random_suffix() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    use std::time::{SystemTime, UNIX_EPOCH};

    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or_default();
    RandomState::new().hash_one(nanos) & 0xffff_ffff
}

/// Flushes the directory entry of a rename to disk. Failures are ignored because
/// some file systems do not support syncing directories and the rename itself
/// has already happened.
fn sync_parent_dir(path: &Path) {
    if let Ok(dir) = File::open(parent_dir(path)) {
        let _ = dir.sync_all();
    }
}

/// Removes a file, a symlink (not its target) or a whole directory tree. A missing
/// path is not an error. Read-only directories inside the tree are made writable
/// first, because Unix needs write permission on a directory to delete its entries.
pub fn remove_path(path: &Path) -> Result<(), FsError> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(FsError::new("read metadata of", path, error)),
    };

    if !metadata.is_dir() {
        return match fs::remove_file(path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                Err(FsError::new("remove", path, error))
            }
            _ => Ok(()),
        };
    }

    if metadata.permissions().mode() & 0o200 == 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(metadata.mode() | 0o700))
            .with_path("make writable", path)?;
    }
    for entry in fs::read_dir(path).with_path("list", path)? {
        let entry = entry.with_path("list", path)?;
        remove_path(&entry.path())?;
    }
    match fs::remove_dir(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            Err(FsError::new("remove directory", path, error))
        }
        _ => Ok(()),
    }
}

/// Sets the permission bits of `path` (following symlinks) to `mode`.
pub fn set_mode(path: &Path, mode: u32) -> Result<(), FsError> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_path("set permissions of", path)
}

/// Whether a file's owner may execute it, which is what DVC records as `isexec`.
pub fn is_executable(metadata: &fs::Metadata) -> bool {
    metadata.is_file() && metadata.permissions().mode() & 0o100 != 0
}

/// Adds the owner's execute bit, as DVC does when it checks out an output
/// recorded with `isexec: true`.
pub fn add_owner_execute(path: &Path) -> Result<(), FsError> {
    let metadata = fs::metadata(path).with_path("read metadata of", path)?;
    let mode = metadata.permissions().mode();
    if mode & 0o100 == 0 {
        set_mode(path, (mode | 0o100) & 0o7777)?;
    }
    Ok(())
}

/// Creates `dir` and its missing parents.
pub fn create_dir_all(dir: &Path) -> Result<(), FsError> {
    fs::create_dir_all(dir).with_path("create directory", dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_creates_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");

        atomic_write(&path, b"first").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"first");

        atomic_write(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");

        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| name != "out.txt")
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }

    #[test]
    fn atomic_write_keeps_existing_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("script.sh");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o751)).unwrap();

        atomic_write(&path, b"new").unwrap();

        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o751);
    }

    #[test]
    fn atomic_write_applies_umask_to_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.txt");

        atomic_write(&path, b"x").unwrap();

        // Reading the umask changes it, so compare against a file that the
        // standard library creates in the same directory with the default mode.
        let reference = dir.path().join("reference.txt");
        fs::write(&reference, "x").unwrap();
        let expected = fs::metadata(&reference).unwrap().permissions().mode();
        let actual = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(actual, expected);
    }

    #[test]
    fn remove_path_deletes_read_only_trees() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        fs::create_dir_all(tree.join("inner")).unwrap();
        fs::write(tree.join("inner/file"), "x").unwrap();
        set_mode(&tree.join("inner/file"), 0o444).unwrap();
        set_mode(&tree.join("inner"), 0o555).unwrap();

        remove_path(&tree).unwrap();

        assert!(!tree.exists());
    }

    #[test]
    fn remove_path_removes_symlink_not_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), "x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();

        remove_path(&link).unwrap();

        assert!(fs::symlink_metadata(&link).is_err());
        assert!(target.join("keep").exists());
    }

    #[test]
    fn remove_path_accepts_missing_path() {
        let dir = tempfile::tempdir().unwrap();
        remove_path(&dir.path().join("missing")).unwrap();
    }
}
