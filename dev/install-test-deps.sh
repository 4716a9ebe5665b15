#!/usr/bin/env bash
# Installs the peers the test suites use (Debian packages and PyPI only). Idempotent; quiet when all is there.
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v ip >/dev/null || need+=(iproute2)          # V2GTransport: SDP in network namespaces (dev/netns-sdp.sh)
command -v python3 >/dev/null || need+=(python3 python3-venv)  # V2GTransport: sdp_probe.py, Josev's EVCC
command -v java >/dev/null || need+=(openjdk-17-jre-headless)    # Josev's EXI codec (EXICodec.jar via py4j)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing: ${need[*]} (install them with apt-get)"
  fi
fi

# Josev (PyPI iso15118==0.31.2) and its ISO 15118-2 test PKI under .build/josev, for the V2GTransport interop test
# (dev/josev-evcc-transport.sh); uses the harness in ../shared when it is there.
root=$(cd "$(dirname "$0")/.." && pwd)
harness="$root/../shared/interop/josev"
if [ -d "$harness" ] && command -v java >/dev/null && command -v python3 >/dev/null; then
  export JOSEV_HOME="$root/.build/josev"
  [ -x "$JOSEV_HOME/venv/bin/python" ] || bash "$harness/install.sh" >/dev/null
  [ -f "$JOSEV_HOME/pki/iso15118_2/certs/cpoCertChain.pem" ] || bash "$harness/make_pki.sh" >/dev/null
fi
