import {
  canonicalText,
  type CanonicalRow,
  type ColumnHashOptions,
  type HashPlan,
  type LogicalType,
  type TableSchema,
} from '@cdc/core';
import { fc, test } from '@fast-check/vitest';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { CanonicalCopyDecoder, shortDecimal } from './postgres-canonical-scan.js';
import { copyFieldsOf } from './postgres-copy-scan.js';

/** PostgreSQL's `CopyAttributeOutText` with the tab delimiter: what COPY TO writes for a value. */
function escapeCopyText(value: string): string {
  return value.replace(/[\\\b\f\n\r\t\v]/g, (ch) => {
    switch (ch) {
      case '\\':
        return '\\\\';
      case '\b':
        return '\\b';
      case '\f':
        return '\\f';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return '\\v';
    }
  });
}

const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
  int4array: 1007,
} as const;

function fieldDefs(oids: number[]): pg.FieldDef[] {
  return oids.map(
    (dataTypeID, i) =>
      ({
        name: `c${i}`,
        dataTypeID,
        tableID: 0,
        columnID: i,
        dataTypeSize: -1,
        dataTypeModifier: -1,
        format: 'text',
      }) as pg.FieldDef,
  );
}

/** A decoder over an int4 key `c0` and one column `c1` of `oid` rendered as `type`. */
function decoder(oid: number, type: LogicalType, options?: ColumnHashOptions): CanonicalCopyDecoder {
  const table: TableSchema = {
    id: { name: 't' },
    columns: [
      { name: 'c0', type: { kind: 'int32' }, nativeType: 'integer', nullable: false },
      { name: 'c1', type, nativeType: 'x', nullable: true },
    ],
    primaryKey: ['c0'],
  };
  const plan: HashPlan = {
    key: ['c0'],
    columns: ['c1'],
    ...(options ? { columnOptions: { c1: options } } : {}),
    mode: 'canonical',
    bucketing: { kind: 'key-hash', modulus: 1 },
  };
  return new CanonicalCopyDecoder(fieldDefs([OID.int4, oid]), table, plan, [0]);
}

/**
 * The canonical text the decoder renders for `text` (PostgreSQL's output of the value; null = NULL),
 * and whether it was rendered from the bytes (not through the JS value).
 */
function rendered(
  oid: number,
  text: string | null,
  type: LogicalType,
  options?: ColumnHashOptions,
): { text: string; fast: boolean } {
  const d = decoder(oid, type, options);
  d.push(Buffer.from(`7\t${text === null ? '\\N' : escapeCopyText(text)}\n`, 'utf8'));
  const out: CanonicalRow[] = [];
  expect(d.take(out, 10)).toBe(1);
  d.finish();
  const row = out[0]!;
  expect(row.keyText).toBe('7');
  expect(row.key).toStrictEqual([7]);
  expect(row.rowText.startsWith('7|')).toBe(true);
  return { text: row.rowText.slice(2), fast: d.genericFields === 0 };
}

/** What the scan path gives: the cursor's parser, then canonicalText. */
function expected(oid: number, text: string | null, type: LogicalType, options?: ColumnHashOptions): string {
  const parse = copyFieldsOf(fieldDefs([oid]))[0]!.parse;
  return canonicalText(text === null ? null : parse(text), type, options);
}

