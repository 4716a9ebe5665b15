#!/usr/bin/env bash
# Our transport against Josev (iso15118 0.31.2) in two network namespaces, both directions:
# 1. Josev's EVCC (scenario iso2_pnc_dc: TLS enforced) -> `pnc sdp serve`: SDP on ff02::1, ISO 15118-2 TLS (TLS 1.2,
#    ECDHE-ECDSA-AES128-SHA256, SECC chain from Josev's PKI checked by Josev against its V2G root), then V2GTP
#    framing of Josev's first message (SupportedAppProtocolReq, 0x8001). `pnc sdp serve` answers no V2G message
#    (the SECC state machines live elsewhere), so Josev times out after that: the check ends at the first frame.
# 2. `pnc sdp probe` -> Josev's SECC: SDP requiring TLS, TLS 1.2 with the chain checked against Josev's
#    v2gRootCACert.pem, a SupportedAppProtocolReq (ISO 15118-2, SchemaID 1) sent as a frame and Josev's
#    SupportedAppProtocolRes received.
# Needs root, iproute2, Java and Josev in a venv: JOSEV_HOME=.build/josev ../shared/interop/josev/install.sh
# then make_pki.sh (dev/install-test-deps.sh does both).  Usage (root): dev/josev-evcc-transport.sh [pnc]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pnc=${1:-$root/.build/debug/pnc}
harness=${JOSEV_HARNESS:-$root/../shared/interop/josev}
export JOSEV_HOME=${JOSEV_HOME:-$root/.build/josev}
export PKI_PATH=${PKI_PATH:-$JOSEV_HOME/pki/}
NS_SECC=pnc_jv_secc_$$; NS_EVCC=pnc_jv_evcc_$$; IF_SECC=pnc-secc; IF_EVCC=pnc-evcc
SAP_REQ=8000ebab9371d34b9b79d189a98989c1d191d191818999d26b9b3a232b30020000040040   # ISO 15118-2 only, SchemaID 1

