import { createRequire } from 'node:module';
import { fc, test } from '@fast-check/vitest';
import { types } from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { parseCqlType, resolveUdts, type CqlType } from './scylla-cql-types.js';
import {
  bigIntToBytes,
  bytesToBigInt,
  daysToIsoDate,
  formatInet,
  decodeCqlValue,
  formatDecimal,
  isoDateToDays,
  parseDecimal,
  parseInet,
  parseTimeOfDay,
  serializeCqlValue,
  toDriverParam,
} from './scylla-values.js';

const require = createRequire(import.meta.url);
interface DriverEncoder {
  encode(value: unknown, typeInfo: unknown): Buffer;
}
// The driver's own wire encoder: our serializer must produce the same bytes for key values.
const Encoder = require('cassandra-driver/lib/encoder.js') as new (v: number, o: object) => DriverEncoder;
const encoder = new Encoder(4, { encoding: { useBigIntAsLong: true, useBigIntAsVarint: true } });
const dt = types.dataTypes;

const localDateFromDays = (days: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(days + 2 ** 31);
  return types.LocalDate.fromBuffer(b);
};
const t = (s: string): CqlType => parseCqlType(s);
const ser = (v: unknown, s: string) => Buffer.from(serializeCqlValue(v, t(s))).toString('hex');
const drv = (v: unknown, info: unknown) => encoder.encode(v, info).toString('hex');

