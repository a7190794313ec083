#!/bin/bash
# Renders the distributed-worker config from the environment into /tmp (tmpfs, mode 0600: it holds
# the Vault token) and starts Kafka Connect in the foreground.
set -euo pipefail

: "${CONNECT_BOOTSTRAP_SERVERS:?}" "${CONNECT_GROUP_ID:?}" "${CONNECT_VAULT_TOKEN:?}" "${VAULT_ADDR:?}"
umask 077
mkdir -p "${LOG_DIR:-/tmp/kafka-logs}"
config="${CONNECT_CONFIG_DIR:-/tmp}/connect-distributed.properties"
cat >"$config" <<PROPERTIES
bootstrap.servers=${CONNECT_BOOTSTRAP_SERVERS}
group.id=${CONNECT_GROUP_ID}
listeners=http://0.0.0.0:8083
rest.advertised.host.name=${CONNECT_REST_ADVERTISED_HOST_NAME:-$(hostname)}
rest.advertised.port=8083
plugin.path=/opt/connect-plugins

config.storage.topic=_cdc-connect-configs
offset.storage.topic=_cdc-connect-offsets
status.storage.topic=_cdc-connect-status
config.storage.replication.factor=${CONNECT_REPLICATION_FACTOR:-1}
offset.storage.replication.factor=${CONNECT_REPLICATION_FACTOR:-1}
status.storage.replication.factor=${CONNECT_REPLICATION_FACTOR:-1}
offset.flush.interval.ms=10000

key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter

# KIP-618: lets sources that ask for it (exactly.once.support=required) commit records and offsets
# atomically. cdc only asks when kafka.connect.exactlyOnceSourceSupport is true.
exactly.once.source.support=enabled
topic.creation.enable=true
connector.client.config.override.policy=All

# Secrets stay out of connector configs: \${vault:…}, \${file:…}, \${dir:…}, \${env:…} are resolved
# here, at task start. file/dir may only read /run/secrets, env only CDC_* variables (never the token).
config.providers=file,dir,env,vault
config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
config.providers.file.param.allowed.paths=/run/secrets
config.providers.dir.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider
config.providers.dir.param.allowed.paths=/run/secrets
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
config.providers.env.param.allowlist.pattern=^CDC_[A-Z0-9_]*$
config.providers.vault.class=io.lenses.connect.secrets.providers.VaultSecretProvider
config.providers.vault.param.vault.addr=${VAULT_ADDR}
config.providers.vault.param.vault.auth.method=token
config.providers.vault.param.vault.token=${CONNECT_VAULT_TOKEN}
PROPERTIES

unset CONNECT_VAULT_TOKEN
exec "${KAFKA_HOME:-/opt/kafka}/bin/connect-distributed.sh" "$config"
