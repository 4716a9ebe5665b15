#!/usr/bin/env bash
# Stations held by one machine with several CSMS processes: NODES `pnc csms --reuse-port --cluster` processes share one
# listening port (SO_REUSEPORT) and one database (PostgreSQL from dev/postgres-test-server.sh, or DB=sqlite: one WAL
# file); dev/stations_per_node.py opens STATIONS connections from SOURCES source addresses on 127.0.0.0/8 in PROCS
# load processes, boots every station, then each sends a Heartbeat every HEARTBEAT seconds for HOLD seconds (paced).
# Prints the stations each node holds (from the station registry), RSS per node and per station, descriptors,
# heartbeats answered and errors. Loopback only; bounded (the load generator stops by itself; a watchdog stops it
# when the machine has less than MIN_FREE_MB of memory available). Needs the venv of dev/install-test-deps.sh and a
# release build (swift build -c release --product pnc [--scratch-path .build-release]).
#   dev/bench-csms-cluster.sh [STATIONS=100000] [NODES=6] [PROCS=8] [SOURCES=16] [HOLD=60] [HEARTBEAT=60]
#                             [UP_SECONDS=300] [CONCURRENCY=100] [DB=postgres|sqlite] [MIN_FREE_MB=2048]
set -euo pipefail
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cd "$(dirname "$0")/.."
root=$(pwd)
py="$root/.build/ocpp-venv/bin/python"
pnc="${PNC:-$( (ls -t .build-release/release/pnc .build/release/pnc 2>/dev/null || true) | head -1)}"
[ -x "$pnc" ] || { echo "no release build of pnc" >&2; exit 1; }
out="$root/.build/bench-cluster"; mkdir -p "$out"
stations="${STATIONS:-100000}"; nodes="${NODES:-6}"; procs="${PROCS:-8}"; sources="${SOURCES:-16}"
hold="${HOLD:-60}"; heartbeat="${HEARTBEAT:-60}"; up_seconds="${UP_SECONDS:-300}"; concurrency="${CONCURRENCY:-100}"
min_free_mb="${MIN_FREE_MB:-2048}"
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/VmRSS/ {print $2}' /proc/"$1"/status 2>/dev/null || echo 0; }
cpu_s() { awk '{print ($14+$15)/100}' /proc/"$1"/stat 2>/dev/null || echo 0; }
available_mb() { awk '/MemAvailable/ {print int($2/1024)}' /proc/meminfo; }

if [ "${DB:-postgres}" = sqlite ]; then
  db="$out/cluster.sqlite"; rm -f "$db"*
  per_node() { "$py" - "$db" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=30)
rows = c.execute("SELECT l.node_id, COUNT(*) FROM station_locations l JOIN csms_nodes n ON n.node_id = l.node_id "
                 "WHERE n.lease_until >= ? GROUP BY l.node_id ORDER BY l.node_id", (time.time(),)).fetchall()
print(" ".join(f"{n}={k}" for n, k in rows))
PY
  }
else
  admin=$(dev/postgres-test-server.sh)
  name="pnc_cluster_bench_$(date +%s)"
  psql "$admin" -qc "CREATE DATABASE $name" >/dev/null
  db="${admin%/*}/$name"
  per_node() {
    psql "$db" -Atc "SELECT l.node_id || '=' || COUNT(*) FROM station_locations l JOIN csms_nodes n ON n.node_id = l.node_id
      WHERE n.lease_until >= extract(epoch from now()) GROUP BY l.node_id ORDER BY l.node_id" | tr '\n' ' '
  }
fi

port=$(free_port)
pids=()
loader=""
cleanup() {
  [ -n "$loader" ] && kill "$loader" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
for i in $(seq 1 "$nodes"); do
  "$pnc" csms --security-profile 0 --listen 127.0.0.1:"$port" --database "$db" --reuse-port --node-id "node-$i" \
    --rate-limit 1000 --log-level error > "$out/node-$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 "$nodes"); do
  for _ in $(seq 1 600); do grep -q '"listening"' "$out/node-$i.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '"listening"' "$out/node-$i.log" || { echo "node-$i did not start: $(cat "$out/node-$i.log")" >&2; exit 1; }
done
sleep 1
before=(); for pid in "${pids[@]}"; do before+=("$(rss_kb "$pid")"); done
echo "cluster: $nodes nodes on 127.0.0.1:$port (SO_REUSEPORT), database ${DB:-postgres}; RSS at start ${before[*]} kB"

rm -f "$out/load.log"
PYTHONDONTWRITEBYTECODE=1 "$py" "$root/dev/stations_per_node.py" --url "ws://127.0.0.1:$port/ocpp" -n "$stations" \
  --procs "$procs" --sources "$sources" --concurrency "$concurrency" --up-seconds "$up_seconds" --hold "$hold" \
  --heartbeat "$heartbeat" > "$out/load.log" 2> "$out/load.err" & loader=$!
peak_total=0; up_done=""; stopped=""
while kill -0 "$loader" 2>/dev/null; do
  total=0; for pid in "${pids[@]}"; do total=$((total + $(rss_kb "$pid"))); done
  [ "$total" -gt "$peak_total" ] && peak_total=$total
  if [ -z "$up_done" ] && grep -q all_up "$out/load.log" 2>/dev/null; then
    up_done=1; sleep 2
    up_rss=(); up_fds=(); for pid in "${pids[@]}"; do up_rss+=("$(rss_kb "$pid")"); up_fds+=("$(ls /proc/"$pid"/fd | wc -l)"); done
    up_line=$(grep all_up "$out/load.log"); up_nodes=$(per_node)
    loader_rss=0; for child in $(pgrep -P "$loader") "$loader"; do loader_rss=$((loader_rss + $(rss_kb "$child"))); done
    echo "all up: $up_line"
  fi
  if [ "$(available_mb)" -lt "$min_free_mb" ]; then
    echo "watchdog: less than $min_free_mb MB available, stopping the load" >&2; stopped=1
    for child in $(pgrep -P "$loader"); do kill "$child" 2>/dev/null || true; done
    kill "$loader" 2>/dev/null || true; break
  fi
  sleep 1
done
wait "$loader" 2>/dev/null || true; loader=""
[ -n "$up_done" ] || { echo "the stations never all came up; see $out/load.log" >&2; exit 1; }
sum=0; delta=0
for i in "${!pids[@]}"; do sum=$((sum + up_rss[i])); delta=$((delta + up_rss[i] - before[i])); done
held=$(echo "$up_line" | "$py" -c 'import json,sys; print(json.loads(sys.stdin.read())["up"])')
echo "stations per node (registry): $up_nodes"
echo "RSS per node when all up: ${up_rss[*]} kB (sum $sum kB, peak sum $peak_total kB); descriptors per node: ${up_fds[*]}"
echo "RSS per station: $(( delta * 1024 / (held > 0 ? held : 1) )) bytes ($held stations held, RSS growth $delta kB over $nodes nodes); load generator RSS $loader_rss kB"
echo "done: $(grep '"done"' "$out/load.log" || echo 'no done line')${stopped:+ (stopped by the watchdog)}"
cpu=""; for pid in "${pids[@]}"; do cpu="$cpu $(cpu_s "$pid")"; done
echo "CSMS CPU per node (s):$cpu"
grep -h '"event": "error"' "$out/load.err" 2>/dev/null | head -3 || true
