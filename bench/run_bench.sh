#!/usr/bin/env bash
# mctable benchmark: batch lookups, bulk loads and batch deletes against a
# loopback memcached, side by side with a minimal raw client and Postfix.
#
#   bench/run_bench.sh [--keys 200000] [--repeats 5] [--postmap-keys 20000]
#                      [--latency-runs 200] [--rss-sizes "10000 1000000"]
#                      [--build-dir DIR] [--no-build] [--strict] [--only-trust]
#
# What it does (about 1 minute with the defaults, plus the first build):
#  1. builds mctable and bench/raw_client (cmake -DMCTABLE_BENCH=ON into
#     build-bench, -j2) unless --no-build;
#  2. starts its own memcached on a free loopback port (killed by pid at exit);
#  3. generates --keys keys (user<i>@example<i%97>.com), half of them present;
#  4. runs, interleaved and --repeats times each (median reported):
#       lookup  `mctable -q - memcache:CF`      vs raw_client get (512 keys/get)
#               vs `postmap -q - memcache:CF`   (on --postmap-keys keys only:
#               postmap does one blocking round trip per key, so its keys/s
#               does not depend on the input size; the rate is measured on the
#               sample and compared as is)
#       load    `mctable -i memcache:CF`        vs raw_client set (pipelined, 256/chunk)
#       delete  `mctable -d - memcache:CF`      vs raw_client delete (pipelined, 256/chunk)
#       backup  `mctable -q -` with backup = lmdb:... (memcache holds half the
#               keys, the backup all: misses come from the backup and are
#               written back), then the same run warm
#  5. peak RSS (/usr/bin/time) of mctable -q -, -i and -d - for each of --rss-sizes;
#  6. single-process latency: --latency-runs runs of `mctable -q KEY` vs
#     `postmap -q KEY` (a loop; total time / runs);
#  7. trust settings against the same table without them, interleaved:
#     batch lookups and bulk loads with value_signing_key_file, batch
#     lookups with key_digest = sha256, batch lookups over TLS (a second
#     memcached, -Z, with a CA made here) against the plain memcached;
#     bulk loads also print CPU seconds (mctable + memcached), which other
#     load on the machine disturbs less than wall time
#     (--only-trust: this section alone).
# Every output is checked: lookups against the expected "key<TAB>value" lines
# in input order (byte for byte, also raw client vs mctable vs postmap);
# loads and deletes by reading memcached back with the raw client.
# Exit status: 0 all outputs agree; 1 an output disagrees; 2 setup failed
# (build, memcached); 3 with --strict, a performance target was missed.
set -u -o pipefail

KEYS=200000
REPEATS=5
POSTMAP_KEYS=20000
LATENCY_RUNS=200
RSS_SIZES="10000 1000000"
BUILD_DIR=""
DO_BUILD=1
STRICT=0
CORE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) KEYS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --postmap-keys) POSTMAP_KEYS=$2; shift 2 ;;
    --latency-runs) LATENCY_RUNS=$2; shift 2 ;;
    --rss-sizes) RSS_SIZES=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --strict) STRICT=1; shift ;;
    --only-trust) CORE=0; shift ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "run_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$BUILD_DIR" ] || BUILD_DIR=$ROOT/build-bench
MCTABLE=$BUILD_DIR/mctable
RAW=$BUILD_DIR/bench/raw_client
POSTMAP=/usr/sbin/postmap
[ -x "$POSTMAP" ] || POSTMAP=""

die() { echo "run_bench.sh: $*" >&2; exit 2; }

# ---- build -------------------------------------------------------------------
if [ "$DO_BUILD" = 1 ]; then
  echo "== build ($BUILD_DIR)"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DMCTABLE_BENCH=ON >"${TMPDIR:-/tmp}/mctable_bench_cmake.log" 2>&1 ||
    { tail -20 "${TMPDIR:-/tmp}/mctable_bench_cmake.log" >&2; die "cmake configure failed"; }
  cmake --build "$BUILD_DIR" -j2 --target mctable mctable_raw_client \
    >>"${TMPDIR:-/tmp}/mctable_bench_cmake.log" 2>&1 ||
    { grep -E "error|Error" "${TMPDIR:-/tmp}/mctable_bench_cmake.log" | head -20 >&2; die "build failed"; }
