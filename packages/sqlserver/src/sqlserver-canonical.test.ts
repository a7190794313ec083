/**
 * Cross-checks with @cdc/core's client-side canonical form: values decoded from tedious canonicalize to
 * the documented text, and the algorithms the pushdown SQL uses (decimal trimming, microsecond flooring,
 * float bytes) reproduce core's output. The T-SQL string functions are emulated step by step, mirroring
 * `decimalTextSql` / `floorMicrosSql` in sqlserver-sql.ts.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { canonicalText, floorToPrecision, type Column, type LogicalType } from '@cdc/core';
import { decodeSqlServerValue } from './sqlserver-values.js';

const column = (type: LogicalType, nativeType: string): Column => ({
  name: 'c',
  type,
  nativeType,
  nullable: true,
});

function tediousTime(isoMs: string, ticksBelowMs: number): Date {
  const d = new Date(isoMs);
  Object.defineProperty(d, 'nanosecondsDelta', {
    enumerable: false,
    value: (ticksBelowMs % 10000) / Math.pow(10, 7),
  });
  return d;
}

describe('decoded tedious values canonicalize as docs/normalization.md says', () => {
  it.each([
    [column({ kind: 'int64' }, 'bigint'), '-9223372036854775808', '-9223372036854775808'],
    [column({ kind: 'numeric', precision: 12, scale: 2 }, 'decimal(12,2)'), '-0.50', '-0.5'],
    [column({ kind: 'numeric', precision: 12, scale: 2 }, 'decimal(12,2)'), '-0.00', '0'],
    [column({ kind: 'numeric', precision: 19, scale: 4 }, 'money'), '12.3400', '12.34'],
    [column({ kind: 'float32' }, 'real'), Math.fround(0.1), '3fb99999a0000000'],
    [column({ kind: 'float64' }, 'float'), -0, '0'],
    [column({ kind: 'bool' }, 'bit'), false, 'f'],
    [column({ kind: 'text' }, 'nvarchar(9)'), 'é', '2:é'],
    [column({ kind: 'bytes' }, 'varbinary(4)'), Buffer.from([0, 255]), '00ff'],
    [
      column({ kind: 'uuid' }, 'uniqueidentifier'),
      'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    ],
    [column({ kind: 'date' }, 'date'), new Date(Date.UTC(1969, 11, 31)), '-1'],
    [
      column({ kind: 'time', precision: 7 }, 'time(7)'),
      tediousTime('1970-01-01T00:00:01.500Z', 9),
      '1500000',
    ],
    [
      column({ kind: 'timestamp', precision: 7 }, 'datetime2(7)'),
      tediousTime('1969-12-31T23:59:59.999Z', 9995),
      '-1',
    ],
    [column({ kind: 'timestamp', precision: 3 }, 'datetime'), new Date('1970-01-01T00:00:00.007Z'), '7000'],
    [
      column({ kind: 'timestamptz', precision: 7 }, 'datetimeoffset(7)'),
      tediousTime('1970-01-01T00:00:01.000Z', 10),
      '1000001',
    ],
  ] as const)('%#: %s', (col, raw, expected) => {
    expect(canonicalText(decodeSqlServerValue(col, raw), col.type)).toBe(expected);
  });

  test.prop([
    fc.date({
      min: new Date('0001-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    }),
    fc.integer({ min: 0, max: 9999 }),
  ])('datetime2(7) decoding equals floor(ticks / 10) microseconds', (date, ticks) => {
    const col = column({ kind: 'timestamp', precision: 7 }, 'datetime2(7)');
    const d = tediousTime(date.toISOString(), ticks);
    const expected = BigInt(date.getTime()) * 1000n + BigInt(Math.floor(ticks / 10));
    expect(canonicalText(decodeSqlServerValue(col, d), col.type)).toBe(String(expected));
  });
});

/** SQL Server's CONVERT(varchar, decimal(p,s)): sign, integer digits (at least 0), s fractional digits. */
function sqlServerDecimalText(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${neg ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`;
}

/** Step-by-step emulation of decimalTextSql (REPLACE/RTRIM/RIGHT/LEFT/LEN and the CASEs). */
function emulateDecimalTextSql(unscaled: bigint, scale: number): string {
  if (unscaled === 0n) return '0';
  const d = sqlServerDecimalText(unscaled, scale);
  if (scale === 0) return d;
  const rtrim = (s: string) => s.replace(/ +$/, '');
  const t = rtrim(d.replace(/0/g, ' ')).replace(/ /g, '0');
  const trimmed = t.endsWith('.') ? t.slice(0, t.length - 1) : t;
  if (trimmed.startsWith('.')) return `0${trimmed}`;
  if (trimmed.startsWith('-.')) return `-0${trimmed.slice(1)}`;
  return trimmed;
}

describe('pushdown algorithms reproduce core', () => {
  test.prop([fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), fc.integer({ min: 0, max: 38 })])(
    'decimal text trimming equals canonical numeric',
    (unscaled, scale) => {
      const text = sqlServerDecimalText(unscaled, scale);
      expect(emulateDecimalTextSql(unscaled, scale)).toBe(
        canonicalText(text, { kind: 'numeric', precision: 38, scale }),
      );
    },
  );

  test.prop([fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }), fc.integer({ min: 0, max: 6 })])(
    'x - (((x % m) + m) % m) floors like core for negative instants too',
    (micros, precision) => {
      const m = 10n ** BigInt(6 - precision);
      // T-SQL % truncates toward zero like JS bigint %.
      const sql = micros - (((micros % m) + m) % m);
      expect(sql).toBe(floorToPrecision(micros, precision));
    },
  );

  test.prop([fc.double({ noNaN: true, noDefaultInfinity: true })])(
    'CAST(float AS binary(8)) hex equals core float text',
    (x) => {
      // SQL Server's binary(8) of a float is the IEEE-754 big-endian bytes; 0 and -0 map to '0' by the CASE.
      const buf = Buffer.alloc(8);
      buf.writeDoubleBE(x);
      const sql = x === 0 ? '0' : buf.toString('hex');
      expect(sql).toBe(canonicalText(x, { kind: 'float64' }));
    },
  );

  it('text fields are <utf8 bytes>:<text> like core', () => {
    for (const s of ['', '  ', 'é', 'e\u0301', '日本語 🎉', 'a|\\N']) {
      expect(`${Buffer.byteLength(s, 'utf8')}:${s}`).toBe(canonicalText(s, { kind: 'text' }));
    }
  });
});
