#!/usr/bin/env bash
# Installs the peers the test suites use (Debian packages and PyPI only). Idempotent; quiet when all is there.
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v ip >/dev/null || need+=(iproute2)          # V2GTransport: SDP in network namespaces (dev/netns-sdp.sh)
command -v python3 >/dev/null || need+=(python3)       # V2GTransport: Josev's sdp_probe.py
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing: ${need[*]} (install them with apt-get)"
  fi
fi
