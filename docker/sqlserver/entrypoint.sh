#!/bin/bash
# Starts SQL Server, then applies init.sql (idempotent: safe on every start, and it re-applies the
# cdc_reader password, which is how a rotated password reaches the server). SQL Server stays in the
# foreground job so `docker stop` shuts it down cleanly.
set -euo pipefail

/opt/mssql/bin/sqlservr &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"' TERM INT

sqlcmd=/opt/mssql-tools18/bin/sqlcmd
for _ in $(seq 1 180); do
  if "$sqlcmd" -C -S localhost -U sa -b -Q 'SELECT 1' >/dev/null 2>&1; then break; fi
  sleep 1
done

# init.sql receives the password as a sqlcmd scripting variable read from the environment; the
# generator only emits [A-Za-z0-9], and this check keeps it that way for hand-written .env files.
if [[ ! "${MSSQL_CDC_PASSWORD:-}" =~ ^[A-Za-z0-9]{16,}$ ]]; then
  echo 'MSSQL_CDC_PASSWORD must be 16+ letters and digits (docker/scripts/generate-env.sh makes one)' >&2
  kill -TERM "$pid"
  exit 1
fi
# SQLCMDPASSWORD (set by compose) authenticates sa without a password on the command line.
"$sqlcmd" -C -S localhost -U sa -b -i /docker/sqlserver/init.sql
echo 'cdc: SQL Server initialized (CDC enabled on shop)'

wait "$pid"
