/**
 * Scheduled reconciliation: every configured table compared source → target with the diff engine, a few
 * tables at a time, reading the source no faster than a rows/s budget. Each table's outcome — and every
 * failure — is stored in the target's `cdc_meta` (runs, table_results) and in metrics; nothing is swallowed.
 */
import {
  CdcError,
  describeError,
  diffTables,
  embeddedPipelines,
  formatTableId,
  formatTableName,
  parseTableName,
  pipelineTables,
  redactUrl,
  type CdcConfig,
  type DiffResult,
  type ScanSource,
  type TableId,
} from '@cdc/core';
import { redactText, type CdcMetrics, type Logger, type SecretRedactor } from '@cdc/metrics';
import { connectPostgres, PostgresResultStore, recordDiffResult } from '@cdc/postgres';
import { RowRateLimiter, throttleSource } from './rate-limit.js';
import { createConnectorRegistry, urlWithPassword, type ConnectorRegistry } from '@cdc/connectors';

/** One table to reconcile. */
export interface ReconcilePair {
  pipeline: string;
  sourceConnection: string;
  targetConnection: string;
  source: TableId;
  target: TableId;
  key?: string[];
  columns?: string[];
  excludeColumns?: string[];
  /** Columns holding JSON in a text type, compared as JSON. */
  jsonColumns?: string[];
}

/** Outcome of one table in a run. */
export interface ReconcileTableOutcome {
  table: string;
  status: 'in_sync' | 'differences' | 'failed';
  missing: number;
  extra: number;
  mismatched: number;
  error?: string;
}

/** Outcome of one scheduled run (one per target connection). */
export interface ReconcileRunOutcome {
  runId: string;
  target: string;
  status: 'in-sync' | 'differences' | 'failed';
  tables: ReconcileTableOutcome[];
}

/** Options of {@link runReconciliation}. */
export interface ReconcileJobOptions {
  config: CdcConfig;
  logger: Logger;
  metrics: CdcMetrics;
  /** Tables compared at once. Default 2. */
  concurrency?: number;
  /** Source rows read per second across all tables. Default unlimited. */
  rowsPerSecond?: number;
  signal?: AbortSignal;
  /** Opens a source by URL (default: by scheme through {@link connectors}, as `cdc diff` does). */
  openSource?: (url: string) => Promise<ScanSource>;
  /** The connector registry (built-ins and plugins). Default: the built-in adapters. */
  connectors?: ConnectorRegistry;
  /**
   * Resolved secret values, masked in the error texts stored for failed tables (differences are stored
   * as read). URL passwords are masked without it.
   */
  secrets?: SecretRedactor;
}

/** The configured tables to reconcile: `reconcile.tables` if set, else every embedded pipeline table. */
export function reconcilePairs(config: CdcConfig): ReconcilePair[] {
  const pairs: ReconcilePair[] = [];
  for (const pipeline of embeddedPipelines(config)) {
    for (const t of pipelineTables(pipeline)) {
      pairs.push({
        pipeline: pipeline.name,
        sourceConnection: pipeline.source,
        targetConnection: pipeline.target,
        source: t.table,
        target: t.transform?.target ?? t.table,
        ...(t.key ? { key: t.key } : {}),
        ...(t.transform?.includeColumns ? { columns: t.transform.includeColumns } : {}),
        ...(t.jsonColumns ? { jsonColumns: t.jsonColumns } : {}),
        // Masked columns hold other values in the target by design: never compared (nor stored as a difference).
        ...(t.transform?.excludeColumns || t.transform?.mask
          ? {
              excludeColumns: [...(t.transform.excludeColumns ?? []), ...Object.keys(t.transform.mask ?? {})],
            }
          : {}),
      });
    }
  }
  const only = config.reconcile?.tables;
  if (!only) return pairs;
  const wanted = only.map((name) => formatTableName(parseTableName(name)));
  const selected = pairs.filter((p) => wanted.includes(formatTableName(p.source)));
  const unknown = wanted.filter((w) => !pairs.some((p) => formatTableName(p.source) === w));
  if (unknown.length > 0) {
    throw new CdcError(
      'CONFIG_INVALID',
      `reconcile.tables names table(s) no pipeline has: ${unknown.join(', ')}`,
      {
        hint: 'list source tables of pipelines[].tables',
      },
    );
  }
  return selected;
}

function columnsFor(pair: ReconcilePair, sourceColumns: string[], key: string[], targetColumns: string[]) {
  if (!pair.columns && !pair.excludeColumns) return undefined;
  const excluded = new Set(pair.excludeColumns ?? []);
  const base = pair.columns ?? sourceColumns.filter((c) => targetColumns.includes(c));
  return base.filter((c) => !key.includes(c) && !excluded.has(c));
}

