/**
 * One table with a column of every MariaDB type cdc reads, hostile identifiers (quotes, backticks,
 * spaces, unicode, reserved words), rows of edge values, and the PostgreSQL copy of each column (the
 * type a migration would give it), for the type tests and the MariaDB → PostgreSQL diff tests.
 */
import { canonicalText, type LogicalType, type Row } from '@cdc/core';
import type { TestColumn } from './mysql-test-database.js';

/** A column of the every-type table: MariaDB type, the logical type it maps to, its PostgreSQL copy. */
export interface EveryTypeColumn extends TestColumn {
  /** PostgreSQL type of the copy. */
  pg: string;
  /** Generates the value of row `i` (deterministic; `null` allowed). */
  value(i: number, r: () => number): unknown;
}

export const TABLE_NAME = 'every `type` "t" ü select';
export const KEY = 'id `k` "q"';

const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const int = (r: () => number, lo: number, hi: number) => Math.floor(lo + r() * (hi - lo + 1));
const bigIntIn = (r: () => number, lo: bigint, hi: bigint): string => {
  const span = hi - lo + 1n;
  const x =
    (BigInt(Math.floor(r() * 2 ** 30)) << 34n) ^
    (BigInt(Math.floor(r() * 2 ** 30)) << 4n) ^
    BigInt(int(r, 0, 15));
  return (lo + (x % span)).toString();
};
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const bytes = (r: () => number, n: number) => Uint8Array.from({ length: n }, () => int(r, 0, 255));

const TEXTS = [
  '',
  ' ',
  '  leading',
  'trailing  ',
  'quote \' double " back ` slash \\ pipe | null \\N',
  'tab\tnewline\ncr\r',
  'é',
  'e\u0301',
  '日本語 🎉',
  'Ω ß ﬁ İ',
  'MiXeD CaSe',
  'a|b|c',
  '0:',
];
const LATIN1 = ['', 'plain', 'café', 'ÀÉÎÕÜ', 'naïve façade', '¿¡ º ª'];
const DECIMALS = [
  '0',
  '-0.0000000001',
  '1.5000000000',
  '12345678901234567890.1234567890',
  '-99999999999999999999.9999999999',
  '100',
  '0.1',
];
const DOUBLES = [
  0.1,
  -0,
  1e300,
  -1e-300,
  5e-324,
  2.2250738585072014e-308,
  1.7976931348623157e308,
  -2.5,
  123456789.123,
  Math.PI,
];
const FLOATS = [
  0.1,
  -0,
  3.4028234663852886e38,
  1.401298464324817e-45,
  1.1754943508222875e-38,
  -2.5,
  16777217,
  Math.E,
];
const JSONS = [
  '{"b": 1.0, "a": [true, null, "x"]}',
  '[]',
  '{}',
  '"text with \\"quotes\\" and \\u00e9"',
  '12345678901234567890',
  '{"z": {"y": "é", "x": 10}, "a": "multi\\nline", "n": -1.50e2}',
  'null',
  '[1, 2.5, -0, 1e3]',
];

function dateText(r: () => number, loYear = 1000, hiYear = 9999): string {
  return `${pad(int(r, loYear, hiYear), 4)}-${pad(int(r, 1, 12))}-${pad(int(r, 1, 28))}`;
}
function timeText(r: () => number, digits: number): string {
  const frac = digits === 0 ? '' : `.${String(int(r, 0, 10 ** digits - 1)).padStart(digits, '0')}`;
  return `${pad(int(r, 0, 23))}:${pad(int(r, 0, 59))}:${pad(int(r, 0, 59))}${frac}`;
}

