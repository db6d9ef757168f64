//! Directory hashing as DVC 3 does it.
//!
//! A directory's content is described by its listing object (`.dir` in the
//! cache): the JSON text of `[{"md5": <file hash>, "relpath": <path>}, ...]`,
//! sorted by relpath, written as Python's `json.dumps(..., sort_keys=True)`
//! (separators `", "` and `": "`, non-ASCII as `\uXXXX`, no trailing newline).
//! Relpaths use `/` at every depth. The directory hash is the MD5 of those bytes
//! plus the suffix `.dir`. Its size is the total of the file sizes, and nfiles is
//! the number of entries.
//!
//! What goes into the listing (checked against dvc 3.67.1 `dvc add`): every
//! regular file at any depth, including `.gitignore` files and dotfiles; symlinks
//! to files, hashed by their target's content. Left out: empty directories,
//! symlinks to directories (not followed), directories that hold a `.dvc` entry
//! (nested DVC repositories), and whatever the `.dvcignore` rules and DVC's
//! built-in rules (`.git`, `.hg`, `.dvc`) ignore. A `.dvcignore` file
//! inside the directory is an error, as in DVC. A broken symlink is an error, as
//! in DVC. FIFOs, sockets and device files are an error here, where DVC would
//! try to read them (and blocks forever on a FIFO).
//!
//! Retort's BLAKE3 mode uses the same layout with the key `blake3` in place of
//! `md5` (`[{"blake3": ..., "relpath": ...}]`), and the directory hash is the
//! BLAKE3 of the listing bytes plus `.dir`. DVC cannot read such listings.
//! Listings of DVC 2 (`md5-dos2unix`) entries also use the key `md5`.

use std::fs::{self, Metadata};
use std::io;
use std::path::Path;

use rayon::prelude::*;
use serde_json::Value;

use crate::fsutil::{FsError, IoResultExt};
use crate::hash::dvcignore::{is_nested_repo, DirRules, DvcIgnore, DVCIGNORE_FILE};
use crate::hash::file::hash_bytes;
use crate::hash::parallel::{hash_files, FileToHash};
use crate::hash::{HashError, HashOptions};
use crate::hash_info::{HashAlgorithm, HashInfo};
use crate::pyfmt::json_dumps_sorted;

/// The suffix that marks a directory hash.
pub const DIR_SUFFIX: &str = ".dir";

/// One file of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Path inside the directory, `/`-separated.
    pub relpath: String,
    /// Hex digest of the file.
    pub value: String,
    /// File size in bytes, when known. Listings in the cache do not store sizes,
    /// so entries read back from the cache have `None`.
    pub size: Option<u64>,
}

/// A directory listing, with entries sorted by relpath.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirObject {
    pub algorithm: HashAlgorithm,
    pub entries: Vec<DirEntry>,
}

impl DirObject {
    /// Builds a listing from unsorted entries.
    pub fn new(algorithm: HashAlgorithm, mut entries: Vec<DirEntry>) -> DirObject {
        // Python sorts str by code point, which for UTF-8 text is byte order.
        entries.sort_by(|left, right| left.relpath.cmp(&right.relpath));
        DirObject { algorithm, entries }
    }

