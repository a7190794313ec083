import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { INVALID_STORED_MARKER, NULL_MARKER, canonicalText, decodeStructuredJson } from './canonical.js';
import { isCdcError } from './errors.js';
import type { LogicalType } from './logical-type.js';
import { structuredToJson } from './structured-json.js';

// The source value (as the Scylla adapter decodes it) and its jsonb copy (as the PostgreSQL sink writes
// it) must have one canonical text: that is what lets `cdc diff` verify a table cdc replicated.

const T = {
  int16: { kind: 'int16' },
  int32: { kind: 'int32' },
  int64: { kind: 'int64' },
  varint: { kind: 'numeric', scale: 0 },
  decimal: { kind: 'numeric' },
  float32: { kind: 'float32' },
  float64: { kind: 'float64' },
  bool: { kind: 'bool' },
  text: { kind: 'text' },
  bytes: { kind: 'bytes' },
  uuid: { kind: 'uuid' },
  date: { kind: 'date' },
  time: { kind: 'time', precision: 9 },
  timestamp: { kind: 'timestamptz', precision: 3 },
  localTimestamp: { kind: 'timestamp', precision: 6 },
  duration: { kind: 'interval' },
  inet: { kind: 'inet' },
  json: { kind: 'json' },
} satisfies Record<string, LogicalType>;
const list = (element: LogicalType): LogicalType => ({ kind: 'list', element });
const set = (element: LogicalType): LogicalType => ({ kind: 'set', element });
const map = (key: LogicalType, value: LogicalType): LogicalType => ({ kind: 'map', key, value });
const tuple = (...elements: LogicalType[]): LogicalType => ({ kind: 'tuple', elements });
const udt = (name: string, fields: Record<string, LogicalType>): LogicalType => ({
  kind: 'udt',
  name,
  fields: Object.entries(fields).map(([n, type]) => ({ name: n, type })),
});
const address = udt('address', {
  street: T.text,
  zip: T.int32,
  tags: set(T.text),
  geo: tuple(T.float64, T.float64),
});

/** Canonical text of the stored JSON (as `canonicalText` reads a jsonb column compared as `type`). */
const copy = (value: unknown, type: LogicalType): string =>
  canonicalText(structuredToJson(value, type), type);

