#!/usr/bin/env bash
# Simulated last-level cache behaviour of torch and onednn on the networks the replication's L3 section
# discusses, with today's backends: one `compare --cache-sim` per model (both backends, each simulated in
# its own valgrind child; callgrind's cache simulator, the host's cache geometry, only the counted
# inferences after a simulated warm-up run; docs/measure.md).
#
#   bench/l3/run.sh [--models m1,m2,...] [--threads 2] [--out DIR]
#
# Each model's JSON goes to DIR/raw/NN.json (or .err); bench/l3/summarize.py DIR prints the table. Default
# models: depthwise_separable at depths 1, 4 and 16, depthwise_bottleneck at depths 1 and 4, dense at depth 4
# and residual at depth 1 (width 32, 224 px, batch 1): about 15 minutes on a 2-core machine. The simulated
# counts do not depend on the machine's load, but the timing beside them does: run it quiet.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
formbench="${FORMBENCH:-$root/build/release/formbench}"
models="" threads=2 out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (valid: --models, --threads, --out)" >&2; exit 2 ;;
  esac
done
[[ -x "$formbench" ]] || { echo "run.sh: $formbench not built (cmake --build --preset release)" >&2; exit 2; }
if [[ -z "$models" ]]; then
  p=width=32\&res=224
  models="pattern:depthwise_separable?depth=1&$p,pattern:depthwise_separable?depth=4&$p"
  models="$models,pattern:depthwise_separable?depth=16&$p,pattern:depthwise_bottleneck?depth=1&$p"
  models="$models,pattern:depthwise_bottleneck?depth=4&$p,pattern:dense?depth=4&$p,pattern:residual?depth=1&$p"
fi
out="${out:-$(mktemp -d -t formbench-l3-XXXXXX)}"
mkdir -p "$out/raw"
IFS=, read -r -a model_list <<< "$models"
printf '%s\n' "${model_list[@]}" > "$out/models.txt"
echo "$(date -u +%FT%TZ) ${#model_list[@]} models; raw results in $out/raw" >&2
n=0
for m in "${model_list[@]}"; do
  n=$((n + 1))
  f=$(printf '%s/raw/%02d' "$out" "$n")
  # compare checks both backends against the reference; it exits 1 on a disagreement, after its JSON.
  "$formbench" compare "$m" --backends torch,onednn --threads "$threads" --warmup 1 --min-runs 6 \
    --min-time 200 --cache-sim --keep-going --json > "$f.json" 2> "$f.err" || true
  if ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$f.json" 2>/dev/null; then
    echo "run.sh: $m failed: $(tail -1 "$f.err")" >&2
    rm -f "$f.json"
  fi
  echo "$(date -u +%T) $m" >&2
done
python3 "$here/summarize.py" "$out"
