/**
 * SQL Server CDC, the pure parts: statements over `cdc.*`, capture-instance timelines (rollover for
 * schema changes), update before/after pairing, the cross-table merge order, retention-gap and Agent
 * checks. The I/O loop lives in `sqlserver-change-stream.ts`.
 */
import {
  CdcError,
  formatTableId,
  type ChangeEvent,
  type Column,
  type Row,
  type TableId,
  type TableSchema,
} from '@cdc/core';
import {
  MAX_LSN,
  compareLsn,
  comparePosition,
  formatLsn,
  incrementLsn,
  lsnToBuffer,
  parsePosition,
  type Lsn,
  type SqlServerPosition,
} from './sqlserver-lsn.js';
import { nString, quoteIdent, selectExpression, type SqlServerQuery } from './sqlserver-sql.js';

// ---------------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------------

/** Every capture instance of the database with its source table and validity start. */
export const CAPTURE_INSTANCES_SQL = `SELECT OBJECT_SCHEMA_NAME(ct.source_object_id) AS sourceSchema,
  OBJECT_NAME(ct.source_object_id) AS sourceTable,
  ct.capture_instance AS captureInstance, ct.object_id AS objectId,
  sys.fn_cdc_get_min_lsn(ct.capture_instance) AS minLsn, ct.start_lsn AS startLsn, ct.create_date AS createDate
FROM cdc.change_tables AS ct
ORDER BY sourceSchema, sourceTable, ct.start_lsn`;

/** Captured columns of every capture instance, in ordinal order. */
export const CAPTURED_COLUMNS_SQL = `SELECT cc.object_id AS objectId, cc.column_name AS columnName, cc.column_ordinal AS ordinal
FROM cdc.captured_columns AS cc
ORDER BY cc.object_id, cc.column_ordinal`;

/** The highest LSN the capture job has written (NULL before the first capture). */
export const MAX_LSN_SQL = 'SELECT sys.fn_cdc_get_max_lsn() AS maxLsn';

/** SQL Server Agent status (4 = running); needs VIEW SERVER STATE. */
export const AGENT_STATUS_SQL = `SELECT CAST(status AS int) AS status, status_desc AS statusDesc
FROM sys.dm_server_services
WHERE servicename LIKE N'SQL Server Agent%'`;

/** Recent capture-job errors (for messages when nothing is captured). */
export const CDC_ERRORS_SQL = `SELECT TOP (3) error_number AS errorNumber, error_message AS errorMessage, entry_time AS entryTime
FROM sys.dm_cdc_errors
ORDER BY entry_time DESC`;

/**
 * The upper LSN of one poll: the commit LSN of the N-th transaction after `from` (idle markers with
 * `tran_id = 0x00` excluded), or `max` when fewer are waiting.
 */
export function pollBoundQuery(from: Lsn, max: Lsn, transactions: number): SqlServerQuery {
  return {
    sql:
      `SELECT MAX(t.start_lsn) AS toLsn, COUNT_BIG(*) AS n\nFROM (\n  SELECT TOP (@n) m.start_lsn\n  FROM cdc.lsn_time_mapping AS m\n` +
      `  WHERE m.start_lsn > @from AND m.start_lsn <= @max AND m.tran_id <> 0x00\n  ORDER BY m.start_lsn\n) AS t`,
    params: {
      n: { type: 'BigInt', value: transactions },
      from: { type: 'Binary', value: lsnToBuffer(from), length: 10 },
      max: { type: 'Binary', value: lsnToBuffer(max), length: 10 },
    },
  };
}

/** Options of {@link changePageQuery}. */
export interface ChangePageOptions {
  captureInstance: string;
  /** Captured columns present in the table schema, selected exactly (decimals as text…). */
  columns: readonly Column[];
  /** Strictly after this change. */
  after: SqlServerPosition;
  /** Up to and including this commit LSN. */
  to: Lsn;
  /** Only changes below this commit LSN (the next capture instance takes over there). */
  before?: Lsn;
  limit: number;
}

/**
 * One page of a change table, strictly after `(lsn, seqval, operation)`, ordered by the same triple
 * so pages and resume positions agree, with the transaction's commit time as epoch microseconds
 * (`tran_end_time` is server local time; converted with the server's current offset).
 */
