#!/usr/bin/env bash
# mctable SQL benchmark: batch lookups in pgsql:, mysql: and sqlite: tables,
# directly and as the backup of a memcache table (cold and warm cache),
# side by side with Debian's postmap on the same keys, in one run.
#
#   bench/sql_bench.sh [--keys 100000] [--repeats 3] [--postmap-keys N]
#                      [--types "pgsql mysql sqlite"] [--build-dir DIR]
#                      [--no-build] [--strict]
#
# What it does:
#  1. builds mctable (cmake into build-bench, -j2) unless --no-build;
#  2. starts its own PostgreSQL 15 (initdb into a temporary directory, run
#     as the postgres account), MariaDB (mariadb-install-db, private datadir
#     and socket) and memcached, each on a free loopback port, all stopped
#     by pid at exit;
#  3. loads a table "bench" with the keys user<i>@example<i%97>.com (i <
#     --keys; value dest<i>@mail.example.net) into each database;
#  4. for each type, on the same --keys cold batch:
#       direct   `mctable -q - TYPE:CF`  vs  `postmap -q - TYPE:CF`
#       cold     memcache table with backup = TYPE:CF, memcached flushed:
#                every key misses, the backup answers, each answer is
#                written back
#       warm     the same again: every key is a memcache hit
#     postmap runs once per case (it makes one round trip per key: several
#     minutes on a busy machine); mctable --repeats times (median).  With
#     --postmap-keys N < --keys, postmap runs on the first N keys only and
#     its rate is taken as its rate for the batch (one round trip per key).
#  5. checks every output against the expected "key<TAB>value" lines, and
#     postmap against mctable; prints keys/s and the mctable/postmap ratios.
# Targets: cold >= 10x postmap for pgsql and mysql; warm >= 50x.
# Exit status: 0 outputs agree; 1 an output disagrees; 2 setup failed;
# 3 (--strict only) a target was missed.
set -u -o pipefail

KEYS=100000
REPEATS=3
POSTMAP_KEYS=""
TYPES="pgsql mysql sqlite"
BUILD_DIR=""
DO_BUILD=1
STRICT=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) KEYS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --postmap-keys) POSTMAP_KEYS=$2; shift 2 ;;
    --types) TYPES=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --strict) STRICT=1; shift ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "sql_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$POSTMAP_KEYS" ] || POSTMAP_KEYS=$KEYS
[ "$POSTMAP_KEYS" -gt "$KEYS" ] && POSTMAP_KEYS=$KEYS

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$BUILD_DIR" ] || BUILD_DIR=$ROOT/build-bench
MCTABLE=$BUILD_DIR/mctable
POSTMAP=/usr/sbin/postmap
[ -x "$POSTMAP" ] || POSTMAP=""
PGBIN=/usr/lib/postgresql/15/bin

die() { echo "sql_bench.sh: $*" >&2; exit 2; }

if [ "$DO_BUILD" = 1 ]; then
  echo "== build ($BUILD_DIR)"
  log=${TMPDIR:-/tmp}/mctable_sql_bench_build.log
  { cmake -S "$ROOT" -B "$BUILD_DIR" -DMCTABLE_BENCH=ON && cmake --build "$BUILD_DIR" -j2 --target mctable; } >"$log" 2>&1 ||
    { tail -20 "$log" >&2; die "build failed"; }
fi
[ -x "$MCTABLE" ] || die "no $MCTABLE"
command -v memcached >/dev/null || die "memcached is not installed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mctable_sql_bench.XXXXXX")
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS PID CMD...: until CMD succeeds, PID alive
  local deadline=$((SECONDS + $1)) pid=$2; shift 2
  while [ $SECONDS -lt $deadline ]; do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# As the postgres account (PostgreSQL refuses root).
as_postgres() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"; else "$@"; fi; }

