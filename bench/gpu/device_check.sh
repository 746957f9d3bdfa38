#!/usr/bin/env bash
# The GPU device check: ONE script, run from the repository root on the GPU machine (one H100/H200, no
# network, nothing installable). It unpacks the carried Debian packages into a prefix, builds formbench
# against them, LibTorch 2.x from the Python venv and cuDNN from the venv's wheel, runs the GPU tests, then
# compares the torch backend on CUDA (eager), Python PyTorch eager and CUDA Graph, and the cudnn backend, and
# writes JSON + Markdown into OUT. Every phase fails soft (later phases still run) and the whole check keeps
# to a time budget (default 450 s: it must finish in under 8 minutes so that a rerun fits).
#
#   bench/gpu/device_check.sh OUT [--debs DIR] [--budget SECONDS] [--dry-run]
#
# --debs DIR   the packages from bench/gpu/fetch_debs.sh (default build/gpu-debs)
# --dry-run    rehearsal on a machine without a GPU: unpack, configure and build against the packages with
#              the system's LibTorch, run the cudnn tests (GPU ones skip) and the Python script's CPU smoke
#              test on the dumped graphs; skips everything that needs a GPU.
# Environment overrides: VENV (/opt/torch/.venv), CUDA_HOME (/usr/local/cuda), JOBS (nproc).
set -uo pipefail

self=$(readlink -f "$0")
step=0
if [ "${1:-}" = "--step" ]; then  # internal: run one function below as a timed child (see phase)
  step=1
  shift
else
  out=""
  debs=build/gpu-debs
  budget=450
  dry=0
  while [ $# -gt 0 ]; do
    case $1 in
      --debs) debs=$2; shift 2 ;;
      --budget) budget=$2; shift 2 ;;
      --dry-run) dry=1; shift ;;
      -*) echo "device_check.sh: unknown option $1" >&2; exit 2 ;;
      *) out=$1; shift ;;
    esac
  done
  [ -n "$out" ] || { echo "usage: device_check.sh OUT [--debs DIR] [--budget S] [--dry-run]" >&2; exit 2; }
  mkdir -p "$out/formbench" "$out/logs" "$out/graphs"
  out=$(cd "$out" && pwd)
  debs=$(cd "$debs" 2>/dev/null && pwd || echo "$debs")
  src=$(pwd)
  VENV=${VENV:-/opt/torch/.venv}
  CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
  JOBS=${JOBS:-$(nproc)}
  build=$src/build/gpu-check
  pfx=$src/build/gpu-prefix
  py=python3  # the first Python that has torch: the venv's on the GPU machine
  for c in "$VENV/bin/python3" python3 /usr/bin/python3; do
    if command -v "$c" >/dev/null && "$c" -c "import torch" 2>/dev/null; then py=$c; break; fi
  done
  start=$(date +%s)
  deadline=$((start + budget))
  torch_built=1
  cli=$build/formbench
  export out debs dry src VENV CUDA_HOME JOBS build pfx py start deadline torch_built cli
fi

say() { echo "[$(date -u +%H:%M:%S) +$(($(date +%s) - start))s] $*"; }
left() { echo $((deadline - $(date +%s))); }

zoo=(resnet50 mobilenet_v2 vgg16 densenet121 darts)
pats=(plain residual bottleneck depthwise_separable depthwise_bottleneck dense)
refs_for() {  # batch -> model references (the batch inside the reference, so every tool names it alike)
  if [ "$dry" = 1 ]; then  # rehearsal on a CPU: small resolutions
    for m in resnet50 mobilenet_v2 densenet121 darts; do echo "$m?batch=$1&res=64"; done
    for p in "${pats[@]}"; do echo "pattern:$p?depth=8&res=32&batch=$1"; done
    return
  fi
  for m in "${zoo[@]}"; do echo "$m?batch=$1"; done
  for p in "${pats[@]}"; do echo "pattern:$p?depth=8&batch=$1"; done
}

unpack() {
  rm -rf "$pfx" && mkdir -p "$pfx"
  local n=0 d l t base c
  for d in "$debs"/*.deb; do dpkg -x "$d" "$pfx" && n=$((n + 1)); done
  # Absolute symlinks (libz.so -> /lib/...so.1.2.13) may name versions this system lacks: re-point them
  # into the prefix, or at the system's library of the same soname.
  while read -r l; do
    t=$(readlink "$l")
    case $t in
      /*)
        if [ -e "$pfx$t" ]; then ln -sf "$pfx$t" "$l"
        elif [ ! -e "$t" ]; then
          base=$(basename "$t" | sed -E 's/(\.so\.[0-9]+).*/\1/')
          for c in /lib/x86_64-linux-gnu/$base /usr/lib/x86_64-linux-gnu/$base; do [ -e "$c" ] && ln -sf "$c" "$l" && break; done
        fi ;;
    esac
  done < <(find "$pfx" -type l)
  echo "unpacked $n packages into $pfx ($(du -sh "$pfx" | cut -f1))"
  [ "$n" -gt 0 ]
}

