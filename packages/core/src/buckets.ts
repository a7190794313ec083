/**
 * Client-side bucket assignment and bucket summaries, byte-for-byte what pushdown adapters compute in SQL
 * (`docs/normalization.md`). Used by the engine for sides without pushdown and by test doubles.
 */
import { Buffer } from 'node:buffer';
import { createMD5, type IHasher } from 'hash-wasm';
import { canonicalText } from './canonical.js';
import type { Bucketing, BucketSummary, CanonicalBatch, HashPlan, Range } from './connector.js';
import { CdcError } from './errors.js';
import { columnsString, combineHalfSums, keyString, word32, type RowHasher } from './hashing.js';
import type { LogicalType } from './logical-type.js';
import type { Key, Row, TableSchema } from './schema.js';

/** Bytes of row strings an {@link OrderedBucketAccumulator} gathers before an MD5 update. */
const PENDING_BYTES = 65_536;

/** Maps a key tuple to its Murmur3 token (Scylla/Cassandra partitioner), for `token` bucketing. */
export interface Partitioner {
  tokenOf(key: Key): bigint;
}

/** Index of the token range holding `token`, given the sorted inclusive upper bounds `ends`. */
export function tokenBucket(token: bigint, ends: readonly bigint[]): number {
  let lo = 0;
  let hi = ends.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (token <= (ends[mid] as bigint)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * A function giving the bucket of a row under `bucketing`. `token` bucketing needs the side's partitioner.
 */
export function bucketAssigner(
  schema: TableSchema,
  plan: HashPlan,
  hasher: RowHasher,
  partitioner?: Partitioner,
): (row: Row, keyText: string) => number {
  const b: Bucketing = plan.bucketing;
  switch (b.kind) {
    case 'key-hash':
      return (_row, keyText) => hasher.keyBucket(keyText, b.modulus);
    case 'int-range': {
      const bucketOf = intRangeBucketOf(schema, b);
      return (row) => bucketOf(row[b.column]);
    }
    case 'token': {
      if (!partitioner) {
        throw new CdcError('INVALID_ARGUMENT', 'token bucketing needs a partitioner for this side', {
          hint: 'Pass `partitioner: { tokenOf }` for the side that is not token-partitioned.',
        });
      }
      return (row) => tokenBucket(partitioner.tokenOf(plan.key.map((k) => row[k])), b.ends);
    }
  }
}

/** The int-range bucket of a key column's value. */
function intRangeBucketOf(
  schema: TableSchema,
  b: Extract<Bucketing, { kind: 'int-range' }>,
): (value: unknown) => number {
  const type = schema.columns.find((c) => c.name === b.column)?.type as LogicalType;
  // Doubles are exact here: keys below 10^15 and a start and width below 2^51 keep every operand, and
  // the floor of a correctly rounded quotient of integers below 2^53, exact.
  const start = Number(b.start);
  const width = Number(b.width);
  const exact = Math.abs(start) < 2 ** 51 && width < 2 ** 51;
  return (value) => {
    if (exact && typeof value === 'number' && Math.abs(value) < 1e15 && Number.isInteger(value)) {
      return Math.floor((value - start) / width);
    }
    const text = canonicalText(value, type);
    if (exact && text.length < 16) return Math.floor((Number(text) - start) / width);
    return Number(floorDiv(BigInt(text) - b.start, b.width));
  };
}

/**
 * {@link bucketAssigner} over a row's key values (in `plan.key` order) instead of a row: what client-side
 * hashing of canonical rows uses, without building a row object per row. `keyText` is read only for
 * key-hash buckets.
 */
export function keyBucketAssigner(
  schema: TableSchema,
  plan: HashPlan,
  hasher: RowHasher,
  partitioner?: Partitioner,
): (key: Key, keyText: string) => number {
  const b: Bucketing = plan.bucketing;
  if (b.kind === 'int-range') {
    const index = plan.key.indexOf(b.column);
    if (index >= 0) {
      const bucketOf = intRangeBucketOf(schema, b);
      return (key) => bucketOf(key[index]);
    }
  }
  if (b.kind === 'token' && partitioner) return (key) => tokenBucket(partitioner.tokenOf(key), b.ends);
  const byRow = bucketAssigner(schema, plan, hasher, partitioner);
  return (key, keyText) => {
    const row: Row = {};
    for (let k = 0; k < plan.key.length; k++) row[plan.key[k] as string] = key[k];
    return byRow(row, keyText);
  };
}

/**
 * {@link keyBucketAssigner} over the rows of {@link CanonicalBatch}es: int-range buckets from the batch's
 * integer keys, key-hash buckets from the key strings' bytes, without materializing rows; anything else
 * (token buckets, keys beyond 2^53) through the batch's {@link CanonicalBatch.row}.
 */
export function packedBucketAssigner(
  schema: TableSchema,
  plan: HashPlan,
  hasher: RowHasher,
  partitioner?: Partitioner,
): (batch: CanonicalBatch, i: number) => number {
  const b: Bucketing = plan.bucketing;
  const byKey = keyBucketAssigner(schema, plan, hasher, partitioner);
  const slow = (batch: CanonicalBatch, i: number): number => {
    const row = batch.row(i);
    return byKey(row.key, row.keyText);
  };
  if (b.kind === 'key-hash') {
    const modulus = b.modulus;
    return (batch, i) => {
      const start = batch.offsets[i] as number;
      return hasher.keyBucket(batch.bytes.subarray(start, start + (batch.keyLengths[i] as number)), modulus);
    };
  }
  if (b.kind === 'int-range' && plan.key.length === 1 && plan.key[0] === b.column) {
    const bucketOf = intRangeBucketOf(schema, b);
    return (batch, i) => {
      const v = batch.intKeys ? (batch.intKeys[i] as number) : NaN;
      return v === v ? bucketOf(v) : slow(batch, i);
    };
  }
  return slow;
}

/** Whether `row` lies in `range` (client-side filter for sources that cannot filter natively). */
export function rangeFilter(
  schema: TableSchema,
  range: Range | undefined,
  hasher: RowHasher,
  compare: (a: Key, b: Key) => number,
  partitioner?: Partitioner,
): (row: Row) => boolean {
  if (!range) return () => true;
  const key = schema.primaryKey;
  const keyOf = (row: Row): Key => key.map((k) => row[k]);
  switch (range.kind) {
    case 'key':
      return (row) => {
        const k = keyOf(row);
        return (
          (range.lower === undefined || compare(k, range.lower) >= 0) &&
          (range.upper === undefined || compare(k, range.upper) < 0)
        );
      };
    case 'hash': {
      const plan: HashPlan = {
        key,
        columns: [],
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 1 },
      };
      return (row) => hasher.keyBucket(keyString(row, schema, plan), range.modulus) === range.remainder;
    }
    case 'token': {
      if (!partitioner) {
        throw new CdcError('INVALID_ARGUMENT', 'token ranges need a partitioner', {
          hint: 'Only token-partitioned sources (or sides given a partitioner) accept token ranges.',
        });
      }
      return (row) => {
        const t = partitioner.tokenOf(keyOf(row));
        return range.start < range.end
          ? t > range.start && t <= range.end
          : t > range.start || t <= range.end;
      };
    }
  }
}

/** Accumulates count and 64-bit sum per bucket with number arithmetic, folding to bigint before overflow. */
export class BucketAccumulator {
  readonly #buckets = new Map<number, { count: number; hi: number; lo: number; carry: bigint }>();

  /** Adds one row digest (32 hex digits) to `bucket`. */
  add(bucket: number, digestHex: string): void {
    this.addWords(bucket, parseInt(digestHex.slice(0, 8), 16), parseInt(digestHex.slice(8, 16), 16));
  }

  /** Adds one row digest (its 16 bytes) to `bucket`. */
  addBytes(bucket: number, digest: Uint8Array): void {
    this.addWords(bucket, word32(digest, 0), word32(digest, 4));
  }

  /** Adds a row hash given as its high and low unsigned 32-bit words. */
  addWords(bucket: number, hi: number, lo: number): void {
    let s = this.#buckets.get(bucket);
    if (!s) {
      s = { count: 0, hi: 0, lo: 0, carry: 0n };
      this.#buckets.set(bucket, s);
    }
    s.count++;
    s.hi += hi;
    s.lo += lo;
    // Sums of 32-bit halves stay exact in a double up to 2^21 rows; fold well before that.
    if ((s.count & 0xfffff) === 0) {
      s.carry = combineHalfSums(BigInt(s.hi), BigInt(s.lo) + s.carry);
      s.hi = 0;
      s.lo = 0;
    }
  }

  /** Summaries sorted by bucket. */
  summaries(): BucketSummary[] {
    return [...this.#buckets.entries()]
      .map(([bucket, s]) => ({
        bucket,
        count: s.count,
        sum: combineHalfSums(BigInt(s.hi), BigInt(s.lo) + s.carry),
      }))
      .sort((a, b) => a.bucket - b.bucket);
  }
}

/**
 * Ordered bucket digests (`HashPlan.bucketDigest: 'ordered'`): rows must arrive in ascending key order,
 * so each int-range bucket is one contiguous run; each bucket's digest is the MD5 of its row strings,
 * each followed by `\n`. Throws if a bucket number goes back (the scan was not in key order).
 */
export class OrderedBucketAccumulator {
  readonly #md5: IHasher;
  readonly #done: BucketSummary[] = [];
  #bucket: number | undefined;
  #count = 0;
  /**
   * UTF-8 bytes of the current bucket's row strings not yet passed to MD5: one MD5 update per bucket (or
   * per 64 KiB), since each update call costs a WASM call and a copy into its memory.
   */
  #pending = Buffer.allocUnsafe(PENDING_BYTES);
  #o = 0;

  private constructor(md5: IHasher) {
    this.#md5 = md5;
  }

  /** A new accumulator (hash-wasm's MD5 is created asynchronously). */
  static async create(): Promise<OrderedBucketAccumulator> {
    return new OrderedBucketAccumulator(await createMD5());
  }

  /**
   * Adds the next row in key order, which lies in `bucket`: its row string, or that string's UTF-8 bytes
   * (`CanonicalRow.rowBytes`; copied, so the caller may reuse them).
   */
  add(bucket: number, row: string | Uint8Array): void {
    this.#enter(bucket);
    // At most 3 UTF-8 bytes per UTF-16 code unit, plus the newline.
    const room = (typeof row === 'string' ? row.length * 3 : row.length) + 1;
    if (this.#o + room > this.#pending.length) {
      this.#drain();
      if (room > this.#pending.length) this.#pending = Buffer.allocUnsafe(room);
    }
    if (typeof row === 'string') this.#o += this.#pending.write(row, this.#o, 'utf8');
    else {
      this.#pending.set(row, this.#o);
      this.#o += row.length;
    }
    this.#pending[this.#o++] = 10;
    this.#count++;
  }

  /** Starts `bucket` unless it is the current one; throws if it comes before it. */
  #enter(bucket: number): void {
    if (bucket !== this.#bucket) {
      if (this.#bucket !== undefined && bucket < this.#bucket) {
        throw new CdcError(
          'INTERNAL',
          `ordered bucket digest: bucket ${bucket} after bucket ${this.#bucket}; the scan was not in key order`,
          { hint: 'the source must return rows in key order for scan({ ordered: true })' },
        );
      }
      this.#flush();
      this.#bucket = bucket;
      this.#md5.init();
    }
  }

  /**
   * Adds the next `rows` rows in key order, all in `bucket`, given as their row strings' UTF-8 bytes, each
   * followed by `\n`: `bytes[start, end)` (a run of a {@link CanonicalBatch}). Hashed straight from
   * `bytes`, which the caller may reuse afterwards.
   */
  addRun(bucket: number, bytes: Uint8Array, start: number, end: number, rows: number): void {
    if (rows <= 0) return;
    this.#enter(bucket);
    this.#drain();
    this.#md5.update(bytes.subarray(start, end));
    this.#count += rows;
  }

  /** Summaries sorted by bucket (call once, after the last row). */
  summaries(): BucketSummary[] {
    this.#flush();
    return this.#done;
  }

  #drain(): void {
    if (this.#o > 0) this.#md5.update(this.#pending.subarray(0, this.#o));
    this.#o = 0;
  }

  #flush(): void {
    if (this.#bucket === undefined || this.#count === 0) return;
    this.#drain();
    const hex = this.#md5.digest('hex');
    this.#done.push({ bucket: this.#bucket, count: this.#count, sum: BigInt(`0x${hex.slice(0, 16)}`) });
    this.#bucket = undefined;
    this.#count = 0;
  }
}

/** Digest of a row under a canonical plan, with its key string. */
export function digestRow(
  row: Row,
  schema: TableSchema,
  plan: HashPlan,
  hasher: RowHasher,
): { keyText: string; rowText: string; digest: string } {
  const keyText = keyString(row, schema, plan);
  const rowText = keyText + columnsString(row, schema, plan);
  return { keyText, rowText, digest: hasher.digest(rowText) };
}
