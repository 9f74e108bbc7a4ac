#!/usr/bin/env bash
# Proves that `ctest -L unit` needs no server and no Postfix: runs the unit
# tests in a private mount namespace where memcached, postmap, postfix,
# nutcracker and the database servers are replaced by empty, non-executable
# files, so any unit test that tries to run one fails.
#
#   .ci/unit-isolated.sh        (uses ./build or $BUILD_DIR, already built)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="$PWD/${BUILD_DIR:-build}"
hidden=(/usr/bin/memcached /usr/sbin/postmap /usr/sbin/postfix /usr/sbin/postconf
        /usr/bin/nutcracker /usr/sbin/nutcracker /usr/sbin/mariadbd /usr/local/bin/postgres
        /usr/lib/postgresql/15/bin/postgres)
script='
set -e
empty=$(mktemp)
for f in "$@"; do [ -e "$f" ] && mount --bind "$empty" "$f"; done
cd "$BUILD_DIR" && ctest -L unit -j2 --output-on-failure --timeout 60
'
if unshare --mount --propagation private true 2>/dev/null; then
  BUILD_DIR="$BUILD_DIR" unshare --mount --propagation private bash -c "$script" unit-isolated "${hidden[@]}"
  echo "unit tests: passed with memcached, Postfix and the database servers hidden"
else
  echo "unit tests: cannot make a mount namespace here (unshare refused); running them unhidden"
  cd "$BUILD_DIR" && ctest -L unit -j2 --output-on-failure --timeout 60
fi
