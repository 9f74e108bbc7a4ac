#!/usr/bin/env bash
# mctable LDAP benchmark: a cold batch of lookups in an ldap: table, directly
# and as the backup of a memcache table, side by side with Debian's postmap
# (postfix-ldap) and a minimal pipelined libldap client, in one run.
#
#   bench/ldap_bench.sh [--keys 20000] [--repeats 3] [--build-dir DIR]
#                       [--no-build] [--strict]
#
# What it does:
#  1. builds mctable, its ldap module and bench/ldap_pipeline_client
#     (cmake into build-bench, -j2) unless --no-build;
#  2. starts its own slapd (back_mdb, loglevel 0, the tests' mail schema)
#     with --keys entries user<i>@example<i%97>.com -> maildrop
#     dest<i>@mail.example.net loaded by slapadd, and memcached, each on a
#     free loopback port, stopped by pid at exit;
#  3. on the same cold batch of all keys (shuffled):
#       postmap   `postmap -q - ldap:CF` (one search at a time)
#       client    bench/ldap_pipeline_client, 2 connections, window 64
#       direct    `mctable -q - ldap:CF`
#       memcache  memcache table with backup = ldap:CF, memcached flushed
#                 before each run: every key misses, the backup answers,
#                 each answer is written back
#     in --repeats rounds of one run each (median per program); each output
#     is checked against the expected "key<TAB>value" lines.
# Targets: direct and memcache >= 5x postmap and >= 0.9x the client.
# Beside the rates: CPU seconds per run of each program, of slapd and of
# memcached (/proc/PID/stat), medians, and microseconds per key.
# Exit status: 0 outputs agree; 1 an output disagrees; 2 setup failed;
# 3 (--strict only) a target was missed.
set -u -o pipefail

KEYS=20000
REPEATS=3
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
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "ldap_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
[ -n "$BUILD_DIR" ] || BUILD_DIR=$ROOT/build-bench
MCTABLE=$BUILD_DIR/mctable
CLIENT=$BUILD_DIR/bench/ldap_pipeline_client
POSTMAP=/usr/sbin/postmap
die() { echo "ldap_bench.sh: $*" >&2; exit 2; }

if [ "$DO_BUILD" = 1 ]; then
  echo "== build ($BUILD_DIR)"
  log=${TMPDIR:-/tmp}/mctable_ldap_bench_build.log
  { cmake -S "$ROOT" -B "$BUILD_DIR" -DMCTABLE_BENCH=ON &&
    cmake --build "$BUILD_DIR" -j2 --target mctable mctable_ldap_module mctable_ldap_pipeline_client; } >"$log" 2>&1 ||
    { tail -20 "$log" >&2; die "build failed"; }
fi
[ -x "$MCTABLE" ] || die "no $MCTABLE"
[ -x "$CLIENT" ] || die "no $CLIENT"
[ -x /usr/sbin/slapd ] || die "slapd is not installed (apt-get install slapd ldap-utils)"
[ -x "$POSTMAP" ] && [ -e /usr/lib/postfix/postfix-ldap.so ] || die "postmap with postfix-ldap is not installed"
command -v memcached >/dev/null || die "memcached is not installed"

export LDAPNOINIT=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mctable_ldap_bench.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "${KEEP_WORK:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS PID CMD...
  local deadline=$((SECONDS + $1)) pid=$2; shift 2
  while [ $SECONDS -lt $deadline ]; do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# ---- data and servers --------------------------------------------------------------
