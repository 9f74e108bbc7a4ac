#!/usr/bin/env bash
# Installs what mctable needs to build and test on Debian 12: the compiler
# and libraries, memcached, nutcracker (twemproxy: the reference for where
# the keys of a table spread over several servers live), PostgreSQL and
# MariaDB servers (the SQL table tests start their own), and Debian's
# Postfix with its database map types (postmap is the reference the
# differential tests compare against).  Safe to run again.
#
# With --main, only what the main job (scripts/demo.sh: build the programs,
# run them against a memcached) needs: the compiler, cmake, the libraries
# the library links and memcached; no database servers, no Postfix, no test
# or packaging tools.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
packages=(build-essential cmake pkg-config liblmdb-dev libdb5.3-dev libcdb-dev libicu-dev libssl-dev
          libsqlite3-dev memcached)
if [ "${1:-}" != "--main" ]; then
  packages+=(libgtest-dev libgmock-dev libbenchmark-dev openssl nutcracker
             postfix postfix-lmdb postfix-cdb
             libpq-dev libmariadb-dev postgresql mariadb-server sqlite3
             postfix-sqlite postfix-pgsql postfix-mysql
             libldap2-dev slapd ldap-utils postfix-ldap
             python3 clang libclang-rt-14-dev strace time valgrind libmemcached-tools
             dpkg-dev debhelper lintian fakeroot man-db git)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  # Postfix must not ask questions or expect to run a mail system here.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  # slapd: no directory of its own (the tests start theirs on free ports),
  # so nothing to ask and no system service holding port 389.
  echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
