/**
 * The MariaDB/MySQL source: `connectMysql` opens a mysql2 pool and returns a {@link MysqlAdapter}
 * implementing `ScanSource` (introspection, counts, splits, keyset scans, lookups, hash pushdown with
 * MD5() over the canonical text of `docs/normalization.md`). Written against `@cdc/core`'s public API
 * only, as any third-party adapter would be.
 */
import {
  CdcError,
  combineHalfSums,
  defineCapabilities,
  formatTableId,
  redactUrl,
  type BucketSummary,
  type Capabilities,
  type Column,
  type HashPlan,
  type Key,
  type KeyHash,
  type Range,
  type Row,
  type ScanOptions,
  type ScanSource,
  type TableId,
  type TableSchema,
  type WorkerSourceSpec,
} from '@cdc/core';
import { parseMysqlConfig, parseMysqlUrl, type MysqlConfig, type MysqlConfigInput } from './mysql-config.js';
import { MysqlDriver, loadMysql2, type Mysql2ModuleLike, type MysqlSession } from './mysql-driver.js';
import {
  MYSQL_PUSHDOWN_KINDS,
  SERVER_FACTS_SQL,
  columnsQuery,
  countQuery,
  estimateCountQuery,
  findColumn,
  jsonChecksQuery,
  keyColumns,
  keyHashesQuery,
  keysQuery,
  lookupQuery,
  scanPageQuery,
  splitBoundariesQuery,
  summarizeQuery,
  tablesQuery,
} from './mysql-sql.js';
import { mapMysqlType, type MysqlColumnInfo } from './mysql-types.js';
import { decodeMysqlValue } from './mysql-values.js';

/** Options of {@link connectMysql}. */
export interface MysqlConnectOptions {
  /** `mysql://…` / `mariadb://…` URL. Give either this or `connection`. */
  url?: string;
  /** Settings object ({@link mysqlConfigSchema}), instead of `url`. */
  connection?: MysqlConfigInput;
  /** The mysql2 module (`await import('mysql2')`, or {@link loadMysql2}), injected so it stays a peer dependency. */
  driver: Mysql2ModuleLike;
}

/** What the server said about itself on connect. */
export interface MysqlServerFacts {
  /** `VERSION()`, e.g. `10.11.18-MariaDB-0+deb12u1-log` or `8.4.3`. */
  version: string;
  /** `mariadb` when the version says so, else `mysql`. */
  flavour: 'mariadb' | 'mysql';
  /** `DATABASE()`: the URL's database, or `undefined`. */
  database: string | undefined;
  /** `@@lower_case_table_names` (0: names are case-sensitive). */
  lowerCaseTableNames: number;
}

/** Default rows per scan page. */
const DEFAULT_BATCH_ROWS = 5000;
/** Keys per lookup statement. */
const LOOKUP_BATCH = 1000;
/** Buckets per drill-down statement. */
const BUCKETS_PER_QUERY = 500;

/** Capabilities for a hashing choice (pure, for tests and docs). */
export function mysqlCapabilities(hashing: MysqlConfig['hashing']): Capabilities {
  const pushdown = hashing !== 'client';
  return defineCapabilities({
    exactCount: true,
    estimatedCount: true,
    orderedScan: true,
    hashPushdown: pushdown,
    pushdownKinds: pushdown ? MYSQL_PUSHDOWN_KINDS : [],
    intRangeBuckets: true,
    // Implemented (summarize honours `bucketDigest: 'ordered'`) but not offered: MariaDB 10.11 took
    // 2.7× longer for GROUP_CONCAT(… ORDER BY key) per bucket than for the two sums of row digests
    // (31 s against 11.7 s over 1M rows), while PostgreSQL saves only its per-row md5() calls.
    orderedBucketDigest: false,
    tokenPartitioned: false,
  });
}

