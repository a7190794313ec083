import {
  columnsString,
  keyString,
  type CanonicalRow,
  type ColumnHashOptions,
  type HashPlan,
  type LogicalType,
  type Range,
  type TableSchema,
} from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectPostgres, type PostgresAdapter, type PostgresScanOptions } from '../src/index.js';
import { CanonicalCopyDecoder } from '../src/postgres-canonical-scan.js';

const db = useTestDatabase();

/** The plan over every column but the key, with options per column. */
function planOf(
  schema: TableSchema,
  columnOptions?: Record<string, ColumnHashOptions>,
  columns = schema.columns.map((c) => c.name).filter((c) => !schema.primaryKey.includes(c)),
): HashPlan {
  return {
    key: [...schema.primaryKey],
    columns,
    ...(columnOptions ? { columnOptions } : {}),
    mode: 'canonical',
    bucketing: { kind: 'key-hash', modulus: 16 },
  };
}

/** `schema` with some columns rendered as other logical types (as the diff engine coerces them). */
function coerced(schema: TableSchema, types: Record<string, LogicalType>): TableSchema {
  return {
    ...schema,
    columns: schema.columns.map((c) => (types[c.name] ? { ...c, type: types[c.name]! } : c)),
  };
}

async function canonicalRows(
  adapter: PostgresAdapter,
  table: TableSchema,
  plan: HashPlan,
  options: PostgresScanOptions,
): Promise<{ rows: CanonicalRow[]; sizes: number[] }> {
  const rows: CanonicalRow[] = [];
  const sizes: number[] = [];
  for await (const batch of adapter.canonicalScan(table, plan, options)) {
    sizes.push(batch.length);
    // Rows of earlier batches are kept until the end: their bytes must not be overwritten meanwhile.
    rows.push(...batch);
  }
  return { rows: rows.map(plainRow), sizes };
}

/**
 * {@link canonicalRows} through `packedCanonicalScan`: each batch's rows taken with `row(i)` before the
 * next batch is asked for, and its layout checked: row strings and newlines in `bytes`, key lengths,
 * and the integer keys of a single integer key.
 */
async function packedRows(
  adapter: PostgresAdapter,
  table: TableSchema,
  plan: HashPlan,
  options: PostgresScanOptions,
): Promise<{ rows: CanonicalRow[]; sizes: number[] }> {
  const rows: CanonicalRow[] = [];
  const sizes: number[] = [];
  const keyKind = table.columns.find((c) => c.name === plan.key[0])?.type.kind ?? '';
  const intKey = plan.key.length === 1 && ['int16', 'int32', 'int64'].includes(keyKind);
  for await (const batch of adapter.packedCanonicalScan(table, plan, options)) {
    sizes.push(batch.length);
    const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.length);
    expect(batch.offsets[0]).toBe(0);
    for (let i = 0; i < batch.length; i++) {
      const row = batch.row(i);
      const start = batch.offsets[i]!;
      const end = batch.offsets[i + 1]!;
      expect(bytes.toString('utf8', start, end)).toBe(`${row.rowText}\n`);
      expect(batch.keyLengths[i]).toBe(Buffer.byteLength(row.keyText, 'utf8'));
      expect(batch.intKeys !== undefined).toBe(intKey);
      if (batch.intKeys) {
        const v = Number(row.key[0]);
        expect(batch.intKeys[i]).toBe(row.key[0] !== null && Number.isSafeInteger(v) ? v : NaN);
      }
      rows.push(row);
    }
  }
  return { rows, sizes };
}

/** A canonical row as plain data; checks its bytes (when the COPY path gives them) are its row string's. */
function plainRow(row: CanonicalRow): CanonicalRow {
  if (row.rowBytes) expect(Buffer.from(row.rowBytes).toString('utf8')).toBe(row.rowText);
  return { keyText: row.keyText, rowText: row.rowText, key: row.key };
}

/** What the engine computes from `scan` (over the introspected schema) without `canonicalScan`. */
async function fromScan(
  adapter: PostgresAdapter,
  schema: TableSchema,
  hashTable: TableSchema,
  plan: HashPlan,
  options: PostgresScanOptions,
): Promise<CanonicalRow[]> {
  const out: CanonicalRow[] = [];
  for await (const rows of adapter.scan(schema, { ...options, columns: [...plan.key, ...plan.columns] })) {
    for (const row of rows) {
      const keyText = keyString(row, hashTable, plan);
      out.push({
        keyText,
        rowText: keyText + columnsString(row, hashTable, plan),
        key: plan.key.map((k) => row[k]),
      });
    }
  }
  return out;
}

