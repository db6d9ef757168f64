#!/usr/bin/env bash
# Wall time of queued experiments run through Slurm against the local
# executor, with the same parallelism: QUEUED experiments of examples/digits
# (different learning rates) with `exp run --run-all -j JOBS`, once with
# `--executor local` and once with `--executor slurm` on a one-node cluster
# that this script starts (tests/slurm/start.sh; needs root and slurm-wlm).
# Each executor gets its own copy of the same repository, so neither reuses
# the other's run-cache.
#
# Usage: bench/slurm.sh [QUEUED] [JOBS] [EPOCHS]   (defaults 8, 2 and 10;
# RETORT_BIN picks the binary, else a release build; KEEP=1 keeps the files)
set -euo pipefail

queued=${1:-8}
jobs=${2:-2}
epochs=${3:-10}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=$(mktemp -d)

if [ -n "${RETORT_BIN:-}" ]; then
  retort=$RETORT_BIN
else
  cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p retort
  retort="$repo/target/release/retort"
fi

cleanup() {
  "$repo/tests/slurm/stop.sh" "$work/cluster" || true
  if [ "${KEEP:-0}" = 1 ]; then
    echo "files kept in $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

"$repo/tests/slurm/start.sh" "$work/cluster"

make_repo() {
  local dir=$1
  mkdir -p "$dir"
  cp -r "$repo/examples/digits/." "$dir"
  (
    cd "$dir"
    git init -q -b main
    git config user.email bench@localhost
    git config user.name "Retort bench"
    "$retort" repro >/dev/null
    git add -A
    git commit -qm baseline
    for n in $(seq "$queued"); do
      lr=$(python3 -c "print(round(0.01 * $n, 2))")
      "$retort" exp run --queue -n "bench-$n" -S "train.lr=$lr" -S "train.epochs=$epochs" >/dev/null
    done
  )
}

make_repo "$work/local"
make_repo "$work/slurm"

# Prints the seconds `exp run --run-all` takes in directory $1 with executor $2.
timed_run() {
  local dir=$1 executor=$2 start end
  start=$(date +%s.%N)
  (cd "$dir" && "$retort" exp run --run-all -j "$jobs" --executor "$executor" >/dev/null)
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}

local_s=$(timed_run "$work/local" local)
slurm_s=$(timed_run "$work/slurm" slurm)

for dir in local slurm; do
  count=$(git -C "$work/$dir" for-each-ref refs/exps | grep -c /bench- || true)
  if [ "$count" != "$queued" ]; then
    echo "bench/slurm.sh: $dir recorded $count of $queued experiments" >&2
    exit 1
  fi
done

echo "$queued queued experiments of examples/digits (train.epochs=$epochs), -j $jobs, $(nproc) cores"
printf '  local executor: %8.2f s\n' "$local_s"
printf '  slurm executor: %8.2f s\n' "$slurm_s"
python3 -c "print(f'  slurm / local:  {$slurm_s / $local_s:8.2f}')"
