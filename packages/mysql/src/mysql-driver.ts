/**
 * The slice of mysql2 cdc uses, injected by the caller (mysql2 stays an optional peer dependency, never
 * bundled — the kysely way), a pool whose connections are set up for exact reads (UTC session, a known
 * `sql_mode`, long `GROUP_CONCAT`), and queries returning rows as arrays.
 */
import { CdcError } from '@cdc/core';
import type { MysqlConfig } from './mysql-config.js';
import { toMysqlError } from './mysql-errors.js';

/** A statement with `?` placeholders and the values bound to them (escaped by mysql2, never spliced by cdc). */
export interface MysqlQuery {
  sql: string;
  params: unknown[];
}

/** Options cdc passes to mysql2's `createPool` (what decoding relies on is always set). */
export interface Mysql2PoolOptions {
  host?: string;
  port?: number;
  socketPath?: string;
  user?: string;
  password?: string;
  database?: string;
  ssl?: { rejectUnauthorized: boolean };
  connectTimeout: number;
  connectionLimit: number;
  charset: string;
  supportBigNumbers: boolean;
  bigNumberStrings: boolean;
  decimalNumbers: boolean;
  dateStrings: boolean;
  jsonStrings: boolean;
  timezone: string;
  multipleStatements: boolean;
}

/** A query's result as mysql2's promise API returns it: rows (or a result header) and field packets. */
export type Mysql2QueryResult = [unknown, unknown];

/** The members of a mysql2 promise connection cdc calls. */
export interface Mysql2PromiseConnectionLike {
  query(options: { sql: string; rowsAsArray?: boolean }, values?: unknown): Promise<Mysql2QueryResult>;
  release(): void;
  destroy?(): void;
}

/** The members of a mysql2 promise pool cdc calls. */
export interface Mysql2PromisePoolLike {
  getConnection(): Promise<Mysql2PromiseConnectionLike>;
  end(): Promise<void>;
}

/** The members of a mysql2 (callback) pool cdc calls. */
export interface Mysql2PoolLike {
  promise(): Mysql2PromisePoolLike;
}

/**
 * The mysql2 module, or a compatible object: `import * as mysql2 from 'mysql2'` satisfies it. Its
 * options parameter is typed `never` here so that mysql2's own option type (a superset) is accepted.
 */
export interface Mysql2ModuleLike {
  createPool(options: never): Mysql2PoolLike;
}

/** mysql2's pool options from validated settings. */
export function mysql2PoolOptions(config: MysqlConfig): Mysql2PoolOptions {
  return {
    ...(config.socket ? { socketPath: config.socket } : { host: config.host, port: config.port }),
    ...(config.user === undefined ? {} : { user: config.user }),
    ...(config.password === undefined ? {} : { password: config.password }),
    ...(config.database === undefined ? {} : { database: config.database }),
    ...(config.ssl === false ? {} : { ssl: { rejectUnauthorized: config.ssl === true } }),
    connectTimeout: config.connectTimeoutMs,
    connectionLimit: config.poolMax,
    // Decoding relies on these: text as UTF-8, exact integers and decimals as strings, dates and JSON
    // as the server writes them (no Date objects, no JSON.parse rounding numbers).
    charset: 'UTF8MB4_GENERAL_CI',
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
    timezone: 'Z',
    multipleStatements: false,
  };
}

/**
 * Session settings every pooled connection gets before its first query: TIMESTAMP values in UTC, a
 * `sql_mode` without `ANSI_QUOTES`/`NO_BACKSLASH_ESCAPES`/`PAD_CHAR_TO_FULL_LENGTH` (the SQL and the
 * escaping of parameters rely on it; CHAR values are read without their padding), and `GROUP_CONCAT`
 * long enough for ordered bucket digests (checked anyway).
 */
export const SESSION_SETUP_SQL =
  "SET SESSION time_zone = '+00:00', sql_mode = 'NO_ENGINE_SUBSTITUTION', group_concat_max_len = 4294967295";

/** Loads a module by name (default: a dynamic `import`); injectable so tests can simulate failures. */
export type ModuleLoader = (name: string) => Promise<unknown>;

function moduleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Loads mysql2, the optional peer dependency, for callers that open MariaDB/MySQL by URL (the CLI, the
 * worker). Not installed: `CONNECTION_FAILED` with the `npm install mysql2` command; installed but
 * broken: the load error, with the reinstall command.
 */
