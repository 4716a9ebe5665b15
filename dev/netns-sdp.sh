#!/usr/bin/env bash
# SDP over IPv6 link-local multicast between two network namespaces (ISO 15118-2 §7.10.1, [V2G2-139]).
# Creates namespaces pnc_sdp_secc_<pid> / pnc_sdp_evcc_<pid> joined by a veth pair created inside them (the host's own
# interfaces and addresses are never touched), runs `pnc sdp serve --interface` in one and, in the other,
# Josev's harness probe (../shared/interop/josev/sdp_probe.py, when present) and `pnc sdp probe --connect`,
# checks that both find the SECC's link-local address and port, then removes the namespaces.
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

work=$(mktemp -d); server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  ip netns del "$NS_SECC" 2>/dev/null || true
  ip netns del "$NS_EVCC" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cleanup_ns() { ip netns del "$NS_SECC" 2>/dev/null || true; ip netns del "$NS_EVCC" 2>/dev/null || true; }
cleanup_ns
ip netns add "$NS_SECC"; ip netns add "$NS_EVCC"
ip -n "$NS_SECC" link add "$IF_SECC" type veth peer name "$IF_EVCC" netns "$NS_EVCC"
for p in "$NS_SECC:$IF_SECC" "$NS_EVCC:$IF_EVCC"; do
  ns=${p%%:*}; ifc=${p#*:}
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.accept_dad=0"
  ip -n "$ns" link set "$ifc" up
done
lladdr() { ip -n "$1" -6 addr show dev "$2" scope link | awk '/inet6/ { sub(/\/.*/, "", $2); print $2; exit }'; }
for _ in $(seq 50); do [ -n "$(lladdr "$NS_SECC" "$IF_SECC")" ] && [ -n "$(lladdr "$NS_EVCC" "$IF_EVCC")" ] && break; sleep 0.1; done
secc_addr=$(lladdr "$NS_SECC" "$IF_SECC")
[ -n "$secc_addr" ] || { echo "FAIL: no link-local address on $IF_SECC"; exit 1; }
echo "SECC $IF_SECC $secc_addr"

ip netns exec "$NS_SECC" "$pnc" sdp serve --interface "$IF_SECC" --tcp --log-level debug > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "SDP server on" "$work/serve.log" && break; sleep 0.1; done
grep -q "SDP server on" "$work/serve.log" || { echo "FAIL: SDP server did not start"; cat "$work/serve.log"; exit 1; }
port=$(awk '/V2G TCP server on/ { n = split($5, a, ":"); print a[n] }' "$work/serve.log")
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
echo "$got" | head -1 | grep -qx "$secc_addr $port TCP" || { echo "FAIL: pnc sdp probe answer"; fail=1; }
echo "$got" | grep -q "^connected to .*: TCP" || { echo "FAIL: TCP connection over the link-local address"; fail=1; }
for _ in $(seq 20); do grep -q "connection from" "$work/serve.log" && break; sleep 0.1; done
grep -q "connection from" "$work/serve.log" || { echo "FAIL: the SECC saw no connection"; fail=1; }
[ "$fail" = 0 ] && echo "PASS netns SDP" || { echo "--- serve.log"; cat "$work/serve.log"; }
exit "$fail"
