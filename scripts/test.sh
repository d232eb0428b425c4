#!/usr/bin/env bash
# Sets up, builds and runs every test: the gtest unit tests and the lit
# tests of the tools. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j 2
