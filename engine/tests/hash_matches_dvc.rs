//! File and directory hashes, `.dir` bytes and cache layout compared with what
//! the real DVC computes for the same files.

mod dvc_oracle;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;

use retort_engine::cache::{CacheOptions, LinkType, ObjectCache};
use retort_engine::hash::file::hash_file;
use retort_engine::hash::{hash_path, DvcIgnore, HashOptions};
use retort_engine::hash_info::HashAlgorithm;

/// Writes a directory with the cases that decide what DVC lists: dotfiles,
/// `.gitignore` files, VCS directories, names that sort differently as bytes and
/// as path parts, non-ASCII and non-BMP names, JSON escapes, symlinks, empty
/// files and directories.
fn build_tricky_tree(repo: &Path) {
    let data = repo.join("data");
    let files: &[(&str, &[u8])] = &[
        ("a.txt", b"a\n"),
        ("a-b", b"dash"),
        ("a.b", b"dot"),
        ("a b", b"space"),
        ("a/b", b"nested"),
        ("a/c/d/e.txt", b"deep"),
        ("A", b"upper"),
        ("Z", b""),
        ("\u{e9}t\u{e9}.txt", b"accent"),
        ("\u{1f600}.txt", b"emoji"),
        ("quote\"name", b"q"),
        ("back\\slash", b"b"),
        ("tab\tname", b"t"),
        (".gitignore", b"/something\n"),
        (".hidden", b"h"),
        ("sub/.gitkeep", b""),
        ("sub/.git/HEAD", b"ref: x"),
        ("other/.git", b"gitdir: elsewhere"),
        (
            "other/kept.txt",
            b"a .git file does not make a nested repository",
        ),
        ("only_dvc_dir/.dvc/config", b""),
        (
            "only_dvc_dir/skipped.txt",
            b"inside a nested DVC repository",
        ),
        ("sub/.hg/store", b"hg"),
        ("sub/.dvc/config", b"[core]"),
        ("x/.dvc", b"a file named .dvc"),
        ("scratch.tmp", b"ignored by .dvcignore"),
        ("ignored_dir/f", b"ignored"),
        ("kept_dir/f.tmp", b"ignored by extension"),
        ("kept_dir/f", b"kept"),
        ("crlf.txt", b"line\r\nline\r\n"),
    ];
    for (relpath, content) in files {
        let path = data.join(relpath);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
    }
    fs::create_dir_all(data.join("empty_dir/inner_empty")).unwrap();
    let script = data.join("run.sh");
    fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    symlink("a.txt", data.join("link_to_file")).unwrap();
    symlink("a", data.join("link_to_dir")).unwrap();
    fs::write(repo.join("outside.txt"), b"outside").unwrap();
    symlink(repo.join("outside.txt"), data.join("link_outside")).unwrap();

    let big: Vec<u8> = (0..(3 << 20) + 123)
        .map(|index: u32| (index.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(data.join("big.bin"), big).unwrap();

    fs::write(repo.join(".dvcignore"), "*.tmp\nignored_dir/\n").unwrap();

    let nested = repo.join("nested");
    fs::create_dir_all(nested.join("data/sub")).unwrap();
    fs::write(nested.join(".dvcignore"), "/data/skip.me\n").unwrap();
    fs::write(nested.join("data/skip.me"), "skipped").unwrap();
    fs::write(
        nested.join("data/sub/skip.me"),
        "kept: the pattern is anchored",
    )
    .unwrap();
    fs::write(nested.join("data/keep.me"), "kept").unwrap();
}

fn dir_object_path(cache: &Path, value: &str) -> std::path::PathBuf {
    cache.join("files/md5").join(&value[..2]).join(&value[2..])
}

#[test]
fn directory_hashes_match_dvc_add() {
    let Some(dvc) = dvc_oracle::find("directory_hashes_match_dvc_add") else {
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    dvc.init_repo(repo.path());
    build_tricky_tree(repo.path());

    let ignore = DvcIgnore::new(repo.path());
    let options = HashOptions::new(HashAlgorithm::Md5).with_ignore(&ignore);
    let ours = hash_path(&repo.path().join("data"), &options).unwrap();
    let ours_nested = hash_path(&repo.path().join("nested/data"), &options).unwrap();

    dvc.run(repo.path(), &["add", "-q", "data", "nested/data"]);

    let cache = repo.path().join(".dvc/cache");
    for (hashed, dvc_file) in [(&ours, "data.dvc"), (&ours_nested, "nested/data.dvc")] {
        let theirs = dvc_oracle::read_dvc_file(&repo.path().join(dvc_file));
        let dvc_listing = fs::read(dir_object_path(&cache, &theirs.md5)).unwrap();
        let our_listing = hashed.dir.as_ref().unwrap().to_bytes();
        assert_eq!(
            String::from_utf8_lossy(&our_listing).replace("}, {", "},\n{"),
            String::from_utf8_lossy(&dvc_listing).replace("}, {", "},\n{"),
            "{dvc_file}: .dir bytes"
        );
        assert_eq!(hashed.hash_info.value, theirs.md5, "{dvc_file}: hash");
        assert_eq!(hashed.hash_info.size, theirs.size, "{dvc_file}: size");
        assert_eq!(hashed.hash_info.nfiles, theirs.nfiles, "{dvc_file}: nfiles");
    }
}

#[test]
fn file_hashes_match_dvc_add() {
    let Some(dvc) = dvc_oracle::find("file_hashes_match_dvc_add") else {
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    dvc.init_repo(repo.path());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("a.txt", b"a\n".to_vec()),
        ("crlf.txt", b"one\r\ntwo\r\n".to_vec()),
        (
            "chunky.bin",
            (0..(2 << 20) + 7)
                .map(|index: u32| (index % 253) as u8)
                .collect(),
        ),
    ];
    for (name, content) in &cases {
        fs::write(repo.path().join(name), content).unwrap();
    }
    let script = repo.path().join("tool.sh");
    fs::write(&script, "#!/bin/sh\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();

    let names: Vec<&str> = cases
        .iter()
        .map(|(name, _)| *name)
        .chain(["tool.sh"])
        .collect();
    let ours: Vec<_> = names
        .iter()
        .map(|name| {
            hash_path(
                &repo.path().join(name),
                &HashOptions::new(HashAlgorithm::Md5),
            )
            .unwrap()
        })
        .collect();

    let mut args = vec!["add", "-q"];
    args.extend(&names);
    dvc.run(repo.path(), &args);

    for (name, hashed) in names.iter().zip(&ours) {
        let theirs = dvc_oracle::read_dvc_file(&repo.path().join(format!("{name}.dvc")));
        assert_eq!(hashed.hash_info.value, theirs.md5, "{name}: hash");
        assert_eq!(hashed.hash_info.size, theirs.size, "{name}: size");
        assert_eq!(hashed.hash_info.isexec, theirs.isexec, "{name}: isexec");
    }
}

#[test]
fn dos2unix_hash_matches_dvc_data() {
    let Some(dvc) = dvc_oracle::find("dos2unix_hash_matches_dvc_data") else {
        return;
    };
    let Some(python) = dvc.python() else {
        panic!(
            "cannot find the Python interpreter of {}",
            dvc.executable.display()
        );
    };
    let dir = tempfile::tempdir().unwrap();
    let chunk = 1 << 20;

    let mut crlf_across_chunks = vec![b'x'; chunk - 1];
    crlf_across_chunks.extend_from_slice(b"\r\nmore text\r\n");
    let mut text_then_binary = b"text\r\n".repeat(chunk / 6 + 1);
    text_then_binary.truncate(chunk);
    text_then_binary.extend((0..2000u32).map(|index| (index % 256) as u8));
    text_then_binary.extend_from_slice(b"\r\n");
    let mut binary_then_text: Vec<u8> =
        (0..chunk as u32).map(|index| (index % 256) as u8).collect();
    binary_then_text.extend_from_slice(b"tail\r\ntail\r\n");
    // 153 of 512 bytes outside the text set is 29.9%, still text; 154 is not.
    let mut borderline_text = vec![0x80u8; 153];
    borderline_text.extend(b"\r\n".repeat((512 - 153) / 2 + 1));
    let mut borderline_binary = vec![0x80u8; 154];
    borderline_binary.extend(b"\r\n".repeat((512 - 154) / 2 + 1));

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("unix.txt", b"a\nb\n".to_vec()),
        ("dos.txt", b"a\r\nb\r\n".to_vec()),
        ("lone_cr.txt", b"a\rb\r\r\n".to_vec()),
        ("nul.bin", b"a\r\n\0b\r\n".to_vec()),
        ("crlf_across_chunks", crlf_across_chunks),
        ("text_then_binary", text_then_binary),
        ("binary_then_text", binary_then_text),
        ("borderline_text", borderline_text),
        ("borderline_binary", borderline_binary),
    ];
    for (name, content) in &cases {
        fs::write(dir.path().join(name), content).unwrap();
    }

    let script = "import sys\nfrom dvc_data.hashfile.hash import file_md5\n\
                  for path in sys.argv[1:]:\n    print(file_md5(path, name='md5-dos2unix'))\n";
    let mut command = Command::new(&python);
    command.arg("-c").arg(script);
    for (name, _) in &cases {
        command.arg(dir.path().join(name));
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();

    for ((name, _), expected) in cases.iter().zip(&theirs) {
        let ours = hash_file(
            &dir.path().join(name),
            HashAlgorithm::Md5Dos2Unix,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(&ours.value, expected, "{name}");
    }
    assert_eq!(theirs.len(), cases.len());
}

#[test]
fn cache_layout_matches_dvc_add() {
    let Some(dvc) = dvc_oracle::find("cache_layout_matches_dvc_add") else {
        return;
    };
    let dvc_repo = tempfile::tempdir().unwrap();
    let retort_repo = tempfile::tempdir().unwrap();
    dvc.init_repo(dvc_repo.path());
    build_tricky_tree(dvc_repo.path());
    build_tricky_tree(retort_repo.path());
    fs::write(dvc_repo.path().join("single.txt"), "single file\n").unwrap();
    fs::write(retort_repo.path().join("single.txt"), "single file\n").unwrap();

    dvc.run(
        dvc_repo.path(),
        &["add", "-q", "data", "nested/data", "single.txt"],
    );

    let cache_dir = retort_repo.path().join(".dvc/cache");
    let cache = ObjectCache::open(&cache_dir, HashAlgorithm::Md5).unwrap();
    let ignore = DvcIgnore::new(retort_repo.path());
    let options = CacheOptions::new(&LinkType::DEFAULT).with_ignore(&ignore);
    for output in ["data", "nested/data", "single.txt"] {
        cache
            .save(&retort_repo.path().join(output), &options)
            .unwrap();
    }

    let dvc_objects = dvc_oracle::files_under(&dvc_repo.path().join(".dvc/cache"));
    let our_objects = dvc_oracle::files_under(&cache_dir);
    assert_eq!(our_objects, dvc_objects);
    for object in &our_objects {
        let path = cache_dir.join(object);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o444, "{object} mode");
        assert_eq!(
            fs::read(&path).unwrap(),
            fs::read(dvc_repo.path().join(".dvc/cache").join(object)).unwrap(),
            "{object} content"
        );
    }
}
