#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, and runs every test with ctest; then the
# same suite under ASan + UBSan with the fuzz smoke runs (scripts/sanitize.sh). Set
# XGRAD_SKIP_SANITIZERS=1 to skip the second half locally; CI always runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build_dir="${XGRAD_BUILD_DIR:-build}"
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)"
if [ "${XGRAD_SKIP_SANITIZERS:-0}" = 1 ] && [ "${CI:-}" != true ]; then
  echo "test.sh: sanitizer build skipped (XGRAD_SKIP_SANITIZERS=1)"
else
  bash scripts/sanitize.sh
fi