fi
[ -x "$MCTABLE" ] || die "no $MCTABLE"
[ -x "$RAW" ] || die "no $RAW"
command -v memcached >/dev/null || die "memcached is not installed"
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=""

# ---- memcached and cleanup ------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mctable_bench.XXXXXX")
MC_PID=""
TLS_PID=""
stop_pid() {
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  stop_pid "$MC_PID"; MC_PID=""
  stop_pid "$TLS_PID"; TLS_PID=""
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

MC_USER=()
[ "$(id -u)" = 0 ] && MC_USER=(-u root)
# start_memcached [ARGS...]: a memcached on a free loopback port, with the
# same settings every time; sets STARTED_PID and STARTED_PORT ("" if none).
start_memcached() {
  STARTED_PID=""; STARTED_PORT=""
  for _ in $(seq 20); do
    p=$((20000 + RANDOM % 40000))
    if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then continue; fi  # in use
    memcached "${MC_USER[@]}" -l 127.0.0.1 -p "$p" -U 0 -m 1024 -t 2 -c 64 "$@" 2>"$WORK/memcached.err" &
    STARTED_PID=$!
    for _ in $(seq 50); do
      if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then STARTED_PORT=$p; break; fi
      kill -0 "$STARTED_PID" 2>/dev/null || break
      sleep 0.1
    done
    [ -n "$STARTED_PORT" ] && return 0
    stop_pid "$STARTED_PID"; STARTED_PID=""
  done
}
start_memcached
MC_PID=$STARTED_PID PORT=$STARTED_PORT
[ -n "$PORT" ] || die "could not start memcached: $(cat "$WORK/memcached.err")"
SERVER=127.0.0.1:$PORT

# One command to memcached, first reply line on stdout.
mc() {
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf '%s\r\n' "$1" >&3
  IFS= read -r -t 5 line <&3
  exec 3>&-
  printf '%s\n' "${line%$'\r'}"
}
flush() { [ "$(mc flush_all)" = OK ] || die "flush_all failed"; }

PFDIR=$WORK/postfix
mkdir -p "$PFDIR"
: >"$PFDIR/main.cf"
CF=$WORK/mc.cf
printf 'memcache = inet:%s\n' "$SERVER" >"$CF"
BCF=$WORK/mc_backup.cf
printf 'memcache = inet:%s\nbackup = lmdb:%s\n' "$SERVER" "$WORK/backup" >"$BCF"

# ---- data -------------------------------------------------------------------------
# keys_N:     user<i>@example<i%97>.com, i = 0..N-1, one per line
# present_N:  postmap source lines for even i ("key value")
# entries_N:  source lines for every i
# expect_N:   "key<TAB>value" for even i, in input order (lookup of keys_N)
# all_N:      "key<TAB>value" for every i
gen() {
  local n=$1
  [ -f "$WORK/keys_$n" ] && return
  awk -v n="$n" -v w="$WORK" 'BEGIN {
    for (i = 0; i < n; i++) {
      k = "user" i "@example" (i % 97) ".com"; v = "dest" i "@mail.example.net"
      print k > (w "/keys_" n)
      print k " " v > (w "/entries_" n)
      print k "\t" v > (w "/all_" n)
      if (i % 2 == 0) { print k " " v > (w "/present_" n); print k "\t" v > (w "/expect_" n) }
    }
  }'
  touch "$WORK/present_$n" "$WORK/expect_$n"
}

# ---- helpers (bench/lib.sh: t_run, median, rate, ratio, ge, fmt_rate, fail, check_same) ----
. "$ROOT/bench/lib.sh"

# memcached holds exactly the entries of ALL_FILE for KEYS_FILE?
check_store() {
  "$RAW" --server "$SERVER" --mode get <"$1" >"$WORK/readback" 2>/dev/null
  check_same "$WORK/readback" "$2" "$3 (read back with raw_client)"
}
raw_load() { "$RAW" --server "$SERVER" --mode set <"$1" >/dev/null || die "raw_client set failed"; }

