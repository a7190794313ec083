import { describe, expect, it } from 'vitest';
import { CdcError } from '../errors.js';
import type { TableSchema } from '../schema.js';
import { InMemoryChangeSink, InMemoryChangeSource } from './in-memory-doubles.js';
import { isSnapshotDone, runPipeline, snapshotPartition, type PipelineEvent } from './pipeline.js';

const orders: TableSchema = {
  id: { schema: 'sales', name: 'orders' },
  columns: [
    { name: 'id', type: { kind: 'int64' }, nativeType: 'bigint', nullable: false },
    { name: 'email', type: { kind: 'text' }, nativeType: 'text', nullable: true },
    {
      name: 'total',
      type: { kind: 'numeric', precision: 12, scale: 2 },
      nativeType: 'numeric(12,2)',
      nullable: true,
    },
  ],
  primaryKey: ['id'],
};
const items: TableSchema = {
  id: { schema: 'sales', name: 'items' },
  columns: [
    { name: 'order_id', type: { kind: 'int64' }, nativeType: 'bigint', nullable: false },
    { name: 'line', type: { kind: 'int32' }, nativeType: 'integer', nullable: false },
    { name: 'sku', type: { kind: 'text' }, nativeType: 'text', nullable: true },
  ],
  primaryKey: ['order_id', 'line'],
};

function setup(rows = 3) {
  const source = new InMemoryChangeSource();
  source.addTable(
    orders,
    Array.from({ length: rows }, (_, i) => ({ id: String(i + 1), email: `u${i + 1}@x.io`, total: '1.00' })),
  );
  source.addTable(items, [{ order_id: '1', line: 1, sku: 'A' }]);
  const sink = new InMemoryChangeSink();
  const sleeps: number[] = [];
  const events: PipelineEvent[] = [];
  const base = {
    name: 'sales',
    source,
    sink,
    tables: [{ table: orders.id }, { table: items.id }],
    batch: { maxWaitMs: 0 },
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    onEvent: (e: PipelineEvent) => events.push(e),
  };
  return { source, sink, sleeps, events, base };
}

const upsert = (id: number, total: string) =>
  ({
    op: 'upsert',
    table: orders.id,
    key: { id: String(id) },
    row: { id: String(id), email: `u${id}@x.io`, total },
  }) as const;
const del = (id: number) => ({ op: 'delete', table: orders.id, key: { id: String(id) } }) as const;

