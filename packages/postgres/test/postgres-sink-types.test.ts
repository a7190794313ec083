import type { Row, TableSchema } from '@cdc/core';
import { compositeKeyTable, typeParityTable, type ContractTable } from '@cdc/testkit';
import { useTestDatabase } from '@cdc/testkit';
import pg from 'pg';
import { expect, it } from 'vitest';
import { PostgresSink, connectPostgres, nativeTypeFor } from '../src/index.js';
import { createContractTable } from './fixtures.js';

// The sink's bulk statements pass each column as an array of the column's type: every logical type's
// edge cases must land exactly as a plain INSERT of the same values stores them.
const db = useTestDatabase();

function schemaOf(table: ContractTable, name: string): TableSchema {
  return {
    id: { schema: 'public', name },
    columns: table.columns.map((c) => ({
      name: c.name,
      type: c.type,
      nativeType: nativeTypeFor(c.type),
      nullable: !table.primaryKey.includes(c.name),
    })),
    primaryKey: table.primaryKey,
  };
}

async function scan(url: string, schema: TableSchema): Promise<Row[]> {
  const adapter = connectPostgres({ url });
  try {
    const rows: Row[] = [];
    for await (const batch of adapter.scan(await adapter.introspect(schema.id))) rows.push(...batch);
    return rows;
  } finally {
    await adapter.close();
  }
}

it.each([
  ['type parity', typeParityTable('parity')],
  ['composite key', compositeKeyTable('composite', 50)],
])('upserts and deletes every value of the %s table exactly', async (_label, table) => {
  const client = new pg.Client({ connectionString: db().url });
  await client.connect();
  const expected = await createContractTable(client, table);
  await client.end();
  const source = schemaOf(table, `${table.name}_sink`);
  const sink = PostgresSink.open({ url: db().url });
  try {
    await sink.prepare('types', [{ source, target: source.id, deletes: 'hard' }]);
    const epoch = await sink.acquire('types');
    const key = (r: Row) => Object.fromEntries(table.primaryKey.map((k) => [k, r[k]]));
    // A placeholder row per key first, then the real rows as updates, then a delete of the first row.
    const placeholder = (r: Row) => ({
      ...Object.fromEntries(table.columns.map((c) => [c.name, null])),
      ...key(r),
    });
    await sink.apply('types', epoch, {
      partition: '*',
      position: '1',
      events: table.rows.map((r) => ({ op: 'upsert', table: source.id, key: key(r), row: placeholder(r) })),
    });
    await sink.apply('types', epoch, {
      partition: '*',
      position: '2',
      events: [
        ...table.rows.map((r) => ({ op: 'upsert' as const, table: source.id, key: key(r), row: r })),
        { op: 'delete', table: source.id, key: key(table.rows[0]!) },
      ],
    });
    const want = (await scan(db().url, { ...source, id: expected })).slice(1);
    const got = await scan(db().url, source);
    expect(got).toEqual(want);
    expect(got).toHaveLength(table.rows.length - 1);
  } finally {
    await sink.close();
  }
});
