#!/usr/bin/env bash
# Proves the README on a clean Debian: builds a minimal Debian 12 (bookworm, the default) or Debian 13
# (trixie) root with debootstrap, clones this repository's committed tree (HEAD) into it and runs the README's
# two commands there exactly as written, `scripts/quickstart.sh` then `scripts/test.sh`, printing the time of
# each and PASS or FAIL.
#
#   scripts/fresh_check.sh [--suite bookworm|trixie] [--work DIR] [--keep] [--new-base]
#     --suite S    the Debian release: bookworm (12, default) or trixie (13)
#     --work DIR   where the cached base tarball and the root live (default /var/tmp/formbench-fresh)
#     --keep       keep the root afterwards (it is always kept after a FAIL, and wiped by the next run)
#     --new-base   debootstrap afresh instead of unpacking the cached base tarball
#
# Runs as root (debootstrap, mount, chroot); installs debootstrap on the host if missing, and nothing else
# there. The root starts as `debootstrap --variant=minbase`: no compiler, no Node.js, no CA bundle. It
# inherits only what a container on this host would: /etc/resolv.conf, the host's Debian mirrors and apt
# proxy, proxy variables, and the CA certificates in /usr/local/share/ca-certificates (with
# NODE_EXTRA_CA_CERTS pointing at the root's own bundle once ca-certificates is installed there).
# Uncommitted changes are not part of the check. Takes 30-60 min on 2 cores; see docs/install.md.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=/var/tmp/formbench-fresh
keep=0
new_base=0
suite=bookworm
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite=${2:?--suite needs bookworm or trixie}; shift 2 ;;
    --work) work=${2:?--work needs a folder}; shift 2 ;;
    --keep) keep=1; shift ;;
    --new-base) new_base=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "fresh_check: unknown option '$1' (valid: --suite bookworm|trixie, --work DIR, --keep, --new-base)" >&2; exit 2 ;;
  esac
done
case "$suite" in
  bookworm) debian=12 ;;
  trixie) debian=13 ;;
  *) echo "fresh_check: --suite must be bookworm (Debian 12) or trixie (Debian 13), not '$suite'" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "fresh_check: run as root (it uses debootstrap, mount and chroot)" >&2; exit 2; }
