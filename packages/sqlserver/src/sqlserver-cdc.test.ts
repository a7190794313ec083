import { describe, expect, it } from 'vitest';
import type { ChangeEvent, TableSchema } from '@cdc/core';
import {
  CaptureTimeline,
  UpdatePairer,
  agentStateOf,
  agentStoppedError,
  assembleBatches,
  changePageQuery,
  checkRetention,
  mergeChangeStreams,
  pollBoundQuery,
  renderEnableCdcSql,
  enableCdcStatements,
  captureInstanceName,
  snapshotPartition,
  snapshotFloors,
  timelinesByTable,
  type CaptureInstance,
  type ChangeRecord,
} from './sqlserver-cdc.js';
import { formatPosition, parseLsn, type Lsn } from './sqlserver-lsn.js';

const L = (text: string): Lsn => parseLsn(text);
const lsn = (n: number) => L(n.toString(16).padStart(20, '0'));

const orders: TableSchema = {
  id: { schema: 'dbo', name: 'orders' },
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int32' }, nativeType: 'int', nullable: false },
    {
      name: 'amount',
      type: { kind: 'numeric', precision: 12, scale: 2 },
      nativeType: 'decimal(12,2)',
      nullable: true,
    },
  ],
};
const lines: TableSchema = {
  id: { schema: 'dbo', name: 'lines' },
  primaryKey: ['id'],
  columns: [{ name: 'id', type: { kind: 'int32' }, nativeType: 'int', nullable: false }],
};

function rec(
  table: TableSchema,
  l: number,
  s: number,
  operation: 1 | 2 | 3 | 4,
  row: Record<string, unknown>,
): ChangeRecord {
  return { table, lsn: lsn(l), seqval: lsn(s), operation, row };
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const i of items) yield i;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('UpdatePairer', () => {
  it('delete, insert, and an update pair become delete, upsert, upsert', () => {
    const p = new UpdatePairer();
    const out: ChangeEvent[] = [];
    out.push(...p.push(rec(orders, 1, 1, 1, { id: 1, amount: null })));
    out.push(...p.push(rec(orders, 1, 2, 2, { id: 2, amount: '5' })));
    expect(p.push(rec(orders, 1, 3, 3, { id: 2, amount: '5' }))).toEqual([]);
    expect(p.pending).toBe(true);
    out.push(...p.push(rec(orders, 1, 3, 4, { id: 2, amount: '6' })));
    expect(p.pending).toBe(false);
    expect(out).toEqual([
      { op: 'delete', table: orders.id, key: { id: 1 } },
      { op: 'upsert', table: orders.id, key: { id: 2 }, row: { id: 2, amount: '5' } },
      { op: 'upsert', table: orders.id, key: { id: 2 }, row: { id: 2, amount: '6' } },
    ]);
  });
  it('a primary-key change becomes delete of the old key + upsert of the new one', () => {
    const p = new UpdatePairer();
    p.push(rec(orders, 1, 3, 3, { id: 2, amount: '5' }));
    expect(p.push(rec(orders, 1, 3, 4, { id: 7, amount: '5' }))).toEqual([
      { op: 'delete', table: orders.id, key: { id: 2 } },
      { op: 'upsert', table: orders.id, key: { id: 7 }, row: { id: 7, amount: '5' } },
    ]);
  });
  it('compares binary keys by content', () => {
    const bin: TableSchema = { ...orders, primaryKey: ['id'] };
    const p = new UpdatePairer();
    p.push(rec(bin, 1, 3, 3, { id: Buffer.from([1]) }));
    expect(p.push(rec(bin, 1, 3, 4, { id: Buffer.from([1]) }))).toHaveLength(1);
  });
  it('an after-image without its before-image is an upsert; partial rows are flagged', () => {
    const p = new UpdatePairer();
    expect(p.push({ ...rec(orders, 1, 3, 4, { id: 2 }), partial: true, commitMicros: 5n })).toEqual([
      { op: 'upsert', table: orders.id, key: { id: 2 }, row: { id: 2 }, partial: true, sourceTimestamp: 5n },
    ]);
  });
});

