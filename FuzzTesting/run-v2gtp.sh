#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of the V2GTP module (header/datagram, SDP) with swiftc -sanitize=fuzzer.
# Usage: FuzzTesting/run-v2gtp.sh [v2gtp|sdp] [seconds]   (default: both, 60 s each)
# Crashers are written to FuzzTesting/FailCases/V2GTP/; commit them: V2GTPTests replays that folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out="$root/.build/fuzz"
mkdir -p "$out" "$here/FailCases/V2GTP"
seconds=${2:-60}
targets=${1:-"v2gtp sdp"}
for target in $targets; do
  case "$target" in
    v2gtp) entry="$here/V2GTP/FuzzV2GTP.swift" ;;
    sdp) entry="$here/V2GTP/FuzzSDP.swift" ;;
    *) echo "unknown target $target (v2gtp|sdp)"; exit 2 ;;
  esac
  swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name V2GTP \
    "$root"/Sources/V2GTP/*.swift "$entry" -o "$out/fuzz-$target"
  corpus="$out/corpus-$target"
  mkdir -p "$corpus"
  # seeds: valid SDP request/response datagrams and a V2GTP EXI message header
  printf '\x01\xfe\x90\x00\x00\x00\x00\x02\x00\x00' > "$corpus/sdp-request"
  printf '\x01\xfe\x90\x01\x00\x00\x00\x14\xfe\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\xfa\xeb\x00\x00' > "$corpus/sdp-response"
  printf '\x01\xfe\x80\x01\x00\x00\x00\x02\x80\x98' > "$corpus/exi"
  printf 'fe80::1' > "$corpus/ipv6-text"
  "$out/fuzz-$target" -max_total_time="$seconds" -artifact_prefix="$here/FailCases/V2GTP/$target-" "$corpus"
done
