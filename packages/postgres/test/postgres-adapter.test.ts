import { sql } from 'kysely';
import {
  CdcError,
  canonicalText,
  createRowHasher,
  OrderedBucketAccumulator,
  rowString,
  type ColumnHashOptions,
  type HashPlan,
  type TableSchema,
} from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, type PostgresAdapter } from '../src/index.js';

const db = useTestDatabase();

const HOSTILE = [
  'order',
  'select',
  'a "quoted" name',
  'dot.ted',
  'with space',
  'Ünïcødé',
  'MixedCase',
  "semi;colon'--",
];

describe('PostgresAdapter', () => {
  let adapter: PostgresAdapter;
  beforeAll(async () => {
    adapter = connectPostgres({ url: db().url });
    await db().query(`
      CREATE SCHEMA "My.Schema";
      CREATE TYPE "My.Schema".mood AS ENUM ('sad', 'ok', 'happy');
      CREATE DOMAIN "My.Schema".price AS numeric(10,3);
      CREATE TABLE "My.Schema"."Typed ""T""" (
        a integer, b text COLLATE "C", c varchar(12), d char(4), e numeric(38,10), f numeric,
        g timestamp(3), h timestamptz, i time(0), j interval, k jsonb, l json, m bytea, n uuid,
        o int8[], p text[], q "My.Schema".mood, r "My.Schema".price, s inet, t cidr, u real, v boolean,
        PRIMARY KEY (b, a), UNIQUE (c), UNIQUE (n, m)
      );
      CREATE TABLE no_key (x int);
      CREATE TABLE odd_type (id int PRIMARY KEY, "the point" point);
      CREATE TABLE money_t (id int PRIMARY KEY, amount money);
    `);
  });
  afterAll(async () => {
    await adapter.close();
  });

  it('introspects full type information, composite and unique keys', async () => {
    const schema = await adapter.introspect({ schema: 'My.Schema', name: 'Typed "T"' });
    expect(schema.primaryKey).toEqual(['b', 'a']);
    expect(schema.uniqueKeys).toEqual([['c'], ['n', 'm']]);
    const col = (name: string) => schema.columns.find((c) => c.name === name)!;
    expect(col('a')).toMatchObject({ type: { kind: 'int32' }, nativeType: 'integer', nullable: false });
    expect(col('b')).toMatchObject({ type: { kind: 'text' }, collation: 'C', nullable: false });
    expect(col('c')).toMatchObject({
      type: { kind: 'text' },
      length: 12,
      nativeType: 'character varying(12)',
    });
    expect(col('d')).toMatchObject({ type: { kind: 'text' }, length: 4, fixedLength: true });
    expect(col('e').type).toEqual({ kind: 'numeric', precision: 38, scale: 10 });
    expect(col('f').type).toEqual({ kind: 'numeric' });
    expect(col('g').type).toEqual({ kind: 'timestamp', precision: 3 });
    expect(col('h').type).toEqual({ kind: 'timestamptz', precision: 6 });
    expect(col('i').type).toEqual({ kind: 'time', precision: 0 });
    expect(col('j').type).toEqual({ kind: 'interval' });
    expect(col('k').type).toEqual({ kind: 'json' });
    expect(col('l').type).toEqual({ kind: 'json' });
    expect(col('m').type).toEqual({ kind: 'bytes' });
    expect(col('n').type).toEqual({ kind: 'uuid' });
    expect(col('o').type).toEqual({ kind: 'list', element: { kind: 'int64' } });
    expect(col('p').type).toEqual({ kind: 'list', element: { kind: 'text' } });
    expect(col('q').type).toEqual({ kind: 'text' });
    expect(col('r').type).toEqual({ kind: 'numeric', precision: 10, scale: 3 });
    expect(col('s').type).toEqual({ kind: 'inet' });
    expect(col('t').type).toEqual({ kind: 'inet' });
    expect(col('u').type).toEqual({ kind: 'float32' });
    expect(col('v').type).toEqual({ kind: 'bool' });
  });

  it('names table, column and type of unsupported columns; explains missing keys and tables', async () => {
    const odd = await adapter.introspect({ name: 'odd_type' }).catch((e: unknown) => e);
    expect(odd).toBeInstanceOf(CdcError);
    expect((odd as CdcError).code).toBe('UNSUPPORTED_TYPE');
    expect((odd as CdcError).message).toContain('"the point"');
    expect((odd as CdcError).message).toContain('point');
    const money = await adapter.introspect({ name: 'money_t' }).catch((e: unknown) => e);
    expect((money as CdcError).hint).toMatch(/numeric/);
    const noKey = await adapter.introspect({ name: 'no_key' }).catch((e: unknown) => e);
    expect((noKey as CdcError).code).toBe('NO_PRIMARY_KEY');
    expect((await adapter.introspect({ name: 'no_key' }, { key: ['x'] })).primaryKey).toEqual(['x']);
    const wrongCase = await adapter.introspect({ name: 'NO_KEY' }).catch((e: unknown) => e);
    expect((wrongCase as CdcError).code).toBe('TABLE_NOT_FOUND');
    expect((wrongCase as CdcError).hint).toContain('public.no_key');
  });

  it('quotes hostile identifiers in every operation', async () => {
    for (const name of HOSTILE) {
      const q = `"${name.replace(/"/g, '""')}"`;
      await db().query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
      await db().query(
        `CREATE TABLE ${q}.${q} (${q} text, "key ""2""" int, ${q.slice(0, -1)} v" int, PRIMARY KEY (${q}, "key ""2"""))`,
      );
      await db().query(`INSERT INTO ${q}.${q} SELECT 'k' || g, g % 3, g FROM generate_series(1, 50) g`);
      const schema = await adapter.introspect({ schema: name, name });
      expect(schema.primaryKey).toEqual([name, 'key "2"']);
      expect(await adapter.count(schema)).toBe(50n);
      const splits = await adapter.splits(schema, 4);
      let total = 0n;
      for (const range of splits) total += await adapter.count(schema, range);
      expect(total).toBe(50n);
      let scanned = 0;
      for await (const batch of adapter.scan(schema, { batchRows: 7, columns: [`${name} v`] }))
        scanned += batch.length;
      expect(scanned).toBe(50);
      const found = await adapter.lookup(schema, [
        ['k1', 1],
        ['k2', 2],
        ['k3', 1],
      ]);
      expect(found.map((r) => r[`${name} v`]).sort()).toEqual([1, 2]);
      const plan: HashPlan = {
        key: schema.primaryKey,
        columns: [`${name} v`],
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 4 },
      };
      const sums = await adapter.summarize(schema, plan);
      expect(sums.reduce((n, s) => n + s.count, 0)).toBe(50);
      const native = await adapter.summarize(schema, { ...plan, mode: 'native' });
      expect(native.reduce((n, s) => n + s.count, 0)).toBe(50);
    }
  });

  it('hash ranges partition rows by key hash and agree with the client', async () => {
    await db().query(`CREATE TABLE hashed (id uuid PRIMARY KEY, v text)`);
    await db().query(`INSERT INTO hashed SELECT md5(g::text)::uuid, 'v' || g FROM generate_series(1, 300) g`);
    const schema = await adapter.introspect({ name: 'hashed' });
    const hasher = await createRowHasher();
    let total = 0n;
    for (let remainder = 0; remainder < 5; remainder++) {
      const range = { kind: 'hash' as const, modulus: 5, remainder };
      const n = await adapter.count(schema, range);
      total += n;
      for await (const batch of adapter.scan(schema, { range })) {
        for (const row of batch)
          expect(hasher.keyBucket(canonicalText(row.id, { kind: 'uuid' }), 5)).toBe(remainder);
      }
    }
    expect(total).toBe(300n);
  });

  it('native mode: equal tables hash equal, a changed value changes its bucket only', async () => {
    await db().query(
      `CREATE TABLE n1 (id bigint PRIMARY KEY, t text, x double precision, j json, ts timestamptz)`,
    );
    await db().query(`CREATE TABLE n2 (LIKE n1 INCLUDING ALL)`);
    const fill = `SELECT g, 't' || g, g / 7.0, json_build_object('g', g), timestamptz '2020-01-01' + g * interval '1 second' FROM generate_series(1, 1000) g`;
    await db().query(`INSERT INTO n1 ${fill}`);
    await db().query(`INSERT INTO n2 ${fill}`);
    await db().query(`UPDATE n2 SET t = 'changed' WHERE id = 500`);
    const s1 = await adapter.introspect({ name: 'n1' });
    const s2 = await adapter.introspect({ name: 'n2' });
    const plan: HashPlan = {
      key: ['id'],
      columns: ['t', 'x', 'j', 'ts'],
      mode: 'native',
      bucketing: { kind: 'int-range', column: 'id', start: 1n, width: 100n },
    };
    const a = await adapter.summarize(s1, plan);
    const b = await adapter.summarize(s2, plan);
    expect(a).toHaveLength(10);
    const differing = a.filter((x, i) => x.sum !== b[i]!.sum).map((x) => x.bucket);
    expect(differing).toEqual([4]);
    const keys1 = new Map<string, string>();
    for await (const batch of adapter.keyHashes(s1, plan, [4]))
      for (const k of batch) keys1.set(String(k.key[0]), k.hash);
    const keys2 = new Map<string, string>();
    for await (const batch of adapter.keyHashes(s2, plan, [4]))
      for (const k of batch) keys2.set(String(k.key[0]), k.hash);
    expect(keys1.size).toBe(100);
    expect([...keys1].filter(([k, h]) => keys2.get(k) !== h).map(([k]) => k)).toEqual(['500']);
  });

  it('splits text keys only where a COLLATE "C" index serves the byte-order ranges', async () => {
    await db().query(`CREATE TABLE sp_default (k text PRIMARY KEY, v int)`);
    await db().query(`CREATE TABLE sp_c (k text COLLATE "C" PRIMARY KEY, v int)`);
    await db().query(`CREATE TABLE sp_int (k int PRIMARY KEY, v int)`);
    for (const t of ['sp_default', 'sp_c', 'sp_int']) {
      const key = t === 'sp_int' ? 'g' : `lpad(g::text, 6, '0')`;
      await db().query(`INSERT INTO ${t} SELECT ${key}, g FROM generate_series(1, 5000) g`);
      await db().query(`ANALYZE ${t}`);
    }
    const counts: Record<string, number> = {};
    for (const t of ['sp_default', 'sp_c', 'sp_int']) {
      const schema = await adapter.introspect({ name: t });
      const ranges = await adapter.splits(schema, 4);
      let total = 0n;
      for (const range of ranges) total += await adapter.count(schema, range);
      expect(total).toBe(5000n);
      counts[t] = ranges.length;
    }
    // A default-collation index cannot serve COLLATE "C" ranges: four ranges would be four full scans.
    expect(counts).toEqual({ sp_default: 1, sp_c: 4, sp_int: 4 });
  });

  it('int-range drill-down returns exactly the rows of the asked buckets, down to the bigint edges', async () => {
    await db().query(`CREATE TABLE edges (id bigint PRIMARY KEY, v int)`);
    const keys = [
      -9223372036854775808n,
      -9223372036854775807n,
      -1000n,
      -8n,
      -7n,
      -6n,
      -5n,
      -1n,
      0n,
      1n,
      2n,
      9n,
      999n,
      9223372036854775806n,
      9223372036854775807n,
    ];
    await db().query(`INSERT INTO edges SELECT k, 1 FROM unnest($1::bigint[]) k`, [keys.map(String)]);
    const schema = await adapter.introspect({ name: 'edges' });
    // Bucket starts on both sides of zero and at the minimum, widths that keep bucket numbers small
    // (as the engine plans them) while key distances exceed 2^63.
    const cases = [
      { start: -9223372036854775808n, width: 2n ** 60n },
      { start: -5n, width: 2n ** 61n },
      { start: 5n, width: 2n ** 61n + 3n },
    ];
    for (const { start, width } of cases) {
      const bucketOf = (k: bigint) => {
        const d = k - start;
        return Number(d >= 0n ? d / width : -((-d + width - 1n) / width));
      };
      for (const mode of ['native', 'canonical'] as const) {
        const plan: HashPlan = {
          key: ['id'],
          columns: ['v'],
          mode,
          bucketing: { kind: 'int-range', column: 'id', start, width },
        };
        const summaries = await adapter.summarize(schema, plan);
        expect(summaries.map((x) => x.bucket).sort((a, b) => a - b)).toEqual(
          [...new Set(keys.map(bucketOf))].sort((a, b) => a - b),
        );
        for (const wanted of [
          summaries.map((x) => x.bucket),
          [bucketOf(0n), bucketOf(9223372036854775807n)],
        ]) {
          const got: string[] = [];
          for await (const batch of adapter.keyHashes(schema, plan, wanted))
            for (const k of batch) got.push(String(k.key[0]));
          const expected = keys.filter((k) => wanted.includes(bucketOf(k))).map(String);
          expect(got.sort()).toEqual(expected.sort());
        }
      }
    }
  });

  it('canonical policies (precision, padding, case) hash like the client', async () => {
    await db().query(`CREATE TABLE pol (id int PRIMARY KEY, c char(6), t text, ts timestamptz(6), tm time)`);
    await db().query(`INSERT INTO pol VALUES
      (1, 'ab', 'ÀbC', '2020-01-01 00:00:00.987654+00', '12:00:00.5'),
      (2, NULL, 'ǅ straße', '1960-01-01 00:00:00.000001+00', '00:00:00'),
      (3, '', '', '1969-12-31 23:59:59.999999+00', '23:59:59.999999')`);
    const schema = await adapter.introspect({ name: 'pol' });
    const hasher = await createRowHasher();
    const rows = [];
    for await (const b of adapter.scan(schema)) rows.push(...b);
    for (const columnOptions of [
      {},
      {
        c: { trimTrailingSpaces: true },
        t: { caseInsensitive: true },
        ts: { precision: 3 },
        tm: { precision: 0 },
      },
      { ts: { precision: 0 } },
    ] as Record<string, ColumnHashOptions>[]) {
      const plan: HashPlan = {
        key: ['id'],
        columns: ['c', 't', 'ts', 'tm'],
        columnOptions,
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 1 },
      };
      const expected = new Map(
        rows.map((r) => [String(r.id), hasher.digest(rowString(r, schema as TableSchema, plan))]),
      );
      const got = new Map<string, string>();
      for await (const batch of adapter.keyHashes(schema, plan, [0]))
        for (const k of batch) got.set(String(k.key[0]), k.hash);
      expect(got).toEqual(expected);
    }
  });

  it('ordered bucket digests equal the client-side ones, byte for byte', async () => {
    await db().query(`CREATE TABLE od (id bigint PRIMARY KEY, t text, n numeric(12,3), f float8,
      ts timestamptz, b bytea, u uuid, l int[], ok boolean NOT NULL)`);
    await db().query(`INSERT INTO od VALUES
      (-7, 'négatif', -1.500, '-0', '1969-12-31 23:59:59.999999+00', '\\x00ff', NULL, '{1,NULL}', true),
      (-1, NULL, NULL, 'NaN', NULL, NULL, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{}', false),
      (0, '', 0, 'Infinity', '2020-01-01 00:00:00+00', '\\x', NULL, NULL, true),
      (1, 'a|b\nc', 123456789.125, 1e-300, '2024-02-29 12:34:56.789012+00', NULL, NULL, '{3}', false),
      (2, 'ǅ straße 🚀', 1, 0.1, '1900-06-01 00:00:00+00', '\\x41', NULL, NULL, true),
      (5, 'x', 2.5, -2.5, 'infinity', NULL, NULL, NULL, true),
      (9223372036854775807, 'max', NULL, NULL, NULL, NULL, NULL, NULL, false)`);
    const schema = await adapter.introspect({ name: 'od' });
    const rows = [];
    for await (const batch of adapter.scan(schema, { ordered: true })) rows.push(...batch);
    for (const columnOptions of [{}, { ts: { precision: 3 } }] as Record<string, ColumnHashOptions>[]) {
      for (const [start, width] of [
        [0n, 3n],
        [-7n, 2n],
        [-9223372036854775808n, 2n ** 62n],
      ] as const) {
        const plan: HashPlan = {
          key: ['id'],
          columns: ['t', 'n', 'f', 'ts', 'b', 'u', 'l', 'ok'],
          columnOptions,
          mode: 'canonical',
          bucketing: { kind: 'int-range', column: 'id', start, width },
          bucketDigest: 'ordered',
        };
        const expected = await OrderedBucketAccumulator.create();
        for (const r of rows) {
          const d = BigInt(r.id as bigint) - start;
          const bucket = Number(d >= 0n ? d / width : -((-d + width - 1n) / width));
          expected.add(bucket, rowString(r, schema as TableSchema, plan));
        }
        expect(await adapter.summarize(schema, plan)).toEqual(expected.summaries());
      }
    }
    const native: HashPlan = {
      key: ['id'],
      columns: ['t'],
      mode: 'native',
      bucketing: { kind: 'int-range', column: 'id', start: 0n, width: 3n },
      bucketDigest: 'ordered',
    };
    await expect(adapter.summarize(schema, native)).rejects.toThrow(/canonical mode/);
  });

  it('works on an injected pool without closing it, and estimates counts', async () => {
    const pool = new pg.Pool({ connectionString: db().url, max: 2 });
    const injected = connectPostgres({ pool });
    const schema = await injected.introspect({ name: 'hashed' });
    await db().query('ANALYZE hashed');
    expect(await injected.estimateCount!(schema)).toBe(300n);
    await injected.close();
    const { rows } = await pool.query('SELECT 1 AS one');
    expect(rows[0].one).toBe(1);
    await pool.end();
  });

  it('decodes values exactly: µs instants, int8, numeric, intervals, json text, arrays of instants', async () => {
    await db().query(
      `CREATE TABLE vals (id int PRIMARY KEY, ts timestamptz, d date, i interval, n numeric, big int8, j jsonb, arr timestamptz[], ds date[])`,
    );
    await db()
      .query(`INSERT INTO vals VALUES (1, '0044-03-15 12:00:00.123456 BC', '12345-01-01', '1 year -2 days 03:00:00.000001',
      '1.500', 9223372036854775807, '{"b": 1.0, "a": "é"}', ARRAY['2020-01-01 00:00:00.000001+05'::timestamptz, NULL], '{infinity,2020-02-29}')`);
    const schema = await adapter.introspect({ name: 'vals' });
    const [row] = await adapter.lookup(schema, [[1]]);
    expect(row).toEqual({
      id: 1,
      ts: '-000043-03-15T12:00:00.123456Z',
      d: '+012345-01-01',
      i: '1 year -2 days +03:00:00.000001',
      n: '1.500',
      big: '9223372036854775807',
      j: '{"a": "é", "b": 1.0}',
      arr: ['2019-12-31T19:00:00.000001Z', null],
      ds: ['infinity', '2020-02-29'],
    });
    expect(canonicalText(row!.i, { kind: 'interval' })).toBe('12,-2,10800000001');
    // Values read back are valid input: a lookup by the decoded key finds the row.
    await db().query(`CREATE TABLE tskey (k timestamptz PRIMARY KEY)`);
    await db().query(
      `INSERT INTO tskey VALUES ('0044-03-15 12:00:00.123456 BC'), ('294276-12-31 23:59:59.999999+00')`,
    );
    const tsSchema = await adapter.introspect({ name: 'tskey' });
    const all = [];
    for await (const b of adapter.scan(tsSchema)) all.push(...b);
    expect(
      await adapter.lookup(
        tsSchema,
        all.map((r) => [r.k]),
      ),
    ).toHaveLength(2);
  });
});