export function changePageQuery(options: ChangePageOptions): SqlServerQuery {
  const seqval = options.after.seqval ?? MAX_LSN;
  const operation = options.after.seqval === undefined ? 5 : (options.after.operation ?? 5);
  const table = `cdc.${quoteIdent(`${options.captureInstance}_CT`)}`;
  const cols = options.columns.map((c) => selectExpression(c, 'c'));
  const where = [
    '(c.__$start_lsn > @lsn OR (c.__$start_lsn = @lsn AND c.__$seqval > @seqval) OR (c.__$start_lsn = @lsn AND c.__$seqval = @seqval AND c.__$operation > @op))',
    'c.__$start_lsn <= @to',
  ];
  const params: SqlServerQuery['params'] = {
    limit: { type: 'BigInt', value: options.limit },
    lsn: { type: 'Binary', value: lsnToBuffer(options.after.lsn), length: 10 },
    seqval: { type: 'Binary', value: lsnToBuffer(seqval), length: 10 },
    op: { type: 'Int', value: operation },
    to: { type: 'Binary', value: lsnToBuffer(options.to), length: 10 },
  };
  if (options.before) {
    where.push('c.__$start_lsn < @before');
    params.before = { type: 'Binary', value: lsnToBuffer(options.before), length: 10 };
  }
  return {
    sql:
      `SELECT TOP (@limit) c.__$start_lsn AS [__$start_lsn], c.__$seqval AS [__$seqval], c.__$operation AS [__$operation],\n` +
      `  DATEDIFF_BIG(microsecond, CAST('1970-01-01T00:00:00' AS datetime2(7)), DATEADD(minute, -DATEPART(TZOFFSET, SYSDATETIMEOFFSET()), CAST(m.tran_end_time AS datetime2(7)))) AS [__$commit_us]` +
      (cols.length > 0 ? `,\n  ${cols.join(', ')}` : '') +
      `\nFROM ${table} AS c\nLEFT JOIN cdc.lsn_time_mapping AS m ON m.start_lsn = c.__$start_lsn\n` +
      `WHERE ${where.join('\n  AND ')}\nORDER BY c.__$start_lsn, c.__$seqval, c.__$operation`,
    params,
  };
}

// ---------------------------------------------------------------------------------------------------
// Capture instances and rollover
// ---------------------------------------------------------------------------------------------------

/** One capture instance of a table. */
export interface CaptureInstance {
  name: string;
  source: TableId;
  startLsn: Lsn;
  /** Lowest LSN still retained (`sys.fn_cdc_get_min_lsn`), moves up with cleanup. */
  minLsn: Lsn;
  columns: string[];
}

/** The part of a table's change history one capture instance serves: `(after, min(to, before-1)]`. */
export interface CaptureSegment {
  instance: CaptureInstance;
  /** Exclusive upper bound: the next instance's start LSN. */
  before?: Lsn;
}

/**
 * The capture instances of one table ordered by start LSN. A table has at most two: after a schema
 * change a second instance is created, both capture in parallel, and changes from the newer one's
 * start LSN on are read from it (the older one may then be dropped).
 */
export class CaptureTimeline {
  readonly table: TableId;
  readonly instances: readonly CaptureInstance[];

  constructor(table: TableId, instances: readonly CaptureInstance[]) {
    this.table = table;
    this.instances = [...instances].sort((a, b) => compareLsn(a.startLsn, b.startLsn));
  }

  /** Segments to read for changes after `after` up to `to`, oldest first. */
  segments(after: SqlServerPosition, to: Lsn): CaptureSegment[] {
    const out: CaptureSegment[] = [];
    this.instances.forEach((instance, i) => {
      const next = this.instances[i + 1];
      if (next && compareLsn(next.startLsn, after.lsn) <= 0) return; // wholly before the position
      if (compareLsn(instance.startLsn, to) > 0) return; // starts after this poll
      out.push({ instance, before: next?.startLsn });
    });
    return out;
  }

  /** The instance that serves changes at `lsn` (the newest one starting at or before it). */
  instanceAt(lsn: Lsn): CaptureInstance | undefined {
    let found: CaptureInstance | undefined;
    for (const i of this.instances) if (compareLsn(i.startLsn, lsn) <= 0) found = i;
    return found ?? this.instances[0];
  }

  /** Columns of the table schema the instance does not capture (added after it was created). */
  static missingColumns(instance: CaptureInstance, table: TableSchema): string[] {
    const captured = new Set(instance.columns);
    return table.columns.map((c) => c.name).filter((n) => !captured.has(n));
  }
}

