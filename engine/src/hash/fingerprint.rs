//! The fingerprint store: remembers the hash of each file together with the file's
//! inode, size, modification time and status-change time, so that a file whose
//! fingerprint has not changed is not read again. It plays the role of DVC's
//! `.dvc/tmp/hashes` state database, in its own file under `.dvc/tmp/retort/`
//! (DVC ignores everything under `.dvc/`).
//!
//! The store is a cache: a missing, unreadable or corrupt file means "nothing
//! known", never an error. It is loaded with one read and written atomically
//! (temporary file and rename). When two processes save at once, each merges its
//! new entries into what it finds on disk, and the last rename wins.
//!
//! A hash is only trusted when the file's timestamps are older than the moment the
//! hash was recorded by more than the timestamp resolution. Otherwise a write that
//! lands in the same timestamp tick right after hashing could leave the fingerprint
//! unchanged ("racily clean", as git calls it), and such files are hashed again.

use std::collections::HashMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::fsutil::{self, FsError};
use crate::hash::{hash_path, DvcIgnore, HashError, HashOptions, HashedPath, ProgressFn};
use crate::hash_info::HashAlgorithm;

/// Where the store lives, relative to the repository root.
pub const STORE_RELATIVE_PATH: &str = ".dvc/tmp/retort/fingerprints";

const MAGIC: &[u8; 8] = b"RTFPRINT";
const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 16;
/// Fixed part of an entry: algorithm, digest length, path length, then five
/// 64-bit numbers (inode, size, mtime, ctime, recording time).
const ENTRY_FIXED_LEN: usize = 1 + 1 + 2 + 5 * 8;

/// How much older than the recording time a file's timestamps must be for its
/// stored hash to be trusted, on file systems with sub-second timestamps. Linux
/// stamps files from a clock that ticks every 1 to 10 ms, so this has a wide margin.
const RACY_WINDOW_FINE_NS: i64 = 50_000_000;
/// The same, for file systems that store whole seconds (FAT has 2-second steps).
const RACY_WINDOW_COARSE_NS: i64 = 2_000_000_000;

/// The identity of a file's current content as the file system reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    pub inode: u64,
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
}

impl Fingerprint {
    /// The fingerprint of the file `metadata` describes (use metadata that follows
    /// symlinks, so that a link's target is fingerprinted).
    pub fn from_metadata(metadata: &fs::Metadata) -> Fingerprint {
        Fingerprint {
            inode: metadata.ino(),
            size: metadata.size(),
            mtime_ns: metadata.mtime() * 1_000_000_000 + metadata.mtime_nsec(),
            ctime_ns: metadata.ctime() * 1_000_000_000 + metadata.ctime_nsec(),
        }
    }

    /// Whether a hash recorded at `recorded_ns` can be trusted for a file with
    /// this fingerprint (see the module documentation).
    fn is_settled_at(&self, recorded_ns: i64) -> bool {
        let newest = self.mtime_ns.max(self.ctime_ns);
        let coarse = self.mtime_ns % 1_000_000_000 == 0 && self.ctime_ns % 1_000_000_000 == 0;
        let window = if coarse {
            RACY_WINDOW_COARSE_NS
        } else {
            RACY_WINDOW_FINE_NS
        };
        recorded_ns.saturating_sub(newest) > window
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    algorithm: u8,
    /// Path relative to the store root when it is inside it, else absolute.
    path: Box<[u8]>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    fingerprint: Fingerprint,
    recorded_ns: i64,
    digest: Box<[u8]>,
}

/// Size, modification time and inode of the store file, to notice whether another
/// process replaced it since it was loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    mtime_ns: i64,
    inode: u64,
}

/// Known hashes of files, keyed by path and algorithm. Lookups and records take
/// `&self`, so threads hashing in parallel can share one store.
#[derive(Debug)]
pub struct FingerprintStore {
    root: PathBuf,
    file: Option<PathBuf>,
    loaded: HashMap<Key, Entry>,
    recorded: Mutex<HashMap<Key, Entry>>,
    loaded_stamp: Option<FileStamp>,
}

impl FingerprintStore {
    /// Opens the store of the repository at `repo_root`.
    pub fn open(repo_root: &Path) -> FingerprintStore {
        FingerprintStore::open_file(repo_root.join(STORE_RELATIVE_PATH), repo_root)
    }

