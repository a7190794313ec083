/**
 * The slice of cassandra-driver this package uses, declared structurally so the driver stays an injected
 * peer dependency (the kysely way): pass `import * as driver from 'cassandra-driver'` in, never bundle it.
 */

import { CdcError } from '@cdc/core';
import type { ScyllaConsistency } from './scylla-options.js';

/** One row as the driver returns it (column name → driver value). */
export interface ScyllaDriverRow {
  get(columnName: string | number): unknown;
  keys(): string[];
  [column: string]: unknown;
}

/** Column metadata of a result page. */
export interface ScyllaDriverColumn {
  name: string;
  type: { code: number; info: unknown };
}

/** One page of results. */
export interface ScyllaDriverResultSet {
  rows: ScyllaDriverRow[];
  columns?: ScyllaDriverColumn[] | null;
  /** Opaque paging state of the next page; absent on the last page. */
  pageState?: string | null;
  info?: { warnings?: string[] };
}

/** Per-statement options we pass (`QueryOptions` of cassandra-driver). */
export interface ScyllaDriverQueryOptions {
  prepare?: boolean;
  fetchSize?: number;
  pageState?: string | Buffer;
  consistency?: number;
  autoPage?: boolean;
  isIdempotent?: boolean;
  readTimeout?: number;
}

/** The `Client` methods we call. */
export interface ScyllaDriverClient {
  connect(): Promise<void>;
  execute(
    query: string,
    params?: unknown[],
    options?: ScyllaDriverQueryOptions,
  ): Promise<ScyllaDriverResultSet>;
  shutdown(): Promise<void>;
}

/** Options passed to the driver's `Client` constructor (subset of `ClientOptions`). */
export interface ScyllaDriverClientOptions {
  contactPoints: string[];
  localDataCenter?: string;
  keyspace?: string;
  credentials?: { username: string; password: string };
  sslOptions?: Record<string, unknown>;
  protocolOptions?: { port?: number };
  queryOptions?: { consistency?: number; fetchSize?: number; prepare?: boolean };
  socketOptions?: { connectTimeout?: number; readTimeout?: number };
  encoding?: {
    map?: MapConstructor;
    useBigIntAsLong?: boolean;
    useBigIntAsVarint?: boolean;
    useUndefinedAsUnset?: boolean;
  };
  applicationName?: string;
}

/** Driver value classes we construct for parameters (a subset of `types`). */
export interface ScyllaDriverTypes {
  consistencies: { readonly [K in ScyllaConsistency]: number };
  BigDecimal: { fromString(value: string): unknown };
  Uuid: { fromString(value: string): unknown };
  TimeUuid: { fromString(value: string): unknown };
  InetAddress: new (buffer: Buffer) => unknown;
  LocalDate: { fromBuffer(buffer: Buffer): unknown };
  LocalTime: { fromBuffer(buffer: Buffer): unknown };
  Duration: { fromBuffer(buffer: Buffer): unknown };
  Tuple: { fromArray(elements: unknown[]): unknown };
}

/**
 * The cassandra-driver module as injected by the caller, e.g.
 * `import * as cassandra from 'cassandra-driver'; connectScylla({ url, driver: cassandra })`.
 * Declared structurally so any cassandra-driver ≥ 4.7 (or a compatible fork) fits.
 */
export interface ScyllaDriverModule {
  Client: new (options: ScyllaDriverClientOptions) => ScyllaDriverClient;
  types: ScyllaDriverTypes;
}

/** Loads a module by name (default: a dynamic `import`); injectable so tests can simulate failures. */
export type ScyllaModuleLoader = (name: string) => Promise<unknown>;

/**
 * Loads cassandra-driver, the optional peer dependency, for callers that open ScyllaDB by URL (the CLI,
 * the worker). Not installed: `CONNECTION_FAILED` with the `npm install cassandra-driver` command;
 * installed but broken: the load error, with the reinstall command.
 */
export async function loadCassandraDriver(
  load: ScyllaModuleLoader = (name) => import(name),
): Promise<ScyllaDriverModule> {
  try {
    const module = (await load('cassandra-driver')) as { default?: unknown };
    return (module.default ?? module) as ScyllaDriverModule;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') {
      throw new CdcError(
        'CONNECTION_FAILED',
        `the ScyllaDB driver "cassandra-driver" could not be loaded: ${(error as Error).message}`,
        { hint: 'reinstall it: npm install cassandra-driver', cause: error },
      );
    }
    throw new CdcError('CONNECTION_FAILED', 'the ScyllaDB driver "cassandra-driver" is not installed', {
      hint: 'it is an optional peer dependency of cdc: npm install cassandra-driver',
      cause: error,
    });
  }
}
