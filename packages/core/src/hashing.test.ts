import { fc, test as fcTest } from '@fast-check/vitest';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HashPlan } from './connector.js';
import { addHashes, combineHalfSums, createRowHasher, keyString, rowString } from './hashing.js';
import type { TableSchema } from './schema.js';

const hasher = await createRowHasher();
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

const schema: TableSchema = {
  id: { name: 't' },
  primaryKey: ['id', 'k'],
  columns: [
    { name: 'id', type: { kind: 'int64' }, nativeType: 'bigint', nullable: false },
    { name: 'k', type: { kind: 'text' }, nativeType: 'text', nullable: false },
    { name: 'v', type: { kind: 'numeric' }, nativeType: 'numeric', nullable: true },
    { name: 'at', type: { kind: 'timestamptz', precision: 6 }, nativeType: 'timestamptz', nullable: true },
  ],
};
const plan: HashPlan = {
  key: ['id', 'k'],
  columns: ['v', 'at'],
  mode: 'canonical',
  bucketing: { kind: 'key-hash', modulus: 16 },
};

describe('row hashing', () => {
  it('builds the key string and row string of the documented layout', () => {
    const row = { id: 7n, k: 'a|b', v: '1.50', at: null };
    expect(keyString(row, schema, plan)).toBe('7|3:a|b');
    expect(rowString(row, schema, plan)).toBe('7|3:a|b|1.5|\\N');
    expect(rowString({ ...row, at: '1970-01-01T00:00:00.000001Z' }, schema, plan)).toBe('7|3:a|b|1.5|1');
  });

  it('rejects plans naming unknown columns', () => {
    expect(() => rowString({}, schema, { ...plan, columns: ['nope'] })).toThrow(/nope/);
  });

  fcTest.prop([fc.string({ unit: 'grapheme' })])('digest is MD5 of the UTF-8 bytes', (s) => {
    expect(hasher.digest(s)).toBe(md5(s));
  });

  it('row hash is the first 8 digest bytes big-endian; key bucket the first 4 mod n', () => {
    const d = md5('1|\\N');
    expect(hasher.rowHash(d)).toBe(BigInt(`0x${d.slice(0, 16)}`));
    expect(hasher.keyBucket('1', 1000)).toBe(parseInt(md5('1').slice(0, 8), 16) % 1000);
    expect(() => hasher.keyBucket('1', 0)).toThrow(/modulus/);
  });

  fcTest.prop([fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 50 })])(
    'half sums combine to the modular sum of 64-bit hashes',
    (hashes) => {
      const direct = hashes.reduce((a, b) => addHashes(a, b), 0n);
      const hi = hashes.reduce((a, h) => a + (h >> 32n), 0n);
      const lo = hashes.reduce((a, h) => a + (h & 0xffffffffn), 0n);
      expect(combineHalfSums(hi, lo)).toBe(direct);
      // PostgreSQL computes the halves from signed bigint reinterpretations; shifting by 2^32 keeps the sum.
      const hiSigned = hashes.reduce((a, h) => a + ((h >> 32n) - (h >> 63n ? 2n ** 32n : 0n)), 0n);
      expect(combineHalfSums(hiSigned, lo)).toBe(direct);
    },
  );
});
