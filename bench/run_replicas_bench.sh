#!/usr/bin/env bash
# mctable benchmark for replicas: the memcache table over 3 memcached
# servers with replicas = 1 and replicas = 2, side by side in one run.
#
#   bench/run_replicas_bench.sh [--keys 200000] [--repeats 5] [--build-dir DIR] [--no-build] [--strict]
#
# What it does (about four minutes with the defaults, plus the first build):
#  1. builds mctable and bench/raw_client (into build-bench, -j2) unless
#     --no-build;
#  2. starts three memcached on free loopback ports (killed by pid at exit);
#  3. runs, interleaved and --repeats times each (medians), replicas = 1
#     against replicas = 2:
#       load     `mctable -i` (every key)
#       lookup   `mctable -q -`, every key present, every server up, in
#                the load order and in a shuffled order (in the load order,
#                each server reads its items in the order they sit in its
#                memory, which replicas = 2 interleaves with other
#                servers' second copies: bench/memcached_footprint.sh
#                shows that cost with one memcached and no mctable)
#       lookup   `mctable -q -`, half the keys present (misses ask the second copy)
#     Each line also gives the median CPU seconds (user + system) of the
#     mctable process, which a loaded machine disturbs less than wall time,
#     and of the three memcached together during the same run, and the
#     "CPU bound": the ratio of client + servers CPU, replicas = 1 to 2.  The
#     client and the servers share this machine's cores, so a client fast
#     enough to keep every core busy would run at that ratio: the servers'
#     extra work for replicas = 2 is then the client's wall time.
#     Two more lines split the client's cost from the servers': with
#     replicas = 2 the servers store and hold twice the entries, and read
#     in load order, a memcached's first copies among second copies are
#     answered a little slower (memory locality, as above).
#       load, same copies   replicas = 1 loading 2 x N keys against
#                           replicas = 2 loading N (both store 2 x N
#                           entries; figures are entries stored per second)
#       lookup, same data   `mctable -q -` with replicas = 1 and = 2 over
#                           the same servers, both loaded with replicas = 2
#     and one line for the servers alone, with clients that cost nothing:
#       raw clients, first copies   three bench/raw_client (no mctable code),
#                           one per server and all at once, each getting
#                           the keys whose first copy is on its server:
#                           the same requests over replicas = 1's data and
#                           over replicas = 2's (twice the entries held)
#  4. the kill test: `mctable -q -` over every key with replicas = 2 while
#     one server is killed (SIGKILL) a fifth of the way into the run;
#     reports its throughput beside the same run with every server up.
# Targets (--strict makes a miss exit 3): replicas = 2 load >= 0.7x
# replicas = 1; lookups with every key present (load order) >= 0.95x.
# Every output is checked byte for byte (lookups in input order; loads by
# reading back, and with replicas = 2 by counting 2 copies per key).
# Exit status: 0 all outputs agree; 1 an output disagrees; 2 setup failed;
# 3 with --strict, a target was missed.
set -u -o pipefail

KEYS=200000
REPEATS=5
BUILD_DIR=""
DO_BUILD=1
STRICT=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) KEYS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --strict) STRICT=1; shift ;;
    -h|--help) sed -n '2,50p' "$0"; exit 0 ;;
    *) echo "run_replicas_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$BUILD_DIR" ] || BUILD_DIR=$ROOT/build-bench
MCTABLE=$BUILD_DIR/mctable
RAW=$BUILD_DIR/bench/raw_client
die() { echo "run_replicas_bench.sh: $*" >&2; exit 2; }

if [ "$DO_BUILD" = 1 ]; then
  echo "== build ($BUILD_DIR)"
  log=${TMPDIR:-/tmp}/mctable_replicas_bench_cmake.log
  cmake -S "$ROOT" -B "$BUILD_DIR" -DMCTABLE_BENCH=ON >"$log" 2>&1 || { tail -20 "$log" >&2; die "cmake configure failed"; }
  cmake --build "$BUILD_DIR" -j2 --target mctable mctable_raw_client >>"$log" 2>&1 || { grep -E "error|Error" "$log" | head -20 >&2; die "build failed"; }
