#!/usr/bin/env bash
# Session benchmark side by side, in one run, over the same veth pair between two network namespaces: the ISO 15118-2
# EIM DC session (TCP, SDP first) of Josev's EVCC against Josev's SECC (iso15118 0.31.2, scenario iso2_eim_dc), and
# of `pnc ev --scenario iso2-eim-dc` against `pnc station`, N sessions each. Measured per session, from the EVCC's
# TCP connect to the first PowerDeliveryRes it receives and to SessionStopRes (Josev: timestamps of its own log lines
# "Starting TCP client", "PowerDeliveryRes received", "SessionStopRes received"; ours: the connect time and the
# timeline `pnc ev` prints). Prints median and p99 of each and the ratio Josev / OpenPnC. Then `pnc bench v2g` over
# loopback (TCP, TLS and Plug & Charge over TLS, more sessions).
# Needs root, iproute2, Java and Josev in .build/josev (dev/install-test-deps.sh).
# Usage (root): dev/bench-v2g-josev.sh [N=10] [pnc] [loopback sessions=100]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10}
pnc=${2:-$root/.build/debug/pnc}
loopback=${3:-100}
harness=${JOSEV_HARNESS:-$root/../shared/interop/josev}
export JOSEV_HOME=${JOSEV_HOME:-$root/.build/josev}
export PKI_PATH=${PKI_PATH:-$JOSEV_HOME/pki/}
NS_SECC=pnc_bj_secc_$$; NS_EVCC=pnc_bj_evcc_$$; IF_SECC=pnc-bj-secc; IF_EVCC=pnc-bj-evcc

[ "$(id -u)" = 0 ] || { echo "SKIPPED-PEER josev: needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "SKIPPED-PEER josev: needs iproute2 (apt-get install iproute2)"; exit 77; }
[ -x "$JOSEV_HOME/venv/bin/python" ] && [ -d "$harness" ] || {
  echo "SKIPPED-PEER josev: needs ../shared and Josev (JOSEV_HOME=$JOSEV_HOME $harness/install.sh)"; exit 77; }
[ -x "$pnc" ] || { echo "no pnc binary at $pnc (swift build --product pnc)"; exit 2; }
python=$JOSEV_HOME/venv/bin/python

source "$root/dev/netns-lib.sh"
work=$(mktemp -d); secc=""; evcc=""; station=""
cleanup() {
  for pid in $evcc $secc $station; do stop_group "$pid"; done
  netns_down "$NS_SECC" "$NS_EVCC"
  [ -n "${KEEP_LOGS:-}" ] && echo "logs in $work" || rm -rf "$work"
}
trap cleanup EXIT
netns_up "$NS_SECC" "$IF_SECC" "$NS_EVCC" "$IF_EVCC"
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), pnc binary $pnc"

# Josev against Josev: one SECC, N EVCC runs (each EVCC process starts its own Java EXI codec first; not measured).
PROTOCOLS=ISO_15118_2 AUTH_MODES=EIM setsid ip netns exec "$NS_SECC" bash "$harness/run_secc.sh" "$IF_SECC" 1800 \
  > "$work/josev-secc.log" 2>&1 &
secc=$!
for _ in $(seq 600); do grep -q "UDP server socket ready" "$work/josev-secc.log" && break; sleep 0.1; done
for i in $(seq "$n"); do
  setsid ip netns exec "$NS_EVCC" bash "$harness/run_evcc.sh" "$IF_EVCC" iso2_eim_dc 120 > "$work/josev-evcc-$i.log" 2>&1 &
  evcc=$!
  for _ in $(seq 1200); do
    grep -qE "SessionStopRes received|maximum number of SDP retry cycles|stop_state_machine|Negative response|FAILED" \
      "$work/josev-evcc-$i.log" && break
    kill -0 "$evcc" 2>/dev/null || break; sleep 0.1
  done
  stop_group "$evcc"; evcc=""
  echo "josev run $i: $(grep -c ' received$' "$work/josev-evcc-$i.log" || true) responses"
