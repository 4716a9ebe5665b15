#!/usr/bin/env bash
# ISO 15118-2 Plug & Charge DC over TLS against Josev (iso15118 0.31.2) in two network namespaces, both directions,
# with one PKI: `pnc pki init --layout josev` writes OpenPnC's layout and Josev's PKI_PATH layout (josev/) side by side.
# 1. Josev's EVCC (scenario iso2_pnc_dc: TLS enforced, contractLeafCert + moSubCA2/1, AuthorizationReq signed with
#    contractLeaf.key) -> `pnc station --auth pnc,eim --tls --pki DIR` (contract chain checked to the PKI's MO root,
#    signature checked, MeteringReceipt asked for); passes when our SECC reports "ended: SessionStop" after a
#    PaymentDetails/Authorization exchange. Then once more with isCertInstallNeeded: CertificateInstallation first.
# 2. `pnc ev --scenario iso2-pnc-dc --pki DIR` -> Josev's SECC (PROTOCOLS=ISO_15118_2, AUTH_MODES=PNC, its TLS chain
#    under our V2G root, our contract chain checked against our MO root, its simulated backend accepting every eMAID).
#    Josev's simulated EVSE reports a constant 1 V in PreChargeRes; the EV is therefore started with
#    --precharge-tolerance so that it goes on to PowerDelivery, the charge loop and SessionStop (noted in the output).
# Needs root, iproute2, Java and Josev in .build/josev (dev/install-test-deps.sh).
# Usage (root): dev/josev-iso2-pnc.sh [pnc] [both|secc|ev]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pnc=${1:-$root/.build/debug/pnc}
which=${2:-both}
harness=${JOSEV_HARNESS:-$root/../shared/interop/josev}
export JOSEV_HOME=${JOSEV_HOME:-$root/.build/josev}
NS_SECC=pnc_jp_secc_$$; NS_EVCC=pnc_jp_evcc_$$; IF_SECC=pnc-jp-secc; IF_EVCC=pnc-jp-evcc

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
  [ -n "${KEEP_LOGS:-}" ] && echo "logs in $work" || rm -rf "$work"
}
trap cleanup EXIT

# One PKI for both implementations (Josev reads encrypted keys and its *Password.txt files).
password=12345
PNC_PKI_PASSWORD=$password "$pnc" pki init --out "$work/pki" --layout josev > "$work/pki.log"
export PKI_PATH=$work/pki/josev/
emaid=$(openssl x509 -in "$PKI_PATH/iso15118_2/certs/contractLeafCert.pem" -noout -subject -nameopt multiline \
  | awk '/commonName/ { print $3 }')
echo "PKI: $work/pki (OpenPnC) and $PKI_PATH (Josev), contract eMAID $emaid"
netns_up "$NS_SECC" "$IF_SECC" "$NS_EVCC" "$IF_EVCC"
fail=0

# Josev's EVCC against our SECC with a config: <config> <label> [grep pattern the station log must show]
josev_evcc() {
  local config=$1 label=$2 extra=${3:-}
  setsid ip netns exec "$NS_SECC" "$pnc" station --interface "$IF_SECC" --evse dc --auth pnc,eim --tls \
    --pki "$work/pki" --pki-password "$password" --sessions 1 > "$work/station-$label.log" 2>&1 &
  station=$!
  for _ in $(seq 100); do grep -q "^SECC " "$work/station-$label.log" && break; sleep 0.1; done
  setsid ip netns exec "$NS_EVCC" bash "$harness/run_evcc.sh" "$IF_EVCC" "$config" 150 > "$work/evcc-$label.log" 2>&1 &
  evcc=$!
  for _ in $(seq 1500); do
    grep -q "summary:" "$work/station-$label.log" && break; kill -0 "$evcc" 2>/dev/null || break; sleep 0.1
  done
  sed 's/^/pnc station: /' "$work/station-$label.log"
  if grep -q "ended: SessionStop" "$work/station-$label.log" && grep -q "PaymentDetailsRes  OK" "$work/station-$label.log" \
    && grep -q "AuthorizationRes  OK/Finished" "$work/station-$label.log" \
    && { [ -z "$extra" ] || grep -q "$extra" "$work/station-$label.log"; } \
    && ! grep -q "Can't decrypt\|Can't read private key" "$work/evcc-$label.log" \
    && { [ -z "$extra" ] || grep -q "Signature verified successfully" "$work/evcc-$label.log"; }; then
    echo "PASS Josev EVCC $label -> pnc station"
  else
    echo "FAIL Josev EVCC $label -> pnc station"; echo "--- evcc.log (tail)"; tail -60 "$work/evcc-$label.log"; fail=1
  fi
  stop_group "$evcc"; evcc=""; stop_group "$station"; station=""
}

if [ "$which" != ev ]; then
  # 1. Josev's EVCC with PnC against our SECC: its contract (our PKI's leaf/contract in Josev's layout)
  josev_evcc iso2_pnc_dc iso2_pnc_dc
  # 1b. the same, with isCertInstallNeeded: CertificateInstallationReq signed with its OEM provisioning key (our
  #     PKI's oem-prov leaf) -> our SECC -> the station's contract provisioning (CPS-signed, key encrypted for the OEM
  #     key); Josev verifies the CPS signature and decrypts the key, then (its simulated EV stores nothing) goes on
  #     with the contract on disk.
  sed 's/"isCertInstallNeeded": false/"isCertInstallNeeded": true/' "$harness/configs/evcc_iso2_pnc_dc.json" \
    > "$work/evcc_iso2_pnc_install_dc.json"
  josev_evcc "$work/evcc_iso2_pnc_install_dc.json" iso2_pnc_install_dc "CertificateInstallationRes  OK"
fi

if [ "$which" != secc ]; then
  # 2. our EVCC with PnC against Josev's SECC
  PROTOCOLS=ISO_15118_2 AUTH_MODES=PNC setsid ip netns exec "$NS_SECC" bash "$harness/run_secc.sh" "$IF_SECC" 240 \
    > "$work/secc.log" 2>&1 &
  secc=$!
  for _ in $(seq 600); do grep -q "UDP server socket ready" "$work/secc.log" && break; sleep 0.1; done
  echo "NOTE Josev's simulated EVSE answers PreChargeRes with a constant EVSEPresentVoltage of 1 V: pnc ev runs with --precharge-tolerance ${PRECHARGE_TOLERANCE:-400}"
  set +e
  ip netns exec "$NS_EVCC" timeout 200 "$pnc" ev --interface "$IF_EVCC" --scenario iso2-pnc-dc --pki "$work/pki" \
    --pki-password "$password" --loops 3 --precharge-tolerance "${PRECHARGE_TOLERANCE:-400}" \
    --response-window-floor "${RESPONSE_WINDOW_FLOOR:-3000}" > "$work/ev.log" 2>&1
  status=$?
  set -e
  sed 's/^/pnc ev: /' "$work/ev.log"
  if [ "$status" = 0 ] && grep -q "PaymentDetailsRes" "$work/ev.log" && grep -q "SessionStopRes" "$work/ev.log"; then
    echo "PASS pnc ev iso2-pnc-dc -> Josev SECC"
  else
    echo "FAIL pnc ev iso2-pnc-dc -> Josev SECC (exit $status)"; echo "--- secc.log (tail)"; tail -80 "$work/secc.log"; fail=1
  fi
fi
exit $fail
