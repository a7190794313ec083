/**
 * CQL text for every statement the adapter runs. Identifiers are always double-quoted, values always
 * bound parameters. Scylla-only clauses (`BYPASS CACHE`, `USING TIMEOUT`) are added only when the
 * connected cluster is ScyllaDB, so the same builders serve Apache Cassandra 4.x.
 */
import type { TableId } from '@cdc/core';
import { CdcError } from '@cdc/core';

/** A statement and its positional parameters. */
export interface CqlStatement {
  query: string;
  params: unknown[];
}

/** Engine-specific clauses for reads. */
export interface CqlReadFlavor {
  /** The cluster is ScyllaDB (enables Scylla-only clauses). */
  scylla: boolean;
  /** Append `BYPASS CACHE` (Scylla only). */
  bypassCache?: boolean;
  /** Append `USING TIMEOUT <n>ms` (Scylla only). */
  timeoutMs?: number;
}

/** Double-quotes a CQL identifier (names are exact; `"` doubled). */
export function quoteIdent(name: string): string {
  if (name === '') throw new CdcError('INVALID_ARGUMENT', 'An identifier cannot be empty.');
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"keyspace"."table"`; the keyspace comes from the id or the connection default. */
export function tableRef(id: TableId, defaultKeyspace?: string): string {
  const ks = id.schema ?? defaultKeyspace;
  if (!ks) {
    throw new CdcError('INVALID_ARGUMENT', `Table ${id.name} needs a keyspace.`, {
      hint: 'Write keyspace.table, or put the keyspace in the URL path (scylla://host/keyspace).',
    });
  }
  return `${quoteIdent(ks)}.${quoteIdent(id.name)}`;
}

/** Name of the CDC log table of a base table. */
export function cdcLogTableName(table: string): string {
  return `${table}_scylla_cdc_log`;
}

function readSuffix(f: CqlReadFlavor, scan: boolean): string {
  if (!f.scylla) return '';
  let s = '';
  if (scan && f.bypassCache !== false) s += ' BYPASS CACHE';
  if (f.timeoutMs !== undefined) s += ` USING TIMEOUT ${Math.max(1, Math.floor(f.timeoutMs))}ms`;
  return s;
}

function tokenExpr(partitionKey: readonly string[]): string {
  return `token(${partitionKey.map(quoteIdent).join(', ')})`;
}

/** Alias under which `WRITETIME(column)` is selected. */
export function writetimeAlias(column: string): string {
  return `cdc$writetime_${column}`;
}

/** Full scan of one token range `(start, end]`, optionally with `WRITETIME` of some columns. */
export function selectTokenRange(opts: {
  table: string;
  partitionKey: readonly string[];
  columns: readonly string[];
  writetimeColumns?: readonly string[];
  start: bigint;
  end: bigint;
  flavor: CqlReadFlavor;
}): CqlStatement {
  const cols = [
    ...opts.columns.map(quoteIdent),
    ...(opts.writetimeColumns ?? []).map(
      (c) => `WRITETIME(${quoteIdent(c)}) AS ${quoteIdent(writetimeAlias(c))}`,
    ),
  ];
  const tok = tokenExpr(opts.partitionKey);
  return {
    query: `SELECT ${cols.join(', ')} FROM ${opts.table} WHERE ${tok} > ? AND ${tok} <= ?${readSuffix(opts.flavor, true)}`,
    params: [opts.start, opts.end],
  };
}

/** Exact count of one token range. */
export function countTokenRange(opts: {
  table: string;
  partitionKey: readonly string[];
  start: bigint;
  end: bigint;
  flavor: CqlReadFlavor;
}): CqlStatement {
  const tok = tokenExpr(opts.partitionKey);
  return {
    query: `SELECT COUNT(*) FROM ${opts.table} WHERE ${tok} > ? AND ${tok} <= ?${readSuffix(opts.flavor, true)}`,
    params: [opts.start, opts.end],
  };
}

/**
 * Lookup of rows of ONE partition: partition-key equality, and for tables with clustering columns a
 * multi-column `IN` over the clustering keys (`("c1", "c2") IN ((?, ?), (?, ?))`).
 */
export function selectByKeys(opts: {
  table: string;
  columns: readonly string[];
  partitionKey: readonly string[];
  clusteringKey: readonly string[];
  partitionValues: readonly unknown[];
  clusteringValues: readonly (readonly unknown[])[];
  flavor: CqlReadFlavor;
}): CqlStatement {
  const where = opts.partitionKey.map((c) => `${quoteIdent(c)} = ?`);
  const params: unknown[] = [...opts.partitionValues];
  if (opts.clusteringKey.length > 0 && opts.clusteringValues.length > 0) {
    const cols = opts.clusteringKey.map(quoteIdent);
    const tuple = `(${cols.map(() => '?').join(', ')})`;
    if (cols.length === 1 && opts.clusteringValues.length === 1) {
      where.push(`${cols[0]} = ?`);
    } else if (cols.length === 1) {
      where.push(`${cols[0]} IN (${opts.clusteringValues.map(() => '?').join(', ')})`);
    } else {
      where.push(`(${cols.join(', ')}) IN (${opts.clusteringValues.map(() => tuple).join(', ')})`);
    }
    for (const ck of opts.clusteringValues) params.push(...ck);
  }
  return {
    query: `SELECT ${opts.columns.map(quoteIdent).join(', ')} FROM ${opts.table} WHERE ${where.join(' AND ')}${readSuffix(opts.flavor, false)}`,
    params,
  };
}

/** Size estimates of a table (ranges of the local node; summed as an estimate). */
export function selectSizeEstimates(keyspace: string, table: string): CqlStatement {
  return {
    query:
      'SELECT range_start, range_end, partitions_count, mean_partition_size FROM system.size_estimates WHERE keyspace_name = ? AND table_name = ?',
    params: [keyspace, table],
  };
}

/** Columns of a table. */
export function selectColumns(keyspace: string, table: string): CqlStatement {
  return {
    query:
      'SELECT column_name, kind, position, type, clustering_order FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
    params: [keyspace, table],
  };
}

/** User types of a keyspace. */
export function selectUserTypes(keyspace: string): CqlStatement {
  return {
    query: 'SELECT type_name, field_names, field_types FROM system_schema.types WHERE keyspace_name = ?',
    params: [keyspace],
  };
}

/** Existence of a table (or materialized view). */
export function selectTable(keyspace: string, table: string, views = false): CqlStatement {
  return {
    query: `SELECT ${views ? 'view_name' : 'table_name'} FROM system_schema.${views ? 'views' : 'tables'} WHERE keyspace_name = ? AND ${views ? 'view_name' : 'table_name'} = ?`,
    params: [keyspace, table],
  };
}

/** Detection queries: server versions and the names of `system` tables (Scylla has its own). */
export const DETECT_LOCAL: CqlStatement = {
  query: "SELECT release_version, cluster_name FROM system.local WHERE key = 'local'",
  params: [],
};
export const DETECT_SYSTEM_TABLES: CqlStatement = {
  query: "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'system'",
  params: [],
};
export const SCYLLA_VERSION: CqlStatement = {
  query: "SELECT version FROM system.versions WHERE key = 'local'",
  params: [],
};

/** Whether a keyspace uses tablets (Scylla ≥ 6): `initial_tablets` is set. */
export function selectKeyspaceTablets(keyspace: string): CqlStatement {
  return {
    query: 'SELECT initial_tablets FROM system_schema.scylla_keyspaces WHERE keyspace_name = ?',
    params: [keyspace],
  };
}

/** CDC options of a table (Scylla keeps them in `system_schema.scylla_tables`). */
export function selectCdcOptions(keyspace: string, table: string): CqlStatement {
  return {
    query: 'SELECT cdc FROM system_schema.scylla_tables WHERE keyspace_name = ? AND table_name = ?',
    params: [keyspace, table],
  };
}

/** Vnode keyspaces: CDC generation timestamps (newest first). */
export const SELECT_GENERATIONS: CqlStatement = {
  query: "SELECT time, expired FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'",
  params: [],
};

/** Vnode keyspaces: stream ids of one generation (one row per vnode). */
export function selectGenerationStreams(generation: Date): CqlStatement {
  return {
    query: 'SELECT range_end, streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?',
    params: [generation],
  };
}

/** Tablets keyspaces: stream-set timestamps of one table (newest first). */
export function selectTabletTimestamps(keyspace: string, table: string): CqlStatement {
  return {
    query: 'SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = ? AND table_name = ?',
    params: [keyspace, table],
  };
}

/** Stream states in `system.cdc_streams`. */
export const TABLET_STREAM_STATE = { current: 0, closed: 1, opened: 2 } as const;

/** Tablets keyspaces: the streams current at one timestamp. */
export function selectTabletStreams(keyspace: string, table: string, timestamp: Date): CqlStatement {
  return {
    query:
      'SELECT stream_id FROM system.cdc_streams WHERE keyspace_name = ? AND table_name = ? AND timestamp = ? AND stream_state = ?',
    params: [keyspace, table, timestamp, TABLET_STREAM_STATE.current],
  };
}

/**
 * One CDC read window over a group of streams: `cdc$time` in `(after, until]`. `after` is either the
 * last consumed `cdc$time` (a timeuuid) or a millisecond instant (`maxTimeuuid(ms)`); `until` is a
 * millisecond instant. Rows come back per stream in `(cdc$time, cdc$batch_seq_no)` order.
 */
export function selectCdcWindow(opts: {
  logTable: string;
  streamIds: readonly Uint8Array[];
  after: { timeuuid: string } | { millis: number };
  untilMillis: number;
  flavor: CqlReadFlavor;
}): CqlStatement {
  if (opts.streamIds.length === 0)
    throw new CdcError('INVALID_ARGUMENT', 'A CDC window needs at least one stream.');
  const inList = opts.streamIds.map(() => '?').join(', ');
  const lower = 'timeuuid' in opts.after ? '"cdc$time" > ?' : '"cdc$time" > maxTimeuuid(?)';
  return {
    query: `SELECT * FROM ${opts.logTable} WHERE "cdc$stream_id" IN (${inList}) AND ${lower} AND "cdc$time" <= maxTimeuuid(?)${readSuffix(opts.flavor, true)}`,
    params: [
      ...opts.streamIds.map((s) => Buffer.from(s)),
      'timeuuid' in opts.after ? opts.after.timeuuid : new Date(opts.after.millis),
      new Date(opts.untilMillis),
    ],
  };
}
