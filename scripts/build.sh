#!/usr/bin/env bash
# Configures and builds mctable into ./build (or $BUILD_DIR); extra cmake
# arguments come from the command line or $MCTABLE_CMAKE_ARGS (CI sets
# -DMCTABLE_WERROR=ON there).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCTABLE_BENCH=ON ${MCTABLE_CMAKE_ARGS:-} "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
