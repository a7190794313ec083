import { diffTables, type Column, type LogicalType, type Row, type TableSchema } from '@cdc/core';
import { MemoryScanSource, useTestDatabase } from '@cdc/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSink, connectPostgres, nativeTypeFor, type PostgresAdapter } from '../src/index.js';

// A table cdc replicated from ScyllaDB must verify: collections, tuples and UDTs the sink wrote as jsonb or
// arrays (nativeTypeFor) compare with the source values (docs/normalization.md, "How a structured value is
// stored in jsonb"). The source is an in-memory double holding values as the Scylla adapter decodes them.
const db = useTestDatabase();

const T = {
  int32: { kind: 'int32' },
  int64: { kind: 'int64' },
  varint: { kind: 'numeric', scale: 0 },
  decimal: { kind: 'numeric' },
  float32: { kind: 'float32' },
  float64: { kind: 'float64' },
  text: { kind: 'text' },
  bytes: { kind: 'bytes' },
  uuid: { kind: 'uuid' },
  date: { kind: 'date' },
  time: { kind: 'time', precision: 9 },
  timestamp: { kind: 'timestamptz', precision: 3 },
  duration: { kind: 'interval' },
  inet: { kind: 'inet' },
} satisfies Record<string, LogicalType>;
const list = (element: LogicalType): LogicalType => ({ kind: 'list', element });
const set = (element: LogicalType): LogicalType => ({ kind: 'set', element });
const map = (key: LogicalType, value: LogicalType): LogicalType => ({ kind: 'map', key, value });
const tuple = (...elements: LogicalType[]): LogicalType => ({ kind: 'tuple', elements });
const address: LogicalType = {
  kind: 'udt',
  name: 'address',
  fields: [
    { name: 'street', type: T.text },
    { name: 'zip', type: T.int32 },
    { name: 'phones', type: map(T.text, T.text) },
    { name: 'loc', type: tuple(T.float64, T.float64) },
  ],
};

/** Column → CQL type it stands for → logical type. */
const COLUMNS: [string, string, LogicalType][] = [
  ['v_map', 'map<text,int>', map(T.text, T.int32)],
  ['m_ts_blob', 'map<timestamp,blob>', map(T.timestamp, T.bytes)],
  ['m_uuid_list', 'map<uuid,frozen<list<bigint>>>', map(T.uuid, list(T.int64))],
  ['m_tuple_key', 'map<frozen<tuple<int,text>>,text>', map(tuple(T.int32, T.text), T.text)],
  ['m_big', 'map<varint,decimal>', map(T.varint, T.decimal)],
  ['m_udt', 'map<text,frozen<address>>', map(T.text, address)],
  ['tags', 'set<text>', set(T.text)],
  ['nums', 'list<bigint>', list(T.int64)],
  ['times', 'list<time>', list(T.time)],
  ['stamps', 'set<timestamp>', set(T.timestamp)],
  ['durs', 'list<duration>', list(T.duration)],
  ['ips', 'set<inet>', set(T.inet)],
  ['blobs', 'list<blob>', list(T.bytes)],
  ['decs', 'list<decimal>', list(T.decimal)],
  ['floats', 'list<float>', list(T.float32)],
  ['doubles', 'list<double>', list(T.float64)],
  ['dates', 'list<date>', list(T.date)],
  ['uuids', 'set<uuid>', set(T.uuid)],
  ['nested', 'list<frozen<list<int>>>', list(list(T.int32))],
  ['set_of_sets', 'set<frozen<set<text>>>', set(set(T.text))],
  ['tup', 'tuple<bigint,text,blob,timestamp>', tuple(T.int64, T.text, T.bytes, T.timestamp)],
  ['addr', 'frozen<address>', address],
];

const source: TableSchema = {
  id: { schema: 'public', name: 'scylla_copy' },
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: T.int32, nativeType: 'int', nullable: false },
    ...COLUMNS.map(([name, cql, type]): Column => ({ name, type, nativeType: cql, nullable: true })),
  ],
};

const bytes = (...b: number[]) => Uint8Array.from(b);