done
stop_group "$secc"; secc=""

# OpenPnC against OpenPnC, same namespaces and link.
setsid ip netns exec "$NS_SECC" "$pnc" station --interface "$IF_SECC" --evse dc --sessions "$n" > "$work/station.log" 2>&1 &
station=$!
for _ in $(seq 100); do grep -q "^SECC " "$work/station.log" && break; sleep 0.1; done
for i in $(seq "$n"); do
  ip netns exec "$NS_EVCC" timeout 60 "$pnc" ev --interface "$IF_EVCC" --scenario iso2-eim-dc --loops 3 \
    > "$work/pnc-ev-$i.log" 2>&1 || echo "pnc ev run $i failed"
done
stop_group "$station"; station=""

"$python" - "$work" "$n" <<'EOF'
import re, statistics, sys
from datetime import datetime
from pathlib import Path
work, n = Path(sys.argv[1]), int(sys.argv[2])
LINE = re.compile(r"^\w+\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - \S+ \(\d+\): (.*)$")
def josev(path):
    ev = [(datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").timestamp(), m[2])
          for m in map(LINE.match, path.read_text(errors="replace").splitlines()) if m]
    first = lambda p: next((t for t, msg in ev if p(msg)), None)
    start = first(lambda m: re.match(r"Starting (TLS|TCP) client", m) is not None)
    pd = first(lambda m: m == "PowerDeliveryRes received")
    stop = first(lambda m: m == "SessionStopRes received")
    if start is None or pd is None: return None
    return (pd - start) * 1000, (stop - start) * 1000 if stop else None
def ours(path):
    text = path.read_text(errors="replace")
    c = re.search(r"connected in ([\d.]+) ms", text)
    pd = re.search(r"^\s+([\d.]+) ms  <- PowerDeliveryRes", text, re.M)
    stop = re.search(r"^\s+([\d.]+) ms  <- SessionStopRes", text, re.M)
    if not (c and pd): return None
    return float(c[1]) + float(pd[1]), float(c[1]) + float(stop[1]) if stop else None
def stats(xs):
    xs = sorted(xs)
    if not xs: return None
    p99 = xs[min(len(xs) - 1, round((len(xs) - 1) * 0.99))]
    return statistics.median(xs), p99
rows = {}
for name, parse, pattern in (("Josev EVCC -> Josev SECC", josev, "josev-evcc-{}.log"), ("pnc ev -> pnc station", ours, "pnc-ev-{}.log")):
    got = [r for r in (parse(work / pattern.format(i)) for i in range(1, n + 1)) if r]
    pd, whole = stats([g[0] for g in got]), stats([g[1] for g in got if g[1] is not None])
    rows[name] = (pd, whole)
    fmt = lambda s: f"median {s[0]:.1f} ms, p99 {s[1]:.1f} ms" if s else "-"
    print(f"{name}: {len(got)}/{n} sessions; connect -> first PowerDeliveryRes {fmt(pd)}; connect -> SessionStopRes {fmt(whole)}")
j, o = rows["Josev EVCC -> Josev SECC"], rows["pnc ev -> pnc station"]
if j[0] and o[0]:
    print(f"ratio Josev / OpenPnC (median): first PowerDeliveryRes {j[0][0] / o[0][0]:.0f}x"
          + (f", whole session {j[1][0] / o[1][0]:.0f}x" if j[1] and o[1] else ""))
EOF

# Our side alone over loopback, more sessions: TCP, TLS and Plug & Charge over TLS.
password=12345
PNC_PKI_PASSWORD=$password "$pnc" pki init --out "$work/pki" > /dev/null
"$pnc" bench v2g --sessions "$loopback"
"$pnc" bench v2g --sessions "$loopback" --pki "$work/pki" --pki-password "$password"
"$pnc" bench v2g --sessions "$loopback" --pki "$work/pki" --pki-password "$password" --pnc
