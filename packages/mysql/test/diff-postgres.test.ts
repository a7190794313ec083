/**
 * MariaDB → PostgreSQL, end to end with the diff engine of @cdc/core: a hostile-identifier table with a
 * column of every MariaDB type and its PostgreSQL copy diff clean (no false difference), and every
 * planted difference (one update per type, a missing row, an extra row) is found exactly — with the
 * MariaDB side hashing in SQL (canonical pushdown) and in cdc (client), by int-range buckets with
 * ordered digests and by key-hash buckets on a text key, and by the stream merge. Then the repair plan
 * applied to PostgreSQL makes the two equal.
 */
import {
  diffTables,
  planRepair,
  type DiffOptions,
  type DiffResult,
  type Row,
  type TableSchema,
} from '@cdc/core';
import { applyRepairPlan, connectPostgres, type PostgresAdapter } from '@cdc/postgres';
import { useTestDatabase } from '@cdc/testkit';
import * as mysql2 from 'mysql2';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMysql, type MysqlAdapter } from '../src/index.js';
import {
  EVERY_TYPE_COLUMNS,
  KEY,
  TABLE_NAME,
  VALUE_COLUMNS,
  differentValue,
  everyTypeRow,
  everyTypeRows,
  type EveryTypeColumn,
} from './every-type-table.js';
import { mysqlSkipReason, useMysqlTestDatabase, type TestColumn } from './mysql-test-database.js';

const skip = mysqlSkipReason();
const my = useMysqlTestDatabase('cdc_diff');
const pgdb = useTestDatabase();
const ROWS = everyTypeRows(300);
const MISSING = '5';
const EXTRA = '100000';
/** Row holding the planted difference of value column `k`. */
const plantedRow = (k: number) => String(10 + k);

const qpg = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A value as PostgreSQL parameter text (or bytes) for a `$n::type` cast. */
function pgParam(column: { type: TestColumn['type'] }, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type.kind) {
    case 'bytes':
      return Buffer.from(value as Uint8Array);
    case 'bool':
      return value ? 'true' : 'false';
    case 'float32':
      return String(Math.fround(Number(value)));
    case 'float64':
      return String(value);
    default:
      return String(value);
  }
}

