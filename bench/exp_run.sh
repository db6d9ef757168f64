#!/usr/bin/env bash
# Times `exp run` for Retort and DVC in the same run, and prints the ratios:
#
# 1. Engine overhead: `exp run -S` of a one-stage pipeline whose command takes
#    about 0 s (a shell printf), each run with a new param value so that
#    neither tool can skip the command through its run-cache. The command's
#    own time, measured alone, is subtracted.
# 2. The queue: 8 queued CPU-bound experiments (about 1 s of Python each) run
#    with `--run-all -j 1` and then `-j 2`; -j 2 should take about half.
#
# Usage: bench/exp_run.sh [RUNS] [QUEUED]   (defaults 20 and 8; needs python3;
# DVC from $RETORT_DVC or PATH; SKIP_DVC_QUEUE=1 skips DVC's slow queue part;
# KEEP=1 keeps the generated repositories)
set -euo pipefail

runs=${1:-20}
queued=${2:-8}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then
  echo "repositories kept in $work"
else
  trap 'rm -rf "$work"' EXIT
fi

cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p retort
retort="$repo/target/release/retort"
dvc=${RETORT_DVC:-$(command -v dvc || true)}
if [ -z "$dvc" ]; then
  echo "DVC not found (set RETORT_DVC)" >&2
  exit 2
fi
export DVC_NO_ANALYTICS=1 DVC_STUDIO_OFFLINE=1
echo "DVC: $("$dvc" --version); cores: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"

# A fresh DVC project in $1 whose stage runs $2.
make_project() {
  local dir=$1 cmd=$2
  mkdir -p "$dir"
  cd "$dir"
  git init -q -b main
  git config user.name bench
  git config user.email bench@localhost
  printf 'train:\n  lr: 0.01\n  epochs: 3\n' > params.yaml
  cat > dvc.yaml <<YAML
stages:
  train:
    cmd: $cmd
    params:
      - train.lr
      - train.epochs
    metrics:
      - metrics.json:
          cache: false
YAML
  "$dvc" init -q
  "$dvc" repro -q
  git add -A
  git commit -qm baseline
}

# --- 1. Overhead of one exp run ---------------------------------------------
# No space after the colon: the command is a plain YAML scalar.
quick_cmd="printf '{\"lr\":%s}' \${train.lr} > metrics.json"
for tool in retort dvc; do
  make_project "$work/quick-$tool" "$quick_cmd"
done
python3 - "$retort" "$dvc" "$work" "$runs" <<'PY'
import resource, statistics, subprocess, sys, time
retort, dvc, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

cpu = {}

def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

def timed(argv, cwd):
    start, start_cpu = time.perf_counter(), children_cpu()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu.setdefault(argv[0], []).append(children_cpu() - start_cpu)
    return time.perf_counter() - start

def median_ms(values):
    return statistics.median(values) * 1000

# The command alone, as the shell runs it.
command = ["sh", "-c", "printf '{\"lr\":%s}' 0.5 > metrics.json"]
alone = median_ms([timed(command, f"{work}/quick-retort") for _ in range(runs)])
results = {}
for tool, binary, count in [("retort", retort, runs), ("dvc", dvc, max(3, runs // 4))]:
    cwd = f"{work}/quick-{tool}"
    samples = [timed([binary, "exp", "run", "-S", f"train.lr={0.5 + i / 1000}"], cwd) for i in range(count)]
    results[tool] = median_ms(samples)
    print(f"exp run ({tool}, median of {count}): {results[tool]:.1f} ms, "
          f"engine overhead {results[tool] - alone:.1f} ms (command alone {alone:.1f} ms), "
          f"CPU time (user + system, command included) {median_ms(cpu[binary]):.1f} ms")
print(f"exp run: DVC/Retort = {results['dvc'] / results['retort']:.0f}x")
PY

# --- 2. The queue, -j 1 against -j 2 ----------------------------------------
busy_py='import sys
n = 0
for i in range(6_000_000):
    n += i
open("metrics.json", "w").write("{\"lr\": %s}" % sys.argv[1])
'
one_busy=$(cd "$work" && printf '%s' "$busy_py" > busy.py && python3 - <<'PY'
import subprocess, time
start = time.perf_counter()
subprocess.run(["python3", "busy.py", "0.5"], check=True)
print(f"{time.perf_counter() - start:.2f}")
PY
)
echo "one queued experiment's command alone: ${one_busy} s"
# What the machine allows: the bare command $queued times, one and two at a time.
python3 - "$work/busy.py" "$queued" <<'PY'
import subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
script, count = sys.argv[1], int(sys.argv[2])
def wall(workers):
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda i: subprocess.run(["python3", script, str(i)], check=True), range(count)))
    return time.perf_counter() - start
one, two = wall(1), wall(2)
print(f"bare commands, {count} of them: 1 at a time {one:.2f} s, 2 at a time {two:.2f} s, ratio {two / one:.2f}")
PY

# Queues $queued experiments with $1 (retort or dvc) in project $2 and times
# running them with -j $3.
time_queue() {
  local tool=$1 dir=$2 jobs=$3 binary start end
  binary=$retort
  [ "$tool" = dvc ] && binary=$dvc
  cd "$dir"
  for i in $(seq 1 "$queued"); do
    "$binary" exp run --queue -S "train.lr=$jobs.$i" >/dev/null 2>&1
  done
  start=$(date +%s.%N)
  "$binary" exp run --run-all -j "$jobs" >/dev/null 2>&1
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}

declare -A wall
tools=(retort)
[ "${SKIP_DVC_QUEUE:-0}" = 1 ] || tools+=(dvc)
for tool in "${tools[@]}"; do
  dir="$work/queue-$tool"
  mkdir -p "$dir"
  printf '%s' "$busy_py" > "$dir/busy.py"
  make_project "$dir" "python3 busy.py \${train.lr}" >/dev/null
  for jobs in 1 2; do
    wall[$tool-$jobs]=$(time_queue "$tool" "$dir" "$jobs")
    made=$(git -C "$dir" for-each-ref refs/exps | grep -vc '/exec/\|/celery/\|/apply/' || true)
    echo "$tool --run-all -j $jobs on $queued queued: ${wall[$tool-$jobs]} s (experiments so far: $made)"
  done
  python3 -c "print(f'$tool: -j 2 / -j 1 = {${wall[$tool-2]} / ${wall[$tool-1]}:.2f}')"
done
if [ -n "${wall[dvc-1]:-}" ]; then
  python3 -c "print(f'queue -j 1: DVC/Retort = {${wall[dvc-1]} / ${wall[retort-1]}:.1f}x; -j 2: DVC/Retort = {${wall[dvc-2]} / ${wall[retort-2]}:.1f}x')"
fi
