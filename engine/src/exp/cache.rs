//! A per-commit cache of collected experiment data, so that `exp show` over
//! hundreds of experiments reads one small file per commit instead of loading
//! pipelines and params from git trees. Commits never change, so an entry is
//! valid forever; entries with file errors are not written (as in DVC, whose
//! own cache is `.dvc/tmp/exps/cache`). Retort keeps its cache apart, under
//! `.dvc/tmp/retort/exp-cache/<sha>`, as one line of JSON.

use std::path::{Path, PathBuf};

use super::data::ExpData;
use super::json::Json;

/// Bumped whenever the collected data changes shape or meaning.
const FORMAT_VERSION: i64 = 1;

pub struct ExpCache {
    dir: PathBuf,
    /// False for a project without a `.dvc` directory, where creating one
    /// just for the cache would add files the user did not ask for.
    writable: bool,
}

impl ExpCache {
    pub fn new(tmp_dir: &Path) -> ExpCache {
        ExpCache {
            dir: tmp_dir.join("retort").join("exp-cache"),
            writable: tmp_dir.parent().is_some_and(Path::is_dir),
        }
    }

    fn path(&self, sha: &str) -> PathBuf {
        self.dir.join(sha)
    }

    pub fn get(&self, sha: &str) -> Option<ExpData> {
        let text = std::fs::read_to_string(self.path(sha)).ok()?;
        let json = Json::parse(&text).ok()?;
        if json.get("version").and_then(Json::as_i64) != Some(FORMAT_VERSION) {
            return None;
        }
        let data = ExpData::from_cache_json(json.get("data")?)?;
        (data.rev == sha).then_some(data)
    }

    /// Stores data; failures only cost speed, so they are logged and ignored.
    pub fn put(&self, data: &ExpData) {
        if !self.writable || data.rev == "workspace" || data.contains_error() {
            return;
        }
        let mut json = data.to_json();
        json.insert("timestamp", data.timestamp.map_or(Json::Null, Json::Int));
        let entry = Json::object()
            .with("version", Json::Int(FORMAT_VERSION))
            .with("data", json);
        if let Err(error) = write_atomic(&self.dir, &self.path(&data.rev), entry.dumps().as_bytes())
        {
            tracing::debug!(
                "unable to write the experiment cache for {}: {error}",
                data.rev
            );
        }
    }

    pub fn remove(&self, sha: &str) {
        let _ = std::fs::remove_file(self.path(sha));
    }
}

/// Writes a file through a temporary file in the same directory.
pub(crate) fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.persist(path).map_err(|error| error.error)?;
    Ok(())
}
