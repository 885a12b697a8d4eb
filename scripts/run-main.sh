#!/usr/bin/env bash
# The main job: installs dependencies, builds, and trains the Fashion-MNIST example (the MNIST
# recipe of source document 004, see README.md) on Debian's dataset-fashion-mnist. Extra
# arguments go to the program (--help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build_dir="${XGRAD_BUILD_DIR:-build}"
"$build_dir/examples/fashion_mnist" --out fashion_mnist_out "$@"
