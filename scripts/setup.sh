#!/usr/bin/env bash
# Installs everything formbench needs on a fresh Debian 12 (bookworm) or 13 (trixie) machine (idempotent).
# Run as root or with sudo.
#   scripts/setup.sh            build, test and report dependencies
#   scripts/setup.sh --bench    also Python PyTorch/torchvision for bench/native_fidelity
#   scripts/setup.sh --fuzz     also clang's libFuzzer for the ONNX importer fuzz target
# docs/install.md lists every package and why; scripts/fresh_check.sh proves the list on a clean Debian 12
# (and with --suite trixie on a clean Debian 13).
set -euo pipefail
cd "$(dirname "$0")/.."

# The package names are the same on both releases except the fuzzing toolchain's; the versions differ
# (Debian 12: GCC 12, LibTorch 1.13, oneDNN 2.6, Node.js 18; Debian 13: GCC 14, LibTorch 2.6, oneDNN 3.7,
# Node.js 20). Another release is tried with Debian 13's names.
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
case "$codename" in
  bookworm) clang_v=14 ;;
  trixie) clang_v=19 ;;
  *) clang_v=19
     echo "setup: this is not Debian 12 or 13 ('${codename:-unknown}'); trying Debian 13's package names" >&2 ;;
esac

# "package|why", printed for the packages that are missing before they are installed.
wanted=(
  "build-essential|C++20 compiler (GCC 12 or 14) and make"
  "cmake|build system (CMakePresets.json)"
  "ninja-build|the presets' generator"
  "pkg-config|finds some of the libraries below"
  "git|the build stamps the git revision into every result"
  "ca-certificates|npm fetches the JavaScript packages over HTTPS"
  "libfmt-dev|text formatting"
  "nlohmann-json3-dev|JSON output and study specs' canonical form"
  "libcli11-dev|the formbench command line"
  "libtomlplusplus-dev|study specs (studies/*.toml)"
  "libsqlite3-dev|the results database"
  "libgtest-dev|the test suite"
  "libgmock-dev|the test suite"
  "libtorch-dev|native backend (LibTorch eager, TorchScript)"
  "libopenblas0-openmp|LibTorch's BLAS: OpenBLAS, not the slow reference BLAS"
  "libdnnl-dev|accelerated CPU backend (oneDNN)"
  # libdnnl-dev's CMake config calls find_package(OpenCL); the package that provides it is only a
  # Recommends of libdnnl-dev, and we install without recommends.
  "ocl-icd-opencl-dev|libdnnl-dev's CMake config requires OpenCL headers and library"
  "libonnx-dev|ONNX import and export"
  "libprotobuf-dev|ONNX import and export (protobuf)"
  "protobuf-compiler|ONNX import and export (protobuf)"
  "valgrind|cache simulation (cachegrind)"
  "libpapi-dev|hardware counters"
  "chromium|the report's browser test (headless)"
  "slurm-wlm|the Slurm tests: a local cluster (scripts/slurm_local.sh)"
  "munge|the Slurm tests: the local cluster's authentication"
)
# Node.js for the report's JavaScript libraries, its browser test and the ONNX Runtime peer. Debian 12's
# nodejs is 18; package.json keeps every npm dependency working on it. An existing install (18 or newer)
# is kept: a distribution's nodejs package may bundle npm and conflict with Debian's npm package.
command -v node >/dev/null 2>&1 || wanted+=("nodejs|the report's JavaScript libraries, its browser test, ONNX Runtime")
command -v npm >/dev/null 2>&1 || wanted+=("npm|installs the JavaScript packages in package-lock.json")
for arg in "$@"; do
  case "$arg" in
    --bench) wanted+=("python3-torch|bench/native_fidelity" "python3-torchvision|bench/native_fidelity"
                      "hyperfine|command-line timings for bench/") ;;
    --fuzz) wanted+=("clang-$clang_v|fuzz/ (libFuzzer)" "libclang-rt-$clang_v-dev|fuzz/ (libFuzzer)"
                     "libfuzzer-$clang_v-dev|fuzz/ (libFuzzer)") ;;
    *) echo "setup.sh: unknown option '$arg' (valid: --bench, --fuzz)" >&2; exit 2 ;;
  esac
done

# Runs "$@" up to 3 times, 20 s apart: a mirror or registry hiccup must not fail a clean install.
retry() {
  local i
  for i in 1 2 3; do
    "$@" && return 0
    [ "$i" -lt 3 ] || break
    echo "setup: '$*' failed (try $i of 3); retrying in 20 s" >&2
    sleep 20
  done
  return 1
}

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
missing=()
for entry in "${wanted[@]}"; do
  p=${entry%%|*}
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$entry")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian packages (and what they depend on) with apt-get:"
  names=()
  for entry in "${missing[@]}"; do
    printf '  %-22s %s\n' "${entry%%|*}" "${entry#*|}"
    names+=("${entry%%|*}")
  done
  apt_get=("${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o Acquire::Retries=3)
  retry "${apt_get[@]}" update
  retry "${apt_get[@]}" install -y --no-install-recommends "${names[@]}"
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: node or npm is still missing after apt-get (was it interrupted?); rerun scripts/setup.sh" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "setup: Node.js $(node --version) is too old; formbench needs 18 or newer (Debian 12's)" >&2
  exit 1
fi

# npm packages (vega for the report, playwright-core for its browser test, onnxruntime-node as the peer
# runtime). ONNX Runtime's install script would otherwise try to download CUDA parts. .npmrc makes npm
# refuse a package whose `engines` exclude this Node.js.
# The stamp names the lock file's hash and Node.js's major version: a changed lock or Node.js reinstalls.
if [ -f package-lock.json ]; then
  stamp="$(sha256sum package-lock.json | cut -d' ' -f1) node$node_major"
  if [ "$(cat node_modules/.formbench-npm-stamp 2>/dev/null)" != "$stamp" ]; then
    echo "setup: installing the npm packages of package-lock.json into node_modules/ (Node.js $(node --version))"
    retry env ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
    echo "$stamp" > node_modules/.formbench-npm-stamp
  fi
fi
echo "setup: done"
