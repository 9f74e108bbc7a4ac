#!/usr/bin/env bash
# mctable --warm and --audit at scale, side by side with -i, in one run:
#   --warm of N entries from an lmdb backup  vs  -i of the same N entries
#   into the same memcached (a memcache table without a backup: the same
#   sets, pipelined the same way), in entries/s;
#   --audit of the warmed table: keys/s and peak RSS, for N/10 and N
#   entries (the memory must stay flat: the walk holds one batch at a
#   time; peak RSS also counts the lmdb file's mapped pages, so the
#   process's own memory, RssAnon, is shown beside it).
# Usage: bench/warm_bench.sh [BUILD_DIR] [N]   (default build, 1000000)
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${1:-build}
N=${2:-1000000}
MCTABLE="$PWD/$BUILD/mctable"
[ -x "$MCTABLE" ] || { echo "no $MCTABLE: build first" >&2; exit 1; }
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
. scripts/memcached.sh
start_memcached 2048
pid=$MEMCACHED_PID port=$MEMCACHED_PORT
touch "$work/main.cf"
flush() { printf 'flush_all\r\nquit\r\n' | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$port" 2>/dev/null; sleep 0.2; }

peak_rss() { awk '/Maximum resident/ { print $NF }' "$1"; }  # kB, from /usr/bin/time -v
# run_sampled OUT CMD...: as t_run, and ANON_PEAK is the highest RssAnon
# (kB) seen every 20 ms: the process's own memory.  Peak RSS also counts
# the pages of the lmdb file the walk has mapped, which grow with the table
# and are page cache the kernel takes back, not memory the walk holds.
run_sampled() {
  local out=$1; shift
  local t0=$EPOCHREALTIME
  "$@" >"$out" 2>"$out.err" < /dev/null &
  local p=$! a
  ANON_PEAK=0
  while kill -0 "$p" 2>/dev/null; do
    for c in $(pgrep -P "$p") "$p"; do
      a=$(awk '/^RssAnon/ { print $2 }' "/proc/$c/status" 2>/dev/null)
      [ -n "$a" ] && [ "$a" -gt "$ANON_PEAK" ] && ANON_PEAK=$a
    done
    sleep 0.02
  done
  wait "$p"; RC=$?
  T=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", b - a }')
}

echo "memcached 127.0.0.1:$port; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-26s %9s %11s %12s %13s\n' "run" "entries" "entries/s" "peak RSS kB" "peak anon kB"
for n in $((N / 10)) "$N"; do
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "user%d@example.com box%d\n", i, i }' > "$work/src$n"
  "$MCTABLE" -c "$work" "lmdb:$work/src$n" || exit 1
  printf 'memcache = inet:127.0.0.1:%s\nkey_format = wb:%%s\nbackup = lmdb:%s/src%s\n' "$port" "$work" "$n" > "$work/warm$n.cf"
  printf 'memcache = inet:127.0.0.1:%s\nkey_format = wb:%%s\n' "$port" > "$work/plain.cf"

  flush
  t_run "$work/i.out" /usr/bin/time -v "$MCTABLE" -c "$work" -i "memcache:$work/plain.cf" < "$work/src$n"
  [ "$RC" -eq 0 ] || fail "-i exit $RC: $(tail -2 "$work/i.out.err")"
  ti=$T; printf '%-26s %9d %11s %12s %13s\n' "-i (no backup)" "$n" "$(rate "$n" "$T")" "$(peak_rss "$work/i.out.err")" "-"

  flush
  run_sampled "$work/w.out" /usr/bin/time -v "$MCTABLE" -c "$work" --warm "memcache:$work/warm$n.cf"
  [ "$RC" -eq 0 ] || fail "--warm exit $RC: $(tail -2 "$work/w.out.err")"
  grep -q "$n stored" "$work/w.out.err" || fail "--warm did not store $n: $(grep warm "$work/w.out.err")"
  tw=$T; printf '%-26s %9d %11s %12s %13s  (%sx the speed of -i)\n' "--warm (lmdb backup)" "$n" "$(rate "$n" "$T")" \
    "$(peak_rss "$work/w.out.err")" "$ANON_PEAK" "$(ratio "$ti" "$tw")"

  run_sampled "$work/a.out" /usr/bin/time -v "$MCTABLE" -c "$work" --audit "memcache:$work/warm$n.cf"
  [ "$RC" -eq 0 ] || fail "--audit exit $RC: $(tail -2 "$work/a.out.err")"
  grep -q "$n same" "$work/a.out.err" || fail "--audit did not find $n same: $(grep audit "$work/a.out.err")"
  printf '%-26s %9d %11s %12s %13s\n' "--audit" "$n" "$(rate "$n" "$T")" "$(peak_rss "$work/a.out.err")" "$ANON_PEAK"
done
[ "$FAILURES" -eq 0 ] || { echo "$FAILURES mismatches" >&2; exit 1; }