describe('serializeCqlValue agrees with the driver encoder', () => {
  it('integers', () => {
    expect(ser(-5, 'tinyint')).toBe(drv(-5, dt.tinyint));
    expect(ser(-300, 'smallint')).toBe(drv(-300, dt.smallint));
    expect(ser(2147483647, 'int')).toBe(drv(2147483647, dt.int));
    expect(ser(-9223372036854775808n, 'bigint')).toBe(drv(-9223372036854775808n, dt.bigint));
    expect(ser('9007199254740993', 'bigint')).toBe(drv(9007199254740993n, dt.bigint));
  });

  test.prop([fc.bigInt({ min: -(1n << 200n), max: 1n << 200n })])('varint', (v) => {
    expect(ser(v, 'varint')).toBe(drv(v, dt.varint));
  });

  it('decimal keeps the written scale', () => {
    for (const s of ['1.50', '-0.001', '123456789012345678901234567890.12', '0', '-7']) {
      expect(ser(s, 'decimal'), s).toBe(drv(types.BigDecimal.fromString(s), dt.decimal));
    }
  });

  it('text, blob, boolean, floats', () => {
    expect(ser('héllo', 'text')).toBe(drv('héllo', dt.text));
    expect(ser('abc', 'ascii')).toBe(drv('abc', dt.ascii));
    expect(ser(Buffer.from([1, 2, 255]), 'blob')).toBe('0102ff');
    expect(ser('\\x0102ff', 'blob')).toBe('0102ff');
    expect(ser(true, 'boolean')).toBe(drv(true, dt.boolean));
    expect(ser(1.1, 'float')).toBe(drv(1.1, dt.float));
    expect(ser(-2.5e300, 'double')).toBe(drv(-2.5e300, dt.double));
  });

  it('uuid, timeuuid, inet', () => {
    const u = '550e8400-e29b-41d4-a716-446655440000';
    expect(ser(u, 'uuid')).toBe(drv(types.Uuid.fromString(u), dt.uuid));
    expect(ser(u.toUpperCase(), 'timeuuid')).toBe(u.replace(/-/g, ''));
    for (const a of ['10.0.0.1', '::1', 'fe80::1:2', '::ffff:1.2.3.4', '2001:db8:0:0:1:0:0:1']) {
      expect(ser(a, 'inet'), a).toBe(drv(types.InetAddress.fromString(a), dt.inet));
    }
  });

  it('timestamp from Date, µs bigint (floored) and ISO text', () => {
    const d = new Date('2024-02-29T12:34:56.789Z');
    expect(ser(d, 'timestamp')).toBe(drv(d, dt.timestamp));
    expect(ser(BigInt(d.getTime()) * 1000n + 999n, 'timestamp')).toBe(drv(d, dt.timestamp));
    expect(ser(-1n, 'timestamp')).toBe(drv(new Date(-1), dt.timestamp));
    expect(ser('2024-02-29T12:34:56.789Z', 'timestamp')).toBe(drv(d, dt.timestamp));
  });

  it('date and time', () => {
    expect(ser('2024-02-29', 'date')).toBe(drv(types.LocalDate.fromString('2024-02-29'), dt.date));
    expect(ser('1969-12-31', 'date')).toBe(drv(new types.LocalDate(1969, 12, 31), dt.date));
    expect(ser(0, 'date')).toBe(drv(new types.LocalDate(1970, 1, 1), dt.date));
    expect(ser('13:14:15.123456789', 'time')).toBe(
      drv(types.LocalTime.fromString('13:14:15.123456789'), dt.time),
    );
    expect(ser(1n, 'time')).toBe('0000000000000001');
  });

  it('duration (vint encoding) for small, negative and large fields', () => {
    for (const s of ['1mo2d3s4ns', '-5y', '0s', '89h4m48s', '2000000h']) {
      const d = types.Duration.fromString(s);
      expect(ser(d, 'duration'), s).toBe(d.toBuffer().toString('hex'));
    }
    expect(ser({ months: 1, days: 2, micros: 3n }, 'duration')).toBe(
      new types.Duration(1, 2, types.Long.fromNumber(3000)).toBuffer().toString('hex'),
    );
  });

  it('frozen collections, tuples and UDTs', () => {
    expect(ser([3, 1, 2], 'frozen<list<int>>')).toBe(
      drv([3, 1, 2], { code: dt.list, info: { code: dt.int } }),
    );
    // sets are stored sorted by the element comparator: ints numerically, duplicates dropped
    expect(ser([3, -1, 2, 3], 'frozen<set<int>>')).toBe(
      drv([-1, 2, 3], { code: dt.set, info: { code: dt.int } }),
    );
    expect(
      ser(
        new Map([
          ['b', 1],
          ['a', 2],
        ]),
        'frozen<map<text, int>>',
      ),
    ).toBe(drv({ a: 2, b: 1 }, { code: dt.map, info: [{ code: dt.text }, { code: dt.int }] }));
    expect(ser([1, null, 'x'], 'tuple<int, int, text>')).toBe(
      drv(new types.Tuple(1, null, 'x'), {
        code: dt.tuple,
        info: [{ code: dt.int }, { code: dt.int }, { code: dt.text }],
      }),
    );
    const udt = resolveUdts(
      t('frozen<address>'),
      new Map([['address', { name: 'address', fieldNames: ['street', 'no'], fieldTypes: ['text', 'int'] }]]),
    );
    expect(Buffer.from(serializeCqlValue({ street: 'Main', no: 7 }, udt)).toString('hex')).toBe(
      drv(
        { street: 'Main', no: 7 },
        {
          code: dt.udt,
          info: {
            fields: [
              { name: 'street', type: { code: dt.text } },
              { name: 'no', type: { code: dt.int } },
            ],
          },
        },
      ),
    );
  });

  it('rejects values that do not fit', () => {
    expect(() => ser(128, 'tinyint')).toThrow(/out of range/);
    expect(() => ser(1.5, 'int')).toThrow(/Cannot encode/);
    expect(() => ser(2 ** 60, 'bigint')).toThrow(/safe integer/);
    expect(() => ser('nope', 'uuid')).toThrow(/not a uuid/);
    expect(() => ser('1.2.3', 'inet')).toThrow(/not an IP address/);
    expect(() => ser([1], 'vector<float, 2>')).toThrow(/expected 2 elements/);
  });
});

