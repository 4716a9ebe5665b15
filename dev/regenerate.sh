#!/usr/bin/env bash
# Regenerates the committed generated sources from the schemas in ../shared/schemas (never edit them by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
schemas="${SCHEMAS:-../shared/schemas}"
swift run ocpp-codegen "$schemas/ocpp" Sources/OCPPMessages/Generated
