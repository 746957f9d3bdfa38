#!/usr/bin/env bash
# Sets up, builds and runs formbench's main job: the quick study (native LibTorch vs the oneDNN graph
# compiler over the core design patterns and a few zoo networks), then its report.
# A rerun resumes the study where it stopped; delete out/quick.sqlite to measure afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release
cmake --build --preset release --target formbench_cli
mkdir -p out
./build/release/formbench study run studies/quick.toml --db out/quick.sqlite
./build/release/formbench report out/quick.sqlite -o out/quick-report
