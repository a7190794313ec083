/** Options and the versioned result of {@link diffTables}. */
import type { Partitioner } from './buckets.js';
import type { ComparisonPolicy } from './compare.js';
import type { Range, ScanSource } from './connector.js';
import type { Key, Row, TableId, TableSchema } from './schema.js';

/** Version of the {@link DiffResult} shape; bumped on any incompatible change. */
export const DIFF_RESULT_VERSION = 1;

/**
 * - `count`: row counts only.
 * - `hash`: bucket summaries → drill into differing buckets → key digests → rows by key → columns.
 * - `stream`: merge two key-ordered scans, comparing every row.
 * - `auto`: `hash` when hashing can be pushed down, when `hashing: 'client'` asks for digests computed
 *   in cdc, or when no ordered scan exists; else `stream`; `stream` when a column has a float tolerance
 *   (tolerances cannot be hashed).
 */
export type DiffAlgorithm = 'count' | 'hash' | 'stream' | 'auto';

/** Which hashing a diff used: same-engine binary, canonical text in both databases, in the client, none. */
export type HashingUsed = 'native' | 'canonical-pushdown' | 'client' | 'none';

/** One side of a comparison. */
export interface DiffSide {
  source: ScanSource;
  table: TableSchema;
  /** Computes Murmur3 tokens client-side, so a non-Scylla side can be bucketed like a Scylla side. */
  partitioner?: Partitioner;
}

/** Progress of a running diff (emitted after each unit of work; cheap to render). */
export interface DiffProgressEvent {
  phase: 'count' | 'summarize' | 'drill' | 'stream' | 'recheck';
  /** Units (splits) finished in this phase and in total. */
  done: number;
  total: number;
  rowsRead: { source: number; target: number };
  differences: number;
}

/** Options of {@link diffTables}. */
export interface DiffOptions {
  source: DiffSide;
  target: DiffSide;
  /** Default `auto`. */
  algorithm?: DiffAlgorithm;
  /**
   * Non-key columns to compare (same names on both sides). Default: every non-key column present on
   * both sides, in source order.
   */
  columns?: string[];
  /** Policy applied to every column unless `policies` names it. */
  defaultPolicy?: ComparisonPolicy;
  /** Per-column policies (column name → policy). Never mutated. */
  policies?: Readonly<Record<string, ComparisonPolicy>>;
  /**
   * `auto` (default): native when both sides share a native hash family and native types, canonical
   * pushdown where each side can, client hashing otherwise. `canonical` forbids native;
   * `client` hashes every row in this process.
   */
  hashing?: 'auto' | 'canonical' | 'client';
  /** Bucket strategy for `hash`. Default `auto` (int-range when both sides allow it, else key-hash/token). */
  bucketing?: 'auto' | 'key-hash' | 'int-range' | 'token';
  /** Target rows per bucket (smaller: more summary rows, less to re-read per difference). Default 100: at 1M rows and 100 differences, 100 → 10k summary rows and ~10k rows re-read per side (500: 2k and ~50k; node CPU 0.68 → 0.45 s, peak RSS 133 → ~100 MB in `npm run bench`). */
  rowsPerBucket?: number;
  /** Splits requested from the source (parallel units). Default `4 × concurrency`. */
  splits?: number;
  /** Units processed concurrently. Default 4. */
  concurrency?: number;
  /** Stop after listing this many differences (result is `truncated`). Default 1,000. */
  maxDiffs?: number;
  /** Rows per scan batch. Default: the adapter's. */
  batchRows?: number;
  /** Max rows per side held while drilling into differing buckets (bounds memory). Default 50,000. */
  drillRows?: number;
  signal?: AbortSignal;
  onProgress?: (event: DiffProgressEvent) => void;
  /**
   * Live mode: wait this long after the diff (e.g. the replication lag), re-read every listed
   * difference on both sides and keep only those that persist.
   */
  recheckAfterMs?: number;
  /**
   * Compare only the rows with these keys (each the key values in key order), read with batched
   * `lookup`s on both sides: no scan, no summaries (the result's `algorithm` is `keys`). `algorithm`,
   * `range` and the bucketing options are ignored. For verifying rows known to have changed.
   */
  keys?: readonly Key[];
  /**
   * Compare only the rows of this range (one of the source's `splits`, applied to both sides), as one
   * unit with key-hash buckets (`hash`) or one merge (`stream`). Counts are the range's. For a sweep that
   * checkpoints range by range. Token ranges need both sides token-partitioned.
   */
  range?: Range;
  /**
   * Worker threads for client-side hashing. A side hashed in the process whose source can be reopened in
   * a worker (`ScanSource.workerSpec`) is scanned, canonicalized and hashed there, unit by unit. Default:
   * from three cores, one per core but one (`os.availableParallelism() − 1`) when the table has at least
   * 100,000 rows (estimated); else none (on two virtual cores with the database on the same machine,
   * workers measured slower than the calling thread). `0` hashes in the calling thread. Token buckets
   * always stay in the calling thread.
   */
  workers?: number;
  /** The worker script (`hash-worker.js` of `@cdc/core`'s build). Default: the one next to this module. */
  workerScript?: string | URL;
}

/** One differing row. `key` lists key columns in key order; `source`/`target` the values each side held. */
export interface Difference {
  /** `missing`: only in source; `extra`: only in target; `mismatched`: in both, some columns differ. */
  kind: 'missing' | 'extra' | 'mismatched';
  key: Record<string, unknown>;
  /** Differing columns (for missing/extra: every compared column). */
  columns: string[];
  /**
   * Key and compared columns as read from the source (absent for `extra`); for `missing`, every column
   * the target also has, so the row can be inserted.
   */
  source?: Row;
  /** Key and compared columns as read from the target (absent for `missing`). */
  target?: Row;
}

/** Reads and round trips of one side. `bytesRead` counts canonical text bytes received (an estimate). */
export interface SideStats {
  rowsRead: number;
  bytesRead: number;
  queries: number;
}

/** The versioned result of a diff. Values are JS values; use `renderDiffJson` for a JSON-safe form. */
export interface DiffResult {
  version: typeof DIFF_RESULT_VERSION;
  source: TableId;
  target: TableId;
  status: 'in_sync' | 'differences';
  /** `keys`: only the rows of `DiffOptions.keys` were compared, by lookup. */
  algorithm: Exclude<DiffAlgorithm, 'auto'> | 'keys';
  hashing: HashingUsed;
  /** How rows were bucketed (`hash` algorithm only). */
  bucketing?: 'int-range' | 'key-hash' | 'token';
  /** Row counts per side (from counts, summaries or scans); lower bounds when `truncated`. */
  counts: { source: bigint; target: bigint };
  /** Differences found (equal to the listed ones unless `truncated`, then lower bounds). */
  summary: { missing: number; extra: number; mismatched: number };
  keyColumns: string[];
  comparedColumns: string[];
  differences: Difference[];
  /** The stop limit was reached: work stopped early and more differences may exist. */
  truncated: boolean;
  stats: { source: SideStats; target: SideStats; durationMs: number };
  /** Live mode: the delay used and how many differences vanished on re-check. */
  live?: { recheckAfterMs: number; resolved: number };
  /** Free-text notes on decisions the engine made (e.g. a fallback). */
  notes: string[];
}
