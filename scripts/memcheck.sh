#!/usr/bin/env bash
# Runs every example's smoke run (smaller sizes: valgrind is slow) under valgrind
# memcheck from the Release build; fails on any memory error or definite leak.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${XGRAD_BUILD_DIR:-build}"
[ -x "$build_dir/examples/logic_gates" ] || bash scripts/build.sh
command -v valgrind >/dev/null || { echo "memcheck.sh: apt-get install valgrind"; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
ex="$(cd "$build_dir/examples" && pwd)"
runs=(
  "$ex/logic_gates"
  "$ex/stairs"
  "$ex/ice_cream"
  "$ex/mlp_from_scratch"
  "$ex/regression 20"
  "$ex/fashion_mnist --limit 600 --epochs 1 --out $out/fm --min-accuracy 0.1"
)
status=0
for run in "${runs[@]}"; do
  name="$(basename "${run%% *}")"
  start=$SECONDS
  # Exit 99 is valgrind's (a memory error or definite leak); another non-zero code is the
  # example's own quality check, which the shortened runs may miss: reported, not a failure.
  rc=0
  # shellcheck disable=SC2086  # the run strings hold their arguments
  (cd "$out" && OPENBLAS_NUM_THREADS=1 valgrind --quiet --error-exitcode=99 --leak-check=full \
     --errors-for-leak-kinds=definite --show-leak-kinds=definite $run >"$out/$name.log" 2>&1) || rc=$?
  if [ "$rc" = 99 ]; then
    echo "memcheck: $name FAILED ($((SECONDS - start)) s)"; tail -40 "$out/$name.log"; status=1
  elif [ "$rc" != 0 ]; then
    echo "memcheck: $name clean ($((SECONDS - start)) s; its shortened run missed its quality bar, exit $rc)"
  else
    echo "memcheck: $name clean ($((SECONDS - start)) s)"
  fi
done
exit $status
