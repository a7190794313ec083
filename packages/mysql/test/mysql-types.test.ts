/**
 * Every MariaDB type cdc reads, against a real server: introspection, exact values through scans, and
 * in-database canonical hashing (MD5 over canonical text built in SQL) byte for byte equal to the
 * client's — column by column, with comparison policies, for key-hash and int-range buckets, and for
 * ordered bucket digests. Floats get a property test over random bit patterns (subnormals included).
 */
import {
  OrderedBucketAccumulator,
  addHashes,
  canonicalText,
  compareKeys,
  createRowHasher,
  keyString,
  rowString,
  type ColumnHashOptions,
  type HashPlan,
  type Row,
  type TableSchema,
} from '@cdc/core';
import fc from 'fast-check';
import * as mysql2 from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMysql, mysqlSql, type MysqlAdapter } from '../src/index.js';
import { EVERY_TYPE_COLUMNS, KEY, TABLE_NAME, VALUE_COLUMNS, everyTypeRows } from './every-type-table.js';
import { mysqlSkipReason, useMysqlTestDatabase } from './mysql-test-database.js';

const skip = mysqlSkipReason();
const db = useMysqlTestDatabase('cdc_types');
const ROWS = everyTypeRows(120);

async function scanAll(source: MysqlAdapter, schema: TableSchema, ordered = false): Promise<Row[]> {
  const out: Row[] = [];
  for await (const batch of source.scan(schema, { batchRows: 37, ordered })) out.push(...batch);
  return out;
}

async function clientSum(schema: TableSchema, rows: Row[], plan: HashPlan): Promise<bigint> {
  const hasher = await createRowHasher();
  return rows.reduce(
    (sum, row) => addHashes(sum, hasher.rowHash(hasher.digest(rowString(row, schema, plan)))),
    0n,
  );
}