N=$KEYS
gen "$N"
echo "== mctable benchmark: $N keys, $REPEATS repeats, memcached $(memcached -V | awk '{print $2}') on $SERVER, $(nproc) cores"
echo "   mctable: $MCTABLE"
echo "   raw:     $RAW (minimal client: multi-key get of 512 keys, pipelined set/delete of 256)"
echo "   postmap: ${POSTMAP:-not installed}"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine add noise: compare ratios, not absolute rates)"

declare -A R  # results: R[name]=keys/s

if [ "$CORE" = 1 ]; then
# ---- 1. batch lookup --------------------------------------------------------------------
echo
echo "== batch lookup: $N keys, $((N / 2)) present"
flush
raw_load "$WORK/present_$N"
traw=""; tmc=""
for r in $(seq "$REPEATS"); do
  for who in $( [ $((r % 2)) = 1 ] && echo "raw mc" || echo "mc raw"); do
    if [ "$who" = raw ]; then
      t_run "$WORK/out_raw" "$RAW" --server "$SERVER" --mode get <"$WORK/keys_$N"; traw="$traw $T"
      check_same "$WORK/out_raw" "$WORK/expect_$N" "raw_client get (repeat $r)"
    else
      t_run "$WORK/out_mc" "$MCTABLE" -c "$PFDIR" -q - "memcache:$CF" <"$WORK/keys_$N"; tmc="$tmc $T"
      [ "$RC" = 0 ] || fail "mctable -q - exit status $RC: $(head -3 "$WORK/out_mc.err")"
      check_same "$WORK/out_mc" "$WORK/expect_$N" "mctable -q - (repeat $r)"
    fi
  done
done
cmp -s "$WORK/out_raw" "$WORK/out_mc" || fail "mctable -q - and raw_client get disagree"
R[lookup_raw]=$(rate "$N" "$(echo "$traw" | median)")
R[lookup_mc]=$(rate "$N" "$(echo "$tmc" | median)")
echo "  raw_client get      $(fmt_rate "${R[lookup_raw]}")   (times:$traw)"
echo "  mctable -q -        $(fmt_rate "${R[lookup_mc]}")   (times:$tmc)"

R[lookup_pm]=""
if [ -n "$POSTMAP" ]; then
  P=$POSTMAP_KEYS
  [ "$P" -gt "$N" ] && P=$N
  gen "$P"
  # The sample: the first P keys of the input (same keys, same present half).
  head -n "$P" "$WORK/keys_$N" >"$WORK/sample_keys"
  head -n "$((P / 2 + P % 2))" "$WORK/expect_$N" >"$WORK/sample_expect"
  tpm=""
  for r in $(seq "$REPEATS"); do
    t_run "$WORK/out_pm" "$POSTMAP" -c "$PFDIR" -q - "memcache:$CF" <"$WORK/sample_keys"; tpm="$tpm $T"
    [ "$RC" = 0 ] || fail "postmap -q - exit status $RC: $(head -3 "$WORK/out_pm.err")"
    check_same "$WORK/out_pm" "$WORK/sample_expect" "postmap -q - (repeat $r)"
  done
  "$MCTABLE" -c "$PFDIR" -q - "memcache:$CF" <"$WORK/sample_keys" >"$WORK/out_mc_sample" 2>/dev/null
  cmp -s "$WORK/out_pm" "$WORK/out_mc_sample" || fail "postmap -q - and mctable -q - disagree on the sample"
  R[lookup_pm]=$(rate "$P" "$(echo "$tpm" | median)")
  echo "  postmap -q -        $(fmt_rate "${R[lookup_pm]}")   (measured on the first $P keys, times:$tpm;"
  echo "                      one round trip per key, so the rate is taken as postmap's rate for $N keys)"
fi

# ---- 2. bulk load ----------------------------------------------------------------------------
echo
echo "== bulk load: $N entries (memcached flushed before each run)"
traw=""; tmc=""
for r in $(seq "$REPEATS"); do
  for who in $( [ $((r % 2)) = 1 ] && echo "raw mc" || echo "mc raw"); do
    flush
    if [ "$who" = raw ]; then
      t_run "$WORK/out_raw" "$RAW" --server "$SERVER" --mode set <"$WORK/entries_$N"; traw="$traw $T"
      [ "$RC" = 0 ] || fail "raw_client set exit status $RC"
      check_store "$WORK/keys_$N" "$WORK/all_$N" "raw_client set (repeat $r)"
    else
      t_run "$WORK/out_mc" "$MCTABLE" -c "$PFDIR" -i "memcache:$CF" <"$WORK/entries_$N"; tmc="$tmc $T"
      [ "$RC" = 0 ] || fail "mctable -i exit status $RC: $(head -3 "$WORK/out_mc.err")"
      check_store "$WORK/keys_$N" "$WORK/all_$N" "mctable -i (repeat $r)"
    fi
  done
