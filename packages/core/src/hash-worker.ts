/**
 * Entry point of a hashing worker thread (`dist/hash-worker.js`): reopens sources from their
 * {@link WorkerSourceSpec}, then scans, canonicalizes and hashes one unit per task, so client-side
 * hashing uses every core. Started by the diff engine's pool; not an API of its own.
 */
import { parentPort } from 'node:worker_threads';
import {
  clientBucketSummaries,
  clientKeyDigests,
  type ClientHashInput,
  type ClientHashStats,
} from './client-hashing.js';
import type { ScanSource } from './connector.js';
import { CdcError, isCdcError } from './errors.js';
import { createRowHasher, type RowHasher } from './hashing.js';
import type {
  FromWorker,
  HashTaskBase,
  SerializedError,
  ToWorker,
  WorkerSourceSpec,
} from './hash-worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('hash-worker runs in a worker thread started by the diff engine');

const sources = new Map<string, Promise<ScanSource>>();
const running = new Map<number, AbortController>();
let hasher: Promise<RowHasher> | undefined;

function open(spec: WorkerSourceSpec): Promise<ScanSource> {
  const key = JSON.stringify([spec.module, spec.factory, spec.options], (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v,
  );
  let source = sources.get(key);
  if (!source) {
    source = (async () => {
      const module = (await import(spec.module)) as Record<string, unknown>;
      const factory = module[spec.factory];
      if (typeof factory !== 'function') {
        throw new CdcError('INTERNAL', `${spec.module} exports no function ${spec.factory}`, {
          hint: 'a ScanSource.workerSpec must name an exported factory of its module',
        });
      }
      return (await (factory as (o: unknown) => ScanSource | Promise<ScanSource>)(
        spec.options,
      )) as ScanSource;
    })();
    sources.set(key, source);
    source.catch(() => sources.delete(key));
  }
  return source;
}

function serialize(error: unknown): SerializedError {
  if (isCdcError(error)) {
    return {
      name: 'CdcError',
      message: error.message,
      code: error.code,
      ...(error.hint ? { hint: error.hint } : {}),
      transient: error.transient,
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as Error & { code?: unknown }).code;
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
}

async function inputOf(task: HashTaskBase, controller: AbortController): Promise<ClientHashInput> {
  hasher ??= createRowHasher();
  return {
    source: await open(task.spec),
    table: task.table,
    hashTable: task.hashTable,
    plan: task.plan,
    columns: task.columns,
    ...(task.batchRows ? { batchRows: task.batchRows } : {}),
    signal: controller.signal,
    hasher: await hasher,
    check: () => {
      if (controller.signal.aborted) {
        throw new CdcError('CANCELLED', 'The diff was cancelled', { hint: 'Run it again without aborting.' });
      }
    },
  };
}

async function run(message: Extract<ToWorker, { type: 'summaries' | 'keyDigests' }>): Promise<FromWorker> {
  const controller = new AbortController();
  running.set(message.id, controller);
  const stats: ClientHashStats = { rowsRead: 0, bytesRead: 0, queries: 0 };
  try {
    const input = await inputOf(message, controller);
    if (message.type === 'summaries') {
      const summaries = await clientBucketSummaries(input, message.range, stats);
      return { type: 'summaries', id: message.id, summaries, stats };
    }
    const digests = await clientKeyDigests(input, message.ranges, message.buckets, stats);
    return { type: 'keyDigests', id: message.id, digests, stats };
  } catch (error) {
    return { type: 'error', id: message.id, error: serialize(error) };
  } finally {
    running.delete(message.id);
  }
}

async function close(): Promise<void> {
  for (const c of running.values()) c.abort();
  const all = await Promise.allSettled(sources.values());
  await Promise.allSettled(all.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
  sources.clear();
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'summaries':
    case 'keyDigests':
      void run(message).then((reply) => port.postMessage(reply));
      break;
    case 'cancel':
      running.get(message.id)?.abort();
      break;
    case 'close':
      void close().then(() => {
        port.postMessage({ type: 'closed' } satisfies FromWorker);
        port.close();
      });
      break;
  }
});
