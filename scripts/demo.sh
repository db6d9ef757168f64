#!/usr/bin/env bash
# The main job on the example project: builds Retort, copies examples/digits
# into a fresh git repository, checks it, trains the baseline, runs an
# experiment with a changed learning rate and prints the experiments table.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p retort
retort_bin="$repo/target/release/retort"

work=$(mktemp -d)
cp -r "$repo/examples/digits" "$work/digits"
cd "$work/digits"
git init -q -b main
git config user.name retort
git config user.email retort@localhost
git add -A
git commit -qm "Start the digits project"

# `retort` in the printed commands is the binary just built.
retort() { "$retort_bin" "$@"; }

# Prints a command (single-quoting arguments the shell would split or
# expand), then runs it.
show_and_run() {
  local line="$" arg
  for arg in "$@"; do
    case $arg in
      *[!A-Za-z0-9._/=:+-]*) line+=" '$arg'" ;;
      *) line+=" $arg" ;;
    esac
  done
  echo
  echo "$line"
  "$@"
}

echo "Project copied to $work/digits"
show_and_run retort check
show_and_run retort dag

# The baseline: the pipeline with params.yaml as it is, committed so that the
# table has results to compare the experiment with.
show_and_run retort repro
git add -A
git commit -qm "Train the baseline"

# The experiment: the pipeline with a learning rate of 0.2 instead of
# params.yaml's 0.05, recorded under refs/exps/ without a new commit on main.
show_and_run retort exp run -n lr-0.2 -S train.lr=0.2

# The table keeps the test-set metrics and the training params, so that it
# fits 100 columns.
show_and_run retort exp show --drop '.*' \
  --keep '^(Experiment|Created|accuracy|log_loss|f1_macro|train\.(lr|epochs))$'

echo
echo "git log shows no new commit; the experiment is under refs/exps/:"
show_and_run git log --oneline
show_and_run git for-each-ref refs/exps
