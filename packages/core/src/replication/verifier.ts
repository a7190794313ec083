/**
 * Always-on verification of one pipeline (`docs/verification.md`): the keys of every committed batch are
 * re-read on both sides by lookup and compared with the diff engine's normalization, and a rate-limited
 * sweep passes over every table in checkpointed segments with bucket hashes, forever. Differences that
 * survive the live re-check are stored like a reconciliation's, so reports and repairs see them.
 */
import { isDeepStrictEqual } from 'node:util';
import pLimit from 'p-limit';
import type { VerifyConfig } from '../config/config-verify.js';
import type { ChangeBatch, ChangeSink, HashPlan, Range, ScanSource } from '../connector.js';
import { diffTables, rangeApplies } from '../diff-engine.js';
import type { ComparisonPolicy } from '../compare.js';
import type { DiffResult, DiffSide, Difference } from '../diff-types.js';
import { isCdcError } from '../errors.js';
import { keyString } from '../hashing.js';
import { formatTableId, type Row, type TableId, type TableSchema } from '../schema.js';
import { SNAPSHOT_PARTITION_PREFIX, type PipelineTable } from './pipeline.js';
import { RowRateLimiter, throttleSource } from './rate-limit.js';
import { abortableSleep, backoffDelay, defaultRetryPolicy } from './retry.js';
import { tableKey } from './transforms.js';
import { ChangedKeyQueue, type ChangedKey } from './verify-queue.js';
import { quietWaitMs } from './verify-quiet-hours.js';
import { decodeSegments, encodeSegments } from './verify-segments.js';

/** Which part of verification found or checked something. */
export type VerifyMode = 'changed' | 'sweep';

/** A table's sweep position, as checkpointed in the store after every segment. */
export interface SweepCheckpoint {
  /** Cycles started so far (1 = the first pass). */
  cycle: number;
  cycleStartedAt: Date;
  /** The cycle's segments ({@link encodeSegments}). */
  segments: string;
  /** Segments of this cycle done; the sweep resumes with this one. */
  nextSegment: number;
  /** Source rows compared in this cycle. */
  rows: number;
  /** Persistent differences found in this cycle. */
  differences: number;
  /** Start of the last complete cycle: every row present then and unchanged since was found equal. */
  lastCompleteStartedAt?: Date;
  lastCompleteFinishedAt?: Date;
}

/** Where verification keeps its state and its findings (`cdc_meta` in @cdc/postgres). */
export interface VerificationStore {
  /** The table's sweep checkpoint, if any. */
  loadSweep(pipeline: string, table: string): Promise<SweepCheckpoint | undefined>;
  saveSweep(pipeline: string, table: string, target: string, state: SweepCheckpoint): Promise<void>;
  /** Adds to the changed-key counters and moves the changed-key verified-through mark. */
  saveChanged(
    pipeline: string,
    table: string,
    target: string,
    mark: { verifiedThrough: Date; rows: number; differences: number },
  ): Promise<void>;
  /** Whether the pipeline's snapshot of `table` completed (the sweep waits for it). */
  snapshotDone(pipeline: string, table: TableId): Promise<boolean>;
  /** Stores persistent differences like a reconciliation's (a run with one table result); returns the run id. */
  recordDifferences(record: {
    pipeline: string;
    mode: VerifyMode;
    result: DiffResult;
    durationMs: number;
    /** The sweep cycle that found them (sweep mode). */
    cycle?: number;
  }): Promise<string>;
  /** Applies the guarded repair of `result` to the target and audits it under `runId` (`verify.repair: apply`). */
  repair?(
    runId: string,
    result: DiffResult,
    target: TableSchema,
    options: { operations: readonly ('insert' | 'update' | 'delete')[] },
  ): Promise<{ rowsChanged: number; guardsFailed: number }>;
}

/** What verification reports, for metrics and logs (never row values). */
export type VerifyEvent =
  | { type: 'rows'; pipeline: string; table: string; mode: VerifyMode; rows: number }
  | { type: 'sampled'; pipeline: string; table: string; keys: number }
  | { type: 'queue'; pipeline: string; depth: number }
  | {
      type: 'differences';
      pipeline: string;
      table: string;
      mode: VerifyMode;
      runId: string;
      summary: DiffResult['summary'];
    }
  | {
      type: 'repaired';
      pipeline: string;
      table: string;
      runId: string;
      rowsChanged: number;
      guardsFailed: number;
    }
  | {
      type: 'sweep-progress';
      pipeline: string;
      table: string;
      cycle: number;
      done: number;
      total: number;
      lastCompleteStartedAt?: Date;
    }
  | {
      type: 'sweep-complete';
      pipeline: string;
      table: string;
      cycle: number;
      startedAt: Date;
      finishedAt: Date;
    }
  | { type: 'unsupported'; pipeline: string; table: string; reason: string }
  | { type: 'error'; pipeline: string; table: string; mode: VerifyMode; error: unknown };

