#!/usr/bin/env bash
# Repeatability of `formbench bench`: RUNS (5) separate processes measure MODEL (resnet18) on BACKEND (onednn
# when built, else the first non-reference backend) with THREADS (1) threads; prints each run's median and
# 95% CI and how far each median lies from the median of the medians. On a quiet machine they should all be
# within +-3%. Usage: bench/repeatability/run.sh [path/to/formbench]; env: MODEL, BACKEND, THREADS, RUNS,
# EXTRA (more bench flags), OUT (directory for the JSON files).
set -euo pipefail
FB=${1:-${FORMBENCH:-build/release/formbench}}
MODEL=${MODEL:-resnet18}
THREADS=${THREADS:-1}
RUNS=${RUNS:-5}
EXTRA=${EXTRA:-}
OUT=${OUT:-$(mktemp -d)}
if [[ -z "${BACKEND:-}" ]]; then
  built=$("$FB" list backends | awk 'NR > 2 && $2 == "yes" {print $1}')
  if grep -qx onednn <<<"$built"; then
    BACKEND=onednn
  else
    BACKEND=$(grep -vx reference <<<"$built" | head -1 || true)
    BACKEND=${BACKEND:-reference}
    echo "note: onednn is not built into $FB; measuring $BACKEND instead" >&2
  fi
fi
mkdir -p "$OUT"
echo "formbench bench $MODEL --backend $BACKEND --threads $THREADS $EXTRA  (x$RUNS, JSON in $OUT)"
for i in $(seq 1 "$RUNS"); do
  # shellcheck disable=SC2086
  "$FB" bench "$MODEL" --backend "$BACKEND" --threads "$THREADS" --no-counters --json $EXTRA >"$OUT/run$i.json"
done
python3 - "$OUT" "$RUNS" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
rs = [json.load(open(f"{out}/run{i}.json")) for i in range(1, runs + 1)]
meds = [r["median_ms"] for r in rs]
mm = statistics.median(meds)
print(f"{'run':>3}  {'median ms':>10}  {'95% CI':>21}  {'samples':>7}  {'vs median of medians':>20}")
for i, r in enumerate(rs, 1):
    ci = f"[{r['ci95_low_ms']:.3f}, {r['ci95_high_ms']:.3f}]" if r["ci95_low_ms"] is not None else "n/a"
    print(f"{i:>3}  {r['median_ms']:>10.3f}  {ci:>21}  {r['samples']:>7}  {100 * (r['median_ms'] / mm - 1):>+19.2f}%")
spread = max(abs(m / mm - 1) for m in meds) * 100
m = rs[0]["machine"]
print(f"median of medians {mm:.3f} ms; largest deviation {spread:.2f}% "
      f"({'within' if spread <= 3 else 'OUTSIDE'} +-3%); {m['cpu_model']}, {m['git_revision']}, {m['timestamp']}")
PY
