import type { ContractTable } from '@cdc/testkit';
import type pg from 'pg';
import { nativeTypeFor, quoteIdent, toPostgresText } from '../src/index.js';

/** Creates a contract table with the sink's logical → native mapping and inserts its rows. */
export async function createContractTable(
  client: pg.Client,
  table: ContractTable,
): Promise<{ schema: string; name: string }> {
  const qualified = `public.${quoteIdent(table.name)}`;
  const columns = table.columns.map((c) => `${quoteIdent(c.name)} ${nativeTypeFor(c.type)}`);
  await client.query(
    `CREATE TABLE ${qualified} (${columns.join(', ')}, PRIMARY KEY (${table.primaryKey.map(quoteIdent).join(', ')}))`,
  );
  const types = table.columns.map((c) => nativeTypeFor(c.type));
  const arrays = table.columns.map((c) => table.rows.map((r) => toPostgresText(r[c.name], c.type)));
  await client.query(
    `INSERT INTO ${qualified} SELECT ${types.map((t, i) => `u.c${i}::${t}`).join(', ')}
       FROM unnest(${types.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${types.map((_, i) => `c${i}`).join(', ')})`,
    arrays,
  );
  await client.query(`ANALYZE ${qualified}`);
  return { schema: 'public', name: table.name };
}
