# Helpers shared by the benchmark scripts (sourced, not run): timing,
# medians and rates, and output checks that count mismatches.

FAILURES=0
fail() { echo "  MISMATCH: $*"; FAILURES=$((FAILURES + 1)); }

# t_run OUTFILE CMD...: runs CMD with stdout to OUTFILE (stderr to
# OUTFILE.err), stdin inherited; sets T (seconds), CPU (the command's user
# plus system seconds, less sensitive to a loaded machine than T) and RC.
t_run() {
  local out=$1; shift
  local t0=$EPOCHREALTIME TIMEFORMAT='%U %S'
  { time "$@" >"$out" 2>"$out.err"; } 2>"$out.time"
  RC=$?
  local t1=$EPOCHREALTIME
  T=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
  CPU=$(awk '{ printf "%.6f", $1 + $2 }' "$out.time")
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END {
  if (NR == 0) { print "nan"; exit } print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "inf" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
fmt_rate() { awk -v r="$1" 'BEGIN { printf "%10.0f keys/s", r }'; }

# check_same FILE EXPECTED LABEL
check_same() { cmp -s "$1" "$2" || fail "$3: output differs from the expected ($(wc -l <"$1") vs $(wc -l <"$2") lines; $(diff "$1" "$2" | head -3 | tr '\n' ' '))"; }

# Servers a script starts: their pids in PIDS, stopped by pid at exit
# (SIGTERM, then SIGKILL after 5 s).
PIDS=()
stop_started() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null
  done
}

# Loopback ports.  free_port picks one below Linux's ephemeral range
# (32768-60999: the benchmarks' own client connections hold ports there,
# and a listener cannot bind one of them); it calls the script's die()
# when it finds none.  wait_port waits up to 5 s until PORT accepts.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 50); do p=$((20000 + RANDOM % 12000)); port_free "$p" && { echo "$p"; return; }; done
  die "no free port"
}
wait_port() { for _ in $(seq 100); do port_free "$1" || return 0; sleep 0.05; done; return 1; }
listening() { ! port_free "$1"; }
# mc PORT COMMAND: memcached's first reply line to COMMAND.
mc() {
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf '%s\r\n' "$2" >&3
  IFS= read -r -t 5 line <&3
  exec 3>&-
  printf '%s\n' "${line%$'\r'}"
}

# proc_cpu_ticks PID: the process's CPU (user + system) so far, in clock
# ticks (getconf CLK_TCK per second); 0 once it is gone.
proc_cpu_ticks() {
  local line fields
  read -r line <"/proc/$1/stat" 2>/dev/null || { echo 0; return; }
  read -r -a fields <<<"${line##*) }"  # from field 3 (state): utime, stime are [11], [12]
  echo $((fields[11] + fields[12]))
}
# settle TICKS_FN: waits until the servers whose CPU ticks TICKS_FN prints
# are done with the background work that a load leaves them (memcached's
# LRU maintainer and crawler go over fresh items for a second or two after
# a bulk load: 0.1 s of CPU for 200,000 items, 0.3 s for 400,000,
# measured), so that a timed run measures its own requests and not the
# last load's aftermath, which competes for the same cores.  Settled:
# three 0.4 s polls in a row with at most one clock tick; at most 10 s.
settle() {
  local ticks_fn=$1 prev now quiet=0
  prev=$("$ticks_fn")
  for _ in $(seq 25); do
    sleep 0.4; now=$("$ticks_fn")
    if [ $((now - prev)) -le 1 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    [ "$quiet" -ge 3 ] && return 0
    prev=$now
  done
}
