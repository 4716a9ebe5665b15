# Shared by dev/netns-sdp.sh, the dev/josev-*.sh scripts and dev/bench-v2g-josev.sh (source it). Two network
# namespaces joined by a veth pair that is created inside them, so the host's interfaces, addresses and routes are
# never touched. IPv6 link-local only, DAD off.
# netns_up NS_A IF_A NS_B IF_B    netns_down NS_A NS_B    lladdr NS IF  (prints the fe80:: address)
# josev_require PNC: the prerequisite checks of the scripts against Josev (below).
# stop_group PID: ends a process started with `setsid` and its whole group (TERM, then KILL after 3 s); Josev's
# EVCC, for one, does not exit on TERM after a failed session.
netns_down() { for ns in "$@"; do ip netns del "$ns" 2>/dev/null || true; done; }
lladdr() { ip -n "$1" -6 addr show dev "$2" scope link | awk '/inet6/ { sub(/\/.*/, "", $2); print $2; exit }'; }
netns_up() {
  local a=$1 ifa=$2 b=$3 ifb=$4
  netns_down "$a" "$b"
  ip netns add "$a"; ip netns add "$b"
  ip -n "$a" link add "$ifa" type veth peer name "$ifb" netns "$b"
  for p in "$a:$ifa" "$b:$ifb"; do
    local ns=${p%%:*} ifc=${p#*:}
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifc.accept_dad=0"
    ip -n "$ns" link set "$ifc" up
  done
  for _ in $(seq 50); do [ -n "$(lladdr "$a" "$ifa")" ] && [ -n "$(lladdr "$b" "$ifb")" ] && return 0; sleep 0.1; done
  echo "no link-local addresses on $ifa/$ifb"; return 1
}
stop_group() {
  local pid=$1
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for _ in $(seq 30); do kill -0 -- "-$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
# josev_require PNC: what a script against Josev needs before it starts: root, iproute2, Josev in $JOSEV_HOME and its
# harness in $harness (set by the caller), and the pnc binary PNC. Exits 77 with a SKIPPED-PEER line, or 2 when the
# binary is missing.
josev_require() {
  [ "$(id -u)" = 0 ] || { echo "SKIPPED-PEER josev: needs root (network namespaces)"; exit 77; }
  command -v ip >/dev/null || { echo "SKIPPED-PEER josev: needs iproute2 (apt-get install iproute2)"; exit 77; }
  [ -x "$JOSEV_HOME/venv/bin/python" ] && [ -d "$harness" ] || {
    echo "SKIPPED-PEER josev: needs ../shared and Josev (JOSEV_HOME=$JOSEV_HOME $harness/install.sh)"; exit 77; }
  [ -x "$1" ] || { echo "no pnc binary at $1 (swift build --product pnc)"; exit 2; }
}
