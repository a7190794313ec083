/**
 * The SQL Server source: `connectSqlServer` opens a pool, detects the server flavour, and returns a
 * {@link SqlServerAdapter} implementing `ScanSource` (introspection, counts, splits, keyset scans,
 * lookups, hash pushdown) and `ChangeSource` (snapshot with LSN hand-off, CDC change stream).
 */
import {
  CdcError,
  createRowHasher,
  defineCapabilities,
  rowString,
  formatTableId,
  redactUrl,
  type BucketSummary,
  type Capabilities,
  type ChangeBatch,
  type ChangeOptions,
  type ChangeSource,
  type Column,
  type HashPlan,
  type Key,
  type KeyHash,
  type LogicalKind,
  type Range,
  type Row,
  type ScanOptions,
  type Snapshot,
  type TableId,
  type TableSchema,
} from '@cdc/core';
import {
  parseSqlServerConfig,
  parseSqlServerUrl,
  type SqlServerConfig,
  type SqlServerConfigInput,
} from './sqlserver-config.js';
import {
  enableCdcStatements,
  snapshotPartition,
  tableKey,
  timelinesByTable,
  type EnableCdcOptions,
} from './sqlserver-cdc.js';
import { SqlServerChangeStream, loadCaptureInstances, readMaxLsn } from './sqlserver-change-stream.js';
import {
  SqlServerDriver,
  type RawRow,
  type SqlServerSession,
  type TediousConnectionLike,
  type TediousModuleLike,
} from './sqlserver-driver.js';
import {
  FLAVOUR_SQL,
  detectFlavour,
  type SqlServerFlavour,
  type SqlServerServerFacts,
} from './sqlserver-flavour.js';
import { formatPosition } from './sqlserver-lsn.js';
import {
  columnsQuery,
  countQuery,
  estimateCountQuery,
  findColumn,
  keyColumns,
  keyHashesQuery,
  keysQuery,
  lookupQuery,
  pushdownKindsFor,
  scanPageQuery,
  splitBoundariesQuery,
  summarizeQuery,
  type SqlServerQuery,
} from './sqlserver-sql.js';
import { mapSqlServerType, type SqlServerColumnInfo, type SqlServerMappedType } from './sqlserver-types.js';
import { decodeSqlServerValue } from './sqlserver-values.js';

/** Options of {@link connectSqlServer}. */
export interface SqlServerConnectOptions {
  /** `mssql://…` / `sqlserver://…` URL, or a settings object ({@link sqlServerConfigSchema}). */
  connection: string | SqlServerConfigInput;
  /** The tedious module (`await import('tedious')`), injected so it stays a peer dependency. */
  tedious: TediousModuleLike;
  /** Makes a new, unconnected tedious Connection (e.g. with custom TLS or token refresh). */
  connectionFactory?: () => TediousConnectionLike | Promise<TediousConnectionLike>;
}

/** Default rows per scan page. */
const DEFAULT_BATCH_ROWS = 5000;
/** SQL Server accepts 2,100 parameters per request; stay well below. */
const MAX_PARAMS = 2000;

/** One column of `cdc schema map`: how a SQL Server column maps, or why it cannot. */
export interface SqlServerColumnMapping {
  name: string;
  nativeType: string;
  mapped?: SqlServerMappedType;
  unsupported?: string;
}

/**
 * Connects to SQL Server, Azure SQL Database / Managed Instance or Babelfish and detects which.
 *
 * @example
 * ```ts
 * import * as tedious from 'tedious';
 * const source = await connectSqlServer({ connection: 'mssql://sa:pw@localhost:1433/shop?trustServerCertificate=true', tedious });
 * const schema = await source.introspect({ schema: 'dbo', name: 'orders' });
 * for await (const rows of source.scan(schema)) console.log(rows.length);
 * await source.close();
 * ```
 */
