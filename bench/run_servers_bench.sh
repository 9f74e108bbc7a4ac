#!/usr/bin/env bash
# mctable benchmark for a table spread over several memcached servers.
#
#   bench/run_servers_bench.sh [--keys 200000] [--repeats 5] [--delay-us 500]
#                              [--batches "64 512 4096"] [--build-dir DIR] [--no-build] [--strict]
#
# What it does (about two minutes with the defaults, plus the first build):
#  1. builds mctable, raw_client, delay_proxy and dispatch_bench (into
#     build-bench, -j2) unless --no-build;
#  2. starts three memcached on free loopback ports (killed by pid at exit);
#  3. runs, interleaved and --repeats times each (medians), with the table
#     on 1 server and on the 3 servers:
#       lookup  `mctable -q -` (half the keys present)
#       load    `mctable -i`
#       delete  `mctable -d -`
#  4. puts bench/delay_proxy in front of each server (--delay-us each way:
#     500 us = 1 ms more round trip per server) and runs dispatch_bench:
#     the library's client over the 3 servers, concurrent dispatch vs a
#     sequential per-server loop, for each batch size in --batches
#     (4096 is a `mctable -q -` round); then `mctable -q -` through the
#     delayed servers with 1 and 3 servers;
#  5. with nutcracker installed, the same lookup and load through a
#     nutcracker in front of the 3 servers, for comparison.
# Every output is checked: lookups byte for byte in input order; loads by
# reading back through the 3-server table and counting what each server
# holds (the parts must be disjoint and cover every key); deletes by
# reading back nothing.
# Exit status: 0 all outputs agree; 1 an output disagrees; 2 setup failed;
# 3 with --strict, a target was missed.
set -u -o pipefail

KEYS=200000
REPEATS=5
DELAY_US=500
BATCHES="64 512 4096"
BUILD_DIR=""
DO_BUILD=1
STRICT=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) KEYS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --delay-us) DELAY_US=$2; shift 2 ;;
    --batches) BATCHES=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --strict) STRICT=1; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "run_servers_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$BUILD_DIR" ] || BUILD_DIR=$ROOT/build-bench
MCTABLE=$BUILD_DIR/mctable
RAW=$BUILD_DIR/bench/raw_client
PROXY=$BUILD_DIR/bench/delay_proxy
DISPATCH=$BUILD_DIR/bench/dispatch_bench
NUTCRACKER=$(command -v nutcracker || ls /usr/sbin/nutcracker 2>/dev/null || true)

die() { echo "run_servers_bench.sh: $*" >&2; exit 2; }

if [ "$DO_BUILD" = 1 ]; then
  echo "== build ($BUILD_DIR)"
  log=${TMPDIR:-/tmp}/mctable_servers_bench_cmake.log
  cmake -S "$ROOT" -B "$BUILD_DIR" -DMCTABLE_BENCH=ON >"$log" 2>&1 || { tail -20 "$log" >&2; die "cmake configure failed"; }
  cmake --build "$BUILD_DIR" -j2 --target mctable mctable_raw_client mctable_delay_proxy \
    mctable_dispatch_bench >>"$log" 2>&1 || { grep -E "error|Error" "$log" | head -20 >&2; die "build failed"; }
fi
for b in "$MCTABLE" "$RAW" "$PROXY" "$DISPATCH"; do [ -x "$b" ] || die "no $b"; done
command -v memcached >/dev/null || die "memcached is not installed"

# ---- processes and cleanup ------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mctable_servers_bench.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$ROOT/bench/lib.sh"  # t_run, median, rate, ratio, ge, fmt_rate, fail, check_same, listening, free_port, mc
# start_listener PORT CMD...: runs CMD in the background, waits until PORT accepts.
start_listener() {
  local port=$1; shift
  "$@" 2>>"$WORK/servers.err" &
  local pid=$!
  for _ in $(seq 50); do
    if listening "$port"; then PIDS+=("$pid"); return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  return 1
}

