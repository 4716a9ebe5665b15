#!/usr/bin/env bash
# Session benchmark side by side, in one run, over the same veth pair between two network namespaces, N sessions per
# pair: Josev's EVCC against Josev's SECC (iso15118 0.31.2) and `pnc ev` against `pnc station`, for
#   iso2:  ISO 15118-2 EIM DC over TCP (Josev scenario iso2_eim_dc, `pnc ev --scenario iso2-eim-dc`),
#   iso20: ISO 15118-20 EIM DC over TCP (Josev scenario iso20_dc, `pnc ev --scenario iso20-dc`),
# each with multicast SDP first. Measured per session, from the EVCC's SDP request and from its TCP connect, to the
# first PowerDeliveryRes it receives and to SessionStopRes (Josev: timestamps of its own log lines "Sending
# SDPRequest", "Starting TCP client", "PowerDeliveryRes received", "SessionStopRes received", with its EXI codec warmed
# up before SDP (JOSEV_EXI_WARMUP=1, not measured); ours: the SDP and connect times and the timeline `pnc ev` prints).
# Prints median and p99 of each and the ratios Josev / OpenPnC. Then `pnc bench v2g` over loopback, more sessions,
# from the SDP request: -2 EIM over TCP and TLS 1.2, -2 Plug & Charge over TLS 1.2, -20 EIM and Plug & Charge over
# TLS 1.3 with mutual authentication.
# Needs root, iproute2, Java and Josev in .build/josev (dev/install-test-deps.sh).
# Usage (root): dev/bench-v2g-josev.sh [N=10] [pnc] [loopback sessions=100] [pairs="iso2 iso20"]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10}
pnc=${2:-$root/.build/debug/pnc}
loopback=${3:-100}
pairs=${4:-iso2 iso20}
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

# Josev against Josev: one SECC per pair, N EVCC runs (each EVCC process starts its own Java EXI codec first).
josev_pair() { # tag PROTOCOLS evcc-config
  local tag=$1
  PROTOCOLS=$2 AUTH_MODES=EIM JOSEV_EXI_WARMUP=1 setsid ip netns exec "$NS_SECC" bash "$harness/run_secc.sh" "$IF_SECC" 1800 \
    > "$work/josev-$tag-secc.log" 2>&1 &
  secc=$!
  for _ in $(seq 600); do grep -q "UDP server socket ready" "$work/josev-$tag-secc.log" && break; sleep 0.1; done
  for i in $(seq "$n"); do
    JOSEV_EXI_WARMUP=1 setsid ip netns exec "$NS_EVCC" bash "$harness/run_evcc.sh" "$IF_EVCC" "$3" 120 \
      > "$work/josev-$tag-evcc-$i.log" 2>&1 &
    evcc=$!
    for _ in $(seq 1200); do
      grep -qsE "SessionStopRes received|maximum number of SDP retry cycles|stop_state_machine|Negative response|FAILED" \
        "$work/josev-$tag-evcc-$i.log" && break
      kill -0 "$evcc" 2>/dev/null || break; sleep 0.1
    done
    stop_group "$evcc"; evcc=""
    echo "josev $tag run $i: $(grep -sc ' received$' "$work/josev-$tag-evcc-$i.log" || true) responses"
  done
  stop_group "$secc"; secc=""
}

# OpenPnC against OpenPnC, same namespaces and link.
pnc_pair() { # tag protocols scenario
  local tag=$1
  setsid ip netns exec "$NS_SECC" "$pnc" station --interface "$IF_SECC" --evse dc --protocols "$2" --sessions "$n" \
    > "$work/pnc-$tag-station.log" 2>&1 &
  station=$!
  for _ in $(seq 100); do grep -q "^SECC " "$work/pnc-$tag-station.log" && break; sleep 0.1; done
  for i in $(seq "$n"); do
    ip netns exec "$NS_EVCC" timeout 60 "$pnc" ev --interface "$IF_EVCC" --scenario "$3" --loops 3 \
      > "$work/pnc-$tag-ev-$i.log" 2>&1 || echo "pnc ev $tag run $i failed"
  done
  stop_group "$station"; station=""
}

