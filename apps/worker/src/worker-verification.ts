/**
 * Always-on verification in the worker (`docs/verification.md`): one verifier per pipeline, started when the
 * pipeline runs, fed by the sink's commits, reported in metrics, logs (never row values) and the status API.
 */
import {
  abortableSleep,
  describeError,
  observeCommits,
  pipelineTables,
  redactUrl,
  startVerifier,
  verifySettings,
  type CdcConfig,
  type ChangeBatch,
  type ChangeSink,
  type PipelineConfig,
  type PipelineEvent,
  type PipelineVerifier,
  type ScanSource,
  type VerifyEvent,
  type VerifyStatus,
} from '@cdc/core';
import type { CdcMetrics, Logger } from '@cdc/metrics';
import { connectPostgres, PostgresVerificationStore, type PostgresAdapter } from '@cdc/postgres';

/** Options of {@link PipelineVerification}. */
export interface PipelineVerificationOptions {
  config: CdcConfig;
  pipeline: PipelineConfig;
  /** Opens the pipeline's source for reading (the connector registry's `openScanSource`). */
  openSource: (url: string) => Promise<ScanSource>;
  /** Adds the connection's password to its URL. */
  urlWithPassword: (url: string, password: string | undefined) => string;
  metrics: CdcMetrics;
  logger: Logger;
}

const SAMPLING_LOG_INTERVAL_MS = 60_000;
/**
 * Sources whose committed changes can take seconds to show in the change stream (SQL Server's capture job
 * polls every 5 s by default; ScyllaDB's CDC log is read behind a confidence window): replication counts as
 * idle only after 10 s without a batch there (`verify.changed.idleMs`).
 */
const SLOW_CHANGE_STREAMS: ReadonlySet<string> = new Set(['sqlserver', 'scylla']);

/**
 * The verification of one pipeline: {@link PipelineVerification.sink} wraps the pipeline's sink,
 * {@link PipelineVerification.onPipelineEvent} starts it once the pipeline runs and follows its lag.
 * Verification never fails or slows the pipeline: its own failures are logged and retried.
 */
export class PipelineVerification {
  readonly #o: PipelineVerificationOptions;
  readonly #settings: ReturnType<typeof verifySettings>;
  #verifier: PipelineVerifier | undefined;
  #source: ScanSource | undefined;
  #target: PostgresAdapter | undefined;
  #starting: Promise<void> | undefined;
  #stopped = false;
  readonly #stop = new AbortController();
  #sampledLoggedAt = 0;
  #sampledSinceLog = 0;

  constructor(options: PipelineVerificationOptions) {
    this.#o = options;
    this.#settings = verifySettings(options.pipeline.verify);
  }

  /** Whether the configuration turns verification on for this pipeline (`verify.enabled`, default true). */
  get enabled(): boolean {
    return this.#settings.enabled;
  }

  /** The sink the pipeline applies through: every committed batch is handed to the verifier. */
  sink(sink: ChangeSink): ChangeSink {
    if (!this.enabled) return sink;
    return observeCommits(sink, {
      applying: (batch: ChangeBatch) => this.#verifier?.applying(batch),
      committed: (batch: ChangeBatch) => this.#verifier?.committed(batch),
      failed: (batch: ChangeBatch) => this.#verifier?.failed(batch),
    });
  }

  /** Follows the pipeline: verification starts once the pipeline has started (its target tables exist). */
  onPipelineEvent(event: PipelineEvent): void {
    if (event.type === 'started' && this.enabled) this.#starting ??= this.#start();
  }

