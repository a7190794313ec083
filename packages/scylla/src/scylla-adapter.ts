/**
 * The ScyllaDB (and Apache Cassandra 4.x) source: introspection, token-range splits, paged scans, key
 * lookups and counts ({@link ScanSource}); the CDC log stream and a token-range snapshot with WRITETIME
 * ({@link ChangeSource}, ScyllaDB only). Create one with {@link connectScylla}.
 */
import { readFileSync } from 'node:fs';
import {
  CdcError,
  defineCapabilities,
  formatTableId,
  type Capabilities,
  type ChangeBatch,
  type ChangeEvent,
  type ChangeOptions,
  type ChangeSource,
  type Key,
  type Range,
  type Row,
  type ScanOptions,
  type Snapshot,
  type TableId,
  type TableSchema,
  type WorkerSourceSpec,
} from '@cdc/core';
import { translateLogRows, valueKey, type CdcTableShape, type TranslatedChange } from './scylla-cdc-delta.js';
import {
  caughtUpSince,
  checkRetention,
  encodeGroupPosition,
  encodeStartPosition,
  generationsFrom,
  groupStreams,
  initialCursor,
  linkGenerations,
  nextWindow,
  snapshotStartMs,
  startPartition,
  timeuuidMicros,
  type CdcGeneration,
  type GroupPosition,
  type StreamGroup,
} from './scylla-cdc-streams.js';
import {
  cdcLogTableName,
  countTokenRange,
  DETECT_LOCAL,
  DETECT_SYSTEM_TABLES,
  SCYLLA_VERSION,
  selectByKeys,
  selectCdcOptions,
  selectCdcWindow,
  selectColumns,
  selectGenerationStreams,
  selectKeyspaceTablets,
  selectSizeEstimates,
  selectTabletStreams,
  selectTabletTimestamps,
  selectTable,
  selectTokenRange,
  selectUserTypes,
  SELECT_GENERATIONS,
  tableRef,
  writetimeAlias,
  type CqlReadFlavor,
  type CqlStatement,
} from './scylla-cql.js';
import type { CqlType } from './scylla-cql-types.js';
import { classifyCluster, type ClusterInfo } from './scylla-detect.js';
import {
  loadCassandraDriver,
  type ScyllaDriverClient,
  type ScyllaDriverClientOptions,
  type ScyllaDriverModule,
  type ScyllaDriverQueryOptions,
  type ScyllaDriverRow,
} from './scylla-driver.js';
import { toCdcError } from './scylla-errors.js';
import { buildTableInfo, udtMap, type SchemaColumnRow, type ScyllaTableInfo } from './scylla-introspector.js';
import {
  parseScyllaUrl,
  validateScyllaOptions,
  type ScyllaOptions,
  type ScyllaOptionsInput,
} from './scylla-options.js';
import { ScyllaPartitioner } from './scylla-partitioner.js';
import { shuffled, splitTokenRange, type TokenRange } from './scylla-token-ranges.js';
import { decodeCqlValue, toDriverParam } from './scylla-values.js';

/**
 * Symbol-keyed property on snapshot rows: the row's newest `WRITETIME` in microseconds (bigint), for
 * last-writer-wins against the CDC stream. Symbol keys are invisible to `Object.keys`/`entries`, so sinks
 * that do not know it are unaffected.
 */
export const SOURCE_TIMESTAMP: unique symbol = Symbol.for('cdc.sourceTimestamp') as never;

/** {@link connectScylla} input: a URL and/or options, plus the injected cassandra-driver module. */
export type ScyllaConnectConfig = Partial<ScyllaOptionsInput> & {
  /** The cassandra-driver module: `import * as cassandra from 'cassandra-driver'`. */
  driver: ScyllaDriverModule;
  /** `scylla://…` or `cassandra://…`; explicit options override what it says. */
  url?: string;
};

const DEFAULT_MAX_BATCH_EVENTS = 10_000;
const LOOKUP_CHUNK = 100;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function tableKeyOf(id: TableId): string {
  return formatTableId(id);
}

/** Builds the driver's client options from validated options (reads TLS files). */
export function driverClientOptions(
  o: ScyllaOptions,
  consistencies: ScyllaDriverModule['types']['consistencies'],
): ScyllaDriverClientOptions {
  const out: ScyllaDriverClientOptions = {
    contactPoints: o.contactPoints,
    localDataCenter: o.localDataCenter,
    protocolOptions: { port: o.port },
    queryOptions: { consistency: consistencies[o.consistency], fetchSize: o.fetchSize, prepare: true },
    socketOptions: { connectTimeout: o.connectTimeoutMs, readTimeout: o.readTimeoutMs },
    // Map keeps non-text map keys typed; bigint keeps 64-bit and varint values exact.
    encoding: { map: Map, useBigIntAsLong: true, useBigIntAsVarint: true },
    applicationName: 'cdc',
  };
  if (o.username !== undefined) out.credentials = { username: o.username, password: o.password ?? '' };
  if (o.tls?.enabled) {
    const read = (path: string | undefined, what: string) => {
      if (path === undefined) return undefined;
      try {
        return readFileSync(path);
      } catch (e) {
        throw new CdcError('CONFIG_INVALID', `Cannot read the TLS ${what} file ${path}.`, { cause: e });
      }
    };
    const ssl: Record<string, unknown> = { rejectUnauthorized: o.tls.rejectUnauthorized };
    const ca = read(o.tls.caFile, 'CA');
    const cert = read(o.tls.certFile, 'certificate');
    const key = read(o.tls.keyFile, 'key');
    if (ca) ssl.ca = [ca];
    if (cert) ssl.cert = cert;
    if (key) ssl.key = key;
    if (o.tls.serverName) ssl.servername = o.tls.serverName;
    out.sslOptions = ssl;
  }
  return out;
}

