/**
 * The replication engine: one pipeline moves a {@link ChangeSource}'s tables through per-table transforms
 * into a {@link ChangeSink}. Snapshot first (tables in parallel), then the change stream, batched by rows,
 * bytes and time behind a bounded queue. The sink stores each batch and its position in one transaction
 * under a fencing epoch, so a crash at any moment replays from the last committed position.
 */
import pLimit from 'p-limit';
import type {
  ChangeBatch,
  ChangeEvent,
  ChangeSink,
  ChangeSource,
  Position,
  TableMapping,
} from '../connector.js';
import { CdcError, isCdcError } from '../errors.js';
import type { Row, TableId, TableSchema } from '../schema.js';
import { formatTableId } from '../schema.js';
import { BoundedQueue, type QueueLimits } from './bounded-queue.js';
import {
  abortableSleep,
  backoffDelay,
  cancelled,
  defaultRetryPolicy,
  describeError,
  isTransientError,
  type RetryPolicy,
} from './retry.js';
import {
  compileTransform,
  tableKey,
  type CompiledTransform,
  type TableTransformOptions,
} from './transforms.js';

/** One table of a pipeline. */
export interface PipelineTable {
  /** Source table. */
  table: TableId;
  /** Key columns when the source table has no primary key. */
  key?: string[];
  /** Column selection, renaming, masking, target naming and delete mode. */
  transform?: TableTransformOptions;
  /**
   * Columns holding JSON documents in a text type on a side (e.g. SQL Server's `nvarchar`): compared as
   * JSON by reconciliation and verification (`ComparisonPolicy.json`). Replication copies them as they are.
   */
  jsonColumns?: string[];
}

/** When a batch is handed to the sink: whichever limit is reached first. */
export interface BatchLimits {
  /** Events per sink transaction. Default 5,000. */
  maxRows: number;
  /** Estimated payload bytes per sink transaction. Default 16 MiB. */
  maxBytes: number;
  /** How long a partial batch waits for more changes, in ms. Default 200. */
  maxWaitMs: number;
}

/** Progress and trouble, for logs, metrics and `cdc status`. */
export type PipelineEvent =
  | { type: 'started'; pipeline: string; epoch: number }
  | { type: 'snapshot-started'; pipeline: string; table: TableId; position: Position }
  | { type: 'snapshot-progress'; pipeline: string; table: TableId; rows: number }
  | { type: 'snapshot-done'; pipeline: string; table: TableId; rows: number }
  | {
      type: 'applied';
      pipeline: string;
      partition: string;
      position: Position;
      events: number;
      bytes: number;
      upserts: number;
      deletes: number;
      deadLetters: number;
      /** Events per source table in this batch (before the sink's per-key reduction). */
      tables: { table: TableId; events: number; upserts: number; deletes: number }[];
      /** Time the sink took to apply the batch and its checkpoint. */
      durationMs: number;
      /** Now minus the source commit time of the batch's last change, when the source reports it. */
      lagMs?: number;
    }
  | { type: 'retry'; pipeline: string; attempt: number; delayMs: number; error: unknown; during: string }
  | { type: 'schema-evolved'; pipeline: string; table: TableId; addedColumns: string[] }
  | { type: 'caught-up'; pipeline: string }
  | { type: 'stopped'; pipeline: string };

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  /** Pipeline name: the key of its checkpoints and fencing epoch in the sink. */
  name: string;
  source: ChangeSource;
  sink: ChangeSink;
  tables: PipelineTable[];
  /** `snapshot+stream` (default), `snapshot` (copy, then return) or `stream` (changes only). */
  mode?: 'snapshot+stream' | 'snapshot' | 'stream';
  /** Snapshot these tables again even though their snapshot completed before. */
  resnapshot?: TableId[];
  /** Target schema for tables without an explicit target. Default: the source schema. */
  defaultTargetSchema?: string;
  batch?: Partial<BatchLimits>;
  /** Reader → applier queue capacity (backpressure). Default 64 source batches or 64 MiB. */
  queue?: Partial<QueueLimits>;
  /** Tables snapshotted at once. Default 4. */
  snapshotParallelism?: number;
  retry?: Partial<RetryPolicy>;
  /** Stop once the stream has caught up instead of running until `signal` aborts. */
  once?: boolean;
  /** Graceful stop: the batch being committed finishes, nothing else is started. */
  signal?: AbortSignal;
  onEvent?: (event: PipelineEvent) => void;
  /** The command a user runs to re-snapshot a table (named in retention-gap and schema errors). */
  resnapshotCommand?: (table: TableId) => string;
  /** Injected for tests; default a real, abortable timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests; default `Math.random`. */
  random?: () => number;
}