fi
[ -x "$MCTABLE" ] || die "no $MCTABLE"
[ -x "$RAW" ] || die "no $RAW"
command -v memcached >/dev/null || die "memcached is not installed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mctable_replicas_bench.XXXXXX")
declare -A PID_OF  # port -> memcached pid
cleanup() {
  for p in "${PID_OF[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PID_OF[@]}"; do
    for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$ROOT/bench/lib.sh"  # t_run, median, rate, ratio, ge, fmt_rate, fail, check_same, listening, free_port, mc, proc_cpu_ticks, settle
MC_USER=()
[ "$(id -u)" = 0 ] && MC_USER=(-u root)
start_memcached() {  # start_memcached PORT: true when it listens
  memcached "${MC_USER[@]}" -l 127.0.0.1 -p "$1" -U 0 -m 1024 -t 2 -c 64 2>>"$WORK/servers.err" &
  local pid=$!
  for _ in $(seq 50); do
    if listening "$1"; then PID_OF[$1]=$pid; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  return 1
}
MC_PORTS=()
for i in 0 1 2; do
  ok=""
  for _ in 1 2 3 4 5; do
    p=$(free_port)
    if start_memcached "$p"; then ok=$p; break; fi
  done
  [ -n "$ok" ] || die "could not start memcached: $(cat "$WORK/servers.err")"
  MC_PORTS+=("$ok")
done
flush() { for p in "${MC_PORTS[@]}"; do [ "$(mc "$p" flush_all)" = OK ] || die "flush_all failed"; done; }
TICKS=$(getconf CLK_TCK)
# servers_ticks: the three memcached's CPU (user + system) so far, in clock
# ticks.  mctable has every reply when it exits (a quiet write chunk ends
# with its "MN"), so the difference around a run is that run's server work.
servers_ticks() {
  local p total=0
  for p in "${PID_OF[@]}"; do total=$((total + $(proc_cpu_ticks "$p"))); done
  echo "$total"
}
# timed_mctable OUT ARGS...: t_run, and SCPU = the servers' CPU seconds during it.
timed_mctable() {
  local before
  before=$(servers_ticks)
  t_run "$@"
  SCPU=$(awk -v t=$(( $(servers_ticks) - before )) -v hz="$TICKS" 'BEGIN { printf "%.3f", t / hz }')
}
items() { exec 3<>"/dev/tcp/127.0.0.1/$1"; printf 'stats\r\n' >&3
  local line n=0; while IFS= read -r -t 5 line <&3; do line=${line%$'\r'}
    case $line in "STAT curr_items "*) n=${line#STAT curr_items };; END) break;; esac; done
  exec 3>&-; echo "$n"; }

PFDIR=$WORK/postfix
mkdir -p "$PFDIR"
: >"$PFDIR/main.cf"
SERVERS=$(printf 'inet:127.0.0.1:%s, inet:127.0.0.1:%s, inet:127.0.0.1:%s' "${MC_PORTS[@]}")
R1=$WORK/r1.cf
R2=$WORK/r2.cf
printf 'memcache = %s\n' "$SERVERS" >"$R1"
printf 'memcache = %s\nreplicas = 2\ntimeout = 1\nmax_try = 2\nretry_pause = 1\n' "$SERVERS" >"$R2"

N=$KEYS
awk -v n="$N" -v w="$WORK" 'BEGIN {
  for (i = 0; i < n; i++) {
    k = "user" i "@example" (i % 97) ".com"; v = "dest" i "@mail.example.net"
    print k > (w "/keys"); print k " " v > (w "/entries"); print k "\t" v > (w "/all")
    if (i % 2 == 0) { print k " " v > (w "/present"); print k "\t" v > (w "/expect") }
    print k " " v > (w "/entries2x"); print "other" i "@example" (i % 97) ".com " v > (w "/entries2x")
    p[i] = i
  }
  srand(7)
  for (i = n - 1; i > 0; i--) { j = int(rand() * (i + 1)); t = p[i]; p[i] = p[j]; p[j] = t }
  for (x = 0; x < n; x++) {
    i = p[x]; k = "user" i "@example" (i % 97) ".com"
    print k > (w "/keys.shuffled"); print k "\tdest" i "@mail.example.net" > (w "/all.shuffled")
  }
}'


