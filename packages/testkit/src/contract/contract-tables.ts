/**
 * The tables the adapter contract suite creates through a fixture: logical column types, keys and rows
 * in the JS forms of `docs/normalization.md`, including the type-parity edge cases every engine must
 * hash exactly like the client (NaN, ±Infinity, −0, 38-digit numerics, µs instants, zero bytes …).
 */
import type { LogicalType, Row } from '@cdc/core';

/** A table the suite asks the fixture to create and fill. */
export interface ContractTable {
  /** Exact table name (the suite uses hostile names: reserved words, quotes, dots, spaces, unicode). */
  name: string;
  columns: { name: string; type: LogicalType }[];
  primaryKey: string[];
  rows: Row[];
}

/** A numbers-only table of `count` rows keyed by a composite (int, text) key. */
export function compositeKeyTable(name: string, count: number): ContractTable {
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    rows.push({
      'Tenant Id': i % 7,
      order: `k${String(i).padStart(6, '0')}`,
      select: i * 3,
      'note "x".y': i % 5 === 0 ? null : `n${i}`,
    });
  }
  return {
    name,
    columns: [
      { name: 'Tenant Id', type: { kind: 'int32' } },
      { name: 'order', type: { kind: 'text' } },
      { name: 'select', type: { kind: 'int64' } },
      { name: 'note "x".y', type: { kind: 'text' } },
    ],
    primaryKey: ['Tenant Id', 'order'],
    rows,
  };
}

/** One column per scalar kind, rows with each kind's edge cases; key `id` int64. */
export function typeParityTable(name: string): ContractTable {
  const columns: { name: string; type: LogicalType }[] = [
    { name: 'id', type: { kind: 'int64' } },
    { name: 'i16', type: { kind: 'int16' } },
    { name: 'i32', type: { kind: 'int32' } },
    { name: 'i64', type: { kind: 'int64' } },
    { name: 'num', type: { kind: 'numeric' } },
    { name: 'num38', type: { kind: 'numeric', precision: 38, scale: 10 } },
    { name: 'f32', type: { kind: 'float32' } },
    { name: 'f64', type: { kind: 'float64' } },
    { name: 'flag', type: { kind: 'bool' } },
    { name: 'txt', type: { kind: 'text' } },
    { name: 'bin', type: { kind: 'bytes' } },
    { name: 'uid', type: { kind: 'uuid' } },
    { name: 'day', type: { kind: 'date' } },
    { name: 'tod', type: { kind: 'time', precision: 6 } },
    { name: 'ts', type: { kind: 'timestamp', precision: 6 } },
    { name: 'tstz', type: { kind: 'timestamptz', precision: 6 } },
    { name: 'span', type: { kind: 'interval' } },
    { name: 'doc', type: { kind: 'json' } },
    { name: 'ints', type: { kind: 'list', element: { kind: 'int32' } } },
    { name: 'words', type: { kind: 'list', element: { kind: 'text' } } },
  ];
  const base: Row = Object.fromEntries(columns.map((c) => [c.name, null]));
  const rows: Row[] = [
    { ...base, id: '1' },
    {
      ...base,
      id: '2',
      i16: -32768,
      i32: 2147483647,
      i64: '-9223372036854775808',
      num: '1.50',
      num38: '1234567890123456789012345678.1234567890',
      f32: 1.5,
      f64: -0,
      flag: true,
      txt: '',
      bin: new Uint8Array([0, 0, 255, 0]),
      uid: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
      day: '1970-01-01',
      tod: '00:00:00.000001',
      ts: '1970-01-01T00:00:00.000001',
      tstz: '1969-12-31T23:59:59.999999Z',
      span: { months: 14, days: -3, micros: 3_000_001n },
      doc: '{"b": 1.0, "a": [true, null, "x"]}',
      ints: [1, null, -3],
      words: ['a', '', 'b "q" \\ c', null],
    },
    {
      ...base,
      id: '3',
      i16: 0,
      num: 'NaN',
      num38: '-0.0000000000',
      f32: Number.NaN,
      f64: Number.POSITIVE_INFINITY,
      flag: false,
      txt: '  ',
      bin: new Uint8Array([]),
      uid: '00000000-0000-0000-0000-000000000000',
      day: '0044-03-15 BC',
      tod: '23:59:59.999999',
      ts: '0001-01-01T00:00:00',
      tstz: '9999-12-31T23:59:59.999999Z',
      span: { months: 0, days: 0, micros: -1n },
      doc: '[]',
      ints: [],
      words: ['é', 'e\u0301'],
    },
    {
      ...base,
      id: '4',
      num: 'Infinity',
      num38: '99999999999999999999999999.9999999999',
      f32: Number.NEGATIVE_INFINITY,
      f64: 0.1,
      txt: 'é',
      tstz: '-infinity',
      ts: 'infinity',
      day: 'infinity',
      doc: '{"z": {"y": "\\u00e9", "x": 10}, "a": "multi\\nline"}',
    },
    { ...base, id: '5', num: '-Infinity', num38: '0.0000000001', f64: Number.NaN, txt: 'e\u0301', f32: -0 },
    {
      ...base,
      id: '6',
      num: '-12345678901234567890.123456789000',
      f64: 5e-324,
      txt: ' a\u0000b'.replace('\u0000', '|\\N'),
    },
    {
      ...base,
      id: '7',
      tstz: '1900-06-30T12:00:00.5+02:00',
      ts: '2262-04-11T23:47:16.854775',
      txt: '日本語 🎉',
    },
  ];
  return { name, columns, primaryKey: ['id'], rows };
}
