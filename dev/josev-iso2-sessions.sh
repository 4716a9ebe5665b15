#!/usr/bin/env bash
# ISO 15118-2 EIM sessions against Josev (iso15118 0.31.2) in two network namespaces, both directions:
# 1. Josev's EVCC (scenario iso2_eim_<ac|dc>, TCP) -> `pnc station`: SDP, SupportedAppProtocol, the whole session to
#    SessionStop; passes when our SECC reports "ended: SessionStop".
# 2. `pnc ev --scenario iso2-eim-<ac|dc>` -> Josev's SECC (PROTOCOLS=ISO_15118_2, AUTH_MODES=EIM); passes when our EV
#    completes (exit 0). Josev's EXI codec is slow (20-65 ms a message): timeouts are generous.
# DC in direction 2: Josev's simulated EVSE (secc/controller/simulator.py) reports a constant present voltage of 1 V
# in PreChargeRes, so a vehicle that waits for the EVSE to reach its battery voltage (ours, within 20 V as
# IEC 61851-23 asks) never leaves PreCharge; Josev's own EVCC simulator accepts any voltage. Our EV therefore runs with
# --precharge-tolerance 400 (PRECHARGE_TOLERANCE) there, and with --response-window-floor 3000 (RESPONSE_WINDOW_FLOOR)
# in both kinds: Josev answers slower than the standard's 0.25 s for CurrentDemandRes.
# Needs root, iproute2, Java and Josev in .build/josev (dev/install-test-deps.sh).
# Usage (root): [STATION_ARGS=...] dev/josev-iso2-sessions.sh [pnc] [ac|dc]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pnc=${1:-$root/.build/debug/pnc}
kind=${2:-ac}
harness=${JOSEV_HARNESS:-$root/../shared/interop/josev}
export JOSEV_HOME=${JOSEV_HOME:-$root/.build/josev}
export PKI_PATH=${PKI_PATH:-$JOSEV_HOME/pki/}
NS_SECC=pnc_s2_secc_$$; NS_EVCC=pnc_s2_evcc_$$; IF_SECC=pnc-s2-secc; IF_EVCC=pnc-s2-evcc

[ "$(id -u)" = 0 ] || { echo "SKIPPED-PEER josev: needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "SKIPPED-PEER josev: needs iproute2 (apt-get install iproute2)"; exit 77; }
[ -x "$JOSEV_HOME/venv/bin/python" ] && [ -d "$harness" ] || {
  echo "SKIPPED-PEER josev: needs ../shared and Josev (JOSEV_HOME=$JOSEV_HOME $harness/install.sh)"; exit 77; }
[ -x "$pnc" ] || { echo "no pnc binary at $pnc (swift build --product pnc)"; exit 2; }

source "$root/dev/netns-lib.sh"
work=$(mktemp -d); station=""; evcc=""; secc=""
cleanup() {
  for pid in $evcc $station $secc; do stop_group "$pid"; done
  netns_down "$NS_SECC" "$NS_EVCC"
  rm -rf "$work"
}
trap cleanup EXIT
netns_up "$NS_SECC" "$IF_SECC" "$NS_EVCC" "$IF_EVCC"
fail=0

# 1. Josev's EVCC against our SECC
# STATION_ARGS: more `pnc station` options, e.g. "--renegotiate-after 2" (Josev's EVCC follows EVSENotification=ReNegotiation)
# shellcheck disable=SC2086
setsid ip netns exec "$NS_SECC" "$pnc" station --interface "$IF_SECC" --evse "$kind" --sessions 1 ${STATION_ARGS:-} \
  > "$work/station.log" 2>&1 &
station=$!
for _ in $(seq 100); do grep -q "^SECC " "$work/station.log" && break; sleep 0.1; done
setsid ip netns exec "$NS_EVCC" bash "$harness/run_evcc.sh" "$IF_EVCC" "iso2_eim_$kind" 120 > "$work/evcc.log" 2>&1 &
evcc=$!
for _ in $(seq 1200); do grep -q "summary:" "$work/station.log" && break; sleep 0.1; done
sed 's/^/pnc station: /' "$work/station.log"
if grep -q "ended: SessionStop" "$work/station.log"; then echo "PASS Josev EVCC iso2_eim_$kind -> pnc station"; else
  echo "FAIL Josev EVCC iso2_eim_$kind -> pnc station"; echo "--- evcc.log (tail)"; tail -40 "$work/evcc.log"; fail=1; fi
stop_group "$evcc"; evcc=""; stop_group "$station"; station=""

# 2. our EVCC against Josev's SECC
if [ "$kind" = dc ]; then
  echo "NOTE Josev's simulated EVSE answers PreChargeRes with a constant 1 V: pnc ev runs with --precharge-tolerance ${PRECHARGE_TOLERANCE:-400}"
fi
PROTOCOLS=ISO_15118_2 AUTH_MODES=EIM setsid ip netns exec "$NS_SECC" bash "$harness/run_secc.sh" "$IF_SECC" 180 \
  > "$work/secc.log" 2>&1 &
secc=$!
for _ in $(seq 600); do grep -q "UDP server socket ready" "$work/secc.log" && break; sleep 0.1; done
set +e
ip netns exec "$NS_EVCC" timeout 150 "$pnc" ev --interface "$IF_EVCC" --scenario "iso2-eim-$kind" --loops 3 \
  --precharge-tolerance "${PRECHARGE_TOLERANCE:-400}" --response-window-floor "${RESPONSE_WINDOW_FLOOR:-3000}" \
  > "$work/ev.log" 2>&1
status=$?
set -e
sed 's/^/pnc ev: /' "$work/ev.log"
if [ "$status" = 0 ]; then echo "PASS pnc ev iso2-eim-$kind -> Josev SECC"; else
  echo "FAIL pnc ev iso2-eim-$kind -> Josev SECC (exit $status)"; echo "--- secc.log (tail)"; tail -60 "$work/secc.log"; fail=1; fi
exit $fail
