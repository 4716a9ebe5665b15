#!/usr/bin/env bash
# Josev's EVCC (iso15118 0.31.2, scenario iso2_pnc_dc) with a contract held by our eMSP charges by ISO 15118-2 Plug &
# Charge (DC, TLS) at our station, which talks OCPP 2.0.1 to our CSMS. Two network namespaces; in the station's one:
#   pnc pki ocsp-serve (the PKI's OCSP URL points at it) → pnc csms --pki --emsp (REST API on --http) →
#   pnc station --csms ws://127.0.0.1:PORT/ocpp --auth pnc,eim --tls (no --pki: its SECC certificate is signed by the
#   CSMS through SignCertificate, the MO root is installed by it).
# The PKI of `pnc pki init --layout josev` gives Josev its contract (leaf/contract in Josev's layout); that contract is
# registered with the eMSP by `pnc emsp contract import` (eMAID from its CN, chain validated to the MO root).
# Passes when our SECC reports PaymentDetails and Authorization OK and "ended: SessionStop", the CSMS logged
# "plug and charge authorization accepted" for the eMAID (certificate status Accepted: chain and OCSP checked) and
# stored the transaction as ended (REST API). Then the eMSP cancels the contract (`pnc emsp contract cancel`, which
# revokes its certificate) and Josev's EVCC plugs in again: the CSMS refuses the eMAID and our SECC answers
# AuthorizationRes FAILED.
# Needs root, iproute2, python3, Java and Josev in .build/josev (dev/install-test-deps.sh).
# Usage (root): dev/josev-iso2-pnc-csms.sh [pnc]      KEEP_LOGS=1 keeps the work folder
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pnc=${1:-$root/.build/debug/pnc}
harness=${JOSEV_HARNESS:-$root/../shared/interop/josev}
export JOSEV_HOME=${JOSEV_HOME:-$root/.build/josev}
NS_SECC=pnc_jc_secc_$$; NS_EVCC=pnc_jc_evcc_$$; IF_SECC=pnc-jc-secc; IF_EVCC=pnc-jc-evcc
OCSP_PORT=8888; CSMS_PORT=9000; HTTP_PORT=9080; STATION_ID=OPNC-JOSEV-1; PCID=WMIOPNPC000000001

