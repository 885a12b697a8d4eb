#!/usr/bin/env bash
# Installs xgrad's build and run dependencies from Debian's packages. Idempotent: when every
# package is already there it only checks (no apt-get update) and returns at once.
set -euo pipefail

packages=(
  build-essential cmake
  libxtensor-dev libxtensor-blas-dev xtl-dev libxsimd-dev libopenblas-dev
  libdnnl-dev ocl-icd-opencl-dev
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libcli11-dev nlohmann-json3-dev
  dataset-fashion-mnist wamerican
  graphviz python3
  clang libclang-rt-14-dev valgrind
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
