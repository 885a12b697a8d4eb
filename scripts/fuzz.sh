#!/usr/bin/env bash
# Longer libFuzzer runs than the ctest smoke tests: scripts/fuzz.sh [seconds per target] [jobs].
# Builds the sanitized fuzzers (build-asan, as scripts/sanitize.sh), then fuzzes each target
# from the committed seed corpus into fuzz-out/<target>/ (growing corpus; crash-* files there
# are findings: reproduce one with `build-asan/fuzz/<target>_fuzzer <file>`).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
jobs="${2:-1}"
build_dir="${XGRAD_ASAN_BUILD_DIR:-build-asan}"
if [ ! -x "$build_dir/fuzz/ops_fuzzer" ] || [ ! -x "$build_dir/fuzz/readers_fuzzer" ]; then
  bash scripts/install-deps.sh
  flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DXGRAD_BUILD_BENCHMARKS=OFF \
    -DXGRAD_BUILD_FUZZERS=ON
fi
cmake --build "$build_dir" -j "$(nproc)" --target ops_fuzzer readers_fuzzer
status=0
for target in ops readers; do
  out="fuzz-out/$target"
  mkdir -p "$out"
  echo "fuzz.sh: $target for ${seconds}s"
  (cd "$out" && "../../$build_dir/fuzz/${target}_fuzzer" -max_total_time="$seconds" \
     -jobs="$jobs" -workers="$jobs" -max_len=1024 -rss_limit_mb=2048 -timeout=10 \
     -print_final_stats=1 . "../../fuzz/corpus/$target") || status=1
done
exit $status