echo "== mctable replicas benchmark: $N keys, $REPEATS repeats, 3 memcached $(memcached -V | awk '{print $2}') on ports ${MC_PORTS[*]}, $(nproc) cores"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other processes add noise: compare ratios)"
declare -A R

# timed_load CF INPUT REPEAT ENTRIES LABEL: flushes, lets the servers
# settle, times `mctable -i` of INPUT, and on the first repeat checks that
# the servers hold ENTRIES.
timed_load() {
  flush; settle servers_ticks
  timed_mctable "$WORK/out" "$MCTABLE" -c "$PFDIR" -i "memcache:$1" <"$2"
  [ "$RC" = 0 ] || fail "mctable -i ($5) exit $RC: $(head -2 "$WORK/out.err")"
  [ "$3" = 1 ] || return 0
  local stored=0 p
  for p in "${MC_PORTS[@]}"; do stored=$((stored + $(items "$p"))); done
  [ "$stored" = "$4" ] || fail "$5: the servers hold $stored entries, not $4"
}

# timed_lookup LOAD_CF LOAD_INPUT CF EXPECTED LABEL [KEYS]: flushes, loads
# LOAD_INPUT with LOAD_CF, lets the servers settle, times `mctable -q -` of
# every key (in the order of KEYS, default the load order) with CF and
# checks its output against EXPECTED.
timed_lookup() {
  flush; "$MCTABLE" -c "$PFDIR" -i "memcache:$1" <"$2" >/dev/null 2>&1 || die "load failed"
  settle servers_ticks
  timed_mctable "$WORK/out" "$MCTABLE" -c "$PFDIR" -q - "memcache:$3" <"${6:-$WORK/keys}"
  [ "$RC" = 0 ] || fail "$5: exit $RC: $(head -2 "$WORK/out.err")"
  check_same "$WORK/out" "$4" "$5"
}

# first_copies: splits the keys by the server that holds their first copy
# (the same server for replicas = 1 and = 2): after a replicas = 1 load,
# each server's raw_client answer over every key is that server's share,
# FIRST.PORT its keys and FIRST.PORT.expect its answer.
first_copies() {
  local p total=0
  flush; "$MCTABLE" -c "$PFDIR" -i "memcache:$R1" <"$WORK/entries" >/dev/null 2>&1 || die "load failed"
  for p in "${MC_PORTS[@]}"; do
    "$RAW" --server "127.0.0.1:$p" --mode get <"$WORK/keys" >"$WORK/first.$p.expect" || die "raw_client get failed"
    cut -f1 "$WORK/first.$p.expect" >"$WORK/first.$p"
    total=$((total + $(wc -l <"$WORK/first.$p")))
  done
  [ "$total" = "$N" ] || die "the servers' shares hold $total keys, not $N"
}
# timed_raw_clients CF LABEL: flushes, loads with CF, lets the servers
# settle, and times the three raw clients run at once; T = wall seconds,
# CPU = the clients' CPU together, SCPU = the servers'.
timed_raw_clients() {
  local before p pids=() t0 TIMEFORMAT='%U %S'
  flush; "$MCTABLE" -c "$PFDIR" -i "memcache:$1" <"$WORK/entries" >/dev/null 2>&1 || die "load failed"
  settle servers_ticks
  before=$(servers_ticks)
  t0=$EPOCHREALTIME
  { time {
    for p in "${MC_PORTS[@]}"; do "$RAW" --server "127.0.0.1:$p" --mode get <"$WORK/first.$p" >"$WORK/raw.$p" & pids+=($!); done
    wait "${pids[@]}"
  } ; } 2>"$WORK/raw.time"
  T=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", b - a }')
  CPU=$(awk '{ printf "%.6f", $1 + $2 }' "$WORK/raw.time")
  SCPU=$(awk -v t=$(( $(servers_ticks) - before )) -v hz="$TICKS" 'BEGIN { printf "%.3f", t / hz }')
  for p in "${MC_PORTS[@]}"; do check_same "$WORK/raw.$p" "$WORK/first.$p.expect" "$2, server $p"; done
}

