import type { Column, LogicalType } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { decodeMysqlValue, encodeMysqlKey, microsToDateTimeText } from './mysql-values.js';

const column = (type: LogicalType, nativeType = 'x'): Column => ({
  name: 'c',
  type,
  nativeType,
  nullable: true,
});

describe('decodeMysqlValue', () => {
  it('turns tinyint(1) and bit(1) into booleans and TIMESTAMP text into UTC instants', () => {
    expect(decodeMysqlValue(column({ kind: 'bool' }), 0)).toBe(false);
    expect(decodeMysqlValue(column({ kind: 'bool' }), 2)).toBe(true);
    expect(decodeMysqlValue(column({ kind: 'bool' }, 'bit(1)'), Buffer.from([1]))).toBe(true);
    expect(
      decodeMysqlValue(column({ kind: 'timestamptz', precision: 6 }), '2024-01-02 03:04:05.000006'),
    ).toBe('2024-01-02T03:04:05.000006Z');
    expect(decodeMysqlValue(column({ kind: 'float64' }), '0.1')).toBe(0.1);
    expect(decodeMysqlValue(column({ kind: 'int64' }), '9223372036854775807')).toBe('9223372036854775807');
    expect(decodeMysqlValue(column({ kind: 'text' }), null)).toBeNull();
  });
});

describe('encodeMysqlKey', () => {
  it('casts every key kind exactly, from any accepted JS form', () => {
    expect(encodeMysqlKey(column({ kind: 'int64' }), 9007199254740993n)).toEqual({
      sql: 'CAST(? AS SIGNED)',
      value: '9007199254740993',
    });
    expect(
      encodeMysqlKey(column({ kind: 'numeric', precision: 20, scale: 0 }), '18446744073709551615'),
    ).toEqual({
      sql: 'CAST(? AS DECIMAL(20,0))',
      value: '18446744073709551615',
    });
    expect(encodeMysqlKey(column({ kind: 'numeric', precision: 12, scale: 2 }), '1.50')).toEqual({
      sql: 'CAST(? AS DECIMAL(12,2))',
      value: '1.5',
    });
    expect(encodeMysqlKey(column({ kind: 'numeric' }), 'NaN')).toEqual({ sql: 'NULL', value: undefined });
    expect(encodeMysqlKey(column({ kind: 'text' }), 'a|b')).toEqual({ sql: '?', value: 'a|b' });
    expect(encodeMysqlKey(column({ kind: 'bytes' }), '\\x00ff')).toEqual({
      sql: '?',
      value: Buffer.from([0, 255]),
    });
    expect(encodeMysqlKey(column({ kind: 'bytes' }, 'bit(12)'), Buffer.from([0x0f, 0xff]))).toEqual({
      sql: 'CAST(? AS UNSIGNED)',
      value: '4095',
    });
    expect(encodeMysqlKey(column({ kind: 'date' }), '0044-03-15')).toEqual({
      sql: 'CAST(? AS DATE)',
      value: '0044-03-15',
    });
    expect(encodeMysqlKey(column({ kind: 'date' }), 'infinity')).toEqual({ sql: 'NULL', value: undefined });
    expect(
      encodeMysqlKey(column({ kind: 'timestamptz', precision: 6 }), '2024-01-01T01:00:00+01:00'),
    ).toEqual({
      sql: 'CAST(? AS DATETIME(6))',
      value: '2024-01-01 00:00:00.000000',
    });
    expect(encodeMysqlKey(column({ kind: 'time', precision: 6 }), '23:59:59.5')).toEqual({
      sql: 'CAST(? AS TIME(6))',
      value: '23:59:59.500000',
    });
    expect(encodeMysqlKey(column({ kind: 'uuid' }), 'A0EEBC999C0B4EF8BB6D6BB9BD380A11')).toEqual({
      sql: '?',
      value: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    });
    expect(encodeMysqlKey(column({ kind: 'float32' }), 0.1)).toEqual({
      sql: 'CAST(? AS DOUBLE)',
      value: String(Math.fround(0.1)),
    });
    expect(encodeMysqlKey(column({ kind: 'text' }), null)).toEqual({ sql: 'NULL', value: undefined });
    expect(() => encodeMysqlKey(column({ kind: 'json' }), '{}')).toThrow(/cannot be used as a key/);
  });

  it('writes epoch microseconds as DATETIME text on both sides of 1970', () => {
    expect(microsToDateTimeText(0n)).toBe('1970-01-01 00:00:00.000000');
    expect(microsToDateTimeText(-1n)).toBe('1969-12-31 23:59:59.999999');
    expect(microsToDateTimeText(253402300799999999n)).toBe('9999-12-31 23:59:59.999999');
  });
});
