/**
 * The contracts every adapter implements (ARCHITECTURE §3). Sources and the target are all
 * {@link ScanSource}s so the diff engine can compare any pair; replication adds {@link ChangeSource}
 * and {@link ChangeSink}. Optional abilities are optional members plus flags in {@link Capabilities}.
 */
import type { LogicalKind } from './logical-type.js';
import type { WorkerSourceSpec } from './hash-worker-protocol.js';
import type { Key, Row, TableId, TableSchema } from './schema.js';

/**
 * What an adapter can do. The engine chooses strategies from these flags, never by guessing.
 * Use {@link defineCapabilities} to fill in the documented defaults.
 */
export interface Capabilities {
  /** `count(t)` is exact. Default `true`. */
  exactCount: boolean;
  /** `estimateCount` is implemented (statistics, fast). Default `false`. */
  estimatedCount: boolean;
  /**
   * `scan({ordered: true})` returns rows in canonical key order (integers numerically, text and bytes by
   * UTF-8/byte order, uuid by canonical text, instants by time). Needed by the `stream` strategy.
   * Default `false`.
   */
  orderedScan: boolean;
  /** `summarize`/`keyHashes` compute canonical hashes inside the database. Default `false`. */
  hashPushdown: boolean;
  /**
   * Logical kinds the pushdown can canonicalize. A hash plan touching any other kind is hashed
   * client-side. Default: none.
   */
  pushdownKinds: readonly LogicalKind[];
  /**
   * Family name of a same-engine binary hash (e.g. `postgres`). Two sides reporting the same family and
   * identical native column types may use `mode: 'native'`. Default `undefined` (none).
   */
  nativeHashFamily?: string;
  /** Keys can be bucketed by integer ranges in SQL (`int-range` bucketing). Default `false`. */
  intRangeBuckets: boolean;
  /** Rows are partitioned by Murmur3 token (Scylla/Cassandra): splits are token ranges. Default `false`. */
  tokenPartitioned: boolean;
  /**
   * `summarize` computes ordered bucket digests (`HashPlan.bucketDigest: 'ordered'`, int-range buckets,
   * canonical mode): one MD5 per bucket instead of one per row. Default `false`.
   */
  orderedBucketDigest?: boolean;
}

/** Fills unspecified capabilities with their documented defaults. */
export function defineCapabilities(partial: Partial<Capabilities> = {}): Capabilities {
  return {
    exactCount: true,
    estimatedCount: false,
    orderedScan: false,
    hashPushdown: false,
    pushdownKinds: [],
    intRangeBuckets: false,
    tokenPartitioned: false,
    ...partial,
  };
}

/**
 * A contiguous part of a table, for parallel work.
 * - `key`: primary-key tuples in `[lower, upper)` compared lexicographically in canonical order
 *   (either bound may be absent = unbounded).
 * - `token`: Murmur3 tokens in `(start, end]` (Scylla/Cassandra).
 * - `hash`: rows whose key-hash bucket (see `docs/normalization.md`, "Key hash") `mod modulus == remainder`.
 */
export type Range =
  | { kind: 'key'; lower?: Key; upper?: Key }
  | { kind: 'token'; start: bigint; end: bigint }
  | { kind: 'hash'; modulus: number; remainder: number };

/** Per-column comparison/canonicalization options that change hashed bytes. */
export interface ColumnHashOptions {
  /** Fractional-second digits instants and times are floored to (0–6). Default: the column's precision. */
  precision?: number;
  /** Strip trailing spaces before hashing (char padding policy). Default `false`. */
  trimTrailingSpaces?: boolean;
  /** Compare case-insensitively (text is lower-cased, Unicode default, before hashing). Default `false`. */
  caseInsensitive?: boolean;
}

