#!/usr/bin/env bash
# Starts a throwaway PostgreSQL (Debian's postgresql package) on 127.0.0.1 with its data in .build/pg, as the
# postgres user, trust authentication for user pnc; prints the URL to export as PNC_POSTGRES_URL. Idempotent: a
# server already running from this folder is reused. The first free port from 55432 (or $PNC_POSTGRES_PORT) is used.
#   export PNC_POSTGRES_URL=$(dev/postgres-test-server.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL not installed (apt-get install postgresql)" >&2; exit 1; }
dir="$(pwd)/.build/pg"
mkdir -p "$dir"; chown postgres:postgres "$dir" 2>/dev/null || true
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
[ -f "$dir/data/PG_VERSION" ] || run "$bin/initdb -D '$dir/data' -U pnc --auth=trust >/dev/null"
if run "$bin/pg_ctl -D '$dir/data' status >/dev/null"; then
  # Already running from this folder: its port is line 4 of postmaster.pid.
  echo "postgres://pnc@127.0.0.1:$(sed -n 4p "$dir/data/postmaster.pid")/postgres"
  exit 0
fi
port="${PNC_POSTGRES_PORT:-55432}"
for _ in $(seq 1 20); do
  if run "$bin/pg_ctl -D '$dir/data' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1\" -l '$dir/server.log' -w start >/dev/null"; then
    echo "postgres://pnc@127.0.0.1:$port/postgres"
    exit 0
  fi
  port=$((port + 1))
done
echo "PostgreSQL did not start; see $dir/server.log" >&2
tail -5 "$dir/server.log" >&2 || true
exit 1
