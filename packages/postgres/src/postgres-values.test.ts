import { canonicalText, structuredToJson, type LogicalType } from '@cdc/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  cdcTypes,
  isoFromPostgres,
  parseArrayLiteral,
  postgresFromIso,
  toPostgresText,
} from './postgres-values.js';

describe('instant text', () => {
  it('turns PostgreSQL ISO output into ISO 8601 with expanded years', () => {
    expect(isoFromPostgres('2020-01-02 03:04:05.123456+00')).toBe('2020-01-02T03:04:05.123456Z');
    expect(isoFromPostgres('2020-01-02 03:04:05')).toBe('2020-01-02T03:04:05');
    expect(isoFromPostgres('0044-03-15 BC')).toBe('-000043-03-15');
    expect(isoFromPostgres('0001-01-01 00:00:00+00 BC')).toBe('0000-01-01T00:00:00Z');
    expect(isoFromPostgres('294276-12-31 23:59:59.999999+00')).toBe('+294276-12-31T23:59:59.999999Z');
    expect(isoFromPostgres('infinity')).toBe('infinity');
    expect(isoFromPostgres('-infinity')).toBe('-infinity');
  });

  it('round-trips through PostgreSQL input text and keeps the canonical instant', () => {
    for (const pgText of [
      '0044-03-15 12:00:00.5+00 BC',
      '2020-02-29 23:59:59.999999+00',
      '12345-01-01 00:00:00+00',
    ]) {
      const iso = isoFromPostgres(pgText);
      expect(postgresFromIso(iso)).toBe(pgText.replace(' ', 'T').replace('+00', 'Z').replace('Z BC', 'Z BC'));
      expect(canonicalText(iso, { kind: 'timestamptz', precision: 6 })).toBe(
        canonicalText(postgresFromIso(iso), { kind: 'timestamptz', precision: 6 }),
      );
    }
  });

  test.prop([
    fc.integer({ min: -4712, max: 294276 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 28 }),
  ])('ISO and PostgreSQL date texts name the same day', (year, month, day) => {
    const bc = year <= 0;
    const pgYear = bc ? 1 - year : year;
    const pgText = `${String(pgYear).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}${bc ? ' BC' : ''}`;
    const iso = isoFromPostgres(pgText);
    expect(canonicalText(iso, { kind: 'date' })).toBe(canonicalText(pgText, { kind: 'date' }));
    expect(postgresFromIso(iso)).toBe(pgText);
  });
});

describe('array literals', () => {
  it('parses quoting, escapes, NULL and nesting', () => {
    expect(parseArrayLiteral('{}')).toEqual([]);
    expect(parseArrayLiteral('{a,NULL,"NULL","b \\"q\\" \\\\ c","x,y"}')).toEqual([
      'a',
      null,
      'NULL',
      'b "q" \\ c',
      'x,y',
    ]);
    expect(parseArrayLiteral('{{1,2},{3,4}}')).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(parseArrayLiteral('[0:1]={7,8}')).toEqual(['7', '8']);
  });

  it('decodes typed arrays with exact element forms', () => {
    expect(cdcTypes.getTypeParser(1185)('{"2020-01-01 00:00:00.000001+00",NULL}')).toEqual([
      '2020-01-01T00:00:00.000001Z',
      null,
    ]);
    expect(cdcTypes.getTypeParser(1007)('{1,-2}')).toEqual([1, -2]);
    expect(cdcTypes.getTypeParser(1001)('{"\\\\x00ff"}')).toEqual([Buffer.from([0, 255])]);
  });

  test.prop([fc.array(fc.option(fc.string(), { nil: null }))])(
    'encodes text arrays that parse back',
    (values) => {
      const literal = toPostgresText(values, { kind: 'list', element: { kind: 'text' } });
      expect(parseArrayLiteral(literal!)).toEqual(values);
    },
  );
});

