/**
 * Always-on verification's state in `cdc_meta` (`VerificationStore` of @cdc/core): the sweep checkpoint
 * and the verified-through marks per pipeline table in `cdc_meta.verification`, persistent differences
 * as runs of kind `verify` (read by `cdc reconcile report` and `cdc repair --run`), audited repairs.
 */
import {
  CdcError,
  formatTableId,
  isSnapshotDone,
  planRepair,
  snapshotPartition,
  type DiffResult,
  type SweepCheckpoint,
  type TableId,
  type TableSchema,
  type VerificationStore,
  type VerifyMode,
} from '@cdc/core';
import { sql, type ColumnType, type Kysely } from 'kysely';
import type { PostgresAdapter } from './postgres-adapter.js';
import { META_SCHEMA } from './postgres-migrations.js';
import { applyRepairPlan } from './postgres-repair.js';
import { PostgresResultStore, recordDiffResult } from './postgres-result-store.js';

type Int8 = ColumnType<string, number | bigint | string | undefined, number | bigint | string>;
type Stamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

interface VerificationTable {
  pipeline: string;
  source_table: string;
  target_table: string;
  cycle: ColumnType<number, number | undefined, number>;
  cycle_started_at: Stamp;
  segments: ColumnType<unknown, string | null | undefined, string | null>;
  next_segment: ColumnType<number, number | undefined, number>;
  sweep_rows: Int8;
  sweep_differences: Int8;
  last_complete_started_at: Stamp;
  last_complete_finished_at: Stamp;
  changed_verified_through: Stamp;
  changed_rows: Int8;
  changed_differences: Int8;
  updated_at: ColumnType<Date, never, Date>;
}

interface CheckpointsTable {
  pipeline: string;
  partition: string;
  position: string;
}

interface VerificationDatabase {
  verification: VerificationTable;
  checkpoints: CheckpointsTable;
}

/** One pipeline table's verification record, as `cdc status` shows it. */
export interface VerificationRecord {
  pipeline: string;
  /** Source table as configured (`public.orders`). */
  table: string;
  target: string;
  cycle: number;
  segmentsDone: number;
  segmentsTotal: number;
  sweepRows: bigint;
  sweepDifferences: bigint;
  cycleStartedAt: Date | null;
  /** Start of the last complete sweep: the table's verified-through mark. */
  lastCompleteStartedAt: Date | null;
  lastCompleteFinishedAt: Date | null;
  /** Every change committed before this was verified by key (as of `updatedAt`). */
  changedVerifiedThrough: Date | null;
  changedRows: bigint;
  changedDifferences: bigint;
  updatedAt: Date;
}

/** Options of {@link PostgresVerificationStore.open}. */
export interface PostgresVerificationStoreOptions {
  /** How runs name the target (a redacted URL). */
  targetLabel?: string;
}

/**
 * {@link VerificationStore} in the target's `cdc_meta` (migrated on open).
 *
 * @example
 * ```ts
 * const target = connectPostgres({ url });
 * const store = await PostgresVerificationStore.open(target);
 * const verifier = startVerifier({ pipeline: 'sales', tables, settings, source, target, store });
 * ```
 */
export class PostgresVerificationStore implements VerificationStore {
  readonly #adapter: PostgresAdapter;
  readonly #db: Kysely<VerificationDatabase>;
  readonly #results: PostgresResultStore;
  readonly #targetLabel: string | undefined;

  private constructor(adapter: PostgresAdapter, results: PostgresResultStore, targetLabel?: string) {
    this.#adapter = adapter;
    this.#results = results;
    this.#targetLabel = targetLabel;
    this.#db = (adapter.db as Kysely<unknown> as Kysely<VerificationDatabase>).withSchema(META_SCHEMA);
  }

  /** Migrates `cdc_meta` and returns the store over the adapter's pool. */
  static async open(
    adapter: PostgresAdapter,
    options: PostgresVerificationStoreOptions = {},
  ): Promise<PostgresVerificationStore> {
    const results = await PostgresResultStore.open(adapter);
    return new PostgresVerificationStore(adapter, results, options.targetLabel);
  }

  async loadSweep(pipeline: string, table: string): Promise<SweepCheckpoint | undefined> {
    const row = await this.#db
      .selectFrom('verification')
      .selectAll()
      .where('pipeline', '=', pipeline)
      .where('source_table', '=', table)
      .executeTakeFirst();
    if (!row || row.cycle_started_at === null || row.segments === null) return undefined;
    return {
      cycle: row.cycle,
      cycleStartedAt: row.cycle_started_at,
      // jsonb comes back parsed: stored again as text for decodeSegments.
      segments: JSON.stringify(row.segments),
      nextSegment: row.next_segment,
      rows: Number(row.sweep_rows),
      differences: Number(row.sweep_differences),
      ...(row.last_complete_started_at ? { lastCompleteStartedAt: row.last_complete_started_at } : {}),
      ...(row.last_complete_finished_at ? { lastCompleteFinishedAt: row.last_complete_finished_at } : {}),
    };
  }

