/**
 * PostgreSQL as a {@link ScanSource}: introspection from `pg_catalog`, counts, key-range splits,
 * keyset-paginated scans, batched lookups and canonical/native hash pushdown (one GROUP BY pass).
 */
import {
  CdcError,
  columnsString,
  combineHalfSums,
  defineCapabilities,
  formatTableId,
  isCdcError,
  keyString,
  packCanonicalRows,
  redactUrl,
  type BucketSummary,
  type CanonicalBatch,
  type CanonicalRow,
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
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import {
  POSTGRES_PUSHDOWN_KINDS,
  canPushDown,
  canonicalColumnSql,
  digestWord32Sql,
  digestWord64Sql,
  joinFieldsSql,
  type SqlFeatures,
} from './postgres-canonical-sql.js';
import { CanonicalCopyDecoder } from './postgres-canonical-scan.js';
import { CopyFrameReader } from './postgres-copy-frames.js';
import {
  COPY_SETTINGS_SQL,
  CopyOutReader,
  type CopyStatementReader,
  CopyTextDecoder,
  copyFieldsOf,
  type CopyDecoder,
} from './postgres-copy-scan.js';
import { Params, qualifiedName, quoteIdent, quoteLiteral } from './postgres-sql.js';
import { castTypeOf, mapNativeType } from './postgres-types.js';
import { cdcTypes, registerArrayOid, toPostgresText } from './postgres-values.js';

/** How to reach PostgreSQL: a connection URL (the adapter owns its pool) or a pool you own. */
export type PostgresConnectOptions =
  { url: string; maxConnections?: number; applicationName?: string } | { pool: pg.Pool };

const DEFAULT_BATCH_ROWS = 5_000;
/**
 * Rows per batch of {@link PostgresAdapter.canonicalScan} by default. Small, so a batch is hashed and
 * dropped before the young generation's collections promote it: diffing the 1M-row bench pair with
 * client hashing, 5,000-row batches peaked at 210–227 MB RSS, 500-row ones at 140–160 MB, with less CPU.
 */
const CANONICAL_BATCH_ROWS = 500;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const LOOKUP_BATCH = 1_000;
/** Rows per statement of an ordered COPY scan (pages grow to it from one batch). */
const ORDERED_PAGE_ROWS = 100_000;
/** How much of a COPY a consumer left early is read and dropped to keep the connection, at most. */
const COPY_DRAIN_BYTES = 1 << 20;

/** How {@link PostgresAdapter.scan} reads rows. */
export type PostgresScanMethod = 'auto' | 'copy' | 'cursor';

/** {@link ScanOptions} with PostgreSQL's choice of read path. */
export interface PostgresScanOptions extends ScanOptions {
  /**
   * `copy`: `COPY (SELECT …) TO STDOUT` in text format, decoded in the process (about half the
   * client CPU per row of row objects). `cursor`: node-pg row objects, from a server-side cursor
   * (unordered) or keyset pages (ordered). Both yield identical values. Default `auto`: COPY, unless
   * the pool's client cannot stream COPY (pg-native) or the server refused `COPY (query)` before
   * (then the cursor, remembered by this adapter).
   */
  method?: PostgresScanMethod;
  /**
   * The COPY format of {@link PostgresAdapter.packedCanonicalScan} (other scans read text). `binary`
   * (default): integers, numerics, floats, dates, instants, uuids and bytea are rendered from their
   * binary forms (no output functions on the server, no number parsing here), other types are read as
   * `::text`. `text`: as {@link PostgresAdapter.canonicalScan}. Both render the same bytes.
   */
  copyFormat?: 'text' | 'binary';
}

/**
 * Session settings every cdc query relies on: text forms of instants and intervals, UTC. JIT is off:
 * the hashing queries' time goes to function calls (md5, output functions) that JIT cannot speed up,
 * and compiling their large expressions cost up to ~0.2 s CPU per 1M rows hashed (measured on 15).
 */
const SESSION_SETUP =
  "SELECT set_config('TimeZone', 'UTC', false), set_config('DateStyle', 'ISO, YMD', false)," +
  " set_config('IntervalStyle', 'postgres', false), set_config('extra_float_digits', '1', false)," +
  " set_config('jit', 'off', false)";

const configured = new WeakSet<pg.PoolClient>();

/** Opens a {@link PostgresAdapter}. With `url`, the adapter creates and later closes its own pool. */
export function connectPostgres(options: PostgresConnectOptions): PostgresAdapter {
  if ('pool' in options) return new PostgresAdapter(options.pool, false);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 8,
    application_name: options.applicationName ?? 'cdc',
  });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return new PostgresAdapter(pool, true, options.url);
}

/** A table's native details the adapter needs beyond {@link TableSchema}. */
interface ColumnSql {
  column: Column;
  quoted: string;
  cast: string;
  /** Expression ordering the column canonically (`COLLATE "C"` for text). */
  order: string;
}

/**
 * PostgreSQL source and reconciliation target.
 *
 * @example
 * ```ts
 * const pg = connectPostgres({ url: 'postgres://cdc@localhost/app' });
 * const schema = await pg.introspect({ schema: 'public', name: 'orders' });
 * for await (const rows of pg.scan(schema, { batchRows: 10_000 })) console.log(rows.length);
 * await pg.close();
 * ```
 */
export class PostgresAdapter implements ScanSource {
  readonly dialect = 'postgres';
  readonly capabilities: Capabilities = defineCapabilities({
    exactCount: true,
    estimatedCount: true,
    orderedScan: true,
    hashPushdown: true,
    orderedBucketDigest: true,
    pushdownKinds: POSTGRES_PUSHDOWN_KINDS,
    nativeHashFamily: 'postgres',
    intRangeBuckets: true,
  });
  /** Kysely over the same pool, for typed queries on cdc's own tables (`cdc_meta`). */
  readonly db: Kysely<unknown>;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #url: string | undefined;
  #closed = false;
  #serverVersion: Promise<number> | undefined;
  /** Set when the server or client could not run a COPY scan: `auto` scans use the cursor. */
  #copyUnsupported = false;

