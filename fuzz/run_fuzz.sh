#!/bin/sh
# Builds the libFuzzer targets with clang++ and runs each for SECONDS
# (default 60) over a copy of its seed corpus.  Exit status 1 if any target
# finds a crash (the reproducer is left in $OUT/<target>/, the log beside it).
#
#   fuzz/run_fuzz.sh [seconds]
# Environment: BUILD_DIR (default build-fuzz), OUT (default $BUILD_DIR/fuzz-out),
# JOBS (build parallelism, default 2), TARGETS (default: every fuzz/*_fuzz.cc).
set -u
SECONDS_PER_TARGET=${1:-60}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC/build-fuzz}
JOBS=${JOBS:-2}
# Every target: fuzz/NAME_fuzz.cc.
TARGETS=${TARGETS:-$(cd "$SRC/fuzz" && ls *_fuzz.cc | sed 's/_fuzz\.cc$//' | tr '\n' ' ')}

command -v clang++ >/dev/null 2>&1 || { echo "run_fuzz.sh: clang++ not found" >&2; exit 2; }
cmake -S "$SRC" -B "$BUILD_DIR" -DCMAKE_CXX_COMPILER=clang++ -DMCTABLE_FUZZ=ON \
  -DMCTABLE_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 2
# Absolute: each target runs in its own directory (a relative BUILD_DIR
# such as "build-fuzz" would name neither the binary nor the log there).
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
OUT=${OUT:-$BUILD_DIR/fuzz-out}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
for t in $TARGETS; do
  cmake --build "$BUILD_DIR" -j"$JOBS" --target "${t}_fuzz" || exit 2
done

status=0
for t in $TARGETS; do
  work=$OUT/$t
  mkdir -p "$work/corpus"
  cp -n "$SRC/fuzz/corpus/$t/"* "$work/corpus/" 2>/dev/null
  echo "== $t: ${SECONDS_PER_TARGET}s"
  (cd "$work" && "$BUILD_DIR/fuzz/${t}_fuzz" -max_total_time="$SECONDS_PER_TARGET" \
      -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/" corpus >"$work/log.txt" 2>&1)
  rc=$?
  grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb" "$work/log.txt" | tail -3
  last=$(grep -E "cov: [0-9]+" "$work/log.txt" | tail -1)
  echo "   last: $last"
  if [ $rc -ne 0 ]; then
    echo "   FAILED (exit $rc): see $work/log.txt and $work/crash-* / leak-* / timeout-*"
    grep -E "ERROR: |SUMMARY: |runtime error" "$work/log.txt" | head -5
    status=1
  fi
done
exit $status
