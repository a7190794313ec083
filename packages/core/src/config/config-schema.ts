/**
 * The cdc configuration file's schema (zod 4): one source of truth for validation, the inferred types
 * and the JSON Schema editors use (`docs/cdc.schema.json`). Blocks owned by optional features (`vault`,
 * `kafka`) are open objects here; the packages implementing them narrow them with their own schemas.
 */
import { z } from 'zod';
import { replicationSlotName } from '../replication/pipeline-config.js';
import { verifySchema } from './config-verify.js';
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

/** A masking method for a PII column (see {@link pipelineTableSchema}). */
export const maskKindSchema = z.enum(['hash', 'redact', 'null']);

/** PostgreSQL truncates identifiers longer than 63 bytes; a target name must fit. */
const targetColumnNameSchema = z
  .string()
  .min(1)
  .refine((name) => Buffer.byteLength(name, 'utf8') <= 63, {
    error: 'at most 63 bytes (PostgreSQL would truncate a longer column name)',
  });

/** A PostgreSQL replication slot name. */
export const slotNameSchema = z
  .string()
  .regex(/^[a-z0-9_]{1,63}$/, {
    error: 'a replication slot name is 1–63 lowercase letters, digits or "_" (e.g. "cdc_sales")',
  })
  .meta({
    description:
      'PostgreSQL source: replication slot (and publication) name. Default: cdc_ + the pipeline name ' +
      '(lower-cased, other characters as _, plus a hash suffix when that changed it).',
    examples: ['cdc_sales'],
  });

/** A table of a pipeline: a name (same on both sides) or a source → target mapping with options. */
export const pipelineTableSchema = z.union([
  tableNameSchema,
  z
    .strictObject({
      source: tableNameSchema,
      target: tableNameSchema.optional().meta({ description: 'Target table. Default: the source name.' }),
      key: z.array(z.string().min(1)).min(1).optional().meta({
        description: 'Key columns when the table has no primary key (exact names).',
      }),
      columns: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .meta({ description: 'Compare and replicate only these columns (key columns always travel).' }),
      excludeColumns: z
        .array(z.string().min(1))
        .optional()
        .meta({ description: 'Never compare or replicate these columns (not key columns).' }),
      jsonColumns: z
        .array(z.string().min(1))
        .optional()
        .meta({
          description:
            'Columns holding JSON documents in a text type (e.g. JSON kept in SQL Server nvarchar): compared ' +
            'as JSON with the other side (json, jsonb or text) by diffs, reconciliation and verification. ' +
            'Replication copies them unchanged.',
          examples: [['payload', 'settings']],
        }),
      rename: z
        .record(z.string().min(1), targetColumnNameSchema)
        .optional()
        .meta({
          description:
            'Replication: source column → target column name (exact names). Key columns may be renamed too.',
          examples: [{ email_address: 'email', CustomerID: 'customer_id' }],
        }),
      mask: z
        .record(z.string().min(1), maskKindSchema)
        .optional()
        .meta({
          description:
            'Replication: masking of PII columns (source names). hash: hex SHA-256 of the pipeline hashSalt ' +
            '+ the value (target type text); redact: the constant "***" (text, NULL stays NULL); null: always ' +
            'NULL. Key columns may only be hashed.',
          examples: [{ email: 'hash', ssn: 'redact', birth_date: 'null' }],
        }),
      deletes: z
        .enum(['hard', 'soft'])
        .optional()
        .meta({
          description:
            'Replication: hard (default) deletes target rows; soft keeps them and sets _cdc_deleted = true ' +
            'and _cdc_deleted_at (columns added to the target table).',
          examples: ['soft'],
        }),
    })
    .superRefine((table, ctx) => {
      const seen = new Map<string, string>();
      for (const [from, to] of Object.entries(table.rename ?? {})) {
        const other = seen.get(to);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['rename', from],
            message: `"${from}" and "${other}" are both renamed to "${to}"; give each a distinct target name`,
          });
        }
        seen.set(to, from);
      }
    }),
]);

/** Batch limits of a replication pipeline: a sink transaction is committed when the first is reached. */
export const batchSchema = z
  .strictObject({
    maxRows: z
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .meta({
        description: 'Changes per sink transaction. Default 5000.',
        examples: [5000],
      }),
    maxBytes: z
      .int()
      .min(1024)
      .max(1024 ** 3)
      .optional()
      .meta({ description: 'Estimated payload bytes per sink transaction. Default 16777216 (16 MiB).' }),
    maxDelayMs: z
      .int()
      .min(0)
      .max(60_000)
      .optional()
      .meta({
        description:
          'How long a partial batch waits for more changes before it is committed, ms. Default 200. ' +
          'Lower means less lag, higher means larger (faster) batches under load.',
        examples: [200],
      }),
  })
  .meta({ description: 'Replication batching: whichever limit is reached first commits the batch.' });

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
    targetSchema: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          'Replication: target schema of tables without an explicit target. Default: the source schema.',
        examples: ['mirror'],
      }),
    hashSalt: z
      .string()
      .optional()
      .meta({
        description:
          'Replication: salt prepended to values masked with hash (same salt → joinable hashes). ' +
          'Use ${ENV} interpolation to keep it out of the file.',
        examples: ['${CDC_MASK_SALT}'],
      }),
    batch: batchSchema.optional(),
    slot: slotNameSchema.optional(),
    verify: verifySchema.optional(),
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
  port: z
    .int()
    .min(1)
    .max(65535)
    .meta({ description: 'Port of /metrics, /healthz, /readyz, the status API and the web console.' }),
  host: z.string().optional().meta({
    description:
      'Interface the worker binds. Default 127.0.0.1 (this machine only); 0.0.0.0 for every interface.',
  }),
  token: z
    .string()
    .min(1)
    .optional()
    .meta({
      description:
        'Bearer token the web console (/) and the API (/api/…) require; /healthz, /readyz and /metrics stay open. ' +
        'A secret reference: env:NAME, file:/path or vault:mount/path#key.',
      examples: ['env:CDC_CONSOLE_TOKEN'],
    }),
});

/** The whole configuration file. */
export const cdcConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    plugins: z
      .array(z.string().min(1))
      .optional()
      .meta({
        description:
          'Connector plugin modules loaded before any URL is parsed: paths (relative to this file) or package names (resolved from the working directory). Each exports connector descriptors; see docs/configuration.md.',
        examples: [['./my-adapter.mjs', '@acme/cdc-oracle']],
      }),
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
    const slots = new Map<string, string>();
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
      // Two pipelines reading one source through one slot would release each other's changes.
      const slot = pipeline.slot ?? replicationSlotName(pipeline.name);
      const owner = slots.get(`${pipeline.source}\u0000${slot}`);
      if (owner !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['pipelines', i, 'slot'],
          message: `replication slot "${slot}" is already used by pipeline "${owner}" on source "${pipeline.source}"; set a distinct slot`,
        });
      }
      slots.set(`${pipeline.source}\u0000${slot}`, pipeline.name);
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
/** The `batch` block of a pipeline. */
export type BatchConfig = z.infer<typeof batchSchema>;
/** A masking method of a pipeline table's `mask`. */
export type MaskKindConfig = z.infer<typeof maskKindSchema>;
/** A reconciliation algorithm name. */
export type ReconcileAlgorithm = z.infer<typeof algorithmSchema>;
