#!/usr/bin/env bash
# SDP over IPv6 link-local multicast between two network namespaces (ISO 15118-2 §7.10.1, [V2G2-139]).
# Creates namespaces pnc_sdp_secc_<pid> / pnc_sdp_evcc_<pid> joined by a veth pair created inside them (the host's own
# interfaces and addresses are never touched), runs `pnc sdp serve --interface` in one and, in the other,
# Josev's harness probe (../shared/interop/josev/sdp_probe.py, when present) and `pnc sdp probe --connect`,
# checks that both find the SECC's link-local address and port; then, with openssl present, makes a P-256 chain
# root -> Sub-CA 1 -> Sub-CA 2 -> leaf (key encrypted like Josev's, password 12345) and checks the ISO 15118-2 TLS
# session over the link-local address with `pnc sdp probe --v2g-root` and `openssl s_client` (as Josev's EVCC:
# -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256 -CAfile root). Finally removes the namespaces.
# Usage (root): dev/netns-sdp.sh [path/to/pnc]      Exit status 0 = all checks passed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pnc=${1:-$root/.build/debug/pnc}
probe=${SDP_PROBE:-$root/../shared/interop/josev/sdp_probe.py}
NS_SECC=${NS_SECC:-pnc_sdp_secc_$$}; NS_EVCC=${NS_EVCC:-pnc_sdp_evcc_$$}   # per run: parallel runs never collide
IF_SECC=${IF_SECC:-pnc-secc}; IF_EVCC=${IF_EVCC:-pnc-evcc}

[ "$(id -u)" = 0 ] || { echo "SKIPPED-PEER netns: needs root (network namespaces)"; exit 77; }
command -v ip >/dev/null || { echo "SKIPPED-PEER netns: needs iproute2 (apt-get install iproute2)"; exit 77; }
[ -x "$pnc" ] || { echo "no pnc binary at $pnc (swift build --product pnc)"; exit 2; }

source "$root/dev/netns-lib.sh"
work=$(mktemp -d); server=""
: > "$work/serve.log"
cleanup() {
  [ -n "$server" ] && stop_group "$server"
  netns_down "$NS_SECC" "$NS_EVCC"
  rm -rf "$work"
}
trap cleanup EXIT
netns_up "$NS_SECC" "$IF_SECC" "$NS_EVCC" "$IF_EVCC"
secc_addr=$(lladdr "$NS_SECC" "$IF_SECC")
# a second link between the namespaces: SDP requests arriving there must not be answered
ip -n "$NS_SECC" link add "$IF_SECC-2" type veth peer name "$IF_EVCC-2" netns "$NS_EVCC"
for p in "$NS_SECC:$IF_SECC-2" "$NS_EVCC:$IF_EVCC-2"; do
  ip netns exec "${p%%:*}" sysctl -qw "net.ipv6.conf.${p#*:}.accept_dad=0"; ip -n "${p%%:*}" link set "${p#*:}" up
done
for _ in $(seq 50); do [ -n "$(lladdr "$NS_EVCC" "$IF_EVCC-2")" ] && break; sleep 0.1; done
echo "SECC $IF_SECC $secc_addr"

tls_args=()
if command -v openssl >/dev/null; then
  pki="$work/pki"; mkdir -p "$pki"
  ca() {  # name subject issuer extensions
    openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key"
    openssl req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null
    if [ "$3" = self ]; then
      openssl x509 -req -in "$pki/$1.csr" -signkey "$pki/$1.key" -days 2 -sha256 -extfile <(printf '%b' "$4") \
        -out "$pki/$1.pem" 2>/dev/null
    else
      openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.pem" -CAkey "$pki/$3.key" -CAcreateserial -days 2 -sha256 \
        -extfile <(printf '%b' "$4") -out "$pki/$1.pem" 2>/dev/null
    fi
  }
  ca root "/CN=V2GRootCA/O=OpenPnC Test/C=DE/DC=V2G" self \
    "basicConstraints=critical,CA:true,pathlen:2\nkeyUsage=critical,keyCertSign,cRLSign"
  ca sub1 "/CN=CPOSubCA1/O=OpenPnC Test/C=DE/DC=V2G" root \
    "basicConstraints=critical,CA:true,pathlen:1\nkeyUsage=critical,keyCertSign,cRLSign"
  ca sub2 "/CN=CPOSubCA2/O=OpenPnC Test/C=DE/DC=V2G" sub1 \
    "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign"
  ca leaf "/CN=SECCCert/O=OpenPnC Test/C=DE/DC=CPO" sub2 \
    "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature,keyAgreement"
  cat "$pki/leaf.pem" "$pki/sub2.pem" "$pki/sub1.pem" > "$pki/cpoCertChain.pem"
  openssl ec -in "$pki/leaf.key" -aes128 -passout pass:12345 -out "$pki/seccLeaf.key" 2>/dev/null
  tls_args=(--tls-chain "$pki/cpoCertChain.pem" --tls-key "$pki/seccLeaf.key" --tls-key-password 12345)
