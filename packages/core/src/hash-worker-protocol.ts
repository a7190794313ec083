/**
 * Messages between the diff engine and its hashing worker threads. Everything here is structured-clone
 * data: sources travel as a {@link WorkerSourceSpec} and are reopened inside the worker.
 */
import type { HashPlan, Range } from './connector.js';
import type { ClientHashStats, KeyDigest } from './client-hashing.js';
import type { BucketSummary } from './connector.js';
import type { TableSchema } from './schema.js';

/**
 * How a worker thread opens its own copy of a {@link ScanSource}: `import(module)[factory](options)`.
 * `options` must survive structured cloning (plain data: strings, numbers, bigints, arrays, objects).
 * It may hold credentials: it is passed in memory to the worker, never logged.
 */
export interface WorkerSourceSpec {
  /** Module specifier resolvable from the worker script (a package name such as `@cdc/postgres`). */
  module: string;
  /** Name of the exported factory; it returns the source or a promise of it. */
  factory: string;
  options: unknown;
}

/** The part of a client hashing task common to both kinds. */
export interface HashTaskBase {
  id: number;
  spec: WorkerSourceSpec;
  table: TableSchema;
  hashTable: TableSchema;
  plan: HashPlan;
  columns: string[];
  batchRows?: number;
}

/** Messages to a worker. */
export type ToWorker =
  | (HashTaskBase & { type: 'summaries'; range?: Range })
  | (HashTaskBase & { type: 'keyDigests'; ranges: (Range | undefined)[]; buckets: number[] })
  | { type: 'cancel'; id: number }
  | { type: 'close' };

/** An error as it crosses threads (a `CdcError` keeps its code and hint). */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  hint?: string;
  transient?: boolean;
}

/** Messages from a worker. */
export type FromWorker =
  | { type: 'summaries'; id: number; summaries: BucketSummary[]; stats: ClientHashStats }
  | { type: 'keyDigests'; id: number; digests: KeyDigest[]; stats: ClientHashStats }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'closed' };
