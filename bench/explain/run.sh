#!/usr/bin/env bash
# How much of each speedup the per-layer profiles account for: `formbench explain` on the six core patterns
# (the quick study's width 32 and 64 px, at depths 1 and 8) and on the zoo (224 px, Inception-V3 299 px),
# torch against onednn, then one table (summarize.js): per model the speedup, the parts of the gain in % and
# the residual's share of it. The target (issue: attribution) is a residual under 15% of the gain everywhere.
#
#   bench/explain/run.sh [--threads 2] [--iterations 20] [--models a,b] [--out DIR]
#
# Each model is one `explain` process: the backends timed alternately, then profiled per layer in rounds that
# alternate them. Raw JSON: DIR/NAME.json. Run time: ~10 min for all 37 on a 2-core machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
threads=2 iterations=20 models="" out=""
formbench="${FORMBENCH:-$root/build/release/formbench}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -x "$formbench" ]] || { echo "run.sh: $formbench not built (cmake --build --preset release)" >&2; exit 2; }
out="${out:-$(mktemp -d -t formbench-explain-XXXXXX)}"
mkdir -p "$out"
if [[ -z "$models" ]]; then
  for p in plain residual bottleneck depthwise_separable depthwise_bottleneck dense; do
    for d in 1 8; do models+="pattern:$p?depth=$d&width=32&res=64,"; done
  done
  models+="$("$formbench" list models | awk 'NR > 2 && NF { print $1 }' | paste -sd, -)"
fi
IFS=, read -r -a model_list <<< "$models"
for m in "${model_list[@]}"; do
  name="$(printf '%s' "$m" | tr -c 'A-Za-z0-9_.-' '_')"
  echo "explain $m" >&2
  if ! "$formbench" explain "$m" --backends torch,onednn --threads "$threads" --per-layer-iterations "$iterations" \
        --json > "$out/$name.json" 2> "$out/$name.err"; then
    echo "  failed: $(tail -1 "$out/$name.err")" >&2
    rm -f "$out/$name.json"
  fi
done
node "$here/summarize.js" "$out"/*.json
echo "raw: $out" >&2
