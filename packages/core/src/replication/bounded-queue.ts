/**
 * The bounded hand-off between a pipeline's reader and its applier: the reader waits when the queue
 * holds `maxItems` items or `maxBytes` bytes (backpressure reaches the source), the applier waits for
 * items with an optional deadline (time-based batching).
 */

/** Capacity of a {@link BoundedQueue}. A single item larger than `maxBytes` is still accepted alone. */
export interface QueueLimits {
  maxItems: number;
  maxBytes: number;
}

interface Entry<T> {
  item: T;
  bytes: number;
}

/** A FIFO with bounded capacity, closable with an error that consumers then receive. */
export class BoundedQueue<T> {
  readonly #limits: QueueLimits;
  readonly #entries: Entry<T>[] = [];
  #bytes = 0;
  #closed = false;
  #error: unknown = undefined;
  #wakeProducer: (() => void) | undefined;
  #wakeConsumer: (() => void) | undefined;

  constructor(limits: QueueLimits) {
    this.#limits = limits;
  }

  /** Items waiting. */
  get size(): number {
    return this.#entries.length;
  }

  #full(): boolean {
    if (this.#entries.length === 0) return false;
    return this.#entries.length >= this.#limits.maxItems || this.#bytes >= this.#limits.maxBytes;
  }

  /** Adds an item, waiting while the queue is full. Returns `false` if the queue was closed. */
  async push(item: T, bytes: number): Promise<boolean> {
    while (!this.#closed && this.#full()) {
      await new Promise<void>((resolve) => (this.#wakeProducer = resolve));
    }
    if (this.#closed) return false;
    this.#entries.push({ item, bytes });
    this.#bytes += bytes;
    this.#wake('consumer');
    return true;
  }

  /**
   * Takes the next item. Resolves `undefined` when the queue is closed and drained, or when `deadline`
   * (a `Date.now()` value) passes first. A queue closed with an error throws it at once, abandoning
   * queued items (they were never applied, so the source replays them).
   */
  async shift(deadline?: number): Promise<T | undefined> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      const entry = this.#entries.shift();
      if (entry) {
        this.#bytes -= entry.bytes;
        this.#wake('producer');
        return entry.item;
      }
      if (this.#closed) return undefined;
      if (deadline !== undefined) {
        const wait = deadline - Date.now();
        if (wait <= 0) return undefined;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.#wakeConsumer = resolve;
          timer = setTimeout(resolve, wait);
        });
        clearTimeout(timer);
      } else {
        await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
      }
    }
  }

  /** Whether an item is available right now. */
  get ready(): boolean {
    return this.#entries.length > 0 || this.#error !== undefined;
  }

  /** Ends the queue: consumers drain what is left, or get `error` at once if one is given. */
  close(error?: unknown): void {
    if (this.#closed && error === undefined) return;
    this.#closed = true;
    if (error !== undefined && this.#error === undefined) this.#error = error;
    this.#wake('consumer');
    this.#wake('producer');
  }

  #wake(who: 'producer' | 'consumer'): void {
    const fn = who === 'producer' ? this.#wakeProducer : this.#wakeConsumer;
    if (who === 'producer') this.#wakeProducer = undefined;
    else this.#wakeConsumer = undefined;
    fn?.();
  }
}