# compare LABEL OP [CLIENT]: runs OP with replicas 1 and 2, interleaved;
# CLIENT names the client process(es) in the CPU figures.
compare() {
  local label=$1 op=$2 client=${3:-mctable} r who cf t1="" t2="" c1="" c2="" s1="" s2=""
  for r in $(seq "$REPEATS"); do
    for who in $( [ $((r % 2)) = 1 ] && echo "1 2" || echo "2 1"); do
      cf=$R1; [ "$who" = 2 ] && cf=$R2
      case $op in
        load)
          timed_load "$cf" "$WORK/entries" "$r" $((N * who)) "replicas $who"
          if [ "$r" = 1 ]; then
            "$MCTABLE" -c "$PFDIR" -q - "memcache:$cf" <"$WORK/keys" >"$WORK/readback" 2>/dev/null
            check_same "$WORK/readback" "$WORK/all" "mctable -i, replicas $who (read back)"
          fi ;;
        load_same_copies)
          local input=$WORK/entries; [ "$who" = 1 ] && input=$WORK/entries2x
          timed_load "$cf" "$input" "$r" $((N * 2)) "replicas $who, same copies" ;;
        lookup_all)
          timed_lookup "$cf" "$WORK/entries" "$cf" "$WORK/all" "mctable -q -, replicas $who, repeat $r" ;;
        lookup_shuffled)
          timed_lookup "$cf" "$WORK/entries" "$cf" "$WORK/all.shuffled" \
            "mctable -q - shuffled, replicas $who, repeat $r" "$WORK/keys.shuffled" ;;
        lookup_same_data)
          timed_lookup "$R2" "$WORK/entries" "$cf" "$WORK/all" \
            "mctable -q - over replicas = 2's data, replicas $who, repeat $r" ;;
        raw_first_copies)
          timed_raw_clients "$cf" "raw clients, replicas $who's data, repeat $r" ;;
        lookup_half)
          timed_lookup "$cf" "$WORK/present" "$cf" "$WORK/expect" \
            "mctable -q - half present, replicas $who, repeat $r" ;;
      esac
      if [ "$who" = 1 ]; then t1="$t1 $T"; c1="$c1 $CPU"; s1="$s1 $SCPU"; else t2="$t2 $T"; c2="$c2 $CPU"; s2="$s2 $SCPU"; fi
    done
  done
  local m1 m2 u1 u2 v1 v2 n=$N
  m1=$(echo "$t1" | median); m2=$(echo "$t2" | median)
  u1=$(echo "$c1" | median); u2=$(echo "$c2" | median)
  v1=$(echo "$s1" | median); v2=$(echo "$s2" | median)
  [ "$op" = load_same_copies ] && n=$((N * 2))  # entries stored per second
  R[$label.1]=$(rate "$n" "$m1"); R[$label.2]=$(rate "$n" "$m2")
  R[$label.x]=$(ratio "${R[$label.2]}" "${R[$label.1]}")
  # With the client and the servers on the same 2 cores, a run that kept
  # both cores busy would take (client + servers CPU) / 2: a client that
  # overlapped all its work with the servers' would run at the ratio of
  # those sums.
  R[$label.bound]=$(awk -v a="$u1" -v b="$v1" -v c="$u2" -v d="$v2" 'BEGIN { if (c + d > 0) printf "%.2f", (a + b) / (c + d); else print "n/a" }')
  R[$label.servers]=$(ratio "$v1" "$v2")
  printf '  %-44s %s   %s   %sx   (CPU: %s %.3f s vs %.3f s, servers %.3f s vs %.3f s; CPU bound %sx)\n' "$label" \
    "$(fmt_rate "${R[$label.1]}")" "$(fmt_rate "${R[$label.2]}")" "${R[$label.x]}" "$client" "$u1" "$u2" "$v1" "$v2" \
    "${R[$label.bound]}"
}

