#!/usr/bin/env bash
# The main job, for a newcomer on a fresh Debian 12 machine: installs only
# what it needs (scripts/install-deps.sh --main: compiler, libraries,
# memcached; no database servers, no Postfix), builds only the programs (no
# tests, no benchmarks) into ./build-demo (or $BUILD_DIR), starts a memcached
# on a free loopback port, loads a sample table into it (with an lmdb
# backup), queries it the way an operator would, and stops memcached.
# Prints how long each part took.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
scripts/install-deps.sh --main
installed=$SECONDS
export BUILD_DIR="${BUILD_DIR:-build-demo}"
MCTABLE_BUILD_TARGETS="mctable mctabled" scripts/build.sh -DMCTABLE_BUILD_TESTS=OFF -DMCTABLE_BENCH=OFF
built=$SECONDS
MCTABLE="$PWD/$BUILD_DIR/mctable"
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

. scripts/memcached.sh
start_memcached 32
pid=$MEMCACHED_PID port=$MEMCACHED_PORT

touch "$work/main.cf"
cp examples/virtual "$work/virtual"
"$MCTABLE" -c "$work" "lmdb:$work/virtual"            # build the persistent backup
sed -e "s|@PORT@|$port|" -e "s|@DIR@|$work|" examples/memcache-aliases.cf > "$work/memcache-aliases.cf"
table="memcache:$work/memcache-aliases.cf"
set -x
"$MCTABLE" -c "$work" -q Info@Example.COM "$table"       # backup hit, written back to memcached
printf 'sales@example.com new-sales@example.net\n' | "$MCTABLE" -c "$work" -i "$table"
printf 'info@example.com\nnobody@example.com\nsales@example.com\n' | "$MCTABLE" -c "$work" -q - "$table"
"$MCTABLE" -c "$work" -s "$table"
"$MCTABLE" -c "$work" -d sales@example.com "$table"
"$MCTABLE" -c "$work" -q sales@example.com "$table" || echo "(exit $?: not found, as expected)"
{ set +x; } 2>/dev/null
echo "demo: install $((installed - start)) s, build $((built - installed)) s, run $((SECONDS - built)) s"