describe('runPipeline (with in-memory test doubles)', () => {
  it('snapshots every table, then streams changes to the same state as the source', async () => {
    const { source, sink, base } = setup(5);
    const first = await runPipeline({ ...base, once: true });
    expect(first.snapshots.map((s) => s.rows).sort()).toEqual([1, 5]);
    source.commit([upsert(2, '9.99'), del(3)]);
    source.commit([upsert(6, '6.00')]);
    const second = await runPipeline({ ...base, once: true });
    expect(second.snapshots).toEqual([]);
    expect(second.events).toBe(3);
    const sorted = (r: { id?: unknown }[]) => [...r].sort((a, b) => Number(a.id) - Number(b.id));
    expect(sorted(sink.rows(orders.id))).toEqual(sorted(source.rows(orders.id)));
    expect(sink.rows(items.id)).toEqual(source.rows(items.id));
    expect(source.acknowledged.at(-1)).toBe('2');
    expect(second.epoch).toBe(2);
  });

  it('records snapshot progress and the stream start before rows, and marks the snapshot done last', async () => {
    const { sink, base } = setup(2);
    await runPipeline({ ...base, tables: [{ table: orders.id }], mode: 'snapshot' });
    const parts = sink.applied.map((b) => [
      b.partition,
      b.events.length,
      JSON.parse(b.position).state ?? b.position,
    ]);
    expect(parts[0]).toEqual(['*', 0, '0']);
    expect(parts.at(-1)).toEqual([snapshotPartition(orders.id), 0, 'done']);
    expect(isSnapshotDone(await sink.checkpoints('sales'), orders.id)).toBe(true);
  });

  it('a requested re-snapshot replaces the table, dropping rows the target kept by mistake', async () => {
    const { sink, base } = setup(3);
    await runPipeline({ ...base, once: true });
    sink.tables.get(JSON.stringify([null, 'sales', 'orders']))!.set('["stale"]', { id: 'stale' });
    const again = await runPipeline({ ...base, mode: 'snapshot', resnapshot: [orders.id] });
    expect(again.snapshots).toEqual([{ table: orders.id, rows: 3 }]);
    expect(
      sink
        .rows(orders.id)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['1', '2', '3']);
    // The other table was not touched.
    expect(sink.rows(items.id)).toHaveLength(1);
  });

  it('merges source transactions into sink batches by rows without splitting a transaction', async () => {
    const { source, sink, base } = setup(0);
    await runPipeline({ ...base, once: true });
    sink.applied.length = 0;
    source.commit([upsert(1, '1.00'), upsert(2, '2.00')]);
    source.commit([upsert(3, '3.00'), upsert(4, '4.00')]);
    source.commit([upsert(5, '5.00')]);
    const result = await runPipeline({ ...base, once: true, batch: { maxRows: 3, maxWaitMs: 50 } });
    // 2 + 2 would exceed 3 rows, so the second transaction starts a new batch; the third joins it.
    expect(sink.applied.map((b) => [b.events.length, b.position])).toEqual([
      [2, '1'],
      [3, '3'],
    ]);
    expect(result.batches).toBe(2);
  });

  it('retries transient failures with growing jittered delays and resumes from the committed position', async () => {
    const { source, sink, sleeps, events, base } = setup(1);
    await runPipeline({ ...base, once: true });
    source.commit([upsert(7, '7.00')]);
    source.commit([upsert(8, '8.00')]);
    const transient = Object.assign(new Error('Connection terminated unexpectedly'), {});
    sink.applyFailures.push(transient, transient);
    source.streamFailures.push(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const result = await runPipeline({
      ...base,
      once: true,
      retry: { initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000 },
    });
    expect(sleeps).toEqual([50, 100, 200]);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(3);
    expect(result.events).toBe(2);
    expect(
      sink
        .rows(orders.id)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['1', '7', '8']);
  });

  it('gives up after maxAttempts transient failures with an error naming the pipeline', async () => {
    const { sink, base } = setup(1);
    const err = Object.assign(new Error('too many connections'), { code: '53300' });
    sink.applyFailures.push(err, err, err);
    const only = { ...base, tables: [{ table: orders.id }] };
    await expect(runPipeline({ ...only, once: true, retry: { maxAttempts: 3 } })).rejects.toThrow(
      /pipeline sales: snapshot of sales\.orders still failing after 3 attempts: too many connections/,
    );
  });

  it('fails at once on a permanent error, without retrying', async () => {
    const { sink, sleeps, base } = setup(1);
    sink.applyFailures.push(new CdcError('PERMISSION_DENIED', 'permission denied for schema sales'));
    await expect(runPipeline({ ...base, once: true })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(sleeps).toEqual([]);
  });

  it('a superseded worker is fenced: its apply fails and it stops', async () => {
    const { source, sink, base } = setup(1);
    await runPipeline({ ...base, once: true });
    source.commit([upsert(9, '9.00')]);
    sink.onApply = () => {
      sink.onApply = undefined;
      void sink.acquire('sales');
    };
    await expect(runPipeline({ ...base, once: true })).rejects.toMatchObject({ code: 'FENCED' });
    expect(sink.rows(orders.id).map((r) => r.id)).toEqual(['1']);
  });

  it('a retention gap surfaces as RETENTION_GAP with the re-snapshot command', async () => {
    const { source, base } = setup(1);
    await runPipeline({ ...base, once: true });
    source.commit([upsert(2, '2.00')]);
    source.truncatedBefore = 1;
    const error = await runPipeline({
      ...base,
      once: true,
      resnapshotCommand: (t) => `cdc snapshot --config cdc.yaml --table ${t.schema}.${t.name}`,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RETENTION_GAP' });
    expect((error as CdcError).hint).toContain('cdc snapshot --config cdc.yaml --table sales.orders');
  });

  it('stops gracefully: the running batch commits, the next is never started, and a restart resumes', async () => {
    const { source, sink, base } = setup(0);
    await runPipeline({ ...base, once: true });
    for (let i = 1; i <= 5; i++) source.commit([upsert(i, `${i}.00`)]);
    const stop = new AbortController();
    let seen = 0;
    sink.onApply = () => {
      if (++seen === 2) stop.abort();
    };
    const result = await runPipeline({ ...base, signal: stop.signal, batch: { maxRows: 1, maxWaitMs: 0 } });
    expect(result.stopped).toBe(true);
    expect(result.events).toBe(2);
    expect((await sink.checkpoints('sales')).get('*')).toBe('2');
    sink.onApply = undefined;
    await runPipeline({ ...base, once: true });
    expect(sink.rows(orders.id)).toHaveLength(5);
  });

  it('assembles the next batch while one commits, yet commits one batch at a time, in order', async () => {
    const { source, sink, base } = setup(0);
    await runPipeline({ ...base, once: true });
    for (let i = 1; i <= 6; i++) source.commit([upsert(i, `${i}.00`)]);
    const apply = sink.apply.bind(sink);
    let running = 0;
    let most = 0;
    const order: string[] = [];
    sink.apply = async (pipeline, epoch, batch) => {
      running++;
      most = Math.max(most, running);
      order.push(batch.position);
      // Yield long enough for the engine to read and assemble the next batch meanwhile.
      for (let i = 0; i < 20; i++) await Promise.resolve();
      try {
        return await apply(pipeline, epoch, batch);
      } finally {
        running--;
      }
    };
    const result = await runPipeline({ ...base, once: true, batch: { maxRows: 1, maxWaitMs: 0 } });
    expect(result.events).toBe(6);
    expect(most).toBe(1);
    expect(order).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(source.acknowledged).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(sink.rows(orders.id)).toHaveLength(6);
  });

  it('a failed commit stops the stream before the batch assembled meanwhile is sent', async () => {
    const { source, sink, base } = setup(0);
    await runPipeline({ ...base, once: true });
    for (let i = 1; i <= 4; i++) source.commit([upsert(i, `${i}.00`)]);
    const sent: string[] = [];
    sink.onApply = (batch) => sent.push(batch.position);
    sink.applyFailures.push(new CdcError('INVALID_ARGUMENT', 'bad batch'));
    await expect(runPipeline({ ...base, once: true, batch: { maxRows: 1, maxWaitMs: 0 } })).rejects.toThrow(
      'bad batch',
    );
    expect(sent).toEqual(['1']);
    expect(sink.rows(orders.id)).toHaveLength(0);
  });

  it('applies transforms: excluded, renamed and masked columns, target naming, soft deletes', async () => {
    const { source, sink, base } = setup(2);
    const target = { schema: 'mirror', name: 'client_orders' };
    await runPipeline({
      ...base,
      once: true,
      tables: [
        {
          table: orders.id,
          transform: {
            renameColumns: { total: 'amount' },
            mask: { email: 'hash' },
            hashSalt: 's',
            target,
            deletes: 'soft',
          },
        },
      ],
    });
    source.commit([del(1)]);
    await runPipeline({
      ...base,
      once: true,
      tables: [
        {
          table: orders.id,
          transform: {
            target,
            deletes: 'soft',
            renameColumns: { total: 'amount' },
            mask: { email: 'hash' },
            hashSalt: 's',
          },
        },
      ],
    });
    const rows = sink.rows(target);
    expect(rows.find((r) => r.id === '1')).toMatchObject({ _cdc_deleted: true });
    const two = rows.find((r) => r.id === '2')!;
    expect(Object.keys(two).sort()).toEqual(['amount', 'email', 'id']);
    expect(two.email).toMatch(/^[0-9a-f]{64}$/);
    expect(two.email).not.toContain('u2');
    const mapping = sink.mappings.get(JSON.stringify([null, 'sales', 'orders']))!;
    expect(mapping.target).toEqual(target);
    expect(mapping.source.columns.find((c) => c.name === 'email')?.type).toEqual({ kind: 'text' });
  });

  it('evolves the target when the source adds a column, and stops the table on a type change', async () => {
    const { source, sink, events, base } = setup(1);
    await runPipeline({ ...base, once: true });
    const withNote = {
      ...orders,
      columns: [
        ...orders.columns,
        { name: 'note', type: { kind: 'text' }, nativeType: 'text', nullable: true },
      ],
    } satisfies TableSchema;
    // The source changes while the pipeline runs (after it introspected the tables).
    const alterOnStart = (schema: TableSchema, row: Record<string, unknown>) => (e: PipelineEvent) => {
      events.push(e);
      if (e.type !== 'started') return;
      source.alterTable(schema);
      source.commit([{ op: 'upsert', table: orders.id, key: { id: row.id }, row }]);
    };
    await runPipeline({
      ...base,
      once: true,
      onEvent: alterOnStart(withNote, { id: '4', email: null, total: '4.00', note: 'hi' }),
    });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'schema-evolved', addedColumns: ['note'] }),
    );
    const mapping = sink.mappings.get(JSON.stringify([null, 'sales', 'orders']))!;
    expect(mapping.source.columns.map((c) => c.name)).toEqual(['id', 'email', 'total', 'note']);
    expect(sink.rows(orders.id).find((r) => r.id === '4')).toMatchObject({ note: 'hi' });

    const retyped = {
      ...withNote,
      columns: withNote.columns.map((c) =>
        c.name === 'total' ? { ...c, nativeType: 'text', type: { kind: 'text' as const } } : c,
      ),
    };
    await expect(
      runPipeline({
        ...base,
        once: true,
        onEvent: alterOnStart(retyped, { id: '5', email: null, total: 'x', note: null, extra: 1 }),
      }),
    ).rejects.toThrow(
      /table sales\.orders: source column "total" changed type from numeric\(12,2\) to text; replication of this table stopped/,
    );
    expect(sink.rows(orders.id).find((r) => r.id === '5')).toBeUndefined();
  });
});