N=$KEYS
BASE="dc=example,dc=com"
# The schema of tests/testutil/slapd_server.cc.
sed -n '/kMailSchema\[\] = R"(/,/^)";/p' "$ROOT/tests/testutil/slapd_server.cc" | sed '1s/.*R"(//; $d' >"$WORK/mail.schema"
[ -s "$WORK/mail.schema" ] || die "cannot read the test schema"
awk -v n="$N" -v w="$WORK" 'BEGIN {
  print "dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n" > (w "/data.ldif")
  print "dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n" > (w "/data.ldif")
  for (i = 0; i < n; i++) {
    k = "user" i "@example" (i % 97) ".com"; v = "dest" i "@mail.example.net"
    print "dn: cn=u" i ",ou=people,dc=example,dc=com\nobjectClass: organizationalRole\nobjectClass: mailrecipient\ncn: u" i \
          "\nmailacceptinggeneralid: " k "\nmaildrop: " v "\n" > (w "/data.ldif")
    print k "\t" v > (w "/expect")
  }
}'
# A cold batch in an order unrelated to the load order.
awk 'BEGIN { srand(7) } { print rand() "\t" $0 }' "$WORK/expect" | sort -k1,1 | cut -f2- >"$WORK/expect.shuffled"
cut -f1 "$WORK/expect.shuffled" >"$WORK/keys"
mkdir -p "$WORK/db" "$WORK/postfix" && : >"$WORK/postfix/main.cf"
cat >"$WORK/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include $WORK/mail.schema
pidfile $WORK/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
loglevel 0
database mdb
suffix "$BASE"
rootdn "cn=admin,$BASE"
rootpw bench
directory $WORK/db
maxsize 1073741824
index objectClass eq
index mailacceptinggeneralid eq
EOF
/usr/sbin/slapadd -q -f "$WORK/slapd.conf" -l "$WORK/data.ldif" || die "slapadd failed"
LDAP_PORT=$(free_port)
URL="ldap://127.0.0.1:$LDAP_PORT/"
/usr/sbin/slapd -d 0 -f "$WORK/slapd.conf" -h "$URL" >"$WORK/slapd.log" 2>&1 &
PIDS+=($!)
SLAPD_PID=$!
wait_for 20 "${PIDS[-1]}" ldapsearch -x -H "$URL" -b "$BASE" -s base 1.1 || die "slapd did not start: $(tail -3 "$WORK/slapd.log")"

MC_PORT=$(free_port)
MC_USER=(); [ "$(id -u)" = 0 ] && MC_USER=(-u root)
memcached "${MC_USER[@]}" -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 256 -t 2 -c 64 &
PIDS+=($!)
MEMCACHED_PID=$!
wait_for 10 "${PIDS[-1]}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$MC_PORT" || die "memcached did not start"
mc_flush() { exec 3<>"/dev/tcp/127.0.0.1/$MC_PORT"; printf 'flush_all\r\n' >&3; read -r -t 5 _ <&3; exec 3>&-; }

CF=$WORK/ldap.cf
printf 'server_host = %s\nsearch_base = %s\nquery_filter = (mailacceptinggeneralid=%%s)\nresult_attribute = maildrop\nbind = no\n' \
  "$URL" "$BASE" >"$CF"
MC=$WORK/mc.cf
printf 'memcache = inet:127.0.0.1:%s\nkey_format = k:%%s\nttl = 900\nbackup = ldap:%s\n' "$MC_PORT" "$CF" >"$MC"

# ---- runs ----------------------------------------------------------------------------
MISSED=0
# run_once NAME PREP CMD...: one timed run of CMD (PREP before it), its
# output checked; appends the time to TIMES[NAME].
declare -A TIMES CMDS CPU_SELF CPU_SLAPD CPU_MEMCACHED
TICK=$(getconf CLK_TCK)
run_once() {
  local name=$1 prep=$2; shift 2
  local t0 t slapd0 mc0 TIMEFORMAT='%U %S'
  $prep
  slapd0=$(proc_cpu_ticks "$SLAPD_PID"); mc0=$(proc_cpu_ticks "$MEMCACHED_PID")
  t0=$EPOCHREALTIME
  { time "$@" <"$WORK/keys" >"$WORK/out.$name" 2>"$WORK/err.$name"; } 2>"$WORK/time.$name"
  t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", b - a }')
  TIMES[$name]="${TIMES[$name]:-} $t"
  CPU_SELF[$name]="${CPU_SELF[$name]:-} $(awk '{ printf "%.3f", $1 + $2 }' "$WORK/time.$name")"
  CPU_SLAPD[$name]="${CPU_SLAPD[$name]:-} $(awk -v a="$slapd0" -v b="$(proc_cpu_ticks "$SLAPD_PID")" -v hz="$TICK" \
    'BEGIN { printf "%.2f", (b - a) / hz }')"
  CPU_MEMCACHED[$name]="${CPU_MEMCACHED[$name]:-} $(awk -v a="$mc0" -v b="$(proc_cpu_ticks "$MEMCACHED_PID")" -v hz="$TICK" \
    'BEGIN { printf "%.2f", (b - a) / hz }')"
  CMDS[$name]="$*"
  sort "$WORK/out.$name" | cmp -s - <(sort "$WORK/expect") ||
    fail "$name: output differs ($(wc -l <"$WORK/out.$name") lines; $(head -c 300 "$WORK/err.$name"))"
}
nothing() { :; }

