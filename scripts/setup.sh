#!/usr/bin/env bash
# Installs everything formbench needs on a fresh Debian 12 machine (idempotent). Run as root or with sudo.
#   scripts/setup.sh            build, test and report dependencies
#   scripts/setup.sh --bench    also Python PyTorch/torchvision for bench/native_fidelity
#   scripts/setup.sh --fuzz     also clang's libFuzzer for the ONNX importer fuzz target
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  libfmt-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libsqlite3-dev
  libgtest-dev libgmock-dev
  libtorch-dev libopenblas0-openmp   # native backend; OpenBLAS so LibTorch's BLAS is not the reference one
  libdnnl-dev                        # accelerated CPU backend
  libonnx-dev libprotobuf-dev protobuf-compiler
  valgrind libpapi-dev               # cache simulation, hardware counters
  chromium                           # report's browser test
)
# Node.js for the report front end and the ONNX Runtime peer: keep an existing install (a distribution's
# nodejs package may bundle npm and conflict with Debian's npm package).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(python3-torch python3-torchvision hyperfine) ;;
    --fuzz) packages+=(clang-14 libclang-rt-14-dev libfuzzer-14-dev) ;;
    *) echo "setup.sh: unknown option '$arg' (valid: --bench, --fuzz)" >&2; exit 2 ;;
  esac
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages (vega for the report, playwright-core for its browser test, onnxruntime-node as the peer
# runtime). ONNX Runtime's install script would otherwise try to download CUDA parts.
if [ -f package-lock.json ] && [ ! -d node_modules/.package-lock-done ]; then
  ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  mkdir -p node_modules/.package-lock-done
fi
echo "setup: done"
