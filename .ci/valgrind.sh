#!/usr/bin/env bash
# Runs the integration tests (memcache table against a real memcached, with
# every backup type, the fault server cases that do not measure time, and
# the SQL tables against real PostgreSQL and MariaDB servers)
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
suites=(
  'Transports/MemcacheTableTest.*' 'Types/MemcacheBackupTest.*' 'Protocol*' 'Endpoint*' 'KeyFormat*'
  'Config*' 'DomainList*'
  # several servers
  'KeyHash*' 'ContinuumTest*' 'ServerListTest*' 'ServersTest.EveryKey*' 'ServersTest.CacheFill*'
  'ServersTest.Configuration*' 'Placements/NutcrackerInteropTest.StoredThroughNutcracker*'
  # faults that do not measure time
  'FaultTest.ValueFor*' 'FaultTest.Garbage*' 'FaultTest.EveryByte*' 'FaultTest.KeysAt*'
  'FaultTest.ValueOver*' 'FaultTest.Closes*' 'FaultTest.Data*' 'FaultTest.RecoversOnTheSecondTry'
  # mctabled
  'SocketmapParse*' 'TcpParse*' 'TcpEncoding*' 'Replies*' 'DaemonConfig*' 'LookupMetrics*'
  'MapWorker*' 'ClientConnection*'
  # the memcache front's request parser, listener and map worker; replicas'
  # dispatch (fake transport and clock) and placement; warning limiter
  'MemcacheProtocol*' 'MemcacheListener*' 'ClientTest*' 'ReplicaPlacement*' 'WarningLimiter*'
  # ldap: filter and DN quoting; postscreen/verify cache expiry decisions
  'LdapQuoteTest*' 'CacheExpiryTest*'
  # trust
  'KeyDigest*' 'SignedValue*' 'ValueSigning*' 'Base64Url*' 'SecretFile*' 'MemcacheSecurity*' 'AuthExchange*'
  'SignedValuesTest.*'
  # TLS and authentication against memcached -Z / -Y (the cases that measure no time)
  'MemcacheTlsTest.Updates*' 'MemcacheTlsTest.CommandBatch*' 'MemcacheTlsTest.TwoTls*'
  'MemcacheTlsTest.UnixSocket*' 'MemcacheAuthTest.RightCredentials*' 'MemcacheAuthTest.NoCredentials*'
  'MemcacheAuthTest.AuthenticationOverTls' 'MemcacheAuthTest.Warns*'
  # SQL tables
  'Types/SqlTableTest.*' 'DbCommon*' 'SqlText*' 'ServerList*' 'SplitHostList*' 'Utf8.*'
  # proxy: (the fault tests that do not measure time, and a real proxymap)
  'AttrCodec*' 'MainCf*' 'ProxyFaultTest.SendsPostmaps*' 'ProxyFaultTest.StatusCodes*'
  'ProxyFaultTest.Oversized*' 'ProxyFaultTest.MainCf*' 'ProxyTableWithPostfix.Updates*'
  'ProxyTableWithPostfix.ReadOnly*' 'ProxyTableWithPostfix.Memcache*' 'ProxyTableWithPostfix.EmptyLmdb*'
  'ProxyTableWithPostfix.SecuritySensitive*'
  # file table builds: the sorted runs of hash/btree builds, cdb's duplicate pass
  # (hash and btree builds are left out: libdb itself writes uninitialised
  # page bytes and reads an uninitialised stack slot, inside the library)
  'SortedSpool*' 'Modes/BuildDuplicatesTest.RepeatedAndColliding*/cdb_*' 'Modes/BuildDuplicatesTest.ManyRepeated*/cdb_*'
)
filter=$(IFS=:; echo "${suites[*]}")
for tests in mctable_unit_tests mctable_integration_tests; do
  "${VG[@]}" "$BUILD_DIR/$tests" --gtest_brief=1 --gtest_filter="$filter"
done

