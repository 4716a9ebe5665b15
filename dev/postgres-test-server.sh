#!/usr/bin/env bash
# Starts a throwaway PostgreSQL (Debian's postgresql package) on 127.0.0.1:55432 with its data in .build/pg, as the
# postgres user, trust authentication for user pnc; prints the URL to export as PNC_POSTGRES_URL. Idempotent.
#   export PNC_POSTGRES_URL=$(dev/postgres-test-server.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL not installed (apt-get install postgresql)" >&2; exit 1; }
dir="$(pwd)/.build/pg"; port="${PNC_POSTGRES_PORT:-55432}"
mkdir -p "$dir"; chown postgres:postgres "$dir" 2>/dev/null || true
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
[ -f "$dir/data/PG_VERSION" ] || run "$bin/initdb -D '$dir/data' -U pnc --auth=trust >/dev/null"
run "$bin/pg_ctl -D '$dir/data' status >/dev/null" || \
  run "$bin/pg_ctl -D '$dir/data' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1\" -l '$dir/server.log' -w start >/dev/null"
echo "postgres://pnc@127.0.0.1:$port/postgres"
