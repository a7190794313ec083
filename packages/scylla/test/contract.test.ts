/**
 * ScyllaDB-specific tests against a REAL ScyllaDB (or Apache Cassandra) cluster: engine detection,
 * partition/clustering introspection, client tokens against the server's token(), every CQL type, and
 * CDC end to end. The generic ScanSource contract (counts, splits, scans, lookups, token order) runs in
 * `scan-source-contract.test.ts`. They run only when `CDC_TEST_SCYLLA_URL` is set (CI job
 * `contract-scylla`); otherwise they are skipped with a visible notice. The URL's keyspace is recreated.
 */
import { canonicalText, type ChangeEvent, type Row, type TableSchema } from '@cdc/core';
import { compositeKeyTable } from '@cdc/testkit';
import * as cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectScylla, type ScyllaAdapter } from '../src/scylla-adapter.js';
import { ScyllaPartitioner } from '../src/scylla-partitioner.js';
import { parseScyllaUrl } from '../src/scylla-options.js';
import { quoteIdent } from '../src/scylla-cql.js';
import { SCYLLA_URL, ScyllaTestKeyspace, warnScyllaSkipped } from './scylla-test-cluster.js';

const url = SCYLLA_URL;
warnScyllaSkipped('ScyllaDB engine-specific and CDC tests');

const suite = url ? describe : describe.skip;

