/**
 * The tables the adapter contract suite creates through a fixture: logical column types, keys and rows
 * in the JS forms of `docs/normalization.md`, including the type-parity edge cases every engine must
 * hash exactly like the client (NaN, ±Infinity, −0, 38-digit numerics, µs instants, zero bytes …).
 */
import type { LogicalKind, LogicalType, Row } from '@cdc/core';

/** A table the suite asks the fixture to create and fill. */
export interface ContractTable {
  /**
   * Suggested table name (hostile: reserved words, quotes, dots, spaces). An engine whose identifiers
   * cannot hold it (ScyllaDB table names are `[A-Za-z0-9_]+`) creates the table under another name and
   * returns that `TableId` from `createTable`.
   */
  name: string;
  columns: { name: string; type: LogicalType }[];
  primaryKey: string[];
  /**
   * Engines with partition keys (ScyllaDB/Cassandra) partition by the first `partitionKeyLength` key
   * columns and cluster by the rest. Default 1.
   */
  partitionKeyLength?: number;
  rows: Row[];
}

/**
 * Edge-case values of the contract tables that some engines cannot store at all, so an engine may
 * declare them unsupported (see {@link ContractTypeSupport}):
 * - `numeric-nan-infinity`: `NaN`, `Infinity`, `-Infinity` in a numeric column (SQL Server `decimal`,
 *   CQL `decimal` have none);
 * - `float-nan-infinity`: the same in a float column (SQL Server `real`/`float` have none);
 * - `float-subnormal`: non-zero floats below the smallest normal value (SQL Server documents
 *   `float` down to 2.23E-308 only);
 * - `date-bc`: dates before year 1;
 * - `temporal-infinity`: PostgreSQL's `infinity`/`-infinity` dates and instants;
 * - `sub-millisecond`: instants with a non-zero fraction beyond milliseconds (CQL `timestamp` is ms);
 * - `interval-mixed-signs`: an interval whose months, days and time parts differ in sign (CQL
 *   `duration` requires one sign);
 * - `list-null-element`: a list holding NULL (CQL collections cannot);
 * - `empty-list`: an empty list (a non-frozen empty CQL collection reads back as NULL).
 */
export type ContractValueCase =
  | 'numeric-nan-infinity'
  | 'float-nan-infinity'
  | 'float-subnormal'
  | 'date-bc'
  | 'temporal-infinity'
  | 'sub-millisecond'
  | 'interval-mixed-signs'
  | 'list-null-element'
  | 'empty-list';

/** Every {@link ContractValueCase}, in documentation order. */
export const CONTRACT_VALUE_CASES: readonly ContractValueCase[] = [
  'numeric-nan-infinity',
  'float-nan-infinity',
  'float-subnormal',
  'date-bc',
  'temporal-infinity',
  'sub-millisecond',
  'interval-mixed-signs',
  'list-null-element',
  'empty-list',
];

/**
 * What an engine can store, declared by its contract fixture. Everything is supported by default
 * (PostgreSQL stores every contract value). Each entry maps to the reason, which the suite prints.
 */
export interface ContractTypeSupport {
  /**
   * Logical kinds the engine has no column type for (e.g. SQL Server: `interval`, `json`, `list`).
   * Contract columns of these kinds (or lists of them) are left out of the tables.
   */
  unsupportedKinds?: Partial<Record<LogicalKind, string>>;
  /** Edge-case values the engine cannot store: cells holding them are written as NULL instead. */
  unsupportedValues?: Partial<Record<ContractValueCase, string>>;
}

/** What {@link adaptContractTable} left out of a table, and why. */
export interface ContractOmission {
  /** `column` for a left-out column, `value` for cells written as NULL. */
  what: 'column' | 'value';
  column: string;
  kind: LogicalKind;
  /** The value case (for `what: 'value'`). */
  valueCase?: ContractValueCase;
  /** Rows affected (their key values joined by `/`). */
  rows?: string[];
  reason: string;
}

const FLOAT64_MIN_NORMAL = 2.2250738585072014e-308;
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (t === 'nan') return Number.NaN;
    if (t === 'infinity' || t === '+infinity') return Number.POSITIVE_INFINITY;
    if (t === '-infinity') return Number.NEGATIVE_INFINITY;
    const n = Number(t);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

function isInfinityText(value: unknown): boolean {
  return typeof value === 'string' && /^[+-]?infinity$/i.test(value.trim());
}

/**
 * The edge cases `value` is an instance of, as a value of `type` (empty for ordinary values and NULL).
 *
 * @example
 * contractValueCases('NaN', { kind: 'numeric' }); // ['numeric-nan-infinity']
 * contractValueCases('2024-01-01T00:00:00.000001Z', { kind: 'timestamptz', precision: 6 }); // ['sub-millisecond']
 */
