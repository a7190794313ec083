/**
 * The CDC read loop: polls `cdc.*`, checks retention and the Agent on every poll, follows capture-instance
 * rollovers, merges all tables' change tables in log order and yields batches ending at transaction
 * boundaries. Idle polls still advance the position (empty batches), so idle tables never look stale.
 */
import { CdcError, formatTableId, type ChangeBatch, type ChangeOptions, type TableSchema } from '@cdc/core';
import type { SqlServerConfig } from './sqlserver-config.js';
import {
  AGENT_STATUS_SQL,
  CAPTURED_COLUMNS_SQL,
  CAPTURE_INSTANCES_SQL,
  MAX_LSN_SQL,
  agentStateOf,
  agentStoppedError,
  assembleBatches,
  changePageQuery,
  checkRetention,
  mergeChangeStreams,
  renderEnableCdcSql,
  snapshotFloors,
  tableKey,
  timelinesByTable,
  type CaptureInstance,
  type CaptureTimeline,
  type ChangeRecord,
} from './sqlserver-cdc.js';
import type { SqlServerDriver, SqlServerSession } from './sqlserver-driver.js';
import type { SqlServerFlavour } from './sqlserver-flavour.js';
import {
  ZERO_LSN,
  compareLsn,
  comparePosition,
  formatPosition,
  parseLsn,
  parsePosition,
  type Lsn,
  type SqlServerPosition,
} from './sqlserver-lsn.js';
import { decodeSqlServerValue } from './sqlserver-values.js';
import { pollBoundQuery } from './sqlserver-cdc.js';

/** The single merged partition of a SQL Server change stream. */
export const SQLSERVER_PARTITION = '*';

const AGENT_CHECK_EVERY_MS = 30_000;

function lsnOf(value: unknown): Lsn | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Uint8Array) return parseLsn(value);
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Reads the capture instances of the current database (with captured columns). */
export async function loadCaptureInstances(session: SqlServerSession): Promise<CaptureInstance[]> {
  const rows = await session.query(
    { sql: CAPTURE_INSTANCES_SQL, params: {} },
    'listing CDC capture instances',
  );
  const cols = await session.query({ sql: CAPTURED_COLUMNS_SQL, params: {} }, 'listing CDC captured columns');
  const byObject = new Map<number, string[]>();
  for (const c of cols) {
    const id = Number(c.objectId);
    byObject.set(id, [...(byObject.get(id) ?? []), String(c.columnName)]);
  }
  return rows.map((r) => ({
    name: String(r.captureInstance),
    source: { schema: String(r.sourceSchema), name: String(r.sourceTable) },
    startLsn: lsnOf(r.startLsn) ?? ZERO_LSN,
    minLsn: lsnOf(r.minLsn) ?? lsnOf(r.startLsn) ?? ZERO_LSN,
    columns: byObject.get(Number(r.objectId)) ?? [],
  }));
}

/** Reads `sys.fn_cdc_get_max_lsn()` (zero before the first capture). */
export async function readMaxLsn(session: SqlServerSession): Promise<Lsn> {
  const rows = await session.query({ sql: MAX_LSN_SQL, params: {} }, 'reading the CDC maximum LSN');
  return lsnOf(rows[0]?.maxLsn) ?? ZERO_LSN;
}

/** Options of {@link SqlServerChangeStream}. */
export interface SqlServerChangeStreamOptions {
  driver: SqlServerDriver;
  flavour: SqlServerFlavour;
  config: SqlServerConfig;
  database: string;
}

/** Implements `ChangeSource.changes` for SQL Server. */
export class SqlServerChangeStream {
  readonly #o: SqlServerChangeStreamOptions;
  #lastAgentCheck = 0;

  constructor(options: SqlServerChangeStreamOptions) {
    this.#o = options;
  }

