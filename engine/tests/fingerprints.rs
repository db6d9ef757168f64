//! The fingerprint store on real files: unchanged files are not read again,
//! changed files are, and the store survives a reload. Progress reporting and
//! parallel hashing are checked here too.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use retort_engine::hash::file::hash_bytes;
use retort_engine::hash::fingerprint::Fingerprint;
use retort_engine::hash::{hash_path, FingerprintStore, HashOptions, HashProgress};
use retort_engine::hash_info::HashAlgorithm;

/// A hash no real content has; when a lookup returns it, the file was not read.
const SENTINEL: &str = "00000000000000000000000000000000";

/// Waits until files written so far are older than the store's window for
/// trusting fresh timestamps.
fn let_timestamps_settle() {
    thread::sleep(Duration::from_millis(120));
}

fn fingerprint(path: &Path) -> Fingerprint {
    Fingerprint::from_metadata(&fs::metadata(path).unwrap())
}

#[test]
fn unchanged_file_is_not_read_again() {
    let repo = tempfile::tempdir().unwrap();
    let file = repo.path().join("data.csv");
    fs::write(&file, "a,b\n1,2\n").unwrap();
    let_timestamps_settle();
    let real = hash_bytes(b"a,b\n1,2\n", HashAlgorithm::Md5);

    let mut store = FingerprintStore::open(repo.path());
    let first = store
        .hash_path(&file, HashAlgorithm::Md5, None, None)
        .unwrap();
    assert_eq!(first.hash_info.value, real);

    // Replace the stored hash for the same fingerprint. If the next call read the
    // file it would return the real hash, so getting the sentinel back proves it
    // did not.
    store.record(&file, fingerprint(&file), HashAlgorithm::Md5, SENTINEL);
    let second = store
        .hash_path(&file, HashAlgorithm::Md5, None, None)
        .unwrap();
    assert_eq!(second.hash_info.value, SENTINEL);

    store.save().unwrap();
    let reloaded = FingerprintStore::open(repo.path());
    let third = reloaded
        .hash_path(&file, HashAlgorithm::Md5, None, None)
        .unwrap();
    assert_eq!(
        third.hash_info.value, SENTINEL,
        "the store file keeps the entry"
    );
}

#[test]
fn changed_file_is_read_again() {
    let repo = tempfile::tempdir().unwrap();
    let file = repo.path().join("data.csv");
    fs::write(&file, "before").unwrap();
    let_timestamps_settle();
    let store = FingerprintStore::open(repo.path());
    store.record(&file, fingerprint(&file), HashAlgorithm::Md5, SENTINEL);

    // Same size, and the old modification time put back: only the inode change
    // time shows that the content changed.
    let old_mtime = filetime::FileTime::from_last_modification_time(&fs::metadata(&file).unwrap());
    fs::write(&file, "after!").unwrap();
    filetime::set_file_mtime(&file, old_mtime).unwrap();
    let_timestamps_settle();

    let hashed = store
        .hash_path(&file, HashAlgorithm::Md5, None, None)
        .unwrap();
    assert_eq!(
        hashed.hash_info.value,
        hash_bytes(b"after!", HashAlgorithm::Md5)
    );
}

#[test]
fn just_written_file_is_hashed_again() {
    let repo = tempfile::tempdir().unwrap();
    let file = repo.path().join("fresh.txt");
    fs::write(&file, "fresh").unwrap();
    // A modification time after the recording time stands for "written in the
    // same timestamp tick as the hash": a later write in that tick could keep the
    // fingerprint, so the stored hash is not trusted. Setting it ahead keeps the
    // test independent of scheduling delays.
    let ahead =
        filetime::FileTime::from_unix_time(filetime::FileTime::now().unix_seconds() + 3600, 0);
    filetime::set_file_mtime(&file, ahead).unwrap();
    let store = FingerprintStore::open(repo.path());
    store.record(&file, fingerprint(&file), HashAlgorithm::Md5, SENTINEL);
    let hashed = store
        .hash_path(&file, HashAlgorithm::Md5, None, None)
        .unwrap();

    assert_eq!(
        hashed.hash_info.value,
        hash_bytes(b"fresh", HashAlgorithm::Md5)
    );
}

