#!/usr/bin/env bash
# The project's test command (README): installs what the suites need, builds once, runs `swift test`.
# In CI (CI=true) a suite that would skip for lack of a peer is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/install-test-deps.sh
# PostgreSQL suites run against a throwaway server on 127.0.0.1 (skipped with SKIPPED-PEER without it).
if [ -z "${PNC_POSTGRES_URL:-}" ] && url=$(bash dev/postgres-test-server.sh); then export PNC_POSTGRES_URL="$url"; fi
swift build --build-tests 2>&1 | tail -n 5
# Two passes over one build: first the suites that run no servers (codecs, state machines with manual clocks, PKI,
# mutation tests: CPU-bound), then the suites with servers, sockets and peer processes. The cooperative thread pool
# is as wide as the machine has cores; CPU-bound tests in the same pass would take it from the servers under test.
pure='^(CSMSTests|EXICodecTests|EXICodegenTests|EXITests|Ed448Tests|ISO15118DINTests|ISO15118EVCCTests|ISO15118SECC20Tests|ISO15118SECCTests|OCPPMessagesTests|PnCCoreTests|V2GPKITests|V2GSecurityTests|V2GTPTests)\.'
set +e
swift test --skip-build --filter "$pure" 2>&1 | tee .build/test-output.txt | grep -Ev '^(◇|↳)'
status=${PIPESTATUS[0]}
swift test --skip-build --skip "$pure" 2>&1 | tee -a .build/test-output.txt | grep -Ev '^(◇|↳)'
second=${PIPESTATUS[0]}
[ "$status" != 0 ] || status=$second
set -e
if [ "${CI:-}" = "true" ] && grep -q "SKIPPED-PEER" .build/test-output.txt; then
  echo "CI: a suite skipped for lack of a peer:"; grep "SKIPPED-PEER" .build/test-output.txt
  exit 1
fi
# One plain closing line with the counts of the Swift Testing run (the XCTest runner reports 0: the suites use Swift Testing).
total=$(grep -oE 'Test run with [0-9]+ tests' .build/test-output.txt | awk '{ n += $4 } END { print n + 0 }')
failed=$(grep -E '^✘ Test .* failed after' .build/test-output.txt | grep -cv '^✘ Test run with' || true)
[ "$status" = 0 ] || [ "$failed" -gt 0 ] || failed=1
if [ "$status" != 0 ]; then
  # The failures again, last, where a reader of the tail of the log finds them.
  echo "Failures:"; grep -E '^✘ ' .build/test-output.txt | grep -v '^✘ Test run with' | cut -c1-600 || true
fi
echo "swift-test: $((total - failed)) passed, $failed failed"
exit "$status"
