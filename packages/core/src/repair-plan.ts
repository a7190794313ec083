/**
 * Repair planning (ARCHITECTURE §6): turns a diff into dialect-neutral steps that make the target equal
 * the source. Every step carries the target values the diff saw, so a renderer can guard its statement
 * (skip and report a row that changed since the diff instead of clobbering it).
 */
import type { DiffResult } from './diff-types.js';
import { CdcError } from './errors.js';
import type { Row, TableId } from './schema.js';

/** One repair step. `key` lists key columns in key order. */
export type RepairStep =
  | {
      /** The row is missing in the target: insert the source values. Guard: the key must still be absent. */
      op: 'insert';
      key: Record<string, unknown>;
      values: Row;
    }
  | {
      /** Set only the differing columns. Guard: those columns still hold `expected` in the target. */
      op: 'update';
      key: Record<string, unknown>;
      set: Row;
      expected: Row;
    }
  | {
      /** The row exists only in the target. Guard: it still holds `expected` (its compared columns). */
      op: 'delete';
      key: Record<string, unknown>;
      expected: Row;
    };

/** A dialect-neutral repair plan for one target table. */
export interface RepairPlan {
  version: 1;
  /** The table to change (the diff's target). */
  table: TableId;
  keyColumns: string[];
  steps: RepairStep[];
  /** Counts per operation. */
  summary: { insert: number; update: number; delete: number };
  /** The diff was truncated: applying this plan repairs only the listed differences. */
  partial: boolean;
}

/** Options of {@link planRepair}. */
export interface RepairPlanOptions {
  /** Which operations to include. Default all three. */
  operations?: readonly ('insert' | 'update' | 'delete')[];
}

/**
 * Plans the repair of `result`'s target: missing → insert, mismatched → update of the differing columns,
 * extra → delete. Steps follow the diff's key order.
 * @throws CdcError `INVALID_ARGUMENT` for a result of the `count` algorithm (it has no row differences).
 */
export function planRepair(result: DiffResult, options: RepairPlanOptions = {}): RepairPlan {
  if (result.algorithm === 'count' && result.status === 'differences') {
    throw new CdcError('INVALID_ARGUMENT', 'A count-only diff lists no rows to repair', {
      hint: "Run the diff with algorithm 'hash' or 'stream' before planning a repair.",
    });
  }
  const ops = new Set(options.operations ?? ['insert', 'update', 'delete']);
  const steps: RepairStep[] = [];
  const summary = { insert: 0, update: 0, delete: 0 };
  const pick = (row: Row | undefined, columns: readonly string[]): Row =>
    Object.fromEntries(columns.map((c) => [c, row?.[c] ?? null]));
  for (const d of result.differences) {
    if (d.kind === 'missing' && ops.has('insert')) {
      steps.push({
        op: 'insert',
        key: d.key,
        // The diff reads every column the target shares with the source for missing rows.
        values: pick(d.source, [
          ...new Set([...result.keyColumns, ...result.comparedColumns, ...Object.keys(d.source ?? {})]),
        ]),
      });
      summary.insert++;
    } else if (d.kind === 'mismatched' && ops.has('update')) {
      steps.push({
        op: 'update',
        key: d.key,
        set: pick(d.source, d.columns),
        expected: pick(d.target, d.columns),
      });
      summary.update++;
    } else if (d.kind === 'extra' && ops.has('delete')) {
      steps.push({ op: 'delete', key: d.key, expected: pick(d.target, result.comparedColumns) });
      summary.delete++;
    }
  }
  return {
    version: 1,
    table: result.target,
    keyColumns: result.keyColumns,
    steps,
    summary,
    partial: result.truncated,
  };
}
