import { canonicalText, type Column } from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import { expect, it } from 'vitest';
import { connectPostgres } from '../src/index.js';
import { canonicalColumnSql, digestWord32Sql, digestWord64Sql } from '../src/postgres-canonical-sql.js';

const db = useTestDatabase();

it('the PostgreSQL 18 fast path and the portable path render identical canonical text and digest words', async () => {
  await db().query(`CREATE TABLE inst (id int PRIMARY KEY, ts timestamp, tz timestamptz, tm time)`);
  await db().query(`INSERT INTO inst VALUES
    (1, '4713-01-01 00:00:00 BC', '4713-01-01 00:00:00+00 BC', '00:00:00'),
    (2, '1969-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999+00', '23:59:59.999999'),
    (3, '1970-01-01 00:00:00.000001', '1970-01-01 00:00:00.5+00', '24:00:00'),
    (4, '294276-12-31 23:59:59.999999', '294276-12-31 23:59:59.999999+00', '12:34:56.789012'),
    (5, 'infinity', '-infinity', NULL),
    (6, '1999-12-31 23:59:59.999999', '2000-01-01 00:00:00+00', '00:00:00.000001')`);
  const adapter = connectPostgres({ url: db().url });
  try {
    const schema = await adapter.introspect({ name: 'inst' });
    for (const column of schema.columns.filter((c) => c.name !== 'id') as Column[]) {
      for (const precision of [6, 3, 0]) {
        const portable = canonicalColumnSql(column, { precision }, 't', { byteaIntegerCasts: false });
        const fast = canonicalColumnSql(column, { precision }, 't', { byteaIntegerCasts: true });
        const rows = await adapter.query<{ id: number; a: string; b: string; v: unknown }>(
          `SELECT id, ${portable} AS a, ${fast} AS b, t.${'"' + column.name + '"'} AS v FROM inst t ORDER BY id`,
        );
        for (const row of rows) {
          expect(row.b, `${column.name} p${precision} id ${row.id}`).toBe(
            canonicalText(row.v, column.type, { precision }),
          );
          // extract(epoch …) (the pre-18 path) is off by one µs at the very last representable instant.
          if (row.id !== 4 || column.name === 'tm')
            expect(row.a, `${column.name} p${precision} id ${row.id}`).toBe(row.b);
        }
      }
    }
    const [words] = await adapter.query<Record<string, string>>(
      `SELECT ${digestWord32Sql('h')} AS a32, ${digestWord32Sql('h', { byteaIntegerCasts: true })} AS b32,
              ${digestWord64Sql('h')} AS a64, ${digestWord64Sql('h', { byteaIntegerCasts: true })} AS b64
         FROM (VALUES (md5('x')), (md5('ÿ'))) v(h)`,
    );
    expect(words?.b32).toBe(words?.a32);
    expect(words?.b64).toBe(words?.a64);
  } finally {
    await adapter.close();
  }
});
