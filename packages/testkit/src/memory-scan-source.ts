/**
 * TEST DOUBLE — an in-memory {@link ScanSource} for diff-engine tests. It is not an adapter: it holds rows
 * in a JS array (or generates them lazily from an index, for multi-million-row memory tests) and computes
 * pushdown summaries with @cdc/core's own client-side hashing, so both engine paths can be exercised.
 */
import {
  BucketAccumulator,
  CdcError,
  bucketAssigner,
  compareKeys,
  createRowHasher,
  defineCapabilities,
  digestRow,
  formatTableId,
  keyString,
  columnsString,
  packCanonicalRows,
  rangeFilter,
  type BucketSummary,
  type Capabilities,
  type CanonicalBatch,
  type CanonicalRow,
  type HashPlan,
  type Key,
  type KeyHash,
  type LogicalType,
  type Partitioner,
  type Range,
  type Row,
  type RowHasher,
  type ScanOptions,
  type ScanSource,
  type TableId,
  type TableSchema,
} from '@cdc/core';

/** Rows generated on demand: `rowAt(i)` for `0 ≤ i < count`, strictly ascending in canonical key order. */
export interface LazyRows {
  count: number;
  rowAt(index: number): Row;
}

/** Options of {@link MemoryScanSource}. */
export interface MemoryScanSourceOptions {
  /** Dialect name reported by the double (also its native hash family when pushdown is on). Default `memory`. */
  dialect?: string;
  /** Capabilities; defaults: ordered scans on, pushdown off. `hashPushdown: true` enables summaries. */
  capabilities?: Partial<Capabilities>;
  /** Token function for `tokenPartitioned` doubles (token ranges and token bucketing). */
  partitioner?: Partitioner;
  /** Default rows per scan batch. Default 1,000. */
  batchRows?: number;
  /** What `estimateCount` answers (like table statistics, possibly stale); enables `estimatedCount`. */
  estimate?: bigint;
  /**
   * Offer `canonicalScan` (canonical strings computed from the rows, as an adapter would from its wire
   * format), to test code that uses that fast path. Default `false`.
   */
  canonicalScan?: boolean;
  /**
   * Offer `packedCanonicalScan` too (the canonical rows packed with `packCanonicalRows`, integer keys
   * filled in for a single integer key), to test the engine's byte-level path. Implies `canonicalScan`.
   */
  packedCanonicalScan?: boolean;
}

const ALL_KINDS = [
  'int16',
  'int32',
  'int64',
  'numeric',
  'float32',
  'float64',
  'bool',
  'text',
  'bytes',
  'uuid',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'interval',
  'json',
  'inet',
  'list',
  'set',
  'map',
  'tuple',
  'udt',
] as const;

interface Table {
  schema: TableSchema;
  lazy: LazyRows | undefined;
  rows: Map<string, Row>;
  sorted: Row[] | undefined;
  keyTypes: LogicalType[];
  keyPlan: HashPlan;
}

/**
 * TEST DOUBLE: an in-memory table store implementing {@link ScanSource}. Supports ordered scans, key,
 * hash and token ranges, splits, lookup, optional pushdown (`summarize`/`keyHashes`, computed with the
 * canonical client hashing; `mode: 'native'` uses a different, family-private digest), and mutation
 * (`put`/`remove`) for repair tests.
 *
 * @example
 * const src = new MemoryScanSource({ capabilities: { hashPushdown: true } });
 * src.addTable(schema, [{ id: 1, name: 'a' }]);
 */
export class MemoryScanSource implements ScanSource {
  readonly dialect: string;
  readonly capabilities: Capabilities;
  readonly #tables = new Map<string, Table>();
  readonly #partitioner: Partitioner | undefined;
  readonly #batchRows: number;
  readonly #estimate: bigint | undefined;
  #hasher: Promise<RowHasher> | undefined;
  /** Present with `options.canonicalScan`: the rows' canonical strings (see `ScanSource.canonicalScan`). */
  readonly canonicalScan?: (
    table: TableSchema,
    plan: HashPlan,
    options?: ScanOptions,
  ) => AsyncIterable<CanonicalRow[]>;
  /** Present with `options.packedCanonicalScan`: the canonical rows as packed batches. */
  readonly packedCanonicalScan?: (
    table: TableSchema,
    plan: HashPlan,
    options?: ScanOptions,
  ) => AsyncIterable<CanonicalBatch>;

