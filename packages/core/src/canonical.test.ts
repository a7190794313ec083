import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { NULL_MARKER, canonicalText, compareUtf8, utf8Length } from './canonical.js';
import { isCdcError } from './errors.js';
import type { LogicalType } from './logical-type.js';

const t = (kind: string, extra: Record<string, unknown> = {}) => ({ kind, ...extra }) as LogicalType;
const int64 = t('int64');
const numeric = t('numeric');
const float64 = t('float64');
const text = t('text');
const ts6 = t('timestamp', { precision: 6 });
const tstz6 = t('timestamptz', { precision: 6 });

describe('canonicalText — the examples of docs/normalization.md', () => {
  it.each<[unknown, LogicalType, string]>([
    [0, int64, '0'],
    [-42, t('int32'), '-42'],
    ['9223372036854775807', int64, '9223372036854775807'],
    [9223372036854775807n, int64, '9223372036854775807'],
    ['-0007', int64, '-7'],
    ['1.50', numeric, '1.5'],
    ['-0.00', numeric, '0'],
    ['1E+3', numeric, '1000'],
    ['.5', numeric, '0.5'],
    ['5.', numeric, '5'],
    ['-1.2345e-3', numeric, '-0.0012345'],
    ['NaN', numeric, 'NaN'],
    ['Infinity', numeric, 'Infinity'],
    ['-Infinity', numeric, '-Infinity'],
    [0.1, numeric, '0.1'],
    [1e21, numeric, '1000000000000000000000'],
    [1, float64, '3ff0000000000000'],
    [-0, float64, '0'],
    [0, float64, '0'],
    [NaN, float64, 'NaN'],
    ['nan', float64, 'NaN'],
    [-Infinity, float64, '-Infinity'],
    ['1.5', float64, '3ff8000000000000'],
    [0.1, t('float32'), '3fb99999a0000000'],
    ['0.1', t('float32'), '3fb99999a0000000'],
    [true, t('bool'), 't'],
    [false, t('bool'), 'f'],
    ['', text, '0:'],
    ['  ', text, '2:  '],
    ['é', text, '2:é'],
    ['a|b\\N', text, '5:a|b\\N'],
    ['😀', text, '4:😀'],
    [new Uint8Array([0, 255]), t('bytes'), '00ff'],
    [new Uint8Array([]), t('bytes'), ''],
    ['\\x00FF', t('bytes'), '00ff'],
    ['550E8400-E29B-41D4-A716-446655440000', t('uuid'), '550e8400-e29b-41d4-a716-446655440000'],
    ['550e8400e29b41d4a716446655440000', t('uuid'), '550e8400-e29b-41d4-a716-446655440000'],
    ['1970-01-02', t('date'), '1'],
    ['1969-12-31', t('date'), '-1'],
    ['2000-03-01', t('date'), '11017'],
    ['0001-01-01 BC', t('date'), '-719528'],
    ['0000-01-01', t('date'), '-719528'],
    ['infinity', t('date'), 'Infinity'],
    [new Date(Date.UTC(1970, 0, 3)), t('date'), '2'],
    ['00:00:01.5', t('time', { precision: 6 }), '1500000'],
    ['23:59:59.999999999', t('time', { precision: 9 }), '86399999999'],
    ['00:00:01.987654', t('time', { precision: 3 }), '1987000'],
    [1_500_000_999n, t('time', { precision: 6 }), '1500000'],
    ['1970-01-01 00:00:00.000001', ts6, '1'],
    ['1970-01-01T00:00:01+01:00', tstz6, '-3599000000'],
    ['2024-01-01 10:00:00.123456+02', tstz6, String(Date.UTC(2024, 0, 1, 8) * 1000 + 123456)],
    ['2024-01-01T08:00:00.123456789Z', tstz6, String(Date.UTC(2024, 0, 1, 8) * 1000 + 123456)],
    ['1969-12-31 23:59:59.9999995', t('timestamp', { precision: 0 }), '-1000000'],
    [new Date(1500), tstz6, '1500000'],
    [-5n, tstz6, '-5'],
    ['-infinity', tstz6, '-Infinity'],
    ['1 mon 2 days 00:00:03', t('interval'), '1,2,3000000'],
    ['1 year -2 mons +3 days -04:05:06.5', t('interval'), '10,3,-14706500000'],
    ['P1Y2M3DT4H5M6.5S', t('interval'), '14,3,14706500000'],
    ['-P1D', t('interval'), '0,-1,0'],
    [{ months: 1, days: 2, micros: 3n }, t('interval'), '1,2,3'],
    [{ months: 0, days: 0, nanos: -1n }, t('interval'), '0,0,-1'],
    ['{"b":1.0,"a":[true]}', t('json'), '18:{"a":[true],"b":1}'],
    [' { "x" : 1e2 , "x": "é\\n" } ', t('json'), '12:{"x":"é\\n"}'],
    ['12345678901234567890.10', t('json'), '22:12345678901234567890.1'],
    [{ b: 1, a: [null, 'x'] }, t('json'), '22:{"a":[null,"x"],"b":1}'],
    ['null', t('json'), '4:null'],
    ['192.168.0.1', t('inet'), 'c0a80001'],
    ['10.0.0.0/8', t('inet'), '0a000000/8'],
    ['10.0.0.1/32', t('inet'), '0a000001'],
    ['::1', t('inet'), '00000000000000000000000000000001'],
    ['::ffff:1.2.3.4', t('inet'), '00000000000000000000ffff01020304'],
    ['2001:DB8::/32', t('inet'), '20010db8000000000000000000000000/32'],
    [[1, 2], t('list', { element: t('int32') }), '9:["1","2"]'],
    [[1, null], t('list', { element: t('int32') }), '10:["1",null]'],
    [[], t('list', { element: t('int32') }), NULL_MARKER],
    [[3, 1, 3], t('set', { element: t('int32') }), '9:["1","3"]'],
    [new Set(['b', 'a']), t('set', { element: text }), '13:["1:a","1:b"]'],
    [{ b: 1, a: 2 }, t('map', { key: text, value: t('int32') }), '25:[["1:a","2"],["1:b","1"]]'],
    [new Map([[2, 'x']]), t('map', { key: t('int32'), value: text }), '13:[["2","1:x"]]'],
    [[1, 'x'], t('tuple', { elements: [t('int32'), text] }), '11:["1","1:x"]'],
    [
      { z: 1, a: null },
      t('udt', {
        name: 'u',
        fields: [
          { name: 'z', type: t('int32') },
          { name: 'a', type: text },
        ],
      }),
      '18:{"a":null,"z":"1"}',
    ],
    [null, text, NULL_MARKER],
    [undefined, int64, NULL_MARKER],
  ])('%s as %o → %s', (value, type, expected) => {
    expect(canonicalText(value, type)).toBe(expected);
  });

  it('applies per-column policies', () => {
    expect(canonicalText('Ab  ', text, { trimTrailingSpaces: true, caseInsensitive: true })).toBe('2:ab');
    expect(canonicalText('1970-01-01 00:00:01.999', ts6, { precision: 0 })).toBe('1000000');
    expect(canonicalText('1969-12-31 23:59:59.5', ts6, { precision: 0 })).toBe('-1000000');
  });

  it.each<[unknown, LogicalType]>([
    ['12a', int64],
    [1.5, int64],
    ['1.2.3', numeric],
    ['0x10', float64],
    ['', float64],
    [1, text],
    ['not-a-uuid', t('uuid')],
    ['2023-02-29', t('date')],
    ['25:00:00', t('time', { precision: 6 })],
    ['2024-13-01 00:00:00', tstz6],
    ['{"a":}', t('json')],
    ['[1,]', t('json')],
    ['1.2.3.4.5', t('inet')],
    ['1::2::3', t('inet')],
    ['10.0.0.0/33', t('inet')],
    [[1], t('tuple', { elements: [t('int32'), text] })],
    ['soon', t('interval')],
  ])('rejects %o as %o with INVALID_ARGUMENT', (value, type) => {
    let error: unknown;
    try {
      canonicalText(value, type);
    } catch (e) {
      error = e;
    }
    expect(isCdcError(error) && error.code === 'INVALID_ARGUMENT').toBe(true);
    expect((error as Error).message).toMatch(/Invalid /);
  });
});