# The command itself on a batch, against a memcached started here.
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
. scripts/memcached.sh
start_memcached 32
pid=$MEMCACHED_PID port=$MEMCACHED_PORT
touch "$work/main.cf"
# The same memcached twice under two names: the multi-server path (hashing,
# one poll loop over two connections) on one server process.
printf 'memcache = inet:127.0.0.1:%s, { inet:127.0.0.1:%s name=second }\nkey_format = vg:%%s\n' \
  "$port" "$port" > "$work/mc.cf"
seq 1 20000 | awk '{print "key" $1 " value" $1}' > "$work/entries"
"${VG[@]}" "$BUILD_DIR/mctable" -c "$work" -i "memcache:$work/mc.cf" < "$work/entries"
seq 1 40000 | awk '{print "key" $1}' | "${VG[@]}" "$BUILD_DIR/mctable" -c "$work" -q - "memcache:$work/mc.cf" > "$work/out"
test "$(wc -l < "$work/out")" -eq 20000
seq 1 40000 | awk '{print "key" $1}' | "${VG[@]}" "$BUILD_DIR/mctable" -c "$work" -d - "memcache:$work/mc.cf"
# The same with signed values and key_digest (OpenSSL on the per-key path).
openssl rand -hex 32 > "$work/mc.key"
chmod 600 "$work/mc.key"
printf 'memcache = inet:127.0.0.1:%s\nkey_format = vgs:%%s\nkey_digest = sha256\nvalue_signing_key_file = %s\n' \
  "$port" "$work/mc.key" > "$work/signed.cf"
"${VG[@]}" "$BUILD_DIR/mctable" -c "$work" -i "memcache:$work/signed.cf" < "$work/entries"
seq 1 40000 | awk '{print "key" $1}' | "${VG[@]}" "$BUILD_DIR/mctable" -c "$work" -q - "memcache:$work/signed.cf" > "$work/out"
test "$(wc -l < "$work/out")" -eq 20000

# mctabled under valgrind: postmap's lookups through socketmap and
# tcp_table, a SIGHUP reload, then SIGTERM (exit 0 only if clean).
if [ -x /usr/sbin/postmap ]; then
  tcp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${VG[@]}" "$BUILD_DIR/mctabled" -c "$work" -m "mc=memcache:$work/mc.cf" \
    -l "socketmap:unix:$work/sock" -l "tcp:127.0.0.1:$tcp_port=mc" 2>"$work/mctabled.err" &
  dpid=$!
  for _ in $(seq 300); do [ -S "$work/sock" ] && break; sleep 0.1; done
  seq 1 1000 | awk '{print "key" $1 " value" $1}' | "$BUILD_DIR/mctable" -c "$work" -i "memcache:$work/mc.cf"
  seq 1 2000 | awk '{print "key" $1}' > "$work/keys"
  /usr/sbin/postmap -c "$work" -q - "socketmap:unix:$work/sock:mc" < "$work/keys" > "$work/sm.out" || true
  /usr/sbin/postmap -c "$work" -q - "tcp:127.0.0.1:$tcp_port" < "$work/keys" > "$work/tcp.out" || true
  kill -HUP "$dpid"; sleep 1
  /usr/sbin/postmap -c "$work" -q key1 "socketmap:unix:$work/sock:mc" > /dev/null || true
  kill -TERM "$dpid"
  status=0; wait "$dpid" || status=$?
  [ "$status" -eq 0 ] || { cat "$work/mctabled.err"; echo "mctabled under valgrind: exit $status"; exit 1; }
  # key1..key1000 are there, key1001..key2000 are not.
  test "$(wc -l < "$work/sm.out")" -eq 1000 && cmp -s "$work/sm.out" "$work/tcp.out"
  ! grep -q "warning\|fatal" "$work/mctabled.err" || { cat "$work/mctabled.err"; exit 1; }
fi
echo "valgrind: no errors, no leaks"
