#!/usr/bin/env bash
# mctable build benchmark: "mctable TYPE:src" against Debian's "postmap
# TYPE:src" on the same source file, side by side in one run: wall time and
# peak RSS of each (from /usr/bin/time), and their ratios.
#
#   bench/build_bench.sh [--sizes "1000000 10000000"] [--types "lmdb hash btree cdb"]
#                        [--repeats 1] [--build-dir DIR] [--no-build] [--strict]
#
# The source has one "user<i>@example<i%97>.com dest<i>@mail.example.net"
# line per record, in a shuffled order (a real table's source is not
# sorted), generated once per size under $TMPDIR.  Each pair of runs is
# interleaved (postmap, mctable, postmap, ... for --repeats), each build
# starts from no table, and the median of the repeats is reported.  The
# tables are checked: mctable's and postmap's must list the same entries
# (postmap -s, sorted; cdb: record count), so a fast wrong build does not
# pass.  Targets (issue 8): time ratio <= 1 and RSS ratio <= 1 for every type
# and size.  Exit status: 0 tables agree (and with --strict, targets met);
# 1 tables differ; 2 setup failed; 3 (--strict) a target was missed.
# Several minutes: postmap needs about 30 s per million records for hash.
set -u -o pipefail

SIZES="1000000 10000000"
TYPES="lmdb hash btree cdb"
REPEATS=1
BUILD_DIR=""
DO_BUILD=1
STRICT=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --types) TYPES=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --no-build) DO_BUILD=0; shift ;;
    --strict) STRICT=1; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "build_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$BUILD_DIR" ] || BUILD_DIR=$ROOT/build-bench
MCTABLE=$BUILD_DIR/mctable
POSTMAP=/usr/sbin/postmap
TIME=/usr/bin/time
die() { echo "build_bench.sh: $*" >&2; exit 2; }

if [ "$DO_BUILD" = 1 ]; then
  echo "== build ($BUILD_DIR)"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"${TMPDIR:-/tmp}/mctable_build_bench.log" 2>&1 &&
    cmake --build "$BUILD_DIR" -j2 --target mctable >>"${TMPDIR:-/tmp}/mctable_build_bench.log" 2>&1 ||
    { tail -20 "${TMPDIR:-/tmp}/mctable_build_bench.log" >&2; die "build failed"; }
fi
[ -x "$MCTABLE" ] || die "no $MCTABLE"
[ -x "$POSTMAP" ] || die "Debian's postmap is not installed (apt-get install postfix postfix-lmdb postfix-cdb)"
[ -x "$TIME" ] || die "/usr/bin/time is not installed (apt-get install time)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mctable_build_bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
mkdir "$WORK/cf"
: >"$WORK/cf/main.cf"

# gen N: the shuffled source of N records.
gen() {
  local n=$1 src=$WORK/src_$1
  [ -f "$src" ] && return
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print "user" i "@example" (i % 97) ".com dest" i "@mail.example.net" }' |
    shuf --random-source=<(yes) >"$src"
}

table_files() { rm -f "$1.lmdb" "$1.db" "$1.cdb"; }

# run PROGRAM TYPE SRC: sets T (s) and RSS (KB); exits on failure.
run() {
  local prog=$1 type=$2 src=$3 stats=$WORK/time.out
  table_files "$src"
  "$TIME" -f "%e %M" -o "$stats" "$prog" -c "$WORK/cf" "$type:$src" 2>"$WORK/err" >/dev/null ||
    { cat "$WORK/err" >&2; die "$prog $type:$src failed"; }
  read -r T RSS <"$stats"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END {
  print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
le1() { awk -v r="$1" 'BEGIN { exit !(r <= 1.0) }'; }

# Entries of a built table, sorted, as a checksum line.
entries() {
  local type=$1 src=$2
  if [ "$type" = cdb ]; then  # postmap -s does not list cdb
    "$MCTABLE" -c "$WORK/cf" -s "$type:$src" | wc -l
  else
    "$POSTMAP" -c "$WORK/cf" -s "$type:$src" | LC_ALL=C sort | md5sum
  fi
}

echo "== build benchmark: postmap $(postconf -c "$WORK/cf" -d -h mail_version 2>/dev/null || echo "(version unknown)") vs $MCTABLE"
echo "   $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (others on the machine add noise: compare ratios)"
printf '%-6s %10s | %9s %9s %6s | %10s %10s %6s\n' type records "postmap s" "mctable s" ratio "postmap KB" "mctable KB" ratio
FAILURES=0
MISSED=0
for n in $SIZES; do
  gen "$n"
  src=$WORK/src_$n
  for type in $TYPES; do
    pt=() mt=() pr=() mr=()
    for _ in $(seq "$REPEATS"); do
      run "$POSTMAP" "$type" "$src"; pt+=("$T"); pr+=("$RSS")
      theirs=$(entries "$type" "$src")
      run "$MCTABLE" "$type" "$src"; mt+=("$T"); mr+=("$RSS")
      ours=$(entries "$type" "$src")
      if [ "$ours" != "$theirs" ]; then
        echo "  MISMATCH: $type at $n records: mctable's table differs from postmap's ($ours vs $theirs)"
        FAILURES=$((FAILURES + 1))
      fi
    done
    table_files "$src"
    P_T=$(echo "${pt[*]}" | median) M_T=$(echo "${mt[*]}" | median)
    P_R=$(echo "${pr[*]}" | median) M_R=$(echo "${mr[*]}" | median)
    RT=$(ratio "$M_T" "$P_T") RR=$(ratio "$M_R" "$P_R")
    printf '%-6s %10s | %9s %9s %6s | %10s %10s %6s\n' "$type" "$n" "$P_T" "$M_T" "$RT" "$P_R" "$M_R" "$RR"
    le1 "$RT" || MISSED=$((MISSED + 1))
    le1 "$RR" || MISSED=$((MISSED + 1))
  done
done
echo "== ratio = mctable / postmap (target <= 1.00 for time and peak RSS); $MISSED over target, $FAILURES table mismatches"
[ "$FAILURES" -eq 0 ] || exit 1
[ "$STRICT" = 1 ] && [ "$MISSED" -gt 0 ] && exit 3
exit 0
