import { CdcError, type ChangeBatch, type TableMapping, type TableSchema } from '@cdc/core';
import { createTestDatabase, useTestDatabase } from '@cdc/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSink, connectPostgres, type PostgresAdapter } from '../src/index.js';

const db = useTestDatabase();

const source: TableSchema = {
  id: { schema: 'dbo', name: 'Order Lines' },
  columns: [
    { name: 'order', type: { kind: 'int64' }, nativeType: 'bigint', nullable: false },
    { name: 'line.no', type: { kind: 'int32' }, nativeType: 'int', nullable: false },
    { name: 'Sku "code"', type: { kind: 'text' }, nativeType: 'nvarchar(20)', nullable: true },
    { name: 'qty', type: { kind: 'int16' }, nativeType: 'smallint', nullable: true },
    {
      name: 'price',
      type: { kind: 'numeric', precision: 12, scale: 2 },
      nativeType: 'decimal(12,2)',
      nullable: true,
    },
    { name: 'at', type: { kind: 'timestamptz', precision: 6 }, nativeType: 'datetimeoffset', nullable: true },
  ],
  primaryKey: ['order', 'line.no'],
};
const table = source.id;
const key = (order: number, line: number) => ({ order: String(order), 'line.no': line });
const row = (order: number, line: number, sku: string | null, qty: number | null) => ({
  ...key(order, line),
  'Sku "code"': sku,
  qty,
  price: '1.50',
  at: '2024-02-29T23:59:59.999999Z',
});

async function rows(adapter: PostgresAdapter, name: string, extra = ''): Promise<string[]> {
  const result = await adapter.query<{ r: string }>(
    `SELECT concat_ws('/', "order", "line.no", coalesce("Sku ""code""", '∅'), coalesce(qty::text, '∅')${extra}) AS r
       FROM public.${'"' + name.replace(/"/g, '""') + '"'} ORDER BY "order", "line.no"`,
  );
  return result.map((r) => r.r);
}