printf '  %-44s %20s   %20s   %s\n' "what" "replicas = 1" "replicas = 2" "2/1"
compare "load (mctable -i)" load
compare "lookup, every key present (mctable -q -)" lookup_all
compare "lookup, every key, shuffled order" lookup_shuffled
compare "lookup, half present (mctable -q -)" lookup_half
echo "  the client's share (the servers store and hold as many entries on both sides):"
compare "load, same copies (entries stored/s)" load_same_copies
compare "lookup, same data (replicas = 2's)" lookup_same_data
echo "  the servers alone (the same gets from minimal clients, no mctable code):"
first_copies
compare "raw clients, first copies (bench/raw_client)" raw_first_copies "raw_clients"

# ---- the kill test ------------------------------------------------------------------
flush
"$MCTABLE" -c "$PFDIR" -i "memcache:$R2" <"$WORK/entries" >/dev/null 2>&1 || die "load failed"
t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -q - "memcache:$R2" <"$WORK/keys"
up=$T
check_same "$WORK/out" "$WORK/all" "kill test baseline"
victim=${MC_PORTS[1]}
( sleep "$(awk -v t="$up" 'BEGIN { printf "%.3f", t / 5 }')"; kill -9 "${PID_OF[$victim]}" ) &
killer=$!
t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -q - "memcache:$R2" <"$WORK/keys"
wait "$killer"
killed=$T
kill -0 "${PID_OF[$victim]}" 2>/dev/null && fail "kill test: the server was not killed during the run"
[ "$RC" = 0 ] || fail "kill test: mctable -q - exit $RC: $(head -2 "$WORK/out.err")"
check_same "$WORK/out" "$WORK/all" "kill test (every key with its value)"
t_run "$WORK/out" "$MCTABLE" -c "$PFDIR" -q - "memcache:$R2" <"$WORK/keys"
dead=$T
check_same "$WORK/out" "$WORK/all" "kill test, server still dead"
echo "  kill test, replicas = 2, mctable -q - over $N keys (every answer checked):"
printf '    %-42s %s\n' "every server up" "$(fmt_rate "$(rate "$N" "$up")")"
printf '    %-42s %s\n' "one server killed during the run" "$(fmt_rate "$(rate "$N" "$killed")")"
printf '    %-42s %s\n' "that server dead for the whole run" "$(fmt_rate "$(rate "$N" "$dead")")"

MISSED=0
ge "${R[load (mctable -i).x]}" 0.7 || { echo "  TARGET MISSED: replicas = 2 load ${R[load (mctable -i).x]}x < 0.7x"; MISSED=1; }
ge "${R[lookup, every key present (mctable -q -).x]}" 0.95 ||
  { echo "  TARGET MISSED: replicas = 2 lookups ${R[lookup, every key present (mctable -q -).x]}x < 0.95x" \
      "(CPU bound ${R[lookup, every key present (mctable -q -).bound]}x;" \
      "servers' CPU for raw clients' same gets, 1/2: ${R[raw clients, first copies (bench/raw_client).servers]}x)"; MISSED=1; }
[ "$FAILURES" = 0 ] || { echo "== $FAILURES output mismatches"; exit 1; }
echo "== every output checked"
[ "$STRICT" = 1 ] && [ "$MISSED" = 1 ] && exit 3
exit 0
