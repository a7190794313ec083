import { fc, test } from '@fast-check/vitest';
import { types } from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import type { TableSchema } from '@cdc/core';
import { parseCqlType } from './scylla-cql-types.js';
import { MAX_TOKEN, MIN_TOKEN, murmur3Token } from './scylla-murmur3.js';
import { ScyllaPartitioner } from './scylla-partitioner.js';
import {
  rangesOfBuckets,
  shuffled,
  splitTokenRange,
  tokenBucketEnds,
  tokenBucketOf,
} from './scylla-token-ranges.js';

describe('splitTokenRange', () => {
  test.prop([fc.integer({ min: 1, max: 500 })], { numRuns: 20 })(
    'covers the ring exactly once, contiguous and ordered',
    (n) => {
      const ranges = splitTokenRange(n);
      expect(ranges).toHaveLength(n);
      expect(ranges[0]?.start).toBe(MIN_TOKEN);
      expect(ranges.at(-1)?.end).toBe(MAX_TOKEN);
      for (let i = 0; i < ranges.length; i++) {
        const r = ranges[i]!;
        expect(r.end > r.start).toBe(true);
        if (i > 0) expect(r.start).toBe(ranges[i - 1]!.end);
      }
    },
  );

  test.prop([fc.bigInt({ min: MIN_TOKEN + 1n, max: MAX_TOKEN }), fc.integer({ min: 1, max: 500 })])(
    'every token falls in exactly one range',
    (token, n) => {
      const hits = splitTokenRange(n).filter((r) => token > r.start && token <= r.end);
      expect(hits).toHaveLength(1);
    },
  );

  it('splits a small sub-range without empty parts', () => {
    expect(splitTokenRange(10, { kind: 'token', start: 0n, end: 3n })).toEqual([
      { kind: 'token', start: 0n, end: 1n },
      { kind: 'token', start: 1n, end: 2n },
      { kind: 'token', start: 2n, end: 3n },
    ]);
  });

  it('rejects nonsense', () => {
    expect(() => splitTokenRange(0)).toThrow(/Cannot split/);
    expect(() => splitTokenRange(2, { kind: 'token', start: 5n, end: 5n })).toThrow(/empty/);
  });
});

describe('shuffled', () => {
  it('is a permutation and leaves the input alone', () => {
    const input = splitTokenRange(64);
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const out = shuffled(input, rnd);
    expect(out).not.toEqual(input);
    expect([...out].sort((a, b) => (a.start < b.start ? -1 : 1))).toEqual(input);
    expect(input[0]?.start).toBe(MIN_TOKEN);
  });
});

describe('token buckets', () => {
  it('maps tokens to the bucket containing them, ends inclusive', () => {
    const ends = tokenBucketEnds(4);
    expect(ends.at(-1)).toBe(MAX_TOKEN);
    expect(tokenBucketOf(MIN_TOKEN + 1n, ends)).toBe(0);
    expect(tokenBucketOf(ends[0]!, ends)).toBe(0);
    expect(tokenBucketOf(ends[0]! + 1n, ends)).toBe(1);
    expect(tokenBucketOf(MAX_TOKEN, ends)).toBe(3);
    expect(rangesOfBuckets(ends)).toEqual(splitTokenRange(4));
  });

  test.prop([fc.bigInt({ min: MIN_TOKEN + 1n, max: MAX_TOKEN })])('agrees with a linear scan', (token) => {
    const ends = tokenBucketEnds(37);
    const ranges = rangesOfBuckets(ends);
    expect(tokenBucketOf(token, ends)).toBe(ranges.findIndex((r) => token > r.start && token <= r.end));
  });
});

describe('ScyllaPartitioner', () => {
  const schema: TableSchema = {
    id: { schema: 'ks', name: 't' },
    columns: [
      { name: 'a', type: { kind: 'int32' }, nativeType: 'int', nullable: false },
      { name: 'b', type: { kind: 'text' }, nativeType: 'text', nullable: false },
      { name: 'c', type: { kind: 'uuid' }, nativeType: 'timeuuid', nullable: false },
    ],
    primaryKey: ['a', 'b', 'c'],
    partitionKeyLength: 2,
  };

  it('single int key matches the published token', () => {
    const p = new ScyllaPartitioner([parseCqlType('int')]);
    expect(p.tokenOf([1])).toBe(-4069959284402364209n);
    expect(p.tokenOf(['1'])).toBe(-4069959284402364209n);
    expect(p.tokenOf([1n, 'ignored clustering'])).toBe(-4069959284402364209n);
  });

  it('composite keys hash [len16][bytes][0] components and ignore clustering values', () => {
    const p = ScyllaPartitioner.forTable(schema);
    const expected = murmur3Token(Uint8Array.from([0, 4, 0, 0, 0, 7, 0, 0, 1, 0x78, 0]));
    expect(p.tokenOf([7, 'x', 'whatever'])).toBe(expected);
    expect(p.partitionKeyLength).toBe(2);
  });

  it('agrees with the driver for uuid, bigint and timestamp keys', () => {
    const u = types.Uuid.random();
    const p = new ScyllaPartitioner([
      parseCqlType('uuid'),
      parseCqlType('bigint'),
      parseCqlType('timestamp'),
    ]);
    const d = new Date('2020-01-01T00:00:00.123Z');
    const bytes = Buffer.concat([
      Buffer.from([0, 16]),
      u.getBuffer(),
      Buffer.from([0]),
      Buffer.from([0, 8]),
      Buffer.from('000000000000002a', 'hex'),
      Buffer.from([0]),
      Buffer.from([0, 8]),
      Buffer.from(BigInt(d.getTime()).toString(16).padStart(16, '0'), 'hex'),
      Buffer.from([0]),
    ]);
    expect(p.tokenOf([u.toString(), 42n, d])).toBe(murmur3Token(bytes));
    // µs bigint from another engine lands on the same token (floored to ms)
    expect(p.tokenOf([u.toString().toUpperCase(), '42', BigInt(d.getTime()) * 1000n + 456n])).toBe(
      murmur3Token(bytes),
    );
  });

  it('fails clearly on bad keys', () => {
    const p = ScyllaPartitioner.forTable(schema);
    expect(() => p.tokenOf([1])).toThrow(/needs 2 partition-key values/);
    expect(() => p.tokenOf([null, 'x'])).toThrow(/cannot be NULL/);
    expect(() => ScyllaPartitioner.forTable({ ...schema, partitionKeyLength: undefined })).toThrow(
      /partitionKeyLength/,
    );
  });
});
