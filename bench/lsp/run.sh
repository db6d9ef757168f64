#!/usr/bin/env bash
# Benchmarks `retort lsp` from the client side on a generated 1,000-stage
# dvc.yaml (release build). Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p retort --bin retort
cargo build --release -p retort-tests --bin lsp_bench
RETORT_BIN="$PWD/target/release/retort" ./target/release/lsp_bench
