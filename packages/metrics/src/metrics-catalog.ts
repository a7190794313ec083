/**
 * The cdc metric catalog: every Prometheus metric cdc exposes, its type, help text and labels, in one
 * list that creates the metrics, documents them (`docs/metrics.md`) and is checked against the alert
 * rules and Grafana dashboards in tests.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One entry of the catalog. */
export interface MetricDefinition {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

/** Every cdc metric (default process metrics come on top, from prom-client). */
export const METRIC_CATALOG = [
  {
    name: 'cdc_replication_applied_changes_total',
    type: 'counter',
    help: 'Change events applied to the target, by pipeline, table and operation (insert, update, delete).',
    labelNames: ['pipeline', 'table', 'op'],
  },
  {
    name: 'cdc_replication_apply_batch_seconds',
    type: 'histogram',
    help: 'Time to apply one batch and its checkpoint in one target transaction.',
    labelNames: ['pipeline'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  },
  {
    name: 'cdc_replication_lag_seconds',
    type: 'gauge',
    help: 'Seconds between the source commit of the last applied change and its apply, per pipeline and table.',
    labelNames: ['pipeline', 'table'],
  },
  {
    name: 'cdc_replication_dead_letters_total',
    type: 'counter',
    help: 'Change events that could not be applied and were written to cdc_meta.dead_letters.',
    labelNames: ['pipeline', 'table'],
  },
  {
    name: 'cdc_replication_heartbeat_timestamp_seconds',
    type: 'gauge',
    help: "Unix time of the pipeline loop's last completed poll or apply; advances even when the source is idle.",
    labelNames: ['pipeline'],
  },
  {
    name: 'cdc_reconcile_rows_compared_total',
    type: 'counter',
    help: 'Rows compared by reconciliation runs (counted once per row pair), per table.',
    labelNames: ['table'],
  },
  {
    name: 'cdc_reconcile_differences',
    type: 'gauge',
    help: 'Differences found by the last reconciliation run, per table and kind (missing, extra, mismatched).',
    labelNames: ['table', 'kind'],
  },
  {
    name: 'cdc_reconcile_duration_seconds',
    type: 'histogram',
    help: 'Duration of reconciliation runs per table.',
    labelNames: ['table'],
    buckets: [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  },
  {
    name: 'cdc_reconcile_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'Unix time at which the last reconciliation run of the table completed successfully.',
    labelNames: ['table'],
  },
  {
    name: 'cdc_repair_actions_total',
    type: 'counter',
    help: 'Repair statements by table, action (insert, update, delete) and outcome (applied, skipped, failed).',
    labelNames: ['table', 'action', 'outcome'],
  },
  {
    name: 'cdc_verify_rows_total',
    type: 'counter',
    help: 'Rows compared by always-on verification, per pipeline, table and mode (changed: keys of committed batches; sweep: the continuous sweep).',
    labelNames: ['pipeline', 'table', 'mode'],
  },
  {
    name: 'cdc_verify_differences_total',
    type: 'counter',
    help: 'Differences always-on verification confirmed (after the live re-check) and stored in cdc_meta, per pipeline, table, mode and kind (missing, extra, mismatched).',
    labelNames: ['pipeline', 'table', 'mode', 'kind'],
  },
  {
    name: 'cdc_verify_sweep_progress_ratio',
    type: 'gauge',
    help: 'Share of the current sweep cycle of the table done (segments done / segments), 0 to 1.',
    labelNames: ['pipeline', 'table'],
  },
  {
    name: 'cdc_verify_last_complete_sweep_timestamp_seconds',
    type: 'gauge',
    help: "Unix time at which the table's last complete sweep started: its verified-through mark.",
    labelNames: ['pipeline', 'table'],
  },
  {
    name: 'cdc_verify_queue_depth',
    type: 'gauge',
    help: 'Changed keys waiting for verification, per pipeline.',
    labelNames: ['pipeline'],
  },
  {
    name: 'cdc_verify_sampled_total',
    type: 'counter',
    help: 'Changed keys not verified by key under pressure (a full queue samples) or not verifiable by key; the sweep covers them.',
    labelNames: ['pipeline', 'table'],
  },
  {
    name: 'cdc_vault_healthy',
    type: 'gauge',
    help: '1 when the last Vault health check found Vault usable (unsealed, active or standby), else 0.',
    labelNames: [],
  },
] as const satisfies readonly MetricDefinition[];

/** Names of the catalog's metrics. */
export type CdcMetricName = (typeof METRIC_CATALOG)[number]['name'];

type Labels<N extends CdcMetricName> = Extract<
  (typeof METRIC_CATALOG)[number],
  { name: N }
>['labelNames'][number];

/** The catalog's metrics, typed by their labels. */
export interface CdcMetrics {
  readonly registry: Registry;
  readonly replicationAppliedChanges: Counter<Labels<'cdc_replication_applied_changes_total'>>;
  readonly replicationApplyBatchSeconds: Histogram<Labels<'cdc_replication_apply_batch_seconds'>>;
  readonly replicationLagSeconds: Gauge<Labels<'cdc_replication_lag_seconds'>>;
  readonly replicationDeadLetters: Counter<Labels<'cdc_replication_dead_letters_total'>>;
  readonly replicationHeartbeat: Gauge<Labels<'cdc_replication_heartbeat_timestamp_seconds'>>;
  readonly reconcileRowsCompared: Counter<Labels<'cdc_reconcile_rows_compared_total'>>;
  readonly reconcileDifferences: Gauge<Labels<'cdc_reconcile_differences'>>;
  readonly reconcileDurationSeconds: Histogram<Labels<'cdc_reconcile_duration_seconds'>>;
  readonly reconcileLastSuccess: Gauge<Labels<'cdc_reconcile_last_success_timestamp_seconds'>>;
  readonly repairActions: Counter<Labels<'cdc_repair_actions_total'>>;
  readonly verifyRows: Counter<Labels<'cdc_verify_rows_total'>>;
  readonly verifyDifferences: Counter<Labels<'cdc_verify_differences_total'>>;
  readonly verifySweepProgress: Gauge<Labels<'cdc_verify_sweep_progress_ratio'>>;
  readonly verifyLastCompleteSweep: Gauge<Labels<'cdc_verify_last_complete_sweep_timestamp_seconds'>>;
  readonly verifyQueueDepth: Gauge<Labels<'cdc_verify_queue_depth'>>;
  readonly verifySampled: Counter<Labels<'cdc_verify_sampled_total'>>;
  readonly vaultHealthy: Gauge;
}

/** Options of {@link createCdcMetrics}. */
export interface CdcMetricsOptions {
  /** Registry to register into. Default: a new one (not prom-client's global registry). */
  registry?: Registry;
  /** Collect prom-client's default process and Node.js metrics. Default `true`. */
  defaultMetrics?: boolean;
  /** Labels added to every series (e.g. `{ instance_role: 'worker' }`). */
  defaultLabels?: Record<string, string>;
}

/**
 * Creates the catalog's metrics in a registry.
 *
 * @example
 * ```ts
 * const metrics = createCdcMetrics();
 * metrics.replicationAppliedChanges.inc({ pipeline: 'orders', table: 'dbo.orders', op: 'insert' }, 500);
 * ```
 */
export function createCdcMetrics(options: CdcMetricsOptions = {}): CdcMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const def = (name: CdcMetricName): MetricDefinition => {
    const found = METRIC_CATALOG.find((m) => m.name === name);
    if (!found) throw new Error(`metric ${name} is not in the catalog`);
    return found;
  };
  const counter = <L extends string>(name: CdcMetricName): Counter<L> => {
    const d = def(name);
    return new Counter<L>({ name, help: d.help, labelNames: d.labelNames as L[], registers: [registry] });
  };
  const gauge = <L extends string>(name: CdcMetricName): Gauge<L> => {
    const d = def(name);
    return new Gauge<L>({ name, help: d.help, labelNames: d.labelNames as L[], registers: [registry] });
  };
  const histogram = <L extends string>(name: CdcMetricName): Histogram<L> => {
    const d = def(name);
    return new Histogram<L>({
      name,
      help: d.help,
      labelNames: d.labelNames as L[],
      buckets: [...(d.buckets ?? [])],
      registers: [registry],
    });
  };
  return {
    registry,
    replicationAppliedChanges: counter('cdc_replication_applied_changes_total'),
    replicationApplyBatchSeconds: histogram('cdc_replication_apply_batch_seconds'),
    replicationLagSeconds: gauge('cdc_replication_lag_seconds'),
    replicationDeadLetters: counter('cdc_replication_dead_letters_total'),
    replicationHeartbeat: gauge('cdc_replication_heartbeat_timestamp_seconds'),
    reconcileRowsCompared: counter('cdc_reconcile_rows_compared_total'),
    reconcileDifferences: gauge('cdc_reconcile_differences'),
    reconcileDurationSeconds: histogram('cdc_reconcile_duration_seconds'),
    reconcileLastSuccess: gauge('cdc_reconcile_last_success_timestamp_seconds'),
    repairActions: counter('cdc_repair_actions_total'),
    verifyRows: counter('cdc_verify_rows_total'),
    verifyDifferences: counter('cdc_verify_differences_total'),
    verifySweepProgress: gauge('cdc_verify_sweep_progress_ratio'),
    verifyLastCompleteSweep: gauge('cdc_verify_last_complete_sweep_timestamp_seconds'),
    verifyQueueDepth: gauge('cdc_verify_queue_depth'),
    verifySampled: counter('cdc_verify_sampled_total'),
    vaultHealthy: gauge('cdc_vault_healthy'),
  };
}
