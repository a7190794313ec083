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