export function contractValueCases(value: unknown, type: LogicalType): ContractValueCase[] {
  if (value === null || value === undefined) return [];
  switch (type.kind) {
    case 'numeric': {
      const n = numberOf(value);
      return n !== undefined && !Number.isFinite(n) ? ['numeric-nan-infinity'] : [];
    }
    case 'float32':
    case 'float64': {
      const n = numberOf(value);
      if (n === undefined) return [];
      if (!Number.isFinite(n)) return ['float-nan-infinity'];
      const min = type.kind === 'float32' ? FLOAT32_MIN_NORMAL : FLOAT64_MIN_NORMAL;
      return n !== 0 && Math.abs(n) < min ? ['float-subnormal'] : [];
    }
    case 'date':
      if (isInfinityText(value)) return ['temporal-infinity'];
      return typeof value === 'string' && /\sBC$/i.test(value.trim()) ? ['date-bc'] : [];
    case 'timestamp':
    case 'timestamptz': {
      if (isInfinityText(value)) return ['temporal-infinity'];
      const cases: ContractValueCase[] = [];
      if (typeof value === 'string') {
        if (/\sBC$/i.test(value.trim())) cases.push('date-bc');
        const fraction = /\d{2}:\d{2}:\d{2}\.(\d+)/.exec(value)?.[1] ?? '';
        if (/[1-9]/.test(fraction.slice(3))) cases.push('sub-millisecond');
      } else if (typeof value === 'bigint' && value % 1000n !== 0n) cases.push('sub-millisecond');
      return cases;
    }
    case 'interval': {
      if (typeof value !== 'object') return [];
      const v = value as { months?: number; days?: number; micros?: bigint | number };
      const signs = new Set(
        [v.months ?? 0, v.days ?? 0, v.micros ?? 0].map((x) => Math.sign(Number(x))).filter((s) => s !== 0),
      );
      return signs.size > 1 ? ['interval-mixed-signs'] : [];
    }
    case 'list':
    case 'set': {
      if (!Array.isArray(value)) return [];
      const cases: ContractValueCase[] = [];
      if (value.length === 0) cases.push('empty-list');
      if (value.some((e) => e === null || e === undefined)) cases.push('list-null-element');
      for (const e of value) {
        for (const c of contractValueCases(e, type.element)) if (!cases.includes(c)) cases.push(c);
      }
      return cases;
    }
    default:
      return [];
  }
}

function kindsOf(type: LogicalType): LogicalKind[] {
  return type.kind === 'list' || type.kind === 'set' ? [type.kind, ...kindsOf(type.element)] : [type.kind];
}

/**
 * `table` reduced to what an engine declared it can store: columns of unsupported kinds are left out,
 * cells holding unsupported edge-case values become NULL (key columns are never changed). Also returns
 * what was left out, with the engine's reasons, so the suite can report it.
 */
export function adaptContractTable(
  table: ContractTable,
  support: ContractTypeSupport = {},
): { table: ContractTable; omitted: ContractOmission[] } {
  const omitted: ContractOmission[] = [];
  const unsupportedKinds = support.unsupportedKinds ?? {};
  const unsupportedValues = support.unsupportedValues ?? {};
  const columns = table.columns.filter((c) => {
    if (table.primaryKey.includes(c.name)) return true;
    const kind = kindsOf(c.type).find((k) => unsupportedKinds[k] !== undefined);
    if (kind === undefined) return true;
    omitted.push({
      what: 'column',
      column: c.name,
      kind: c.type.kind,
      reason: unsupportedKinds[kind] as string,
    });
    return false;
  });
  const keyText = (row: Row) => table.primaryKey.map((k) => String(row[k])).join('/');
  const nulled = new Map<string, ContractOmission>();
  const rows = table.rows.map((row) => {
    const out: Row = {};
    for (const c of columns) {
      const value = row[c.name];
      const blocked = table.primaryKey.includes(c.name)
        ? undefined
        : contractValueCases(value, c.type).find((vc) => unsupportedValues[vc] !== undefined);
      if (blocked === undefined) {
        out[c.name] = value;
        continue;
      }
      out[c.name] = null;
      const id = `${c.name}\u0000${blocked}`;
      const entry = nulled.get(id) ?? {
        what: 'value' as const,
        column: c.name,
        kind: c.type.kind,
        valueCase: blocked,
        rows: [],
        reason: unsupportedValues[blocked] as string,
      };
      entry.rows?.push(keyText(row));
      nulled.set(id, entry);
    }
    return out;
  });
  omitted.push(...nulled.values());
  return { table: { ...table, columns, rows }, omitted };
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
    partitionKeyLength: 1,
    rows,
  };
}

/**
 * One column per scalar kind, rows with each kind's edge cases (see {@link contractValueCases}), and
 * one row (`id` 8) of ordinary values every engine stores; key `id` int64.
 */
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
    {
      // Ordinary values every engine stores, so each column is compared on at least one non-NULL value.
      id: '8',
      i16: 12345,
      i32: -7,
      i64: '9007199254740993',
      num: '-1.25',
      num38: '-42.0000000001',
      f32: -2.5,
      f64: 1e300,
      flag: true,
      txt: 'portable',
      bin: new Uint8Array([1, 2, 3]),
      uid: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
      day: '2024-02-29',
      tod: '12:34:56.789',
      ts: '2024-02-29T12:34:56.789',
      tstz: '2024-02-29T12:34:56.789Z',
      span: { months: 1, days: 2, micros: 3_000_000n },
      doc: '{"k": 1}',
      ints: [1, 2],
      words: ['x'],
    },
  ];
  return { name, columns, primaryKey: ['id'], partitionKeyLength: 1, rows };
}
