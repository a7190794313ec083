/**
 * Every CQL type, decoded from real cassandra-driver value instances, must canonicalize through
 * @cdc/core exactly as `docs/normalization.md` prescribes — the guarantee that a Scylla row and the
 * same row in PostgreSQL hash identically.
 */
import { canonicalText } from '@cdc/core';
import { types } from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { cqlToLogical, parseCqlType, resolveUdts } from './scylla-cql-types.js';
import { decodeCqlValue } from './scylla-values.js';

const udts = new Map([
  ['addr', { name: 'addr', fieldNames: ['zip', 'street'], fieldTypes: ['int', 'text'] }],
]);

function canon(driverValue: unknown, cql: string): string {
  const type = resolveUdts(parseCqlType(cql), udts);
  return canonicalText(decodeCqlValue(driverValue, type), cqlToLogical(type));
}

describe('driver value → decoded → canonical text, per CQL type', () => {
  const cases: [string, unknown, string][] = [
    ['ascii', 'abc', '3:abc'],
    ['text', 'é', '2:é'],
    ['varchar', '', '0:'],
    ['tinyint', -128, '-128'],
    ['smallint', 32767, '32767'],
    ['int', -2147483648, '-2147483648'],
    ['bigint', types.Long.fromString('-9223372036854775808'), '-9223372036854775808'],
    ['bigint', 9223372036854775807n, '9223372036854775807'],
    ['counter', types.Long.fromNumber(42), '42'],
    ['varint', types.Integer.fromString('123456789012345678901234567890'), '123456789012345678901234567890'],
    ['varint', -5n, '-5'],
    ['decimal', types.BigDecimal.fromString('1.50'), '1.5'],
    ['decimal', types.BigDecimal.fromString('-0.00'), '0'],
    ['decimal', new types.BigDecimal(types.Integer.fromString('12') as unknown as number, -3), '12000'],
    ['float', 1.5, '3ff8000000000000'],
    ['float', Math.fround(0.1), '3fb99999a0000000'],
    ['float', -0, '0'],
    ['float', Number.NaN, 'NaN'],
    ['double', 0.1, '3fb999999999999a'],
    ['double', Number.NEGATIVE_INFINITY, '-Infinity'],
    ['boolean', true, 't'],
    ['blob', Buffer.from([0, 255]), '00ff'],
    ['blob', Buffer.alloc(0), ''],
    [
      'uuid',
      types.Uuid.fromString('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'),
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    ],
    [
      'timeuuid',
      types.TimeUuid.fromString('8e8a3f30-1dd2-11b2-8080-808080808080'),
      '8e8a3f30-1dd2-11b2-8080-808080808080',
    ],
    ['timestamp', new Date('1969-12-31T23:59:59.999Z'), '-1000'],
    ['date', types.LocalDate.fromString('1970-01-02'), '1'],
    ['date', types.LocalDate.fromString('1969-12-31'), '-1'],
    ['time', types.LocalTime.fromString('00:00:01.5'), '1500000'],
    ['time', types.LocalTime.fromString('23:59:59.999999999'), '86399999999'],
    ['duration', types.Duration.fromString('1mo2d3s'), '1,2,3000000'],
    ['duration', types.Duration.fromString('-1ns'), '0,0,-1'],
    ['inet', types.InetAddress.fromString('192.168.0.1'), 'c0a80001'],
    ['inet', types.InetAddress.fromString('::ffff:1.2.3.4'), '00000000000000000000ffff01020304'],
    ['list<int>', [1, 2], '9:["1","2"]'],
    ['list<int>', [], '\\N'],
    ['set<text>', ['b', 'a'], '13:["1:a","1:b"]'],
    [
      'map<text, int>',
      new Map([
        ['b', 1],
        ['a', 2],
      ]),
      '25:[["1:a","2"],["1:b","1"]]',
    ],
    ['map<int, text>', new Map(), '\\N'],
    ['frozen<tuple<int, text>>', new types.Tuple(1, null), '10:["1",null]'],
    ['frozen<addr>', { zip: 1, street: 'x' }, '26:{"street":"1:x","zip":"1"}'],
    [
      'vector<float, 2>',
      new types.Vector(new Float32Array([1, 0.5])),
      '39:["3ff0000000000000","3fe0000000000000"]',
    ],
  ];
  for (const [cql, value, expected] of cases) {
    it(`${cql} ${expected}`, () => expect(canon(value, cql)).toBe(expected));
  }

  it('NULL is \\N for every type', () => {
    for (const [cql] of cases) expect(canon(null, cql)).toBe('\\N');
  });

  it('time is compared at the column pair precision (ns floored to µs)', () => {
    const type = parseCqlType('time');
    expect(
      canonicalText(
        decodeCqlValue(types.LocalTime.fromString('00:00:00.000001999'), type),
        cqlToLogical(type),
      ),
    ).toBe('1');
  });
});
