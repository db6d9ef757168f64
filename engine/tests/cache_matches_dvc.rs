//! `.gitignore` edits and cache round trips checked against the real DVC: the
//! same operations run through DVC in one repository and through Retort in an
//! identical one, and DVC reads what Retort writes.

mod dvc_oracle;

use std::fs;
use std::path::Path;

use retort_engine::cache::gitignore::{ignore_output, unignore_output};
use retort_engine::cache::{CacheOptions, LinkType, ObjectCache};
use retort_engine::hash::DvcIgnore;
use retort_engine::hash_info::{HashAlgorithm, HashInfo};

fn write(path: &Path, content: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

fn read_or_missing(path: &Path) -> String {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).unwrap(),
        Err(_) => "<missing>".to_string(),
    }
}

/// Creates the same starting files in a repository.
fn seed(repo: &Path) {
    write(&repo.join(".gitignore"), "keep\r\nno-final-newline");
    write(&repo.join("f1"), "1\n");
    write(&repo.join("a[1] #x!.txt"), "2\n");
    write(&repo.join("m.pkl"), "3\n");
    write(&repo.join("sub/deep/g"), "4\n");
    write(&repo.join("data/x"), "5\n");
    write(&repo.join("second"), "6\n");
}

#[test]
fn gitignore_edits_match_dvc() {
    let Some(dvc) = dvc_oracle::find("gitignore_edits_match_dvc") else {
        return;
    };
    let dvc_repo = tempfile::tempdir().unwrap();
    let retort_repo = tempfile::tempdir().unwrap();
    dvc.init_repo(dvc_repo.path());
    dvc_oracle::git(retort_repo.path(), &["init", "-q"]);
    seed(dvc_repo.path());
    seed(retort_repo.path());
    let watched = [".gitignore", "sub/deep/.gitignore"];

    let compare = |step: &str| {
        for file in watched {
            assert_eq!(
                read_or_missing(&retort_repo.path().join(file)),
                read_or_missing(&dvc_repo.path().join(file)),
                "{file} after {step}"
            );
        }
    };

    for output in ["f1", "a[1] #x!.txt", "sub/deep/g", "data", "second"] {
        dvc.run(dvc_repo.path(), &["add", "-q", output]);
        ignore_output(retort_repo.path(), &retort_repo.path().join(output)).unwrap();
        compare(&format!("adding {output}"));
    }

    // Already ignored through a pattern: neither tool writes anything.
    let append = |repo: &Path| {
        let mut text = fs::read_to_string(repo.join(".gitignore")).unwrap();
        text.push_str("*.pkl\n");
        fs::write(repo.join(".gitignore"), text).unwrap();
    };
    append(dvc_repo.path());
    append(retort_repo.path());
    dvc.run(dvc_repo.path(), &["add", "-q", "m.pkl"]);
    let written = ignore_output(retort_repo.path(), &retort_repo.path().join("m.pkl")).unwrap();
    assert_eq!(written, None);
    compare("adding an already ignored output");

    for output in ["f1", "sub/deep/g"] {
        dvc.run(dvc_repo.path(), &["remove", "-q", &format!("{output}.dvc")]);
        unignore_output(retort_repo.path(), &retort_repo.path().join(output)).unwrap();
        compare(&format!("removing {output}"));
    }
}

#[test]
fn unignore_removes_escaped_entries() {
    // DVC compares lines with the unescaped name, so `dvc remove` leaves
    // `/a\[1\]` behind; Retort removes it.
    let repo = tempfile::tempdir().unwrap();
    write(&repo.path().join("a[1]"), "x");
    write(&repo.path().join(".gitignore"), "/other\n/a\\[1\\]\n");

    unignore_output(repo.path(), &repo.path().join("a[1]")).unwrap();

    assert_eq!(
        fs::read_to_string(repo.path().join(".gitignore")).unwrap(),
        "/other\n"
    );
}

#[test]
fn ignore_output_rejects_paths_outside_repository() {
    let repo = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let error = ignore_output(repo.path(), &elsewhere.path().join("out")).unwrap_err();
    assert!(
        error.to_string().contains("outside of git repository"),
        "{error}"
    );
}

fn dvc_file_text(hash: &HashInfo, path: &str) -> String {
    let mut text = format!("outs:\n- md5: {}\n", hash.value);
    if let Some(size) = hash.size {
        text.push_str(&format!("  size: {size}\n"));
    }
    if let Some(nfiles) = hash.nfiles {
        text.push_str(&format!("  nfiles: {nfiles}\n"));
    }
    text.push_str(&format!("  hash: md5\n  path: {path}\n"));
    text
}

