#!/usr/bin/env bash
# ISO 15118-20 Plug & Charge through the CSMS, as separate `pnc` processes on loopback:
#   pnc pki init (-2) + pnc pki init --profile iso15118-20 → pnc emsp contract create → pnc pki ocsp-serve (-20 MO CAs) →
#   pnc csms --pki (-2) --pki-iso20 (-20) --emsp → pnc station --csms --protocols iso20,iso2 --tls --auth pnc,eim
#   (a secp521r1 SECC certificate for TLS 1.3 and a secp256r1 one for -2, both signed by the CSMS from the CSR's curve;
#   -20 and -2 V2G and MO roots installed by it) → pnc ev --scenario iso20-pnc-dc --install (-20 CertificateInstallation
#   through Get15118EVCertificate) → pnc ev --scenario iso20-pnc-dc (Plug & Charge with the kept contract, C07 with
#   the contract's hash data and OCSP through the CSMS) → the transactions stored at the CSMS (REST API).
# Exit status 0 when all hold.
#
#   dev/pnc-iso20-csms.sh            uses .build/debug/pnc (PNC=path to use another build); KEEP=1 keeps the work folder
set -euo pipefail

source "$(dirname "$0")/chain-lib.sh" pnc-iso20-csms

ocsp_port=$(free_port tcp)
http_port=$(free_port tcp)
sdp_port=$(free_port udp)
pcid=WMIOPNPC000000020
cd "$work"

"$pnc" pki init --out pki2 --insecure-no-password > pki2.log 2>&1 || fail "pnc pki init (-2)"
"$pnc" pki init --out pki20 --profile iso15118-20 --insecure-no-password --pcid "$pcid" \
    --ocsp-url "http://127.0.0.1:$ocsp_port/ocsp" > pki20.log 2>&1 || fail "pnc pki init --profile iso15118-20"
"$pnc" emsp contract create --pcid "$pcid" --customer driver --database emsp.sqlite > emsp.log 2>&1 || fail "pnc emsp contract create"
emaid=$(sed -n 's/^contract \([^ ]*\) for vehicle.*/\1/p' emsp.log)
[ -n "$emaid" ] || fail "no eMAID in the eMSP's answer"
echo "eMSP: contract $emaid for vehicle $pcid"

"$pnc" pki ocsp-serve --port "$ocsp_port" --ca pki20/ca/mo-root --ca pki20/ca/mo-sub1 --ca pki20/ca/mo-sub2 \
    --insecure-no-password > ocsp.log 2>&1 &
pids+=($!)
wait_for ocsp.log "listening on" 20

"$pnc" csms --listen 127.0.0.1:0 --http "127.0.0.1:$http_port" --database csms.sqlite --security-profile 0 \
    --pki pki2 --pki-iso20 pki20 --insecure-no-password --emsp emsp.sqlite --log-level info > csms.log 2>&1 &
pids+=($!)
wait_for csms.log '"event":"listening"' 30
csms_url=$(sed -n '/"url":"ws:[^"]*\/<stationId>"/{s/.*"url":"\(ws:[^"]*\)\/<stationId>".*/\1/p;q;}' csms.log)
echo "CSMS: $csms_url with an ISO 15118-2 and an ISO 15118-20 PKI"

"$pnc" station --listen ::1 --sdp-port "$sdp_port" --csms "$csms_url" --station-id OPNC-ISO20-1 --data station \
    --protocols iso20,iso2 --auth pnc,eim --tls --vehicle-roots pki20/ca/oem-root/cert.pem --evse dc --sessions 3 \
    --log-level info > station.log 2>&1 &
