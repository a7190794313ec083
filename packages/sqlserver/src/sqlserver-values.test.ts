import { describe, expect, it } from 'vitest';
import type { Column, LogicalType } from '@cdc/core';
import { decodeSqlServerValue, encodeSqlServerParam, tediousDateToEpochMicros } from './sqlserver-values.js';

const column = (type: LogicalType, nativeType: string): Column => ({
  name: 'c',
  type,
  nativeType,
  nullable: true,
});

/** Builds a Date the way tedious' value parser does (UTC mode): ms in the Date, the rest in nanosecondsDelta. */
function tediousTime(isoMs: string, ticksBelowMs: number): Date {
  const d = new Date(isoMs);
  Object.defineProperty(d, 'nanosecondsDelta', {
    enumerable: false,
    value: (ticksBelowMs % 10000) / Math.pow(10, 7),
  });
  return d;
}

describe('decodeSqlServerValue', () => {
  it('NULL stays null for every kind', () => {
    expect(decodeSqlServerValue(column({ kind: 'int32' }, 'int'), null)).toBeNull();
    expect(decodeSqlServerValue(column({ kind: 'text' }, 'nvarchar(5)'), undefined)).toBeNull();
  });
  it('bit, tinyint..int, bigint (tedious sends bigint as a string)', () => {
    expect(decodeSqlServerValue(column({ kind: 'bool' }, 'bit'), true)).toBe(true);
    expect(decodeSqlServerValue(column({ kind: 'int16' }, 'tinyint'), 255)).toBe(255);
    expect(decodeSqlServerValue(column({ kind: 'int32' }, 'int'), -2147483648)).toBe(-2147483648);
    expect(decodeSqlServerValue(column({ kind: 'int64' }, 'bigint'), '-9223372036854775808')).toBe(
      -9223372036854775808n,
    );
    expect(() => decodeSqlServerValue(column({ kind: 'int64' }, 'bigint'), 1.5)).toThrow(/bigint/);
  });
  it('decimals and money arrive as text and stay exact; a JS number is refused', () => {
    const dec = column({ kind: 'numeric', precision: 38, scale: 10 }, 'decimal(38,10)');
    expect(decodeSqlServerValue(dec, '113999999999999999999.0000894847')).toBe(
      '113999999999999999999.0000894847',
    );
    expect(
      decodeSqlServerValue(column({ kind: 'numeric', precision: 19, scale: 4 }, 'money'), '12.3456'),
    ).toBe('12.3456');
    expect(() => decodeSqlServerValue(dec, 1.14e20)).toThrow(/select it as text/);
  });
  it('real and float stay numbers (real is widened exactly by tedious)', () => {
    expect(decodeSqlServerValue(column({ kind: 'float32' }, 'real'), Math.fround(0.1))).toBe(
      Math.fround(0.1),
    );
    expect(decodeSqlServerValue(column({ kind: 'float64' }, 'float'), -0)).toBe(-0);
  });
  it('text, bytes and uniqueidentifier', () => {
    expect(decodeSqlServerValue(column({ kind: 'text' }, 'nchar(3)'), 'a  ')).toBe('a  ');
    expect(decodeSqlServerValue(column({ kind: 'bytes' }, 'varbinary(4)'), Buffer.from([0, 255]))).toEqual(
      Buffer.from([0, 255]),
    );
    expect(
      decodeSqlServerValue(
        column({ kind: 'uuid' }, 'uniqueidentifier'),
        '6F9619FF-8B86-D011-B42D-00C04FC964FF',
      ),
    ).toBe('6f9619ff-8b86-d011-b42d-00c04fc964ff');
  });
  it('date before 1970 and at the range ends', () => {
    const date = column({ kind: 'date' }, 'date');
    expect(decodeSqlServerValue(date, new Date(Date.UTC(1969, 11, 31)))).toBe('1969-12-31');
    const first = new Date(Date.UTC(2000, 0, 0 - 730118)); // tedious: days since 0001-01-01 = 0;
    expect(decodeSqlServerValue(date, first)).toBe('0001-01-01');
    expect(decodeSqlServerValue(date, new Date(Date.UTC(9999, 11, 31)))).toBe('9999-12-31');
  });
  it('datetime2(7): microseconds from nanosecondsDelta, floored (also before 1970)', () => {
    const ts = column({ kind: 'timestamp', precision: 7 }, 'datetime2(7)');
    // 2024-02-29 12:34:56.1234567 → ms 123, ticks below ms 4567
    expect(decodeSqlServerValue(ts, tediousTime('2024-02-29T12:34:56.123Z', 4567))).toBe(
      '2024-02-29T12:34:56.123456',
    );
    // 1969-12-31 23:59:59.9999995: ms 999, ticks 9995 → µs 999999
    expect(decodeSqlServerValue(ts, tediousTime('1969-12-31T23:59:59.999Z', 9995))).toBe(
      '1969-12-31T23:59:59.999999',
    );
    expect(tediousDateToEpochMicros(tediousTime('1969-12-31T23:59:59.999Z', 9995))).toBe(-1n);
    // one tick of 100 ns must not round up through floating point
    expect(decodeSqlServerValue(ts, tediousTime('2000-01-01T00:00:00.000Z', 10))).toBe(
      '2000-01-01T00:00:00.000001',
    );
    expect(decodeSqlServerValue(ts, tediousTime('2000-01-01T00:00:00.000Z', 9))).toBe(
      '2000-01-01T00:00:00.000000',
    );
    expect(decodeSqlServerValue(ts, tediousTime('9999-12-31T23:59:59.999Z', 9999))).toBe(
      '9999-12-31T23:59:59.999999',
    );
  });
  it('datetime and smalldatetime have no nanosecondsDelta', () => {
    const dt = column({ kind: 'timestamp', precision: 3 }, 'datetime');
    expect(decodeSqlServerValue(dt, new Date('1753-01-01T00:00:00.007Z'))).toBe('1753-01-01T00:00:00.007000');
  });
  it('time(p) and datetimeoffset (UTC instant)', () => {
    expect(
      decodeSqlServerValue(
        column({ kind: 'time', precision: 7 }, 'time(7)'),
        tediousTime('1970-01-01T23:59:59.999Z', 9999),
      ),
    ).toBe('23:59:59.999999');
    const tz = column({ kind: 'timestamptz', precision: 7 }, 'datetimeoffset(7)');
    expect(decodeSqlServerValue(tz, tediousTime('1969-12-31T23:00:01.000Z', 0))).toBe(
      '1969-12-31T23:00:01.000000Z',
    );
  });
  it('refuses values of the wrong shape with the column named', () => {
    expect(() => decodeSqlServerValue(column({ kind: 'date' }, 'date'), '2020-01-01')).toThrow(
      'Column "c" (date): expected a date',
    );
  });
});

