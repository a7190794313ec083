import { runPipeline, type PipelineOptions } from '@cdc/core';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '@cdc/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres } from '../src/postgres-adapter.js';
import { PostgresChangeSource } from '../src/postgres-change-source.js';
import { PostgresSink } from '../src/postgres-sink.js';

// End to end on two real databases: PostgreSQL logical decoding → engine → PostgreSQL sink.
const src = useTestDatabase('cdc_src');
let target: TestDatabase;
beforeAll(async () => {
  target = await createTestDatabase('cdc_dst');
});
afterAll(async () => {
  await target.drop();
});

const table = { schema: 'public', name: 'accounts' };
const slot = `cdc_e2e_${process.pid}`;

async function run(extra: Partial<PipelineOptions> = {}) {
  const source = new PostgresChangeSource({ url: src().url, slot, tables: [table], pollIntervalMs: 10 });
  const sink = PostgresSink.open({ url: target.url });
  try {
    return await runPipeline({
      name: 'e2e',
      source,
      sink,
      tables: [{ table }],
      once: true,
      batch: { maxRows: 50, maxWaitMs: 0 },
      ...extra,
    });
  } finally {
    await source.close();
    await sink.close();
  }
}

async function dump(db: TestDatabase, where = '') {
  return db.query(
    `SELECT id::text, owner, balance::text, tags, note FROM public.accounts ${where} ORDER BY id`,
  );
}

describe('PostgreSQL → PostgreSQL replication (real databases)', () => {
  it('snapshots, then streams multi-statement transactions to an equal target, exactly once', async () => {
    await src().query(
      `CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(14,2),
        tags text[], note text, opened timestamptz DEFAULT '2020-01-01 00:00:00.123456+00')`,
    );
    await src().query(
      `INSERT INTO accounts (id, owner, balance, tags, note)
       SELECT g, 'owner ' || g, g * 1.25, ARRAY['t' || (g % 3)], CASE WHEN g % 5 = 0 THEN NULL ELSE 'n' END
         FROM generate_series(1, 300) g`,
    );
    const first = await run();
    expect(first.snapshots).toEqual([{ table: expect.objectContaining({ name: 'accounts' }), rows: 300 }]);
    expect(await dump(target)).toEqual(await dump(src()));

    await src().query(`BEGIN;
      UPDATE accounts SET balance = balance + 10 WHERE id % 7 = 0;
      DELETE FROM accounts WHERE id BETWEEN 20 AND 29;
      INSERT INTO accounts (id, owner, balance) VALUES (1001, 'new', 0.01);
      COMMIT`);
    await src().query(`UPDATE accounts SET id = 2000 WHERE id = 1`);
    await src().query(`UPDATE accounts SET note = 'it''s "quoted"', tags = '{}' WHERE id = 2`);
    const second = await run();
    expect(second.snapshots).toEqual([]);
    expect(second.events).toBeGreaterThan(50);
    expect(await dump(target)).toEqual(await dump(src()));

    // Nothing new: a rerun applies nothing and the slot has been released up to the checkpoint.
    const third = await run();
    expect(third.events).toBe(0);
    const [cp] = await target.query<{ position: string }>(
      `SELECT position FROM cdc_meta.checkpoints WHERE pipeline = 'e2e' AND partition = '*'`,
    );
    const [slotRow] = await src().query<{ confirmed_flush_lsn: string }>(
      'SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    expect(slotRow?.confirmed_flush_lsn).toBe(cp?.position);
  });

  it('adds a column the source gained, then keeps replicating', async () => {
    await src().query(`ALTER TABLE accounts ADD COLUMN region text`);
    await src().query(`UPDATE accounts SET region = 'eu' WHERE id < 10`);
    const result = await run();
    expect(result.events).toBe(8); // ids 2–9 (1 became 2000)
    const rows = await target.query(`SELECT id::text, region FROM public.accounts WHERE id < 10 ORDER BY id`);
    expect(rows).toEqual(
      (await src().query(`SELECT id::text, region FROM public.accounts WHERE id < 10 ORDER BY id`)).map(
        (r) => r,
      ),
    );
    expect(rows[0]).toMatchObject({ region: 'eu' });
  });

  it('drops its slot on request', async () => {
    const source = new PostgresChangeSource({ url: src().url, slot, tables: [table] });
    expect(await source.dropSlot()).toBe(true);
    await source.close();
    const adapter = connectPostgres({ url: src().url });
    expect(await adapter.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [slot])).toEqual(
      [],
    );
    await adapter.close();
  });
});
