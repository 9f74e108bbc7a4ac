#!/usr/bin/env bash
# Runs the integration tests (memcache table against a real memcached, with
# every backup type, and the fault server cases that do not measure time)
# and a batch job of the mctable command under valgrind memcheck; any error
# or leak fails.
#
#   .ci/valgrind.sh            (uses ./build, building it if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
[ -x "$BUILD_DIR/mctable_integration_tests" ] || scripts/build.sh
VG=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --track-origins=yes)

# Time-measuring fault tests are left out: valgrind's slowdown, not the code,
# would break their bounds.
filter='Transports/MemcacheTableTest.*:Types/MemcacheBackupTest.*:Protocol*:Endpoint*:KeyFormat*:Config*:DomainList*:FaultTest.ValueFor*:FaultTest.Garbage*:FaultTest.EveryByte*:FaultTest.KeysAt*:FaultTest.ValueOver*:FaultTest.Closes*:FaultTest.Data*:FaultTest.RecoversOnTheSecondTry'
filter+=':AttrCodec*:MainCf*:ProxyFaultTest.SendsPostmaps*:ProxyFaultTest.StatusCodes*:ProxyFaultTest.Oversized*:ProxyFaultTest.MainCf*'
filter+=':ProxyTableWithPostfix.Updates*:ProxyTableWithPostfix.ReadOnly*:ProxyTableWithPostfix.Memcache*:ProxyTableWithPostfix.EmptyLmdb*:ProxyTableWithPostfix.SecuritySensitive*'
for tests in mctable_unit_tests mctable_integration_tests; do
  "${VG[@]}" "$BUILD_DIR/$tests" --gtest_brief=1 --gtest_filter="$filter"
done

# The command itself on a batch, against a memcached started here.
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user_opt=(); [ "$(id -u)" -eq 0 ] && user_opt=(-u root)
memcached "${user_opt[@]}" -l 127.0.0.1 -p "$port" -U 0 -m 32 &
pid=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
touch "$work/main.cf"
printf 'memcache = inet:127.0.0.1:%s\nkey_format = vg:%%s\n' "$port" > "$work/mc.cf"
seq 1 20000 | awk '{print "key" $1 " value" $1}' > "$work/entries"
"${VG[@]}" "$BUILD_DIR/mctable" -c "$work" -i "memcache:$work/mc.cf" < "$work/entries"
seq 1 40000 | awk '{print "key" $1}' | "${VG[@]}" "$BUILD_DIR/mctable" -c "$work" -q - "memcache:$work/mc.cf" > "$work/out"
test "$(wc -l < "$work/out")" -eq 20000
seq 1 40000 | awk '{print "key" $1}' | "${VG[@]}" "$BUILD_DIR/mctable" -c "$work" -d - "memcache:$work/mc.cf"
echo "valgrind: no errors, no leaks"