timing=(--warmup 3 --warmup-time 30 --min-runs 15 --min-time 100 --max-time 1500 --no-ceilings --no-counters)
run_formbench() {  # batch: compare torch (cuda) and cudnn; cudnn alone when torch cannot run on CUDA
  local b=$1 rc=0 ref safe
  while read -r ref; do
    safe=$(echo "$ref" | tr -c 'A-Za-z0-9_\n' '_')
    if [ "$(left)" -lt 30 ]; then echo "time budget: skipping $ref"; rc=1; continue; fi
    if [ "$torch_built" = 1 ] && timeout 60 "$cli" compare "$ref" --backends torch,cudnn --device cuda --json --no-check "${timing[@]}" \
         >"$out/formbench/$safe.json" 2>"$out/logs/compare_$safe.err"; then
      say "compare $ref: ok"
    elif timeout 60 "$cli" bench "$ref" --backend cudnn --device cuda --json "${timing[@]}" \
         >"$out/formbench/$safe.json" 2>>"$out/logs/compare_$safe.err"; then
      say "compare $ref: torch on cuda failed (logs/compare_$safe.err); cudnn alone: ok"
    else
      say "compare $ref: FAILED ($(tail -n 1 "$out/logs/compare_$safe.err"))"
      rm -f "$out/formbench/$safe.json"
      rc=1
    fi
  done < <(refs_for "$b")
  return $rc
}

run_python() {  # batch: Python PyTorch eager and CUDA Graph on the same graphs
  local b=$1 d="$out/graphs/b$1" dump
  mkdir -p "$d"
  mapfile -t refs < <(refs_for "$b")
  dump=$(find "$build" -name gpu_graph_dump -type f -perm -u+x | head -n 1)
  "$dump" "${refs[@]}" --out "$d" || echo "some graphs could not be dumped"
  if [ "$dry" = 1 ]; then
    "$py" "$src/bench/gpu/torch_eager.py" "$d"/*.json --out "$out/torch_eager_smoke.jsonl" --cpu-smoke
  else
    "$py" "$src/bench/gpu/torch_eager.py" "$d"/*.json --out "$out/torch_eager.jsonl" --warmup 10 --runs 30
  fi
}

if [ $step -eq 1 ]; then
  "$@"
  exit $?
fi

status=()  # one "phase: result" line per phase
# phase NAME LIMIT_S CMD...: runs CMD (or a function above, as a child) under a timeout capped by the
# remaining budget, logs it to OUT/logs/NAME.log, records the result.
phase() {
  local name=$1 limit=$2 rem rc
  shift 2
  rem=$(left)
  if [ "$rem" -lt 10 ]; then
    say "$name: skipped (time budget spent)"
    status+=("$name: skipped (budget)")
    return 1
  fi
  [ "$limit" -gt "$rem" ] && limit=$rem
  say "$name: start (limit ${limit}s)"
  if declare -F "$1" >/dev/null; then set -- "$self" --step "$@"; fi
  timeout --kill-after=5 "$limit" "$@" >"$out/logs/$name.log" 2>&1
  rc=$?
  tail -n 3 "$out/logs/$name.log" | sed "s/^/    /"
  if [ $rc -eq 0 ]; then status+=("$name: ok"); say "$name: ok"
  else status+=("$name: FAILED rc=$rc"); say "$name: FAILED rc=$rc (log: logs/$name.log)"; fi
  return $rc
}

# ---- 0. facts ----
{
  echo "date: $(date -u +%FT%TZ)"
  echo "git: $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  echo "dry_run: $dry"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
  "$CUDA_HOME/bin/nvcc" --version 2>&1 | tail -n 2 | sed 's/^/nvcc: /'
  cmake --version | head -n 1
  echo "cpus: $(nproc)"
  echo "debs: $(ls "$debs"/*.deb 2>/dev/null | wc -l) packages, $(du -sh "$debs" 2>/dev/null | cut -f1) in $debs"
} >"$out/facts.txt" 2>&1
cat "$out/facts.txt"

# ---- 1. the packages, into a prefix (never into /) ----
phase unpack 60 unpack
libdir=$pfx/usr/lib/x86_64-linux-gnu
cudnn_root=$(ls -d "$VENV"/lib/python3*/site-packages/nvidia/cudnn 2>/dev/null | head -n 1)
torch_dir=$(ls -d "$VENV"/lib/python3*/site-packages/torch/share/cmake/Torch 2>/dev/null | head -n 1)
nvidia_libs=$(ls -d "$VENV"/lib/python3*/site-packages/nvidia/*/lib 2>/dev/null | tr '\n' ':')
torch_libs=$(ls -d "$VENV"/lib/python3*/site-packages/torch/lib 2>/dev/null | head -n 1)
# The venv's CUDA libraries first, so LibTorch and the cudnn backend load the same cuDNN and cuBLAS.
export LD_LIBRARY_PATH="$libdir:${nvidia_libs}${torch_libs:+$torch_libs:}$CUDA_HOME/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
say "cuDNN root: ${cudnn_root:-none}; Torch_DIR: ${torch_dir:-none}"

