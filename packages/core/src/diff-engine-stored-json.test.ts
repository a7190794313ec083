import { MemoryScanSource } from '@cdc/testkit';
import { describe, expect, it } from 'vitest';
import { diffTables } from './diff-engine.js';
import type { DiffAlgorithm } from './diff-types.js';
import { isCdcError } from './errors.js';
import type { LogicalType } from './logical-type.js';
import type { Column, Row, TableSchema } from './schema.js';
import { structuredToJson } from './structured-json.js';

// Column-type compatibility of structured values and their jsonb copies (docs/normalization.md):
// the json side is read as the structured type, in cdc (never pushed down).

const col = (name: string, type: LogicalType): Column => ({
  name,
  type,
  nativeType: type.kind,
  nullable: name !== 'id',
});
const int32: LogicalType = { kind: 'int32' };
const json: LogicalType = { kind: 'json' };
const structured: Record<string, LogicalType> = {
  m: { kind: 'map', key: { kind: 'text' }, value: { kind: 'int64' } },
  l: { kind: 'list', element: { kind: 'timestamptz', precision: 3 } },
  s: { kind: 'set', element: { kind: 'bytes' } },
  t: { kind: 'tuple', elements: [int32, { kind: 'text' }] },
  u: { kind: 'udt', name: 'u', fields: [{ name: 'a', type: { kind: 'uuid' } }] },
};
const names = Object.keys(structured);
const sourceSchema: TableSchema = {
  id: { name: 'src' },
  primaryKey: ['id'],
  columns: [col('id', int32), ...names.map((n) => col(n, structured[n] as LogicalType))],
};
const jsonSchema: TableSchema = {
  id: { name: 'copy' },
  primaryKey: ['id'],
  columns: [col('id', int32), ...names.map((n) => col(n, json))],
};

const rows: Row[] = Array.from({ length: 40 }, (_, i) => ({
  id: i,
  m: i % 5 === 0 ? null : new Map([[`k${i}`, 2n ** 62n + BigInt(i)]]),
  l: [new Date(i), null],
  s: [new Uint8Array([i, 1]), new Uint8Array([0])],
  t: [i, i % 2 ? null : 'x'],
  u: { a: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
}));
const copyOf = (row: Row): Row =>
  Object.fromEntries(
    Object.entries(row).map(([c, v]) => [
      c,
      c === 'id' ? v : structuredToJson(v, structured[c] as LogicalType),
    ]),
  );

async function diff(sourceRows: Row[], targetRows: Row[], algorithm: DiffAlgorithm, swap = false) {
  const pushdown = { capabilities: { hashPushdown: true } };
  const s = new MemoryScanSource(pushdown).addTable(sourceSchema, sourceRows);
  const t = new MemoryScanSource(pushdown).addTable(jsonSchema, targetRows);
  const a = { source: s, table: sourceSchema };
  const b = { source: t, table: jsonSchema };
  return diffTables({ source: swap ? b : a, target: swap ? a : b, algorithm, rowsPerBucket: 4 });
}

describe('diffTables — structured values against their jsonb copies', () => {
  it.each<DiffAlgorithm>(['hash', 'stream'])('finds a copy in sync (%s)', async (algorithm) => {
    const result = await diff(rows, rows.map(copyOf), algorithm);
    expect(result.differences).toEqual([]);
    expect(result.status).toBe('in_sync');
    expect(result.counts).toEqual({ source: 40n, target: 40n });
    // The json side is decoded in cdc: only the structured side may hash in its database.
    if (algorithm === 'hash') expect(result.hashing).toBe('client');
  });

  it.each<[DiffAlgorithm, boolean]>([
    ['hash', false],
    ['stream', false],
    ['hash', true],
  ])('reports the one changed value inside a collection (%s, json source: %s)', async (algorithm, swap) => {
    const target = rows.map(copyOf);
    target[7] = { ...target[7], t: '[7, "changed"]' };
    target[12] = { ...target[12], m: '{"k12": "not a number"}' };
    const result = await diff(rows, target, algorithm, swap);
    expect(result.differences.map((d) => [d.kind, d.key['id'], d.columns])).toEqual([
      ['mismatched', 7, ['t']],
      ['mismatched', 12, ['m']],
    ]);
  });

  it('still refuses pairs whose elements do not compare, and json against scalars', async () => {
    const other = (type: LogicalType): TableSchema => ({
      ...jsonSchema,
      columns: [col('id', int32), col('v', type)],
    });
    const listOf = (element: LogicalType): LogicalType => ({ kind: 'list', element });
    for (const [a, b] of [
      [listOf({ kind: 'text' }), listOf(int32)],
      [{ kind: 'map', key: { kind: 'text' }, value: int32 }, listOf(int32)],
      [{ kind: 'text' }, json],
      [
        { kind: 'tuple', elements: [int32] },
        { kind: 'tuple', elements: [int32, int32] },
      ],
    ] as [LogicalType, LogicalType][]) {
      const error = await diffTables({
        source: { source: new MemoryScanSource().addTable(other(a), []), table: other(a) },
        target: { source: new MemoryScanSource().addTable(other(b), []), table: other(b) },
      }).catch((e: unknown) => e);
      expect(isCdcError(error) && error.code).toBe('SCHEMA_MISMATCH');
    }
  });
});
