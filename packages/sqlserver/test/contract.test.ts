/**
 * SQL-Server-specific tests against a real server: flavour detection, every native type's introspection
 * and canonical values and hashing, the hashing measurement, and CDC end to end. The generic ScanSource
 * contract (composite keys, counts, splits, ordered scans, lookups) runs in `scan-source-contract.test.ts`.
 * They run only when CDC_TEST_MSSQL_URL is set (CI: the `contract-sqlserver` job with
 * mcr.microsoft.com/mssql/server:2022-latest and Agent enabled); each run creates and drops its own
 * database, because CDC cannot be enabled on `master`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tedious from 'tedious';
import {
  addHashes,
  canonicalText,
  createRowHasher,
  keyString,
  rowString,
  type ChangeBatch,
  type HashPlan,
  type Row,
  type TableSchema,
} from '@cdc/core';
import { SQLSERVER_PARTITION, connectSqlServer, sqlServerSql, type SqlServerAdapter } from '../src/index.js';
import {
  MSSQL_URL,
  SqlServerTestDatabase,
  warnMssqlSkipped,
  type TestColumn,
} from './sqlserver-test-server.js';

const url = MSSQL_URL;
warnMssqlSkipped('SQL Server engine-specific and CDC tests');

const suite = url ? describe : describe.skip;

const PARITY: TestColumn[] = [
  { name: 'id', type: { kind: 'int64' }, native: 'bigint' },
  { name: 'tiny', type: { kind: 'int16' }, native: 'tinyint' },
  { name: 'i16', type: { kind: 'int16' }, native: 'smallint' },
  { name: 'i32', type: { kind: 'int32' }, native: 'int' },
  { name: 'i64', type: { kind: 'int64' }, native: 'bigint' },
  { name: 'num38', type: { kind: 'numeric', precision: 38, scale: 10 }, native: 'decimal(38,10)' },
  { name: 'num2', type: { kind: 'numeric', precision: 12, scale: 2 }, native: 'numeric(12,2)' },
  { name: 'num0', type: { kind: 'numeric', precision: 10, scale: 0 }, native: 'decimal(10,0)' },
  { name: 'frac', type: { kind: 'numeric', precision: 4, scale: 4 }, native: 'decimal(4,4)' },
  { name: 'mon', type: { kind: 'numeric', precision: 19, scale: 4 }, native: 'money' },
  { name: 'smon', type: { kind: 'numeric', precision: 10, scale: 4 }, native: 'smallmoney' },
  { name: 'f32', type: { kind: 'float32' }, native: 'real' },
  { name: 'f64', type: { kind: 'float64' }, native: 'float' },
  { name: 'flag', type: { kind: 'bool' }, native: 'bit' },
  { name: 'txt', type: { kind: 'text' }, native: 'nvarchar(200)' },
  { name: 'vtxt', type: { kind: 'text' }, native: 'varchar(200)' },
  { name: 'ch', type: { kind: 'text' }, native: 'nchar(5)' },
  { name: 'bin', type: { kind: 'bytes' }, native: 'varbinary(20)' },
  { name: 'uid', type: { kind: 'uuid' }, native: 'uniqueidentifier' },
  { name: 'day', type: { kind: 'date' }, native: 'date' },
  { name: 'tod', type: { kind: 'time', precision: 7 }, native: 'time(7)' },
  { name: 'ts', type: { kind: 'timestamp', precision: 7 }, native: 'datetime2(7)' },
  { name: 'ts3', type: { kind: 'timestamp', precision: 3 }, native: 'datetime2(3)' },
  { name: 'dt', type: { kind: 'timestamp', precision: 3 }, native: 'datetime' },
  { name: 'sdt', type: { kind: 'timestamp', precision: 0 }, native: 'smalldatetime' },
  { name: 'tstz', type: { kind: 'timestamptz', precision: 7 }, native: 'datetimeoffset(7)' },
];

const PARITY_ROWS: Row[] = [
  { id: '1' },
  {
    id: '2',
    tiny: 255,
    i16: -32768,
    i32: 2147483647,
    i64: '-9223372036854775808',
    num38: '1234567890123456789012345678.1234567890',
    num2: '-0.50',
    num0: '1000',
    frac: '0.5',
    mon: '12.3456',
    smon: '-214748.3648',
    f32: '0.1',
    f64: '-0',
    flag: true,
    txt: '',
    vtxt: 'caf\u00e9',
    ch: 'ab   ',
    bin: '0x0000ff00',
    uid: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
    day: '0001-01-01',
    tod: '23:59:59.9999999',
    ts: '1969-12-31T23:59:59.9999995',
    ts3: '2024-02-29T12:34:56.789',
    dt: '1753-01-01T00:00:00.007',
    sdt: '2079-06-06T23:59:00',
    tstz: '1900-06-30T12:00:00.5+02:00',
  },
  {
    id: '3',
    tiny: 0,
    num38: '-0.0000000000',
    num2: '0',
    num0: '-7',
    frac: '-0.0001',
    mon: '-922337203685477.5808',
    f32: '-3.4e38',
    f64: '5e-324',
    flag: false,
    txt: '  ',
    vtxt: '',
    ch: '     ',
    bin: '0x',
    uid: '00000000-0000-0000-0000-000000000000',
    day: '9999-12-31',
    tod: '00:00:00',
    ts: '9999-12-31T23:59:59.9999999',
    ts3: '0001-01-01T00:00:00',
    dt: '9999-12-31T23:59:59.997',
    sdt: '1900-01-01T00:00:00',
    tstz: '9999-12-31T23:59:59.9999999Z',
  },
  {
    id: '4',
    txt: '\u65e5\u672c\u8a9e \ud83c\udf89',
    f64: '0.1',
    num38: '0.0000000001',
    tstz: '0001-01-01T00:00:00-14:00',
  },
  { id: '5', txt: 'e\u0301|\\N', f64: '1e308', ts: '1970-01-01T00:00:00.0000001', day: '1969-12-31' },
];

suite('SQL Server (real server)', () => {
  let db: SqlServerTestDatabase;
  let source: SqlServerAdapter;

  beforeAll(async () => {
    db = await SqlServerTestDatabase.create(url as string, 'engine');
    source = await connectSqlServer({ connection: db.config, tedious });
  }, 120_000);

  afterAll(async () => {
    await source?.close();
    await db?.drop();
  }, 120_000);

  describe('ScanSource, SQL Server types', () => {
    let parity: TableSchema;

    beforeAll(async () => {
      parity = await source.introspect(await db.createTable('type parity "t"', PARITY, ['id'], PARITY_ROWS));
    }, 120_000);

    const collect = async (schema: TableSchema, options = {}) => {
      const batches: Row[][] = [];
      for await (const b of source.scan(schema, options)) batches.push(b);
      return batches;
    };

    it('detects the flavour', () => {
      expect(source.flavour.kind).toMatch(/sqlserver|azure/);
      expect(source.capabilities.hashPushdown).toBe(source.flavour.supportsUtf8Collation);
    });

    it('introspects every native type to its logical type', () => {
      expect(parity.primaryKey).toEqual(['id']);
      for (const c of PARITY)
        expect(parity.columns.find((x) => x.name === c.name)?.type, c.name).toEqual(c.type);
    });

    it('estimates counts from sys.partitions', async () => {
      expect(await source.estimateCount(parity)).toBeGreaterThanOrEqual(0n);
    });

    it('scans native values to their canonical form', async () => {
      const rows = (await collect(parity, { batchRows: 2 })).flat();
      expect(rows).toHaveLength(PARITY_ROWS.length);
      for (const row of rows) {
        const original = PARITY_ROWS.find((r) => r.id === String(row.id)) as Row;
        for (const c of PARITY) {
          expect(canonicalText(row[c.name], c.type), `${c.name} of row ${String(row.id)}`).toBe(
            canonicalText(original[c.name], c.type),
          );
        }
      }
    });

    it('pushdown summaries and key hashes equal client-side hashing, column by column', async (ctx) => {
      if (!source.capabilities.hashPushdown) return ctx.skip('no hash pushdown on this flavour');
      const hasher = await createRowHasher();
      const rows = (await collect(parity)).flat();
      const columns = PARITY.map((c) => c.name).filter((n) => n !== 'id');
      for (const column of columns) {
        const plan: HashPlan = {
          key: ['id'],
          columns: [column],
          mode: 'canonical',
          bucketing: { kind: 'key-hash', modulus: 3 },
        };
        let total = 0n;
        for (const r of rows)
          total = addHashes(total, hasher.rowHash(hasher.digest(rowString(r, parity, plan))));
        const sums = await source.summarize(parity, plan);
        expect(
          sums.reduce((a, s) => addHashes(a, s.sum), 0n),
          column,
        ).toBe(total);
      }
      const plan: HashPlan = {
        key: ['id'],
        columns,
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 3 },
      };
      const expected = new Map<string, string>();
      for (const r of rows)
        expected.set(keyString(r, parity, plan), hasher.digest(rowString(r, parity, plan)));
      const got = new Map<string, string>();
      for await (const b of source.keyHashes(parity, plan, [0, 1, 2])) {
        for (const kh of b) got.set(keyString({ id: kh.key[0] }, parity, plan), kh.hash);
      }
      expect(got).toEqual(expected);
      const intRange = await source.summarize(parity, {
        ...plan,
        bucketing: { kind: 'int-range', column: 'id', start: 2n, width: 2n },
      });
      expect(new Map(intRange.map((s) => [s.bucket, s.count]))).toEqual(
        new Map([
          [-1, 1],
          [0, 2],
          [1, 2],
        ]),
      );
    });
    it('measures pushdown against client-side hashing on a sample', async () => {
      const plan: HashPlan = {
        key: ['id'],
        columns: ['txt', 'num38'],
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 3 },
      };
      const m = await source.measureHashing(parity, plan, { sampleRows: 3 });
      expect(m.rows).toBe(3);
      expect(m.clientMs).toBeGreaterThanOrEqual(0);
      expect(['pushdown', 'client']).toContain(m.recommended);
    });
  });

  describe('CDC', () => {
    const orders = { schema: 'dbo', name: 'orders' };
    const lines = { schema: 'dbo', name: 'lines' };
    let ordersSchema: TableSchema;
    let linesSchema: TableSchema;

    async function waitCaptured(instance: string, rows: number) {
      for (let i = 0; i < 120; i++) {
        const r = await db.exec(
          `SELECT COUNT_BIG(*) AS n FROM cdc.${sqlServerSql.quoteIdent(`${instance}_CT`)}`,
        );
        if (Number(r[0]?.n) >= rows) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      throw new Error(
        `capture job did not capture ${rows} rows of ${instance} within 60 s (is SQL Server Agent running?)`,
      );
    }

    async function drain(from: string, tables: TableSchema[]): Promise<ChangeBatch[]> {
      const out: ChangeBatch[] = [];
      for await (const b of source.changes({
        tables,
        from: new Map([[SQLSERVER_PARTITION, from]]),
        untilCaughtUp: true,
      }))
        out.push(b);
      return out;
    }

    beforeAll(async () => {
      if (!source.flavour.supportsCdc) return;
      await db.exec('EXEC sys.sp_cdc_enable_db');
      await db.exec(
        'CREATE TABLE dbo.orders (id int NOT NULL PRIMARY KEY, amount decimal(12,2) NULL, note nvarchar(50) NULL)',
      );
      await db.exec('CREATE TABLE dbo.lines (id int NOT NULL PRIMARY KEY, order_id int NOT NULL)');
      for (const t of ['orders', 'lines']) {
        await db.exec(
          `EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'${t}', @role_name = NULL, @supports_net_changes = 0`,
        );
      }
      await db.exec("INSERT INTO dbo.orders VALUES (1, 1.50, N'a'), (3, 3.00, N'c')");
      await db.exec('INSERT INTO dbo.lines VALUES (1, 1)');
      await waitCaptured('dbo_orders', 2);
      await waitCaptured('dbo_lines', 1);
      ordersSchema = await source.introspect(orders);
      linesSchema = await source.introspect(lines);
    }, 120_000);

    it('snapshot, then one cross-table transaction in log order with pairing and PK change, then retention gap', async (ctx) => {
      if (!source.flavour.supportsCdc) return ctx.skip(`no CDC on ${source.flavour.kind}`);
      expect((await source.captureInstances()).get('dbo.orders')).toEqual(['dbo_orders']);
      const snap = await source.snapshot(ordersSchema, { batchRows: 1 });
      const snapRows: Row[] = [];
      for await (const b of snap.rows) snapRows.push(...b);
      await snap.close();
      expect(snapRows.map((r) => [r.id, r.amount])).toEqual([
        [1, '1.50'],
        [3, '3.00'],
      ]);

      await db.exec(`BEGIN TRANSACTION;
         INSERT INTO dbo.orders VALUES (2, 2.25, N'b');
         UPDATE dbo.orders SET amount = 9.99 WHERE id = 1;
         DELETE FROM dbo.lines WHERE id = 1;
         UPDATE dbo.orders SET id = 30 WHERE id = 3;
         INSERT INTO dbo.lines VALUES (2, 2);
         COMMIT;`);
      await db.exec('DELETE FROM dbo.orders WHERE id = 2');
      // 2 initial inserts + insert, update (3/4), PK update (two rows), then the delete.
      await waitCaptured('dbo_orders', 8);

      const batches = (await drain(snap.position, [ordersSchema, linesSchema])).filter(
        (b) => b.events.length > 0,
      );
      const summary = batches.map((b) =>
        b.events.map(
          (e) =>
            `${e.op}:${e.table.name}:${JSON.stringify(e.op === 'upsert' ? e.row : 'key' in e ? e.key : null)}`,
        ),
      );
      expect(summary).toEqual([
        [
          'upsert:orders:{"id":2,"amount":"2.25","note":"b"}',
          'upsert:orders:{"id":1,"amount":"9.99","note":"a"}',
          'delete:lines:{"id":1}',
          'delete:orders:{"id":3}',
          'upsert:orders:{"id":30,"amount":"3.00","note":"c"}',
          'upsert:lines:{"id":2,"order_id":2}',
        ],
        ['delete:orders:{"id":2}'],
      ]);
      const positions = batches.map((b) => b.position);
      expect([...positions].sort()).toEqual(positions);

      // Force cleanup past the snapshot position: the next read must fail loudly, naming the table.
      await db.exec(`DECLARE @l binary(10) = sys.fn_cdc_get_max_lsn();
         EXEC sys.sp_cdc_cleanup_change_table @capture_instance = N'dbo_orders', @low_water_mark = @l, @threshold = 5000;`);
      await expect(drain(snap.position, [ordersSchema])).rejects.toMatchObject({
        code: 'RETENTION_GAP',
        hint: expect.stringContaining('cdc snapshot --config <file> --table dbo.orders'),
      });
    }, 180_000);
  });
});