describe('mergeChangeStreams', () => {
  it('orders records of several tables by (lsn, seqval, operation)', async () => {
    const a = from([
      rec(orders, 1, 1, 2, { id: 1 }),
      rec(orders, 3, 1, 3, { id: 1 }),
      rec(orders, 3, 1, 4, { id: 1 }),
    ]);
    const b = from([
      rec(lines, 1, 2, 2, { id: 9 }),
      rec(lines, 2, 1, 1, { id: 9 }),
      rec(lines, 3, 0, 2, { id: 8 }),
    ]);
    const merged = await collect(mergeChangeStreams([a, b]));
    expect(
      merged.map((r) => `${r.table.id.name}:${parseInt(r.lsn, 16)}/${parseInt(r.seqval, 16)}/${r.operation}`),
    ).toEqual(['orders:1/1/2', 'lines:1/2/2', 'lines:2/1/1', 'lines:3/0/2', 'orders:3/1/3', 'orders:3/1/4']);
  });
});

describe('assembleBatches', () => {
  const stream = () =>
    from([
      rec(orders, 1, 1, 2, { id: 1 }),
      rec(lines, 1, 2, 2, { id: 9 }),
      rec(orders, 2, 1, 2, { id: 2 }),
      rec(orders, 2, 2, 2, { id: 3 }),
      rec(orders, 2, 3, 3, { id: 3 }),
      rec(orders, 2, 3, 4, { id: 4 }),
      rec(orders, 2, 4, 1, { id: 4 }),
    ]);
  it('ends batches at transaction boundaries, keeping cross-table transactions together', async () => {
    const batches = await collect(assembleBatches(stream(), { maxEvents: 100 }));
    expect(batches.map((b) => [b.position, b.events.length])).toEqual([
      [{ lsn: lsn(1) }, 2],
      [{ lsn: lsn(2) }, 5],
    ]);
  });
  it('splits a large transaction but never between before- and after-image', async () => {
    const batches = await collect(assembleBatches(stream(), { maxEvents: 2 }));
    expect(batches.map((b) => [b.position, b.events.map((e) => e.op)])).toEqual([
      [{ lsn: lsn(1) }, ['upsert', 'upsert']],
      [{ lsn: lsn(2), seqval: lsn(2), operation: 2 }, ['upsert', 'upsert']],
      // 3 is held; its 4 yields delete(3) + upsert(4): the batch ends after the pair
      [{ lsn: lsn(2), seqval: lsn(3), operation: 4 }, ['delete', 'upsert']],
      [{ lsn: lsn(2) }, ['delete']],
    ]);
  });
  it('skips what a table snapshot already contains', async () => {
    const floors = new Map([['dbo.orders', { lsn: lsn(1) }]]);
    const batches = await collect(assembleBatches(stream(), { maxEvents: 100, floors }));
    expect(batches[0]?.events).toEqual([{ op: 'upsert', table: lines.id, key: { id: 9 }, row: { id: 9 } }]);
    expect(batches[1]?.events).toHaveLength(5);
  });
});

describe('snapshot partitions and floors (hand-off from runPipeline)', () => {
  const pos = (n: number) => formatPosition({ lsn: lsn(n) });

  it('names one partition per table and snapshot', () => {
    expect(snapshotPartition(orders.id, pos(16))).toBe(`table:dbo.orders@${pos(16)}`);
    expect(snapshotPartition({ name: 'orders' }, pos(16))).toBe(`table:dbo.orders@${pos(16)}`);
  });

  it('tables snapshotted in parallel keep their own floors (no shared partition to overwrite)', () => {
    // The engine stores each snapshot's partition; the stream must not start after either table's LSN.
    const from = new Map([
      [snapshotPartition(orders.id, pos(10)), pos(10)],
      [snapshotPartition(lines.id, pos(12)), pos(12)],
    ]);
    const floors = snapshotFloors(from, [orders.id, lines.id]);
    expect(floors).toEqual(
      new Map([
        ['dbo.orders', { lsn: lsn(10) }],
        ['dbo.lines', { lsn: lsn(12) }],
      ]),
    );
  });

  it('a re-snapshot moves the table floor forward; older and legacy partitions are outranked', () => {
    const from = new Map([
      ['*', pos(5)],
      [snapshotPartition(orders.id), pos(3)], // partition without position (earlier releases)
      [snapshotPartition(orders.id, pos(4)), pos(4)],
      [snapshotPartition(orders.id, pos(40)), pos(40)],
      ['table:dbo.orders_archive@x', 'not a position of ours'],
    ]);
    expect(snapshotFloors(from, [orders.id]).get('dbo.orders')).toEqual({ lsn: lsn(40) });
    expect(snapshotFloors(from, [lines.id]).size).toBe(0);
  });

  it('records up to the floor are skipped per table, later ones applied', async () => {
    const floors = snapshotFloors(new Map([[snapshotPartition(orders.id, pos(1)), pos(1)]]), [orders.id]);
    const batches = await collect(
      assembleBatches(from([rec(orders, 1, 1, 2, { id: 1 }), rec(orders, 2, 1, 2, { id: 2 })]), {
        maxEvents: 100,
        floors,
      }),
    );
    expect(batches.map((b) => b.events.map((e) => (e.op === 'upsert' ? e.row.id : null)))).toEqual([[], [2]]);
  });
});