# ---- data -------------------------------------------------------------------------
N=$KEYS
awk -v n="$N" -v w="$WORK" 'BEGIN {
  for (i = 0; i < n; i++) {
    k = "user" i "@example" (i % 97) ".com"; v = "dest" i "@mail.example.net"
    print k > (w "/keys")
    print k "\t" v > (w "/expect"); print k "\t" v > (w "/rows.tsv")
  }
}'
head -n "$POSTMAP_KEYS" "$WORK/keys" >"$WORK/pm_keys"
awk -v n="$POSTMAP_KEYS" 'BEGIN { FS = "\t" } { split($1, a, "@"); i = substr(a[1], 5) + 0; if (i < n) print }' \
  "$WORK/expect" >"$WORK/pm_expect"
mkdir -p "$WORK/postfix" && : >"$WORK/postfix/main.cf"
PF=$WORK/postfix

# ---- servers ----------------------------------------------------------------------
MC_PORT=$(free_port)
MC_USER=(); [ "$(id -u)" = 0 ] && MC_USER=(-u root)
memcached "${MC_USER[@]}" -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 1024 -t 2 -c 64 &
PIDS+=($!)
wait_for 10 "${PIDS[-1]}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$MC_PORT" || die "memcached did not start"
mc_flush() { exec 3<>"/dev/tcp/127.0.0.1/$MC_PORT"; printf 'flush_all\r\n' >&3; read -r -t 5 _ <&3; exec 3>&-; }

declare -A CONN
for type in $TYPES; do
  case $type in
    pgsql)
      [ -x "$PGBIN/postgres" ] || die "PostgreSQL 15 is not installed"
      mkdir -p "$WORK/pg" && [ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
      as_postgres "$PGBIN/initdb" -D "$WORK/pg/data" -A trust -U postgres --no-sync -E UTF8 --locale=C \
        >"$WORK/pg/initdb.log" 2>&1 || die "initdb failed: $(tail -3 "$WORK/pg/initdb.log")"
      PG_PORT=$(free_port)
      as_postgres "$PGBIN/postgres" -D "$WORK/pg/data" -p "$PG_PORT" -k "$WORK/pg" -c listen_addresses=127.0.0.1 \
        -c fsync=off -c shared_buffers=64MB >"$WORK/pg/log" 2>&1 &
      PIDS+=($!)
      wait_for 20 "${PIDS[-1]}" psql -X -h "$WORK/pg" -p "$PG_PORT" -U postgres -c "select 1" ||
        die "PostgreSQL did not start: $(tail -3 "$WORK/pg/log")"
      psql -X -q -h "$WORK/pg" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 \
        -c "CREATE TABLE bench (k VARCHAR(255) PRIMARY KEY, v VARCHAR(255))" \
        -c "\\copy bench FROM '$WORK/rows.tsv'" -c "ANALYZE bench" >/dev/null || die "loading PostgreSQL failed"
      CONN[pgsql]="hosts = inet:127.0.0.1:$PG_PORT
user = postgres
dbname = postgres"
      ;;
    mysql)
      command -v mariadbd >/dev/null || die "MariaDB is not installed"
      MY_OPTS=(--no-defaults --innodb-log-file-size=16M --innodb-buffer-pool-size=128M)
      ROOT_USER=(); [ "$(id -u)" = 0 ] && ROOT_USER=(--user=root)
      mariadb-install-db "${MY_OPTS[@]}" --datadir="$WORK/my/data" "${ROOT_USER[@]}" \
        --auth-root-authentication-method=normal --skip-test-db >"$WORK/my.install.log" 2>&1 ||
        die "mariadb-install-db failed: $(tail -3 "$WORK/my.install.log")"
      MY_PORT=$(free_port)
      mariadbd "${MY_OPTS[@]}" --datadir="$WORK/my/data" --socket="$WORK/my/sock" --port="$MY_PORT" \
        --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin "${ROOT_USER[@]}" \
        --pid-file="$WORK/my/pid" >"$WORK/my.log" 2>&1 &
      PIDS+=($!)
      wait_for 30 "${PIDS[-1]}" mariadb --no-defaults -S "$WORK/my/sock" -uroot -e "select 1" ||
        die "MariaDB did not start: $(tail -3 "$WORK/my.log")"
      mariadb --no-defaults --local-infile=1 -S "$WORK/my/sock" -uroot -e "
        SET GLOBAL local_infile = 1; CREATE DATABASE bench;
        CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench'; GRANT SELECT ON bench.* TO 'bench'@'127.0.0.1';
        CREATE TABLE bench.bench (k VARCHAR(255) PRIMARY KEY, v VARCHAR(255));
        LOAD DATA LOCAL INFILE '$WORK/rows.tsv' INTO TABLE bench.bench;" || die "loading MariaDB failed"
      CONN[mysql]="hosts = inet:127.0.0.1:$MY_PORT
