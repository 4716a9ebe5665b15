#!/usr/bin/env bash
# The project's test command (README): installs what the suites need, builds once, runs `swift test`.
# In CI (CI=true) a suite that would skip for lack of a peer is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/install-test-deps.sh
# PostgreSQL suites run against a throwaway server on 127.0.0.1 (skipped with SKIPPED-PEER without it).
if [ -z "${PNC_POSTGRES_URL:-}" ] && url=$(bash dev/postgres-test-server.sh); then export PNC_POSTGRES_URL="$url"; fi
swift build --build-tests 2>&1 | tail -n 5
set +e
swift test --skip-build 2>&1 | tee .build/test-output.txt | grep -Ev '^(◇|↳)'
status=${PIPESTATUS[0]}
set -e
if [ "${CI:-}" = "true" ] && grep -q "SKIPPED-PEER" .build/test-output.txt; then
  echo "CI: a suite skipped for lack of a peer:"; grep "SKIPPED-PEER" .build/test-output.txt
  exit 1
fi
exit "$status"