/**
 * How rows are assigned to buckets for summaries and drill-down.
 * - `key-hash`: bucket = (first 4 bytes of MD5(key string) as uint32 big-endian) mod `modulus`.
 *   Immune to key gaps, skew and collation; the drill-down must scan.
 * - `int-range`: single integer key column; bucket = floor((k − start) / width). Drill-down is an index
 *   range scan. Only when both sides hold the key as an integer.
 * - `token`: bucket = index of the Murmur3 token range containing the row's partition key, given the
 *   sorted inclusive upper bounds `ends` (the last one is 2^63−1). Computed client-side on non-Scylla sides.
 */
export type Bucketing =
  | { kind: 'key-hash'; modulus: number }
  | { kind: 'int-range'; column: string; start: bigint; width: bigint }
  | { kind: 'token'; ends: readonly bigint[] };

/**
 * What to hash. `key` and `columns` are column names in the order their canonical fields enter the row
 * string (key first). `mode: 'canonical'` is the cross-engine byte layout of `docs/normalization.md`;
 * `mode: 'native'` a same-engine binary hash, only when both sides share `nativeHashFamily` and types.
 */
export interface HashPlan {
  key: string[];
  columns: string[];
  columnOptions?: Readonly<Record<string, ColumnHashOptions>>;
  mode: 'canonical' | 'native';
  bucketing: Bucketing;
  /**
   * What a bucket summary's `sum` holds. `sum` (default): the sum of the rows' 64-bit hashes.
   * `ordered` (canonical mode, `int-range` buckets, sides advertising `orderedBucketDigest`): the first
   * 8 bytes of the MD5 of the bucket's row strings in ascending key order, each followed by `\n`
   * (`docs/normalization.md`, "Ordered bucket digest"). Drill-down digests are per row either way.
   */
  bucketDigest?: 'sum' | 'ordered';
}

/** Count and digest of one bucket. */
export interface BucketSummary {
  bucket: number;
  count: number;
  /**
   * Sum of the rows' 64-bit hashes (first 8 bytes of the row digest, uint64 big-endian) mod 2^64, or
   * with `bucketDigest: 'ordered'` the first 8 bytes of the bucket's ordered digest (uint64 big-endian).
   */
  sum: bigint;
}

/** One row's key and digest (lowercase hex of the full row digest, e.g. 32 hex digits for MD5). */
export interface KeyHash {
  key: Key;
  hash: string;
}

/** Options of {@link ScanSource.scan}. */
export interface ScanOptions {
  /** Columns to return (key columns are always included). Default: all. */
  columns?: string[];
  /** Restrict to a range from `splits`. */
  range?: Range;
  /** Rows per yielded batch (and per round trip). Default chosen by the adapter (~1,000–10,000). */
  batchRows?: number;
  /** Return rows in canonical key order (requires `capabilities.orderedScan`). Default `false`. */
  ordered?: boolean;
  /** Stops the scan between batches. */
  signal?: AbortSignal;
}

/** A connection to one database, able to describe its tables. */
export interface Connector {
  /** Short engine name, e.g. `postgres`, `sqlserver`, `scylla`. */
  readonly dialect: string;
  /** What this connector can do. */
  readonly capabilities: Capabilities;
  /**
   * Describes a table. Throws a `CdcError` with code `TABLE_NOT_FOUND`, `NO_PRIMARY_KEY` (unless `key`
   * is given) or `UNSUPPORTED_TYPE` (naming the column and native type).
   */
  introspect(table: TableId, options?: { key?: string[] }): Promise<TableSchema>;
  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}

/** One row as {@link ScanSource.canonicalScan} yields it. */
export interface CanonicalRow {
  /** The key string: canonical texts of the key columns joined by `|`. */
  keyText: string;
  /** The row string: the key string, then `|<canonical text>` per compared column of the plan. */
  rowText: string;
  /** The key's values as `scan` returns them (for lookups, bucket numbers and partitioners). */
  key: Key;
  /**
   * Optional: the UTF-8 bytes of {@link rowText}, when the source renders rows as bytes anyway. The
   * engine then hashes these bytes and never asks for `rowText` (which such a source may decode lazily,
   * in a getter), sparing a string and its re-encoding per row. The bytes must stay unchanged until the
   * batch holding the row has been consumed.
   */
  rowBytes?: Uint8Array;
}

