#!/usr/bin/env bash
# Two software stacks on one machine: the same formbench source built against two sets of libraries (Debian
# 12: LibTorch 1.13 + oneDNN 2.6; Debian 13: LibTorch 2.6 + oneDNN 3.7), measured alternately.
#
#   bench/stacks/run.sh --a "CMD" --b "CMD" [--models m1,m2,...] [--threads 2] [--out DIR]
#     CMD   how to start each stack's formbench, e.g. "build/release/formbench" and
#           "chroot /srv/trixie /src/formbench/build/release/formbench" (a Debian 13 root with its build)
#
# Per model, four processes in the order A B B A (the order balances a drift that is linear in time): each
# one `compare --backends torch,onednn --json` with the paper study's timing (its backends interleaved in
# rounds, the speedup from the paired per-round ratios). The first process of each stack checks both
# backends against the reference. Cross-stack ratios (torch on B / torch on A) can only be paired between
# processes, so they come from the adjacent processes A1-B1 and B2-A2. Each process's JSON goes to
# DIR/raw/MODELNUMBER-SLOT-STACK.json (or .err); bench/stacks/summarize.py DIR prints the tables. Default models: the zoo and the six core
# patterns at depths 4 and 16 (width 32, 224 px): about 20 minutes on a 2-core machine. Run it quiet.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
a="" b="" models="" threads=2 out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --a) a="$2"; shift 2 ;;
    --b) b="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (valid: --a, --b, --models, --threads, --out)" >&2; exit 2 ;;
  esac
done
[[ -n "$a" && -n "$b" ]] || { echo "run.sh: --a and --b are required (the two stacks' formbench commands)" >&2; exit 2; }
out="${out:-$(mktemp -d -t formbench-stacks-XXXXXX)}"
mkdir -p "$out"
if [[ -z "$models" ]]; then
  models="$($a list models | awk 'NR > 2 && NF { print $1 }' | paste -sd, -)"
  for p in plain residual bottleneck depthwise_separable depthwise_bottleneck dense; do
    for d in 4 16; do models="$models,pattern:$p?depth=$d&width=32&res=224"; done
  done
fi
IFS=, read -r -a model_list <<< "$models"
timing=(--threads "$threads" --warmup 3 --warmup-time 300 --min-runs 10 --min-time 500 --max-time 15000
        --target-ci 2)
for stack in a b; do  # each stack names its versions once
  cmd=${!stack}
  $cmd doctor 2>/dev/null | awk -v s="$stack" '/library (libtorch|onednn)|os \/ kernel/ { print s": "$0 }' >&2
done
mkdir -p "$out/raw"
printf '%s\n' "${model_list[@]}" > "$out/models.txt"
echo "$(date -u +%FT%TZ) ${#model_list[@]} models, order A B B A; raw results in $out/raw" >&2
n=0
for m in "${model_list[@]}"; do
  n=$((n + 1))
  i=0
  for stack in a b b a; do
    i=$((i + 1))
    cmd=${!stack}
    check=(--no-check)
    { [[ $i -eq 1 ]] || [[ $i -eq 2 ]]; } && check=()  # the first process of each stack checks
    f=$(printf '%s/raw/%03d-%d-%s' "$out" "$n" "$i" "$stack")
    if ! $cmd compare "$m" --backends torch,onednn "${timing[@]}" "${check[@]}" --json > "$f.json" 2> "$f.err"; then
      echo "run.sh: $m on stack $stack failed: $(tail -1 "$f.err")" >&2
      rm -f "$f.json"
    fi
  done
  echo "$(date -u +%T) $m" >&2
done
python3 "$here/summarize.py" "$out"