/**
 * Connects to MariaDB or MySQL and reads what the server is.
 *
 * @example
 * ```ts
 * import * as mysql2 from 'mysql2';
 * const source = await connectMysql({ url: 'mysql://cdc:pw@localhost:3306/shop', driver: mysql2 });
 * const schema = await source.introspect({ name: 'orders' });
 * for await (const rows of source.scan(schema)) console.log(rows.length);
 * await source.close();
 * ```
 */
export async function connectMysql(options: MysqlConnectOptions): Promise<MysqlAdapter> {
  if ((options.url === undefined) === (options.connection === undefined)) {
    throw new CdcError('INVALID_ARGUMENT', 'connectMysql needs either url or connection (not both).');
  }
  const config =
    options.url !== undefined ? parseMysqlUrl(options.url) : parseMysqlConfig(options.connection);
  const label =
    options.url !== undefined
      ? redactUrl(options.url)
      : `mysql://${config.socket ?? `${config.host}:${config.port}`}/${config.database ?? ''}`;
  const driver = new MysqlDriver({ config, driver: options.driver, label });
  try {
    const [row] = await driver.query({ sql: SERVER_FACTS_SQL, params: [] }, 'reading the server version');
    const version = String(row?.[0] ?? '');
    const facts: MysqlServerFacts = {
      version,
      flavour: /mariadb/i.test(version) ? 'mariadb' : 'mysql',
      database: row?.[1] === null || row?.[1] === undefined ? undefined : String(row[1]),
      lowerCaseTableNames: Number(row?.[2] ?? 0),
    };
    return new MysqlAdapter(driver, config, facts, options.url);
  } catch (error) {
    await driver.close();
    throw error;
  }
}

/**
 * Opens a source from a URL, loading mysql2 itself: the factory hashing worker threads reopen a source
 * with (`workerSpec`), and what the connector descriptor's `openScanSource` calls.
 */