done
R[load_raw]=$(rate "$N" "$(echo "$traw" | median)")
R[load_mc]=$(rate "$N" "$(echo "$tmc" | median)")
echo "  raw_client set      $(fmt_rate "${R[load_raw]}")   (times:$traw)"
echo "  mctable -i          $(fmt_rate "${R[load_mc]}")   (times:$tmc)"
[ -n "$POSTMAP" ] && echo "  postmap -i          not supported for memcache by Postfix 3.7"

# ---- 3. batch delete ---------------------------------------------------------------------------
echo
echo "== batch delete: $N keys, $((N / 2)) present (reloaded before each run)"
traw=""; tmc=""
: >"$WORK/empty"
for r in $(seq "$REPEATS"); do
  for who in $( [ $((r % 2)) = 1 ] && echo "raw mc" || echo "mc raw"); do
    flush
    raw_load "$WORK/present_$N"
    if [ "$who" = raw ]; then
      t_run "$WORK/out_raw" "$RAW" --server "$SERVER" --mode delete <"$WORK/keys_$N"; traw="$traw $T"
      [ "$RC" = 0 ] || fail "raw_client delete exit status $RC"
      check_store "$WORK/keys_$N" "$WORK/empty" "raw_client delete (repeat $r)"
    else
      t_run "$WORK/out_mc" "$MCTABLE" -c "$PFDIR" -d - "memcache:$CF" <"$WORK/keys_$N"; tmc="$tmc $T"
      [ "$RC" = 0 ] || fail "mctable -d - exit status $RC: $(head -3 "$WORK/out_mc.err")"
      check_store "$WORK/keys_$N" "$WORK/empty" "mctable -d - (repeat $r)"
    fi
  done
done
R[del_raw]=$(rate "$N" "$(echo "$traw" | median)")
R[del_mc]=$(rate "$N" "$(echo "$tmc" | median)")
echo "  raw_client delete   $(fmt_rate "${R[del_raw]}")   (times:$traw)"
echo "  mctable -d -        $(fmt_rate "${R[del_mc]}")   (times:$tmc)"

# ---- 4. lookups with a backup table ----------------------------------------------------------------
echo
echo "== lookup with backup = lmdb (built by mctable from $N entries); memcached holds the $((N / 2)) even keys"
cp "$WORK/entries_$N" "$WORK/backup"
t_run "$WORK/out_build" "$MCTABLE" -c "$PFDIR" "lmdb:$WORK/backup"
if [ "$RC" != 0 ]; then
  fail "mctable lmdb:backup exit status $RC: $(head -3 "$WORK/out_build.err")"