describe('a backend terminated while its client is checked out between queries', () => {
  it('does not crash the process, through Kysely or connect(); the next query fails and the pool recovers', async () => {
    const adapter = connectPostgres({ url: db().url, maxConnections: 2 });
    const killer = new pg.Client({ connectionString: db().url });
    await killer.connect();
    // Node turns an 'error' event nobody listens to into an uncaught exception, which vitest reports
    // as a failure of this file: collect them here too, so the test names what went wrong.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const terminate = async (pid: number) => {
      await killer.query('SELECT pg_terminate_backend($1)', [pid]);
      // The FATAL message reaches the idle, checked-out client in the meantime.
      for (let i = 0; i < 100; i++) {
        const { rows } = await killer.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
        if (!rows.length) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 100));
    };
    try {
      // A client first created by Kysely (not by the adapter's connect()), held by a transaction.
      const inKysely = await adapter.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
          await terminate(rows[0]!.pid);
          await sql`SELECT 1`.execute(trx);
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(inKysely).toBeInstanceOf(Error);
      // The same through connect().
      const client = await adapter.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await terminate(rows[0]!.pid);
      const failed = await client.query('SELECT 1').then(
        () => undefined,
        (error: unknown) => error,
      );
      client.release(failed as Error);
      expect(failed).toBeInstanceOf(Error);
      expect(uncaught).toEqual([]);
      // Both broken clients were discarded: the pool serves working ones.
      expect(await adapter.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await killer.end();
      await adapter.close();
    }
  });
});