describe.skipIf(skip !== undefined)(`MariaDB types${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let source: MysqlAdapter;
  let schema: TableSchema;
  let rows: Row[];

  beforeAll(async () => {
    const id = await db().createTable(TABLE_NAME, EVERY_TYPE_COLUMNS, [KEY], ROWS);
    source = await connectMysql({ url: db().url, driver: mysql2 });
    schema = await source.introspect(id);
    rows = await scanAll(source, schema);
  });
  afterAll(async () => {
    await source?.close();
  });

  it('introspects every type to its logical type, with nullability, collation and the key', () => {
    expect(schema.primaryKey).toEqual([KEY]);
    for (const c of EVERY_TYPE_COLUMNS) {
      const found = schema.columns.find((x) => x.name === c.name);
      expect(found?.type, c.name).toEqual(c.type);
      expect(found?.nullable, c.name).toBe(c.name !== KEY);
    }
    expect(schema.columns.find((c) => c.name === 'naïve "vc"')?.collation).toBe('utf8mb4_unicode_ci');
    expect(schema.columns.find((c) => c.name === 'doc')?.nativeType).toBe('json');
    expect(schema.columns.find((c) => c.name === 'big unsigned')?.nativeType).toBe('bigint(20) unsigned');
  });

  it('scans every value exactly (canonical text equal to what was inserted)', () => {
    expect(rows).toHaveLength(ROWS.length);
    const byId = new Map(ROWS.map((r) => [String(r[KEY]), r]));
    for (const row of rows) {
      const original = byId.get(String(row[KEY]))!;
      for (const c of EVERY_TYPE_COLUMNS) {
        expect(canonicalText(row[c.name], c.type), `${c.name} of row ${String(row[KEY])}`).toBe(
          canonicalText(original[c.name], c.type),
        );
      }
    }
  });

  const pushable = () =>
    VALUE_COLUMNS.filter((n) =>
      source.capabilities.pushdownKinds.includes(schema.columns.find((c) => c.name === n)!.type.kind),
    );

  it('pushes down every column except json, each hashed exactly like the client', async () => {
    expect(pushable().sort()).toEqual(VALUE_COLUMNS.filter((n) => n !== 'doc').sort());
    for (const column of pushable()) {
      const plan: HashPlan = {
        key: [KEY],
        columns: [column],
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 1 },
      };
      const [summary] = await source.summarize(schema, plan);
      expect(summary?.count, column).toBe(ROWS.length);
      expect(summary?.sum, column).toBe(await clientSum(schema, rows, plan));
    }
  });

  it('applies comparison policies in SQL like the client: precision, trailing spaces, case (ASCII in SQL, the rest re-read)', async () => {
    const options: Record<string, ColumnHashOptions> = {
      dt6: { precision: 3 },
      ts6: { precision: 0 },
      tm6: { precision: 1 },
      chr: { trimTrailingSpaces: true },
      txt: { trimTrailingSpaces: true, caseInsensitive: true },
      'naïve "vc"': { caseInsensitive: true },
      latin: { caseInsensitive: true },
    };
    const hasher = await createRowHasher();
    for (const [column, o] of Object.entries(options)) {
      const plan: HashPlan = {
        key: [KEY],
        columns: [column],
        columnOptions: { [column]: o },
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 1 },
      };
      const got = new Map<string, string>();
      for await (const batch of source.keyHashes(schema, plan, [0])) {
        for (const kh of batch) got.set(String(kh.key[0]), kh.hash);
      }
      const mismatched = rows
        .filter((row) => got.get(String(row[KEY])) !== hasher.digest(rowString(row, schema, plan)))
        .map((row) => row[column]);
      if (!o.caseInsensitive) {
        expect(mismatched, column).toEqual([]);
        continue;
      }
      // Case folding is exact in SQL for ASCII text only; other text hashes to a `!` form the client never
      // produces, so those rows are fetched and compared in cdc instead (never a false match).
      for (const value of mismatched)
        expect(
          [...String(value)].every((ch) => ch.charCodeAt(0) < 128),
          `${column}: ${String(value)}`,
        ).toBe(false);
      expect(mismatched.length, column).toBeLessThan(rows.length);
    }
  });

  it('computes key-hash buckets and key hashes like the client', async () => {
    const hasher = await createRowHasher();
    const plan: HashPlan = {
      key: [KEY],
      columns: pushable(),
      mode: 'canonical',
      bucketing: { kind: 'key-hash', modulus: 7 },
    };
    const expected = new Map<number, { count: number; sum: bigint }>();
    const digests = new Map<string, string>();
    for (const row of rows) {
      const digest = hasher.digest(rowString(row, schema, plan));
      const b = hasher.keyBucket(keyString(row, schema, plan), 7);
      const e = expected.get(b) ?? { count: 0, sum: 0n };
      expected.set(b, { count: e.count + 1, sum: addHashes(e.sum, hasher.rowHash(digest)) });
      digests.set(String(row[KEY]), digest);
    }
    const summaries = await source.summarize(schema, plan);
    expect(new Map(summaries.map((s) => [s.bucket, { count: s.count, sum: s.sum }]))).toEqual(expected);
    const got = new Map<string, string>();
    for await (const batch of source.keyHashes(schema, plan, [0, 1, 2, 3, 4, 5, 6])) {
      for (const kh of batch) got.set(String(kh.key[0]), kh.hash);
    }
    expect(got).toEqual(digests);
  });

  it('computes ordered bucket digests over int-range buckets like the client', async () => {
    const plan: HashPlan = {
      key: [KEY],
      columns: pushable(),
      mode: 'canonical',
      bucketing: { kind: 'int-range', column: KEY, start: 3n, width: 10n },
      bucketDigest: 'ordered',
    };
    const ordered = await scanAll(source, schema, true);
    const accumulator = await OrderedBucketAccumulator.create();
    for (const row of ordered)
      accumulator.add(Math.floor((Number(row[KEY]) - 3) / 10), rowString(row, schema, plan));
    const expected = accumulator.summaries();
    expect(expected.some((s) => s.bucket === -1)).toBe(true);
    expect(await source.summarize(schema, plan)).toEqual(expected);
    // Drill-down digests stay per row; int-range buckets are read by their key bounds.
    const hasher = await createRowHasher();
    const got: string[] = [];
    for await (const batch of source.keyHashes(schema, plan, [-1, 4]))
      got.push(...batch.map((k) => `${String(k.key[0])}:${k.hash}`));
    const want = ordered
      .filter((r) => [-1, 4].includes(Math.floor((Number(r[KEY]) - 3) / 10)))
      .map((r) => `${String(r[KEY])}:${hasher.digest(rowString(r, schema, plan))}`);
    expect(got.sort()).toEqual(want.sort());
  });

  it('looks rows up by keys in any accepted form, and pages through ranges of its splits', async () => {
    const found = await source.lookup(schema, [['5'], [7n], [9], [1_000_000]], ['txt']);
    expect(found.map((r) => String(r[KEY])).sort()).toEqual(['5', '7', '9']);
    expect(Object.keys(found[0]!).sort()).toEqual([KEY, 'txt'].sort());
    const ranges = await source.splits(schema, 5);
    expect(ranges.length).toBe(5);
    let total = 0n;
    for (const range of ranges) total += await source.count(schema, range);
    expect(total).toBe(BigInt(ROWS.length));
  });

  it('marks values no logical type holds (zero dates, TIME beyond a day) instead of hashing them as valid', async () => {
    await db().exec('CREATE TABLE odd (id int PRIMARY KEY, d date NULL, t time NULL)');
    await db().exec(
      "SET STATEMENT sql_mode = '' FOR INSERT INTO odd VALUES (1, '0000-00-00', '-00:00:01'), (2, '2024-00-10', '25:00:00'), (3, '2024-01-10', '24:00:00')",
    );
    const odd = await source.introspect({ name: 'odd' });
    const texts = await db().exec(
      `SELECT ${mysqlSql.canonicalFieldSql(odd.columns[1]!, undefined)} AS d, ${mysqlSql.canonicalFieldSql(odd.columns[2]!, undefined)} AS t FROM odd AS t ORDER BY id`,
    );
    expect(texts.map((r) => [String(r.d), String(r.t)])).toEqual([
      ['!0000-00-00', '!-00:00:01'],
      ['!2024-00-10', '!25:00:00'],
      ['19732', '86400000000'],
    ]);
  });
});

describe.skipIf(skip !== undefined)(`MariaDB floats${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let source: MysqlAdapter;
  afterAll(async () => {
    await source?.close();
  });

  it('renders the IEEE-754 bits of every double and float in SQL exactly (random bit patterns)', async () => {
    const doubles = fc.sample(
      fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e-300, max: 1e-300 }),
        fc.integer().map((i) => i * 2 ** -1074),
      ),
      { numRuns: 3000, seed: 17 },
    );
    // Plus doubles whose shortest decimal has 16 digits above 2^53, which mysql2 3.x parses an ulp
    // off (9.182219260685715 → …716): scans must not go through its number parser.
    const sixteenDigits = fc.sample(
      fc.tuple(fc.bigInt({ min: 2n ** 53n + 1n, max: 10n ** 16n - 1n }), fc.integer({ min: -20, max: 20 })),
      { numRuns: 1000, seed: 18 },
    );
    const values = [
      9.182219260685715,
      ...doubles,
      ...sixteenDigits.map(([digits, exponent]) => Number(`${digits}e${exponent}`)),
    ].filter((d) => Number.isFinite(d));
    await db().exec('CREATE TABLE floats (id int PRIMARY KEY, f float NULL, d double NULL)');
    for (let i = 0; i < values.length; i += 500) {
      const part = values.slice(i, i + 500);
      const params: unknown[] = [];
      const tuples = part.map((v, j) => {
        params.push(i + j, String(v), String(v), String(v));
        // FLOAT takes the nearest binary32; beyond its range MariaDB refuses the value, so those are NULL.
        return '(?, IF(ABS(CAST(? AS DOUBLE)) < 3.4e38, CAST(? AS DOUBLE), NULL), CAST(? AS DOUBLE))';
      });
      await db().exec(`INSERT INTO floats VALUES ${tuples.join(', ')}`, params);
    }
    source = await connectMysql({ url: db().url, driver: mysql2 });
    const schema = await source.introspect({ name: 'floats' });
    const rows: Row[] = [];
    for await (const batch of source.scan(schema)) rows.push(...batch);
    const f64 = { kind: 'float64' } as const;
    expect(rows.map((r) => canonicalText(r.d, f64))).toEqual(values.map((v) => canonicalText(v, f64)));
    expect(rows.filter((r) => r.f !== null).length).toBeGreaterThan(values.length / 2);
    for (const column of ['f', 'd']) {
      const plan: HashPlan = {
        key: ['id'],
        columns: [column],
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 1 },
      };
      const hasher = await createRowHasher();
      const got = new Map<string, string>();
      for await (const batch of source.keyHashes(schema, plan, [0]))
        for (const kh of batch) got.set(String(kh.key[0]), kh.hash);
      const wrong = rows
        .filter((r) => got.get(String(r.id)) !== hasher.digest(rowString(r, schema, plan)))
        .map((r) => r[column]);
      expect(wrong, column).toEqual([]);
      // Both ways to the bits: MariaDB's dynamic columns (what the adapter uses there) and the exact
      // arithmetic MySQL gets, each against the client's canonical text.
      const c = schema.columns.find((x) => x.name === column)!;
      for (const flavour of ['mariadb', 'mysql'] as const) {
        const texts = await db().exec(
          `SELECT id, CAST(${mysqlSql.canonicalFieldSql(c, undefined, 't', flavour)} AS CHAR) AS v FROM floats AS t`,
        );
        const byId = new Map(rows.map((r) => [String(r.id), r]));
        const differ = texts.filter(
          (r) =>
            (r.v === null ? '\\N' : String(r.v)) !== canonicalText(byId.get(String(r.id))![column], c.type),
        );
        expect(differ, `${column}, ${flavour}`).toEqual([]);
      }
    }
  });
});