describe('canonicalText — properties', () => {
  fcTest.prop([fc.string({ unit: 'grapheme' })])('text length prefix is the UTF-8 byte length', (s) => {
    expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    expect(canonicalText(s, text)).toBe(`${new TextEncoder().encode(s).length}:${s}`);
  });

  fcTest.prop([fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })])(
    'compareUtf8 orders like UTF-8 bytes',
    (a, b) => {
      const ea = new TextEncoder().encode(a);
      const eb = new TextEncoder().encode(b);
      const bytes = Buffer.compare(Buffer.from(ea), Buffer.from(eb));
      const ours = Math.sign(compareUtf8(a, b));
      expect(ours).toBe(bytes);
    },
  );

  fcTest.prop([
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
    fc.integer({ min: 0, max: 12 }),
    fc.integer({ min: 0, max: 4 }),
  ])(
    'numeric: every spelling of the same decimal has one text, different decimals differ',
    (unscaled, scale, pad) => {
      const neg = unscaled < 0n;
      const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
      const plain = `${neg ? '-' : ''}${digits.slice(0, digits.length - scale)}${scale ? '.' : ''}${digits.slice(digits.length - scale)}`;
      const padded = `${plain}${scale || pad === 0 ? '' : '.'}${'0'.repeat(pad)}`;
      const exp = `${neg ? '-' : ''}${digits}e-${scale}`;
      const a = canonicalText(plain, numeric);
      expect(canonicalText(padded, numeric)).toBe(a);
      expect(canonicalText(exp, numeric)).toBe(a);
      expect(canonicalText(a, numeric)).toBe(a); // idempotent
      expect(canonicalText(`${plain}${scale ? '' : '.'}1`, numeric)).not.toBe(a);
    },
  );

  fcTest.prop([fc.double()])('float64: number and its shortest string agree; only ±0 and NaN fold', (x) => {
    const a = canonicalText(x, float64);
    expect(canonicalText(String(x), float64)).toBe(a);
    if (Number.isFinite(x) && x !== 0)
      expect(a).not.toBe(canonicalText(x + Math.abs(x) * 1e-15 + 5e-324, float64));
  });

  fcTest.prop([fc.date({ min: new Date(-8e15), max: new Date(8e15), noInvalidDate: true })])(
    'timestamptz: Date, ISO string, offset string and epoch micros agree',
    (d) => {
      const a = canonicalText(d, tstz6);
      expect(a).toBe(String(BigInt(d.getTime()) * 1000n));
      const year = d.getUTCFullYear();
      if (year >= 0 && year <= 9999) {
        expect(canonicalText(d.toISOString(), tstz6)).toBe(a);
        const shifted = new Date(d.getTime() + 5.5 * 3600_000).toISOString().replace('Z', '+05:30');
        if (new Date(d.getTime() + 5.5 * 3600_000).getUTCFullYear() <= 9999) {
          expect(canonicalText(shifted, tstz6)).toBe(a);
        }
        expect(canonicalText(d.toISOString().slice(0, 10), t('date'))).toBe(
          String(Math.floor(d.getTime() / 86_400_000)),
        );
      }
      expect(canonicalText(BigInt(d.getTime()) * 1000n, tstz6)).toBe(a);
    },
  );

  fcTest.prop([fc.jsonValue()])('json: parsed value and its text (any whitespace) agree', (v) => {
    const a = canonicalText(JSON.stringify(v), t('json'));
    // A JS null is SQL NULL and a JS string is JSON text, so only other parsed values are comparable.
    if (v !== null && typeof v !== 'string') expect(canonicalText(v, t('json'))).toBe(a);
    expect(canonicalText(JSON.stringify(v, null, 2), t('json'))).toBe(a);
    expect(canonicalText(a.slice(a.indexOf(':') + 1), t('json'))).toBe(a);
  });

  fcTest.prop([fc.uniqueArray(fc.string(), { minLength: 1 })])(
    'set: order and duplicates do not matter',
    (xs) => {
      const set = t('set', { element: text });
      const a = canonicalText(xs, set);
      expect(canonicalText([...xs].reverse().concat(xs), set)).toBe(a);
    },
  );

  fcTest.prop([fc.uuid()])('uuid: case does not matter', (u) => {
    expect(canonicalText(u.toUpperCase(), t('uuid'))).toBe(u.toLowerCase());
  });
});
