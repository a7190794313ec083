/** ScyllaDB CDC source connector config from a pipeline (scylla-cdc-source-connector 1.x). */
import { CdcError } from '@cdc/core';
import { renderSecret } from './connector-secrets.js';
import {
  CONNECTOR_CLASSES,
  converterProperties,
  tableMappings,
  topicPrefixOf,
  type ConnectorDefinition,
} from './connector-definition.js';
import type { KafkaConnectPipeline, KafkaSettings, ScyllaSource } from './kafka-connect-config.js';

/** Topic the Scylla connector writes a table's changes to: `<prefix>.<keyspace>.<table>`. */
export function scyllaTopic(prefix: string, keyspace: string, table: string): string {
  return `${prefix}.${keyspace}.${table}`;
}

/**
 * Builds the Scylla CDC source connector. Non-key columns arrive wrapped as `{value: …}` cells, which
 * no JDBC sink can write, so `ScyllaFlattenColumns` unwraps them while keeping the Debezium envelope
 * (op, before, after) the sink needs for deletes.
 */
export function scyllaCdcSource(
  pipeline: KafkaConnectPipeline & { source: ScyllaSource },
  kafka: KafkaSettings,
): ConnectorDefinition {
  const source = pipeline.source;
  const where = `pipeline "${pipeline.name}" source`;
  if (source.exactlyOnce) {
    throw new CdcError(
      'CONFIG_INVALID',
      `${where}: the ScyllaDB CDC source connector has at-least-once semantics only.`,
      {
        hint: 'Remove exactlyOnce; the JDBC sink upserts by key, so redelivered changes have no duplicate effect.',
      },
    );
  }
  if ((source.user === undefined) !== (source.password === undefined)) {
    throw new CdcError('CONFIG_INVALID', `${where}: set both user and password, or neither.`);
  }
  const prefix = topicPrefixOf(pipeline);
  const tables = tableMappings(source.tables, where);
  const name = `${pipeline.name}-source`;
  const prefixKey = source.connectorVersion === 'legacy' ? 'scylla.name' : 'topic.prefix';
  const config: Record<string, string> = {
    name,
    'connector.class': CONNECTOR_CLASSES.scylla,
    'tasks.max': String(pipeline.sourceTasksMax),
    [prefixKey]: prefix,
    'scylla.cluster.ip.addresses': source.contactPoints.join(','),
    'scylla.table.names': tables.map((t) => `${t.namespace}.${t.table}`).join(','),
    ...(source.user !== undefined ? { 'scylla.user': source.user } : {}),
    ...(source.password !== undefined
      ? { 'scylla.password': renderSecret(source.password, 'scylla.password') }
      : {}),
    ...(source.localDc ? { 'scylla.local.dc': source.localDc } : {}),
    ...(source.consistencyLevel ? { 'scylla.consistency.level': source.consistencyLevel } : {}),
    ...(source.queryTimeWindowMs
      ? { 'scylla.query.time.window.size': String(source.queryTimeWindowMs) }
      : {}),
    ...(source.confidenceWindowMs
      ? { 'scylla.confidence.window.size': String(source.confidenceWindowMs) }
      : {}),
    ...(source.preimages ? { 'experimental.preimages.enabled': 'true' } : {}),
    'topic.creation.default.replication.factor': String(kafka.replicationFactor),
    // One partition per sink task: keys (primary keys) keep per-row order within a partition.
    'topic.creation.default.partitions': String(pipeline.sink.tasksMax),
    transforms: 'flatten',
    'transforms.flatten.type': 'com.scylladb.cdc.debezium.connector.transforms.ScyllaFlattenColumns',
    ...converterProperties(pipeline.converter, kafka),
    ...source.properties,
  };
  const secretKeys = typeof source.password === 'string' ? ['scylla.password'] : [];
  return { name, pipeline: pipeline.name, role: 'source', config, secretKeys };
}

/** The topics a Scylla pipeline's tables are written to, paired with their target tables. */
export function scyllaTopics(
  pipeline: KafkaConnectPipeline & { source: ScyllaSource },
): { topic: string; target: string }[] {
  const prefix = topicPrefixOf(pipeline);
  return tableMappings(pipeline.source.tables, `pipeline "${pipeline.name}" source`).map((t) => ({
    topic: scyllaTopic(prefix, t.namespace, t.table),
    target: t.target,
  }));
}
