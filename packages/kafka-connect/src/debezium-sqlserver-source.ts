/** Debezium SQL Server source connector config from a pipeline (Debezium 2.x/3.x property names). */
import { CdcError } from '@cdc/core';
import { renderSecret } from './connector-secrets.js';
import {
  CONNECTOR_CLASSES,
  converterProperties,
  javaRegexLiteral,
  tableMappings,
  topicPrefixOf,
  type ConnectorDefinition,
} from './connector-definition.js';
import type { KafkaConnectPipeline, KafkaSettings, SqlServerSource } from './kafka-connect-config.js';

/** Topic Debezium writes a SQL Server table's changes to: `<prefix>.<database>.<schema>.<table>`. */
export function sqlServerTopic(prefix: string, database: string, schema: string, table: string): string {
  return `${prefix}.${database}.${schema}.${table}`;
}

/**
 * Exactly-once source delivery (KIP-618) is requested per connector but granted by the workers; asking
 * for it on a cluster without `exactly.once.source.support=enabled` makes the connector fail, so it is
 * refused here with the reason instead.
 */
export function exactlyOnceProperties(
  requested: boolean,
  kafka: KafkaSettings,
  where: string,
): Record<string, string> {
  if (!requested) return {};
  if (!kafka.connect.exactlyOnceSourceSupport) {
    throw new CdcError(
      'CONFIG_INVALID',
      `${where}: exactlyOnce is set but the Kafka Connect cluster does not allow it.`,
      {
        hint: 'Run the workers with exactly.once.source.support=enabled, then set kafka.connect.exactlyOnceSourceSupport: true.',
      },
    );
  }
  return { 'exactly.once.support': 'required', 'transaction.boundary': 'poll' };
}

/** Builds the Debezium SQL Server source connector of a pipeline whose source is SQL Server. */
export function debeziumSqlServerSource(
  pipeline: KafkaConnectPipeline & { source: SqlServerSource },
  kafka: KafkaSettings,
): ConnectorDefinition {
  const source = pipeline.source;
  const where = `pipeline "${pipeline.name}" source`;
  const prefix = topicPrefixOf(pipeline);
  const tables = tableMappings(source.tables, where);
  const name = `${pipeline.name}-source`;
  const config: Record<string, string> = {
    name,
    'connector.class': CONNECTOR_CLASSES.sqlserver,
    'tasks.max': String(pipeline.sourceTasksMax),
    'database.hostname': source.host,
    'database.port': String(source.port),
    'database.user': source.user,
    'database.password': renderSecret(source.password, 'database.password'),
    'database.names': source.database,
    'database.encrypt': String(source.encrypt),
    'database.trustServerCertificate': String(source.trustServerCertificate),
    'topic.prefix': prefix,
    'table.include.list': tables.map((t) => javaRegexLiteral(`${t.namespace}.${t.table}`)).join(','),
    'snapshot.mode': source.snapshotMode,
    ...(source.snapshotIsolationMode ? { 'snapshot.isolation.mode': source.snapshotIsolationMode } : {}),
    'heartbeat.interval.ms': String(source.heartbeatIntervalMs),
    'include.schema.changes': 'false',
    'schema.history.internal.kafka.bootstrap.servers': kafka.bootstrapServers,
    'schema.history.internal.kafka.topic': `${prefix}.schema-history`,
    'schema.history.internal.store.only.captured.tables.ddl': 'true',
    'topic.creation.default.replication.factor': String(kafka.replicationFactor),
    // One partition per sink task: keys (primary keys) keep per-row order within a partition.
    'topic.creation.default.partitions': String(pipeline.sink.tasksMax),
    ...exactlyOnceProperties(source.exactlyOnce, kafka, where),
    ...converterProperties(pipeline.converter, kafka),
    ...source.properties,
  };
  const secretKeys = typeof source.password === 'string' ? ['database.password'] : [];
  return { name, pipeline: pipeline.name, role: 'source', config, secretKeys };
}

/** The topics a SQL Server pipeline's tables are written to, paired with their target tables. */
export function sqlServerTopics(
  pipeline: KafkaConnectPipeline & { source: SqlServerSource },
): { topic: string; target: string }[] {
  const prefix = topicPrefixOf(pipeline);
  return tableMappings(pipeline.source.tables, `pipeline "${pipeline.name}" source`).map((t) => ({
    topic: sqlServerTopic(prefix, pipeline.source.database, t.namespace, t.table),
    target: t.target,
  }));
}
