#!/usr/bin/env bash
# Configures and builds xgrad (Release) into ${XGRAD_BUILD_DIR:-build}.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build_dir="${XGRAD_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=ON "$@"
cmake --build "$build_dir" -j "$(nproc)"