echo "== mctable LDAP benchmark: $N keys (all present), cold, $REPEATS rounds, $(nproc) cores, slapd loglevel 0"
echo "   (each round runs every program once, so that all see the same load from the rest of the machine)"
for _ in $(seq "$REPEATS"); do
  run_once postmap nothing "$POSTMAP" -c "$WORK/postfix" -q - "ldap:$CF"
  run_once client nothing "$CLIENT" "$URL" "$BASE" mailacceptinggeneralid maildrop 2 64
  run_once direct nothing "$MCTABLE" -c "$WORK/postfix" -q - "ldap:$CF"
  run_once memcache mc_flush "$MCTABLE" -c "$WORK/postfix" -q - "memcache:$MC"
done
for name in postmap client direct memcache; do
  median_t=$(echo "${TIMES[$name]}" | median)
  printf -v "RATE_$name" '%s' "$(rate "$N" "$median_t")"
  printf '  %-9s %8s keys/s  (median of %s: %ss)  %s\n' "$name" "$(rate "$N" "$median_t")" "$REPEATS" "$median_t" \
    "${CMDS[$name]}" | sed "s|$WORK|\$W|g; s|$BUILD_DIR|\$B|g"
done
echo "== CPU seconds per run (median; the program itself, slapd, memcached) and microseconds per key"
for name in postmap client direct memcache; do
  self=$(echo "${CPU_SELF[$name]}" | median); slapd=$(echo "${CPU_SLAPD[$name]}" | median)
  memcached=$(echo "${CPU_MEMCACHED[$name]}" | median)
  printf '  %-9s self %6.2fs  slapd %6.2fs  memcached %5.2fs   self %5.1f us/key  slapd %5.1f us/key   (self:%s)\n' \
    "$name" "$self" "$slapd" "$memcached" "$(awk -v c="$self" -v n="$N" 'BEGIN { print c * 1e6 / n }')" \
    "$(awk -v c="$slapd" -v n="$N" 'BEGIN { print c * 1e6 / n }')" "${CPU_SELF[$name]}"
done
# The answers in input order, as postmap prints them.
cmp -s "$WORK/out.direct" "$WORK/expect.shuffled" || fail "direct: not in input order"

echo "== ratios"
for name in direct memcache; do
  rate_value=$(eval echo "\$RATE_$name")
  vs_postmap=$(ratio "$rate_value" "$RATE_postmap")
  vs_client=$(ratio "$rate_value" "$RATE_client")
  verdict="ok"
  ge "$vs_postmap" 5 && ge "$vs_client" 0.9 || { verdict="MISSED (targets: >= 5x postmap, >= 0.9x client)"; MISSED=$((MISSED + 1)); }
  printf '  %-10s %6sx postmap  %6sx client   %s\n' "$name" "$vs_postmap" "$vs_client" "$verdict"
done
printf '  %-10s %6sx postmap\n' client "$(ratio "$RATE_client" "$RATE_postmap")"

[ "$FAILURES" -eq 0 ] || exit 1
[ "$STRICT" = 1 ] && [ "$MISSED" -gt 0 ] && exit 3
exit 0
