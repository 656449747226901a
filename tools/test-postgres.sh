#!/usr/bin/env bash
# Runs `make test` against a real, throwaway PostgreSQL server (tools/with-postgres.sh):
# the app connects as the application role, migrations run as the owner role.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC2016  # expanded by the inner shell, once the server is up
exec tools/with-postgres.sh sh -c 'QMS_DATABASE_URL="$QMS_PG_SERVER/qms" \
  QMS_DATABASE_OWNER_URL="$QMS_PG_OWNER_SERVER/qms" make test'
