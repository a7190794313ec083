/**
 * A rows-per-second budget shared by scheduled reconciliation and the verification sweep, so comparing never reads a
 * production source faster than allowed, and a {@link ScanSource} wrapper that spends it.
 */
import type { ScanSource } from '../connector.js';

/** Injectable clock and sleep (tests), default real time. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** Paces row reads to at most `rowsPerSecond` on average (a virtual-time scheduler: no bursts beyond one call). */
export class RowRateLimiter {
  readonly #rate: number;
  readonly #clock: Clock;
  #next = 0;

  constructor(rowsPerSecond: number, clock: Clock = realClock) {
    if (!(rowsPerSecond > 0)) throw new RangeError('rowsPerSecond must be positive');
    this.#rate = rowsPerSecond;
    this.#clock = clock;
  }

  /** Waits until `rows` more rows fit the budget. Returns the wait in ms. */
  async take(rows: number, signal?: AbortSignal): Promise<number> {
    if (rows <= 0) return 0;
    const now = this.#clock.now();
    const start = Math.max(now, this.#next);
    this.#next = start + (rows / this.#rate) * 1000;
    const wait = start - now;
    if (wait > 0) await this.#clock.sleep(wait, signal);
    return wait;
  }
}

/** Wraps a source so every row it reads (scans, lookups, in-database summaries) spends `limiter`'s budget. */
export function throttleSource(source: ScanSource, limiter: RowRateLimiter): ScanSource {
  const throttled: ScanSource = {
    dialect: source.dialect,
    capabilities: source.capabilities,
    introspect: (table, options) => source.introspect(table, options),
    close: () => source.close(),
    count: (table, range) => source.count(table, range),
    splits: (table, n) => source.splits(table, n),
    async *scan(table, options) {
      for await (const rows of source.scan(table, options)) {
        await limiter.take(rows.length, options?.signal);
        yield rows;
      }
    },
    async lookup(table, keys, columns) {
      await limiter.take(keys.length);
      return source.lookup(table, keys, columns);
    },
  };
  if (source.estimateCount) throttled.estimateCount = (table) => source.estimateCount!(table);
  if (source.summarize) {
    throttled.summarize = async (table, plan, range) => {
      const summaries = await source.summarize!(table, plan, range);
      // The database already read these rows; pacing afterwards keeps the average rate.
      await limiter.take(summaries.reduce((n, s) => n + s.count, 0));
      return summaries;
    };
  }
  if (source.keyHashes) {
    throttled.keyHashes = async function* (table, plan, buckets, range) {
      for await (const hashes of source.keyHashes!(table, plan, buckets, range)) {
        await limiter.take(hashes.length);
        yield hashes;
      }
    };
  }
  return throttled;
}
