#!/usr/bin/env bash
# The whole test suite again under AddressSanitizer + UndefinedBehaviorSanitizer, built with
# clang (Debug, -O1, line tables) into ${XGRAD_ASAN_BUILD_DIR:-build-asan}, with the libFuzzer smoke runs.
# Then the tests of concurrent use (target threads_tests) under ThreadSanitizer, built into
# ${XGRAD_TSAN_BUILD_DIR:-build-tsan}. Any sanitizer report fails the run. Benchmarks and the
# install test are left out (the install test builds an unsanitized consumer against the
# sanitized library). XGRAD_SANITIZE_STAGES="asan tsan" (the default) picks the stages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
stages="${XGRAD_SANITIZE_STAGES:-asan tsan}"

# configure <build dir> <sanitizer flags> [cmake options...]: a clang Debug (-O1) build with
# the flags on every compile and link. -g1 (line tables) is all the sanitizers' stack traces
# need, and compiles faster than full debug information. The test programs are unity builds
# (XGRAD_UNITY_TESTS, on by default), as in the Release build.
configure() {
  local dir="$1" sanitizers="$2"
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1" -DCMAKE_CXX_FLAGS="$sanitizers" \
    -DCMAKE_EXE_LINKER_FLAGS="$sanitizers" -DCMAKE_SHARED_LINKER_FLAGS="$sanitizers" \
    -DXGRAD_BUILD_TESTS=ON -DXGRAD_BUILD_BENCHMARKS=OFF "$@"
}

if [[ " $stages " == *" asan "* ]]; then
  build_dir="${XGRAD_ASAN_BUILD_DIR:-build-asan}"
  configure "$build_dir" \
    "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    -DXGRAD_BUILD_EXAMPLES=ON -DXGRAD_BUILD_FUZZERS=ON "$@"
  cmake --build "$build_dir" -j "$(nproc)"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" -E '^install\.'
fi

if [[ " $stages " == *" tsan "* ]]; then
  # Only the library and the one test program: the stage stays a few minutes.
  tsan_dir="${XGRAD_TSAN_BUILD_DIR:-build-tsan}"
  configure "$tsan_dir" "-fsanitize=thread" -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_FUZZERS=OFF
  cmake --build "$tsan_dir" -j "$(nproc)" --target threads_tests
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$(pwd)/scripts/tsan-suppressions.txt}"
  tsan_tests="$tsan_dir/tests/threads_tests"
  # clang 14's TSan knows only the address layouts of kernels with at most 28 bits of mmap
  # randomisation ("FATAL: ThreadSanitizer: unexpected memory mapping"); without
  # randomisation (setarch -R) it runs on any. Probe with a run that starts no test.
  run=()
  if ! probe=$("$tsan_tests" --gtest_list_tests 2>&1); then
    if grep -q "unexpected memory mapping" <<<"$probe" &&
      setarch "$(uname -m)" -R "$tsan_tests" --gtest_list_tests >/dev/null 2>&1; then
      echo "sanitize.sh: TSan needs address randomisation off here: running under setarch -R"
      run=(setarch "$(uname -m)" -R)
    else
      echo "$probe" >&2
      echo "sanitize.sh: the ThreadSanitizer build cannot start (with vm.mmap_rnd_bits above" \
        "28, try: sudo sysctl vm.mmap_rnd_bits=28)" >&2
      exit 1
    fi
  fi
  "${run[@]}" "$tsan_tests"
fi
