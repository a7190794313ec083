/**
 * What an adapter package tells `cdc` and `cdc-worker` about itself: one small object per engine (like
 * kysely's `Dialect`), so a URL scheme finds its adapter without a closed list and a user's own adapter
 * plugs in as a plugin module. Openers import their drivers lazily; a descriptor loads no driver.
 */
import type { PipelineConfig } from './config/config-schema.js';
import type { ChangeSink, ChangeSource, ScanSource } from './connector.js';
import type { PipelineTable } from './replication/pipeline.js';

/**
 * What an engine can be used for, declared up front so `cdc plugins` can list it and a pipeline can be
 * refused before anything connects. Each flag must agree with the openers the descriptor has.
 */
export interface ConnectorDescriptorCapabilities {
  /** Readable for `diff`, `reconcile` and `repair` through {@link ConnectorDescriptor.openScanSource}. */
  scan: boolean;
  /** A replication source: {@link ConnectorDescriptor.openChangeSource} is present. */
  changeSource: boolean;
  /** A replication target: {@link ConnectorDescriptor.openSink} is present. */
  sink: boolean;
  /** Its scan sources hash rows inside the database (`summarize`/`keyHashes`). */
  hashPushdown: boolean;
}

/** Options of {@link ConnectorDescriptor.openScanSource}. */
export interface OpenScanSourceOptions {
  /** How the connection introduces itself to the server (e.g. PostgreSQL's `application_name`). */
  applicationName?: string;
}

/**
 * Options of {@link ConnectorDescriptor.openChangeSource}: the configured pipeline this source feeds.
 * The target is not passed; it is opened by its own descriptor's {@link ConnectorDescriptor.openSink}.
 */
export interface OpenChangeSourceOptions {
  /** The pipeline as configured (name, `slot`, `batch`, tables, …). */
  pipeline: PipelineConfig;
  /** The pipeline's tables, parsed (`pipelineTables(pipeline)`). */
  tables: PipelineTable[];
  /** Operational warnings of the source (e.g. a PostgreSQL slot retaining WAL). */
  onWarning?: (message: string) => void;
  /** How the connection introduces itself to the server. */
  applicationName?: string;
}

/** A change source opened for one pipeline, with what the pipeline owns on the source. */
export interface OpenedChangeSource {
  source: ChangeSource;
  /**
   * Drops the replication state the pipeline owns on the source (a PostgreSQL slot and publication) and
   * says whether there was one. Absent for engines whose change log is not owned by a pipeline.
   */
  dropSlot?(): Promise<{ slot: string; dropped: boolean }>;
}

/** Options of {@link ConnectorDescriptor.openSink}. */
export interface OpenSinkOptions {
  /** The pipeline writing through this sink. */
  pipeline: string;
  /** How the connection introduces itself to the server. */
  applicationName?: string;
}

/**
 * One database engine as `cdc` and `cdc-worker` see it: the URL schemes it answers, how passwords are
 * found, and lazy openers for reading, replicating from and replicating into it. Adapter packages export
 * one (`postgresConnector` from `@cdc/postgres`); a plugin module exports one or more.
 *
 * URLs handed to the openers carry the resolved password (`--<role>-password`, the URL, `CDC_<ROLE>_PASSWORD`,
 * then {@link passwordVariables}, first wins).
 *
 * @example
 * ```ts
 * // alias.mjs: a plugin registering `alias://` over the PostgreSQL adapter
 * import { postgresConnector } from '@cdc/postgres';
 * export const aliasConnector = {
 *   ...postgresConnector,
 *   name: 'alias',
 *   packageName: './alias.mjs',
 *   schemes: ['alias'],
 *   exampleUrl: 'alias://user@host:5432/db',
 *   openScanSource: (url, options) =>
 *     postgresConnector.openScanSource(url.replace(/^alias:/, 'postgres:'), options),
 * };
 * ```
 */
export interface ConnectorDescriptor {
  /** Engine name, shown as the dialect in messages and `cdc plugins` (`postgres`, `sqlserver`). */
  readonly name: string;
  /** The npm package (or plugin module) that provides this descriptor, for `cdc plugins` and errors. */
  readonly packageName: string;
  /** URL schemes without the colon, lower-case (`['postgres', 'postgresql']`). */
  readonly schemes: readonly string[];
  /** A URL of the right form, quoted in hints (`postgres://user@host:5432/db`). */
  readonly exampleUrl: string;
  /** The engine's usual password variables (`PGPASSWORD`), checked after `CDC_<ROLE>_PASSWORD`. */
  readonly passwordVariables: readonly string[];
  /** What the engine can be used for. */
  readonly capabilities: ConnectorDescriptorCapabilities;
  /**
   * The schema a table name without one resolves to for this URL (`public`, `dbo`, a Scylla URL's
   * keyspace); `undefined` when the URL does not say. Absent: `undefined`.
   */
  defaultSchema?(url: string): string | undefined;
  /**
   * Where the change log this engine replicates from lives and how it is turned off, for messages such
   * as `cdc replicate --drop-slot` on an engine without {@link OpenedChangeSource.dropSlot}.
   */
  readonly changeLogNote?: string;
  /** Connects for reading (diff, reconcile, repair, introspection). Loads the driver on first use. */
  openScanSource(url: string, options?: OpenScanSourceOptions): Promise<ScanSource>;
  /** Opens the change source of one pipeline (replication). Present when `capabilities.changeSource`. */
  openChangeSource?(url: string, options: OpenChangeSourceOptions): Promise<OpenedChangeSource>;
  /** Opens a replication target. Present when `capabilities.sink`. */
  openSink?(url: string, options: OpenSinkOptions): Promise<ChangeSink>;
}
