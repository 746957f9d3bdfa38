#!/usr/bin/env bash
# Each precision's gain on the CPU (issue: precision as a study axis), interleaved in one process per model
# (precision_bench.cpp), then the same again in a second process, so a claim holds only when both agree.
#   bench/precision/run.sh [--threads 2] [--min-time 3000] [--out DIR] [MODEL...]
# Default model: resnet50 (the int8 >= 2.5x and bf16 >= 1.9x targets); name zoo models to measure them too.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=2 min_time=3000 out="" models=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --min-time) min_time="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown flag '$1'" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[[ ${#models[@]} -gt 0 ]] || models=(resnet50)
bin=./build/release/src/backends/onednn/precision_bench
[[ -x "$bin" ]] || bin=$(find build/release -name precision_bench -type f -perm -u+x | head -1)
[[ -x "$bin" ]] || { echo "run.sh: build precision_bench first (cmake --build --preset release)" >&2; exit 1; }
out="${out:-$(mktemp -d -t formbench-precision-XXXXXX)}"
mkdir -p "$out"
for pass in 1 2; do
  echo "$(date -u +%T) pass $pass" >&2
  "$bin" --threads "$threads" --min-time "$min_time" --json "${models[@]}" > "$out/pass$pass.json"
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
a, b = (json.load(open(f"{out}/pass{p}.json")) for p in (1, 2))
print("| model | comparison | pass 1 [95% CI over rounds] | pass 2 [95% CI] |")
print("|---|---|---|---|")
for m1, m2 in zip(a, b):
    r2 = {r["what"]: r for r in m2.get("ratios", [])}
    for r in m1.get("ratios", []):
        s = r2.get(r["what"])
        second = f"{s['ratio']:.2f}x [{s['low']:.2f}, {s['high']:.2f}]" if s else "-"
        print(f"| {m1['model']} | {r['what']} | {r['ratio']:.2f}x [{r['low']:.2f}, {r['high']:.2f}] | {second} |")
print()
print("| model | backend | precision | pass 1 ms | pass 2 ms | agreement |")
print("|---|---|---|---|---|---|")
for m1, m2 in zip(a, b):
    l2 = {(l["backend"], l["precision"]): l for l in m2.get("latency", [])}
    for l in m1.get("latency", []):
        s = l2.get((l["backend"], l["precision"]))
        second = f"{s['median_ms']:.3f}" if s else "-"
        print(f"| {m1['model']} | {l['backend']} | {l['precision']} | {l['median_ms']:.3f} | {second} | {l['agreement']} |")
PY
