/**
 * Client-side hashing of one unit of a diff: bucket summaries and the key digests of chosen buckets,
 * computed from a scan exactly as pushdown adapters compute them in SQL (`docs/normalization.md`). The
 * diff engine runs these in its own thread or, for sources that can be reopened there, in worker threads.
 */
import {
  BucketAccumulator,
  bucketAssigner,
  keyBucketAssigner,
  OrderedBucketAccumulator,
  packedBucketAssigner,
  type Partitioner,
} from './buckets.js';
import type {
  BucketSummary,
  CanonicalBatch,
  CanonicalRow,
  HashPlan,
  Range,
  ScanOptions,
  ScanSource,
} from './connector.js';
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

/** A batch of rows as the hashing needs them: key string, row string (lazily), key values and bucket. */
interface HashedBatch {
  length: number;
  keyText(i: number): string;
  /** The row string, or its UTF-8 bytes when the source has them (`CanonicalRow.rowBytes`). */
  rowData(i: number): string | Uint8Array;
  key(i: number): Key;
  /** The row's bucket under the plan's bucketing. */
  bucket(i: number): number;
}

/** The scan options of a read of `range`. */
function scanOptions(input: ClientHashInput, range: Range | undefined, ordered: boolean): ScanOptions {
  return {
    ...(range ? { range } : {}),
    ...(ordered ? { ordered } : {}),
    ...(input.batchRows ? { batchRows: input.batchRows } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  };
}

/** The source's packed canonical batches of `range`, when it offers them (`packedCanonicalScan`). */
function packedBatches(
  input: ClientHashInput,
  range: Range | undefined,
  ordered: boolean,
  stats: ClientHashStats,
): AsyncGenerator<CanonicalBatch> | undefined {
  const scan = input.source.packedCanonicalScan?.bind(input.source);
  if (!scan) return undefined;
  return (async function* () {
    stats.queries++;
    for await (const batch of scan(input.hashTable, input.plan, scanOptions(input, range, ordered))) {
      input.check();
      stats.rowsRead += batch.length;
      // The row strings' bytes, newlines excluded (as the row-by-row paths count them).
      stats.bytesRead +=
        (batch.offsets[batch.length] as number) - (batch.offsets[0] as number) - batch.length;
      yield batch;
    }
  })();
}

/**
 * The rows of `range`, from the source's `canonicalScan` when it has one (canonical strings straight from
 * the wire), else from `scan` (JS values, canonicalized here).
 */
async function* hashedBatches(
  input: ClientHashInput,
  range: Range | undefined,
  ordered: boolean,
  stats: ClientHashStats,
): AsyncGenerator<HashedBatch> {
  const { hashTable, plan, hasher } = input;
  const options = scanOptions(input, range, ordered);
  stats.queries++;
  // Only key-hash buckets need the key string; the others take the key values.
  const keyHashed = plan.bucketing.kind === 'key-hash';
  if (input.source.canonicalScan) {
    const assign = keyBucketAssigner(hashTable, plan, hasher, input.partitioner);
    // The hash schema: the logical types to render, which may differ from the introspected ones.
    for await (const rows of input.source.canonicalScan(hashTable, plan, options)) {
      input.check();
      stats.rowsRead += rows.length;
      yield {
        length: rows.length,
        keyText: (i) => (rows[i] as CanonicalRow).keyText,
        rowData: (i) => {
          const row = rows[i] as CanonicalRow;
          return row.rowBytes ?? row.rowText;
        },
        key: (i) => (rows[i] as CanonicalRow).key,
        bucket: (i) => {
          const row = rows[i] as CanonicalRow;
          return assign(row.key, keyHashed ? row.keyText : '');
        },
      };
    }
    return;
  }
  const assign = bucketAssigner(hashTable, plan, hasher, input.partitioner);
  for await (const rows of input.source.scan(input.table, { ...options, columns: input.columns })) {
    input.check();
    stats.rowsRead += rows.length;
    const keyTexts = rows.map((row) => keyString(row, hashTable, plan));
    yield {
      length: rows.length,
      keyText: (i) => keyTexts[i] as string,
      rowData: (i) => (keyTexts[i] as string) + columnsString(rows[i] as Row, hashTable, plan),
      key: (i) => plan.key.map((k) => (rows[i] as Row)[k]),
      bucket: (i) => assign(rows[i] as Row, keyTexts[i] as string),
    };
  }
}

/** Bucket summaries of the rows of `range`, as `summarize` computes them in SQL. */
export async function clientBucketSummaries(
  input: ClientHashInput,
  range: Range | undefined,
  stats: ClientHashStats,
): Promise<BucketSummary[]> {
  const { plan, hasher } = input;
  const packed = packedBatches(input, range, plan.bucketDigest === 'ordered', stats);
  if (packed) return packedSummaries(input, packed);
  if (plan.bucketDigest === 'ordered') {
    const ordered = await OrderedBucketAccumulator.create();
    for await (const batch of hashedBatches(input, range, true, stats)) {
      for (let i = 0; i < batch.length; i++) {
        const row = batch.rowData(i);
        stats.bytesRead += row.length;
        ordered.add(batch.bucket(i), row);
      }
    }
    return ordered.summaries();
  }
  const acc = new BucketAccumulator();
  for await (const batch of hashedBatches(input, range, false, stats)) {
    for (let i = 0; i < batch.length; i++) {
      const row = batch.rowData(i);
      stats.bytesRead += row.length;
      acc.addBytes(batch.bucket(i), hasher.digestBytes(row));
    }
  }
  return acc.summaries();
}

/**
 * {@link clientBucketSummaries} over packed batches: ordered digests hash each run of a bucket's rows
 * straight from the batch's bytes; row-hash sums hash each row's byte range.
 */
async function packedSummaries(
  input: ClientHashInput,
  batches: AsyncGenerator<CanonicalBatch>,
): Promise<BucketSummary[]> {
  const { hashTable, plan, hasher } = input;
  const bucketOf = packedBucketAssigner(hashTable, plan, hasher, input.partitioner);
  if (plan.bucketDigest === 'ordered') {
    const ordered = await OrderedBucketAccumulator.create();
    for await (const batch of batches) {
      const n = batch.length;
      if (n === 0) continue;
      const offsets = batch.offsets;
      let runStart = 0;
      let runBucket = bucketOf(batch, 0);
      for (let i = 1; i < n; i++) {
        const bucket = bucketOf(batch, i);
        if (bucket === runBucket) continue;
        ordered.addRun(
          runBucket,
          batch.bytes,
          offsets[runStart] as number,
          offsets[i] as number,
          i - runStart,
        );
        runStart = i;
        runBucket = bucket;
      }
      ordered.addRun(runBucket, batch.bytes, offsets[runStart] as number, offsets[n] as number, n - runStart);
    }
    return ordered.summaries();
  }
  const acc = new BucketAccumulator();
  for await (const batch of batches) {
    const { bytes, offsets } = batch;
    for (let i = 0; i < batch.length; i++) {
      const digest = hasher.digestBytes(bytes.subarray(offsets[i] as number, (offsets[i + 1] as number) - 1));
      acc.addBytes(bucketOf(batch, i), digest);
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
  const { hasher } = input;
  const wanted = new Set(buckets);
  const out: KeyDigest[] = [];
  const packedBucketOf = input.source.packedCanonicalScan
    ? packedBucketAssigner(input.hashTable, input.plan, hasher, input.partitioner)
    : undefined;
  for (const range of ranges) {
    const packed = packedBucketOf && packedBatches(input, range, false, stats);
    if (packed && packedBucketOf) {
      for await (const batch of packed) {
        const { bytes, offsets } = batch;
        for (let i = 0; i < batch.length; i++) {
          if (!wanted.has(packedBucketOf(batch, i))) continue;
          const row = batch.row(i);
          out.push({
            keyText: row.keyText,
            key: row.key,
            hash: hasher.digest(bytes.subarray(offsets[i] as number, (offsets[i + 1] as number) - 1)),
          });
        }
      }
      continue;
    }
    for await (const batch of hashedBatches(input, range, false, stats)) {
      for (let i = 0; i < batch.length; i++) {
        // Bucket first: only rows of the wanted buckets pay for the row string and digest.
        if (!wanted.has(batch.bucket(i))) continue;
        const row = batch.rowData(i);
        stats.bytesRead += row.length;
        out.push({
          keyText: batch.keyText(i),
          key: batch.key(i),
          hash: hasher.digest(row),
        });
      }
    }
  }
  return out;
}
