# Sourced (not run) by the demo, the CI stages and the benchmarks:
#   start_memcached MEMORY_MB [MEMCACHED_ARGS...]
# starts a memcached on a free loopback port and waits until it answers;
# sets MEMCACHED_PORT and MEMCACHED_PID (the caller stops it by that pid).
# Needs only bash: a port nothing answers on is tried, and another if a
# process took it in between (memcached then exits at once).  Returns 1 if
# no memcached could be started.
start_memcached() {
  local mb=$1; shift
  local user_opt=()
  [ "$(id -u)" -eq 0 ] && user_opt=(-u root)
  for _ in $(seq 20); do
    MEMCACHED_PORT=$((20000 + RANDOM % 40000))
    (exec 3<>/dev/tcp/127.0.0.1/"$MEMCACHED_PORT") 2>/dev/null && continue
    memcached "${user_opt[@]}" -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m "$mb" "$@" &
    MEMCACHED_PID=$!
    for _ in $(seq 50); do
      (exec 3<>/dev/tcp/127.0.0.1/"$MEMCACHED_PORT") 2>/dev/null && break
      sleep 0.1
    done
    sleep 0.1
    kill -0 "$MEMCACHED_PID" 2>/dev/null && return 0
  done
  MEMCACHED_PID=""
  echo "cannot start memcached on a free loopback port" >&2
  return 1
}