#[test]
fn dvc_checks_out_what_retort_saved() {
    let Some(dvc) = dvc_oracle::find("dvc_checks_out_what_retort_saved") else {
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    dvc.init_repo(repo.path());
    write(&repo.path().join("data/a.csv"), "a,b\n1,2\n");
    write(&repo.path().join("data/nested/b.txt"), "b\n");
    write(&repo.path().join("data/\u{e9}.txt"), "accent\n");
    write(&repo.path().join("model.bin"), "weights");

    let cache = ObjectCache::open(&repo.path().join(".dvc/cache"), HashAlgorithm::Md5).unwrap();
    let ignore = DvcIgnore::new(repo.path());
    let options = CacheOptions::new(&LinkType::DEFAULT).with_ignore(&ignore);
    for output in ["data", "model.bin"] {
        let hash = cache.save(&repo.path().join(output), &options).unwrap();
        fs::write(
            repo.path().join(format!("{output}.dvc")),
            dvc_file_text(&hash, output),
        )
        .unwrap();
    }
    let status = dvc.run(repo.path(), &["status", "--json"]);
    assert_eq!(String::from_utf8_lossy(&status.stdout).trim(), "{}");

    fs::remove_dir_all(repo.path().join("data")).unwrap();
    fs::remove_file(repo.path().join("model.bin")).unwrap();
    dvc.run(repo.path(), &["checkout", "-q"]);

    assert_eq!(
        fs::read_to_string(repo.path().join("data/a.csv")).unwrap(),
        "a,b\n1,2\n"
    );
    assert_eq!(
        fs::read_to_string(repo.path().join("data/nested/b.txt")).unwrap(),
        "b\n"
    );
    assert_eq!(
        fs::read_to_string(repo.path().join("data/\u{e9}.txt")).unwrap(),
        "accent\n"
    );
    assert_eq!(
        fs::read_to_string(repo.path().join("model.bin")).unwrap(),
        "weights"
    );
}

#[test]
fn retort_checks_out_what_dvc_saved() {
    let Some(dvc) = dvc_oracle::find("retort_checks_out_what_dvc_saved") else {
        return;
    };
    let repo = tempfile::tempdir().unwrap();
    dvc.init_repo(repo.path());
    write(&repo.path().join("data/a.csv"), "a,b\n1,2\n");
    write(&repo.path().join("data/nested/b.txt"), "b\n");
    write(&repo.path().join("data/gone.txt"), "deleted later\n");
    write(&repo.path().join("model.bin"), "weights");
    dvc.run(repo.path(), &["add", "-q", "data", "model.bin"]);

    // Damage the workspace: a deleted file, a changed file, an extra file, and a
    // file where a directory belongs.
    fs::remove_file(repo.path().join("data/gone.txt")).unwrap();
    fs::write(repo.path().join("data/a.csv"), "changed").unwrap();
    fs::write(repo.path().join("data/extra.txt"), "not tracked").unwrap();
    fs::remove_dir_all(repo.path().join("data/nested")).unwrap();
    fs::write(repo.path().join("data/nested"), "a file in the way").unwrap();
    fs::remove_file(repo.path().join("model.bin")).unwrap();

    let cache = ObjectCache::open(&repo.path().join(".dvc/cache"), HashAlgorithm::Md5).unwrap();
    let ignore = DvcIgnore::new(repo.path());
    let options = CacheOptions::new(&LinkType::DEFAULT).with_ignore(&ignore);
    for output in ["data", "model.bin"] {
        let recorded = dvc_oracle::read_dvc_file(&repo.path().join(format!("{output}.dvc")));
        let hash = HashInfo {
            algorithm: HashAlgorithm::Md5,
            value: recorded.md5,
            size: recorded.size,
            nfiles: recorded.nfiles,
            isexec: recorded.isexec,
        };
        let summary = cache
            .checkout(&repo.path().join(output), &hash, &options)
            .unwrap();
        assert!(summary.changed(), "{output}: {summary:?}");
    }

    assert!(!repo.path().join("data/extra.txt").exists());
    let status = dvc.run(repo.path(), &["status", "--json"]);
    assert_eq!(String::from_utf8_lossy(&status.stdout).trim(), "{}");
}
