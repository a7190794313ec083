/**
 * The shared path of `diff`, `reconcile`, `repair` and `demo`: open both sides, describe both tables,
 * run the diff engine with the user's options, and turn differences into guarded repairs.
 * The logic lives in @cdc/core (engine, plans) and @cdc/postgres (SQL, apply); this file only wires.
 */
import { writeFile } from 'node:fs/promises';
import {
  CdcError,
  diffTables,
  planRepair,
  type ComparisonPolicy,
  type DiffProgressEvent,
  type DiffResult,
  type RepairPlan,
  type TableId,
  type TableSchema,
} from '@cdc/core';
import { applyRepairPlan, renderRepairSql, type PostgresAdapter } from '@cdc/postgres';
import { classifyError } from './cli-error.js';
import { connectUrl, type OpenConnection } from './connect.js';
import type { CommandContext } from './context.js';
import { useLeanHeap } from './lean-heap.js';
import type { Progress } from './progress.js';

/** One side of a comparison as the user named it. */
export interface SideSpec {
  role: 'source' | 'target';
  /** Connection name (configuration) or `source`/`target` (ad hoc). */
  label: string;
  url: string;
  password?: string;
  /** True when `password` is already resolved (configuration files). */
  passwordResolved?: boolean;
  table: TableId;
}

/** A table pair to compare. */
export interface PairSpec {
  /** How the pair is named in output (the source table as written). */
  name: string;
  source: SideSpec;
  target: SideSpec;
  key?: string[];
  columns?: string[];
  excludeColumns?: string[];
  /** Columns holding JSON in a text type on a side: compared as JSON (`ComparisonPolicy.json`). */
  jsonColumns?: string[];
}

/** Comparison options (the `cdc diff` flags). */
export interface CompareOptions {
  algorithm: 'auto' | 'hash' | 'stream' | 'count';
  floatTolerance?: number;
  timestampPrecision?: number;
  threads?: number;
  /** Worker threads for client-side hashing (`DiffOptions.workers`); default: the engine's. */
  workers?: number;
  maxDiffs: number;
  recheckAfterMs?: number;
  /** `auto` (native same-engine hash where provably equivalent), `canonical` (cross-engine MD5), `client`. */
  hashing?: 'auto' | 'canonical' | 'client';
  progress?: Progress;
  /** Stops the diff between units of work (Ctrl-C). */
  signal?: AbortSignal;
}

/** Both sides open and described. */
export interface OpenPair {
  spec: PairSpec;
  source: OpenConnection;
  target: OpenConnection;
  sourceSchema: TableSchema;
  targetSchema: TableSchema;
  close(): Promise<void>;
}

async function openSide(ctx: CommandContext, side: SideSpec): Promise<OpenConnection> {
  return connectUrl(side.url, {
    role: side.role,
    password: side.password,
    passwordResolved: side.passwordResolved,
    env: ctx.env,
    redactor: ctx.redactor,
    connectors: await ctx.connectors(),
  });
}

async function describe(
  conn: OpenConnection,
  side: SideSpec,
  key: string[] | undefined,
): Promise<TableSchema> {
  try {
    return await conn.adapter.introspect(side.table, key ? { key } : undefined);
  } catch (error) {
    throw classifyError(error, `${side.role} ${conn.display}`);
  }
}