/** What a finished (or stopped) pipeline run did. */
export interface PipelineResult {
  pipeline: string;
  epoch: number;
  snapshots: { table: TableId; rows: number }[];
  batches: number;
  events: number;
  upserts: number;
  deletes: number;
  deadLetters: number;
  /** `true` when the run ended because `signal` aborted. */
  stopped: boolean;
}

/** Partition prefix under which snapshot progress of a table is checkpointed. */
export const SNAPSHOT_PARTITION_PREFIX = 'snapshot:';

/** Snapshot state stored in a table's snapshot partition. */
interface SnapshotState {
  state: 'running' | 'done';
  position: Position;
}

/** The checkpoint partition holding the snapshot state of `table`. */
export function snapshotPartition(table: TableId): string {
  return SNAPSHOT_PARTITION_PREFIX + formatTableId(table);
}

/** Whether the stored checkpoints say `table`'s snapshot completed. */
export function isSnapshotDone(checkpoints: ReadonlyMap<string, Position>, table: TableId): boolean {
  const raw = checkpoints.get(snapshotPartition(table));
  if (raw === undefined) return false;
  try {
    return (JSON.parse(raw) as SnapshotState).state === 'done';
  } catch {
    return false;
  }
}

const defaultBatch: BatchLimits = { maxRows: 5_000, maxBytes: 16 * 1024 * 1024, maxWaitMs: 200 };

/** Rough payload size of a value, for byte-bounded batching (not an exact wire size). */
function estimateValue(value: unknown): number {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'string') return value.length + 2;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return 8;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Date) return 8;
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + estimateValue(v), 2);
  if (typeof value === 'object') {
    let n = 2;
    for (const [k, v] of Object.entries(value)) n += k.length + estimateValue(v);
    return n;
  }
  return 8;
}

/** Estimated bytes of a batch's events. */
export function estimateBatchBytes(batch: ChangeBatch): number {
  let n = 0;
  for (const e of batch.events) {
    n += 16;
    if (e.op === 'upsert') n += estimateValue(e.row);
    else if (e.op === 'delete') n += estimateValue(e.key);
    else n += estimateValue(e.prefix) + estimateValue(e.lower) + estimateValue(e.upper);
  }
  return n;
}

function pick(row: Row, columns: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns) out[c] = row[c];
  return out;
}

function sameType(a: TableSchema['columns'][number], b: TableSchema['columns'][number]): boolean {
  return a.nativeType === b.nativeType && JSON.stringify(a.type) === JSON.stringify(b.type);
}