describe('CaptureTimeline (rollover)', () => {
  const inst = (name: string, start: number, columns = ['id']): CaptureInstance => ({
    name,
    source: orders.id,
    startLsn: lsn(start),
    minLsn: lsn(start),
    columns,
  });
  const timeline = new CaptureTimeline(orders.id, [
    inst('dbo_orders_v2', 100, ['id', 'amount']),
    inst('dbo_orders', 10),
  ]);
  it('reads the old instance up to the new one’s start, then the new one', () => {
    expect(
      timeline
        .segments({ lsn: lsn(50) }, lsn(200))
        .map((s) => [s.instance.name, s.before && parseInt(s.before, 16)]),
    ).toEqual([
      ['dbo_orders', 100],
      ['dbo_orders_v2', undefined],
    ]);
  });
  it('skips the old instance once the position passed the switch', () => {
    expect(timeline.segments({ lsn: lsn(150) }, lsn(200)).map((s) => s.instance.name)).toEqual([
      'dbo_orders_v2',
    ]);
  });
  it('ignores an instance that starts after the poll bound', () => {
    expect(timeline.segments({ lsn: lsn(20) }, lsn(60)).map((s) => s.instance.name)).toEqual(['dbo_orders']);
  });
  it('finds the instance serving an LSN and the columns an instance lacks', () => {
    expect(timeline.instanceAt(lsn(99))?.name).toBe('dbo_orders');
    expect(timeline.instanceAt(lsn(100))?.name).toBe('dbo_orders_v2');
    expect(CaptureTimeline.missingColumns(inst('x', 1), orders)).toEqual(['amount']);
  });
  it('groups instances by table', () => {
    const map = timelinesByTable([inst('a', 1), { ...inst('b', 2), source: lines.id }]);
    expect([...map.keys()]).toEqual(['dbo.orders', 'dbo.lines']);
    expect(snapshotPartition(orders.id)).toBe('table:dbo.orders');
  });
});

describe('checkRetention', () => {
  it('passes when the minimum LSN is at or below the first needed LSN', () => {
    expect(() => checkRetention(orders.id, { lsn: lsn(99) }, lsn(100))).not.toThrow();
    expect(() =>
      checkRetention(orders.id, { lsn: lsn(100), seqval: lsn(1), operation: 2 }, lsn(100)),
    ).not.toThrow();
  });
  it('names table, stored and minimum LSN and the re-snapshot command', () => {
    let error: unknown;
    try {
      checkRetention(orders.id, { lsn: L('00000025:00000d08:0025') }, L('00000030:00000010:0001'));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'RETENTION_GAP',
      message: expect.stringContaining(
        'dbo.orders: the stored position is 00000025:00000d08:0025 but the capture instance only retains changes from 00000030:00000010:0001',
      ),
      hint: expect.stringContaining('cdc snapshot --config <file> --table dbo.orders'),
    });
    expect(() =>
      checkRetention(orders.id, { lsn: lsn(100), seqval: lsn(1), operation: 2 }, lsn(101)),
    ).toThrow(/lost changes/);
  });
});

describe('SQL Server Agent state', () => {
  it('4 = running, anything else stopped, no row unknown', () => {
    expect(agentStateOf([{ status: 4 }])).toBe('running');
    expect(agentStateOf([{ status: 1 }])).toBe('stopped');
    expect(agentStateOf([])).toBe('unknown');
    expect(agentStoppedError()).toMatchObject({
      code: 'UPSTREAM_ERROR',
      transient: true,
      hint: expect.stringContaining('MSSQL_AGENT_ENABLED'),
    });
  });
});

