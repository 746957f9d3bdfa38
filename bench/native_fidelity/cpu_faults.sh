#!/usr/bin/env bash
# Per-inference CPU time (user, sys) and minor page faults of formbench's `torch` backend and of Python
# PyTorch eager for one architecture, from two runs of each process that differ only in the number of
# timed inferences (N1, N2): (total(N2) - total(N1)) / (N2 - N1), so start-up and compilation cancel. CPU
# time and fault counts are far less sensitive to other load on the machine than wall time.
#
#   bench/native_fidelity/cpu_faults.sh ARCH [--threads T] [--n1 N1] [--n2 N2]
# Any GLIBC_TUNABLES in the environment applies to both sides.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
arch="${1:?usage: cpu_faults.sh ARCH [--threads T] [--n1 N1] [--n2 N2]}"
shift
threads=1 n1=3 n2=13 formbench="${FORMBENCH:-$root/build/release/formbench}" python="${PYTHON:-/usr/bin/python3}"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --n1) n1="$2"; shift 2 ;;
    --n2) n2="$2"; shift 2 ;;
    *) echo "cpu_faults.sh: unknown option '$1' (valid: --threads --n1 --n2)" >&2; exit 2 ;;
  esac
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for side in formbench python; do
  for n in "$n1" "$n2"; do
    if [ "$side" = formbench ]; then
      # --malloc default: both sides run on whatever heap settings the environment gives (GLIBC_TUNABLES).
      cmd=("$formbench" bench "$arch" --backend torch --malloc default --threads "$threads" --batch 1 --warmup 1 --warmup-time 0
           --min-runs "$n" --max-runs "$n" --min-time 0 --no-counters --no-ceilings --json)
    else
      cmd=("$python" "$here/pytorch_eager.py" "$arch" --threads "$threads" --runs "$n" --warmup 1)
    fi
    /usr/bin/time -f "%U %S %R" -o "$tmp/$side.$n" "${cmd[@]}" > /dev/null
  done
  "$python" - "$tmp/$side.$n1" "$tmp/$side.$n2" "$side" "$((n2 - n1))" <<'PY'
import sys
a, b = ([float(x) for x in open(p).read().split()] for p in sys.argv[1:3])
d = [(y - x) / int(sys.argv[4]) for x, y in zip(a, b)]
print(f"{sys.argv[3]:10s} per inference: user {d[0] * 1e3:8.2f} ms  sys {d[1] * 1e3:8.2f} ms  minor faults {d[2]:9.0f}")
PY
done
