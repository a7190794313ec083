#!/bin/sh
# Build stage of docker/connect/Dockerfile: downloads Kafka and the connector plugins, verifies them,
# and lays them out as /build/kafka and /build/plugins/<plugin>/ (one class loader per plugin).
set -eu

maven=https://repo1.maven.org/maven2
mkdir -p /build/plugins

# fetch <url> <file>: download, then check the .sha1 Maven Central publishes next to every artifact.
fetch_maven() {
  curl -fsSL --retry 3 -o "$2" "$1"
  expected=$(curl -fsSL --retry 3 "$1.sha1" | cut -c1-40)
  echo "$expected  $2" | sha1sum -c -
}

# fetch_pinned <url> <file> <sha256 or empty>: for artifacts without a published checksum.
fetch_pinned() {
  curl -fsSL --retry 3 -o "$2" "$1"
  if [ -n "$3" ]; then
    echo "$3  $2" | sha256sum -c -
  else
    echo "WARNING: $2 not verified; pin its SHA-256 with --build-arg for reproducible builds" >&2
    sha256sum "$2"
  fi
}

# Apache Kafka, checked against the release manager's signature (ASF KEYS), as the official image does.
kafka="kafka_${SCALA_VERSION}-${KAFKA_VERSION}"
curl -fsSL --retry 3 -o kafka.tgz "https://archive.apache.org/dist/kafka/${KAFKA_VERSION}/${kafka}.tgz"
curl -fsSL --retry 3 -o kafka.tgz.asc "https://archive.apache.org/dist/kafka/${KAFKA_VERSION}/${kafka}.tgz.asc"
curl -fsSL --retry 3 -o KEYS https://downloads.apache.org/kafka/KEYS
GNUPGHOME="$(mktemp -d)"
export GNUPGHOME
gpg --batch --quiet --import KEYS
gpg --batch --verify kafka.tgz.asc kafka.tgz
rm -rf "$GNUPGHOME" KEYS kafka.tgz.asc
tar -xzf kafka.tgz && mv "$kafka" /build/kafka && rm kafka.tgz
rm -rf /build/kafka/site-docs

# Debezium SQL Server source and JDBC sink (each bundles debezium-core, hence ExtractNewRecordState).
for plugin in sqlserver jdbc; do
  artifact="debezium-connector-${plugin}"
  fetch_maven "${maven}/io/debezium/${artifact}/${DEBEZIUM_VERSION}/${artifact}-${DEBEZIUM_VERSION}-plugin.tar.gz" p.tgz
  tar -xzf p.tgz -C /build/plugins && rm p.tgz
done

# ScyllaDB CDC source connector: the "jar with dependencies" its README recommends.
mkdir -p /build/plugins/scylla-cdc-source-connector
fetch_maven \
  "${maven}/com/scylladb/scylla-cdc-source-connector/${SCYLLA_CDC_VERSION}/scylla-cdc-source-connector-${SCYLLA_CDC_VERSION}-jar-with-dependencies.jar" \
  /build/plugins/scylla-cdc-source-connector/scylla-cdc-source-connector.jar

# Confluent Avro converter (Confluent Hub package: the converter and its dependencies).
fetch_pinned \
  "https://hub-downloads.confluent.io/api/plugins/confluentinc/kafka-connect-avro-converter/versions/${AVRO_CONVERTER_VERSION}/confluentinc-kafka-connect-avro-converter-${AVRO_CONVERTER_VERSION}.zip" \
  avro.zip "${AVRO_CONVERTER_SHA256}"
unzip -q avro.zip -d /tmp/avro && mv /tmp/avro/*/lib /build/plugins/kafka-connect-avro-converter && rm avro.zip

# Lenses secret-provider: resolves ${vault:<path>:<key>} in connector configs.
mkdir -p /build/plugins/secret-provider
fetch_pinned \
  "https://github.com/lensesio/secret-provider/releases/download/${VAULT_PROVIDER_VERSION}/secret-provider-${VAULT_PROVIDER_VERSION}-all.jar" \
  /build/plugins/secret-provider/secret-provider.jar "${VAULT_PROVIDER_SHA256}"

find /build/plugins -maxdepth 1 -mindepth 1
