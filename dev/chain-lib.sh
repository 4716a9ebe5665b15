# Shared by dev/pnc-chain.sh, dev/pnc-iso20.sh and dev/pnc-iso20-csms.sh: a work folder, background processes stopped
# on exit, failure reports with every log's tail, free loopback ports, waiting for a line in a log and the CSMS's ended
# transactions. Source it after `set -euo pipefail`.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pnc=${PNC:-$root/.build/debug/pnc}
[ -x "$pnc" ] || { echo "no pnc binary at $pnc (swift build first)"; exit 2; }
work=$(mktemp -d "/tmp/${1:-pnc-chain}.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "work folder: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
    echo "FAILED: $*"
    for log in "$work"/*.log; do echo "--- $(basename "$log")"; tail -n 40 "$log"; done
    exit 1
}
# A free port below the kernel's ephemeral range (no other program's port-0 socket takes it meanwhile): tcp on
# 127.0.0.1 or udp on ::1.
free_port() {
    python3 - "$1" <<'PY'
import random, socket, sys
udp = sys.argv[1] == "udp"
family, kind, host = (socket.AF_INET6, socket.SOCK_DGRAM, "::1") if udp else (socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1")
for _ in range(200):
    port = random.randint(20000, 32000)
    s = socket.socket(family, kind)
    try:
        s.bind((host, port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()
PY
}
wait_for() {  # FILE PATTERN SECONDS
    local deadline=$((SECONDS + $3))
    until grep -q "$2" "$1" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || fail "no '$2' in $(basename "$1") within $3 s"
        sleep 0.2
    done
}
# ended_transactions HTTP_PORT STATION AT_LEAST: waits up to about 10 s until the CSMS REST API lists at least AT_LEAST
# ended transactions for STATION and prints how many; otherwise prints the list on stderr and returns 1.
ended_transactions() {
    python3 - "$@" <<'PY'
import json, sys, time, urllib.request
port, station, at_least = sys.argv[1], sys.argv[2], int(sys.argv[3])
url = f"http://127.0.0.1:{port}/api/v1/transactions?station={station}"
for _ in range(50):
    items = json.load(urllib.request.urlopen(url, timeout=5))
    items = items.get("items", items) if isinstance(items, dict) else items
    ended = [t for t in items if t.get("endedAt") or t.get("stoppedReason") or t.get("stopReason")]
    if len(ended) >= at_least:
        print(len(ended))
        sys.exit(0)
    time.sleep(0.2)
print(f"CSMS transactions: {items}", file=sys.stderr)
sys.exit(1)
PY
}