  constructor(options: MemoryScanSourceOptions = {}) {
    this.dialect = options.dialect ?? 'memory';
    const pushdown = options.capabilities?.hashPushdown ?? false;
    this.capabilities = defineCapabilities({
      orderedScan: true,
      estimatedCount: options.estimate !== undefined,
      pushdownKinds: pushdown ? ALL_KINDS : [],
      ...(pushdown ? { nativeHashFamily: this.dialect } : {}),
      ...options.capabilities,
    });
    this.#partitioner = options.partitioner;
    this.#estimate = options.estimate;
    this.#batchRows = options.batchRows ?? 1_000;
    if (options.canonicalScan || options.packedCanonicalScan)
      this.canonicalScan = (t, plan, o) => this.#canonicalRows(t, plan, o);
    if (options.packedCanonicalScan) this.packedCanonicalScan = (t, plan, o) => this.#packedRows(t, plan, o);
  }

  async *#canonicalRows(
    table: TableSchema,
    plan: HashPlan,
    options: ScanOptions = {},
  ): AsyncGenerator<CanonicalRow[]> {
    for await (const rows of this.scan(table, { ...options, columns: [...plan.key, ...plan.columns] })) {
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

  async *#packedRows(
    table: TableSchema,
    plan: HashPlan,
    options: ScanOptions = {},
  ): AsyncGenerator<CanonicalBatch> {
    const only = plan.key.length === 1 ? table.columns.find((c) => c.name === plan.key[0]) : undefined;
    const intKeys = only !== undefined && ['int16', 'int32', 'int64'].includes(only.type.kind);
    for await (const rows of this.#canonicalRows(table, plan, options)) {
      yield packCanonicalRows(rows, { intKeys });
    }
  }

  /** Registers a table with rows (copied) or a lazy generator. Replaces a table of the same id. */
  addTable(schema: TableSchema, rows: Row[] | LazyRows): this {
    const keyTypes = schema.primaryKey.map((k) => {
      const c = schema.columns.find((x) => x.name === k);
      if (!c) throw new CdcError('COLUMN_NOT_FOUND', `Key column ${k} is not a column of the table`);
      return c.type;
    });
    const table: Table = {
      schema,
      lazy: Array.isArray(rows) ? undefined : rows,
      rows: new Map(),
      sorted: undefined,
      keyTypes,
      keyPlan: {
        key: schema.primaryKey,
        columns: [],
        mode: 'canonical',
        bucketing: { kind: 'key-hash', modulus: 1 },
      },
    };
    this.#tables.set(formatTableId(schema.id), table);
    if (Array.isArray(rows)) for (const r of rows) this.put(schema.id, r);
    return this;
  }

  /** Inserts or replaces a row (by primary key). Array-backed tables only. */
  put(id: TableId, row: Row): void {
    const t = this.#mutable(id);
    t.rows.set(keyString(row, t.schema, t.keyPlan), { ...row });
    t.sorted = undefined;
  }

  /** Deletes the row with this key (values in key order); returns whether it existed. */
  remove(id: TableId, key: Key): boolean {
    const t = this.#mutable(id);
    const row: Row = {};
    t.schema.primaryKey.forEach((k, i) => (row[k] = key[i]));
    t.sorted = undefined;
    return t.rows.delete(keyString(row, t.schema, t.keyPlan));
  }

  /** All rows in canonical key order (copies). Array-backed tables only. */
  rows(id: TableId): Row[] {
    return this.#ordered(this.#mutable(id)).map((r) => ({ ...r }));
  }

  introspect(id: TableId): Promise<TableSchema> {
    try {
      return Promise.resolve(this.#table(id).schema);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async count(table: TableSchema, range?: Range): Promise<bigint> {
    const t = this.#table(table.id);
    if (!range) return BigInt(t.lazy ? t.lazy.count : t.rows.size);
    let n = 0n;
    for await (const batch of this.scan(table, { range })) n += BigInt(batch.length);
    return n;
  }

  /** The configured `estimate` (statistics are not exact, and may be empty: 0 or -1). */
  estimateCount(table: TableSchema): Promise<bigint> {
    this.#table(table.id);
    return Promise.resolve(this.#estimate ?? -1n);
  }

  splits(table: TableSchema, n: number): Promise<Range[]> {
    if (!Number.isInteger(n) || n < 1)
      throw new CdcError('INVALID_ARGUMENT', `splits(): n must be ≥ 1, got ${n}`);
    const t = this.#table(table.id);
    if (this.capabilities.tokenPartitioned) {
      const min = -(2n ** 63n);
      const span = 2n ** 64n / BigInt(n);
      return Promise.resolve(
        Array.from({ length: n }, (_, i) => ({
          kind: 'token' as const,
          start: i === 0 ? min : min + span * BigInt(i),
          end: i === n - 1 ? 2n ** 63n - 1n : min + span * BigInt(i + 1),
        })),
      );
    }
    const size = t.lazy ? t.lazy.count : t.rows.size;
    const at = (i: number): Row => (t.lazy ? t.lazy.rowAt(i) : (this.#ordered(t)[i] as Row));
    const bounds: Key[] = [];
    for (let i = 1; i < n; i++) {
      const idx = Math.floor((i * size) / n);
      if (idx <= 0 || idx >= size) continue;
      const k = t.schema.primaryKey.map((c) => at(idx)[c]);
      const prev = bounds[bounds.length - 1];
      if (!prev || compareKeys(prev, k, t.keyTypes) < 0) bounds.push(k);
    }
    const ranges: Range[] = [];
    for (let i = 0; i <= bounds.length; i++) {
      ranges.push({
        kind: 'key',
        ...(i > 0 ? { lower: bounds[i - 1] as Key } : {}),
        ...(i < bounds.length ? { upper: bounds[i] as Key } : {}),
      });
    }
    return Promise.resolve(ranges);
  }

  async *scan(table: TableSchema, options: ScanOptions = {}): AsyncGenerator<Row[]> {
    const t = this.#table(table.id);
    const hasher = await this.#getHasher();
    const cmp = (a: Key, b: Key) => compareKeys(a, b, t.keyTypes);
    const keep = rangeFilter(t.schema, options.range, hasher, cmp, this.#partitioner);
    const wanted = options.columns ? [...new Set([...t.schema.primaryKey, ...options.columns])] : undefined;
    const project = (r: Row): Row => {
      if (!wanted) return { ...r };
      const out: Row = {};
      for (const c of wanted) out[c] = r[c];
      return out;
    };
    const size = t.lazy ? t.lazy.count : t.rows.size;
    const at = t.lazy
      ? (i: number) => (t.lazy as LazyRows).rowAt(i)
      : (i: number) => this.#ordered(t)[i] as Row;
    let from = 0;
    let to = size;
    // Key ranges on ordered data: binary search the bounds instead of filtering every row.
    if (options.range?.kind === 'key') {
      const keyAt = (i: number): Key => t.schema.primaryKey.map((c) => at(i)[c]);
      const lowerBound = (k: Key) => {
        let lo = 0;
        let hi = size;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cmp(keyAt(mid), k) < 0) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      if (options.range.lower) from = lowerBound(options.range.lower);
      if (options.range.upper) to = lowerBound(options.range.upper);
    }
    const batchRows = options.batchRows ?? this.#batchRows;
    let batch: Row[] = [];
    for (let i = from; i < to; i++) {
      const r = at(i);
      if (!keep(r)) continue;
      batch.push(project(r));
      if (batch.length >= batchRows) {
        if (options.signal?.aborted) throw new CdcError('CANCELLED', 'scan cancelled');
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  lookup(table: TableSchema, keys: Key[], columns?: string[]): Promise<Row[]> {
    const t = this.#table(table.id);
    const out: Row[] = [];
    const wanted = columns ? [...new Set([...t.schema.primaryKey, ...columns])] : undefined;
    for (const key of keys) {
      let row: Row | undefined;
      if (t.lazy) {
        const lazy = t.lazy;
        let lo = 0;
        let hi = lazy.count;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          const c = compareKeys(
            t.schema.primaryKey.map((k) => lazy.rowAt(mid)[k]),
            key,
            t.keyTypes,
          );
          if (c === 0) {
            row = lazy.rowAt(mid);
            break;
          }
          if (c < 0) lo = mid + 1;
          else hi = mid;
        }
      } else {
        const probe: Row = {};
        t.schema.primaryKey.forEach((k, i) => (probe[k] = key[i]));
        row = t.rows.get(keyString(probe, t.schema, t.keyPlan));
      }
      if (row) out.push(wanted ? Object.fromEntries(wanted.map((c) => [c, (row as Row)[c]])) : { ...row });
    }
    return Promise.resolve(out);
  }

  async summarize(table: TableSchema, plan: HashPlan, range?: Range): Promise<BucketSummary[]> {
    this.#requirePushdown();
    const hasher = await this.#getHasher();
    const assign = bucketAssigner(table, plan, hasher, this.#partitioner);
    const acc = new BucketAccumulator();
    for await (const batch of this.scan(table, { ...(range ? { range } : {}) })) {
      for (const row of batch) {
        const d = this.#digest(row, table, plan, hasher);
        acc.add(assign(row, d.keyText), d.digest);
      }
    }
    return acc.summaries();
  }

  async *keyHashes(
    table: TableSchema,
    plan: HashPlan,
    buckets: number[],
    range?: Range,
  ): AsyncGenerator<KeyHash[]> {
    this.#requirePushdown();
    const hasher = await this.#getHasher();
    const assign = bucketAssigner(table, plan, hasher, this.#partitioner);
    const wanted = new Set(buckets);
    for await (const batch of this.scan(table, { ...(range ? { range } : {}) })) {
      const out: KeyHash[] = [];
      for (const row of batch) {
        const d = this.#digest(row, table, plan, hasher);
        if (wanted.has(assign(row, d.keyText)))
          out.push({ key: plan.key.map((k) => row[k]), hash: d.digest });
      }
      if (out.length > 0) yield out;
    }
  }

  #digest(row: Row, table: TableSchema, plan: HashPlan, hasher: RowHasher) {
    const d = digestRow(row, table, plan, hasher);
    // The double's "native" hash differs from the canonical one, so a mode mix-up shows up in tests.
    return plan.mode === 'native' ? { ...d, digest: hasher.digest(`native|${d.rowText}`) } : d;
  }

  #requirePushdown(): void {
    if (!this.capabilities.hashPushdown) {
      throw new CdcError('INVALID_ARGUMENT', 'this MemoryScanSource was created without hashPushdown');
    }
  }

  #getHasher(): Promise<RowHasher> {
    this.#hasher ??= createRowHasher();
    return this.#hasher;
  }

  #table(id: TableId): Table {
    const t = this.#tables.get(formatTableId(id));
    if (!t)
      throw new CdcError('TABLE_NOT_FOUND', `Table ${formatTableId(id)} is not in this MemoryScanSource`, {
        hint: `add it first: source.addTable(schema, rows); tables here: ${[...this.#tables.keys()].join(', ') || 'none'}`,
      });
    return t;
  }

  #mutable(id: TableId): Table {
    const t = this.#table(id);
    if (t.lazy)
      throw new CdcError('INVALID_ARGUMENT', `Table ${formatTableId(id)} is generated lazily (read-only)`);
    return t;
  }

  #ordered(t: Table): Row[] {
    if (!t.sorted) {
      const pk = t.schema.primaryKey;
      t.sorted = [...t.rows.values()].sort((a, b) =>
        compareKeys(
          pk.map((k) => a[k]),
          pk.map((k) => b[k]),
          t.keyTypes,
        ),
      );
    }
    return t.sorted;
  }
}