else
  echo "  mctable lmdb:FILE (build $N entries)  $(fmt_rate "$(rate "$N" "$T")")"
  tcold=""; twarm=""
  for r in $(seq "$REPEATS"); do
    flush
    raw_load "$WORK/present_$N"
    t_run "$WORK/out_mc" "$MCTABLE" -c "$PFDIR" -q - "memcache:$BCF" <"$WORK/keys_$N"; tcold="$tcold $T"
    [ "$RC" = 0 ] || fail "mctable -q - (backup) exit status $RC: $(head -3 "$WORK/out_mc.err")"
    check_same "$WORK/out_mc" "$WORK/all_$N" "mctable -q - with backup, cold (repeat $r)"
    check_store "$WORK/keys_$N" "$WORK/all_$N" "backup hits written back (repeat $r)"
    t_run "$WORK/out_mc" "$MCTABLE" -c "$PFDIR" -q - "memcache:$BCF" <"$WORK/keys_$N"; twarm="$twarm $T"
    check_same "$WORK/out_mc" "$WORK/all_$N" "mctable -q - with backup, warm (repeat $r)"
  done
  R[backup_cold]=$(rate "$N" "$(echo "$tcold" | median)")
  R[backup_warm]=$(rate "$N" "$(echo "$twarm" | median)")
  echo "  cold: $((N / 2)) memcache hits + $((N / 2)) backup hits written back"
  echo "                      $(fmt_rate "${R[backup_cold]}")   (times:$tcold)"
  echo "  warm: all memcache hits"
  echo "                      $(fmt_rate "${R[backup_warm]}")   (times:$twarm)"
  if [ -n "$POSTMAP" ] && [ -f /usr/lib/postfix/postfix-lmdb.so ]; then
    P=$POSTMAP_KEYS; [ "$P" -gt "$N" ] && P=$N
    head -n "$P" "$WORK/keys_$N" >"$WORK/sample_keys"
    head -n "$P" "$WORK/all_$N" >"$WORK/sample_all"
    flush
    raw_load "$WORK/present_$N"
    t_run "$WORK/out_pm" "$POSTMAP" -c "$PFDIR" -q - "memcache:$BCF" <"$WORK/sample_keys"
    if [ "$RC" = 0 ]; then
      check_same "$WORK/out_pm" "$WORK/sample_all" "postmap -q - with the mctable-built lmdb backup"
      R[backup_pm]=$(rate "$P" "$T")
      echo "  postmap, cold, on the first $P keys (same backup file)"
      echo "                      $(fmt_rate "${R[backup_pm]}")"
    else
      fail "postmap -q - with backup exit status $RC: $(head -3 "$WORK/out_pm.err")"
    fi
  fi
fi

# ---- 5. peak RSS ------------------------------------------------------------------------------------
echo
echo "== peak RSS (KB) by input size"
declare -A RSS
if [ -z "$TIME" ]; then
  echo "  /usr/bin/time not installed: skipped"
else
  printf '  %-22s' "input size:"; for s in $RSS_SIZES; do printf '%12s' "$s"; done; echo
  for s in $RSS_SIZES; do gen "$s"; done
  rss() {  # rss NAME SIZE INPUT CMD...: peak RSS of CMD into RSS[NAME,SIZE]
    local name=$1 size=$2 input=$3; shift 3
    local t0=$EPOCHREALTIME
    "$TIME" -f %M -o "$WORK/rss" "$@" <"$input" >"$WORK/out_rss" 2>"$WORK/out_rss.err"
    local rc=$? t1=$EPOCHREALTIME
    RSS[$name,$size]=$(tail -1 "$WORK/rss")
    RSS[$name,$size,rate]=$(rate "$size" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    return $rc
  }
  for s in $RSS_SIZES; do
    flush
    rss mc_load "$s" "$WORK/entries_$s" "$MCTABLE" -c "$PFDIR" -i "memcache:$CF" ||
      fail "mctable -i ($s entries) failed: $(head -3 "$WORK/out_rss.err")"
    rss mc_lookup "$s" "$WORK/keys_$s" "$MCTABLE" -c "$PFDIR" -q - "memcache:$CF"
    check_same "$WORK/out_rss" "$WORK/all_$s" "mctable -q - ($s keys)"
    rss raw_lookup "$s" "$WORK/keys_$s" "$RAW" --server "$SERVER" --mode get
    check_same "$WORK/out_rss" "$WORK/all_$s" "raw_client get ($s keys)"
    rss mc_delete "$s" "$WORK/keys_$s" "$MCTABLE" -c "$PFDIR" -d - "memcache:$CF" ||
      fail "mctable -d - ($s keys) failed: $(head -3 "$WORK/out_rss.err")"
    check_store "$WORK/keys_$s" "$WORK/empty" "mctable -d - ($s keys)"
  done
  for name in mc_lookup mc_load mc_delete raw_lookup; do
    case $name in
      mc_lookup) label="mctable -q -" ;; mc_load) label="mctable -i" ;;
      mc_delete) label="mctable -d -" ;; raw_lookup) label="raw_client get" ;;
    esac
    printf '  %-22s' "$label"; for s in $RSS_SIZES; do printf '%12s' "${RSS[$name,$s]}"; done
    printf '   (keys/s:'; for s in $RSS_SIZES; do printf ' %s' "${RSS[$name,$s,rate]}"; done; echo ')'
  done
fi