MC_USER=()
[ "$(id -u)" = 0 ] && MC_USER=(-u root)
MC_PORTS=()
for i in 0 1 2; do
  ok=""
  for _ in 1 2 3 4 5; do
    p=$(free_port)
    if start_listener "$p" memcached "${MC_USER[@]}" -l 127.0.0.1 -p "$p" -U 0 -m 1024 -t 2 -c 64; then
      ok=$p; break
    fi
  done
  [ -n "$ok" ] || die "could not start memcached: $(cat "$WORK/servers.err")"
  MC_PORTS+=("$ok")
done

flush() { for p in "${MC_PORTS[@]}"; do [ "$(mc "$p" flush_all)" = OK ] || die "flush_all failed"; done; }

PFDIR=$WORK/postfix
mkdir -p "$PFDIR"
: >"$PFDIR/main.cf"
ONE=$WORK/one.cf
THREE=$WORK/three.cf
printf 'memcache = inet:127.0.0.1:%s\n' "${MC_PORTS[0]}" >"$ONE"
printf 'memcache = inet:127.0.0.1:%s, inet:127.0.0.1:%s, inet:127.0.0.1:%s\n' "${MC_PORTS[@]}" >"$THREE"

# ---- data (as bench/run_bench.sh) ----------------------------------------------------
N=$KEYS
awk -v n="$N" -v w="$WORK" 'BEGIN {
  for (i = 0; i < n; i++) {
    k = "user" i "@example" (i % 97) ".com"; v = "dest" i "@mail.example.net"
    print k > (w "/keys"); print k " " v > (w "/entries"); print k "\t" v > (w "/all")
    if (i % 2 == 0) { print k " " v > (w "/present"); print k "\t" v > (w "/expect") }
  }
}'
: >"$WORK/empty"


# Each server holds a disjoint part, and the parts cover every key of ALL_FILE.
check_spread() {  # check_spread LABEL
  local total=0 p n
  for p in "${MC_PORTS[@]}"; do
    n=$("$RAW" --server "127.0.0.1:$p" --mode get <"$WORK/keys" 2>/dev/null | wc -l)
    total=$((total + n))
  done
  [ "$total" = "$N" ] || fail "$1: the servers hold $total entries in all, not $N"
  "$MCTABLE" -c "$PFDIR" -q - "memcache:$THREE" <"$WORK/keys" >"$WORK/readback" 2>/dev/null
  check_same "$WORK/readback" "$WORK/all" "$1 (read back through the 3 servers)"
}
load_present() {  # load_present CF: the even keys, through mctable -i
  "$MCTABLE" -c "$PFDIR" -i "memcache:$1" <"$WORK/present" >/dev/null 2>&1 || die "mctable -i failed"
}

echo "== mctable servers benchmark: $N keys, $REPEATS repeats, memcached $(memcached -V | awk '{print $2}') on ports ${MC_PORTS[*]}, $(nproc) cores"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other processes add noise: compare ratios)"
declare -A R