# ---- 2. configure: LibTorch 2.x with CUDA + cudnn; if LibTorch fails, cudnn alone ----
common=(-S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$pfx/usr"
        -DFORMBENCH_WITH_ONEDNN=OFF "-DCMAKE_CUDA_COMPILER=$CUDA_HOME/bin/nvcc" -DCMAKE_CUDA_ARCHITECTURES=90)
if [ "$dry" = 1 ]; then
  with_torch=(-DFORMBENCH_WITH_LIBTORCH=AUTO -DFORMBENCH_WITH_CUDNN=AUTO)
  cudnn_only=(-DFORMBENCH_WITH_CUDNN=AUTO)
else
  cudnn_only=(-DFORMBENCH_WITH_CUDNN=ON "-DCUDNN_ROOT=$cudnn_root" "-DCUDAToolkit_ROOT=$CUDA_HOME")
  # LibTorch's own cuDNN lookup reads CUDNN_{INCLUDE,LIBRARY}_PATH / CUDNN_ROOT.
  with_torch=(-DFORMBENCH_WITH_LIBTORCH=ON "-DTorch_DIR=$torch_dir" "${cudnn_only[@]}"
              "-DCUDNN_INCLUDE_PATH=$cudnn_root/include" "-DCUDNN_LIBRARY_PATH=$cudnn_root/lib/libcudnn.so.9")
fi
if ! phase configure 90 cmake "${common[@]}" "${with_torch[@]}"; then
  torch_built=0
  export torch_built
  rm -rf "$build"
  phase configure_without_torch 60 cmake "${common[@]}" -DFORMBENCH_WITH_LIBTORCH=OFF "${cudnn_only[@]}"
fi
grep -hE "formbench backend|skipped" "$out/logs/configure"*.log 2>/dev/null | head -n 12

# ---- 3. build ----
phase build 300 cmake --build "$build" -j "$JOBS" --target formbench_cli formbench_tests gpu_graph_dump
[ -x "$cli" ] || { cli=$(find "$build" -name formbench -type f -perm -u+x | head -n 1); export cli; }
[ -n "$cli" ] && "$cli" list backends >"$out/backends.txt" 2>&1 && cat "$out/backends.txt"

# ---- 4. tests: the cudnn backend (GPU agreement at every precision) and the torch backend on CUDA ----
phase tests 150 "$build/tests/formbench_tests" --gtest_filter='*Cudnn*:*Cuda*:*CUDA*' --gtest_output="xml:$out/gtest_gpu.xml"

# ---- 5. the networks, batch 1 then 32 ----
if [ "$dry" = 1 ]; then
  phase python_b1 120 run_python 1
else
  phase formbench_b1 150 run_formbench 1
  phase python_b1 90 run_python 1
  phase formbench_b32 120 run_formbench 32
  phase python_b32 60 run_python 32
fi

# ---- 6. summary (always, outside the budget: it takes a second) ----
say "summary"
timeout 30 "$py" "$src/bench/gpu/summarize.py" "$out" >"$out/logs/summary.log" 2>&1 && status+=("summary: ok") || status+=("summary: FAILED")
[ -f "$out/summary.md" ] && cat "$out/summary.md"
printf '%s\n' "${status[@]}" >"$out/phases.txt"
say "done; phases:"
sed 's/^/  /' "$out/phases.txt"
grep -q FAILED "$out/phases.txt" && exit 1
exit 0
