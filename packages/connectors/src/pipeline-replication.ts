/**
 * Source-neutral replication: opens a configured pipeline's change source by the scheme of its source
 * connection and a sink by the scheme of its target, both through the registry's descriptors. The
 * worker and `cdc replicate`, `cdc snapshot`, `cdc status` open pipelines here, so an engine is wired in
 * one place and a plugin's engine replicates like a built-in one.
 */
import {
  CdcError,
  describeError,
  isCdcError,
  isTransientError,
  pipelineBatchLimits,
  pipelineTables,
  redactUrl,
  type BatchLimits,
  type ChangeSink,
  type ChangeSource,
  type ConnectorDescriptor,
  type OpenedChangeSource,
  type PipelineConfig,
  type PipelineTable,
} from '@cdc/core';
import type { ConnectorRegistry } from './connector-registry.js';

/** A configured connection: its name in the configuration, URL and resolved password. */
export interface ReplicationConnection {
  name: string;
  url: string;
  password?: string | undefined;
}

/** A pipeline's source, sink and tables, ready for `runPipeline`. */
export interface PipelineReplication {
  /** The source engine (its descriptor's name: `postgres`, `sqlserver`, `scylla`, a plugin's). */
  engine: string;
  /** The source connection's descriptor. */
  connector: ConnectorDescriptor;
  source: ChangeSource;
  sink: ChangeSink;
  tables: PipelineTable[];
  /** The pipeline's `batch` block as engine limits (`runPipeline({ batch })`). */
  batch?: Partial<BatchLimits>;
  /**
   * Drops the replication state the pipeline owns on the source (PostgreSQL: slot and publication).
   * Absent for engines whose change log is not owned by a pipeline (SQL Server, Scylla).
   */
  dropSlot?: () => Promise<{ slot: string; dropped: boolean }>;
  /** Closes source and sink. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link openPipelineReplication}. */
export interface OpenPipelineReplicationOptions {
  pipeline: PipelineConfig;
  source: ReplicationConnection;
  target: ReplicationConnection;
  /** Where schemes are looked up (built-ins and plugins). */
  connectors: ConnectorRegistry;
  /** Operational warnings of the source (e.g. PostgreSQL slots retaining WAL). */
  onWarning?: (message: string) => void;
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

/**
 * The descriptor of a pipeline's source connection, by URL scheme. Throws `INVALID_ARGUMENT` naming the
 * pipeline and the connection for a malformed URL or a scheme no descriptor registered.
 */
export function sourceConnectorOf(
  connectors: ConnectorRegistry,
  pipeline: Pick<PipelineConfig, 'name'>,
  source: ReplicationConnection,
): ConnectorDescriptor {
  return connectors.resolve(source.url, `pipeline ${pipeline.name}: source connection "${source.name}"`, {
    requireHost: false,
  }).connector;
}

function changeSourceConnector(
  connectors: ConnectorRegistry,
  pipeline: PipelineConfig,
  source: ReplicationConnection,
): ConnectorDescriptor & Required<Pick<ConnectorDescriptor, 'openChangeSource'>> {
  const connector = sourceConnectorOf(connectors, pipeline, source);
  if (!connector.openChangeSource) {
    throw new CdcError(
      'CONFIG_INVALID',
      `pipeline ${pipeline.name}: ${describeConnection(source, 'source')} is ${connector.name} (${connector.packageName}), which has no change source`,
      {
        hint: 'compare it with cdc diff/reconcile instead, or replicate from an engine `cdc plugins` lists as a change source',
      },
    );
  }
  return connector as ConnectorDescriptor & Required<Pick<ConnectorDescriptor, 'openChangeSource'>>;
}

function sinkConnector(
  connectors: ConnectorRegistry,
  pipeline: PipelineConfig,
  target: ReplicationConnection,
): ConnectorDescriptor & Required<Pick<ConnectorDescriptor, 'openSink'>> {
  const connector = connectors.resolve(
    target.url,
    `pipeline ${pipeline.name}: target connection "${target.name}"`,
    { requireHost: false },
  ).connector;
  if (!connector.openSink) {
    throw new CdcError(
      'CONFIG_INVALID',
      `pipeline ${pipeline.name}: ${describeConnection(target, 'target')} is ${connector.name}, which cannot be a replication target`,
      { hint: 'point the pipeline target at a postgres:// connection (`cdc plugins` lists the sinks)' },
    );
  }
  return connector as ConnectorDescriptor & Required<Pick<ConnectorDescriptor, 'openSink'>>;
}

/**
 * Opens one configured pipeline for `runPipeline`: the change source of its source URL's descriptor
 * and the sink of its target's. Both descriptors are checked before anything connects. A source that
 * fails to open is named (`pipeline sales: source connection "erp" (mssql://…)`), keeping the error's
 * code, hint and transience; a missing optional driver fails with its `npm install` command.
 *
 * @example
 * ```ts
 * const r = await openPipelineReplication({ pipeline, source: { name: 'erp', url, password }, target, connectors });
 * try {
 *   await runPipeline({ ...pipelineRunOptions(pipeline), source: r.source, sink: r.sink });
 * } finally {
 *   await r.close();
 * }
 * ```
 */
export async function openPipelineReplication(
  options: OpenPipelineReplicationOptions,
): Promise<PipelineReplication> {
  const { pipeline, source, target, connectors } = options;
  const sourceConnector = changeSourceConnector(connectors, pipeline, source);
  const targetConnector = sinkConnector(connectors, pipeline, target);
  const tables = pipelineTables(pipeline);
  let opened: OpenedChangeSource;
  try {
    opened = await sourceConnector.openChangeSource(urlWithPassword(source.url, source.password), {
      pipeline,
      tables,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  } catch (error) {
    throw connectionError(error, `pipeline ${pipeline.name}: ${describeConnection(source, 'source')}`);
  }
  let sink: ChangeSink;
  try {
    sink = await targetConnector.openSink(urlWithPassword(target.url, target.password), {
      pipeline: pipeline.name,
    });
  } catch (error) {
    await opened.source.close().catch(() => undefined);
    throw connectionError(error, `pipeline ${pipeline.name}: ${describeConnection(target, 'target')}`);
  }
  const batch = pipelineBatchLimits(pipeline);
  const dropSlot = opened.dropSlot?.bind(opened);
  return {
    engine: sourceConnector.name,
    connector: sourceConnector,
    source: opened.source,
    sink,
    tables,
    ...(batch ? { batch } : {}),
    ...(dropSlot ? { dropSlot } : {}),
    close: once(async () => {
      await Promise.allSettled([opened.source.close(), sink.close()]);
    }),
  };
}

/** `fn` run at most once; later calls get the first call's promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
