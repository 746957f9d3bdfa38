#!/usr/bin/env bash
# Two back-to-back runs of studies/quick.toml into two databases, then how far they agree (compare.py):
# the measurement issue's targets for the quick study. Run on a quiet machine; nothing else measuring.
#   bench/reproducibility/quick_twice.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-out/reproducibility}
fb=./build/release/formbench
mkdir -p "$out"
rm -f "$out"/a.sqlite* "$out"/b.sqlite*
for run in a b; do
  start=$(date +%s)
  "$fb" study run studies/quick.toml --db "$out/$run.sqlite" --no-progress 2> "$out/$run.log"
  echo "run $run: $(( $(date +%s) - start )) s" | tee "$out/$run.time"
done
python3 bench/reproducibility/compare.py "$out/a.sqlite" "$out/b.sqlite"