#[test]
fn directory_hash_reuses_file_fingerprints() {
    let repo = tempfile::tempdir().unwrap();
    let data = repo.path().join("data");
    fs::create_dir_all(data.join("sub")).unwrap();
    fs::write(data.join("a.txt"), "a").unwrap();
    fs::write(data.join("sub/b.txt"), "b").unwrap();
    let_timestamps_settle();
    let store = FingerprintStore::open(repo.path());
    let b_path = data.join("sub/b.txt");
    store.record(&b_path, fingerprint(&b_path), HashAlgorithm::Md5, SENTINEL);

    let hashed = store
        .hash_path(&data, HashAlgorithm::Md5, None, None)
        .unwrap();

    let listing = hashed.dir.unwrap();
    let values: Vec<(&str, &str)> = listing
        .entries
        .iter()
        .map(|entry| (entry.relpath.as_str(), entry.value.as_str()))
        .collect();
    let a_hash = hash_bytes(b"a", HashAlgorithm::Md5);
    assert_eq!(
        values,
        vec![("a.txt", a_hash.as_str()), ("sub/b.txt", SENTINEL)]
    );
}

#[test]
fn hashes_are_kept_per_algorithm() {
    let repo = tempfile::tempdir().unwrap();
    let file = repo.path().join("f");
    fs::write(&file, "x\r\n").unwrap();
    let_timestamps_settle();
    let mut store = FingerprintStore::open(repo.path());

    for algorithm in [
        HashAlgorithm::Md5,
        HashAlgorithm::Md5Dos2Unix,
        HashAlgorithm::Blake3,
    ] {
        store.hash_path(&file, algorithm, None, None).unwrap();
    }
    store.save().unwrap();
    let reloaded = FingerprintStore::open(repo.path());

    assert_eq!(reloaded.len(), 3);
    let current = fingerprint(&file);
    assert_eq!(
        reloaded.lookup(&file, &current, HashAlgorithm::Md5Dos2Unix),
        Some(hash_bytes(b"x\n", HashAlgorithm::Md5))
    );
    assert_eq!(
        reloaded.lookup(&file, &current, HashAlgorithm::Blake3),
        Some(blake3::hash(b"x\r\n").to_hex().to_string())
    );
}

#[test]
fn progress_reaches_totals() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    let mut total_bytes = 0;
    for index in 0..40 {
        let content = vec![b'x'; 1000 + index * 100];
        total_bytes += content.len() as u64;
        fs::write(data.join(format!("f{index}")), content).unwrap();
    }
    let events: Mutex<Vec<HashProgress>> = Mutex::new(Vec::new());
    let record = |progress: HashProgress| events.lock().unwrap().push(progress);
    let options = HashOptions::new(HashAlgorithm::Md5).with_progress(&record);

    hash_path(&data, &options).unwrap();

    let events = events.into_inner().unwrap();
    assert!(!events.is_empty());
    assert!(events
        .iter()
        .all(|event| event.files_total == 40 && event.bytes_total == total_bytes));
    let max_files = events.iter().map(|event| event.files_done).max().unwrap();
    let max_bytes = events.iter().map(|event| event.bytes_done).max().unwrap();
    assert_eq!(max_files, 40);
    assert_eq!(max_bytes, total_bytes);
}

#[test]
fn many_files_hash_on_several_threads() {
    let cores = thread::available_parallelism()
        .map(|count| count.get())
        .unwrap_or(1);
    if cores < 2 {
        eprintln!("many_files_hash_on_several_threads: skipped: one core");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    for index in 0..64 {
        fs::write(data.join(format!("f{index}")), vec![index as u8; 1 << 20]).unwrap();
    }
    let threads: Mutex<HashSet<thread::ThreadId>> = Mutex::new(HashSet::new());
    let record = |_: HashProgress| {
        threads.lock().unwrap().insert(thread::current().id());
    };

    hash_path(
        &data,
        &HashOptions::new(HashAlgorithm::Md5).with_progress(&record),
    )
    .unwrap();

    assert!(threads.into_inner().unwrap().len() >= 2);
}

#[test]
fn store_file_lives_under_dvc_tmp() {
    let repo = tempfile::tempdir().unwrap();
    let file = repo.path().join("f");
    fs::write(&file, "x").unwrap();
    let mut store = FingerprintStore::open(repo.path());
    store
        .hash_path(&file, HashAlgorithm::Md5, None, None)
        .unwrap();

    store.save().unwrap();

    let saved = repo.path().join(".dvc/tmp/retort/fingerprints");
    assert!(saved.is_file());
    assert!(fs::metadata(&saved).unwrap().size() > 0);
}

#[test]
fn cancelled_hashing_stops() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    fs::write(&file, "x").unwrap();
    let cancel = std::sync::atomic::AtomicBool::new(true);

    let result = hash_path(
        &file,
        &HashOptions::new(HashAlgorithm::Md5).with_cancel(&cancel),
    );

    assert!(
        matches!(result, Err(retort_engine::hash::HashError::Cancelled)),
        "{result:?}"
    );
}