describe('structuredToJson — the layout of docs/normalization.md', () => {
  it.each<[string, unknown, LogicalType, string]>([
    [
      'map<text,int>',
      new Map([
        ['b', 1],
        ['a', 2],
      ]),
      map(T.text, T.int32),
      '{"b":1,"a":2}',
    ],
    [
      'bigint values as strings',
      new Map([['a', 2n ** 63n - 1n]]),
      map(T.text, T.int64),
      '{"a":"9223372036854775807"}',
    ],
    [
      'int keys',
      new Map([
        [1, 'x'],
        [-2, 'y'],
      ]),
      map(T.int32, T.text),
      '{"1":"x","-2":"y"}',
    ],
    ['bigint keys', new Map([[2n ** 62n, true]]), map(T.int64, T.bool), '{"4611686018427387904":true}'],
    [
      'Date keys',
      new Map([[new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), 1]]),
      map(T.timestamp, T.int32),
      '{"2024-01-02T03:04:05.006Z":1}',
    ],
    [
      'uuid keys',
      new Map([['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 1]]),
      map(T.uuid, T.int32),
      '{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11":1}',
    ],
    [
      'blob keys and values',
      new Map([[new Uint8Array([0, 255]), new Uint8Array([])]]),
      map(T.bytes, T.bytes),
      '{"\\\\x00ff":"\\\\x"}',
    ],
    ['bool keys', new Map([[false, 1]]), map(T.bool, T.int32), '{"false":1}'],
    ['tuple keys', new Map([[[1, 'a'], 2]]), map(tuple(T.int32, T.text), T.int32), '{"[1,\\"a\\"]":2}'],
    ['NULL values', new Map([['a', null]]), map(T.text, T.int32), '{"a":null}'],
    ['a list with NULL', [1, null, 3], list(T.int32), '[1,null,3]'],
    ['a set as array', new Set(['b', 'a']), set(T.text), '["b","a"]'],
    ['nested', [new Map([['k', [1n, 2n]]])], list(map(T.text, list(T.int64))), '[{"k":["1","2"]}]'],
    ['tuple', [1, null, new Uint8Array([1])], tuple(T.int32, T.text, T.bytes), '[1,null,"\\\\x01"]'],
    [
      'udt (declared fields, in order)',
      { zip: 1, street: 'Main', other: 1 },
      address,
      '{"street":"Main","zip":1,"tags":null,"geo":null}',
    ],
    [
      'floats',
      [1.5, -0, NaN, Infinity, -Infinity, 1e-7],
      list(T.float64),
      '[1.5,0,"NaN","Infinity","-Infinity",1e-7]',
    ],
    ['float32', [Math.fround(0.1)], list(T.float32), '[0.10000000149011612]'],
    [
      'decimals keep their scale',
      ['1.50', '-0.001', 10n ** 30n],
      list(T.decimal),
      '["1.50","-0.001","1000000000000000000000000000000"]',
    ],
    [
      'dates',
      ['2024-02-29', '0044-03-15 BC', 0],
      list(T.date),
      '["2024-02-29","0044-03-15 BC","1970-01-01"]',
    ],
    [
      'times keep nanoseconds',
      [0n, 45_296_123_456_789n, 86_400_000_000_000n],
      list(T.time),
      '["00:00:00","12:34:56.123456789","24:00:00"]',
    ],
    [
      'timestamps',
      [new Date(-1), new Date(Date.UTC(-43, 2, 15))],
      list(T.timestamp),
      '["1969-12-31T23:59:59.999Z","-000043-03-15T00:00:00Z"]',
    ],
    [
      'local timestamps from µs',
      [1n, -1n],
      list(T.localTimestamp),
      '["1970-01-01T00:00:00.000001","1969-12-31T23:59:59.999999"]',
    ],
    [
      'durations',
      [{ months: 1, days: -2, micros: 3_000_000n }],
      list(T.duration),
      '[{"months":1,"days":-2,"micros":"3000000"}]',
    ],
    ['inet', ['10.0.0.1', '::ffff:1.2.3.4'], list(T.inet), '["10.0.0.1","::ffff:1.2.3.4"]'],
    ['json elements are embedded', ['{"b": 1.0, "a": [true]}'], list(T.json), '[{"a":[true],"b":1}]'],
    ['empty', [], list(T.int32), '[]'],
  ])('%s', (_label, value, type, json) => {
    expect(structuredToJson(value, type)).toBe(json);
    expect(copy(value, type)).toBe(canonicalText(value, type));
  });

  it('writes NULL as null and refuses values that are not of the type', () => {
    expect(structuredToJson(null, map(T.text, T.int32))).toBeNull();
    for (const [value, type] of [
      [new Map([[null, 1]]), map(T.text, T.int32)],
      [new Map([['a', 'x']]), map(T.text, T.int32)],
      [[1, 2], tuple(T.int32)],
      [[1], list(T.text)],
      ['{"a":"x"}', map(T.text, T.int32)],
    ] as [unknown, LogicalType][]) {
      const error = (() => {
        try {
          structuredToJson(value, type);
        } catch (e) {
          return e;
        }
      })();
      expect(isCdcError(error) && error.code, JSON.stringify(String(value))).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('canonicalText of stored JSON', () => {
  it('reads jsonb as PostgreSQL prints it (spaces, reordered keys) and keeps numbers exact', () => {
    const type = map(T.text, T.int64);
    const source = new Map([
      ['b', 9007199254740993n],
      ['a', -1n],
    ]);
    expect(canonicalText('{"a": -1, "b": 9007199254740993}', type)).toBe(canonicalText(source, type));
    expect(canonicalText('{"a": "-1", "b": "9007199254740993"}', type)).toBe(canonicalText(source, type));
    // Another tool's spelling of the same integers.
    expect(canonicalText('{"a": -1.0, "b": 9.007199254740993e15}', type)).toBe(canonicalText(source, type));
    expect(canonicalText('{"a": -1, "a": 5, "b": 9007199254740993}', type)).not.toBe(
      canonicalText(source, type),
    );
    expect(canonicalText('[1.50, 2]', list(T.decimal))).toBe(
      canonicalText(['1.5', '2.000'], list(T.decimal)),
    );
  });

  it('compares sets order-free and treats empty collections and JSON null as NULL', () => {
    expect(canonicalText('[3, 1, 3]', set(T.int32))).toBe(canonicalText([1, 3], set(T.int32)));
    expect(canonicalText('[]', list(T.int32))).toBe(NULL_MARKER);
    expect(canonicalText('{}', map(T.text, T.int32))).toBe(NULL_MARKER);
    expect(canonicalText('null', address)).toBe(NULL_MARKER);
    expect(canonicalText('{}', address)).toBe(canonicalText({}, address));
  });

  it('marks JSON that is not a value of the type instead of throwing, and it equals no value', () => {
    const type = map(T.text, T.int32);
    for (const stored of [
      '{"a": "x"}', // a string where an int is stored
      '{"a": 1.5}',
      '[["a", 1]]', // pairs, not the object layout
      '{"a": true}',
      '"{\\"a\\": 1}"', // a JSON string holding the document
    ]) {
      const text = canonicalText(stored, type);
      expect(text.startsWith(INVALID_STORED_MARKER), stored).toBe(true);
      expect(text).toBe(`!${Buffer.byteLength(stored)}:${stored}`);
    }
    // Text where a number is written would otherwise hide a type confusion.
    expect(canonicalText('{"a": 1}', map(T.text, T.text)).startsWith(INVALID_STORED_MARKER)).toBe(true);
    expect(canonicalText('[1, "x"]', tuple(T.int32, T.text, T.int32)).startsWith('!')).toBe(true);
    // Text that is not JSON cannot come from a json column: an adapter's error, not a difference.
    expect(() => canonicalText('{1,2}', list(T.int32))).toThrow(/malformed JSON/);
    expect(() => canonicalText('{"a": 1', type)).toThrow(/malformed JSON/);
    // A bad policy is still the caller's error.
    expect(() => canonicalText('[]', list(T.timestamp), { precision: 9 })).toThrow(/precision/);
  });

  it('decodes to the accepted JS values', () => {
    expect(decodeStructuredJson('{"a": 12345678901234567890}', map(T.text, T.varint))).toEqual([
      ['a', '12345678901234567890'],
    ]);
    expect(decodeStructuredJson('{"street": "x", "extra": 1}', address)).toEqual(
      new Map<string, unknown>([
        ['street', 'x'],
        ['zip', null],
        ['tags', null],
        ['geo', null],
      ]),
    );
    expect(() => decodeStructuredJson('{"a": 1}', list(T.int32))).toThrow(/expected an array/);
  });

  it('applies the column policies to the elements of stored JSON too', () => {
    const type = list(T.timestamp);
    const source = [new Date(Date.UTC(2024, 0, 1, 0, 0, 1, 999))];
    const stored = '["2024-01-01T00:00:01.000Z"]';
    expect(canonicalText(stored, type)).not.toBe(canonicalText(source, type));
    expect(canonicalText(stored, type, { precision: 0 })).toBe(canonicalText(source, type, { precision: 0 }));
    expect(canonicalText('["A "]', list(T.text), { trimTrailingSpaces: true, caseInsensitive: true })).toBe(
      canonicalText(['a'], list(T.text)),
    );
  });
});

describe('the Scylla values of every collection shape survive their jsonb copy', () => {
  it.each<[string, unknown, LogicalType]>([
    [
      'map<timestamp, blob>',
      new Map([
        [new Date(0), new Uint8Array([1, 2])],
        [new Date(-62_135_596_800_000), new Uint8Array(0)],
      ]),
      map(T.timestamp, T.bytes),
    ],
    [
      'map<uuid, frozen<list<bigint>>>',
      new Map([['e7f1c9a2-0000-4000-8000-00000000000a', [2n ** 63n - 1n, -(2n ** 63n), null]]]),
      map(T.uuid, list(T.int64)),
    ],
    ['map<frozen<set<int>>, text>', new Map([[[3, 1], 'x']]), map(set(T.int32), T.text)],
    [
      'map<frozen<map<text,int>>, int>',
      new Map([[new Map([['a', 1]]), 2]]),
      map(map(T.text, T.int32), T.int32),
    ],
    [
      'map<inet, duration>',
      new Map([['2001:db8::1', { months: 0, days: 1, micros: -5n }]]),
      map(T.inet, T.duration),
    ],
    ['map<date, time>', new Map([['2024-02-29', 1n]]), map(T.date, T.time)],
    [
      'map<varint, decimal>',
      new Map([[-(10n ** 40n), '-0.000000000000000000001']]),
      map(T.varint, T.decimal),
    ],
    [
      'map<double, float>',
      new Map([
        [NaN, Math.fround(3.4e38)],
        [-0, -Infinity],
      ]),
      map(T.float64, T.float32),
    ],
    [
      'list<frozen<udt>>',
      [{ street: 'é😀"\\', zip: -1, tags: ['b', 'a'], geo: [0.1, -0.2] }, null],
      list(address),
    ],
    [
      'set<frozen<tuple<int, text>>>',
      [
        [2, 'b'],
        [1, null],
      ],
      set(tuple(T.int32, T.text)),
    ],
    [
      'tuple<bigint, map<text, list<timestamp>>, blob>',
      [1n, new Map([['k', [new Date(1), null]]]), new Uint8Array([9])],
      tuple(T.int64, map(T.text, list(T.timestamp)), T.bytes),
    ],
    [
      'udt with nested udt',
      { a: { street: 'x', zip: 1, tags: null, geo: [1, 2] }, b: new Map([['z', 1n]]) },
      udt('outer', { a: address, b: map(T.text, T.int64) }),
    ],
    ['list<text> with empty and whitespace strings', ['', ' ', '\u0000', 'null'], list(T.text)],
  ])('%s', (_label, value, type) => {
    expect(copy(value, type)).toBe(canonicalText(value, type));
  });

  it('sees a change inside a collection', () => {
    const type = map(T.text, list(T.int64));
    const value = new Map([['k', [1n, 2n]]]);
    expect(canonicalText('{"k": ["1", "3"]}', type)).not.toBe(canonicalText(value, type));
    expect(canonicalText('{"k": ["2", "1"]}', type)).not.toBe(canonicalText(value, type));
    expect(canonicalText('{"k": ["1", "2"], "j": null}', type)).not.toBe(canonicalText(value, type));
  });
});

// ---------------------------------------------------------------- properties

const scalars: [LogicalType, fc.Arbitrary<unknown>][] = [
  [T.int16, fc.integer({ min: -32768, max: 32767 })],
  [T.int32, fc.integer()],
  [T.int64, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
  [T.varint, fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n })],
  [
    T.decimal,
    fc
      .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 20 }))
      .map(([u, s]) => {
        const digits = (u < 0n ? -u : u).toString().padStart(s + 1, '0');
        const text = s === 0 ? digits : `${digits.slice(0, -s)}.${digits.slice(-s)}`;
        return u < 0n ? `-${text}` : text;
      }),
  ],
  [T.float32, fc.float()],
  [T.float64, fc.double()],
  [T.bool, fc.boolean()],
  [T.text, fc.string({ unit: 'binary' })],
  [T.bytes, fc.uint8Array({ maxLength: 8 })],
  [T.uuid, fc.uuid()],
  [T.date, fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constant('2000-01-01'))],
  [T.time, fc.bigInt({ min: 0n, max: 86_399_999_999_999n })],
  [T.timestamp, fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })],
  [T.localTimestamp, fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n })],
  [
    T.duration,
    fc.record({
      months: fc.integer(),
      days: fc.integer(),
      micros: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    }),
  ],
  [T.inet, fc.oneof(fc.ipV4(), fc.ipV6())],
];
const scalar = fc.constantFrom(...scalars);

