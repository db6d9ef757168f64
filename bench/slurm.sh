#!/usr/bin/env bash
# Compares the wall time of queued experiments run through Slurm with the
# local executor at the same parallelism. QUEUED experiments of
# examples/digits (different learning rates) run with
# `exp run --run-all -j JOBS`, once with `--executor local` and once with
# `--executor slurm`. The Slurm runs use a one-node cluster that this script
# starts (tests/slurm/start.sh, which needs root and slurm-wlm). Each
# executor gets its own copy of the same repository, so neither reuses the
# other's run-cache.
#
# Usage: bench/slurm.sh [QUEUED] [JOBS] [EPOCHS] [ROUNDS]   (defaults 8, 2,
# 10 and 3; RETORT_BIN picks the binary, else a release build; KEEP=1 keeps
# the files)
set -euo pipefail

queued=${1:-8}
jobs=${2:-2}
epochs=${3:-10}
rounds=${4:-3}
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

# Prints the seconds `exp run --run-all` takes in directory $1 with executor $2.
timed_run() {
  local dir=$1 executor=$2 start end
  start=$(date +%s.%N)
  (cd "$dir" && "$retort" exp run --run-all -j "$jobs" --executor "$executor" >/dev/null)
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}

# Other load on the machine changes over time, so the rounds alternate which
# executor goes first.
local_times=()
slurm_times=()
for round in $(seq "$rounds"); do
  make_repo "$work/$round/local"
  make_repo "$work/$round/slurm"
  if [ $((round % 2)) = 1 ]; then
    local_times+=("$(timed_run "$work/$round/local" local)")
    slurm_times+=("$(timed_run "$work/$round/slurm" slurm)")
  else
    slurm_times+=("$(timed_run "$work/$round/slurm" slurm)")
    local_times+=("$(timed_run "$work/$round/local" local)")
  fi
  for dir in local slurm; do
    count=$(git -C "$work/$round/$dir" for-each-ref refs/exps | grep -c /bench- || true)
    if [ "$count" != "$queued" ]; then
      echo "bench/slurm.sh: $dir recorded $count of $queued experiments" >&2
      exit 1
    fi
  done
done

echo "$queued queued experiments of examples/digits (train.epochs=$epochs), -j $jobs, $(nproc) cores, $rounds rounds"
echo "  load average before the last round: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "${local_times[*]}" "${slurm_times[*]}" <<'PY'
import statistics, sys
local = [float(t) for t in sys.argv[1].split()]
slurm = [float(t) for t in sys.argv[2].split()]
print("  local executor: " + " ".join(f"{t:7.2f}" for t in local) + f"   median {statistics.median(local):7.2f} s")
print("  slurm executor: " + " ".join(f"{t:7.2f}" for t in slurm) + f"   median {statistics.median(slurm):7.2f} s")
print(f"  slurm / local (medians): {statistics.median(slurm) / statistics.median(local):.2f}")
PY