const byRowText = (a: CanonicalRow, b: CanonicalRow) =>
  a.rowText < b.rowText ? -1 : a.rowText > b.rowText ? 1 : 0;

/**
 * Checks canonicalScan yields exactly what keyString/columnsString give over scan's rows (in order
 * when ordered, as a multiset otherwise), in full batches but the last; returns the rows.
 */
async function expectSameAsScan(
  adapter: PostgresAdapter,
  schema: TableSchema,
  plan: HashPlan,
  options: PostgresScanOptions = {},
  hashTable: TableSchema = schema,
): Promise<CanonicalRow[]> {
  const expected = await fromScan(adapter, schema, hashTable, plan, options);
  for (const [method, packed, copyFormat] of [
    ['auto', false, undefined],
    ['cursor', false, undefined],
    ['auto', true, 'binary'],
    ['auto', true, 'text'],
    ['cursor', true, undefined],
  ] as const) {
    const read = packed ? packedRows : canonicalRows;
    const format = copyFormat ? { copyFormat } : {};
    const { rows, sizes } = await read(adapter, hashTable, plan, { ...options, method, ...format });
    if (options.ordered) expect(rows).toStrictEqual(expected);
    else expect([...rows].sort(byRowText)).toStrictEqual([...expected].sort(byRowText));
    const batchRows = options.batchRows ?? 5_000;
    sizes.forEach((n, i) => {
      if (i < sizes.length - 1) expect(n).toBe(batchRows);
      else expect(n).toBeGreaterThan(0);
    });
  }
  return expected;
}