for pair in $pairs; do
  case $pair in
    iso2) josev_pair iso2 ISO_15118_2 iso2_eim_dc; pnc_pair iso2 iso2 iso2-eim-dc ;;
    iso20) josev_pair iso20 ISO_15118_20_DC iso20_dc; pnc_pair iso20 iso20 iso20-dc ;;
    *) echo "unknown pair $pair (iso2, iso20)"; exit 2 ;;
  esac
done

"$python" - "$work" "$n" $pairs <<'PY'
import re, statistics, sys
from datetime import datetime
from pathlib import Path
work, n, pairs = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
LINE = re.compile(r"^\w+\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - \S+ \(\d+\): (.*)$")
def josev(path):  # (SDP → PowerDeliveryRes, SDP → SessionStopRes, connect → PowerDeliveryRes) in ms, or None
    ev = [(datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").timestamp(), m[2])
          for m in map(LINE.match, path.read_text(errors="replace").splitlines()) if m]
    first = lambda p: next((t for t, msg in ev if p(msg)), None)
    sdp = first(lambda m: m.startswith("Sending SDPRequest"))
    start = first(lambda m: re.match(r"Starting (TLS|TCP) client", m) is not None)
    pd = first(lambda m: m == "PowerDeliveryRes received")
    stop = first(lambda m: m == "SessionStopRes received")
    if sdp is None or start is None or pd is None: return None
    return (pd - sdp) * 1000, (stop - sdp) * 1000 if stop else None, (pd - start) * 1000
def ours(path):
    text = path.read_text(errors="replace")
    s = re.search(r"SDP answered in ([\d.]+) ms", text)
    c = re.search(r"connected in ([\d.]+) ms", text)
    pd = re.search(r"^\s+([\d.]+) ms  <- PowerDeliveryRes", text, re.M)
    stop = re.search(r"^\s+([\d.]+) ms  <- SessionStopRes", text, re.M)
    if not (s and c and pd): return None
    before = float(s[1]) + float(c[1])
    return before + float(pd[1]), before + float(stop[1]) if stop else None, float(c[1]) + float(pd[1])
def stats(xs):  # median, p99 (nearest rank)
    xs = sorted(xs)
    if not xs: return None
    return statistics.median(xs), xs[min(len(xs) - 1, round((len(xs) - 1) * 0.99))]
fmt = lambda s: f"median {s[0]:.1f} ms, p99 {s[1]:.1f} ms" if s else "-"
spans = ("SDP -> first PowerDeliveryRes", "SDP -> SessionStopRes", "connect -> first PowerDeliveryRes")
for pair in pairs:
    rows = {}
    for name, parse, pattern in (("Josev EVCC -> Josev SECC", josev, "josev-%s-evcc-{}.log"), ("pnc ev -> pnc station", ours, "pnc-%s-ev-{}.log")):
        got = [r for r in (parse(work / (pattern % pair).format(i)) for i in range(1, n + 1)) if r]
        rows[name] = [stats([g[k] for g in got if g[k] is not None]) for k in range(3)]
        print(f"{pair} {name}: {len(got)}/{n} sessions; " + "; ".join(f"{s} {fmt(v)}" for s, v in zip(spans, rows[name])))
    j, o = rows["Josev EVCC -> Josev SECC"], rows["pnc ev -> pnc station"]
    ratios = [f"{s} {a[0] / b[0]:.0f}x" for s, a, b in zip(spans, j, o) if a and b]
    if ratios: print(f"{pair} ratio Josev / OpenPnC (median): " + ", ".join(ratios))
PY

# Our side alone over loopback, more sessions, from the SDP request.
password=12345
PNC_PKI_PASSWORD=$password "$pnc" pki init --out "$work/pki" > /dev/null
PNC_PKI_PASSWORD=$password "$pnc" pki init --out "$work/pki20" --profile iso15118-20 > /dev/null
"$pnc" bench v2g --sessions "$loopback"
"$pnc" bench v2g --sessions "$loopback" --pki "$work/pki" --pki-password "$password"
"$pnc" bench v2g --sessions "$loopback" --pki "$work/pki" --pki-password "$password" --pnc
"$pnc" bench v2g --sessions "$loopback" --protocol iso20 --pki "$work/pki20" --pki-password "$password"
"$pnc" bench v2g --sessions "$loopback" --protocol iso20 --pki "$work/pki20" --pki-password "$password" --pnc
