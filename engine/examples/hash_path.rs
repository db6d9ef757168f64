//! Hashes a file or directory the way `retort` does and prints the hash and the
//! best wall-clock time of several runs. Used by `bench/hash.sh`.
//!
//! Usage: `hash_path [--algorithm md5|md5-dos2unix|blake3] [--repeat N]
//! [--store ROOT] PATH`
//!
//! Without `--store` every run reads every file. With `--store ROOT` a first,
//! untimed run fills the fingerprint store of the repository at ROOT, and each
//! timed run loads the store from disk and hashes with it, as a no-op status does.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use retort_engine::hash::{hash_path, FingerprintStore, HashOptions};
use retort_engine::hash_info::HashAlgorithm;

fn main() -> ExitCode {
    let mut algorithm = HashAlgorithm::Md5;
    let mut repeat = 1u32;
    let mut path = None;
    let mut store_root = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--algorithm" => {
                let name = args.next().unwrap_or_default();
                let Some(parsed) = HashAlgorithm::from_name(&name) else {
                    eprintln!("unknown algorithm '{name}': use md5, md5-dos2unix or blake3");
                    return ExitCode::from(2);
                };
                algorithm = parsed;
            }
            "--repeat" => {
                let Some(count) = args
                    .next()
                    .and_then(|text| text.parse().ok())
                    .filter(|&count| count > 0)
                else {
                    eprintln!("--repeat needs a positive number");
                    return ExitCode::from(2);
                };
                repeat = count;
            }
            "--store" => store_root = args.next().map(PathBuf::from),
            _ => path = Some(PathBuf::from(arg)),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: hash_path [--algorithm md5|md5-dos2unix|blake3] [--repeat N] [--store ROOT] PATH");
        return ExitCode::from(2);
    };

    if let Some(root) = &store_root {
        let mut store = FingerprintStore::open(root);
        let filled = store.hash_path(&path, algorithm, None, None);
        if let Err(error) = filled
            .map_err(|error| error.to_string())
            .and_then(|_| store.save().map_err(|error| error.to_string()))
        {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
        // Let the timestamps age past the window in which the store distrusts them.
        std::thread::sleep(Duration::from_millis(200));
    }

    let mut best = Duration::MAX;
    let mut value = String::new();
    for _ in 0..repeat {
        let started = Instant::now();
        let store = store_root.as_deref().map(FingerprintStore::open);
        let mut options = HashOptions::new(algorithm);
        options.fingerprints = store.as_ref();
        match hash_path(&path, &options) {
            Ok(hashed) => value = hashed.hash_info.value,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        }
        best = best.min(started.elapsed());
    }
    println!("{value} {:.4}", best.as_secs_f64());
    ExitCode::SUCCESS
}
