/** From a parsed scale-out configuration to the connectors to deploy, in deployment order. */
import { CdcError } from '@cdc/core';
import { MASK, type ConnectorDefinition } from './connector-definition.js';
import { debeziumJdbcSink } from './debezium-jdbc-sink.js';
import { debeziumSqlServerSource, sqlServerTopics } from './debezium-sqlserver-source.js';
import type { KafkaConnectConfig, KafkaConnectPipeline, KafkaSettings } from './kafka-connect-config.js';
import { scyllaCdcSource, scyllaTopics } from './scylla-cdc-source.js';

/** The source connector and the JDBC sink of one pipeline (source first: it creates the topics). */
export function pipelineConnectors(
  pipeline: KafkaConnectPipeline,
  kafka: KafkaSettings,
): ConnectorDefinition[] {
  const source = pipeline.source;
  if (source.type === 'sqlserver') {
    const p = { ...pipeline, source };
    return [debeziumSqlServerSource(p, kafka), debeziumJdbcSink(p, kafka, sqlServerTopics(p))];
  }
  if (pipeline.sink.deletes === 'soft' && !source.preimages) {
    // Without a preimage a Scylla delete event carries only the key: the rewritten soft delete would
    // upsert NULL into every other column of the kept row.
    throw new CdcError(
      'CONFIG_INVALID',
      `pipeline "${pipeline.name}": soft deletes from ScyllaDB need the row's preimage (source.preimages: true).`,
      {
        hint: "Enable it on each table (ALTER TABLE … WITH cdc = {'enabled': true, 'preimage': true}) and set source.preimages: true, or use sink.deletes: hard.",
      },
    );
  }
  const p = { ...pipeline, source };
  return [scyllaCdcSource(p, kafka), debeziumJdbcSink(p, kafka, scyllaTopics(p))];
}

/**
 * Every connector of the configuration, or of one pipeline. Throws `CONFIG_INVALID` when the named
 * pipeline does not exist or is not a `kafka-connect` pipeline.
 */
export function renderConnectors(config: KafkaConnectConfig, pipelineName?: string): ConnectorDefinition[] {
  const selected =
    pipelineName === undefined ? config.pipelines : config.pipelines.filter((p) => p.name === pipelineName);
  if (pipelineName !== undefined && selected.length === 0) {
    const known = config.pipelines.map((p) => p.name).join(', ') || 'none';
    throw new CdcError('CONFIG_INVALID', `No pipeline named "${pipelineName}" with mode: kafka-connect.`, {
      hint: `Pipelines with mode: kafka-connect: ${known}.`,
    });
  }
  if (selected.length === 0) {
    throw new CdcError('CONFIG_INVALID', 'The configuration has no pipeline with mode: kafka-connect.', {
      hint: 'Set mode: kafka-connect on the pipelines that should run on Kafka Connect.',
    });
  }
  return selected.flatMap((p) => pipelineConnectors(p, config.kafka));
}

/** The connector with resolved secret values replaced by a mask, for display. */
export function maskSecrets(connector: ConnectorDefinition): ConnectorDefinition {
  const config = { ...connector.config };
  for (const key of connector.secretKeys) if (key in config) config[key] = MASK;
  return { ...connector, config };
}
