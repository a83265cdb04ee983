#!/usr/bin/env bash
# The fan-out benchmark in one command: procstreamd against the sse-floor yardstick, point by
# point under the same load from loadgen, then a Markdown table and the targets at 10,000.
#
#   Tests/Benchmark/sweep.sh [PATH/TO/procstreamd]     (default .build/release/procstreamd)
#
# Environment: HOLD (seconds per point, 15), PROBES (one-client connects on the idle servers,
# 10), RAMP_RATE (connects per second, 5000), POINTS ("idle 1000 5000 10000 10000/1000 1000@10";
# N@10 means N subscribers at 10 Hz, procstreamd only; N/R means N subscribers ramped at R
# connects per second instead of RAMP_RATE, as an outside load client does), PORT_BASE (18600), FLOOR_SRC (floor.c),
# OUT (also write the report to this file), KEEP=1 (keep the raw outputs and logs).
# Everything binds and connects to 127.0.0.1 only. Every process started here is stopped by PID.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DAEMON=${1:-$ROOT/.build/release/procstreamd}
HOLD=${HOLD:-15}
PROBES=${PROBES:-10}
RAMP_RATE=${RAMP_RATE:-5000}
RAMP_TIMEOUT=${RAMP_TIMEOUT:-20}
POINTS=${POINTS:-"idle 1000 5000 10000 10000/1000 1000@10"}
PORT_BASE=${PORT_BASE:-18600}
FLOOR_SRC=${FLOOR_SRC:-/work/shared/tools/sse-floor/floor.c}
OUT=${OUT:-}
KEEP=${KEEP:-0}

die() { echo "sweep: $*" >&2; exit 2; }
log() { echo "sweep: $*" >&2; }

[ -x "$DAEMON" ] || die "no procstreamd binary at $DAEMON (build it: swift build -c release --static-swift-stdlib)"
DAEMON=$(cd "$(dirname "$DAEMON")" && pwd)/$(basename "$DAEMON")
[ -r "$FLOOR_SRC" ] || die "floor.c not found at $FLOOR_SRC (set FLOOR_SRC)"
command -v gcc >/dev/null || die "gcc is needed to build loadgen and sse-floor"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/procstream-sweep.XXXXXX")
SERVER_PID=""
LOADGEN_PID=""