describe.skipIf(skip !== undefined)(`MariaDB keys${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let source: MysqlAdapter;
  afterAll(async () => {
    await source?.close();
  });

  it('scans text, uuid, binary, decimal and datetime keys in canonical order and finds them by key', async () => {
    const texts = ['a', 'a\t', 'a ', 'B', 'b', 'é', 'e\u0301', 'z', '日本', '🎉', '', 'Ä'];
    await db().exec(
      'CREATE TABLE `k ``text``` (k varchar(20) COLLATE utf8mb4_bin PRIMARY KEY, u uuid NOT NULL UNIQUE, b varbinary(8) NOT NULL UNIQUE, d decimal(10,3) NOT NULL UNIQUE, t datetime(6) NOT NULL UNIQUE)',
    );
    // utf8mb4_bin is PAD SPACE in MariaDB: 'a ' equals 'a', so it cannot be a second key.
    const keys = texts.filter((t) => t !== 'a ');
    for (const [i, k] of keys.entries()) {
      await db().exec('INSERT INTO `k ``text``` VALUES (?, ?, ?, ?, ?)', [
        k,
        `${i.toString(16).padStart(8, '0')}-0000-1000-8000-${(keys.length - i).toString(16).padStart(12, '0')}`,
        Buffer.from([255 - i, i]),
        `${i - 5}.${i}`,
        `2024-01-0${(i % 9) + 1} 00:00:00.${String(i).padStart(6, '0')}`,
      ]);
    }
    source = await connectMysql({ url: db().url, driver: mysql2 });
    for (const key of ['k', 'u', 'b', 'd', 't']) {
      const schema = await source.introspect({ name: 'k `text`' }, { key: [key] });
      const type = schema.columns.find((c) => c.name === key)!.type;
      const rows: Row[] = [];
      for await (const batch of source.scan(schema, { ordered: true, batchRows: 3 })) rows.push(...batch);
      expect(rows).toHaveLength(keys.length);
      for (let i = 1; i < rows.length; i++) {
        expect(compareKeys([rows[i - 1]![key]], [rows[i]![key]], [type]), `${key} at ${i}`).toBeLessThan(0);
      }
      const unordered: Row[] = [];
      for await (const batch of source.scan(schema, { batchRows: 4 })) unordered.push(...batch);
      expect(unordered).toHaveLength(keys.length);
      const found = await source.lookup(
        schema,
        rows.slice(0, 5).map((r) => [r[key]]),
      );
      expect(found, key).toHaveLength(5);
      for (const n of [2, 3]) {
        let seen = 0;
        for (const range of await source.splits(schema, n)) {
          for await (const batch of source.scan(schema, { range, ordered: true })) seen += batch.length;
        }
        expect(seen, `${key}, ${n} splits`).toBe(keys.length);
      }
    }
  });
});
