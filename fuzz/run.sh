#!/usr/bin/env bash
# Runs one libFuzzer target at full speed for MINUTES, building it first if needed:
#   fuzz/run.sh onnx_import|study_spec|results_db|predictor_file MINUTES [extra libFuzzer flags]
# Corpus, crash artifacts and the log go under build/fuzz/. One process, not niced: a niced fuzzer on a busy
# machine runs ~100x slower and finds ~100x less (docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 2 || ! "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: fuzz/run.sh onnx_import|study_spec|results_db|predictor_file MINUTES [libFuzzer flags]" >&2
  exit 2
fi
target=$1 minutes=$2
shift 2
case $target in
  onnx_import) max_len=65536 seeds=(fuzz/seeds/onnx_import tests/onnx/corpus) ;;
  study_spec) max_len=8192 seeds=(fuzz/seeds/study_spec tests/study/corpus studies) ;;
  results_db) max_len=65536 seeds=(fuzz/seeds/results_db tests/report/corpus) ;;
  predictor_file) max_len=65536 seeds=(fuzz/seeds/predictor_file) ;;
  *) echo "fuzz/run.sh: unknown target '$target' (onnx_import, study_spec, results_db or predictor_file)" >&2; exit 2 ;;
esac

out=build/fuzz
if [[ ! -f $out/build.ninja ]]; then
  # Debian 12's clang is 14, Debian 13's 19 (scripts/setup.sh --fuzz installs the one of this release).
  default_cxx=clang++-14
  command -v clang++-14 >/dev/null 2>&1 || ! command -v clang++-19 >/dev/null 2>&1 || default_cxx=clang++-19
  CXX=${CXX:-$default_cxx} cmake -S fuzz -B $out -G Ninja
fi
cmake --build $out --target "${target}_fuzzer" -j"${FUZZ_BUILD_JOBS:-2}"

corpus=$out/corpus/$target artifacts=$out/artifacts/$target/
mkdir -p "$corpus" "$artifacts" $out/logs
log=$out/logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log
echo "fuzz/run.sh: $target for $minutes min; log $log" >&2
set +e
$out/${target}_fuzzer -max_len=$max_len -max_total_time=$((minutes * 60)) -rss_limit_mb=2048 -timeout=30 \
  -print_final_stats=1 -artifact_prefix="$artifacts" "$@" "$corpus" "${seeds[@]}" 2>&1 | tee "$log" |
  grep --line-buffered -E '^#[0-9]+\s+(INITED|pulse)|ERROR|SUMMARY|^==|Test unit written'
rc=${PIPESTATUS[0]}
set -e

# The summary: executions, speed, coverage (edges) and features at the end of the run.
last=$(grep -E '^#[0-9]+\s' "$log" | tail -1 || true)
execs=$(grep -oP 'stat::number_of_executed_units:\s+\K[0-9]+' "$log" || true)
speed=$(grep -oP 'stat::average_exec_per_sec:\s+\K[0-9]+' "$log" || true)
rss=$(grep -oP 'stat::peak_rss_mb:\s+\K[0-9]+' "$log" || true)
cov=$(grep -oP 'cov:\s+\K[0-9]+' <<<"$last" || true)
ft=$(grep -oP 'ft:\s+\K[0-9]+' <<<"$last" || true)
echo "$target: ${minutes} min, ${execs:-?} executions, ${speed:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, peak RSS ${rss:-?} MB, exit $rc"
ls "$artifacts" 2>/dev/null | sed "s|^|artifact: $artifacts|"
exit "$rc"
