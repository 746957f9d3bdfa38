#!/usr/bin/env bash
# The measurement issue's bench target: does `bench --processes K` give an interval that holds the median
# of a later, independent `bench`? Per backend, twice: one `bench MODEL --processes K --span S`, then three
# plain `bench`es GAP seconds apart, REPS times; each plain median is checked against the CI and the "a later
# process" interval of the `--processes` bench before it, and each `--processes` bench's median (the like-for-like
# rerun) against the CI and rerun interval of the one before it. Run on a quiet machine.
#   bench/reproducibility/bench_later.sh [--model resnet18] [--backends onednn,torch] [--processes 5]
#                                        [--span 60] [--gap 20] [--reps 2] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
model=resnet18 backends=onednn,torch k=5 span=60 gap=20 reps=2 out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --backends) backends="$2"; shift 2 ;;
    --processes) k="$2"; shift 2 ;;
    --span) span="$2"; shift 2 ;;
    --gap) gap="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "bench_later.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
fb=./build/release/formbench
out="${out:-$(mktemp -d -t formbench-bench-later-XXXXXX)}"
mkdir -p "$out"
IFS=, read -r -a list <<< "$backends"
for b in "${list[@]}"; do
  for rep in $(seq 1 "$reps"); do
    echo "$(date -u +%T) $b: --processes $k --span $span" >&2
    "$fb" bench "$model" --backend "$b" --threads 2 --processes "$k" --span "$span" --json > "$out/$b-$rep-processes.json"
    for i in 1 2 3; do
      sleep "$gap"
      "$fb" bench "$model" --backend "$b" --threads 2 --json > "$out/$b-$rep-single-$i.json"
    done
  done
done
python3 - "$out" "$reps" "${list[@]}" <<'PY'
import json, sys
out, reps, backends = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
tot_ci = tot_next = n = 0
pairs = []
print("| backend | --processes: median [95% CI] | a later process | later single benches | in CI | in later-process interval |")
print("|---|---|---|---|---|---|")
for b in backends:
    prev = None
    for rep in range(1, reps + 1):
        p = json.load(open(f"{out}/{b}-{rep}-processes.json"))["backends"][0]
        singles = [json.load(open(f"{out}/{b}-{rep}-single-{i}.json"))["median_ms"] for i in (1, 2, 3)]
        lo, hi, nlo, nhi = p["ci95_low_ms"], p["ci95_high_ms"], p["next_process_low_ms"], p["next_process_high_ms"]
        in_ci = sum(lo <= s <= hi for s in singles)
        in_next = sum(nlo <= s <= nhi for s in singles)
        tot_ci, tot_next, n = tot_ci + in_ci, tot_next + in_next, n + 3
        print(f"| {b} | {p['median_ms']:.3f} [{lo:.3f}, {hi:.3f}] (processes {' '.join(f'{x:.3f}' for x in p['process_medians_ms'])}) "
              f"| [{nlo:.3f}, {nhi:.3f}] | {', '.join(f'{s:.3f}' for s in singles)} | {in_ci} of 3 | {in_next} of 3 |")
        if prev:
            # The rerun interval (docs/measure.md): the CI's log distances from the estimate times sqrt(2).
            pm, plo, phi = prev["median_ms"], prev["ci95_low_ms"], prev["ci95_high_ms"]
            rlo, rhi = pm * (plo / pm) ** 2 ** 0.5, pm * (phi / pm) ** 2 ** 0.5
            pairs.append((b, rep, p["median_ms"], plo <= p["median_ms"] <= phi, rlo <= p["median_ms"] <= rhi))
        prev = p
print(f"\nlater single benches inside the CI: {tot_ci} of {n}; inside the later-process interval: {tot_next} of {n}")
if pairs:
    print("\n| backend | --processes run | median | inside the previous run's CI | inside its rerun interval |")
    print("|---|---|---|---|---|")
    for b, rep, m, ci, rr in pairs:
        print(f"| {b} | {rep} | {m:.3f} | {'yes' if ci else 'no'} | {'yes' if rr else 'no'} |")
    print(f"\nlater --processes runs inside the previous CI: {sum(x[3] for x in pairs)} of {len(pairs)}; "
          f"inside its rerun interval: {sum(x[4] for x in pairs)} of {len(pairs)}")
PY
