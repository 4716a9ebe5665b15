#!/usr/bin/env bash
# Benchmarks `pnc csms` against the Python baseline CSMS of ../shared/interop/ocpp with its loadgen.py, and measures
# the CSMS's memory per idle connection. Loopback only; every run is bounded. Needs the venv of
# dev/install-test-deps.sh and a release build (swift build -c release --product pnc [--scratch-path .build-release]).
#   dev/bench-csms.sh [STATIONS=1000] [ITERATIONS=5] [IDLE=5000] [BASELINE=1]
set -euo pipefail
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

run_loadgen() {  # name url
  PYTHONDONTWRITEBYTECODE=1 "$py" "$harness/loadgen.py" --url "$2" -n "$stations" --iterations "$iterations" \
    --max-seconds 300 --json-out "$out/$1.json" > "$out/$1.log" 2>&1 || true
  "$py" - "$out/$1.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def lat(a):
    l = r["per_type"].get(a) or {}
    return f"{l.get('p50_ms', 0):.1f}/{l.get('p99_ms', 0):.1f}"
print(f"{sys.argv[2]}: {r['stations_requested']} stations, {r['loop_calls_ok']} loop calls, "
      f"{r['loop_calls_per_s']:.0f} calls/s, Authorize p50/p99 ms {lat('Authorize')}, "
      f"TransactionEvent p50/p99 ms {lat('TransactionEvent')}, errors {r['error_total']}")
PY
}

# pnc csms
port=$(free_port); db="$out/bench.sqlite"; rm -f "$db"*
"$pnc" csms --security-profile 0 --listen 127.0.0.1:"$port" --database "$db" --accept-unknown-tokens --rate-limit 10000 \
  --log-level error > "$out/pnc.log" 2>&1 & pid=$!
wait_port "$port"
run_loadgen pnc "ws://127.0.0.1:$port/ocpp"
echo "pnc: CPU $(awk '{print ($14+$15)/100 " s"}' /proc/$pid/stat), RSS after load $(rss_kb $pid) kB"
kill "$pid"; wait "$pid" 2>/dev/null || true

# idle connections: RSS delta per connection
port=$(free_port); rm -f "$db"*
"$pnc" csms --security-profile 0 --listen 127.0.0.1:"$port" --database "$db" --log-level error > "$out/pnc-idle.log" 2>&1 & pid=$!
wait_port "$port"; sleep 0.5; before=$(rss_kb $pid)
PYTHONDONTWRITEBYTECODE=1 "$py" "$root/dev/idle_connections.py" --url "ws://127.0.0.1:$port/ocpp" -n "$idle" --hold 15 --concurrency 100 > "$out/idle.log" 2>&1 &
loader=$!
for _ in $(seq 1 600); do grep -q all_up "$out/idle.log" 2>/dev/null && break; sleep 0.2; done
sleep 2; after=$(rss_kb $pid)
echo "idle: $(cat "$out/idle.log"), RSS $before kB -> $after kB, $(( (after - before) * 1024 / idle )) bytes per idle connection"
wait "$loader" || true
kill "$pid"; wait "$pid" 2>/dev/null || true

if [ "${BASELINE:-1}" = 1 ]; then
  port=$(free_port)
  PYTHONDONTWRITEBYTECODE=1 "$py" "$harness/csms_baseline.py" --port "$port" > "$out/baseline.log" 2>&1 & bpid=$!
  wait_port "$port"
  run_loadgen baseline "ws://127.0.0.1:$port/ocpp"
  echo "baseline: CPU $(awk '{print ($14+$15)/100 " s"}' /proc/$bpid/stat), RSS $(rss_kb $bpid) kB"
  kill "$bpid"; wait "$bpid" 2>/dev/null || true
fi
