import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OrderedBucketAccumulator } from './buckets.js';

const md5Prefix = (text: string) =>
  BigInt(`0x${createHash('md5').update(text, 'utf8').digest('hex').slice(0, 16)}`);

describe('OrderedBucketAccumulator', () => {
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