# compare LABEL OP: runs OP with 1 and 3 servers, interleaved.
compare() {
  local label=$1 op=$2 r who cf t1="" t3=""
  for r in $(seq "$REPEATS"); do
    for who in $( [ $((r % 2)) = 1 ] && echo "1 3" || echo "3 1"); do
      cf=$ONE; [ "$who" = 3 ] && cf=$THREE
      case $op in
        lookup)
          flush; load_present "$cf"
          t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -q - "memcache:$cf" <"$WORK/keys"
          [ "$RC" = 0 ] || fail "mctable -q - ($who) exit $RC: $(head -2 "$WORK/out.err")"
          check_same "$WORK/out" "$WORK/expect" "mctable -q - on $who server(s), repeat $r" ;;
        load)
          flush
          t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -i "memcache:$cf" <"$WORK/entries"
          [ "$RC" = 0 ] || fail "mctable -i ($who) exit $RC: $(head -2 "$WORK/out.err")"
          if [ "$who" = 3 ] && [ "$r" = 1 ]; then check_spread "mctable -i on 3 servers"; fi ;;
        delete)
          flush; load_present "$cf"
          t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -d - "memcache:$cf" <"$WORK/keys"
          [ "$RC" = 0 ] || fail "mctable -d - ($who) exit $RC: $(head -2 "$WORK/out.err")"
          "$MCTABLE" -c "$PFDIR" -q - "memcache:$cf" <"$WORK/keys" >"$WORK/readback" 2>/dev/null
          check_same "$WORK/readback" "$WORK/empty" "mctable -d - on $who server(s), repeat $r" ;;
      esac
      if [ "$who" = 1 ]; then t1="$t1 $T"; else t3="$t3 $T"; fi
    done
  done
  R[${op}_1]=$(rate "$N" "$(echo "$t1" | median)")
  R[${op}_3]=$(rate "$N" "$(echo "$t3" | median)")
  echo "  $label, 1 server    $(fmt_rate "${R[${op}_1]}")   (times:$t1)"
  echo "  $label, 3 servers   $(fmt_rate "${R[${op}_3]}")   (times:$t3)   3/1: $(ratio "${R[${op}_3]}" "${R[${op}_1]}")"
}

echo
echo "== 1 server vs 3 servers (loopback)"
compare "mctable -q -" lookup
compare "mctable -i  " load
compare "mctable -d -" delete

# ---- delayed servers ---------------------------------------------------------------------
echo
echo "== each server behind delay_proxy: +$((2 * DELAY_US)) us round trip per server"
DELAYED=()
for i in 0 1 2; do
  ok=""
  for _ in 1 2 3 4 5; do
    p=$(free_port)
    if start_listener "$p" "$PROXY" --delay-us "$DELAY_US" "$p:${MC_PORTS[$i]}"; then ok=$p; break; fi
  done
  [ -n "$ok" ] || die "could not start delay_proxy: $(cat "$WORK/servers.err")"
  DELAYED+=("$ok")
done
flush
best_batch=""; best_ratio=0
for b in $BATCHES; do
  keys=$N; [ "$b" -lt 512 ] && keys=$((N / 10))
  out=$("$DISPATCH" --servers "inet:127.0.0.1:${DELAYED[0]} inet:127.0.0.1:${DELAYED[1]} inet:127.0.0.1:${DELAYED[2]}" \
        --keys "$keys" --batch "$b" --repeats "$REPEATS" 2>&1) || fail "dispatch_bench (batch $b): $out"
  c=$(echo "$out" | awk '/^concurrent/ {print $2}'); q=$(echo "$out" | awk '/^sequential/ {print $2}')
  x=$(ratio "$c" "$q")
  R[dispatch_$b]=$x
  printf '  batch %5s keys: concurrent %s, sequential per-server loop %s, ratio %s\n' \
    "$b" "$(fmt_rate "$c")" "$(fmt_rate "$q")" "$x"
  if ge "$x" "$best_ratio"; then best_ratio=$x; best_batch=$b; fi
done
D1=$WORK/delayed_one.cf
D3=$WORK/delayed_three.cf
printf 'memcache = inet:127.0.0.1:%s\n' "${DELAYED[0]}" >"$D1"
printf 'memcache = inet:127.0.0.1:%s, inet:127.0.0.1:%s, inet:127.0.0.1:%s\n' "${DELAYED[@]}" >"$D3"
t1=""; t3=""
for r in $(seq "$REPEATS"); do
  for cf in "$D1" "$D3"; do
    flush; load_present "$cf"
    t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -q - "memcache:$cf" <"$WORK/keys"
    check_same "$WORK/out" "$WORK/expect" "mctable -q - through delayed servers ($cf)"
    if [ "$cf" = "$D1" ]; then t1="$t1 $T"; else t3="$t3 $T"; fi
  done
