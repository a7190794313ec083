/** Debezium JDBC sink connector config writing a pipeline's topics into PostgreSQL. */
import { renderSecret } from './connector-secrets.js';
import {
  CONNECTOR_CLASSES,
  converterProperties,
  javaRegexLiteral,
  topicPrefixOf,
  type ConnectorDefinition,
} from './connector-definition.js';
import type { KafkaConnectPipeline, KafkaSettings, PostgresTarget } from './kafka-connect-config.js';

/**
 * The JDBC URL of the target, without credentials: user and password travel as their own properties
 * so a password never has to survive URL encoding.
 */
export function postgresJdbcUrl(target: PostgresTarget): string {
  const params = new URLSearchParams({ currentSchema: target.schema });
  if (target.sslmode) params.set('sslmode', target.sslmode);
  return `jdbc:postgresql://${target.host}:${target.port}/${encodeURIComponent(target.database)}?${params.toString()}`;
}

/**
 * Builds the JDBC sink of a pipeline. Each source topic is routed to its target table with a
 * `RegexRouter` (the sink names tables after the topic), so table names are explicit rather than
 * derived from topic-name mangling. Soft deletes flatten the envelope with `ExtractNewRecordState`
 * (delete records rewritten with `__deleted=true`, tombstones dropped) and rename the marker column.
 */
export function debeziumJdbcSink(
  pipeline: KafkaConnectPipeline,
  kafka: KafkaSettings,
  topics: readonly { topic: string; target: string }[],
): ConnectorDefinition {
  const sink = pipeline.sink;
  const target = pipeline.target;
  const prefix = topicPrefixOf(pipeline);
  const name = `${pipeline.name}-sink`;
  const transforms: string[] = [];
  const transformProps: Record<string, string> = {};
  if (sink.deletes === 'soft') {
    transforms.push('unwrap', 'softdelete');
    transformProps['transforms.unwrap.type'] = 'io.debezium.transforms.ExtractNewRecordState';
    transformProps['transforms.unwrap.delete.tombstone.handling.mode'] = 'rewrite';
    transformProps['transforms.softdelete.type'] = 'org.apache.kafka.connect.transforms.ReplaceField$Value';
    transformProps['transforms.softdelete.renames'] = `__deleted:${sink.softDeleteColumn}`;
  }
  topics.forEach(({ topic, target: table }, i) => {
    const id = `route${i}`;
    transforms.push(id);
    transformProps[`transforms.${id}.type`] = 'org.apache.kafka.connect.transforms.RegexRouter';
    transformProps[`transforms.${id}.regex`] = javaRegexLiteral(topic);
    transformProps[`transforms.${id}.replacement`] = table;
  });
  const deadLetter: Record<string, string> =
    sink.deadLetter === false
      ? { 'errors.tolerance': 'none' }
      : {
          'errors.tolerance': 'all',
          'errors.deadletterqueue.topic.name': sink.deadLetter.topic ?? `${prefix}.dlq`,
          'errors.deadletterqueue.topic.replication.factor': String(kafka.replicationFactor),
          'errors.deadletterqueue.context.headers.enable': String(sink.deadLetter.contextHeaders),
          'errors.log.enable': 'true',
          // Record contents may hold personal data or secrets; the DLQ keeps them, logs don't.
          'errors.log.include.messages': 'false',
        };
  const config: Record<string, string> = {
    name,
    'connector.class': CONNECTOR_CLASSES.jdbcSink,
    'tasks.max': String(sink.tasksMax),
    topics: topics.map((t) => t.topic).join(','),
    'connection.url': postgresJdbcUrl(target),
    'connection.username': target.user,
    'connection.password': renderSecret(target.password, 'connection.password'),
    'insert.mode': 'upsert',
    'delete.enabled': String(sink.deletes === 'hard'),
    'primary.key.mode': 'record_key',
    'schema.evolution': sink.schemaEvolution,
    'batch.size': String(sink.batchSize),
    'quote.identifiers': 'true',
    'collection.name.format': '${topic}',
    'database.time_zone': 'UTC',
    ...(transforms.length > 0 ? { transforms: transforms.join(',') } : {}),
    ...transformProps,
    ...deadLetter,
    ...converterProperties(pipeline.converter, kafka),
    ...sink.properties,
  };
  const secretKeys = typeof target.password === 'string' ? ['connection.password'] : [];
  return { name, pipeline: pipeline.name, role: 'sink', config, secretKeys };
}
