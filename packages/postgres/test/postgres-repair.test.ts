import { canonicalText, type RepairPlan, type Row, type TableSchema } from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyRepairPlan, connectPostgres, renderRepairSql, type PostgresAdapter } from '../src/index.js';

const db = useTestDatabase();

const TABLE = { schema: 'Repair "S"', name: 'order' };
const DDL = `
  DROP TABLE IF EXISTS "Repair ""S"""."order";
  CREATE TABLE "Repair ""S"""."order" (
    "select" bigint, "Key.Two" text, b bytea, u uuid, n numeric(38,10), ts timestamptz, iv interval,
    j json, jb jsonb, arr text[], f double precision, "it's" text,
    PRIMARY KEY ("select", "Key.Two"));
  INSERT INTO "Repair ""S"""."order" VALUES
    (1, 'a', '\\x00', NULL, 1.5, '2020-01-01 00:00:00.000001+00', '1 day', '{"a":1}', '{"a":1}', '{x}', 1.5, 'old'),
    (2, 'b', NULL, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 2, NULL, NULL, NULL, NULL, NULL, 'NaN', 'stale'),
    (3, 'c', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'extra row');
`;

const key = (select: string, two: string) => ({ select, 'Key.Two': two });

function plan(): RepairPlan {
  return {
    version: 1,
    table: TABLE,
    keyColumns: ['select', 'Key.Two'],
    partial: false,
    summary: { insert: 1, update: 2, delete: 1 },
    steps: [
      {
        op: 'insert',
        key: key('-4', 'd "q"'),
        values: {
          select: '-4',
          'Key.Two': 'd "q"',
          b: new Uint8Array([0, 0, 1]),
          u: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
          n: '1234567890123456789012345678.1234567890',
          ts: '-000043-03-15T00:00:00.000001Z',
          iv: { months: 1, days: -2, micros: 3n },
          j: '{"b": [1, 2]}',
          jb: { z: 'é', a: null },
          arr: ['a', null, 'b "c"', 'back\\slash'],
          f: -0,
          "it's": "it's \\ fine; DROP TABLE x; --",
        },
      },
      {
        op: 'update',
        key: key('1', 'a'),
        set: {
          b: new Uint8Array([255, 0]),
          ts: '2020-01-01T00:00:00.000002Z',
          j: '{"a":2}',
          arr: ['y'],
          "it's": 'new',
        },
        expected: {
          b: new Uint8Array([0]),
          ts: '2020-01-01T00:00:00.000001Z',
          j: '{"a":1}',
          arr: ['x'],
          "it's": 'old',
        },
      },
      {
        op: 'update',
        key: key('2', 'b'),
        set: { f: 2.5, "it's": 'fresh' },
        expected: { f: Number.NaN, "it's": 'stale' },
      },
      { op: 'delete', key: key('3', 'c'), expected: { "it's": 'extra row', n: null } },
    ],
  };
}

async function state(adapter: PostgresAdapter, schema: TableSchema): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of adapter.scan(schema, { ordered: true })) {
    for (const row of batch)
      out.push(schema.columns.map((c) => canonicalText((row as Row)[c.name], c.type)).join(' | '));
  }
  return out;
}

describe('repair', () => {
  let adapter: PostgresAdapter;
  let schema: TableSchema;
  beforeAll(async () => {
    await db().query('CREATE SCHEMA "Repair ""S"""');
    adapter = connectPostgres({ url: db().url });
  });
  beforeEach(async () => {
    await db().query(DDL);
    schema = await adapter.introspect(TABLE);
  });
  afterAll(async () => {
    await adapter.close();
  });

  it('renders one guarded transaction with quoted identifiers and typed literals', () => {
    const sql = renderRepairSql(plan(), schema);
    expect(sql).toMatch(/^-- cdc repair/);
    expect(sql).toContain('BEGIN;');
    expect(sql.trimEnd().endsWith('COMMIT;')).toBe(true);
    expect(sql).toContain(`INSERT INTO "Repair ""S"""."order" ("select", "Key.Two", "b"`);
    expect(sql).toContain(`E'\\\\x000001'::bytea`);
    expect(sql).toContain(`'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid`);
    expect(sql).toContain(`'1234567890123456789012345678.1234567890'::numeric`);
    expect(sql).toContain(`'0044-03-15T00:00:00.000001Z BC'::timestamp with time zone`);
    expect(sql).toContain(`::interval`);
    expect(sql).toContain(`'{"z":"é","a":null}'::jsonb`);
    expect(sql).toContain(`::text[]`);
    expect(sql).toContain(`"j"::jsonb IS NOT DISTINCT FROM '{"a":1}'::jsonb`);
    expect(sql).toContain(`"f" IS NOT DISTINCT FROM 'NaN'::double precision`);
    expect(sql).toContain(
      `WHERE NOT EXISTS (SELECT 1 FROM "Repair ""S"""."order" WHERE "select" = (-4)::bigint AND "Key.Two" = 'd "q"'::text)`,
    );
  });

  it('the rendered script and the batched executor produce the same repaired table', async () => {
    const client = new pg.Client({ connectionString: db().url });
    await client.connect();
    try {
      await client.query(renderRepairSql(plan(), schema));
    } finally {
      await client.end();
    }
    const viaScript = await state(adapter, schema);
    expect(viaScript).toHaveLength(3);
    expect(viaScript.some((r) => r.includes('extra row'))).toBe(false);

    await db().query(DDL);
    const result = await applyRepairPlan(adapter, plan(), schema, { batchSize: 1 });
    expect(result).toMatchObject({ inserted: 1, updated: 2, deleted: 1, rowsChanged: 4, guardsFailed: [] });
    expect(await state(adapter, schema)).toEqual(viaScript);
    // Applying again changes nothing: every guard now fails.
    const again = await applyRepairPlan(adapter, plan(), schema);
    expect(again.rowsChanged).toBe(0);
    expect(again.guardsFailed.map((g) => g.op).sort()).toEqual(['delete', 'insert', 'update', 'update']);
  });

  it('skips and reports rows changed since the diff, in the script and the executor', async () => {
    await db().query(
      `UPDATE "Repair ""S"""."order" SET "it's" = 'changed meanwhile' WHERE "select" IN (2, 3)`,
    );
    const result = await applyRepairPlan(adapter, plan(), schema);
    expect(result.guardsFailed).toEqual([
      { op: 'delete', key: key('3', 'c') },
      { op: 'update', key: key('2', 'b') },
    ]);
    expect(result.rowsChanged).toBe(2);
    const rows = await db().query<{ s: string; v: string }>(
      `SELECT "select"::text AS s, "it's" AS v FROM "Repair ""S"""."order" ORDER BY 1`,
    );
    expect(rows).toEqual([
      { s: '-4', v: "it's \\ fine; DROP TABLE x; --" },
      { s: '1', v: 'new' },
      { s: '2', v: 'changed meanwhile' },
      { s: '3', v: 'changed meanwhile' },
    ]);
  });
});
