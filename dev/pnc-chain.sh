#!/usr/bin/env bash
# The Plug & Charge chain as separate `pnc` processes on loopback, the way an operator runs it:
#   pnc pki init → pnc emsp contract create → pnc pki ocsp-serve → pnc csms --pki --emsp →
#   pnc station --csms (its SECC certificate signed by the CSMS, MO roots installed by it) →
#   pnc ev --install (CertificateInstallation through Get15118EVCertificate) → pnc ev (Plug & Charge with the installed
#   contract, C07 with OCSP) → pnc ev --renewal-days (CertificateUpdate through Get15118EVCertificate Update, then
#   Plug & Charge with the new contract) → pnc ev with a contract the eMSP does not know (refused; the session ends FAILED).
# Checks each step's output and the transactions the CSMS stored (REST API); exit status 0 when all hold.
#
#   dev/pnc-chain.sh                 uses .build/debug/pnc (PNC=path to use another build)
#   KEEP=1 dev/pnc-chain.sh          keeps the work folder (logs, databases, PKI) for a look afterwards
set -euo pipefail

source "$(dirname "$0")/chain-lib.sh" pnc-chain

ocsp_port=$(free_port tcp)
http_port=$(free_port tcp)
sdp_port=$(free_port udp)
pcid=WMIOPNPC000000001
cd "$work"

"$pnc" pki init --out pki --insecure-no-password --pcid "$pcid" --ocsp-url "http://127.0.0.1:$ocsp_port/ocsp" > pki.log 2>&1 \
    || fail "pnc pki init"
"$pnc" emsp contract create --pcid "$pcid" --customer driver --database emsp.sqlite > emsp.log 2>&1 || fail "pnc emsp contract create"
emaid=$(sed -n 's/^contract \([^ ]*\) for vehicle.*/\1/p' emsp.log)
[ -n "$emaid" ] || fail "no eMAID in the eMSP's answer"
echo "eMSP: contract $emaid for vehicle $pcid"

"$pnc" pki ocsp-serve --port "$ocsp_port" --ca pki/ca/mo-root --ca pki/ca/mo-sub1 --ca pki/ca/mo-sub2 \
    --insecure-no-password > ocsp.log 2>&1 &
pids+=($!)
wait_for ocsp.log "listening on" 20

"$pnc" csms --listen 127.0.0.1:0 --http "127.0.0.1:$http_port" --database csms.sqlite --security-profile 0 \
    --pki pki --insecure-no-password --emsp emsp.sqlite --log-level info > csms.log 2>&1 &
pids+=($!)
wait_for csms.log '"event":"listening"' 30
csms_url=$(sed -n '/"url":"ws:[^"]*\/<stationId>"/{s/.*"url":"\(ws:[^"]*\)\/<stationId>".*/\1/p;q;}' csms.log)
echo "CSMS: $csms_url, REST API on 127.0.0.1:$http_port"

"$pnc" station --listen ::1 --sdp-port "$sdp_port" --csms "$csms_url" --station-id OPNC-CHAIN-1 --data station \
    --auth pnc,eim --tls --evse dc --sessions 4 --log-level info > station.log 2>&1 &
station_pid=$!
pids+=($station_pid)
wait_for station.log "SDP on" 60
grep -q "BootNotification Accepted" station.log || fail "the station did not boot at the CSMS"
echo "station: booted, SECC certificate from the CSMS, MO root installed by it"

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso2-pnc-dc --pki pki --install --contracts vehicle --loops 3 > ev-install.log 2>&1 \
    || fail "pnc ev --install"
grep -q "CertificateInstallationRes  OK" ev-install.log || fail "no CertificateInstallationRes OK"
grep -q "installed contract" ev-install.log || fail "the vehicle installed no contract"
echo "vehicle: contract installed through Get15118EVCertificate ($(grep -c . ev-install.log) lines of timeline)"

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso2-pnc-dc --pki pki --contracts vehicle --loops 3 > ev-pnc.log 2>&1 \
    || fail "pnc ev (Plug & Charge)"
grep -q "contract $(echo "$emaid" | tr -d '-' | cut -c1-14)" ev-pnc.log || fail "the vehicle did not use its installed contract"
grep -q "AuthorizationRes  OK/Finished" ev-pnc.log || fail "Plug & Charge was not authorized"
# The CSMS decides within the SECC's authorization budget (1 s): the first AuthorizationReq is answered Finished. A
# machine loaded past the budget gets one Ongoing first.
answers=$(grep -c "AuthorizationRes  " ev-pnc.log || true)
ongoing=$(grep -c "AuthorizationRes  OK/Ongoing" ev-pnc.log || true)
[ "$((answers - ongoing))" = 1 ] && [ "$ongoing" -le 1 ] \
    || fail "expected one AuthorizationRes Finished (after at most one Ongoing): $(grep "AuthorizationRes  " ev-pnc.log | tr '\n' ' ')"
grep -q "summary: completed" ev-pnc.log || fail "the Plug & Charge session did not complete"
if [ "$ongoing" = 0 ]; then how="one AuthorizationReq, answered Finished"; else how="Ongoing once: the CSMS took longer than the 1 s budget"; fi
echo "vehicle: plugged in again, Plug & Charge with the installed contract ($how), session completed"

# Inside the renewal window (here: always) the vehicle asks for CertificateUpdate before PaymentDetails.
before=$(sha256sum vehicle/*/chain.pem | cut -d' ' -f1)
"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso2-pnc-dc --pki pki --contracts vehicle --renewal-days 100000 \
    --loops 3 > ev-update.log 2>&1 || fail "pnc ev --renewal-days (CertificateUpdate)"
grep -q "CertificateUpdateRes  OK" ev-update.log || fail "no CertificateUpdateRes OK"
grep -q "updated contract" ev-update.log || fail "the vehicle stored no updated contract"
grep -q "AuthorizationRes  OK/Finished" ev-update.log || fail "Plug & Charge with the updated contract was not authorized"
[ "$before" != "$(sha256sum vehicle/*/chain.pem | cut -d' ' -f1)" ] || fail "the contract chain did not change"
echo "vehicle: contract updated (CertificateUpdate via Get15118EVCertificate Update), Plug & Charge with the new one"

# The PKI's own contract leaf (eMAID of `pnc pki init`) was never registered with the eMSP.
if "$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso2-pnc-dc --pki pki --loops 3 > ev-unknown.log 2>&1; then
    fail "a contract the eMSP does not know was authorized"
fi
grep -q "AuthorizationRes  FAILED_NoCertificateAvailable/Finished" ev-unknown.log || fail "no FAILED_NoCertificateAvailable AuthorizationRes for an unknown contract"
echo "vehicle: unknown contract refused (AuthorizationRes FAILED_NoCertificateAvailable, CSMS idTokenInfo Unknown / NoCertificateAvailable)"

for _ in $(seq 1 100); do kill -0 "$station_pid" 2>/dev/null || break; sleep 0.2; done
ended=$(ended_transactions "$http_port" OPNC-CHAIN-1 3) || fail "the CSMS did not store both transactions"
echo "CSMS: $ended transactions stored and ended for OPNC-CHAIN-1 (the refused session has none)"
grep -q "plug and charge authorization accepted" csms.log || fail "the CSMS logged no Plug & Charge authorization"
grep -q "is not a known contract" csms.log || fail "the CSMS did not log the unknown contract"
echo "chain complete"