else
  echo "SKIPPED-PEER openssl: TLS over link-local not checked (apt-get install openssl)"
fi

setsid ip netns exec "$NS_SECC" "$pnc" sdp serve --interface "$IF_SECC" --tcp "${tls_args[@]}" --log-level debug \
  > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "SDP server on" "$work/serve.log" && break; sleep 0.1; done
grep -q "SDP server on" "$work/serve.log" || { echo "FAIL: SDP server did not start"; cat "$work/serve.log"; exit 1; }
port=$(awk '/V2G TCP server on/ { n = split($5, a, ":"); print a[n] }' "$work/serve.log")
[ -n "$port" ] || { echo "FAIL: no TCP server port"; cat "$work/serve.log"; exit 1; }
echo "SECC V2G TCP server port $port"

fail=0
if [ -f "$probe" ] && command -v python3 >/dev/null; then
  got=$(ip netns exec "$NS_EVCC" timeout 20 python3 "$probe" "$IF_EVCC" tcp || true)
  echo "sdp_probe.py: $got"
  [ "$got" = "$secc_addr $port TCP" ] || { echo "FAIL: sdp_probe.py expected '$secc_addr $port TCP'"; fail=1; }
else
  echo "SKIPPED-PEER sdp_probe.py: not found at $probe (needs ../shared and python3)"
fi
got=$(ip netns exec "$NS_EVCC" timeout 30 "$pnc" sdp probe --interface "$IF_EVCC" --security tcp --connect || true)
echo "pnc sdp probe: $(echo "$got" | tr '\n' ' ')"
grep -qx "$secc_addr $port TCP" <<<"${got%%$'\n'*}" || { echo "FAIL: pnc sdp probe answer"; fail=1; }
grep -q "^connected to .*: TCP" <<<"$got" || { echo "FAIL: TCP connection over the link-local address"; fail=1; }
for _ in $(seq 20); do grep -q "connection from" "$work/serve.log" && break; sleep 0.1; done
grep -q "connection from" "$work/serve.log" || { echo "FAIL: the SECC saw no connection"; fail=1; }
if [ ${#tls_args[@]} -gt 0 ]; then
  tls_port=$(awk '/V2G TLS server on/ { n = split($5, a, ":"); print a[n] }' "$work/serve.log")
  got=$(ip netns exec "$NS_EVCC" timeout 30 "$pnc" sdp probe --interface "$IF_EVCC" --v2g-root "$pki/root.pem" || true)
  echo "pnc sdp probe --v2g-root: $(echo "$got" | tr '\n' ' ')"
  grep -qx "$secc_addr $tls_port TLS" <<<"${got%%$'\n'*}" || { echo "FAIL: TLS answer"; fail=1; }
  if [ -f "$probe" ] && command -v python3 >/dev/null; then
    josev=$(ip netns exec "$NS_EVCC" timeout 20 python3 "$probe" "$IF_EVCC" tls || true)
    echo "sdp_probe.py tls: $josev"
    [ "$josev" = "$secc_addr $tls_port TLS" ] || { echo "FAIL: sdp_probe.py tls"; fail=1; }
  fi
  grep -q "^connected to .*: tlsv12" <<<"$got" || { echo "FAIL: TLS 1.2 session over link-local"; fail=1; }
  got=$(ip netns exec "$NS_EVCC" timeout 20 openssl s_client -connect "[$secc_addr%$IF_EVCC]:$tls_port" -tls1_2 \
    -cipher ECDHE-ECDSA-AES128-SHA256 -CAfile "$pki/root.pem" -verify_return_error -brief < /dev/null 2>&1 || true)
  echo "openssl s_client: $(echo "$got" | grep -E "Protocol version|Ciphersuite|Verification" | tr '\n' ' ')"
  grep -q "Ciphersuite: ECDHE-ECDSA-AES128-SHA256" <<<"$got" && grep -q "Verification: OK" <<<"$got" \
    || { echo "FAIL: openssl s_client over link-local"; echo "$got"; fail=1; }
fi
got=$(ip netns exec "$NS_EVCC" timeout 20 "$pnc" sdp probe --interface "$IF_EVCC-2" --security tcp --requests 4 || true)
echo "pnc sdp probe on the other link: $got"
grep -q "^no answer" <<<"$got" || { echo "FAIL: answered on another interface"; fail=1; }
grep -q "arrived on another interface" "$work/serve.log" || { echo "FAIL: no log for the other interface"; fail=1; }
[ "$fail" = 0 ] && echo "PASS netns SDP" || { echo "--- serve.log"; cat "$work/serve.log"; }
exit "$fail"