/** Groups capture instances by source table (`schema.name`). */
export function timelinesByTable(instances: readonly CaptureInstance[]): Map<string, CaptureTimeline> {
  const groups = new Map<string, CaptureInstance[]>();
  for (const i of instances) {
    const key = tableKey(i.source);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  return new Map(
    [...groups].map(([k, list]) => [k, new CaptureTimeline(list[0]?.source ?? { name: k }, list)]),
  );
}

/** Stable map key of a table: `schema.name`, schema defaulting to `dbo`. */
export function tableKey(id: TableId): string {
  return `${id.schema ?? 'dbo'}.${id.name}`;
}

/**
 * The partition a table's snapshot position is stored under: `table:<schema>.<name>`, and with `position`
 * `table:<schema>.<name>@<position>`. Each snapshot records its own partition (the engine stores a
 * snapshot's partition only when it has no checkpoint yet), so a re-snapshot adds a newer one instead of
 * being ignored; {@link snapshotFloors} takes the latest per table.
 */
export function snapshotPartition(id: TableId, position?: string): string {
  return position === undefined ? `table:${tableKey(id)}` : `table:${tableKey(id)}@${position}`;
}

/**
 * Each table's floor: the latest snapshot position stored for it (partitions `table:<key>` and
 * `table:<key>@…`, see {@link snapshotPartition}). The stream skips a table's changes at or below it.
 */
export function snapshotFloors(
  from: ReadonlyMap<string, string>,
  tables: readonly TableId[],
): Map<string, SqlServerPosition> {
  const floors = new Map<string, SqlServerPosition>();
  for (const t of tables) {
    const base = snapshotPartition(t);
    for (const [partition, position] of from) {
      if (partition !== base && !partition.startsWith(`${base}@`)) continue;
      const p = parsePosition(position);
      const current = floors.get(tableKey(t));
      if (!current || comparePosition(p, current) > 0) floors.set(tableKey(t), p);
    }
  }
  return floors;
}

// ---------------------------------------------------------------------------------------------------
// Retention gap
// ---------------------------------------------------------------------------------------------------

/**
 * Throws `RETENTION_GAP` when changes the consumer still needs were cleaned up: the capture instance's
 * minimum LSN is above the first LSN after the stored position. Checked on every poll, for idle tables
 * too (their position advances with the stream, so they raise no false alarm).
 */
export function checkRetention(table: TableId, stored: SqlServerPosition, minLsn: Lsn): void {
  const firstNeeded = stored.seqval === undefined ? incrementLsn(stored.lsn) : stored.lsn;
  if (compareLsn(minLsn, firstNeeded) <= 0) return;
  const name = formatTableId(table);
  throw new CdcError(
    'RETENTION_GAP',
    `SQL Server CDC lost changes of ${name}: the stored position is ${formatLsn(stored.lsn)} but the capture instance only retains changes from ${formatLsn(minLsn)} on (cleanup ran, or CDC was re-enabled).`,
    {
      hint: `Re-snapshot the table: cdc snapshot --config <file> --table ${name}; and raise the CDC retention (sys.sp_cdc_change_job @job_type = N'cleanup', @retention = <minutes>) if the pipeline can stop for longer.`,
    },
  );
}

// ---------------------------------------------------------------------------------------------------
// Agent
// ---------------------------------------------------------------------------------------------------

/** What the Agent check concluded. */
export type AgentState = 'running' | 'stopped' | 'unknown';

/** Interprets {@link AGENT_STATUS_SQL} rows (`status` 4 = running). No row (or no permission) → unknown. */
export function agentStateOf(rows: readonly Readonly<Record<string, unknown>>[]): AgentState {
  if (rows.length === 0) return 'unknown';
  return rows.some((r) => Number(r.status) === 4) ? 'running' : 'stopped';
}

/** The error raised while SQL Server Agent is stopped (nothing is captured, the log cannot truncate). */
export function agentStoppedError(): CdcError {
  return new CdcError(
    'UPSTREAM_ERROR',
    'SQL Server Agent is not running: the CDC capture job reads nothing, so no changes arrive and the transaction log cannot be truncated.',
    {
      hint: 'Start SQL Server Agent (Linux: mssql-conf set sqlagent.enabled true and restart; containers: MSSQL_AGENT_ENABLED=true), then check msdb job cdc.<db>_capture.',
      transient: true,
    },
  );
}

// ---------------------------------------------------------------------------------------------------
// Changes: pairing and merge
// ---------------------------------------------------------------------------------------------------

/** One row of a change table, decoded. */
export interface ChangeRecord {
  table: TableSchema;
  lsn: Lsn;
  seqval: Lsn;
  /** 1 delete, 2 insert, 3 update before-image, 4 update after-image. */
  operation: 1 | 2 | 3 | 4;
  row: Row;
  /** Commit time, microseconds since the epoch (approximate: server local time converted). */
  commitMicros?: bigint;
  /** Columns of the schema missing from the capture instance (rollover pending). */
  partial?: boolean;
}

/** Orders records by (commit LSN, seqval, operation), the order of the source transaction log. */
export function compareRecords(
  a: Pick<ChangeRecord, 'lsn' | 'seqval' | 'operation'>,
  b: Pick<ChangeRecord, 'lsn' | 'seqval' | 'operation'>,
): number {
  return comparePosition(
    { lsn: a.lsn, seqval: a.seqval, operation: a.operation },
    { lsn: b.lsn, seqval: b.seqval, operation: b.operation },
  );
}

function keyOf(table: TableSchema, row: Row): Row {
  const key: Row = {};
  for (const k of table.primaryKey) key[k] = row[k];
  return key;
}

function sameKey(table: TableSchema, a: Row, b: Row): boolean {
  return table.primaryKey.every((k) => valueEquals(a[k], b[k]));
}

function valueEquals(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

/**
 * Turns change records into events: 1 → delete, 2 → upsert, 3+4 (same table and seqval) → upsert,
 * or delete of the old key + upsert when the primary key changed. A before-image is held until its
 * after-image arrives (also across pages), so positions are never taken between the two.
 */
export class UpdatePairer {
  #pending: ChangeRecord | undefined;

  /** True while a before-image waits for its after-image: not a safe place to end a batch. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  push(record: ChangeRecord): ChangeEvent[] {
    const table = record.table.id;
    const ts = record.commitMicros === undefined ? {} : { sourceTimestamp: record.commitMicros };
    const before = this.#pending;
    this.#pending = undefined;
    switch (record.operation) {
      case 1:
        return [{ op: 'delete', table, key: keyOf(record.table, record.row), ...ts }];
      case 2:
        return [this.#upsert(record)];
      case 3:
        this.#pending = record;
        return [];
      case 4: {
        if (
          before &&
          before.table === record.table &&
          before.seqval === record.seqval &&
          !sameKey(record.table, before.row, record.row)
        ) {
          return [{ op: 'delete', table, key: keyOf(record.table, before.row), ...ts }, this.#upsert(record)];
        }
        return [this.#upsert(record)];
      }
    }
  }

  #upsert(record: ChangeRecord): ChangeEvent {
    return {
      op: 'upsert',
      table: record.table.id,
      key: keyOf(record.table, record.row),
      row: record.row,
      ...(record.partial ? { partial: true } : {}),
      ...(record.commitMicros === undefined ? {} : { sourceTimestamp: record.commitMicros }),
    };
  }
}

/**
 * K-way merge of per-table change streams (each already ordered) into one stream ordered by
 * (commit LSN, seqval, operation), so a transaction spanning tables stays contiguous and in order.
 */
export async function* mergeChangeStreams(
  streams: readonly AsyncIterator<ChangeRecord>[],
): AsyncGenerator<ChangeRecord> {
  // Heads are fetched one after another: the streams may share one connection.
  const heads: (ChangeRecord | undefined)[] = [];
  for (const s of streams) {
    const r = await s.next();
    heads.push(r.done ? undefined : r.value);
  }
  while (true) {
    let best = -1;
    heads.forEach((h, i) => {
      if (h === undefined) return;
      const current = best >= 0 ? heads[best] : undefined;
      if (current === undefined || compareRecords(h, current) < 0) best = i;
    });
    if (best < 0) return;
    const record = heads[best] as ChangeRecord;
    const next = await (streams[best] as AsyncIterator<ChangeRecord>).next();
    heads[best] = next.done ? undefined : next.value;
    yield record;
  }
}

/** A batch as assembled from merged records (position filled by the stream). */
export interface AssembledBatch {
  events: ChangeEvent[];
  /** Position after the last record of the batch. */
  position: SqlServerPosition;
  commitMicros?: bigint;
}

/**
 * Cuts a merged record stream into batches at transaction boundaries (commit LSN changes); a
 * transaction with more than `maxEvents` events is split, but never between an update's before- and
 * after-image. Records at or below a table's floor (its snapshot position) are skipped.
 */
export async function* assembleBatches(
  records: AsyncIterable<ChangeRecord>,
  options: { maxEvents: number; floors?: ReadonlyMap<string, SqlServerPosition> },
): AsyncGenerator<AssembledBatch> {
  const pairer = new UpdatePairer();
  let events: ChangeEvent[] = [];
  let current: ChangeRecord | undefined;
  let commitMicros: bigint | undefined;
  for await (const record of records) {
    // Cut before processing `record`, once we know whether the previous one ended its transaction.
    if (current && !pairer.pending) {
      if (record.lsn !== current.lsn) {
        yield { events, position: { lsn: current.lsn }, commitMicros };
        events = [];
      } else if (events.length >= options.maxEvents) {
        yield {
          events,
          position: { lsn: current.lsn, seqval: current.seqval, operation: current.operation },
          commitMicros,
        };
        events = [];
      }
    }
    const floor = options.floors?.get(tableKey(record.table.id));
    current = record;
    commitMicros = record.commitMicros ?? commitMicros;
    if (
      floor &&
      comparePosition({ lsn: record.lsn, seqval: record.seqval, operation: record.operation }, floor) <= 0
    ) {
      continue;
    }
    events.push(...pairer.push(record));
  }
  if (current) yield { events, position: { lsn: current.lsn }, commitMicros };
}

// ---------------------------------------------------------------------------------------------------
// Enabling CDC (printed script and executable statements)
// ---------------------------------------------------------------------------------------------------

/** A table to enable CDC on. */
export interface EnableCdcTable {
  schema?: string;
  name: string;
  /** Default `<schema>_<name>`; use a new name (e.g. suffix `_v2`) for a schema-change rollover. */
  captureInstance?: string;
  /** Gating role for reading changes; default NULL (no gating role). */
  roleName?: string;
  /** Captured columns; default all. */
  columns?: string[];
  /** Filegroup for the change table. */
  filegroup?: string;
}

/** Options of {@link renderEnableCdcSql}. */
export interface EnableCdcOptions {
  database: string;
  tables: readonly EnableCdcTable[];
  /** Also turn on ALLOW_SNAPSHOT_ISOLATION for consistent snapshots. Default `true`. */
  snapshotIsolation?: boolean;
  /** Change-table retention in minutes (cleanup job). Default: leave the server's (4,320 = 3 days). */
  retentionMinutes?: number;
  /** Old capture instances to drop after a rollover, per table `schema.name`. */
  dropCaptureInstances?: readonly { schema?: string; name: string; captureInstance: string }[];
}

/** The capture instance a table gets: `captureInstance`, else `<schema>_<name>`; validated. */
export function captureInstanceName(table: EnableCdcTable): string {
  const instance = table.captureInstance ?? `${table.schema ?? 'dbo'}_${table.name}`;
  if (!/^[A-Za-z0-9_]{1,100}$/.test(instance)) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `Capture instance name "${instance}" must be 1–100 letters, digits or _.`,
      {
        hint: 'Pass captureInstance explicitly for tables whose names contain other characters.',
      },
    );
  }
  return instance;
}

/** One statement of {@link enableCdcStatements}: what it does (for progress output) and the query. */
export interface EnableCdcStatement {
  description: string;
  query: SqlServerQuery;
}

const nvarchar = (value: string | null): SqlServerQuery['params'][string] => ({ type: 'NVarChar', value });

/**
 * The statements {@link renderEnableCdcSql} prints, for executing over a connection to the database
 * itself (no `USE`, no `GO`): every name and option is a bound parameter, never spliced into the text.
 * Idempotent like the script: a database or capture instance that already exists is left alone.
 */
export function enableCdcStatements(
  options: Omit<EnableCdcOptions, 'database' | 'dropCaptureInstances'>,
): EnableCdcStatement[] {
  const out: EnableCdcStatement[] = [
    {
      description: 'enable CDC on the database (sys.sp_cdc_enable_db)',
      query: {
        sql: 'IF NOT EXISTS (SELECT 1 FROM sys.databases WHERE database_id = DB_ID() AND is_cdc_enabled = 1)\n  EXEC sys.sp_cdc_enable_db;',
        params: {},
      },
    },
  ];
  if (options.snapshotIsolation ?? true) {
    out.push({
      description: 'allow snapshot isolation (consistent snapshots)',
      query: { sql: 'ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON;', params: {} },
    });
  }
  for (const t of options.tables) {
    const schema = t.schema ?? 'dbo';
    const instance = captureInstanceName(t);
    const params: SqlServerQuery['params'] = {
      source_schema: nvarchar(schema),
      source_name: nvarchar(t.name),
      role_name: nvarchar(t.roleName ?? null),
      capture_instance: nvarchar(instance),
    };
    const args = [
      '@source_schema = @source_schema',
      '@source_name = @source_name',
      '@role_name = @role_name',
      '@capture_instance = @capture_instance',
      '@supports_net_changes = 0',
    ];
    if (t.columns && t.columns.length > 0) {
      params.captured_column_list = nvarchar(t.columns.map(quoteIdent).join(', '));
      args.push('@captured_column_list = @captured_column_list');
    }
    if (t.filegroup) {
      params.filegroup_name = nvarchar(t.filegroup);
      args.push('@filegroup_name = @filegroup_name');
    }
    out.push({
      description: `enable CDC on ${formatTableId({ schema, name: t.name })} (capture instance ${instance})`,
      query: {
        sql:
          'IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE capture_instance = @capture_instance)\n' +
          `  EXEC sys.sp_cdc_enable_table ${args.join(',\n    ')};`,
        params,
      },
    });
  }
  if (options.retentionMinutes !== undefined) {
    out.push({
      description: `set the change-table retention to ${checkedRetention(options.retentionMinutes)} minutes`,
      query: {
        sql: "EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = @retention;",
        params: { retention: { type: 'BigInt', value: options.retentionMinutes } },
      },
    });
  }
  return out;
}

function checkedRetention(minutes: number): number {
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new CdcError('INVALID_ARGUMENT', `retentionMinutes must be a positive integer, got ${minutes}.`);
  }
  return minutes;
}