/**
 * Runs one pipeline: prepares the target, takes the fencing epoch, snapshots tables that need it, then
 * streams changes until `signal` aborts (or, with `once`, until caught up). Transient failures are
 * retried with exponential backoff and full jitter, restarting from the sink's committed checkpoints;
 * permanent ones throw a `CdcError` naming the pipeline, the table where known, and the fix.
 *
 * @example
 * ```ts
 * const stop = new AbortController();
 * process.once('SIGTERM', () => stop.abort());
 * await runPipeline({ name: 'sales', source, sink, tables: [{ table: { schema: 'public', name: 'orders' } }],
 *   signal: stop.signal });
 * ```
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  return new PipelineRun(options).run();
}

class PipelineRun {
  readonly #o: PipelineOptions;
  readonly #batch: BatchLimits;
  readonly #retry: RetryPolicy;
  readonly #signal: AbortSignal;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #transforms = new Map<string, CompiledTransform>();
  readonly #result: PipelineResult;
  #checkpoints = new Map<string, Position>();
  #epoch = 0;
  /** The stream batch being committed, if any. */
  #inflight: Promise<void> | undefined;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#batch = { ...defaultBatch, ...options.batch };
    this.#retry = { ...defaultRetryPolicy, ...options.retry };
    this.#signal = options.signal ?? new AbortController().signal;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#result = {
      pipeline: options.name,
      epoch: 0,
      snapshots: [],
      batches: 0,
      events: 0,
      upserts: 0,
      deletes: 0,
      deadLetters: 0,
      stopped: false,
    };
  }

  #emit(event: PipelineEvent): void {
    this.#o.onEvent?.(event);
  }

  get #name(): string {
    return this.#o.name;
  }

  async run(): Promise<PipelineResult> {
    try {
      await this.#start();
      const mode = this.#o.mode ?? 'snapshot+stream';
      if (mode !== 'stream') await this.#snapshots();
      if (mode !== 'snapshot') await this.#stream();
    } catch (error) {
      if (this.#signal.aborted && isCdcError(error) && error.code === 'CANCELLED') {
        this.#result.stopped = true;
      } else {
        throw this.#final(error);
      }
    }
    if (this.#signal.aborted) this.#result.stopped = true;
    if (this.#result.stopped) this.#emit({ type: 'stopped', pipeline: this.#name });
    return this.#result;
  }

  async #start(): Promise<void> {
    const { source, sink } = this.#o;
    const mappings: TableMapping[] = [];
    for (const t of this.#o.tables) {
      const schema = await this.#retrying(`introspecting ${formatTableId(t.table)}`, () =>
        source.introspect(t.table, t.key ? { key: t.key } : undefined),
      );
      const compiled = await compileTransform(schema, t.transform, this.#o.defaultTargetSchema);
      this.#transforms.set(tableKey(schema.id), compiled);
      mappings.push(compiled.mapping);
    }
    await this.#retrying('preparing the target', () => sink.prepare(this.#name, mappings));
    this.#epoch = await this.#retrying('acquiring the pipeline', () => sink.acquire(this.#name));
    this.#result.epoch = this.#epoch;
    this.#checkpoints = await this.#retrying('reading checkpoints', () => sink.checkpoints(this.#name));
    this.#emit({ type: 'started', pipeline: this.#name, epoch: this.#epoch });
  }

  async #retrying<T>(during: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        await this.#backoffOrThrow(error, attempt, during);
      }
    }
  }

  async #backoffOrThrow(error: unknown, attempt: number, during: string): Promise<void> {
    if (this.#signal.aborted) throw cancelled();
    if (!isTransientError(error)) throw error;
    if (attempt >= this.#retry.maxAttempts) {
      throw new CdcError(
        'UPSTREAM_ERROR',
        `pipeline ${this.#name}: ${during} still failing after ${attempt} attempts: ${describeError(error)}`,
        { hint: 'check that both databases are reachable, then restart replication', cause: error },
      );
    }
    const delayMs = backoffDelay(attempt, this.#retry, this.#o.random);
    this.#emit({ type: 'retry', pipeline: this.#name, attempt, delayMs, error, during });
    await this.#sleep(delayMs, this.#signal);
  }

  #final(error: unknown): unknown {
    if (!isCdcError(error)) {
      return new CdcError('UPSTREAM_ERROR', `pipeline ${this.#name}: ${describeError(error)}`, {
        cause: error,
      });
    }
    if (error.code === 'RETENTION_GAP' && !/cdc snapshot/.test(`${error.message} ${error.hint ?? ''}`)) {
      const commands = [...this.#transforms.values()].map((t) => this.#resnapshotCommand(t.source.id));
      return new CdcError('RETENTION_GAP', `pipeline ${this.#name}: ${error.message}`, {
        hint: `changes were lost before they were read; re-snapshot: ${commands.join('; ')}`,
        cause: error,
      });
    }
    return error;
  }

  #resnapshotCommand(table: TableId): string {
    return (
      this.#o.resnapshotCommand?.(table) ??
      `cdc snapshot --config <file> --pipeline ${this.#name} --table ${formatTableId(table)}`
    );
  }

  async #apply(batch: ChangeBatch) {
    return this.#o.sink.apply(this.#name, this.#epoch, batch);
  }

  // ---------------------------------------------------------------- snapshot

  async #snapshots(): Promise<void> {
    const forced = new Set((this.#o.resnapshot ?? []).map(tableKey));
    const todo = [...this.#transforms.values()].filter(
      (t) => forced.has(tableKey(t.source.id)) || !isSnapshotDone(this.#checkpoints, t.source.id),
    );
    const limit = pLimit(Math.max(1, this.#o.snapshotParallelism ?? 4));
    await Promise.all(
      todo.map((t) =>
        limit(() =>
          this.#retrying(`snapshot of ${formatTableId(t.source.id)}`, () =>
            this.#snapshot(t, forced.has(tableKey(t.source.id))),
          ),
        ),
      ),
    );
  }

  async #snapshot(t: CompiledTransform, replace: boolean): Promise<void> {
    const table = t.source.id;
    const snap = await this.#o.source.snapshot(t.source, {
      signal: this.#signal,
      batchRows: this.#batch.maxRows,
    });
    try {
      this.#emit({ type: 'snapshot-started', pipeline: this.#name, table, position: snap.position });
      // The stream resumes from an existing checkpoint (everything before it is in this later snapshot);
      // otherwise from the snapshot's own position, stored before any row so a crash cannot skip changes.
      if (!this.#checkpoints.has(snap.partition)) {
        await this.#apply({ partition: snap.partition, position: snap.position, events: [] });
        this.#checkpoints.set(snap.partition, snap.position);
      }
      const partition = snapshotPartition(table);
      const running = JSON.stringify({ state: 'running', position: snap.position } satisfies SnapshotState);
      // A requested re-snapshot replaces the table: rows deleted at the source while changes were lost
      // (retention gap) must not survive. Its own transaction, so no reduction reorders it.
      const clear: ChangeEvent[] = replace ? [t.event({ op: 'delete-range', table, prefix: {} })] : [];
      await this.#apply({ partition, position: running, events: clear });
      let rows = 0;
      for await (const chunk of snap.rows) {
        for (let i = 0; i < chunk.length; i += this.#batch.maxRows) {
          if (this.#signal.aborted) throw cancelled();
          const events: ChangeEvent[] = chunk
            .slice(i, i + this.#batch.maxRows)
            .map((r) => t.event({ op: 'upsert', table, key: pick(r, t.source.primaryKey), row: r }));
          const applied = await this.#apply({ partition, position: running, events });
          rows += events.length;
          this.#result.upserts += applied.upserts;
          this.#result.deadLetters += applied.deadLetters;
        }
        this.#emit({ type: 'snapshot-progress', pipeline: this.#name, table, rows });
      }
      const done = JSON.stringify({ state: 'done', position: snap.position } satisfies SnapshotState);
      await this.#apply({ partition, position: done, events: [] });
      this.#checkpoints.set(partition, done);
      this.#result.snapshots.push({ table, rows });
      this.#emit({ type: 'snapshot-done', pipeline: this.#name, table, rows });
    } finally {
      await snap.close();
    }
  }

  // ---------------------------------------------------------------- stream

  async #stream(): Promise<void> {
    for (let attempt = 1; ;) {
      if (this.#signal.aborted) return;
      let progressed = false;
      try {
        await this.#streamOnce(() => (progressed = true));
        return;
      } catch (error) {
        if (progressed) attempt = 1;
        await this.#backoffOrThrow(error, attempt, 'streaming changes');
        attempt++;
        // The sink is the truth: resume from what actually committed.
        this.#checkpoints = await this.#retrying('reading checkpoints', () =>
          this.#o.sink.checkpoints(this.#name),
        );
      }
    }
  }

  async #streamOnce(onProgress: () => void): Promise<void> {
    const inner = new AbortController();
    const queue = new BoundedQueue<ChangeBatch>({
      maxItems: this.#o.queue?.maxItems ?? 64,
      maxBytes: this.#o.queue?.maxBytes ?? 64 * 1024 * 1024,
    });
    const onAbort = () => {
      inner.abort();
      queue.close();
    };
    this.#signal.addEventListener('abort', onAbort, { once: true });
    const from = new Map([...this.#checkpoints].filter(([p]) => !p.startsWith(SNAPSHOT_PARTITION_PREFIX)));
    const reader = (async () => {
      try {
        for await (const batch of this.#o.source.changes({
          tables: [...this.#transforms.values()].map((t) => t.source),
          from,
          signal: inner.signal,
          maxBatchEvents: this.#batch.maxRows,
          untilCaughtUp: this.#o.once ?? false,
        })) {
          if (!(await queue.push(batch, estimateBatchBytes(batch)))) break;
        }
        queue.close();
      } catch (error) {
        queue.close(inner.signal.aborted ? undefined : error);
      }
    })();
    try {
      await this.#applyLoop(queue, onProgress);
      if (this.#o.once && !this.#signal.aborted) this.#emit({ type: 'caught-up', pipeline: this.#name });
    } finally {
      this.#signal.removeEventListener('abort', onAbort);
      inner.abort();
      queue.close();
      await reader;
    }
  }

  /**
   * Assembles sink batches from the queue and commits them in order. One batch is in flight at a time;
   * the next one is assembled (read, transformed) while it commits, so the source side and the target
   * side work at once. A failed commit surfaces before anything else is sent.
   */
  async #applyLoop(queue: BoundedQueue<ChangeBatch>, onProgress: () => void): Promise<void> {
    let failed = false;
    try {
      await this.#assembleLoop(queue, onProgress);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      const inflight = this.#inflight;
      this.#inflight = undefined;
      if (inflight) {
        // The batch being committed always finishes (graceful stop never half-applies).
        if (failed) await inflight.catch(() => undefined);
        else await inflight;
      }
    }
  }

  async #assembleLoop(queue: BoundedQueue<ChangeBatch>, onProgress: () => void): Promise<void> {
    let carried: ChangeBatch | undefined;
    for (;;) {
      if (this.#signal.aborted) return;
      const first = carried ?? (await queue.shift());
      carried = undefined;
      if (first === undefined) return;
      const partition = first.partition;
      const events: ChangeEvent[] = [];
      const counts = new Map<string, { table: TableId; events: number; upserts: number; deletes: number }>();
      let position = first.position;
      let commitTimeMicros = first.commitTimeMicros;
      let bytes = 0;
      const admit = async (b: ChangeBatch) => {
        for (const e of b.events) {
          const t = await this.#transformFor(e);
          if (!t) continue;
          events.push(t.event(e));
          const key = tableKey(t.source.id);
          const c = counts.get(key) ?? { table: t.source.id, events: 0, upserts: 0, deletes: 0 };
          c.events++;
          if (e.op === 'upsert') c.upserts++;
          else c.deletes++;
          counts.set(key, c);
        }
        bytes += estimateBatchBytes(b);
        position = b.position;
        commitTimeMicros = b.commitTimeMicros ?? commitTimeMicros;
      };
      await admit(first);
      const deadline = Date.now() + this.#batch.maxWaitMs;
      while (events.length < this.#batch.maxRows && bytes < this.#batch.maxBytes) {
        const next = await queue.shift(deadline);
        if (next === undefined) break;
        // Source transactions are never split or reordered across partitions.
        if (next.partition !== partition || events.length + next.events.length > this.#batch.maxRows) {
          carried = next;
          break;
        }
        await admit(next);
      }
      // Stopping abandons the open batch: it was never sent, so the source replays it next time.
      if (this.#signal.aborted) return;
      await this.#inflight;
      if (this.#signal.aborted) return;
      const batch: ChangeBatch = {
        partition,
        position,
        events,
        ...(commitTimeMicros !== undefined ? { commitTimeMicros } : {}),
      };
      const inflight = this.#commit(batch, bytes, counts, onProgress);
      // Observed by the next `await this.#inflight` (or #applyLoop's finally); never left unhandled.
      inflight.catch(() => undefined);
      this.#inflight = inflight;
    }
  }

  async #commit(
    batch: ChangeBatch,
    bytes: number,
    counts: Map<string, { table: TableId; events: number; upserts: number; deletes: number }>,
    onProgress: () => void,
  ): Promise<void> {
    const { partition, position, events, commitTimeMicros } = batch;
    const started = performance.now();
    const applied = await this.#apply(batch);
    this.#checkpoints.set(partition, position);
    onProgress();
    await this.#o.source.acknowledge?.(partition, position);
    this.#result.batches++;
    this.#result.events += events.length;
    this.#result.upserts += applied.upserts;
    this.#result.deletes += applied.deletes;
    this.#result.deadLetters += applied.deadLetters;
    this.#emit({
      type: 'applied',
      pipeline: this.#name,
      partition,
      position,
      events: events.length,
      bytes,
      upserts: applied.upserts,
      deletes: applied.deletes,
      deadLetters: applied.deadLetters,
      tables: [...counts.values()],
      durationMs: performance.now() - started,
      ...(commitTimeMicros !== undefined
        ? { lagMs: Math.max(0, Date.now() - Number(commitTimeMicros / 1000n)) }
        : {}),
    });
  }

  /** The table's transform, after evolving it if the change shows a schema change; undefined = not ours. */
  async #transformFor(e: ChangeEvent): Promise<CompiledTransform | undefined> {
    const t = this.#transforms.get(tableKey(e.table));
    if (!t || e.op !== 'upsert') return t;
    const known = t.source.columns;
    const unknown = Object.keys(e.row).some((name) => !known.some((c) => c.name === name));
    const missing = !e.partial && known.some((c) => !(c.name in e.row));
    if (!unknown && !missing) return t;
    return this.#evolve(t, e.row);
  }

  async #evolve(t: CompiledTransform, row: Row): Promise<CompiledTransform> {
    // The target is altered only between commits, never under a batch still being applied.
    await this.#inflight;
    const id = t.source.id;
    const entry = this.#o.tables.find((p) => tableKey(p.table) === tableKey(id));
    const fresh = await this.#retrying(`introspecting ${formatTableId(id)}`, () =>
      this.#o.source.introspect(id, entry?.key ? { key: entry.key } : undefined),
    );
    const stop = (problem: string) =>
      new CdcError(
        'SCHEMA_MISMATCH',
        `pipeline ${this.#name}: table ${formatTableId(id)}: ${problem}; replication of this table stopped`,
        {
          hint: `adapt the target table to the new source schema, then re-snapshot: ${this.#resnapshotCommand(id)}`,
        },
      );
    for (const old of t.source.columns) {
      const now = fresh.columns.find((c) => c.name === old.name);
      if (!now) throw stop(`source column "${old.name}" was dropped`);
      if (!sameType(old, now)) {
        throw stop(`source column "${old.name}" changed type from ${old.nativeType} to ${now.nativeType}`);
      }
    }
    if (fresh.primaryKey.join('\u0000') !== t.source.primaryKey.join('\u0000')) {
      throw stop(
        `primary key changed from (${t.source.primaryKey.join(', ')}) to (${fresh.primaryKey.join(', ')})`,
      );
    }
    const added = fresh.columns.filter((c) => !t.source.columns.some((o) => o.name === c.name));
    const stillUnknown = Object.keys(row).filter((n) => !fresh.columns.some((c) => c.name === n));
    if (stillUnknown.length > 0) {
      throw stop(`changes carry column(s) ${stillUnknown.join(', ')} that the source table does not have`);
    }
    if (added.length === 0) return t;
    const compiled = await compileTransform(fresh, entry?.transform, this.#o.defaultTargetSchema);
    this.#transforms.set(tableKey(id), compiled);
    const mappings = [...this.#transforms.values()].map((c) => c.mapping);
    await this.#retrying(`adding columns to ${formatTableId(compiled.mapping.target)}`, () =>
      this.#o.sink.prepare(this.#name, mappings),
    );
    this.#emit({
      type: 'schema-evolved',
      pipeline: this.#name,
      table: id,
      addedColumns: added.map((c) => c.name),
    });
    return compiled;
  }
}
