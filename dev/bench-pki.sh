#!/usr/bin/env bash
# PKI throughput side by side with OpenSSL in one run: `openssl speed ecdsap256` (raw signature work), then
# `pnc bench pki` (our issuing, OCSP signing and chain validation, plus one `openssl verify` over the same chains).
# Usage: dev/bench-pki.sh [COUNT]   (release build; bounded: COUNT chains/responses/certificates, default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
swift build -c release --product pnc >/dev/null
line=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | grep 'ecdsa (nistp256)' | tail -1)
sign=$(echo "$line" | awk '{print $(NF-1)}')
verify=$(echo "$line" | awk '{print $NF}')
"$(swift build -c release --show-bin-path)/pnc" bench pki --count "$count" --openssl-speed "$sign $verify"
