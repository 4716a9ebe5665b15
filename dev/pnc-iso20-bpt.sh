#!/usr/bin/env bash
# ISO 15118-20 bidirectional power transfer, dynamic control mode, standby, pause and service renegotiation between
# `pnc` processes on loopback over TLS 1.3 (a `--profile iso15118-20` PKI): `pnc station --bpt --dynamic --power-plan
# 3600:-20000` (a simulated DC EVSE that can take 50 kW back, a plan asking for 20 kW back for an hour), then
#   1. `pnc ev --scenario iso20-bpt-dc` (DC_BPT, scheduled): the vehicle discharges, its battery loses energy;
#   2. `pnc ev --scenario iso20-dynamic-dc --standby-after 1 --pause` (dynamic control mode, standby, SessionStop Pause);
#   3. `pnc ev --scenario iso20-dynamic-dc --resume ID --renegotiate` joins the paused session (OK_OldSessionJoined),
#      renegotiates the service and charges a second time before SessionStop Terminate.
# Exit status 0 when all three behave so.
#
#   dev/pnc-iso20-bpt.sh        uses .build/debug/pnc (PNC=path to use another build); KEEP=1 keeps the work folder
set -euo pipefail

source "$(dirname "$0")/chain-lib.sh" pnc-iso20-bpt
sdp_port=$(free_port udp)
cd "$work"

"$pnc" pki init --out pki --profile iso15118-20 --insecure-no-password > pki.log 2>&1 || fail "pnc pki init --profile iso15118-20"
"$pnc" station --listen ::1 --sdp-port "$sdp_port" --protocols iso20 --auth eim --pki pki --tls --bpt --dynamic \
    --power-plan 3600:-20000 --sessions 3 > station.log 2>&1 &
station_pid=$!
pids+=("$station_pid")
wait_for station.log "SDP on" 30

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso20-bpt-dc --pki pki --loops 3 --soc 60 --loop-interval 1000 \
    > ev-bpt.log 2>&1 || fail "pnc ev iso20-bpt-dc"
grep -q "(TLS)" ev-bpt.log || fail "the -20 session did not run over TLS"
grep -q "summary: completed" ev-bpt.log || fail "the DC_BPT session did not complete"
grep -Eq "discharged [1-9][0-9.]* Wh" ev-bpt.log || fail "the vehicle did not discharge"
echo "ISO 15118-20 DC_BPT over TLS 1.3: the vehicle discharged, completed"

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso20-dynamic-dc --pki pki --loops 3 --standby-after 1 --pause \
    --evcc-id 02AABBCCDDEE > ev-pause.log 2>&1 || fail "pnc ev iso20-dynamic-dc --pause"
grep -q "summary: paused" ev-pause.log || fail "the session was not paused"
session=$(grep -o "resume [0-9A-F]*" ev-pause.log | cut -d' ' -f2)
[ -n "$session" ] || fail "no SessionID to join"
echo "ISO 15118-20 dynamic DC with standby, then Pause: session $session paused"

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso20-dynamic-dc --pki pki --loops 3 --resume "$session" \
    --evcc-id 02AABBCCDDEE --renegotiate > ev-resume.log 2>&1 || fail "pnc ev iso20-dynamic-dc --resume"
grep -q "SessionSetupRes  OK_OldSessionJoined" ev-resume.log || fail "the paused session was not joined"
grep -q "summary: completed, .* session $session (joined)" ev-resume.log || fail "the joined session did not complete"
grep -q "renegotiations 1" ev-resume.log || fail "the service was not renegotiated"
echo "ISO 15118-20 paused session joined, service renegotiated, completed"

for _ in $(seq 1 100); do kill -0 "$station_pid" 2>/dev/null || break; sleep 0.2; done
[ "$(grep -c "ended: session ended: sessionStopped" station.log)" = 2 ] || fail "the station did not end two sessions at SessionStop"
[ "$(grep -c "ended: session ended: sessionPaused" station.log)" = 1 ] || fail "the station did not keep the paused session"
grep -q "backend: ended local-2" station.log || fail "the joined session's transaction did not end"
! grep -q "local-3" station.log || fail "the joined session started another transaction"
echo "station: 2 sessions stopped, 1 paused and joined, 2 transactions"
