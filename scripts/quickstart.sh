#!/usr/bin/env bash
# Sets up, builds and runs formbench's main job: the quick study (native LibTorch vs the oneDNN graph
# compiler over the core design patterns and a few zoo networks), then its report.
# A rerun resumes the study where it stopped; delete out/quick.sqlite to measure afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo; echo "quickstart: [$1/4] $2"; }

step 1 "set up: Debian and npm packages (docs/install.md says why each is needed)"
scripts/setup.sh
step 2 "build formbench (the first build takes 3 to 7 minutes on 2 cores; later ones seconds)"
cmake --preset release
cmake --build --preset release --target formbench_cli
step 3 "the quick study (studies/quick.toml); a rerun resumes where this one stopped"
plan=$(./build/release/formbench study plan studies/quick.toml)
grep -E "^(study '|note:)" <<<"$plan" | sed 's/^/quickstart: /' || true
mkdir -p out
./build/release/formbench study run studies/quick.toml --db out/quick.sqlite
step 4 "the report"
./build/release/formbench report out/quick.sqlite -o out/quick-report
index="$PWD/out/quick-report/index.html"
echo
echo "quickstart: done; the report is $index"
echo "quickstart: open it with 'xdg-open $index', or paste file://$index into a browser"
