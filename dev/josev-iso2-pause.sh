#!/usr/bin/env bash
# ISO 15118-2 pause/resume and renegotiation of `pnc ev` against Josev's SECC (iso15118 0.31.2, PROTOCOLS=ISO_15118_2,
# AUTH_MODES=EIM, TCP) in two network namespaces:
# 1. `pnc ev --pause-after 2`: PowerDelivery Stop, SessionStopReq Pause, then SDP and a new connection with the paused
#    SessionID; passes when Josev answers OK_OldSessionJoined and the resumed session reaches SessionStop.
# 2. `pnc ev --renegotiate-after 1`: PowerDeliveryReq Renegotiate, ChargeParameterDiscovery, PowerDelivery Start, the
#    charge loop goes on to SessionStop (AC). DC: Josev's SECC wants CableCheck again after the renegotiation's
#    ChargeParameterDiscovery and answers our PowerDeliveryReq Start with FAILED_SequenceError (reported as KNOWN).
# 3. Josev's EVCC against `pnc station --renegotiate-after 2`: AC renegotiates after ChargingStatusRes with
#    EVSENotification=ReNegotiation and reaches SessionStop; DC: Josev ignores it in CurrentDemandRes (KNOWN).
# Our EV runs with --precharge-tolerance 400 (Josev's simulated EVSE answers PreCharge with a constant 1 V) and
# --response-window-floor 3000 (Josev answers slower than the standard's 0.25 s for CurrentDemandRes).
# Needs root, iproute2, Java and Josev in .build/josev (dev/install-test-deps.sh).
# Usage (root): dev/josev-iso2-pause.sh [pnc] [ac|dc]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pnc=${1:-$root/.build/debug/pnc}
kind=${2:-ac}
harness=${JOSEV_HARNESS:-$root/../shared/interop/josev}
export JOSEV_HOME=${JOSEV_HOME:-$root/.build/josev}
export PKI_PATH=${PKI_PATH:-$JOSEV_HOME/pki/}
NS_SECC=pnc_pr_secc_$$; NS_EVCC=pnc_pr_evcc_$$; IF_SECC=pnc-pr-secc; IF_EVCC=pnc-pr-evcc

