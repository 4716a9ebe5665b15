#!/usr/bin/env bash
# Regenerates the committed generated sources (never edit them by hand): EXI codecs from
# ../shared/schemas/iso15118 with exi-codegen, OCPP messages from ../shared/schemas/ocpp with ocpp-codegen.
set -euo pipefail
cd "$(dirname "$0")/.."
schemas="${SCHEMAS:-../shared/schemas}"
swift build --product exi-codegen >/dev/null
swift build --product ocpp-codegen >/dev/null
bin="$(swift build --show-bin-path)"
"$bin/exi-codegen" "$schemas/iso15118" Sources
"$bin/ocpp-codegen" "$schemas/ocpp" Sources/OCPPMessages/Generated
git status --short Sources/*/Generated || true
