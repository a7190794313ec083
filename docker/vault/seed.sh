#!/bin/sh
# Vault in dev mode (in memory, unsealed, root token from the environment), seeded on every start with
# the stack's database passwords under secret/cdc/*, a read-only policy for them, and the token the
# worker and Kafka Connect use (CDC_VAULT_TOKEN, policy cdc-read). Values are passed on stdin, never on
# a command line. Dev mode is for laptops only.
set -eu

vault server -dev -dev-listen-address=0.0.0.0:8200 -dev-no-store-token &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"' TERM INT

export VAULT_TOKEN="$VAULT_DEV_ROOT_TOKEN_ID"
i=0
until vault status >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 60 ] || { echo 'vault did not start' >&2; exit 1; }
  sleep 1
done

put() { # put <path> <username> <password>
  printf '%s' "$3" | vault kv put -mount=secret "$1" password=- >/dev/null
  vault kv patch -mount=secret "$1" username="$2" >/dev/null
}
put cdc/mssql cdc_reader "$MSSQL_CDC_PASSWORD"
put cdc/scylla cdc_reader "$SCYLLA_CDC_PASSWORD"
put cdc/postgres cdc_writer "$CDC_PG_WRITER_PASSWORD"

vault policy write cdc-read /docker/vault/cdc-read.hcl >/dev/null
vault token create -id="$CDC_VAULT_TOKEN" -policy=cdc-read -orphan -period=768h -display-name=cdc >/dev/null
unset VAULT_TOKEN
echo 'cdc: Vault seeded (secret/cdc/{mssql,scylla,postgres}, policy cdc-read)'

wait "$pid"
