/**
 * The slice of tedious cdc uses, injected by the caller (tedious stays a peer dependency, never bundled —
 * the kysely way), a tarn pool of connections, and streamed queries with back-pressure so scans run in
 * bounded memory.
 */
import { Pool } from 'tarn';
import { CdcError } from '@cdc/core';
import type { SqlServerConfig } from './sqlserver-config.js';
import { toSqlServerError } from './sqlserver-errors.js';
import type { SqlServerQuery } from './sqlserver-sql.js';

/** One column of a tedious row (`useColumnNames: false`). */
export interface TediousColumnValue {
  value: unknown;
  metadata: { colName: string };
}

/** The members of tedious' `Request` cdc calls. */
export interface TediousRequestLike {
  addParameter(name: string, type: unknown, value?: unknown, options?: { length?: number } | null): void;
  on(event: 'row', listener: (columns: TediousColumnValue[]) => void): unknown;
  pause(): void;
  resume(): void;
}

/** The members of tedious' `Connection` cdc calls. */
export interface TediousConnectionLike {
  connect(callback?: (error?: Error) => void): void;
  execSql(request: TediousRequestLike): void;
  execSqlBatch?(request: TediousRequestLike): void;
  beginTransaction(callback: (error?: Error | null) => void, name?: string, isolationLevel?: number): void;
  commitTransaction(callback: (error?: Error | null) => void): void;
  rollbackTransaction(callback: (error?: Error | null) => void): void;
  cancel(): boolean;
  close(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

/** Configuration object tedious' `Connection` constructor takes (only what cdc sets). */
export interface TediousConnectionConfig {
  server: string;
  authentication: { type: string; options: Record<string, string | undefined> };
  options: Record<string, unknown>;
}

/**
 * The tedious module, or a compatible object: `import * as tedious from 'tedious'` satisfies it.
 * `Connection` may be left out when a `connectionFactory` is given.
 */
export interface TediousModuleLike {
  /**
   * tedious' Connection class. Its config parameter is typed `never` here because tedious declares
   * authentication as a discriminated union the slice cannot restate; cdc passes {@link tediousConfigOf}.
   */
  Connection?: new (config: never) => TediousConnectionLike;
  Request: new (
    sql: string,
    callback: (error: Error | null | undefined, rowCount?: number) => void,
  ) => TediousRequestLike;
  TYPES: Record<'NVarChar' | 'VarBinary' | 'BigInt' | 'Int' | 'Binary', unknown>;
  ISOLATION_LEVEL: Record<string, number>;
}

/** Builds tedious' connection configuration from validated settings. */
export function tediousConfigOf(config: SqlServerConfig): TediousConnectionConfig {
  const auth: Record<string, string | undefined> = {};
  switch (config.authentication) {
    case 'default':
      Object.assign(auth, { userName: config.user, password: config.password });
      break;
    case 'ntlm':
      Object.assign(auth, { userName: config.user, password: config.password, domain: config.domain });
      break;
    case 'azure-active-directory-password':
      Object.assign(auth, {
        userName: config.user,
        password: config.password,
        clientId: config.clientId,
        tenantId: config.tenantId,
      });
      break;
    case 'azure-active-directory-access-token':
      Object.assign(auth, { token: config.token });
      break;
    case 'azure-active-directory-service-principal-secret':
      Object.assign(auth, {
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        tenantId: config.tenantId,
      });
      break;
    default:
      if (config.clientId) auth.clientId = config.clientId;
  }
  for (const k of Object.keys(auth)) if (auth[k] === undefined) delete auth[k];
  const options: Record<string, unknown> = {
    database: config.database,
    encrypt: config.encrypt,
    trustServerCertificate: config.trustServerCertificate,
    appName: config.applicationName,
    connectTimeout: config.connectTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    readOnlyIntent: config.applicationIntent === 'ReadOnly',
    multiSubnetFailover: config.multiSubnetFailover,
    // Decoding relies on these: UTC dates (wall clock for datetime2), rows as arrays, nothing buffered.
    useUTC: true,
    useColumnNames: false,
    rowCollectionOnRequestCompletion: false,
  };
  if (config.instanceName) options.instanceName = config.instanceName;
  else options.port = config.port ?? 1433;
  if (config.hostNameInCertificate) options.serverName = config.hostNameInCertificate;
  return { server: config.host, authentication: { type: config.authentication, options: auth }, options };
}

/** A raw row: column name → tedious value. */
export type RawRow = Record<string, unknown>;

function toRawRow(columns: TediousColumnValue[]): RawRow {
  const row: RawRow = {};
  for (const c of columns) row[c.metadata.colName] = c.value;
  return row;
}

/** One pooled connection with query helpers. */
export class SqlServerSession {
  readonly #connection: TediousConnectionLike;
  readonly #tedious: TediousModuleLike;
  #broken = false;

  constructor(connection: TediousConnectionLike, tedious: TediousModuleLike) {
    this.#connection = connection;
    this.#tedious = tedious;
    connection.on('error', () => {
      this.#broken = true;
    });
    connection.on('end', () => {
      this.#broken = true;
    });
  }

  /** False once the connection reported an error or closed; the pool then discards it. */
  get usable(): boolean {
    return !this.#broken;
  }

  #request(query: SqlServerQuery, callback: (error: Error | null | undefined) => void): TediousRequestLike {
    const request = new this.#tedious.Request(query.sql, callback);
    for (const [name, p] of Object.entries(query.params)) {
      const type = this.#tedious.TYPES[p.type];
      if (type === undefined) throw new CdcError('INTERNAL', `tedious has no TYPES.${p.type}.`);
      request.addParameter(name, type, p.value, p.length === undefined ? undefined : { length: p.length });
    }
    return request;
  }

  /** Runs a statement and collects all rows (for small results). */
  query(query: SqlServerQuery, context: string): Promise<RawRow[]> {
    return new Promise((resolve, reject) => {
      const rows: RawRow[] = [];
      let request: TediousRequestLike;
      try {
        request = this.#request(query, (error) => {
          if (error) reject(toSqlServerError(error, context));
          else resolve(rows);
        });
      } catch (error) {
        reject(toSqlServerError(error, context));
        return;
      }
      request.on('row', (columns) => rows.push(toRawRow(columns)));
      this.#connection.execSql(request);
    });
  }

  /**
   * Streams the rows of a statement in batches of `batchRows`; the request is paused while a batch
   * waits for its consumer, so memory stays bounded. Breaking out of the loop cancels the request.
   */
  async *stream(
    query: SqlServerQuery,
    batchRows: number,
    context: string,
    signal?: AbortSignal,
  ): AsyncGenerator<RawRow[]> {
    let buffer: RawRow[] = [];
    const ready: RawRow[][] = [];
    let done = false;
    let failure: CdcError | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const request = this.#request(query, (error) => {
      if (error) failure = toSqlServerError(error, context);
      if (buffer.length > 0) ready.push(buffer);
      buffer = [];
      done = true;
      notify();
    });
    request.on('row', (columns) => {
      buffer.push(toRawRow(columns));
      if (buffer.length >= batchRows) {
        ready.push(buffer);
        buffer = [];
        request.pause();
        notify();
      }
    });
    const onAbort = () => this.#connection.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#connection.execSql(request);
    try {
      while (true) {
        const batch = ready.shift();
        if (batch) {
          yield batch;
          if (!done && ready.length === 0) request.resume();
          continue;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!done) {
        // The consumer stopped early: cancel and wait until the request completes so the connection is idle.
        this.#connection.cancel();
        request.resume();
        while (!done) await new Promise<void>((resolve) => (wake = resolve));
      }
      if (signal?.aborted) {
        // eslint-disable-next-line no-unsafe-finally
        throw new CdcError('CANCELLED', `SQL Server: ${context} was cancelled.`);
      }
    }
  }

  /** Begins a transaction at `isolation` (`SNAPSHOT`, `REPEATABLE_READ`, `READ_COMMITTED`). */
  begin(isolation: 'SNAPSHOT' | 'REPEATABLE_READ' | 'READ_COMMITTED', context: string): Promise<void> {
    const level = this.#tedious.ISOLATION_LEVEL[isolation];
    return new Promise((resolve, reject) =>
      this.#connection.beginTransaction(
        (error) => (error ? reject(toSqlServerError(error, context)) : resolve()),
        'cdc',
        level,
      ),
    );
  }

  commit(context: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#connection.commitTransaction((error) =>
        error ? reject(toSqlServerError(error, context)) : resolve(),
      ),
    );
  }

  rollback(context: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#connection.rollbackTransaction((error) =>
        error ? reject(toSqlServerError(error, context)) : resolve(),
      ),
    );
  }

  close(): void {
    this.#broken = true;
    this.#connection.close();
  }
}

