/** The shape every generator returns, and helpers shared by them (converters, table names, regexes). */
import { CdcError } from '@cdc/core';
import type {
  ConverterConfig,
  KafkaConnectPipeline,
  KafkaSettings,
  TableRef,
} from './kafka-connect-config.js';

/** A connector ready for `PUT /connectors/{name}/config`. */
export interface ConnectorDefinition {
  /** Connector name (also `config.name`). */
  name: string;
  /** Pipeline it belongs to. */
  pipeline: string;
  role: 'source' | 'sink';
  /** The REST payload: every value a string, as Kafka Connect stores them. */
  config: Record<string, string>;
  /** Properties holding resolved secret values (to mask when shown). */
  secretKeys: string[];
}

/** Placeholder shown instead of a resolved secret. */
export const MASK = '********';

/** A source table split into its two name parts, and the target table it lands in. */
export interface TableMapping {
  /** `schema` (SQL Server) or `keyspace` (Scylla). */
  namespace: string;
  table: string;
  target: string;
}

export function tableMappings(tables: readonly TableRef[], what: string): TableMapping[] {
  return tables.map((ref, i) => {
    const source = typeof ref === 'string' ? ref : ref.source;
    const parts = source.split('.');
    if (parts.length !== 2 || !parts[0] || !parts[1] || /[,\s]/.test(source)) {
      throw new CdcError(
        'CONFIG_INVALID',
        `${what}.tables[${i}]: "${source}" is not a two-part table name.`,
        {
          hint: 'Write tables as schema.table (SQL Server) or keyspace.table (Scylla), without commas or spaces.',
        },
      );
    }
    const [namespace, table] = parts as [string, string];
    const target = typeof ref === 'string' ? undefined : ref.target;
    return { namespace, table, target: target ?? table };
  });
}

/** Escapes a literal for a Java regular expression. */
export function javaRegexLiteral(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** The topic prefix of a pipeline: explicit, or the name with characters Debezium rejects as `_`. */
export function topicPrefixOf(pipeline: KafkaConnectPipeline): string {
  return pipeline.topicPrefix ?? pipeline.name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Key and value converter properties; the source and the sink of a pipeline must agree. */
export function converterProperties(
  converter: ConverterConfig,
  kafka: KafkaSettings,
): Record<string, string> {
  if (converter.format === 'json') {
    return {
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'true',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'true',
    };
  }
  const url = converter.schemaRegistryUrl ?? kafka.schemaRegistry?.url;
  if (!url) {
    throw new CdcError('CONFIG_INVALID', 'The Avro converter needs a schema registry URL.', {
      hint: 'Set kafka.schemaRegistry.url or converter.schemaRegistryUrl.',
    });
  }
  return {
    'key.converter': 'io.confluent.connect.avro.AvroConverter',
    'key.converter.schema.registry.url': url,
    'value.converter': 'io.confluent.connect.avro.AvroConverter',
    'value.converter.schema.registry.url': url,
  };
}

/** Connector classes cdc generates configs for. */
export const CONNECTOR_CLASSES = {
  sqlserver: 'io.debezium.connector.sqlserver.SqlServerConnector',
  scylla: 'com.scylladb.cdc.debezium.connector.ScyllaConnector',
  jdbcSink: 'io.debezium.connector.jdbc.JdbcSinkConnector',
} as const;
