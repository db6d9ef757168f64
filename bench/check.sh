#!/usr/bin/env bash
# Times `retort check` and `dvc stage list` on a generated 1,000-stage pipeline
# with foreach, matrix and templating, in the same run, and prints the ratio.
#
# Usage: bench/check.sh [STAGES]   (needs hyperfine; DVC from $RETORT_DVC or PATH)
set -euo pipefail

stages=${1:-1000}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p retort
retort="$repo/target/release/retort"
dvc=${RETORT_DVC:-$(command -v dvc || true)}

python3 "$here/gen_pipeline.py" "$work/project" "$stages"
(cd "$work/project" && git init -q && git add -A && git -c user.name=bench -c user.email=bench@localhost commit -qm init)

echo "retort check on $stages stages:"
"$retort" -C "$work/project" stage list | wc -l | xargs echo "  stages resolved:"
commands=(-n retort "$retort -C $work/project check")
if [ -n "$dvc" ]; then
  echo "  DVC: $("$dvc" --version)"
  commands+=(-n "dvc stage list" "cd $work/project && $dvc stage list")
fi
hyperfine --warmup 3 --min-runs 10 -i --export-json "$work/result.json" "${commands[@]}"
python3 - "$work/result.json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
retort = results["retort"]["mean"]
print(f"retort check: {retort * 1000:.1f} ms mean")
if "dvc stage list" in results:
    dvc = results["dvc stage list"]["mean"]
    print(f"dvc stage list: {dvc * 1000:.1f} ms mean; DVC/Retort = {dvc / retort:.1f}x")
PY
