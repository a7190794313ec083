/**
 * The worker service: every embedded pipeline of the configuration with its always-on verification,
 * the scheduled reconciliation (croner), and `/healthz` `/readyz` `/metrics` `/api/v1/status`. `stop()` drains: pipelines finish the batch being
 * committed, no new reconciliation starts, a running one is cancelled and recorded, then the server closes.
 */
import { hostname } from 'node:os';
import {
  abortableSleep,
  backoffDelay,
  CdcError,
  defaultRetryPolicy,
  describeError,
  embeddedPipelines,
  isTransientError,
  pipelineRunOptions,
  formatTableId,
  runPipeline,
  type CdcConfig,
  type ChangeSink,
  type PipelineConfig,
  type PipelineEvent,
} from '@cdc/core';
import {
  collectStatusDocument,
  consoleRoutes,
  listDifferences,
  PipelineActivity,
  type StatusDocument,
} from '@cdc/console';
import {
  createCdcMetrics,
  createLogger,
  redactText,
  startMetricsServer,
  type CdcMetrics,
  type Logger,
  type MetricsServer,
} from '@cdc/metrics';
import { connectPostgres } from '@cdc/postgres';
import { Cron } from 'croner';
import {
  createConnectorRegistry,
  openPipelineReplication,
  urlWithPassword,
  type ConnectorRegistry,
  type PipelineReplication,
} from '@cdc/connectors';
import { runReconciliation, type ReconcileJobOptions, type ReconcileRunOutcome } from './reconcile-job.js';
import { PipelineVerification } from './worker-verification.js';
import { workerStatus, type WorkerStatus } from './worker-status.js';

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  config: CdcConfig;
  logger?: Logger;
  /** Port of the HTTP endpoints; overrides `metrics.port` (0 = any free port). Default `metrics.port`, else 9464. */
  metricsPort?: number;
  /** Run the configured pipelines. Default `true`. */
  pipelines?: boolean;
  /** Tables reconciled at once. Default 2. */
  reconcileConcurrency?: number;
  /** Source rows read per second by reconciliation, across tables. Default unlimited. */
  reconcileRowsPerSecond?: number;
  /** Replaces how reconciliation opens sources (tests). */
  openSource?: ReconcileJobOptions['openSource'];
  /**
   * URL schemes → adapters: the built-ins plus plugins (`cdc-worker` loads `--plugin`, `CDC_PLUGINS` and
   * the configuration's `plugins:`). Default: the built-in adapters only.
   */
  connectors?: ConnectorRegistry;
  /** Resolved secret values, masked in stored reconciliation errors (see {@link ReconcileJobOptions.secrets}). */
  secrets?: ReconcileJobOptions['secrets'];
  /**
   * TEST HOOK: wraps each pipeline's sink below verification (tests inject faults, e.g. a change the
   * sink drops, and check that verification finds it). Never set in production.
   */
  wrapSink?: (sink: ChangeSink, pipeline: string) => ChangeSink;
}

/** State of one pipeline as `/readyz` and logs see it. */
export type PipelineState = 'starting' | 'running' | 'stopped' | 'failed';

/** A running worker. */
export interface Worker {
  /** Base URL of the HTTP endpoints. */
  readonly url: string;
  readonly metrics: CdcMetrics;
  /** Pipeline name → state. */
  readonly pipelines: ReadonlyMap<string, { state: PipelineState; error?: string }>;
  /** When the schedule fires next (null without `reconcile.schedule`). */
  nextReconcile(): Date | null;
  /** Runs a reconciliation now (same path as the schedule; skipped if one is running). */
  reconcileNow(): Promise<ReconcileRunOutcome[] | undefined>;
  /** Outcomes of finished reconciliation runs, most recent last. */
  readonly reconcileHistory: readonly ReconcileRunOutcome[];
  /** The live part of the status document: pipelines, their verification, lag and apply rate. */
  status(): WorkerStatus;
  /** The status document of `GET /api/v1/status` (`docs/api.md`): live pipelines plus tables and repairs. */
  statusDocument(): Promise<StatusDocument>;
  /** Drains and stops. Idempotent. */
  stop(): Promise<void>;
  /** Settles when the worker has stopped. */
  readonly done: Promise<void>;
}