/**
 * Connects to ScyllaDB or Apache Cassandra and detects which one answers.
 *
 * @example
 * import * as cassandra from 'cassandra-driver';
 * const scylla = await connectScylla({ url: 'scylla://db1,db2/shop?localDataCenter=dc1', driver: cassandra });
 * const schema = await scylla.introspect({ schema: 'shop', name: 'orders' });
 * for await (const rows of scylla.scan(schema)) console.log(rows.length);
 * await scylla.close();
 */
export async function connectScylla(config: ScyllaConnectConfig): Promise<ScyllaAdapter> {
  const { driver, url, ...rest } = config;
  if (!driver || typeof driver.Client !== 'function') {
    throw new CdcError('CONFIG_INVALID', 'connectScylla needs the cassandra-driver module as `driver`.', {
      hint: "import * as cassandra from 'cassandra-driver'; connectScylla({ url, driver: cassandra })",
    });
  }
  const fromUrl = url === undefined ? {} : parseScyllaUrl(url);
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const options = validateScyllaOptions({ ...fromUrl, ...defined });
  const client = new driver.Client(driverClientOptions(options, driver.types.consistencies));
  const adapter = new ScyllaAdapter(client, driver, options);
  try {
    await client.connect();
    await adapter.detect();
  } catch (e) {
    await client.shutdown().catch(() => undefined);
    throw toCdcError(e, `Connecting to ${options.contactPoints.join(',')}`);
  }
  return adapter;
}

/**
 * Opens a {@link ScyllaAdapter} from validated options inside a worker thread (the factory named by
 * {@link ScyllaAdapter.workerSpec}), loading cassandra-driver there.
 */
export async function openScyllaInWorker(options: ScyllaOptionsInput): Promise<ScyllaAdapter> {
  return connectScylla({ ...options, driver: await loadCassandraDriver() });
}

interface CdcTableState {
  info: ScyllaTableInfo;
  logInfo: ScyllaTableInfo;
  shape: CdcTableShape;
  tableKey: string;
  logTable: string;
  tablets: boolean;
  ttlSeconds: number;
  startMs: number;
  /** The latest snapshot start stored for the table, if any. */
  snapshotMs?: number;
  lastRefreshMs: number;
}

interface GroupState {
  table: CdcTableState;
  group: StreamGroup;
  cursor: GroupPosition;
  lastReportedMs: number;
  /** The last position yielded for this group (undefined: none yet in this iteration). */
  reported?: string;
  closed: boolean;
}

/** ScyllaDB/Cassandra adapter. Implements {@link ChangeSource} (and so {@link ScanSource}). */
export class ScyllaAdapter implements ChangeSource {
  readonly dialect = 'scylla';
  readonly capabilities: Capabilities = defineCapabilities({
    exactCount: true,
    estimatedCount: true,
    orderedScan: false,
    hashPushdown: false,
    tokenPartitioned: true,
  });
  readonly #client: ScyllaDriverClient;
  readonly #driver: ScyllaDriverModule;
  readonly #options: ScyllaOptions;
  readonly #tables = new Map<string, ScyllaTableInfo>();
  #cluster: ClusterInfo | undefined;
  #closed = false;

  /** Use {@link connectScylla}; this constructor takes an already created driver client. */
  constructor(client: ScyllaDriverClient, driver: ScyllaDriverModule, options: ScyllaOptions) {
    this.#client = client;
    this.#driver = driver;
    this.#options = options;
  }

  /** The validated options. */
  get options(): ScyllaOptions {
    return this.#options;
  }