describe('parameter text', () => {
  it('encodes JS forms as PostgreSQL input', () => {
    expect(toPostgresText(null, { kind: 'text' })).toBeNull();
    expect(toPostgresText(new Uint8Array([0, 1]), { kind: 'bytes' })).toBe('\\x0001');
    expect(toPostgresText(-0, { kind: 'float64' })).toBe('-0');
    expect(toPostgresText(Number.NaN, { kind: 'float64' })).toBe('NaN');
    expect(toPostgresText(Number.NEGATIVE_INFINITY, { kind: 'float32' })).toBe('-Infinity');
    expect(toPostgresText(true, { kind: 'bool' })).toBe('t');
    expect(toPostgresText(12n, { kind: 'int64' })).toBe('12');
    expect(toPostgresText('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', { kind: 'uuid' })).toBe(
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    );
    expect(toPostgresText({ months: 1, days: 2, micros: 3n }, { kind: 'interval' })).toBe(
      '1 mons 2 days 3 microseconds',
    );
    // A bigint in a JS json value stays a number, as canonicalText reads it.
    expect(toPostgresText({ b: 1n, a: [null] }, { kind: 'json' })).toBe('{"b":1,"a":[null]}');
    expect(() => toPostgresText({ a: Number.NaN }, { kind: 'json' })).toThrow(/finite/);
    expect(toPostgresText('-000043-03-15T00:00:00Z', { kind: 'timestamptz', precision: 6 })).toBe(
      '0044-03-15T00:00:00Z BC',
    );
  });
});

describe('structured values', () => {
  const mapType: LogicalType = {
    kind: 'map',
    key: { kind: 'timestamptz', precision: 3 },
    value: { kind: 'bytes' },
  };

  it('stores map, tuple, udt and nested collections as the jsonb layout of docs/normalization.md', () => {
    const value = new Map([[new Date(Date.UTC(2024, 0, 1)), new Uint8Array([1, 255])]]);
    expect(toPostgresText(value, mapType)).toBe('{"2024-01-01T00:00:00Z":"\\\\x01ff"}');
    const nested: LogicalType = { kind: 'set', element: { kind: 'list', element: { kind: 'int64' } } };
    expect(toPostgresText(new Set([[1n, null]]), nested)).toBe('[["1",null]]');
    const tuple: LogicalType = {
      kind: 'tuple',
      elements: [{ kind: 'float64' }, { kind: 'time', precision: 9 }],
    };
    expect(toPostgresText([Number.NaN, 1n], tuple)).toBe(structuredToJson([Number.NaN, 1n], tuple));
    expect(toPostgresText([Number.NaN, 1n], tuple)).toBe('["NaN","00:00:00.000000001"]');
  });

  it('writes a structured value given for a json column (a repair of a jsonb copy) in the same layout', () => {
    const value = new Map([
      [new Date(Date.UTC(2024, 0, 1)), new Uint8Array([1, 255])],
      [new Date(1), new Uint8Array(0)],
    ]);
    expect(canonicalText(toPostgresText(value, { kind: 'json' }), mapType)).toBe(
      canonicalText(value, mapType),
    );
    const nested: LogicalType = {
      kind: 'map',
      key: { kind: 'tuple', elements: [{ kind: 'int32' }, { kind: 'text' }] },
      value: { kind: 'set', element: { kind: 'int64' } },
    };
    const tupleKeyed = new Map([[[1, 'a'], new Set([2n ** 63n - 1n, 1n])]]);
    expect(canonicalText(toPostgresText(tupleKeyed, { kind: 'json' }), nested)).toBe(
      canonicalText(tupleKeyed, nested),
    );
  });

  it('stores lists and sets of scalars as array literals', () => {
    const times: LogicalType = { kind: 'list', element: { kind: 'time', precision: 9 } };
    expect(toPostgresText([45_296_123_456_789n, null], times)).toBe('{"12:34:56.123456",NULL}');
    expect(toPostgresText(new Set(['b', 'a']), { kind: 'set', element: { kind: 'text' } })).toBe('{"b","a"}');
  });

  it('floors Scylla nanoseconds to microseconds, as the comparison does (PostgreSQL would round)', () => {
    const time: LogicalType = { kind: 'time', precision: 9 };
    expect(toPostgresText(1_999n, time)).toBe('00:00:00.000001');
    expect(toPostgresText(86_400_000_000_000n, time)).toBe('24:00:00.000000');
    expect(toPostgresText({ months: 0, days: 0, nanos: -1n }, { kind: 'interval' })).toBe(
      '0 mons 0 days -1 microseconds',
    );
  });

  test.prop([fc.array(fc.option(fc.bigInt({ min: 0n, max: 86_399_999_999_999n }), { nil: null }))])(
    'time arrays read back (as PostgreSQL prints them) with the canonical text of the source',
    (nanos) => {
      const type: LogicalType = { kind: 'list', element: { kind: 'time', precision: 9 } };
      const literal = toPostgresText(nanos, type)!;
      // PostgreSQL prints time(6) with every µs digit (trailing zeros trimmed): the parser keeps the text.
      const readBack = cdcTypes.getTypeParser(1183)(literal.replace(/"/g, ''));
      expect(canonicalText(readBack, type)).toBe(canonicalText(nanos, type));
    },
  );
});
