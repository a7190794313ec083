#!/bin/bash
# Starts Scylla through the image's own entrypoint, then applies init.cql once CQL answers:
# replaces the default `cassandra` superuser with `cdc_admin`, creates the demo keyspace, a
# CDC-enabled table and the read-only `cdc_reader` role. Re-run on every start (idempotent; it also
# re-applies passwords, which is how rotated ones reach the cluster).
set -euo pipefail

/docker-entrypoint.py "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"' TERM INT

for var in SCYLLA_ADMIN_PASSWORD SCYLLA_CDC_PASSWORD; do
  # Passwords are written into CQL literals below; the generator only emits [A-Za-z0-9].
  if [[ ! "${!var:-}" =~ ^[A-Za-z0-9]{16,}$ ]]; then
    echo "$var must be 16+ letters and digits (docker/scripts/generate-env.sh makes one)" >&2
    kill -TERM "$pid"
    exit 1
  fi
done

rc=$(mktemp -d)
chmod 700 "$rc"
cqlrc() { printf '[authentication]\nusername = %s\npassword = %s\n' "$1" "$2" >"$rc/cqlshrc"; }
cql() { cqlsh --cqlshrc "$rc/cqlshrc" localhost 9042 "$@"; }

# Later starts log in as cdc_admin; the very first start still has only cassandra/cassandra.
for _ in $(seq 1 180); do
  cqlrc cdc_admin "$SCYLLA_ADMIN_PASSWORD"
  if cql -e 'SELECT now() FROM system.local' >/dev/null 2>&1; then break; fi
  cqlrc cassandra cassandra
  if cql -e 'SELECT now() FROM system.local' >/dev/null 2>&1; then
    cql -e "CREATE ROLE IF NOT EXISTS cdc_admin WITH PASSWORD = '$SCYLLA_ADMIN_PASSWORD' AND LOGIN = true AND SUPERUSER = true"
    cqlrc cdc_admin "$SCYLLA_ADMIN_PASSWORD"
    # A known default superuser is an open door; remove it as soon as another one exists.
    cql -e 'DROP ROLE IF EXISTS cassandra'
    break
  fi
  sleep 2
done

cql -e "ALTER ROLE cdc_admin WITH PASSWORD = '$SCYLLA_ADMIN_PASSWORD'"
cqlrc cdc_admin "$SCYLLA_ADMIN_PASSWORD"
sed "s/__SCYLLA_CDC_PASSWORD__/$SCYLLA_CDC_PASSWORD/g" /docker/scylla/init.cql >"$rc/init.cql"
cql -f "$rc/init.cql"
rm -rf "$rc"
touch /var/lib/scylla/.cdc-initialized
echo 'cdc: Scylla initialized (CDC enabled on demo.events)'

wait "$pid"
