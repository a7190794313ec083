/**
 * Source-neutral replication: opens a configured pipeline's change source by the scheme of its source
 * connection — `postgres://` logical decoding (@cdc/postgres), `mssql://` CDC capture instances
 * (@cdc/sqlserver, tedious), `scylla://` the CDC log (@cdc/scylla, cassandra-driver) — with the
 * PostgreSQL sink as target. The worker and `cdc replicate`, `cdc snapshot`, `cdc status` (@cdc/cli,
 * which bundles this module) all open pipelines here, so a source engine is wired in one place. It lives
 * in the worker because the worker must run without the CLI (its image ships without it).
 */
import {
  CdcError,
  describeError,
  isCdcError,
  isTransientError,
  pipelineTables,
  redactUrl,
  type ChangeSink,
  type ChangeSource,
  type PipelineConfig,
  type PipelineTable,
  type ScanSource,
} from '@cdc/core';
import {
  connectPostgres,
  openPostgresReplication,
  PostgresSink,
  type PostgresReplication,
  type PostgresReplicationOptions,
} from '@cdc/postgres';
import { connectScylla, loadCassandraDriver, parseScyllaUrl, type ScyllaAdapter } from '@cdc/scylla';
import { connectSqlServer, loadTedious, type SqlServerAdapter } from '@cdc/sqlserver';

/** The source engines a pipeline can replicate from. */
export type SourceEngine = 'postgres' | 'sqlserver' | 'scylla';

/** A configured connection: its name in the configuration, URL and resolved password. */
export interface ReplicationConnection {
  name: string;
  url: string;
  password?: string | undefined;
}

/** A pipeline's source, sink and tables, ready for `runPipeline`. */
export interface PipelineReplication {
  engine: SourceEngine;
  source: ChangeSource;
  sink: ChangeSink;
  tables: PipelineTable[];
  /**
   * PostgreSQL sources only: drops the pipeline's replication slot and publication. Absent for other
   * engines (SQL Server capture instances and Scylla CDC logs are not owned by a pipeline).
   */
  dropSlot?: () => Promise<{ slot: string; dropped: boolean }>;
  /** Closes source and sink. Idempotent. */
  close(): Promise<void>;
}

/** How each engine's pieces are opened (replaceable in tests; defaults load the real adapters). */
export interface ReplicationOpeners {
  postgres(options: PostgresReplicationOptions): PostgresReplication;
  /** Connects to SQL Server (`connectSqlServer` with tedious). */
  sqlserver(url: string): Promise<ChangeSource>;
  /** Connects to ScyllaDB (`connectScylla` with cassandra-driver). */
  scylla(url: string): Promise<ChangeSource>;
  /** The PostgreSQL sink of the target. */
  sink(url: string, pipeline: string): ChangeSink;
}

/** URL scheme → source engine. */
export const SOURCE_ENGINES: Readonly<Record<string, SourceEngine>> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  mssql: 'sqlserver',
  sqlserver: 'sqlserver',
  scylla: 'scylla',
  cassandra: 'scylla',
};

/**
 * The engine of a connection URL, by scheme. Throws `INVALID_ARGUMENT` starting with `what` (e.g.
 * `pipeline sales: source connection "erp"`) for a malformed URL or another scheme; never echoes the
 * password.
 */