station_pid=$!
pids+=($station_pid)
wait_for station.log "SDP on" 90
grep -q "BootNotification Accepted" station.log || fail "the station did not boot at the CSMS"
grep -q "SECC certificate (iso15118-20) signed by the CSMS" station.log || fail "no -20 SECC certificate from the CSMS"
grep -q "SECC certificate (iso15118-2) signed by the CSMS" station.log || fail "no -2 SECC certificate from the CSMS"
[ "$(grep -c "BEGIN CERTIFICATE" station/certificates/secc-iso20/chain.pem)" = 3 ] \
    || fail "the -20 SECC chain is not leaf + CPO Sub-CA 2 + CPO Sub-CA 1"
[ "$(ls station/certificates/MORootCertificate | wc -l)" = 2 ] || fail "the CSMS did not install both MO roots"
echo "station: booted, secp521r1 (-20) and secp256r1 (-2) SECC certificates from the CSMS, -20 and -2 roots installed"

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso20-pnc-dc --pki pki20 --install --contracts vehicle --loops 3 \
    > ev-install.log 2>&1 || fail "pnc ev iso20-pnc-dc --install"
grep -q "(TLS)" ev-install.log || fail "the -20 session did not run over TLS"
grep -q "CertificateInstallationRes  OK/Finished" ev-install.log || fail "no contract was delivered through the CSMS"
grep -q "installed contract" ev-install.log || fail "the vehicle did not keep the installed contract"
grep -q "AuthorizationRes  OK/Finished" ev-install.log || fail "the installed contract was not authorized"
grep -q "summary: completed, .* Plug & Charge with contract" ev-install.log || fail "the installation session did not complete"
echo "ISO 15118-20 CertificateInstallation through Get15118EVCertificate, then Plug & Charge: completed"

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso20-pnc-dc --pki pki20 --contracts vehicle --loops 3 \
    > ev-pnc.log 2>&1 || fail "pnc ev iso20-pnc-dc --contracts"
grep -q "contract $(echo "$emaid" | tr -d '-' | cut -c1-14).* from vehicle" ev-pnc.log || fail "the kept contract was not used"
grep -q "AuthorizationRes  OK/Finished" ev-pnc.log || fail "Plug & Charge was not authorized"
grep -q "summary: completed, .* Plug & Charge with contract" ev-pnc.log || fail "the -20 session did not complete by Plug & Charge"
echo "ISO 15118-20 Plug & Charge with the kept contract through the CSMS: completed"

ended=$(ended_transactions "$http_port" OPNC-ISO20-1 2) || fail "the CSMS did not store both transactions"
echo "CSMS: $ended -20 transactions stored and ended for OPNC-ISO20-1"
[ "$(grep -c "plug and charge authorization accepted" csms.log)" -ge 2 ] || fail "the CSMS logged fewer than two Plug & Charge authorizations"
grep -q '"pnc.certificate_status":"Accepted"\|pnc.certificate_status=Accepted' csms.log || fail "the CSMS did not check the -20 contract certificate"
# the same listening socket answers a TLS 1.2-only ISO 15118-2 vehicle with the secp256r1 chain (profile chosen from
# the ClientHello); the vehicle verifies it to the -2 V2G root. The CSMS knows no EIM token of this vehicle, so the
# session ends at AuthorizationRes FAILED: what counts here is TLS 1.2 and the -2 messages up to there.
"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso2-eim-dc --pki pki2 --loops 3 > ev-iso2.log 2>&1 || true
grep -q "TCP + TLS handshake" ev-iso2.log || fail "the -2 vehicle got no TLS 1.2 session on the -20 station's socket"
grep -q "protocol iso2" ev-iso2.log || fail "the -2 session did not negotiate ISO 15118-2"
grep -q "SessionSetupRes  OK_NewSessionEstablished" ev-iso2.log || fail "the -2 session did not run over TLS"
grep -q "<- AuthorizationRes" ev-iso2.log || fail "the -2 session did not reach Authorization"
echo "ISO 15118-2 over TLS 1.2 on the same listening socket as ISO 15118-20: session set up"
for _ in $(seq 1 100); do kill -0 "$station_pid" 2>/dev/null || break; sleep 0.2; done
echo "iso20 csms chain complete"
