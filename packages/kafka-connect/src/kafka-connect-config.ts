/**
 * The configuration of scale-out mode: the `kafka:` block and pipelines with `mode: kafka-connect`.
 * Self-contained zod schemas so the global config schema in @cdc/core can embed them unchanged.
 */
import { z } from 'zod';
import { CdcError, isCdcError } from '@cdc/core';
import { expandConnectionReferences, type ConnectionEntry } from './connection-endpoints.js';

const CONFIG_PROVIDERS = ['vault', 'file', 'dir', 'env'] as const;

/**
 * A secret handed to Kafka Connect through one of its config providers: rendered as
 * `${provider:path:key}` (or `${env:key}`), so the worker resolves it and the value never leaves the
 * secret store. The worker must declare the provider (`config.providers=vault,file,dir,env`).
 */
export const configProviderRefSchema = z.strictObject({
  /** `vault` (a Vault config provider plugin), `file` / `dir` / `env` (built into Apache Kafka). */
  provider: z.enum(CONFIG_PROVIDERS),
  /** Path inside the provider (Vault path, properties file, directory). Not used by `env`. */
  path: z
    .string()
    .regex(/^[^:{}$]*$/, 'must not contain ":", "{", "}" or "$" (config provider syntax)')
    .optional(),
  /** Key inside the path (Vault field, property name, file name, environment variable). */
  key: z
    .string()
    .min(1)
    .regex(/^[^:{}$]+$/, 'must not contain ":", "{", "}" or "$" (config provider syntax)'),
});
export type ConfigProviderRef = z.infer<typeof configProviderRefSchema>;

/**
 * A secret value: either a resolved literal (placed in the REST payload as a JSON string value, never
 * spliced into other text) or a {@link ConfigProviderRef} for Kafka Connect to resolve itself.
 */
export const secretValueSchema = z.union([z.string(), configProviderRefSchema]);
export type SecretValue = z.infer<typeof secretValueSchema>;

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, underscore)');

/** Converter of keys and values: JSON with schemas (default) or Avro through a schema registry. */
export const converterSchema = z
  .discriminatedUnion('format', [
    z.strictObject({ format: z.literal('json') }),
    z.strictObject({
      format: z.literal('avro'),
      /** Schema registry URL; defaults to `kafka.schemaRegistry.url`. */
      schemaRegistryUrl: z.url().optional(),
    }),
  ])
  .default({ format: 'json' });
export type ConverterConfig = z.infer<typeof converterSchema>;

/** The `kafka:` block of the configuration file. */
export const kafkaSettingsSchema = z.strictObject({
  connect: z.strictObject({
    /** Kafka Connect REST URL, e.g. `http://connect:8083`. */
    url: z.url(),
    /** Basic-auth user of the REST API, if the cluster requires one. */
    username: z.string().optional(),
    /** Basic-auth password of the REST API (a resolved value: the client itself sends it). */
    password: z.string().optional(),
    /**
     * The workers run with `exactly.once.source.support=enabled` (KIP-618). Only then may a source ask
     * for exactly-once delivery. Default `false`.
     */
    exactlyOnceSourceSupport: z.boolean().default(false),
    /** Per-request timeout in ms. Default 30 000. */
    timeoutMs: z.number().int().positive().default(30_000),
  }),
  /** Kafka bootstrap servers as seen from the Connect workers, e.g. `kafka:9092`. */
  bootstrapServers: z.string().min(1),
  schemaRegistry: z.strictObject({ url: z.url() }).optional(),
  /** Replication factor of topics the connectors create (schema history, dead letters). Default 1. */
  replicationFactor: z.number().int().min(1).default(1),
});
export type KafkaSettings = z.infer<typeof kafkaSettingsSchema>;

const tableRefSchema = z.union([
  z.string().min(1),
  z.strictObject({
    /** Source table: `schema.table` (SQL Server) or `keyspace.table` (Scylla). */
    source: z.string().min(1),
    /** Target table name in the target schema. Default: the source table's own name. */
    target: identifier.optional(),
  }),
]);
export type TableRef = z.infer<typeof tableRefSchema>;