  async saveSweep(pipeline: string, table: string, target: string, state: SweepCheckpoint): Promise<void> {
    const values = {
      target_table: target,
      cycle: state.cycle,
      cycle_started_at: state.cycleStartedAt,
      segments: state.segments,
      next_segment: state.nextSegment,
      sweep_rows: state.rows,
      sweep_differences: state.differences,
      last_complete_started_at: state.lastCompleteStartedAt ?? null,
      last_complete_finished_at: state.lastCompleteFinishedAt ?? null,
    };
    await this.#db
      .insertInto('verification')
      .values({ pipeline, source_table: table, ...values })
      .onConflict((oc) =>
        oc.columns(['pipeline', 'source_table']).doUpdateSet({ ...values, updated_at: sql<Date>`now()` }),
      )
      .execute();
  }

  async saveChanged(
    pipeline: string,
    table: string,
    target: string,
    mark: { verifiedThrough: Date; rows: number; differences: number },
  ): Promise<void> {
    await this.#db
      .insertInto('verification')
      .values({
        pipeline,
        source_table: table,
        target_table: target,
        changed_verified_through: mark.verifiedThrough,
        changed_rows: mark.rows,
        changed_differences: mark.differences,
        sweep_rows: 0,
        sweep_differences: 0,
      })
      .onConflict((oc) =>
        oc.columns(['pipeline', 'source_table']).doUpdateSet({
          target_table: target,
          changed_verified_through: mark.verifiedThrough,
          changed_rows: sql`verification.changed_rows + ${mark.rows}` as never,
          changed_differences: sql`verification.changed_differences + ${mark.differences}` as never,
          updated_at: sql<Date>`now()`,
        }),
      )
      .execute();
  }

  async snapshotDone(pipeline: string, table: TableId): Promise<boolean> {
    const partition = snapshotPartition(table);
    const row = await this.#db
      .selectFrom('checkpoints')
      .select('position')
      .where('pipeline', '=', pipeline)
      .where('partition', '=', partition)
      .executeTakeFirst();
    return row !== undefined && isSnapshotDone(new Map([[partition, row.position]]), table);
  }

  async recordDifferences(record: {
    pipeline: string;
    mode: VerifyMode;
    result: DiffResult;
    durationMs: number;
    cycle?: number;
  }): Promise<string> {
    const { result } = record;
    const runId = await this.#results.startRun({
      kind: 'verify',
      ...(this.#targetLabel ? { target: this.#targetLabel } : {}),
      options: {
        pipeline: record.pipeline,
        mode: record.mode,
        ...(record.cycle !== undefined ? { cycle: record.cycle } : {}),
        tables: [formatTableId(result.source)],
      },
    });
    await recordDiffResult(this.#results, runId, result, record.durationMs);
    await this.#results.finishRun(runId, {
      status: 'differences',
      summary: {
        ...result.summary,
        tables: [
          {
            table: formatTableId(result.source),
            status: 'differences',
            sourceCount: Number(result.counts.source),
            targetCount: Number(result.counts.target),
            ...result.summary,
            durationMs: record.durationMs,
          },
        ],
      },
    });
    return runId;
  }

  async repair(
    runId: string,
    result: DiffResult,
    target: TableSchema,
    options: { operations: readonly ('insert' | 'update' | 'delete')[] },
  ): Promise<{ rowsChanged: number; guardsFailed: number }> {
    if (result.truncated) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `run ${runId} lists only part of the differences; not repaired`,
        {
          hint: 'raise verify.maxDiffs, or repair with cdc diff --apply',
        },
      );
    }
    const plan = planRepair(result, { operations: options.operations });
    const applied = await applyRepairPlan(this.#adapter, plan, target);
    await this.#results.recordRepair({
      runId,
      targetTable: JSON.stringify(result.target),
      mode: 'apply',
      statements: applied.statements,
      rowsChanged: applied.rowsChanged,
      guardsFailed: applied.guardsFailed.length,
    });
    return { rowsChanged: applied.rowsChanged, guardsFailed: applied.guardsFailed.length };
  }

  /** The verification records of one pipeline (all pipelines without `pipeline`). */
  async records(pipeline?: string): Promise<VerificationRecord[]> {
    let q = this.#db.selectFrom('verification').selectAll().orderBy('pipeline').orderBy('source_table');
    if (pipeline !== undefined) q = q.where('pipeline', '=', pipeline);
    return (await q.execute()).map((r) => ({
      pipeline: r.pipeline,
      table: r.source_table,
      target: r.target_table,
      cycle: r.cycle,
      segmentsDone: r.next_segment,
      segmentsTotal: Array.isArray(r.segments) ? r.segments.length : 0,
      sweepRows: BigInt(r.sweep_rows),
      sweepDifferences: BigInt(r.sweep_differences),
      cycleStartedAt: r.cycle_started_at,
      lastCompleteStartedAt: r.last_complete_started_at,
      lastCompleteFinishedAt: r.last_complete_finished_at,
      changedVerifiedThrough: r.changed_verified_through,
      changedRows: BigInt(r.changed_rows),
      changedDifferences: BigInt(r.changed_differences),
      updatedAt: r.updated_at,
    }));
  }
}