/** Connects to both sides and introspects both tables; closes what it opened on failure. */
export async function openPair(ctx: CommandContext, spec: PairSpec): Promise<OpenPair> {
  const opened: OpenConnection[] = [];
  const close = async () => {
    await Promise.allSettled(opened.map((c) => c.adapter.close()));
  };
  try {
    const source = await openSide(ctx, spec.source);
    opened.push(source);
    const target = await openSide(ctx, spec.target);
    opened.push(target);
    ctx.out.debug(
      `source ${source.display} (${source.dialect}), target ${target.display} (${target.dialect})`,
    );
    const [sourceSchema, targetSchema] = await Promise.all([
      describe(source, spec.source, spec.key),
      describe(target, spec.target, spec.key),
    ]);
    return { spec, source, target, sourceSchema, targetSchema, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The non-key columns to compare: `--columns`, else every column on both sides, minus `--exclude-columns`. */
export function columnsToCompare(pair: OpenPair): string[] | undefined {
  const { spec, sourceSchema, targetSchema } = pair;
  if (!spec.columns && !spec.excludeColumns) return undefined;
  const key = new Set(sourceSchema.primaryKey);
  const inTarget = new Set(targetSchema.columns.map((c) => c.name));
  const available = sourceSchema.columns.map((c) => c.name).filter((n) => !key.has(n) && inTarget.has(n));
  for (const name of [...(spec.columns ?? []), ...(spec.excludeColumns ?? [])]) {
    if (!sourceSchema.columns.some((c) => c.name === name)) {
      throw new CdcError(
        'COLUMN_NOT_FOUND',
        `column ${JSON.stringify(name)} is not in source table ${spec.name}`,
        {
          hint: `columns are matched exactly; available: ${available.join(', ')}`,
        },
      );
    }
  }
  const excluded = new Set(spec.excludeColumns ?? []);
  return (spec.columns ?? available).filter((n) => !key.has(n) && !excluded.has(n));
}

/** Runs the diff engine over an open pair. */
export async function comparePair(pair: OpenPair, options: CompareOptions): Promise<DiffResult> {
  const columns = columnsToCompare(pair);
  const json = pair.spec.jsonColumns ?? [];
  for (const name of json) {
    if (!pair.sourceSchema.columns.some((c) => c.name === name)) {
      throw new CdcError(
        'COLUMN_NOT_FOUND',
        `JSON column ${JSON.stringify(name)} is not in source table ${pair.spec.name}`,
        {
          hint: `columns are matched exactly; the table has: ${pair.sourceSchema.columns.map((c) => c.name).join(', ')}`,
        },
      );
    }
  }
  // Bounded memory while rows stream through this process (client-side hashing, streaming diffs).
  useLeanHeap();
  const policy: ComparisonPolicy = {};
  if (options.floatTolerance !== undefined) policy.absoluteTolerance = options.floatTolerance;
  if (options.timestampPrecision !== undefined) policy.precision = options.timestampPrecision;
  try {
    return await diffTables({
      source: { source: pair.source.adapter, table: pair.sourceSchema },
      target: { source: pair.target.adapter, table: pair.targetSchema },
      algorithm: options.algorithm,
      ...(columns ? { columns } : {}),
      ...(Object.keys(policy).length > 0 ? { defaultPolicy: policy } : {}),
      ...(json.length > 0
        ? { policies: Object.fromEntries(json.map((c) => [c, { ...policy, json: true }])) }
        : {}),
      ...(options.threads !== undefined ? { concurrency: options.threads } : {}),
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      maxDiffs: options.maxDiffs,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.recheckAfterMs !== undefined ? { recheckAfterMs: options.recheckAfterMs } : {}),
      ...(options.hashing !== undefined ? { hashing: options.hashing } : {}),
      ...(options.progress
        ? {
            onProgress: (p: DiffProgressEvent) =>
              options.progress?.update(p.done, p.total, `${pair.spec.name} ${p.phase}`),
          }
        : {}),
    });
  } catch (error) {
    throw classifyError(error, pair.spec.name);
  } finally {
    options.progress?.stop();
  }
}

function requirePostgresTarget(pair: OpenPair): PostgresAdapter {
  if (pair.target.dialect !== 'postgres') {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `repair writes to PostgreSQL only; the target is ${pair.target.dialect}`,
      {
        hint: 'swap source and target so that PostgreSQL is the target',
      },
    );
  }
  return pair.target.adapter as PostgresAdapter;
}

/** The guarded repair plan of a diff result. */
export function repairPlanOf(pair: OpenPair, result: DiffResult): RepairPlan {
  requirePostgresTarget(pair);
  if (result.truncated) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `the diff stopped at --max-diffs ${result.differences.length}; a repair would be partial`,
      {
        hint: 'raise --max-diffs, or repair in rounds (repair, then diff again)',
      },
    );
  }
  return planRepair(result);
}

/** Writes the guarded repair script for `plan` to `file`; returns the number of statements. */
export async function writeRepairSql(pair: OpenPair, plan: RepairPlan, file: string): Promise<void> {
  requirePostgresTarget(pair);
  await writeFile(file, renderRepairSql(plan, pair.targetSchema), 'utf8');
}

/** Applies `plan` to the PostgreSQL target in guarded, parameterized batches. */
export async function applyRepair(pair: OpenPair, plan: RepairPlan) {
  const adapter = requirePostgresTarget(pair);
  return applyRepairPlan(adapter, plan, pair.targetSchema);
}

/**
 * Runs `work` with a signal that aborts on the first SIGINT/SIGTERM, so Ctrl-C stops a long diff
 * between units of work and the connections still close; a second signal exits at once.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(
      new CdcError('CANCELLED', `interrupted by ${name}`, { hint: 'press Ctrl-C again to exit at once' }),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