  /** Throws `CDC_NOT_ENABLED` with the SQL to run when the server, database or a table lacks CDC. */
  requireCdc(
    tables: readonly TableSchema[],
    timelines: ReadonlyMap<string, CaptureTimeline> | undefined,
  ): void {
    const { flavour, database } = this.#o;
    if (!flavour.supportsCdc) {
      throw new CdcError(
        'CDC_NOT_ENABLED',
        `${flavour.kind === 'babelfish' ? 'Babelfish' : 'This server'} has no change data capture.`,
        {
          hint: 'Scans, introspection and diffs work; replicate from SQL Server itself or use a PostgreSQL logical replication source on the Babelfish cluster.',
        },
      );
    }
    const missing = tables.filter((t) => !timelines?.has(tableKey(t.id)));
    if (missing.length > 0) {
      const sql = renderEnableCdcSql({
        database,
        tables: missing.map((t) => ({ schema: t.id.schema ?? 'dbo', name: t.id.name })),
      });
      throw new CdcError(
        'CDC_NOT_ENABLED',
        `CDC is not enabled for ${missing.map((t) => formatTableId(t.id)).join(', ')} in database ${database}.`,
        {
          hint: `Run cdc sqlserver enable-cdc --config <file> (as sysadmin/db_owner), or this T-SQL:\n${sql}`,
        },
      );
    }
  }

  async #checkAgent(session: SqlServerSession, force: boolean): Promise<void> {
    if (!this.#o.flavour.captureByAgent) return;
    const now = Date.now();
    if (!force && now - this.#lastAgentCheck < AGENT_CHECK_EVERY_MS) return;
    this.#lastAgentCheck = now;
    let rows;
    try {
      rows = await session.query({ sql: AGENT_STATUS_SQL, params: {} }, 'checking SQL Server Agent');
    } catch (error) {
      // Without VIEW SERVER STATE the state is unknown; replication still works when Agent runs.
      if (error instanceof CdcError && error.code === 'PERMISSION_DENIED') return;
      throw error;
    }
    if (agentStateOf(rows) === 'stopped') throw agentStoppedError();
  }

  /** Streams change batches; see the module comment. */
  async *changes(options: ChangeOptions): AsyncGenerator<ChangeBatch> {
    const { driver, config } = this.#o;
    const maxEvents = options.maxBatchEvents ?? 10_000;
    const session = await driver.acquire();
    try {
      let instances = await loadCaptureInstances(session);
      let timelines = timelinesByTable(instances);
      this.requireCdc(options.tables, timelines);
      await this.#checkAgent(session, true);

      // Start: the merged stream's position, else the oldest snapshot position, else now.
      const floors = snapshotFloors(
        options.from,
        options.tables.map((t) => t.id),
      );
      const stored = options.from.get(SQLSERVER_PARTITION);
      let position: SqlServerPosition;
      if (stored) position = parsePosition(stored);
      else if (floors.size > 0) {
        position = [...floors.values()].reduce((a, b) => (comparePosition(a, b) <= 0 ? a : b));
      } else position = { lsn: await readMaxLsn(session) };
      const caughtUpAt = options.untilCaughtUp ? await readMaxLsn(session) : undefined;

      while (!options.signal?.aborted) {
        const maxLsn = await readMaxLsn(session);
        instances = await loadCaptureInstances(session);
        timelines = timelinesByTable(instances);
        this.requireCdc(options.tables, timelines);
        for (const t of options.tables) {
          const timeline = timelines.get(tableKey(t.id)) as CaptureTimeline;
          const floor = floors.get(tableKey(t.id));
          const needed = floor && comparePosition(floor, position) > 0 ? floor : position;
          const instance = timeline.instanceAt(needed.lsn);
          if (instance) checkRetention(t.id, needed, instance.minLsn);
        }

        if (compareLsn(maxLsn, position.lsn) <= 0 && position.seqval === undefined) {
          if (caughtUpAt !== undefined) return;
          await this.#checkAgent(session, false);
          await sleep(config.pollIntervalMs, options.signal);
          continue;
        }

        const bound = await session.query(
          pollBoundQuery(position.lsn, maxLsn, config.maxTransactionsPerPoll),
          'bounding a CDC poll',
        );
        const counted = Number(bound[0]?.n ?? 0);
        const to = counted >= config.maxTransactionsPerPoll ? (lsnOf(bound[0]?.toLsn) ?? maxLsn) : maxLsn;

        const streams = options.tables.map((t) =>
          this.#tableRecords(session, t, timelines.get(tableKey(t.id)) as CaptureTimeline, position, to)[
            Symbol.asyncIterator
          ](),
        );
        let yielded = false;
        for await (const batch of assembleBatches(mergeChangeStreams(streams), { maxEvents, floors })) {
          position = batch.position;
          yielded = true;
          yield {
            partition: SQLSERVER_PARTITION,
            position: formatPosition(position),
            events: batch.events,
            ...(batch.commitMicros === undefined ? {} : { commitTimeMicros: batch.commitMicros }),
          };
          if (options.signal?.aborted) return;
        }
        if (comparePosition(position, { lsn: to }) < 0) {
          // Nothing (more) for our tables up to `to`: advance anyway so idle tables keep a fresh position.
          position = { lsn: to };
          yield { partition: SQLSERVER_PARTITION, position: formatPosition(position), events: [] };
        } else if (!yielded) {
          position = { lsn: to };
        }
        if (caughtUpAt !== undefined && compareLsn(position.lsn, caughtUpAt) >= 0) return;
      }
      if (options.signal?.aborted) throw new CdcError('CANCELLED', 'SQL Server change stream cancelled.');
    } finally {
      driver.release(session);
    }
  }