    /// Returns the JSON key that contains each entry's hash.
    pub fn hash_key(algorithm: HashAlgorithm) -> &'static str {
        match algorithm {
            HashAlgorithm::Md5 | HashAlgorithm::Md5Dos2Unix => "md5",
            HashAlgorithm::Blake3 => "blake3",
        }
    }

    /// Serializes the listing to the exact bytes DVC stores in the cache.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Equal to `json_dumps_sorted` of the list of `{key: value, "relpath":
        // relpath}` objects (both hash keys sort before "relpath"), written
        // entry by entry to avoid building a JSON tree for large listings.
        let key = json_dumps_sorted(&Value::String(
            DirObject::hash_key(self.algorithm).to_string(),
        ));
        let mut out = String::with_capacity(self.entries.len() * 96 + 2);
        out.push('[');
        for (index, entry) in self.entries.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            out.push('{');
            out.push_str(&key);
            out.push_str(": ");
            out.push_str(&json_dumps_sorted(&Value::String(entry.value.clone())));
            out.push_str(", \"relpath\": ");
            out.push_str(&json_dumps_sorted(&Value::String(entry.relpath.clone())));
            out.push('}');
        }
        out.push(']');
        out.into_bytes()
    }

    /// Computes the directory hash: the digest of the listing bytes plus `.dir`. For
    /// `md5-dos2unix` listings the digest is plain MD5, as the listing is JSON
    /// with no carriage returns.
    pub fn hash_value(&self) -> String {
        let algorithm = match self.algorithm {
            HashAlgorithm::Md5Dos2Unix => HashAlgorithm::Md5,
            other => other,
        };
        let mut value = hash_bytes(&self.to_bytes(), algorithm);
        value.push_str(DIR_SUFFIX);
        value
    }

    /// Builds the hash record of the directory. `size` is only set when every
    /// entry's size is known.
    pub fn hash_info(&self) -> HashInfo {
        let size = self
            .entries
            .iter()
            .map(|entry| entry.size)
            .sum::<Option<u64>>();
        HashInfo {
            algorithm: self.algorithm,
            value: self.hash_value(),
            size,
            nfiles: Some(self.entries.len() as u64),
            isexec: false,
        }
    }

    /// Parses a listing read from the cache. `path` is only used in errors.
    pub fn parse(
        bytes: &[u8],
        algorithm: HashAlgorithm,
        path: &Path,
    ) -> Result<DirObject, HashError> {
        let invalid = |reason: String| HashError::InvalidDirObject {
            path: path.to_path_buf(),
            reason,
        };
        let value: Value =
            serde_json::from_slice(bytes).map_err(|error| invalid(format!("not JSON: {error}")))?;
        let Value::Array(items) = value else {
            return Err(invalid("expected a JSON list".to_string()));
        };

        let key = DirObject::hash_key(algorithm);
        let mut entries = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let field = |name: &str| {
                item.get(name)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| invalid(format!("entry {index} has no string `{name}`")))
            };
            let relpath = field("relpath")?;
            check_relpath(&relpath)
                .map_err(|reason| invalid(format!("entry {index}: {reason}")))?;
            entries.push(DirEntry {
                relpath,
                value: field(key)?,
                size: item.get("size").and_then(Value::as_u64),
            });
        }
        Ok(DirObject::new(algorithm, entries))
    }
}

/// Rejects relpaths that would escape the directory on checkout.
fn check_relpath(relpath: &str) -> Result<(), String> {
    let escapes = relpath.is_empty()
        || relpath.starts_with('/')
        || relpath
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if escapes {
        return Err(format!("relpath '{relpath}' is not a plain relative path"));
    }
    Ok(())
}

/// A file found inside a directory that is being hashed.
#[derive(Clone, Debug)]
pub struct ListedFile {
    /// `/`-separated path inside the directory.
    pub relpath: String,
    pub file: FileToHash,
}

/// `stat` that follows symlinks, with DVC-style errors for missing paths and
/// broken links.
pub fn stat_following_links(path: &Path) -> Result<Metadata, HashError> {
    match fs::metadata(path) {
        Ok(metadata) => Ok(metadata),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            if fs::symlink_metadata(path).is_ok() {
                Err(HashError::BrokenSymlink {
                    path: path.to_path_buf(),
                })
            } else {
                Err(HashError::NotFound {
                    path: path.to_path_buf(),
                })
            }
        }
        Err(error) => Err(FsError::new("read metadata of", path, error).into()),
    }
}

/// Lists the files DVC would put in the listing of `dir`, sorted by relpath.
pub fn list_files(dir: &Path, ignore: Option<&DvcIgnore>) -> Result<Vec<ListedFile>, HashError> {
    let builtin;
    let ignore = match ignore {
        Some(ignore) => ignore,
        None => {
            builtin = DvcIgnore::builtin_only();
            &builtin
        }
    };
    let rules = ignore.rules_below(dir)?;
    let mut files = Vec::new();
    walk(dir, "", &rules, &mut files)?;
    files.sort_by(|left, right| left.relpath.cmp(&right.relpath));
    Ok(files)
}

