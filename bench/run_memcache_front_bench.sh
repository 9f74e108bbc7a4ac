#!/usr/bin/env bash
# mctabled's memcache front against nutcracker (twemproxy), side by side in
# one run: 100 concurrent Postfix-style memcache clients (bench/lookup_load
# --memcache: one request in flight per connection, "get KEY" and
# "set KEY 0 3600 LEN" as Postfix's dict_memcache sends them), a 90/10
# get/set mix, three memcached servers behind each proxy:
#   (a) nutcracker, ketama/md5, inet listener;
#   (b) mctabled -l memcache:inet:..., a memcache table on the same servers;
#   (c) the same over a unix socket (as a Postfix on the host would use it);
#   (d) (b) with value_signing_key_file (nutcracker cannot sign);
#   (e) (d) with TLS to memcached (memcached -Z; nutcracker has no TLS).
#
#   bench/run_memcache_front_bench.sh [--clients 100] [--requests 500] [--keys 20000]
#                                     [--repeats 3] [--build-dir DIR] [--no-build]
#
# Keys user<i>@example.com, i < --keys; 3 in 4 are loaded (value-<i>), the
# rest stay misses (never set).  Every reply is checked by lookup_load.
# Timed runs go straight to memcached (--repeats times each, interleaved,
# median reported).  Then (a) and (b) run once more with bench/mc_relay in
# front of each memcached, counting the commands memcached receives: the
# "memcached requests per client request" column.
#
# Targets: (b) requests/s >= (a); (b) p99 <= (a) p99 + 500 us.
# Exit status: 0 every answer right; 1 an answer was wrong; 2 setup failed.
set -u -o pipefail

CLIENTS=100
REQUESTS=500
KEYS=20000
REPEATS=3
BUILD_DIR=""
DO_BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --keys) KEYS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "run_memcache_front_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$BUILD_DIR" ] || BUILD_DIR=$ROOT/build-bench
die() { echo "run_memcache_front_bench.sh: $*" >&2; exit 2; }
command -v memcached >/dev/null || die "memcached is not installed"
command -v nutcracker >/dev/null || die "nutcracker is not installed"
command -v openssl >/dev/null || die "openssl is not installed"

if [ "$DO_BUILD" = 1 ]; then
  echo "== build ($BUILD_DIR)"
  LOG=${TMPDIR:-/tmp}/mctabled_front_bench_build.log
  cmake -S "$ROOT" -B "$BUILD_DIR" -DMCTABLE_BENCH=ON >"$LOG" 2>&1 || { tail -20 "$LOG" >&2; die "cmake failed"; }
  cmake --build "$BUILD_DIR" -j2 --target mctable mctabled mctable_lookup_load mctable_mc_relay >>"$LOG" 2>&1 ||
    { grep -E "error" "$LOG" | head -20 >&2; die "build failed"; }
