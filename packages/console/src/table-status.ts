/**
 * Per replicated table, where replication stands — snapshot state, position, lag behind the source,
 * when a batch was last applied, the last reconciliation, the always-on verification mark and dead
 * letters — read from the target's `cdc_meta` and, for PostgreSQL sources, the source's replication slot
 * (SQL Server and ScyllaDB sources are not contacted: positions come from the target alone).
 * `cdc status` and the worker's `GET /api/v1/status` both read it here.
 */
import { sourceConnectorOf, urlWithPassword, type ConnectorRegistry } from '@cdc/connectors';
import {
  describeError,
  formatTableId,
  isSnapshotDone,
  pipelineTables,
  pipelineSlotName,
  snapshotPartition,
  type CdcConfig,
  type PipelineConfig,
  type TableId,
} from '@cdc/core';
import { connectPostgres, parseLsn, type PostgresAdapter } from '@cdc/postgres';
import { decodeGroupPosition, snapshotStartMs } from '@cdc/scylla';
import { formatPosition, snapshotFloors } from '@cdc/sqlserver';

/** One table's replication status. */
export interface TableStatus {
  pipeline: string;
  table: string;
  target: string;
  snapshot: 'done' | 'running' | 'none';
  position: string | null;
  /** Bytes of source WAL not yet applied (PostgreSQL sources), when the source is reachable. */
  lagBytes: string | null;
  lastAppliedAt: string | null;
  lastReconcile: {
    at: string;
    status: string;
    missing: string;
    extra: string;
    mismatched: string;
    error: string | null;
  } | null;
  deadLetters: number;
  /**
   * Differences found per run over time, oldest first (the last {@link DRIFT_HISTORY_SIZE} reconciliation
   * or verification results of the table).
   */
  drift: DriftPoint[];
  /** Always-on verification, as the worker stored it (null: never verified). */
  verification: TableVerification | null;
  /** Why part of the status could not be read (e.g. the source is unreachable). */
  notes: string[];
}

/** One table result in the drift history. */
export interface DriftPoint {
  runId: string;
  /** `reconcile` or `verify` (differences always-on verification confirmed). */
  kind: string;
  at: string;
  missing: number;
  extra: number;
  mismatched: number;
  /** The comparison failed (`error` of the table result, redacted). */
  failed: boolean;
}

/** How many past results {@link TableStatus.drift} keeps. */
export const DRIFT_HISTORY_SIZE = 30;

/** A table's always-on verification, from `cdc_meta.verification` (`docs/verification.md`). */
export interface TableVerification {
  /** Start of the last complete sweep: every row present then and unchanged since was found equal. */
  verifiedThrough: string | null;
  lastCompleteSweepFinishedAt: string | null;
  /** The running sweep: its cycle and segments done of all. */
  sweep: { cycle: number; segmentsDone: number; segmentsTotal: number };
  /** Changes committed before this were verified by key (as of `updatedAt`). */
  changedVerifiedThrough: string | null;
  /** Seconds between `changedVerifiedThrough` and `updatedAt`: how far changed-key verification was behind. */
  changedLagSeconds: number | null;
  /** Differences verification confirmed (changed keys and sweep). */
  differences: string;
  updatedAt: string;
}

async function metaExists(target: PostgresAdapter): Promise<boolean> {
  const [row] = await target.query<{ present: boolean }>(
    "SELECT to_regclass('cdc_meta.checkpoints') IS NOT NULL AS present",
  );
  return row?.present === true;
}

async function sourceLsn(
  redact: (text: string) => string,
  config: CdcConfig,
  pipeline: PipelineConfig,
  engine: string,
) {
  const conn = config.connections[pipeline.source]!;
  if (engine !== 'postgres') return { lsn: undefined, note: undefined };
  const adapter = connectPostgres({ url: urlWithPassword(conn.url, conn.password) });
  try {
    const [row] = await adapter.query<{ lsn: string; slot: boolean }>(
      `SELECT pg_current_wal_lsn()::text AS lsn,
              EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS slot`,
      [pipelineSlotName(pipeline)],
    );
    const note = row?.slot ? undefined : `replication slot ${pipelineSlotName(pipeline)} does not exist`;
    return { lsn: row?.lsn, note };
  } catch (error) {
    return { lsn: undefined, note: `source not reachable: ${redact(describeError(error))}` };
  } finally {
    await adapter.close();
  }
}

/** What {@link collectTableStatus} reads with. */
export interface CollectTableStatusOptions {
  config: CdcConfig;
  /** The pipelines whose tables to report (embedded pipelines of `config`). */
  pipelines: readonly PipelineConfig[];
  /** The connector registry (URL schemes to adapters) the apps share. */
  connectors: ConnectorRegistry;
  /** Masks secrets in error texts (stored errors, unreachable sources). */
  redact: (text: string) => string;
}

