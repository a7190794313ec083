/**
 * What the commands working from the configuration file share (`diff --config`, `reconcile run|report`,
 * `repair`): finding the file, turning a pipeline table into a comparable pair, and opening the
 * reconciliation history (`cdc_meta`) of a configured connection.
 */
import { CdcError, type CdcConfig, type PipelineConfig } from '@cdc/core';
import type { PostgresResultStore } from '@cdc/postgres';
import type { TableEntry } from './config-tables.js';
import { connectUrl, type OpenConnection } from './connect.js';
import type { CommandContext } from './context.js';
import type { PairSpec } from './diff-session.js';
import { openResultStore } from './result-store.js';

/**
 * The configuration file: `--config`, else `$CDC_CONFIG`; without either, an `INVALID_ARGUMENT`
 * error with `message` and `hint` (the command's own wording).
 */
export function requireConfigPath(
  ctx: CommandContext,
  option: string | undefined,
  message: string,
  hint: string,
): string {
  const path = option ?? ctx.env.CDC_CONFIG;
  if (!path) throw new CdcError('INVALID_ARGUMENT', message, { hint });
  return path;
}

/** The pair to compare for one table of a pipeline (connections from the resolved configuration). */
export function configuredPair(config: CdcConfig, pipeline: PipelineConfig, entry: TableEntry): PairSpec {
  const source = config.connections[pipeline.source]!;
  const target = config.connections[pipeline.target]!;
  return {
    name: entry.name,
    source: {
      role: 'source',
      label: pipeline.source,
      url: source.url,
      password: source.password,
      passwordResolved: true,
      table: entry.source,
    },
    target: {
      role: 'target',
      label: pipeline.target,
      url: target.url,
      password: target.password,
      passwordResolved: true,
      table: entry.target,
    },
    ...(entry.key ? { key: entry.key } : {}),
    ...(entry.columns ? { columns: entry.columns } : {}),
    ...(entry.excludeColumns ? { excludeColumns: entry.excludeColumns } : {}),
    ...(entry.jsonColumns ? { jsonColumns: entry.jsonColumns } : {}),
  };
}

/**
 * Connects to the configured connection `name` as a target, opens (and migrates) its result store,
 * runs `work`, and closes the connection whatever happens.
 */
export async function withResultStore<T>(
  ctx: CommandContext,
  config: CdcConfig,
  name: string,
  work: (store: PostgresResultStore, conn: OpenConnection) => Promise<T>,
): Promise<T> {
  const connection = config.connections[name]!;
  const conn = await connectUrl(connection.url, {
    role: 'target',
    password: connection.password,
    passwordResolved: true,
    env: ctx.env,
    redactor: ctx.redactor,
    connectors: await ctx.connectors(),
  });
  try {
    return await work(await openResultStore(conn), conn);
  } finally {
    await conn.adapter.close();
  }
}
