#!/usr/bin/env bash
# mctabled benchmark: 100 concurrent clients each sending one lookup at a
# time, side by side in one run:
#   (a) Postfix's own memcache client: 100 `postmap -q - memcache:CF`
#       processes, each doing --requests lookups one after the other;
#   (b) mctabled in front of the same memcached, socketmap over a unix
#       socket: bench/lookup_load with 100 connections, one request in
#       flight per connection (as Postfix's socketmap client does);
#   (c) the same through mctabled's tcp_table listener.
#
#   bench/run_daemon_bench.sh [--clients 100] [--requests 500] [--keys 20000]
#                             [--repeats 3] [--build-dir DIR] [--no-build] [--strict]
#
# Timed runs go straight to memcached (--repeats times each, interleaved,
# median reported).  Then each side runs once more through bench/mc_relay, a
# relay in front of memcached that counts the get commands memcached
# receives (memcached's own cmd_get counts keys, not commands) and times each
# get from its arrival to memcached's "END".
#
# Keys: user<i>@example.com, i < --keys; 3 in 4 are in memcached
# ("value-<i>"), the rest are misses.  Client c asks keys (c*R + j) mod K.
# Every answer is checked: postmap's output against the expected lines,
# lookup_load's replies against the key file.
#
# Latency: for (b) and (c), per lookup at the client (lookup_load).  postmap
# prints nothing until it ends, so for (a) the figures are the mean (wall
# time / lookups per process, start-up included) and the relay's per-get
# p50/p99 (memcached's round trip on the wire: a lower bound).
#
# Targets: (b) lookups/s >= (a); (b) p99 < 2 ms; memcached receives >= 10x
# fewer get commands than (b) serves lookups.  Exit status: 0 outputs
# right; 1 an answer was wrong; 2 setup failed; 3 with --strict, a target
# was missed.
set -u -o pipefail

CLIENTS=100
REQUESTS=500
KEYS=20000
REPEATS=3
BUILD_DIR=""
DO_BUILD=1
STRICT=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --keys) KEYS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --strict) STRICT=1; shift ;;
    -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
    *) echo "run_daemon_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$BUILD_DIR" ] || BUILD_DIR=$ROOT/build-bench
POSTMAP=/usr/sbin/postmap
die() { echo "run_daemon_bench.sh: $*" >&2; exit 2; }
[ -x "$POSTMAP" ] || die "postmap is not installed (apt-get install postfix)"
command -v memcached >/dev/null || die "memcached is not installed"

if [ "$DO_BUILD" = 1 ]; then
  echo "== build ($BUILD_DIR)"
  LOG=${TMPDIR:-/tmp}/mctabled_bench_build.log
  cmake -S "$ROOT" -B "$BUILD_DIR" -DMCTABLE_BENCH=ON >"$LOG" 2>&1 || { tail -20 "$LOG" >&2; die "cmake failed"; }
  cmake --build "$BUILD_DIR" -j2 --target mctable mctabled mctable_lookup_load mctable_mc_relay >>"$LOG" 2>&1 ||
    { grep -E "error" "$LOG" | head -20 >&2; die "build failed"; }
fi
MCTABLE=$BUILD_DIR/mctable
MCTABLED=$BUILD_DIR/mctabled
LOAD=$BUILD_DIR/bench/lookup_load
RELAY=$BUILD_DIR/bench/mc_relay
for b in "$MCTABLE" "$MCTABLED" "$LOAD" "$RELAY"; do [ -x "$b" ] || die "no $b"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mctabled_bench.XXXXXX")
. "$ROOT/bench/lib.sh"  # PIDS, stop_started, free_port, wait_port
cleanup() {
  stop_started
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

MC_USER=()
[ "$(id -u)" = 0 ] && MC_USER=(-u root)
MC_PORT=$(free_port)
memcached "${MC_USER[@]}" -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 256 -t 2 -c 1024 2>"$WORK/memcached.err" &
PIDS+=($!)
wait_port "$MC_PORT" || die "memcached did not start: $(cat "$WORK/memcached.err")"

PFDIR=$WORK/postfix
mkdir -p "$PFDIR" "$WORK/in" "$WORK/out" "$WORK/want"
: >"$PFDIR/main.cf"
CF=$WORK/mc.cf
printf 'memcache = inet:127.0.0.1:%s\n' "$MC_PORT" >"$CF"

# ---- data --------------------------------------------------------------------
awk -v k="$KEYS" 'BEGIN { for (i = 0; i < k; i++) if (i % 4 != 3) printf "user%d@example.com value-%d\n", i, i }' \
  >"$WORK/present"
awk -v k="$KEYS" 'BEGIN { for (i = 0; i < k; i++) printf "user%d@example.com\t%s\n", i, (i % 4 != 3 ? "value-" i : "") }' \
  >"$WORK/keys.tsv"
"$MCTABLE" -c "$PFDIR" -i "memcache:$CF" <"$WORK/present" || die "loading memcached failed"
for c in $(seq 0 $((CLIENTS - 1))); do
  awk -v c="$c" -v r="$REQUESTS" -v k="$KEYS" 'BEGIN {
      for (j = 0; j < r; j++) { i = (c * r + j) % k; printf "user%d@example.com\n", i
        if (i % 4 != 3) printf "user%d@example.com\tvalue-%d\n", i, i > "/dev/stderr" } }' \
    >"$WORK/in/$c" 2>"$WORK/want/$c"
