/**
 * MariaDB → PostgreSQL replication through the engine (`runPipeline` + `PostgresSink`), on the real
 * private MariaDB (binary log on, row format) and the embedded PostgreSQL: a snapshot, then inserts,
 * updates, key changes and deletes streamed from the binary log in multi-statement transactions; a
 * restart resumes after the stored checkpoint (no event applied twice, none lost); and the target equals
 * the source for a column of every type (the diff engine finds 0 differences).
 */
import {
  diffTables,
  isCdcError,
  runPipeline,
  type ChangeBatch,
  type PipelineOptions,
  type Row,
  type TableId,
} from '@cdc/core';
import { PostgresSink, connectPostgres } from '@cdc/postgres';
import { useTestDatabase } from '@cdc/testkit';
import ZongJi from '@vlasky/zongji';
import * as mysql2 from 'mysql2';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MysqlChangeSource,
  checkBinlogSettings,
  compareBinlogPositions,
  connectMysql,
  formatBinlogPosition,
  loadZongJi,
  mysqlConnector,
  mysqlSql,
  parseBinlogPosition,
  type ZongJiConstructor,
} from '../src/index.js';
import { EVERY_TYPE_COLUMNS, KEY, TABLE_NAME, everyTypeRow, everyTypeRows } from './every-type-table.js';
import { insertParam, mysqlSkipReason, useMysqlTestDatabase } from './mysql-test-database.js';

const skip = mysqlSkipReason();
const my = useMysqlTestDatabase('cdc_binlog');
const pgdb = useTestDatabase();
const q = mysqlSql.quoteIdent;
const TARGET: TableId = { schema: 'public', name: TABLE_NAME };

describe('binlog positions', () => {
  it('format as file:offset, parse back and order by file sequence, then offset', () => {
    const a = { file: 'binlog.000009', position: 4711 };
    expect(formatBinlogPosition(a)).toBe('binlog.000009:00000000000000004711');
    expect(parseBinlogPosition(formatBinlogPosition(a))).toEqual(a);
    expect(compareBinlogPositions(a, { file: 'binlog.000010', position: 4 })).toBeLessThan(0);
    expect(compareBinlogPositions(a, { file: 'binlog.000009', position: 4712 })).toBeLessThan(0);
    expect(compareBinlogPositions(a, a)).toBe(0);
    expect(() => parseBinlogPosition('0/16B3748')).toThrow(/not a MariaDB\/MySQL binlog position/);
  });

  it('refuses binlog settings it cannot replicate from, naming each', () => {
    expect(() => checkBinlogSettings({ format: 'ROW', rowImage: 'FULL' }, 'x')).not.toThrow();
    expect(() => checkBinlogSettings({ format: 'row', rowImage: 'full' }, 'x')).not.toThrow();
    expect(() => checkBinlogSettings({ format: 'MIXED', rowImage: 'MINIMAL' }, 'x')).toThrow(
      'x: binlog_format is MIXED, not ROW; binlog_row_image is MINIMAL, not FULL.',
    );
    const error = (() => {
      try {
        checkBinlogSettings({ format: 'STATEMENT', rowImage: 'FULL' }, 'x');
      } catch (e) {
        return e;
      }
    })();
    expect(isCdcError(error) && error.code).toBe('CDC_NOT_ENABLED');
    expect(isCdcError(error) && error.hint).toMatch(/binlog_format=ROW/);
  });

  it('names the install command when @vlasky/zongji is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package '@vlasky/zongji'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = await loadZongJi(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(isCdcError(error) && error.code).toBe('CONNECTION_FAILED');
    expect(isCdcError(error) && error.hint).toMatch(/npm install @vlasky\/zongji/);
    expect(typeof (await loadZongJi())).toBe('function');
  });
});

