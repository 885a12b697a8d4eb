#!/usr/bin/env bash
# xgrad side by side with libtorch (docs/performance.md): installs Debian's libtorch-dev
# besides xgrad's own dependencies (idempotent), builds xgrad_vs_libtorch into
# ${XGRAD_COMPARE_BUILD_DIR:-build-compare} and runs it. The markdown tables go to the terminal
# and to ${XGRAD_COMPARE_OUT:-compare_out}/libtorch-comparison.md, every measurement (all xgrad and
# libtorch thread settings) to libtorch-comparison.csv beside it. Arguments go to the program:
#   bash scripts/compare-libtorch.sh [--quick] [--case N]... [--threads 1,2] [--budget SECONDS]
#                                    [--rounds N]
# A full run (3 rounds) takes several minutes; it fails if the two libraries' losses disagree.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

if ! dpkg-query -W -f='${Status}' libtorch-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "compare-libtorch: installing libtorch-dev"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends libtorch-dev
fi

build_dir="${XGRAD_COMPARE_BUILD_DIR:-build-compare}"
out_dir="${XGRAD_COMPARE_OUT:-compare_out}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_COMPARISON=ON \
  -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF > /dev/null
cmake --build "$build_dir" -j "$(nproc)" --target xgrad_vs_libtorch

mkdir -p "$out_dir"
{
  echo "libtorch-dev $(dpkg-query -W -f='${Version}' libtorch-dev), xgrad $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
  "$build_dir/benchmarks/xgrad_vs_libtorch" --csv "$out_dir/libtorch-comparison.csv" "$@"
} | tee "$out_dir/libtorch-comparison.md"
echo "compare-libtorch: tables in $out_dir/libtorch-comparison.md, all measurements in $out_dir/libtorch-comparison.csv" >&2