  /** One table's decoded change records after `after` up to `to`, across its capture instances. */
  async *#tableRecords(
    session: SqlServerSession,
    table: TableSchema,
    timeline: CaptureTimeline,
    after: SqlServerPosition,
    to: Lsn,
  ): AsyncGenerator<ChangeRecord> {
    for (const segment of timeline.segments(after, to)) {
      const captured = new Set(segment.instance.columns);
      const columns = table.columns.filter((c) => captured.has(c.name));
      const partial = columns.length < table.columns.length;
      const missingKey = table.primaryKey.filter((k) => !captured.has(k));
      if (missingKey.length > 0) {
        throw new CdcError(
          'SCHEMA_MISMATCH',
          `Capture instance ${segment.instance.name} of ${formatTableId(table.id)} does not capture key column(s) ${missingKey.join(', ')}.`,
          { hint: 'Re-create the capture instance with every primary-key column captured.' },
        );
      }
      let cursor: SqlServerPosition = after;
      while (true) {
        // Pages are read on the one session and fully buffered (≤ changePageRows rows per table).
        const rows = await session.query(
          changePageQuery({
            captureInstance: segment.instance.name,
            columns,
            after: cursor,
            to,
            before: segment.before,
            limit: this.#o.config.changePageRows,
          }),
          `reading changes of ${formatTableId(table.id)}`,
        );
        for (const r of rows) {
          const lsn = lsnOf(r['__$start_lsn']) as Lsn;
          const seqval = lsnOf(r['__$seqval']) as Lsn;
          const operation = Number(r['__$operation']) as 1 | 2 | 3 | 4;
          const row: Record<string, unknown> = {};
          for (const c of columns) row[c.name] = decodeSqlServerValue(c, r[c.name]);
          const commit = r['__$commit_us'];
          yield {
            table,
            lsn,
            seqval,
            operation,
            row,
            ...(commit === null || commit === undefined ? {} : { commitMicros: BigInt(String(commit)) }),
            ...(partial ? { partial: true } : {}),
          };
          cursor = { lsn, seqval, operation };
        }
        if (rows.length < this.#o.config.changePageRows) break;
      }
    }
  }
}