[ "$(id -u)" = 0 ] || { echo "SKIPPED-PEER josev: needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "SKIPPED-PEER josev: needs iproute2 (apt-get install iproute2)"; exit 77; }
[ -x "$JOSEV_HOME/venv/bin/python" ] && [ -d "$harness" ] || {
  echo "SKIPPED-PEER josev: needs ../shared and Josev (JOSEV_HOME=$JOSEV_HOME $harness/install.sh)"; exit 77; }
certs="$PKI_PATH/iso15118_2/certs"; keys="$PKI_PATH/iso15118_2/private_keys"
[ -f "$certs/cpoCertChain.pem" ] || { echo "SKIPPED-PEER josev: no PKI (JOSEV_HOME=$JOSEV_HOME $harness/make_pki.sh)"; exit 77; }
[ -x "$pnc" ] || { echo "no pnc binary at $pnc (swift build --product pnc)"; exit 2; }

source "$root/dev/netns-lib.sh"
work=$(mktemp -d); server=""; evcc=""; secc=""
: > "$work/serve.log"; : > "$work/evcc.log"; : > "$work/secc.log"
cleanup() {
  for pid in $evcc $server $secc; do stop_group "$pid"; done
  netns_down "$NS_SECC" "$NS_EVCC"
  rm -rf "$work"
}
trap cleanup EXIT
netns_up "$NS_SECC" "$IF_SECC" "$NS_EVCC" "$IF_EVCC"

setsid ip netns exec "$NS_SECC" "$pnc" sdp serve --interface "$IF_SECC" --tls-chain "$certs/cpoCertChain.pem" \
  --tls-key "$keys/seccLeaf.key" --tls-key-password "$(cat "$keys/seccLeafPassword.txt")" --log-level debug \
  > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "SDP server on" "$work/serve.log" && break; sleep 0.1; done
grep -q "SDP server on" "$work/serve.log" || { echo "FAIL: SDP server did not start"; cat "$work/serve.log"; exit 1; }

setsid ip netns exec "$NS_EVCC" bash "$harness/run_evcc.sh" "$IF_EVCC" iso2_pnc_dc 40 > "$work/evcc.log" 2>&1 &
evcc=$!
for _ in $(seq 400); do grep -q "^frame 0x8001" "$work/serve.log" && break; sleep 0.1; done

fail=0
grep -q "SDP response sent.*v2g.security=TLS\|v2g.security=TLS.*SDP response sent" "$work/serve.log" \
  || { echo "FAIL: no TLS SDP answer sent"; fail=1; }
grep -q "^connection from .*(tlsv12)" "$work/serve.log" || { echo "FAIL: no TLS 1.2 session"; fail=1; }
grep -q "^frame 0x8001 " "$work/serve.log" || { echo "FAIL: no SupportedAppProtocolReq frame"; fail=1; }
if grep -iq "ECDHE-ECDSA-AES128-SHA256" "$work/evcc.log"; then echo "Josev EVCC: cipher ECDHE-ECDSA-AES128-SHA256"; fi
grep -o "Connected in [0-9.]* ms" "$work/evcc.log" | sed 's/^/Josev EVCC -> pnc SECC: /' || true
{ grep -E "^(connection from|frame )" "$work/serve.log" || true; } | sed "s/^/pnc sdp serve: /"
if [ "$fail" = 0 ]; then echo "PASS Josev EVCC transport"; else
  echo "--- serve.log"; cat "$work/serve.log"; echo "--- evcc.log (tail)"; tail -40 "$work/evcc.log"; fi
stop_group "$evcc"; evcc=""; stop_group "$server"; server=""

# 2. our EVCC side against Josev's SECC
setsid ip netns exec "$NS_SECC" bash "$harness/run_secc.sh" "$IF_SECC" 120 > "$work/secc.log" 2>&1 &
secc=$!
for _ in $(seq 600); do grep -q "UDP server socket ready" "$work/secc.log" && break; sleep 0.1; done
got=$(ip netns exec "$NS_EVCC" timeout 60 "$pnc" sdp probe --interface "$IF_EVCC" --require-tls \
  --v2g-root "$certs/v2gRootCACert.pem" --send-exi "$SAP_REQ" --wait 30 2>&1 || true)
echo "$got" | sed 's/^/pnc sdp probe: /'
secc_fail=0
grep -q " TLS$" <<<"${got%%$'\n'*}" || { echo "FAIL: no TLS SDP answer from Josev's SECC"; secc_fail=1; }
grep -q "^connected to .*: tlsv12" <<<"$got" || { echo "FAIL: no TLS 1.2 session with Josev's SECC"; secc_fail=1; }
grep -q "^received 0x8001 8040" <<<"$got" || { echo "FAIL: no SupportedAppProtocolRes"; secc_fail=1; }
if [ "$secc_fail" = 0 ]; then echo "PASS Josev SECC transport"; else
  echo "--- secc.log (tail)"; tail -40 "$work/secc.log"; fail=1; fi

# 3. (MEASURE=1) Josev's EVCC against Josev's SECC, for the connect + TLS handshake time side by side with step 1
if [ "${MEASURE:-0}" = 1 ]; then
  stop_group "$secc"; secc=""
  : > "$work/secc3.log"; : > "$work/evcc3.log"
  setsid ip netns exec "$NS_SECC" bash "$harness/run_secc.sh" "$IF_SECC" 120 > "$work/secc3.log" 2>&1 &
  secc=$!
  for _ in $(seq 600); do grep -q "UDP server socket ready" "$work/secc3.log" && break; sleep 0.1; done
  setsid ip netns exec "$NS_EVCC" bash "$harness/run_evcc.sh" "$IF_EVCC" iso2_pnc_dc 40 > "$work/evcc3.log" 2>&1 &
  evcc=$!
  for _ in $(seq 400); do grep -q "Connected in" "$work/evcc3.log" && break; sleep 0.1; done
  grep -o "Connected in [0-9.]* ms" "$work/evcc3.log" | sed 's/^/Josev EVCC -> Josev SECC: /' || true
fi
exit "$fail"