export function engineOfUrl(url: string, what: string): SourceEngine {
  let scheme: string;
  try {
    scheme = new URL(url).protocol.replace(/:$/, '');
  } catch {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `${what} URL ${JSON.stringify(redactUrl(url))} is not a valid URL`,
      {
        hint: 'write it like mssql://user@host:1433/db (percent-encode special characters in user and password)',
      },
    );
  }
  const engine = SOURCE_ENGINES[scheme];
  if (!engine) {
    throw new CdcError('INVALID_ARGUMENT', `${what} URL ${redactUrl(url)}: unsupported scheme "${scheme}:"`, {
      hint: `use one of ${Object.keys(SOURCE_ENGINES)
        .map((s) => `${s}://`)
        .join(', ')}`,
    });
  }
  return engine;
}

/** Connects to SQL Server by URL, loading tedious (an optional peer dependency) on first use. */
export async function openSqlServerAdapter(url: string): Promise<SqlServerAdapter> {
  return connectSqlServer({ connection: url, tedious: await loadTedious() });
}

/** Connects to ScyllaDB/Cassandra by URL, loading cassandra-driver (an optional peer dependency). */
export async function openScyllaAdapter(url: string): Promise<ScyllaAdapter> {
  return connectScylla({ url, driver: await loadCassandraDriver() });
}

/**
 * Opens a source for reading (diff, reconciliation) by its URL scheme: the PostgreSQL, SQL Server or
 * ScyllaDB adapter. The URL carries the resolved password.
 */
export async function openSourceAdapter(
  url: string,
  options: { applicationName?: string } = {},
): Promise<ScanSource> {
  switch (engineOfUrl(url, 'source')) {
    case 'postgres':
      return connectPostgres({
        url,
        ...(options.applicationName ? { applicationName: options.applicationName } : {}),
      });
    case 'sqlserver':
      return openSqlServerAdapter(url);
    case 'scylla':
      return openScyllaAdapter(url);
  }
}

const defaultOpeners: ReplicationOpeners = {
  postgres: openPostgresReplication,
  sqlserver: openSqlServerAdapter,
  scylla: openScyllaAdapter,
  sink: (url, pipeline) => PostgresSink.open({ url, applicationName: `cdc-sink:${pipeline}` }),
};

/** Options of {@link openPipelineReplication}. */
export interface OpenPipelineReplicationOptions {
  pipeline: PipelineConfig;
  source: ReplicationConnection;
  target: ReplicationConnection;
  /** Operational warnings of the source (e.g. PostgreSQL slots retaining WAL). */
  onWarning?: (message: string) => void;
  /** Replaces how sources and sinks are opened (tests). */
  openers?: Partial<ReplicationOpeners>;
}

/** A connection URL with its (resolved) password set. */
export function urlWithPassword(url: string, password: string | undefined): string {
  if (password === undefined || password === '') return url;
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** How a configured connection is named in messages: `source connection "erp" (mssql://sa:***@h/db)`. */
export function describeConnection(connection: ReplicationConnection, role?: 'source' | 'target'): string {
  return `${role ? `${role} ` : ''}connection "${connection.name}" (${redactUrl(connection.url)})`;
}

/**
 * The engine of a pipeline's source connection, by URL scheme: `postgres`/`postgresql`,
 * `mssql`/`sqlserver`, `scylla`/`cassandra`. Throws `INVALID_ARGUMENT` naming the pipeline and the
 * connection for any other scheme.
 */
export function sourceEngineOf(pipeline: PipelineConfig, source: ReplicationConnection): SourceEngine {
  return engineOfUrl(source.url, `pipeline ${pipeline.name}: source connection "${source.name}"`);
}

/**
 * The schema a table name without one resolves to on `engine`: `public` (PostgreSQL), `dbo` (SQL
 * Server), the URL's keyspace (ScyllaDB; undefined without one).
 */
export function defaultSchemaOf(engine: SourceEngine, url: string): string | undefined {
  if (engine === 'postgres') return 'public';
  if (engine === 'sqlserver') return 'dbo';
  try {
    return parseScyllaUrl(url).keyspace;
  } catch {
    return undefined;
  }
}

/**
 * A failure to open a connection as one `CdcError` whose message starts with `where` (e.g.
 * `pipeline sales: source connection "erp" (mssql://sa:***@h/db)`); code, hint and transience kept.
 */
export function connectionError(error: unknown, where: string): CdcError {
  const transient = isTransientError(error);
  const base = isCdcError(error)
    ? error
    : new CdcError(transient ? 'CONNECTION_FAILED' : 'UPSTREAM_ERROR', describeError(error), {
        cause: error,
        transient,
        ...(transient ? { hint: 'check host and port, and that the server is running' } : {}),
      });
  if (base.message.startsWith(where)) return base;
  return new CdcError(base.code, `${where}: ${base.message}`, {
    ...(base.hint ? { hint: base.hint } : {}),
    cause: base.cause ?? error,
    transient: base.transient,
  });
}

function requirePostgresTarget(pipeline: PipelineConfig, target: ReplicationConnection): void {
  const engine = engineOfUrl(target.url, `pipeline ${pipeline.name}: target connection "${target.name}"`);
  if (engine !== 'postgres') {
    throw new CdcError(
      'CONFIG_INVALID',
      `pipeline ${pipeline.name}: ${describeConnection(target, 'target')} is ${engine}; replication writes into PostgreSQL only`,
      { hint: 'point the pipeline target at a postgres:// connection' },
    );
  }
}

/**
 * Opens one configured pipeline for `runPipeline`: the change source its source URL's scheme calls for
 * and a PostgreSQL sink on the target. SQL Server and ScyllaDB sources connect here (so an unreachable
 * server fails now, naming the connection); their drivers are optional peer dependencies, and a missing
 * one fails with the `npm install` command.
 *
 * @example
 * ```ts
 * const r = await openPipelineReplication({ pipeline, source: { name: 'erp', url, password }, target });
 * try {
 *   await runPipeline({ name: pipeline.name, source: r.source, sink: r.sink, tables: r.tables });
 * } finally {
 *   await r.close();
 * }
 * ```
 */
export async function openPipelineReplication(
  options: OpenPipelineReplicationOptions,
): Promise<PipelineReplication> {
  const { pipeline, source, target } = options;
  const openers = { ...defaultOpeners, ...options.openers };
  const engine = sourceEngineOf(pipeline, source);
  requirePostgresTarget(pipeline, target);
  const sourceUrl = urlWithPassword(source.url, source.password);
  const targetUrl = urlWithPassword(target.url, target.password);
  if (engine === 'postgres') {
    const r = openers.postgres({
      pipeline,
      sourceUrl,
      targetUrl,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
    return {
      engine,
      source: r.source,
      sink: r.sink,
      tables: r.tables,
      dropSlot: async () => ({ slot: r.source.slot, dropped: await r.source.dropSlot() }),
      close: once(() => r.close()),
    };
  }
  let changeSource: ChangeSource;
  try {
    changeSource = await openers[engine](sourceUrl);
  } catch (error) {
    throw connectionError(error, `pipeline ${pipeline.name}: ${describeConnection(source, 'source')}`);
  }
  let sink: ChangeSink;
  try {
    sink = openers.sink(targetUrl, pipeline.name);
  } catch (error) {
    await changeSource.close().catch(() => undefined);
    throw connectionError(error, `pipeline ${pipeline.name}: ${describeConnection(target, 'target')}`);
  }
  return {
    engine,
    source: changeSource,
    sink,
    tables: pipelineTables(pipeline),
    close: once(async () => {
      await Promise.allSettled([changeSource.close(), sink.close()]);
    }),
  };
}

/** `fn` run at most once; later calls get the first call's promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
