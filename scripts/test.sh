#!/usr/bin/env bash
# Sets up, builds and runs every test: the gtest unit tests and the lit
# tests of the tools. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd build && ctest --output-on-failure -j 2)

# The kernels have AVX-512, AVX2 and plain C++ paths, chosen when compiling
# (SHAPEFLOW_ARCH, by default this machine). On an AVX-512 machine, also
# build and run the unit tests for AVX2, the path most x86 machines take.
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
  echo "test: AVX-512 machine; also testing the AVX2 kernels (build-avx2/)"
  cmake -S . -B build-avx2 -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DSHAPEFLOW_ARCH=haswell -DSHAPEFLOW_BUILD_TOOLS=OFF >/dev/null
  cmake --build build-avx2 -j 2 --target shapeflow-unittests
  build-avx2/tests/shapeflow-unittests --gtest_brief=1
fi
