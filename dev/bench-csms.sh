#!/usr/bin/env bash
# Benchmarks `pnc csms` against the Python baseline CSMS of ../shared/interop/ocpp with its loadgen.py, and measures
# the CSMS's memory per idle connection. Loopback only; every run is bounded. Needs the venv of
# dev/install-test-deps.sh and a release build (swift build -c release --product pnc [--scratch-path .build-release]).
#   dev/bench-csms.sh [STATIONS=1000] [ITERATIONS=5] [IDLE=5000] [BASELINE=1] [NODE=0] [LOAD=1] [IDLE_RUN=1]
#   [THINK_MS=] [SPREAD_MS=]
# NODE=100000 adds the stations-per-node run (dev/stations_per_node.py: NODE stations from 8 source addresses on
# 127.0.0.0/8, booted, then a Heartbeat every 30 s each for 30 s); LOAD=0 skips the loadgen runs. One process holds at
# most about 19,900 stations here (open-file limit): dev/bench-csms-cluster.sh measures several processes on one port.
set -euo pipefail
# Many connections need many descriptors: raise the limit for this script and what it starts (root may raise the
# hard limit up to fs.nr_open).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cd "$(dirname "$0")/.."
root=$(pwd)
harness="$root/../shared/interop/ocpp"
py="$root/.build/ocpp-venv/bin/python"
pnc="${PNC:-$( (ls -t .build-release/release/pnc .build/release/pnc 2>/dev/null || true) | head -1)}"
out="$root/.build/bench"; mkdir -p "$out"
stations="${STATIONS:-1000}"; iterations="${ITERATIONS:-5}"; idle="${IDLE:-5000}"
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
rss_kb() { awk '/VmRSS/ {print $2}' /proc/"$1"/status; }

# THINK_MS=N (mean think time between calls, ±50 %) and SPREAD_MS=N (random start offset) make a paced run.
pacing=()
[ -n "${THINK_MS:-}" ] && pacing+=(--think-ms "$THINK_MS")
[ -n "${SPREAD_MS:-}" ] && pacing+=(--spread-ms "$SPREAD_MS")

run_loadgen() {  # name url server-pid
  PYTHONDONTWRITEBYTECODE=1 "$py" "$harness/loadgen.py" --url "$2" -n "$stations" --iterations "$iterations" \
    "${pacing[@]}" --max-seconds 300 --json-out "$out/$1.json" > "$out/$1.log" 2>&1 || true
  # The server's CPU seconds so far (connect, boot and the loop) next to the load generator's own.
  "$py" - "$out/$1.json" "$1" "$(awk '{print ($14+$15)/100}' /proc/"$3"/stat)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
server_cpu = float(sys.argv[3])
def lat(a):
    l = r["per_type"].get(a) or {}
    return f"{l.get('p50_ms', 0):.1f}/{l.get('p99_ms', 0):.1f}"
calls = max(r["loop_calls_ok"], 1)
print(f"{sys.argv[2]}: {r['stations_requested']} stations, {r['loop_calls_ok']} loop calls, "
      f"{r['loop_calls_per_s']:.0f} calls/s, Authorize p50/p99 ms {lat('Authorize')}, "
      f"TransactionEvent p50/p99 ms {lat('TransactionEvent')}, errors {r['error_total']}; "
      f"server CPU {server_cpu:.2f} s ({server_cpu / calls * 1000:.3f} ms/call), "
      f"loadgen CPU {r['loadgen_cpu_s']:.2f} s ({r['loadgen_cpu_s'] / calls * 1000:.3f} ms/call), "
      f"wall {r['wall_s']:.2f} s")
PY
}

db="$out/bench.sqlite"
if [ "${LOAD:-1}" = 1 ]; then
# pnc csms
port=$(free_port); rm -f "$db"*
"$pnc" csms --security-profile 0 --listen 127.0.0.1:"$port" --database "$db" --accept-unknown-tokens --rate-limit 10000 \
  --log-level error > "$out/pnc.log" 2>&1 & pid=$!
wait_port "$port"
run_loadgen pnc "ws://127.0.0.1:$port/ocpp" "$pid"
echo "pnc: CPU $(awk '{print ($14+$15)/100 " s"}' /proc/$pid/stat), RSS after load $(rss_kb $pid) kB"
kill "$pid"; wait "$pid" 2>/dev/null || true

fi

