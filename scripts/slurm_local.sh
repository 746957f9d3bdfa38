#!/usr/bin/env bash
# A one-machine Slurm cluster on loopback, for trying `formbench study submit --slurm` and for its tests.
#   scripts/slurm_local.sh start [DIR]    generate a config in DIR, start munged, slurmctld and slurmd, wait until
#                                         the node is idle, print the SLURM_CONF line to export
#   scripts/slurm_local.sh status [DIR]   the daemons (running or not) and `sinfo`
#   scripts/slurm_local.sh stop [DIR]     cancel the cluster's jobs, stop exactly the daemons this script started in DIR
# DIR defaults to ${TMPDIR:-/tmp}/formbench-slurm. Everything lives in DIR: slurm.conf, the munge key and socket,
# the controller's state, the spool, the logs and the daemons' process ids. The ports are free ones picked at start,
# so several instances (parallel tests) do not collide. Needs Debian's slurm-wlm and munge (scripts/setup.sh). Runs
# as any user: the daemons run as the user who starts them (SlurmUser, SlurmdUser), so the cluster runs that user's
# jobs only, which is all a local cluster is for. No systemd: the daemons run in the foreground as this script's
# background processes. One node with this machine's CPUs (slurmd -C), select/cons_tres with CR_Core (whole cores),
# proctrack/linuxproc; partition `debug` (default, at most 1 day); partition `short` (at most 10 minutes).
set -euo pipefail

cmd=${1:-}
dir=${2:-${TMPDIR:-/tmp}/formbench-slurm}
usage() { echo "usage: $0 start|stop|status [DIR]" >&2; exit 2; }
[ -n "$cmd" ] || usage

need() {
  local missing=()
  for b in munged slurmctld slurmd sinfo sbatch; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "slurm_local: missing ${missing[*]} (install slurm-wlm and munge: scripts/setup.sh)" >&2
    exit 3
  fi
}
bin() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

# A process id from DIR/NAME.pid, when that process is alive and is the daemon started with this DIR's files.
live_pid() {
  local f="$dir/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$dir/" || return 1
  echo "$pid"
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
      echo "$p"
      return
    fi
  done
  echo "slurm_local: no free port found" >&2
  exit 1
}

stop_all() {
  local pid name jobs
  # The jobs first: their slurmstepd processes would outlive slurmd. Every job of this controller is ours.
  if live_pid slurmctld >/dev/null && live_pid slurmd >/dev/null; then
    jobs=$(SLURM_CONF="$dir/slurm.conf" squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ' || true)
    if [ -n "${jobs// /}" ]; then
      # shellcheck disable=SC2086
      SLURM_CONF="$dir/slurm.conf" scancel $jobs 2>/dev/null || true
      for _ in $(seq 1 100); do
        [ -z "$(SLURM_CONF="$dir/slurm.conf" squeue -h -o %A 2>/dev/null)" ] && break
        sleep 0.1
      done
      echo "slurm_local: cancelled jobs $jobs"
    fi
  fi
  for name in slurmd slurmctld munged; do
    if pid=$(live_pid "$name"); then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
      [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null || true
      echo "slurm_local: stopped $name (pid $pid)"
    fi
    rm -f "$dir/$name.pid"
  done
}

start() {
  need
  if live_pid slurmctld >/dev/null || live_pid slurmd >/dev/null || live_pid munged >/dev/null; then
    echo "slurm_local: already running in $dir (stop it first: $0 stop $dir)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 700 "$dir" "$dir/munge"

  # munge: its own key, socket, pid and seed files. -F: foreground, so this script owns the process.
  if [ ! -s "$dir/munge/munge.key" ]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  fi
  chmod 600 "$dir/munge/munge.key"
  local socket="$dir/munge/munge.socket"
  "$(bin munged)" -F -f --socket="$socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pidfile" \
    --seed-file="$dir/munge/munged.seed" --log-file="$dir/log/munged.log" </dev/null >>"$dir/log/munged.out" 2>&1 &
  echo $! > "$dir/munged.pid"
  for _ in $(seq 1 50); do [ -S "$socket" ] && break; sleep 0.1; done
  if [ ! -S "$socket" ]; then
    echo "slurm_local: munged did not start; $dir/log/munged.log says:" >&2
    tail -n 5 "$dir/log/munged.log" "$dir/log/munged.out" >&2 2>/dev/null || true
    stop_all >/dev/null
    exit 1
  fi

  # This machine as the one node: its CPUs, sockets, cores, threads and memory as slurmd sees them.
  local hw
  hw=$("$(bin slurmd)" -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //')
  local ctld_port slurmd_port
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
  local user
  user=$(id -un)
  cat > "$dir/slurm.conf" <<EOF
# Generated by scripts/slurm_local.sh: one node on loopback, everything under $dir.
ClusterName=fblocal
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/state/slurmctld.pidfile
SlurmdPidFile=$dir/spool/slurmd.pidfile
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
EnforcePartLimits=ALL
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=3600
KillWait=5
SlurmdTimeout=60
NodeName=fbnode NodeAddr=127.0.0.1 NodeHostname=localhost $hw State=UNKNOWN
PartitionName=debug Nodes=fbnode Default=YES MaxTime=1-00:00:00 State=UP
PartitionName=short Nodes=fbnode MaxTime=00:10:00 State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  "$(bin slurmctld)" -D -i -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
  echo $! > "$dir/slurmctld.pid"
  "$(bin slurmd)" -D -N fbnode -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmd.out" 2>&1 &
  echo $! > "$dir/slurmd.pid"

  local state=""
  for _ in $(seq 1 60); do
    state=$(sinfo -h -N -n fbnode -o %t 2>/dev/null | head -n 1 || true)
    [ "$state" = "idle" ] && break
    if ! live_pid slurmctld >/dev/null || ! live_pid slurmd >/dev/null; then break; fi
    sleep 0.5
  done
  if [ "$state" != "idle" ]; then
    echo "slurm_local: the node did not become idle (state '${state:-unknown}'); the logs say:" >&2
    tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" "$dir/log/slurmctld.out" "$dir/log/slurmd.out" >&2 2>/dev/null || true
    stop_all >/dev/null
    exit 1
  fi
  echo "slurm_local: running in $dir (controller on 127.0.0.1:$ctld_port, node fbnode idle: $hw)"
  echo "export SLURM_CONF=$SLURM_CONF"
}

status() {
  local name pid rc=0
  for name in munged slurmctld slurmd; do
    if pid=$(live_pid "$name"); then echo "$name: running (pid $pid)"; else echo "$name: not running"; rc=1; fi
  done
  if [ $rc -eq 0 ]; then
    SLURM_CONF="$dir/slurm.conf" sinfo
    echo "export SLURM_CONF=$dir/slurm.conf"
  fi
  return $rc
}

case "$cmd" in
  start) start ;;
  stop) stop_all ;;
  status) status ;;
  *) usage ;;
esac
