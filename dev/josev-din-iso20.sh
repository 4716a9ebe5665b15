#!/usr/bin/env bash
# Josev (iso15118 0.31.2) against OpenPnC in two network namespaces, for DIN SPEC 70121 DC (din_dc) and ISO 15118-20
# DC (iso20_dc), EIM over TCP, in both directions: DIRECTION=secc (default) runs Josev's EVCC against `pnc station`,
# DIRECTION=ev runs `pnc ev` against Josev's SECC. Prints the message sequence and whether SessionStop was reached. Needs root, iproute2, Java and Josev (JOSEV_HOME=.build/josev ../shared/interop/josev/install.sh and
# make_pki.sh; dev/install-test-deps.sh does both). Usage (root): dev/josev-din-iso20.sh [din_dc|iso20_dc] [pnc]
# Environment: DIRECTION=secc|ev, PRECHARGE_TOLERANCE (pnc ev, default 400 V), PRECHARGE_ABOVE_MAXIMUM (pnc station,
# default clamp for iso20_dc, refuse for din_dc), JOSEV_TIMEOUT, KEEP_LOGS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scenario=${1:-din_dc}
pnc=${2:-$root/.build/debug/pnc}
harness=${JOSEV_HARNESS:-$root/../shared/interop/josev}
export JOSEV_HOME=${JOSEV_HOME:-$root/.build/josev}
export PKI_PATH=${PKI_PATH:-$JOSEV_HOME/pki/}
NS_SECC=pnc_jd_secc_$$; NS_EVCC=pnc_jd_evcc_$$; IF_SECC=pnc-secc; IF_EVCC=pnc-evcc
[ "$(id -u)" = 0 ] || { echo "SKIPPED-PEER josev: needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "SKIPPED-PEER josev: needs iproute2 (apt-get install iproute2)"; exit 77; }
[ -x "$JOSEV_HOME/venv/bin/python" ] && [ -d "$harness" ] || {
  echo "SKIPPED-PEER josev: needs ../shared and Josev (JOSEV_HOME=$JOSEV_HOME $harness/install.sh)"; exit 77; }
[ -x "$pnc" ] || { echo "no pnc binary at $pnc (swift build --product pnc)"; exit 2; }
case $scenario in din_dc) protocols=din ;; iso20_dc) protocols=iso20 ;; *) echo "unknown scenario $scenario"; exit 2 ;; esac
# Josev's simulated EVSE answers every PreChargeRes with EVSEPresentVoltage 1 V, so our EV accepts any voltage within
# 400 V of its 400 V target (PRECHARGE_TOLERANCE=20 shows the strict outcome: V2G_EVCC_PreCharge_Timeout).
PRECHARGE_TOLERANCE=${PRECHARGE_TOLERANCE:-400}
# Josev's SECC takes 60-990 ms per message (EXI through Java): our EV waits at least 3 s for each response instead of
# the standard 0.25 s (CurrentDemandRes) and 2 s.
RESPONSE_WINDOW_FLOOR=${RESPONSE_WINDOW_FLOOR:-3000}
# Josev's simulated -20 EV asks DC_PreCharge for 20 kV (EVTargetVoltage 20 * 10^3): our station delivers its maximum
# and answers OK (PRECHARGE_ABOVE_MAXIMUM=refuse shows the strict outcome: FAILED_WrongChargeParameter).
default_clamp=refuse; [ "$scenario" = iso20_dc ] && default_clamp=clamp
PRECHARGE_ABOVE_MAXIMUM=${PRECHARGE_ABOVE_MAXIMUM:-$default_clamp}

source "$root/dev/netns-lib.sh"
work=$(mktemp -d); station=""; evcc=""
cleanup() {
  for pid in $evcc $station; do stop_group "$pid"; done
  netns_down "$NS_SECC" "$NS_EVCC"
  [ -n "${KEEP_LOGS:-}" ] && echo "logs in $work" || rm -rf "$work"
}
trap cleanup EXIT
netns_up "$NS_SECC" "$IF_SECC" "$NS_EVCC" "$IF_EVCC"

if [ "${DIRECTION:-secc}" = ev ]; then
  case $scenario in din_dc) josev_protocols=DIN_SPEC_70121; ev_scenario=din-dc ;; *) josev_protocols=ISO_15118_20_DC; ev_scenario=iso20-dc ;; esac
  PROTOCOLS=$josev_protocols AUTH_MODES=EIM SECC_ENFORCE_TLS=false setsid ip netns exec "$NS_SECC" \
    bash "$harness/run_secc.sh" "$IF_SECC" "${JOSEV_TIMEOUT:-90}" > "$work/secc.log" 2>&1 &
  station=$!
  for _ in $(seq 300); do grep -qi "ready\|listening\|UDP server" "$work/secc.log" && break; sleep 0.1; done
  sleep 2
  ip netns exec "$NS_EVCC" timeout "${JOSEV_TIMEOUT:-90}" "$pnc" ev --interface "$IF_EVCC" --scenario "$ev_scenario" \
    --loops 3 --precharge-tolerance "$PRECHARGE_TOLERANCE" --response-window-floor "$RESPONSE_WINDOW_FLOOR" \
    > "$work/ev.log" 2>&1 && rc=0 || rc=$?
  echo "== pnc ev ($scenario against Josev's SECC, exit $rc)"; cat "$work/ev.log" | tail -60
  echo "== Josev SECC (errors)"; grep -iE "error|fail|negative|Reason" "$work/secc.log" | grep -v exi_codec | tail -15 || true
  [ "$rc" = 0 ] && { echo "RESULT: $scenario completed"; exit 0; }
  echo "RESULT: $scenario did not complete"; exit 1
fi
setsid ip netns exec "$NS_SECC" "$pnc" station --interface "$IF_SECC" --protocols "$protocols" --evse dc --sessions 1 \
  --precharge-above-maximum "$PRECHARGE_ABOVE_MAXIMUM" --log-level debug > "$work/station.log" 2>&1 &
station=$!
for _ in $(seq 100); do grep -q "SDP on" "$work/station.log" && break; sleep 0.1; done
setsid ip netns exec "$NS_EVCC" bash "$harness/run_evcc.sh" "$IF_EVCC" "$scenario" "${JOSEV_TIMEOUT:-90}" > "$work/evcc.log" 2>&1 &
evcc=$!
for _ in $(seq 900); do kill -0 "$station" 2>/dev/null || break; sleep 0.1; done
sleep 1
echo "== pnc station ($scenario)"; grep -E "^ +[0-9.]+ ms|summary|session" "$work/station.log" | tail -n 150 || true
echo "== Josev EVCC (last lines)"; grep -vE "^\s*$" "$work/evcc.log" | grep -iE "SessionStop|error|fail|timeout|Res\b|Req\b" | tail -25 || true
if grep -q "SessionStopRes" "$work/station.log" || grep -q "SessionStopRes" "$work/evcc.log"; then echo "RESULT: $scenario completed"; else echo "RESULT: $scenario did not complete"; exit 1; fi