/**
 * A batch of canonical rows laid out in one byte buffer, as {@link ScanSource.packedCanonicalScan} yields
 * it: what {@link CanonicalRow} holds for each row, without an object, a string or a view per row. The
 * engine hashes byte ranges of {@link bytes}; a whole run of rows is one range, since rows follow each
 * other with their newlines (the layout of ordered bucket digests, `docs/normalization.md`).
 *
 * A batch is valid only until the next one is requested (a source may reuse its buffers); rows the
 * consumer keeps are taken with {@link row}, which copies.
 */
export interface CanonicalBatch {
  /** Rows in the batch. */
  readonly length: number;
  /**
   * The UTF-8 bytes of the batch's row strings in scan order, each followed by one `\n` (0x0A): row `i`'s
   * row string is `bytes[offsets[i], offsets[i + 1] - 1)`.
   */
  readonly bytes: Uint8Array;
  /** `length + 1` offsets into {@link bytes}: where each row starts, then the end of the last newline. */
  readonly offsets: Int32Array;
  /** The byte length of each row's key string (the row string's first bytes). */
  readonly keyLengths: Int32Array;
  /**
   * When the plan's key is one integer column: each row's key as a number, exact for safe integers;
   * `NaN` where it is not one (NULL, or beyond 2^53), and the consumer asks {@link row} for the key.
   */
  readonly intKeys?: Float64Array;
  /** Row `i` with its strings and key values, independent of the batch's buffers. */
  row(i: number): CanonicalRow;
}

/** A readable table store: every source and the target implement this for reconciliation. */
export interface ScanSource extends Connector {
  /** Exact row count, optionally within a range. */
  count(table: TableSchema, range?: Range): Promise<bigint>;
  /** Fast estimate from statistics (when `capabilities.estimatedCount`). */
  estimateCount?(table: TableSchema): Promise<bigint>;
  /** At most `n` ranges covering every row exactly once. */
  splits(table: TableSchema, n: number): Promise<Range[]>;
  /** Streams rows in batches with bounded memory. */
  scan(table: TableSchema, options?: ScanOptions): AsyncIterable<Row[]>;
  /** Rows whose primary key is one of `keys` (any order; missing keys are absent). */
  lookup(table: TableSchema, keys: Key[], columns?: string[]): Promise<Row[]>;
  /** In-database bucket summaries (when `capabilities.hashPushdown`). */
  summarize?(table: TableSchema, plan: HashPlan, range?: Range): Promise<BucketSummary[]>;
  /** In-database key digests of the given buckets (when `capabilities.hashPushdown`). */
  keyHashes?(table: TableSchema, plan: HashPlan, buckets: number[], range?: Range): AsyncIterable<KeyHash[]>;
  /**
   * Optional fast path for client-side hashing: the rows of `options.range` as canonical key and row
   * strings (`docs/normalization.md`, byte for byte what `keyString`/`rowString` give for the rows `scan`
   * returns), rendered straight from the wire format without building JS values. `table` gives the
   * logical type each column is rendered as, which may differ from the introspected one (a jsonb column
   * compared as a CQL map). `options.columns` is ignored (the plan says which columns). Honours `ordered`,
   * `range`, `batchRows` and `signal` like `scan`.
   */
  canonicalScan?(table: TableSchema, plan: HashPlan, options?: ScanOptions): AsyncIterable<CanonicalRow[]>;
  /**
   * Optional, preferred over {@link canonicalScan} by client-side hashing: the same rows, in the same
   * order and with the same bytes, as {@link CanonicalBatch}es (no object per row). Honours the same
   * options; a source offering it offers `canonicalScan` too.
   */
  packedCanonicalScan?(
    table: TableSchema,
    plan: HashPlan,
    options?: ScanOptions,
  ): AsyncIterable<CanonicalBatch>;
  /**
   * How a worker thread opens its own connection to the same database, so the diff engine can scan and
   * hash this side on every core (`DiffOptions.workers`). Absent: this side is hashed in the calling
   * thread (e.g. a source built on a pool or client the caller owns).
   */
  readonly workerSpec?: WorkerSourceSpec;
}