# ---- 6. single-process latency ----------------------------------------------------------------------
echo
echo "== single lookup process: $LATENCY_RUNS runs each, interleaved in 4 blocks"
flush
raw_load "$WORK/present_$N"
KEY=$(head -1 "$WORK/keys_$N")
WANT=$(head -1 "$WORK/expect_$N" | cut -f2)
[ "$("$MCTABLE" -c "$PFDIR" -q "$KEY" "memcache:$CF")" = "$WANT" ] || fail "mctable -q KEY printed the wrong value"
if [ -n "$POSTMAP" ]; then
  [ "$("$POSTMAP" -c "$PFDIR" -q "$KEY" "memcache:$CF")" = "$WANT" ] || fail "postmap -q KEY printed the wrong value"
fi
loop() {  # loop RUNS CMD...: adds the elapsed seconds to LOOP_T
  local n=$1; shift
  local t0=$EPOCHREALTIME
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1; done
  local t1=$EPOCHREALTIME
  LOOP_T=$(awk -v s="$LOOP_T" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", s + b - a }')
}
block=$(( (LATENCY_RUNS + 3) / 4 ))
declare -A LAT
for who in true mc pm; do LAT[$who]=0; done
for b in 1 2 3 4; do
  LOOP_T=${LAT[true]}; loop "$block" /bin/true; LAT[true]=$LOOP_T
  LOOP_T=${LAT[mc]}; loop "$block" "$MCTABLE" -c "$PFDIR" -q "$KEY" "memcache:$CF"; LAT[mc]=$LOOP_T
  if [ -n "$POSTMAP" ]; then
    LOOP_T=${LAT[pm]}; loop "$block" "$POSTMAP" -c "$PFDIR" -q "$KEY" "memcache:$CF"; LAT[pm]=$LOOP_T
  fi
done
ms() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.3f", 1000 * t / n }'; }
runs=$((block * 4))
LAT_MC=$(ms "${LAT[mc]}" "$runs")
echo "  /bin/true (fork+exec)      $(ms "${LAT[true]}" "$runs") ms"
echo "  mctable -q KEY             $LAT_MC ms"
LAT_PM=""
if [ -n "$POSTMAP" ]; then
  LAT_PM=$(ms "${LAT[pm]}" "$runs")
  echo "  postmap -q KEY             $LAT_PM ms"
fi

fi  # CORE

# ---- 7. trust: signed values, key_digest ------------------------------------------------------------
# Each trust table beside a plain one of its own key prefix on the same
# memcached, loaded by mctable itself (signed entries can only be written by a
# signing table); runs interleaved, medians compared.
echo
echo "== trust settings: $N keys, $((N / 2)) present; each against the plain table, interleaved"
openssl rand -hex 32 >"$WORK/mc.key" && chmod 600 "$WORK/mc.key" || die "openssl rand failed"
trust_cf() {  # trust_cf NAME PREFIX EXTRA-LINES
  printf 'memcache = inet:%s\nkey_format = %s:%%s\n%s' "$SERVER" "$2" "$3" >"$WORK/$1.cf"
}
trust_cf plain p ""
trust_cf signed s "value_signing_key_file = $WORK/mc.key
"
trust_cf digest d "key_digest = sha256
"
# TLS: a CA and a certificate for 127.0.0.1, and a memcached -Z like the plain one.
TLS=""
tls_pki() {
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$WORK/ca.key" -out "$WORK/ca.pem" -subj /CN=bench-ca \
    -days 2 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
    openssl req -new "${ec[@]}" -keyout "$WORK/srv.key" -out "$WORK/srv.csr" -subj /CN=localhost &&
    printf 'subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n' >"$WORK/srv.ext" &&
    openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial \
      -out "$WORK/srv.pem" -days 2 -extfile "$WORK/srv.ext"
}
if tls_pki >"$WORK/pki.log" 2>&1; then
  start_memcached -Z -o "ssl_chain_cert=$WORK/srv.pem,ssl_key=$WORK/srv.key"
  TLS_PID=$STARTED_PID
  if [ -n "$STARTED_PORT" ]; then
    TLS=127.0.0.1:$STARTED_PORT
    printf 'memcache = inet:%s\nkey_format = p:%%s\ntls = yes\ntls_ca_file = %s\n' "$TLS" \
      "$WORK/ca.pem" >"$WORK/tls.cf"
  else
    echo "  (TLS skipped: memcached -Z did not start: $(head -2 "$WORK/memcached.err"))"
  fi
else
  echo "  (TLS skipped: cannot make certificates: $(tail -2 "$WORK/pki.log"))"
fi
# trust_pair LABEL NAME INPUT EXPECT MODE: interleaved runs of the plain table
# and table NAME (MODE lookup: -q - on INPUT, compared with EXPECT; load:
# -i from INPUT after a flush); sets R[trust_plain_LABEL] and R[trust_LABEL].
# Loads also record CPU seconds (mctable's user+sys, from the shell's
# children times, plus memcached's from /proc): less disturbed by other load
# on the machine than wall time, so the CPU ratio shows the cost itself.
# (`times` runs in this shell, not in a $(...) subshell, which has no children yet.)
children_cpu() { awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, p, "m"); t += 60 * p[1] + p[2] } } END { printf "%.3f", t }' "$1"; }
mc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$MC_PID/stat" 2>/dev/null || echo 0; }
trust_pair() {
  local label=$1 name=$2 input=$3 expect=$4 mode=$5 tp="" tt="" cp="" ct="" c0 c1 m0 m1
  for r in $(seq "$REPEATS"); do
    for who in $( [ $((r % 2)) = 1 ] && echo "plain $name" || echo "$name plain"); do
      if [ "$mode" = load ]; then
        flush
        m0=$(mc_cpu)
        times >"$WORK/times0"
        t_run "$WORK/out_t" "$MCTABLE" -c "$PFDIR" -i "memcache:$WORK/$who.cf" <"$input"
        times >"$WORK/times1"
        m1=$(mc_cpu)
        c0=$(children_cpu "$WORK/times0"); c1=$(children_cpu "$WORK/times1")
        local cpu
        cpu=$(awk -v a="$c0" -v b="$c1" -v c="$m0" -v d="$m1" 'BEGIN { printf "%.3f", (b - a) + (d - c) }')
        if [ "$who" = plain ]; then cp="$cp $cpu"; else ct="$ct $cpu"; fi
        [ "$RC" = 0 ] || fail "mctable -i memcache:$who.cf exit status $RC: $(head -3 "$WORK/out_t.err")"
        "$MCTABLE" -c "$PFDIR" -q - "memcache:$WORK/$who.cf" <"$WORK/keys_$N" >"$WORK/out_t2" 2>"$WORK/out_t2.err"
        check_same "$WORK/out_t2" "$expect" "$label: mctable -q - after -i on $who.cf (repeat $r)"
      else
        t_run "$WORK/out_t" "$MCTABLE" -c "$PFDIR" -q - "memcache:$WORK/$who.cf" <"$input"
        [ "$RC" = 0 ] || fail "mctable -q - memcache:$who.cf exit status $RC: $(head -3 "$WORK/out_t.err")"
        check_same "$WORK/out_t" "$expect" "$label: mctable -q - on $who.cf (repeat $r)"
        [ -s "$WORK/out_t.err" ] && fail "$label: warnings from $who.cf: $(head -2 "$WORK/out_t.err")"
      fi
      if [ "$who" = plain ]; then tp="$tp $T"; else tt="$tt $T"; fi
    done
  done
  R[trust_plain_$label]=$(rate "$N" "$(echo "$tp" | median)")
  R[trust_$label]=$(rate "$N" "$(echo "$tt" | median)")
  printf '  %-30s plain %s   %s %s   ratio %s\n' "$label" "$(fmt_rate "${R[trust_plain_$label]}")" \
    "$name" "$(fmt_rate "${R[trust_$label]}")" "$(ratio "${R[trust_$label]}" "${R[trust_plain_$label]}")"
  echo "      (times plain:$tp; $name:$tt)"
  if [ -n "$cp" ]; then
    local mp mt
    mp=$(echo "$cp" | median); mt=$(echo "$ct" | median)
    printf '  %-30s CPU s per load (mctable + memcached, medians): plain %s   %s %s   ratio %s\n' \
      "$label" "$mp" "$name" "$mt" "$(ratio "$mp" "$mt")"
    echo "      (cpu plain:$cp; $name:$ct)"
  fi
}
flush
for name in plain signed digest ${TLS:+tls}; do
  "$MCTABLE" -c "$PFDIR" -i "memcache:$WORK/$name.cf" <"$WORK/present_$N" >/dev/null 2>"$WORK/load.err" ||
    fail "loading $name.cf: $(head -3 "$WORK/load.err")"