describe('encodeSqlServerParam', () => {
  it('sends exact numbers as text', () => {
    expect(encodeSqlServerParam(column({ kind: 'int64' }, 'bigint'), 9007199254740993n)).toEqual({
      type: 'NVarChar',
      value: '9007199254740993',
    });
    expect(
      encodeSqlServerParam(column({ kind: 'numeric', precision: 19, scale: 4 }, 'money'), '12.3456'),
    ).toEqual({
      type: 'NVarChar',
      value: '12.3456',
    });
    expect(() => encodeSqlServerParam(column({ kind: 'numeric' }, 'decimal(38,0)'), 1e21)).toThrow(
      /decimal text/,
    );
    expect(() => encodeSqlServerParam(column({ kind: 'float64' }, 'float'), NaN)).toThrow(/NaN/);
    expect(() => encodeSqlServerParam(column({ kind: 'float64' }, 'float'), 'NaN')).toThrow(/NaN/);
    expect(encodeSqlServerParam(column({ kind: 'float32' }, 'real'), '-3.4e38').value).toBe('-3.4e38');
  });
  it('sends instants as ISO text with microseconds', () => {
    const ts = column({ kind: 'timestamp', precision: 7 }, 'datetime2(7)');
    expect(encodeSqlServerParam(ts, tediousTime('2024-02-29T12:34:56.123Z', 4567)).value).toBe(
      '2024-02-29T12:34:56.123456',
    );
    expect(encodeSqlServerParam(ts, -1n).value).toBe('1969-12-31T23:59:59.999999');
    expect(encodeSqlServerParam(ts, '2024-02-29 12:34:56.1234567').value).toBe('2024-02-29T12:34:56.1234567');
    const tz = column({ kind: 'timestamptz', precision: 7 }, 'datetimeoffset(7)');
    expect(encodeSqlServerParam(tz, '2024-02-29T12:34:56Z').value).toBe('2024-02-29T12:34:56+00:00');
    expect(() => encodeSqlServerParam(ts, 'yesterday')).toThrow(/ISO-8601/);
  });
  it('binary as VarBinary, uuid and bool as text, NULL as null', () => {
    expect(encodeSqlServerParam(column({ kind: 'bytes' }, 'varbinary(8)'), '\\x00ff')).toEqual({
      type: 'VarBinary',
      value: Buffer.from([0, 255]),
    });
    expect(
      encodeSqlServerParam(
        column({ kind: 'uuid' }, 'uniqueidentifier'),
        '6F9619FF-8B86-D011-B42D-00C04FC964FF',
      ).value,
    ).toBe('6f9619ff-8b86-d011-b42d-00c04fc964ff');
    expect(encodeSqlServerParam(column({ kind: 'bool' }, 'bit'), true).value).toBe('1');
    expect(encodeSqlServerParam(column({ kind: 'text' }, 'nvarchar(5)'), null)).toEqual({
      type: 'NVarChar',
      value: null,
    });
    expect(encodeSqlServerParam(column({ kind: 'date' }, 'date'), -1).value).toBe('1969-12-31');
    expect(encodeSqlServerParam(column({ kind: 'time', precision: 7 }, 'time(7)'), 1500000n).value).toBe(
      '00:00:01.500000',
    );
  });
});