  constructor(pool: pg.Pool, ownsPool: boolean, url?: string) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#url = url;
    this.db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    // A client checked out but between queries (Kysely's transactions over this pool, a sink's batch)
    // emits 'error' when its backend is terminated (server stopped, pg_terminate_backend): unheard, that
    // event kills the process. The failed next query reports it; the pool discards the client on release.
    // Also on a pool the caller owns: its own listeners still hear the error.
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
  }

  /**
   * How a diff's hashing worker thread opens its own pool to the same database (`DiffOptions.workers`):
   * only for adapters opened from a URL; a pool the caller owns cannot be reopened elsewhere.
   */
  get workerSpec(): WorkerSourceSpec | undefined {
    return this.#url === undefined
      ? undefined
      : {
          module: '@cdc/postgres',
          factory: 'connectPostgres',
          // As many connections as this adapter may use: a worker runs several units' scans at once.
          options: { url: this.#url, maxConnections: this.#pool.options.max ?? 8 },
        };
  }

  /** The underlying pool (shared with {@link db}). */
  get pool(): pg.Pool {
    return this.#pool;
  }

  /** Checks out a client with cdc's session settings applied. */
  async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (cause) {
      throw new CdcError(
        'CONNECTION_FAILED',
        `cannot connect to PostgreSQL${this.#url ? ` at ${redactUrl(this.#url)}` : ''}: ${(cause as Error).message}`,
        {
          cause,
          transient: true,
          hint: 'check the URL, credentials and that the server accepts connections',
        },
      );
    }
    if (!configured.has(client)) {
      // A backend killed while the client is checked out emits 'error' besides failing the query;
      // the failed query reports it, the pool discards the client on release.
      client.on('error', () => undefined);
      try {
        await client.query(SESSION_SETUP);
      } catch (cause) {
        client.release(cause as Error);
        throw cause;
      }
      configured.add(client);
    }
    return client;
  }

  /** Runs one query with cdc's value decoding and returns its rows. */
  async query<T extends Row = Row>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = await this.connect();
    try {
      const result = await client.query<T>({ text, values, types: cdcTypes });
      return result.rows;
    } finally {
      client.release();
    }
  }

  async introspect(table: TableId, options: { key?: string[] } = {}): Promise<TableSchema> {
    const schemaName = table.schema ?? 'public';
    const [rel] = await this.query<{ oid: number }>(
      `SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
      [schemaName, table.name],
    );
    if (!rel) {
      const similar = await this.query<{ name: string }>(
        `SELECT n.nspname || '.' || c.relname AS name FROM pg_catalog.pg_class c
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE lower(c.relname) = lower($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') LIMIT 3`,
        [table.name],
      );
      throw new CdcError(
        'TABLE_NOT_FOUND',
        `table ${formatTableId({ ...table, schema: schemaName })} does not exist`,
        {
          hint: similar.length
            ? `names are exact (case-sensitive); did you mean ${similar.map((s) => s.name).join(', ')}?`
            : 'check the schema and table name (they are case-sensitive) and the database in the URL',
        },
      );
    }
    const cols = await this.query<{
      name: string;
      notnull: boolean;
      formatted: string;
      typname: string;
      typtype: string;
      typmod: number;
      elem_typname: string | null;
      elem_typtype: string | null;
      array_oid: number | null;
      collation: string | null;
    }>(
      `SELECT a.attname AS name, a.attnotnull AS notnull, format_type(a.atttypid, a.atttypmod) AS formatted,
              COALESCE(bt.typname, t.typname) AS typname, COALESCE(bt.typtype, t.typtype) AS typtype,
              CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
              et.typname AS elem_typname, et.typtype AS elem_typtype,
              CASE WHEN COALESCE(bt.typcategory, t.typcategory) = 'A' THEN COALESCE(bt.oid, t.oid) END AS array_oid,
              CASE WHEN a.attcollation <> 0 THEN co.collname END AS collation
         FROM pg_catalog.pg_attribute a
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_catalog.pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
         LEFT JOIN pg_catalog.pg_type et ON COALESCE(bt.typcategory, t.typcategory) = 'A'
                                         AND et.oid = COALESCE(bt.typelem, t.typelem)
         LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [rel.oid],
    );
    const columns: Column[] = cols.map((c) => {
      if (c.array_oid !== null) registerArrayOid(Number(c.array_oid));
      const mapped = mapNativeType(
        {
          typname: c.typname,
          typtype: c.typtype,
          typmod: Number(c.typmod),
          elemTypname: c.elem_typname,
          elemTyptype: c.elem_typtype,
          formatted: c.formatted,
        },
        { ...table, schema: schemaName },
        c.name,
      );
      const column: Column = {
        name: c.name,
        type: mapped.type,
        nativeType: c.formatted,
        nullable: !c.notnull,
      };
      if (mapped.length !== undefined) column.length = mapped.length;
      if (mapped.fixedLength) column.fixedLength = true;
      if (c.collation !== null) column.collation = c.collation;
      return column;
    });
    const constraints = await this.query<{ contype: string; columns: string[] }>(
      `SELECT con.contype, array_agg(a.attname ORDER BY k.ord)::text[] AS columns
         FROM pg_catalog.pg_constraint con
         CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
        WHERE con.conrelid = $1 AND con.contype IN ('p', 'u')
        GROUP BY con.oid, con.contype ORDER BY con.contype, con.oid`,
      [rel.oid],
    );
    const pk = constraints.find((c) => c.contype === 'p')?.columns;
    const uniqueKeys = constraints.filter((c) => c.contype === 'u').map((c) => c.columns);
    let primaryKey = options.key ?? pk;
    if (!primaryKey || primaryKey.length === 0) {
      throw new CdcError(
        'NO_PRIMARY_KEY',
        `table ${formatTableId({ ...table, schema: schemaName })} has no primary key`,
        {
          hint: uniqueKeys.length
            ? `give a key explicitly, e.g. one of the unique constraints: ${uniqueKeys.map((u) => u.join(', ')).join(' | ')}`
            : 'add a primary key, or give the key columns explicitly (`key` in the table mapping)',
        },
      );
    }
    primaryKey = [...primaryKey];
    for (const k of primaryKey) {
      if (!columns.some((c) => c.name === k)) {
        throw new CdcError(
          'COLUMN_NOT_FOUND',
          `key column ${JSON.stringify(k)} is not in ${formatTableId(table)}`,
          {
            hint: `columns are: ${columns.map((c) => c.name).join(', ')}`,
          },
        );
      }
    }
    const schema: TableSchema = { id: { ...table, schema: schemaName }, columns, primaryKey };
    if (uniqueKeys.length) schema.uniqueKeys = uniqueKeys;
    return schema;
  }

  async count(table: TableSchema, range?: Range): Promise<bigint> {
    const params = new Params();
    const where = this.#rangeSql(table, range, params);
    const [row] = await this.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${qualifiedName(table.id)} t WHERE ${where}`,
      params.values,
    );
    return BigInt(row?.n ?? 0);
  }

  async estimateCount(table: TableSchema): Promise<bigint> {
    const [row] = await this.query<{ n: string | null }>(
      `SELECT CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS n
         FROM pg_catalog.pg_class c WHERE c.oid = to_regclass($1)`,
      [qualifiedName(table.id)],
    );
    if (row?.n !== null && row?.n !== undefined) return BigInt(row.n);
    // Never analyzed: fall back to the exact count rather than guessing.
    return this.count(table);
  }

  async splits(table: TableSchema, n: number): Promise<Range[]> {
    if (!Number.isInteger(n) || n < 1) {
      throw new CdcError('INVALID_ARGUMENT', `splits(): n must be a positive integer, got ${n}`);
    }
    if (n === 1) return [{ kind: 'key' }];
    // Key ranges on text compare in byte order (COLLATE "C"); without an index in that order each
    // range would read the whole table, so n ranges would cost n scans: one range instead.
    if (!(await this.#rangesUseIndex(table))) return [{ kind: 'key' }];
    const keys = this.#keyColumns(table);
    const order = keys.map((k) => k.order).join(', ');
    const select = keys.map((k) => `t.${k.quoted}`).join(', ');
    const estimate = await this.estimateCount(table);
    // Boundaries from an ordered sample: exact quantiles for small tables, a block sample for large ones.
    const target = n * 64;
    const sample =
      estimate <= 200_000n
        ? `SELECT ${select} FROM ${qualifiedName(table.id)} t ORDER BY ${order}`
        : `SELECT ${select} FROM ${qualifiedName(table.id)} t TABLESAMPLE SYSTEM (${Math.min(
            100,
            (100 * target * 4) / Number(estimate),
          ).toFixed(6)}) ORDER BY ${order}`;
    const client = await this.connect();
    const rows: Row[] = [];
    try {
      const cursor = client.query(new Cursor(sample, [], { types: cdcTypes }));
      try {
        for (;;) {
          const batch = (await cursor.read(10_000)) as Row[];
          if (batch.length === 0) break;
          rows.push(...batch);
          // Keep memory bounded on huge small-estimate tables: thin the list as it grows.
          if (rows.length > target * 64) {
            const thinned = rows.filter((_, i) => i % 2 === 0);
            rows.length = 0;
            rows.push(...thinned);
          }
        }
      } finally {
        await cursor.close();
      }
    } finally {
      client.release();
    }
    const bounds: Key[] = [];
    for (let i = 1; i < n; i++) {
      const row = rows[Math.floor((i * rows.length) / n)];
      if (!row) continue;
      const key = table.primaryKey.map((k) => row[k]);
      const last = bounds[bounds.length - 1];
      if (!last || JSON.stringify(toJsonable(last)) !== JSON.stringify(toJsonable(key))) bounds.push(key);
    }
    if (bounds.length === 0) return [{ kind: 'key' }];
    const ranges: Range[] = [{ kind: 'key', upper: bounds[0]! }];
    for (let i = 1; i < bounds.length; i++)
      ranges.push({ kind: 'key', lower: bounds[i - 1]!, upper: bounds[i]! });
    ranges.push({ kind: 'key', lower: bounds[bounds.length - 1]! });
    return ranges;
  }

  /**
   * Streams rows in batches of `batchRows`, by default through `COPY … TO STDOUT` (see
   * {@link PostgresScanOptions.method}). Unordered scans are one statement (one consistent pass, no
   * sort); ordered scans page by key in canonical order, each page one statement.
   */
  async *scan(table: TableSchema, options: PostgresScanOptions = {}): AsyncIterable<Row[]> {
    const method = options.method ?? 'auto';
    if (method === 'cursor' || (method === 'auto' && this.#copyUnsupported)) {
      yield* this.#cursorScan(table, options);
      return;
    }
    try {
      yield* this.#copyRead(
        table,
        options,
        method === 'auto',
        options.columns,
        (fields, keyIndexes) => new CopyTextDecoder(copyFieldsOf(fields), keyIndexes),
      );
    } catch (error) {
      if (!(error instanceof CopyUnsupportedError)) throw error;
      this.#copyUnsupported = true;
      yield* this.#cursorScan(table, options);
    }
  }

  /**
   * Client-side hashing's fast path ({@link ScanSource.canonicalScan}): the key and row strings of
   * `plan` (rendered as the logical types of `table`) for the rows {@link scan} would return, read
   * the same way (COPY, ordered paging, ranges, back-pressure, abort) but rendered from the COPY text
   * without building row objects (`CanonicalCopyDecoder`). Where COPY cannot be used (`method:
   * 'cursor'`, see {@link PostgresScanOptions.method}), the strings of the cursor's rows.
   * `options.columns` is ignored: the plan names the columns. Batches default to 500 rows
   * ({@link CANONICAL_BATCH_ROWS}).
   */
  async *canonicalScan(
    table: TableSchema,
    plan: HashPlan,
    options: PostgresScanOptions = {},
  ): AsyncIterable<CanonicalRow[]> {
    const method = options.method ?? 'auto';
    const columns = [...plan.key, ...plan.columns];
    const read: ScanOptions = { ...options, batchRows: options.batchRows ?? CANONICAL_BATCH_ROWS };
    if (method === 'cursor' || (method === 'auto' && this.#copyUnsupported)) {
      yield* this.#canonicalRows(table, plan, { ...read, columns });
      return;
    }
    try {
      yield* this.#copyRead(
        table,
        read,
        method === 'auto',
        columns,
        (fields, keyIndexes) => new CanonicalCopyDecoder(fields, table, plan, keyIndexes),
      );
    } catch (error) {
      if (!(error instanceof CopyUnsupportedError)) throw error;
      this.#copyUnsupported = true;
      yield* this.#canonicalRows(table, plan, { ...read, columns });
    }
  }

  /**
   * {@link canonicalScan}'s rows as packed batches ({@link ScanSource.packedCanonicalScan}): the same
   * COPY read, decoded into one reused buffer per scan with no object per row. Each batch is valid
   * until the next is requested. Where COPY cannot be used, the cursor's rows, packed.
   */
  async *packedCanonicalScan(
    table: TableSchema,
    plan: HashPlan,
    options: PostgresScanOptions = {},
  ): AsyncIterable<CanonicalBatch> {
    const method = options.method ?? 'auto';
    const columns = [...plan.key, ...plan.columns];
    const read: ScanOptions = { ...options, batchRows: options.batchRows ?? CANONICAL_BATCH_ROWS };
    const keyKind = table.columns.find((c) => c.name === plan.key[0])?.type.kind;
    const intKeys =
      plan.key.length === 1 && (keyKind === 'int16' || keyKind === 'int32' || keyKind === 'int64');
    const packRows = async function* (rows: AsyncIterable<CanonicalRow[]>) {
      for await (const batch of rows) yield packCanonicalRows(batch, { intKeys });
    };
    if (method === 'cursor' || (method === 'auto' && this.#copyUnsupported)) {
      yield* packRows(this.#canonicalRows(table, plan, { ...read, columns }));
      return;
    }
    let decoder: CanonicalCopyDecoder | undefined;
    try {
      for await (const rows of this.#copyRead(
        table,
        read,
        method === 'auto',
        columns,
        (fields, keyIndexes) => {
          decoder = new CanonicalCopyDecoder(fields, table, plan, keyIndexes, {
            packed: true,
            binary: (options.copyFormat ?? 'binary') === 'binary',
          });
          return decoder;
        },
      )) {
        yield (decoder as CanonicalCopyDecoder).takeBatch(rows.length);
      }
    } catch (error) {
      if (!(error instanceof CopyUnsupportedError)) throw error;
      this.#copyUnsupported = true;
      yield* packRows(this.#canonicalRows(table, plan, { ...read, columns }));
    }
  }

  /** Canonical rows of the cursor's row objects (`keyString`/`columnsString`, as the engine makes them). */
  async *#canonicalRows(
    table: TableSchema,
    plan: HashPlan,
    options: ScanOptions,
  ): AsyncIterable<CanonicalRow[]> {
    for await (const rows of this.#cursorScan(table, options)) {
      yield rows.map((row) => {
        const keyText = keyString(row, table, plan);
        return {
          keyText,
          rowText: keyText + columnsString(row, table, plan),
          key: plan.key.map((k) => row[k]),
        };
      });
    }
  }

  /**
   * The COPY read path. Unordered: one `COPY (SELECT … WHERE <range>)`. Ordered: keyset pages
   * `… AND (key) > (last key) ORDER BY key LIMIT n`, n growing from one batch (a consumer reading a
   * few rows pays for a few) to {@link ORDERED_PAGE_ROWS}, so no statement outlives a page; one page
   * when no index serves the key order (each page would sort the table again). Range bounds and the
   * last key are inlined as literals: COPY takes no parameters. Only what the consumer asks for is
   * read (the server waits on TCP back-pressure while a batch is held). A consumer that stops early
   * leaves the connection reusable when the rest is small ({@link COPY_DRAIN_BYTES}), else it is
   * closed; an abort closes it. With `fallback`, a client or server that cannot run the COPY
   * throws {@link CopyUnsupportedError} before any row. `columns` are the columns to select (the key
   * columns come first), `decoderFor` turns the COPY text of their result description into row objects
   * ({@link scan}) or canonical rows ({@link canonicalScan}).
   */
  async *#copyRead<T>(
    table: TableSchema,
    options: ScanOptions,
    fallback: boolean,
    columns: string[] | undefined,
    decoderFor: (fields: readonly pg.FieldDef[], keyIndexes: number[]) => CopyDecoder<T>,
  ): AsyncIterable<T[]> {
    options.signal?.throwIfAborted();
    const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    const wanted = this.#columnsFor(table, columns);
    const inline = new InlineParams();
    const range = this.#rangeSql(table, options.range, inline);
    const select = `SELECT ${wanted.map((c) => `t.${quoteIdent(c)}`).join(', ')} FROM ${qualifiedName(table.id)} t`;
    const keys = options.ordered ? this.#keyColumns(table) : [];
    const order = keys.map((k) => k.order).join(', ');
    const paged = options.ordered === true && (await this.#rangesUseIndex(table));
    const maxPage = Math.max(batchRows, ORDERED_PAGE_ROWS);
    const client = await this.connect();
    if (!(client.connection as { stream?: unknown } | undefined)?.stream) {
      client.release();
      const message = "COPY scans need node-postgres' JavaScript client (this pool's client has no socket)";
      if (fallback) throw new CopyUnsupportedError(message);
      throw new CdcError('INVALID_ARGUMENT', message, { hint: "scan with method: 'cursor'" });
    }
    let reader: CopyStatementReader | undefined;
    /** The binary reads' output buffers, shared by the pages of this scan. */
    let frameBuffers: Buffer[] | undefined;
    let inTransaction = false;
    let failed = false;
    let rowsRead = 0;
    try {
      inTransaction = true;
      // The result description gives the cursor path's type OIDs, hence its parsers.
      const described = (await client.query(
        `BEGIN READ ONLY; ${COPY_SETTINGS_SQL}; ${select} WHERE ${range} LIMIT 0`,
      )) as unknown as pg.QueryResult[];
      const decoder = decoderFor(
        described[described.length - 1]!.fields,
        keys.map((k) => wanted.indexOf(k.column.name)),
      );
      // A decoder may read some columns as other expressions (a binary decoder: text of the types it
      // does not decode); predicates and order stay on the columns.
      const copySelect = decoder.columnSql
        ? `SELECT ${wanted.map((c, i) => decoder.columnSql!(`t.${quoteIdent(c)}`, i)).join(', ')} FROM ${qualifiedName(table.id)} t`
        : select;
      const copyOptions = decoder.binary ? ' (FORMAT binary)' : '';
      let batch: T[] = [];
      let pageRows = batchRows;
      let after: (string | null)[] | undefined;
      for (;;) {
        let sql = `${copySelect} WHERE ${range}`;
        if (options.ordered) {
          if (after) {
            const bound = after.map((v, i) => inline.add(v, keys[i]!.cast));
            sql += ` AND (${order}) > (${bound.join(', ')})`;
          }
          sql += ` ORDER BY ${order}${paged ? ` LIMIT ${pageRows}` : ''}`;
        }
        if (!inTransaction) {
          await client.query(`BEGIN READ ONLY; ${COPY_SETTINGS_SQL}`);
          inTransaction = true;
        }
        const copySql = `COPY (${sql}) TO STDOUT${copyOptions}`;
        // Binary reads take the socket's bytes directly; their decoder copies what it keeps.
        reader = decoder.binary
          ? CopyFrameReader.start(
              client,
              copySql,
              options.signal,
              (frameBuffers ??= CopyFrameReader.buffers()),
            )
          : CopyOutReader.start(client, copySql, options.signal);
        let pageCount = 0;
        for (;;) {
          pageCount += decoder.take(batch, batchRows - batch.length);
          if (batch.length === batchRows) {
            rowsRead += batch.length;
            yield batch;
            batch = [];
            options.signal?.throwIfAborted();
            continue;
          }
          let chunk: Buffer | null;
          try {
            chunk = await reader.next();
          } catch (error) {
            if (fallback && rowsRead + pageCount === 0 && isCopyRejection(error)) {
              throw new CopyUnsupportedError((error as Error).message, error);
            }
            throw error;
          }
          if (chunk === null) break;
          decoder.push(chunk);
        }
        decoder.finish();
        reader = undefined;
        await client.query('COMMIT');
        inTransaction = false;
        if (!paged || pageCount < pageRows) break;
        after = [...decoder.lastKeyTexts];
        pageRows = Math.min(pageRows * 2, maxPage);
      }
      if (batch.length > 0) yield batch;
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      let discard: Error | undefined;
      if (reader && !reader.reusable) {
        // Stopped mid-COPY: by the consumer (drain a small rest), by an abort or an error (close).
        if (failed || !(await reader.drain(COPY_DRAIN_BYTES))) {
          reader.destroy();
          discard = new Error('scan stopped during COPY: connection closed');
        }
      }
      if (!discard && inTransaction) {
        await client.query('ROLLBACK').catch((error: Error) => {
          discard = error;
        });
      }
      client.release(discard);
    }
  }

  /**
   * The row-object read path. Ordered scans page by key (keyset pagination in canonical order, no
   * long transaction); unordered scans read one server-side cursor inside a read-only REPEATABLE READ
   * transaction (one consistent pass, no sort).
   */
  async *#cursorScan(table: TableSchema, options: ScanOptions): AsyncIterable<Row[]> {
    if (options.ordered) {
      yield* this.#keysetScan(table, options);
      return;
    }
    const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    const wanted = this.#columnsFor(table, options.columns);
    const params = new Params();
    const where = this.#rangeSql(table, options.range, params);
    const sql = `SELECT ${wanted.map((c) => `t.${quoteIdent(c)}`).join(', ')} FROM ${qualifiedName(table.id)} t WHERE ${where}`;
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const cursor = client.query(new Cursor(sql, params.values, { types: cdcTypes }));
      try {
        for (;;) {
          options.signal?.throwIfAborted();
          const rows = (await cursor.read(batchRows)) as Row[];
          if (rows.length === 0) break;
          yield rows;
          if (rows.length < batchRows) break;
        }
      } finally {
        await cursor.close().catch(() => undefined);
      }
    } finally {
      // Also reached when the consumer stops early: never hand a client back inside a transaction.
      await client.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      client.release(broken);
    }
  }

  async *#keysetScan(table: TableSchema, options: ScanOptions): AsyncIterable<Row[]> {
    const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    const keys = this.#keyColumns(table);
    const wanted = this.#columnsFor(table, options.columns);
    const hidden = keys.map((k, i) => `t.${k.quoted}::text AS "__cdc_k${i}"`);
    const order = keys.map((k) => k.order).join(', ');
    let after: (string | null)[] | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      const params = new Params();
      const where = [this.#rangeSql(table, options.range, params)];
      if (after) {
        const values = after.map((v, i) => params.add(v, keys[i]!.cast));
        where.push(`(${order}) > (${values.join(', ')})`);
      }
      const sql =
        `SELECT ${wanted.map((c) => `t.${quoteIdent(c)}`).join(', ')}, ${hidden.join(', ')}` +
        ` FROM ${qualifiedName(table.id)} t WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${batchRows}`;
      const rows = await this.query(sql, params.values);
      if (rows.length === 0) return;
      const last = rows[rows.length - 1]!;
      after = keys.map((_, i) => last[`__cdc_k${i}`] as string | null);
      for (const row of rows) for (let i = 0; i < keys.length; i++) delete row[`__cdc_k${i}`];
      yield rows;
      if (rows.length < batchRows) return;
    }
  }

  async lookup(table: TableSchema, keys: Key[], columns?: string[]): Promise<Row[]> {
    const keyCols = this.#keyColumns(table);
    const wanted = this.#columnsFor(table, columns);
    const out: Row[] = [];
    for (let start = 0; start < keys.length; start += LOOKUP_BATCH) {
      const chunk = keys.slice(start, start + LOOKUP_BATCH);
      const params = new Params();
      const arrays = keyCols.map((k, i) =>
        params.add(
          chunk.map((key) => toPostgresText(key[i], k.column.type)),
          'text[]',
        ),
      );
      const keyList = keyCols.map((_, i) => `c${i}`).join(', ');
      const sql =
        `SELECT ${wanted.map((c) => `t.${quoteIdent(c)}`).join(', ')} FROM ${qualifiedName(table.id)} t` +
        ` WHERE (${keyCols.map((k) => `t.${k.quoted}`).join(', ')}) IN (SELECT ${keyCols
          .map((k, i) => `k.c${i}::${k.cast}`)
          .join(', ')} FROM unnest(${arrays.join(', ')}) AS k(${keyList}))`;
      out.push(...(await this.query(sql, params.values)));
    }
    return out;
  }

  /** `server_version_num` of the server (e.g. 180001), read once. */
  serverVersion(): Promise<number> {
    this.#serverVersion ??= this.query<{ v: string }>(
      `SELECT current_setting('server_version_num') AS v`,
    ).then((rows) => Number(rows[0]?.v ?? 0));
    return this.#serverVersion;
  }

  /**
   * The server's SQL features; case-insensitive canonical text needs full Unicode lower-casing in
   * SQL (`pg_unicode_fast`, 18+).
   */
  async #checkPlan(plan: HashPlan): Promise<SqlFeatures> {
    const version = await this.serverVersion();
    const features: SqlFeatures = { byteaIntegerCasts: version >= 180000 };
    if (plan.mode !== 'canonical') return features;
    const insensitive = Object.entries(plan.columnOptions ?? {}).filter(([, o]) => o.caseInsensitive);
    if (insensitive.length && version < 180000) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `case-insensitive comparison of ${insensitive.map(([c]) => JSON.stringify(c)).join(', ')} cannot be hashed in PostgreSQL before 18`,
        { hint: 'hash this table client-side, or compare these columns case-sensitively' },
      );
    }
    return features;
  }

  async summarize(table: TableSchema, plan: HashPlan, range?: Range): Promise<BucketSummary[]> {
    const features = await this.#checkPlan(plan);
    const params = new Params();
    const { sumValue, bucket, rowText } = this.#hashSql(table, plan, params, features);
    const where = this.#rangeSql(table, range, params);
    if (plan.bucketDigest === 'ordered') {
      if (plan.mode !== 'canonical' || plan.bucketing.kind !== 'int-range' || rowText === undefined) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          'ordered bucket digests need canonical mode and int-range buckets',
          { hint: "use bucketDigest: 'sum' for this plan" },
        );
      }
      // One MD5 per bucket over its row strings in key order (docs/normalization.md, "Ordered bucket
      // digest"): per-row MD5 calls cost ~0.5 µs each on PostgreSQL 15 with OpenSSL 3. Sorted
      // aggregation (not hashed), so memory is one bucket's text plus the sort's work_mem.
      const k = `t.${quoteIdent(plan.bucketing.column)}`;
      const digest = digestWord64Sql(`md5(string_agg(r, '' ORDER BY k))`, features);
      const sql =
        `SELECT b, count(*) AS n, ${digest} AS s FROM (` +
        `SELECT ${bucket} AS b, ${k} AS k, ${rowText} || E'\\n' AS r FROM ${qualifiedName(table.id)} t WHERE ${where}) s` +
        ` GROUP BY b ORDER BY b`;
      const rows = await this.query<{ b: string | number; n: string; s: string }>(sql, params.values);
      return rows.map((r) => ({
        bucket: Number(r.b),
        count: Number(r.n),
        sum: combineHalfSums(0n, BigInt(r.s)),
      }));
    }
    // One pass, one GROUP BY, no temp tables: parallel-safe functions only, so workers can share it.
    // `OFFSET 0` keeps the planner from inlining the subquery: inlined, `h` is computed once per
    // aggregate that uses it (measured: 0.76 s → 0.36 s CPU per 1M rows with two sums). One exact
    // sum(bigint) (a 128-bit accumulator, numeric result) is cheaper than two half sums; the client
    // reduces it modulo 2^64.
    const sql =
      `SELECT b, count(*) AS n, sum(h) AS s FROM (` +
      `SELECT ${bucket} AS b, ${sumValue} AS h FROM ${qualifiedName(table.id)} t WHERE ${where} OFFSET 0) s GROUP BY b ORDER BY b`;
    const rows = await this.query<{ b: string | number; n: string; s: string }>(sql, params.values);
    return rows.map((r) => ({
      bucket: Number(r.b),
      count: Number(r.n),
      sum: combineHalfSums(0n, BigInt(r.s)),
    }));
  }

  async *keyHashes(
    table: TableSchema,
    plan: HashPlan,
    buckets: number[],
    range?: Range,
  ): AsyncIterable<KeyHash[]> {
    if (buckets.length === 0) return;
    const features = await this.#checkPlan(plan);
    const params = new Params();
    // Int-range buckets are selected by their bounds, not by the bucket expression, whose parameters
    // must then stay out of the statement (PostgreSQL rejects parameters it cannot type).
    const intRange = plan.bucketing.kind === 'int-range';
    const { value, hex, bucket } = this.#hashSql(table, plan, intRange ? new Params() : params, features);
    const where = [this.#rangeSql(table, range, params)];
    let from = `${qualifiedName(table.id)} t`;
    if (plan.bucketing.kind === 'int-range') {
      // One index range scan per bucket (a nested loop over the buckets' bounds): a filter on the
      // bucket expression would read the whole unit's range instead (measured 21 ms → 1.2 ms).
      // Bounds are inclusive and clamped to bigint, so edge buckets need no special case.
      const { column, start, width } = plan.bucketing;
      const lows: string[] = [];
      const highs: string[] = [];
      for (const b of buckets) {
        const lo = start + BigInt(b) * width;
        const hi = lo + width - 1n;
        if (hi < INT64_MIN || lo > INT64_MAX) continue;
        lows.push((lo < INT64_MIN ? INT64_MIN : lo).toString());
        highs.push((hi > INT64_MAX ? INT64_MAX : hi).toString());
      }
      if (lows.length === 0) return;
      const col = `t.${quoteIdent(column)}`;
      from =
        `unnest(${params.add(lows, 'bigint[]')}, ${params.add(highs, 'bigint[]')}) AS "__cdc_b"(lo, hi)` +
        ` JOIN ${from} ON ${col} BETWEEN "__cdc_b".lo AND "__cdc_b".hi`;
    } else {
      where.push(`${bucket} = ANY(${params.add(buckets, 'bigint[]')})`);
    }
    const keySelect = table.primaryKey.map((k, i) => `t.${quoteIdent(k)} AS "__cdc_k${i}"`).join(', ');
    const keyNames = table.primaryKey.map((_, i) => `s."__cdc_k${i}"`).join(', ');
    const sql =
      `SELECT ${keyNames}, ${hex} AS h FROM (SELECT ${keySelect}, ${value} AS h` +
      ` FROM ${from} WHERE ${where.join(' AND ')}) s`;
    const client = await this.connect();
    try {
      const cursor = client.query(new Cursor(sql, params.values, { types: cdcTypes }));
      try {
        for (;;) {
          const rows = (await cursor.read(DEFAULT_BATCH_ROWS)) as Row[];
          if (rows.length === 0) break;
          yield rows.map((r) => ({
            key: table.primaryKey.map((_, i) => r[`__cdc_k${i}`]),
            hash: r.h as string,
          }));
        }
      } finally {
        await cursor.close();
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ownsPool) return;
    // Kysely's destroy() ends the pool only once a Kysely query initialized its driver; the adapter's own
    // queries use the pool directly, so end it here too (or idle clients keep the process alive).
    await this.db.destroy().catch(() => undefined);
    if (!this.#pool.ended) await this.#pool.end().catch(() => undefined);
  }

  /**
   * SQL of a hash plan over alias `t`: `value` (the per-row digest, selected as `h`), `hex` (that
   * digest as lowercase hex, over `h`), `sumValue` (the 64-bit row hash as a signed bigint, whose
   * halves summarize sums) and `bucket`. Only `bucket` adds parameters to `params`.
   */
  #hashSql(
    table: TableSchema,
    plan: HashPlan,
    params: Params,
    features: SqlFeatures = { byteaIntegerCasts: false },
  ): { value: string; sumValue: string; hex: string; bucket: string; rowText?: string } {
    const byName = new Map(table.columns.map((c) => [c.name, c]));
    const col = (name: string): Column => {
      const c = byName.get(name);
      if (!c) {
        throw new CdcError(
          'COLUMN_NOT_FOUND',
          `column ${JSON.stringify(name)} of the hash plan is not in ${formatTableId(table.id)}`,
        );
      }
      return c;
    };
    const keyCols = plan.key.map(col);
    const valueCols = plan.columns.map(col);
    let value: string;
    let sumValue: string;
    let hex: string;
    let keyHash: string;
    let rowText: string | undefined;
    if (plan.mode === 'native') {
      const native = (c: Column) => {
        const v = `t.${quoteIdent(c.name)}`;
        // json has no hash opclass; its text is the same on two identically typed PostgreSQL sides.
        return /^json(\[\])?$/.test(c.nativeType) ? `${v}::text` : v;
      };
      value = `hash_record_extended(ROW(${[...keyCols, ...valueCols].map(native).join(', ')}), 0)`;
      sumValue = value;
      hex = `lpad(to_hex(h), 16, '0')`;
      keyHash = `(hash_record_extended(ROW(${keyCols.map(native).join(', ')}), 0) & 4294967295)`;
    } else {
      for (const c of [...keyCols, ...valueCols]) {
        if (!canPushDown(c.type)) {
          throw new CdcError(
            'INVALID_ARGUMENT',
            `column ${JSON.stringify(c.name)} (${c.nativeType}) cannot be hashed in PostgreSQL in canonical mode`,
            {
              hint: 'hash this table client-side (capabilities.pushdownKinds lists what the pushdown supports)',
            },
          );
        }
      }
      const opts = (c: Column) => plan.columnOptions?.[c.name] ?? {};
      const field = (c: Column) => canonicalColumnSql(c, opts(c), 't', features);
      const keyString = joinFieldsSql(keyCols.map(field));
      const rowString = joinFieldsSql([keyString, ...valueCols.map(field)]);
      rowText = rowString;
      value = `md5(${rowString})`;
      // The first 8 digest bytes as one bigint (two's complement): one conversion instead of two.
      sumValue = digestWord64Sql(value, features);
      hex = 'h';
      keyHash = digestWord32Sql(`md5(${keyString})`, features);
    }
    let bucket: string;
    switch (plan.bucketing.kind) {
      case 'key-hash':
        bucket = `(${keyHash} % ${params.add(plan.bucketing.modulus, 'bigint')})`;
        break;
      case 'int-range': {
        const c = `t.${quoteIdent(col(plan.bucketing.column).name)}`;
        const s0 = plan.bucketing.start;
        const start = params.add(s0.toString(), 'bigint');
        const width = params.add(plan.bucketing.width.toString(), 'bigint');
        // Floor division in bigint (numeric arithmetic would cost more than the hashing). A key more
        // than 2^63 away from `start` would overflow `c - start`: only then, numeric (the guard
        // constants are computed here, so rows of ordinary tables pay one comparison at most).
        let above = `(${c} - ${start}) / ${width}`;
        let below = `(-((${start} - ${c} - 1) / ${width}) - 1)`;
        if (s0 < 0n) {
          const safe = params.add((INT64_MAX + s0).toString(), 'bigint');
          above = `(CASE WHEN ${c} <= ${safe} THEN ${above} ELSE div(${c}::numeric - ${start}, ${width})::bigint END)`;
        } else if (s0 > 0n) {
          const safe = params.add((s0 - INT64_MAX).toString(), 'bigint');
          below = `(CASE WHEN ${c} >= ${safe} THEN ${below} ELSE -div(${start}::numeric - ${c} - 1, ${width})::bigint - 1 END)`;
        }
        bucket = `(CASE WHEN ${c} >= ${start} THEN ${above} ELSE ${below} END)`;
        break;
      }
      case 'token':
        throw new CdcError('INVALID_ARGUMENT', 'token bucketing is computed client-side on PostgreSQL', {
          hint: 'use key-hash or int-range bucketing for PostgreSQL pushdown',
        });
    }
    return { value, sumValue, hex, bucket, ...(rowText !== undefined ? { rowText } : {}) };
  }

  /**
   * True when a B-tree index leads with the key columns in the order key ranges use: byte order,
   * `COLLATE "C"`, for text keys. The planner matches an index to a predicate by collation OID, so an
   * index in the default collation serves no `COLLATE "C"` range even in a C database (measured on
   * 15); without such an index a range predicate is a filter over a full scan.
   */
  async #rangesUseIndex(table: TableSchema): Promise<boolean> {
    const keys = this.#keyColumns(table);
    if (!keys.some((k) => k.column.type.kind === 'text')) return true;
    // Enums and other types ordered by their text (a cast): no index serves that order.
    if (keys.some((k) => k.column.type.kind === 'text' && !k.order.startsWith('t.'))) return false;
    const indexes = await this.query<{ attnums: string; collations: string; c: string }>(
      `SELECT i.indkey::text AS attnums, i.indcollation::text AS collations,
              (SELECT co.oid::text FROM pg_catalog.pg_collation co
                WHERE co.collname = 'C' AND co.collnamespace = 'pg_catalog'::regnamespace) AS c
         FROM pg_catalog.pg_index i
         JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_catalog.pg_am am ON am.oid = ic.relam
        WHERE i.indrelid = to_regclass($1) AND am.amname = 'btree'
          AND i.indpred IS NULL AND i.indexprs IS NULL`,
      [qualifiedName(table.id)],
    );
    if (indexes.length === 0) return false;
    const attnums = await this.query<{ name: string; attnum: number }>(
      `SELECT a.attname AS name, a.attnum FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = to_regclass($1) AND a.attname = ANY($2::text[])`,
      [qualifiedName(table.id), table.primaryKey],
    );
    const attnumOf = new Map(attnums.map((a) => [a.name, String(a.attnum)]));
    return indexes.some((index) => {
      const cols = index.attnums.split(' ');
      const colls = index.collations.split(' ');
      return keys.every(
        (k, i) =>
          cols[i] === attnumOf.get(k.column.name) && (k.column.type.kind !== 'text' || colls[i] === index.c),
      );
    });
  }

  #keyColumns(table: TableSchema): ColumnSql[] {
    const byName = new Map(table.columns.map((c) => [c.name, c]));
    return table.primaryKey.map((name) => {
      const column = byName.get(name);
      if (!column)
        throw new CdcError('COLUMN_NOT_FOUND', `key column ${JSON.stringify(name)} is not in the schema`);
      const quoted = quoteIdent(name);
      let cast = castTypeOf(column.nativeType);
      let order = `t.${quoted}`;
      if (column.type.kind === 'text') {
        if (['text', 'character varying', 'bpchar', 'name'].includes(cast)) order = `t.${quoted} COLLATE "C"`;
        else {
          // enums, citext … order by their text under byte order, like every other engine.
          order = `(t.${quoted})::text COLLATE "C"`;
          cast = 'text';
        }
      }
      return { column, quoted, cast, order };
    });
  }

  #columnsFor(table: TableSchema, columns?: string[]): string[] {
    if (!columns) return table.columns.map((c) => c.name);
    const known = new Set(table.columns.map((c) => c.name));
    for (const c of columns) {
      if (!known.has(c)) {
        throw new CdcError(
          'COLUMN_NOT_FOUND',
          `column ${JSON.stringify(c)} is not in ${formatTableId(table.id)}`,
        );
      }
    }
    return [...new Set([...table.primaryKey, ...columns])];
  }

  /** SQL predicate (over alias `t`) of a range; `TRUE` without one. */
  #rangeSql(table: TableSchema, range: Range | undefined, params: Params): string {
    if (!range) return 'TRUE';
    switch (range.kind) {
      case 'key': {
        const keys = this.#keyColumns(table);
        const order = `(${keys.map((k) => k.order).join(', ')})`;
        const bound = (key: Key) =>
          `(${keys.map((k, i) => params.add(toPostgresText(key[i], k.column.type), k.cast)).join(', ')})`;
        const parts: string[] = [];
        if (range.lower) parts.push(`${order} >= ${bound(range.lower)}`);
        if (range.upper) parts.push(`${order} < ${bound(range.upper)}`);
        return parts.length ? parts.join(' AND ') : 'TRUE';
      }
      case 'hash': {
        const plan: HashPlan = {
          key: table.primaryKey,
          columns: [],
          mode: 'canonical',
          bucketing: { kind: 'key-hash', modulus: range.modulus },
        };
        const { bucket } = this.#hashSql(table, plan, params);
        return `${bucket} = ${params.add(range.remainder, 'bigint')}`;
      }
      case 'token':
        throw new CdcError(
          'INVALID_ARGUMENT',
          'token ranges apply to Scylla/Cassandra tables, not PostgreSQL',
          {
            hint: 'split PostgreSQL tables with splits() (key ranges) or hash ranges',
          },
        );
    }
  }
}

