import { createRequire } from 'node:module';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { composePartitionKey, MAX_TOKEN, murmur3Token } from './scylla-murmur3.js';

const require = createRequire(import.meta.url);

interface DriverToken {
  getValue(): { toImmutable(): { toString(): string } };
}
interface DriverTokenizer {
  hash(value: Buffer): DriverToken;
}
// cassandra-driver's own Murmur3 tokenizer, the reference implementation we must agree with.
const { Murmur3Tokenizer } = require('cassandra-driver/lib/tokenizer.js') as {
  Murmur3Tokenizer: new () => DriverTokenizer;
};
const driverTokenizer = new Murmur3Tokenizer();
const driverToken = (bytes: Uint8Array): bigint =>
  BigInt(driverTokenizer.hash(Buffer.from(bytes)).getValue().toImmutable().toString());

const int32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n);
  return b;
};

describe('murmur3Token', () => {
  it('matches published Cassandra tokens of int partition keys', () => {
    // Values printed by `SELECT token(k) FROM t` for an int key on Cassandra/Scylla.
    expect(murmur3Token(int32(1))).toBe(-4069959284402364209n);
    expect(murmur3Token(int32(2))).toBe(-3248873570005575792n);
    expect(murmur3Token(int32(3))).toBe(9010454139840013625n);
  });

  it('hashes the empty key like the driver', () => {
    expect(murmur3Token(new Uint8Array(0))).toBe(driverToken(new Uint8Array(0)));
  });

  it('covers every tail length with high bytes (sign-extension quirk)', () => {
    for (let len = 0; len <= 40; len++) {
      const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 37 + 200) & 0xff);
      expect(murmur3Token(bytes), `length ${len}`).toBe(driverToken(bytes));
    }
  });

  test.prop([fc.uint8Array({ maxLength: 80 })], { numRuns: 500 })(
    'agrees with the driver tokenizer',
    (bytes) => {
      expect(murmur3Token(bytes)).toBe(driverToken(bytes));
    },
  );

  it('respects subarray offsets', () => {
    const whole = Uint8Array.from([9, 9, 0, 0, 0, 1, 9]);
    expect(murmur3Token(whole.subarray(2, 6))).toBe(murmur3Token(int32(1)));
  });

  it('never returns the minimum token', () => {
    expect(murmur3Token(int32(7)) <= MAX_TOKEN).toBe(true);
  });
});

describe('composePartitionKey', () => {
  it('uses a single component as-is', () => {
    const c = int32(5);
    expect(composePartitionKey([c])).toBe(c);
  });

  it('writes [len16][bytes][0x00] per component', () => {
    const out = composePartitionKey([int32(1), Uint8Array.from([0x61, 0x62])]);
    expect([...out]).toEqual([0, 4, 0, 0, 0, 1, 0, 0, 2, 0x61, 0x62, 0]);
  });

  it('rejects oversized components', () => {
    expect(() => composePartitionKey([new Uint8Array(70_000), int32(1)])).toThrow(RangeError);
  });
});
