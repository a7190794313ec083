import { addHashes, createRowHasher, rowString, type HashPlan, type Row } from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import { expect, it } from 'vitest';
import { connectPostgres } from '../src/index.js';

const db = useTestDatabase();

it('hashes arrays of every pushable element type exactly like the client', async () => {
  await db().query(`CREATE TYPE mood AS ENUM ('ok', 'happy')`);
  await db().query(`CREATE TABLE arrs (
    id int PRIMARY KEY, c char(3)[], e mood[], n numeric[], f float8[], b bytea[], u uuid[], d date[],
    ts timestamptz[], iv interval[], ip inet[], bo bool[], t text[])`);
  await db().query(`INSERT INTO arrs VALUES
    (1, '{a,NULL,"b  "}', '{ok,happy}', '{1.50,NaN,-0.0}', '{-0,NaN,Infinity,0.1}', '{"\\\\x00",""}',
     '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{1970-01-02,infinity}', '{"2020-01-01 00:00:00.000001+00"}',
     '{"1 mon -2 days 00:00:00.5"}', '{10.0.0.0/8,::ffff:1.2.3.4}', '{t,f,NULL}', '{"quote\\"","back\\\\slash","tab\tx",""}'),
    (2, '{}', NULL, '{}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{NULL}')`);
  const adapter = connectPostgres({ url: db().url });
  try {
    const schema = await adapter.introspect({ name: 'arrs' });
    const rows: Row[] = [];
    for await (const batch of adapter.scan(schema)) rows.push(...batch);
    const hasher = await createRowHasher();
    for (const column of schema.columns.filter((c) => c.name !== 'id')) {
      const plan: HashPlan = {
        key: ['id'],
        columns: [column.name],
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 1 },
      };
      const [summary] = await adapter.summarize(schema, plan);
      const expected = rows.reduce(
        (sum, r) => addHashes(sum, hasher.rowHash(hasher.digest(rowString(r, schema, plan)))),
        0n,
      );
      expect(summary?.sum, column.name).toBe(expected);
    }
  } finally {
    await adapter.close();
  }
});
