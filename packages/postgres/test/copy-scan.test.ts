import type { Range, Row, TableSchema } from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { connectPostgres, type PostgresAdapter, type PostgresScanOptions } from '../src/index.js';

const db = useTestDatabase();

async function collect(
  adapter: PostgresAdapter,
  schema: TableSchema,
  options: PostgresScanOptions,
): Promise<{ rows: Row[]; sizes: number[] }> {
  const rows: Row[] = [];
  const sizes: number[] = [];
  for await (const batch of adapter.scan(schema, options)) {
    sizes.push(batch.length);
    rows.push(...batch);
  }
  return { rows, sizes };
}

function byKey(rows: Row[], key: string): Row[] {
  return [...rows].sort((a, b) => {
    const x = BigInt(a[key] as string);
    const y = BigInt(b[key] as string);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Scans once per path and checks COPY yields exactly the cursor's rows (and full batches). */
async function expectSamePaths(
  adapter: PostgresAdapter,
  schema: TableSchema,
  options: PostgresScanOptions,
  sortKey?: string,
): Promise<Row[]> {
  const copy = await collect(adapter, schema, { ...options, method: 'copy' });
  const cursor = await collect(adapter, schema, { ...options, method: 'cursor' });
  if (options.ordered || !sortKey) expect(copy.rows).toStrictEqual(cursor.rows);
  else expect(byKey(copy.rows, sortKey)).toStrictEqual(byKey(cursor.rows, sortKey));
  const batchRows = options.batchRows ?? 5_000;
  copy.sizes.forEach((n, i) => {
    if (i < copy.sizes.length - 1) expect(n).toBe(batchRows);
    else expect(n).toBeGreaterThan(0);
  });
  return copy.rows;
}

/** Backends other than the caller's still running a COPY. */
async function copyBackends(): Promise<number> {
  const [row] = await db().query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'COPY (%'
        AND state <> 'idle'`,
  );
  return Number(row?.n ?? 0);
}

/** Waits (polling, no timing asserted) until no backend runs a COPY any more. */
async function expectNoCopyBackend(): Promise<void> {
  for (let i = 0; i < 200 && (await copyBackends()) > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(await copyBackends()).toBe(0);
}

describe('COPY scans yield exactly what the cursor yields', () => {
  let adapter: PostgresAdapter;
  let schema: TableSchema;
  let rowCount = 0;

  beforeAll(async () => {
    adapter = connectPostgres({ url: db().url });
    const version = Number((await db().query<{ v: string }>('SHOW server_version_num'))[0]!.v);
    const optional: string[] = [];
    try {
      await db().query(`SELECT '<a b="1">x</a>'::xml`);
      optional.push('x xml');
    } catch {
      // built without libxml: no xml column
    }
    try {
      await db().query('CREATE EXTENSION IF NOT EXISTS citext');
      optional.push('ci citext', 'a_ci citext[]');
    } catch {
      // contrib not installed
    }
    const numericInfinity = version >= 140000;
    await db().query(`
      CREATE TYPE mood AS ENUM ('sad', 'ok', E'ha"p\\\\py\\t');
      CREATE DOMAIN pos AS integer CHECK (VALUE >= 0);
      CREATE DOMAIN tags AS text[];
      CREATE TABLE everything (
        id bigint PRIMARY KEY,
        i2 smallint, i4 integer, i8 bigint, o oid, dom pos,
        n numeric, n2 numeric(12,2), f4 real, f8 double precision,
        b boolean, t text, vc varchar(20), ch char(5), nm name, qc "char",
        mac macaddr, mac8 macaddr8, bt bit(4), vb varbit, e mood,
        by bytea, u uuid, d date, tm time, tm3 time(3), ts timestamp, tstz timestamptz, tstz0 timestamptz(0),
        iv interval, j json, jb jsonb, ip inet, cd cidr,
        a_i4 integer[], a_i8 bigint[], a_i2 smallint[], a_t text[], a_n numeric[], a_f8 float8[], a_f4 real[],
        a_b bool[], a_by bytea[], a_d date[], a_ts timestamp[], a_tstz timestamptz[], a_iv interval[],
        a_u uuid[], a_ip inet[], a_cd cidr[], a_j json[], a_jb jsonb[], a_e mood[], a_ch char(3)[],
        a_vc varchar(10)[], a_tm time[], a_o oid[], a_dom tags
        ${optional.map((c) => `, ${c}`).join('')}
      );
    `);
    const hasXml = optional.includes('x xml');
    const hasCitext = optional.includes('ci citext');
    // Row 1: every column NULL. Row 2: ordinary values. Rows 3–5: hostile values.
    await db().query(`INSERT INTO everything (id) VALUES (1)`);
    await db().query(`
      INSERT INTO everything VALUES (
        2, 1, 2, 3, 4, 5, 6.5, 7.25, 8.5, 9.125, true, 'text', 'vc', 'ch', 'nm', 'q',
        '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', B'1010', B'101', 'ok',
        '\\x0102', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '2020-02-29', '12:34:56.789012', '12:34:56.789',
        '2020-01-02 03:04:05.678901', '2020-01-02 03:04:05.678901+02', '2020-01-02 03:04:05.6+00',
        '1 year 2 mons 3 days 04:05:06.789', '{"b": 1, "a": [1, 2.50]}', '{"b": 1, "a": [1, 2.50]}',
        '192.168.0.1/24', '10.0.0.0/8',
        '{1,2}', '{3}', '{4}', '{a,b}', '{1.5}', '{0.1}', '{0.5}', '{t}', '{"\\\\x00"}', '{2020-01-01}',
        '{"2020-01-01 00:00:00"}', '{"2020-01-01 00:00:00+00"}', '{"1 day"}',
        '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{::1}', '{10.0.0.0/8}', '{"{}"}', '{"[]"}', '{ok}', '{abc}',
        '{x}', '{00:00:01}', '{7}', '{z}'
        ${hasXml ? `, '<a/>'` : ''}${hasCitext ? `, 'CaSe', '{A,b}'` : ''}
      )`);
    await db().query(
      `
      INSERT INTO everything (id, i2, i4, i8, o, dom, n, n2, f4, f8, b, t, vc, ch, nm, qc, mac, mac8, bt, vb, e,
        by, u, d, tm, tm3, ts, tstz, tstz0, iv, j, jb, ip, cd,
        a_i4, a_i8, a_i2, a_t, a_n, a_f8, a_f4, a_b, a_by, a_d, a_ts, a_tstz, a_iv, a_u, a_ip, a_cd, a_j, a_jb,
        a_e, a_ch, a_vc, a_tm, a_o, a_dom${hasXml ? ', x' : ''}${hasCitext ? ', ci, a_ci' : ''})
      VALUES
      (3, -32768, -2147483648, -9223372036854775808, 4294967295, 0,
        '-123456789012345678901234567890.123456789012345678901234567890', -9999999999.99, 'NaN', '-0', false,
        E'tab\\there\\nnewline\\rcr\\\\backslash\\\\N', '', 'ab', E'na\\\\me', E'\\\\', 'ff:ff:ff:ff:ff:ff',
        'ff:ff:ff:ff:ff:ff:ff:ff', B'0000', B'', E'ha"p\\\\py\\t',
        (SELECT string_agg(set_byte('\\x00'::bytea, 0, g), ''::bytea ORDER BY g) FROM generate_series(0, 255) g),
        '00000000-0000-0000-0000-000000000000', '0044-03-15 BC', '24:00:00', '23:59:59.999',
        '4713-01-01 00:00:00 BC', '0001-01-01 00:00:00+00 BC', '294276-12-31 23:59:59+00',
        '-1 year -2 mons +3 days -04:05:06.789',
        '{"b": "\\u00e9\\ud83d\\ude00\\n", "a": [1, 2.50, null], "a": "dup", "c": "\\\\"}',
        '{"b": "\\u00e9\\ud83d\\ude00\\n", "a": [1, 2.50, null], "a": "dup", "c": "\\\\"}',
        '::ffff:1.2.3.4/128', '2001:db8::/32',
        '{{1,NULL},{3,4}}', '[0:1]={5,6}', '{{{1}}}',
        $1::text[], $2::numeric[], '{NaN,-Infinity,Infinity,-0,1e-310,0.1,1.7976931348623157e308}',
        '{NaN,-Infinity,1.17549435e-38,3.4028235e38}', '{t,f,NULL}', $3::bytea[],
        '{infinity,-infinity,"0044-03-15 BC",5874897-12-31}',
        '{infinity,"4713-01-01 00:00:00 BC","2020-01-01 00:00:00.000001"}',
        '{-infinity,"0001-01-01 00:00:00+00 BC"}', '{"-1 day -00:00:00.000001","178000000 years",NULL}',
        '{NULL,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{::ffff:1.2.3.4,10.0.0.1/8}', '{::/0}',
        ARRAY['{"k": "v\\"q\\\\"}', '[1, "\\u00e9", "\\ud83d\\ude00"]']::json[],
        ARRAY['{"k": "v\\"q\\\\"}', '[1, "\\u00e9", "\\ud83d\\ude00"]']::jsonb[],
        ARRAY['sad', E'ha"p\\\\py\\t', NULL]::mood[], '{a,NULL,"b  "," "}', $4::varchar(10)[], '{24:00:00}',
        '{0,4294967295}', $5::text[]
        ${hasXml ? `, '<a b="1&amp;">x\ty</a>'` : ''}${hasCitext ? `, E'C\\ta\\\\se', '{NULL,"q\\"",""}'` : ''}),
      (4, 32767, 2147483647, 9223372036854775807, 0, 2147483647,
        ${numericInfinity ? `'Infinity'` : `'NaN'`}, 0, 'Infinity', 'NaN', true,
        '\\N', '\\N', '', '', '', NULL, NULL, B'1111', B'1', 'sad', '', NULL, 'infinity', '00:00:00', '00:00:00',
        'infinity', 'infinity', '-infinity', '-00:00:00.000001', '[]', '{}', NULL, NULL,
        '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}',
        '{}', '{}', '{}', '{}', '{}', '{}'${hasXml ? `, ''` : ''}${hasCitext ? `, '', '{}'` : ''}),
      (5, 0, 0, 0, 0, 0, ${numericInfinity ? `'-Infinity'` : `'NaN'`}, 0.01, '-Infinity', '-Infinity', NULL,
        E'𝄞😀👨‍👩‍👧 \\x01\\b\\f\\x0b\\\\.', ' ', ' ', ' ', ' ', NULL, NULL, NULL, NULL, NULL,
        '\\x', NULL, '-infinity', NULL, NULL, '-infinity', '-infinity', 'infinity', '178000000 years',
        '"\\u0000 is not here but \\t is"', '"\\t"', NULL, NULL,
        '{NULL}', '{NULL,NULL}', NULL, '{NULL,"NULL",""}', '{NULL}', NULL, NULL, NULL, '{NULL}', NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, '{NULL}', '{NULL}', '{NULL}', '{NULL}', NULL, NULL, NULL, '{}'
        ${hasXml ? `, NULL` : ''}${hasCitext ? `, NULL, NULL` : ''})
    `,
      [
        ['a"b', 'c\\d', 'NULL', null, '', '{}', ',', 'tab\there', 'new\nline', '𝄞', ' spaced ', '\\N', 'x}y'],
        [
          'NaN',
          '1e-20',
          '123456789012345678901234567890.5',
          ...(numericInfinity ? ['Infinity', '-Infinity'] : []),
        ],
        ['\\x00ff', '\\x', null, '\\x5c6e'],
        ['a"b\\c', null, ''],
        ['{', '}', 'a,b', '"', '\\', 'NULL', '\\N', '\r\n'],
      ],
    );
    // Many rows of multibyte and escaped text, so chunk boundaries fall inside characters and escapes.
    await db().query(`
      INSERT INTO everything (id, i4, t, n, f8, tstz, by, a_t, j)
      SELECT 100 + g, g, repeat(E'é\\t\\\\' || chr(128512 + g % 80) || chr(65 + g % 26) || E'\\n', g % 37),
             (g * 1.000001)::numeric, g * 0.1, timestamptz '2000-01-01 00:00:00+00' + g * interval '1.000001 second',
             decode(repeat(lpad(to_hex(g % 256), 2, '0'), g % 5), 'hex'),
             ARRAY[chr(128512 + g % 64), E'\\\\' || g, NULL],
             json_build_object('k', repeat(chr(65536 + g), 3), 'g', g)
        FROM generate_series(1, 3000) g`);
    await db().query('ANALYZE everything');
    rowCount = 3005;
    schema = await adapter.introspect({ name: 'everything' });
  });

  afterAll(async () => {
    await adapter.close();
  });

  it('full scans, unordered and ordered, with small and large batches', async () => {
    expect(schema.columns.length).toBeGreaterThanOrEqual(58);
    for (const batchRows of [7, 1000, 10_000]) {
      const unordered = await expectSamePaths(adapter, schema, { batchRows }, 'id');
      expect(unordered).toHaveLength(rowCount);
      const ordered = await expectSamePaths(adapter, schema, { batchRows, ordered: true });
      expect(ordered.map((r) => r.id)).toStrictEqual(byKey(ordered, 'id').map((r) => r.id));
    }
    // One row per batch (and per page, for the first ordered pages) over the hostile rows.
    const hostile: Range = { kind: 'key', upper: ['150'] };
    await expectSamePaths(adapter, schema, { batchRows: 1, range: hostile }, 'id');
    await expectSamePaths(adapter, schema, { batchRows: 1, range: hostile, ordered: true });
  });

  it('decodes hostile values as the cursor does (spot checks)', async () => {
    const { rows } = await collect(adapter, schema, { method: 'copy', ordered: true, batchRows: 5 });
    const row = (id: string) => rows.find((r) => r.id === id)!;
    expect(row('1').t).toBeNull();
    expect(row('3').t).toBe('tab\there\nnewline\rcr\\backslash\\N');
    expect(row('4').t).toBe('\\N');
    expect(row('4').vc).toBe('\\N');
    expect(row('5').t).toBe('𝄞😀👨‍👩‍👧 \u0001\b\f\v\\.');
    expect(row('3').by).toStrictEqual(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    expect(row('3').a_t).toStrictEqual([
      ...['a"b', 'c\\d', 'NULL', null, '', '{}', ',', 'tab\there', 'new\nline', '𝄞', ' spaced ', '\\N'],
      'x}y',
    ]);
    expect(row('3').a_i4).toStrictEqual([
      [1, null],
      [3, 4],
    ]);
    expect(Object.is(row('3').f8, -0)).toBe(true);
    expect(row('3').d).toBe('-000043-03-15');
    expect(row('4').d).toBe('infinity');
  });

  it('key ranges from splits and hand-made bounds, and hash ranges', async () => {
    const ranges: Range[] = [
      ...(await adapter.splits(schema, 4)),
      { kind: 'key', lower: ['3'], upper: ['5'] },
      { kind: 'key', lower: ['2000'] },
      { kind: 'key', upper: ['-1'] },
      { kind: 'hash', modulus: 3, remainder: 0 },
      { kind: 'hash', modulus: 3, remainder: 2 },
    ];
    let total = 0;
    for (const range of ranges.slice(0, -5)) {
      total += (await expectSamePaths(adapter, schema, { range, batchRows: 333 }, 'id')).length;
    }
    expect(total).toBe(rowCount);
    for (const range of ranges.slice(-5)) {
      await expectSamePaths(adapter, schema, { range, batchRows: 50 }, 'id');
      await expectSamePaths(adapter, schema, { range, batchRows: 50, ordered: true });
    }
  });

  it('returns only the asked columns (and the key)', async () => {
    const rows = await expectSamePaths(adapter, schema, { columns: ['t', 'a_jb'], batchRows: 500 }, 'id');
    expect(Object.keys(rows[0]!)).toStrictEqual(['id', 't', 'a_jb']);
    await expectSamePaths(adapter, schema, { columns: ['by'], batchRows: 3, ordered: true });
  });
});

describe('COPY scans over unusual keys', () => {
  let adapter: PostgresAdapter;
  const keys = [
    '',
    ' ',
    "it's",
    'back\\slash',
    '\\N',
    'NULL',
    'tab\tnew\nline',
    '𝄞 astral',
    'é',
    'E',
    'e',
    'Z',
    '{}',
    '"',
  ];

  beforeAll(async () => {
    adapter = connectPostgres({ url: db().url });
    await db().query(`
      CREATE TABLE tk (k text, n int, v text, PRIMARY KEY (k, n));
      CREATE TABLE tkc (k text COLLATE "C", n int, v text, PRIMARY KEY (k, n));
      CREATE TABLE odd_keys (kb bytea, kt timestamptz, kn numeric, v int, PRIMARY KEY (kb, kt, kn));
      CREATE TYPE level AS ENUM ('low', 'high');
      CREATE TABLE ek (k level, n int, PRIMARY KEY (k, n));
    `);
    for (const table of ['tk', 'tkc']) {
      await db().query(
        `INSERT INTO ${table} SELECT k, n, k || n FROM unnest($1::text[]) k, generate_series(1, 3) n`,
        [keys],
      );
    }
    await db().query(`
      INSERT INTO odd_keys
      SELECT kb, kt, kn, row_number() OVER ()
        FROM unnest(ARRAY['\\x'::bytea, '\\x00', '\\x5c4e', '\\xff']) kb,
             unnest(ARRAY['-infinity', '0044-03-15 00:00:00+00 BC', '2020-01-01 00:00:00.000001+00', 'infinity']::timestamptz[]) kt,
             unnest(ARRAY['NaN', '-1.50', '1e-30', '0']::numeric[]) kn;
      INSERT INTO ek SELECT k, n FROM unnest(enum_range(NULL::level)) k, generate_series(1, 4) n;
    `);
  });

  afterAll(async () => {
    await adapter.close();
  });

  it('pages ordered scans by hostile text keys, with and without a byte-order index', async () => {
    for (const name of ['tk', 'tkc', 'ek']) {
      const schema = await adapter.introspect({ name });
      for (const batchRows of [1, 2, 5, 100]) {
        const rows = await expectSamePaths(adapter, schema, { ordered: true, batchRows });
        expect(rows).toHaveLength(name === 'ek' ? 8 : keys.length * 3);
      }
      for (const range of await adapter.splits(schema, 3)) {
        await expectSamePaths(adapter, schema, { ordered: true, batchRows: 2, range });
      }
    }
    const tkc = await adapter.introspect({ name: 'tkc' });
    await expectSamePaths(adapter, tkc, {
      ordered: true,
      batchRows: 2,
      range: { kind: 'key', lower: ["it's", 2], upper: ['𝄞 astral', 1] },
    });
    await expectSamePaths(adapter, tkc, {
      ordered: true,
      batchRows: 3,
      range: { kind: 'key', lower: ['back\\slash', 1] },
    });
  });

  it('pages ordered scans by bytea, timestamptz and numeric keys (NaN, ±infinity, BC)', async () => {
    const schema = await adapter.introspect({ name: 'odd_keys' });
    for (const batchRows of [1, 3, 64]) {
      const rows = await expectSamePaths(adapter, schema, { ordered: true, batchRows });
      expect(rows).toHaveLength(64);
    }
    await expectSamePaths(adapter, schema, {
      ordered: true,
      batchRows: 2,
      range: { kind: 'hash', modulus: 2, remainder: 1 },
    });
  });
});

describe('stopping a COPY scan', () => {
  it('an abort closes the connection; the source scans again afterwards', async () => {
    await db().query('CREATE TABLE many (id int PRIMARY KEY, v text)');
    await db().query(`INSERT INTO many SELECT g, repeat('x', 100) FROM generate_series(1, 50000) g`);
    const pool = new pg.Pool({ connectionString: db().url, max: 1 });
    const adapter = connectPostgres({ pool });
    try {
      const schema = await adapter.introspect({ name: 'many' });
      const controller = new AbortController();
      let seen = 0;
      await expect(
        (async () => {
          for await (const batch of adapter.scan(schema, {
            method: 'copy',
            batchRows: 1000,
            signal: controller.signal,
          })) {
            seen += batch.length;
            controller.abort();
          }
        })(),
      ).rejects.toMatchObject({ name: 'AbortError' });
      expect(seen).toBe(1000);
      await expectNoCopyBackend();
      const again = await collect(adapter, schema, { method: 'copy', batchRows: 4096 });
      expect(again.rows).toHaveLength(50000);
      const ordered = await collect(adapter, schema, { method: 'copy', ordered: true, batchRows: 7000 });
      expect(ordered.rows.map((r) => r.id)).toStrictEqual(Array.from({ length: 50000 }, (_, i) => i + 1));
    } finally {
      await pool.end();
    }
  });

  it('an abort while waiting for the server closes the connection', async () => {
    await db().query(`CREATE VIEW slow AS
      SELECT g AS id, CASE WHEN pg_sleep(0.002) IS NULL THEN 'x' ELSE repeat('y', 200) END AS v
        FROM generate_series(1, 5000) g`);
    const pool = new pg.Pool({ connectionString: db().url, max: 1 });
    const adapter = connectPostgres({ pool });
    try {
      const schema = await adapter.introspect({ name: 'slow' }, { key: ['id'] });
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 50);
      await expect(
        collect(adapter, schema, { method: 'copy', batchRows: 10_000, signal: controller.signal }),
      ).rejects.toMatchObject({ name: 'AbortError' });
      clearTimeout(timer);
      await expectNoCopyBackend();
      const [row] = await adapter.query<{ n: number }>('SELECT 1 AS n');
      expect(row?.n).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('a consumer stopping near the end keeps the connection; far from it, closes it', async () => {
    await db().query('CREATE TABLE few (id int PRIMARY KEY, v text)');
    await db().query(`INSERT INTO few SELECT g, repeat('y', 100) FROM generate_series(1, 3000) g`);
    const pool = new pg.Pool({ connectionString: db().url, max: 1 });
    const adapter = connectPostgres({ pool });
    const pid = async () => (await adapter.query<{ p: number }>('SELECT pg_backend_pid() AS p'))[0]!.p;
    try {
      const few = await adapter.introspect({ name: 'few' });
      const before = await pid();
      for (const ordered of [false, true]) {
        for await (const batch of adapter.scan(few, { method: 'copy', batchRows: 2900, ordered })) {
          expect(batch).toHaveLength(2900);
          break;
        }
        expect(await pid()).toBe(before);
      }
      const many = await adapter.introspect({ name: 'many' });
      for await (const batch of adapter.scan(many, { method: 'copy', batchRows: 100 })) {
        expect(batch).toHaveLength(100);
        break;
      }
      const after = await pid();
      expect(after).not.toBe(before);
      await expectNoCopyBackend();
      // Idle, outside any transaction.
      const [state] = await adapter.query<{ s: string }>(
        `SELECT CASE WHEN now() = statement_timestamp() THEN 'idle' ELSE 'in transaction' END AS s`,
      );
      expect(state?.s).toBe('idle');
    } finally {
      await pool.end();
    }
  });

  it("reports the server's error mid-COPY and keeps the connection", async () => {
    await db().query(`CREATE VIEW failing AS
      SELECT g AS id, CASE WHEN g = 20000 THEN (1 / (g - g))::text ELSE repeat('z', 50) END AS v
        FROM generate_series(1, 30000) g`);
    const pool = new pg.Pool({ connectionString: db().url, max: 1 });
    const adapter = connectPostgres({ pool });
    try {
      const schema = await adapter.introspect({ name: 'failing' }, { key: ['id'] });
      const before = (await adapter.query<{ p: number }>('SELECT pg_backend_pid() AS p'))[0]!.p;
      let seen = 0;
      await expect(
        (async () => {
          for await (const batch of adapter.scan(schema, { batchRows: 1000 })) seen += batch.length;
        })(),
      ).rejects.toMatchObject({ code: '22012' });
      expect(seen).toBeLessThan(20000);
      const after = (await adapter.query<{ p: number }>('SELECT pg_backend_pid() AS p'))[0]!.p;
      expect(after).toBe(before);
    } finally {
      await pool.end();
    }
  });
});

describe('COPY scans, odd shapes', () => {
  it('names columns like node-pg does, __proto__ and integer-like names included', async () => {
    await db().query(`CREATE TABLE odd_names ("__proto__" text, "2" int, "constructor" text, "toString" int,
      "a""b" text, " " text, id int PRIMARY KEY)`);
    await db().query(
      `INSERT INTO odd_names VALUES ('p', 2, 'c', 3, 'q', 'empty', 1), (NULL, NULL, NULL, NULL, NULL, NULL, 2)`,
    );
    const adapter = connectPostgres({ url: db().url });
    try {
      const schema = await adapter.introspect({ name: 'odd_names' });
      const rows = await expectSamePaths(adapter, schema, { ordered: true, batchRows: 1 });
      expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
      expect(Object.keys(rows[0]!)).toStrictEqual([
        '2',
        '__proto__',
        'constructor',
        'toString',
        'a"b',
        ' ',
        'id',
      ]);
      expect(Object.getOwnPropertyDescriptor(rows[0], '__proto__')?.value).toBe('p');
    } finally {
      await adapter.close();
    }
  });

  it('falls back to the cursor when the client cannot stream COPY (auto), refuses with copy', async () => {
    await db().query('CREATE TABLE plain (id int PRIMARY KEY, v text)');
    await db().query(`INSERT INTO plain SELECT g, 'v' || g FROM generate_series(1, 10) g`);
    // A pool whose clients look like pg-native's to the adapter (no socket), working otherwise.
    class SocketlessPool extends pg.Pool {
      override async connect(): Promise<pg.PoolClient> {
        const client = await super.connect();
        return new Proxy(client, {
          get(target, property) {
            if (property === 'connection') return {};
            const value = Reflect.get(target, property, target) as unknown;
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        });
      }
    }
    const pool = new SocketlessPool({ connectionString: db().url, max: 2 });
    const adapter = connectPostgres({ pool });
    try {
      const schema = await adapter.introspect({ name: 'plain' });
      const auto = await collect(adapter, schema, { batchRows: 4 });
      expect(byKey(auto.rows, 'id').map((r) => r.id)).toHaveLength(10);
      expect(auto.rows).toStrictEqual(
        (await collect(adapter, schema, { batchRows: 4, method: 'cursor' })).rows,
      );
      await expect(collect(adapter, schema, { method: 'copy' })).rejects.toBeInstanceOf(CdcError);
    } finally {
      await pool.end();
    }
  });

  it('reports a connection lost mid-COPY; the source scans again afterwards', async () => {
    const adapter = connectPostgres({ url: db().url });
    try {
      const schema = await adapter.introspect({ name: 'many' });
      let seen = 0;
      await expect(
        (async () => {
          for await (const batch of adapter.scan(schema, { method: 'copy', batchRows: 1000 })) {
            if (seen === 0) {
              await db().query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND query LIKE 'COPY (%' AND pid <> pg_backend_pid()`);
            }
            seen += batch.length;
          }
        })(),
      ).rejects.toThrow();
      expect(seen).toBeLessThan(50000);
      expect((await collect(adapter, schema, { method: 'copy', batchRows: 5000 })).rows).toHaveLength(50000);
    } finally {
      await adapter.close();
    }
  });
});
