import type { ChangeBatch, ChangeEvent, Row, TableSchema } from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresChangeSource, parseLsn } from '../src/postgres-change-source.js';

const db = useTestDatabase();
const sources: PostgresChangeSource[] = [];
let slotSeq = 0;

function source(slot = `cdc_t${process.pid}_${++slotSeq}`) {
  const s = new PostgresChangeSource({
    url: db().url,
    slot,
    tables: [{ schema: 'public', name: 'orders' }],
    pollIntervalMs: 10,
  });
  sources.push(s);
  return s;
}

afterEach(async () => {
  for (const s of sources.splice(0)) {
    await s.dropSlot().catch(() => undefined);
    await s.close();
  }
});

async function collect(s: PostgresChangeSource, schema: TableSchema, from?: string, maxBatchEvents?: number) {
  const batches: ChangeBatch[] = [];
  for await (const b of s.changes({
    tables: [schema],
    from: new Map(from ? [['*', from]] : []),
    untilCaughtUp: true,
    ...(maxBatchEvents ? { maxBatchEvents } : {}),
  })) {
    batches.push(b);
  }
  return batches;
}

const brief = (e: ChangeEvent) =>
  e.op === 'upsert'
    ? ['upsert', e.row.id, e.row.note ?? null]
    : e.op === 'delete'
      ? ['delete', e.key.id]
      : ['truncate'];

async function snapshotRows(s: PostgresChangeSource, schema: TableSchema) {
  const snap = await s.snapshot(schema);
  const rows: Row[] = [];
  for await (const chunk of snap.rows) rows.push(...chunk);
  await snap.close();
  return { snap, rows };
}

