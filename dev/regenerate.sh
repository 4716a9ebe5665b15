#!/usr/bin/env bash
# Regenerates the EXI codecs (Sources/*/Generated) from ../shared/schemas/iso15118 with exi-codegen.
set -euo pipefail
cd "$(dirname "$0")/.."
schemas="${1:-../shared/schemas/iso15118}"
swift build --product exi-codegen >/dev/null
"$(swift build --show-bin-path)/exi-codegen" "$schemas" Sources
git status --short Sources/*/Generated || true
