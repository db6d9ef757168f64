#!/usr/bin/env bash
# Stops the daemons start.sh started, by the process ids it wrote.
# Usage: stop.sh STATE_DIR
set -uo pipefail

state=${1:?usage: stop.sh STATE_DIR}
[ -s "$state/pids" ] || exit 0
# Cancel what is still queued or running first, so that no job outlives the
# cluster (a test that failed half-way leaves some). The cluster is this
# script's own, so every job on it belongs to the caller.
jobs=$(timeout 10 squeue -h -o %i 2>/dev/null || true)
if [ -n "$jobs" ]; then
  # shellcheck disable=SC2086
  timeout 10 scancel $jobs 2>/dev/null || true
  for _ in $(seq 50); do
    [ -z "$(timeout 10 squeue -h -o %i 2>/dev/null)" ] && break
    sleep 0.2
  done
fi
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