describe('canonicalScan renders what keyString/columnsString give over scan', () => {
  let adapter: PostgresAdapter;
  let schema: TableSchema;
  let hasCitext = false;
  const rowCount = 3006;

  beforeAll(async () => {
    adapter = connectPostgres({ url: db().url });
    try {
      await db().query('CREATE EXTENSION IF NOT EXISTS citext');
      hasCitext = true;
    } catch {
      // contrib not installed: no citext column
    }
    const version = Number((await db().query<{ v: string }>('SHOW server_version_num'))[0]!.v);
    const numericInfinity = version >= 140000;
    await db().query(`
      CREATE TYPE mood AS ENUM ('sad', 'ok', E'ha"p\\\\py\\t');
      CREATE TABLE hostile (
        id bigint PRIMARY KEY,
        i2 smallint, i4 integer, i8 bigint, o oid,
        n numeric, n2 numeric(12,2), f4 real, f8 double precision, b boolean,
        t text, vc varchar(20), ch char(5), nm name, e mood ${hasCitext ? ', ci citext' : ''},
        u uuid, d date, ts timestamp, ts0 timestamp(0), ts3 timestamp(3), tstz timestamptz, tstz2 timestamptz(2),
        by bytea, jb jsonb, m jsonb, j json, a_i4 integer[], a_t text[], iv interval, tm time(4), ip inet
      );
    `);
    const citext = (value: string) => (hasCitext ? `, ${value}` : '');
    await db().query(`INSERT INTO hostile (id) VALUES (1)`);
    await db().query(`
      INSERT INTO hostile VALUES
      (2, 1, 2, 3, 4, 6.5, 7.25, 8.5, 9.125, true, 'text', 'vc', 'ch', 'nm', 'ok' ${citext(`'CaSe'`)},
        'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '2020-02-29', '2020-01-02 03:04:05.678901',
        '2020-01-02 03:04:05.5', '2020-01-02 03:04:05.6789', '2020-01-02 03:04:05.678901+02',
        '2020-01-02 03:04:05.678+00', '\\x0102', '{"b": 1, "a": [1, 2.50]}', '{"b": 1, "a": 2}',
        '{"b": 1, "a": [1, 2.50]}', '{1,NULL,3}', '{a,"b c"}', '1 year 2 mons 3 days 04:05:06.789',
        '12:34:56.789', '192.168.0.1/24'),
      (3, -32768, -2147483648, -9223372036854775808, 4294967295,
        '-123456789012345678901234567890.123456789012345678901234567890', -9999999999.99, 'NaN', '-0', false,
        E'tab\\there\\nnewline\\rcr\\\\backslash\\\\N', '', 'ab', E'na\\\\me', E'ha"p\\\\py\\t'
        ${citext(`E'İSTANBUL\\t\\\\ '`)},
        '00000000-0000-0000-0000-000000000000', '0044-03-15 BC', '4713-01-01 00:00:00 BC',
        '0001-01-01 00:00:00 BC', '1500-06-01 12:00:00.999', '0001-01-01 00:00:00+00 BC', '294276-12-31 23:59:59.999999+00',
        (SELECT string_agg(set_byte('\\x00'::bytea, 0, g), ''::bytea ORDER BY g) FROM generate_series(0, 255) g),
        '{"b": "\\u00e9\\ud83d\\ude00\\n", "a": [1, 2.50, null], "a": "dup", "c": "\\\\"}', '{"b": "x"}',
        '{"b": "\\u00e9\\ud83d\\ude00\\n", "c": "\\\\"}', '{}', '{NULL,"NULL","","\\\\N"}',
        '-1 year -2 mons +3 days -04:05:06.789', '24:00:00', '::ffff:1.2.3.4/128'),
      (4, 32767, 2147483647, 9223372036854775807, 0, ${numericInfinity ? `'Infinity'` : `'NaN'`}, 0, 'Infinity',
        'NaN', true, '\\N', '\\N', '', '', 'sad' ${citext(`''`)}, 'ffffffff-ffff-ffff-ffff-ffffffffffff',
        'infinity', 'infinity', 'infinity', '-infinity', '-infinity', 'infinity', '', '[]', '{}', '"\\t"', '{}', '{}',
        '178000000 years', '00:00:00', '::'),
      (5, 0, 0, 0, 0, ${numericInfinity ? `'-Infinity'` : `'NaN'`}, 0.01, '-Infinity', '-Infinity', NULL,
        E'𝄞😀👨‍👩‍👧 \\x01\\b\\f\\x0b\\\\. ', ' ', ' ', ' ', NULL ${citext(`E'Σ \\u00DF  '`)}, NULL, '-infinity',
        '-infinity', '-infinity', 'infinity', 'infinity', '-infinity', '\\x', 'null', '[1]', 'null', '{NULL}', '{NULL}',
        '-00:00:00.000001', '23:59:59.99995', NULL),
      (6, NULL, NULL, NULL, NULL, 1e-30, 0.10, 1.17549435e-38, 5e-324, NULL, 'Trailing   ', 'MiXeD  ', 'x', NULL,
        NULL ${citext('NULL')}, NULL, '1969-12-31', '1969-12-31 23:59:59.999999', '1969-12-31 23:59:59.5',
        '1969-12-31 23:59:59.9995', '1969-12-31 23:59:59.999999+00', '1970-01-01 00:00:00.001+00', NULL,
        '1e400', '{"a": 9007199254740993, "b": -0}', '1E400', NULL, NULL, NULL, NULL, NULL)
    `);
    // Many rows: chunk boundaries fall inside characters and escapes, instants have 0–6 fractional
    // digits, floats short and long decimals, numerics every scale.
    await db().query(`
      INSERT INTO hostile (id, i4, i8, n, n2, f4, f8, b, t, vc, ch, ts, ts3, tstz, tstz2, d, by, u, m, jb)
      SELECT 100 + g, g, g::bigint * 1000003, (g * 1.000001)::numeric * (g % 3 - 1), (g % 1000) / 8.0,
             (g * 0.37)::real, CASE WHEN g % 2 = 0 THEN g * 0.1 ELSE (g * 0.6180339887)::float8 / 7 END,
             g % 3 = 0,
             repeat(E'é\\t\\\\' || chr(128512 + g % 80) || chr(65 + g % 26) || E'\\n ', g % 17) || repeat(' ', g % 3),
             left(md5(g::text), g % 20), chr(65 + g % 26),
             timestamp '2000-01-01' + g * interval '1.000001 second' * (g % 7) * 1013,
             timestamp '1900-01-01' + g * interval '3 days 0.001 second',
             timestamptz '2000-01-01 00:00:00+00' + g * interval '1 second' + (g % (10 ^ (g % 7))::int) * interval '1 microsecond',
             timestamptz '2100-01-01 00:00:00+00' - g * interval '37 days 0.01 second',
             date '2000-01-01' + g * 37 - 50000,
             decode(repeat(lpad(to_hex(g % 256), 2, '0'), g % 5), 'hex'),
             md5(g::text)::uuid,
             jsonb_build_object('k' || g % 5, g, 'z', -g),
             jsonb_build_object('k', repeat(chr(65536 + g), 3), 'g', g)
        FROM generate_series(1, 3000) g`);
    await db().query('ANALYZE hostile');
    schema = await adapter.introspect({ name: 'hostile' });
  });

  afterAll(async () => {
    await adapter.close();
  });

  it('every column, no options: full scans, ordered and unordered, small and large batches', async () => {
    const plan = planOf(schema);
    for (const batchRows of [1, 7, 1000, 10_000]) {
      const unordered = await expectSameAsScan(adapter, schema, plan, { batchRows });
      expect(unordered).toHaveLength(rowCount);
      await expectSameAsScan(adapter, schema, plan, { batchRows, ordered: true });
    }
  });

  it("PostgreSQL's output of the common types is rendered from the bytes, never through values", async () => {
    const decoders = new Set<CanonicalCopyDecoder>();
    const original = CanonicalCopyDecoder.prototype.take;
    const spy = vi.spyOn(CanonicalCopyDecoder.prototype, 'take').mockImplementation(function (
      this: CanonicalCopyDecoder,
      ...args: Parameters<CanonicalCopyDecoder['take']>
    ) {
      decoders.add(this);
      return original.apply(this, args);
    });
    try {
      const generic = new Set(['jb', 'm', 'j', 'a_i4', 'a_t', 'iv', 'tm', 'ip']);
      const plan = planOf(
        schema,
        { t: { trimTrailingSpaces: true }, vc: { caseInsensitive: true }, tstz: { precision: 3 } },
        schema.columns.map((c) => c.name).filter((c) => c !== 'id' && !generic.has(c)),
      );
      for (const ordered of [false, true]) {
        const rows = await expectSameAsScan(adapter, schema, plan, { batchRows: 700, ordered });
        expect(rows).toHaveLength(rowCount);
      }
      expect(decoders.size).toBeGreaterThan(0);
      expect([...decoders].reduce((n, d) => n + d.genericFields, 0)).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('column options: every compared precision, trailing spaces, case', async () => {
    const textColumns = ['t', 'vc', 'ch', 'nm', 'e', ...(hasCitext ? ['ci'] : [])];
    for (let precision = 0; precision <= 6; precision++) {
      const options: Record<string, ColumnHashOptions> = {};
      for (const c of ['ts', 'ts0', 'ts3', 'tstz', 'tstz2', 'tm']) options[c] = { precision };
      for (const [i, c] of textColumns.entries()) {
        options[c] = {
          trimTrailingSpaces: (i + precision) % 2 === 0,
          caseInsensitive: (i + precision) % 3 !== 0,
        };
      }
      await expectSameAsScan(adapter, schema, planOf(schema, options), { batchRows: 997 });
    }
    // Only some columns, in another order.
    await expectSameAsScan(
      adapter,
      schema,
      planOf(schema, { t: { trimTrailingSpaces: true, caseInsensitive: true } }, ['t', 'f8', 'tstz', 'n']),
      { batchRows: 500, ordered: true },
    );
  });

  it('a jsonb column compared as map<text,int>, and json as a list (coerced logical types)', async () => {
    const hashTable = coerced(schema, {
      m: { kind: 'map', key: { kind: 'text' }, value: { kind: 'int32' } },
      jb: { kind: 'list', element: { kind: 'text' } },
    });
    const rows = await expectSameAsScan(adapter, schema, planOf(schema), { batchRows: 1234 }, hashTable);
    expect(rows.some((r) => r.rowText.includes('|!'))).toBe(true); // stored JSON of another shape
    await expectSameAsScan(adapter, schema, planOf(schema), { batchRows: 50, ordered: true }, hashTable);
    // A jsonb key compared as a map: key order, pages and key ranges as scan reads them.
    await db().query(`
      CREATE TABLE jk (k jsonb PRIMARY KEY, v int);
      INSERT INTO jk SELECT jsonb_build_object('a', g, 'b', -g), g FROM generate_series(1, 200) g;
      ANALYZE jk`);
    const jk = await adapter.introspect({ name: 'jk' });
    const jkHash = coerced(jk, { k: { kind: 'map', key: { kind: 'text' }, value: { kind: 'int32' } } });
    // (No hash ranges: scan cannot hash a jsonb key in SQL either.)
    const ranges: (Range | undefined)[] = [undefined, ...(await adapter.splits(jk, 3))];
    for (const range of ranges) {
      const options = { batchRows: 7, ordered: true, ...(range ? { range } : {}) };
      await expectSameAsScan(adapter, jk, planOf(jk), options, jkHash);
    }
  });

  it('key ranges and hash ranges, ordered and unordered', async () => {
    const plan = planOf(schema);
    const splits = await adapter.splits(schema, 4);
    let total = 0;
    for (const range of splits)
      total += (await expectSameAsScan(adapter, schema, plan, { range, batchRows: 333 })).length;
    expect(total).toBe(rowCount);
    const ranges: Range[] = [
      { kind: 'key', lower: ['3'], upper: ['6'] },
      { kind: 'key', lower: ['2000'] },
      { kind: 'key', upper: ['-1'] },
      { kind: 'hash', modulus: 3, remainder: 0 },
      { kind: 'hash', modulus: 3, remainder: 2 },
    ];
    for (const range of ranges) {
      await expectSameAsScan(adapter, schema, plan, { range, batchRows: 50 });
      await expectSameAsScan(adapter, schema, plan, { range, batchRows: 3, ordered: true });
    }
  });

  it('yields the key values scan returns (int8 as text, int4 as numbers, text, timestamps)', async () => {
    await db().query(`
      CREATE TABLE ck (k text COLLATE "C", n int, at timestamptz, v text, PRIMARY KEY (k, n, at));
      INSERT INTO ck SELECT k, n, timestamptz '2020-01-01 00:00:00+00' + n * interval '1.5 second', k || n
        FROM unnest(ARRAY['', ' ', 'it''s', E'back\\\\slash', E'\\\\N', 'NULL', E'tab\\tnew\\nline', '𝄞 astral', 'é', 'E']) k,
             generate_series(-2, 2) n;
      CREATE TABLE ck_default (LIKE ck);
      ALTER TABLE ck_default ALTER COLUMN k TYPE text COLLATE "default", ADD PRIMARY KEY (k, n, at);
      INSERT INTO ck_default SELECT * FROM ck;
      CREATE TABLE one_int (id int PRIMARY KEY, v bigint);
      INSERT INTO one_int SELECT g, g * 3 FROM generate_series(-50, 50) g;
    `);
    // ck_default: no index in byte order, so ordered scans read one sorted statement, not pages.
    for (const name of ['ck', 'ck_default', 'one_int']) {
      const table = await adapter.introspect({ name });
      const plan = planOf(table);
      for (const batchRows of [1, 4, 100]) {
        const rows = await expectSameAsScan(adapter, table, plan, { batchRows, ordered: true });
        expect(rows.length).toBe(name === 'one_int' ? 101 : 50);
      }
      for (const range of await adapter.splits(table, 3)) {
        await expectSameAsScan(adapter, table, plan, { batchRows: 2, ordered: true, range });
      }
      await expectSameAsScan(adapter, table, planOf(table, undefined, []), { batchRows: 3 });
    }
    // int8 keys around and beyond 2^53: packed batches give NaN where a number would not be exact.
    await db().query(`
      CREATE TABLE big_int (id bigint PRIMARY KEY, v text);
      INSERT INTO big_int SELECT g, g::text FROM unnest(ARRAY[-9223372036854775808, -9007199254740993,
        -9007199254740992, -9007199254740991, -1, 0, 9007199254740991, 9007199254740992, 9007199254740993,
        9223372036854775807]::bigint[]) g;
    `);
    const big = await adapter.introspect({ name: 'big_int' });
    const bigRows = await expectSameAsScan(adapter, big, planOf(big), { batchRows: 4, ordered: true });
    expect(bigRows.map((r) => r.key[0])).toContain('9223372036854775807');
  });

  it('binary COPY renders generated numbers, floats, instants and dates as the text path does', async () => {
    // Varied scales and magnitudes (leading and trailing zero groups of numeric's base-10000 digits),
    // floats of every size, and instants and dates across and beyond the safe range of microseconds.
    await db().query(`
      CREATE TABLE gen_values (id int PRIMARY KEY, n numeric, n2 numeric(20, 6), f4 real, f8 float8,
        ts timestamp, tstz timestamptz(3), d date, b bool, by bytea, u uuid);
      INSERT INTO gen_values SELECT g,
        round((hashint4(g)::numeric * 10 ^ (g % 41 - 20))::numeric, (g % 30)),
        CASE WHEN g % 7 = 0 THEN NULL ELSE (hashint4(g * 3) % 100000000)::numeric / 10 ^ (g % 7) END,
        (hashint4(g * 5)::float8 * 10 ^ (g % 60 - 30))::real,
        hashint4(g * 7)::float8 * 10 ^ (g % 600 - 300) / 3,
        timestamp '2000-01-01' + hashint4(g * 11)::float8 * interval '1 microsecond' * (g % 5000),
        timestamptz '1970-01-01 00:00:00+00' + hashint4(g * 13)::float8 * interval '1 second' * (g % 80),
        date '2000-01-01' + (hashint4(g * 17) % 2000000),
        g % 3 = 0, decode(md5(g::text), 'hex'), md5(g::text)::uuid
      FROM generate_series(1, 3000) g;
      INSERT INTO gen_values (id, n, n2, f4, f8, ts, d) VALUES
        (-1, 0, 0, 0, '-0', '294276-12-31 23:59:59.999999', '5874897-12-31'),
        (-2, 'NaN', -0.000001, '-Infinity', 'NaN', '4713-01-01 00:00:00 BC', '4713-01-01 BC'),
        (-3, 1e-130, 99999999999999.999999, 1.17549435e-38, 5e-324, 'infinity', 'infinity'),
        (-4, -1e130, 10000, 3.4028235e38, 1.7976931348623157e308, '-infinity', '-infinity');
    `);
    const table = await adapter.introspect({ name: 'gen_values' });
    await expectSameAsScan(adapter, table, planOf(table), { batchRows: 512 });
    await expectSameAsScan(adapter, table, planOf(table), { batchRows: 100, ordered: true });
  });

  it('an abort mid-scan closes the connection; the source scans again afterwards', async () => {
    await db().query('CREATE TABLE many (id bigint PRIMARY KEY, v text, f float8)');
    await db().query(`INSERT INTO many SELECT g, repeat('x', 100), g / 3.0 FROM generate_series(1, 50000) g`);
    const pool = new pg.Pool({ connectionString: db().url, max: 1 });
    const single = connectPostgres({ pool });
    try {
      const table = await single.introspect({ name: 'many' });
      const plan = planOf(table);
      // Canonical rows (text COPY through pg-copy-streams) and packed batches (binary COPY read from
      // the socket by CopyFrameReader) alike.
      const scans = {
        canonicalScan: (o: PostgresScanOptions) => single.canonicalScan(table, plan, o),
        packedCanonicalScan: (o: PostgresScanOptions) => single.packedCanonicalScan(table, plan, o),
      };
      for (const scan of Object.values(scans)) {
        for (const ordered of [false, true]) {
          const controller = new AbortController();
          let seen = 0;
          await expect(
            (async () => {
              for await (const batch of scan({ batchRows: 1000, ordered, signal: controller.signal })) {
                seen += batch.length;
                controller.abort();
              }
            })(),
          ).rejects.toMatchObject({ name: 'AbortError' });
          expect(seen).toBe(1000);
        }
      }
      // A consumer that stops early (no abort) leaves the connection usable too.
      for await (const batch of single.canonicalScan(table, plan, { batchRows: 10 })) {
        expect(batch).toHaveLength(10);
        break;
      }
      for await (const batch of single.packedCanonicalScan(table, plan, { batchRows: 10 })) {
        expect(batch).toHaveLength(10);
        break;
      }
      // Near the end: the rest (under 1 MiB) is drained and the connection kept.
      for await (const batch of single.packedCanonicalScan(table, plan, { batchRows: 46000 })) {
        expect(batch).toHaveLength(46000);
        break;
      }
      // The server ends the backend mid-COPY: the scan fails with the connection's error, never hangs.
      await expect(
        (async () => {
          let first = true;
          for await (const batch of single.packedCanonicalScan(table, plan, { batchRows: 100 })) {
            expect(batch.length).toBe(100);
            if (first) {
              first = false;
              await db().query(
                `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT%' AND pid <> pg_backend_pid()`,
              );
            }
          }
        })(),
      ).rejects.toThrow(/terminat|connection|closed/i);
      const again = await expectSameAsScan(single, table, plan, { batchRows: 4096 });
      expect(again).toHaveLength(50000);
      const ordered = await canonicalRows(single, table, plan, { ordered: true, batchRows: 7000 });
      expect(ordered.rows.map((r) => r.key[0])).toStrictEqual(
        Array.from({ length: 50000 }, (_, i) => String(i + 1)),
      );
    } finally {
      await pool.end();
    }
  });
});