suite('ScyllaDB contract (real cluster)', () => {
  const keyspace = (url ? parseScyllaUrl(url).keyspace : undefined) ?? 'cdc_test';
  let ks: ScyllaTestKeyspace;
  let adapter: ScyllaAdapter;
  const q = (cql: string, params: unknown[] = []) => ks.execute(cql, params);
  const composite = compositeKeyTable('order', 2_500);
  let compositeSchema: TableSchema;

  beforeAll(async () => {
    adapter = await connectScylla({
      url: url as string,
      driver: cassandra,
      cdc: {
        windowMs: 1_000,
        confidenceMs: 2_000,
        pollIntervalMs: 200,
        heartbeatMs: 1_000,
        generationRefreshMs: 60_000,
        maxStreamsPerQuery: 100,
        parallelism: 4,
        startAt: 'now',
        stopWhenCaughtUp: true,
        ttlSeconds: 86_400,
      },
    });
    // CDC needs vnodes on Scylla 6.x (tablets keyspaces support CDC only in newer releases).
    ks = await ScyllaTestKeyspace.create(url as string, keyspace, adapter.isScylla);
    compositeSchema = await adapter.introspect(await ks.createContractTable(composite));
  }, 120_000);

  afterAll(async () => {
    await adapter?.close();
    await ks?.drop();
  }, 120_000);

  it('detects the engine', () => {
    expect(['scylla', 'cassandra']).toContain(adapter.cluster.flavor);
    expect(adapter.cluster.version).not.toBe('');
  });

  it('introspects keys, hostile names and logical types', () => {
    expect(compositeSchema.primaryKey).toEqual(['Tenant Id', 'order']);
    expect(compositeSchema.partitionKeyLength).toBe(1);
    expect(compositeSchema.columns.map((c) => [c.name, c.type.kind])).toEqual([
      ['Tenant Id', 'int32'],
      ['order', 'text'],
      ['note "x".y', 'text'],
      ['select', 'int64'],
    ]);
  });

  it('client-side Murmur3 tokens equal the server token() of every partition', async () => {
    const partitioner = await adapter.partitioner(compositeSchema);
    const rs = await q(
      `SELECT DISTINCT "Tenant Id", token("Tenant Id") AS t FROM ${quoteIdent(keyspace)}."order"`,
    );
    expect(rs.rows.length).toBe(7);
    for (const r of rs.rows)
      expect(partitioner.tokenOf([r.get('Tenant Id')])).toBe(BigInt(String(r.get('t'))));
  });

  describe('every CQL type', () => {
    let schema: TableSchema;
    beforeAll(async () => {
      await q(`CREATE TYPE ${quoteIdent(keyspace)}.addr (street text, zip int)`);
      await q(`CREATE TABLE ${quoteIdent(keyspace)}.types (
        id uuid, ck timeuuid, s int static,
        a ascii, b bigint, bl blob, bo boolean, d date, de decimal, db double, du duration, f float, i inet,
        n int, sm smallint, t text, tm time, ts timestamp, ti tinyint, vi varint,
        l list<int>, st set<text>, m map<text, frozen<list<int>>>, tu frozen<tuple<int, text>>, ad frozen<addr>, nad addr,
        PRIMARY KEY ((id), ck))`);
      await q(
        `INSERT INTO ${quoteIdent(keyspace)}.types (id, ck, s, a, b, bl, bo, d, de, db, du, f, i, n, sm, t, tm, ts, ti, vi, l, st, m, tu, ad, nad)
         VALUES (a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11, 8e8a3f30-1dd2-11b2-8080-808080808080, 7, 'x', -9223372036854775808, 0x00ff, true,
         '1969-12-31', 123456789012345678901234567890.0100, 0.1, 1mo2d3s4ns, 1.5, '::ffff:1.2.3.4', 1, -2, 'é', '23:59:59.999999999',
         '2024-02-29T12:34:56.789Z', -128, 123456789012345678901234567890, [3, 1], {'b', 'a'}, {'k': [1]}, (1, null), {street: 's', zip: 1},
         {street: 'n', zip: 2})`,
      );
      schema = await adapter.introspect({ schema: keyspace, name: 'types' });
    });

    it('decodes each type to its canonical value', async () => {
      const [row] = (await adapter.lookup(schema, [
        ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '8e8a3f30-1dd2-11b2-8080-808080808080'],
      ])) as [Row];
      const c = (name: string) => canonicalText(row[name], schema.columns.find((x) => x.name === name)!.type);
      expect(c('b')).toBe('-9223372036854775808');
      expect(c('vi')).toBe('123456789012345678901234567890');
      expect(c('de')).toBe('123456789012345678901234567890.01');
      expect(c('f')).toBe('3ff8000000000000');
      expect(c('db')).toBe('3fb999999999999a');
      expect(c('d')).toBe('-1');
      expect(c('tm')).toBe('86399999999');
      expect(c('ts')).toBe(String(Date.UTC(2024, 1, 29, 12, 34, 56, 789) * 1000));
      expect(c('du')).toBe('1,2,3000000');
      expect(c('i')).toBe('00000000000000000000ffff01020304');
      expect(c('l')).toBe('9:["3","1"]');
      expect(c('st')).toBe('13:["1:a","1:b"]');
      expect(c('tu')).toBe('10:["1",null]');
      expect(c('ad')).toBe('26:{"street":"1:s","zip":"1"}');
      expect(c('s')).toBe('7');
      expect(c('bl')).toBe('00ff');
    });
  });

  describe('CDC end to end (ScyllaDB only)', () => {
    it('streams inserts, partial updates, collection deltas and all delete kinds, resumable', async (ctx) => {
      if (!adapter.isScylla) return ctx.skip('CDC log tables exist only on ScyllaDB');
      const ks = quoteIdent(keyspace);
      await q(
        `CREATE TABLE ${ks}.cdc_e2e (pk int, ck int, v text, w int, tags set<text>, PRIMARY KEY (pk, ck)) WITH cdc = {'enabled': true, 'ttl': 3600}`,
      );
      const schema = await adapter.introspect({ schema: keyspace, name: 'cdc_e2e' });
      const snap = await adapter.snapshot(schema);
      const snapRows: Row[] = [];
      for await (const b of snap.rows) snapRows.push(...b);
      expect(snapRows).toEqual([]);
      await q(`INSERT INTO ${ks}.cdc_e2e (pk, ck, v, w, tags) VALUES (1, 1, 'a', 1, {'x'})`);
      await q(`INSERT INTO ${ks}.cdc_e2e (pk, ck, v, w) VALUES (1, 2, 'b', 2)`);
      await q(`INSERT INTO ${ks}.cdc_e2e (pk, ck, v, w) VALUES (1, 3, 'c', 3)`);
      await q(`INSERT INTO ${ks}.cdc_e2e (pk, ck, v, w) VALUES (2, 1, 'd', 4)`);
      await q(`INSERT INTO ${ks}.cdc_e2e (pk, ck, v, w) VALUES (3, 1, 'e', 5)`);
      await q(`UPDATE ${ks}.cdc_e2e SET v = 'a2' WHERE pk = 1 AND ck = 1`);
      await q(`UPDATE ${ks}.cdc_e2e SET w = null WHERE pk = 1 AND ck = 2`);
      await q(`UPDATE ${ks}.cdc_e2e SET tags = tags + {'y'} WHERE pk = 1 AND ck = 1`);
      await q(`DELETE FROM ${ks}.cdc_e2e WHERE pk = 1 AND ck = 3`);
      await q(`DELETE FROM ${ks}.cdc_e2e WHERE pk = 2`);
      await q(`INSERT INTO ${ks}.cdc_e2e (pk, ck, v) VALUES (3, 2, 'f')`);
      await q(`DELETE FROM ${ks}.cdc_e2e WHERE pk = 3 AND ck > 1`);
      // let the writes fall behind the confidence window (this waits; it asserts nothing about time)
      await new Promise((r) => setTimeout(r, 4_000));

      const model = new Map<string, Row>();
      const keyOf = (r: Row) => `${String(r.pk)}|${String(r.ck)}`;
      const apply = (e: ChangeEvent) => {
        if (e.op === 'upsert')
          model.set(keyOf(e.key), { ...(e.partial ? model.get(keyOf(e.key)) : {}), ...e.row });
        else if (e.op === 'delete') model.delete(keyOf(e.key));
        else
          for (const [k, r] of [...model]) {
            const inPrefix = Object.entries(e.prefix).every(([c, v]) => r[c] === v);
            const lowerOk =
              !e.lower ||
              (e.lower.inclusive
                ? (r[e.lower.column] as number) >= (e.lower.value as number)
                : (r[e.lower.column] as number) > (e.lower.value as number));
            const upperOk =
              !e.upper ||
              (e.upper.inclusive
                ? (r[e.upper.column] as number) <= (e.upper.value as number)
                : (r[e.upper.column] as number) < (e.upper.value as number));
            if (inPrefix && lowerOk && upperOk) model.delete(k);
          }
      };
      const positions = new Map<string, string>([[snap.partition, snap.position]]);
      let events = 0;
      for await (const batch of adapter.changes({ tables: [schema], from: positions })) {
        for (const e of batch.events) apply(e);
        events += batch.events.length;
        positions.set(batch.partition, batch.position);
      }
      expect(events).toBeGreaterThanOrEqual(12);
      const actual: Row[] = [];
      for await (const b of adapter.scan(schema)) actual.push(...b);
      const canon = (rows: Row[]) =>
        rows.map((r) => schema.columns.map((c) => canonicalText(r[c.name] ?? null, c.type)).join('|')).sort();
      expect(canon([...model.values()])).toEqual(canon(actual));

      // resuming from the stored positions yields no event twice
      let again = 0;
      for await (const batch of adapter.changes({ tables: [schema], from: positions }))
        again += batch.events.length;
      expect(again).toBe(0);
    }, 120_000);

    it('refuses a table without CDC with the ALTER TABLE to run', async (ctx) => {
      if (!adapter.isScylla) return ctx.skip('CDC log tables exist only on ScyllaDB');
      await expect(
        adapter.changes({ tables: [compositeSchema], from: new Map() }).next(),
      ).rejects.toMatchObject({
        code: 'CDC_NOT_ENABLED',
        hint: expect.stringContaining("WITH cdc = {'enabled': true"),
      });
    });
  });

  it('partitioner from a schema without the adapter agrees with the adapter one', async () => {
    const a = await adapter.partitioner(compositeSchema);
    const b = ScyllaPartitioner.forTable(compositeSchema);
    expect(b.tokenOf([5, 'k'])).toBe(a.tokenOf([5, 'k']));
  });
});
