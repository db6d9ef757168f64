#!/usr/bin/env bash
# Times `exp show` (table and --json) on a repository with N experiments
# (500 by default) for Retort and DVC in the same run, and prints the ratios.
#
# One experiment is made by a real `dvc exp run`; the others are written with
# `git fast-import` on top of the same baseline, each with its own params.yaml,
# metrics.json and dvc.lock, so the table is as wide and varied as real runs
# would make it.
#
# Usage: bench/exp_show.sh [N]   (needs hyperfine and python3; DVC from
# $RETORT_DVC or PATH; set KEEP=1 to keep the generated repository)
set -euo pipefail

count=${1:-500}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then
  echo "repository kept in $work/project"
else
  trap 'rm -rf "$work"' EXIT
fi

cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p retort
retort="$repo/target/release/retort"
dvc=${RETORT_DVC:-$(command -v dvc || true)}
if [ -z "$dvc" ]; then
  echo "DVC not found (set RETORT_DVC); it is needed for the template experiment" >&2
  exit 2
fi
export DVC_NO_ANALYTICS=1

project="$work/project"
mkdir -p "$project"
cd "$project"
git init -q -b main
git config user.name bench
git config user.email bench@localhost
cat > params.yaml <<'YAML'
train:
  lr: 0.01
  epochs: 3
  layers: [16, 8]
  optimizer: adam
prepare:
  split: 0.2
  seed: 1
YAML
cat > train.py <<'PY'
import json
text = open("params.yaml").read()
lr = float(text.split("lr:")[1].split()[0])
json.dump({"acc": 0.5 + lr, "loss": {"train": 1 - lr, "val": 1.2 - lr}, "epoch": 3}, open("metrics.json", "w"))
open("model.bin", "w").write(str(lr))
PY
cat > dvc.yaml <<'YAML'
stages:
  train:
    cmd: python3 train.py
    deps:
      - train.py
    params:
      - train
      - prepare.seed
    outs:
      - model.bin
    metrics:
      - metrics.json:
          cache: false
YAML
"$dvc" init -q
"$dvc" repro -q
git add -A
git commit -qm baseline
"$dvc" exp run -q -n template -S train.lr=0.5
git checkout -q -- .
baseline=$(git rev-parse HEAD)
template=$(git for-each-ref --format='%(objectname)' refs/exps | head -1)

# The other experiments: params, metrics and lock differ per experiment.
python3 - "$count" "$baseline" "$template" <<'PY' | git fast-import --quiet
import json, subprocess, sys
count, baseline, template = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = subprocess.check_output(["git", "show", f"{template}:dvc.lock"], text=True)
params = subprocess.check_output(["git", "show", f"{template}:params.yaml"], text=True)
out = sys.stdout
def blob(path, text):
    data = text.encode()
    out.write(f"M 100644 inline {path}\ndata {len(data)}\n")
    out.flush()
    sys.stdout.buffer.write(data + b"\n")
    sys.stdout.buffer.flush()
for i in range(1, count):
    lr = round(0.001 * i, 6)
    seed = i % 7
    name = f"exp-{i:04d}"
    ref = f"refs/exps/{baseline[:2]}/{baseline[2:]}/{name}"
    message = f"dvc: commit experiment {i:064x}"
    out.write(f"commit {ref}\ncommitter bench <bench@localhost> {1700000000 + i} +0000\n")
    out.write(f"data {len(message)}\n{message}\nfrom {baseline}\n")
    blob("params.yaml", params.replace("lr: 0.5", f"lr: {lr}").replace("seed: 1", f"seed: {seed}"))
    blob("metrics.json", json.dumps({"acc": 0.5 + lr, "loss": {"train": 1 - lr, "val": 1.2 - lr / 2}, "epoch": 3}))
    blob("dvc.lock", lock.replace("lr: 0.5", f"lr: {lr}").replace("seed: 1", f"seed: {seed}"))
    out.write("\n")
out.flush()
PY

echo "experiments: $(git for-each-ref refs/exps | grep -vc '/exec/')"
echo "DVC: $("$dvc" --version)"
"$retort" exp show --json > "$work/retort.json"
"$dvc" exp show --json > "$work/dvc.json"
python3 - "$work/retort.json" "$work/dvc.json" <<'PY'
import json, sys
retort, dvc = (json.load(open(path)) for path in sys.argv[1:3])
print("retort and dvc --json outputs are equal:", retort == dvc)
PY

hyperfine --warmup 2 --min-runs 10 --export-json "$work/retort.json" \
  -n "retort exp show" "$retort -C $project exp show" \
  -n "retort exp show --json" "$retort -C $project exp show --json"
hyperfine --warmup 1 --runs 3 --export-json "$work/dvc-timing.json" \
  -n "dvc exp show" "cd $project && $dvc exp show --no-pager" \
  -n "dvc exp show --json" "cd $project && $dvc exp show --json"
python3 - "$work/retort.json" "$work/dvc-timing.json" <<'PY'
import json, sys
results = {}
for path in sys.argv[1:3]:
    results.update({r["command"]: r["mean"] for r in json.load(open(path))["results"]})
for kind in ["", " --json"]:
    retort, dvc = results[f"retort exp show{kind}"], results[f"dvc exp show{kind}"]
    print(f"exp show{kind or ' (table)'}: retort {retort * 1000:.1f} ms, dvc {dvc * 1000:.0f} ms, DVC/Retort = {dvc / retort:.0f}x")
PY
