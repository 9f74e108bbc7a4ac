#!/usr/bin/env bash
# Builds the library and command without tests (and with GoogleTest made
# unfindable, to prove the build does not need it), installs them into a
# temporary prefix, builds examples/library/lookup_batch.cc against the
# installed tree three ways (CMake package, pkg-config shared, pkg-config
# static), and runs each against a memcached started here.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cmake -S "$SRC" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCTABLE_BUILD_TESTS=OFF \
  -DMCTABLE_BENCH=OFF -DMCTABLE_WERROR=ON -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON >/dev/null
cmake --build "$work/build" -j"$(nproc)"
cmake --install "$work/build" --prefix "$work/prefix" >/dev/null
prefix="$work/prefix"
libdir=$(dirname "$(find "$prefix" -name mctable.pc)")/..

# 1. find_package(mctable)
cmake -S examples/library -B "$work/example" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/example" >/dev/null
# 2. pkg-config, shared library
export PKG_CONFIG_PATH="$libdir/pkgconfig"
g++ -std=c++20 -Wall -Wextra -Werror examples/library/lookup_batch.cc \
  $(pkg-config --cflags --libs mctable) -Wl,-rpath,"$libdir" -o "$work/lookup_batch_pc"
# 3. pkg-config --static, static library
g++ -std=c++20 -Wall -Wextra -Werror examples/library/lookup_batch.cc \
  $(pkg-config --cflags mctable) "$libdir/libmctable.a" $(pkg-config --libs-only-l --static mctable | sed 's/-lmctable//') \
  -o "$work/lookup_batch_static"
if ldd "$work/lookup_batch_static" | grep -q libmctable; then
  echo "examples: the static build links libmctable.so" >&2; exit 1
fi

. scripts/memcached.sh
start_memcached 16
pid=$MEMCACHED_PID port=$MEMCACHED_PORT

touch "$work/main.cf"
# The installed command finds the driver modules installed beside the
# library (<libdir>/mctable), from wherever the prefix is: with no server on
# the socket, the answer is the driver's connect failure, not a load error.
if [ -f "$libdir/mctable/mctable-pgsql.so" ]; then
  printf 'hosts = unix:%s/no-server\ndbname = x\nquery = SELECT v FROM t WHERE k=%s\n' "$work" "'%s'" > "$work/pg.cf"
  out=$("$prefix/sbin/mctable" -c "$work" -q key "pgsql:$work/pg.cf" 2>&1 || true)
  case $out in
    *"connect to pgsql server"*) echo "examples: installed mctable loads its pgsql module" ;;
    *) echo "examples: installed mctable did not load its pgsql module: $out" >&2; exit 1 ;;
  esac
else
  echo "examples: no pgsql module installed (built without libpq): module check skipped"
fi
printf 'a@example.com alpha\nb@example.com beta\n' > "$work/virtual"
"$prefix/sbin/mctable" -c "$work" "lmdb:$work/virtual"
printf 'memcache = inet:127.0.0.1:%s\nbackup = lmdb:%s/virtual\nkey_format = ex:%%s\n' \
  "$port" "$work" > "$work/mc.cf"
expected=$(printf 'a@example.com\talpha\nnone@example.com\t(not found)\nb@example.com\tbeta\na@example.com\tupdated-by-example')
for program in "$work/example/lookup_batch" "$work/lookup_batch_pc" "$work/lookup_batch_static"; do
  "$prefix/sbin/mctable" -c "$work" "lmdb:$work/virtual"     # each run starts from the source
  printf 'flush_all\r\nquit\r\n' | (exec 3<>/dev/tcp/127.0.0.1/"$port"; cat >&3; cat <&3 >/dev/null) || true
  got=$("$program" "$work/mc.cf" a@example.com none@example.com b@example.com)
  if [ "$got" != "$expected" ]; then
    printf 'examples: %s printed:\n%s\nexpected:\n%s\n' "$program" "$got" "$expected" >&2
    exit 1
  fi
  # The update reached the backup too.
  backup_value=$("$prefix/sbin/mctable" -c "$work" -q a@example.com "lmdb:$work/virtual")
  if [ "$backup_value" != updated-by-example ]; then
    echo "examples: $program: the backup holds \"$backup_value\" after the update" >&2
    exit 1
  fi
  echo "examples: $(basename "$program") OK"
done

# The installed command loads the OpenSSL module (<libdir>/mctable) for a
# table that needs it: key_digest = sha256 answers from the backup, and the
# entry it writes back is under the digest of the key.
printf 'memcache = inet:127.0.0.1:%s\nbackup = lmdb:%s/virtual\nkey_digest = sha256\n' "$port" "$work" > "$work/digest.cf"
"$prefix/sbin/mctable" -c "$work" "lmdb:$work/virtual"
got=$("$prefix/sbin/mctable" -c "$work" -q b@example.com "memcache:$work/digest.cf" 2>&1 || true)
if [ "$got" != beta ]; then
  echo "examples: installed mctable with key_digest printed: $got" >&2; exit 1
fi
echo "examples: installed mctable loads its openssl module"