export async function connectSqlServer(options: SqlServerConnectOptions): Promise<SqlServerAdapter> {
  const config =
    typeof options.connection === 'string'
      ? parseSqlServerUrl(options.connection)
      : parseSqlServerConfig(options.connection);
  const label =
    typeof options.connection === 'string'
      ? redactUrl(options.connection)
      : `mssql://${config.host}${config.port ? `:${config.port}` : ''}/${config.database}`;
  const driver = new SqlServerDriver({
    config,
    tedious: options.tedious,
    connectionFactory: options.connectionFactory,
    label,
  });
  try {
    const rows = await driver.withSession((s) =>
      s.query({ sql: FLAVOUR_SQL, params: {} }, `detecting the server at ${label}`),
    );
    const r = rows[0] ?? {};
    const facts: SqlServerServerFacts = {
      version: String(r.version ?? ''),
      engineEdition:
        r.engineEdition === null || r.engineEdition === undefined ? null : Number(r.engineEdition),
      productVersion:
        r.productVersion === null || r.productVersion === undefined ? null : String(r.productVersion),
      babelfish: (r.babelfish as string | null | undefined) ?? null,
      database: String(r.database ?? config.database),
      cdcEnabled: r.cdcEnabled === null || r.cdcEnabled === undefined ? null : Boolean(r.cdcEnabled),
      snapshotIsolationState:
        r.snapshotIsolationState === null || r.snapshotIsolationState === undefined
          ? null
          : Number(r.snapshotIsolationState),
      compatibilityLevel:
        r.compatibilityLevel === null || r.compatibilityLevel === undefined
          ? null
          : Number(r.compatibilityLevel),
    };
    return new SqlServerAdapter(driver, config, facts, detectFlavour(facts));
  } catch (error) {
    await driver.close();
    throw error;
  }
}