/** How connections are made: from the injected tedious module, or by a caller-supplied factory. */
export interface SqlServerDriverOptions {
  config: SqlServerConfig;
  tedious: TediousModuleLike;
  /** Returns a new, not yet connected tedious Connection (overrides `tedious.Connection`). */
  connectionFactory?: () => TediousConnectionLike | Promise<TediousConnectionLike>;
  /** Label for messages, e.g. the redacted URL. */
  label: string;
}

/** A pool of {@link SqlServerSession}s (tarn). */
export class SqlServerDriver {
  readonly #pool: Pool<SqlServerSession>;
  readonly #label: string;
  #closed = false;

  constructor(options: SqlServerDriverOptions) {
    const { config, tedious, connectionFactory, label } = options;
    this.#label = label;
    const create = async (): Promise<SqlServerSession> => {
      let connection: TediousConnectionLike;
      if (connectionFactory) connection = await connectionFactory();
      else if (tedious.Connection) {
        const Connection = tedious.Connection as unknown as new (
          c: TediousConnectionConfig,
        ) => TediousConnectionLike;
        connection = new Connection(tediousConfigOf(config));
      } else {
        throw new CdcError(
          'CONFIG_INVALID',
          'The tedious module passed to connectSqlServer has no Connection.',
          {
            hint: "Pass { tedious: await import('tedious') } or a connectionFactory.",
          },
        );
      }
      await new Promise<void>((resolve, reject) =>
        connection.connect((error) =>
          error ? reject(toSqlServerError(error, `connecting to ${label}`)) : resolve(),
        ),
      );
      return new SqlServerSession(connection, tedious);
    };
    this.#pool = new Pool<SqlServerSession>({
      create: (callback) => {
        create().then(
          (s) => callback(null, s),
          (e: unknown) => callback(e as Error, undefined as unknown as SqlServerSession),
        );
      },
      destroy: (session) => session.close(),
      validate: (session) => session.usable,
      min: config.poolMin,
      max: config.poolMax,
      acquireTimeoutMillis: Math.max(config.connectTimeoutMs * 2, 30_000),
      propagateCreateError: true,
    });
  }

  /** Runs `fn` with a pooled session, released afterwards (destroyed if it broke). */
  async withSession<T>(fn: (session: SqlServerSession) => Promise<T>): Promise<T> {
    if (this.#closed) throw new CdcError('INTERNAL', `SQL Server connection ${this.#label} is closed.`);
    let session: SqlServerSession;
    try {
      session = await this.#pool.acquire().promise;
    } catch (error) {
      throw toSqlServerError(error, `connecting to ${this.#label}`);
    }
    try {
      return await fn(session);
    } finally {
      this.#pool.release(session);
    }
  }

  /** Takes a session out of the pool until {@link release} (for snapshots spanning many calls). */
  async acquire(): Promise<SqlServerSession> {
    if (this.#closed) throw new CdcError('INTERNAL', `SQL Server connection ${this.#label} is closed.`);
    try {
      return await this.#pool.acquire().promise;
    } catch (error) {
      throw toSqlServerError(error, `connecting to ${this.#label}`);
    }
  }

  /** Returns a session taken with {@link acquire}. */
  release(session: SqlServerSession): void {
    this.#pool.release(session);
  }

  /** Streams from a pooled session held for the whole iteration. */
  async *streamWithSession<T>(fn: (session: SqlServerSession) => AsyncGenerator<T>): AsyncGenerator<T> {
    if (this.#closed) throw new CdcError('INTERNAL', `SQL Server connection ${this.#label} is closed.`);
    let session: SqlServerSession;
    try {
      session = await this.#pool.acquire().promise;
    } catch (error) {
      throw toSqlServerError(error, `connecting to ${this.#label}`);
    }
    try {
      yield* fn(session);
    } finally {
      this.#pool.release(session);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.destroy();
  }
}

/** Loads a module by name (default: a dynamic `import`); injectable so tests can simulate failures. */
export type ModuleLoader = (name: string) => Promise<unknown>;

function moduleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Loads tedious, the optional peer dependency, for callers that open SQL Server by URL (the CLI, the
 * worker). Not installed: `CONNECTION_FAILED` with the `npm install tedious` command; installed but
 * broken: the load error, with the reinstall command.
 */
export async function loadTedious(load: ModuleLoader = (name) => import(name)): Promise<TediousModuleLike> {
  try {
    const module = (await load('tedious')) as { default?: unknown };
    return (module.default ?? module) as TediousModuleLike;
  } catch (error) {
    if (!moduleNotFound(error)) {
      throw new CdcError(
        'CONNECTION_FAILED',
        `the SQL Server driver "tedious" could not be loaded: ${(error as Error).message}`,
        { hint: 'reinstall it: npm install tedious', cause: error },
      );
    }
    throw new CdcError('CONNECTION_FAILED', 'the SQL Server driver "tedious" is not installed', {
      hint: 'it is an optional peer dependency of cdc: npm install tedious',
      cause: error,
    });
  }
}
