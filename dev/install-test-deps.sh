#!/usr/bin/env bash
# Installs the peers the test suites use (Debian packages and PyPI only). Idempotent; quiet when all is there.
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing: ${need[*]} (install them with apt-get)"
  fi
fi

# OCPP interop peer (mobilityhouse `ocpp` 2.1.0 + websockets): venv in .build/ocpp-venv (git-ignored),
# used by the conformance, 1.6J and loadgen suites against ../shared/interop/ocpp.
ocpp_harness="$(cd "$(dirname "$0")/.." && pwd)/../shared/interop/ocpp"
ocpp_venv="$(cd "$(dirname "$0")/.." && pwd)/.build/ocpp-venv"
if [ -f "$ocpp_harness/requirements.lock" ] && ! "$ocpp_venv/bin/python" -c "import ocpp, websockets, rfc3339_validator" 2>/dev/null; then
  python3 -m venv "$ocpp_venv"
  "$ocpp_venv/bin/pip" install -q -r "$ocpp_harness/requirements.lock"
fi
