#!/usr/bin/env bash
# Stops the daemons start.sh started, by the process ids it wrote.
# Usage: stop.sh STATE_DIR
set -uo pipefail

state=${1:?usage: stop.sh STATE_DIR}
[ -f "$state/pids" ] || exit 0
# Reverse order: slurmd, slurmctld, then munged, which the others need to the end.
for pid in $(tac "$state/pids"); do
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
done
: >"$state/pids"