[ "$(id -u)" = 0 ] || { echo "SKIPPED-PEER josev: needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "SKIPPED-PEER josev: needs iproute2 (apt-get install iproute2)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIPPED-PEER josev: needs python3"; exit 77; }
[ -x "$JOSEV_HOME/venv/bin/python" ] && [ -d "$harness" ] || {
  echo "SKIPPED-PEER josev: needs ../shared and Josev (JOSEV_HOME=$JOSEV_HOME $harness/install.sh)"; exit 77; }
[ -x "$pnc" ] || { echo "no pnc binary at $pnc (swift build --product pnc)"; exit 2; }

source "$root/dev/netns-lib.sh"
work=$(mktemp -d); ocsp=""; csms=""; station=""; evcc=""
cleanup() {
  for pid in $evcc $station $csms $ocsp; do stop_group "$pid"; done
  netns_down "$NS_SECC" "$NS_EVCC"
  [ -n "${KEEP_LOGS:-}" ] && echo "logs in $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL Josev EVCC -> pnc station -> pnc csms: $*"
  for log in "$work"/*.log; do echo "--- $(basename "$log") (tail)"; tail -n 40 "$log"; done
  exit 1
}
wait_for() {  # FILE PATTERN TENTHS
  for _ in $(seq "$3"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  fail "no '$2' in $(basename "$1")"
}

# One PKI for both implementations (Josev reads encrypted keys and its *Password.txt files); its AIA names the OCSP
# responder that runs in the station's namespace.
export PNC_PKI_PASSWORD=12345
"$pnc" pki init --out "$work/pki" --layout josev --pcid "$PCID" --ocsp-url "http://127.0.0.1:$OCSP_PORT/ocsp" \
  > "$work/pki.log" 2>&1 || fail "pnc pki init"
export PKI_PATH=$work/pki/josev/
cmp -s <(openssl x509 -in "$PKI_PATH/iso15118_2/certs/contractLeafCert.pem" -outform DER) \
  <(openssl x509 -in "$work/pki/leaf/contract/cert.pem" -outform DER) || fail "Josev's contract is not leaf/contract"

# The eMSP holds Josev's contract.
"$pnc" emsp contract import --pcid "$PCID" --chain "$work/pki/leaf/contract/chain.pem" --pki "$work/pki" \
  --customer josev --database "$work/emsp.sqlite" > "$work/emsp.log" 2>&1 || fail "pnc emsp contract import"
emaid=$("$pnc" emsp contract list --database "$work/emsp.sqlite" | awk -F'\t' 'NR == 1 { print $1 }')
[ -n "$emaid" ] || fail "the eMSP lists no contract"
echo "eMSP: $(cat "$work/emsp.log")"

netns_up "$NS_SECC" "$IF_SECC" "$NS_EVCC" "$IF_EVCC"

setsid ip netns exec "$NS_SECC" "$pnc" pki ocsp-serve --port "$OCSP_PORT" --ca "$work/pki/ca/mo-root" --ca "$work/pki/ca/mo-sub1" \
  --ca "$work/pki/ca/mo-sub2" > "$work/ocsp.log" 2>&1 &
ocsp=$!
wait_for "$work/ocsp.log" "listening on" 200

setsid ip netns exec "$NS_SECC" "$pnc" csms --listen "127.0.0.1:$CSMS_PORT" --http "127.0.0.1:$HTTP_PORT" --database "$work/csms.sqlite" \
  --security-profile 0 --pki "$work/pki" --emsp "$work/emsp.sqlite" --log-level info > "$work/csms.log" 2>&1 &
csms=$!
wait_for "$work/csms.log" '"event":"listening"' 300
echo "CSMS: ws://127.0.0.1:$CSMS_PORT/ocpp in $NS_SECC, OCSP responder on 127.0.0.1:$OCSP_PORT"

setsid ip netns exec "$NS_SECC" "$pnc" station --interface "$IF_SECC" --csms "ws://127.0.0.1:$CSMS_PORT/ocpp" --station-id "$STATION_ID" \
  --data "$work/station" --auth pnc,eim --tls --evse dc --sessions 2 --log-level info > "$work/station.log" 2>&1 &
station=$!
wait_for "$work/station.log" "SDP on" 600
grep -q "BootNotification Accepted" "$work/station.log" || fail "the station did not boot at the CSMS"
echo "station: booted, SECC certificate signed by the CSMS, MO root installed by it"

# Josev's EVCC for one session: LOG SESSIONS (the number of session summaries the station must show afterwards)
plug_in() {
  setsid ip netns exec "$NS_EVCC" bash "$harness/run_evcc.sh" "$IF_EVCC" iso2_pnc_dc 150 > "$work/$1" 2>&1 &
  evcc=$!
  for _ in $(seq 1500); do
    [ "$(grep -c "summary:" "$work/station.log")" -ge "$2" ] && break; kill -0 "$evcc" 2>/dev/null || break; sleep 0.1
  done
  stop_group "$evcc"; evcc=""
}
plug_in evcc.log 1
sed -n '/SDP on/,/summary:/p' "$work/station.log" | grep -v '^{' | sed 's/^/pnc station: /'
grep -q "PaymentDetailsRes  OK" "$work/station.log" || fail "no PaymentDetailsRes OK"
grep -q "AuthorizationRes  OK/Finished" "$work/station.log" || fail "no AuthorizationRes OK/Finished"
grep -q "ended: SessionStop" "$work/station.log" || fail "the session did not end with SessionStop"
grep "plug and charge authorization accepted" "$work/csms.log" | grep -c "$emaid" >/dev/null \
  || fail "the CSMS logged no accepted Plug & Charge authorization for $emaid"
grep "plug and charge authorization accepted" "$work/csms.log" | grep -Ec 'pnc\.certificate_status"?[=:]"?Accepted' >/dev/null \
  || fail "the CSMS accepted $emaid without checking its certificate"
echo "CSMS: plug and charge authorization accepted for $emaid (certificate checked)"

# The station sends TransactionEvent Ended after the session; the CSMS stores it.
ip netns exec "$NS_SECC" python3 - "$HTTP_PORT" "$STATION_ID" <<'PY' || fail "the CSMS did not store the ended transaction"
import json, sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/api/v1/transactions?station={sys.argv[2]}"
items = []
for _ in range(100):
    items = json.load(urllib.request.urlopen(url, timeout=5))
    items = items.get("items", items) if isinstance(items, dict) else items
    ended = [t for t in items if t.get("endedAt") or t.get("stoppedReason") or t.get("stopReason")]
    if ended:
        print(f"CSMS: {len(ended)} transaction stored and ended for {sys.argv[2]}: {json.dumps(ended[0])[:300]}")
        sys.exit(0)
    time.sleep(0.2)
print(f"CSMS transactions: {items}")
sys.exit(1)
PY
echo "PASS Josev EVCC (contract from our eMSP) -> pnc station -> pnc csms: Plug & Charge to SessionStop"

# The eMSP cancels the contract (its certificate is revoked at MO Sub-CA 2); the same vehicle is refused.
"$pnc" emsp contract cancel --emaid "$emaid" --pki "$work/pki" --database "$work/emsp.sqlite" > "$work/cancel.log" 2>&1 \
  || fail "pnc emsp contract cancel"
echo "eMSP: $(cat "$work/cancel.log")"
plug_in evcc-cancelled.log 2
sed -n '/summary:/,$p' "$work/station.log" | sed 1d | grep -v '^{' | sed 's/^/pnc station (cancelled): /'
grep "plug and charge authorization refused" "$work/csms.log" | grep "$emaid" | grep -Ec 'ContractCancelled|CertificateRevoked' >/dev/null \
  || fail "the CSMS did not refuse the cancelled contract $emaid"
grep -q "AuthorizationRes  FAILED" "$work/station.log" || fail "no AuthorizationRes FAILED for the cancelled contract"
reason=$(grep "plug and charge authorization refused" "$work/csms.log" | grep -o 'pnc\.certificate_status"\?[=:]"\?[A-Za-z]*' | tail -n 1)
echo "CSMS: plug and charge authorization refused for $emaid ($reason)"
stopped=$(grep "Reason: " "$work/evcc-cancelled.log" | tail -n 1 | sed 's/.*Reason: //' || true)
echo "Josev EVCC stops: ${stopped:-(no stop reason logged)}"
echo "PASS Josev EVCC with the cancelled contract refused (AuthorizationRes FAILED)"