  async #start(): Promise<void> {
    const { config, pipeline, logger } = this.#o;
    const sourceConn = config.connections[pipeline.source]!;
    const targetConn = config.connections[pipeline.target]!;
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        this.#source = await this.#o.openSource(this.#o.urlWithPassword(sourceConn.url, sourceConn.password));
        this.#target = connectPostgres({
          url: this.#o.urlWithPassword(targetConn.url, targetConn.password),
          applicationName: `cdc-verify:${pipeline.name}`,
          maxConnections: 4,
        });
        const store = await PostgresVerificationStore.open(this.#target, {
          targetLabel: redactUrl(targetConn.url),
        });
        if (this.#stopped) break;
        const settings = { ...this.#settings, changed: { ...this.#settings.changed } };
        if (pipeline.verify?.changed?.idleMs === undefined) {
          settings.changed.idleMs = SLOW_CHANGE_STREAMS.has(this.#source.dialect) ? 10_000 : 2_000;
        }
        this.#verifier = startVerifier({
          pipeline: pipeline.name,
          tables: pipelineTables(pipeline),
          settings,
          source: this.#source,
          target: this.#target,
          store,
          onEvent: (e) => this.#onEvent(e),
        });
        logger.info(
          {
            pipeline: pipeline.name,
            changed: this.#settings.changed.enabled,
            sweep: this.#settings.sweep.enabled,
            rowsPerSecond: this.#settings.sweep.rowsPerSecond,
            repair: this.#settings.repair,
          },
          'verification started',
        );
        return;
      } catch (error) {
        await this.#closeConnections();
        const delayMs = Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
        logger.warn(
          { pipeline: pipeline.name, attempt, delayMs, error: describeError(error) },
          'verification cannot start, retrying',
        );
        await abortableSleep(delayMs, this.#stop.signal).catch(() => undefined);
      }
    }
    await this.#closeConnections();
  }

  #onEvent(e: VerifyEvent): void {
    const { metrics, logger } = this.#o;
    switch (e.type) {
      case 'rows':
        metrics.verifyRows.inc({ pipeline: e.pipeline, table: e.table, mode: e.mode }, e.rows);
        break;
      case 'queue':
        metrics.verifyQueueDepth.set({ pipeline: e.pipeline }, e.depth);
        break;
      case 'sampled': {
        metrics.verifySampled.inc({ pipeline: e.pipeline, table: e.table }, e.keys);
        this.#sampledSinceLog += e.keys;
        const now = Date.now();
        if (now - this.#sampledLoggedAt >= SAMPLING_LOG_INTERVAL_MS) {
          logger.warn(
            { pipeline: e.pipeline, keys: this.#sampledSinceLog },
            'changed keys left to the sweep (verification queue under pressure, or not verifiable by key)',
          );
          this.#sampledLoggedAt = now;
          this.#sampledSinceLog = 0;
        }
        break;
      }
      case 'differences':
        for (const kind of ['missing', 'extra', 'mismatched'] as const) {
          if (e.summary[kind] > 0) {
            metrics.verifyDifferences.inc(
              { pipeline: e.pipeline, table: e.table, mode: e.mode, kind },
              e.summary[kind],
            );
          }
        }
        // Counts and the run id only: the rows are in cdc_meta (`cdc reconcile report --run`).
        logger.warn(
          { pipeline: e.pipeline, table: e.table, mode: e.mode, runId: e.runId, ...e.summary },
          'verification found differences',
        );
        break;
      case 'repaired':
        logger.info(
          {
            pipeline: e.pipeline,
            table: e.table,
            runId: e.runId,
            rowsChanged: e.rowsChanged,
            guardsFailed: e.guardsFailed,
          },
          'verification repaired differences',
        );
        break;
      case 'sweep-progress':
        metrics.verifySweepProgress.set(
          { pipeline: e.pipeline, table: e.table },
          e.total > 0 ? e.done / e.total : 0,
        );
        if (e.lastCompleteStartedAt) {
          metrics.verifyLastCompleteSweep.set(
            { pipeline: e.pipeline, table: e.table },
            e.lastCompleteStartedAt.getTime() / 1000,
          );
        }
        break;
      case 'sweep-complete':
        metrics.verifyLastCompleteSweep.set(
          { pipeline: e.pipeline, table: e.table },
          e.startedAt.getTime() / 1000,
        );
        logger.info(
          {
            pipeline: e.pipeline,
            table: e.table,
            cycle: e.cycle,
            seconds: Math.round((e.finishedAt.getTime() - e.startedAt.getTime()) / 1000),
          },
          'verification sweep complete',
        );
        break;
      case 'unsupported':
        logger.warn({ pipeline: e.pipeline, table: e.table, reason: e.reason }, 'table not verified');
        break;
      case 'error':
        logger.warn(
          { pipeline: e.pipeline, table: e.table, mode: e.mode, error: describeError(e.error) },
          'verification failed, retrying',
        );
        break;
    }
  }

  /** Verification state for the status API (undefined until started, or when disabled). */
  status(): VerifyStatus | undefined {
    return this.#verifier?.status();
  }

  /** Stops verification and closes its connections. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stop.abort();
    await this.#starting;
    await this.#verifier?.stop();
    this.#verifier = undefined;
    await this.#closeConnections();
  }

  async #closeConnections(): Promise<void> {
    const source = this.#source;
    const target = this.#target;
    this.#source = undefined;
    this.#target = undefined;
    await Promise.allSettled([source?.close(), target?.close()]);
  }
}
