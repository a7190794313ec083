/**
 * Client-side hashing of one unit of a diff: bucket summaries and the key digests of chosen buckets,
 * computed from a scan exactly as pushdown adapters compute them in SQL (`docs/normalization.md`). The
 * diff engine runs these in its own thread or, for sources that can be reopened there, in worker threads.
 */
import { BucketAccumulator, bucketAssigner, OrderedBucketAccumulator, type Partitioner } from './buckets.js';
import type { BucketSummary, HashPlan, Range, ScanSource } from './connector.js';
import { columnsString, keyString, type RowHasher } from './hashing.js';
import type { Key, Row, TableSchema } from './schema.js';

/** What to hash: one side's table, plan and scan settings. */
export interface ClientHashInput {
  source: ScanSource;
  /** The schema handed to the adapter's `scan`. */
  table: TableSchema;
  /** The schema values are canonicalized with (may differ from `table` by coerced column types). */
  hashTable: TableSchema;
  plan: HashPlan;
  /** Columns to read (key columns first). */
  columns: string[];
  batchRows?: number;
  partitioner?: Partitioner;
  signal?: AbortSignal;
  hasher: RowHasher;
  /** Throws when the work must stop (cancelled); called between batches. */
  check: () => void;
}

/** What the hashing read, added to the side's statistics. */
export interface ClientHashStats {
  rowsRead: number;
  bytesRead: number;
  queries: number;
}

/** One row's key, its key string and its row digest (32 hex digits). */
export interface KeyDigest {
  keyText: string;
  key: Key;
  hash: string;
}

async function* scan(
  input: ClientHashInput,
  range: Range | undefined,
  ordered: boolean,
  stats: ClientHashStats,
): AsyncGenerator<Row[]> {
  stats.queries++;
  const it = input.source.scan(input.table, {
    columns: input.columns,
    ...(range ? { range } : {}),
    ...(ordered ? { ordered } : {}),
    ...(input.batchRows ? { batchRows: input.batchRows } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  for await (const batch of it) {
    input.check();
    stats.rowsRead += batch.length;
    yield batch;
  }
}

/** Bucket summaries of the rows of `range`, as `summarize` computes them in SQL. */
export async function clientBucketSummaries(
  input: ClientHashInput,
  range: Range | undefined,
  stats: ClientHashStats,
): Promise<BucketSummary[]> {
  const { hashTable, plan, hasher } = input;
  const assign = bucketAssigner(hashTable, plan, hasher, input.partitioner);
  if (plan.bucketDigest === 'ordered') {
    const ordered = await OrderedBucketAccumulator.create();
    for await (const batch of scan(input, range, true, stats)) {
      for (const row of batch) {
        const keyText = keyString(row, hashTable, plan);
        const rowText = keyText + columnsString(row, hashTable, plan);
        stats.bytesRead += rowText.length;
        ordered.add(assign(row, keyText), rowText);
      }
    }
    return ordered.summaries();
  }
  const acc = new BucketAccumulator();
  for await (const batch of scan(input, range, false, stats)) {
    for (const row of batch) {
      const keyText = keyString(row, hashTable, plan);
      const rowText = keyText + columnsString(row, hashTable, plan);
      stats.bytesRead += rowText.length;
      acc.addBytes(assign(row, keyText), hasher.digestBytes(rowText));
    }
  }
  return acc.summaries();
}

/**
 * Key digests of the rows in `buckets`, reading `ranges` (each scanned once; `undefined` = the whole
 * table). Rows outside the buckets are skipped before their digest is computed.
 */
export async function clientKeyDigests(
  input: ClientHashInput,
  ranges: readonly (Range | undefined)[],
  buckets: readonly number[],
  stats: ClientHashStats,
): Promise<KeyDigest[]> {
  const { hashTable, plan, hasher } = input;
  const wanted = new Set(buckets);
  const assign = bucketAssigner(hashTable, plan, hasher, input.partitioner);
  const key = plan.key;
  const out: KeyDigest[] = [];
  for (const range of ranges) {
    for await (const batch of scan(input, range, false, stats)) {
      for (const row of batch) {
        // Key text and bucket first: only rows of the wanted buckets pay for the row digest.
        const keyText = keyString(row, hashTable, plan);
        if (!wanted.has(assign(row, keyText))) continue;
        const rowText = keyText + columnsString(row, hashTable, plan);
        stats.bytesRead += rowText.length;
        out.push({ keyText, key: key.map((k) => row[k]), hash: hasher.digest(rowText) });
      }
    }
  }
  return out;
}