    /// Opens the store saved at `file`, with paths under `root` stored relative to
    /// it so that the repository can move.
    pub fn open_file(file: PathBuf, root: &Path) -> FingerprintStore {
        let (loaded, loaded_stamp) = read_store_file(&file);
        FingerprintStore {
            root: absolute(root),
            file: Some(file),
            loaded,
            recorded: Mutex::new(HashMap::new()),
            loaded_stamp,
        }
    }

    /// A store that is never saved, for hashing outside a repository.
    pub fn in_memory(root: &Path) -> FingerprintStore {
        FingerprintStore {
            root: absolute(root),
            file: None,
            loaded: HashMap::new(),
            recorded: Mutex::new(HashMap::new()),
            loaded_stamp: None,
        }
    }

    /// The file the store is saved to, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Number of known hashes.
    pub fn len(&self) -> usize {
        let recorded = self
            .recorded
            .lock()
            .expect("fingerprint store lock poisoned");
        self.loaded.len()
            + recorded
                .keys()
                .filter(|key| !self.loaded.contains_key(key))
                .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the stored hash of `path` when its fingerprint is unchanged and
    /// settled. `path` may be relative to the current directory.
    pub fn lookup(
        &self,
        path: &Path,
        fingerprint: &Fingerprint,
        algorithm: HashAlgorithm,
    ) -> Option<String> {
        let key = self.key(path, algorithm);
        let recorded = self
            .recorded
            .lock()
            .expect("fingerprint store lock poisoned");
        let entry = recorded.get(&key).or_else(|| self.loaded.get(&key))?;
        if entry.fingerprint != *fingerprint || !fingerprint.is_settled_at(entry.recorded_ns) {
            return None;
        }
        Some(crate::hash::file::to_hex(&entry.digest))
    }

    /// Remembers that `path`, with `fingerprint`, hashes to the hex digest `value`.
    /// A value that is not hex (such as a `.dir` hash) is ignored: directories are
    /// not stored, their files are.
    pub fn record(
        &self,
        path: &Path,
        fingerprint: Fingerprint,
        algorithm: HashAlgorithm,
        value: &str,
    ) {
        let Some(digest) = from_hex(value) else {
            return;
        };
        let entry = Entry {
            fingerprint,
            recorded_ns: now_ns(),
            digest: digest.into_boxed_slice(),
        };
        let key = self.key(path, algorithm);
        self.recorded
            .lock()
            .expect("fingerprint store lock poisoned")
            .insert(key, entry);
    }

    /// Hashes a file or directory, reusing and recording fingerprints.
    pub fn hash_path(
        &self,
        path: &Path,
        algorithm: HashAlgorithm,
        ignore: Option<&DvcIgnore>,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<HashedPath, HashError> {
        let mut options = HashOptions::new(algorithm).with_fingerprints(self);
        options.ignore = ignore;
        options.progress = progress;
        hash_path(path, &options)
    }

    /// Writes the store if anything was recorded since it was opened. Entries that
    /// another process saved meanwhile are kept unless this process recorded the
    /// same path. A store made with [`FingerprintStore::in_memory`] is not written.
    pub fn save(&mut self) -> Result<(), FsError> {
        let Some(file) = self.file.clone() else {
            return Ok(());
        };
        let recorded = std::mem::take(
            &mut *self
                .recorded
                .lock()
                .expect("fingerprint store lock poisoned"),
        );
        if recorded.is_empty() {
            return Ok(());
        }

        if stamp_of(&file) != self.loaded_stamp {
            let (on_disk, stamp) = read_store_file(&file);
            self.loaded = on_disk;
            self.loaded_stamp = stamp;
        }
        self.loaded.extend(recorded);

        let bytes = encode(&self.loaded);
        fsutil::create_dir_all(fsutil::parent_dir(&file))?;
        fsutil::atomic_write(&file, &bytes)?;
        self.loaded_stamp = stamp_of(&file);
        Ok(())
    }

    /// Drops entries whose file no longer exists, to keep the store small after
    /// outputs are deleted or renamed. It stats every stored path.
    pub fn prune_missing(&mut self) {
        let root = self.root.clone();
        let exists = |key: &Key| {
            let path = Path::new(std::ffi::OsStr::from_bytes(&key.path));
            root.join(path).exists()
        };
        self.loaded.retain(|key, _| exists(key));
        self.recorded
            .lock()
            .expect("fingerprint store lock poisoned")
            .retain(|key, _| exists(key));
        // Force the next save to rewrite the file even without new records.
        if self.file.is_some() {
            self.loaded_stamp = None;
        }
    }

    fn key(&self, path: &Path, algorithm: HashAlgorithm) -> Key {
        let absolute_path = absolute(path);
        let stored = absolute_path
            .strip_prefix(&self.root)
            .unwrap_or(&absolute_path);
        Key {
            algorithm: algorithm_code(algorithm),
            path: stored.as_os_str().as_bytes().into(),
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as i64)
        .unwrap_or_default()
}

fn algorithm_code(algorithm: HashAlgorithm) -> u8 {
    match algorithm {
        HashAlgorithm::Md5 => 1,
        HashAlgorithm::Md5Dos2Unix => 2,
        HashAlgorithm::Blake3 => 3,
    }
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || text.len() % 2 != 0 || text.len() > 2 * 255 {
        return None;
    }
    let digit = |byte: u8| (byte as char).to_digit(16).map(|value| value as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

fn stamp_of(file: &Path) -> Option<FileStamp> {
    let metadata = fs::metadata(file).ok()?;
    Some(FileStamp {
        len: metadata.len(),
        mtime_ns: metadata.mtime() * 1_000_000_000 + metadata.mtime_nsec(),
        inode: metadata.ino(),
    })
}

/// Loads a store file. Anything unreadable yields an empty map: the store is only
/// a cache, and the files will be hashed again.
fn read_store_file(file: &Path) -> (HashMap<Key, Entry>, Option<FileStamp>) {
    let bytes = match fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(file = %file.display(), %error, "cannot read the fingerprint store; files will be hashed again");
            }
            return (HashMap::new(), None);
        }
    };
    let stamp = stamp_of(file);
    match decode(&bytes) {
        Some(entries) => (entries, stamp),
        None => {
            tracing::warn!(file = %file.display(), "the fingerprint store is corrupt or from another version; files will be hashed again");
            (HashMap::new(), stamp)
        }
    }
}

/// Serializes entries: a header (magic, version, entry count), then per entry the
/// fixed fields in little-endian order followed by the digest and path bytes.
fn encode(entries: &HashMap<Key, Entry>) -> Vec<u8> {
    let payload: usize = entries
        .iter()
        .map(|(key, entry)| ENTRY_FIXED_LEN + entry.digest.len() + key.path.len())
        .sum();
    let mut out = Vec::with_capacity(HEADER_LEN + payload);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());

    let storable = entries
        .iter()
        .filter(|(key, entry)| key.path.len() <= u16::MAX as usize && entry.digest.len() <= 255);
    out.extend_from_slice(&(storable.clone().count() as u32).to_le_bytes());
    for (key, entry) in storable {
        out.push(key.algorithm);
        out.push(entry.digest.len() as u8);
        out.extend_from_slice(&(key.path.len() as u16).to_le_bytes());
        out.extend_from_slice(&entry.fingerprint.inode.to_le_bytes());
        out.extend_from_slice(&entry.fingerprint.size.to_le_bytes());
        out.extend_from_slice(&entry.fingerprint.mtime_ns.to_le_bytes());
        out.extend_from_slice(&entry.fingerprint.ctime_ns.to_le_bytes());
        out.extend_from_slice(&entry.recorded_ns.to_le_bytes());
        out.extend_from_slice(&entry.digest);
        out.extend_from_slice(&key.path);
    }
    out
}

fn decode(bytes: &[u8]) -> Option<HashMap<Key, Entry>> {
    let mut reader = ByteReader { bytes, position: 0 };
    if reader.take(MAGIC.len())? != MAGIC || reader.u32()? != FORMAT_VERSION {
        return None;
    }
    let count = reader.u32()? as usize;
    // Each entry takes at least ENTRY_FIXED_LEN bytes, which bounds a corrupt count.
    if count > bytes.len() / ENTRY_FIXED_LEN {
        return None;
    }

    let mut entries = HashMap::with_capacity(count);
    for _ in 0..count {
        let algorithm = reader.u8()?;
        let digest_len = reader.u8()? as usize;
        let path_len = reader.u16()? as usize;
        let fingerprint = Fingerprint {
            inode: reader.u64()?,
            size: reader.u64()?,
            mtime_ns: reader.u64()? as i64,
            ctime_ns: reader.u64()? as i64,
        };
        let recorded_ns = reader.u64()? as i64;
        let digest = reader.take(digest_len)?.into();
        let path = reader.take(path_len)?.into();
        entries.insert(
            Key { algorithm, path },
            Entry {
                fingerprint,
                recorded_ns,
                digest,
            },
        );
    }
    (reader.position == bytes.len()).then_some(entries)
}

struct ByteReader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> ByteReader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.position.checked_add(len)?;
        let slice = self.bytes.get(self.position..end)?;
        self.position = end;
        Some(slice)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old_fingerprint() -> Fingerprint {
        Fingerprint {
            inode: 42,
            size: 7,
            mtime_ns: 1_600_000_000_123_456_789,
            ctime_ns: 1_600_000_000_123_456_789,
        }
    }

