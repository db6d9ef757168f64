#!/usr/bin/env bash
# Times `retort status` and `retort repro` beside `dvc status` and `dvc repro`
# in the same run, and prints the DVC/Retort ratios:
#   1. no-op on the example project (examples/digits, reproduced once first);
#   2. no-op on a generated 100-stage pipeline;
#   3. restoring a 1 GiB output from the run-cache by hardlink (or reflink).
#
# Usage: bench/repro.sh [WORK_DIR]   (needs hyperfine; DVC from $RETORT_DVC or PATH)
#   STAGES    stages in the generated pipeline (default 100)
#   BIG_MIB   size of the restored output in MiB (default 1024)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=${1:-$(mktemp -d -t retort-repro-bench.XXXXXX)}
stages=${STAGES:-100}
big_mib=${BIG_MIB:-1024}
mkdir -p "$work"
export DVC_NO_ANALYTICS=1

command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p retort
retort="$repo/target/release/retort"
dvc=${RETORT_DVC:-$(command -v dvc || true)}
[ -n "$dvc" ] && echo "DVC: $("$dvc" --version)"

new_repo() {
  rm -rf "$1"
  mkdir -p "$1"
  (cd "$1" && git init -q -b main)
}

commit() {
  (cd "$1" && git add -A && git -c user.name=bench -c user.email=bench@localhost commit -qm "$2")
}

# Prints mean times and DVC/Retort ratios from a hyperfine JSON export.
report() {
  python3 - "$1" <<'PY'
import json, sys
results = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
for name, mean in results.items():
    print(f"  {name}: {mean * 1000:.1f} ms mean")
for name, mean in results.items():
    if name.startswith("retort "):
        twin = "dvc " + name[len("retort "):]
        if twin in results:
            print(f"  {twin} / {name} = {results[twin] / mean:.1f}x")
PY
}

# Times no-op status and repro in DIR, DVC beside Retort.
bench_noop() {
  local dir=$1 label=$2
  local commands=(-n "retort status" "$retort -C $dir status"
                  -n "retort repro" "$retort -C $dir repro")
  if [ -n "$dvc" ]; then
    commands+=(-n "dvc status" "cd $dir && $dvc status"
               -n "dvc repro" "cd $dir && $dvc repro")
  fi
  echo
  echo "== $label =="
  hyperfine --warmup 2 --min-runs 5 --export-json "$work/$label.json" "${commands[@]}" >/dev/null
  report "$work/$label.json"
}

# 1. The example project.
digits="$work/digits"
new_repo "$digits"
cp -r "$repo/examples/digits/." "$digits/"
commit "$digits" digits
echo "reproducing examples/digits once..."
"$retort" -C "$digits" repro >/dev/null
bench_noop "$digits" example-noop

# 2. A generated pipeline whose stages really run, so that it can be
# reproduced once and then measured with nothing changed.
pipeline="$work/pipeline"
new_repo "$pipeline"
python3 - "$pipeline" "$stages" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(root, ".dvc"), exist_ok=True)
open(os.path.join(root, ".dvc", "config"), "w").close()
open(os.path.join(root, "seed.txt"), "w").write("seed\n")
params = ["stages:"] + [f"  s{i}: {{factor: {i % 7 + 1}}}" for i in range(count)]
open(os.path.join(root, "params.yaml"), "w").write("\n".join(params) + "\n")
lines = ["stages:"]
for i in range(count):
    upstream = f"out/s{i - 1}.txt" if i else "seed.txt"
    lines += [
        f"  s{i}:",
        f"    cmd: cat {upstream} > out/s{i}.txt && echo ${{stages.s{i}.factor}} >> out/s{i}.txt",
        "    deps:",
        f"      - {upstream}",
        "    params:",
        f"      - stages.s{i}.factor",
        "    outs:",
        f"      - out/s{i}.txt",
    ]
open(os.path.join(root, "dvc.yaml"), "w").write("\n".join(lines) + "\n")
PY
mkdir -p "$pipeline/out"
commit "$pipeline" pipeline
echo "reproducing the $stages-stage pipeline once..."
"$retort" -C "$pipeline" repro >/dev/null
bench_noop "$pipeline" pipeline-noop

# 3. Run-cache restore of a large output. Two runs with different seeds are
# recorded; each measured run flips the seed, so the stage's output is
# restored from the other run's entry.
restore="$work/restore"
new_repo "$restore"
mkdir -p "$restore/.dvc"
printf '[cache]\n    type = "reflink,hardlink,copy"\n' > "$restore/.dvc/config"
cat > "$restore/dvc.yaml" <<YAML
stages:
  big:
    cmd: head -c $((big_mib * 1048576)) /dev/urandom > big.bin
    deps:
      - seed.txt
    outs:
      - big.bin
YAML
echo A > "$restore/seed.txt"
commit "$restore" restore
echo "recording two runs with a $big_mib MiB output..."
"$retort" -C "$restore" repro >/dev/null
echo B > "$restore/seed.txt"
"$retort" -C "$restore" repro >/dev/null
flip="cd $restore && if grep -q A seed.txt; then echo B > seed.txt; else echo A > seed.txt; fi"
commands=(-n "retort repro (restore)" "$retort -C $restore repro")
if [ -n "$dvc" ]; then
  commands+=(-n "dvc repro (restore)" "cd $restore && $dvc repro")
fi
echo
echo "== run-cache restore of $big_mib MiB =="
hyperfine --warmup 1 --min-runs 5 --prepare "$flip" --export-json "$work/restore.json" "${commands[@]}" >/dev/null
report "$work/restore.json"
"$retort" -C "$restore" repro | tail -1
echo
echo "work directory: $work"
