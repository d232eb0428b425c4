#!/usr/bin/env bash
# Builds shapeflow in Release (build-bench/) and runs the whole benchmark
# suite: machine peak, kernels, networks and compiler, then the comparison
# against PyTorch. Prints the tables and writes:
#   build-bench/bench.json          shapeflow-bench's rows
#   build-bench/torch_compare.json  bench/torch_compare.py's (if PyTorch ran)
#   build-bench/results.md          both as the tables of bench/README.md
#
# Usage: bench/run.sh [--quick] [shapeflow-bench options...]
#   --quick skips the 1M-node graphs and the 2048^3 matmul, and runs the
#   PyTorch comparison with fewer rounds.
# Set SHAPEFLOW_NO_TORCH=1 to skip the PyTorch comparison, which otherwise
# tries to install python3-torch and OpenBLAS through apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

# libbenchmark-dev for shapeflow-bench-compiler; the suite needs no more
# than the library does.
scripts/apt-install.sh cmake ninja-build g++ python3 llvm-14-dev \
  llvm-14-tools libeigen3-dev libgtest-dev libgmock-dev libbenchmark-dev

cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DSHAPEFLOW_BUILD_BENCH=ON -DSHAPEFLOW_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j 2

quick=()
for arg in "$@"; do
  if [[ $arg == --quick ]]; then quick=(--quick); fi
done

build-bench/bench/shapeflow-bench --json build-bench/bench.json "$@"

# Skipped, with a message and status 0, where PyTorch cannot be installed.
torch_json=build-bench/torch_compare.json
rm -f "$torch_json"
if [[ ${SHAPEFLOW_NO_TORCH:-0} == 1 ]]; then
  echo "bench: SHAPEFLOW_NO_TORCH=1, skipping the PyTorch comparison"
else
  echo
  python3 bench/torch_compare.py --install --json "$torch_json" "${quick[@]}"
fi

# The tables of bench/README.md, from the two JSON files.
python3 bench/tables.py build-bench/bench.json "$torch_json" \
    > build-bench/results.md
echo "bench: wrote build-bench/results.md (the README's tables)"
