#!/usr/bin/env bash
# Installs the built tree into a temporary prefix, then configures, builds and runs a consumer
# project against it with find_package(xgrad): its program, its test suite, and the one test
# of that suite that must fail (a wrong backward rule), with gradcheck's message.
set -euo pipefail
build_dir="$1"
source_dir="$(cd "$(dirname "$0")" && pwd)/consumer"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$source_dir" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"
"$work/build/consumer"
"$work/build/consumer_tests" --gtest_filter='-MustFail.*'
if "$work/build/consumer_tests" --gtest_filter='MustFail.*' > "$work/must_fail.log" 2>&1; then
  echo "check_install: MustFail.WrongBackwardRule passed; EXPECT_GRADCHECK missed a wrong rule"
  exit 1
fi
for expected in "gradcheck(f, {x}) failed: " "input 0" "[  FAILED  ] MustFail.WrongBackwardRule"; do
  if ! grep -qF -- "$expected" "$work/must_fail.log"; then
    echo "check_install: the failing test's output lacks '$expected':"
    cat "$work/must_fail.log"
    exit 1
  fi
done
echo "check_install: MustFail.WrongBackwardRule failed as it must:"
grep -F "failed: " "$work/must_fail.log"
