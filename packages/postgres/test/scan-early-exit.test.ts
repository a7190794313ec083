import { useTestDatabase } from '@cdc/testkit';
import pg from 'pg';
import { expect, it } from 'vitest';
import { connectPostgres } from '../src/index.js';

const db = useTestDatabase();

it('returns the connection outside any transaction when a consumer stops a scan early', async () => {
  await db().query('CREATE TABLE many (id int PRIMARY KEY, v text)');
  await db().query(`INSERT INTO many SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g`);
  const pool = new pg.Pool({ connectionString: db().url, max: 1 });
  const adapter = connectPostgres({ pool });
  const schema = await adapter.introspect({ name: 'many' });
  let seen = 0;
  for await (const batch of adapter.scan(schema, { batchRows: 1000 })) {
    seen += batch.length;
    if (seen >= 3000) break;
  }
  expect(seen).toBe(3000);
  // The single pooled connection is idle again, not stuck in the scan's transaction.
  const [state] = await adapter.query<{ s: string }>(
    `SELECT CASE WHEN now() = statement_timestamp() THEN 'idle' ELSE 'in transaction' END AS s`,
  );
  expect(state?.s).toBe('idle');
  let total = 0;
  for await (const batch of adapter.scan(schema, { batchRows: 4096 })) {
    expect(batch.length).toBeLessThanOrEqual(4096);
    total += batch.length;
  }
  expect(total).toBe(20000);
  await pool.end();
});

it('close() ends every connection of its own pool, even when no Kysely query ran', async () => {
  await db().query('CREATE TABLE closing (id int PRIMARY KEY, v text)');
  await db().query(`INSERT INTO closing SELECT g, 'x' FROM generate_series(1, 100) g`);
  const adapter = connectPostgres({ url: db().url, applicationName: 'cdc-close-test' });
  const schema = await adapter.introspect({ name: 'closing' });
  let rows = 0;
  for await (const batch of adapter.scan(schema)) rows += batch.length;
  expect(rows).toBe(100);
  expect(adapter.pool.totalCount).toBeGreaterThan(0);
  await adapter.close();
  // Idle clients left in the pool would keep a script's process alive for the pool's idle timeout.
  expect(adapter.pool.ended).toBe(true);
  expect(adapter.pool.totalCount).toBe(0);
  // The server notices a client's Terminate message asynchronously: wait for its backends to go.
  let left = -1;
  for (let i = 0; i < 50 && left !== 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    const [row] = await db().query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'cdc-close-test'`,
    );
    left = Number(row?.n);
  }
  expect(left).toBe(0);
});