async function pgExec(url: string, fn: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

async function pgCreate(
  url: string,
  name: string,
  columns: (TestColumn & { pg: string })[],
  key: string[],
  rows: Row[],
) {
  await pgExec(url, async (client) => {
    const defs = columns.map((c) => `${qpg(c.name)} ${c.pg}${key.includes(c.name) ? ' NOT NULL' : ''}`);
    await client.query(
      `CREATE TABLE ${qpg(name)} (${defs.join(', ')}, PRIMARY KEY (${key.map(qpg).join(', ')}))`,
    );
    for (const row of rows) await pgInsert(client, name, columns, row);
  });
}

async function pgInsert(client: pg.Client, name: string, columns: (TestColumn & { pg: string })[], row: Row) {
  const values = columns.map((c) => pgParam(c, row[c.name]));
  await client.query(
    `INSERT INTO ${qpg(name)} (${columns.map((c) => qpg(c.name)).join(', ')}) VALUES (${columns.map((c, i) => `$${i + 1}::${c.pg}`).join(', ')})`,
    values,
  );
}

function summary(result: DiffResult): string[] {
  return result.differences
    .map((d) => `${d.kind}:${Object.values(d.key).map(String).join('/')}:${d.columns.join(',')}`)
    .sort();
}

describe.skipIf(skip !== undefined)(`MariaDB → PostgreSQL diffs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let mysql: MysqlAdapter;
  let postgres: PostgresAdapter;
  let mySchema: TableSchema;
  let pgSchema: TableSchema;

  const diff = (options: Partial<DiffOptions> = {}) =>
    diffTables({
      source: { source: mysql, table: mySchema },
      target: { source: postgres, table: pgSchema },
      workers: 0,
      ...options,
    });

  beforeAll(async () => {
    const id = await my().createTable(TABLE_NAME, EVERY_TYPE_COLUMNS, [KEY], ROWS);
    await pgCreate(pgdb().url, TABLE_NAME, EVERY_TYPE_COLUMNS, [KEY], ROWS);
    mysql = await connectMysql({ url: my().url, driver: mysql2 });
    postgres = connectPostgres({ url: pgdb().url });
    mySchema = await mysql.introspect(id);
    pgSchema = await postgres.introspect({ schema: 'public', name: TABLE_NAME });
  });
  afterAll(async () => {
    await mysql?.close();
    await postgres?.close();
  });

  const pushable = () => VALUE_COLUMNS.filter((c) => c !== 'doc');

  it('finds no difference in an identical copy, whichever side hashes where', async () => {
    const runs: [Partial<DiffOptions>, DiffResult['hashing'], DiffResult['algorithm']][] = [
      [{ columns: pushable() }, 'canonical-pushdown', 'hash'],
      [{ columns: pushable(), bucketing: 'key-hash' }, 'canonical-pushdown', 'hash'],
      // json is hashed in neither database: with both sides ordered, auto merges the two scans.
      [{}, 'none', 'stream'],
      [{ hashing: 'client' }, 'client', 'hash'],
      [{ algorithm: 'stream' }, 'none', 'stream'],
    ];
    for (const [options, hashing, algorithm] of runs) {
      const result = await diff({ rowsPerBucket: 16, ...options });
      if (options.columns && !options.bucketing) expect(result.bucketing).toBe('int-range');
      // Equal digests on both sides: a pushdown diff of equal tables hashes each row once and re-reads
      // none (a digest computed differently in SQL would show here as rows drilled into and fetched,
      // even though the comparison in cdc then reports no difference).
      if (hashing === 'canonical-pushdown') {
        expect(result.stats.source.rowsRead, JSON.stringify(options)).toBe(ROWS.length);
        expect(result.stats.target.rowsRead, JSON.stringify(options)).toBe(ROWS.length);
      }
      expect(summary(result), JSON.stringify(options)).toEqual([]);
      expect(result.status).toBe('in_sync');
      expect(result.hashing, JSON.stringify(options)).toBe(hashing);
      expect(result.algorithm).toBe(algorithm);
      expect(result.counts).toEqual({ source: BigInt(ROWS.length), target: BigInt(ROWS.length) });
    }
  });

  it('finds every planted difference, and nothing else, in every mode; the repair makes the copy equal', async () => {
    const planted = VALUE_COLUMNS.map((name, k) => {
      const column = EVERY_TYPE_COLUMNS.find((c) => c.name === name) as EveryTypeColumn;
      const id = plantedRow(k);
      const original = ROWS.find((r) => String(r[KEY]) === id)![name];
      return { name, id, value: differentValue(column, original, Number(id)) };
    });
    await pgExec(pgdb().url, async (client) => {
      const table = qpg(TABLE_NAME);
      for (const p of planted) {
        const c = EVERY_TYPE_COLUMNS.find((x) => x.name === p.name)!;
        await client.query(`UPDATE ${table} SET ${qpg(p.name)} = $1::${c.pg} WHERE ${qpg(KEY)} = $2`, [
          pgParam(c, p.value),
          p.id,
        ]);
      }
      await client.query(`DELETE FROM ${table} WHERE ${qpg(KEY)} = $1`, [MISSING]);
      await pgInsert(client, TABLE_NAME, EVERY_TYPE_COLUMNS, everyTypeRow(Number(EXTRA)));
    });
    const expected = (columns: readonly string[]) =>
      [
        ...planted.filter((p) => columns.includes(p.name)).map((p) => `mismatched:${p.id}:${p.name}`),
        `missing:${MISSING}:${columns.join(',')}`,
        `extra:${EXTRA}:${columns.join(',')}`,
      ].sort();

    const runs: [Partial<DiffOptions>, DiffResult['hashing']][] = [
      [{ columns: pushable() }, 'canonical-pushdown'],
      [{ columns: pushable(), bucketing: 'key-hash' }, 'canonical-pushdown'],
      [{ columns: pushable(), hashing: 'client' }, 'client'],
      [{ hashing: 'client' }, 'client'],
      // Hashed in worker threads that reopen the MariaDB source from its URL (workerSpec): the built
      // @cdc/mysql and @cdc/core hash-worker.js (`nx test @cdc/mysql` builds both first).
      [
        {
          hashing: 'client',
          workers: 2,
          workerScript: new URL('../../core/dist/hash-worker.js', import.meta.url),
        },
        'client',
      ],
      [{}, 'none'],
      [{ algorithm: 'stream' }, 'none'],
    ];
    let last: DiffResult | undefined;
    for (const [options, hashing] of runs) {
      const result = await diff({ rowsPerBucket: 16, ...options });
      const columns = options.columns ?? VALUE_COLUMNS;
      expect(summary(result), JSON.stringify(options)).toEqual(expected(columns));
      expect(result.hashing, JSON.stringify(options)).toBe(hashing);
      expect(result.counts).toEqual({ source: BigInt(ROWS.length), target: BigInt(ROWS.length) });
      if (options.workers) expect(result.notes).toContain('client hashing in 2 worker threads');
      last = result;
    }

    const repaired = await applyRepairPlan(postgres, planRepair(last!), pgSchema);
    expect(repaired).toMatchObject({ inserted: 1, deleted: 1, updated: planted.length, guardsFailed: [] });
    const after = await diff({});
    expect(summary(after)).toEqual([]);
    expect((await diff({ columns: pushable() })).hashing).toBe('canonical-pushdown');
  });
});

describe.skipIf(skip !== undefined)(
  `MariaDB → PostgreSQL, text keys${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    const NAME = 'keys `t` "q"';
    const COLUMNS: (TestColumn & { pg: string })[] = [
      { name: 'tenant', native: 'int', type: { kind: 'int32' }, pg: 'integer' },
      {
        name: 'k "key"',
        native: 'varchar(60) COLLATE utf8mb4_unicode_ci',
        type: { kind: 'text' },
        pg: 'text',
      },
      { name: 'v', native: 'varchar(60) COLLATE utf8mb4_general_ci', type: { kind: 'text' }, pg: 'text' },
      { name: 'at', native: 'datetime(3)', type: { kind: 'timestamp', precision: 3 }, pg: 'timestamp(6)' },
    ];
    const KEYS = [
      'plain',
      'with space',
      'quote \' " `',
      'naïve',
      '日本語',
      '🎉 emoji',
      'back\\slash',
      'pipe|\\N',
      'UPPER',
      'tab\tx',
    ];
    const rows: Row[] = [];
    for (let tenant = 0; tenant < 4; tenant++) {
      for (const [i, k] of KEYS.entries()) {
        rows.push({
          tenant,
          'k "key"': `${k} ${tenant}`,
          v: `value ${i} ${tenant} é`,
          at: `2024-0${(i % 9) + 1}-1${tenant} 10:11:12.${String(i * 7).padStart(3, '0')}`,
        });
      }
    }
    let mysql: MysqlAdapter;
    let postgres: PostgresAdapter;
    let mySchema: TableSchema;
    let pgSchema: TableSchema;

    beforeAll(async () => {
      const id = await my().createTable(NAME, COLUMNS, ['tenant', 'k "key"'], rows);
      await pgCreate(pgdb().url, NAME, COLUMNS, ['tenant', 'k "key"'], rows);
      mysql = await connectMysql({ url: my().url, driver: mysql2 });
      postgres = connectPostgres({ url: pgdb().url });
      mySchema = await mysql.introspect(id);
      pgSchema = await postgres.introspect({ schema: 'public', name: NAME });
    });
    afterAll(async () => {
      await mysql?.close();
      await postgres?.close();
    });

    it('compares datetime(3) with timestamp(6) at 3 digits, buckets text keys by key hash, and finds planted differences', async () => {
      const diff = (options: Partial<DiffOptions> = {}) =>
        diffTables({
          source: { source: mysql, table: mySchema },
          target: { source: postgres, table: pgSchema },
          workers: 0,
          rowsPerBucket: 4,
          ...options,
        });
      for (const hashing of ['auto', 'client'] as const) {
        const clean = await diff({ hashing });
        expect(summary(clean), hashing).toEqual([]);
        expect(clean.bucketing).toBe('key-hash');
        expect(clean.hashing).toBe(hashing === 'auto' ? 'canonical-pushdown' : 'client');
        expect(clean.stats.source.rowsRead, hashing).toBe(rows.length);
      }
      await pgExec(pgdb().url, async (client) => {
        const t = qpg(NAME);
        // The same text in another case, and a trailing space: different values for cdc (no policy given).
        await client.query(`UPDATE ${t} SET v = upper(v) WHERE tenant = 1 AND "k ""key""" = $1`, ['naïve 1']);
        await client.query(`UPDATE ${t} SET v = v || ' ' WHERE tenant = 2 AND "k ""key""" = $1`, [
          '日本語 2',
        ]);
        await client.query(
          `UPDATE ${t} SET at = at + interval '1 microsecond' WHERE tenant = 3 AND "k ""key""" = $1`,
          ['plain 3'],
        );
        await client.query(
          `UPDATE ${t} SET at = at + interval '1 millisecond' WHERE tenant = 3 AND "k ""key""" = $1`,
          ['tab\tx 3'],
        );
        await client.query(`DELETE FROM ${t} WHERE tenant = 0 AND "k ""key""" = $1`, ['quote \' " ` 0']);
        await client.query(`INSERT INTO ${t} VALUES (9, 'extra', 'x', NULL)`);
      });
      const expected = [
        'mismatched:1/naïve 1:v',
        'mismatched:2/日本語 2:v',
        'mismatched:3/tab\tx 3:at',
        `missing:0/quote ' " \` 0:v,at`,
        'extra:9/extra:v,at',
      ].sort();
      for (const options of [
        {},
        { hashing: 'client' as const },
        { algorithm: 'hash' as const, bucketing: 'key-hash' as const },
      ]) {
        expect(summary(await diff(options)), JSON.stringify(options)).toEqual(expected);
      }
      // Case-insensitive comparison of v (as its collation compares): the upper-cased copy is no longer a difference.
      const insensitive = await diff({ policies: { v: { caseInsensitive: true } } });
      expect(summary(insensitive)).toEqual(expected.filter((e) => !e.startsWith('mismatched:1/')));
      expect(insensitive.hashing).toBe('canonical-pushdown');
    });
  },
);
