#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for testing `dync slurm` / `dync merge` against the real thing
# (test/cli/slurm.test.ts; docs/scale-out.md). Needs Debian's slurm-wlm and munge and root (no systemd:
# the daemons are started by hand).
#
#   tools/slurm-local.sh install   apt-get install slurm-wlm munge when sbatch is missing
#   tools/slurm-local.sh start     start munged, slurmctld and slurmd; wait (bounded) until the node is idle
#   tools/slurm-local.sh stop      stop the daemons this script started
#   tools/slurm-local.sh status    sinfo of the local cluster
#
# Everything lives in $DYNC_SLURM_DIR (default /tmp/dync-slurm): slurm.conf, state, logs, pid files. Client
# commands find the cluster through SLURM_CONF=$DYNC_SLURM_DIR/slurm.conf (`start` prints the export line;
# the test reads that file when SLURM_CONF is not set).
set -euo pipefail

DIR="${DYNC_SLURM_DIR:-/tmp/dync-slurm}"
CONF="$DIR/slurm.conf"
WAIT_SECONDS="${DYNC_SLURM_WAIT:-60}"
export SLURM_CONF="$CONF"

log() { echo "slurm-local: $*" >&2; }

install() {
  if command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v munged >/dev/null; then return; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
}

write_conf() {
  local node cpus
  node="$(hostname -s)"
  cpus="$(nproc)"
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/run"
  # Memory is not a consumable resource here (CR_CPU), so jobs need no --mem; proctrack/linuxproc and
  # task/none need no cgroups, which containers often lack.
  cat >"$CONF" <<CONF
ClusterName=dync-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
MaxArraySize=1001
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
}

start_munge() {
  if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  [ -f /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key; chown munge:munge /etc/munge/munge.key; }
  runuser -u munge -- munged
  touch "$DIR/run/munged.ours"
  for _ in $(seq 1 50); do
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
    sleep 0.1
  done
  log "munged did not come up"; return 1
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  install
  write_conf
  start_munge
  running "$DIR/run/slurmctld.pid" || slurmctld -f "$CONF"
  running "$DIR/run/slurmd.pid" || slurmd -f "$CONF"
  local node state deadline
  node="$(hostname -s)"
  deadline=$((SECONDS + WAIT_SECONDS))
  # Bounded by the clock, not by a count: a controller still starting can make one sinfo wait its timeout.
  while [ "$SECONDS" -lt "$deadline" ]; do
    state="$(timeout 5 sinfo -h -n "$node" -o %T 2>/dev/null || true)"
    case "$state" in
      idle*|mixed*|allocated*) log "node $node is $state"; echo "export SLURM_CONF=$CONF"; return 0 ;;
      down*|drain*) timeout 5 scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  log "the node did not become idle within ${WAIT_SECONDS}s (state: ${state:-none}); logs in $DIR/log"
  tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
  return 1
}

stop() {
  local pidfile
  for pidfile in "$DIR/run/slurmd.pid" "$DIR/run/slurmctld.pid"; do
    if running "$pidfile"; then kill "$(cat "$pidfile")"; fi
  done
  # munged only if this script started it (a machine may run its own for a real cluster)
  if [ -f "$DIR/run/munged.ours" ] && running /run/munge/munged.pid; then kill "$(cat /run/munge/munged.pid)"; fi
  rm -f "$DIR/run/munged.ours"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) sinfo ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
