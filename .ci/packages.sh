#!/usr/bin/env bash
# The Debian packages: builds them with dpkg-buildpackage from a clean clone
# of this repository (no tests, no benchmarks), checks them with lintian (no
# errors allowed), installs them with apt-get, smoke-tests the installed
# paths (mctable -q through a memcached started here on a free port, the
# pgsql module found where it is installed, mctabled answering Debian's
# postmap -q socketmap:..., man mctable, systemd-analyze verify on the unit
# when it is there), and removes them again.  Fails on the first check that
# does not hold.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
export DEBIAN_FRONTEND=noninteractive
packages=(mctable libmctable0 libmctable-dev mctable-pgsql mctable-mysql mctable-ldap)

missing=()
for p in dpkg-dev debhelper lintian fakeroot man-db git; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
pid=""
daemon=""
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null || true
  apt-get purge -y -qq "${packages[@]}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "packages: $*" >&2; exit 1; }

# 1. Build from a clean clone (what is committed, nothing of this tree's build/).
git clone -q "$SRC" "$work/mctable"
if command -v ccache >/dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
(cd "$work/mctable" &&
  DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
  { tail -50 "$work/build.log"; fail "dpkg-buildpackage failed"; }
ls "$work"/*.deb

# The package version is the project version (CMakeLists.txt).
project_version=$(sed -n 's/^project(mctable VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
package_version=$(cd "$work/mctable" && dpkg-parsechangelog -S Version)
[ "${package_version%%-*}" = "$project_version" ] ||
  fail "debian/changelog says $package_version, CMakeLists.txt $project_version"

# 2. lintian: no errors (warnings are printed).
lintian --fail-on error --suppress-tags no-manual-page "$work"/*.changes || fail "lintian reports errors"

# 3. Install, as an operator would.
apt-get install -y -qq "$work"/*.deb >/dev/null
[ "$(/usr/sbin/mctable --version)" = "mctable $project_version" ] || fail "mctable --version"
[ "$(/usr/sbin/mctabled --version)" = "mctabled $project_version" ] || fail "mctabled --version"
getent passwd mctabled >/dev/null || fail "the mctabled system user was not created"
man -P cat mctable 2>/dev/null | grep -q "query, update and build Postfix lookup tables" || fail "man mctable"
man -w mctabled.8 >/dev/null || fail "man mctabled"
man -w mctable_pgsql >/dev/null || fail "man mctable_pgsql (mctable-pgsql)"
man -w mctable_ldap >/dev/null || fail "man mctable_ldap (mctable-ldap)"

# mctable -q through memcached, with an lmdb backup built by the installed command.
. scripts/memcached.sh
start_memcached 16
pid=$MEMCACHED_PID port=$MEMCACHED_PORT
touch "$work/main.cf"
printf 'a@example.com alpha\nb@example.com beta\n' > "$work/virtual"
/usr/sbin/mctable -c "$work" "lmdb:$work/virtual"
printf 'memcache = inet:127.0.0.1:%s\nbackup = lmdb:%s/virtual\nkey_format = pkg:%%s\n' \
  "$port" "$work" > "$work/mc.cf"
[ "$(/usr/sbin/mctable -c "$work" -q a@example.com "memcache:$work/mc.cf")" = alpha ] ||
  fail "mctable -q through memcached"
cached=$(printf 'get pkg:a@example.com\r\nquit\r\n' | python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read()); data = b""
while not data.endswith(b"END\r\n"):
    chunk = s.recv(4096)
    if not chunk: break
    data += chunk
sys.stdout.write(data.decode())' "$port")
case $cached in *alpha*) ;; *) fail "the backup answer was not cached in memcached: $cached" ;; esac

# The pgsql module, found where mctable-pgsql installs it: with no server on
# the socket the answer is the driver's connect failure, not a load error.
printf 'hosts = unix:%s/no-server\ndbname = x\nquery = SELECT v FROM t WHERE k=%s\n' "$work" "'%s'" > "$work/pg.cf"
out=$(/usr/sbin/mctable -c "$work" -q key "pgsql:$work/pg.cf" 2>&1 || true)
case $out in *"connect to pgsql server"*) ;; *) fail "installed mctable did not load its pgsql module: $out" ;; esac

# mctabled answering Debian's postmap over socketmap.
/usr/sbin/mctabled -c "$work" -m "aliases=memcache:$work/mc.cf" -l "socketmap:unix:$work/socketmap" &
daemon=$!
for _ in $(seq 50); do [ -S "$work/socketmap" ] && break; sleep 0.1; done
[ "$(postmap -c "$work" -q b@example.com "socketmap:unix:$work/socketmap:aliases")" = beta ] ||
  fail "mctabled did not answer postmap -q socketmap:"

# The unit, if systemd-analyze is here.
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /lib/systemd/system/mctabled.service || fail "systemd-analyze verify mctabled.service"
else
  echo "packages: no systemd-analyze: the unit is not verified"
fi

# 4. Remove them again.
kill "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=""
apt-get purge -y -qq "${packages[@]}" >/dev/null
[ ! -e /usr/sbin/mctable ] || fail "mctable is still installed after purge"
echo "packages: built, lintian-clean, installed, smoke-tested and removed: ${packages[*]}"