done
R[delayed_1]=$(rate "$N" "$(echo "$t1" | median)")
R[delayed_3]=$(rate "$N" "$(echo "$t3" | median)")
echo "  mctable -q -, 1 delayed server    $(fmt_rate "${R[delayed_1]}")   (times:$t1)"
echo "  mctable -q -, 3 delayed servers   $(fmt_rate "${R[delayed_3]}")   (times:$t3)   3/1: $(ratio "${R[delayed_3]}" "${R[delayed_1]}")"

# ---- through nutcracker ------------------------------------------------------------------------
if [ -n "$NUTCRACKER" ]; then
  echo
  echo "== through nutcracker (ketama, md5) in front of the 3 servers, for comparison"
  NP=""
  for _ in 1 2 3 4 5; do
    p=$(free_port); sp=$(free_port)
    printf 'pool:\n  listen: 127.0.0.1:%s\n  distribution: ketama\n  hash: md5\n  timeout: 5000\n  servers:\n' "$p" >"$WORK/nut.yml"
    for m in "${MC_PORTS[@]}"; do printf '    - 127.0.0.1:%s:1\n' "$m" >>"$WORK/nut.yml"; done
    if start_listener "$p" "$NUTCRACKER" -c "$WORK/nut.yml" -s "$sp" -a 127.0.0.1 -p "$WORK/nut.pid" -o "$WORK/nut.log"; then
      NP=$p; break
    fi
  done
  if [ -z "$NP" ]; then
    echo "  nutcracker did not start: skipped"
  else
    NUT=$WORK/nut.cf
    printf 'memcache = inet:127.0.0.1:%s\n' "$NP" >"$NUT"
    tn=""; td=""; ln=""; ld=""
    for r in $(seq "$REPEATS"); do
      flush
      t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -i "memcache:$NUT" <"$WORK/entries"; ln="$ln $T"
      [ "$RC" = 0 ] || fail "mctable -i through nutcracker exit $RC"
      t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -q - "memcache:$THREE" <"$WORK/keys"; td="$td $T"
      check_same "$WORK/out" "$WORK/all" "stored through nutcracker, read directly"
      flush
      t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -i "memcache:$THREE" <"$WORK/entries"; ld="$ld $T"
      t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -q - "memcache:$NUT" <"$WORK/keys"; tn="$tn $T"
      check_same "$WORK/out" "$WORK/all" "stored directly, read through nutcracker"
    done
    echo "  mctable -i,   direct to 3 servers   $(fmt_rate "$(rate "$N" "$(echo "$ld" | median)")")"
    echo "  mctable -i,   through nutcracker    $(fmt_rate "$(rate "$N" "$(echo "$ln" | median)")")"
    echo "  mctable -q -, direct to 3 servers   $(fmt_rate "$(rate "$N" "$(echo "$td" | median)")")"
    echo "  mctable -q -, through nutcracker    $(fmt_rate "$(rate "$N" "$(echo "$tn" | median)")")"
  fi
fi

# ---- summary ------------------------------------------------------------------------------------
echo
echo "== summary"
MISSED=0
target() {
  local verdict=met
  [ "$2" = 1 ] || { verdict=MISSED; MISSED=$((MISSED + 1)); }
  printf '  %-62s %-6s %s\n' "$1" "$verdict" "$3"
}
for op in lookup load delete; do
  x=$(ratio "${R[${op}_3]}" "${R[${op}_1]}")
  target "$op: 3 servers at least as fast as 1 (3/1 >= 1.0)" "$(ge "$x" 1.0 && echo 1)" "$x"
done
target "concurrent vs sequential, +$((2 * DELAY_US)) us per server: >= 2.5 (best batch: $best_batch)" \
  "$(ge "$best_ratio" 2.5 && echo 1)" "$best_ratio"
for b in $BATCHES; do echo "    batch $b keys: ${R[dispatch_$b]}"; done
echo "  load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$FAILURES" -gt 0 ]; then
  echo "RESULT: $FAILURES output mismatch(es)"
  exit 1
fi
echo "RESULT: all outputs agree; $MISSED target(s) missed"
[ "$STRICT" = 1 ] && [ "$MISSED" -gt 0 ] && exit 3
exit 0