fi
MCTABLE=$BUILD_DIR/mctable
MCTABLED=$BUILD_DIR/mctabled
LOAD=$BUILD_DIR/bench/lookup_load
RELAY=$BUILD_DIR/bench/mc_relay
for b in "$MCTABLE" "$MCTABLED" "$LOAD" "$RELAY"; do [ -x "$b" ] || die "no $b"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mctabled_front_bench.XXXXXX")
. "$ROOT/bench/lib.sh"  # PIDS, stop_started, free_port, wait_port
cleanup() {
  stop_started
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- three memcached, and three more with TLS -----------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 || die "openssl req failed"
MC_USER=()
[ "$(id -u)" = 0 ] && MC_USER=(-u root)
MC=() ; MC_TLS=()
for i in 0 1 2; do
  p=$(free_port)
  memcached "${MC_USER[@]}" -l 127.0.0.1 -p "$p" -U 0 -m 256 -t 2 -c 1024 \
    2>"$WORK/memcached$i.err" &
  PIDS+=($!)
  wait_port "$p" || die "memcached did not start: $(cat "$WORK/memcached$i.err")"
  MC+=("$p")
done
# TLS servers: separate memcached processes with -Z (the same data is loaded).
for i in 0 1 2; do
  t=$(free_port)
  memcached "${MC_USER[@]}" -l 127.0.0.1 -p "$t" -Z -o "ssl_chain_cert=$WORK/cert.pem,ssl_key=$WORK/key.pem" \
    -U 0 -m 256 -t 2 -c 1024 2>"$WORK/memcached-tls$i.err" &
  PIDS+=($!)
  wait_port "$t" || die "memcached -Z did not start: $(cat "$WORK/memcached-tls$i.err")"
  MC_TLS+=("$t")
done

PFDIR=$WORK/postfix
mkdir -p "$PFDIR"
: >"$PFDIR/main.cf"
servers() { local s="" p; for p in "$@"; do s="${s:+$s, }inet:127.0.0.1:$p"; done; echo "$s"; }
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/sign.key"; echo >>"$WORK/sign.key"
chmod 600 "$WORK/sign.key"
printf 'memcache = %s\n' "$(servers "${MC[@]}")" >"$WORK/plain.cf"
printf 'memcache = %s\nvalue_signing_key_file = %s\n' "$(servers "${MC[@]}")" "$WORK/sign.key" >"$WORK/signed.cf"
printf 'memcache = %s\nvalue_signing_key_file = %s\ntls = yes\ntls_ca_file = %s\n' \
  "$(servers "${MC_TLS[@]}")" "$WORK/sign.key" "$WORK/cert.pem" >"$WORK/tls.cf"

awk -v k="$KEYS" 'BEGIN { for (i = 0; i < k; i++) if (i % 4 != 3) printf "user%d@example.com value-%d\n", i, i }' \
  >"$WORK/present"
awk -v k="$KEYS" 'BEGIN { for (i = 0; i < k; i++) printf "user%d@example.com\t%s\n", i, (i % 4 != 3 ? "value-" i : "") }' \
  >"$WORK/keys.tsv"
load() { "$MCTABLE" -c "$PFDIR" -i "memcache:$1" <"$WORK/present" || die "loading memcached ($1) failed"; }
load "$WORK/tls.cf"
TOTAL=$((CLIENTS * REQUESTS))

# ---- the proxies -----------------------------------------------------------------
start_nutcracker() {  # start_nutcracker PORT...: one pool on those servers
  NC_PORT=$(free_port)
  { printf 'pool:\n  listen: 127.0.0.1:%s\n  distribution: ketama\n  hash: md5\n  timeout: 2000\n' "$NC_PORT"
    printf '  servers:\n'; for p in "$@"; do printf '    - 127.0.0.1:%s:1\n' "$p"; done; } >"$WORK/nc.yml"
  nutcracker -c "$WORK/nc.yml" -s "$(free_port)" -a 127.0.0.1 -o "$WORK/nc.log" &
  NC_PID=$!
  PIDS+=("$NC_PID")
  wait_port "$NC_PORT" || die "nutcracker did not start: $(cat "$WORK/nc.log")"
}
stop_nutcracker() { kill "$NC_PID"; wait "$NC_PID" 2>/dev/null; }
start_front() {  # start_front CF
  FRONT_PORT=$(free_port)
  rm -f "$WORK/front" "$WORK/stats"
  "$MCTABLED" -c "$PFDIR" -m "bench=memcache:$1" -l "memcache:inet:127.0.0.1:$FRONT_PORT=bench" \
    -l "memcache:unix:$WORK/front=bench" -l "stats:unix:$WORK/stats" 2>>"$WORK/mctabled.err" &
  FRONT_PID=$!
  PIDS+=("$FRONT_PID")
  for _ in $(seq 100); do [ -S "$WORK/front" ] && wait_port "$FRONT_PORT" && return 0; sleep 0.05; done
  die "mctabled did not start: $(cat "$WORK/mctabled.err")"
}
stop_front() { kill "$FRONT_PID"; wait "$FRONT_PID" || die "mctabled exited with status $?"; }

run_load() {
  local out
  out=$("$LOAD" --memcache "$1" --set-every 10 --clients "$CLIENTS" --requests "$REQUESTS" \
        --keys "$WORK/keys.tsv") || { echo "run_memcache_front_bench.sh: wrong answers via $1: $out" >&2; exit 1; }
  echo "$out"
}
field() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "== $CLIENTS clients x $REQUESTS requests (90% get, 10% set), $KEYS keys (3 in 4 present), 3 memcached -t 2"
load "$WORK/plain.cf"
start_nutcracker "${MC[@]}"
start_front "$WORK/plain.cf"
run_load "inet:$NC_PORT" >/dev/null; run_load "inet:$FRONT_PORT" >/dev/null  # warm-up
: >"$WORK/a"; : >"$WORK/b"; : >"$WORK/c"; : >"$WORK/d"; : >"$WORK/e"
for r in $(seq "$REPEATS"); do
  run_load "inet:$NC_PORT" >>"$WORK/a"
  run_load "inet:$FRONT_PORT" >>"$WORK/b"
  run_load "unix:$WORK/front" >>"$WORK/c"
done
stop_front; stop_nutcracker
load "$WORK/signed.cf"
start_front "$WORK/signed.cf"
for r in $(seq "$REPEATS"); do run_load "inet:$FRONT_PORT" >>"$WORK/d"; done
stop_front
start_front "$WORK/tls.cf"
for r in $(seq "$REPEATS"); do run_load "inet:$FRONT_PORT" >>"$WORK/e"; done
stop_front

# ---- counting runs: a relay in front of each memcached ----------------------------
RELAYS=() ; RELAY_PIDS=()
for i in 0 1 2; do RELAYS+=("$(free_port)"); done
start_relays() {
  RELAY_PIDS=()
  for i in 0 1 2; do
    "$RELAY" "${RELAYS[$i]}" "${MC[$i]}" >"$WORK/relay$i.out" &
    RELAY_PIDS+=($!); PIDS+=($!)
    wait_port "${RELAYS[$i]}" || die "mc_relay did not start"
  done
}
stop_relays() {  # prints the commands memcached received, summed
  for p in "${RELAY_PIDS[@]}"; do kill "$p"; wait "$p"; done
  cat "$WORK"/relay?.out | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
    END { printf "%d %d\n", s["get_commands"] + s["storage_commands"] + s["other_commands"], s["get_keys"] }'
}
printf 'memcache = %s\n' "$(servers "${RELAYS[@]}")" >"$WORK/relay.cf"
# Through the relays the servers have other names, so ketama places keys
# elsewhere: load them that way first (not counted).
start_relays; load "$WORK/relay.cf"; stop_relays >/dev/null
start_relays; start_nutcracker "${RELAYS[@]}"; run_load "inet:$NC_PORT" >/dev/null; stop_nutcracker
A_CMDS=$(stop_relays)
start_relays; start_front "$WORK/relay.cf"; run_load "inet:$FRONT_PORT" >/dev/null; STATS=$(python3 -c \
  "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print(s.makefile().read(), end='')" \
  "$WORK/stats"); stop_front
B_CMDS=$(stop_relays)

per() { awk -v c="$1" -v t="$TOTAL" 'BEGIN { printf "%.3f", c / t }'; }
row() {  # row LABEL FILE [COMMANDS]
  printf '%-46s %12s %9s %9s %16s\n' "$1" "$(field lookups_per_s <"$2" | median)" \
    "$(field p50_us <"$2" | median)" "$(field p99_us <"$2" | median)" "${3:--}"
}
echo
printf '%-46s %12s %9s %9s %16s\n' "side" "requests/s" "p50_us" "p99_us" "mc cmds/request"
row "(a) nutcracker, inet" "$WORK/a" "$(per "${A_CMDS% *}")"
row "(b) mctabled memcache front, inet" "$WORK/b" "$(per "${B_CMDS% *}")"
row "(c) mctabled memcache front, unix socket" "$WORK/c"
row "(d) (b) with signed values" "$WORK/d"
row "(e) (b) with signed values and TLS" "$WORK/e"
echo
echo "memcached commands for $TOTAL client requests: (a) ${A_CMDS% *} (${A_CMDS#* } get keys), (b) ${B_CMDS% *} (${B_CMDS#* } get keys)"
echo "mctabled statistics after the counting run:"
echo "$STATS" | sed 's/^/  /'
A_RATE=$(field lookups_per_s <"$WORK/a" | median); B_RATE=$(field lookups_per_s <"$WORK/b" | median)
A_P99=$(field p99_us <"$WORK/a" | median); B_P99=$(field p99_us <"$WORK/b" | median)
missed=0
awk -v a="$A_RATE" -v b="$B_RATE" 'BEGIN { exit !(b >= a) }' || { echo "target missed: (b) requests/s < (a)"; missed=1; }
awk -v a="$A_P99" -v b="$B_P99" 'BEGIN { exit !(b <= a + 500) }' || { echo "target missed: (b) p99 > (a) p99 + 500 us"; missed=1; }
[ $missed = 0 ] && echo "all targets met"
exit 0