/** The verification state of one table (the status API and `cdc status` show it). */
export interface VerifyTableStatus {
  table: string;
  target: string;
  /** `unsupported`: the table cannot be verified (see `reason`); `waiting`: not resolved yet. */
  state: 'verifying' | 'waiting' | 'unsupported';
  reason?: string;
  /** Start of the last complete sweep (ISO), the table's "verified through" mark; null before the first. */
  verifiedThrough: string | null;
  changed: {
    enabled: boolean;
    /** Keys compared since the worker started. */
    rows: number;
    differences: number;
    /** Keys left to the sweep under pressure since the worker started. */
    sampled: number;
  };
  sweep: {
    enabled: boolean;
    cycle: number;
    segmentsDone: number;
    segmentsTotal: number;
    /** Rows compared in the current cycle. */
    rows: number;
    differences: number;
    lastCompleteStartedAt: string | null;
    lastCompleteFinishedAt: string | null;
  };
}

/** The verification state of a pipeline. */
export interface VerifyStatus {
  pipeline: string;
  enabled: boolean;
  /** Keys waiting for changed-key verification. */
  queueDepth: number;
  /** How far behind the commits changed-key verification is: the oldest unverified key's age, s. */
  changedLagSeconds: number;
  tables: VerifyTableStatus[];
}

/** Settings with defaults applied ({@link verifySettings}). */
export interface VerifySettings {
  enabled: boolean;
  changed: {
    enabled: boolean;
    queueKeys: number;
    recheckAfterMs: number;
    batchKeys: number;
    /**
     * No stream batch applied (or being applied) for this long means replication has nothing pending,
     * so a re-check need not wait for a batch committed after the first read. Default 2000.
     */
    idleMs: number;
    /** A re-check gives up (nothing is reported; changed keys are queued again) after this long. Default 60000. */
    maxWaitMs: number;
  };
  sweep: {
    enabled: boolean;
    rowsPerSecond: number;
    concurrency: number;
    segmentRows: number;
    minIntervalMs: number;
    quietHours: readonly string[];
    timeZone: string;
  };
  repair: 'report' | 'apply';
  maxDiffs: number;
}

/** A pipeline's `verify` block with every default filled in. */
export function verifySettings(config: VerifyConfig | undefined): VerifySettings {
  const enabled = config?.enabled ?? true;
  const rowsPerSecond = config?.sweep?.rowsPerSecond ?? 1000;
  return {
    enabled,
    changed: {
      enabled: enabled && (config?.changed?.enabled ?? true),
      queueKeys: config?.changed?.queueKeys ?? 100_000,
      recheckAfterMs: config?.changed?.recheckAfterMs ?? 1000,
      batchKeys: 1000,
      idleMs: config?.changed?.idleMs ?? 2000,
      maxWaitMs: 60_000,
    },
    sweep: {
      enabled: enabled && (config?.sweep?.enabled ?? true),
      rowsPerSecond,
      concurrency: config?.sweep?.concurrency ?? 1,
      segmentRows: config?.sweep?.segmentRows ?? Math.min(100_000, Math.max(1000, rowsPerSecond * 5)),
      minIntervalMs: (config?.sweep?.minIntervalSeconds ?? 60) * 1000,
      quietHours: config?.sweep?.quietHours ?? [],
      timeZone: config?.sweep?.timeZone ?? 'UTC',
    },
    repair: config?.repair ?? 'report',
    maxDiffs: config?.maxDiffs ?? 1000,
  };
}

/** Options of {@link startVerifier}. */
export interface VerifierOptions {
  pipeline: string;
  /** The pipeline's tables, as `runPipeline` takes them (`pipelineTables`). */
  tables: readonly PipelineTable[];
  settings: VerifySettings;
  /** The source, opened for verification (not the replication connection). */
  source: ScanSource;
  /** The target, as a scan source. */
  target: ScanSource;
  store: VerificationStore;
  onEvent?: (event: VerifyEvent) => void;
}

/** What {@link observeCommits} reports about the batches a sink applies. Methods never throw. */
export interface CommitObserver {
  /** The sink starts applying `batch`. */
  applying?(batch: ChangeBatch): void;
  /** The sink committed `batch` (and its position). */
  committed(batch: ChangeBatch): void;
  /** Applying `batch` failed; nothing of it was committed. */
  failed?(batch: ChangeBatch): void;
}

/**
 * A running verifier. As a {@link CommitObserver} it queues the keys of every committed batch (never
 * blocking) and follows how far replication has applied the source, which the re-check waits for.
 */
export interface PipelineVerifier extends CommitObserver {
  applying(batch: ChangeBatch): void;
  failed(batch: ChangeBatch): void;
  status(): VerifyStatus;
  /** Stops both loops (the segment being compared is abandoned; its checkpoint is not advanced). */
  stop(): Promise<void>;
}

/** Soft-deleted rows carry this column in the target (`PostgresSink`). */
const SOFT_DELETE_COLUMN = '_cdc_deleted';
/** Changed keys still moving after this many re-checks are left to the sweep. */
const MAX_ATTEMPTS = 3;
/**
 * A re-check waits for a batch whose source commit time is this much past the first read: source and
 * worker clocks are compared (as replication lag is), and this absorbs a small skew.
 */
const CLOCK_MARGIN_MS = 250;