case "$work" in /*) ;; *) work="$PWD/$work" ;; esac
case "$work" in *[[:space:]]*|/) echo "fresh_check: --work must be a folder without spaces, not /" >&2; exit 2 ;; esac

arch=$(dpkg --print-architecture)
base="$work/base-$suite-minbase-$arch.tar.gz"
# Debian 12 keeps the names it always had; another release gets its own root and log beside them.
root="$work/root"
log="$work/last-run.log"
if [ "$suite" != bookworm ]; then
  root="$work/root-$suite"
  log="$work/last-run-$suite.log"
fi
src=/root/formbench   # where the repository lives inside the root, as a newcomer's clone would
mkdir -p "$work"
# tee ignores Ctrl-C and TERM, so that the cleanup's messages still reach the terminal and the log.
exec > >(trap '' INT TERM; exec tee "$log") 2>&1

say() { echo "fresh_check: $*"; }
fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

retry() {  # retry N DELAY CMD...: a mirror hiccup must not fail the check
  local n=$1 delay=$2 i
  shift 2
  for ((i = 1; i <= n; i++)); do
    "$@" && return 0
    [ "$i" -lt "$n" ] && { say "'$1' failed (try $i of $n), retrying in ${delay}s"; sleep "$delay"; }
  done
  return 1
}

# Mount points at or below $1, deepest first (mountinfo escapes spaces; our paths have none).
mounts_under() { awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r; }

in_root() {  # is any process's root $1?
  local pid
  for pid in /proc/[0-9]*; do
    [ "$(readlink "$pid/root" 2>/dev/null)" = "$1" ] && return 0
  done
  return 1
}

# Ends the processes whose root is $1 (left over after Ctrl-C), then unmounts everything below it.
release() {
  local dir=$1 pid m
  [ -d "$dir" ] || return 0
  local sig i
  for sig in TERM KILL; do
    for pid in /proc/[0-9]*; do
      [ "$(readlink "$pid/root" 2>/dev/null)" = "$dir" ] && kill "-$sig" "${pid#/proc/}" 2>/dev/null
    done
    for ((i = 0; i < 10; i++)); do  # up to 5 s for them to go
      in_root "$dir" || break
      sleep 0.5
    done
  done
  for m in $(mounts_under "$dir"); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
  done
  [ -z "$(mounts_under "$dir")" ]
}

# Removes a root, refusing while anything below it is still mounted (a bound /dev must never be emptied).
remove_tree() {
  local dir=$1
  [ -e "$dir" ] || return 0
  release "$dir" || { say "still mounted below $dir; not removing it"; return 1; }
  rm -rf --one-file-system "$dir"
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  trap '' PIPE
  release "$work/base.tmp"
  release "$root" || say "WARNING: mounts remain below $root: $(mounts_under "$root" | tr '\n' ' ')"
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

commit=$(git -C "$repo" rev-parse HEAD)
describe="$(git -C "$repo" rev-parse --short=12 HEAD) ($(git -C "$repo" log -1 --format=%cs))"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  say "note: uncommitted changes in $repo are not part of this check (it clones HEAD)"
fi

# --- the host side: debootstrap, the mirrors, the proxy ------------------------------------------------
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap on the host"
  retry 3 20 env DEBIAN_FRONTEND=noninteractive apt-get -q -o Acquire::Retries=3 update
  retry 3 20 env DEBIAN_FRONTEND=noninteractive apt-get -q -o Acquire::Retries=3 install -y --no-install-recommends debootstrap
fi
host_uris=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
            grep -E '^[[:space:]]*(deb|URIs:)' | grep -oE '(https?|file)://[^][[:space:]]+' || true)
mirror=$(echo "$host_uris" | grep -E '/debian/?$' | head -n1 || true)
security=$(echo "$host_uris" | grep -E '/debian-security/?$' | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
security=${security:-http://deb.debian.org/debian-security}
apt_proxy=$(apt-config dump | grep -iE '^Acquire::(https?|ftp)::Proxy ' || true)

# --- the base: debootstrap once, then a cached tarball -------------------------------------------------
if [ "$new_base" -eq 1 ] || [ ! -s "$base" ]; then
  say "debootstrap --variant=minbase $suite from $mirror (cached as $base)"
  t=$(date +%s)
  remove_tree "$work/base.tmp"
  attempt() { remove_tree "$work/base.tmp" && debootstrap --variant=minbase --arch="$arch" "$suite" "$work/base.tmp" "$mirror"; }
  retry 3 30 attempt
  release "$work/base.tmp"
  tar -C "$work/base.tmp" --numeric-owner -czf "$base.part" .
  mv "$base.part" "$base"
  remove_tree "$work/base.tmp"
  say "base ready in $(fmt_time $(($(date +%s) - t)))"
fi

say "unpacking $base into $root"
remove_tree "$root"
mkdir -p "$root"
tar -C "$root" --numeric-owner -xzf "$base"

# Network settings, as a container would get them.
cat /etc/resolv.conf > "$root/etc/resolv.conf"
rm -f "$root/etc/apt/sources.list"
cat > "$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
[ -z "$apt_proxy" ] || echo "$apt_proxy" > "$root/etc/apt/apt.conf.d/01proxy"
# The host's extra CA certificates: ca-certificates (installed by setup.sh) adds them to the root's bundle.
env_in=(HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 TERM="${TERM:-dumb}"
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
  [ ! -x "$root/usr/sbin/update-ca-certificates" ] || chroot "$root" update-ca-certificates >/dev/null
  [ -z "${NODE_EXTRA_CA_CERTS:-}" ] || env_in+=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
fi
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [ -z "${!v:-}" ] || env_in+=("$v=${!v}")
done

# The repository, as a newcomer's clone (the build stamps its git revision into results).
git clone -q --no-hardlinks "$repo" "$root$src"
git -C "$root$src" checkout -q --detach "$commit"

# /proc, /sys and a /dev of its own (a tmpfs with the host's basic device nodes bound in, so that removing
# the root can never touch the host's /dev).
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys" 2>/dev/null || mount --bind /sys "$root/sys"
# A machine or container has its cgroups mounted (slurmd, for the Slurm tests, refuses to start without
# them). Bound in as a slave, so that unmounting them in the root never unmounts the host's.
if mountpoint -q /sys/fs/cgroup && ! mountpoint -q "$root/sys/fs/cgroup"; then
  mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup" && mount --make-rslave "$root/sys/fs/cgroup"
fi
mount -t tmpfs -o mode=0755,nosuid dev "$root/dev"
for d in null zero full random urandom tty; do
  touch "$root/dev/$d"
  mount --bind "/dev/$d" "$root/dev/$d"
done
mkdir -p "$root/dev/pts" "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
if mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts" 2>/dev/null; then
  ln -s pts/ptmx "$root/dev/ptmx"
fi
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"

# --- the README's two commands ---------------------------------------------------------------------------
run_step() {  # run_step NAME: runs NAME in the root's clone; sets step_rc and step_s
  local t
  t=$(date +%s)
  say "=== $1 (in a clean Debian $debian ($suite) root, $(date -u +%H:%M) UTC) ==="
  # In the background (its own process group: job control keeps SIGINT at its default there) and waited
  # for, so that Ctrl-C or a TERM runs the trap at once instead of after the step; the cleanup then ends
  # the step's processes and unmounts.
  set +e
  set -m
  chroot "$root" /usr/bin/env -i "${env_in[@]}" /bin/bash -c "cd $src && $1" < /dev/null &
  local pid=$!
  set +m
  wait "$pid"
  step_rc=$?
  set -e
  step_s=$(($(date +%s) - t))
  say "=== $1: exit $step_rc after $(fmt_time "$step_s") ==="
}

started=$(date -u +%Y-%m-%dT%H:%MZ)
run_step scripts/quickstart.sh
quick_rc=$step_rc quick_s=$step_s
report="$src/out/quick-report/index.html"
quick_result=FAIL
if [ "$quick_rc" -eq 0 ] && [ -s "$root$report" ]; then quick_result=PASS; fi
run_step scripts/test.sh
test_rc=$step_rc test_s=$step_s
test_result=FAIL
[ "$test_rc" -ne 0 ] || test_result=PASS
node_version=$(chroot "$root" node --version 2>/dev/null || echo "none")

result=FAIL
[ "$quick_result" = PASS ] && [ "$test_result" = PASS ] && result=PASS
echo
say "summary: Debian $debian ($suite) minbase root, commit $describe, started $started, Node.js $node_version"
printf 'fresh_check:   %-22s %8s  %s\n' "scripts/quickstart.sh" "$(fmt_time "$quick_s")" \
  "$quick_result (exit $quick_rc; $report $([ -s "$root$report" ] && echo present || echo missing))"
printf 'fresh_check:   %-22s %8s  %s\n' "scripts/test.sh" "$(fmt_time "$test_s")" "$test_result (exit $test_rc)"
say "$result"
if [ "$result" = PASS ] && [ "$keep" -eq 0 ]; then
  release "$root" && remove_tree "$root"
else
  say "the root is kept in $root (chroot $root /bin/bash to look around; the next run wipes it)"
fi
say "log: $log"
[ "$result" = PASS ]
