import { canonicalText } from '@cdc/core';
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
    expect(toPostgresText({ b: 1n, a: [null] }, { kind: 'json' })).toBe('{"b":"1","a":[null]}');
    expect(toPostgresText('-000043-03-15T00:00:00Z', { kind: 'timestamptz', precision: 6 })).toBe(
      '0044-03-15T00:00:00Z BC',
    );
  });
});
