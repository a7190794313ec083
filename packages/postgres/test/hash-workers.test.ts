import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { diffTables, isCdcError, type DiffResult, type ScanSource, type TableSchema } from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, type PostgresAdapter } from '../src/index.js';

// Client-side hashing in worker threads: each worker reopens the PostgreSQL source from its workerSpec
// (the built @cdc/postgres) and runs the built @cdc/core hash-worker.js. `nx test @cdc/postgres` builds
// both first.
const workerScript = new URL('../../core/dist/hash-worker.js', import.meta.url);
const db = useTestDatabase();
let a: PostgresAdapter;
let b: PostgresAdapter;

beforeAll(async () => {
  a = connectPostgres({ url: db().url });
  b = connectPostgres({ url: db().url });
  for (const t of ['ints_a', 'ints_b']) {
    await db().query(`CREATE TABLE ${t} (id bigint PRIMARY KEY, label text, amount numeric(12,2),
      at timestamptz, score float8)`);
    await db().query(`INSERT INTO ${t} SELECT g, 'label-' || md5(g::text), (g % 100000) / 100.0,
      timestamptz '2020-01-01' + g * interval '1.000001 second', g / 7.0 FROM generate_series(1, 110000) g`);
  }
  for (const t of ['texts_a', 'texts_b']) {
    await db().query(`CREATE TABLE ${t} (code text PRIMARY KEY, qty int, note text)`);
    await db().query(`INSERT INTO ${t} SELECT md5(g::text), g % 1000, CASE WHEN g % 9 = 0 THEN NULL
      ELSE 'n' || g END FROM generate_series(1, 30000) g`);
  }
  // Planted drift in the b tables: one change, one row missing, one extra.
  await db().query(`UPDATE ints_b SET amount = amount + 0.01 WHERE id = 777`);
  await db().query(`DELETE FROM ints_b WHERE id = 90001`);
  await db().query(`INSERT INTO ints_b VALUES (200000, 'extra', 1, now(), 0.5)`);
  await db().query(`UPDATE texts_b SET note = 'changed' WHERE code = md5('123')`);
  await db().query(`DELETE FROM texts_b WHERE code = md5('4567')`);
  await db().query(`INSERT INTO texts_b VALUES ('zz-extra', 1, NULL)`);
  await db().query('ANALYZE');
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

async function pair(name: string): Promise<{ s: TableSchema; t: TableSchema }> {
  const [s, t] = await Promise.all([
    a.introspect({ name: `${name}_a` }),
    b.introspect({ name: `${name}_b` }),
  ]);
  return { s, t };
}

const summary = (r: DiffResult) =>
  r.differences.map(
    (d) =>
      `${d.kind} ${JSON.stringify(d.key, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))} ${d.columns.join(',')}`,
  );

describe('client-side hashing in worker threads (real PostgreSQL, built worker)', () => {
  it('finds exactly what the main thread finds, with int-range buckets (ordered digests)', async () => {
    const { s, t } = await pair('ints');
    const run = (workers: number) =>
      diffTables({
        source: { source: a, table: s },
        target: { source: b, table: t },
        hashing: 'client',
        workers,
        workerScript,
      });
    const [inWorkers, inMain] = [await run(2), await run(0)];
    expect(inWorkers.algorithm).toBe('hash');
    expect(inWorkers.hashing).toBe('client');
    expect(inWorkers.bucketing).toBe('int-range');
    expect(inWorkers.notes).toContain('client hashing in 2 worker threads');
    expect(inMain.notes.some((n) => n.includes('worker'))).toBe(false);
    expect(summary(inWorkers)).toEqual([
      'mismatched {"id":"777"} amount',
      'missing {"id":"90001"} label,amount,at,score',
      'extra {"id":"200000"} label,amount,at,score',
    ]);
    expect(summary(inWorkers)).toEqual(summary(inMain));
    expect(inWorkers.counts).toEqual({ source: 110000n, target: 110000n });
    // Every row was read once for the summaries, plus the differing buckets' rows (the extra row lies in
    // the open-ended last unit, bucketed by key hash, which is read again whole: ~1/16 of the table).
    expect(inWorkers.stats.source.rowsRead).toBeGreaterThanOrEqual(110000);
    expect(inWorkers.stats.source.rowsRead).toBeLessThan(110000 * 1.1);
    expect(inWorkers.stats.source.rowsRead).toBe(inMain.stats.source.rowsRead);
  }, 120_000);

  it('splits a whole-table unit across the workers and adds up their key-hash summaries', async () => {
    const { s, t } = await pair('texts');
    const run = (workers: number) =>
      diffTables({
        source: { source: a, table: s },
        target: { source: b, table: t },
        hashing: 'client',
        splits: 1,
        workers,
        workerScript,
      });
    const [inWorkers, inMain] = [await run(2), await run(0)];
    expect(inWorkers.bucketing).toBe('key-hash');
    expect(inWorkers.notes).toContain('client hashing in 2 worker threads');
    expect(summary(inWorkers).sort()).toEqual(summary(inMain).sort());
    expect(summary(inWorkers).sort()).toEqual(
      [
        `mismatched {"code":"${md5('123')}"} note`,
        `missing {"code":"${md5('4567')}"} qty,note`,
        'extra {"code":"zz-extra"} qty,note',
      ].sort(),
    );
  }, 120_000);

  it('by default uses one worker per core but one, from three cores and 100,000 rows', async () => {
    const { s, t } = await pair('ints');
    const result = await diffTables({
      source: { source: a, table: s },
      target: { source: b, table: t },
      hashing: 'client',
      workerScript,
    });
    const cores = availableParallelism();
    const note = result.notes.find((n) => n.startsWith('client hashing in'));
    if (cores >= 3) expect(note).toBe(`client hashing in ${cores - 1} worker threads`);
    else expect(note).toBeUndefined();
    expect(result.differences).toHaveLength(3);
  }, 120_000);

  it('stops the workers when the diff is cancelled', async () => {
    const { s, t } = await pair('ints');
    const controller = new AbortController();
    const error = await diffTables({
      source: { source: a, table: s },
      target: { source: b, table: t },
      hashing: 'client',
      workers: 2,
      workerScript,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    }).catch((e: unknown) => e);
    expect(isCdcError(error) && error.code).toBe('CANCELLED');
  }, 120_000);

  it('reports a worker that cannot open its source, instead of hanging', async () => {
    const { s, t } = await pair('texts');
    const bad = new URL(db().url);
    bad.password = 'wrong-password';
    // The same source on this thread, but its workers connect with a wrong password.
    const broken: ScanSource = Object.assign(Object.create(null) as object, {
      dialect: b.dialect,
      capabilities: b.capabilities,
      introspect: b.introspect.bind(b),
      close: async () => undefined,
      count: b.count.bind(b),
      estimateCount: b.estimateCount.bind(b),
      splits: b.splits.bind(b),
      scan: b.scan.bind(b),
      lookup: b.lookup.bind(b),
      workerSpec: { ...b.workerSpec!, options: { url: bad.toString(), maxConnections: 1 } },
    });
    const error = await diffTables({
      source: { source: a, table: s },
      target: { source: broken, table: t },
      hashing: 'client',
      workers: 2,
      workerScript,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/password authentication failed|authentication/i);
  }, 120_000);
});

function md5(text: string): string {
  // The same md5() PostgreSQL computed for the keys.
  return createHash('md5').update(text).digest('hex');
}
