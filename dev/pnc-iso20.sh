#!/usr/bin/env bash
# ISO 15118-20 between `pnc` processes on loopback: a `--profile iso15118-20` PKI (P-521), `pnc station --protocols iso20
# --auth pnc,eim --tls` (TLS 1.3, the vehicle's OEM chain required) and `pnc ev --scenario iso20-pnc-dc`
# (PnC_AReqAuthorizationMode signed with the contract key) then `iso20-dc` (EIM); then a vehicle without a contract
# installs one (`--install`: CertificateInstallationReq signed with the OEM provisioning key, answered by the station's
# hosted -20 provisioning with SignedInstallationData) and charges by Plug & Charge with it, and plugs in again with the
# contract it kept (`--contracts`). Exit status 0 when all four complete.
#
#   dev/pnc-iso20.sh            uses .build/debug/pnc (PNC=path to use another build); KEEP=1 keeps the work folder
set -euo pipefail

source "$(dirname "$0")/chain-lib.sh" pnc-iso20
sdp_port=$(free_port udp)
cd "$work"

"$pnc" pki init --out pki --profile iso15118-20 --insecure-no-password > pki.log 2>&1 || fail "pnc pki init --profile iso15118-20"
"$pnc" station --listen ::1 --sdp-port "$sdp_port" --protocols iso20 --auth pnc,eim --pki pki --tls --sessions 4 \
    > station.log 2>&1 &
station_pid=$!
pids+=("$station_pid")
wait_for station.log "SDP on" 30

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso20-pnc-dc --pki pki --loops 3 > ev-pnc.log 2>&1 || fail "pnc ev iso20-pnc-dc"
grep -q "(TLS)" ev-pnc.log || fail "the -20 session did not run over TLS"
grep -q "AuthorizationRes  OK/Finished" ev-pnc.log || fail "Plug & Charge was not authorized"
grep -q "summary: completed, .* Plug & Charge with contract" ev-pnc.log || fail "the -20 session did not complete by Plug & Charge"
echo "ISO 15118-20 DC Plug & Charge over TLS 1.3: completed"

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso20-dc --pki pki --loops 3 > ev-eim.log 2>&1 || fail "pnc ev iso20-dc"
grep -q "summary: completed, .* EIM" ev-eim.log || fail "the -20 EIM session did not complete"
echo "ISO 15118-20 DC EIM over TLS 1.3: completed"

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso20-pnc-dc --pki pki --install --contracts contracts --loops 3 \
    > ev-install.log 2>&1 || fail "pnc ev iso20-pnc-dc --install"
grep -q "CertificateInstallationRes  OK/Finished" ev-install.log || fail "no contract was delivered"
grep -q "installed contract DEPNC" ev-install.log || fail "the vehicle did not keep the installed contract"
grep -q "summary: completed, .* Plug & Charge with contract DEPNC" ev-install.log || fail "the installed contract did not authorize"
echo "ISO 15118-20 CertificateInstallation then Plug & Charge over TLS 1.3: completed"

"$pnc" ev --to ::1 --sdp-port "$sdp_port" --scenario iso20-pnc-dc --pki pki --contracts contracts --loops 3 \
    > ev-installed.log 2>&1 || fail "pnc ev iso20-pnc-dc --contracts"
grep -q "^contract DEPNC.* from contracts" ev-installed.log || fail "the kept contract was not used"
grep -q "summary: completed, .* Plug & Charge with contract DEPNC" ev-installed.log || fail "the kept contract did not authorize"
echo "ISO 15118-20 Plug & Charge with the installed contract: completed"

for _ in $(seq 1 100); do kill -0 "$station_pid" 2>/dev/null || break; sleep 0.2; done
[ "$(grep -c "ended: session ended: sessionStopped" station.log)" = 4 ] || fail "the station did not end all sessions at SessionStop"
echo "station: 4 sessions ended at SessionStop"