/** The columns, key first. */
export const EVERY_TYPE_COLUMNS: EveryTypeColumn[] = [
  { name: KEY, native: 'bigint', type: { kind: 'int64' }, pg: 'bigint', value: (i) => String(i) },
  {
    name: 'tiny',
    native: 'tinyint',
    type: { kind: 'int16' },
    pg: 'smallint',
    value: (i, r) => (i === 2 ? -128 : i === 3 ? 127 : int(r, -128, 127)),
  },
  {
    name: 'tiny unsigned',
    native: 'tinyint unsigned',
    type: { kind: 'int16' },
    pg: 'smallint',
    value: (i, r) => (i === 3 ? 255 : int(r, 0, 255)),
  },
  {
    name: 'select',
    native: 'smallint',
    type: { kind: 'int16' },
    pg: 'smallint',
    value: (i, r) => (i === 2 ? -32768 : i === 3 ? 32767 : int(r, -32768, 32767)),
  },
  {
    name: 'small unsigned',
    native: 'smallint unsigned',
    type: { kind: 'int32' },
    pg: 'integer',
    value: (i, r) => (i === 3 ? 65535 : int(r, 0, 65535)),
  },
  {
    name: 'medium',
    native: 'mediumint',
    type: { kind: 'int32' },
    pg: 'integer',
    value: (i, r) => (i === 2 ? -8388608 : i === 3 ? 8388607 : int(r, -8388608, 8388607)),
  },
  {
    name: 'medium unsigned',
    native: 'mediumint unsigned',
    type: { kind: 'int32' },
    pg: 'integer',
    value: (i, r) => (i === 3 ? 16777215 : int(r, 0, 16777215)),
  },
  {
    name: 'int',
    native: 'int',
    type: { kind: 'int32' },
    pg: 'integer',
    value: (i, r) => (i === 2 ? -2147483648 : i === 3 ? 2147483647 : int(r, -2147483648, 2147483647)),
  },
  {
    name: 'int unsigned',
    native: 'int unsigned',
    type: { kind: 'int64' },
    pg: 'bigint',
    value: (i, r) => (i === 3 ? 4294967295 : int(r, 0, 4294967295)),
  },
  {
    name: 'big',
    native: 'bigint',
    type: { kind: 'int64' },
    pg: 'bigint',
    value: (i, r) =>
      i === 2
        ? '-9223372036854775808'
        : i === 3
          ? '9223372036854775807'
          : bigIntIn(r, -(2n ** 63n), 2n ** 63n - 1n),
  },
  {
    name: 'big unsigned',
    native: 'bigint unsigned',
    type: { kind: 'numeric', precision: 20, scale: 0 },
    pg: 'numeric(20,0)',
    value: (i, r) => (i === 3 ? '18446744073709551615' : i === 2 ? '0' : bigIntIn(r, 0n, 2n ** 64n - 1n)),
  },
  {
    name: 'dec',
    native: 'decimal(30,10)',
    type: { kind: 'numeric', precision: 30, scale: 10 },
    pg: 'numeric(30,10)',
    value: (i, r) =>
      i < DECIMALS.length + 2 && i >= 2
        ? DECIMALS[i - 2]
        : `${int(r, -999999, 999999)}.${pad(int(r, 0, 9999), 4)}`,
  },
  {
    name: 'dec0',
    native: 'decimal(12,0)',
    type: { kind: 'numeric', precision: 12, scale: 0 },
    pg: 'numeric(12,0)',
    value: (i, r) => (i === 2 ? '-999999999999' : i === 3 ? '100' : String(int(r, -1e9, 1e9))),
  },
  {
    name: 'flt',
    native: 'float',
    type: { kind: 'float32' },
    pg: 'real',
    value: (i, r) =>
      i >= 2 && i < FLOATS.length + 2 ? FLOATS[i - 2] : Math.fround((r() - 0.5) * 10 ** int(r, -30, 30)),
  },
  {
    name: 'dbl',
    native: 'double',
    type: { kind: 'float64' },
    pg: 'double precision',
    value: (i, r) =>
      i >= 2 && i < DOUBLES.length + 2 ? DOUBLES[i - 2] : (r() - 0.5) * 10 ** int(r, -300, 300),
  },
  {
    name: 'chr',
    native: 'char(10)',
    type: { kind: 'text' },
    pg: 'varchar(10)',
    value: (i, r) => (i === 4 ? 'ab' : pick(r, ['x', 'hello', 'é ü', '日本', '0123456789'])),
  },
  {
    name: 'naïve "vc"',
    native: 'varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
    type: { kind: 'text' },
    pg: 'varchar(100)',
    value: (i, r) => (i >= 2 && i < TEXTS.length + 2 ? TEXTS[i - 2] : pick(r, TEXTS)),
  },
  {
    name: 'txt',
    native: 'text CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
    type: { kind: 'text' },
    pg: 'text',
    value: (i, r) =>
      i >= 2 && i < TEXTS.length + 2 ? TEXTS[TEXTS.length - 1 - (i - 2)] : `${pick(r, TEXTS)} #${i}`,
  },
  {
    name: 'latin',
    native: 'varchar(50) CHARACTER SET latin1',
    type: { kind: 'text' },
    pg: 'text',
    value: (_i, r) => pick(r, LATIN1),
  },
  {
    name: 'bin4',
    native: 'binary(4)',
    type: { kind: 'bytes' },
    pg: 'bytea',
    value: (i, r) => (i === 2 ? new Uint8Array(4) : bytes(r, 4)),
  },
  {
    name: 'vbin',
    native: 'varbinary(20)',
    type: { kind: 'bytes' },
    pg: 'bytea',
    value: (i, r) => (i === 2 ? new Uint8Array(0) : bytes(r, int(r, 0, 20))),
  },
  {
    name: 'blob',
    native: 'blob',
    type: { kind: 'bytes' },
    pg: 'bytea',
    value: (i, r) => (i === 3 ? new Uint8Array([0, 0, 0]) : bytes(r, int(r, 0, 64))),
  },
  {
    name: 'day',
    native: 'date',
    type: { kind: 'date' },
    pg: 'date',
    value: (i, r) =>
      i === 2
        ? '1000-01-01'
        : i === 3
          ? '9999-12-31'
          : i === 4
            ? '0001-01-01'
            : i === 5
              ? '1969-12-31'
              : dateText(r),
  },
  {
    name: 'dt6',
    native: 'datetime(6)',
    type: { kind: 'timestamp', precision: 6 },
    pg: 'timestamp(6)',
    value: (i, r) =>
      i === 2
        ? '1000-01-01 00:00:00.000000'
        : i === 3
          ? '9999-12-31 23:59:59.999999'
          : i === 4
            ? '1969-12-31 23:59:59.999999'
            : `${dateText(r)} ${timeText(r, 6)}`,
  },
  {
    name: 'dt0',
    native: 'datetime',
    type: { kind: 'timestamp', precision: 0 },
    pg: 'timestamp(0)',
    value: (i, r) => (i === 2 ? '1900-02-28 23:59:59' : `${dateText(r, 1900, 2100)} ${timeText(r, 0)}`),
  },
  {
    name: 'ts6',
    native: 'timestamp(6)',
    type: { kind: 'timestamptz', precision: 6 },
    pg: 'timestamptz(6)',
    value: (i, r) =>
      i === 2
        ? '1970-01-01 00:00:01.000000Z'
        : i === 3
          ? '2038-01-19 03:14:07.999999Z'
          : `${dateText(r, 1971, 2037)} ${timeText(r, 6)}Z`,
  },
  {
    name: 'tm6',
    native: 'time(6)',
    type: { kind: 'time', precision: 6 },
    pg: 'time(6)',
    value: (i, r) => (i === 2 ? '00:00:00.000000' : i === 3 ? '23:59:59.999999' : timeText(r, 6)),
  },
  {
    name: 'tm0',
    native: 'time',
    type: { kind: 'time', precision: 0 },
    pg: 'time(0)',
    value: (_i, r) => timeText(r, 0),
  },
  {
    name: 'yr',
    native: 'year',
    type: { kind: 'int16' },
    pg: 'smallint',
    value: (i, r) => (i === 2 ? 0 : i === 3 ? 2155 : int(r, 1901, 2155)),
  },
  { name: 'b1', native: 'bit(1)', type: { kind: 'bool' }, pg: 'boolean', value: (_i, r) => r() < 0.5 },
  {
    name: 'b12',
    native: 'bit(12)',
    type: { kind: 'bytes' },
    pg: 'bytea',
    value: (i, r) =>
      i === 2
        ? new Uint8Array([0, 0])
        : i === 3
          ? new Uint8Array([15, 255])
          : new Uint8Array([int(r, 0, 15), int(r, 0, 255)]),
  },
  {
    name: 'mood',
    native: "enum('ok','happy','sad','')",
    type: { kind: 'text' },
    pg: 'text',
    value: (_i, r) => pick(r, ['ok', 'happy', 'sad', '']),
  },
  {
    name: 'tags',
    native: "set('a','b','c d')",
    type: { kind: 'text' },
    pg: 'text',
    value: (_i, r) => pick(r, ['', 'a', 'b', 'a,b', 'a,c d', 'a,b,c d']),
  },
  {
    name: 'doc',
    native: 'json',
    type: { kind: 'json' },
    pg: 'jsonb',
    value: (i, r) =>
      i >= 2 && i < JSONS.length + 2
        ? JSONS[i - 2]
        : `{"n": ${int(r, -1000, 1000)}, "s": "row ${i}", "f": ${r().toFixed(3)}}`,
  },
  { name: 'flag', native: 'boolean', type: { kind: 'bool' }, pg: 'boolean', value: (_i, r) => r() < 0.5 },
  {
    name: 'uid',
    native: 'uuid',
    type: { kind: 'uuid' },
    pg: 'uuid',
    // MariaDB's UUID refuses values whose variant is not RFC 4122's: random version-4 UUIDs.
    value: (i, r) => {
      if (i === 2) return '00000000-0000-0000-0000-000000000000';
      const b = bytes(r, 16);
      b[6] = 0x40 | ((b[6] as number) & 0x0f);
      b[8] = 0x80 | ((b[8] as number) & 0x3f);
      const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  },
];

/** Column names of the non-key columns. */
export const VALUE_COLUMNS = EVERY_TYPE_COLUMNS.filter((c) => c.name !== KEY).map((c) => c.name);

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Row `i` (1: every value NULL; 2, 3: extremes; then edge cases and seeded random values). */
export function everyTypeRow(i: number, seed = 1): Row {
  const r = prng(seed * 100_003 + i);
  const row: Row = {};
  for (const c of EVERY_TYPE_COLUMNS) {
    row[c.name] = c.name === KEY ? String(i) : i === 1 ? null : c.value(i, r);
  }
  return row;
}

/** Rows 1..n. */
export function everyTypeRows(n: number): Row[] {
  return Array.from({ length: n }, (_, k) => everyTypeRow(k + 1));
}

/** A value of `column` whose canonical text differs from `value`'s (for planted differences). */
export function differentValue(column: EveryTypeColumn, value: unknown, i: number): unknown {
  const type: LogicalType = column.type;
  for (let seed = 2; seed < 50; seed++) {
    const candidate = column.value(i, prng(seed * 7919 + i));
    if (candidate === null || candidate === undefined) continue;
    if (canonicalText(candidate, type) !== canonicalText(value, type)) return candidate;
  }
  throw new Error(`no different value for ${column.name}`);
}
