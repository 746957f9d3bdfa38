#!/usr/bin/env bash
# onednn vs ONNX Runtime (CPU, npm onnxruntime-node) on the zoo, measured alternately in one run.
#
#   bench/ort/run.sh [--threads 2] [--batch 1] [--rounds 3] [--min-time 1000] [--models resnet50,vgg16] [--out DIR]
#
# Every zoo model (or --models) is exported once with `formbench export` (opset 13, seed 0, symbolic batch);
# both runtimes then read that same .onnx file at --batch, so graph, weights and input shape are identical.
# For each round and model, `formbench bench FILE.onnx --backend onednn` and bench/ort/ort_bench.js run
# back to back, the order swapped every round, so slow drifts of a noisy machine hit both. Each run reports its median; the
# table (summarize.js) shows per model the median over rounds of those medians and of the per-round ratio
# ORT / onednn (> 1: onednn faster), with its range, then their geometric mean. Raw JSON: DIR/results.jsonl.
# Run time: about rounds x (2 x 25 models x (min-time + 1-3 s of load, compile and warm-up)) plus a
# minute of exports: ~8 min with the defaults on a 2-core machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
threads=2 batch=1 rounds=3 min_time=1000 models="" out=""
formbench="${FORMBENCH:-$root/build/release/formbench}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --min-time) min_time="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -x "$formbench" ]] || { echo "run.sh: $formbench not built (cmake --build --preset release)" >&2; exit 2; }
out="${out:-$(mktemp -d -t formbench-ort-XXXXXX)}"
mkdir -p "$out"
if [[ -z "$models" ]]; then
  models="$("$formbench" list models | awk 'NR > 2 && NF { print $1 }' | paste -sd, -)"
fi
IFS=, read -r -a model_list <<< "$models"

echo "exporting ${#model_list[@]} models to $out" >&2
for m in "${model_list[@]}"; do
  "$formbench" export "$m" -o "$out/$m.onnx" --seed 0 --dynamic-batch > /dev/null
done

results="$out/results.jsonl"
: > "$results"
run_onednn() {
  # Round 1 also checks onednn's outputs against the reference backend: a time only counts when they agree
  # (bench --check exits non-zero, and this script with it, when they do not).
  local check=()
  [ "$2" = 1 ] && check=(--check)
  "$formbench" bench "$out/$1.onnx" --backend onednn --threads "$threads" --batch "$batch" --min-time "$min_time" \
    --no-counters --no-ceilings --json "${check[@]}" | node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const j = JSON.parse(s);
        console.log(JSON.stringify({ model: process.argv[1], round: +process.argv[2], runtime: "onednn",
          median_ms: j.median_ms, min_ms: j.min_ms, samples: j.samples, compile_ms: j.compile_ms }));
      });' "$1" "$2" >> "$results"
}
run_ort() {
  node "$here/ort_bench.js" "$out/$1.onnx" --threads "$threads" --batch "$batch" --min-time "$min_time" | node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const j = JSON.parse(s);
        console.log(JSON.stringify({ model: process.argv[1], round: +process.argv[2], runtime: "ort",
          median_ms: j.median_ms, min_ms: j.min_ms, samples: j.samples, ort_version: j.ort_version }));
      });' "$1" "$2" >> "$results"
}
for ((r = 1; r <= rounds; ++r)); do
  for m in "${model_list[@]}"; do
    echo "round $r/$rounds: $m" >&2
    if (( r % 2 )); then run_onednn "$m" "$r"; run_ort "$m" "$r"; else run_ort "$m" "$r"; run_onednn "$m" "$r"; fi
  done
done
node "$here/summarize.js" "$results" "$threads" "$batch"
echo "raw results: $results" >&2
