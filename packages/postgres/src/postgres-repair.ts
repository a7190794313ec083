/**
 * Repair on PostgreSQL (ARCHITECTURE §6): a core {@link RepairPlan} rendered as a reviewable SQL
 * script, or applied in parameterized batches. Every statement is guarded by the target values the
 * diff saw, so a row changed since the diff is skipped and reported, never clobbered.
 */
import {
  CdcError,
  formatTableId,
  type Column,
  type RepairPlan,
  type RepairStep,
  type Row,
  type TableSchema,
} from '@cdc/core';
import type { PostgresAdapter } from './postgres-adapter.js';
import { Params, qualifiedName, quoteIdent, quoteLiteral } from './postgres-sql.js';
import { castTypeOf } from './postgres-types.js';
import { toPostgresText } from './postgres-values.js';

function columnsOf(schema: TableSchema): Map<string, Column> {
  return new Map(schema.columns.map((c) => [c.name, c]));
}

function columnOf(columns: Map<string, Column>, name: string, schema: TableSchema): Column {
  const column = columns.get(name);
  if (!column) {
    throw new CdcError(
      'COLUMN_NOT_FOUND',
      `repair plan names column ${JSON.stringify(name)}, which ${formatTableId(schema.id)} does not have`,
      {
        hint: 'plan the repair from a diff against this target table',
      },
    );
  }
  return column;
}

/** The type a column is compared as: json has no equality operator, so guards compare it as jsonb. */
function compareCast(column: Column): string {
  const cast = castTypeOf(column.nativeType);
  return cast === 'json' ? 'jsonb' : cast === 'json[]' ? 'jsonb[]' : cast;
}

/** A typed SQL literal of a JS value in a column (`'\x00ff'::bytea`, `'1.50'::numeric`, `NULL`). */
export function renderLiteral(value: unknown, column: Column, cast = castTypeOf(column.nativeType)): string {
  const text = toPostgresText(value, column.type);
  if (text === null) return 'NULL';
  switch (column.type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
      if (/^-?\d+$/.test(text)) return text.startsWith('-') ? `(${text})::${cast}` : `${text}::${cast}`;
      break;
    case 'bool':
      return text === 't' ? 'true' : 'false';
    default:
      break;
  }
  return `${quoteLiteral(text)}::${cast}`;
}

function keyPredicate(
  plan: RepairPlan,
  step: RepairStep,
  columns: Map<string, Column>,
  schema: TableSchema,
): string {
  return plan.keyColumns
    .map((k) => {
      const column = columnOf(columns, k, schema);
      const value = step.key[k];
      if (value === null || value === undefined) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          `repair step for ${formatTableId(schema.id)} has a NULL key column ${JSON.stringify(k)}`,
        );
      }
      return `${quoteIdent(k)} = ${renderLiteral(value, column)}`;
    })
    .join(' AND ');
}

function guardPredicate(expected: Row, columns: Map<string, Column>, schema: TableSchema): string[] {
  return Object.entries(expected).map(([name, value]) => {
    const column = columnOf(columns, name, schema);
    const cast = compareCast(column);
    const lhs = cast === castTypeOf(column.nativeType) ? quoteIdent(name) : `${quoteIdent(name)}::${cast}`;
    return `${lhs} IS NOT DISTINCT FROM ${renderLiteral(value, column, cast)}`;
  });
}

/**
 * Renders `plan` as one reviewable transaction: quoted identifiers, typed literals, and every
 * statement guarded by what the diff saw (a statement that changes no row was skipped by its guard).
 */
