/**
 * The result store: reconciliation runs, per-table results, samples of differences and repairs in
 * `cdc_meta`, with the small typed API the CLI and worker use for history and reports.
 */
import { CdcError, type DiffResult, type Difference } from '@cdc/core';
import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import { META_SCHEMA, migrateMeta } from './postgres-migrations.js';
import type { PostgresAdapter } from './postgres-adapter.js';

type Json = ColumnType<unknown, string | null, string | null>;
type Int8 = ColumnType<string, number | bigint | string, number | bigint | string>;

interface RunsTable {
  id: Generated<string>;
  kind: string;
  status: Generated<string>;
  started_at: Generated<Date>;
  finished_at: Date | null;
  source: string | null;
  target: string | null;
  options: Json;
  summary: Json;
  error: string | null;
}

interface TableResultsTable {
  id: Generated<string>;
  run_id: Int8;
  source_table: string;
  target_table: string;
  strategy: string;
  hashing: string | null;
  source_rows: Int8 | null;
  target_rows: Int8 | null;
  missing: Int8;
  extra: Int8;
  mismatched: Int8;
  duration_ms: Int8 | null;
  stats: Json;
  error: string | null;
}

interface DifferenceSamplesTable {
  id: Generated<string>;
  table_result_id: Int8;
  kind: 'missing' | 'extra' | 'mismatched';
  key: Json;
  columns: string[] | null;
  source_row: Json;
  target_row: Json;
}

interface RepairsTable {
  id: Generated<string>;
  run_id: Int8 | null;
  target_table: string;
  mode: 'script' | 'apply';
  statements: Int8;
  rows_changed: Int8;
  guards_failed: Int8;
  script: string | null;
  created_at: Generated<Date>;
}

/** Kysely table types of `cdc_meta` (reconciliation part). */
export interface MetaDatabase {
  runs: RunsTable;
  table_results: TableResultsTable;
  difference_samples: DifferenceSamplesTable;
  repairs: RepairsTable;
}

/** A run to record when it starts. */
export interface NewRun {
  kind: 'diff' | 'reconcile' | 'repair' | string;
  source?: string;
  target?: string;
  options?: unknown;
}

/** A stored run. */
export interface RunRecord {
  id: string;
  kind: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  source: string | null;
  target: string | null;
  options: unknown;
  summary: unknown;
  error: string | null;
}

/** One table's outcome within a run. */
export interface TableResultInput {
  sourceTable: string;
  targetTable: string;
  strategy: string;
  /** Which hashing was used (`canonical`, `native`, `client`). */
  hashing?: string;
  sourceRows?: bigint;
  targetRows?: bigint;
  missing: number | bigint;
  extra: number | bigint;
  mismatched: number | bigint;
  durationMs?: number;
  stats?: unknown;
  error?: string;
}

/** A stored table result. */
export interface TableResultRecord extends Omit<TableResultInput, 'missing' | 'extra' | 'mismatched'> {
  id: string;
  runId: string;
  missing: bigint;
  extra: bigint;
  mismatched: bigint;
}

/** One sampled difference (values in JSON-safe form: the store serializes bigint and bytes). */
export interface DifferenceSample {
  kind: 'missing' | 'extra' | 'mismatched';
  key: unknown[];
  columns?: string[];
  sourceRow?: Record<string, unknown> | null;
  targetRow?: Record<string, unknown> | null;
}

/** A repair to record. */
export interface RepairRecordInput {
  runId?: string;
  targetTable: string;
  mode: 'script' | 'apply';
  statements: number;
  rowsChanged: number | bigint;
  guardsFailed: number | bigint;
  script?: string;
}

/** A run with its table results and difference samples. */
export interface RunDetail extends RunRecord {
  tables: (TableResultRecord & { samples: DifferenceSample[] })[];
  repairs: (RepairRecordInput & { id: string; createdAt: Date })[];
}

/** What the CLI needs from a result store. */
export interface ResultStore {
  startRun(run: NewRun): Promise<string>;
  finishRun(
    id: string,
    outcome: { status: 'in-sync' | 'differences' | 'failed' | string; summary?: unknown; error?: string },
  ): Promise<void>;
  recordTableResult(runId: string, result: TableResultInput): Promise<string>;
  recordDifferences(tableResultId: string, samples: DifferenceSample[]): Promise<void>;
  recordRepair(repair: RepairRecordInput): Promise<string>;
  /** Most recent runs first; `kind` keeps runs of that kind (or of any of those kinds). */
  listRuns(options?: { limit?: number; kind?: string | readonly string[] }): Promise<RunRecord[]>;
  getRun(id: string): Promise<RunDetail | undefined>;
}