describe('decodeCqlValue (driver values → cdc values)', () => {
  it('keeps 64-bit and arbitrary integers exact', () => {
    expect(decodeCqlValue(types.Long.fromString('9223372036854775807'), t('bigint'))).toBe(
      9223372036854775807n,
    );
    expect(decodeCqlValue(9007199254740993n, t('counter'))).toBe(9007199254740993n);
    expect(decodeCqlValue(types.Integer.fromString('-123456789012345678901234567890'), t('varint'))).toBe(
      -123456789012345678901234567890n,
    );
    expect(decodeCqlValue(-12, t('tinyint'))).toBe(-12);
  });

  it('renders decimals as plain exact text, negative scales included', () => {
    expect(decodeCqlValue(types.BigDecimal.fromString('-1.2300'), t('decimal'))).toBe('-1.2300');
    expect(
      decodeCqlValue(
        new types.BigDecimal(types.Integer.fromString('123') as unknown as number, -3),
        t('decimal'),
      ),
    ).toBe('123000');
    expect(
      decodeCqlValue(
        new types.BigDecimal(types.Integer.fromString('5') as unknown as number, 4),
        t('decimal'),
      ),
    ).toBe('0.0005');
    expect(() => decodeCqlValue(1.5, t('decimal'))).toThrow(/JS number/);
  });

  it('floats are float32, doubles untouched', () => {
    expect(decodeCqlValue(1.100000023841858, t('float'))).toBe(Math.fround(1.1));
    expect(decodeCqlValue(0.1, t('double'))).toBe(0.1);
  });

  it('uuid lowercase, timestamp Date (ms), date text, time ns, duration µs', () => {
    expect(decodeCqlValue(types.Uuid.fromString('550E8400-E29B-41D4-A716-446655440000'), t('uuid'))).toBe(
      '550e8400-e29b-41d4-a716-446655440000',
    );
    const tu = types.TimeUuid.fromDate(new Date(0));
    expect(decodeCqlValue(tu, t('timeuuid'))).toBe(tu.toString());
    const d = new Date(1_700_000_000_123);
    expect(decodeCqlValue(d, t('timestamp'))).toEqual(d);
    expect(decodeCqlValue(types.LocalDate.fromString('2024-02-29'), t('date'))).toBe('2024-02-29');
    expect(decodeCqlValue(localDateFromDays(-1), t('date'))).toBe('1969-12-31');
    expect(decodeCqlValue(types.LocalDate.fromString('-0043-03-15'), t('date'))).toBe('0044-03-15 BC');
    expect(isoDateToDays('0044-03-15 BC')).toBe(isoDateToDays('-0043-03-15'));
    expect(decodeCqlValue(localDateFromDays(2147483647), t('date'))).toBe('5881580-07-11');
    expect(decodeCqlValue(types.LocalTime.fromString('23:59:59.999999999'), t('time'))).toBe(
      86_399_999_999_999n,
    );
    expect(decodeCqlValue(types.Duration.fromString('1mo2d3s4999ns'), t('duration'))).toEqual({
      months: 1,
      days: 2,
      micros: 3_000_004n,
    });
    expect(decodeCqlValue(new types.Duration(0, 0, types.Long.fromNumber(-1)), t('duration'))).toEqual({
      months: 0,
      days: 0,
      micros: -1n,
    });
  });

  it('inet as text, blob as bytes, boolean', () => {
    // the driver prints IPv4-mapped addresses as ::ffff:102:304; we print what PostgreSQL prints
    expect(decodeCqlValue(types.InetAddress.fromString('::ffff:1.2.3.4'), t('inet'))).toBe('::ffff:1.2.3.4');
    expect(decodeCqlValue(types.InetAddress.fromString('2001:db8:0:0:1:0:0:1'), t('inet'))).toBe(
      '2001:db8::1:0:0:1',
    );
    expect(decodeCqlValue(types.InetAddress.fromString('10.1.2.3'), t('inet'))).toBe('10.1.2.3');
    expect(formatInet(parseInet('fe80:0:0:0:0:0:0:0'))).toBe('fe80::');
    expect(decodeCqlValue(Buffer.from([0, 255]), t('blob'))).toEqual(Buffer.from([0, 255]));
    expect(decodeCqlValue(false, t('boolean'))).toBe(false);
  });

  it('collections: empty → NULL, nested decoding, tuples, UDTs, vectors', () => {
    expect(decodeCqlValue([], t('list<int>'))).toBeNull();
    expect(decodeCqlValue(new Map(), t('map<int, int>'))).toBeNull();
    expect(decodeCqlValue({}, t('map<text, int>'))).toBeNull();
    expect(decodeCqlValue([types.Long.fromNumber(5)], t('set<bigint>'))).toEqual([5n]);
    expect(
      decodeCqlValue(
        new Map([[types.Long.fromNumber(1), [types.BigDecimal.fromString('1.0')]]]),
        t('map<bigint, frozen<list<decimal>>>'),
      ),
    ).toEqual(new Map([[1n, ['1.0']]]));
    expect(decodeCqlValue(new types.Tuple(1, null, 'x'), t('tuple<int, bigint, text>'))).toEqual([
      1,
      null,
      'x',
    ]);
    const udt = resolveUdts(
      t('frozen<p>'),
      new Map([['p', { name: 'p', fieldNames: ['a', 'b'], fieldTypes: ['bigint', 'text'] }]]),
    );
    expect(decodeCqlValue({ a: types.Long.fromNumber(2), b: null }, udt)).toEqual({ a: 2n, b: null });
    expect(decodeCqlValue(new types.Vector(new Float32Array([1.5, 2])), t('vector<float, 2>'))).toEqual([
      1.5, 2,
    ]);
  });
});

