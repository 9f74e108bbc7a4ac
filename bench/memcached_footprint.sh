#!/usr/bin/env bash
# What memcached itself pays for the entries it holds, without mctable:
# one memcached, the same multi-key gets from bench/raw_client for the same
# N keys (A), while the server holds
#   A alone              N entries (replicas = 1's share of a server)
#   A and B interleaved  2N entries, A's written between others (the layout
#                        of a server's share with replicas = 2: its first
#                        copies among other servers' second copies)
# Each case on a fresh memcached (no flushed items, no earlier hash table
# growth), loaded with raw_client's pipelined sets, left to settle, then
# --repeats gets of A in load order and --repeats in a shuffled order.
# Prints the server's CPU per run (/proc clock ticks over all the runs)
# and the median wall time, and the ratios A / A+B.
#
#   bench/memcached_footprint.sh [--keys 200000] [--repeats 9] [--rounds 2] [--build-dir DIR]
#
# Why: bench/run_replicas_bench.sh compares replicas = 1 with replicas = 2
# on one machine where the servers share the 2 cores with the client, so
# the servers' cost for the same gets is part of the client's wall time.
# This shows that cost with no replicas and no mctable in the path.
# Exit status: 0 every answer checked; 1 an answer differs; 2 setup failed.
set -u -o pipefail

KEYS=200000
REPEATS=9
ROUNDS=2
BUILD_DIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) KEYS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "memcached_footprint.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$BUILD_DIR" ] || BUILD_DIR=$ROOT/build-bench
RAW=$BUILD_DIR/bench/raw_client
die() { echo "memcached_footprint.sh: $*" >&2; exit 2; }
[ -x "$RAW" ] || die "no $RAW (build the mctable_raw_client target, or give --build-dir)"
command -v memcached >/dev/null || die "memcached is not installed"

. "$ROOT/bench/lib.sh"  # t_run, median, ratio, fail, check_same, proc_cpu_ticks, settle
. "$ROOT/scripts/memcached.sh"  # start_memcached
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mctable_footprint.XXXXXX")
MC_PID=""
stop_memcached() {
  [ -n "$MC_PID" ] || return 0
  kill "$MC_PID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$MC_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$MC_PID" 2>/dev/null; wait "$MC_PID" 2>/dev/null
  MC_PID=""
}
trap 'stop_memcached; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

awk -v n="$KEYS" -v w="$WORK" 'BEGIN {
  srand(7)
  for (i = 0; i < n; i++) {
    a = "user" i "@example" (i % 97) ".com"; b = "other" i "@example" (i % 97) ".com"
    v = "dest" i "@mail.example.net"
    print a " " v > (w "/A"); print a " " v > (w "/AB"); print b " " v > (w "/AB")
    print a > (w "/keys"); print a "\t" v > (w "/expect"); p[i] = i
  }
  for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = p[i]; p[i] = p[j]; p[j] = t }
  for (x = 0; x < n; x++) {
    i = p[x]; print "user" i "@example" (i % 97) ".com" > (w "/keys.shuffled")
    print "user" i "@example" (i % 97) ".com\tdest" i "@mail.example.net" > (w "/expect.shuffled")
  }
}'

server_ticks() { proc_cpu_ticks "$MC_PID"; }
TICKS=$(getconf CLK_TCK)
declare -A CPU WALL
# measure CASE LOAD_FILE: a fresh memcached holding LOAD_FILE; gets of A in
# both orders, --repeats each; appends to CPU[CASE.ORDER] and WALL[CASE.ORDER].
measure() {
  local case=$1 load=$2 order keys expect before walls
  start_memcached 1024 -t 2 -c 64 || die "cannot start memcached"
  MC_PID=$MEMCACHED_PID
  "$RAW" --server "127.0.0.1:$MEMCACHED_PORT" --mode set <"$WORK/$load" || die "raw_client set failed"
  settle server_ticks
  for order in in_order shuffled; do
    keys=$WORK/keys expect=$WORK/expect
    [ "$order" = shuffled ] && keys=$WORK/keys.shuffled expect=$WORK/expect.shuffled
    before=$(server_ticks) walls=""
    for _ in $(seq "$REPEATS"); do
      t_run "$WORK/out" "$RAW" --server "127.0.0.1:$MEMCACHED_PORT" --mode get <"$keys"
      walls="$walls $T"
    done
    check_same "$WORK/out" "$expect" "$case, $order"
    CPU[$case.$order]="${CPU[$case.$order]:-} $(awk -v t=$(( $(server_ticks) - before )) -v hz="$TICKS" -v n="$REPEATS" 'BEGIN { printf "%.4f", t / hz / n }')"
    WALL[$case.$order]="${WALL[$case.$order]:-} $(echo "$walls" | median)"
  done
  stop_memcached
}

echo "== memcached's own cost of the entries it holds: $KEYS gets (raw_client, 512 keys per get) over a fresh memcached $(memcached -V | awk '{print $2}'), $REPEATS runs per order, $ROUNDS rounds, $(nproc) cores"
for _ in $(seq "$ROUNDS"); do
  measure alone A
  measure interleaved AB
done
printf '  %-10s %-26s %-26s %s\n' order "A alone: server CPU, wall" "A+B interleaved" "A alone / A+B (CPU, wall)"
for order in in_order shuffled; do
  c1=$(echo "${CPU[alone.$order]}" | median); c2=$(echo "${CPU[interleaved.$order]}" | median)
  w1=$(echo "${WALL[alone.$order]}" | median); w2=$(echo "${WALL[interleaved.$order]}" | median)
  printf '  %-10s %.3f s, %.3f s           %.3f s, %.3f s           %sx, %sx   (per round: CPU%s vs%s)\n' "$order" \
    "$c1" "$w1" "$c2" "$w2" "$(ratio "$c1" "$c2")" "$(ratio "$w1" "$w2")" "${CPU[alone.$order]}" "${CPU[interleaved.$order]}"
done
[ "${FAILURES:-0}" = 0 ] || { echo "== $FAILURES answers differ"; exit 1; }
echo "== every answer checked"