/** The stored form of a difference: the key as an array in key order, both rows as read. */
export function differenceSample(result: DiffResult, d: Difference): DifferenceSample {
  return {
    kind: d.kind,
    key: result.keyColumns.map((k) => d.key[k]),
    columns: d.columns,
    sourceRow: d.source ?? null,
    targetRow: d.target ?? null,
  };
}

/**
 * Records one table's diff result under `runId`, with every listed difference as a sample (what
 * `cdc reconcile report` and `cdc repair --run` read back). Returns the table result's id.
 */
export async function recordDiffResult(
  store: ResultStore,
  runId: string,
  result: DiffResult,
  durationMs: number,
): Promise<string> {
  const id = await store.recordTableResult(runId, {
    sourceTable: JSON.stringify(result.source),
    targetTable: JSON.stringify(result.target),
    strategy: result.algorithm,
    hashing: result.hashing,
    sourceRows: result.counts.source,
    targetRows: result.counts.target,
    missing: result.summary.missing,
    extra: result.summary.extra,
    mismatched: result.summary.mismatched,
    durationMs,
    stats: {
      ...result.stats,
      truncated: result.truncated,
      keyColumns: result.keyColumns,
      comparedColumns: result.comparedColumns,
    },
  });
  if (result.differences.length > 0) {
    await store.recordDifferences(
      id,
      result.differences.map((d) => differenceSample(result, d)),
    );
  }
  return id;
}

