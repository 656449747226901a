#!/usr/bin/env bash
# Runs `make test` against a real PostgreSQL server: installs it from Debian's packages
# when missing (as root), starts a throwaway cluster on 127.0.0.1, points
# QMS_DATABASE_URL at it, and stops and removes the cluster afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${QMS_PG_PORT:-55432}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is not installed: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"

data="$(mktemp -d /tmp/qms-pg.XXXXXX)"
run_as=()
if [ "$(id -u)" -eq 0 ]; then  # the server refuses to run as root
  chown postgres "$data"
  run_as=(runuser -u postgres --)
fi
cleanup() {
  "${run_as[@]}" "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

"${run_as[@]}" "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 >/dev/null
"${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $data" start >/dev/null
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

QMS_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/qms" make test