const DEFAULT_PORT = 9464;

/**
 * Starts the worker.
 *
 * @example
 * ```ts
 * const worker = await startWorker({ config: await loadWorkerConfig('cdc.yaml') });
 * process.once('SIGTERM', () => void worker.stop());
 * await worker.done;
 * ```
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ bindings: { component: 'worker' } });
  const connectors = options.connectors ?? (await createConnectorRegistry());
  const stop = new AbortController();
  const schedule = config.reconcile?.schedule;
  let cron: Cron | undefined;
  if (schedule) {
    try {
      // Validate before anything starts; `paused` until the server is up.
      cron = new Cron(schedule, { paused: true, protect: true, catch: false });
    } catch (error) {
      throw new CdcError(
        'CONFIG_INVALID',
        `reconcile.schedule ${JSON.stringify(schedule)} is not a valid cron expression: ${describeError(error)}`,
        {
          hint: 'use 5 or 6 fields, e.g. "0 */6 * * *" (every 6 hours) or "*/30 * * * * *" (every 30 s)',
        },
      );
    }
    cron.stop();
  }
  const metrics = createCdcMetrics({ defaultLabels: { instance_role: 'worker' } });
  const states = new Map<string, { state: PipelineState; error?: string }>();
  const pipelines = options.pipelines === false ? [] : embeddedPipelines(config);
  for (const p of pipelines) states.set(p.name, { state: 'starting' });

  const verifications = new Map<string, PipelineVerification>();
  const activity = new PipelineActivity();
  const status = () =>
    workerStatus(states, (name) => verifications.get(name)?.status(), new Date(), activity);
  // Tables and repairs come from the targets: read at most once a second, however many clients poll.
  let stored: { at: number; read: Promise<Pick<StatusDocument, 'tables' | 'repairs'>> } | undefined;
  const statusDocument = async (): Promise<StatusDocument> => {
    if (!stored || Date.now() - stored.at > 1000) {
      const read = collectStatusDocument({
        service: 'cdc-worker',
        config,
        pipelines,
        connectors,
        redact: (text) => redactText(text, options.secrets),
      });
      stored = { at: Date.now(), read };
      read.catch(() => (stored = undefined));
    }
    const { tables, repairs } = await stored.read;
    return { ...status(), tables, repairs };
  };
  const targets = [...new Set(pipelines.map((p) => p.target))];
  const server: MetricsServer = await startMetricsServer({
    registry: metrics.registry,
    port: options.metricsPort ?? config.metrics?.port ?? DEFAULT_PORT,
    // This machine only, unless metrics.host says otherwise (the console and API show table names).
    host: config.metrics?.host ?? '127.0.0.1',
    ...(config.metrics?.token ? { token: config.metrics.token } : {}),
    status: statusDocument,
    routes: consoleRoutes({
      title: hostname(),
      differences: async ({ pipeline, table, offset, limit }) => {
        const p = pipelines.find((x) => x.name === pipeline);
        if (!p) {
          throw new CdcError('TABLE_NOT_FOUND', `no pipeline named ${pipeline}`, {
            hint: `pipelines: ${pipelines.map((x) => x.name).join(', ') || 'none'}`,
          });
        }
        return listDifferences({ config, pipeline: p, table, offset, limit });
      },
    }),
    readinessChecks: [
      {
        name: 'pipelines',
        check: async () => {
          const bad = [...states].filter(([, s]) => s.state !== 'running');
          return bad.length === 0
            ? { ok: true }
            : {
                ok: false,
                detail: bad.map(([n, s]) => `${n}: ${s.state}${s.error ? ` (${s.error})` : ''}`).join('; '),
              };
        },
      },
      ...targets.map((name) => ({
        name: `target:${name}`,
        check: async () => {
          const conn = config.connections[name]!;
          const adapter = connectPostgres({
            url: urlWithPassword(conn.url, conn.password),
            maxConnections: 1,
          });
          try {
            await adapter.query('SELECT 1');
            return { ok: true };
          } catch (error) {
            return { ok: false, detail: describeError(error) };
          } finally {
            await adapter.close();
          }
        },
      })),
    ],
  });
  logger.info({ url: server.url, pipelines: pipelines.length, schedule: schedule ?? null }, 'worker started');

  const runs = pipelines.map((p) => runOne(p));

  async function runOne(pipeline: PipelineConfig): Promise<void> {
    const heartbeat = setInterval(() => {
      if (states.get(pipeline.name)?.state === 'running') {
        metrics.replicationHeartbeat.set({ pipeline: pipeline.name }, Date.now() / 1000);
      }
    }, 5_000);
    heartbeat.unref();
    const verification = new PipelineVerification({
      config,
      pipeline,
      openSource: (url) => connectors.openScanSource(url, { applicationName: `cdc-verify:${pipeline.name}` }),
      urlWithPassword,
      metrics,
      logger,
    });
    verifications.set(pipeline.name, verification);
    try {
      const replication = await openWithRetry(pipeline);
      if (!replication) {
        states.set(pipeline.name, { state: 'stopped' });
        return;
      }
      try {
        const sink = options.wrapSink ? options.wrapSink(replication.sink, pipeline.name) : replication.sink;
        const result = await runPipeline({
          ...pipelineRunOptions(pipeline),
          source: replication.source,
          sink: verification.sink(sink),
          signal: stop.signal,
          onEvent: (event) => {
            onPipelineEvent(pipeline.name, event);
            verification.onPipelineEvent(event);
          },
          resnapshotCommand: (t) =>
            `cdc snapshot --config <file> --pipeline ${pipeline.name} --table ${formatTableId(t)}`,
        });
        states.set(pipeline.name, { state: 'stopped' });
        logger.info({ pipeline: pipeline.name, events: result.events }, 'pipeline stopped');
      } finally {
        await verification.stop();
        await replication.close();
      }
    } catch (error) {
      const message = describeError(error);
      states.set(pipeline.name, { state: 'failed', error: message });
      logger.error({ pipeline: pipeline.name, error: message }, 'pipeline failed');
    } finally {
      clearInterval(heartbeat);
      await verification.stop();
    }
  }

  /**
   * Opens the pipeline's source (by URL scheme, the same dispatch as `cdc replicate`) and sink. A source
   * that is down when the worker starts is retried with backoff, as runPipeline retries it later on;
   * permanent failures (bad URL, missing driver, CDC off) fail the pipeline at once. Undefined: stopped.
   */
  async function openWithRetry(pipeline: PipelineConfig): Promise<PipelineReplication | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (stop.signal.aborted) return undefined;
      try {
        return await openPipelineReplication({
          pipeline,
          connectors,
          source: { name: pipeline.source, ...config.connections[pipeline.source]! },
          target: { name: pipeline.target, ...config.connections[pipeline.target]! },
          onWarning: (message) => logger.warn({ pipeline: pipeline.name }, message),
        });
      } catch (error) {
        if (!isTransientError(error)) throw error;
        const delayMs = backoffDelay(attempt, defaultRetryPolicy);
        logger.warn(
          { pipeline: pipeline.name, attempt, delayMs, error: describeError(error) },
          'source not reachable, retrying',
        );
        try {
          await abortableSleep(delayMs, stop.signal);
        } catch {
          return undefined;
        }
      }
    }
  }

  function onPipelineEvent(name: string, event: PipelineEvent): void {
    switch (event.type) {
      case 'started':
        states.set(name, { state: 'running' });
        metrics.replicationHeartbeat.set({ pipeline: name }, Date.now() / 1000);
        logger.info({ pipeline: name, epoch: event.epoch }, 'pipeline started');
        break;
      case 'snapshot-done':
        logger.info({ pipeline: name, table: formatTableId(event.table), rows: event.rows }, 'snapshot done');
        break;
      case 'applied': {
        metrics.replicationApplyBatchSeconds.observe({ pipeline: name }, event.durationMs / 1000);
        activity.record(name, {
          changes: event.tables.reduce((n, t) => n + t.upserts + t.deletes, 0),
          ...(event.lagMs !== undefined ? { lagMs: event.lagMs } : {}),
        });
        metrics.replicationHeartbeat.set({ pipeline: name }, Date.now() / 1000);
        for (const t of event.tables) {
          const table = formatTableId(t.table);
          if (t.upserts)
            metrics.replicationAppliedChanges.inc({ pipeline: name, table, op: 'upsert' }, t.upserts);
          if (t.deletes)
            metrics.replicationAppliedChanges.inc({ pipeline: name, table, op: 'delete' }, t.deletes);
          if (event.lagMs !== undefined)
            metrics.replicationLagSeconds.set({ pipeline: name, table }, event.lagMs / 1000);
        }
        if (event.deadLetters > 0) {
          const table = event.tables.length === 1 ? formatTableId(event.tables[0]!.table) : '*';
          metrics.replicationDeadLetters.inc({ pipeline: name, table }, event.deadLetters);
          logger.warn(
            { pipeline: name, position: event.position, deadLetters: event.deadLetters },
            'changes dead-lettered',
          );
        }
        break;
      }
      case 'retry':
        logger.warn(
          {
            pipeline: name,
            attempt: event.attempt,
            delayMs: event.delayMs,
            during: event.during,
            error: describeError(event.error),
          },
          'transient failure, retrying',
        );
        break;
      case 'schema-evolved':
        logger.info(
          { pipeline: name, table: formatTableId(event.table), added: event.addedColumns },
          'target table evolved',
        );
        break;
      default:
        break;
    }
  }

  const history: ReconcileRunOutcome[] = [];
  let reconciling: Promise<ReconcileRunOutcome[] | undefined> | undefined;
  async function reconcile(): Promise<ReconcileRunOutcome[] | undefined> {
    if (reconciling || stop.signal.aborted) return undefined;
    reconciling = (async () => {
      try {
        const outcomes = await runReconciliation({
          config,
          logger,
          metrics,
          signal: stop.signal,
          ...(options.reconcileConcurrency ? { concurrency: options.reconcileConcurrency } : {}),
          ...(options.reconcileRowsPerSecond ? { rowsPerSecond: options.reconcileRowsPerSecond } : {}),
          ...(options.openSource ? { openSource: options.openSource } : { connectors }),
          ...(options.secrets ? { secrets: options.secrets } : {}),
        });
        history.push(...outcomes);
        return outcomes;
      } catch (error) {
        // A failure before any table ran (e.g. the target is down): logged, and the next tick retries.
        logger.error({ error: describeError(error) }, 'scheduled reconciliation failed');
        return undefined;
      } finally {
        reconciling = undefined;
      }
    })();
    return reconciling;
  }
  if (schedule) {
    cron = new Cron(
      schedule,
      {
        protect: true,
        catch: (error: unknown) => logger.error({ error: describeError(error) }, 'reconcile schedule error'),
      },
      async () => {
        await reconcile();
      },
    );
  }

  let stopping: Promise<void> | undefined;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  return {
    url: server.url,
    metrics,
    pipelines: states,
    nextReconcile: () => cron?.nextRun() ?? null,
    reconcileNow: reconcile,
    reconcileHistory: history,
    status,
    statusDocument,
    stop() {
      stopping ??= (async () => {
        logger.info('worker draining');
        cron?.stop();
        stop.abort();
        await Promise.allSettled(runs);
        await reconciling?.catch(() => undefined);
        await server.close();
        logger.info('worker stopped');
        resolveDone();
      })();
      return stopping;
    },
    done,
  };
}