describe('PostgresSink', () => {
  let adapter: PostgresAdapter;
  beforeAll(() => {
    adapter = connectPostgres({ url: db().url });
  });
  afterAll(async () => {
    await adapter.close();
  });

  it('creates the target from the logical schema with mapped native types', async () => {
    const sink = new PostgresSink(adapter);
    await sink.prepare('types', [
      { source, target: { schema: 'Tgt.Schema', name: 'lines' }, deletes: 'hard' },
    ]);
    const schema = await adapter.introspect({ schema: 'Tgt.Schema', name: 'lines' });
    expect(schema.primaryKey).toEqual(['order', 'line.no']);
    expect(schema.columns.map((c) => `${c.name}:${c.nativeType}`)).toEqual([
      'order:bigint',
      'line.no:integer',
      'Sku "code":text',
      'qty:smallint',
      'price:numeric(12,2)',
      'at:timestamp(6) with time zone',
    ]);
  });

  it('reduces per key, applies partial upserts and soft deletes', async () => {
    const sink = new PostgresSink(adapter);
    const mapping: TableMapping = { source, target: { name: 'soft lines' }, deletes: 'soft' };
    await sink.prepare('soft', [mapping]);
    const epoch = await sink.acquire('soft');
    const result = await sink.apply('soft', epoch, {
      partition: '*',
      position: '1',
      events: [
        { op: 'upsert', table, key: key(1, 1), row: row(1, 1, 'a', 1) },
        { op: 'upsert', table, key: key(1, 1), row: { qty: 5 }, partial: true },
        { op: 'upsert', table, key: key(1, 2), row: row(1, 2, 'b', 2) },
        { op: 'upsert', table, key: key(2, 1), row: row(2, 1, 'c', 3) },
        { op: 'delete', table, key: key(2, 1) },
      ],
    });
    expect(result).toEqual({ upserts: 2, deletes: 0, deadLetters: 0 });
    expect(await rows(adapter, 'soft lines', ', _cdc_deleted')).toEqual(['1/1/a/5/f', '1/2/b/2/f']);
    await sink.apply('soft', epoch, {
      partition: '*',
      position: '2',
      events: [
        { op: 'delete', table, key: key(1, 2) },
        { op: 'upsert', table, key: key(1, 1), row: { 'Sku "code"': null }, partial: true },
      ],
    });
    const after = await adapter.query<{ n: string; at: string | null }>(
      `SELECT count(*) FILTER (WHERE _cdc_deleted) AS n, max(_cdc_deleted_at)::text AS at FROM public."soft lines"`,
    );
    expect(after[0]?.n).toBe('1');
    expect(after[0]?.at).not.toBeNull();
    expect(await rows(adapter, 'soft lines', ', _cdc_deleted')).toEqual(['1/1/∅/5/f', '1/2/b/2/t']);
    // Upserting a soft-deleted key brings it back.
    await sink.apply('soft', epoch, {
      partition: '*',
      position: '3',
      events: [{ op: 'upsert', table, key: key(1, 2), row: row(1, 2, 'b2', 9) }],
    });
    expect(await rows(adapter, 'soft lines', ', _cdc_deleted')).toEqual(['1/1/∅/5/f', '1/2/b2/9/f']);
    expect(await sink.checkpoints('soft')).toEqual(new Map([['*', '3']]));
  });

  it('keeps the newest source timestamp (last writer wins) and deletes key ranges', async () => {
    const sink = new PostgresSink(adapter);
    await sink.prepare('lww', [
      { source, target: { name: 'lww' }, deletes: 'hard', sourceTimestampColumn: '_src_ts' },
    ]);
    const epoch = await sink.acquire('lww');
    await sink.apply('lww', epoch, {
      partition: 'p0',
      position: 'a',
      events: [
        { op: 'upsert', table, key: key(1, 1), row: row(1, 1, 'new', 1), sourceTimestamp: 200n },
        { op: 'upsert', table, key: key(1, 2), row: row(1, 2, 'x', 1), sourceTimestamp: 100n },
        { op: 'upsert', table, key: key(1, 3), row: row(1, 3, 'y', 1), sourceTimestamp: 100n },
        { op: 'upsert', table, key: key(2, 1), row: row(2, 1, 'z', 1), sourceTimestamp: 100n },
      ],
    });
    // An older write (e.g. from an overlapping snapshot) loses.
    await sink.apply('lww', epoch, {
      partition: 'p0',
      position: 'b',
      events: [{ op: 'upsert', table, key: key(1, 1), row: row(1, 1, 'old', 1), sourceTimestamp: 150n }],
    });
    expect(await rows(adapter, 'lww')).toEqual(['1/1/new/1', '1/2/x/1', '1/3/y/1', '2/1/z/1']);
    const result = await sink.apply('lww', epoch, {
      partition: 'p0',
      position: 'c',
      events: [
        {
          op: 'delete-range',
          table,
          prefix: { order: '1' },
          lower: { column: 'line.no', value: 2, inclusive: true },
          sourceTimestamp: 300n,
        },
      ],
    });
    expect(result.deletes).toBe(2);
    expect(await rows(adapter, 'lww')).toEqual(['1/1/new/1', '2/1/z/1']);
  });

  it('dead-letters rows that cannot be applied and applies the rest', async () => {
    const sink = new PostgresSink(adapter);
    await sink.prepare('dl', [{ source, target: { name: 'dead letters' }, deletes: 'hard' }]);
    const epoch = await sink.acquire('dl');
    const result = await sink.apply('dl', epoch, {
      partition: '*',
      position: '7',
      events: [
        { op: 'upsert', table, key: key(1, 1), row: row(1, 1, 'ok', 1) },
        { op: 'upsert', table, key: key(1, 2), row: row(1, 2, 'too big', 70_000) },
        { op: 'upsert', table, key: key(1, 3), row: row(1, 3, 'ok', 3) },
      ],
    });
    expect(result).toEqual({ upserts: 2, deletes: 0, deadLetters: 1 });
    expect(await rows(adapter, 'dead letters')).toEqual(['1/1/ok/1', '1/3/ok/3']);
    const letters = await adapter.query<{ key: unknown; error: string; position: string }>(
      `SELECT key, error, position FROM cdc_meta.dead_letters WHERE pipeline = 'dl'`,
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]?.error).toMatch(/out of range/);
    expect(letters[0]?.position).toBe('7');
  });

  it('applies a batch and its checkpoint together or not at all when the connection is killed mid-transaction', async () => {
    const sink = new PostgresSink(connectPostgres({ url: db().url, applicationName: 'cdc-crash-victim' }), {
      ownsAdapter: true,
    });
    await sink.prepare('crash', [{ source, target: { name: 'crash' }, deletes: 'hard' }]);
    const epoch = await sink.acquire('crash');
    const first: ChangeBatch = {
      partition: '*',
      position: '10',
      events: [{ op: 'upsert', table, key: key(1, 1), row: row(1, 1, 'first', 1) }],
    };
    await sink.apply('crash', epoch, first);
    const batch: ChangeBatch = {
      partition: '*',
      position: '11',
      events: Array.from({ length: 500 }, (_, i) => ({
        op: 'upsert' as const,
        table,
        key: key(2, i),
        row: row(2, i, `r${i}`, i % 100),
      })),
    };
    // Hold the checkpoint table so the apply blocks after writing its rows but before committing.
    const blocker = new pg.Client({ connectionString: db().url });
    const killer = new pg.Client({ connectionString: db().url });
    await blocker.connect();
    await killer.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE cdc_meta.checkpoints IN EXCLUSIVE MODE');
      const applying = sink.apply('crash', epoch, batch).then(
        () => undefined,
        (e: unknown) => e,
      );
      let pid: number | undefined;
      for (let attempt = 0; attempt < 200 && pid === undefined; attempt++) {
        const { rows: waiting } = await killer.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE application_name = 'cdc-crash-victim' AND wait_event_type = 'Lock' AND datname = current_database()`,
        );
        pid = waiting[0]?.pid;
        if (pid === undefined) await new Promise((r) => setTimeout(r, 25));
      }
      expect(pid).toBeDefined();
      // The victim's rows are written (visible to itself only) and it is waiting on the checkpoint.
      await killer.query('SELECT pg_terminate_backend($1)', [pid]);
      const error = await applying;
      expect(error).toBeInstanceOf(CdcError);
      expect((error as CdcError).transient).toBe(true);
      await blocker.query('COMMIT');
    } finally {
      await blocker.end();
      await killer.end();
    }
    const reader = connectPostgres({ url: db().url });
    try {
      expect(await rows(reader, 'crash')).toEqual(['1/1/first/1']);
      const restarted = new PostgresSink(reader);
      await restarted.prepare('crash', [{ source, target: { name: 'crash' }, deletes: 'hard' }]);
      expect(await restarted.checkpoints('crash')).toEqual(new Map([['*', '10']]));
      // Restart from the checkpoint: the batch applies fully, exactly once.
      const again = await restarted.acquire('crash');
      await restarted.apply('crash', again, batch);
      expect(await rows(reader, 'crash')).toHaveLength(501);
      expect(await restarted.checkpoints('crash')).toEqual(new Map([['*', '11']]));
      // The old worker's epoch can no longer commit.
      const fenced = await sink.apply('crash', epoch, { ...batch, position: '12' }).catch((e: unknown) => e);
      expect((fenced as CdcError).code).toBe('FENCED');
    } finally {
      await sink.close();
      await reader.close();
    }
  });
});

describe('PostgresSink on a fresh database', () => {
  it('creates cdc_meta on first use, whatever is called first', async () => {
    const fresh = await createTestDatabase();
    const sink = PostgresSink.open({ url: fresh.url });
    try {
      expect(await sink.checkpoints('new')).toEqual(new Map());
      expect(await sink.acquire('new')).toBe(1);
      expect(await sink.acquire('new')).toBe(2);
    } finally {
      await sink.close();
      await fresh.drop();
    }
  });
});