done
trust_pair "lookup, signed values" signed "$WORK/keys_$N" "$WORK/expect_$N" lookup
trust_pair "lookup, key_digest=sha256" digest "$WORK/keys_$N" "$WORK/expect_$N" lookup
# The same table (same prefix) on the TLS memcached, which holds the same
# entries (before the bulk loads below flush the plain one).
[ -n "$TLS" ] && trust_pair "lookup, TLS" tls "$WORK/keys_$N" "$WORK/expect_$N" lookup
trust_pair "bulk load, signed values" signed "$WORK/entries_$N" "$WORK/all_$N" load

# ---- summary ---------------------------------------------------------------------------------------
echo
echo "== summary"
MISSED=0
target() {  # target LABEL OK(0/1) DETAIL
  local verdict=met
  [ "$2" = 1 ] || { verdict=MISSED; MISSED=$((MISSED + 1)); }
  printf '  %-58s %-6s %s\n' "$1" "$verdict" "$3"
}
for label in "lookup, signed values" "bulk load, signed values"; do
  x=$(ratio "${R[trust_$label]}" "${R[trust_plain_$label]}")
  target "$label / plain >= 0.8" "$(ge "$x" 0.8 && echo 1)" "$x"
done
if [ -n "$TLS" ]; then
  x=$(ratio "${R[trust_lookup, TLS]}" "${R[trust_plain_lookup, TLS]}")
  target "lookup, TLS / plain >= 0.5" "$(ge "$x" 0.5 && echo 1)" "$x"
