import { createRowHasher, keyString, rowString, type HashPlan, type Row, type TableSchema } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { MemoryScanSource } from './memory-scan-source.js';

const schema: TableSchema = {
  id: { schema: 's', name: 't' },
  primaryKey: ['k'],
  columns: [
    { name: 'k', type: { kind: 'text' }, nativeType: 'text', nullable: false },
    { name: 'v', type: { kind: 'int32' }, nativeType: 'int', nullable: true },
  ],
};
// Deliberately unsorted, with astral and empty keys: canonical order is by UTF-8 bytes.
const rows: Row[] = [
  { k: '\uffff', v: 1 },
  { k: '😀', v: 2 },
  { k: '', v: 3 },
  { k: 'b', v: null },
  { k: 'a', v: 5 },
];
const collect = async (it: AsyncIterable<Row[]>) => {
  const out: Row[] = [];
  for await (const b of it) out.push(...b);
  return out;
};

describe('MemoryScanSource (test double)', () => {
  it('scans in canonical key order, in batches, projecting columns', async () => {
    const src = new MemoryScanSource({ batchRows: 2 }).addTable(schema, rows);
    const batches: Row[][] = [];
    for await (const b of src.scan(schema, { ordered: true, columns: [] })) batches.push(b);
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(batches.flat().map((r) => r.k)).toEqual(['', 'a', 'b', '\uffff', '😀']);
    expect(batches.flat()[0]).toEqual({ k: '' });
  });

  it('splits into key ranges covering every row exactly once', async () => {
    const src = new MemoryScanSource().addTable(schema, rows);
    const ranges = await src.splits(schema, 3);
    expect(ranges.length).toBe(3);
    const parts = await Promise.all(ranges.map((range) => collect(src.scan(schema, { range }))));
    expect(parts.flat().map((r) => r.k)).toEqual(['', 'a', 'b', '\uffff', '😀']);
    expect(await src.count(schema, ranges[0])).toBe(BigInt(parts[0]?.length ?? -1));
    const hashParts = await Promise.all(
      [0, 1, 2].map((remainder) =>
        collect(src.scan(schema, { range: { kind: 'hash', modulus: 3, remainder } })),
      ),
    );
    expect(hashParts.flat().length).toBe(5);
  });

  it('looks rows up by key and supports put/remove', async () => {
    const src = new MemoryScanSource().addTable(schema, rows);
    expect(await src.lookup(schema, [['a'], ['zz'], ['']], ['v'])).toEqual([
      { k: 'a', v: 5 },
      { k: '', v: 3 },
    ]);
    src.put(schema.id, { k: 'a', v: 6 });
    expect(src.remove(schema.id, ['b'])).toBe(true);
    expect(src.remove(schema.id, ['b'])).toBe(false);
    expect(src.rows(schema.id).map((r) => [r.k, r.v])).toEqual([
      ['', 3],
      ['a', 6],
      ['\uffff', 1],
      ['😀', 2],
    ]);
  });

  it('generates rows lazily and finds them by binary search', async () => {
    const lazySchema: TableSchema = {
      ...schema,
      id: { name: 'lazy' },
      columns: [
        { ...schema.columns[1], name: 'k', type: { kind: 'int64' } } as TableSchema['columns'][number],
      ],
    };
    const src = new MemoryScanSource().addTable(lazySchema, {
      count: 1_000_000,
      rowAt: (i) => ({ k: i * 2 }),
    });
    expect(await src.count(lazySchema)).toBe(1_000_000n);
    expect(await src.lookup(lazySchema, [[4], [5], [1_999_998]])).toEqual([{ k: 4 }, { k: 1_999_998 }]);
    const [first] = await src.splits(lazySchema, 4);
    expect(await src.count(lazySchema, first)).toBe(250_000n);
    expect(() => src.put(lazySchema.id, { k: 1 })).toThrow(/lazily/);
  });

  it('computes pushdown summaries and key digests with the canonical layout', async () => {
    const src = new MemoryScanSource({ capabilities: { hashPushdown: true } }).addTable(schema, rows);
    expect(src.capabilities.nativeHashFamily).toBe('memory');
    const plan: HashPlan = {
      key: ['k'],
      columns: ['v'],
      mode: 'canonical',
      bucketing: { kind: 'key-hash', modulus: 2 },
    };
    const hasher = await createRowHasher();
    const expected = new Map<number, { count: number; sum: bigint }>();
    for (const r of rows) {
      const b = hasher.keyBucket(keyString(r, schema, plan), 2);
      const e = expected.get(b) ?? { count: 0, sum: 0n };
      e.count++;
      e.sum = (e.sum + hasher.rowHash(hasher.digest(rowString(r, schema, plan)))) % 2n ** 64n;
      expected.set(b, e);
    }
    const summaries = await src.summarize(schema, plan);
    expect(summaries.map((s) => [s.bucket, s.count, s.sum])).toEqual(
      [...expected.entries()].sort((a, b) => a[0] - b[0]).map(([b, e]) => [b, e.count, e.sum]),
    );
    const digests = (await collect(
      src.keyHashes(schema, plan, [0, 1]) as AsyncIterable<Row[]>,
    )) as unknown as { key: unknown[]; hash: string }[];
    expect(digests).toHaveLength(5);
    expect(digests.find((d) => d.key[0] === 'a')?.hash).toBe(
      hasher.digest(rowString({ k: 'a', v: 5 }, schema, plan)),
    );
    const native = await src.summarize(schema, { ...plan, mode: 'native' });
    expect(native.map((s) => s.sum)).not.toEqual(summaries.map((s) => s.sum));
  });

  it('refuses pushdown when created without it, and unknown tables', async () => {
    const src = new MemoryScanSource().addTable(schema, rows);
    await expect(
      src.summarize(schema, {
        key: ['k'],
        columns: [],
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 1 },
      }),
    ).rejects.toThrow(/hashPushdown/);
    await expect(src.introspect({ name: 'nope' })).rejects.toThrow(/nope/);
  });
});
