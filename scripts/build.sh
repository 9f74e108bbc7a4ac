#!/usr/bin/env bash
# Configures and builds mctable into ./build (or $BUILD_DIR); extra cmake
# arguments come from the command line or $MCTABLE_CMAKE_ARGS (CI sets
# -DMCTABLE_WERROR=ON there).  $MCTABLE_BUILD_TARGETS, when set, names the
# targets to build instead of all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCTABLE_BENCH=ON ${MCTABLE_CMAKE_ARGS:-} "$@" >/dev/null
targets=()
for target in ${MCTABLE_BUILD_TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$BUILD_DIR" -j"$(nproc)" "${targets[@]}"
