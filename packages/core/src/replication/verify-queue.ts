/**
 * The bounded queue of changed keys waiting for verification. Offering never blocks (the apply must not
 * wait): a key already waiting is merged, and past half the capacity keys are sampled with a falling
 * probability; every key left out is counted, none is dropped silently.
 */
import type { Key } from '../schema.js';

/** One key waiting for verification. */
export interface ChangedKey {
  /** The table (a `tableKey`). */
  table: string;
  /** The canonical key string (unique per table). */
  keyText: string;
  key: Key;
  /** When the batch that changed it was committed (ms since the epoch); the oldest one when merged. */
  committedAt: number;
  /** How many times it has been queued again because its source row was still changing. */
  attempts: number;
}

/** What {@link ChangedKeyQueue.offer} did with a key. */
export type OfferOutcome = 'queued' | 'merged' | 'sampled';

/** Options of {@link ChangedKeyQueue}. */
export interface ChangedKeyQueueOptions {
  /** Keys held at most. Sampling starts at half of it. */
  capacity: number;
  /** Injected for tests; default `Math.random`. */
  random?: () => number;
}

/**
 * FIFO of changed keys with merging and sampling, plus the in-flight set that tells whether a key
 * under verification was changed again meanwhile (its verdict is then superseded by the newer entry).
 */
export class ChangedKeyQueue {
  readonly #capacity: number;
  readonly #random: () => number;
  readonly #waiting = new Map<string, ChangedKey>();
  /** Keys being verified → how many checks hold them, and whether a newer batch changed them since. */
  readonly #inflight = new Map<string, { holds: number; touched: boolean }>();
  #waiters: (() => void)[] = [];

  constructor(options: ChangedKeyQueueOptions) {
    this.#capacity = Math.max(2, options.capacity);
    this.#random = options.random ?? Math.random;
  }

  /** Keys waiting. */
  get depth(): number {
    return this.#waiting.size;
  }

  /** Commit time of the oldest waiting key, if any. */
  oldestCommittedAt(): number | undefined {
    for (const k of this.#waiting.values()) return k.committedAt;
    return undefined;
  }

  /**
   * Offers a key; never blocks. Re-queued keys (`attempts > 0`) and keys being verified bypass sampling
   * unless the queue is full.
   */
  offer(entry: ChangedKey): OfferOutcome {
    const id = `${entry.table}\u0000${entry.keyText}`;
    // A key changed again while being verified: its verdict will be dropped, so the newer entry is kept.
    const held = this.#inflight.get(id);
    if (held) held.touched = true;
    const inflight = held !== undefined;
    const prior = this.#waiting.get(id);
    if (prior) {
      prior.key = entry.key;
      prior.attempts = Math.max(prior.attempts, entry.attempts);
      return 'merged';
    }
    const depth = this.#waiting.size;
    const half = this.#capacity / 2;
    if (depth >= this.#capacity) return 'sampled';
    if (
      depth >= half &&
      entry.attempts === 0 &&
      !inflight &&
      this.#random() >= (this.#capacity - depth) / half
    ) {
      return 'sampled';
    }
    this.#waiting.set(id, { ...entry });
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
    return 'queued';
  }

  /**
   * Takes up to `max` of the oldest keys and marks them in flight (see {@link ChangedKeyQueue.superseded});
   * call {@link ChangedKeyQueue.settle} when their verification is over.
   */
  take(max: number): ChangedKey[] {
    const out: ChangedKey[] = [];
    for (const [id, entry] of this.#waiting) {
      if (out.length >= max) break;
      this.#waiting.delete(id);
      out.push(entry);
    }
    this.track(out);
    return out;
  }

  /**
   * Starts tracking keys under verification that were not taken from the queue (the sweep's findings):
   * from now on {@link ChangedKeyQueue.superseded} says whether a batch changed them. Call
   * {@link ChangedKeyQueue.settle} once per call.
   */
  track(entries: readonly Pick<ChangedKey, 'table' | 'keyText'>[]): void {
    for (const e of entries) {
      const id = `${e.table}\u0000${e.keyText}`;
      const held = this.#inflight.get(id);
      if (held) held.holds++;
      else this.#inflight.set(id, { holds: 1, touched: false });
    }
  }

  /** Whether a batch committed since the key was taken (or tracked) changed it again. */
  superseded(entry: Pick<ChangedKey, 'table' | 'keyText'>): boolean {
    return this.#inflight.get(`${entry.table}\u0000${entry.keyText}`)?.touched === true;
  }

  /** Ends one hold of the in-flight tracking of these keys. */
  settle(entries: readonly Pick<ChangedKey, 'table' | 'keyText'>[]): void {
    for (const e of entries) {
      const id = `${e.table}\u0000${e.keyText}`;
      const held = this.#inflight.get(id);
      if (held && --held.holds <= 0) this.#inflight.delete(id);
    }
  }

  /** Resolves when a key is waiting (at once if one is), or when `signal` aborts. */
  async wait(signal?: AbortSignal): Promise<void> {
    if (this.#waiting.size > 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
