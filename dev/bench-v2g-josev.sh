#!/usr/bin/env bash
# Session benchmark side by side, in one run, over the same veth pair between two network namespaces, N sessions per
# pair: Josev's EVCC against Josev's SECC (iso15118 0.31.2) and `pnc ev` against `pnc station`, for
#   iso2:  ISO 15118-2 EIM DC over TCP (Josev scenario iso2_eim_dc, `pnc ev --scenario iso2-eim-dc`),
#   iso20: ISO 15118-20 EIM DC over TCP (Josev scenario iso20_dc, `pnc ev --scenario iso20-dc`),
#   iso2pnc: ISO 15118-2 Plug & Charge DC over TLS 1.2 (Josev scenario iso2_pnc_dc against Josev's SECC with
#          AUTH_MODES=EIM,PNC; `pnc ev --scenario iso2-pnc-dc` against `pnc station --auth pnc,eim --tls`), both with
#          one PKI from `pnc pki init --layout josev` (Josev reads its josev/ folder as PKI_PATH): contract chain to the
#          MO root and the signed AuthorizationReq on both sides,
# each with multicast SDP first. Measured per session, from the EVCC's SDP request and from its TCP connect, to the
# first PowerDeliveryRes it receives and to SessionStopRes (Josev: timestamps of its own log lines "Sending
# SDPRequest", "Starting TCP client" or "Starting TLS client", "PowerDeliveryRes received", "SessionStopRes received",
# with its EXI codec warmed up before SDP (JOSEV_EXI_WARMUP=1, not measured); ours: the SDP and connect times and the
# timeline `pnc ev` prints). The connect spans include the TLS handshake where there is one. A Josev session that does
# not reach SessionStopRes is reported with the end of its EVCC log and its SECC's errors. Prints median and p99 of
# each and the ratios Josev / OpenPnC. Then `pnc bench v2g` over loopback, more sessions, from the SDP request: -2 EIM over TCP and TLS 1.2, -2 Plug & Charge over TLS 1.2, -20 EIM and Plug & Charge over
# TLS 1.3 with mutual authentication.
# Needs root, iproute2, Java and Josev in .build/josev (dev/install-test-deps.sh).
# Usage (root): dev/bench-v2g-josev.sh [N=10] [pnc] [loopback sessions=100] [pairs="iso2 iso20 iso2pnc"]
# (KEEP_LOGS=1 keeps every log and prints where.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10}
pnc=${2:-$root/.build/debug/pnc}
loopback=${3:-100}
pairs=${4:-iso2 iso20 iso2pnc}
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

# One PKI for the Plug & Charge pair (both implementations) and the loopback series: OpenPnC's layout and Josev's
# PKI_PATH layout (josev/, encrypted keys with *Password.txt files) side by side.
password=12345
PNC_PKI_PASSWORD=$password "$pnc" pki init --out "$work/pki" --layout josev > /dev/null

# Josev against Josev: one SECC per pair, N EVCC runs (each EVCC process starts its own Java EXI codec first).
josev_pair() { # tag PROTOCOLS AUTH_MODES evcc-config PKI_PATH
  local tag=$1 log
  PKI_PATH=$5 PROTOCOLS=$2 AUTH_MODES=$3 JOSEV_EXI_WARMUP=1 setsid ip netns exec "$NS_SECC" bash "$harness/run_secc.sh" \
    "$IF_SECC" 1800 > "$work/josev-$tag-secc.log" 2>&1 &
  secc=$!
  for _ in $(seq 600); do grep -q "UDP server socket ready" "$work/josev-$tag-secc.log" && break; sleep 0.1; done
  for i in $(seq "$n"); do
    log=$work/josev-$tag-evcc-$i.log
    PKI_PATH=$5 JOSEV_EXI_WARMUP=1 setsid ip netns exec "$NS_EVCC" bash "$harness/run_evcc.sh" "$IF_EVCC" "$4" 120 \
      > "$log" 2>&1 &
    evcc=$!
    for _ in $(seq 1200); do
      grep -qsE "SessionStopRes received|maximum number of SDP retry cycles|stop_state_machine|Negative response|FAILED" \
        "$log" && break
      kill -0 "$evcc" 2>/dev/null || break; sleep 0.1
    done
    stop_group "$evcc"; evcc=""
    echo "josev $tag run $i: $(grep -sc ' received$' "$log" || true) responses"
    if ! grep -q "SessionStopRes received" "$log"; then
      echo "josev $tag run $i did not reach SessionStopRes; end of its EVCC log:"
      grep -vE "EXI (en|de)cod|^\s*$" "$log" | tail -25 | sed 's/^/  evcc: /'
      echo "  its SECC's errors so far:"
      grep -E "ERROR|Error|Exception|FAILED|Negative|failed" "$work/josev-$tag-secc.log" | tail -10 | sed 's/^/  secc: /' || true
    fi
  done
  stop_group "$secc"; secc=""
}