  /**
   * How a diff's hashing worker thread opens its own session to the same cluster, so decoding,
   * canonicalizing and hashing a ScyllaDB side (which cannot hash in the database) use every core.
   */
  get workerSpec(): WorkerSourceSpec {
    return { module: '@cdc/scylla', factory: 'openScyllaInWorker', options: this.#options };
  }

  /** What {@link detect} found (after connect). */
  get cluster(): ClusterInfo {
    if (!this.#cluster)
      throw new CdcError('INTERNAL', 'The cluster was not detected yet; use connectScylla().');
    return this.#cluster;
  }

  /** True when connected to ScyllaDB (Scylla-only CQL enabled). */
  get isScylla(): boolean {
    return this.cluster.flavor === 'scylla';
  }

  /** Detects ScyllaDB vs Apache Cassandra (or applies the `flavor` option). Called by connectScylla. */
  async detect(): Promise<ClusterInfo> {
    const local = (await this.#system(DETECT_LOCAL, 'Reading system.local')).rows[0];
    const tables = (await this.#system(DETECT_SYSTEM_TABLES, 'Reading system tables')).rows.map((r) =>
      String(r.get('table_name')),
    );
    let scyllaVersion: string | undefined;
    const forced = this.#options.flavor;
    if (tables.includes('versions') && forced !== 'cassandra') {
      try {
        const v = (await this.#system(SCYLLA_VERSION, 'Reading system.versions')).rows[0];
        scyllaVersion = v ? String(v.get('version')) : undefined;
      } catch {
        scyllaVersion = undefined; // older Scylla versions lack the key; detection still holds by tables
      }
    }
    const info = classifyCluster({
      systemTables: tables,
      releaseVersion: local ? String(local.get('release_version')) : null,
      clusterName: local ? String(local.get('cluster_name')) : null,
      scyllaVersion,
    });
    this.#cluster = forced === 'auto' ? info : { ...info, flavor: forced };
    return this.#cluster;
  }

  #flavor(scan: boolean): CqlReadFlavor {
    return {
      scylla: this.isScylla,
      bypassCache: scan && this.#options.bypassCache,
      ...(this.#options.serverTimeoutMs === undefined ? {} : { timeoutMs: this.#options.serverTimeoutMs }),
    };
  }

  /** Schema and CDC metadata reads: LOCAL_ONE, since system_distributed may have RF 3 on a 1-node cluster. */
  #system(stmt: CqlStatement, where: string) {
    return this.#run(stmt, where, { consistency: this.#driver.types.consistencies.localOne });
  }

  async #run(stmt: CqlStatement, where: string, options: ScyllaDriverQueryOptions = {}) {
    if (this.#closed) throw new CdcError('INVALID_ARGUMENT', 'The ScyllaDB adapter is closed.');
    try {
      return await this.#client.execute(stmt.query, stmt.params, {
        prepare: true,
        isIdempotent: true,
        ...options,
      });
    } catch (e) {
      throw toCdcError(e, where);
    }
  }

  /** Pages through a statement, yielding each page's rows. */
  async *#pages(
    stmt: CqlStatement,
    where: string,
    fetchSize: number,
    signal?: AbortSignal,
    consistency?: number,
  ): AsyncGenerator<ScyllaDriverRow[]> {
    let pageState: string | undefined;
    do {
      if (signal?.aborted) throw new CdcError('CANCELLED', `${where}: cancelled.`);
      const rs = await this.#run(stmt, where, {
        ...(consistency === undefined ? {} : { consistency }),
        fetchSize,
        autoPage: false,
        ...(pageState ? { pageState } : {}),
      });
      pageState = rs.pageState ?? undefined;
      if (rs.rows.length > 0) yield rs.rows;
    } while (pageState);
  }

  #keyspaceOf(id: TableId): string {
    const ks = id.schema ?? this.#options.keyspace;
    if (!ks) {
      throw new CdcError('INVALID_ARGUMENT', `Table ${id.name} needs a keyspace.`, {
        hint: 'Write keyspace.table, or put the keyspace in the URL path (scylla://host/keyspace).',
      });
    }
    return ks;
  }

  async #loadInfo(id: TableId): Promise<ScyllaTableInfo> {
    const keyspace = this.#keyspaceOf(id);
    const where = `Introspecting ${formatTableId({ schema: keyspace, name: id.name })}`;
    const cols = (await this.#system(selectColumns(keyspace, id.name), where)).rows.map(
      (r): SchemaColumnRow => ({
        column_name: String(r.get('column_name')),
        kind: String(r.get('kind')),
        position: Number(r.get('position')),
        type: String(r.get('type')),
        clustering_order: r.get('clustering_order') === null ? null : String(r.get('clustering_order')),
      }),
    );
    const udtRows = (await this.#system(selectUserTypes(keyspace), where)).rows.map((r) => ({
      type_name: String(r.get('type_name')),
      field_names: (r.get('field_names') as string[] | null) ?? [],
      field_types: (r.get('field_types') as string[] | null) ?? [],
    }));
    return buildTableInfo({ name: id.name }, keyspace, cols, udtMap(udtRows));
  }

  /** Describes a table from `system_schema` (cached per adapter). */
  async introspect(table: TableId): Promise<TableSchema> {
    return (await this.tableInfo(table)).schema;
  }

  /** The full CQL description of a table (partition/clustering/static columns, CQL types). */
  async tableInfo(table: TableId | TableSchema): Promise<ScyllaTableInfo> {
    const id = 'id' in table ? table.id : table;
    const ks = this.#keyspaceOf(id);
    const key = tableKeyOf({ schema: ks, name: id.name });
    const hit = this.#tables.get(key);
    if (hit) return hit;
    const info = await this.#loadInfo({ schema: ks, name: id.name });
    this.#tables.set(key, info);
    return info;
  }

  /** Parsed CQL types of a table's columns (for {@link ScyllaPartitioner.forTable}). */
  async cqlTypesOf(table: TableId | TableSchema): Promise<ReadonlyMap<string, CqlType>> {
    return (await this.tableInfo(table)).cqlTypes;
  }

  /** A Murmur3 partitioner of the table, to bucket another engine's rows by the same token ranges. */
  async partitioner(table: TableId | TableSchema): Promise<ScyllaPartitioner> {
    const info = await this.tableInfo(table);
    return ScyllaPartitioner.forTable(info.schema, info.cqlTypes);
  }

  #tokenRange(range: Range | undefined): TokenRange | undefined {
    if (range === undefined) return undefined;
    if (range.kind !== 'token') {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `ScyllaDB scans take token ranges, not '${range.kind}' ranges.`,
        {
          hint: 'Use ranges from splits() (capabilities.tokenPartitioned).',
        },
      );
    }
    return range;
  }

  /** Exact count: `COUNT(*)` per token sub-range, run in parallel and summed. */
  async count(table: TableSchema, range?: Range): Promise<bigint> {
    const info = await this.tableInfo(table);
    const r = this.#tokenRange(range);
    const parts = r
      ? splitTokenRange(Math.max(1, this.#options.parallelism), r)
      : splitTokenRange(this.#options.parallelism * 8);
    const ref = tableRef(info.schema.id);
    const counts = await mapLimit(shuffled(parts), this.#options.parallelism, async (p) => {
      const rs = await this.#run(
        countTokenRange({
          table: ref,
          partitionKey: info.partitionKey,
          start: p.start,
          end: p.end,
          flavor: this.#flavor(true),
        }),
        `Counting ${formatTableId(info.schema.id)}`,
      );
      const v = rs.rows[0]?.get('count');
      return typeof v === 'bigint' ? v : BigInt(String(v ?? 0));
    });
    return counts.reduce((a, b) => a + b, 0n);
  }

  /**
   * Estimate from `system.size_estimates` (partitions on the contacted node's ranges, scaled to the ring;
   * a partition count, so tables with clustering columns hold more rows).
   */
  async estimateCount(table: TableSchema): Promise<bigint> {
    const info = await this.tableInfo(table);
    const rs = await this.#system(
      selectSizeEstimates(info.keyspace, info.schema.id.name),
      'Reading size estimates',
    );
    let partitions = 0n;
    let covered = 0n;
    for (const row of rs.rows) {
      partitions += BigInt(String(row.get('partitions_count') ?? 0));
      const s = BigInt(String(row.get('range_start')));
      const e = BigInt(String(row.get('range_end')));
      covered += e > s ? e - s : (1n << 64n) - (s - e);
    }
    if (covered === 0n) return 0n;
    return (partitions * ((1n << 64n) - 1n)) / covered;
  }

  /** `n` token ranges covering the ring exactly once, in random order. */
  async splits(_table: TableSchema, n: number): Promise<Range[]> {
    return shuffled(splitTokenRange(Math.max(1, Math.floor(n))));
  }

  #decodeRow(info: ScyllaTableInfo, row: ScyllaDriverRow, columns: readonly string[]): Row {
    const out: Row = {};
    for (const c of columns) out[c] = decodeCqlValue(row.get(c), info.cqlTypes.get(c) as CqlType);
    return out;
  }

  #columnsFor(info: ScyllaTableInfo, wanted?: readonly string[]): string[] {
    const all = info.schema.columns.map((c) => c.name);
    if (!wanted) return all;
    for (const c of wanted) {
      if (!info.cqlTypes.has(c)) {
        throw new CdcError('COLUMN_NOT_FOUND', `Column ${c} is not in ${formatTableId(info.schema.id)}.`);
      }
    }
    return [...info.schema.primaryKey, ...wanted.filter((c) => !info.schema.primaryKey.includes(c))];
  }

  /**
   * Streams rows of a token range (or of the whole ring, sub-range by sub-range in random order), paged
   * with `fetchSize` and `BYPASS CACHE` on ScyllaDB. Rows are not in key order.
   */
  async *scan(table: TableSchema, options: ScanOptions = {}): AsyncGenerator<Row[]> {
    if (options.ordered) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        'ScyllaDB cannot scan in primary-key order (capabilities.orderedScan is false).',
      );
    }
    yield* this.#scanRows(table, options, false);
  }

  async *#scanRows(table: TableSchema, options: ScanOptions, withWritetime: boolean): AsyncGenerator<Row[]> {
    const info = await this.tableInfo(table);
    const columns = this.#columnsFor(info, options.columns);
    const r = this.#tokenRange(options.range);
    const ranges = r ? [r] : shuffled(splitTokenRange(this.#options.parallelism * 8));
    const fetchSize = options.batchRows ?? this.#options.fetchSize;
    const wt = withWritetime
      ? columns.filter((c) => {
          const t = info.cqlTypes.get(c);
          if (!t || info.schema.primaryKey.includes(c)) return false;
          if (t.kind === 'native' && t.name === 'counter') return false;
          return !info.nonFrozenColumns.includes(c);
        })
      : [];
    for (const range of ranges) {
      const stmt = selectTokenRange({
        table: tableRef(info.schema.id),
        partitionKey: info.partitionKey,
        columns,
        writetimeColumns: wt,
        start: range.start,
        end: range.end,
        flavor: this.#flavor(true),
      });
      for await (const page of this.#pages(
        stmt,
        `Scanning ${formatTableId(info.schema.id)}`,
        fetchSize,
        options.signal,
      )) {
        yield page.map((raw) => {
          const row = this.#decodeRow(info, raw, columns);
          if (wt.length > 0) {
            let newest: bigint | undefined;
            for (const c of wt) {
              const v = raw.get(writetimeAlias(c));
              if (v === null || v === undefined) continue;
              const b = typeof v === 'bigint' ? v : BigInt(String(v));
              if (newest === undefined || b > newest) newest = b;
            }
            if (newest !== undefined) (row as Record<symbol, unknown>)[SOURCE_TIMESTAMP] = newest;
          }
          return row;
        });
      }
    }
  }

  /** Rows by primary key: grouped per partition, clustering keys with a multi-column `IN`. */
  async lookup(table: TableSchema, keys: Key[], columns?: string[]): Promise<Row[]> {
    const info = await this.tableInfo(table);
    const cols = this.#columnsFor(info, columns);
    const pkLen = info.partitionKey.length;
    const ckLen = info.clusteringKey.length;
    const byPartition = new Map<string, { pk: unknown[]; cks: unknown[][] }>();
    for (const key of keys) {
      if (key.length !== pkLen + ckLen) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          `A key of ${formatTableId(info.schema.id)} has ${pkLen + ckLen} values, got ${key.length}.`,
        );
      }
      const pk = key.slice(0, pkLen);
      const id = valueKey(pk);
      const entry = byPartition.get(id) ?? { pk, cks: [] };
      entry.cks.push(key.slice(pkLen));
      byPartition.set(id, entry);
    }
    const t = this.#driver.types;
    const typeOf = (c: string) => info.cqlTypes.get(c) as CqlType;
    const tasks: { pk: unknown[]; cks: unknown[][] }[] = [];
    for (const { pk, cks } of byPartition.values()) {
      if (ckLen === 0) tasks.push({ pk, cks: [] });
      else
        for (let i = 0; i < cks.length; i += LOOKUP_CHUNK)
          tasks.push({ pk, cks: cks.slice(i, i + LOOKUP_CHUNK) });
    }
    const results = await mapLimit(tasks, this.#options.parallelism, async ({ pk, cks }) => {
      const stmt = selectByKeys({
        table: tableRef(info.schema.id),
        columns: cols,
        partitionKey: info.partitionKey,
        clusteringKey: info.clusteringKey,
        partitionValues: pk.map((v, i) => toDriverParam(v, typeOf(info.partitionKey[i] as string), t)),
        clusteringValues: cks.map((ck) =>
          ck.map((v, i) => toDriverParam(v, typeOf(info.clusteringKey[i] as string), t)),
        ),
        flavor: this.#flavor(false),
      });
      const rows: Row[] = [];
      for await (const page of this.#pages(
        stmt,
        `Looking up rows of ${formatTableId(info.schema.id)}`,
        this.#options.fetchSize,
      )) {
        for (const raw of page) rows.push(this.#decodeRow(info, raw, cols));
      }
      return rows;
    });
    return results.flat();
  }

  /**
   * A token-range snapshot with `WRITETIME`: rows carry their newest write time under
   * {@link SOURCE_TIMESTAMP}; the stream starts `confidenceMs` before the snapshot began, and the target's
   * last-writer-wins on the source timestamp makes the overlap harmless.
   */
  async snapshot(
    table: TableSchema,
    options: { signal?: AbortSignal; batchRows?: number } = {},
  ): Promise<Snapshot> {
    this.#requireScyllaCdc('snapshot with CDC hand-off');
    const info = await this.tableInfo(table);
    const startMs = Date.now() - this.#options.cdc.confidenceMs;
    const scanOptions: ScanOptions = {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.batchRows ? { batchRows: options.batchRows } : {}),
    };
    return {
      position: encodeStartPosition(startMs),
      partition: startPartition(tableKeyOf(info.schema.id), startMs),
      rows: this.#scanRows(info.schema, scanOptions, true),
      close: async () => undefined,
    };
  }

  #requireScyllaCdc(what: string): void {
    if (!this.isScylla) {
      throw new CdcError(
        'CDC_NOT_ENABLED',
        `${what} needs ScyllaDB CDC log tables; this cluster is Apache Cassandra ${this.cluster.version}.`,
        {
          hint: 'Cassandra commit-log CDC is not supported. Scans, lookups and diffs work against Cassandra.',
        },
      );
    }
  }

  async #cdcTable(schema: TableSchema, from: ReadonlyMap<string, string>): Promise<CdcTableState> {
    const info = await this.tableInfo(schema);
    const id = info.schema.id;
    const logName = cdcLogTableName(id.name);
    const exists = await this.#system(selectTable(info.keyspace, logName), 'Looking for the CDC log table');
    if (exists.rows.length === 0) {
      throw new CdcError('CDC_NOT_ENABLED', `CDC is not enabled on ${formatTableId(id)}.`, {
        hint: `ALTER TABLE ${tableRef(id)} WITH cdc = {'enabled': true, 'postimage': true, 'ttl': 86400};`,
      });
    }
    const logInfo = await this.#loadInfo({ schema: info.keyspace, name: logName });
    let ttlSeconds = this.#options.cdc.ttlSeconds;
    try {
      const row = (await this.#system(selectCdcOptions(info.keyspace, id.name), 'Reading CDC options'))
        .rows[0];
      const cdc = row?.get('cdc') as Map<string, string> | Record<string, string> | null | undefined;
      const ttl = cdc instanceof Map ? cdc.get('ttl') : cdc?.ttl;
      if (ttl !== undefined && /^\d+$/.test(ttl)) ttlSeconds = Number(ttl);
    } catch {
      // Older/newer Scylla versions keep the options elsewhere: fall back to cdc.ttlSeconds.
    }
    let tablets: boolean;
    try {
      const row = (await this.#system(selectKeyspaceTablets(info.keyspace), 'Reading keyspace options'))
        .rows[0];
      tablets =
        row !== undefined && row.get('initial_tablets') !== null && row.get('initial_tablets') !== undefined;
    } catch {
      tablets = false; // no system_schema.scylla_keyspaces: a vnode-only Scylla version
    }
    const tableKey = tableKeyOf(id);
    const snapshotMs = snapshotStartMs(from, tableKey);
    const now = Date.now();
    let startMs: number;
    if (snapshotMs !== undefined) startMs = snapshotMs;
    else if (this.#options.cdc.startAt === 'earliest')
      startMs = ttlSeconds > 0 ? now - ttlSeconds * 1000 + 60_000 : 0;
    else startMs = now - this.#options.cdc.confidenceMs;
    const shape: CdcTableShape = {
      id,
      partitionKey: info.partitionKey,
      clusteringKey: info.clusteringKey,
      staticColumns: info.staticColumns,
      valueColumns: [...info.staticColumns, ...info.regularColumns],
      types: info.cqlTypes,
    };
    return {
      info,
      logInfo,
      shape,
      tableKey,
      logTable: tableRef({ schema: info.keyspace, name: logName }),
      tablets,
      ttlSeconds,
      startMs,
      ...(snapshotMs === undefined ? {} : { snapshotMs }),
      lastRefreshMs: 0,
    };
  }

  async #generations(t: CdcTableState): Promise<CdcGeneration[]> {
    const raw: { startMs: number; streams: Uint8Array[] }[] = [];
    const streamsOf = (rows: ScyllaDriverRow[], column: string): Uint8Array[] =>
      rows.flatMap((r) => {
        const v = r.get(column);
        if (v instanceof Uint8Array) return [v];
        return Array.isArray(v) ? (v as Uint8Array[]) : [];
      });
    if (t.tablets) {
      const ts = await this.#system(
        selectTabletTimestamps(t.info.keyspace, t.info.schema.id.name),
        'Reading CDC stream sets',
      );
      for (const r of ts.rows) {
        const at = r.get('timestamp') as Date;
        const rows: ScyllaDriverRow[] = [];
        for await (const page of this.#pages(
          selectTabletStreams(t.info.keyspace, t.info.schema.id.name, at),
          'Reading CDC streams',
          5000,
          undefined,
          this.#driver.types.consistencies.localOne,
        ))
          rows.push(...page);
        raw.push({ startMs: at.getTime(), streams: streamsOf(rows, 'stream_id') });
      }
    } else {
      const gens = await this.#system(SELECT_GENERATIONS, 'Reading CDC generations');
      for (const r of gens.rows) {
        const at = r.get('time') as Date;
        const rows: ScyllaDriverRow[] = [];
        for await (const page of this.#pages(
          selectGenerationStreams(at),
          'Reading CDC generation streams',
          5000,
          undefined,
          this.#driver.types.consistencies.localOne,
        ))
          rows.push(...page);
        raw.push({ startMs: at.getTime(), streams: streamsOf(rows, 'streams') });
      }
    }
    if (raw.length === 0) {
      throw new CdcError('CDC_NOT_ENABLED', `No CDC generation found for ${t.tableKey}.`, {
        hint: 'CDC generations appear once a CDC-enabled table exists; check the cluster with `nodetool checkAndRepairCdcStreams`.',
      });
    }
    return linkGenerations(raw);
  }

  /** Decodes a log row with the log table's column types. */
  #decodeLogRow(t: CdcTableState, raw: ScyllaDriverRow): Row {
    const out: Row = {};
    for (const name of raw.keys()) {
      const type = t.logInfo.cqlTypes.get(name);
      const v = raw.get(name);
      out[name] = type ? decodeCqlValue(v, type) : v;
    }
    return out;
  }

  async #readWindow(
    g: GroupState,
    startMs: number,
    endMs: number,
    signal?: AbortSignal,
  ): Promise<TranslatedChange[]> {
    const t = g.table;
    const resumeAt = g.cursor.t !== undefined && g.cursor.w === startMs ? g.cursor.t : undefined;
    const after = resumeAt === undefined ? { millis: startMs } : { timeuuid: resumeAt };
    const stmt = selectCdcWindow({
      logTable: t.logTable,
      streamIds: g.group.streams,
      after,
      untilMillis: endMs,
      flavor: this.#flavor(true),
    });
    if (resumeAt !== undefined)
      stmt.params[g.group.streams.length] = this.#driver.types.TimeUuid.fromString(resumeAt);
    const byStream = new Map<string, Row[]>();
    for await (const page of this.#pages(
      stmt,
      `Reading the CDC log of ${t.tableKey}`,
      this.#options.fetchSize,
      signal,
    )) {
      for (const raw of page) {
        const row = this.#decodeLogRow(t, raw);
        const sid = Buffer.from(row['cdc$stream_id'] as Uint8Array).toString('hex');
        const list = byStream.get(sid);
        if (list) list.push(row);
        else byStream.set(sid, [row]);
      }
    }
    const changes: TranslatedChange[] = [];
    for (const rows of byStream.values()) changes.push(...translateLogRows(t.shape, rows));
    // Streams are independent partitions; merging by write time keeps each stream's own order.
    changes.sort((a, b) => {
      const x = timeuuidMicros(a.time);
      const y = timeuuidMicros(b.time);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    return this.#resolve(t, changes);
  }

  /** Fills element-level collection changes, counter totals and static-only writes from the current rows. */
  async #resolve(t: CdcTableState, changes: TranslatedChange[]): Promise<TranslatedChange[]> {
    const info = t.info;
    const keyCols = info.schema.primaryKey;
    const needRows: Key[] = [];
    const needCols = new Set<string>();
    const partitions = new Map<string, unknown[]>();
    for (const c of changes) {
      if (c.event.op !== 'upsert') continue;
      if (c.staticOnly) {
        const pk = info.partitionKey.map((k) => (c.event as { key: Row }).key[k]);
        partitions.set(valueKey(pk), pk);
      } else if (c.unresolved.length > 0) {
        needRows.push(keyCols.map((k) => (c.event as { key: Row }).key[k]));
        for (const u of c.unresolved) needCols.add(u.column);
      }
    }
    const current = new Map<string, Row>();
    if (needRows.length > 0) {
      for (const row of await this.lookup(info.schema, needRows, [...needCols]))
        current.set(valueKey(keyCols.map((k) => row[k])), row);
    }
    const partitionRows = new Map<string, Row[]>();
    for (const [id, pk] of partitions) {
      const rows: Row[] = [];
      const stmt = selectByKeys({
        table: tableRef(info.schema.id),
        columns: keyCols,
        partitionKey: info.partitionKey,
        clusteringKey: [],
        partitionValues: pk.map((v, i) =>
          toDriverParam(v, info.cqlTypes.get(info.partitionKey[i] as string) as CqlType, this.#driver.types),
        ),
        clusteringValues: [],
        flavor: this.#flavor(false),
      });
      for await (const page of this.#pages(
        stmt,
        `Reading partition rows of ${t.tableKey}`,
        this.#options.fetchSize,
      )) {
        for (const raw of page) rows.push(this.#decodeRow(info, raw, keyCols));
      }
      partitionRows.set(id, rows);
    }
    const out: TranslatedChange[] = [];
    for (const c of changes) {
      const ev = c.event;
      if (ev.op !== 'upsert') {
        out.push(c);
        continue;
      }
      if (c.staticOnly) {
        const pk = info.partitionKey.map((k) => ev.key[k]);
        const values = Object.fromEntries(
          Object.entries(ev.row).filter(([k]) => !info.partitionKey.includes(k)),
        );
        for (const keyRow of partitionRows.get(valueKey(pk)) ?? []) {
          out.push({ ...c, staticOnly: false, event: { ...ev, key: keyRow, row: { ...keyRow, ...values } } });
        }
        continue;
      }
      if (c.unresolved.length > 0) {
        const now = current.get(valueKey(keyCols.map((k) => ev.key[k])));
        const row = { ...ev.row };
        // Row gone: a later delete in the log removes it; leave the collection columns unchanged.
        if (now) for (const u of c.unresolved) row[u.column] = now[u.column] ?? null;
        out.push({ ...c, unresolved: [], event: { ...ev, row } });
        continue;
      }
      out.push(c);
    }
    return out;
  }

  /**
   * Streams CDC changes of `options.tables`, per stream group (ChangeBatch.partition = group id),
   * window by window once each window is older than the confidence delay. Positions are JSON per group;
   * `from` resumes each group strictly after its position. Ends when `signal` aborts; with
   * `untilCaughtUp` (`cdc replicate --once`), once every group consumed every change written before the
   * call (after the confidence delay, so up to `windowMs + confidenceMs` later), reporting each group's
   * final position; with `cdc.stopWhenCaughtUp`, as soon as every group waits for new windows.
   */
  async *changes(options: ChangeOptions): AsyncGenerator<ChangeBatch> {
    this.#requireScyllaCdc('Streaming changes');
    const cfg = this.#options.cdc;
    const startedAt = Date.now();
    const maxEvents = Math.max(1, options.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS);
    const tables: CdcTableState[] = [];
    for (const schema of options.tables) tables.push(await this.#cdcTable(schema, options.from));
    const groups = new Map<string, GroupState>();

    const refresh = async (t: CdcTableState) => {
      const gens = generationsFrom(await this.#generations(t), t.startMs);
      for (const gen of gens) {
        for (const group of groupStreams(t.tableKey, gen, {
          tablets: t.tablets,
          maxStreamsPerQuery: cfg.maxStreamsPerQuery,
        })) {
          const existing = groups.get(group.id);
          if (existing) {
            existing.group = group; // the generation may have gained its end
            continue;
          }
          const cursor = initialCursor(group, options.from.get(group.id), t.startMs, t.snapshotMs);
          groups.set(group.id, { table: t, group, cursor, lastReportedMs: Date.now(), closed: false });
        }
      }
      t.lastRefreshMs = Date.now();
    };
    for (const t of tables) await refresh(t);
    const now0 = Date.now();
    for (const g of groups.values()) {
      const decision = nextWindow(g.cursor.w, {
        windowMs: cfg.windowMs,
        confidenceMs: cfg.confidenceMs,
        nowMs: now0,
        ...(g.group.generation.endMs === undefined ? {} : { generationEndMs: g.group.generation.endMs }),
      });
      if (decision.kind === 'closed') g.closed = true;
      else
        checkRetention(g.cursor.w, now0, g.table.ttlSeconds, {
          table: g.table.tableKey,
          group: g.group.id,
          resnapshot: `cdc snapshot (re-snapshot ${g.table.tableKey}, then resume replication)`,
        });
    }

    const report = (g: GroupState): ChangeBatch => {
      const position = encodeGroupPosition(g.cursor);
      g.reported = position;
      g.lastReportedMs = Date.now();
      return { partition: g.group.id, position, events: [] };
    };

    while (!options.signal?.aborted) {
      if (
        options.untilCaughtUp &&
        caughtUpSince(
          [...groups.values()].map((g) => ({ cursorMs: g.cursor.w, closed: g.closed })),
          startedAt,
        )
      ) {
        // Idle windows advanced cursors without a batch: store where each group stands before ending.
        for (const g of groups.values()) {
          if (g.reported !== encodeGroupPosition(g.cursor)) yield report(g);
        }
        return;
      }
      for (const t of tables) if (Date.now() - t.lastRefreshMs >= cfg.generationRefreshMs) await refresh(t);
      const now = Date.now();
      const reads: { g: GroupState; startMs: number; endMs: number }[] = [];
      let wakeAt = now + cfg.pollIntervalMs;
      const idle: ChangeBatch[] = [];
      for (const g of groups.values()) {
        if (g.closed) continue;
        const d = nextWindow(g.cursor.w, {
          windowMs: cfg.windowMs,
          confidenceMs: cfg.confidenceMs,
          nowMs: now,
          ...(g.group.generation.endMs === undefined ? {} : { generationEndMs: g.group.generation.endMs }),
        });
        if (d.kind === 'read') reads.push({ g, startMs: d.startMs, endMs: d.endMs });
        else if (d.kind === 'wait') wakeAt = Math.min(wakeAt, d.untilMs);
        else {
          g.closed = true;
          g.cursor = { g: g.cursor.g, w: g.cursor.w };
          idle.push(report(g));
        }
      }
      for (const b of idle) yield b;
      if (reads.length === 0) {
        if (cfg.stopWhenCaughtUp) return;
        await sleep(Math.min(cfg.pollIntervalMs, Math.max(50, wakeAt - Date.now())), options.signal);
        continue;
      }
      let results: { r: (typeof reads)[number]; changes: TranslatedChange[] }[];
      try {
        results = await mapLimit(reads, cfg.parallelism, async (r) => ({
          r,
          changes: await this.#readWindow(r.g, r.startMs, r.endMs, options.signal),
        }));
      } catch (e) {
        // Shutdown (SIGTERM → abort) ends the stream cleanly: nothing of the aborted round was yielded.
        if (options.signal?.aborted) return;
        throw e;
      }
      for (const { r, changes } of results) {
        const g = r.g;
        const gen = g.cursor.g;
        if (changes.length === 0) {
          g.cursor = { g: gen, w: r.endMs };
          if (Date.now() - g.lastReportedMs >= cfg.heartbeatMs) yield report(g);
          continue;
        }
        // Split at write boundaries (one cdc$time = one write) so a position never splits a write.
        let chunk: ChangeEvent[] = [];
        for (let i = 0; i < changes.length; i++) {
          const c = changes[i] as TranslatedChange;
          chunk.push(c.event);
          const lastTime = c.time;
          const nextTime = changes[i + 1]?.time;
          const last = i === changes.length - 1;
          if (last || (chunk.length >= maxEvents && nextTime !== lastTime)) {
            g.cursor = last ? { g: gen, w: r.endMs } : { g: gen, w: r.startMs, t: lastTime };
            g.lastReportedMs = Date.now();
            g.reported = encodeGroupPosition(g.cursor);
            yield {
              partition: g.group.id,
              position: g.reported,
              events: chunk,
              commitTimeMicros: timeuuidMicros(lastTime),
            };
            chunk = [];
          }
        }
      }
    }
  }

  /** Shuts the driver down. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.shutdown();
  }
}
