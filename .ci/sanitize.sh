#!/bin/sh
# Builds mctable with clang++, AddressSanitizer + UndefinedBehaviorSanitizer
# and warnings as errors in its own build directory (no benchmarks), and
# runs the tests under them.  (The regular CI build is g++ with warnings as
# errors, so both compilers' warnings are checked.)
#
# Which tests: every unit test, every fault test, every protocol and file
# parser test, and every integration test, except those labelled
# differential (cmake/tests.cmake): the postmap-against-mctable matrices
# that run once more per database server type (SqlPostmapDiffTest and
# SqlBackupDiffTest for pgsql and mysql).
# Why those: their cases exercise the same code in mctable as their sqlite
# variants (key expansion, result_format, domain lists, the memcache fill),
# which do run here, and the pgsql and mysql drivers are run here by the
# table, fault and batch suites of each type; what they add is Postfix's
# side of the comparison, which has nothing for a sanitizer to check.
#
#   .ci/sanitize.sh [extra ctest arguments...]
# Environment: BUILD_DIR (default build-sanitize), JOBS (default 2).
# Exit status: ctest's (non-zero if any test fails or a sanitizer reports).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC/build-sanitize}
JOBS=${JOBS:-2}

# Any report is fatal; leaks are reported at exit of each test process.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

cmake -S "$SRC" -B "$BUILD_DIR" -DMCTABLE_SANITIZE=ON -DMCTABLE_BENCH=OFF \
  -DCMAKE_CXX_COMPILER="${CXX:-clang++}" -DMCTABLE_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD_DIR" -j"$JOBS"
cd "$BUILD_DIR"
ctest --output-on-failure -j"$JOBS" --timeout 600 -LE differential "$@"
