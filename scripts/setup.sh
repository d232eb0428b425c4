#!/usr/bin/env bash
# Installs the Debian packages shapeflow needs, when any is missing, and
# configures and builds it in build/ (Release with debug info).
# Usage: scripts/setup.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/apt-install.sh cmake ninja-build g++ python3 llvm-14-dev \
  llvm-14-tools libeigen3-dev libgtest-dev libgmock-dev

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
# Two jobs: the machine has two cores and the unit tests are large.
cmake --build build -j 2