/**
 * Collects the status of every table of the given pipelines from the target's `cdc_meta` and, for
 * PostgreSQL sources, the source's replication slot. Unreachable parts become `notes`, never errors.
 */
export async function collectTableStatus(options: CollectTableStatusOptions): Promise<TableStatus[]> {
  const { config, pipelines, connectors, redact } = options;
  const out: TableStatus[] = [];
  for (const pipeline of pipelines) {
    const targetConn = config.connections[pipeline.target]!;
    const target = connectPostgres({ url: urlWithPassword(targetConn.url, targetConn.password) });
    try {
      const hasMeta = await metaExists(target);
      const checkpoints = new Map<string, { position: string; updated: string }>();
      if (hasMeta) {
        const rows = await target.query<{ partition: string; position: string; updated_at: Date }>(
          'SELECT partition, position, updated_at FROM cdc_meta.checkpoints WHERE pipeline = $1',
          [pipeline.name],
        );
        for (const r of rows) {
          checkpoints.set(r.partition, {
            position: r.position,
            updated: new Date(r.updated_at).toISOString(),
          });
        }
      }
      const sourceConn = config.connections[pipeline.source]!;
      const connector = sourceConnectorOf(connectors, pipeline, {
        name: pipeline.source,
        url: sourceConn.url,
      });
      const engine = connector.name;
      const defaultSchema = connector.defaultSchema?.(sourceConn.url);
      const stream = checkpoints.get('*');
      const { lsn, note } = await sourceLsn(redact, config, pipeline, engine);
      let lagBytes: string | null = null;
      if (lsn && stream) {
        try {
          const behind = parseLsn(lsn) - parseLsn(stream.position.split('#')[0]!);
          lagBytes = (behind > 0n ? behind : 0n).toString();
        } catch {
          lagBytes = null;
        }
      }
      const positions = new Map([...checkpoints].map(([k, v]) => [k, v.position]));
      const verifications = hasMeta ? await verificationOf(target, pipeline.name) : new Map();
      for (const t of pipelineTables(pipeline)) {
        const sourceId: TableId = {
          ...((t.table.schema ?? defaultSchema) ? { schema: t.table.schema ?? defaultSchema } : {}),
          name: t.table.name,
        };
        const targetId: TableId = t.transform?.target ?? {
          schema: t.table.schema ?? 'public',
          name: t.table.name,
        };
        const snap = checkpoints.get(snapshotPartition(sourceId));
        const streamed = tableStream(engine, sourceId, checkpoints) ?? stream;
        const status: TableStatus = {
          pipeline: pipeline.name,
          table: formatTableId(t.table),
          target: formatTableId(targetId),
          snapshot: isSnapshotDone(positions, sourceId) ? 'done' : snap ? 'running' : 'none',
          position: streamed?.position ?? null,
          lagBytes,
          lastAppliedAt: streamed?.updated ?? null,
          lastReconcile: null,
          deadLetters: 0,
          drift: [],
          verification: null,
          notes: note ? [note] : [],
        };
        if (!hasMeta) status.notes.push('the target has no cdc_meta schema yet (nothing replicated)');
        else {
          const [dl] = await target.query<{ n: string }>(
            'SELECT count(*)::text AS n FROM cdc_meta.dead_letters WHERE pipeline = $1 AND target_table = $2',
            [pipeline.name, formatTableId(targetId)],
          );
          status.deadLetters = Number(dl?.n ?? 0);
          const [rec] = await target.query<{
            finished: Date | null;
            status: string;
            missing: string;
            extra: string;
            mismatched: string;
            error: string | null;
          }>(
            `SELECT coalesce(r.finished_at, r.started_at) AS finished, r.status, tr.missing::text,
                    tr.extra::text, tr.mismatched::text, tr.error
               FROM cdc_meta.table_results tr JOIN cdc_meta.runs r ON r.id = tr.run_id
              WHERE ${TARGET_TABLE_MATCH}
              ORDER BY tr.id DESC LIMIT 1`,
            [targetId.name, targetId.schema ?? 'public'],
          );
          status.verification = verifications.get(formatTableId(t.table)) ?? null;
          status.drift = await driftOf(target, targetId);
          if (rec) {
            const differs = Number(rec.missing) + Number(rec.extra) + Number(rec.mismatched) > 0;
            status.lastReconcile = {
              at: rec.finished ? new Date(rec.finished).toISOString() : '',
              status: rec.error ? 'failed' : differs ? 'differences' : 'in-sync',
              missing: rec.missing,
              extra: rec.extra,
              mismatched: rec.mismatched,
              // Stored by cdc or the worker (possibly an older version): masked like any error text.
              error: rec.error === null ? null : redact(rec.error),
            };
          }
        }
        out.push(status);
      }
    } finally {
      await target.close();
    }
  }
  return out;
}