/** JSON with bigint as decimal strings and bytes as `\x…` hex, so every value survives jsonb. */
export function toStoredJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`;
    if (
      v &&
      typeof v === 'object' &&
      (v as { type?: string }).type === 'Buffer' &&
      Array.isArray((v as { data?: unknown }).data)
    ) {
      return `\\x${Buffer.from((v as { data: number[] }).data).toString('hex')}`;
    }
    return v;
  });
}

function toRun(r: {
  id: string;
  kind: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  source: string | null;
  target: string | null;
  options: unknown;
  summary: unknown;
  error: string | null;
}): RunRecord {
  return {
    id: String(r.id),
    kind: r.kind,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    source: r.source,
    target: r.target,
    options: r.options,
    summary: r.summary,
    error: r.error,
  };
}

/**
 * {@link ResultStore} in PostgreSQL's `cdc_meta` schema. {@link PostgresResultStore.open} migrates.
 *
 * @example
 * ```ts
 * const store = await PostgresResultStore.open(connectPostgres({ url }));
 * const run = await store.startRun({ kind: 'diff' });
 * await store.finishRun(run, { status: 'in-sync' });
 * ```
 */
export class PostgresResultStore implements ResultStore {
  readonly #db: Kysely<MetaDatabase>;

  private constructor(db: Kysely<MetaDatabase>) {
    this.#db = db;
  }

  /** Migrates `cdc_meta` to the latest version and returns a store over the adapter's pool. */
  static async open(adapter: PostgresAdapter): Promise<PostgresResultStore> {
    try {
      await migrateMeta(adapter.db);
    } catch (cause) {
      throw new CdcError(
        'PERMISSION_DENIED',
        `cannot create or migrate the ${META_SCHEMA} schema: ${(cause as Error).message}`,
        {
          cause,
          hint: `grant CREATE on the database (or create schema ${META_SCHEMA} owned by the cdc user)`,
        },
      );
    }
    return new PostgresResultStore(
      (adapter.db as Kysely<unknown> as Kysely<MetaDatabase>).withSchema(META_SCHEMA),
    );
  }

  async startRun(run: NewRun): Promise<string> {
    const row = await this.#db
      .insertInto('runs')
      .values({
        kind: run.kind,
        source: run.source ?? null,
        target: run.target ?? null,
        options: toStoredJson(run.options),
        summary: null,
        finished_at: null,
        error: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return String(row.id);
  }

  async finishRun(id: string, outcome: { status: string; summary?: unknown; error?: string }): Promise<void> {
    await this.#db
      .updateTable('runs')
      .set({
        status: outcome.status,
        summary: toStoredJson(outcome.summary),
        error: outcome.error ?? null,
        finished_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  async recordTableResult(runId: string, r: TableResultInput): Promise<string> {
    const row = await this.#db
      .insertInto('table_results')
      .values({
        run_id: runId,
        source_table: r.sourceTable,
        target_table: r.targetTable,
        strategy: r.strategy,
        hashing: r.hashing ?? null,
        source_rows: r.sourceRows ?? null,
        target_rows: r.targetRows ?? null,
        missing: r.missing,
        extra: r.extra,
        mismatched: r.mismatched,
        duration_ms: r.durationMs === undefined ? null : Math.round(r.durationMs),
        stats: toStoredJson(r.stats),
        error: r.error ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return String(row.id);
  }

  async recordDifferences(tableResultId: string, samples: DifferenceSample[]): Promise<void> {
    for (let i = 0; i < samples.length; i += 500) {
      await this.#db
        .insertInto('difference_samples')
        .values(
          samples.slice(i, i + 500).map((s) => ({
            table_result_id: tableResultId,
            kind: s.kind,
            key: toStoredJson(s.key),
            columns: s.columns ?? null,
            source_row: toStoredJson(s.sourceRow),
            target_row: toStoredJson(s.targetRow),
          })),
        )
        .execute();
    }
  }

  async recordRepair(r: RepairRecordInput): Promise<string> {
    const row = await this.#db
      .insertInto('repairs')
      .values({
        run_id: r.runId ?? null,
        target_table: r.targetTable,
        mode: r.mode,
        statements: r.statements,
        rows_changed: r.rowsChanged,
        guards_failed: r.guardsFailed,
        script: r.script ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return String(row.id);
  }

  async listRuns(options: { limit?: number; kind?: string | readonly string[] } = {}): Promise<RunRecord[]> {
    let q = this.#db
      .selectFrom('runs')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(options.limit ?? 50);
    if (typeof options.kind === 'string') q = q.where('kind', '=', options.kind);
    else if (options.kind) q = q.where('kind', 'in', [...options.kind]);
    return (await q.execute()).map(toRun);
  }

  async getRun(id: string): Promise<RunDetail | undefined> {
    if (!/^\d+$/.test(id)) return undefined;
    const run = await this.#db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!run) return undefined;
    const tables = await this.#db
      .selectFrom('table_results')
      .selectAll()
      .where('run_id', '=', id)
      .orderBy('id')
      .execute();
    const samples = tables.length
      ? await this.#db
          .selectFrom('difference_samples')
          .selectAll()
          .where(
            'table_result_id',
            'in',
            tables.map((t) => t.id),
          )
          .orderBy('id')
          .execute()
      : [];
    const repairs = await this.#db
      .selectFrom('repairs')
      .selectAll()
      .where('run_id', '=', id)
      .orderBy('id')
      .execute();
    const big = (v: string | null) => (v === null ? undefined : BigInt(v));
    return {
      ...toRun(run),
      tables: tables.map((t) => {
        const record: TableResultRecord & { samples: DifferenceSample[] } = {
          id: String(t.id),
          runId: String(t.run_id),
          sourceTable: t.source_table,
          targetTable: t.target_table,
          strategy: t.strategy,
          missing: BigInt(t.missing),
          extra: BigInt(t.extra),
          mismatched: BigInt(t.mismatched),
          samples: samples
            .filter((s) => String(s.table_result_id) === String(t.id))
            .map((s) => {
              const sample: DifferenceSample = { kind: s.kind, key: s.key as unknown[] };
              if (s.columns) sample.columns = s.columns;
              if (s.source_row !== null) sample.sourceRow = s.source_row as Record<string, unknown>;
              if (s.target_row !== null) sample.targetRow = s.target_row as Record<string, unknown>;
              return sample;
            }),
        };
        if (t.hashing !== null) record.hashing = t.hashing;
        const sourceRows = big(t.source_rows);
        if (sourceRows !== undefined) record.sourceRows = sourceRows;
        const targetRows = big(t.target_rows);
        if (targetRows !== undefined) record.targetRows = targetRows;
        if (t.duration_ms !== null) record.durationMs = Number(t.duration_ms);
        if (t.stats !== null) record.stats = t.stats;
        if (t.error !== null) record.error = t.error;
        return record;
      }),
      repairs: repairs.map((r) => {
        const rec: RepairRecordInput & { id: string; createdAt: Date } = {
          id: String(r.id),
          targetTable: r.target_table,
          mode: r.mode,
          statements: Number(r.statements),
          rowsChanged: BigInt(r.rows_changed),
          guardsFailed: BigInt(r.guards_failed),
          createdAt: r.created_at,
        };
        if (r.run_id !== null) rec.runId = String(r.run_id);
        if (r.script !== null) rec.script = r.script;
        return rec;
      }),
    };
  }
}
