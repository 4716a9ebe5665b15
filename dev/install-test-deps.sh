#!/usr/bin/env bash
# Installs the peers the test suites use (Debian packages and PyPI only) into places the tests find:
#   Debian: openssl, Java (EXICodec.jar), iproute2;  PyPI: iso15118==0.31.2 (Josev) into .build/peers/venv.
# Idempotent; quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)  # EXI oracle: EXIficient in Josev's EXICodec.jar
python3 -c 'import venv' 2>/dev/null || need+=(python3-venv)
command -v ip >/dev/null || need+=(iproute2)          # V2GTransport: SDP in network namespaces (dev/netns-sdp.sh)
command -v python3 >/dev/null || need+=(python3 python3-venv)  # V2GTransport: sdp_probe.py, Josev's EVCC
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing Debian packages: ${need[*]} (apt-get install them)"
  fi
fi
venv=.build/peers/venv
if [ ! -x "$venv/bin/python" ]; then
  mkdir -p .build/peers
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import iso15118' 2>/dev/null; then
  "$venv/bin/pip" install -q 'iso15118==0.31.2' aiofile
fi

# OCPP interop peer (mobilityhouse `ocpp` 2.1.0 + websockets): venv in .build/ocpp-venv (git-ignored),
# used by the conformance, 1.6J and loadgen suites against ../shared/interop/ocpp.
ocpp_harness="$(cd "$(dirname "$0")/.." && pwd)/../shared/interop/ocpp"
ocpp_venv="$(cd "$(dirname "$0")/.." && pwd)/.build/ocpp-venv"
if [ -f "$ocpp_harness/requirements.lock" ] && ! "$ocpp_venv/bin/python" -c "import ocpp, websockets, rfc3339_validator" 2>/dev/null; then
  python3 -m venv "$ocpp_venv"
  "$ocpp_venv/bin/pip" install -q -r "$ocpp_harness/requirements.lock"
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