export function renderRepairSql(plan: RepairPlan, schema: TableSchema): string {
  const columns = columnsOf(schema);
  const name = qualifiedName(plan.table);
  const lines: string[] = [
    `-- cdc repair of ${formatTableId(plan.table)}: ${plan.summary.insert} insert(s), ${plan.summary.update} update(s), ${plan.summary.delete} delete(s)`,
    '-- Every statement is guarded by the target values the diff saw: one that changes 0 rows was skipped',
    '-- because the row changed since the diff. Review, then run with psql -v ON_ERROR_STOP=1.',
  ];
  if (plan.partial)
    lines.push('-- The diff was truncated: this script repairs only the differences it listed.');
  lines.push('BEGIN;');
  for (const step of plan.steps) {
    const key = keyPredicate(plan, step, columns, schema);
    switch (step.op) {
      case 'insert': {
        const names = Object.keys(step.values);
        const values = names.map((c) => renderLiteral(step.values[c], columnOf(columns, c, schema)));
        lines.push(
          `INSERT INTO ${name} (${names.map(quoteIdent).join(', ')})\n  SELECT ${values.join(', ')}\n  WHERE NOT EXISTS (SELECT 1 FROM ${name} WHERE ${key});`,
        );
        break;
      }
      case 'update': {
        const sets = Object.entries(step.set).map(
          ([c, v]) => `${quoteIdent(c)} = ${renderLiteral(v, columnOf(columns, c, schema))}`,
        );
        if (sets.length === 0) break;
        const guard = guardPredicate(step.expected, columns, schema);
        lines.push(`UPDATE ${name} SET ${sets.join(', ')}\n  WHERE ${[key, ...guard].join('\n    AND ')};`);
        break;
      }
      case 'delete': {
        const guard = guardPredicate(step.expected, columns, schema);
        lines.push(`DELETE FROM ${name}\n  WHERE ${[key, ...guard].join('\n    AND ')};`);
        break;
      }
    }
  }
  lines.push('COMMIT;', '');
  return lines.join('\n');
}

/** Options of {@link applyRepairPlan}. */
export interface ApplyRepairOptions {
  /** Steps per statement and per transaction. Default 500. */
  batchSize?: number;
  signal?: AbortSignal;
}

/** What {@link applyRepairPlan} did. */
export interface ApplyRepairResult {
  inserted: number;
  updated: number;
  deleted: number;
  /** Rows changed in total. */
  rowsChanged: number;
  /** Statements executed (one per batch and column set). */
  statements: number;
  /** Steps whose guard did not match (the row changed since the diff), in plan order. */
  guardsFailed: { op: RepairStep['op']; key: Record<string, unknown> }[];
}

/**
 * Applies `plan` to its table through `adapter` in parameterized batches, one transaction per batch.
 * Steps whose guard fails are skipped and reported; nothing is overwritten blindly.
 */
