//! The object cache on real files: link types and their fallbacks, read-only
//! objects, directory round trips and checkout repairs.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use retort_engine::cache::link::{self, is_unsupported_link_error};
use retort_engine::cache::{CacheError, CacheOptions, LinkType, ObjectCache};
use retort_engine::hash::file::hash_bytes;
use retort_engine::hash_info::{HashAlgorithm, HashInfo};

fn write(path: &Path, content: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Checks whether the file system under `dir` supports FICLONE.
fn supports_reflink(dir: &Path) -> bool {
    let source = dir.join(".probe-source");
    let target = dir.join(".probe-target");
    fs::write(&source, "probe").unwrap();
    let result = link::reflink(&source, &target);
    let _ = fs::remove_file(&source);
    let _ = fs::remove_file(&target);
    match result {
        Ok(()) => true,
        Err(error) if is_unsupported_link_error(&error) => false,
        Err(error) => panic!("reflink probe failed: {error}"),
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    workspace: PathBuf,
    cache: ObjectCache,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("repo");
    fs::create_dir_all(&workspace).unwrap();
    let cache = ObjectCache::open(&workspace.join(".dvc/cache"), HashAlgorithm::Md5).unwrap();
    Setup {
        _dir: dir,
        workspace,
        cache,
    }
}

#[test]
fn save_with_each_link_type() {
    for link_types in [
        vec![LinkType::Copy],
        vec![LinkType::Hardlink],
        vec![LinkType::Symlink],
        LinkType::DEFAULT.to_vec(),
    ] {
        let setup = setup();
        let file = setup.workspace.join("model.bin");
        write(&file, "weights");

        let hash = setup
            .cache
            .save(&file, &CacheOptions::new(&link_types))
            .unwrap();

        let object = setup.cache.object_path(&hash).unwrap();
        assert_eq!(hash.value, hash_bytes(b"weights", HashAlgorithm::Md5));
        assert_eq!(fs::read(&object).unwrap(), b"weights", "{link_types:?}");
        assert_eq!(mode(&object), 0o444, "{link_types:?}: object mode");
        assert_eq!(
            fs::read(&file).unwrap(),
            b"weights",
            "{link_types:?}: workspace"
        );

        let workspace = fs::symlink_metadata(&file).unwrap();
        let object_metadata = fs::metadata(&object).unwrap();
        match link_types[0] {
            LinkType::Hardlink => assert_eq!(workspace.ino(), object_metadata.ino()),
            LinkType::Symlink => assert_eq!(fs::read_link(&file).unwrap(), object),
            LinkType::Copy | LinkType::Reflink => {
                assert!(workspace.is_file());
                assert_ne!(workspace.ino(), object_metadata.ino());
                assert_ne!(
                    mode(&file) & 0o200,
                    0,
                    "{link_types:?}: workspace stays writable"
                );
            }
        }
    }
}

#[test]
fn reflink_falls_back_to_next_type() {
    let setup = setup();
    let file = setup.workspace.join("data.csv");
    write(&file, "a,b\n");
    let reflink_works = supports_reflink(&setup.workspace);

    let hash = setup
        .cache
        .save(
            &file,
            &CacheOptions::new(&[LinkType::Reflink, LinkType::Hardlink]),
        )
        .unwrap();

    let object = setup.cache.object_path(&hash).unwrap();
    let same_inode = fs::metadata(&file).unwrap().ino() == fs::metadata(&object).unwrap().ino();
    // With reflink the workspace keeps its own inode; after falling back to a
    // hard link it shares the object's.
    assert_eq!(same_inode, !reflink_works);
}

#[test]
fn reflink_only_fails_with_advice_where_unsupported() {
    let setup = setup();
    if supports_reflink(&setup.workspace) {
        eprintln!("reflink_only_fails_with_advice_where_unsupported: skipped: this file system supports reflink");
        return;
    }
    let file = setup.workspace.join("data.csv");
    write(&file, "a,b\n");

    let error = setup
        .cache
        .save(&file, &CacheOptions::new(&[LinkType::Reflink]))
        .unwrap_err();

    assert!(
        error.to_string().contains("add `copy` to cache.type"),
        "{error}"
    );
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "a,b\n",
        "workspace untouched"
    );
}

#[test]
fn reflink_and_cross_device_links_on_second_filesystem() {
    // A directory on a reflink-capable file system (Btrfs, XFS) that is a
    // different mount from the temp directory, e.g. a loop-mounted image.
    let Some(other) = std::env::var_os("RETORT_TEST_REFLINK_DIR").map(PathBuf::from) else {
        eprintln!(
            "reflink_and_cross_device_links_on_second_filesystem: skipped: set \
             RETORT_TEST_REFLINK_DIR to a directory on a reflink-capable file system"
        );
        return;
    };
    assert!(
        supports_reflink(&other),
        "{} does not support reflink",
        other.display()
    );
    let repo = tempfile::tempdir_in(&other).unwrap();
    let cache = ObjectCache::open(&repo.path().join(".dvc/cache"), HashAlgorithm::Md5).unwrap();
    let file = repo.path().join("big.bin");
    write(&file, &"x".repeat(1 << 20));

    let hash = cache
        .save(&file, &CacheOptions::new(&[LinkType::Reflink]))
        .unwrap();
    let object = cache.object_path(&hash).unwrap();
    assert_ne!(
        fs::metadata(&file).unwrap().ino(),
        fs::metadata(&object).unwrap().ino()
    );
    assert_eq!(mode(&object), 0o444);

    // A workspace on the temp file system cannot hard-link into this cache, so
    // the copy fallback is used.
    let local = tempfile::tempdir().unwrap();
    let restored = local.path().join("restored.bin");
    cache
        .checkout(
            &restored,
            &hash,
            &CacheOptions::new(&[LinkType::Hardlink, LinkType::Copy]),
        )
        .unwrap();
    assert_eq!(fs::read(&restored).unwrap(), fs::read(&object).unwrap());
    assert_ne!(
        fs::metadata(&restored).unwrap().dev(),
        fs::metadata(&object).unwrap().dev()
    );
}

#[test]
fn saved_directory_round_trips_with_each_link_type() {
    for link_types in [
        vec![LinkType::Copy],
        vec![LinkType::Hardlink],
        vec![LinkType::Symlink],
        LinkType::DEFAULT.to_vec(),
    ] {
        let setup = setup();
        let data = setup.workspace.join("data");
        write(&data.join("a.txt"), "a\n");
        write(&data.join("same_as_a.txt"), "a\n");
        write(&data.join("sub/b.txt"), "b\n");
        let options = CacheOptions::new(&link_types);

        let (hash, listing) = setup.cache.save_dir(&data, &options).unwrap();

        assert_eq!(hash.nfiles, Some(3));
        assert_eq!(hash.size, Some(6));
        let dir_object = setup.cache.object_path(&hash).unwrap();
        assert_eq!(fs::read(&dir_object).unwrap(), listing.to_bytes());
        assert_eq!(mode(&dir_object), 0o444);
        assert!(setup.cache.contains(&hash));

        fs::remove_dir_all(&data).unwrap();
        let summary = setup.cache.checkout(&data, &hash, &options).unwrap();
        assert_eq!(summary.written, 3, "{link_types:?}");
        assert_eq!(fs::read_to_string(data.join("a.txt")).unwrap(), "a\n");
        assert_eq!(
            fs::read_to_string(data.join("same_as_a.txt")).unwrap(),
            "a\n"
        );
        assert_eq!(fs::read_to_string(data.join("sub/b.txt")).unwrap(), "b\n");

        let again = setup.cache.checkout(&data, &hash, &options).unwrap();
        assert!(
            !again.changed(),
            "{link_types:?}: second checkout changed {again:?}"
        );
    }
}

#[test]
fn checkout_repairs_directory() {
    let setup = setup();
    let data = setup.workspace.join("data");
    write(&data.join("keep.txt"), "keep");
    write(&data.join("edit.txt"), "original");
    write(&data.join("dir/inner.txt"), "inner");
    let options = CacheOptions::new(&LinkType::DEFAULT);
    let hash = setup.cache.save(&data, &options).unwrap();

    fs::write(data.join("edit.txt"), "edited").unwrap();
    fs::write(data.join("extra.txt"), "extra").unwrap();
    fs::remove_dir_all(data.join("dir")).unwrap();
    fs::write(data.join("dir"), "a file where a directory belongs").unwrap();

    let summary = setup.cache.checkout(&data, &hash, &options).unwrap();

    assert_eq!(summary.deleted, 2, "{summary:?}");
    assert_eq!(summary.written, 2, "{summary:?}");
    assert_eq!(summary.unchanged, 1, "{summary:?}");
    assert_eq!(
        fs::read_to_string(data.join("edit.txt")).unwrap(),
        "original"
    );
    assert_eq!(
        fs::read_to_string(data.join("dir/inner.txt")).unwrap(),
        "inner"
    );
    assert!(!data.join("extra.txt").exists());
}

#[test]
fn checkout_replaces_directory_with_file() {
    let setup = setup();
    let path = setup.workspace.join("out");
    write(&path, "file content");
    let options = CacheOptions::new(&LinkType::DEFAULT);
    let hash = setup.cache.save(&path, &options).unwrap();

    fs::remove_file(&path).unwrap();
    write(&path.join("nested/file"), "now a directory");
    setup.cache.checkout(&path, &hash, &options).unwrap();

    assert_eq!(fs::read_to_string(&path).unwrap(), "file content");
}

#[test]
fn checkout_restores_executable_bit() {
    let setup = setup();
    let script = setup.workspace.join("run.sh");
    write(&script, "#!/bin/sh\n");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let options = CacheOptions::new(&[LinkType::Copy]);
    let hash = setup.cache.save(&script, &options).unwrap();
    assert!(hash.isexec);

    fs::remove_file(&script).unwrap();
    setup.cache.checkout(&script, &hash, &options).unwrap();

    assert_ne!(mode(&script) & 0o100, 0);
}

#[test]
fn checkout_of_missing_object_leaves_workspace_alone() {
    let setup = setup();
    let path = setup.workspace.join("out.txt");
    write(&path, "current");
    let absent = HashInfo {
        algorithm: HashAlgorithm::Md5,
        value: hash_bytes(b"never saved", HashAlgorithm::Md5),
        size: Some(11),
        nfiles: None,
        isexec: false,
    };

    let error = setup
        .cache
        .checkout(&path, &absent, &CacheOptions::new(&LinkType::DEFAULT))
        .unwrap_err();

    assert!(matches!(error, CacheError::MissingObject { .. }), "{error}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "current");
}

#[test]
fn directory_missing_a_file_object_is_not_contained() {
    let setup = setup();
    let data = setup.workspace.join("data");
    write(&data.join("a"), "a");
    write(&data.join("b"), "b");
    let hash = setup
        .cache
        .save(&data, &CacheOptions::new(&[LinkType::Copy]))
        .unwrap();
    assert!(setup.cache.contains(&hash));

    let file_hash = HashInfo {
        algorithm: HashAlgorithm::Md5,
        value: hash_bytes(b"b", HashAlgorithm::Md5),
        size: None,
        nfiles: None,
        isexec: false,
    };
    fs::remove_file(setup.cache.object_path(&file_hash).unwrap()).unwrap();

    assert!(!setup.cache.contains(&hash));
}

#[test]
fn saving_cached_content_keeps_copied_workspace_file() {
    let setup = setup();
    let first = setup.workspace.join("first.txt");
    let second = setup.workspace.join("second.txt");
    write(&first, "same");
    write(&second, "same");
    let options = CacheOptions::new(&[LinkType::Copy]);
    setup.cache.save(&first, &options).unwrap();
    let inode_before = fs::metadata(&second).unwrap().ino();

    setup.cache.save(&second, &options).unwrap();

    assert_eq!(fs::metadata(&second).unwrap().ino(), inode_before);
}

#[test]
fn object_paths_follow_algorithm_layout() {
    let setup = setup();
    let root = setup.cache.root().to_path_buf();
    let hash = |algorithm, value: &str| HashInfo {
        algorithm,
        value: value.to_string(),
        size: None,
        nfiles: None,
        isexec: false,
    };

    assert_eq!(
        setup
            .cache
            .object_path(&hash(
                HashAlgorithm::Md5,
                "60b725f10c9c85c70d97880dfe8191b3"
            ))
            .unwrap(),
        root.join("files/md5/60/b725f10c9c85c70d97880dfe8191b3")
    );
    assert_eq!(
        setup
            .cache
            .object_path(&hash(
                HashAlgorithm::Md5,
                "a8a1cd04f672fbab8f4735e3d1912703.dir"
            ))
            .unwrap(),
        root.join("files/md5/a8/a1cd04f672fbab8f4735e3d1912703.dir")
    );
    assert_eq!(
        setup
            .cache
            .object_path(&hash(
                HashAlgorithm::Md5Dos2Unix,
                "60b725f10c9c85c70d97880dfe8191b3"
            ))
            .unwrap(),
        root.join("60/b725f10c9c85c70d97880dfe8191b3")
    );
    assert_eq!(
        setup
            .cache
            .object_path(&hash(HashAlgorithm::Blake3, "abcdef"))
            .unwrap(),
        root.join("files/blake3/ab/cdef")
    );
    for invalid in ["../../etc/passwd", "", "ab", "ABCDEF", "abc/def"] {
        assert!(
            setup
                .cache
                .object_path(&hash(HashAlgorithm::Md5, invalid))
                .is_err(),
            "{invalid:?} accepted"
        );
    }
}

#[test]
fn blake3_directory_uses_blake3_listing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ObjectCache::open(&dir.path().join("cache"), HashAlgorithm::Blake3).unwrap();
    let data = dir.path().join("data");
    write(&data.join("a.txt"), "a\n");

    let (hash, listing) = cache
        .save_dir(&data, &CacheOptions::new(&[LinkType::Copy]))
        .unwrap();

    let expected_listing = format!(
        r#"[{{"blake3": "{}", "relpath": "a.txt"}}]"#,
        blake3::hash(b"a\n").to_hex()
    );
    assert_eq!(
        String::from_utf8(listing.to_bytes()).unwrap(),
        expected_listing
    );
    assert_eq!(
        hash.value,
        format!("{}.dir", blake3::hash(expected_listing.as_bytes()).to_hex())
    );
    let object = cache.object_path(&hash).unwrap();
    assert!(object.starts_with(dir.path().join("cache/files/blake3")));
    assert_eq!(fs::read_to_string(object).unwrap(), expected_listing);
}

#[test]
fn legacy_dos2unix_object_checks_out() {
    // DVC 2 stored objects at `<cache>/<2 hex>/<rest>`, named by the MD5 of the
    // content with CRLF turned into LF for text files.
    let setup = setup();
    let content = "line\r\nline\r\n";
    let value = hash_bytes(b"line\nline\n", HashAlgorithm::Md5);
    let object = setup.cache.root().join(&value[..2]).join(&value[2..]);
    write(&object, content);
    let hash = HashInfo {
        algorithm: HashAlgorithm::Md5Dos2Unix,
        value,
        size: Some(content.len() as u64),
        nfiles: None,
        isexec: false,
    };
    assert!(setup.cache.contains(&hash));
    let target = setup.workspace.join("old.txt");

    let written = setup
        .cache
        .checkout(&target, &hash, &CacheOptions::new(&[LinkType::Copy]))
        .unwrap();
    let again = setup
        .cache
        .checkout(&target, &hash, &CacheOptions::new(&[LinkType::Copy]))
        .unwrap();

    assert_eq!(fs::read_to_string(&target).unwrap(), content);
    assert_eq!(written.written, 1);
    assert_eq!(
        again.unchanged, 1,
        "the workspace file hashes to the legacy value"
    );
}