describe('PostgresChangeSource (real PostgreSQL, logical decoding)', () => {
  it('snapshots at the slot consistent point and streams later transactions in commit order', async () => {
    await db().query('DROP TABLE IF EXISTS orders');
    await db().query(
      'CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount numeric(12,2), at timestamptz)',
    );
    await db().query(
      "INSERT INTO orders VALUES (1, 'a', 1.50, '2024-01-02 03:04:05.123456+00'), (2, 'b', 2, NULL)",
    );
    const s = source();
    const schema = await s.introspect({ schema: 'public', name: 'orders' });
    const { snap, rows } = await snapshotRows(s, schema);
    expect(snap.partition).toBe('*');
    expect(rows.map((r) => r.id).sort()).toEqual(['1', '2']);
    expect(rows.find((r) => r.id === '1')).toMatchObject({ amount: '1.50' });

    await db().query(
      "BEGIN; UPDATE orders SET note = 'a2' WHERE id = 1; INSERT INTO orders VALUES (3, 'c', 3, now()); COMMIT",
    );
    await db().query('DELETE FROM orders WHERE id = 2');
    const batches = await collect(s, schema);
    expect(batches.map((b) => b.events.map(brief))).toEqual([
      [
        ['upsert', '1', 'a2'],
        ['upsert', '3', 'c'],
      ],
      [['delete', '2']],
    ]);
    expect(parseLsn(batches[0]!.position) > parseLsn(snap.position)).toBe(true);
    expect(parseLsn(batches[1]!.position) > parseLsn(batches[0]!.position)).toBe(true);
    expect(batches[0]!.commitTimeMicros).toBeGreaterThan(0n);
    const upsert = batches[0]!.events[0]!;
    expect(upsert.op === 'upsert' && upsert.row).toMatchObject({
      id: '1',
      amount: '1.50',
      at: expect.stringMatching(/^2024-01-02[ T]03:04:05\.123456/),
    });
  });

  it('re-delivers unacknowledged changes after a restart and skips what the checkpoint covers', async () => {
    await db().query('DROP TABLE IF EXISTS orders');
    await db().query('CREATE TABLE orders (id bigint PRIMARY KEY, note text)');
    const slot = `cdc_replay_${process.pid}`;
    const s1 = source(slot);
    const schema = await s1.introspect({ schema: 'public', name: 'orders' });
    await (await s1.snapshot(schema)).close();
    await db().query("INSERT INTO orders VALUES (1, 'x')");
    await db().query("INSERT INTO orders VALUES (2, 'y')");
    const first = await collect(s1, schema);
    expect(first).toHaveLength(2);
    // Only the first transaction was committed by the sink and acknowledged; then the process "dies".
    await s1.acknowledge('*', first[0]!.position);
    await s1.close();
    sources.splice(sources.indexOf(s1), 1);

    const s2 = source(slot);
    const replay = await collect(s2, schema);
    expect(replay.map((b) => b.events.map(brief))).toEqual([[['upsert', '2', 'y']]]);
    // With the sink's checkpoint past the second one, nothing is delivered twice.
    expect(await collect(s2, schema, replay[0]!.position)).toEqual([]);
    const [slotRow] = await db().query<{ confirmed_flush_lsn: string }>(
      'SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    expect(slotRow?.confirmed_flush_lsn).toBe(first[0]!.position);
  });

  it('emits each transaction once while earlier ones stay unacknowledged across many small polls', async () => {
    await db().query('DROP TABLE IF EXISTS orders');
    await db().query('CREATE TABLE orders (id bigint PRIMARY KEY, note text)');
    const s = new PostgresChangeSource({
      url: db().url,
      slot: `cdc_small_${process.pid}`,
      tables: [{ schema: 'public', name: 'orders' }],
      pollIntervalMs: 10,
      activePollIntervalMs: 0,
      maxChangesPerPoll: 2,
    });
    sources.push(s);
    const schema = await s.introspect({ schema: 'public', name: 'orders' });
    await (await s.snapshot(schema)).close();
    for (let i = 1; i <= 6; i++) {
      await db().query(
        `BEGIN; INSERT INTO orders VALUES (${i}, 'n${i}'); UPDATE orders SET note = 'u${i}' WHERE id = ${i}; COMMIT`,
      );
    }
    // Nothing is acknowledged: every peek starts again at the first transaction.
    const batches = await collect(s, schema);
    expect(batches.map((b) => b.events.map(brief))).toEqual(
      [1, 2, 3, 4, 5, 6].map((i) => [
        ['upsert', String(i), `n${i}`],
        ['upsert', String(i), `u${i}`],
      ]),
    );
    const ends = batches.map((b) => parseLsn(b.position));
    expect([...ends].sort((a, b) => (a < b ? -1 : 1))).toEqual(ends);
  });

  it('splits a large transaction into resumable parts and reports key changes as delete + upsert', async () => {
    await db().query('DROP TABLE IF EXISTS orders');
    await db().query('CREATE TABLE orders (id bigint PRIMARY KEY, note text)');
    const s = source();
    const schema = await s.introspect({ schema: 'public', name: 'orders' });
    await (await s.snapshot(schema)).close();
    await db().query("INSERT INTO orders SELECT g, 'n' || g FROM generate_series(1, 5) g");
    await db().query('UPDATE orders SET id = 50 WHERE id = 5');
    const parts = await collect(s, schema, undefined, 2);
    expect(parts.map((b) => b.events.length)).toEqual([2, 2, 1, 2]);
    expect(parts[0]!.position).toMatch(/#2$/);
    expect(parts[1]!.position).toMatch(/#4$/);
    expect(parts[2]!.position).not.toContain('#');
    expect(parts[3]!.events.map(brief)).toEqual([
      ['delete', '5'],
      ['upsert', '50', 'n5'],
    ]);
    // Resuming inside the transaction delivers only its remaining changes.
    const resumed = await collect(s, schema, parts[0]!.position, 2);
    expect(resumed[0]!.events.map(brief)).toEqual([
      ['upsert', '3', 'n3'],
      ['upsert', '4', 'n4'],
    ]);
  });

  it('reports a missing slot as a retention gap, and drops its slot and publication on request', async () => {
    await db().query('DROP TABLE IF EXISTS orders');
    await db().query('CREATE TABLE orders (id bigint PRIMARY KEY, note text)');
    const s = source();
    const schema = await s.introspect({ schema: 'public', name: 'orders' });
    await (await s.snapshot(schema)).close();
    const slots = await s.slots();
    expect(slots.find((x) => x.slot === s.slot)).toMatchObject({ plugin: 'pgoutput' });
    expect(await s.dropSlot()).toBe(true);
    expect(await db().query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [s.slot])).toEqual([]);
    expect(await db().query('SELECT 1 FROM pg_publication WHERE pubname = $1', [s.slot])).toEqual([]);

    const other = source(s.slot);
    await other.ensure();
    await other.dropSlot();
    const gap = await collect(source(s.slot), schema, '0/1').catch((e: unknown) => e);
    // Recreated by ensure(): the checkpoint 0/1 is older than the new slot — changes in between are gone.
    expect(gap).toMatchObject({ code: 'RETENTION_GAP' });
  });
});