fn walk(
    dir: &Path,
    prefix: &str,
    rules: &DirRules,
    files: &mut Vec<ListedFile>,
) -> Result<(), HashError> {
    let mut subdirs = Vec::new();
    let mut saw_dvcignore = false;

    for entry in fs::read_dir(dir).with_path("list", dir)? {
        let entry = entry.with_path("list", dir)?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            return Err(HashError::NonUtf8Name { path });
        };
        let relpath = format!("{prefix}{name}");
        let file_type = entry.file_type().with_path("read the type of", &path)?;

        let metadata = if file_type.is_symlink() {
            match stat_following_links(&path) {
                // DVC's walk lists a symlink to a directory as a directory but
                // does not enter it, so nothing below it is hashed.
                Ok(metadata) if metadata.is_dir() => continue,
                Ok(metadata) => Some(metadata),
                Err(HashError::BrokenSymlink { .. }) | Err(HashError::NotFound { .. })
                    if rules.is_ignored(Path::new(&relpath), false) =>
                {
                    continue
                }
                Err(error) => return Err(error),
            }
        } else {
            None
        };

        if file_type.is_dir() {
            if !rules.is_ignored(Path::new(&relpath), true) && !is_nested_repo(&path) {
                subdirs.push((path, relpath));
            }
            continue;
        }
        if rules.is_ignored(Path::new(&relpath), false) {
            continue;
        }
        if name == DVCIGNORE_FILE {
            saw_dvcignore = true;
            continue;
        }
        let metadata = match metadata {
            Some(metadata) => metadata,
            None => entry.metadata().with_path("read metadata of", &path)?,
        };
        files.push(ListedFile {
            relpath,
            file: FileToHash::from_metadata(path, &metadata)?,
        });
    }

    if saw_dvcignore {
        return Err(HashError::DvcIgnoreInsideOutput {
            dir: dir.to_path_buf(),
        });
    }

    // Subdirectories are listed in parallel: on large trees the walk is mostly
    // waiting on `stat`, which several threads overlap.
    let nested: Vec<Vec<ListedFile>> = subdirs
        .par_iter()
        .map(|(path, relpath)| {
            let mut found = Vec::new();
            walk(path, &format!("{relpath}/"), rules, &mut found)?;
            Ok(found)
        })
        .collect::<Result<_, HashError>>()?;
    files.extend(nested.into_iter().flatten());
    Ok(())
}

/// Hashes listed files (in parallel, reusing fingerprints) into a listing.
pub fn hash_listed_files(
    files: &[ListedFile],
    options: &HashOptions<'_>,
) -> Result<DirObject, HashError> {
    let to_hash: Vec<FileToHash> = files.iter().map(|listed| listed.file.clone()).collect();
    let digests = hash_files(&to_hash, options)?;
    let entries = files
        .iter()
        .zip(digests)
        .map(|(listed, digest)| DirEntry {
            relpath: listed.relpath.clone(),
            value: digest.value,
            size: Some(digest.size),
        })
        .collect();
    Ok(DirObject::new(options.algorithm, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_bytes_follow_python_json() {
        let object = DirObject::new(
            HashAlgorithm::Md5,
            vec![
                DirEntry {
                    relpath: "é/b".to_string(),
                    value: "bb".to_string(),
                    size: Some(1),
                },
                DirEntry {
                    relpath: "a".to_string(),
                    value: "aa".to_string(),
                    size: Some(2),
                },
            ],
        );
        assert_eq!(
            String::from_utf8(object.to_bytes()).unwrap(),
            r#"[{"md5": "aa", "relpath": "a"}, {"md5": "bb", "relpath": "\u00e9/b"}]"#
        );
        let info = object.hash_info();
        assert!(info.value.ends_with(".dir"));
        assert_eq!(info.size, Some(3));
        assert_eq!(info.nfiles, Some(2));
    }

    #[test]
    fn parse_round_trips_and_rejects_escapes() {
        let object = DirObject::new(
            HashAlgorithm::Blake3,
            vec![DirEntry {
                relpath: "x/y".to_string(),
                value: "ab".to_string(),
                size: None,
            }],
        );
        let parsed =
            DirObject::parse(&object.to_bytes(), HashAlgorithm::Blake3, Path::new("t")).unwrap();
        assert_eq!(parsed, object);

        let escaping = br#"[{"md5": "aa", "relpath": "../etc/passwd"}]"#;
        assert!(DirObject::parse(escaping, HashAlgorithm::Md5, Path::new("t")).is_err());
    }
}
