#!/usr/bin/env bash
# The latency predictor's validation (docs/predict.md): fit on sampled kernels and the design patterns only,
# then predict networks it never saw, each measured as every study measures (paired, k processes):
#   1. `formbench predictor sample` (single layers, profiled)       -> DIR/sample.sqlite
#   2. studies/predict_patterns.toml (ten patterns, profiled)        -> DIR/patterns.sqlite
#   3. held out: studies/predict_zoo.toml (the 25 zoo networks)      -> DIR/zoo.sqlite
#      studies/quick.toml (patterns at other depths, widths, sizes)  -> DIR/quick.sqlite
#      with --onnx DIR2: every .onnx file in it (e.g. torchvision exports, export_torchvision.py) -> DIR/onnx.sqlite
#   4. `predictor fit` on 1 and 2, `predictor check` on each of 3 (DIR/check_*.txt and .json)
#
#   bench/predict/run.sh [--out DIR] [--budget MIN] [--onnx DIR2]
#
# Every step resumes: run it again after an interruption. Run time on a 2-core machine: about 35 minutes
# (sample 9, patterns 5, zoo 8, quick 5, checks 2), plus the ONNX files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="" budget=12 onnx=""
formbench="${FORMBENCH:-$root/build/release/formbench}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    --onnx) onnx="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -x "$formbench" ]] || { echo "run.sh: $formbench not built (cmake --build --preset release)" >&2; exit 2; }
out="${out:-$(mktemp -d -t formbench-predict-XXXXXX)}"
mkdir -p "$out"
"$formbench" predictor sample --db "$out/sample.sqlite" --budget "$budget"
"$formbench" study run "$root/studies/predict_patterns.toml" --db "$out/patterns.sqlite" --no-progress
"$formbench" study run "$root/studies/predict_zoo.toml" --db "$out/zoo.sqlite" --no-progress
"$formbench" study run "$root/studies/quick.toml" --db "$out/quick.sqlite" --no-progress
held_out=(zoo quick)
if [[ -n "$onnx" ]]; then
  spec="$out/onnx.toml"
  {
    echo 'name = "predict_onnx"'
    echo 'description = "ONNX files formbench did not write, for checking a latency predictor"'
    echo 'backend = ["torch", "onednn"]'
    echo 'threads = 2'
    echo 'batch = 1'
    sed -n '/^\[measure\]/,/^timeout_s/p' "$root/studies/predict_zoo.toml"
    echo '[[models]]'
    printf 'model = ['
    first=1
    for f in "$onnx"/*.onnx; do
      [[ $first == 1 ]] || printf ', '
      printf '"%s"' "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
      first=0
    done
    echo ']'
  } > "$spec"
  "$formbench" study run "$spec" --db "$out/onnx.sqlite" --no-progress
  held_out+=(onnx)
fi
"$formbench" predictor fit "$out/sample.sqlite" "$out/patterns.sqlite" -o "$out/predictor.json" | tee "$out/fit.txt"
for h in "${held_out[@]}"; do
  "$formbench" predictor check "$out/predictor.json" "$out/$h.sqlite" | tee "$out/check_$h.txt"
  "$formbench" predictor check "$out/predictor.json" "$out/$h.sqlite" --json > "$out/check_$h.json"
done
echo "results: $out" >&2