interface Table {
  entry: PipelineTable;
  label: string;
  id: string;
  state: 'waiting' | 'verifying' | 'unsupported';
  reason?: string;
  source?: TableSchema;
  target?: TableSchema;
  targetLabel: string;
  columns: string[];
  /** Target key column → source key column. */
  keyNames: [string, string][];
  keyPlan?: HashPlan;
  softDeletes: boolean;
  changed: { rows: number; differences: number; sampled: number; unsaved: number; unsavedDiffs: number };
  sweep: {
    loaded: boolean;
    state?: SweepCheckpoint;
    segments?: (Range | undefined)[];
    busy: boolean;
    snapshotDone: boolean;
    checkedAt: number;
    dueAt: number;
    failures: number;
  };
}

/**
 * Starts verifying a pipeline. Wire it after the sink with {@link observeCommits} and stop it with the
 * pipeline. Tables resolve lazily (the pipeline creates target tables); the sweep of a table starts once
 * its snapshot is done.
 *
 * @example
 * ```ts
 * const verifier = startVerifier({ pipeline: 'sales', tables, settings: verifySettings(p.verify),
 *   source: scanSource, target: targetAdapter, store: await PostgresVerificationStore.open(targetAdapter) });
 * await runPipeline({ ...options, sink: observeCommits(sink, verifier) });
 * await verifier.stop();
 * ```
 */
export function startVerifier(options: VerifierOptions): PipelineVerifier {
  return new Verifier(options);
}

/**
 * A sink that tells `observer` about every batch it applies: before, and after the commit (or the
 * failure). Errors of the observer are ignored, so verification can never fail the apply.
 */
export function observeCommits(sink: ChangeSink, observer: CommitObserver): ChangeSink {
  const tell = (fn: (() => void) | undefined) => {
    try {
      fn?.();
    } catch {
      // verification never fails the apply
    }
  };
  return {
    prepare: (pipeline, mappings) => sink.prepare(pipeline, mappings),
    acquire: (pipeline) => sink.acquire(pipeline),
    checkpoints: (pipeline) => sink.checkpoints(pipeline),
    async apply(pipeline, epoch, batch) {
      tell(observer.applying && (() => observer.applying!(batch)));
      let result;
      try {
        result = await sink.apply(pipeline, epoch, batch);
      } catch (error) {
        tell(observer.failed && (() => observer.failed!(batch)));
        throw error;
      }
      tell(() => observer.committed(batch));
      return result;
    },
    close: () => sink.close(),
  };
}

class Verifier implements PipelineVerifier {
  readonly #o: VerifierOptions;
  readonly #s: VerifySettings;
  readonly #stop = new AbortController();
  readonly #queue: ChangedKeyQueue;
  readonly #tables: Table[];
  readonly #byId = new Map<string, Table>();
  readonly #confirming = new Map<number, number>();
  readonly #confirmLimit = pLimit(4);
  readonly #confirmations = new Set<Promise<void>>();
  readonly #sweepSource: ScanSource;
  readonly #loops: Promise<void>[] = [];
  #confirmSeq = 0;
  #lastQueueEvent = 0;
  /** Stream batches being applied; when the last one committed (ms); the newest source commit applied. */
  #applyingBatches = 0;
  #lastCommitAt = 0;
  #appliedThroughMs = Number.NEGATIVE_INFINITY;