stop_pid() {   # SIGTERM, up to 5 s, then SIGKILL; only ever the PIDs this script started
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { log "PID $pid ignored SIGTERM for 5 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null; }
  wait "$pid" 2>/dev/null
  return 0
}
cleanup() {
  stop_pid "$LOADGEN_PID"; LOADGEN_PID=""
  stop_pid "$SERVER_PID"; SERVER_PID=""
  if [ "$KEEP" = 1 ]; then log "raw outputs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 -o "$WORK/loadgen" "$HERE/loadgen.c" || die "building loadgen failed"
gcc -O2 -o "$WORK/sse-floor" "$FLOOR_SRC" 2>"$WORK/floor-build.log" || die "building sse-floor failed"

# Descriptors: loadgen holds one per subscriber, and the servers one per subscriber too.
HARD=$(ulimit -Hn)
if [ "$HARD" = unlimited ]; then ulimit -n 1048576 2>/dev/null || ulimit -n 65536; else ulimit -n "$HARD"; fi
NOFILE=$(ulimit -n)
log "fd limit raised to $NOFILE; work dir $WORK"

# TCP sockets in TIME_WAIT on this host: procstreamd counts every TCP socket each tick, so
# leftovers from earlier runs would make its collection (and CPU) look dearer than it is.
time_wait() { awk '/^TCP:/ { for (i = 1; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

NEXT_PORT=$PORT_BASE
pick_port() {   # the next port nobody listens on
  local i
  for i in $(seq 100); do
    PORT=$NEXT_PORT; NEXT_PORT=$((NEXT_PORT + 1))
    port_open "$PORT" || return 0
  done
  die "no free port from $PORT_BASE"
}

# start_server floor|procstreamd INTERVAL_SECONDS  -> SERVER_PID, PORT
start_server() {
  local kind=$1 interval=$2 i
  pick_port
  local slog="$WORK/$RUN.server.log"
  if [ "$kind" = floor ]; then
    "$WORK/sse-floor" "$PORT" 2>"$slog" &
  else
    "$DAEMON" --listen "127.0.0.1:$PORT" --max-clients 20000 --interval "$interval" 2>"$slog" &
  fi
  SERVER_PID=$!
  for i in $(seq 100); do    # up to 10 s
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$slog" >&2; die "$kind exited at start"; }
    port_open "$PORT" && break
    sleep 0.1
  done
  port_open "$PORT" || die "$kind did not accept on 127.0.0.1:$PORT within 10 s"
  sleep 1   # let start-up work settle before measuring
}

# run_point NAME SERVER CLIENTS INTERVAL_SECONDS [RAMP_RATE]
run_point() {
  local point=$1 server=$2 clients=$3 interval=$4 ramp=${5:-$RAMP_RATE} probes=0
  RUN="$(run_name "$point")-$server"
  local interval_ms
  interval_ms=$(awk -v s="$interval" 'BEGIN { printf "%d", s * 1000 + 0.5 }')
  [ "$clients" = 0 ] && probes=$PROBES
  if [ $((clients + 64)) -gt "$NOFILE" ]; then
    log "$RUN: skipped, $clients subscribers need more than the fd limit $NOFILE"
    echo "RESULT skipped=1" >"$WORK/$RUN.out"; return
  fi
  local tw; tw=$(time_wait)
  echo "$RUN ${tw:-?}" >>"$WORK/time-wait.txt"
  log "$RUN: $clients subscriber(s), interval ${interval}s, ramp ${ramp}/s, hold ${HOLD}s (TIME_WAIT sockets on the host: ${tw:-?})"
  start_server "$server" "$interval"
  "$WORK/loadgen" --port "$PORT" --clients "$clients" --hold "$HOLD" --ramp-rate "$ramp" \
    --ramp-timeout "$RAMP_TIMEOUT" --pid "$SERVER_PID" --interval-ms "$interval_ms" --probes "$probes" \
    >"$WORK/$RUN.out" 2>"$WORK/$RUN.err" &
  LOADGEN_PID=$!
  wait "$LOADGEN_PID"; local rc=$?
  LOADGEN_PID=""
  [ $rc = 0 ] || log "$RUN: loadgen exited with status $rc"
  kill -0 "$SERVER_PID" 2>/dev/null || log "$RUN: the server died during the run"
  stop_pid "$SERVER_PID"; SERVER_PID=""
  grep -q '^RESULT' "$WORK/$RUN.out" || { log "$RUN: no result"; cat "$WORK/$RUN.err" >&2; echo "RESULT error=1" >>"$WORK/$RUN.out"; }
  sed 's/^/    /' "$WORK/$RUN.out" >&2
}

# A point's name in file names: 10000/1000 -> 10000-ramp1000.
run_name() { echo "${1/\//-ramp}"; }

# get RUN KEY -> value or "n/a"
get() {
  local f="$WORK/$1.out"
  [ -r "$f" ] || { echo n/a; return; }
  sed -n 's/^RESULT //p' "$f" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { v = $2 } END { print (v == "" || v == "na") ? "n/a" : v }'
}
fmt() { awk -v v="$1" -v d="${2:-1}" 'BEGIN { if (v == "n/a" || v == "") print "n/a"; else printf "%.*f", d, v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN { if (v == "n/a") print "n/a"; else print (v + 0 <= lim + 0) ? "PASS" : "FAIL" }'; }

# Leftover TIME_WAIT sockets (earlier benchmarks) expire within 60 s: wait for them, bounded.
if [ "${WAIT_TW:-1}" = 1 ] && [ "$(time_wait)" -gt 1000 ]; then
  log "$(time_wait) TCP sockets in TIME_WAIT on the host: waiting up to 65 s for them to expire"
  for i in $(seq 65); do [ "$(time_wait)" -le 1000 ] && break; sleep 1; done
fi

START=$(date +%s)
for point in $POINTS; do
  case $point in
    idle) run_point idle floor 0 1; run_point idle procstreamd 0 1 ;;
    *@*) n=${point%@*}; hz=${point#*@}
         run_point "$point" procstreamd "$n" "$(awk -v h="$hz" 'BEGIN { print 1 / h }')" ;;
    */*) n=${point%/*}; rate=${point#*/}
         run_point "$point" floor "$n" 1 "$rate"; run_point "$point" procstreamd "$n" 1 "$rate" ;;
    *) run_point "$point" floor "$point" 1; run_point "$point" procstreamd "$point" 1 ;;
  esac
