//! Run-cache entry files: `<cache>/runs/<key[:2]>/<key>/<value>`, each holding
//! the YAML of one lock entry (`cmd`, `deps`, `params`, `outs`, no stage name).
//! `<cache>` is the cache root, `.dvc/cache` by default; DVC 3 puts the runs
//! directory beside `files/`, not inside it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::hash::{run_cache_key, run_cache_value};
use super::RunCacheError;
use crate::lock::{parse_stage_entry, LockStage};
use crate::yaml_emit;

/// The directory under the cache root that contains the run-cache.
pub const RUNS_DIR: &str = "runs";

/// The mode DVC's local cache gives entry files (`chmod` after the move).
#[cfg(unix)]
const ENTRY_FILE_MODE: u32 = 0o644;

/// Returns the directory that contains every entry of `key`.
pub fn entry_dir(cache_dir: &Path, key: &str) -> PathBuf {
    let prefix = key.get(..2).unwrap_or(key);
    cache_dir.join(RUNS_DIR).join(prefix).join(key)
}

/// Returns the file of one entry.
pub fn entry_path(cache_dir: &Path, key: &str, value: &str) -> PathBuf {
    entry_dir(cache_dir, key).join(value)
}

/// Serializes `stage` as DVC writes it into an entry file.
pub fn entry_yaml(stage: &LockStage) -> String {
    yaml_emit::dump(&stage.to_value())
}

/// Reads and checks one entry file against the lock entry schema.
pub fn read_entry(path: &Path) -> Result<LockStage, RunCacheError> {
    let text = std::fs::read_to_string(path).map_err(|source| RunCacheError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    match parse_stage_entry(&text, path) {
        (Some(stage), _) => Ok(stage),
        (None, diagnostics) => Err(RunCacheError::Corrupted {
            path: path.to_path_buf(),
            diagnostics,
        }),
    }
}

/// Lists the entry files of `key`, newest first by modification time, which is
/// the order DVC picks them in. Ties are broken by file name so the order is
/// stable. A key without entries gives an empty list.
pub fn list_entries(cache_dir: &Path, key: &str) -> Result<Vec<PathBuf>, RunCacheError> {
    let dir = entry_dir(cache_dir, key);
    let read_error = |source| RunCacheError::Read {
        path: dir.clone(),
        source,
    };
    let listing = match std::fs::read_dir(&dir) {
        Ok(listing) => listing,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(read_error(error)),
    };
    let mut entries: Vec<(SystemTime, PathBuf)> = Vec::new();
    for item in listing {
        let item = item.map_err(read_error)?;
        let modified = item
            .metadata()
            .and_then(|metadata| metadata.modified())
            .map_err(read_error)?;
        entries.push((modified, item.path()));
    }
    entries.sort_by(|(a_time, a_path), (b_time, b_path)| {
        b_time.cmp(a_time).then_with(|| a_path.cmp(b_path))
    });
    Ok(entries.into_iter().map(|(_, path)| path).collect())
}

/// Loads the newest entry of `key`, as DVC does when it looks for a cached run.
/// A corrupted newest entry is deleted with a warning and gives `None`, as in
/// DVC, which then runs the stage.
pub fn load_newest(cache_dir: &Path, key: &str) -> Result<Option<LockStage>, RunCacheError> {
    let Some(newest) = list_entries(cache_dir, key)?.into_iter().next() else {
        return Ok(None);
    };
    match read_entry(&newest) {
        Ok(stage) => Ok(Some(stage)),
        Err(RunCacheError::Corrupted { path, .. }) => {
            tracing::warn!("corrupted cache file '{}'", path.display());
            remove_corrupted(&path)?;
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Saves `stage` as a run-cache entry unless a valid entry with the same key
/// and value exists. Returns the path written, or `None` when the entry was
/// already there. The file is written to a temporary name in the key directory
/// and renamed into place.
pub fn write_entry(cache_dir: &Path, stage: &LockStage) -> Result<Option<PathBuf>, RunCacheError> {
    let key = run_cache_key(stage);
    let value = run_cache_value(stage);
    let path = entry_path(cache_dir, &key, &value);
    match read_entry(&path) {
        Ok(_) => return Ok(None),
        Err(RunCacheError::Corrupted { .. }) => remove_corrupted(&path)?,
        Err(_) => {}
    }

    let write_error = |source| RunCacheError::Write {
        path: path.clone(),
        source,
    };
    let dir = entry_dir(cache_dir, &key);
    std::fs::create_dir_all(&dir).map_err(write_error)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(write_error)?;
    temp.write_all(entry_yaml(stage).as_bytes())
        .map_err(write_error)?;
    temp.as_file().sync_all().map_err(write_error)?;
    let file = temp
        .persist(&path)
        .map_err(|error| write_error(error.error))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::Permissions::from_mode(ENTRY_FILE_MODE);
        file.set_permissions(permissions).map_err(write_error)?;
    }
    drop(file);
    Ok(Some(path))
}

fn remove_corrupted(path: &Path) -> Result<(), RunCacheError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(RunCacheError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}
