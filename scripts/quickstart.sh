#!/usr/bin/env bash
# Sets up, builds and runs formbench's main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release
cmake --build --preset release --target formbench_cli
./build/release/formbench inspect resnet18 --layers