export async function loadMysql2(load: ModuleLoader = (name) => import(name)): Promise<Mysql2ModuleLike> {
  let module: { default?: unknown; createPool?: unknown };
  try {
    module = (await load('mysql2')) as typeof module;
  } catch (error) {
    if (!moduleNotFound(error)) {
      throw new CdcError(
        'CONNECTION_FAILED',
        `the MariaDB/MySQL driver "mysql2" could not be loaded: ${(error as Error).message}`,
        { hint: 'reinstall it: npm install mysql2', cause: error },
      );
    }
    throw new CdcError('CONNECTION_FAILED', 'the MariaDB/MySQL driver "mysql2" is not installed', {
      hint: 'it is an optional peer dependency of @cdc/mysql: npm install mysql2',
      cause: error,
    });
  }
  const candidate = (typeof module.createPool === 'function' ? module : module.default) as
    Mysql2ModuleLike | undefined;
  if (!candidate || typeof candidate.createPool !== 'function') {
    throw new CdcError('CONNECTION_FAILED', 'the module "mysql2" has no createPool: is it mysql2 3.x?', {
      hint: 'npm install mysql2@3',
    });
  }
  return candidate;
}

/** A pooled connection with query helpers; rows come back as arrays in select-list order. */
export class MysqlSession {
  readonly #connection: Mysql2PromiseConnectionLike;
  readonly #label: string;
  #busy = false;

  constructor(connection: Mysql2PromiseConnectionLike, label: string) {
    this.#connection = connection;
    this.#label = label;
  }

  /** True while a statement runs (a connection left in that state is destroyed, not reused). */
  get busy(): boolean {
    return this.#busy;
  }

  /** Runs one statement; `context` says what it was for in error messages. */
  async query(query: MysqlQuery, context: string): Promise<unknown[][]> {
    this.#busy = true;
    try {
      const [rows] = await this.#connection.query({ sql: query.sql, rowsAsArray: true }, query.params);
      this.#busy = false;
      return Array.isArray(rows) ? (rows as unknown[][]) : [];
    } catch (error) {
      throw toMysqlError(error, `${context} on ${this.#label}`);
    }
  }
}

/** A mysql2 pool whose connections get {@link SESSION_SETUP_SQL} once, before their first use. */
export class MysqlDriver {
  readonly #pool: Mysql2PromisePoolLike;
  readonly #label: string;
  readonly #prepared = new WeakSet<object>();
  #closed = false;

  constructor(options: { config: MysqlConfig; driver: Mysql2ModuleLike; label: string }) {
    this.#label = options.label;
    this.#pool = options.driver.createPool(mysql2PoolOptions(options.config) as never).promise();
  }

  /** Where this driver connects, without secrets (for messages). */
  get label(): string {
    return this.#label;
  }

  async #acquire(context: string): Promise<Mysql2PromiseConnectionLike> {
    if (this.#closed) throw new CdcError('INVALID_ARGUMENT', `the connection to ${this.#label} is closed`);
    let connection: Mysql2PromiseConnectionLike;
    try {
      connection = await this.#pool.getConnection();
    } catch (error) {
      throw toMysqlError(error, `connecting to ${this.#label} (${context})`);
    }
    // The promise wrapper is new per checkout; the connection underneath is what persists.
    const identity = (connection as { connection?: object }).connection ?? connection;
    if (!this.#prepared.has(identity)) {
      try {
        await connection.query({ sql: SESSION_SETUP_SQL });
      } catch (error) {
        connection.destroy?.();
        throw toMysqlError(error, `setting up a session on ${this.#label}`);
      }
      this.#prepared.add(identity);
    }
    return connection;
  }

  #giveBack(connection: Mysql2PromiseConnectionLike, session: MysqlSession): void {
    // A failed or abandoned statement may leave the connection mid-protocol: never reuse it.
    if (session.busy && connection.destroy) connection.destroy();
    else connection.release();
  }

  /** Runs `fn` on one pooled connection, released afterwards. */
  async withSession<T>(fn: (session: MysqlSession) => Promise<T>, context = 'a query'): Promise<T> {
    const connection = await this.#acquire(context);
    const session = new MysqlSession(connection, this.#label);
    try {
      return await fn(session);
    } finally {
      this.#giveBack(connection, session);
    }
  }

  /**
   * Yields what `fn` yields while holding one pooled connection (keyset pages of a scan), released when
   * the iteration ends, fails or is abandoned by its consumer.
   */
  async *stream<T>(fn: (session: MysqlSession) => AsyncIterable<T>, context: string): AsyncGenerator<T> {
    const connection = await this.#acquire(context);
    const session = new MysqlSession(connection, this.#label);
    try {
      yield* fn(session);
    } finally {
      this.#giveBack(connection, session);
    }
  }

  /** Runs one statement on a pooled connection. */
  query(query: MysqlQuery, context: string): Promise<unknown[][]> {
    return this.withSession((s) => s.query(query, context), context);
  }

  /** Closes the pool. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
