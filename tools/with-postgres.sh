#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server on 127.0.0.1: installs it from
# Debian's packages when missing (as root), starts a fresh cluster with two roles as the
# README's "PostgreSQL roles" describes (qms_owner: LOGIN CREATEDB, owns the databases and
# tables it makes and runs the migrations; qms_app: LOGIN only, what the app connects as),
# exports (URLs without a database name)
#   QMS_PG_SERVER        postgresql+psycopg://qms_app@127.0.0.1:PORT    what the app connects as
#   QMS_PG_OWNER_SERVER  postgresql+psycopg://qms_owner@127.0.0.1:PORT  creates databases, migrates
#   QMS_PG_CTL           a script taking pg_ctl's verbs (stop -m fast, start) for fault tests
# runs "$@", then stops the server and removes the cluster.
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
run_as=""
if [ "$(id -u)" -eq 0 ]; then  # the server refuses to run as root
  chown postgres "$data"
  run_as="runuser -u postgres --"
fi
cat >"$data.ctl" <<CTL
#!/bin/sh
exec $run_as "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \\
  -o "-c listen_addresses=127.0.0.1 -p $port -k $data" "\$@"
CTL
chmod +x "$data.ctl"
cleanup() {
  "$data.ctl" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$data" "$data.ctl"
}
trap cleanup EXIT

$run_as "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 >/dev/null
"$data.ctl" start >/dev/null
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
# The superuser makes the two roles and is used for nothing else.
"$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
  -c "CREATE ROLE qms_owner LOGIN CREATEDB" -c "CREATE ROLE qms_app LOGIN"

export QMS_PG_SERVER="postgresql+psycopg://qms_app@127.0.0.1:$port"
export QMS_PG_OWNER_SERVER="postgresql+psycopg://qms_owner@127.0.0.1:$port"
export QMS_PG_CTL="$data.ctl"
"$@"