  constructor(options: VerifierOptions) {
    this.#o = options;
    this.#s = options.settings;
    this.#queue = new ChangedKeyQueue({ capacity: this.#s.changed.queueKeys });
    this.#sweepSource = throttleSource(options.source, new RowRateLimiter(this.#s.sweep.rowsPerSecond));
    this.#tables = options.tables.map((entry) => ({
      entry,
      label: formatTableId(entry.table),
      id: '',
      state: 'waiting',
      targetLabel: formatTableId(entry.transform?.target ?? entry.table),
      columns: [],
      keyNames: [],
      softDeletes: entry.transform?.deletes === 'soft',
      changed: { rows: 0, differences: 0, sampled: 0, unsaved: 0, unsavedDiffs: 0 },
      sweep: { loaded: false, busy: false, snapshotDone: false, checkedAt: 0, dueAt: 0, failures: 0 },
    }));
    if (!this.#s.enabled) return;
    this.#loops.push(this.#resolveLoop());
    if (this.#s.changed.enabled) this.#loops.push(this.#changedLoop(), this.#markLoop());
    if (this.#s.sweep.enabled) {
      for (let i = 0; i < this.#s.sweep.concurrency; i++) this.#loops.push(this.#sweepLane());
    }
  }

  get #signal(): AbortSignal {
    return this.#stop.signal;
  }

  #emit(event: VerifyEvent): void {
    try {
      this.#o.onEvent?.(event);
    } catch {
      // observers never break verification
    }
  }

  async #sleep(ms: number): Promise<boolean> {
    try {
      await abortableSleep(ms, this.#signal);
      return !this.#signal.aborted;
    } catch {
      return false;
    }
  }

  // ---------------------------------------------------------------- tables

  async #resolveLoop(): Promise<void> {
    for (let attempt = 1; !this.#signal.aborted; attempt++) {
      const pending = this.#tables.filter((t) => t.state === 'waiting');
      if (pending.length === 0) return;
      for (const t of pending) {
        try {
          await this.#resolve(t);
        } catch (error) {
          if (this.#signal.aborted) return;
          // Target tables appear when the pipeline prepares them: not found yet is not an error.
          if (!(isCdcError(error) && error.code === 'TABLE_NOT_FOUND')) {
            this.#emit({ type: 'error', pipeline: this.#o.pipeline, table: t.label, mode: 'changed', error });
          }
        }
      }
      if (!(await this.#sleep(Math.min(10_000, 250 * attempt)))) return;
    }
  }

  async #resolve(t: Table): Promise<void> {
    const { entry } = t;
    const transform = entry.transform ?? {};
    const source = await this.#o.source.introspect(entry.table, entry.key ? { key: entry.key } : undefined);
    const rename = transform.renameColumns ?? {};
    const mask = transform.mask ?? {};
    const unsupported = (reason: string) => {
      t.state = 'unsupported';
      t.reason = reason;
      this.#emit({ type: 'unsupported', pipeline: this.#o.pipeline, table: t.label, reason });
    };
    const changedKey = source.primaryKey.filter((k) => rename[k] !== undefined || mask[k] !== undefined);
    if (changedKey.length > 0) {
      return unsupported(`key column(s) ${changedKey.join(', ')} are renamed or masked in the target`);
    }
    const targetId: TableId = transform.target ?? {
      ...(source.id.schema !== undefined ? { schema: source.id.schema } : {}),
      name: source.id.name,
    };
    const target = await this.#o.target.introspect(targetId, { key: source.primaryKey });
    const include = transform.includeColumns ? new Set(transform.includeColumns) : undefined;
    const exclude = new Set(transform.excludeColumns ?? []);
    const targetNames = new Set(target.columns.map((c) => c.name));
    // Renamed and masked columns hold other names or values by design: compared are the columns that
    // travel unchanged (the rest is left out, as a reconciliation of the pair does).
    t.columns = source.columns
      .map((c) => c.name)
      .filter(
        (c) =>
          !source.primaryKey.includes(c) &&
          (!include || include.has(c)) &&
          !exclude.has(c) &&
          rename[c] === undefined &&
          mask[c] === undefined &&
          targetNames.has(c),
      );
    t.source = source;
    t.target = target;
    t.id = tableKey(source.id);
    t.targetLabel = formatTableId(target.id);
    t.keyNames = source.primaryKey.map((k) => [k, k]);
    t.keyPlan = {
      key: source.primaryKey,
      columns: [],
      mode: 'canonical',
      bucketing: { kind: 'key-hash', modulus: 1 },
    };
    t.state = 'verifying';
    this.#byId.set(t.id, t);
  }

  // ---------------------------------------------------------------- changed keys

  applying(batch: ChangeBatch): void {
    if (!batch.partition.startsWith(SNAPSHOT_PARTITION_PREFIX)) this.#applyingBatches++;
  }

  failed(batch: ChangeBatch): void {
    if (!batch.partition.startsWith(SNAPSHOT_PARTITION_PREFIX)) {
      this.#applyingBatches = Math.max(0, this.#applyingBatches - 1);
    }
  }

  committed(batch: ChangeBatch): void {
    if (batch.partition.startsWith(SNAPSHOT_PARTITION_PREFIX)) return;
    const now = Date.now();
    this.#applyingBatches = Math.max(0, this.#applyingBatches - 1);
    this.#lastCommitAt = now;
    if (batch.commitTimeMicros !== undefined) {
      this.#appliedThroughMs = Math.max(this.#appliedThroughMs, Number(batch.commitTimeMicros / 1000n));
    }
    if (!this.#s.changed.enabled || this.#signal.aborted) return;
    let lost: Map<string, number> | undefined;
    const sampledBy = (label: string) => {
      lost ??= new Map();
      lost.set(label, (lost.get(label) ?? 0) + 1);
    };
    for (const e of batch.events) {
      if (e.op === 'delete-range') {
        sampledBy(formatTableId(e.table));
        continue;
      }
      const t = this.#byId.get(tableKey(e.table));
      if (!t || t.state !== 'verifying') {
        // Not resolved yet (or not verifiable): left to the sweep, and counted.
        sampledBy(formatTableId(e.table));
        continue;
      }
      const row: Row = {};
      for (const [targetName, sourceName] of t.keyNames) row[sourceName] = e.key[targetName];
      const outcome = this.#queue.offer({
        table: t.id,
        keyText: keyString(row, t.source!, t.keyPlan!),
        key: t.source!.primaryKey.map((k) => row[k]),
        committedAt: now,
        attempts: 0,
      });
      if (outcome === 'sampled') {
        t.changed.sampled++;
        sampledBy(t.label);
      }
    }
    if (lost) {
      for (const [table, keys] of lost) {
        const t = this.#tables.find((x) => x.label === table);
        if (t && t.state !== 'verifying') t.changed.sampled += keys;
        this.#emit({ type: 'sampled', pipeline: this.#o.pipeline, table, keys });
      }
    }
    this.#queueEvent(now);
  }

  #queueEvent(now = Date.now()): void {
    if (now - this.#lastQueueEvent < 250) return;
    this.#lastQueueEvent = now;
    this.#emit({ type: 'queue', pipeline: this.#o.pipeline, depth: this.#queue.depth });
  }

  async #changedLoop(): Promise<void> {
    let failures = 0;
    while (!this.#signal.aborted) {
      await this.#queue.wait(this.#signal);
      if (this.#signal.aborted) return;
      const taken = this.#queue.take(this.#s.changed.batchKeys);
      this.#queueEvent();
      const byTable = new Map<string, ChangedKey[]>();
      for (const k of taken) byTable.set(k.table, [...(byTable.get(k.table) ?? []), k]);
      for (const [id, entries] of byTable) {
        const t = this.#byId.get(id)!;
        try {
          await this.#checkKeys(t, entries);
          failures = 0;
        } catch (error) {
          this.#queue.settle(entries);
          if (this.#signal.aborted) return;
          failures++;
          this.#emit({ type: 'error', pipeline: this.#o.pipeline, table: t.label, mode: 'changed', error });
          // The keys go back (they were not verified); the source or target is probably down.
          for (const e of entries) this.#queue.offer({ ...e, attempts: Math.max(1, e.attempts) });
          if (!(await this.#sleep(backoffDelay(failures, defaultRetryPolicy)))) return;
        }
      }
    }
  }

  #sides(
    t: Table,
    source: ScanSource = this.#o.source,
  ): { source: DiffSide; target: DiffSide; policies?: Record<string, ComparisonPolicy> } {
    const json = (t.entry.jsonColumns ?? []).filter((c) => t.columns.includes(c));
    return {
      source: { source, table: t.source! },
      target: { source: this.#o.target, table: t.target! },
      ...(json.length > 0 ? { policies: Object.fromEntries(json.map((c) => [c, { json: true }])) } : {}),
    };
  }

  #keyText(t: Table, d: Difference): string {
    return keyString(d.key as Row, t.source!, t.keyPlan!);
  }

  async #checkKeys(t: Table, entries: ChangedKey[]): Promise<void> {
    const result = await diffTables({
      ...this.#sides(t),
      keys: entries.map((e) => e.key),
      columns: t.columns,
      maxDiffs: this.#s.maxDiffs,
      workers: 0,
      signal: this.#signal,
    });
    t.changed.rows += entries.length;
    t.changed.unsaved += entries.length;
    this.#emit({
      type: 'rows',
      pipeline: this.#o.pipeline,
      table: t.label,
      mode: 'changed',
      rows: entries.length,
    });
    const differing = new Set(result.differences.map((d) => this.#keyText(t, d)));
    const pending = entries.filter((e) => differing.has(e.keyText));
    this.#queue.settle(entries.filter((e) => !differing.has(e.keyText)));
    if (pending.length === 0) return;
    const seq = ++this.#confirmSeq;
    this.#confirming.set(seq, Math.min(...pending.map((e) => e.committedAt)));
    // Confirmed in the background: the re-check waits for the replication lag, the loop does not.
    const confirmation = this.#confirmLimit(async () => {
      const requeued = new Set<ChangedKey>();
      try {
        await this.#confirm('changed', t, result, pending, requeued);
      } catch (error) {
        if (!this.#signal.aborted) {
          this.#emit({ type: 'error', pipeline: this.#o.pipeline, table: t.label, mode: 'changed', error });
          this.#queue.settle(pending);
          for (const e of pending) {
            this.#queue.offer({ ...e, attempts: e.attempts + 1 });
            requeued.add(e);
          }
        }
      } finally {
        this.#queue.settle(pending.filter((e) => !requeued.has(e)));
        this.#confirming.delete(seq);
      }
    });
    this.#confirmations.add(confirmation);
    void confirmation.finally(() => this.#confirmations.delete(confirmation));
  }

  /**
   * Resolves once replication has applied everything the source had committed at `since` (ms): a batch
   * whose source commit time is past it was applied, or nothing has been applied nor is being applied
   * for `idleMs` (replication has nothing pending). Waits at least `recheckAfterMs`. False when that
   * takes longer than `maxWaitMs` (replication is far behind or stuck) or verification stops.
   */
  async #caughtUp(since: number): Promise<boolean> {
    const { recheckAfterMs, idleMs, maxWaitMs } = this.#s.changed;
    const start = Date.now();
    for (;;) {
      const now = Date.now();
      if (now - start >= recheckAfterMs) {
        if (this.#appliedThroughMs >= since + CLOCK_MARGIN_MS) return true;
        if (this.#applyingBatches === 0 && now - Math.max(this.#lastCommitAt, since) >= idleMs) return true;
      }
      if (now - start >= maxWaitMs) return false;
      if (!(await this.#sleep(50))) return false;
    }
  }

  /**
   * The live re-check: differing keys are read again on both sides once replication has applied
   * everything the source held at the first read (the diff engine's live mode waits a fixed
   * `recheckAfterMs`; a running pipeline says when). A difference persists when it is still there AND the
   * source row did not change in between AND no batch committed meanwhile changed the key (that batch's
   * verification takes over). A row still moving is queued again (changed keys) or left to changed-key
   * verification (sweep). Persistent ones are stored, counted and, with `repair: apply`, repaired.
   */
  async #confirm(
    mode: VerifyMode,
    t: Table,
    first: DiffResult,
    entries: ChangedKey[] = [],
    requeued = new Set<ChangedKey>(),
  ): Promise<void> {
    const since = Date.now();
    const firstDiffs = await this.#withoutSoftDeleted(t, first.differences);
    if (firstDiffs.length === 0) return;
    const byKey = new Map(entries.map((e) => [e.keyText, e]));
    // The sweep's findings are tracked like taken keys, so a batch changing one of them is noticed.
    const tracked =
      mode === 'sweep' ? firstDiffs.map((d) => ({ table: t.id, keyText: this.#keyText(t, d) })) : [];
    this.#queue.track(tracked);
    try {
      const again = (entry: ChangedKey | undefined) => {
        if (!entry || requeued.has(entry)) return;
        if (entry.attempts + 1 >= MAX_ATTEMPTS) {
          // Verified often enough without a verdict: left to the sweep, and counted.
          t.changed.sampled++;
          this.#emit({ type: 'sampled', pipeline: this.#o.pipeline, table: t.label, keys: 1 });
          return;
        }
        this.#queue.settle([entry]);
        this.#queue.offer({ ...entry, attempts: entry.attempts + 1 });
        requeued.add(entry);
      };
      const waitStarted = performance.now();
      if (!(await this.#caughtUp(since))) {
        // Replication is too far behind to tell a difference from a change in flight: nothing is
        // reported now; changed keys are verified again later, the sweep comes back to its rows.
        if (!this.#signal.aborted) for (const d of firstDiffs) again(byKey.get(this.#keyText(t, d)));
        return;
      }
      const waitedMs = Math.round(performance.now() - waitStarted);
      const before = new Map(firstDiffs.map((d) => [this.#keyText(t, d), d]));
      const started = performance.now();
      const second = await diffTables({
        ...this.#sides(t),
        keys: firstDiffs.map((d) => t.source!.primaryKey.map((k) => d.key[k])),
        columns: t.columns,
        maxDiffs: this.#s.maxDiffs,
        workers: 0,
        signal: this.#signal,
      });
      const persistent: Difference[] = [];
      for (const d of second.differences) {
        const text = this.#keyText(t, d);
        const prior = before.get(text);
        // A newer batch changed it: its own verification takes over.
        if (this.#queue.superseded({ table: t.id, keyText: text })) continue;
        if (!prior || !isDeepStrictEqual(prior.source, d.source)) {
          again(byKey.get(text)); // still moving at the source
          continue;
        }
        persistent.push(d);
      }
      const kept = await this.#withoutSoftDeleted(t, persistent);
      if (kept.length === 0) return;
      const summary = { missing: 0, extra: 0, mismatched: 0 };
      for (const d of kept) summary[d.kind]++;
      const result: DiffResult = {
        ...second,
        status: 'differences',
        summary,
        differences: kept,
        truncated: first.truncated || second.truncated,
        live: { recheckAfterMs: waitedMs, resolved: firstDiffs.length - kept.length },
        notes: [
          ...second.notes,
          `always-on verification (${mode}) of pipeline ${this.#o.pipeline}: re-checked once replication had applied the source as of the first read (${waitedMs} ms later)`,
        ],
      };
      await this.#report(mode, t, result, Math.round(performance.now() - started));
    } finally {
      this.#queue.settle(tracked);
    }
  }

  /** Stores, counts and (with `repair: apply`) repairs confirmed differences. */
  async #report(mode: VerifyMode, t: Table, result: DiffResult, durationMs: number): Promise<void> {
    const kept = result.differences;
    const runId = await this.#o.store.recordDifferences({
      pipeline: this.#o.pipeline,
      mode,
      result,
      durationMs,
      ...(mode === 'sweep' && t.sweep.state ? { cycle: t.sweep.state.cycle } : {}),
    });
    if (mode === 'changed') {
      t.changed.differences += kept.length;
      t.changed.unsavedDiffs += kept.length;
    } else if (t.sweep.state) t.sweep.state.differences += kept.length;
    this.#emit({
      type: 'differences',
      pipeline: this.#o.pipeline,
      table: t.label,
      mode,
      runId,
      summary: result.summary,
    });
    if (this.#s.repair === 'apply' && this.#o.store.repair) {
      // Soft-delete tables keep deleted rows: a repair never hard-deletes there.
      const operations = t.softDeletes
        ? (['insert', 'update'] as const)
        : (['insert', 'update', 'delete'] as const);
      const repaired = await this.#o.store.repair(runId, result, t.target!, { operations });
      this.#emit({ type: 'repaired', pipeline: this.#o.pipeline, table: t.label, runId, ...repaired });
      // The repaired rows are verified again like any change.
      const now = Date.now();
      for (const d of kept) {
        this.#queue.offer({
          table: t.id,
          keyText: this.#keyText(t, d),
          key: t.source!.primaryKey.map((k) => d.key[k]),
          committedAt: now,
          attempts: 1,
        });
      }
    }
  }

  /** Drops `extra` differences whose target row is soft-deleted (`deletes: soft` keeps deleted rows). */
  async #withoutSoftDeleted(t: Table, diffs: Difference[]): Promise<Difference[]> {
    if (!t.softDeletes || !diffs.some((d) => d.kind === 'extra')) return diffs;
    if (!t.target!.columns.some((c) => c.name === SOFT_DELETE_COLUMN)) return diffs;
    const extras = diffs.filter((d) => d.kind === 'extra');
    const rows = await this.#o.target.lookup(
      t.target!,
      extras.map((d) => t.source!.primaryKey.map((k) => d.key[k])),
      [...t.source!.primaryKey, SOFT_DELETE_COLUMN],
    );
    const deleted = new Set(
      rows.filter((r) => r[SOFT_DELETE_COLUMN] === true).map((r) => keyString(r, t.source!, t.keyPlan!)),
    );
    return diffs.filter((d) => d.kind !== 'extra' || !deleted.has(this.#keyText(t, d)));
  }

  /** Oldest commit time of a key not verified yet (waiting or being re-checked). */
  #oldestUnverified(): number | undefined {
    let oldest = this.#queue.oldestCommittedAt();
    for (const at of this.#confirming.values()) if (oldest === undefined || at < oldest) oldest = at;
    return oldest;
  }

  /** Stores the changed-key marks every few seconds (`cdc status` reads them from the store). */
  async #markLoop(): Promise<void> {
    while (await this.#sleep(5_000)) await this.#saveMarks();
  }

  async #saveMarks(): Promise<void> {
    const through = new Date(this.#oldestUnverified() ?? Date.now());
    for (const t of this.#tables) {
      if (t.state !== 'verifying') continue;
      const rows = t.changed.unsaved;
      const differences = t.changed.unsavedDiffs;
      try {
        await this.#o.store.saveChanged(this.#o.pipeline, t.label, t.targetLabel, {
          verifiedThrough: through,
          rows,
          differences,
        });
        t.changed.unsaved -= rows;
        t.changed.unsavedDiffs -= differences;
      } catch (error) {
        if (this.#signal.aborted) return;
        this.#emit({ type: 'error', pipeline: this.#o.pipeline, table: t.label, mode: 'changed', error });
      }
    }
  }

  // ---------------------------------------------------------------- sweep

  /** One lane of the sweep: one segment of the most overdue ready table at a time, forever. */
  async #sweepLane(): Promise<void> {
    while (!this.#signal.aborted) {
      const quiet = quietWaitMs(new Date(), this.#s.sweep.quietHours, this.#s.sweep.timeZone);
      if (quiet > 0) {
        if (!(await this.#sleep(Math.min(quiet, 60_000)))) return;
        continue;
      }
      const t = await this.#nextSweepTable();
      if (!t) {
        if (!(await this.#sleep(500))) return;
        continue;
      }
      t.sweep.busy = true;
      try {
        await this.#sweepStep(t);
        t.sweep.failures = 0;
      } catch (error) {
        if (this.#signal.aborted) return;
        t.sweep.failures++;
        t.sweep.dueAt =
          Date.now() + backoffDelay(t.sweep.failures, { ...defaultRetryPolicy, maxDelayMs: 60_000 });
        this.#emit({ type: 'error', pipeline: this.#o.pipeline, table: t.label, mode: 'sweep', error });
      } finally {
        t.sweep.busy = false;
      }
    }
  }

  async #nextSweepTable(): Promise<Table | undefined> {
    const now = Date.now();
    let best: Table | undefined;
    for (const t of this.#tables) {
      if (t.state !== 'verifying' || t.sweep.busy || t.sweep.dueAt > now) continue;
      if (!t.sweep.snapshotDone) {
        if (now - t.sweep.checkedAt < 1000) continue;
        t.sweep.checkedAt = now;
        try {
          t.sweep.snapshotDone = await this.#o.store.snapshotDone(this.#o.pipeline, t.source!.id);
        } catch (error) {
          this.#emit({ type: 'error', pipeline: this.#o.pipeline, table: t.label, mode: 'sweep', error });
        }
        if (!t.sweep.snapshotDone) continue;
      }
      if (!best || t.sweep.dueAt < best.sweep.dueAt) best = t;
    }
    return best;
  }

  async #sweepStep(t: Table): Promise<void> {
    const s = t.sweep;
    if (!s.loaded) {
      s.state = await this.#o.store.loadSweep(this.#o.pipeline, t.label);
      s.loaded = true;
      if (s.state) {
        try {
          s.segments = decodeSegments(s.state.segments);
        } catch {
          s.segments = undefined; // unreadable: a new cycle
        }
        this.#progress(t);
      }
    }
    if (!s.state || !s.segments || s.state.nextSegment >= s.segments.length) {
      if (s.state) {
        const due = s.state.cycleStartedAt.getTime() + this.#s.sweep.minIntervalMs;
        if (due > Date.now()) {
          s.dueAt = due;
          return;
        }
      }
      const cycleStartedAt = new Date();
      s.segments = await this.#planSegments(t);
      s.state = {
        cycle: (s.state?.cycle ?? 0) + 1,
        cycleStartedAt,
        segments: encodeSegments(s.segments),
        nextSegment: 0,
        rows: 0,
        differences: 0,
        ...(s.state?.lastCompleteStartedAt ? { lastCompleteStartedAt: s.state.lastCompleteStartedAt } : {}),
        ...(s.state?.lastCompleteFinishedAt
          ? { lastCompleteFinishedAt: s.state.lastCompleteFinishedAt }
          : {}),
      };
      await this.#o.store.saveSweep(this.#o.pipeline, t.label, t.targetLabel, s.state);
      this.#progress(t);
    }
    const state = s.state;
    const range = s.segments[state.nextSegment];
    const result = await diffTables({
      ...this.#sides(t, this.#sweepSource),
      ...(range ? { range } : {}),
      columns: t.columns,
      maxDiffs: this.#s.maxDiffs,
      concurrency: 1,
      workers: 0,
      signal: this.#signal,
    });
    const rows = Number(result.counts.source);
    this.#emit({ type: 'rows', pipeline: this.#o.pipeline, table: t.label, mode: 'sweep', rows });
    if (result.differences.length > 0) await this.#confirm('sweep', t, result);
    state.nextSegment++;
    state.rows += rows;
    const complete = state.nextSegment >= s.segments.length;
    if (complete) {
      state.lastCompleteStartedAt = state.cycleStartedAt;
      state.lastCompleteFinishedAt = new Date();
    }
    await this.#o.store.saveSweep(this.#o.pipeline, t.label, t.targetLabel, state);
    this.#progress(t);
    if (complete) {
      this.#emit({
        type: 'sweep-complete',
        pipeline: this.#o.pipeline,
        table: t.label,
        cycle: state.cycle,
        startedAt: state.cycleStartedAt,
        finishedAt: state.lastCompleteFinishedAt!,
      });
      s.dueAt = state.cycleStartedAt.getTime() + this.#s.sweep.minIntervalMs;
    }
  }

  #progress(t: Table): void {
    const state = t.sweep.state;
    if (!state) return;
    this.#emit({
      type: 'sweep-progress',
      pipeline: this.#o.pipeline,
      table: t.label,
      cycle: state.cycle,
      done: state.nextSegment,
      total: t.sweep.segments?.length ?? 0,
      ...(state.lastCompleteStartedAt ? { lastCompleteStartedAt: state.lastCompleteStartedAt } : {}),
    });
  }

  /**
   * A cycle's segments: about `segmentRows` rows each, from the source's own splits when both sides can
   * apply them (key ranges in the same key order, token ranges on token-partitioned pairs), else the whole
   * table as one segment.
   */
  async #planSegments(t: Table): Promise<(Range | undefined)[]> {
    const source = this.#o.source;
    const estimate =
      source.capabilities.estimatedCount && source.estimateCount
        ? await source.estimateCount(t.source!)
        : -1n;
    // Statistics of a small or never-analyzed table say little: count it (cheap at that size).
    const rows = estimate >= 100_000n ? estimate : await source.count(t.source!);
    const n = Math.max(1, Math.min(10_000, Math.ceil(Number(rows) / this.#s.sweep.segmentRows)));
    if (n === 1) return [undefined];
    const ranges = await source.splits(t.source!, n);
    const sides = this.#sides(t);
    if (ranges.length <= 1 || !ranges.every((r) => rangeApplies(r, sides.source, sides.target))) {
      return [undefined];
    }
    return ranges;
  }

  // ---------------------------------------------------------------- status

  status(): VerifyStatus {
    const oldest = this.#oldestUnverified();
    const iso = (d: Date | undefined) => (d ? d.toISOString() : null);
    return {
      pipeline: this.#o.pipeline,
      enabled: this.#s.enabled,
      queueDepth: this.#queue.depth,
      changedLagSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      tables: this.#tables.map((t) => {
        const st = t.sweep.state;
        return {
          table: t.label,
          target: t.targetLabel,
          state: t.state,
          ...(t.reason ? { reason: t.reason } : {}),
          verifiedThrough: iso(st?.lastCompleteStartedAt),
          changed: {
            enabled: this.#s.changed.enabled,
            rows: t.changed.rows,
            differences: t.changed.differences,
            sampled: t.changed.sampled,
          },
          sweep: {
            enabled: this.#s.sweep.enabled,
            cycle: st?.cycle ?? 0,
            segmentsDone: st?.nextSegment ?? 0,
            segmentsTotal: t.sweep.segments?.length ?? 0,
            rows: st?.rows ?? 0,
            differences: st?.differences ?? 0,
            lastCompleteStartedAt: iso(st?.lastCompleteStartedAt),
            lastCompleteFinishedAt: iso(st?.lastCompleteFinishedAt),
          },
        };
      }),
    };
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#loops);
    await Promise.allSettled([...this.#confirmations]);
    if (this.#s.changed.enabled) await this.#saveMarks().catch(() => undefined);
  }
}