# idle connections: RSS delta per connection (IDLE_RUN=0 skips it)
if [ "${IDLE_RUN:-1}" = 1 ]; then
port=$(free_port); rm -f "$db"*
"$pnc" csms --security-profile 0 --listen 127.0.0.1:"$port" --database "$db" --log-level error > "$out/pnc-idle.log" 2>&1 & pid=$!
wait_port "$port"; sleep 0.5; before=$(rss_kb $pid); rm -f "$out/idle.log"
PYTHONDONTWRITEBYTECODE=1 "$py" "$root/dev/idle_connections.py" --url "ws://127.0.0.1:$port/ocpp" -n "$idle" --hold 15 --concurrency 100 > "$out/idle.log" 2>&1 &
loader=$!
for _ in $(seq 1 600); do grep -q all_up "$out/idle.log" 2>/dev/null && break; sleep 0.2; done
sleep 2; after=$(rss_kb $pid)
echo "idle: $(cat "$out/idle.log"), RSS $before kB -> $after kB, $(( (after - before) * 1024 / idle )) bytes per idle connection"
wait "$loader" || true
kill "$pid"; wait "$pid" 2>/dev/null || true
fi

node="${NODE:-0}"
if [ "$node" -gt 0 ]; then
  port=$(free_port); rm -f "$db"*
  "$pnc" csms --security-profile 0 --listen 127.0.0.1:"$port" --database "$db" --log-level error > "$out/pnc-node.log" 2>&1 & pid=$!
  wait_port "$port"; sleep 0.5; before=$(rss_kb $pid); rm -f "$out/node.log"
  PYTHONDONTWRITEBYTECODE=1 "$py" "$root/dev/stations_per_node.py" --url "ws://127.0.0.1:$port/ocpp" -n "$node" \
    --procs "${NODE_PROCS:-4}" --sources 8 --concurrency 100 --up-seconds "${NODE_UP_SECONDS:-240}" --hold 30 --heartbeat 30 \
    > "$out/node.log" 2> "$out/node.err" & loader=$!
  peak=0
  while kill -0 "$loader" 2>/dev/null; do
    rss=$(rss_kb $pid 2>/dev/null || echo 0); [ "$rss" -gt "$peak" ] && peak=$rss
    if grep -q all_up "$out/node.log" 2>/dev/null && [ -z "${up_rss:-}" ]; then
      up_rss=$rss; up_fds=$(ls /proc/$pid/fd | wc -l); up_line=$(grep all_up "$out/node.log")
    fi
    sleep 1
  done
  wait "$loader" || true
  echo "node: $up_line; CSMS descriptors $up_fds, RSS $before kB -> ${up_rss:-0} kB when all up (peak $peak kB), $(( (${up_rss:-0} - before) * 1024 / node )) bytes per station"
  echo "node: $(grep '"done"' "$out/node.log"), CSMS CPU $(awk '{print ($14+$15)/100 " s"}' /proc/$pid/stat)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
fi

if [ "${BASELINE:-1}" = 1 ]; then
  port=$(free_port)
  PYTHONDONTWRITEBYTECODE=1 "$py" "$harness/csms_baseline.py" --port "$port" > "$out/baseline.log" 2>&1 & bpid=$!
  wait_port "$port"
  run_loadgen baseline "ws://127.0.0.1:$port/ocpp" "$bpid"
  echo "baseline: CPU $(awk '{print ($14+$15)/100 " s"}' /proc/$bpid/stat), RSS $(rss_kb $bpid) kB"
  kill "$bpid"; wait "$bpid" 2>/dev/null || true
  # The baseline's memory per idle connection, measured the same way.
  if [ "${IDLE_RUN:-1}" = 1 ]; then
  port=$(free_port)
  PYTHONDONTWRITEBYTECODE=1 "$py" "$harness/csms_baseline.py" --port "$port" > "$out/baseline-idle.log" 2>&1 & bpid=$!
  wait_port "$port"; sleep 0.5; before=$(rss_kb $bpid); rm -f "$out/idle-baseline.log"
  PYTHONDONTWRITEBYTECODE=1 "$py" "$root/dev/idle_connections.py" --url "ws://127.0.0.1:$port/ocpp" -n "$idle" --hold 15 --concurrency 100 > "$out/idle-baseline.log" 2>&1 &
  loader=$!
  for _ in $(seq 1 600); do grep -q all_up "$out/idle-baseline.log" 2>/dev/null && break; sleep 0.2; done
  sleep 2; after=$(rss_kb $bpid)
  echo "baseline idle: $(cat "$out/idle-baseline.log"), RSS $before kB -> $after kB, $(( (after - before) * 1024 / idle )) bytes per idle connection"
  wait "$loader" || true
  kill "$bpid"; wait "$bpid" 2>/dev/null || true
  fi
fi
