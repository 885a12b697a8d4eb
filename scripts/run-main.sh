#!/usr/bin/env bash
# The main job: installs dependencies, builds, and runs the main example.
# Until the nn/optim layer lands it trains the seed-003 ice-cream network on the tape.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build_dir="${XGRAD_BUILD_DIR:-build}"
"$build_dir/examples/ice_cream_demo" "$@"