    #[test]
    fn saved_store_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("data.csv");
        let mut store = FingerprintStore::open(dir.path());
        assert!(store.is_empty());

        store.record(
            &target,
            old_fingerprint(),
            HashAlgorithm::Md5,
            "0cc175b9c0f1b6a831c399e269772661",
        );
        store.save().unwrap();

        let reopened = FingerprintStore::open(dir.path());
        assert_eq!(reopened.len(), 1);
        assert_eq!(
            reopened
                .lookup(&target, &old_fingerprint(), HashAlgorithm::Md5)
                .as_deref(),
            Some("0cc175b9c0f1b6a831c399e269772661")
        );
        assert_eq!(
            reopened.lookup(&target, &old_fingerprint(), HashAlgorithm::Blake3),
            None
        );
    }

    #[test]
    fn changed_fingerprint_misses() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        let store = FingerprintStore::in_memory(dir.path());
        store.record(&target, old_fingerprint(), HashAlgorithm::Md5, "00ff");

        let mut changed = old_fingerprint();
        changed.ctime_ns += 1;
        assert_eq!(store.lookup(&target, &changed, HashAlgorithm::Md5), None);
        assert_eq!(
            store
                .lookup(&target, &old_fingerprint(), HashAlgorithm::Md5)
                .as_deref(),
            Some("00ff")
        );
    }

    #[test]
    fn just_modified_file_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        let store = FingerprintStore::in_memory(dir.path());
        let mut fresh = old_fingerprint();
        fresh.mtime_ns = now_ns();
        fresh.ctime_ns = fresh.mtime_ns;

        store.record(&target, fresh, HashAlgorithm::Md5, "00ff");

        assert_eq!(store.lookup(&target, &fresh, HashAlgorithm::Md5), None);
    }

    #[test]
    fn corrupt_store_file_loads_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(STORE_RELATIVE_PATH);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        let mut store = FingerprintStore::open(dir.path());
        store.record(
            &dir.path().join("f"),
            old_fingerprint(),
            HashAlgorithm::Md5,
            "00ff",
        );
        store.save().unwrap();
        let mut bytes = fs::read(&file).unwrap();

        bytes.truncate(bytes.len() - 1);
        fs::write(&file, &bytes).unwrap();
        assert!(FingerprintStore::open(dir.path()).is_empty());

        fs::write(&file, b"garbage").unwrap();
        assert!(FingerprintStore::open(dir.path()).is_empty());
    }

    #[test]
    fn concurrent_saves_merge_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = FingerprintStore::open(dir.path());
        let mut second = FingerprintStore::open(dir.path());

        first.record(
            &dir.path().join("a"),
            old_fingerprint(),
            HashAlgorithm::Md5,
            "aa",
        );
        first.save().unwrap();
        second.record(
            &dir.path().join("b"),
            old_fingerprint(),
            HashAlgorithm::Md5,
            "bb",
        );
        second.save().unwrap();

        let merged = FingerprintStore::open(dir.path());
        assert_eq!(merged.len(), 2);
        assert!(merged
            .lookup(
                &dir.path().join("a"),
                &old_fingerprint(),
                HashAlgorithm::Md5
            )
            .is_some());
    }

    #[test]
    fn paths_inside_root_are_stored_relative() {
        let dir = tempfile::tempdir().unwrap();
        let moved = tempfile::tempdir().unwrap();
        let mut store = FingerprintStore::open(dir.path());
        store.record(
            &dir.path().join("sub/f"),
            old_fingerprint(),
            HashAlgorithm::Md5,
            "0a",
        );
        store.save().unwrap();

        let relocated =
            FingerprintStore::open_file(dir.path().join(STORE_RELATIVE_PATH), moved.path());
        assert_eq!(
            relocated
                .lookup(
                    &moved.path().join("sub/f"),
                    &old_fingerprint(),
                    HashAlgorithm::Md5
                )
                .as_deref(),
            Some("0a")
        );
    }
}
