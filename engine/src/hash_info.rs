//! The identity of a file or directory's content, as dvc.lock and the run-cache
//! record it for every dependency and output.

use std::fmt;

use serde::Serialize;

/// The hash function behind a recorded hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum HashAlgorithm {
    /// DVC 3's `md5`: MD5 of the raw bytes. Lock entries write `hash: md5`.
    Md5,
    /// DVC 2's `md5-dos2unix`: MD5 after converting CRLF to LF in text files. Lock
    /// entries written by DVC 2 have an `md5:` key and no `hash:` key.
    Md5Dos2Unix,
    /// BLAKE3, a Retort opt-in for projects that do not need DVC to read them. Lock
    /// entries write `hash: blake3`; DVC cannot read such entries.
    Blake3,
}

impl HashAlgorithm {
    /// The name used in lock entries and cache directories (`files/<name>/`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Md5 => "md5",
            HashAlgorithm::Md5Dos2Unix => "md5-dos2unix",
            HashAlgorithm::Blake3 => "blake3",
        }
    }

    pub fn from_name(name: &str) -> Option<HashAlgorithm> {
        match name {
            "md5" => Some(HashAlgorithm::Md5),
            "md5-dos2unix" => Some(HashAlgorithm::Md5Dos2Unix),
            "blake3" => Some(HashAlgorithm::Blake3),
            _ => None,
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// A content hash with the metadata DVC records beside it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct HashInfo {
    pub algorithm: HashAlgorithm,
    /// Lowercase hex digest. Directory hashes end in `.dir`: they are the hash of
    /// the directory's listing object in the cache.
    pub value: String,
    /// Total size in bytes (for a directory, of all its files).
    pub size: Option<u64>,
    /// Number of files, for directories only.
    pub nfiles: Option<u64>,
    /// Whether the file has an executable bit; DVC writes `isexec: true` only then.
    pub isexec: bool,
}

impl HashInfo {
    pub fn is_dir(&self) -> bool {
        self.value.ends_with(".dir")
    }
}