/** Runs one reconciliation of every configured table; resolves with per-target outcomes. */
export async function runReconciliation(options: ReconcileJobOptions): Promise<ReconcileRunOutcome[]> {
  const { config, logger, metrics } = options;
  const settings = config.reconcile ?? {};
  const limiter = options.rowsPerSecond ? new RowRateLimiter(options.rowsPerSecond) : undefined;
  const connectors = options.openSource
    ? undefined
    : (options.connectors ?? (await createConnectorRegistry()));
  const openSource =
    options.openSource ??
    ((url: string) => connectors!.openScanSource(url, { applicationName: 'cdc-reconcile' }));
  const byTarget = new Map<string, ReconcilePair[]>();
  for (const pair of reconcilePairs(config)) {
    byTarget.set(pair.targetConnection, [...(byTarget.get(pair.targetConnection) ?? []), pair]);
  }
  const outcomes: ReconcileRunOutcome[] = [];
  for (const [targetName, pairs] of byTarget) {
    const targetConn = config.connections[targetName]!;
    const target = connectPostgres({
      url: urlWithPassword(targetConn.url, targetConn.password),
      applicationName: 'cdc-reconcile',
    });
    try {
      const store = await PostgresResultStore.open(target);
      const runId = await store.startRun({
        kind: 'reconcile',
        target: redactUrl(targetConn.url),
        options: { scheduled: true, ...settings, tables: pairs.map((p) => formatTableId(p.source)) },
      });
      logger.info({ runId, tables: pairs.length, target: targetName }, 'scheduled reconciliation started');
      const tables = await mapLimit(
        pairs,
        Math.max(1, options.concurrency ?? 2),
        async (pair): Promise<ReconcileTableOutcome> => {
          const label = formatTableId(pair.source);
          const started = performance.now();
          let source: ScanSource | undefined;
          try {
            options.signal?.throwIfAborted();
            const sourceConn = config.connections[pair.sourceConnection]!;
            const raw = await openSource(urlWithPassword(sourceConn.url, sourceConn.password));
            source = limiter ? throttleSource(raw, limiter) : raw;
            const keyOption = pair.key ? { key: pair.key } : undefined;
            const sourceSchema = await source.introspect(pair.source, keyOption);
            const targetSchema = await target.introspect(pair.target, { key: sourceSchema.primaryKey });
            const columns = columnsFor(
              pair,
              sourceSchema.columns.map((c) => c.name),
              sourceSchema.primaryKey,
              targetSchema.columns.map((c) => c.name),
            );
            const result: DiffResult = await diffTables({
              source: { source, table: sourceSchema },
              target: { source: target, table: targetSchema },
              algorithm: settings.algorithm ?? 'auto',
              maxDiffs: settings.maxDiffs ?? 1000,
              ...(settings.threads !== undefined ? { concurrency: settings.threads } : {}),
              ...(columns ? { columns } : {}),
              ...(pair.jsonColumns
                ? { policies: Object.fromEntries(pair.jsonColumns.map((c) => [c, { json: true }])) }
                : {}),
              ...(options.signal ? { signal: options.signal } : {}),
            });
            const seconds = (performance.now() - started) / 1000;
            // With the differences themselves, as `cdc reconcile run` records them: reports and
            // `cdc repair --run` read scheduled runs the same way.
            await recordDiffResult(store, runId, result, Math.round(seconds * 1000));
            metrics.reconcileDurationSeconds.observe({ table: label }, seconds);
            const compared =
              result.counts.source > result.counts.target ? result.counts.source : result.counts.target;
            metrics.reconcileRowsCompared.inc({ table: label }, Number(compared));
            for (const kind of ['missing', 'extra', 'mismatched'] as const) {
              metrics.reconcileDifferences.set({ table: label, kind }, result.summary[kind]);
            }
            metrics.reconcileDifferences.set({ table: label, kind: 'failed' }, 0);
            metrics.reconcileLastSuccess.set({ table: label }, Date.now() / 1000);
            logger.info(
              { runId, table: label, status: result.status, ...result.summary },
              'table reconciled',
            );
            return { table: label, status: result.status, ...result.summary };
          } catch (error) {
            // A driver error may echo a connection string; `cdc status` and reports print it as stored.
            const message = redactText(describeError(error), options.secrets);
            // Recorded where operators look: the run history, a metric, and the log.
            await store
              .recordTableResult(runId, {
                sourceTable: JSON.stringify(pair.source),
                targetTable: JSON.stringify(pair.target),
                strategy: 'none',
                missing: 0,
                extra: 0,
                mismatched: 0,
                durationMs: Math.round(performance.now() - started),
                error: message,
              })
              .catch((e: unknown) =>
                logger.error({ err: e, table: label }, 'could not record a reconcile failure'),
              );
            metrics.reconcileDifferences.set({ table: label, kind: 'failed' }, 1);
            logger.error({ runId, table: label, error: message }, 'table reconciliation failed');
            return { table: label, status: 'failed', missing: 0, extra: 0, mismatched: 0, error: message };
          } finally {
            await source?.close().catch(() => undefined);
          }
        },
      );
      const failed = tables.some((t) => t.status === 'failed');
      const differs = tables.some((t) => t.status === 'differences');
      const status = failed ? 'failed' : differs ? 'differences' : 'in-sync';
      await store.finishRun(runId, {
        status,
        summary: { tables },
        ...(failed ? { error: `${tables.filter((t) => t.status === 'failed').length} table(s) failed` } : {}),
      });
      logger.info({ runId, status }, 'scheduled reconciliation finished');
      outcomes.push({ runId, target: targetName, status, tables });
    } finally {
      await target.close();
    }
  }
  return outcomes;
}

/** Maps with at most `limit` calls in flight, keeping input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