done
ELAPSED=$(( $(date +%s) - START ))

report() {
  local cpu_model version
  cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  version=$("$DAEMON" --version 2>/dev/null | head -1)
  echo "### Fan-out sweep, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, ${cpu_model:-unknown CPU}, Linux $(uname -r). Daemon: ${version:-procstreamd} ($DAEMON)."
  echo "Hold ${HOLD} s per point, ramp ${RAMP_RATE} connects/s, loadgen on the same cores; sweep took ${ELAPSED} s."
  echo "TCP sockets in TIME_WAIT on the host at the start of each run: $(awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }' "$WORK/time-wait.txt")."
  echo
  echo "| point | server | subscribers conn/fail/drop | events expected/received | missed | spread p50/p99/max ms | lag p50/p99 ms | connect→headers p50/p99 ms | connect→first event p50/p99 ms | server CPU % | server RSS start/max/end MB | loadgen CPU % |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  local point server run label
  for point in $POINTS; do
    case $point in
      idle) label="idle (0 subs; connect = ${PROBES} one-client probes)" ;;
      *@*) label="${point%@*} @ ${point#*@} Hz" ;;
      */*) label="${point%/*} @ 1 Hz, ramp ${point#*/}/s" ;;
      *) label="$point @ 1 Hz" ;;
    esac
    for server in floor procstreamd; do
      run="$(run_name "$point")-$server"
      if [ ! -r "$WORK/$run.out" ]; then
        echo "| $label | $server | n/a (cannot tick at this rate) | | | | | | | | | |"; continue
      fi
      if [ "$(get "$run" error)" != n/a ] || [ "$(get "$run" skipped)" != n/a ]; then
        echo "| $label | $server | error or skipped (see log) | | | | | | | | | |"; continue
      fi
      local hdr ev subs events missed spread lag
      if [ "$point" = idle ]; then
        subs="0"; events="–"; missed="–"; spread="–"; lag="–"
        hdr="$(fmt "$(get "$run" probe_hdr_p50)" 2) / $(fmt "$(get "$run" probe_hdr_p99)" 2)"
        ev="$(fmt "$(get "$run" probe_ev_p50)" 2) / $(fmt "$(get "$run" probe_ev_p99)" 2)"
      else
        subs="$(get "$run" connected)/$(get "$run" failed)/$(get "$run" dropped)"
        events="$(get "$run" expected)/$(get "$run" received)"
        missed="$(get "$run" missed)"
        spread="$(fmt "$(get "$run" spread_p50)") / $(fmt "$(get "$run" spread_p99)") / $(fmt "$(get "$run" spread_max)")"
        lag="$(fmt "$(get "$run" lag_p50)") / $(fmt "$(get "$run" lag_p99)")"
        hdr="$(fmt "$(get "$run" hdr_p50)") / $(fmt "$(get "$run" hdr_p99)")"
        ev="$(fmt "$(get "$run" ev_p50)") / $(fmt "$(get "$run" ev_p99)")"
      fi
      echo "| $label | $server | $subs | $events | $missed | $spread | $lag | $hdr | $ev | $(fmt "$(get "$run" srv_cpu)" 2) | $(fmt "$(get "$run" srv_rss_start)") / $(fmt "$(get "$run" srv_rss_max)") / $(fmt "$(get "$run" srv_rss_end)") | $(fmt "$(get "$run" lg_cpu)" 2) |"
    done
  done
  echo
  echo "Targets at 10,000 subscribers (ratios to the floor in this same sweep):"
  echo
  echo "| target | procstreamd | floor | ratio | limit | result |"
  echo "|---|---|---|---|---|---|"
  local d=10000-procstreamd f=10000-floor i=idle-procstreamd r v
  r=$(ratio "$(get $d srv_cpu)" "$(get $f srv_cpu)")
  echo "| daemon CPU, % of one core | $(fmt "$(get $d srv_cpu)" 2) | $(fmt "$(get $f srv_cpu)" 2) | $r | ≤ 1.25× | $(verdict "$r" 1.25) |"
  r=$(ratio "$(get $d spread_p99)" "$(get $f spread_p99)")
  echo "| fan-out spread p99, ms | $(fmt "$(get $d spread_p99)") | $(fmt "$(get $f spread_p99)") | $r | ≤ 1.25× | $(verdict "$r" 1.25) |"
  r=$(ratio "$(get $d ev_p99)" "$(get $f hdr_p99)")
  echo "| connect→first event p99 during the ramp at ${RAMP_RATE}/s, ms (floor: connect→headers p99) | $(fmt "$(get $d ev_p99)") | $(fmt "$(get $f hdr_p99)") | $r | ≤ 1.25× | $(verdict "$r" 1.25) |"
  local point
  for point in $POINTS; do
    case $point in
      10000/*)
        local rd rf
        rd="$(run_name "$point")-procstreamd"; rf="$(run_name "$point")-floor"
        r=$(ratio "$(get "$rd" ev_p99)" "$(get "$rf" hdr_p99)")
        echo "| connect→first event p99 during the ramp at ${point#*/}/s, ms (floor: connect→headers p99) | $(fmt "$(get "$rd" ev_p99)") | $(fmt "$(get "$rf" hdr_p99)") | $r | ≤ 1.25× | $(verdict "$r" 1.25) |" ;;
    esac
  done
  v=$(get $d srv_rss_max)
  echo "| daemon RSS max during the hold, MB | $(fmt "$v" 2) | $(fmt "$(get $f srv_rss_max)" 2) | | ≤ 40 MB | $(verdict "$v" 40) |"
  v=$(get $i srv_rss_max)
  echo "| idle daemon RSS, MB | $(fmt "$v" 2) | $(fmt "$(get idle-floor srv_rss_max)" 2) | | ≤ 8 MB | $(verdict "$v" 8) |"
  v=$(get $i probe_ev_p50)
  echo "| connect→first event, one client on the idle daemon, p50 ms (max $(fmt "$(get $i probe_ev_max)" 2)) | $(fmt "$v" 2) | | | ≤ 5 ms | $(verdict "$v" 5) |"
  local ok="n/a"
  if [ "$(get $d connected)" != n/a ]; then
    ok=$(awk -v c="$(get $d connected)" -v f="$(get $d failed)" -v dr="$(get $d dropped)" -v m="$(get $d missed)" \
      'BEGIN { print (c == 10000 && f == 0 && dr == 0 && m == 0) ? "PASS" : "FAIL" }')
  fi
  echo "| delivery at 10,000: connected/failed/dropped, missed | $(get $d connected)/$(get $d failed)/$(get $d dropped), $(get $d missed) | $(get $f connected)/$(get $f failed)/$(get $f dropped), $(get $f missed) | | all, 0, 0 | $ok |"
}

report >"$WORK/report.md"
cat "$WORK/report.md"
if [ -n "$OUT" ]; then cp "$WORK/report.md" "$OUT"; log "report written to $OUT"; fi
