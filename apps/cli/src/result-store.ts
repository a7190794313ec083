/**
 * Reconciliation history in the target's `cdc_meta` schema (@cdc/postgres `PostgresResultStore`):
 * recording diff results with their differences, reading runs back as reports, and rebuilding a
 * stored table result for `cdc repair --run`.
 */
import { CdcError, type DiffResult, type Difference, type TableSchema } from '@cdc/core';
import {
  PostgresResultStore,
  recordDiffResult,
  type PostgresAdapter,
  type RunDetail,
  type RunRecord,
} from '@cdc/postgres';
import type { OpenConnection } from './connect.js';
import { REPORT_DIFFERENCES_PER_TABLE, type ReportRun, type ReportTable } from '@cdc/console';

/** Opens (and migrates) the result store of a PostgreSQL connection. */
export async function openResultStore(conn: OpenConnection): Promise<PostgresResultStore> {
  if (conn.dialect !== 'postgres') {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `reconciliation history lives in PostgreSQL; ${conn.display} is ${conn.dialect}`,
      {
        hint: 'use the PostgreSQL target connection',
      },
    );
  }
  return PostgresResultStore.open(conn.adapter as PostgresAdapter);
}

/** Records one table's diff result (and every listed difference) under `runId`. */
export async function recordResult(
  store: PostgresResultStore,
  runId: string,
  result: DiffResult,
  durationMs: number,
): Promise<void> {
  await recordDiffResult(store, runId, result, durationMs);
}

/** Records a table that could not be compared. */
export async function recordFailure(
  store: PostgresResultStore,
  runId: string,
  source: string,
  target: string,
  error: string,
): Promise<void> {
  await store.recordTableResult(runId, {
    sourceTable: source,
    targetTable: target,
    strategy: 'none',
    missing: 0,
    extra: 0,
    mismatched: 0,
    error,
  });
}

function tableLabel(stored: string): string {
  try {
    const id = JSON.parse(stored) as { schema?: string; name: string };
    const q = (s: string) => (/^[a-z_][a-z0-9_]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
    return [id.schema, id.name]
      .filter((p): p is string => p !== undefined)
      .map(q)
      .join('.');
  } catch {
    return stored;
  }
}

/** A stored run as a report row set. */
export function toReportRun(run: RunRecord & { tables?: RunDetail['tables'] }): ReportRun {
  const tables: ReportTable[] = (run.tables ?? []).map((t) => ({
    table: tableLabel(t.sourceTable),
    status: t.error ? 'error' : t.missing + t.extra + t.mismatched > 0n ? 'differences' : 'in_sync',
    ...(t.sourceRows !== undefined && t.sourceRows !== null ? { sourceCount: Number(t.sourceRows) } : {}),
    ...(t.targetRows !== undefined && t.targetRows !== null ? { targetCount: Number(t.targetRows) } : {}),
    missing: Number(t.missing),
    extra: Number(t.extra),
    mismatched: Number(t.mismatched),
    ...(t.error ? { error: t.error } : {}),
    ...(t.durationMs !== undefined && t.durationMs !== null ? { durationMs: Number(t.durationMs) } : {}),
    // Keys and column names only: the report never shows row values.
    ...('samples' in t && t.samples.length > 0
      ? {
          differences: t.samples.slice(0, REPORT_DIFFERENCES_PER_TABLE).map((d) => ({
            kind: d.kind,
            key: d.key,
            columns: d.columns ?? [],
          })),
        }
      : {}),
  }));
  const summary = (run.summary ?? {}) as {
    missing?: number;
    extra?: number;
    mismatched?: number;
    tables?: ReportTable[];
  };
  return {
    id: run.id,
    ...(run.kind === 'verify' ? { kind: 'verify' as const } : {}),
    startedAt: run.startedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    status: run.status,
    // listRuns has no table rows; the run summary carries the per-table counts for the chart.
    tables: tables.length > 0 ? tables : (summary.tables ?? []),
  };
}

/** Rebuilds the diff result of one table of a stored run (for a guarded repair of exactly those rows). */
export function storedResult(
  run: RunDetail,
  tableText: string,
  matches: (stored: string) => boolean,
): DiffResult {
  const table = run.tables.find((t) => matches(t.sourceTable) || matches(t.targetTable));
  if (!table) {
    throw new CdcError('TABLE_NOT_FOUND', `run ${run.id} has no result for table ${tableText}`, {
      hint: `tables of this run: ${run.tables.map((t) => tableLabel(t.sourceTable)).join(', ') || 'none'}`,
    });
  }
  if (table.error) {
    throw new CdcError('INVALID_ARGUMENT', `run ${run.id} could not compare ${tableText}: ${table.error}`, {
      hint: 'fix the problem and run cdc reconcile run again',
    });
  }
  const stats = (table.stats ?? {}) as {
    truncated?: boolean;
    keyColumns?: string[];
    comparedColumns?: string[];
  };
  const total = Number(table.missing + table.extra + table.mismatched);
  if (stats.truncated || table.samples.length < total) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `run ${run.id} stored ${table.samples.length} of ${total} differences of ${tableText}; a repair would be partial`,
      {
        hint: 'run cdc diff --config … --table … --apply (or raise reconcile.maxDiffs and reconcile again)',
      },
    );
  }
  const keyColumns = stats.keyColumns ?? [];
  const differences: Difference[] = table.samples.map((s) => ({
    kind: s.kind,
    key: Object.fromEntries(keyColumns.map((k, i) => [k, s.key[i]])),
    columns: s.columns ?? [],
    ...(s.sourceRow ? { source: s.sourceRow } : {}),
    ...(s.targetRow ? { target: s.targetRow } : {}),
  }));
  return {
    version: 1,
    source: JSON.parse(table.sourceTable) as TableSchema['id'],
    target: JSON.parse(table.targetTable) as TableSchema['id'],
    status: differences.length > 0 ? 'differences' : 'in_sync',
    algorithm: table.strategy as DiffResult['algorithm'],
    hashing: (table.hashing ?? 'none') as DiffResult['hashing'],
    counts: { source: BigInt(table.sourceRows ?? 0n), target: BigInt(table.targetRows ?? 0n) },
    summary: {
      missing: Number(table.missing),
      extra: Number(table.extra),
      mismatched: Number(table.mismatched),
    },
    keyColumns,
    comparedColumns: stats.comparedColumns ?? [],
    differences,
    truncated: false,
    stats: {
      source: { rowsRead: 0, bytesRead: 0, queries: 0 },
      target: { rowsRead: 0, bytesRead: 0, queries: 0 },
      durationMs: 0,
    },
    notes: [`rebuilt from stored run ${run.id}`],
  };
}