/** The stored verification marks of a pipeline's tables, by source table as configured. */
async function verificationOf(
  target: PostgresAdapter,
  pipeline: string,
): Promise<Map<string, TableVerification>> {
  const [present] = await target.query<{ present: boolean }>(
    "SELECT to_regclass('cdc_meta.verification') IS NOT NULL AS present",
  );
  if (!present?.present) return new Map();
  const rows = await target.query<{
    source_table: string;
    cycle: number;
    next_segment: number;
    segments: number;
    last_complete_started_at: Date | null;
    last_complete_finished_at: Date | null;
    changed_verified_through: Date | null;
    differences: string;
    updated_at: Date;
  }>(
    `SELECT source_table, cycle, next_segment, coalesce(jsonb_array_length(segments), 0) AS segments,
            last_complete_started_at, last_complete_finished_at, changed_verified_through,
            (sweep_differences + changed_differences)::text AS differences, updated_at
       FROM cdc_meta.verification WHERE pipeline = $1`,
    [pipeline],
  );
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return new Map(
    rows.map((r) => [
      r.source_table,
      {
        verifiedThrough: iso(r.last_complete_started_at),
        lastCompleteSweepFinishedAt: iso(r.last_complete_finished_at),
        sweep: { cycle: r.cycle, segmentsDone: r.next_segment, segmentsTotal: Number(r.segments) },
        changedVerifiedThrough: iso(r.changed_verified_through),
        changedLagSeconds: r.changed_verified_through
          ? Math.max(
              0,
              (new Date(r.updated_at).getTime() - new Date(r.changed_verified_through).getTime()) / 1000,
            )
          : null,
        differences: r.differences,
        updatedAt: new Date(r.updated_at).toISOString(),
      },
    ]),
  );
}

/**
 * Where the change stream of one table stands, for sources that do not keep one stream position (`*`):
 * SQL Server before its first streamed batch (the table's snapshot position), ScyllaDB always (one
 * position per CDC stream group: the oldest group's consumed-up-to time, and how many groups).
 */
export function tableStream(
  engine: string,
  table: TableId,
  checkpoints: ReadonlyMap<string, { position: string; updated: string }>,
): { position: string; updated: string } | undefined {
  if (engine === 'sqlserver') {
    if (checkpoints.has('*')) return undefined;
    const positions = new Map([...checkpoints].map(([p, v]) => [p, v.position]));
    const floor = snapshotFloors(positions, [table]).values().next().value;
    if (!floor) return undefined;
    const position = formatPosition(floor);
    const entry = [...checkpoints.values()].find((v) => v.position === position);
    return { position, updated: entry?.updated ?? '' };
  }
  if (engine !== 'scylla') return undefined;
  const prefix = `${formatTableId(table)}#`;
  let oldest: number | undefined;
  let updated = '';
  let groups = 0;
  for (const [partition, value] of checkpoints) {
    if (!partition.startsWith(prefix) || /#start(@|$)/.test(partition)) continue;
    try {
      const w = decodeGroupPosition(value.position).w;
      oldest = oldest === undefined ? w : Math.min(oldest, w);
      groups++;
      if (value.updated > updated) updated = value.updated;
    } catch {
      // not a stream-group position
    }
  }
  if (oldest === undefined) {
    const start = snapshotStartMs(
      new Map([...checkpoints].map(([p, v]) => [p, v.position])),
      formatTableId(table),
    );
    return start === undefined
      ? undefined
      : { position: `snapshot start ${new Date(start).toISOString()}`, updated: '' };
  }
  return {
    position: `${groups} stream group(s), all consumed up to ${new Date(oldest).toISOString()}`,
    updated,
  };
}

/** The SQL condition matching a stored `target_table` (a JSON table id) to `targetId`; parameters $1, $2. */
const TARGET_TABLE_MATCH = `tr.target_table LIKE '{%'
                AND tr.target_table::jsonb ->> 'name' = $1
                AND coalesce(tr.target_table::jsonb ->> 'schema', 'public') = $2`;

async function driftOf(target: PostgresAdapter, targetId: TableId): Promise<DriftPoint[]> {
  const rows = await target.query<{
    run_id: string;
    kind: string;
    at: Date;
    missing: string;
    extra: string;
    mismatched: string;
    failed: boolean;
  }>(
    `SELECT r.id::text AS run_id, r.kind, r.started_at AS at, tr.missing::text, tr.extra::text,
            tr.mismatched::text, tr.error IS NOT NULL AS failed
       FROM cdc_meta.table_results tr JOIN cdc_meta.runs r ON r.id = tr.run_id
      WHERE ${TARGET_TABLE_MATCH}
      ORDER BY tr.id DESC LIMIT ${DRIFT_HISTORY_SIZE}`,
    [targetId.name, targetId.schema ?? 'public'],
  );
  return rows.reverse().map((r) => ({
    runId: r.run_id,
    kind: r.kind,
    at: new Date(r.at).toISOString(),
    missing: Number(r.missing),
    extra: Number(r.extra),
    mismatched: Number(r.mismatched),
    failed: r.failed,
  }));
}