/** Debezium SQL Server source. SQL Server CDC must be enabled on the database and every table. */
export const sqlServerSourceSchema = z.strictObject({
  type: z.literal('sqlserver'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(1433),
  database: z.string().min(1),
  user: z.string().min(1),
  password: secretValueSchema,
  /** Encrypt the connection (`database.encrypt`). Default `true`. */
  encrypt: z.boolean().default(true),
  trustServerCertificate: z.boolean().default(false),
  /** Tables as `schema.table`, or `{source, target}` to name the target table. */
  tables: z.array(tableRefSchema).min(1),
  /** Debezium `snapshot.mode`. Default `initial`. */
  snapshotMode: z
    .enum(['initial', 'initial_only', 'no_data', 'when_needed', 'always', 'recovery'])
    .default('initial'),
  /** Debezium `snapshot.isolation.mode`. Default: Debezium's own (`repeatable_read`). */
  snapshotIsolationMode: z
    .enum(['snapshot', 'read_committed', 'repeatable_read', 'exclusive', 'read_uncommitted'])
    .optional(),
  /** `heartbeat.interval.ms`: keeps offsets moving on quiet tables so the CDC cleanup can't outrun them. */
  heartbeatIntervalMs: z.number().int().min(0).default(10_000),
  /** Ask Kafka Connect for exactly-once source delivery (needs `kafka.connect.exactlyOnceSourceSupport`). */
  exactlyOnce: z.boolean().default(false),
  /** Extra Debezium properties, passed through verbatim (they win over generated ones). */
  properties: z.record(z.string(), z.string()).default({}),
});
export type SqlServerSource = z.infer<typeof sqlServerSourceSchema>;

/** ScyllaDB CDC source connector (`com.scylladb.cdc.debezium.connector.ScyllaConnector`). */
export const scyllaSourceSchema = z.strictObject({
  type: z.literal('scylla'),
  /** Contact points as `host:port`. */
  contactPoints: z.array(z.string().regex(/^[^,\s:]+:\d{1,5}$/, 'must be host:port')).min(1),
  user: z.string().optional(),
  password: secretValueSchema.optional(),
  localDc: z.string().optional(),
  consistencyLevel: z.enum(['ONE', 'LOCAL_ONE', 'QUORUM', 'LOCAL_QUORUM', 'ALL']).optional(),
  /** CDC-enabled tables as `keyspace.table`, or `{source, target}`. */
  tables: z.array(tableRefSchema).min(1),
  queryTimeWindowMs: z.number().int().positive().optional(),
  confidenceWindowMs: z.number().int().positive().optional(),
  /** `experimental.preimages.enabled` (needs `preimage` in the table's CDC options). */
  preimages: z.boolean().default(false),
  /**
   * Connector release line: `1.2.3` and later name the topic prefix `topic.prefix`, earlier ones
   * `scylla.name`. Default `current`.
   */
  connectorVersion: z.enum(['current', 'legacy']).default('current'),
  /** Scylla's connector has at-least-once semantics only; `true` is rejected with a clear error. */
  exactlyOnce: z.boolean().default(false),
  properties: z.record(z.string(), z.string()).default({}),
});
export type ScyllaSource = z.infer<typeof scyllaSourceSchema>;

/** PostgreSQL target of the Debezium JDBC sink. Credentials never go into the JDBC URL. */
export const postgresTargetSchema = z.strictObject({
  type: z.literal('postgres').default('postgres'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(5432),
  database: z.string().min(1),
  user: z.string().min(1),
  password: secretValueSchema,
  /** Target schema (`currentSchema` of the JDBC connection). Default `public`. */
  schema: z.string().min(1).default('public'),
  sslmode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
});
export type PostgresTarget = z.infer<typeof postgresTargetSchema>;

/** Debezium JDBC sink behaviour. */
export const jdbcSinkOptionsSchema = z
  .strictObject({
    /** `hard` deletes rows, `soft` keeps them with the delete marker column set, `none` ignores deletes. */
    deletes: z.enum(['hard', 'soft', 'none']).default('hard'),
    /** Column marking soft-deleted rows (`ExtractNewRecordState` rewrite, renamed). Default `_cdc_deleted`. */
    softDeleteColumn: identifier.default('_cdc_deleted'),
    /** `schema.evolution`: `basic` adds missing columns; `none` fails on unknown fields. */
    schemaEvolution: z.enum(['basic', 'none']).default('basic'),
    /** `batch.size`. Default 500. */
    batchSize: z.number().int().positive().default(500),
    tasksMax: z.number().int().positive().default(1),
    /** Dead-letter topic for records the sink cannot write; `false` fails the task instead. */
    deadLetter: z
      .union([
        z.literal(false),
        z.strictObject({
          /** Default `<topicPrefix>.dlq`. */
          topic: z
            .string()
            .regex(/^[A-Za-z0-9._-]+$/)
            .optional(),
          contextHeaders: z.boolean().default(true),
        }),
      ])
      .default({ contextHeaders: true }),
    properties: z.record(z.string(), z.string()).default({}),
  })
  .default({
    deletes: 'hard',
    softDeleteColumn: '_cdc_deleted',
    schemaEvolution: 'basic',
    batchSize: 500,
    tasksMax: 1,
    deadLetter: { contextHeaders: true },
    properties: {},
  });
export type JdbcSinkOptions = z.infer<typeof jdbcSinkOptionsSchema>;

/** A pipeline run on Kafka Connect: one source connector and one JDBC sink connector. */
export const kafkaConnectPipelineSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must start with a letter or digit; letters, digits, . _ - only'),
  mode: z.literal('kafka-connect'),
  source: z.discriminatedUnion('type', [sqlServerSourceSchema, scyllaSourceSchema]),
  target: postgresTargetSchema,
  /** Prefix of every topic of this pipeline. Default: the pipeline name with other characters as `_`. */
  topicPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_]+$/, 'letters, digits and underscore only')
    .optional(),
  /** `tasks.max` of the source connector. Default 1. */
  sourceTasksMax: z.number().int().positive().default(1),
  converter: converterSchema,
  sink: jdbcSinkOptionsSchema,
});
export type KafkaConnectPipeline = z.infer<typeof kafkaConnectPipelineSchema>;
export type KafkaConnectPipelineInput = z.input<typeof kafkaConnectPipelineSchema>;