[ "$(id -u)" = 0 ] || { echo "SKIPPED-PEER josev: needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "SKIPPED-PEER josev: needs iproute2 (apt-get install iproute2)"; exit 77; }
[ -x "$JOSEV_HOME/venv/bin/python" ] && [ -d "$harness" ] || {
  echo "SKIPPED-PEER josev: needs ../shared and Josev (JOSEV_HOME=$JOSEV_HOME $harness/install.sh)"; exit 77; }
[ -x "$pnc" ] || { echo "no pnc binary at $pnc (swift build --product pnc)"; exit 2; }

source "$root/dev/netns-lib.sh"
work=$(mktemp -d); secc=""; evcc=""
cleanup() {
  for pid in $evcc $secc; do stop_group "$pid"; done
  netns_down "$NS_SECC" "$NS_EVCC"
  rm -rf "$work"
}
trap cleanup EXIT
netns_up "$NS_SECC" "$IF_SECC" "$NS_EVCC" "$IF_EVCC"
fail=0

run() { # name, pnc ev options...
  local name=$1; shift
  PROTOCOLS=ISO_15118_2 AUTH_MODES=EIM setsid ip netns exec "$NS_SECC" bash "$harness/run_secc.sh" "$IF_SECC" 240 \
    > "$work/secc.log" 2>&1 &
  secc=$!
  for _ in $(seq 600); do grep -q "UDP server socket ready" "$work/secc.log" && break; sleep 0.1; done
  set +e
  ip netns exec "$NS_EVCC" timeout 200 "$pnc" ev --interface "$IF_EVCC" --scenario "iso2-eim-$kind" --loops 4 \
    --precharge-tolerance 400 --response-window-floor 3000 "$@" > "$work/ev.log" 2>&1
  status=$?
  set -e
  sed "s/^/pnc ev ($name): /" "$work/ev.log"
  grep -iE "pause|resumed|Reason" "$work/secc.log" | grep -v exi_codec | sed "s/^/josev secc ($name): /" || true
  stop_group "$secc"; secc=""
}

run pause --pause-after 2
if [ "$status" = 0 ] && grep -q "SessionSetupRes  OK_OldSessionJoined" "$work/ev.log" \
  && grep -q "SessionStopReq  Pause" "$work/ev.log" && grep -q "summary: completed" "$work/ev.log"; then
  echo "PASS pnc ev iso2-eim-$kind --pause-after 2 -> Josev SECC (OK_OldSessionJoined)"
else echo "FAIL pnc ev iso2-eim-$kind --pause-after 2 -> Josev SECC (exit $status)"; fail=1; fi

run renegotiate --renegotiate-after 1
if [ "$status" = 0 ] && grep -q "PowerDeliveryReq  Renegotiate" "$work/ev.log" && grep -q "summary: completed" "$work/ev.log"; then
  echo "PASS pnc ev iso2-eim-$kind --renegotiate-after 1 -> Josev SECC"
elif [ "$kind" = dc ] && grep -q "PowerDeliveryRes  FAILED_SequenceError" "$work/ev.log"; then
  # Josev's SECC (secc/states/iso15118_2_states.py ChargeParameterDiscovery) moves to CableCheck after every DC
  # ChargeParameterDiscoveryRes, renegotiation included, and refuses the PowerDeliveryReq Start our vehicle sends
  # after it (its own EVCC runs CableCheck and PreCharge again); our SECC accepts both sequences.
  echo "KNOWN Josev SECC: DC renegotiation expects CableCheck again, PowerDeliveryReq Start answered FAILED_SequenceError"
else echo "FAIL pnc ev iso2-eim-$kind --renegotiate-after 1 -> Josev SECC (exit $status)"; fail=1; fi

# 3. Josev's EVCC against `pnc station --renegotiate-after 2` (SECC-triggered: EVSENotification=ReNegotiation)
setsid ip netns exec "$NS_SECC" "$pnc" station --interface "$IF_SECC" --evse "$kind" --sessions 1 --renegotiate-after 2 \
  > "$work/station.log" 2>&1 &
secc=$!
for _ in $(seq 100); do grep -q "^SECC " "$work/station.log" && break; sleep 0.1; done
setsid ip netns exec "$NS_EVCC" bash "$harness/run_evcc.sh" "$IF_EVCC" "iso2_eim_$kind" 120 > "$work/evcc.log" 2>&1 &
evcc=$!
for _ in $(seq 1200); do grep -q "summary:" "$work/station.log" && break; sleep 0.1; done
stop_group "$evcc"; evcc=""; stop_group "$secc"; secc=""
grep -E "Renegotiate|ReNegotiation|ChargeParameterDiscovery|summary" "$work/station.log" | sed "s/^/pnc station (renegotiation): /"
if grep -q "<- PowerDeliveryReq  Renegotiate" "$work/station.log" && grep -q "ended: SessionStop" "$work/station.log"; then
  echo "PASS Josev EVCC iso2_eim_$kind -> pnc station --renegotiate-after 2 (renegotiated)"
elif [ "$kind" = dc ] && grep -q "OK/ReNegotiation" "$work/station.log" && grep -q "ended: SessionStop" "$work/station.log"; then
  # Josev's EVCC follows EVSENotification=ReNegotiation in ChargingStatusRes and MeteringReceiptRes, not in
  # CurrentDemandRes (evcc/states/iso15118_2_states.py CurrentDemand checks StopCharging only).
  echo "KNOWN Josev EVCC: ReNegotiation in CurrentDemandRes ignored, session ended at SessionStop"
else echo "FAIL Josev EVCC iso2_eim_$kind -> pnc station --renegotiate-after 2"; fail=1; fi
exit $fail
