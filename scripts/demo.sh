#!/usr/bin/env bash
# The main job on the example project: builds Retort, copies examples/digits
# into a fresh git repository and runs Retort on it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p retort
retort="$repo/target/release/retort"

work=$(mktemp -d)
cp -r "$repo/examples/digits" "$work/digits"
cd "$work/digits"
git init -q
git add -A
git -c user.name=retort -c user.email=retort@localhost commit -qm "Start the digits project"

echo "Project copied to $work/digits"
echo
echo "\$ retort check"
"$retort" check
echo
echo "\$ retort stage list"
"$retort" stage list
echo
echo "\$ retort dag"
"$retort" dag
