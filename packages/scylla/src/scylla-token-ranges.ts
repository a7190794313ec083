/**
 * The Murmur3 token ring `(-2^63, 2^63 − 1]`: splitting it into sub-ranges for parallel scans, shuffling
 * them (so parallel workers do not hammer the same replicas in ring order), and bucketing tokens by the
 * same ranges on the non-Scylla side of a diff.
 */
import { CdcError, type Range } from '@cdc/core';
import { MAX_TOKEN, MIN_TOKEN } from './scylla-murmur3.js';

/** A token range `(start, end]`. */
export type TokenRange = Extract<Range, { kind: 'token' }>;

const RING = MAX_TOKEN - MIN_TOKEN; // 2^64 − 1 tokens in (MIN, MAX]

/**
 * Splits `(start, end]` (default: the whole ring) into `n` contiguous ranges of near-equal width, in ring
 * order. Together they cover every token exactly once.
 */
export function splitTokenRange(
  n: number,
  range: TokenRange = { kind: 'token', start: MIN_TOKEN, end: MAX_TOKEN },
): TokenRange[] {
  if (!Number.isInteger(n) || n < 1) {
    throw new CdcError('INVALID_ARGUMENT', `Cannot split a token range into ${n} parts.`);
  }
  if (range.end <= range.start) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `Token range (${range.start}, ${range.end}] is empty or wraps around.`,
    );
  }
  const width = range.end - range.start;
  const parts = BigInt(n) > width ? Number(width) : n;
  const out: TokenRange[] = [];
  let prev = range.start;
  for (let i = 1; i <= parts; i++) {
    const end = i === parts ? range.end : range.start + (width * BigInt(i)) / BigInt(parts);
    out.push({ kind: 'token', start: prev, end });
    prev = end;
  }
  return out;
}

/** Fisher–Yates shuffle (a copy); `random` is injectable so tests are deterministic. */
export function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Sorted inclusive upper bounds of `n` equal ring ranges, for `Bucketing { kind: 'token', ends }`. */
export function tokenBucketEnds(n: number): bigint[] {
  return splitTokenRange(n).map((r) => r.end);
}

/** Index of the bucket whose range `(ends[i-1], ends[i]]` contains `token` (binary search). */
export function tokenBucketOf(token: bigint, ends: readonly bigint[]): number {
  let lo = 0;
  let hi = ends.length - 1;
  if (hi < 0 || token > (ends[hi] as bigint)) {
    throw new CdcError('INVALID_ARGUMENT', `Token ${token} is above the last bucket end.`);
  }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (token <= (ends[mid] as bigint)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Token ranges for a bucket list: bucket i is `(ends[i-1], ends[i]]`, the first starts at the ring minimum. */
export function rangesOfBuckets(ends: readonly bigint[]): TokenRange[] {
  return ends.map((end, i) => ({ kind: 'token', start: i === 0 ? MIN_TOKEN : (ends[i - 1] as bigint), end }));
}

/** The ring fraction a range covers (0–1), for estimates. */
export function ringFraction(range: TokenRange): number {
  return Number(range.end - range.start) / Number(RING);
}
