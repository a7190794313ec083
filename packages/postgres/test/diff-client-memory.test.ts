/**
 * Client-side hashing of real PostgreSQL tables (both sides read with `packedCanonicalScan` and hashed
 * in this process, as a ScyllaDB side is) holds memory flat: the retained heap and buffers, sampled after
 * forced collections while the diff runs, do not grow with the table. Asserted on memory, never on time.
 */
import {
  diffTables,
  type CanonicalBatch,
  type HashPlan,
  type ScanOptions,
  type TableSchema,
} from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, type PostgresAdapter } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = (): number => {
  gc();
  // Buffers (row arenas, socket chunks) live outside the JS heap: counted too.
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return (heapUsed + arrayBuffers) / 2 ** 20;
};

const db = useTestDatabase();
let pg: PostgresAdapter;
const SIZES = [40_000, 400_000];

beforeAll(async () => {
  pg = connectPostgres({ url: db().url });
  for (const rows of SIZES) {
    for (const side of ['a', 'b']) {
      await db()
        .query(`CREATE TABLE ${side}${rows} (id bigint PRIMARY KEY, n int, t text, price numeric(12,2),
        at timestamptz, score float8)`);
      await db().query(`INSERT INTO ${side}${rows} SELECT g, g % 1000, 'row ' || g, g * 0.37,
        timestamptz '2024-01-01' + g * interval '1.5 second', g / 7.0 FROM generate_series(1, ${rows}) g`);
    }
    // Planted: one change, one missing row, one extra row.
    await db().query(`UPDATE b${rows} SET t = 'changed' WHERE id = 17;
      DELETE FROM b${rows} WHERE id = ${rows / 2}; INSERT INTO b${rows} VALUES (${rows + 5}, 1, 'x', 1, now(), 1)`);
    await db().query(`ANALYZE a${rows}; ANALYZE b${rows}`);
  }
}, 120_000);

afterAll(async () => {
  await pg.close();
});

/** The diff of a{rows} against b{rows}, hashed in this thread; the peak retained heap growth (MB). */
async function clientDiff(rows: number): Promise<{ growth: number; packedBatches: number; keys: string[] }> {
  const [a, b] = await Promise.all([
    pg.introspect({ name: `a${rows}` }),
    pg.introspect({ name: `b${rows}` }),
  ]);
  let packedBatches = 0;
  const counted = {
    ...pg,
    capabilities: pg.capabilities,
    dialect: pg.dialect,
    introspect: pg.introspect.bind(pg),
    count: pg.count.bind(pg),
    estimateCount: pg.estimateCount.bind(pg),
    splits: pg.splits.bind(pg),
    scan: pg.scan.bind(pg),
    lookup: pg.lookup.bind(pg),
    canonicalScan: pg.canonicalScan.bind(pg),
    async *packedCanonicalScan(
      t: TableSchema,
      plan: HashPlan,
      o?: ScanOptions,
    ): AsyncIterable<CanonicalBatch> {
      for await (const batch of pg.packedCanonicalScan(t, plan, o)) {
        packedBatches++;
        yield batch;
      }
    },
    close: async () => undefined,
  };
  const baseline = heapMb();
  let peak = baseline;
  // Sampled while batches are read (timers run between them), not only between units.
  const sampler = setInterval(() => {
    peak = Math.max(peak, heapMb());
  }, 25);
  const result = await diffTables({
    source: { source: counted, table: a },
    target: { source: counted, table: b },
    hashing: 'client',
    workers: 0,
  }).finally(() => clearInterval(sampler));
  peak = Math.max(peak, heapMb());
  return {
    growth: peak - baseline,
    packedBatches,
    keys: result.differences.map((d) => `${d.kind}:${String(d.key.id)}`),
  };
}

describe('client hashing of PostgreSQL tables', () => {
  it(
    'keeps the retained heap flat from 40k to 400k rows, and finds the planted differences',
    { timeout: 300_000 },
    async () => {
      const growth: number[] = [];
      for (const rows of SIZES) {
        const run = await clientDiff(rows);
        expect(run.keys).toEqual([`mismatched:17`, `missing:${rows / 2}`, `extra:${rows + 5}`]);
        // Both sides read through packed batches (500 rows each).
        expect(run.packedBatches).toBeGreaterThanOrEqual((2 * rows) / 500);
        growth.push(run.growth);
      }
      // Ten times the rows, not more retained memory: batches and bucket summaries are bounded. The
      // samples catch whatever scans are in flight (a few MB either way); holding the rows read, or a
      // string per row, would add tens of MB at 400k rows (the row strings alone are ~24 MB per side).
      expect(growth[1]! - growth[0]!).toBeLessThan(8);
      expect(growth[1]!).toBeLessThan(24);
    },
  );
});