# OpenPnC against OpenPnC, same namespaces and link.
pnc_pair() { # tag protocols scenario [extra station and ev options, e.g. the PKI]
  local tag=$1 protocols=$2 scenario=$3; shift 3
  local station_extra=() ev_extra=()
  if [ "${1:-}" = pnc ]; then
    station_extra=(--auth pnc,eim --tls --pki "$work/pki" --pki-password "$password")
    ev_extra=(--pki "$work/pki" --pki-password "$password")
  fi
  setsid ip netns exec "$NS_SECC" "$pnc" station --interface "$IF_SECC" --evse dc --protocols "$protocols" --sessions "$n" \
    "${station_extra[@]}" > "$work/pnc-$tag-station.log" 2>&1 &
  station=$!
  for _ in $(seq 100); do grep -q "^SECC " "$work/pnc-$tag-station.log" && break; sleep 0.1; done
  for i in $(seq "$n"); do
    ip netns exec "$NS_EVCC" timeout 60 "$pnc" ev --interface "$IF_EVCC" --scenario "$scenario" --loops 3 "${ev_extra[@]}" \
      > "$work/pnc-$tag-ev-$i.log" 2>&1 || { echo "pnc ev $tag run $i failed:"; tail -5 "$work/pnc-$tag-ev-$i.log"; }
  done
  stop_group "$station"; station=""
}

for pair in $pairs; do
  case $pair in
    iso2) josev_pair iso2 ISO_15118_2 EIM iso2_eim_dc "$PKI_PATH"; pnc_pair iso2 iso2 iso2-eim-dc ;;
    iso20) josev_pair iso20 ISO_15118_20_DC EIM iso20_dc "$PKI_PATH"; pnc_pair iso20 iso20 iso20-dc ;;
    iso2pnc) josev_pair iso2pnc ISO_15118_2 EIM,PNC iso2_pnc_dc "$work/pki/josev/"
      pnc_pair iso2pnc iso2 iso2-pnc-dc pnc ;;
    *) echo "unknown pair $pair (iso2, iso20, iso2pnc)"; exit 2 ;;
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
echo "host load after the namespace pairs: $(cut -d' ' -f1-3 /proc/loadavg)"

# Our side alone over loopback, more sessions, from the SDP request.
PNC_PKI_PASSWORD=$password "$pnc" pki init --out "$work/pki20" --profile iso15118-20 > /dev/null
"$pnc" bench v2g --sessions "$loopback"
"$pnc" bench v2g --sessions "$loopback" --pki "$work/pki" --pki-password "$password"
"$pnc" bench v2g --sessions "$loopback" --pki "$work/pki" --pki-password "$password" --pnc
"$pnc" bench v2g --sessions "$loopback" --protocol iso20 --pki "$work/pki20" --pki-password "$password"
"$pnc" bench v2g --sessions "$loopback" --protocol iso20 --pki "$work/pki20" --pki-password "$password" --pnc
echo "host load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
