import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { compareValues, hashOptionsOf, hasTolerance } from './compare.js';
import { compareKeys } from './key-order.js';
import type { LogicalType } from './logical-type.js';

const f64: LogicalType = { kind: 'float64' };
const text: LogicalType = { kind: 'text' };

describe('compareValues', () => {
  it('compares canonical texts by default', () => {
    expect(compareValues('1.50', '1.5', { kind: 'numeric' })).toBe(true);
    expect(compareValues(-0, 0, f64)).toBe(true);
    expect(compareValues(NaN, 'NaN', f64)).toBe(true);
    expect(compareValues('', null, text)).toBe(false);
    expect(compareValues('', '  ', text)).toBe(false);
    expect(compareValues(null, undefined, text)).toBe(true);
  });

  it('applies tolerances, precision, padding and case per call', () => {
    expect(compareValues(1, 1.0005, f64, { absoluteTolerance: 0.001 })).toBe(true);
    expect(compareValues(1, 1.002, f64, { absoluteTolerance: 0.001 })).toBe(false);
    expect(compareValues(1000, 1001, f64, { relativeTolerance: 0.001 })).toBe(true);
    expect(compareValues(1000, 1002, f64, { relativeTolerance: 0.001 })).toBe(false);
    expect(compareValues(Infinity, 1e308, f64, { relativeTolerance: 1 })).toBe(false);
    expect(compareValues(NaN, NaN, f64, { absoluteTolerance: 1 })).toBe(true);
    expect(compareValues(null, 0, f64, { absoluteTolerance: 1 })).toBe(false);
    const ts: LogicalType = { kind: 'timestamptz', precision: 6 };
    expect(compareValues('2024-01-01T00:00:00.1239Z', '2024-01-01T00:00:00.123Z', ts)).toBe(false);
    expect(compareValues('2024-01-01T00:00:00.1239Z', '2024-01-01T00:00:00.123Z', ts, { precision: 3 })).toBe(
      true,
    );
    expect(compareValues('ab  ', 'AB', text, { trimTrailingSpaces: true, caseInsensitive: true })).toBe(true);
  });

  it('separates hashable options from tolerances', () => {
    expect(hasTolerance({ absoluteTolerance: 0 })).toBe(false);
    expect(hasTolerance({ relativeTolerance: 1e-9 })).toBe(true);
    expect(hashOptionsOf({ absoluteTolerance: 1 })).toBeUndefined();
    expect(hashOptionsOf({ precision: 3, caseInsensitive: true, absoluteTolerance: 1 })).toEqual({
      precision: 3,
      caseInsensitive: true,
    });
  });

  fcTest.prop([fc.double({ noNaN: true }), fc.double({ noNaN: true })])(
    'is symmetric under tolerance',
    (a, b) => {
      const policy = { absoluteTolerance: 0.5, relativeTolerance: 1e-6 };
      expect(compareValues(a, b, f64, policy)).toBe(compareValues(b, a, f64, policy));
    },
  );
});

describe('compareKeys (canonical key order)', () => {
  it('orders integers numerically, text by UTF-8 bytes, composite keys lexicographically', () => {
    const types: LogicalType[] = [text, { kind: 'int64' }];
    const keys = [
      ['😀', 1n],
      ['b', '10'],
      ['', 5],
      ['\uffff', 0],
      ['b', 9],
    ];
    keys.sort((a, b) => compareKeys(a, b, types));
    expect(keys).toEqual([
      ['', 5],
      ['b', 9],
      ['b', '10'],
      ['\uffff', 0],
      ['😀', 1n],
    ]);
  });

  fcTest.prop([fc.bigInt(), fc.bigInt()])('numeric keys compare like bigints', (a, b) => {
    const n: LogicalType = { kind: 'numeric' };
    expect(Math.sign(compareKeys([`${a}.5`], [`${b}.5`], [n]))).toBe(a < b ? -1 : a > b ? 1 : 0);
  });
});