describe('CDC statements', () => {
  it('change page strictly after (lsn, seqval, op), bounded, with the next instance cut-off', () => {
    const q = changePageQuery({
      captureInstance: 'dbo_orders',
      columns: orders.columns,
      after: { lsn: lsn(5), seqval: lsn(2), operation: 3 },
      to: lsn(9),
      before: lsn(8),
      limit: 1000,
    });
    expect(q.sql).toMatchInlineSnapshot(`
      "SELECT TOP (@limit) c.__$start_lsn AS [__$start_lsn], c.__$seqval AS [__$seqval], c.__$operation AS [__$operation],
        DATEDIFF_BIG(microsecond, CAST('1970-01-01T00:00:00' AS datetime2(7)), DATEADD(minute, -DATEPART(TZOFFSET, SYSDATETIMEOFFSET()), CAST(m.tran_end_time AS datetime2(7)))) AS [__$commit_us],
        c.[id] AS [id], CONVERT(varchar(50), c.[amount]) AS [amount]
      FROM cdc.[dbo_orders_CT] AS c
      LEFT JOIN cdc.lsn_time_mapping AS m ON m.start_lsn = c.__$start_lsn
      WHERE (c.__$start_lsn > @lsn OR (c.__$start_lsn = @lsn AND c.__$seqval > @seqval) OR (c.__$start_lsn = @lsn AND c.__$seqval = @seqval AND c.__$operation > @op))
        AND c.__$start_lsn <= @to
        AND c.__$start_lsn < @before
      ORDER BY c.__$start_lsn, c.__$seqval, c.__$operation"
    `);
    expect(q.params.op).toEqual({ type: 'Int', value: 3 });
    expect(q.params.lsn).toEqual({ type: 'Binary', value: Buffer.from(lsn(5), 'hex'), length: 10 });
  });
  it('a whole-transaction position reads from the next commit on', () => {
    const q = changePageQuery({
      captureInstance: 'dbo_orders',
      columns: [],
      after: { lsn: lsn(5) },
      to: lsn(9),
      limit: 10,
    });
    expect(q.params.seqval?.value).toEqual(Buffer.alloc(10, 0xff));
    expect(q.params.op?.value).toBe(5);
    expect(q.params.before).toBeUndefined();
  });
  it('poll bound over lsn_time_mapping', () => {
    expect(pollBoundQuery(lsn(1), lsn(2), 500).sql).toMatchInlineSnapshot(`
      "SELECT MAX(t.start_lsn) AS toLsn, COUNT_BIG(*) AS n
      FROM (
        SELECT TOP (@n) m.start_lsn
        FROM cdc.lsn_time_mapping AS m
        WHERE m.start_lsn > @from AND m.start_lsn <= @max AND m.tran_id <> 0x00
        ORDER BY m.start_lsn
      ) AS t"
    `);
  });
  it('renders the idempotent enable script', () => {
    expect(
      renderEnableCdcSql({
        database: 'shop',
        tables: [
          { name: 'orders' },
          {
            schema: 'sales',
            name: "o'rders",
            captureInstance: 'sales_orders_v2',
            columns: ['id', 'amount'],
            roleName: 'cdc_reader',
          },
        ],
        retentionMinutes: 10080,
        dropCaptureInstances: [{ schema: 'sales', name: "o'rders", captureInstance: 'sales_orders' }],
      }),
    ).toMatchInlineSnapshot(`
      "-- Generated by cdc: enable SQL Server change data capture on shop.
      -- Needs sysadmin (db_owner on Azure SQL Database) for the database step, db_owner for tables.
      -- SQL Server Agent must be running (Azure SQL Database uses a built-in scheduler).
      USE [shop];
      GO
      IF NOT EXISTS (SELECT 1 FROM sys.databases WHERE name = N'shop' AND is_cdc_enabled = 1)
        EXEC sys.sp_cdc_enable_db;
      GO
      ALTER DATABASE [shop] SET ALLOW_SNAPSHOT_ISOLATION ON;
      GO
      IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE capture_instance = N'dbo_orders')
        EXEC sys.sp_cdc_enable_table @source_schema = N'dbo',
          @source_name = N'orders',
          @role_name = NULL,
          @capture_instance = N'dbo_orders',
          @supports_net_changes = 0;
      GO
      IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE capture_instance = N'sales_orders_v2')
        EXEC sys.sp_cdc_enable_table @source_schema = N'sales',
          @source_name = N'o''rders',
          @role_name = N'cdc_reader',
          @capture_instance = N'sales_orders_v2',
          @supports_net_changes = 0,
          @captured_column_list = N'[id], [amount]';
      GO
      -- Drop the old capture instance only after cdc has switched to the new one (see docs/sources/sqlserver.md).
      IF EXISTS (SELECT 1 FROM cdc.change_tables WHERE capture_instance = N'sales_orders')
        EXEC sys.sp_cdc_disable_table @source_schema = N'sales', @source_name = N'o''rders', @capture_instance = N'sales_orders';
      GO
      EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = 10080;
      GO
      "
    `);
    expect(() => renderEnableCdcSql({ database: 'd', tables: [{ name: 'a-b' }] })).toThrow(
      /Capture instance name "dbo_a-b"/,
    );
  });

  it('builds executable enable statements with every name bound as a parameter', () => {
    const statements = enableCdcStatements({
      tables: [
        { name: 'orders' },
        {
          schema: 'sales',
          name: "o'rders]; DROP TABLE x; --",
          captureInstance: 'sales_orders_v2',
          columns: ['id', 'amo]unt'],
          roleName: 'cdc_reader',
          filegroup: 'CDC_FG',
        },
      ],
      retentionMinutes: 10080,
    });
    expect(statements.map((s) => s.description)).toEqual([
      'enable CDC on the database (sys.sp_cdc_enable_db)',
      'allow snapshot isolation (consistent snapshots)',
      'enable CDC on dbo.orders (capture instance dbo_orders)',
      'enable CDC on sales."o\'rders]; DROP TABLE x; --" (capture instance sales_orders_v2)',
      'set the change-table retention to 10080 minutes',
    ]);
    expect(statements.map((s) => s.query.sql).join('\n--\n')).toMatchInlineSnapshot(`
      "IF NOT EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND is_cdc_enabled = 1)
        EXEC sys.sp_cdc_enable_db;
      --
      ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON;
      --
      IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE capture_instance = @capture_instance)
        EXEC sys.sp_cdc_enable_table @source_schema = @source_schema,
          @source_name = @source_name,
          @role_name = @role_name,
          @capture_instance = @capture_instance,
          @supports_net_changes = 0;
      --
      IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE capture_instance = @capture_instance)
        EXEC sys.sp_cdc_enable_table @source_schema = @source_schema,
          @source_name = @source_name,
          @role_name = @role_name,
          @capture_instance = @capture_instance,
          @supports_net_changes = 0,
          @captured_column_list = @captured_column_list,
          @filegroup_name = @filegroup_name;
      --
      EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = @retention;"
    `);
    // Names and options never reach the text: they are parameters.
    const text = statements.map((s) => s.query.sql).join('\n');
    expect(text).not.toContain('orders');
    expect(text).not.toContain('cdc_reader');
    expect(text).not.toContain('CDC_FG');
    expect(statements[2]?.query.params).toEqual({
      source_schema: { type: 'NVarChar', value: 'dbo' },
      source_name: { type: 'NVarChar', value: 'orders' },
      role_name: { type: 'NVarChar', value: null },
      capture_instance: { type: 'NVarChar', value: 'dbo_orders' },
    });
    expect(statements[3]?.query.params).toMatchObject({
      source_schema: { value: 'sales' },
      source_name: { value: "o'rders]; DROP TABLE x; --" },
      role_name: { value: 'cdc_reader' },
      capture_instance: { value: 'sales_orders_v2' },
      // sp_cdc_enable_table parses this list itself: names are bracket-quoted, `]` doubled.
      captured_column_list: { value: '[id], [amo]]unt]' },
      filegroup_name: { value: 'CDC_FG' },
    });
    expect(statements[4]?.query.params).toEqual({ retention: { type: 'BigInt', value: 10080 } });
  });

  it('leaves snapshot isolation alone on request and validates names and retention', () => {
    expect(
      enableCdcStatements({ tables: [{ name: 't' }], snapshotIsolation: false }).map((s) => s.description),
    ).toEqual([
      'enable CDC on the database (sys.sp_cdc_enable_db)',
      'enable CDC on dbo.t (capture instance dbo_t)',
    ]);
    expect(() => enableCdcStatements({ tables: [{ name: 'a b' }] })).toThrow(
      /Capture instance name "dbo_a b" must be 1–100 letters/,
    );
    expect(captureInstanceName({ name: 'a b', captureInstance: 'a_b' })).toBe('a_b');
    expect(() => enableCdcStatements({ tables: [], retentionMinutes: 0 })).toThrow(
      /retentionMinutes must be a positive integer, got 0/,
    );
  });
});