export async function applyRepairPlan(
  adapter: PostgresAdapter,
  plan: RepairPlan,
  schema: TableSchema,
  options: ApplyRepairOptions = {},
): Promise<ApplyRepairResult> {
  const batchSize = options.batchSize ?? 500;
  const columns = columnsOf(schema);
  const result: ApplyRepairResult = {
    inserted: 0,
    updated: 0,
    deleted: 0,
    rowsChanged: 0,
    statements: 0,
    guardsFailed: [],
  };
  // Steps of one op and one column set share a statement.
  const groups = new Map<string, RepairStep[]>();
  for (const step of plan.steps) {
    const cols =
      step.op === 'insert'
        ? Object.keys(step.values)
        : step.op === 'update'
          ? [...Object.keys(step.set), '|', ...Object.keys(step.expected)]
          : Object.keys(step.expected);
    const sig = `${step.op}:${JSON.stringify(cols)}`;
    const list = groups.get(sig);
    if (list) list.push(step);
    else groups.set(sig, [step]);
  }
  const ordered = [...groups.values()].sort((a, b) => order(a[0]!.op) - order(b[0]!.op));
  for (const group of ordered) {
    for (let i = 0; i < group.length; i += batchSize) {
      options.signal?.throwIfAborted();
      const batch = group.slice(i, i + batchSize);
      const { text, values } = repairStatement(plan, schema, columns, batch);
      const client = await adapter.connect();
      try {
        await client.query('BEGIN');
        const r = await client.query<{ n: string }>({ text, values });
        await client.query('COMMIT');
        result.statements++;
        const applied = new Set(r.rows.map((row) => Number(row.n)));
        const op = batch[0]!.op;
        batch.forEach((step, index) => {
          if (!applied.has(index + 1)) result.guardsFailed.push({ op: step.op, key: step.key });
        });
        if (op === 'insert') result.inserted += applied.size;
        else if (op === 'update') result.updated += applied.size;
        else result.deleted += applied.size;
        result.rowsChanged += applied.size;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }
  }
  return result;
}

function order(op: RepairStep['op']): number {
  // Deletes first, so an extra row never blocks an insert of the same key with different case/spacing.
  return op === 'delete' ? 0 : op === 'update' ? 1 : 2;
}

/** One statement for steps of the same op and column set; returns the 1-based indexes of applied steps. */
function repairStatement(
  plan: RepairPlan,
  schema: TableSchema,
  columns: Map<string, Column>,
  steps: RepairStep[],
): { text: string; values: unknown[] } {
  const params = new Params();
  const name = qualifiedName(plan.table);
  const arrays: string[] = [];
  const names: string[] = [];
  const add = (alias: string, column: Column, values: unknown[]) => {
    arrays.push(
      params.add(
        values.map((v) => toPostgresText(v, column.type)),
        'text[]',
      ),
    );
    names.push(alias);
  };
  plan.keyColumns.forEach((k, i) =>
    add(
      `k${i}`,
      columnOf(columns, k, schema),
      steps.map((s) => s.key[k]),
    ),
  );
  const keyMatch = plan.keyColumns
    .map((k, i) => `t.${quoteIdent(k)} = u.k${i}::${castTypeOf(columnOf(columns, k, schema).nativeType)}`)
    .join(' AND ');
  const guards = (expected: string[]) =>
    expected.map((c, i) => {
      const column = columnOf(columns, c, schema);
      const cast = compareCast(column);
      const lhs =
        cast === castTypeOf(column.nativeType) ? `t.${quoteIdent(c)}` : `t.${quoteIdent(c)}::${cast}`;
      return ` AND ${lhs} IS NOT DISTINCT FROM u.g${i}::${cast}`;
    });
  const first = steps[0]!;
  const from = () => `unnest(${arrays.join(', ')}) WITH ORDINALITY AS u(${names.join(', ')}, n)`;
  if (first.op === 'insert') {
    const cols = Object.keys(first.values);
    cols.forEach((c, i) =>
      add(
        `v${i}`,
        columnOf(columns, c, schema),
        steps.map((s) => (s as Extract<RepairStep, { op: 'insert' }>).values[c]),
      ),
    );
    const select = cols.map((c, i) => `u.v${i}::${castTypeOf(columnOf(columns, c, schema).nativeType)}`);
    const text =
      `WITH u AS (SELECT * FROM ${from()}),` +
      ` todo AS (SELECT u.* FROM u WHERE NOT EXISTS (SELECT 1 FROM ${name} AS t WHERE ${keyMatch})),` +
      ` ins AS (INSERT INTO ${name} (${cols.map(quoteIdent).join(', ')}) SELECT ${select.join(', ')} FROM todo AS u RETURNING 1)` +
      ` SELECT n FROM todo`;
    return { text, values: params.values };
  }
  if (first.op === 'update') {
    const sets = Object.keys(first.set);
    const expected = Object.keys(first.expected);
    const typed = steps as Extract<RepairStep, { op: 'update' }>[];
    sets.forEach((c, i) =>
      add(
        `s${i}`,
        columnOf(columns, c, schema),
        typed.map((s) => s.set[c]),
      ),
    );
    expected.forEach((c, i) =>
      add(
        `g${i}`,
        columnOf(columns, c, schema),
        typed.map((s) => s.expected[c]),
      ),
    );
    const assignments = sets.map(
      (c, i) => `${quoteIdent(c)} = u.s${i}::${castTypeOf(columnOf(columns, c, schema).nativeType)}`,
    );
    const text = `UPDATE ${name} AS t SET ${assignments.join(', ')} FROM ${from()} WHERE ${keyMatch}${guards(expected).join('')} RETURNING u.n`;
    return { text, values: params.values };
  }
  const expected = Object.keys(first.expected);
  const typed = steps as Extract<RepairStep, { op: 'delete' }>[];
  expected.forEach((c, i) =>
    add(
      `g${i}`,
      columnOf(columns, c, schema),
      typed.map((s) => s.expected[c]),
    ),
  );
  const text = `DELETE FROM ${name} AS t USING ${from()} WHERE ${keyMatch}${guards(expected).join('')} RETURNING u.n`;
  return { text, values: params.values };
}
