#!/usr/bin/env bash
# Is formbench's `torch` backend what a PyTorch user gets? Times each architecture with `formbench bench
# --backend torch` and with Python PyTorch eager (pytorch_eager.py) at batch 1 and T threads, alternating the
# two in every round so both see the same machine state, and prints median latencies and their ratio.
# Target: the ratio within 1 +- 0.10. Needs python3-torch and python3-torchvision (scripts/setup.sh --bench).
#
#   bench/native_fidelity/run.sh [--rounds R] [--threads T] [--runs N] [--arch A]... [--formbench PATH]
#                                [--out FILE.jsonl] [--malloc retain|default] [--overhead]
#
# --malloc retain (the default, as formbench measures) runs BOTH sides with the same fixed glibc malloc
# settings (no mmap below 32 MiB, no heap trimming), so freed activations are reused instead of returned to
# the kernel and faulted in again: the comparison then isolates the framework from each process's allocator
# history (docs/native_fidelity.md). --malloc default leaves glibc alone on both sides.
# --overhead also times each architecture at 32 px, where compute is small, and prints Python's per-inference
# interpreter/nn.Module overhead (python - formbench there) and the ratio with that overhead removed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds=3 threads=2 runs=15 formbench="$root/build/release/formbench" out="" only=() malloc=retain overhead=0
python="${PYTHON:-/usr/bin/python3}"  # Debian's python3-torch lives in the system interpreter
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --formbench) formbench="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --arch) only+=("$2"); shift 2 ;;
    --malloc) malloc="$2"; shift 2 ;;
    --overhead) overhead=1; shift ;;
    *) echo "run.sh: unknown option '$1' (valid: --rounds --threads --runs --arch --formbench --out --malloc --overhead)" >&2
       exit 2 ;;
  esac
done
[ -x "$formbench" ] || { echo "run.sh: no formbench binary at $formbench (build first or pass --formbench)" >&2; exit 1; }
"$python" -c "import torch, torchvision" 2>/dev/null ||
  { echo "run.sh: $python cannot import torch/torchvision (install python3-torch python3-torchvision)" >&2; exit 1; }

archs=(resnet18 resnet50 mobilenet_v2 vgg16 densenet121
       "pattern:residual?depth=8&width=64" "pattern:depthwise_bottleneck?depth=8&width=64")
[ ${#only[@]} -gt 0 ] && archs=("${only[@]}")
case "$malloc" in
  default) ;;
  retain) export GLIBC_TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296" ;;
  *) echo "run.sh: --malloc must be default or retain, got '$malloc'" >&2; exit 2 ;;
esac
if [ "$overhead" = 1 ]; then  # the same architectures at 32 px (appended to the query)
  for a in "${archs[@]}"; do
    case "$a" in
      vgg*) ;;  # AdaptiveAvgPool2d(7) needs 224 px; with 16 layers its Python overhead is negligible anyway
      *\?*) archs+=("$a&res=32") ;;
      *) archs+=("$a?res=32") ;;
    esac
  done
fi
# Rows are written as they are measured, so an interrupted run keeps what it has.
if [ -n "$out" ]; then
  log="$out"
  : > "$log"
else
  log="$(mktemp)"
  trap 'rm -f "$log"' EXIT
fi

for ((r = 1; r <= rounds; r++)); do
  for arch in "${archs[@]}"; do
    # Alternate which side goes first, so neither always runs on a warmer (or hotter) machine.
    sides=(formbench python)
    [ $((r % 2)) -eq 0 ] && sides=(python formbench)
    for side in "${sides[@]}"; do
      if [ "$side" = formbench ]; then
        ms="$("$formbench" bench "$arch" --backend torch --malloc "$malloc" --threads "$threads" --batch 1 --warmup 3 --warmup-time 0 \
               --min-runs "$runs" --max-runs "$runs" --min-time 0 --no-counters --no-ceilings --json |
             "$python" -c 'import json, sys; print(json.load(sys.stdin)["median_ms"])')"
      else
        ms="$("$python" "$here/pytorch_eager.py" "$arch" --threads "$threads" --runs "$runs" |
             "$python" -c 'import json, sys; print(json.load(sys.stdin)["median_ms"])')"
      fi
      printf '{"round": %d, "arch": "%s", "side": "%s", "median_ms": %s}\n' "$r" "$arch" "$side" "$ms" | tee -a "$log" >&2
    done
  done
done

"$python" - "$log" "$threads" "$malloc" <<'PY'
import collections, json, re, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = collections.defaultdict(lambda: collections.defaultdict(list))
for r in rows:
    by[r["arch"]][r["side"]].append(r)
print(f"| architecture | formbench torch (ms) | PyTorch eager (ms) | ratio | per-round ratios |")
print(f"|---|---|---|---|---|")
worst = 0.0
med = {}
for arch, sides in by.items():
    f = {r["round"]: r["median_ms"] for r in sides["formbench"]}
    p = {r["round"]: r["median_ms"] for r in sides["python"]}
    ratios = [f[k] / p[k] for k in sorted(f) if k in p]
    fm, pm = statistics.median(f.values()), statistics.median(p.values())
    med[arch] = (fm, pm)
    if not re.search(r"[?&]res=32$", arch):
        worst = max(worst, abs(fm / pm - 1))
    print(f"| {arch} | {fm:.2f} | {pm:.2f} | {fm / pm:.3f} | {', '.join(f'{x:.3f}' for x in ratios)} |")
print(f"\nbatch 1, {sys.argv[2]} threads, malloc {sys.argv[3]}, median of per-round medians; worst deviation "
      f"{100 * worst:.1f}% ({'within' if worst <= 0.10 else 'OUTSIDE'} the +-10% target)")
probes = {a: re.sub(r"[?&]res=32$", "", a) for a in med if re.search(r"[?&]res=32$", a)}
if probes:
    print("\n| architecture | Python overhead at 32 px (ms) | ratio | ratio without the overhead |")
    print("|---|---|---|---|")
    for probe, arch in probes.items():
        if arch not in med:
            continue
        over = med[probe][1] - med[probe][0]
        fm, pm = med[arch]
        print(f"| {arch} | {over:.2f} | {fm / pm:.3f} | {fm / (pm - over):.3f} |")
PY