type Typed = [LogicalType, fc.Arbitrary<unknown>];

const nullable = (a: fc.Arbitrary<unknown>) => fc.option(a, { nil: null, freq: 6 });

/** A structured type (depth-limited) with the arbitrary of its Scylla-decoded values. */
const typed = (depth: number): fc.Arbitrary<Typed> => {
  const inner = depth <= 0 ? scalar : fc.oneof({ weight: 3, arbitrary: scalar }, typed(depth - 1));
  return fc.oneof(
    inner.map(([e, v]): Typed => [list(e), fc.array(nullable(v), { maxLength: 4 })]),
    inner.map(([e, v]): Typed => [set(e), fc.array(v, { maxLength: 4 })]),
    fc.tuple(scalar, inner).map(([[k, kv], [e, v]]): Typed => [
      map(k, e),
      // Distinct keys: two keys with one canonical text (equal blobs, uuid spellings) are one JSON key.
      fc
        .uniqueArray(fc.tuple(kv, nullable(v)), {
          maxLength: 4,
          selector: ([key]) => canonicalText(key, k),
        })
        .map((pairs) => new Map(pairs)),
    ]),
    fc
      .array(inner, { minLength: 1, maxLength: 3 })
      .map((parts): Typed => [
        tuple(...parts.map(([e]) => e)),
        fc.tuple(...parts.map(([, v]) => nullable(v))),
      ]),
    fc
      .array(inner, { minLength: 1, maxLength: 3 })
      .map((parts): Typed => [
        udt('u', Object.fromEntries(parts.map(([e], i) => [`f${i}`, e]))),
        fc
          .tuple(...parts.map(([, v]) => nullable(v)))
          .map((vs) => Object.fromEntries(vs.map((v, i) => [`f${i}`, v]))),
      ]),
  );
};

const typedValue = typed(2).chain(([type, values]) => values.map((value) => [type, value] as const));

describe('structuredToJson — properties', () => {
  fcTest.prop([typedValue], { numRuns: 400 })(
    'the stored JSON has the canonical text of the source value',
    ([type, value]) => {
      const json = structuredToJson(value, type);
      expect(canonicalText(json, type)).toBe(canonicalText(value, type));
    },
  );

  fcTest.prop([typedValue], { numRuns: 200 })(
    'writing the decoded JSON again gives the same JSON',
    ([type, value]) => {
      const json = structuredToJson(value, type);
      if (json === null) return;
      expect(structuredToJson(decodeStructuredJson(json, type), type)).toBe(json);
    },
  );
});
