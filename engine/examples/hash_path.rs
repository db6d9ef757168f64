//! Hashes a file or directory the way `retort` does, without the fingerprint
//! store, and prints the hash and the best wall-clock time of several runs. Used
//! by `bench/hash.sh`.
//!
//! Usage: `hash_path [--algorithm md5|md5-dos2unix|blake3] [--repeat N] PATH`

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use retort_engine::hash::{hash_path, HashOptions};
use retort_engine::hash_info::HashAlgorithm;

fn main() -> ExitCode {
    let mut algorithm = HashAlgorithm::Md5;
    let mut repeat = 1u32;
    let mut path = None;
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
            _ => path = Some(PathBuf::from(arg)),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: hash_path [--algorithm md5|md5-dos2unix|blake3] [--repeat N] PATH");
        return ExitCode::from(2);
    };

    let options = HashOptions::new(algorithm);
    let mut best = Duration::MAX;
    let mut value = String::new();
    for _ in 0..repeat {
        let started = Instant::now();
        match hash_path(&path, &options) {
            Ok(hashed) => value = hashed.hash_info.value,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        }
        best = best.min(started.elapsed());
    }
    println!("{value} {:.3}", best.as_secs_f64());
    ExitCode::SUCCESS
}
