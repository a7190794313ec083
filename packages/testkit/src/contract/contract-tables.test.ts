import { describe, expect, it } from 'vitest';
import {
  CONTRACT_VALUE_CASES,
  adaptContractTable,
  compositeKeyTable,
  contractValueCases,
  typeParityTable,
  type ContractValueCase,
} from './contract-tables.js';

describe('contractValueCases', () => {
  it.each([
    ['NaN', { kind: 'numeric' } as const, ['numeric-nan-infinity']],
    ['-Infinity', { kind: 'numeric' } as const, ['numeric-nan-infinity']],
    ['1.50', { kind: 'numeric' } as const, []],
    [Number.NaN, { kind: 'float64' } as const, ['float-nan-infinity']],
    [Number.NEGATIVE_INFINITY, { kind: 'float32' } as const, ['float-nan-infinity']],
    [5e-324, { kind: 'float64' } as const, ['float-subnormal']],
    [1e-40, { kind: 'float32' } as const, ['float-subnormal']],
    [-0, { kind: 'float64' } as const, []],
    ['0044-03-15 BC', { kind: 'date' } as const, ['date-bc']],
    ['infinity', { kind: 'date' } as const, ['temporal-infinity']],
    ['-infinity', { kind: 'timestamptz', precision: 6 } as const, ['temporal-infinity']],
    ['1969-12-31T23:59:59.999999Z', { kind: 'timestamptz', precision: 6 } as const, ['sub-millisecond']],
    ['1900-06-30T12:00:00.5+02:00', { kind: 'timestamptz', precision: 6 } as const, []],
    ['2024-02-29T12:34:56.789000', { kind: 'timestamp', precision: 6 } as const, []],
    [1_000_001n, { kind: 'timestamp', precision: 6 } as const, ['sub-millisecond']],
    [{ months: 14, days: -3, micros: 1n }, { kind: 'interval' } as const, ['interval-mixed-signs']],
    [{ months: 0, days: 0, micros: -1n }, { kind: 'interval' } as const, []],
    [[1, null], { kind: 'list', element: { kind: 'int32' } } as const, ['list-null-element']],
    [[], { kind: 'list', element: { kind: 'int32' } } as const, ['empty-list']],
    [['NaN'], { kind: 'list', element: { kind: 'numeric' } } as const, ['numeric-nan-infinity']],
    [null, { kind: 'numeric' } as const, []],
  ])('%s as %j → %j', (value, type, expected) => {
    expect(contractValueCases(value, type)).toEqual(expected);
  });

  it('finds every documented case in the type-parity table', () => {
    const table = typeParityTable('t');
    const found = new Set<ContractValueCase>();
    for (const row of table.rows)
      for (const c of table.columns) for (const vc of contractValueCases(row[c.name], c.type)) found.add(vc);
    expect([...found].sort()).toEqual([...CONTRACT_VALUE_CASES].sort());
  });
});

describe('adaptContractTable', () => {
  it('returns the table unchanged when everything is supported', () => {
    const table = typeParityTable('t');
    const { table: adapted, omitted } = adaptContractTable(table);
    expect(adapted).toEqual(table);
    expect(omitted).toEqual([]);
  });

  it('leaves out columns of unsupported kinds (also as list elements), never key columns', () => {
    const { table, omitted } = adaptContractTable(typeParityTable('t'), {
      unsupportedKinds: { json: 'no json', int32: 'no int32', int64: 'no int64' },
    });
    const names = table.columns.map((c) => c.name);
    expect(names).not.toContain('doc');
    expect(names).not.toContain('i32');
    expect(names).not.toContain('ints'); // list<int32>
    expect(names).toContain('id'); // int64, but the key
    expect(names).not.toContain('i64');
    expect(table.rows.every((r) => !('doc' in r) && 'id' in r)).toBe(true);
    expect(omitted.map((o) => `${o.what}:${o.column}:${o.reason}`)).toEqual([
      'column:i32:no int32',
      'column:i64:no int64',
      'column:doc:no json',
      'column:ints:no int32',
    ]);
  });

  it('writes cells with unsupported values as NULL and names their rows', () => {
    const { table, omitted } = adaptContractTable(typeParityTable('t'), {
      unsupportedValues: { 'numeric-nan-infinity': 'decimal has no NaN', 'sub-millisecond': 'ms only' },
    });
    const num = Object.fromEntries(table.rows.map((r) => [String(r.id), r.num]));
    expect(num).toMatchObject({ '2': '1.50', '3': null, '4': null, '5': null, '8': '-1.25' });
    const byColumn = Object.fromEntries(omitted.map((o) => [`${o.column}:${o.valueCase}`, o.rows]));
    expect(byColumn['num:numeric-nan-infinity']).toEqual(['3', '4', '5']);
    expect(byColumn['tstz:sub-millisecond']).toEqual(['2', '3']);
    expect(byColumn['ts:sub-millisecond']).toEqual(['2', '7']);
    expect(table.rows.find((r) => r.id === '7')?.tstz).toBe('1900-06-30T12:00:00.5+02:00');
  });

  it('keeps the composite table whole for any declaration (no edge cases there)', () => {
    const table = compositeKeyTable('order', 10);
    const { table: adapted, omitted } = adaptContractTable(table, {
      unsupportedValues: { 'empty-list': 'x', 'date-bc': 'y' },
    });
    expect(adapted).toEqual(table);
    expect(omitted).toEqual([]);
  });
});