fi
if [ "$CORE" = 1 ]; then
x=$(ratio "${R[lookup_mc]}" "${R[lookup_raw]}")
target "lookup: mctable/raw >= 0.8" "$(ge "$x" 0.8 && echo 1)" "$x"
if [ -n "${R[lookup_pm]}" ]; then
  x=$(ratio "${R[lookup_mc]}" "${R[lookup_pm]}")
  target "lookup: mctable/postmap >= 50" "$(ge "$x" 50 && echo 1)" "$x"
fi
x=$(ratio "${R[load_mc]}" "${R[load_raw]}")
target "bulk load: mctable -i / raw set >= 0.8" "$(ge "$x" 0.8 && echo 1)" "$x"
x=$(ratio "${R[del_mc]}" "${R[del_raw]}")
target "batch delete: mctable -d - / raw delete >= 0.8" "$(ge "$x" 0.8 && echo 1)" "$x"
if [ -n "$LAT_PM" ]; then
  target "single lookup: mctable <= postmap" "$(ge "$LAT_PM" "$LAT_MC" && echo 1)" "$LAT_MC ms vs $LAT_PM ms"
fi
if [ -n "$TIME" ]; then
  sizes=($RSS_SIZES); small=${sizes[0]}; large=${sizes[${#sizes[@]} - 1]}
  for name in mc_lookup mc_load mc_delete; do
    a=${RSS[$name,$small]:-0}; b=${RSS[$name,$large]:-0}
    ok=0
    # "does not grow": the large input within 1 MB of the small one, and under 10 MB.
    [ "$b" -lt 10240 ] && [ $((b - a)) -lt 1024 ] && ok=1
    case $name in mc_lookup) label="mctable -q -" ;; mc_load) label="mctable -i" ;; mc_delete) label="mctable -d -" ;; esac
    target "peak RSS $label: flat ($small vs $large) and < 10 MB" "$ok" "$a KB vs $b KB"
  done
fi
fi  # CORE
[ -n "${R[backup_cold]:-}" ] && echo "  lookup with lmdb backup, misses written back: ${R[backup_cold]} keys/s (warm ${R[backup_warm]} keys/s)"

echo "  load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$FAILURES" -gt 0 ]; then
  echo "RESULT: $FAILURES output mismatch(es)"
  exit 1
fi
echo "RESULT: all outputs agree; $MISSED target(s) missed"
[ "$STRICT" = 1 ] && [ "$MISSED" -gt 0 ] && exit 3
exit 0
