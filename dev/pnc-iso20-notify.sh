#!/usr/bin/env bash
# ISO 15118-20 EVSE-initiated requests (EVSENotification in the charge-loop responses) between `pnc` processes on
# loopback over TLS 1.3 (a `--profile iso15118-20` PKI), one `pnc station --notify-after N:NOTIFICATION[:SECONDS]`
# per case, each with one `pnc ev`:
#   1. DC, `--notify-after 2:ScheduleRenegotiation:5`: the vehicle answers PowerDeliveryReq ScheduleRenegotiation,
#      ScheduleExchange again, PowerDelivery Start, and completes;
#   2. DC, `--notify-after 2:Terminate`: the vehicle stops at once (PowerDelivery Stop, SessionStop Terminate);
#   3. AC, `--notify-after 1:ExitStandby:3` with `pnc ev --standby-after 1 --standby-loops 20`: raised once the vehicle
#      is in standby, answered with PowerDeliveryReq Start.
# Each reaction's timeline line says it came within NotificationMaxDelay. Exit status 0 when all three behave so.
#
#   dev/pnc-iso20-notify.sh        uses .build/debug/pnc (PNC=path to use another build); KEEP=1 keeps the work folder
set -euo pipefail

source "$(dirname "$0")/chain-lib.sh" pnc-iso20-notify
cd "$work"

"$pnc" pki init --out pki --profile iso15118-20 --insecure-no-password > pki.log 2>&1 || fail "pnc pki init --profile iso15118-20"

# station NAME EVSE NOTICE, then the `pnc ev` arguments: runs one session and checks the station ended it.
session() {
    local name=$1 evse=$2 notice=$3
    shift 3
    local sdp_port
    sdp_port=$(free_port udp)
    "$pnc" station --listen ::1 --sdp-port "$sdp_port" --protocols iso20 --evse "$evse" --auth eim --pki pki --tls \
        --notify-after "$notice" --sessions 1 > "station-$name.log" 2>&1 &
    local station_pid=$!
    pids+=("$station_pid")
    wait_for "station-$name.log" "SDP on" 30
    "$pnc" ev --to ::1 --sdp-port "$sdp_port" --pki pki "$@" > "ev-$name.log" 2>&1 || fail "pnc ev ($name)"
    for _ in $(seq 1 100); do kill -0 "$station_pid" 2>/dev/null || break; sleep 0.2; done
    grep -q "(TLS)" "ev-$name.log" || fail "the -20 session ($name) did not run over TLS"
    grep -q "ended: session ended: sessionStopped" "station-$name.log" || fail "the station did not end the $name session at SessionStop"
}

session renegotiate dc 2:ScheduleRenegotiation:30 --scenario iso20-dc --loops 4
grep -q "DC_ChargeLoopRes  OK  EVSENotification=ScheduleRenegotiation NotificationMaxDelay=30s" ev-renegotiate.log \
    || fail "no DC_ChargeLoopRes with EVSENotification=ScheduleRenegotiation"
grep -Eq "PowerDeliveryReq  ScheduleRenegotiation  reacting to EVSENotification=ScheduleRenegotiation after [0-9.]+ ms, within NotificationMaxDelay=30s" ev-renegotiate.log \
    || fail "the vehicle did not react to ScheduleRenegotiation in time"
[ "$(grep -c -- "-> ScheduleExchangeReq" ev-renegotiate.log)" = 2 ] || fail "no second ScheduleExchange"
grep -q "summary: completed" ev-renegotiate.log || fail "the renegotiated session did not complete"
grep -q "notifications: 1 reacted to, 0 late, schedule renegotiations 1" ev-renegotiate.log || fail "no schedule renegotiation in the summary"
echo "ISO 15118-20 ScheduleRenegotiation: the vehicle renegotiated the schedule within NotificationMaxDelay, completed"

session terminate dc 2:Terminate:30 --scenario iso20-dc --loops 10
grep -Eq "PowerDeliveryReq  Stop  reacting to EVSENotification=Terminate after [0-9.]+ ms, within NotificationMaxDelay=30s" ev-terminate.log \
    || fail "the vehicle did not stop on Terminate"
[ "$(grep -c -- "-> DC_ChargeLoopReq" ev-terminate.log)" = 2 ] || fail "the vehicle went on charging after Terminate"
grep -q "SessionStopReq  Terminate" ev-terminate.log || fail "no SessionStopReq Terminate"
grep -q "backend: ended local-1 at .* (Local)" station-terminate.log || fail "the transaction did not end with reason Local"
echo "ISO 15118-20 Terminate: the vehicle stopped after 2 charge-loop requests, transaction ended (Local)"

session standby ac 1:ExitStandby:30 --scenario iso20-ac --loops 6 --standby-after 1 --standby-loops 20
grep -Eq "PowerDeliveryReq  Start  reacting to EVSENotification=ExitStandby after [0-9.]+ ms, within NotificationMaxDelay=30s" ev-standby.log \
    || fail "the vehicle did not leave standby on ExitStandby"
grep -q "summary: completed" ev-standby.log || fail "the AC session did not complete"
echo "ISO 15118-20 ExitStandby: the AC vehicle left standby when asked, completed"