user = bench
password = bench
dbname = bench"
      ;;
    sqlite)
      command -v sqlite3 >/dev/null || die "the sqlite3 command is not installed"
      printf 'CREATE TABLE bench (k VARCHAR(255) PRIMARY KEY, v VARCHAR(255));\n.mode tabs\n.import %s bench\n' \
        "$WORK/rows.tsv" | sqlite3 "$WORK/bench.db" || die "loading SQLite failed"
      CONN[sqlite]="dbpath = $WORK/bench.db"
      ;;
    *) die "unknown type $type" ;;
  esac
done

# ---- helpers -------------------------------------------------------------------------
FAILURES=0
MISSED=0
fail() { echo "  MISMATCH: $*"; FAILURES=$((FAILURES + 1)); }
t_run() {  # t_run OUT IN CMD...: sets T (seconds) and RC
  local out=$1 in=$2; shift 2
  local t0=$EPOCHREALTIME
  "$@" <"$in" >"$out" 2>"$out.err"
  RC=$?
  T=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", b - a }')
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END {
  if (NR == 0) { print "nan"; exit } print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "inf" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
check_same() { cmp -s "$1" "$2" || fail "$3: output differs ($(wc -l <"$1") vs $(wc -l <"$2") lines; $(diff "$1" "$2" | head -3 | tr '\n' ' '))"; }
row() { printf '  %-34s %10s keys/s   %s\n' "$1" "$2" "$3"; }
ratio_row() { printf '  %-34s %10s          %s\n' "$1" "$2" "$3"; }

echo "== mctable SQL benchmark: $N keys (all in the table), postmap on $POSTMAP_KEYS keys, $REPEATS mctable repeats, $(nproc) cores"
echo "   mctable: $MCTABLE"
echo "   postmap: ${POSTMAP:-not installed}"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: compare ratios, not absolute rates)"

SUMMARY=""
for type in $TYPES; do
  echo
  echo "== $type"
  CF=$WORK/$type.cf
  printf '%s\nquery = SELECT v FROM bench WHERE k='"'"'%%s'"'"'\n' "${CONN[$type]}" >"$CF"
  MCF=$WORK/$type-mc.cf
  printf 'memcache = inet:127.0.0.1:%s\nkey_format = %s:%%s\nbackup = %s:%s\n' "$MC_PORT" "$type" "$type" "$CF" >"$MCF"
  have_pm=0
  [ -n "$POSTMAP" ] && [ -f "/usr/lib/postfix/postfix-$type.so" ] && have_pm=1
  [ $have_pm = 1 ] || echo "  postmap cannot read $type: tables (postfix-$type not installed): mctable only"

  # direct
  times=""
  for r in $(seq "$REPEATS"); do
    t_run "$WORK/out" "$WORK/keys" "$MCTABLE" -c "$PF" -q - "$type:$CF"; times="$times $T"
    [ "$RC" = 0 ] || fail "mctable -q - $type exit $RC: $(head -3 "$WORK/out.err")"
    check_same "$WORK/out" "$WORK/expect" "mctable -q - $type:CF"
  done
  mc_direct=$(rate "$N" "$(echo "$times" | median)")
  row "mctable -q - $type:CF" "$mc_direct" "(times:$times)"
  pm_direct=""
  if [ $have_pm = 1 ]; then
    t_run "$WORK/pm_out" "$WORK/pm_keys" "$POSTMAP" -c "$PF" -q - "$type:$CF"
    [ "$RC" = 0 ] || fail "postmap -q - $type exit $RC: $(head -3 "$WORK/pm_out.err")"
    check_same "$WORK/pm_out" "$WORK/pm_expect" "postmap -q - $type:CF"
    head -n "$(wc -l <"$WORK/pm_expect")" "$WORK/out" | cmp -s - "$WORK/pm_out" || fail "postmap and mctable disagree ($type direct)"
    pm_direct=$(rate "$POSTMAP_KEYS" "$T")
    row "postmap -q - $type:CF" "$pm_direct" "(time: $T s for $POSTMAP_KEYS keys)"
    ratio_row "  ratio mctable/postmap" "$(ratio "$mc_direct" "$pm_direct")x" ""
  fi

  # memcache with this backup: cold, then warm
  cold=""; warm=""
  for r in $(seq "$REPEATS"); do
    mc_flush
    t_run "$WORK/out" "$WORK/keys" "$MCTABLE" -c "$PF" -q - "memcache:$MCF"; cold="$cold $T"
    [ "$RC" = 0 ] || fail "mctable memcache cold exit $RC: $(head -3 "$WORK/out.err")"
    check_same "$WORK/out" "$WORK/expect" "mctable -q - memcache (backup $type), cold"
    t_run "$WORK/out" "$WORK/keys" "$MCTABLE" -c "$PF" -q - "memcache:$MCF"; warm="$warm $T"
    check_same "$WORK/out" "$WORK/expect" "mctable -q - memcache (backup $type), warm"
  done
  mc_cold=$(rate "$N" "$(echo "$cold" | median)")
  mc_warm=$(rate "$N" "$(echo "$warm" | median)")
  row "mctable memcache+$type, cold" "$mc_cold" "(times:$cold)"
  row "mctable memcache+$type, warm" "$mc_warm" "(times:$warm)"
  if [ $have_pm = 1 ]; then
    mc_flush
    t_run "$WORK/pm_out" "$WORK/pm_keys" "$POSTMAP" -c "$PF" -q - "memcache:$MCF"
    [ "$RC" = 0 ] || fail "postmap memcache cold exit $RC: $(head -3 "$WORK/pm_out.err")"
    check_same "$WORK/pm_out" "$WORK/pm_expect" "postmap -q - memcache (backup $type), cold"
    pm_cold=$(rate "$POSTMAP_KEYS" "$T")
    t_run "$WORK/pm_out" "$WORK/pm_keys" "$POSTMAP" -c "$PF" -q - "memcache:$MCF"
    check_same "$WORK/pm_out" "$WORK/pm_expect" "postmap -q - memcache (backup $type), warm"
    pm_warm=$(rate "$POSTMAP_KEYS" "$T")
    row "postmap memcache+$type, cold" "$pm_cold" ""
    row "postmap memcache+$type, warm" "$pm_warm" ""
    r_cold=$(ratio "$mc_cold" "$pm_cold"); r_warm=$(ratio "$mc_warm" "$pm_warm")
    ratio_row "  ratio cold mctable/postmap" "${r_cold}x" "(target >= 10x for pgsql and mysql)"
    ratio_row "  ratio warm mctable/postmap" "${r_warm}x" "(target >= 50x)"
    SUMMARY="$SUMMARY
  $type: direct $(ratio "$mc_direct" "$pm_direct")x, memcache cold ${r_cold}x, warm ${r_warm}x"
    if [ "$type" != sqlite ] && ! ge "$r_cold" 10; then MISSED=1; fi
    ge "$r_warm" 50 || MISSED=1
  fi
done

echo
echo "== summary (mctable keys/s over postmap keys/s, same keys, same databases)$SUMMARY"
if [ "$FAILURES" -gt 0 ]; then echo "== $FAILURES output mismatches"; exit 1; fi
echo "== all outputs agree"
if [ "$STRICT" = 1 ] && [ "$MISSED" = 1 ]; then echo "== a target was missed"; exit 3; fi
exit 0
