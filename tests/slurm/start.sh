#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine for the tests and benchmarks:
# munged, slurmctld and slurmd as root, one node named after this host with all
# its cores, one partition. Slurm 22.05 (Debian 12) runs this way on a machine
# with cgroup v1 when no cgroup.conf exists.
#
# Usage: start.sh STATE_DIR
# Writes the process ids it started to STATE_DIR/pids (stop.sh reads them) and
# the daemons' logs to STATE_DIR. Exits 0 once the node is idle. When a
# controller already responds, it starts nothing and leaves STATE_DIR/pids empty.
# Exit 3: Slurm is not installed or this is not root (the caller may skip).
set -euo pipefail

state=${1:?usage: start.sh STATE_DIR}
for tool in munged slurmctld slurmd sinfo setpriv; do
  if ! command -v "$tool" >/dev/null; then
    echo "start.sh: '$tool' is not installed (apt-get install slurm-wlm munge)" >&2
    exit 3
  fi
done
mkdir -p "$state"
state=$(cd "$state" && pwd)
: >"$state/pids"
if [ "$(id -u)" != 0 ]; then
  echo "start.sh: the one-node cluster runs its daemons as root; run as root" >&2
  exit 3
fi

if timeout 5 sinfo -h >/dev/null 2>&1; then
  echo "start.sh: a Slurm controller already responds; using it" >&2
  exit 0
fi

host=$(hostname)
cpus=$(nproc)
# A little below the available memory, so that slurmd accepts the node.
memory=$(free -m | awk '/^Mem:/ { print int($7 * 0.8) }')
mkdir -p /etc/slurm "$state/slurmctld" "$state/slurmd"
cat >/etc/slurm/slurm.conf <<CONF
# Written by retort's tests/slurm/start.sh for a one-node test cluster.
ClusterName=local
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$state/slurmctld
SlurmdSpoolDir=$state/slurmd
SlurmUser=root
SlurmdUser=root
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
# Finished jobs stay visible to squeue for this many seconds.
MinJobAge=600
# Seconds between the SIGTERM and the SIGKILL of a job that is stopped.
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

install -d -o munge -g munge -m 0755 /run/munge
setpriv --reuid munge --regid munge --init-groups munged -F >"$state/munged.log" 2>&1 &
echo $! >>"$state/pids"
for _ in $(seq 50); do
  [ -S /run/munge/munge.socket.2 ] && break
  sleep 0.1
done

slurmctld -D >"$state/slurmctld.log" 2>&1 &
echo $! >>"$state/pids"
slurmd -D >"$state/slurmd.log" 2>&1 &
echo $! >>"$state/pids"

for _ in $(seq 60); do
  if sinfo -h -o '%t' 2>/dev/null | grep -qx 'idle'; then
    echo "start.sh: node $host is idle with $cpus CPUs" >&2
    exit 0
  fi
  sleep 0.5
done
echo "start.sh: the node did not become idle within 30 s; logs are in $state" >&2
sinfo >&2 || true
exit 1
