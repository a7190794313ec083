/**
 * A small pool of hashing worker threads (`hash-worker.js`) for the diff engine: each worker reopens the
 * sources it is given by {@link WorkerSourceSpec}, then scans, canonicalizes and hashes one unit at a
 * time, so client-side hashing uses every core while the main thread only schedules and compares.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ClientHashStats, KeyDigest } from './client-hashing.js';
import type { BucketSummary, Range } from './connector.js';
import { CdcError, type CdcErrorCode } from './errors.js';
import type { FromWorker, HashTaskBase, SerializedError, ToWorker } from './hash-worker-protocol.js';

/** A task without its id (the pool numbers them). */
export type HashTask = Omit<HashTaskBase, 'id'>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Slot {
  worker: Worker;
  /** Tasks in flight on this worker. */
  running: number;
  dead: boolean;
}

/**
 * Tasks a worker runs at once: a scan waits on its database between batches, and a second task's rows
 * fill that wait.
 */
const TASKS_PER_WORKER = 4;

interface Pending {
  resolve: (message: FromWorker) => void;
  reject: (error: unknown) => void;
  slot: Slot;
}

/**
 * The worker script shipped next to this module (`dist/hash-worker.js`), or `undefined` when running from
 * TypeScript sources, where there is none.
 */
export function defaultHashWorkerScript(): URL | undefined {
  const url = new URL('./hash-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * The parent's Node flags minus custom export conditions: a worker runs built JavaScript, so a condition
 * that maps packages to TypeScript sources (as test runners set) must not reach it.
 */
function withoutConditions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--conditions' || arg === '-C') i++;
    else if (!arg.startsWith('--conditions=') && !arg.startsWith('-C=')) out.push(arg);
  }
  return out;
}

function revive(error: SerializedError): Error {
  if (error.name === 'CdcError' && error.code) {
    return new CdcError(error.code as CdcErrorCode, error.message, {
      ...(error.hint ? { hint: error.hint } : {}),
      transient: error.transient ?? false,
    });
  }
  const revived = new Error(error.message);
  revived.name = error.name;
  if (error.code) Object.assign(revived, { code: error.code });
  return revived;
}

/** Worker threads hashing diff units; create one per diff with {@link HashWorkerPool.start}. */
export class HashWorkerPool {
  readonly #slots: Slot[];
  readonly #queue: { message: ToWorker & { id: number }; pending: Omit<Pending, 'slot'> }[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  private constructor(workers: Worker[]) {
    this.#slots = workers.map((worker) => ({ worker, running: 0, dead: false }));
    for (const slot of this.#slots) {
      slot.worker.on('message', (message: FromWorker) => this.#onMessage(slot, message));
      slot.worker.on('error', (error) => this.#onDeath(slot, error));
      slot.worker.on('exit', (code) => {
        if (!this.#closed) this.#onDeath(slot, new Error(`hashing worker exited with code ${code}`));
      });
    }
  }

  /** Number of worker threads. */
  get threads(): number {
    return this.#slots.length;
  }

  /** Starts `threads` workers running `script` (default {@link defaultHashWorkerScript}). */
  static start(
    threads: number,
    script: URL | string | undefined = defaultHashWorkerScript(),
  ): HashWorkerPool {
    if (!script) {
      throw new CdcError('INTERNAL', 'the hashing worker script is not built (hash-worker.js)', {
        hint: 'build @cdc/core (npx nx run @cdc/core:build), or run the diff with workers: 0',
      });
    }
    const count = Math.max(1, Math.floor(threads));
    const execArgv = withoutConditions(process.execArgv);
    return new HashWorkerPool(Array.from({ length: count }, () => new Worker(script, { execArgv })));
  }

  /** Bucket summaries of one unit, computed in a worker. */
  async summaries(
    task: HashTask,
    range: Range | undefined,
    signal?: AbortSignal,
  ): Promise<{ summaries: BucketSummary[]; stats: ClientHashStats }> {
    const reply = await this.#run({ ...task, type: 'summaries', ...(range ? { range } : {}) }, signal);
    if (reply.type !== 'summaries') throw new CdcError('INTERNAL', `unexpected worker reply ${reply.type}`);
    return { summaries: reply.summaries, stats: reply.stats };
  }

  /** Key digests of the rows of `buckets` read from `ranges`, computed in a worker. */
  async keyDigests(
    task: HashTask,
    ranges: (Range | undefined)[],
    buckets: number[],
    signal?: AbortSignal,
  ): Promise<{ digests: KeyDigest[]; stats: ClientHashStats }> {
    const reply = await this.#run({ ...task, type: 'keyDigests', ranges, buckets }, signal);
    if (reply.type !== 'keyDigests') throw new CdcError('INTERNAL', `unexpected worker reply ${reply.type}`);
    return { digests: reply.digests, stats: reply.stats };
  }

  /** Closes the sources the workers opened and stops them. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const cancelled = new CdcError('CANCELLED', 'the hashing workers were stopped');
    for (const q of this.#queue.splice(0)) q.pending.reject(cancelled);
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.dead) return;
        const closed = new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5_000);
          slot.worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        slot.worker.postMessage({ type: 'close' } satisfies ToWorker);
        await closed;
        await slot.worker.terminate();
      }),
    );
  }

  #run(
    message: DistributiveOmit<Extract<ToWorker, { type: 'summaries' | 'keyDigests' }>, 'id'>,
    signal?: AbortSignal,
  ): Promise<FromWorker> {
    if (this.#closed) return Promise.reject(new CdcError('CANCELLED', 'the hashing workers were stopped'));
    const id = this.#nextId++;
    const full = { ...message, id } as ToWorker & { id: number };
    return new Promise<FromWorker>((resolve, reject) => {
      const onAbort = (): void => {
        const pending = this.#pending.get(id);
        if (pending) pending.slot.worker.postMessage({ type: 'cancel', id } satisfies ToWorker);
        else {
          const i = this.#queue.findIndex((q) => q.message.id === id);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(
            new CdcError('CANCELLED', 'The diff was cancelled', { hint: 'Run it again without aborting.' }),
          );
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (fn: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      this.#queue.push({
        message: full,
        pending: {
          resolve: (m) => done(() => resolve(m)),
          reject: (e) => done(() => reject(e)),
        },
      });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      // The least loaded live worker with room.
      let slot: Slot | undefined;
      for (const s of this.#slots) {
        if (!s.dead && s.running < TASKS_PER_WORKER && (!slot || s.running < slot.running)) slot = s;
      }
      if (!slot) break;
      const next = this.#queue.shift()!;
      slot.running++;
      this.#pending.set(next.message.id, { ...next.pending, slot });
      slot.worker.postMessage(next.message);
    }
    if (this.#queue.length > 0 && this.#slots.every((s) => s.dead)) {
      const error = new CdcError('INTERNAL', 'every hashing worker stopped', {
        hint: 'run the diff with workers: 0 to hash in the main thread, and report the error above',
      });
      for (const q of this.#queue.splice(0)) q.pending.reject(error);
    }
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === 'closed') return;
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    slot.running--;
    if (message.type === 'error') pending.reject(revive(message.error));
    else pending.resolve(message);
    this.#dispatch();
  }

  #onDeath(slot: Slot, error: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    slot.running = 0;
    for (const [id, pending] of this.#pending) {
      if (pending.slot !== slot) continue;
      this.#pending.delete(id);
      pending.reject(
        new CdcError('INTERNAL', `a hashing worker failed: ${error.message}`, {
          hint: 'run the diff with workers: 0 to hash in the main thread',
          cause: error,
        }),
      );
    }
    this.#dispatch();
  }
}
