/**
 * The versioned status document: what `cdc status --format json` prints and the worker serves at
 * `GET /api/v1/status` (`docs/api.md`, JSON Schema `docs/api/status.schema.json`). Fields are only added
 * within a version; removing or changing one bumps {@link STATUS_DOCUMENT_VERSION}.
 */
import type { VerifyStatus } from '@cdc/core';
import { listRepairs } from './table-differences.js';
import { collectTableStatus, type CollectTableStatusOptions, type TableStatus } from './table-status.js';

/** Version of {@link StatusDocument}. */
export const STATUS_DOCUMENT_VERSION = 1;

/** A pipeline's state: `unknown` when the producer does not run pipelines (`cdc status`). */
export type PipelineRunState = 'starting' | 'running' | 'stopped' | 'failed' | 'unknown';

/** One sample of a pipeline's replication lag. */
export interface LagSample {
  /** When the batch was applied (ISO). */
  at: string;
  /** Source commit to target apply, seconds. */
  seconds: number;
}

/** One pipeline in the status document. */
export interface StatusPipeline {
  name: string;
  state: PipelineRunState;
  error?: string;
  /** Live always-on verification (the worker's); `null` while it starts, when disabled, or from `cdc status`. */
  verification: Omit<VerifyStatus, 'pipeline'> | null;
  /** Lag of the last applied batch, seconds (worker only; `null` before the first batch with a source time). */
  lagSeconds?: number | null;
  /** Recent lag samples, oldest first, at most {@link LAG_HISTORY_SIZE} (worker only). */
  lagHistory?: LagSample[];
  /** Changes applied per second over the last minute (worker only). */
  changesPerSecond?: number;
  /** Changes applied since the worker started (worker only). */
  appliedChanges?: number;
}

/** One audited repair from `cdc_meta.repairs`. */
export interface RepairStatus {
  id: string;
  /** The run the repair came from (reconciliation or verification), when recorded. */
  runId: string | null;
  targetTable: string;
  mode: 'script' | 'apply';
  statements: string;
  rowsChanged: string;
  guardsFailed: string;
  at: string;
}

/** The status document. */
export interface StatusDocument {
  version: typeof STATUS_DOCUMENT_VERSION;
  /** Who produced it: the worker's API or the `cdc status` command. */
  service: 'cdc-worker' | 'cdc';
  generatedAt: string;
  pipelines: StatusPipeline[];
  /** Every replicated table of every pipeline (see {@link TableStatus}). */
  tables: TableStatus[];
  /** The most recent repairs of the pipelines' targets, newest first. */
  repairs: RepairStatus[];
}

/** How many lag samples a pipeline keeps for its sparkline. */
export const LAG_HISTORY_SIZE = 120;

/** Assembles a {@link StatusDocument}. */
export function statusDocument(parts: {
  service: StatusDocument['service'];
  pipelines: StatusPipeline[];
  tables: TableStatus[];
  repairs: RepairStatus[];
  now?: Date;
}): StatusDocument {
  return {
    version: STATUS_DOCUMENT_VERSION,
    service: parts.service,
    generatedAt: (parts.now ?? new Date()).toISOString(),
    pipelines: parts.pipelines,
    tables: parts.tables,
    repairs: parts.repairs,
  };
}

/** The text table of `cdc status`: one line per table, then notes. */
export function renderStatusText(doc: Pick<StatusDocument, 'tables'>): string {
  const rows = doc.tables;
  const header = [
    'pipeline',
    'table',
    'snapshot',
    'position',
    'lag',
    'last applied',
    'last reconcile',
    'verified through',
    'dead letters',
  ];
  const lines = rows.map((r) => [
    r.pipeline,
    r.table === r.target ? r.table : `${r.table} → ${r.target}`,
    r.snapshot,
    r.position ?? '-',
    r.lagBytes === null ? '-' : `${r.lagBytes} B`,
    r.lastAppliedAt ?? '-',
    r.lastReconcile ? `${r.lastReconcile.status} (${r.lastReconcile.at})` : '-',
    verifiedText(r.verification),
    String(r.deadLetters),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const notes = rows.flatMap((r) => r.notes.map((n) => `note: ${r.pipeline}/${r.table}: ${n}`));
  return [fmt(header), ...lines.map(fmt), ...[...new Set(notes)]].join('\n');
}

/** `2025-03-01T09:12:00.000Z (sweep 3/20, 0 differences)`, or `-` when never verified. */
function verifiedText(v: TableStatus['verification']): string {
  if (!v) return '-';
  const sweep =
    v.sweep.segmentsTotal > 0 ? `sweep ${v.sweep.segmentsDone}/${v.sweep.segmentsTotal}` : 'no sweep yet';
  return `${v.verifiedThrough ?? 'not yet'} (${sweep}, ${v.differences} difference(s))`;
}

/** Options of {@link collectStatusDocument}. */
export interface CollectStatusDocumentOptions extends CollectTableStatusOptions {
  service: StatusDocument['service'];
  /** Live pipeline states (the worker's); default every pipeline of `pipelines` with state `unknown`. */
  live?: StatusPipeline[];
  now?: Date;
}

/** Reads tables and repairs from the targets and assembles the {@link StatusDocument}. */
export async function collectStatusDocument(options: CollectStatusDocumentOptions): Promise<StatusDocument> {
  const tables = await collectTableStatus(options);
  const repairs = await listRepairs(options.config, options.pipelines);
  const pipelines =
    options.live ??
    options.pipelines.map((p): StatusPipeline => ({ name: p.name, state: 'unknown', verification: null }));
  return statusDocument({
    service: options.service,
    pipelines,
    tables,
    repairs,
    ...(options.now ? { now: options.now } : {}),
  });
}
