/**
 * Bounded memory: diffs of a 5M-row table generated lazily by the MemoryScanSource test double. The
 * assertion is on heap growth (sampled after forced GCs while the diff runs), never on time.
 */
import { MemoryScanSource } from '@cdc/testkit';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { diffTables, type DiffAlgorithm, type Row, type TableSchema } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROWS = 5_000_000;
const schema: TableSchema = {
  id: { name: 'big' },
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int64' }, nativeType: 'bigint', nullable: false },
    { name: 'v', type: { kind: 'int32' }, nativeType: 'integer', nullable: true },
  ],
};
const planted = new Set([17, 500_000, 999_999]);
const lazy = (rows: number, changed: boolean) => ({
  count: rows,
  rowAt: (i: number): Row => ({ id: i, v: changed && planted.has(i) ? -1 : i % 1000 }),
});

const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

describe('diffTables on millions of lazily generated rows', () => {
  // The hash path hashes every row twice in JS (row digest and key-hash bucket), so it runs on 1M rows;
  // the stream path, which holds the least state, runs on the full 5M.
  // Client hashing (both sides scanned and hashed in this process, as a ScyllaDB side is) on 1M rows too.
  for (const [algorithm, pushdown, rows, hashing] of [
    ['stream', false, ROWS, 'canonical'],
    ['hash', true, 1_000_000, 'canonical'],
    ['hash', false, 1_000_000, 'client'],
  ] as [DiffAlgorithm, boolean, number, 'canonical' | 'client'][]) {
    it(
      `${algorithm} (${hashing} hashing) over ${rows} rows: heap stays bounded, planted differences found`,
      { timeout: 600_000 },
      async () => {
        const caps = { hashPushdown: pushdown };
        const source = new MemoryScanSource({ capabilities: caps, batchRows: 5_000 }).addTable(
          schema,
          lazy(rows, false),
        );
        const target = new MemoryScanSource({ capabilities: caps, batchRows: 5_000 }).addTable(
          schema,
          lazy(rows, true),
        );
        const baseline = heapMb();
        let peak = 0;
        let lastSample = 0;
        const result = await diffTables({
          source: { source, table: schema },
          target: { source: target, table: schema },
          algorithm,
          hashing,
          splits: 64,
          concurrency: 2,
          rowsPerBucket: 5_000,
          onProgress: (e) => {
            if (e.done - lastSample >= 4 || e.done === e.total) {
              lastSample = e.done;
              peak = Math.max(peak, heapMb());
            }
          },
        });
        expect(result.differences.map((d) => d.key.id)).toEqual([...planted]);
        expect(result.counts).toEqual({ source: BigInt(rows), target: BigInt(rows) });
        // 5M materialized rows would take hundreds of MB; the diff holds batches and bucket summaries only.
        expect(peak - baseline).toBeLessThan(48);
        expect(peak).toBeGreaterThan(0);
      },
    );
  }
});