/**
 * The slice of a cdc configuration file that scale-out mode reads: `kafka` plus `pipelines` (a list
 * with `name`, or a map keyed by name). Pipelines of other modes and unknown top-level keys are left
 * to their owners.
 */
export const kafkaConnectConfigSchema = z.looseObject({
  kafka: kafkaSettingsSchema,
  pipelines: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]),
});

/** The parsed scale-out configuration: Kafka settings and the `kafka-connect` pipelines. */
export interface KafkaConnectConfig {
  kafka: KafkaSettings;
  pipelines: KafkaConnectPipeline[];
}

function formatIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, part) =>
          typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
        prefix,
      );
      return `  ${path || '(root)'}: ${issue.message}`;
    })
    .join('\n');
}

/** The `connections:` entries of a configuration object (those with a string `url`). */
function connectionsOf(input: unknown): Record<string, ConnectionEntry> {
  const raw = (input as { connections?: unknown }).connections;
  if (typeof raw !== 'object' || raw === null) return {};
  const out: Record<string, ConnectionEntry> = {};
  for (const [name, c] of Object.entries(raw)) {
    const { url, password } = (c ?? {}) as { url?: unknown; password?: unknown };
    if (typeof url === 'string') {
      out[name] = { url, ...(typeof password === 'string' ? { password } : {}) };
    }
  }
  return out;
}

/**
 * Validates a configuration object (as loaded from YAML) and returns its Kafka settings and the
 * pipelines with `mode: kafka-connect`. A pipeline's `source`/`target` may name `connections:` entries
 * (see {@link expandConnectionReferences}) or be inline objects. Throws `CONFIG_INVALID` listing every
 * bad path.
 */
export function parseKafkaConnectConfig(input: unknown, where = 'config'): KafkaConnectConfig {
  const top = kafkaConnectConfigSchema.safeParse(input);
  if (!top.success) {
    throw new CdcError(
      'CONFIG_INVALID',
      `Invalid Kafka Connect settings in ${where}:\n${formatIssues(top.error, '')}`,
      {
        hint: 'Add `kafka: {connect: {url}, bootstrapServers}` and a `pipelines` list to the configuration.',
      },
    );
  }
  const raw = top.data.pipelines;
  const entries: [string, unknown, string][] = Array.isArray(raw)
    ? raw.map((p, i) => [`pipelines[${i}]`, p, ''])
    : Object.entries(raw).map(([name, p]) => [`pipelines.${name}`, p, name]);
  const pipelines: KafkaConnectPipeline[] = [];
  const problems: string[] = [];
  for (const [path, value, key] of entries) {
    if (
      typeof value !== 'object' ||
      value === null ||
      (value as { mode?: unknown }).mode !== 'kafka-connect'
    ) {
      continue;
    }
    let candidate = (
      key && (value as { name?: unknown }).name === undefined ? { ...value, name: key } : value
    ) as Record<string, unknown>;
    try {
      candidate = expandConnectionReferences(candidate, connectionsOf(input), path);
    } catch (error) {
      if (!isCdcError(error)) throw error;
      problems.push(`  ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
      continue;
    }
    const parsed = kafkaConnectPipelineSchema.safeParse(candidate);
    if (parsed.success) pipelines.push(parsed.data);
    else problems.push(formatIssues(parsed.error, path));
  }
  if (problems.length > 0) {
    throw new CdcError(
      'CONFIG_INVALID',
      `Invalid kafka-connect pipeline in ${where}:\n${problems.join('\n')}`,
      {
        hint: 'Fix the fields listed above; `cdc config validate` shows the full schema.',
      },
    );
  }
  const names = new Set<string>();
  for (const p of pipelines) {
    if (names.has(p.name)) {
      throw new CdcError('CONFIG_INVALID', `Two kafka-connect pipelines are named "${p.name}" in ${where}.`, {
        hint: 'Pipeline names become connector names and must be unique.',
      });
    }
    names.add(p.name);
  }
  return { kafka: top.data.kafka, pipelines };
}

/** Parses one pipeline (e.g. from tests or programmatic use) with precise error paths. */
export function parseKafkaConnectPipeline(input: unknown, where = 'pipeline'): KafkaConnectPipeline {
  const parsed = kafkaConnectPipelineSchema.safeParse(input);
  if (!parsed.success) {
    throw new CdcError(
      'CONFIG_INVALID',
      `Invalid kafka-connect pipeline (${where}):\n${formatIssues(parsed.error, '')}`,
    );
  }
  return parsed.data;
}

/** Parses the `kafka:` block. */
export function parseKafkaSettings(input: unknown): KafkaSettings {
  const parsed = kafkaSettingsSchema.safeParse(input);
  if (!parsed.success) {
    throw new CdcError('CONFIG_INVALID', `Invalid kafka settings:\n${formatIssues(parsed.error, 'kafka')}`);
  }
  return parsed.data;
}