/** Row `i` as the Scylla adapter decodes it (empty collections are NULL there). */
function scyllaRow(i: number): Row {
  const nullAll = i === 0;
  const row: Row = {
    id: i,
    v_map: new Map([
      ['a', i],
      ['b', -i],
      [`k"\\é${i}`, 2 ** 31 - 1],
    ]),
    m_ts_blob: new Map([
      [new Date(Date.UTC(2024, 0, 1, 0, 0, 0, i)), bytes(0, 255, i)],
      [new Date(-62_135_596_800_000 + i), bytes()],
    ]),
    m_uuid_list: new Map([
      [
        `a0eebc99-9c0b-4ef8-bb6d-6bb9bd38${String(i).padStart(4, '0')}`,
        [2n ** 63n - 1n, -(2n ** 63n), BigInt(i)],
      ],
    ]),
    m_tuple_key: new Map([
      [[i, 'x'], 'one'],
      [[-i, null], 'two'],
    ]),
    m_big: new Map([[10n ** 30n + BigInt(i), `-0.${'0'.repeat(20)}${i}`]]),
    m_udt: new Map([
      [
        'home',
        { street: `Main ${i}`, zip: 75000 + i, phones: new Map([['cell', '+33 6']]), loc: [48.85, 2.35] },
      ],
    ]),
    tags: ['b', 'a', `{t,${i}}`, 'NULL', ' '],
    nums: [9007199254740993n, BigInt(-i)],
    times: [45_296_123_456_789n, 0n, BigInt(i)],
    stamps: [new Date(i * 1000), new Date(Date.UTC(1900, 0, 1))],
    durs: [{ months: 1, days: -2, micros: 3_000_001n + BigInt(i) }],
    ips: ['10.0.0.1', '2001:db8::1', '::ffff:1.2.3.4'],
    blobs: [bytes(i), bytes(), bytes(0x5c, 0x22)],
    decs: ['1.50', `-${i}.000001`, '1E+3'],
    floats: [Math.fround(0.1), Math.fround(-i / 3), Number.NaN],
    doubles: [0.1 + 0.2, -0, Number.POSITIVE_INFINITY, 1e-300],
    dates: ['2024-02-29', '0044-03-15 BC', '1970-01-01'],
    uuids: ['e7f1c9a2-0000-4000-8000-00000000000a', `e7f1c9a2-0000-4000-8000-${String(i).padStart(12, '0')}`],
    nested: [[1, 2], [i], [3, null]],
    set_of_sets: [['b', 'a'], ['c']],
    tup: [BigInt(i) * 10n ** 15n, i % 2 ? null : 'odd', bytes(1, 2), new Date(i)],
    addr: { street: `rue ${i}`, zip: i, phones: null, loc: [i / 7, -0.5] },
  };
  if (nullAll) for (const [name] of COLUMNS) row[name] = null;
  return row;
}

const rows = Array.from({ length: 25 }, (_, i) => scyllaRow(i));
let pg: PostgresAdapter;
let target: TableSchema;

beforeAll(async () => {
  // Written exactly as replication writes it: the sink creates the table and applies the rows.
  const sink = PostgresSink.open({ url: db().url });
  try {
    await sink.prepare('structured', [{ source, target: source.id, deletes: 'hard' }]);
    const epoch = await sink.acquire('structured');
    await sink.apply('structured', epoch, {
      partition: '*',
      position: '1',
      events: rows.map((row) => ({ op: 'upsert', table: source.id, key: { id: row['id'] }, row })),
    });
  } finally {
    await sink.close();
  }
  pg = connectPostgres({ url: db().url });
  target = await pg.introspect(source.id);
});

afterAll(async () => {
  await pg?.close();
});

async function diff(algorithm: 'hash' | 'stream') {
  const memory = new MemoryScanSource({ capabilities: { intRangeBuckets: true } }).addTable(source, rows);
  return diffTables({
    source: { source: memory, table: source },
    target: { source: pg, table: target },
    algorithm,
    rowsPerBucket: 5,
  });
}

describe('Scylla collections, tuples and UDTs against their PostgreSQL copies', () => {
  it('are stored as nativeTypeFor says: jsonb, or arrays of scalars', () => {
    const byName = new Map(target.columns.map((c) => [c.name, c]));
    for (const [name, , type] of COLUMNS) {
      const column = byName.get(name);
      const jsonb = nativeTypeFor(type) === 'jsonb';
      expect(column?.type.kind, name).toBe(jsonb ? 'json' : 'list');
      expect(column?.nativeType.endsWith('[]'), name).toBe(!jsonb);
    }
  });

  it.each(['hash', 'stream'] as const)('compare in sync (%s)', async (algorithm) => {
    const result = await diff(algorithm);
    expect(result.differences).toEqual([]);
    expect(result.status).toBe('in_sync');
    expect(result.counts).toEqual({ source: 25n, target: 25n });
    expect(result.comparedColumns).toEqual(COLUMNS.map(([name]) => name));
  });

  it('report exactly the rows and columns changed inside a collection', async () => {
    await db().query(`UPDATE scylla_copy SET v_map = jsonb_set(v_map, '{b}', '5') WHERE id = 3`);
    await db().query(`UPDATE scylla_copy SET m_udt = jsonb_set(m_udt, '{home,loc,0}', '48.86') WHERE id = 4`);
    await db().query(`UPDATE scylla_copy SET nums[2] = 99 WHERE id = 5`);
    await db().query(`UPDATE scylla_copy SET tup = jsonb_set(tup, '{0}', '"6000000000000001"') WHERE id = 6`);
    // A value of the wrong JSON kind is a difference, not an error that stops the comparison.
    await db().query(`UPDATE scylla_copy SET m_big = jsonb_set(m_big, '{x}', '"y"') WHERE id = 7`);
    // Order inside a set and another spelling of the same jsonb number do not matter.
    await db().query(`UPDATE scylla_copy SET tags = ARRAY(SELECT unnest(tags) ORDER BY 1 DESC) WHERE id = 8`);
    await db().query(`UPDATE scylla_copy SET v_map = v_map || '{"a": 9.0}' WHERE id = 9`);
    for (const algorithm of ['hash', 'stream'] as const) {
      const result = await diff(algorithm);
      expect(
        result.differences.map((d) => [d.kind, d.key['id'], d.columns]),
        algorithm,
      ).toEqual([
        ['mismatched', 3, ['v_map']],
        ['mismatched', 4, ['m_udt']],
        ['mismatched', 5, ['nums']],
        ['mismatched', 6, ['tup']],
        ['mismatched', 7, ['m_big']],
      ]);
    }
  });
});