/** The server or client cannot run a COPY scan (`auto` scans then use the cursor). */
class CopyUnsupportedError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'CopyUnsupportedError';
  }
}

/** `COPY (query) TO STDOUT` refused as such: not implemented (0A000) or not parsed (42601). */
function isCopyRejection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '0A000' || code === '42601';
}

/**
 * {@link Params} that inline values as literals (`'…'::type`), for statements that take no bind
 * parameters (`COPY (query)`).
 */
class InlineParams extends Params {
  override add(value: unknown, cast?: string): string {
    let literal: string;
    if (value === null || value === undefined) literal = 'NULL';
    else if (typeof value === 'string') literal = quoteLiteral(value);
    else if (typeof value === 'number' || typeof value === 'bigint') literal = quoteLiteral(String(value));
    else if (typeof value === 'boolean') literal = value ? 'true' : 'false';
    else throw new TypeError(`cannot inline a ${typeof value} parameter`);
    return cast ? `${literal}::${cast}` : literal;
  }
}

function toJsonable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonable);
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** True when an error is PostgreSQL's "query canceled"/"admin shutdown" class (for retries). */
export function isTransientPostgresError(error: unknown): boolean {
  if (isCdcError(error)) return error.transient;
  const code = (error as { code?: string } | null)?.code;
  return (
    typeof code === 'string' &&
    (/^08/.test(code) || ['40001', '40P01', '57P01', '57P02', '57P03'].includes(code))
  );
}
