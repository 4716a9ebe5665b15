#!/usr/bin/env bash
# Builds and runs the libFuzzer target of the TLS ClientHello parser (V2GTransport) with swiftc -sanitize=fuzzer.
# Usage: FuzzTesting/run-clienthello.sh [seconds]   (default 60)
# The parser file has no dependencies but V2GTransportError, so both are compiled with the entry file alone.
# Crashers are written to FuzzTesting/FailCases/V2GTransport/; commit them: TLSClientHelloTests replays that folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out="$root/.build/fuzz"
mkdir -p "$out" "$here/FailCases/V2GTransport"
seconds=${1:-60}
swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name V2GTransport \
  "$root/Sources/V2GTransport/TLSClientHello.swift" "$root/Sources/V2GTransport/V2GTransportError.swift" \
  "$here/V2GTransport/FuzzClientHello.swift" -o "$out/fuzz-clienthello"
corpus="$out/corpus-clienthello"
mkdir -p "$corpus"
# seeds: a TLS 1.2 ClientHello with trusted_ca_keys (pre_agreed + key_sha1_hash), and one with supported_versions
# (TLS 1.3), server_name and certificate_authorities, each in one handshake record
printf '\x16\x03\x01\x00\x61\x01\x00\x00\x5d\x03\x03\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x00\x00\x02\xc0\x23\x01\x00\x00\x32\x00\x0a\x00\x04\x00\x02\x00\x17\x00\x0b\x00\x02\x01\x00\x00\x0d\x00\x04\x00\x02\x04\x03\x00\x03\x00\x18\x00\x16\x00\x01\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14' > "$corpus/iso2-trusted-ca-keys"
printf '\x16\x03\x01\x00\x4d\x01\x00\x00\x49\x03\x03\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x41\x00\x00\x02\x13\x02\x01\x00\x00\x1e\x00\x00\x00\x06\x00\x04\x00\x00\x01\x61\x00\x2b\x00\x03\x02\x03\x04\x00\x2f\x00\x09\x00\x07\x00\x05\x30\x03\x31\x01\x00' > "$corpus/iso20-authorities"
"$out/fuzz-clienthello" -max_total_time="$seconds" -artifact_prefix="$here/FailCases/V2GTransport/clienthello-" "$corpus"
