#!/usr/bin/env bash
# Installs the peers the test suites use (Debian packages and PyPI only). Idempotent; quiet when all is there.
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)  # EXI oracle: EXIficient in Josev's EXICodec.jar
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing: ${need[*]} (install them with apt-get)"
  fi
fi

# EXI oracle (EXIficientOracleTests): Josev's PyPI package ships EXICodec.jar (EXIficient) and py4j.
venv=".build/pypi-venv"
if ! "$venv/bin/python" -c "import iso15118, py4j" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "iso15118==0.31.2"
fi