/**
 * The T-SQL script that enables CDC on a database and tables, idempotently (re-running it is safe).
 * Needs sysadmin for `sp_cdc_enable_db` (db_owner on Azure SQL Database) and db_owner for tables;
 * SQL Server Agent must run for capture. Print it, review it, run it with sqlcmd or SSMS.
 */
export function renderEnableCdcSql(options: EnableCdcOptions): string {
  const db = quoteIdent(options.database);
  const lines: string[] = [
    `-- Generated by cdc: enable SQL Server change data capture on ${options.database}.`,
    '-- Needs sysadmin (db_owner on Azure SQL Database) for the database step, db_owner for tables.',
    '-- SQL Server Agent must be running (Azure SQL Database uses a built-in scheduler).',
    `USE ${db};`,
    'GO',
    `IF NOT EXISTS (SELECT 1 FROM sys.databases WHERE name = ${nString(options.database)} AND is_cdc_enabled = 1)`,
    '  EXEC sys.sp_cdc_enable_db;',
    'GO',
  ];
  if (options.snapshotIsolation ?? true) {
    lines.push(`ALTER DATABASE ${db} SET ALLOW_SNAPSHOT_ISOLATION ON;`, 'GO');
  }
  for (const t of options.tables) {
    const schema = t.schema ?? 'dbo';
    const instance = captureInstanceName(t);
    const args = [
      `@source_schema = ${nString(schema)}`,
      `@source_name = ${nString(t.name)}`,
      `@role_name = ${t.roleName ? nString(t.roleName) : 'NULL'}`,
      `@capture_instance = ${nString(instance)}`,
      '@supports_net_changes = 0',
    ];
    if (t.columns && t.columns.length > 0) {
      args.push(`@captured_column_list = ${nString(t.columns.map(quoteIdent).join(', '))}`);
    }
    if (t.filegroup) args.push(`@filegroup_name = ${nString(t.filegroup)}`);
    lines.push(
      `IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE capture_instance = ${nString(instance)})`,
      `  EXEC sys.sp_cdc_enable_table ${args.join(',\n    ')};`,
      'GO',
    );
  }
  for (const d of options.dropCaptureInstances ?? []) {
    lines.push(
      `-- Drop the old capture instance only after cdc has switched to the new one (see docs/sources/sqlserver.md).`,
      `IF EXISTS (SELECT 1 FROM cdc.change_tables WHERE capture_instance = ${nString(d.captureInstance)})`,
      `  EXEC sys.sp_cdc_disable_table @source_schema = ${nString(d.schema ?? 'dbo')}, @source_name = ${nString(d.name)}, @capture_instance = ${nString(d.captureInstance)};`,
      'GO',
    );
  }
  if (options.retentionMinutes !== undefined) {
    lines.push(
      `EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = ${checkedRetention(options.retentionMinutes)};`,
      'GO',
    );
  }
  return `${lines.join('\n')}\n`;
}
