#!/usr/bin/env bash
# Builds shapeflow in Release (build-bench/) and runs the whole benchmark
# suite: machine peak, kernels, networks and compiler, then the comparison
# against PyTorch. Prints the tables and writes them as JSON:
#   build-bench/bench.json        shapeflow-bench
#   build-bench/torch_compare.json bench/torch_compare.py (when PyTorch runs)
#
# Usage: bench/run.sh [--quick] [shapeflow-bench options...]
#   --quick skips the 1M-node graphs and the 2048^3 matmul, and runs the
#   PyTorch comparison with fewer rounds.
# Set SHAPEFLOW_NO_TORCH=1 to skip the PyTorch comparison, which otherwise
# tries to install python3-torch and OpenBLAS through apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ python3 llvm-14-dev llvm-14-tools
          libeigen3-dev libgtest-dev libgmock-dev libbenchmark-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bench: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DSHAPEFLOW_BUILD_BENCH=ON -DSHAPEFLOW_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j 2

quick=()
for arg in "$@"; do
  [[ $arg == --quick ]] && quick=(--quick)
done

build-bench/bench/shapeflow-bench --json build-bench/bench.json "$@"

if [[ ${SHAPEFLOW_NO_TORCH:-0} == 1 ]]; then
  echo "bench: SHAPEFLOW_NO_TORCH=1, skipping the PyTorch comparison"
  exit 0
fi
echo
python3 bench/torch_compare.py --install \
    --json build-bench/torch_compare.json "${quick[@]}"
