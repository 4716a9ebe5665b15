#!/usr/bin/env bash
# Builds the libFuzzer target for the OCPP-J frame and message decoders and runs it for a bounded number of inputs.
#   FuzzTesting/build-ocpp-fuzzer.sh            # build, then 200000 runs over the seed corpus
#   RUNS=0 FuzzTesting/build-ocpp-fuzzer.sh     # build, then fuzz until stopped
# Crashers are written to FuzzTesting/FailCases/OCPP/ (replay: .build/fuzz/ocpp-frame-fuzzer FuzzTesting/FailCases/OCPP/<file>).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/fuzz
mkdir -p "$out" "$out/corpus-ocpp"
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name OCPPMessages \
  Sources/OCPPMessages/*.swift Sources/OCPPMessages/Generated/V201/*.swift Sources/OCPPMessages/Generated/V16/*.swift \
  FuzzTesting/OCPPMessages/FuzzOCPPFrame.swift -o "$out/ocpp-frame-fuzzer"
cp FuzzTesting/OCPPMessages/seeds/* "$out/corpus-ocpp/" 2>/dev/null || true
"$out/ocpp-frame-fuzzer" -runs="${RUNS:-200000}" -max_len=8192 -artifact_prefix=FuzzTesting/FailCases/OCPP/ "$out/corpus-ocpp"