/**
 * An opaque, JSON-serializable replication position, ordered only by the source that produced it
 * (SQL Server: LSN/seqval/operation; Scylla: generation/stream group/time; PostgreSQL: LSN).
 */
export type Position = string;

/** One change to one row (or, for Scylla, a key prefix/range). */
export type ChangeEvent =
  | { op: 'upsert'; table: TableId; key: Row; row: Row; partial?: boolean; sourceTimestamp?: bigint }
  | { op: 'delete'; table: TableId; key: Row; sourceTimestamp?: bigint }
  | {
      /** Delete every row whose leading key columns equal `prefix` and, optionally, within bounds. */
      op: 'delete-range';
      table: TableId;
      prefix: Row;
      lower?: { column: string; value: unknown; inclusive: boolean };
      upper?: { column: string; value: unknown; inclusive: boolean };
      sourceTimestamp?: bigint;
    };

/**
 * Changes to apply atomically together with `position`. Batches end at transaction boundaries of the
 * source. `partition` names the ordered stream the position belongs to (`'*'` when there is one).
 */
export interface ChangeBatch {
  partition: string;
  position: Position;
  events: ChangeEvent[];
  /** Source commit time of the last event, microseconds since the epoch, for lag. */
  commitTimeMicros?: bigint;
}

/** Options of {@link ChangeSource.changes}. */
export interface ChangeOptions {
  tables: TableSchema[];
  /** Where each partition resumes (strictly after); absent partitions start at the snapshot position. */
  from: ReadonlyMap<string, Position>;
  signal?: AbortSignal;
  /** Upper bound on events per batch (a source transaction larger than this is split). */
  maxBatchEvents?: number;
  /**
   * End the iteration once every change available when it started has been yielded (`cdc replicate
   * --once`) instead of waiting for new ones. Default `false`.
   */
  untilCaughtUp?: boolean;
}

/** A consistent snapshot of one table: its rows and the position to stream from afterwards. */
export interface Snapshot {
  position: Position;
  partition: string;
  rows: AsyncIterable<Row[]>;
  close(): Promise<void>;
}

/** A source of changes (SQL Server CDC, Scylla CDC log, PostgreSQL logical decoding). */
export interface ChangeSource extends ScanSource {
  snapshot(table: TableSchema, options?: { signal?: AbortSignal; batchRows?: number }): Promise<Snapshot>;
  changes(options: ChangeOptions): AsyncIterable<ChangeBatch>;
  /**
   * Tells the source that everything up to and including `position` of `partition` is committed in the
   * target, so it may release it (advance a replication slot, forget log). Called only after the sink's
   * transaction holding that position has committed; optional for sources that retain nothing.
   */
  acknowledge?(partition: string, position: Position): Promise<void>;
}

/** How a source table lands in the target. */
export interface TableMapping {
  source: TableSchema;
  target: TableId;
  deletes: 'hard' | 'soft';
  /** Column holding the source timestamp for last-writer-wins, if any. */
  sourceTimestampColumn?: string;
}

/** Result of applying one batch. */
export interface ApplyResult {
  upserts: number;
  deletes: number;
  deadLetters: number;
}

/** The replication target (PostgreSQL): applies batches and their positions atomically. */
export interface ChangeSink {
  /** Creates or evolves target tables and the `cdc_meta` schema. */
  prepare(pipeline: string, mappings: TableMapping[]): Promise<void>;
  /** Takes ownership of the pipeline: returns the new fencing epoch; older epochs can no longer commit. */
  acquire(pipeline: string): Promise<number>;
  /** Stored positions per partition. */
  checkpoints(pipeline: string): Promise<Map<string, Position>>;
  /** Applies the batch and stores its position in ONE transaction; fails if `epoch` was superseded. */
  apply(pipeline: string, epoch: number, batch: ChangeBatch): Promise<ApplyResult>;
  close(): Promise<void>;
}

export type { TableId };