/** Renders as the scan path does; `fast` (default true): from the bytes, without the JS value. */
function check(
  oid: number,
  text: string | null,
  type: LogicalType,
  options?: ColumnHashOptions,
  fast = true,
): void {
  const out = rendered(oid, text, type, options);
  expect(out.text).toBe(expected(oid, text, type, options));
  expect(out.fast).toBe(fast);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** PostgreSQL's ISO output of a date (`YYYY-MM-DD`, years before 1 as `… BC`). */
function pgDate(days: number): string {
  const d = new Date(days * 86_400_000);
  let year = d.getUTCFullYear();
  const bc = year <= 0;
  if (bc) year = 1 - year;
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}${bc ? ' BC' : ''}`;
}

/** PostgreSQL's ISO output of an instant in UTC, fraction digits trimmed as it trims them. */
function pgInstant(micros: bigint, zone: boolean): string {
  const days = Number(
    (micros - (((micros % 86_400_000_000n) + 86_400_000_000n) % 86_400_000_000n)) / 86_400_000_000n,
  );
  let rest = micros - BigInt(days) * 86_400_000_000n;
  const us = Number(rest % 1_000_000n);
  rest /= 1_000_000n;
  const s = Number(rest);
  const date = pgDate(days);
  const bc = date.endsWith(' BC');
  const ymd = bc ? date.slice(0, -3) : date;
  let time = `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}`;
  if (us > 0) time += `.${pad(us, 6).replace(/0+$/, '')}`;
  return `${ymd} ${time}${zone ? '+00' : ''}${bc ? ' BC' : ''}`;
}

describe('CanonicalCopyDecoder: each type as canonicalText renders the scan value', () => {
  it('renders hand-picked hostile values', () => {
    const int: LogicalType = { kind: 'int64' };
    for (const t of ['0', '-1', '9223372036854775807', '-9223372036854775808', null]) check(OID.int8, t, int);
    check(OID.oid, '4294967295', int);
    check(OID.int2, '-32768', { kind: 'int16' });
    const numeric: LogicalType = { kind: 'numeric' };
    for (const t of [
      '0',
      '0.00',
      '-0.00',
      '1.50',
      '-1.50',
      '100',
      '100.000',
      '0.001',
      'NaN',
      'Infinity',
      '-Infinity',
      '-123456789012345678901234567890.123456789012345678901234567890',
      `${'9'.repeat(1000)}.${'0'.repeat(999)}1`,
    ]) {
      check(OID.numeric, t, numeric);
    }
    for (const t of [
      'NaN',
      'Infinity',
      '-Infinity',
      '-0',
      '0',
      '1e-310',
      '1.7976931348623157e+308',
      '0.1',
      '5e-324',
    ]) {
      check(OID.float8, t, { kind: 'float64' });
      check(OID.float4, t, { kind: 'float32' });
    }
    check(OID.float4, '3.4028235e+38', { kind: 'float32' });
    check(OID.float4, '0.1', { kind: 'float32' });
    check(OID.bool, 't', { kind: 'bool' });
    check(OID.bool, 'f', { kind: 'bool' });
    const text: LogicalType = { kind: 'text' };
    for (const t of [
      '',
      ' ',
      '\\N',
      'NULL',
      'tab\there\nnewline\\',
      '𝄞😀👨‍👩‍👧 é',
      'A  ',
      '\u0001\b\f\v\r',
      'İSTANBUL ',
    ]) {
      check(OID.text, t, text);
      check(OID.bpchar, t, text, { trimTrailingSpaces: true });
      check(OID.varchar, t, text, { caseInsensitive: true });
      check(OID.text, t, text, { caseInsensitive: true, trimTrailingSpaces: true });
    }
    check(OID.uuid, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', { kind: 'uuid' });
    for (const t of [
      '2020-02-29',
      '0044-03-15 BC',
      '0001-01-01 BC',
      '5874897-12-31',
      'infinity',
      '-infinity',
      '1969-12-31',
    ]) {
      check(OID.date, t, { kind: 'date' });
    }
    for (const zone of [false, true]) {
      const kind = zone ? 'timestamptz' : 'timestamp';
      const type: LogicalType = { kind, precision: 6 };
      const oid = zone ? OID.timestamptz : OID.timestamp;
      for (const t of [
        '2020-01-02 03:04:05.678901',
        '2020-01-02 03:04:05',
        '2020-01-02 03:04:05.6',
        '1969-12-31 23:59:59.999999',
        '4713-01-01 00:00:00 BC',
        '0001-01-01 00:00:00 BC',
        '294276-12-31 23:59:59.999999',
        '1500-06-01 12:00:00.5',
      ]) {
        const text = zone ? t.replace(/( BC)?$/, '+00$1') : t;
        for (let p = 0; p <= 6; p++) check(oid, text, type, { precision: p });
        check(oid, text, { kind, precision: 3 });
      }
      check(oid, 'infinity', type);
      check(oid, '-infinity', type);
    }
    check(OID.bytea, '\\x', { kind: 'bytes' });
    check(OID.bytea, `\\x${Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex')}`, {
      kind: 'bytes',
    });
    // Through the value (generic): json, a jsonb copy read as a map, arrays, intervals, times.
    check(OID.jsonb, '{"b": 1, "a": [1, 2.50]}', { kind: 'json' }, undefined, false);
    const map: LogicalType = { kind: 'map', key: { kind: 'text' }, value: { kind: 'int32' } };
    check(OID.jsonb, '{"b": 1, "a": 2}', map, undefined, false);
    check(OID.jsonb, '{"b": "x"}', map, undefined, false);
    check(OID.jsonb, '{}', map, undefined, false);
    check(OID.jsonb, null, map); // NULL needs no value
    check(OID.int4array, '{1,NULL,3}', { kind: 'list', element: { kind: 'int32' } }, undefined, false);
    check(OID.interval, '1 year 2 mons -3 days +04:05:06.789', { kind: 'interval' }, undefined, false);
    check(OID.time, '12:34:56.789012', { kind: 'time', precision: 6 }, { precision: 2 }, false);
    // A text column compared as another kind is rendered through its value too.
    check(OID.text, '42', { kind: 'int64' }, undefined, false);
    check(OID.text, '1.50', { kind: 'numeric' }, undefined, false);
    // Spellings PostgreSQL does not write (another zone, escapes COPY TO never writes) take the value.
    check(OID.timestamptz, '2020-01-01 00:00:00+02', { kind: 'timestamptz', precision: 6 }, undefined, false);
    const d = decoder(OID.text, { kind: 'text' });
    d.push(Buffer.from('1\tA\\101\\x42\\q\n'));
    const out: CanonicalRow[] = [];
    d.take(out, 1);
    expect(out[0]!.rowText).toBe('1|4:AABq');
    expect(d.genericFields).toBe(1);
  });

  it('an invalid compared precision fails as canonicalText fails (only for a value)', () => {
    const type: LogicalType = { kind: 'timestamptz', precision: 6 };
    expect(rendered(OID.timestamptz, null, type, { precision: 7 }).text).toBe('\\N');
    expect(() => rendered(OID.timestamptz, '2020-01-01 00:00:00+00', type, { precision: 7 })).toThrow(
      /precision/,
    );
  });

  test.prop([fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })])('int8', (n) => {
    check(OID.int8, n.toString(), { kind: 'int64' });
  });

  test.prop([
    fc.boolean(),
    fc.stringMatching(/^[0-9]{0,40}$/),
    fc.option(fc.stringMatching(/^[0-9]{0,40}$/), { nil: undefined }),
  ])('numeric', (negative, whole, fraction) => {
    fc.pre(whole.length > 0 || (fraction?.length ?? 0) > 0);
    const text = `${negative ? '-' : ''}${whole || '0'}${fraction === undefined ? '' : `.${fraction || '0'}`}`;
    check(OID.numeric, text, { kind: 'numeric' });
  });

  const floatTexts = (v: number): string[] => {
    const out = [String(v), v.toExponential()];
    if (Number.isFinite(v)) {
      if (Math.abs(v) < 1e21) out.push(v.toFixed(Math.min(20, 3)), v.toFixed(10));
      out.push(v.toPrecision(1), v.toPrecision(15), v.toPrecision(17));
    }
    return out;
  };

  test.prop([fc.double()])('float8 (shortest text and other spellings)', (v) => {
    for (const text of floatTexts(v)) check(OID.float8, text, { kind: 'float64' });
  });

  test.prop([fc.float()])('float4', (v) => {
    for (const text of floatTexts(v)) check(OID.float4, text, { kind: 'float32' });
  });

  test.prop([fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }), fc.integer({ min: 0, max: 24 })], {
    numRuns: 2000,
  })('shortDecimal reads plain decimals exactly as parseFloat does, or declines', (mantissa, scale) => {
    const abs = mantissa < 0n ? -mantissa : mantissa;
    const digits = abs.toString().padStart(scale + 1, '0');
    const text = `${mantissa < 0n ? '-' : ''}${scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`}`;
    const v = shortDecimal(Buffer.from(text), 0, text.length);
    if (abs < 2n ** 53n && scale <= 22 && !(scale === 0 && text.includes('.')))
      expect(Number.isNaN(v)).toBe(false);
    if (!Number.isNaN(v)) expect(Object.is(v, parseFloat(text))).toBe(true);
  });

  const hostileText = fc.string({
    unit: fc.oneof(
      fc.constantFrom('\\', '\t', '\n', '\r', '\b', '\f', '\v', 'N', ' ', 'x', 'İ', 'ẞ', 'Σ', '\u0001'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0x10000, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)),
    ),
  });

  test.prop([hostileText, fc.boolean(), fc.boolean()])(
    'text with trimTrailingSpaces and caseInsensitive',
    (s, trim, lower) => {
      check(OID.text, s, { kind: 'text' }, { trimTrailingSpaces: trim, caseInsensitive: lower });
    },
  );

  test.prop([fc.uuid()])('uuid', (u) => {
    check(OID.uuid, u, { kind: 'uuid' });
  });

  test.prop([fc.integer({ min: -2_440_588, max: 2_932_896 })])('date (4713 BC to 9999 AD)', (days) => {
    check(OID.date, pgDate(days), { kind: 'date' });
  });

  test.prop([
    // 4713 BC to the end of JavaScript dates (275760 AD; PostgreSQL goes to 294276 AD).
    fc.bigInt({ min: -210_866_803_200_000_000n, max: 8_639_000_000_000_000_000n }),
    fc.boolean(),
    fc.integer({ min: 0, max: 6 }),
    fc.integer({ min: 0, max: 6 }),
  ])('timestamp and timestamptz at every precision', (micros, zone, declared, compared) => {
    const text = pgInstant(micros, zone);
    const type: LogicalType = { kind: zone ? 'timestamptz' : 'timestamp', precision: declared };
    const oid = zone ? OID.timestamptz : OID.timestamp;
    check(oid, text, type);
    check(oid, text, type, { precision: compared });
  });

  test.prop([fc.uint8Array({ maxLength: 64 })])('bytea', (bytes) => {
    check(OID.bytea, `\\x${Buffer.from(bytes).toString('hex')}`, { kind: 'bytes' });
  });
});

describe('CanonicalCopyDecoder: streams of rows', () => {
  const table: TableSchema = {
    id: { name: 't' },
    columns: [
      { name: 'c0', type: { kind: 'text' }, nativeType: 'text', nullable: false },
      { name: 'c1', type: { kind: 'int64' }, nativeType: 'bigint', nullable: false },
      { name: 'c2', type: { kind: 'text' }, nativeType: 'text', nullable: true },
      { name: 'c3', type: { kind: 'float64' }, nativeType: 'double precision', nullable: true },
    ],
    primaryKey: ['c0', 'c1'],
  };
  const plan: HashPlan = {
    key: ['c0', 'c1'],
    columns: ['c2', 'c3'],
    mode: 'canonical',
    bucketing: { kind: 'key-hash', modulus: 1 },
  };
  const oids = [OID.text, OID.int8, OID.text, OID.float8];

  test.prop([
    fc.array(
      fc.tuple(
        fc.string({ unit: 'grapheme' }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.option(fc.string({ unit: 'grapheme' })),
        fc.option(fc.double()),
      ),
      {
        minLength: 1,
        maxLength: 20,
      },
    ),
    fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
    fc.integer({ min: 1, max: 7 }),
  ])('chunks split anywhere give the same rows, keys and paging key texts', (rows, cuts, max) => {
    const lines = rows.map(
      ([k, n, t, f]) =>
        `${escapeCopyText(k)}\t${n}\t${t === null ? '\\N' : escapeCopyText(t)}\t${f === null ? '\\N' : String(f)}\n`,
    );
    const bytes = Buffer.from(lines.join(''), 'utf8');
    const d = new CanonicalCopyDecoder(fieldDefs(oids), table, plan, [0, 1]);
    const out: CanonicalRow[] = [];
    let at = 0;
    let i = 0;
    while (at < bytes.length) {
      const next = Math.min(bytes.length, at + cuts[i++ % cuts.length]!);
      d.push(bytes.subarray(at, next));
      while (d.take(out, max) === max);
      at = next;
    }
    d.finish();
    expect(out).toHaveLength(rows.length);
    rows.forEach(([k, n, t, f], r) => {
      const keyText = `${canonicalText(k, { kind: 'text' })}|${n}`;
      expect(out[r]!.keyText).toBe(keyText);
      expect(out[r]!.rowText).toBe(
        `${keyText}|${canonicalText(t, { kind: 'text' })}|${canonicalText(f, { kind: 'float64' })}`,
      );
      expect(out[r]!.key).toStrictEqual([k, n.toString()]);
    });
    const [k, n] = rows[rows.length - 1]!;
    expect(d.lastKeyTexts).toStrictEqual([k, n.toString()]);
  });

  it('rows keep their bytes across arenas: many rows, a row larger than an arena, non-ASCII', () => {
    const d = new CanonicalCopyDecoder(fieldDefs(oids), table, plan, [0, 1]);
    const huge = 'é'.repeat(70_000); // 140,000 bytes: more than a 64 KiB arena
    const rows: [string, number, string][] = [];
    for (let r = 0; r < 3000; r++)
      rows.push([r % 7 === 0 ? `ключ${r}` : `k${r}`, r, r === 1500 ? huge : `v${r}`]);
    const out: CanonicalRow[] = [];
    for (const [k, n, t] of rows) {
      d.push(Buffer.from(`${escapeCopyText(k)}\t${n}\t${escapeCopyText(t)}\t1.5\n`, 'utf8'));
      d.take(out, 10);
    }
    d.finish();
    expect(out).toHaveLength(rows.length);
    // Checked only now, after every row was written: earlier rows' bytes were not overwritten.
    rows.forEach(([k, n, t], r) => {
      const keyText = `${canonicalText(k, { kind: 'text' })}|${n}`;
      const rowText = `${keyText}|${canonicalText(t, { kind: 'text' })}|${canonicalText(1.5, { kind: 'float64' })}`;
      const row = out[r]!;
      expect(Buffer.from(row.rowBytes!).toString('utf8')).toBe(rowText);
      expect(row.rowText).toBe(rowText);
      expect(row.keyText).toBe(keyText);
    });
  });

  it('a single int8 key is its key string; a malformed row or a cut row is an error', () => {
    const one: TableSchema = { ...table, primaryKey: ['c1'] };
    const d = new CanonicalCopyDecoder(fieldDefs(oids), one, { ...plan, key: ['c1'], columns: ['c0'] }, [1]);
    d.push(Buffer.from('a\t-5\tx\t1\n'));
    const out: CanonicalRow[] = [];
    d.take(out, 5);
    expect(out.map((r) => ({ keyText: r.keyText, rowText: r.rowText, key: r.key }))).toStrictEqual([
      { keyText: '-5', rowText: '-5|1:a', key: ['-5'] },
    ]);
    expect(Buffer.from(out[0]!.rowBytes!).toString()).toBe('-5|1:a');
    d.push(Buffer.from('a\t1\tx\n'));
    expect(() => d.take(out, 5)).toThrow(/does not have 4 columns/);
    const cut = new CanonicalCopyDecoder(
      fieldDefs(oids),
      one,
      { ...plan, key: ['c1'], columns: ['c0'] },
      [1],
    );
    cut.push(Buffer.from('a\t1\tx'));
    expect(() => cut.finish()).toThrow(/inside a row/);
  });
});