done
TOTAL=$((CLIENTS * REQUESTS))
now() { date +%s.%N; }

# ---- the three sides -----------------------------------------------------------
# (a): prints "rate mean_us"; checks every process's output.
run_postmap() {
  local cf=$1 start end c bad=0
  start=$(now)
  local pids=()
  for c in $(seq 0 $((CLIENTS - 1))); do
    "$POSTMAP" -c "$PFDIR" -q - "memcache:$cf" <"$WORK/in/$c" >"$WORK/out/$c" 2>>"$WORK/postmap.err" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  end=$(now)
  for c in $(seq 0 $((CLIENTS - 1))); do cmp -s "$WORK/out/$c" "$WORK/want/$c" || bad=1; done
  [ $bad = 0 ] || { echo "run_daemon_bench.sh: postmap output differs from the expected lines" >&2; exit 1; }
  awk -v t="$TOTAL" -v r="$REQUESTS" -v s="$start" -v e="$end" \
    'BEGIN { w = e - s; printf "%.0f %.0f\n", t / w, w / r * 1e6 }'
}

DAEMON_PID=""
start_daemon() {
  local cf=$1
  TCP_PORT=$(free_port)
  rm -f "$WORK/sock" "$WORK/stats"
  "$MCTABLED" -c "$PFDIR" -m "bench=memcache:$cf" -l "socketmap:unix:$WORK/sock" \
    -l "tcp:127.0.0.1:$TCP_PORT=bench" -l "stats:unix:$WORK/stats" 2>>"$WORK/mctabled.err" &
  DAEMON_PID=$!
  PIDS+=("$DAEMON_PID")
  for _ in $(seq 100); do [ -S "$WORK/sock" ] && wait_port "$TCP_PORT" && return 0; sleep 0.05; done
  die "mctabled did not start: $(cat "$WORK/mctabled.err")"
}
stop_daemon() {
  kill "$DAEMON_PID"; wait "$DAEMON_PID" || die "mctabled exited with status $?"
  DAEMON_PID=""
}
daemon_stats() { python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print(s.makefile().read(), end='')" "$WORK/stats"; }

# (b) / (c): prints lookup_load's line.
run_load() {
  local out
  out=$("$LOAD" "$@" --clients "$CLIENTS" --requests "$REQUESTS" --keys "$WORK/keys.tsv") ||
    { echo "run_daemon_bench.sh: wrong answers through mctabled: $out" >&2; exit 1; }
  echo "$out"
}
field() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "== $CLIENTS clients x $REQUESTS lookups, $KEYS keys (3 in 4 present), memcached -t 2 on loopback"
: >"$WORK/a" ; : >"$WORK/b" ; : >"$WORK/c"
start_daemon "$CF"
run_load --socketmap "unix:$WORK/sock" --map bench >/dev/null  # warm-up
for r in $(seq "$REPEATS"); do
  run_postmap "$CF" >>"$WORK/a"
  run_load --socketmap "unix:$WORK/sock" --map bench >>"$WORK/b"
  run_load --tcp "$TCP_PORT" >>"$WORK/c"
done
STATS=$(daemon_stats)
stop_daemon

A_RATE=$(awk '{print $1}' "$WORK/a" | median)
A_MEAN=$(awk '{print $2}' "$WORK/a" | median)
B_RATE=$(field lookups_per_s <"$WORK/b" | median)
B_P50=$(field p50_us <"$WORK/b" | median)
B_P99=$(field p99_us <"$WORK/b" | median)
C_RATE=$(field lookups_per_s <"$WORK/c" | median)
C_P50=$(field p50_us <"$WORK/c" | median)
C_P99=$(field p99_us <"$WORK/c" | median)

# ---- counting runs through the relay ------------------------------------------
RELAY_PORT=$(free_port)
RCF=$WORK/relay.cf
printf 'memcache = inet:127.0.0.1:%s\n' "$RELAY_PORT" >"$RCF"
relay_run() {  # relay_run KIND: runs one side through a fresh relay, prints its counts
  "$RELAY" "$RELAY_PORT" "$MC_PORT" >"$WORK/relay.out" &
  local relay=$!
  PIDS+=("$relay")
  wait_port "$RELAY_PORT" || die "mc_relay did not start"
  if [ "$1" = postmap ]; then
    run_postmap "$RCF" >/dev/null
  else
    start_daemon "$RCF"
    run_load --socketmap "unix:$WORK/sock" --map bench >"$WORK/relay_load"
    stop_daemon
  fi
  kill "$relay"; wait "$relay"
  cat "$WORK/relay.out"
}
RA=$(relay_run postmap) || exit $?
RB=$(relay_run daemon) || exit $?
A_GETS=$(echo "$RA" | field get_commands)
A_RP50=$(echo "$RA" | field get_p50_us)
A_RP99=$(echo "$RA" | field get_p99_us)
B_GETS=$(echo "$RB" | field get_commands)
B_KEYS=$(echo "$RB" | field get_keys)
B_RP50=$(echo "$RB" | field get_p50_us)
B_RP99=$(echo "$RB" | field get_p99_us)
B_RELAYED_RATE=$(field lookups_per_s <"$WORK/relay_load")

echo
printf '%-44s %12s %10s %10s %14s\n' "side" "lookups/s" "p50_us" "p99_us" "memcached gets"
printf '%-44s %12s %10s %10s %14s\n' "(a) postmap memcache client, $CLIENTS processes" "$A_RATE" "mean $A_MEAN" "-" "$A_GETS"
printf '%-44s %12s %10s %10s %14s\n' "    its gets on the wire (relay)" "" "$A_RP50" "$A_RP99" ""
printf '%-44s %12s %10s %10s %14s\n' "(b) mctabled socketmap:unix, $CLIENTS clients" "$B_RATE" "$B_P50" "$B_P99" "$B_GETS"
printf '%-44s %12s %10s %10s %14s\n' "    its gets on the wire (relay)" "" "$B_RP50" "$B_RP99" ""
printf '%-44s %12s %10s %10s %14s\n' "(c) mctabled tcp_table, $CLIENTS clients" "$C_RATE" "$C_P50" "$C_P99" ""
echo
echo "memcached get commands for $TOTAL lookups: (a) $A_GETS, (b) $B_GETS ($B_KEYS keys; lookups through the relay at $B_RELAYED_RATE/s)"
RATIO=$(awk -v t="$TOTAL" -v g="$B_GETS" 'BEGIN { printf "%.1f", (g > 0 ? t / g : 0) }')
SPEEDUP=$(awk -v a="$A_RATE" -v b="$B_RATE" 'BEGIN { printf "%.2f", b / a }')
echo "mctabled: ${SPEEDUP}x postmap's lookups/s; ${RATIO} lookups per memcached get command"
echo "mctabled statistics after the timed runs:"
echo "$STATS" | sed 's/^/  /'

missed=0
awk -v a="$A_RATE" -v b="$B_RATE" 'BEGIN { exit !(b >= a) }' || { echo "target missed: (b) lookups/s < (a)"; missed=1; }
[ "$B_P99" -lt 2000 ] || { echo "target missed: (b) p99 ${B_P99} us >= 2000 us"; missed=1; }
awk -v r="$RATIO" 'BEGIN { exit !(r >= 10) }' || { echo "target missed: fewer than 10 lookups per memcached get"; missed=1; }
[ $missed = 0 ] && echo "all targets met"
[ $STRICT = 1 ] && [ $missed = 1 ] && exit 3
exit 0
