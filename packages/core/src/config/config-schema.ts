/**
 * The cdc configuration file's schema (zod 4): one source of truth for validation, the inferred types
 * and the JSON Schema editors use (`docs/cdc.schema.json`). Blocks owned by optional features (`vault`,
 * `kafka`) are open objects here; the packages implementing them narrow them with their own schemas.
 */
import { z } from 'zod';
import { splitQualifiedName } from './table-name.js';

const nameRegex = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Keys of `connections` and pipeline names: letters, digits, `_`, `-`, `.`. */
export const configNameSchema = z
  .string()
  .regex(nameRegex, { error: 'use letters, digits, "_", "-" or "." (e.g. "sqlserver-prod")' });

/** A qualified table name in SQL identifier syntax (`schema.table`, `"Sales-EU"."Order Items"`). */
export const tableNameSchema = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    try {
      const parts = splitQualifiedName(value);
      if (parts.length > 3) ctx.addIssue({ code: 'custom', message: 'at most catalog.schema.table' });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  })
  .meta({
    description: 'SQL identifier syntax: schema.table; double-quote parts with dots, spaces or quotes.',
  });

/** One database connection. */
export const connectionSchema = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .meta({
        description:
          'Connection URL: postgres://, postgresql://, mssql://, sqlserver://, scylla:// or cassandra://. ' +
          'May be a secret reference (env:NAME, file:/path, vault:mount/path#key).',
        examples: ['postgres://cdc@localhost:5432/app', 'mssql://sa@sql1:1433/Sales'],
      }),
    password: z
      .string()
      .optional()
      .meta({
        description:
          'Password, preferably a secret reference: env:NAME, file:/path or vault:mount/path#key. ' +
          'Overrides a password in the URL.',
        examples: ['env:PGPASSWORD', 'vault:secret/cdc/target#password'],
      }),
  })
  .meta({ description: 'A database connection.' });

/** A table of a pipeline: a name (same on both sides) or a source → target mapping with options. */
export const pipelineTableSchema = z.union([
  tableNameSchema,
  z.strictObject({
    source: tableNameSchema,
    target: tableNameSchema.optional().meta({ description: 'Target table. Default: the source name.' }),
    key: z.array(z.string().min(1)).min(1).optional().meta({
      description: 'Key columns when the table has no primary key (exact names).',
    }),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .meta({ description: 'Compare only these columns.' }),
    excludeColumns: z
      .array(z.string().min(1))
      .optional()
      .meta({ description: 'Never compare these columns.' }),
  }),
]);

/** Reconciliation algorithms (`auto` picks `hash` with pushdown where it can). */
export const algorithmSchema = z.enum(['auto', 'hash', 'stream', 'count']);

/** A replication pipeline: one source connection into one target connection. */
export const pipelineSchema = z
  .strictObject({
    name: configNameSchema,
    source: configNameSchema.meta({ description: 'Name of the source connection.' }),
    target: configNameSchema.meta({ description: 'Name of the target (PostgreSQL) connection.' }),
    mode: z.enum(['snapshot+stream', 'snapshot', 'stream']).optional().meta({
      description:
        'snapshot+stream (default): initial snapshot then changes; snapshot: copy once; stream: changes only.',
    }),
    tables: z.array(pipelineTableSchema).min(1, { error: 'list at least one table' }),
  })
  .meta({ description: 'A replication / reconciliation pipeline.' });

/**
 * A pipeline run by Kafka Connect (`mode: kafka-connect`). Only its name and mode are checked here;
 * @cdc/kafka-connect validates the rest with its own schema (`cdc config validate` runs both).
 */
export const kafkaConnectPipelineStubSchema = z
  .looseObject({
    name: configNameSchema,
    mode: z.literal('kafka-connect'),
  })
  .meta({
    description: 'A scale-out pipeline run by Kafka Connect; see docs/kafka-connect.md for its fields.',
  });

/** Scheduled reconciliation and its defaults. */
export const reconcileSchema = z.strictObject({
  schedule: z
    .string()
    .optional()
    .meta({ description: 'Cron expression (5 or 6 fields) for scheduled runs.', examples: ['0 */6 * * *'] }),
  algorithm: algorithmSchema.optional(),
  tables: z
    .array(tableNameSchema)
    .optional()
    .meta({ description: 'Tables to reconcile (source names). Default: every pipeline table.' }),
  threads: z.int().min(1).max(64).optional(),
  maxDiffs: z.int().min(1).optional(),
  floatTolerance: z.number().min(0).optional(),
  timestampPrecision: z.int().min(0).max(9).optional(),
});

/** The Prometheus endpoint. */
export const metricsSchema = z.strictObject({
  port: z.int().min(1).max(65535).meta({ description: 'Port of /metrics, /healthz and /readyz.' }),
  host: z.string().optional(),
});

/** The whole configuration file. */
export const cdcConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    connections: z
      .record(configNameSchema, connectionSchema)
      .default({})
      .meta({ description: 'Named database connections.' }),
    pipelines: z.array(z.union([pipelineSchema, kafkaConnectPipelineStubSchema])).default([]),
    reconcile: reconcileSchema.optional(),
    metrics: metricsSchema.optional(),
    vault: z.looseObject({}).optional().meta({ description: 'HashiCorp Vault settings (see @cdc/vault).' }),
    kafka: z
      .looseObject({})
      .optional()
      .meta({ description: 'Kafka Connect settings (see @cdc/kafka-connect).' }),
  })
  .superRefine((config, ctx) => {
    const names = Object.keys(config.connections);
    const seen = new Set<string>();
    config.pipelines.forEach((pipeline, i) => {
      if (seen.has(pipeline.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['pipelines', i, 'name'],
          message: `duplicate pipeline name "${pipeline.name}"`,
        });
      }
      seen.add(pipeline.name);
      if (pipeline.mode === 'kafka-connect') return;
      for (const side of ['source', 'target'] as const) {
        if (!(pipeline[side] in config.connections)) {
          ctx.addIssue({
            code: 'custom',
            path: ['pipelines', i, side],
            message: `unknown connection "${pipeline[side]}"; define it under connections (known: ${names.join(', ') || 'none'})`,
          });
        }
      }
    });
  })
  .meta({
    title: 'cdc configuration',
    description: 'Configuration of cdc (replication, reconciliation, repair).',
  });

/** A validated configuration (secrets still as references until resolved). */
export type CdcConfig = z.infer<typeof cdcConfigSchema>;
/** One connection of a {@link CdcConfig}. */
export type ConnectionConfig = z.infer<typeof connectionSchema>;
/** One embedded-mode pipeline of a {@link CdcConfig} (replicated by `cdc replicate` or the worker). */
export type PipelineConfig = z.infer<typeof pipelineSchema>;
/** A `mode: kafka-connect` pipeline, as far as core validates it. */
export type KafkaConnectPipelineStub = z.infer<typeof kafkaConnectPipelineStubSchema>;

/** The embedded-mode pipelines of a configuration (Kafka Connect pipelines are operated by `cdc connectors`). */
export function embeddedPipelines(config: CdcConfig): PipelineConfig[] {
  return config.pipelines.filter((p): p is PipelineConfig => p.mode !== 'kafka-connect');
}
/** One table entry of a pipeline. */
export type PipelineTableConfig = z.infer<typeof pipelineTableSchema>;
/** The `reconcile` block. */
export type ReconcileConfig = z.infer<typeof reconcileSchema>;
/** A reconciliation algorithm name. */
export type ReconcileAlgorithm = z.infer<typeof algorithmSchema>;