describe.skipIf(skip !== undefined)(
  `MariaDB → PostgreSQL replication${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let table: TableId;
    const insert = async (rows: Row[]) => {
      const params: unknown[] = [];
      const values = rows.map((row) => {
        const cells = EVERY_TYPE_COLUMNS.map((c) => {
          const p = insertParam(c, row[c.name]);
          if ('value' in p) params.push(p.value);
          return p.sql;
        });
        return `(${cells.join(', ')})`;
      });
      const names = EVERY_TYPE_COLUMNS.map((c) => q(c.name)).join(', ');
      await my().exec(`INSERT INTO ${q(TABLE_NAME)} (${names}) VALUES ${values.join(', ')}`, params);
    };

    beforeAll(async () => {
      table = await my().createTable(TABLE_NAME, EVERY_TYPE_COLUMNS, [KEY], everyTypeRows(40));
    });

    async function run(extra: Partial<PipelineOptions> = {}) {
      const adapter = await connectMysql({ url: my().url, driver: mysql2 });
      const source = new MysqlChangeSource(adapter, { zongji: ZongJi as unknown as ZongJiConstructor });
      const sink = PostgresSink.open({ url: pgdb().url });
      try {
        return await runPipeline({
          name: 'mariadb',
          source,
          sink,
          tables: [{ table, transform: { target: TARGET } }],
          once: true,
          batch: { maxRows: 25, maxWaitMs: 0 },
          ...extra,
        });
      } finally {
        await source.close();
        await sink.close();
      }
    }

    async function differences(): Promise<number> {
      const mysql = await connectMysql({ url: my().url, driver: mysql2 });
      const postgres = connectPostgres({ url: pgdb().url });
      try {
        const result = await diffTables({
          source: { source: mysql, table: await mysql.introspect(table) },
          target: { source: postgres, table: await postgres.introspect(TARGET) },
          hashing: 'client',
          workers: 0,
        });
        expect(result.counts.source).toBe(result.counts.target);
        return result.differences.length;
      } finally {
        await mysql.close();
        await postgres.close();
      }
    }

    async function checkpoint(): Promise<string | undefined> {
      const postgres = connectPostgres({ url: pgdb().url });
      try {
        const rows = await postgres.query<{ position: string }>(
          `SELECT position FROM cdc_meta.checkpoints WHERE pipeline = 'mariadb' AND partition = '*'`,
        );
        return rows[0]?.position;
      } finally {
        await postgres.close();
      }
    }

    it('snapshots every type, streams transactions, resumes exactly once, and the copy diffs clean', async () => {
      const first = await run();
      expect(first.snapshots).toEqual([{ table: expect.objectContaining({ name: TABLE_NAME }), rows: 40 }]);
      expect(await differences()).toBe(0);
      const afterSnapshot = await checkpoint();
      expect(afterSnapshot).toMatch(/:\d{20}$/);

      // Streamed: 60 inserted rows of every type (two statements, one transaction), updates to other
      // values of every type, a key change, deletes.
      await my().exec('START TRANSACTION');
      await insert(Array.from({ length: 30 }, (_, k) => everyTypeRow(100 + k)));
      await insert(Array.from({ length: 30 }, (_, k) => everyTypeRow(130 + k, 3)));
      await my().exec('COMMIT');
      const k = q(KEY);
      const t = q(TABLE_NAME);
      for (const i of [5, 6, 7]) {
        const row = everyTypeRow(i, 2);
        const sets = EVERY_TYPE_COLUMNS.filter((c) => c.name !== KEY).map((c) => {
          const p = insertParam(c, row[c.name]);
          return { sql: `${q(c.name)} = ${p.sql}`, value: 'value' in p ? [p.value] : [] };
        });
        await my().exec(`UPDATE ${t} SET ${sets.map((s) => s.sql).join(', ')} WHERE ${k} = ?`, [
          ...sets.flatMap((s) => s.value),
          String(i),
        ]);
      }
      await my().exec(`UPDATE ${t} SET ${k} = 5000 WHERE ${k} = 8`);
      await my().exec(`DELETE FROM ${t} WHERE ${k} IN (4, 101)`);
      // The extreme rows (1: all NULL; 2, 3: limits of every type) through the binary log too.
      await my().exec('START TRANSACTION');
      await my().exec(`DELETE FROM ${t} WHERE ${k} IN (1, 2, 3)`);
      await insert([1, 2, 3].map((i) => everyTypeRow(i)));
      await my().exec('COMMIT');
      const second = await run();
      expect(second.snapshots).toEqual([]);
      // 60 inserts + 3 updates + 1 key change (delete + upsert) + 2 deletes + 3 deletes and 3 inserts,
      // each applied once.
      expect(second.events).toBe(60 + 3 + 2 + 2 + 6);
      expect(await differences()).toBe(0);
      const afterStream = await checkpoint();
      expect(
        compareBinlogPositions(parseBinlogPosition(afterStream!), parseBinlogPosition(afterSnapshot!)),
      ).toBeGreaterThan(0);

      // A restart with nothing new applies nothing; one more change is applied alone.
      const third = await run();
      expect(third.events).toBe(0);
      await my().exec(`UPDATE ${t} SET ${q('tiny')} = 1 WHERE ${k} = 2`);
      const fourth = await run();
      expect(fourth.events).toBe(1);
      expect(await differences()).toBe(0);
    });

    it('reports a position the server no longer has as RETENTION_GAP', async () => {
      const { source } = await mysqlConnector.openChangeSource!(my().url, {
        pipeline: {} as never,
        tables: [],
      });
      try {
        const schema = await source.introspect(table);
        const from = new Map([['*', formatBinlogPosition({ file: 'binlog.999999', position: 4 })]]);
        const error = await (async () => {
          for await (const _ of source.changes({ tables: [schema], from })) void _;
        })().catch((e: unknown) => e);
        expect(isCdcError(error) && error.code).toBe('RETENTION_GAP');
        expect(isCdcError(error) && error.hint).toMatch(/re-snapshot/);
      } finally {
        await source.close();
      }
    });

    it('snapshots consistently with the stream start: a commit during the snapshot is streamed, not read', async () => {
      await my().exec('CREATE TABLE snap (id int PRIMARY KEY, v varchar(20))');
      await my().exec("INSERT INTO snap VALUES (1, 'a'), (2, 'b')");
      const { source } = await mysqlConnector.openChangeSource!(my().url, {
        pipeline: {} as never,
        tables: [],
      });
      try {
        const schema = await source.introspect({ name: 'snap' });
        const snapshot = await source.snapshot(schema, { batchRows: 1 });
        // Committed after the snapshot started, before its rows are read.
        await my().exec('START TRANSACTION');
        await my().exec("INSERT INTO snap VALUES (3, 'c')");
        await my().exec("UPDATE snap SET v = 'B' WHERE id = 2");
        await my().exec('COMMIT');
        const rows: Row[] = [];
        for await (const page of snapshot.rows) rows.push(...page);
        await snapshot.close();
        expect(rows).toEqual([
          { id: 1, v: 'a' },
          { id: 2, v: 'b' },
        ]);
        const batches: ChangeBatch[] = [];
        for await (const b of source.changes({
          tables: [schema],
          from: new Map([['*', snapshot.position]]),
          untilCaughtUp: true,
          maxBatchEvents: 1,
        }))
          batches.push(b);
        // One transaction of two events, split at maxBatchEvents: the first part carries the previous
        // position (a crash replays the whole transaction), the last the transaction's end.
        const events = batches.flatMap((b) => b.events);
        expect(events).toEqual([
          { op: 'upsert', table: schema.id, key: { id: 3 }, row: { id: 3, v: 'c' } },
          { op: 'upsert', table: schema.id, key: { id: 2 }, row: { id: 2, v: 'B' } },
        ]);
        expect(batches.filter((b) => b.events.length > 0).map((b) => b.position)).toEqual([
          snapshot.position,
          batches.at(-1)!.position,
        ]);
        expect(batches.at(-1)!.position > snapshot.position).toBe(true);
        expect(batches.at(-1)!.commitTimeMicros).toBeGreaterThan(0n);
        // Resuming after the last position yields nothing more.
        const again: ChangeBatch[] = [];
        for await (const b of source.changes({
          tables: [schema],
          from: new Map([['*', batches.at(-1)!.position]]),
          untilCaughtUp: true,
        }))
          again.push(b);
        expect(again.flatMap((b) => b.events)).toEqual([]);
      } finally {
        await source.close();
      }
    });
  },
);
