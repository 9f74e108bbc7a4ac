#!/usr/bin/env bash
# The main job: installs dependencies, builds mctable, starts a memcached on
# a free loopback port, loads a sample table into it (with an lmdb backup),
# queries it the way an operator would, and stops memcached.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
MCTABLE="$PWD/${BUILD_DIR:-build}/mctable"
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user_opt=(); [ "$(id -u)" -eq 0 ] && user_opt=(-u root)
memcached "${user_opt[@]}" -l 127.0.0.1 -p "$port" -U 0 -m 32 &
pid=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

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