export async function openMysqlSource(options: { url: string }): Promise<MysqlAdapter> {
  return connectMysql({ url: options.url, driver: await loadMysql2() });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** MariaDB/MySQL as a {@link ScanSource}. Create with {@link connectMysql}. */
export class MysqlAdapter implements ScanSource {
  readonly dialect = 'mysql';
  readonly capabilities: Capabilities;
  /** What the server reported on connect. */
  readonly facts: MysqlServerFacts;
  readonly #driver: MysqlDriver;
  readonly #config: MysqlConfig;
  readonly #url: string | undefined;

  /** @internal Use {@link connectMysql}. */
  constructor(driver: MysqlDriver, config: MysqlConfig, facts: MysqlServerFacts, url?: string) {
    this.#driver = driver;
    this.#config = config;
    this.facts = facts;
    this.#url = url;
    this.capabilities = mysqlCapabilities(config.hashing);
  }

  /**
   * How a diff's hashing worker thread opens its own pool to the same server: only for sources opened
   * from a URL (the worker loads mysql2 itself).
   */
  get workerSpec(): WorkerSourceSpec | undefined {
    return this.#url === undefined
      ? undefined
      : { module: '@cdc/mysql', factory: 'openMysqlSource', options: { url: this.#url } };
  }

  #database(table: TableId): string {
    if (table.catalog !== undefined) {
      throw new CdcError('INVALID_ARGUMENT', `MariaDB/MySQL has no catalogs: ${formatTableId(table)}.`, {
        hint: 'Name tables as database.table (the schema is the database).',
      });
    }
    const database = table.schema ?? this.#config.database ?? this.facts.database;
    if (!database) {
      throw new CdcError('INVALID_ARGUMENT', `No database for table ${formatTableId(table)}.`, {
        hint: 'Write the table as database.table, or put the database in the URL (mysql://user@host:3306/database).',
      });
    }
    return database;
  }

  #notFound(table: TableId, database: string): CdcError {
    return new CdcError(
      'TABLE_NOT_FOUND',
      `Table ${formatTableId({ schema: database, name: table.name })} does not exist on ${this.#driver.label} (or the user cannot see it).`,
      {
        hint: 'Names are exact (case-sensitive on Linux servers): check the database and table name, and that the user has SELECT on it.',
      },
    );
  }

  async introspect(table: TableId, options: { key?: string[] } = {}): Promise<TableSchema> {
    const database = this.#database(table);
    const what = `introspecting ${formatTableId({ schema: database, name: table.name })}`;
    return this.#driver.withSession(async (session) => {
      const candidates = (await session.query(tablesQuery(database, table.name), what)).map((r) =>
        String(r[0]),
      );
      const name =
        candidates.find((n) => n === table.name) ??
        (this.facts.lowerCaseTableNames > 0 && candidates.length === 1 ? candidates[0] : undefined);
      if (name === undefined) throw this.#notFound(table, database);
      const id: TableId = { schema: database, name };
      const rows = await session.query(columnsQuery(database, name), what);
      const jsonColumns = await this.#jsonChecks(session, database, name, what);
      const problems: string[] = [];
      const columns: Column[] = [];
      for (const r of rows) {
        const info: MysqlColumnInfo = {
          name: String(r[0]),
          dataType: String(r[1]),
          columnType: String(r[2]),
          nullable: String(r[3]) === 'YES',
          maxLength: num(r[4]),
          precision: num(r[5]),
          scale: num(r[6]),
          datetimePrecision: num(r[7]),
          charset: text(r[8]),
          collation: text(r[9]),
        };
        if (jsonColumns.has(info.name)) info.jsonCheck = true;
        try {
          const m = mapMysqlType(info, { tinyInt1: this.#config.tinyInt1 });
          columns.push({
            name: info.name,
            type: m.type,
            nativeType: m.nativeType,
            nullable: info.nullable,
            ...(m.length === undefined ? {} : { length: m.length }),
            ...(info.collation && m.type.kind === 'text' ? { collation: info.collation } : {}),
          });
        } catch {
          problems.push(`"${info.name}" (${info.columnType})`);
        }
      }
      if (problems.length > 0) {
        throw new CdcError(
          'UNSUPPORTED_TYPE',
          `Table ${formatTableId(id)} has columns of types cdc cannot compare: ${problems.join(', ')}.`,
          {
            hint: 'Leave these columns out of the comparison (columns: […]), or compare generated columns that cast them (e.g. ST_AsText(g)).',
          },
        );
      }
      const indexes = new Map<string, { columns: string[]; prefix: boolean }>();
      for (const k of await session.query(
        keysQuery(database, name),
        `reading keys of ${formatTableId(id)}`,
      )) {
        const index = String(k[0]);
        const entry = indexes.get(index) ?? { columns: [], prefix: false };
        entry.columns.push(String(k[1]));
        if (k[2] !== null && k[2] !== undefined) entry.prefix = true;
        indexes.set(index, entry);
      }
      const pk = indexes.get('PRIMARY')?.columns;
      const uniqueKeys = [...indexes.entries()]
        .filter(([n, i]) => n !== 'PRIMARY' && !i.prefix)
        .map(([, i]) => i.columns);
      if (options.key) {
        for (const k of options.key) {
          if (!columns.some((c) => c.name === k)) {
            throw new CdcError(
              'COLUMN_NOT_FOUND',
              `Key column "${k}" does not exist in ${formatTableId(id)}.`,
              {
                hint: `Known columns: ${columns.map((c) => c.name).join(', ')}.`,
              },
            );
          }
        }
      }
      const primaryKey = options.key ?? pk;
      if (!primaryKey || primaryKey.length === 0) {
        throw new CdcError('NO_PRIMARY_KEY', `Table ${formatTableId(id)} has no primary key.`, {
          hint:
            uniqueKeys.length > 0
              ? `Pass a key, e.g. key: [${uniqueKeys[0]?.map((c) => `"${c}"`).join(', ')}] (a unique index).`
              : 'Add a primary key, or pass key columns that identify rows uniquely.',
        });
      }
      return { id, columns, primaryKey, ...(uniqueKeys.length > 0 ? { uniqueKeys } : {}) };
    }, what);
  }

  /** MariaDB's `JSON` is `longtext` plus a `json_valid(col)` check: the columns carrying one. */
  async #jsonChecks(
    session: MysqlSession,
    database: string,
    name: string,
    what: string,
  ): Promise<Set<string>> {
    const out = new Set<string>();
    if (this.facts.flavour !== 'mariadb') return out;
    for (const r of await session.query(jsonChecksQuery(database, name), what)) {
      const m = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(r[0]).trim());
      if (m?.[1]) out.add(m[1].replace(/``/g, '`'));
    }
    return out;
  }

  async count(table: TableSchema, range?: Range): Promise<bigint> {
    const [row] = await this.#driver.query(
      countQuery(table, range, this.facts.flavour),
      `counting ${formatTableId(table.id)}`,
    );
    return BigInt(String(row?.[0] ?? 0));
  }

  async estimateCount(table: TableSchema): Promise<bigint> {
    const [row] = await this.#driver.query(
      estimateCountQuery(table),
      `estimating the size of ${formatTableId(table.id)}`,
    );
    return BigInt(String(row?.[0] ?? 0));
  }

  async splits(table: TableSchema, n: number): Promise<Range[]> {
    if (!Number.isInteger(n) || n < 1) {
      throw new CdcError('INVALID_ARGUMENT', `splits(n) needs a positive integer, got ${n}.`);
    }
    if (n === 1) return [{ kind: 'key' }];
    const total = await this.count(table);
    if (total <= 1n) return [{ kind: 'key' }];
    const step = Number((total + BigInt(n) - 1n) / BigInt(n));
    const keys = keyColumns(table);
    const rows = await this.#driver.query(
      splitBoundariesQuery(table, step),
      `splitting ${formatTableId(table.id)}`,
    );
    const ranges: Range[] = [];
    let lower: Key | undefined;
    for (const r of rows) {
      const bound = keys.map((c, i) => decodeMysqlValue(c, r[i]));
      ranges.push({ kind: 'key', ...(lower ? { lower } : {}), upper: bound });
      lower = bound;
    }
    ranges.push({ kind: 'key', ...(lower ? { lower } : {}) });
    return ranges;
  }

  #columnsFor(table: TableSchema, names?: readonly string[]): Column[] {
    if (!names) return table.columns;
    for (const n of names) findColumn(table, n);
    const wanted = new Set([...table.primaryKey, ...names]);
    return table.columns.filter((c) => wanted.has(c.name));
  }

  /** Keyset pages of `batchRows` rows on one pooled connection: memory holds one page at a time. */
  scan(table: TableSchema, options: ScanOptions = {}): AsyncIterable<Row[]> {
    const pages = this.#pages.bind(this);
    return this.#driver.stream(
      (session: MysqlSession) => pages(session, table, options),
      `scanning ${formatTableId(table.id)}`,
    );
  }

  async *#pages(session: MysqlSession, table: TableSchema, options: ScanOptions): AsyncGenerator<Row[]> {
    const columns = this.#columnsFor(table, options.columns);
    const keyIndexes = keyColumns(table).map((k) => columns.findIndex((c) => c.name === k.name));
    const limit = options.batchRows ?? DEFAULT_BATCH_ROWS;
    const ordered = options.ordered ?? false;
    const flavour = this.facts.flavour;
    const name = formatTableId(table.id);
    let after: Key | undefined;
    while (true) {
      if (options.signal?.aborted) throw new CdcError('CANCELLED', `Scan of ${name} cancelled.`);
      const page = await session.query(
        scanPageQuery(table, {
          columns,
          limit,
          ordered,
          flavour,
          ...(options.range ? { range: options.range } : {}),
          ...(after ? { after } : {}),
        }),
        `scanning ${name}`,
      );
      if (page.length === 0) return;
      const rows = page.map((raw) => {
        const row: Row = {};
        for (let i = 0; i < columns.length; i++) {
          const c = columns[i] as Column;
          row[c.name] = decodeMysqlValue(c, raw[i]);
        }
        return row;
      });
      const last = page[page.length - 1] as unknown[];
      after = keyIndexes.map((i) => decodeMysqlValue(columns[i] as Column, last[i]));
      yield rows;
      if (page.length < limit) return;
    }
  }

  /**
   * A consistent snapshot of `table` and the binary-log position it matches, on one connection held
   * until the iteration ends: first yields `{ file, position }`, then the rows in keyset pages.
   * MariaDB: `START TRANSACTION WITH CONSISTENT SNAPSHOT` and the `binlog_snapshot_file`/`_position`
   * status of that transaction. MySQL (no such status): a brief `FLUSH TABLES WITH READ LOCK` around the
   * transaction start and `SHOW MASTER STATUS` (needs the `RELOAD` privilege; not tested here).
   * Used by the binary-log change source.
   */
  snapshotStream(
    table: TableSchema,
    options: { batchRows?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<{ file: string; position: number } | Row[]> {
    const pages = this.#pages.bind(this);
    const flavour = this.facts.flavour;
    const name = formatTableId(table.id);
    return this.#driver.stream(async function* (session: MysqlSession) {
      const run = (sql: string) => session.query({ sql, params: [] }, `snapshotting ${name}`);
      await run('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      let file: string | undefined;
      let position: number | undefined;
      if (flavour === 'mariadb') {
        await run('START TRANSACTION WITH CONSISTENT SNAPSHOT');
        for (const [variable, value] of await run("SHOW STATUS LIKE 'binlog_snapshot_%'")) {
          if (String(variable).toLowerCase() === 'binlog_snapshot_file') file = String(value);
          if (String(variable).toLowerCase() === 'binlog_snapshot_position') position = Number(value);
        }
      } else {
        await run('FLUSH TABLES WITH READ LOCK');
        try {
          await run('START TRANSACTION WITH CONSISTENT SNAPSHOT');
          const [status] = await run('SHOW MASTER STATUS');
          if (status) [file, position] = [String(status[0]), Number(status[1])];
        } finally {
          await run('UNLOCK TABLES');
        }
      }
      if (!file || position === undefined || !Number.isFinite(position)) {
        throw new CdcError(
          'CDC_NOT_ENABLED',
          `The binary log of ${name}'s server is off: no snapshot position.`,
          {
            hint: 'Start the server with log_bin, server_id and binlog_format=ROW (docs/sources/mysql.md, "Replication").',
          },
        );
      }
      try {
        yield { file, position };
        yield* pages(session, table, {
          batchRows: options.batchRows ?? DEFAULT_BATCH_ROWS,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } finally {
        await run('COMMIT').catch(() => undefined);
      }
    }, `snapshotting ${name}`);
  }

  /** The server's current end of the binary log (`SHOW MASTER STATUS`), `undefined` when it is off. */
  async binlogEnd(): Promise<{ file: string; position: number } | undefined> {
    const [status] = await this.#driver.query(
      { sql: 'SHOW MASTER STATUS', params: [] },
      'reading the binary log position',
    );
    return status ? { file: String(status[0]), position: Number(status[1]) } : undefined;
  }

  /** The server's `@@binlog_format` and `@@binlog_row_image` (what the binlog change source requires). */
  async binlogSettings(): Promise<{ format: string; rowImage: string }> {
    const [row] = await this.#driver.query(
      { sql: 'SELECT @@GLOBAL.binlog_format, @@GLOBAL.binlog_row_image', params: [] },
      'reading the binary log settings',
    );
    return { format: String(row?.[0] ?? ''), rowImage: String(row?.[1] ?? '') };
  }

  /** The validated connection settings (the binary-log reader connects with them). */
  get config(): MysqlConfig {
    return this.#config;
  }

  async lookup(table: TableSchema, keys: Key[], columnNames?: string[]): Promise<Row[]> {
    if (keys.length === 0) return [];
    const columns = this.#columnsFor(table, columnNames);
    const out: Row[] = [];
    await this.#driver.withSession(async (session) => {
      for (const part of chunk(keys, LOOKUP_BATCH)) {
        const rows = await session.query(
          lookupQuery(table, part, columns),
          `looking up ${part.length} keys in ${formatTableId(table.id)}`,
        );
        for (const raw of rows) {
          const row: Row = {};
          columns.forEach((c, i) => (row[c.name] = decodeMysqlValue(c, raw[i])));
          out.push(row);
        }
      }
    });
    return out;
  }

  #checkPlan(table: TableSchema, plan: HashPlan): void {
    if (plan.mode !== 'canonical') {
      throw new CdcError(
        'INVALID_ARGUMENT',
        'MariaDB/MySQL has no native hash family: use mode "canonical".',
      );
    }
    if (!this.capabilities.hashPushdown) {
      throw new CdcError('INVALID_ARGUMENT', 'Hash pushdown is off for this source (hashing=client).', {
        hint: 'Hash client-side (the engine does when capabilities.hashPushdown is false).',
      });
    }
    const kinds = new Set(this.capabilities.pushdownKinds);
    for (const name of [...plan.key, ...plan.columns]) {
      const c = findColumn(table, name);
      if (!kinds.has(c.type.kind)) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          `Column "${name}" (${c.nativeType}) of ${formatTableId(table.id)} cannot be hashed inside MariaDB/MySQL.`,
          {
            hint: 'Hash this table client-side: the engine does so when a plan touches kinds outside pushdownKinds.',
          },
        );
      }
    }
  }

  async summarize(table: TableSchema, plan: HashPlan, range?: Range): Promise<BucketSummary[]> {
    this.#checkPlan(table, plan);
    const name = formatTableId(table.id);
    return this.#driver.withSession(async (session) => {
      const rows = await session.query(
        summarizeQuery(table, plan, range, this.facts.flavour),
        `hashing ${name}`,
      );
      if (plan.bucketDigest === 'ordered') {
        for (const r of rows) {
          if (String(r[3]) !== String(r[4])) {
            throw new CdcError(
              'UPSTREAM_ERROR',
              `GROUP_CONCAT cut bucket ${String(r[0])} of ${name} (${String(r[4])} of ${String(r[3])} bytes): its digest would be wrong.`,
              { hint: 'Use smaller buckets (rowsPerBucket) or --hashing client for this table.' },
            );
          }
        }
        return rows.map((r) => ({
          bucket: Number(r[0]),
          count: Number(r[1]),
          sum: BigInt(`0x${String(r[2]).slice(0, 16)}`),
        }));
      }
      return rows.map((r) => ({
        bucket: Number(r[0]),
        count: Number(r[1]),
        sum: combineHalfSums(BigInt(String(r[2])), BigInt(String(r[3]))),
      }));
    }, `hashing ${name}`);
  }

  keyHashes(table: TableSchema, plan: HashPlan, buckets: number[], range?: Range): AsyncIterable<KeyHash[]> {
    this.#checkPlan(table, plan);
    const keys = plan.key.map((n) => findColumn(table, n));
    const name = formatTableId(table.id);
    const flavour = this.facts.flavour;
    return this.#driver.stream(async function* (session: MysqlSession) {
      for (const part of chunk(buckets, BUCKETS_PER_QUERY)) {
        const query = keyHashesQuery(table, plan, part, range, flavour);
        if (!query) continue;
        const rows = await session.query(query, `hashing keys of ${name}`);
        if (rows.length === 0) continue;
        yield rows.map((r) => ({
          key: keys.map((c, i) => decodeMysqlValue(c, r[i])),
          hash: String(r[keys.length]),
        }));
      }
    }, `hashing keys of ${name}`);
  }

  async close(): Promise<void> {
    await this.#driver.close();
  }
}