describe('toDriverParam', () => {
  it('builds driver value classes from cdc values', () => {
    expect(toDriverParam('1.50', t('decimal'), types)).toBeInstanceOf(types.BigDecimal);
    expect(String(toDriverParam('1.50', t('decimal'), types))).toBe('1.50');
    expect(toDriverParam('2024-01-02', t('date'), types)).toEqual(types.LocalDate.fromString('2024-01-02'));
    expect(String(toDriverParam(1_000n, t('time'), types))).toBe('00:00:00.000001');
    expect(toDriverParam('10.0.0.1', t('inet'), types)).toEqual(types.InetAddress.fromString('10.0.0.1'));
    expect(String(toDriverParam('550e8400-e29b-41d4-a716-446655440000', t('uuid'), types))).toBe(
      '550e8400-e29b-41d4-a716-446655440000',
    );
    expect(toDriverParam(5, t('bigint'), types)).toBe(5n);
    expect(toDriverParam(BigInt(Date.UTC(2020, 0, 1)) * 1000n, t('timestamp'), types)).toEqual(
      new Date(Date.UTC(2020, 0, 1)),
    );
    expect(toDriverParam([1, 'a'], t('tuple<int, text>'), types)).toBeInstanceOf(types.Tuple);
    expect(toDriverParam(null, t('int'), types)).toBeNull();
  });

  it('produces values the driver encodes to our bytes', () => {
    const cases: [unknown, string, unknown][] = [
      ['1.50', 'decimal', dt.decimal],
      ['2024-01-02', 'date', dt.date],
      [123_456_789n, 'time', dt.time],
      [
        { months: 1, days: -2, micros: 3n },
        'duration',
        { code: dt.custom, info: 'org.apache.cassandra.db.marshal.DurationType' },
      ],
      ['::1', 'inet', dt.inet],
    ];
    for (const [v, s, info] of cases) {
      expect(drv(toDriverParam(v, t(s), types), info), s).toBe(ser(v, s));
    }
  });
});

describe('exact helpers', () => {
  test.prop([fc.bigInt({ min: -(1n << 130n), max: 1n << 130n })])('varint bytes round-trip', (v) => {
    expect(bytesToBigInt(bigIntToBytes(v))).toBe(v);
  });

  test.prop([fc.integer({ min: -100_000_000, max: 100_000_000 })])('date days round-trip', (days) => {
    expect(isoDateToDays(daysToIsoDate(days))).toBe(days);
  });

  it('formats and parses decimals', () => {
    expect(formatDecimal(-12n, 4)).toBe('-0.0012');
    expect(formatDecimal(0n, -2)).toBe('0');
    expect(parseDecimal('1E+3')).toEqual({ unscaled: 1n, scale: -3 });
    expect(parseDecimal('.5')).toEqual({ unscaled: 5n, scale: 1 });
    expect(() => parseDecimal('1.2.3')).toThrow(/not a decimal/);
  });

  it('parses times and addresses strictly', () => {
    expect(parseTimeOfDay('00:00:01.5')).toBe(1_500_000_000n);
    expect(() => parseTimeOfDay('24:00:00')).toThrow(/time of day/);
    expect([...parseInet('[::1]')]).toEqual([...new Array(15).fill(0), 1]);
    expect(() => parseInet('1::2::3')).toThrow();
  });
});