/** Capabilities for a flavour and hashing choice (pure, for tests and `cdc check`). */
export function sqlServerCapabilities(
  flavour: SqlServerFlavour,
  hashing: SqlServerConfig['hashing'],
): Capabilities {
  const kinds: LogicalKind[] = hashing === 'client' ? [] : pushdownKindsFor(flavour);
  return defineCapabilities({
    exactCount: true,
    estimatedCount: true,
    orderedScan: true,
    hashPushdown: kinds.length > 0,
    pushdownKinds: kinds,
    intRangeBuckets: kinds.length > 0,
    tokenPartitioned: false,
  });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** SQL Server as a {@link ChangeSource} (and so a `ScanSource`). Create with {@link connectSqlServer}. */
export class SqlServerAdapter implements ChangeSource {
  readonly dialect = 'sqlserver';
  readonly capabilities: Capabilities;
  /** Server kind and the features cdc adapts to. */
  readonly flavour: SqlServerFlavour;
  /** What the server reported on connect (version, edition, database, CDC and snapshot isolation state). */
  readonly facts: SqlServerServerFacts;
  readonly #driver: SqlServerDriver;
  readonly #config: SqlServerConfig;
  readonly #changes: SqlServerChangeStream;

  /** @internal Use {@link connectSqlServer}. */
  constructor(
    driver: SqlServerDriver,
    config: SqlServerConfig,
    facts: SqlServerServerFacts,
    flavour: SqlServerFlavour,
  ) {
    this.#driver = driver;
    this.#config = config;
    this.facts = facts;
    this.flavour = flavour;
    this.capabilities = sqlServerCapabilities(flavour, config.hashing);
    this.#changes = new SqlServerChangeStream({ driver, flavour, config, database: facts.database });
  }

  #query(query: SqlServerQuery, context: string): Promise<RawRow[]> {
    return this.#driver.withSession((s) => s.query(query, context));
  }

  /** Maps every column of a table, reporting unsupported ones instead of throwing (for `cdc schema map`). */
  async mapColumns(table: TableId): Promise<SqlServerColumnMapping[]> {
    const rows = await this.#query(columnsQuery(table), `introspecting ${formatTableId(table)}`);
    if (rows.length === 0) throw this.#notFound(table);
    return rows.map((r) => {
      const info = this.#info(r);
      try {
        const mapped = mapSqlServerType(info, this.flavour, table);
        return { name: info.name, nativeType: mapped.nativeType, mapped };
      } catch (error) {
        return {
          name: info.name,
          nativeType: info.userTypeName ?? info.typeName,
          unsupported: (error as Error).message,
        };
      }
    });
  }

  #info(r: RawRow): SqlServerColumnInfo {
    return {
      name: String(r.name),
      typeName: String(r.typeName),
      userTypeName: (r.userTypeName as string | null) ?? null,
      maxLength: Number(r.maxLength),
      precision: Number(r.precision),
      scale: Number(r.scale),
      collation: (r.collation as string | null) ?? null,
      nullable: Boolean(r.nullable),
      computed: Boolean(r.computed),
    };
  }

  #notFound(table: TableId): CdcError {
    return new CdcError(
      'TABLE_NOT_FOUND',
      `Table ${formatTableId(table)} does not exist in SQL Server database ${table.catalog ?? this.facts.database} (or the login cannot see it).`,
      {
        hint: 'Names are exact: check schema (default dbo) and table name, and that the login has SELECT on it.',
      },
    );
  }

  async introspect(table: TableId, options: { key?: string[] } = {}): Promise<TableSchema> {
    const rows = await this.#query(columnsQuery(table), `introspecting ${formatTableId(table)}`);
    if (rows.length === 0) throw this.#notFound(table);
    const id: TableId = { ...table, schema: table.schema ?? 'dbo' };
    const problems: string[] = [];
    const columns: Column[] = [];
    for (const r of rows) {
      const info = this.#info(r);
      try {
        const m = mapSqlServerType(info, this.flavour, id);
        columns.push({
          name: info.name,
          type: m.type,
          nativeType: m.nativeType,
          nullable: info.nullable,
          ...(m.length === undefined ? {} : { length: m.length }),
          ...(info.collation ? { collation: info.collation } : {}),
          ...(m.fixedLength ? { fixedLength: true } : {}),
        });
      } catch {
        problems.push(`"${info.name}" (${info.userTypeName ?? info.typeName})`);
      }
    }
    if (problems.length > 0) {
      throw new CdcError(
        'UNSUPPORTED_TYPE',
        `Table ${formatTableId(id)} has columns of unsupported SQL Server types: ${problems.join(', ')}.`,
        {
          hint: 'Exclude these columns in the table config, or add computed columns that cast them (e.g. CAST(v AS nvarchar(4000))).',
        },
      );
    }
    const keyRows = await this.#query(keysQuery(table), `reading keys of ${formatTableId(table)}`);
    const indexes = new Map<number, { primary: boolean; columns: string[] }>();
    for (const k of keyRows) {
      const idx = Number(k.indexId);
      const entry = indexes.get(idx) ?? { primary: Boolean(k.isPrimaryKey), columns: [] };
      entry.columns.push(String(k.name));
      indexes.set(idx, entry);
    }
    const pk = [...indexes.values()].find((i) => i.primary)?.columns;
    const uniqueKeys = [...indexes.values()].filter((i) => !i.primary).map((i) => i.columns);
    const primaryKey = options.key ?? pk;
    if (options.key) {
      for (const k of options.key) {
        if (!columns.some((c) => c.name === k)) {
          throw new CdcError('COLUMN_NOT_FOUND', `Key column "${k}" does not exist in ${formatTableId(id)}.`);
        }
      }
    }
    if (!primaryKey || primaryKey.length === 0) {
      throw new CdcError('NO_PRIMARY_KEY', `Table ${formatTableId(id)} has no primary key.`, {
        hint:
          uniqueKeys.length > 0
            ? `Pass a key, e.g. key: [${uniqueKeys[0]?.map((c) => `"${c}"`).join(', ')}] (a unique index).`
            : 'Add a primary key, or pass key columns that identify rows uniquely.',
      });
    }
    return { id, columns, primaryKey, ...(uniqueKeys.length > 0 ? { uniqueKeys } : {}) };
  }

  async count(table: TableSchema, range?: Range): Promise<bigint> {
    const rows = await this.#query(
      countQuery(table, range, this.flavour),
      `counting ${formatTableId(table.id)}`,
    );
    return BigInt(String(rows[0]?.n ?? 0));
  }

  async estimateCount(table: TableSchema): Promise<bigint> {
    const rows = await this.#query(
      estimateCountQuery(table),
      `estimating the size of ${formatTableId(table.id)}`,
    );
    return BigInt(String(rows[0]?.n ?? 0));
  }

  #decodeKey(table: TableSchema, raw: RawRow): Key {
    return keyColumns(table).map((c) => decodeSqlServerValue(c, raw[c.name]));
  }

  async splits(table: TableSchema, n: number): Promise<Range[]> {
    if (!Number.isInteger(n) || n < 1)
      throw new CdcError('INVALID_ARGUMENT', `splits(n) needs a positive integer, got ${n}.`);
    if (n === 1) return [{ kind: 'key' }];
    const total = await this.count(table);
    if (total <= 1n) return [{ kind: 'key' }];
    const step = Number((total + BigInt(n) - 1n) / BigInt(n));
    const rows = await this.#query(splitBoundariesQuery(table, step), `splitting ${formatTableId(table.id)}`);
    const bounds = rows.map((r) => this.#decodeKey(table, r));
    const ranges: Range[] = [];
    let lower: Key | undefined;
    for (const b of bounds) {
      ranges.push({ kind: 'key', ...(lower ? { lower } : {}), upper: b });
      lower = b;
    }
    ranges.push({ kind: 'key', ...(lower ? { lower } : {}) });
    return ranges;
  }

  #columnsFor(table: TableSchema, names?: readonly string[]): Column[] {
    if (!names) return table.columns;
    const wanted = new Set([...table.primaryKey, ...names]);
    for (const n of names) findColumn(table, n);
    return table.columns.filter((c) => wanted.has(c.name));
  }

  #decodeRow(columns: readonly Column[], raw: RawRow): Row {
    const row: Row = {};
    for (const c of columns) row[c.name] = decodeSqlServerValue(c, raw[c.name]);
    return row;
  }

  /** Keyset pages of `batchRows` rows on one pooled session: memory holds one page at a time. */
  scan(table: TableSchema, options: ScanOptions = {}): AsyncIterable<Row[]> {
    const columns = this.#columnsFor(table, options.columns);
    const limit = options.batchRows ?? DEFAULT_BATCH_ROWS;
    const ordered = options.ordered ?? false;
    const flavour = this.flavour;
    const decodeRow = (raw: RawRow) => this.#decodeRow(columns, raw);
    const decodeKey = (raw: RawRow) => this.#decodeKey(table, raw);
    return this.#driver.streamWithSession(async function* (session: SqlServerSession) {
      let after: Key | undefined;
      while (true) {
        if (options.signal?.aborted)
          throw new CdcError('CANCELLED', `Scan of ${formatTableId(table.id)} cancelled.`);
        const page = await session.query(
          scanPageQuery(table, { columns, range: options.range, after, limit, ordered }, flavour),
          `scanning ${formatTableId(table.id)}`,
        );
        if (page.length === 0) return;
        after = decodeKey(page[page.length - 1] as RawRow);
        yield page.map(decodeRow);
        if (page.length < limit) return;
      }
    });
  }

  async lookup(table: TableSchema, keys: Key[], columnNames?: string[]): Promise<Row[]> {
    if (keys.length === 0) return [];
    const columns = this.#columnsFor(table, columnNames);
    const perQuery = Math.max(1, Math.floor(MAX_PARAMS / table.primaryKey.length));
    const out: Row[] = [];
    await this.#driver.withSession(async (session) => {
      for (const part of chunk(keys, perQuery)) {
        const rows = await session.query(
          lookupQuery(table, part, columns),
          `looking up ${part.length} keys in ${formatTableId(table.id)}`,
        );
        for (const r of rows) out.push(this.#decodeRow(columns, r));
      }
    });
    return out;
  }

  #checkPlan(table: TableSchema, plan: HashPlan): void {
    if (plan.mode !== 'canonical') {
      throw new CdcError('INVALID_ARGUMENT', 'SQL Server has no native hash family: use mode "canonical".');
    }
    if (!this.capabilities.hashPushdown) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `Hash pushdown is off for this SQL Server (${this.#config.hashing === 'client' ? 'hashing: client' : this.flavour.kind}).`,
        {
          hint: 'Hash client-side (the engine does when capabilities.hashPushdown is false).',
        },
      );
    }
    const kinds = new Set(this.capabilities.pushdownKinds);
    for (const name of [...plan.key, ...plan.columns]) {
      const c = findColumn(table, name);
      if (!kinds.has(c.type.kind)) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          `Column "${name}" (${c.nativeType}) of ${formatTableId(table.id)} cannot be hashed inside this server.`,
          {
            hint: 'Hash this table client-side: the engine does so when a plan touches kinds outside capabilities.pushdownKinds.',
          },
        );
      }
    }
  }

  /**
   * Measures, on a sample of about `sampleRows` rows (the first ones in key order), how long SQL Server
   * takes to hash them in place (HASHBYTES, {@link summarize}) versus streaming them and hashing here
   * (hash-wasm MD5 over core's canonical row strings). HASHBYTES is reported to be slow on some servers,
   * so choose by this measurement: configure `hashing: client` when `recommended` says so. Timings are
   * wall-clock milliseconds on this connection and include network transfer for the client side.
   */
  async measureHashing(
    table: TableSchema,
    plan: HashPlan,
    options: { sampleRows?: number } = {},
  ): Promise<{ rows: number; pushdownMs: number; clientMs: number; recommended: 'pushdown' | 'client' }> {
    const sampleRows = options.sampleRows ?? 50_000;
    const keys = keyColumns(table);
    const page = await this.#query(
      scanPageQuery(table, { columns: keys, limit: sampleRows + 1, ordered: true }, this.flavour),
      `sampling keys of ${formatTableId(table.id)}`,
    );
    const boundary = page.length > sampleRows ? page[sampleRows] : undefined;
    const range: Range = boundary
      ? { kind: 'key', upper: this.#decodeKey(table, boundary) }
      : { kind: 'key' };
    const hasher = await createRowHasher();
    const t0 = performance.now();
    let rows = 0;
    for await (const batch of this.scan(table, { columns: plan.columns, range })) {
      for (const row of batch) hasher.digest(rowString(row, table, plan));
      rows += batch.length;
    }
    const clientMs = performance.now() - t0;
    let pushdownMs = Number.POSITIVE_INFINITY;
    try {
      this.#checkPlan(table, plan);
      const t1 = performance.now();
      await this.summarize(table, plan, range);
      pushdownMs = performance.now() - t1;
    } catch (error) {
      if (!(error instanceof CdcError) || error.code !== 'INVALID_ARGUMENT') throw error;
    }
    return { rows, pushdownMs, clientMs, recommended: pushdownMs <= clientMs ? 'pushdown' : 'client' };
  }

  async summarize(table: TableSchema, plan: HashPlan, range?: Range): Promise<BucketSummary[]> {
    this.#checkPlan(table, plan);
    const rows = await this.#query(
      summarizeQuery(table, plan, range, this.flavour),
      `hashing ${formatTableId(table.id)}`,
    );
    return rows.map((r) => ({
      bucket: Number(r.bucket),
      count: Number(r.n),
      sum: BigInt.asUintN(64, (BigInt(String(r.hi)) << 32n) + BigInt(String(r.lo))),
    }));
  }

  keyHashes(table: TableSchema, plan: HashPlan, buckets: number[], range?: Range): AsyncIterable<KeyHash[]> {
    this.#checkPlan(table, plan);
    const keyCols = plan.key.map((n) => findColumn(table, n));
    const flavour = this.flavour;
    const batchRows = DEFAULT_BATCH_ROWS;
    return this.#driver.streamWithSession(async function* (session: SqlServerSession) {
      for (const part of chunk(buckets, 1000)) {
        for await (const rows of session.stream(
          keyHashesQuery(table, plan, part, range, flavour),
          batchRows,
          `hashing keys of ${formatTableId(table.id)}`,
        )) {
          yield rows.map((r) => ({
            key: keyCols.map((c) => decodeSqlServerValue(c, r[c.name])),
            hash: String(r.__cdc_hash),
          }));
        }
      }
    });
  }

  /**
   * A consistent snapshot: reads `sys.fn_cdc_get_max_lsn()` inside a SNAPSHOT (or REPEATABLE READ)
   * transaction, then pages through the table in it. Changes after that LSN are streamed afterwards;
   * those already in the snapshot are re-applied idempotently. The position is stored under a partition
   * of this table and snapshot (`table:<schema>.<name>@<lsn>`, {@link snapshotPartition}): the stream
   * starts at the merged position (`*`) or, before there is one, at the earliest table position, and
   * skips each table's changes up to its latest snapshot position ({@link snapshotFloors}). Per-table
   * partitions keep tables snapshotted in parallel from overwriting each other's start (a shared one
   * could end at the later of two positions and lose the other table's changes in between); one per
   * snapshot lets a re-snapshot (after a retention gap) move the table's start forward.
   */
  async snapshot(
    table: TableSchema,
    options: { signal?: AbortSignal; batchRows?: number } = {},
  ): Promise<Snapshot> {
    const session = await this.#driver.acquire();
    const name = formatTableId(table.id);
    let open = false;
    try {
      const instances = await loadCaptureInstances(session);
      this.#changes.requireCdc([table], timelinesByTable(instances));
      const isolation =
        this.#config.snapshotIsolation === 'snapshot'
          ? 'SNAPSHOT'
          : this.#config.snapshotIsolation === 'repeatable-read'
            ? 'REPEATABLE_READ'
            : 'READ_COMMITTED';
      if (
        isolation === 'SNAPSHOT' &&
        this.facts.snapshotIsolationState !== null &&
        this.facts.snapshotIsolationState !== 1
      ) {
        throw new CdcError(
          'CONFIG_INVALID',
          `Snapshot isolation is off in database ${this.facts.database}.`,
          {
            hint: `ALTER DATABASE [${this.facts.database}] SET ALLOW_SNAPSHOT_ISOLATION ON; or set snapshotIsolation: repeatable-read.`,
          },
        );
      }
      await session.begin(isolation, `starting the snapshot of ${name}`);
      open = true;
      const lsn = await readMaxLsn(session);
      const columns = table.columns;
      const limit = options.batchRows ?? DEFAULT_BATCH_ROWS;
      const flavour = this.flavour;
      const decodeRow = (raw: RawRow) => this.#decodeRow(columns, raw);
      const decodeKey = (raw: RawRow) => this.#decodeKey(table, raw);
      const driver = this.#driver;
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        try {
          if (open) await session.commit(`ending the snapshot of ${name}`);
        } finally {
          driver.release(session);
        }
      };
      async function* rows(): AsyncGenerator<Row[]> {
        let after: Key | undefined;
        while (true) {
          if (options.signal?.aborted) throw new CdcError('CANCELLED', `Snapshot of ${name} cancelled.`);
          const page = await session.query(
            scanPageQuery(table, { columns, after, limit, ordered: false }, flavour),
            `snapshotting ${name}`,
          );
          if (page.length === 0) return;
          after = decodeKey(page[page.length - 1] as RawRow);
          yield page.map(decodeRow);
          if (page.length < limit) return;
        }
      }
      return {
        position: formatPosition({ lsn }),
        partition: snapshotPartition(table.id, formatPosition({ lsn })),
        rows: rows(),
        close,
      };
    } catch (error) {
      if (open) await session.rollback(`aborting the snapshot of ${name}`).catch(() => undefined);
      this.#driver.release(session);
      throw error;
    }
  }

  changes(options: ChangeOptions): AsyncIterable<ChangeBatch> {
    return this.#changes.changes(options);
  }

  /** Capture instances per table (`schema.name` → instance names, oldest first), for `cdc check`. */
  async captureInstances(): Promise<Map<string, string[]>> {
    const instances = await this.#driver.withSession((s) => loadCaptureInstances(s));
    return new Map([...timelinesByTable(instances)].map(([k, t]) => [k, t.instances.map((i) => i.name)]));
  }

  /**
   * Enables CDC on this connection's database and on `options.tables`, running
   * {@link enableCdcStatements} one by one (idempotent: what is enabled already is left alone) and
   * returning the capture instances afterwards. Needs sysadmin for the database step (db_owner on Azure
   * SQL Database) and db_owner for tables; SQL Server Agent must run for anything to be captured.
   * `onStatement` is called with a description before each statement.
   */
  async enableCdc(
    options: Omit<EnableCdcOptions, 'database' | 'dropCaptureInstances'>,
    onStatement?: (description: string) => void,
  ): Promise<Map<string, string[]>> {
    this.#changes.requireCdc([], undefined);
    const statements = enableCdcStatements(options);
    await this.#driver.withSession(async (session) => {
      for (const statement of statements) {
        onStatement?.(statement.description);
        await session.query(statement.query, `${statement.description} in ${this.facts.database}`);
      }
    });
    return this.captureInstances();
  }

  /** True when `table` has a capture instance. */
  async isCaptured(table: TableId): Promise<boolean> {
    return (await this.captureInstances()).has(tableKey(table));
  }

  async close(): Promise<void> {
    await this.#driver.close();
  }
}
