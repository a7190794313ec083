import { createHash } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { bucketAssigner, keyBucketAssigner, OrderedBucketAccumulator } from './buckets.js';
import { packCanonicalRows } from './canonical-batch.js';
import type { Bucketing, HashPlan } from './connector.js';
import { createRowHasher, keyString } from './hashing.js';
import type { TableSchema } from './schema.js';

const md5Prefix = (text: string) =>
  BigInt(`0x${createHash('md5').update(text, 'utf8').digest('hex').slice(0, 16)}`);

describe('OrderedBucketAccumulator', () => {
  test.prop([
    fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.string({ unit: 'binary', maxLength: 12 })), {
      maxLength: 40,
    }),
    fc.integer({ min: 1, max: 9 }),
  ])('runs of packed rows digest as the same rows added one by one', async (rows, batchRows) => {
    // Buckets in ascending order, as an ordered scan gives them.
    const sorted = [...rows].sort((a, b) => a[0] - b[0]);
    const byRow = await OrderedBucketAccumulator.create();
    for (const [bucket, text] of sorted) byRow.add(bucket, text);
    const byRun = await OrderedBucketAccumulator.create();
    for (let from = 0; from < sorted.length; from += batchRows) {
      const part = sorted.slice(from, from + batchRows);
      const batch = packCanonicalRows(part.map(([, text]) => ({ keyText: '', rowText: text, key: [] })));
      // One run per bucket within the batch; the next batch continues the same bucket.
      let start = 0;
      for (let i = 1; i <= part.length; i++) {
        if (i < part.length && part[i]![0] === part[start]![0]) continue;
        byRun.addRun(part[start]![0], batch.bytes, batch.offsets[start]!, batch.offsets[i]!, i - start);
        start = i;
      }
      // The batch's bytes are the rows, each followed by a newline.
      expect(Buffer.from(batch.bytes).toString('utf8')).toBe(part.map(([, t]) => `${t}\n`).join(''));
    }
    expect(byRun.summaries()).toEqual(byRow.summaries());
  });

  it('digests each bucket as the MD5 of its row strings in order, each followed by a newline', async () => {
    const acc = await OrderedBucketAccumulator.create();
    acc.add(-2, '-5|a');
    acc.add(-2, '-4|ß🚀');
    acc.add(0, '1|\\N');
    acc.add(7, '40|x');
    acc.add(7, '41|y');
    expect(acc.summaries()).toEqual([
      { bucket: -2, count: 2, sum: md5Prefix('-5|a\n-4|ß🚀\n') },
      { bucket: 0, count: 1, sum: md5Prefix('1|\\N\n') },
      { bucket: 7, count: 2, sum: md5Prefix('40|x\n41|y\n') },
    ]);
  });

  it('is order-sensitive within a bucket, and refuses rows that go back to an earlier bucket', async () => {
    const a = await OrderedBucketAccumulator.create();
    a.add(1, 'x');
    a.add(1, 'y');
    const b = await OrderedBucketAccumulator.create();
    b.add(1, 'y');
    b.add(1, 'x');
    expect(a.summaries()[0]!.sum).not.toBe(b.summaries()[0]!.sum);
    const c = await OrderedBucketAccumulator.create();
    c.add(3, 'x');
    expect(() => c.add(2, 'y')).toThrow(/not in key order/);
  });

  it('digests UTF-8 bytes exactly as their strings, mixed, across 64 KiB drains and oversized rows', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 4000; i++) rows.push(`${i}|${i % 3 === 0 ? 'ключ' : 'k'}${'x'.repeat(i % 50)}`);
    rows[1234] = `1234|${'é🚀'.repeat(40_000)}`; // 240,000 bytes: larger than the pending buffer
    const bucketOf = (i: number) => Math.floor(i / 700);
    const asStrings = await OrderedBucketAccumulator.create();
    const mixed = await OrderedBucketAccumulator.create();
    const expected = new Map<number, string>();
    rows.forEach((row, i) => {
      asStrings.add(bucketOf(i), row);
      // Bytes written into one reused buffer: the accumulator must copy them.
      const reused = Buffer.from(row, 'utf8');
      mixed.add(bucketOf(i), i % 2 === 0 ? reused : row);
      reused.fill(0);
      expected.set(bucketOf(i), `${expected.get(bucketOf(i)) ?? ''}${row}\n`);
    });
    const want = [...expected].map(([bucket, text]) => ({
      bucket,
      count: rows.filter((_, i) => bucketOf(i) === bucket).length,
      sum: md5Prefix(text),
    }));
    expect(asStrings.summaries()).toEqual(want);
    expect(mixed.summaries()).toEqual(want);
  });

  it('summarizes nothing when no rows were added', async () => {
    expect((await OrderedBucketAccumulator.create()).summaries()).toEqual([]);
  });
});

describe('keyBucketAssigner', () => {
  const schema: TableSchema = {
    id: { schema: 's', name: 't' },
    columns: [
      { name: 'a', type: { kind: 'int64' }, nativeType: 'bigint', nullable: false },
      { name: 'b', type: { kind: 'int32' }, nativeType: 'int', nullable: false },
    ],
    primaryKey: ['a', 'b'],
  };
  const key = ['a', 'b'];
  const tokenOf = (k: unknown[]) => BigInt.asIntN(64, BigInt(k[0] as string) * 0x9e3779b97f4a7c15n);
  const bucketings: Bucketing[] = [
    { kind: 'int-range', column: 'a', start: -1000n, width: 7n },
    { kind: 'int-range', column: 'b', start: 3n, width: 100n },
    { kind: 'int-range', column: 'a', start: -(2n ** 62n), width: 2n ** 60n },
    { kind: 'key-hash', modulus: 97 },
    { kind: 'token', ends: [-(2n ** 62n), 0n, 2n ** 62n, 2n ** 63n - 1n] },
  ];

  test.prop([
    fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
    ),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    fc.constantFrom(...bucketings.keys()),
    fc.constantFrom('number', 'string', 'bigint'),
  ])(
    'gives the bucket bucketAssigner gives for the row of the same key values',
    async (a, b, which, form) => {
      const hasher = await createRowHasher();
      const plan: HashPlan = { key, columns: [], mode: 'canonical', bucketing: bucketings[which]! };
      // The forms a source may return an int8 key in (numbers only where they are exact).
      const av =
        form === 'bigint'
          ? a
          : form === 'string' || !Number.isSafeInteger(Number(a))
            ? a.toString()
            : Number(a);
      const values = [av, b];
      const row = { a: av, b };
      const keyText = keyString(row, schema, plan);
      // An independent oracle: exact integer arithmetic, node:crypto's MD5, a linear token search.
      const bk = plan.bucketing;
      let want: number;
      if (bk.kind === 'int-range') {
        const d = BigInt(bk.column === 'a' ? a : b) - bk.start;
        want = Number(d >= 0n ? d / bk.width : -((-d + bk.width - 1n) / bk.width));
      } else if (bk.kind === 'key-hash') {
        want = createHash('md5').update(keyText, 'utf8').digest().readUInt32BE(0) % bk.modulus;
      } else {
        const token = tokenOf(values);
        want = bk.ends.findIndex((end) => token <= end);
      }
      expect(bucketAssigner(schema, plan, hasher, { tokenOf })(row, keyText)).toBe(want);
      expect(keyBucketAssigner(schema, plan, hasher, { tokenOf })(values, keyText)).toBe(want);
    },
  );
});
