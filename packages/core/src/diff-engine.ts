/**
 * The diff engine: compares one table on two {@link ScanSource}s by counts, bucket hashes (pushed down
 * where both the side and every compared type allow it) or a merge of ordered scans, in bounded memory.
 * Each table is read about once; only differing buckets are read again, by key where the source can.
 */
import pLimit from 'p-limit';
import { availableParallelism } from 'node:os';
import type { Partitioner } from './buckets.js';
import {
  clientBucketSummaries,
  clientKeyDigests,
  type ClientHashInput,
  type ClientHashStats,
  type KeyDigest,
} from './client-hashing.js';
import { canonicalText, describeType, utf8Length } from './canonical.js';
import { hasTolerance, hashOptionsOf, type ComparisonPolicy } from './compare.js';
import type {
  Bucketing,
  BucketSummary,
  ColumnHashOptions,
  HashPlan,
  Range,
  ScanSource,
} from './connector.js';
import {
  DIFF_RESULT_VERSION,
  type DiffAlgorithm,
  type DiffOptions,
  type DiffResult,
  type DiffSide,
  type Difference,
  type HashingUsed,
  type SideStats,
} from './diff-types.js';
import { CdcError } from './errors.js';
import { addHashes, createRowHasher, keyString } from './hashing.js';
import { defaultHashWorkerScript, HashWorkerPool, type HashTask } from './hash-worker-pool.js';
import type { WorkerSourceSpec } from './hash-worker-protocol.js';
import { compareKeys } from './key-order.js';
import type { LogicalKind, LogicalType } from './logical-type.js';
import { formatTableId, type Key, type Row, type TableSchema } from './schema.js';

type SideName = 'source' | 'target';

interface Side {
  name: SideName;
  src: ScanSource;
  /** The schema handed to the adapter. */
  table: TableSchema;
  /** The schema values are canonicalized with (list columns compared against a set become sets). */
  hashTable: TableSchema;
  partitioner: Partitioner | undefined;
  types: Map<string, LogicalType>;
  stats: SideStats;
  pushdown: boolean;
}

interface Unit {
  range: Range | undefined;
  plan: HashPlan;
}

interface Found {
  keyText: string;
  diff: Difference;
}

const DEFAULTS = {
  rowsPerBucket: 100,
  concurrency: 4,
  maxDiffs: 1_000,
  drillRows: 50_000,
  lookupBatch: 500,
};
/**
 * Worker threads by default: one per core but one, from three cores. On two (virtual) cores, measured with
 * the database on the same machine, workers cost more than they bring (`docs/benchmarks.md`).
 */
function autoWorkers(): number {
  const cores = availableParallelism();
  return cores >= 3 ? cores - 1 : 0;
}

/** Below this many rows (estimated) client hashing stays in the main thread: starting workers costs more. */
const WORKER_MIN_ROWS = 100_000;
/** Summaries held per unit and side stay small (≈ 10 MB) even for billion-row tables. */
const MAX_BUCKETS_PER_UNIT = 1 << 17;
const INTEGER_KINDS: ReadonlySet<LogicalKind> = new Set(['int16', 'int32', 'int64']);
const ORDER_SAFE_KINDS: ReadonlySet<LogicalKind> = new Set([
  'int16',
  'int32',
  'int64',
  'numeric',
  'date',
  'time',
  'timestamp',
  'timestamptz',
]);

/** Kinds whose canonical texts are comparable across the two sides (e.g. int32 against int64). */
function family(kind: LogicalKind): string {
  if (INTEGER_KINDS.has(kind) || kind === 'numeric') return 'exact-number';
  if (kind === 'float32' || kind === 'float64') return 'float';
  if (kind === 'timestamp' || kind === 'timestamptz') return 'instant';
  if (kind === 'list' || kind === 'set') return 'collection';
  return kind;
}

/** Kinds cdc stores as jsonb in a PostgreSQL copy (`docs/normalization.md`); that json is read as the kind. */
const JSON_STORED_KINDS: ReadonlySet<LogicalKind> = new Set(['list', 'set', 'map', 'tuple', 'udt']);

/** Whether two column types compare: one family, and so are their elements, keys, values and fields. */
function comparable(a: LogicalType, b: LogicalType): boolean {
  if (family(a.kind) !== family(b.kind)) return false;
  if ((a.kind === 'list' || a.kind === 'set') && (b.kind === 'list' || b.kind === 'set')) {
    return comparable(a.element, b.element);
  }
  if (a.kind === 'map' && b.kind === 'map') return comparable(a.key, b.key) && comparable(a.value, b.value);
  if (a.kind === 'tuple' && b.kind === 'tuple') {
    return (
      a.elements.length === b.elements.length &&
      a.elements.every((e, i) => comparable(e, b.elements[i] as LogicalType))
    );
  }
  if (a.kind === 'udt' && b.kind === 'udt') {
    return (
      a.fields.length === b.fields.length &&
      a.fields.every((f) => {
        const other = b.fields.find((g) => g.name === f.name);
        return other !== undefined && comparable(f.type, other.type);
      })
    );
  }
  return true;
}

function kindsOf(type: LogicalType, out: Set<LogicalKind> = new Set()): Set<LogicalKind> {
  out.add(type.kind);
  if (type.kind === 'list' || type.kind === 'set') kindsOf(type.element, out);
  else if (type.kind === 'map') {
    kindsOf(type.key, out);
    kindsOf(type.value, out);
  } else if (type.kind === 'tuple') type.elements.forEach((e) => kindsOf(e, out));
  else if (type.kind === 'udt') type.fields.forEach((f) => kindsOf(f.type, out));
  return out;
}

function precisionOf(type: LogicalType): number | undefined {
  return type.kind === 'time' || type.kind === 'timestamp' || type.kind === 'timestamptz'
    ? Math.min(type.precision, 6)
    : undefined;
}

function cancelled(): CdcError {
  return new CdcError('CANCELLED', 'The diff was cancelled', { hint: 'Run it again without aborting.' });
}

/** Collects differences up to the stop limit; pairs a `missing` and an `extra` of the same key. */
class Collector {
  readonly #max: number;
  readonly #byKey = new Map<string, Found>();
  readonly #compare: (keyText: string, source: Row, target: Row) => string[];
  truncated = false;

  constructor(max: number, compare: (keyText: string, source: Row, target: Row) => string[]) {
    this.#max = max;
    this.#compare = compare;
  }

  get full(): boolean {
    return this.truncated;
  }

  get size(): number {
    return this.#byKey.size;
  }

  add(found: Found): void {
    const prior = this.#byKey.get(found.keyText);
    if (prior && prior.diff.kind === found.diff.kind) return;
    if (prior) {
      // The same key reported from two units (sides split keys differently): merge into one verdict.
      const source = prior.diff.source ?? found.diff.source;
      const target = prior.diff.target ?? found.diff.target;
      this.#byKey.delete(found.keyText);
      if (source && target) {
        const columns = this.#compare(found.keyText, source, target);
        if (columns.length > 0) {
          this.#byKey.set(found.keyText, {
            keyText: found.keyText,
            diff: { kind: 'mismatched', key: prior.diff.key, columns, source, target },
          });
        }
      }
      return;
    }
    if (this.#byKey.size >= this.#max) {
      this.truncated = true;
      return;
    }
    this.#byKey.set(found.keyText, found);
  }

  entries(): Found[] {
    return [...this.#byKey.values()];
  }

  replace(entries: Found[]): void {
    this.#byKey.clear();
    for (const e of entries) this.#byKey.set(e.keyText, e);
  }
}

/**
 * Compares `options.source.table` on the source with `options.target.table` on the target.
 * @throws CdcError `CANCELLED` (signal), `SCHEMA_MISMATCH` (incomparable column types),
 *   `COLUMN_NOT_FOUND`, `INVALID_ARGUMENT` (e.g. `stream` without ordered scans), or adapter errors.
 */
export async function diffTables(options: DiffOptions): Promise<DiffResult> {
  const started = performance.now();
  const signal = options.signal;
  const check = () => {
    if (signal?.aborted) throw cancelled();
  };
  check();
  const newSide = (name: SideName, s: DiffOptions['source']): Side => ({
    name,
    src: s.source,
    table: s.table,
    hashTable: s.table,
    partitioner: s.partitioner,
    types: new Map(s.table.columns.map((c) => [c.name, c.type])),
    stats: { rowsRead: 0, bytesRead: 0, queries: 0 },
    pushdown: false,
  });
  const source = newSide('source', options.source);
  const target = newSide('target', options.target);
  const notes: string[] = [];

  // ---- columns, types and effective per-column policies
  const key = [...source.table.primaryKey];
  const typeOn = (side: Side, column: string): LogicalType => {
    const type = side.types.get(column);
    if (!type) {
      throw new CdcError(
        'COLUMN_NOT_FOUND',
        `Column ${JSON.stringify(column)} is not in ${side.name} table ${formatTableId(side.table.id)}`,
        { hint: 'Compare only columns present on both sides (option `columns`).' },
      );
    }
    return type;
  };
  if (target.table.primaryKey.join('\u0000') !== key.join('\u0000')) {
    throw new CdcError(
      'SCHEMA_MISMATCH',
      `The source key (${key.join(', ')}) and the target key (${target.table.primaryKey.join(', ')}) differ`,
      { hint: 'Introspect the target with the same key columns (`introspect(table, { key })`).' },
    );
  }
  const columns = (
    options.columns ?? source.table.columns.map((c) => c.name).filter((c) => target.types.has(c))
  ).filter((c) => !key.includes(c));
  const policies = new Map<string, ComparisonPolicy>();
  const coerced = new Set<Side>();
  const coerce = (side: Side, column: string, type: LogicalType) => {
    side.types.set(column, type);
    side.hashTable = {
      ...side.hashTable,
      columns: side.hashTable.columns.map((c) => (c.name === column ? { ...c, type } : c)),
    };
    coerced.add(side);
  };
  /** A column declared JSON (`policy.json`): its text sides are read as JSON documents. */
  const declareJson = (column: string) => {
    const kinds = [source, target].map((side) => typeOn(side, column).kind);
    if (kinds.some((k) => k !== 'text' && k !== 'json')) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `Column ${JSON.stringify(column)} is declared JSON but is ${kinds[0]} on the source and ${kinds[1]} on the target`,
        { hint: 'Declare JSON only for text or json columns (e.g. JSON kept in nvarchar).' },
      );
    }
    if (key.includes(column)) {
      throw new CdcError('INVALID_ARGUMENT', `Key column ${JSON.stringify(column)} cannot be declared JSON`, {
        hint: 'Keys compare as their own type; declare JSON for non-key columns only.',
      });
    }
    for (const side of [source, target]) {
      if (typeOn(side, column).kind === 'text') coerce(side, column, { kind: 'json' });
    }
  };
  const hashOptions: Record<string, ColumnHashOptions> = {};
  for (const column of [...key, ...columns]) {
    if ((options.policies?.[column] ?? options.defaultPolicy)?.json) declareJson(column);
    const st = typeOn(source, column);
    const tt = typeOn(target, column);
    // A structured value replicated into jsonb: the json side is decoded as the other side's type
    // (canonicalText reads a string as the stored JSON layout), so it is hashed in cdc, never in SQL.
    if (st.kind === 'json' && JSON_STORED_KINDS.has(tt.kind)) coerce(source, column, tt);
    else if (tt.kind === 'json' && JSON_STORED_KINDS.has(st.kind)) coerce(target, column, st);
    else if (!comparable(st, tt)) {
      throw new CdcError(
        'SCHEMA_MISMATCH',
        `Column ${JSON.stringify(column)} is ${describeType(st)} on the source but ${describeType(tt)} on the target`,
        { hint: 'Exclude the column (option `columns`) or map it to a comparable type.' },
      );
    }
    if (st.kind !== tt.kind && (st.kind === 'set' || tt.kind === 'set')) {
      // A Scylla set replicated into an array: compare both as sets (order-free, duplicates folded).
      for (const side of [source, target]) {
        const type = side.types.get(column) as LogicalType;
        if (type.kind === 'list') coerce(side, column, { kind: 'set', element: type.element });
      }
    }
    const base = options.policies?.[column] ?? options.defaultPolicy ?? {};
    const sp = precisionOf(st);
    const tp = precisionOf(tt);
    const policy: ComparisonPolicy =
      sp !== undefined && tp !== undefined && base.precision === undefined
        ? { ...base, precision: Math.min(sp, tp) }
        : { ...base };
    policies.set(column, policy);
    const ho = hashOptionsOf(policy);
    if (ho) hashOptions[column] = ho;
  }
  const toleranceColumns = columns.filter((c) => {
    const kind = source.types.get(c)?.kind;
    return (kind === 'float32' || kind === 'float64' || kind === 'numeric') && hasTolerance(policies.get(c));
  });
  const hashedColumns = columns.filter((c) => !toleranceColumns.includes(c));
  const keyTypes = key.map((k) => source.types.get(k) as LogicalType);
  const keyOnlyPlan: HashPlan = {
    key,
    columns: [],
    columnOptions: hashOptions,
    mode: 'canonical',
    bucketing: { kind: 'key-hash', modulus: 1 },
  };

  const compared = columns.map((c) => {
    const st = source.types.get(c) as LogicalType;
    const tt = target.types.get(c) as LogicalType;
    return {
      name: c,
      st,
      tt,
      policy: policies.get(c),
      options: hashOptions[c],
      tolerance: toleranceColumns.includes(c),
      // Identical primitives of one logical type always have one canonical text: skip encoding them.
      sameKind: st.kind === tt.kind,
    };
  });
  const differingColumns = (s: Row, t: Row): string[] => {
    const out: string[] = [];
    for (const c of compared) {
      const a = s[c.name];
      const b = t[c.name];
      if (c.sameKind && a === b && (typeof a !== 'object' || a === null)) continue;
      const differs = c.tolerance
        ? !withinTolerance(a, c.st, b, c.tt, c.policy)
        : canonicalText(a, c.st, c.options) !== canonicalText(b, c.tt, c.options);
      if (differs) out.push(c.name);
    }
    return out;
  };
  const collector = new Collector(options.maxDiffs ?? DEFAULTS.maxDiffs, (_k, s, t) =>
    differingColumns(s, t),
  );
  const project = (row: Row): Row => {
    const out: Row = {};
    for (const c of key) out[c] = row[c];
    for (const c of columns) out[c] = row[c];
    return out;
  };
  const keyObject = (row: Row): Record<string, unknown> => Object.fromEntries(key.map((k) => [k, row[k]]));

  // ---- algorithm
  const scol = source.src.capabilities;
  const tcol = target.src.capabilities;
  const bothOrdered = scol.orderedScan && tcol.orderedScan;
  const canPush = (side: Side): boolean => {
    const caps = side.src.capabilities;
    if (
      options.hashing === 'client' ||
      coerced.has(side) ||
      !caps.hashPushdown ||
      !side.src.summarize ||
      !side.src.keyHashes
    ) {
      return false;
    }
    const kinds = new Set<LogicalKind>();
    for (const c of [...key, ...hashedColumns]) kindsOf(side.types.get(c) as LogicalType, kinds);
    return [...kinds].every((k) => caps.pushdownKinds.includes(k));
  };
  source.pushdown = canPush(source);
  target.pushdown = canPush(target);
  let algorithm: Exclude<DiffAlgorithm, 'auto'> | 'keys';
  const requested = options.algorithm ?? 'auto';
  if (options.keys) algorithm = 'keys';
  else if (requested === 'auto') {
    if (toleranceColumns.length > 0 && bothOrdered) algorithm = 'stream';
    // `--hashing client` asks for bucket digests computed in cdc, then a drill-down, as with pushdown.
    else if (options.hashing === 'client' || source.pushdown || target.pushdown || !bothOrdered)
      algorithm = 'hash';
    else algorithm = 'stream';
  } else algorithm = requested;
  if (algorithm === 'stream' && !bothOrdered) {
    throw new CdcError('INVALID_ARGUMENT', 'The stream algorithm needs ordered scans on both sides', {
      hint: `Use algorithm 'hash' (${source.src.dialect} or ${target.src.dialect} cannot scan in key order).`,
    });
  }
  if (options.range && !options.keys) checkRange(options.range);
  if (algorithm === 'hash' && toleranceColumns.length > 0) {
    notes.push(
      `columns with a tolerance (${toleranceColumns.join(', ')}) are not hashed; they are compared only on rows whose other columns differ`,
    );
  }

  const concurrency = Math.max(1, options.concurrency ?? DEFAULTS.concurrency);
  const limit = pLimit(concurrency);
  let progressDone = 0;
  let progressTotal = 0;
  const progress = (phase: 'count' | 'summarize' | 'drill' | 'stream' | 'recheck') =>
    options.onProgress?.({
      phase,
      done: progressDone,
      total: progressTotal,
      rowsRead: { source: source.stats.rowsRead, target: target.stats.rowsRead },
      differences: collector.size,
    });
  const counts = { source: 0n, target: 0n };
  let hashing: HashingUsed = 'none';
  const used: { bucketing?: DiffResult['bucketing'] } = {};

  const finish = async (): Promise<DiffResult> => {
    let live: DiffResult['live'];
    if (options.recheckAfterMs !== undefined && collector.size > 0) {
      live = await recheck(options.recheckAfterMs);
    }
    const entries = collector.entries();
    await completeMissing(entries);
    const sortKey = (f: Found): Key => key.map((k) => (f.diff.source ?? f.diff.target ?? {})[k]);
    entries.sort((a, b) => compareKeys(sortKey(a), sortKey(b), keyTypes));
    const differences = entries.map((e) => e.diff);
    const summary = { missing: 0, extra: 0, mismatched: 0 };
    for (const d of differences) summary[d.kind]++;
    const inSync = differences.length === 0 && !collector.truncated && counts.source === counts.target;
    return {
      version: DIFF_RESULT_VERSION,
      source: source.table.id,
      target: target.table.id,
      status: inSync ? 'in_sync' : 'differences',
      algorithm,
      hashing,
      ...(used.bucketing ? { bucketing: used.bucketing } : {}),
      counts,
      summary,
      keyColumns: key,
      comparedColumns: columns,
      differences,
      truncated: collector.truncated,
      stats: {
        source: source.stats,
        target: target.stats,
        durationMs: Math.round(performance.now() - started),
      },
      ...(live ? { live } : {}),
      notes,
    };
  };

  // Rows to insert need every column the target has, not only the compared ones.
  const uncompared = source.table.columns
    .map((c) => c.name)
    .filter((c) => !key.includes(c) && !columns.includes(c) && target.types.has(c));
  const completeMissing = async (entries: Found[]): Promise<void> => {
    const missing = entries.filter((e) => e.diff.kind === 'missing' && e.diff.source);
    if (uncompared.length === 0 || missing.length === 0) return;
    const byKey = new Map(missing.map((e) => [e.keyText, e.diff]));
    for (let i = 0; i < missing.length; i += DEFAULTS.lookupBatch) {
      check();
      const chunk = missing.slice(i, i + DEFAULTS.lookupBatch);
      source.stats.queries++;
      const rows = await source.src.lookup(
        source.table,
        chunk.map((e) => key.map((k) => (e.diff.source as Row)[k])),
        [...key, ...uncompared],
      );
      for (const row of rows) {
        source.stats.rowsRead++;
        const d = byKey.get(keyString(row, source.hashTable, keyOnlyPlan));
        if (d?.source) for (const c of uncompared) d.source[c] = row[c];
      }
    }
  };

  // ---- lookups (both rows of differing keys)
  const lookupRows = async (side: Side, keys: Key[]): Promise<Map<string, Row>> => {
    const out = new Map<string, Row>();
    const wanted = [...key, ...columns];
    for (let i = 0; i < keys.length; i += DEFAULTS.lookupBatch) {
      check();
      const chunk = keys.slice(i, i + DEFAULTS.lookupBatch);
      side.stats.queries++;
      const rows = await side.src.lookup(side.table, chunk, wanted);
      for (const row of rows) {
        side.stats.rowsRead++;
        out.set(keyString(row, side.hashTable, keyOnlyPlan), project(row));
      }
    }
    return out;
  };

  const recheck = async (ms: number): Promise<NonNullable<DiffResult['live']>> => {
    await sleep(ms, signal);
    const before = collector.entries();
    const keyOf = (f: Found): Key => key.map((k) => (f.diff.source ?? f.diff.target ?? {})[k]);
    const [srcRows, tgtRows] = await Promise.all([
      lookupRows(source, before.map(keyOf)),
      lookupRows(target, before.map(keyOf)),
    ]);
    const kept: Found[] = [];
    for (const f of before) {
      const s = srcRows.get(f.keyText);
      const t = tgtRows.get(f.keyText);
      const d = verdict(f.diff.key, s, t);
      if (d) kept.push({ keyText: f.keyText, diff: d });
    }
    collector.replace(kept);
    progress('recheck');
    return { recheckAfterMs: ms, resolved: before.length - kept.length };
  };

  const verdict = (
    keyObj: Record<string, unknown>,
    s: Row | undefined,
    t: Row | undefined,
  ): Difference | undefined => {
    if (s && !t) return { kind: 'missing', key: keyObj, columns: [...columns], source: s };
    if (t && !s) return { kind: 'extra', key: keyObj, columns: [...columns], target: t };
    if (s && t) {
      const diffCols = differingColumns(s, t);
      if (diffCols.length > 0)
        return { kind: 'mismatched', key: keyObj, columns: diffCols, source: s, target: t };
    }
    return undefined;
  };

  // ---- keys: both rows of each given key, by lookup
  if (algorithm === 'keys') {
    const keys = [...(options.keys ?? [])];
    progressTotal = 1;
    const [srcRows, tgtRows] = await Promise.all([lookupRows(source, keys), lookupRows(target, keys)]);
    counts.source = BigInt(srcRows.size);
    counts.target = BigInt(tgtRows.size);
    for (const k of new Set([...srcRows.keys(), ...tgtRows.keys()])) {
      const s = srcRows.get(k);
      const t = tgtRows.get(k);
      const d = verdict(keyObject((s ?? t) as Row), s, t);
      if (d) collector.add({ keyText: k, diff: d });
    }
    progressDone = 1;
    progress('drill');
    return finish();
  }

  /** A range both sides can apply, or a precise error. */
  function checkRange(range: Range): void {
    if (rangeApplies(range, options.source, options.target)) return;
    throw new CdcError(
      'INVALID_ARGUMENT',
      range.kind === 'token'
        ? 'a token range applies only when both sides are token-partitioned'
        : `a ${range.kind} range of ${formatTableId(source.table.id)} would select different rows on ${source.src.dialect} and ${target.src.dialect}`,
      { hint: `compare ${formatTableId(source.table.id)} without a range, or with a hash range` },
    );
  }

  // ---- count
  if (algorithm === 'count') {
    progressTotal = 2;
    const [a, b] = await Promise.all([source, target].map((side) => countSide(side, options.range)));
    counts.source = a as bigint;
    counts.target = b as bigint;
    progressDone = 2;
    progress('count');
    const result = await finish();
    return { ...result, status: counts.source === counts.target ? 'in_sync' : 'differences' };
  }

  async function countSide(side: Side, range?: Range): Promise<bigint> {
    check();
    side.stats.queries++;
    return side.src.count(side.table, range);
  }

  // ---- units (splits)
  const requestedSplits = Math.max(1, options.splits ?? concurrency * 4);
  const sameDialect = source.src.dialect === target.src.dialect;
  const keyOrderSafe = sameDialect || keyTypes.every((t) => ORDER_SAFE_KINDS.has(t.kind));
  const sharedRanges = async (): Promise<(Range | undefined)[]> => {
    if (options.range) return [options.range];
    if (requestedSplits <= 1) return [undefined];
    source.stats.queries++;
    const ranges = await source.src.splits(source.table, requestedSplits);
    if (ranges.length === 0) return [undefined];
    if (ranges.every((r) => r.kind === 'hash')) return ranges;
    if (ranges.every((r) => r.kind === 'key') && keyOrderSafe) return ranges;
    if (ranges.every((r) => r.kind === 'token') && scol.tokenPartitioned && tcol.tokenPartitioned)
      return ranges;
    return [undefined];
  };

  // ---- stream
  if (algorithm === 'stream') {
    const ranges = await sharedRanges();
    progressTotal = ranges.length;
    await Promise.all(ranges.map((range) => limit(() => streamUnit(range))));
    check();
    return finish();
  }

  async function streamUnit(range: Range | undefined): Promise<void> {
    if (collector.full) return;
    const wanted = [...key, ...columns];
    const open = (side: Side) => {
      side.stats.queries++;
      const it = side.src.scan(side.table, {
        columns: wanted,
        ...(range ? { range } : {}),
        ordered: true,
        ...(options.batchRows ? { batchRows: options.batchRows } : {}),
        ...(signal ? { signal } : {}),
      });
      return new OrderedCursor(side, it[Symbol.asyncIterator](), key, keyTypes, check);
    };
    const sc = open(source);
    const tc = open(target);
    try {
      for (;;) {
        if (collector.full) break;
        const a = await sc.peek();
        const b = await tc.peek();
        if (!a && !b) break;
        const c = a && b ? compareKeys(a.key, b.key, keyTypes) : a ? -1 : 1;
        if (c < 0 && a) {
          sc.advance();
          collector.add({
            keyText: keyString(a.row, source.hashTable, keyOnlyPlan),
            diff: verdict(keyObject(a.row), project(a.row), undefined) as Difference,
          });
        } else if (c > 0 && b) {
          tc.advance();
          collector.add({
            keyText: keyString(b.row, target.hashTable, keyOnlyPlan),
            diff: verdict(keyObject(b.row), undefined, project(b.row)) as Difference,
          });
        } else if (a && b) {
          sc.advance();
          tc.advance();
          const diffCols = differingColumns(a.row, b.row);
          if (diffCols.length > 0) {
            collector.add({
              keyText: keyString(a.row, source.hashTable, keyOnlyPlan),
              diff: {
                kind: 'mismatched',
                key: keyObject(a.row),
                columns: diffCols,
                source: project(a.row),
                target: project(b.row),
              },
            });
          }
        }
      }
    } finally {
      counts.source += BigInt(sc.count);
      counts.target += BigInt(tc.count);
      await Promise.all([sc.close(), tc.close()]);
    }
    progressDone++;
    progress('stream');
  }

  // ---- hash
  const hasher = await createRowHasher();
  const nativeOk =
    options.hashing !== 'canonical' &&
    options.hashing !== 'client' &&
    source.pushdown &&
    target.pushdown &&
    scol.nativeHashFamily !== undefined &&
    scol.nativeHashFamily === tcol.nativeHashFamily &&
    [...key, ...hashedColumns].every((c) => {
      const sc = source.table.columns.find((x) => x.name === c);
      const tc = target.table.columns.find((x) => x.name === c);
      const ho = hashOptions[c];
      const declared = precisionOf(sc?.type as LogicalType);
      const harmless =
        !ho ||
        (!ho.caseInsensitive &&
          !ho.trimTrailingSpaces &&
          (declared === undefined || ho.precision === declared));
      return sc !== undefined && tc !== undefined && sc.nativeType === tc.nativeType && harmless;
    });
  const mode: HashPlan['mode'] = nativeOk ? 'native' : 'canonical';
  hashing = nativeOk ? 'native' : source.pushdown && target.pushdown ? 'canonical-pushdown' : 'client';
  const rowsPerBucket = Math.max(1, options.rowsPerBucket ?? DEFAULTS.rowsPerBucket);
  // One MD5 per int-range bucket instead of one per row, where every pushdown side can compute it
  // (client-hashed sides always can: int-range units are scanned in key order).
  const orderedDigest =
    mode === 'canonical' &&
    [source, target].every((s) => !s.pushdown || s.src.capabilities.orderedBucketDigest === true);
  const makePlan = (bucketing: Bucketing): HashPlan => ({
    key,
    columns: hashedColumns,
    columnOptions: hashOptions,
    mode,
    bucketing,
    ...(orderedDigest && bucketing.kind === 'int-range' ? { bucketDigest: 'ordered' as const } : {}),
  });

  let estimatedRows = 0n;
  const estimateRows = async (): Promise<bigint> => {
    const side = source;
    side.stats.queries++;
    if (side.src.capabilities.estimatedCount && side.src.estimateCount) {
      const estimate = await side.src.estimateCount(side.table);
      // Statistics of a never-analyzed table say 0 or -1; bucket sizes would be wrong by orders of magnitude.
      if (estimate >= 10_000n) return (estimatedRows = estimate);
      side.stats.queries++;
    }
    return (estimatedRows = await side.src.count(side.table));
  };

  const units = await chooseUnits();
  used.bucketing = units[0]?.plan.bucketing.kind;
  const pool = startWorkers();
  const sideSplits = new Map<Side, Promise<(Range | undefined)[]>>();

  /**
   * Worker threads for the client-hashed sides that can be reopened in a worker (`workerSpec`), so their
   * scans, canonicalization and hashing use every core. Token buckets need the side's partitioner, a
   * function that cannot cross threads: they stay in this thread.
   */
  function startWorkers(): HashWorkerPool | undefined {
    const requested = options.workers;
    if (requested === 0) return undefined;
    if (![source, target].some((s) => !s.pushdown && s.src.workerSpec)) return undefined;
    if (units.every((u) => u.plan.bucketing.kind === 'token')) return undefined;
    if (requested === undefined && (estimatedRows < BigInt(WORKER_MIN_ROWS) || autoWorkers() === 0))
      return undefined;
    const script = options.workerScript ?? defaultHashWorkerScript();
    if (!script) {
      notes.push('client hashing ran in the main thread: the worker script (hash-worker.js) is not built');
      return undefined;
    }
    const threads = requested ?? autoWorkers();
    notes.push(`client hashing in ${threads} worker thread${threads === 1 ? '' : 's'}`);
    return HashWorkerPool.start(threads, script);
  }

  /**
   * The pool hashing `side`'s units, if any. With one worker and both sides hashed in cdc, the source is
   * hashed in this thread and the target in the worker: two threads, not one worker and an idle thread.
   */
  function workerPoolFor(side: Side, unit: Unit): HashWorkerPool | undefined {
    if (!pool || side.pushdown || !side.src.workerSpec || unit.plan.bucketing.kind === 'token')
      return undefined;
    if (pool.threads === 1 && side === source && !target.pushdown && target.src.workerSpec) return undefined;
    return pool;
  }

  async function chooseUnits(): Promise<Unit[]> {
    if (options.range) {
      // One unit, the range, in key-hash buckets: int-range and token buckets span the whole table.
      const rows = (estimatedRows = await countSide(source, options.range));
      const modulus = Math.min(MAX_BUCKETS_PER_UNIT, Math.max(1, Math.ceil(Number(rows) / rowsPerBucket)));
      return [{ range: options.range, plan: makePlan({ kind: 'key-hash', modulus }) }];
    }
    const want = options.bucketing ?? 'auto';
    const tokenSide = scol.tokenPartitioned || tcol.tokenPartitioned;
    const clientSidesHavePartitioner = [source, target].every((s) =>
      s.pushdown && s.src.capabilities.tokenPartitioned ? true : s.partitioner !== undefined,
    );
    if (want === 'token' || (want === 'auto' && tokenSide)) {
      if (clientSidesHavePartitioner) {
        // Tokens are uniform, so evenly spaced bounds give buckets of about `rowsPerBucket` rows; the
        // drill-down then holds one bucket's keys, not a whole token range's.
        const rows = await estimateRows();
        const n = BigInt(
          Math.min(MAX_BUCKETS_PER_UNIT, Math.max(1, Math.ceil(Number(rows) / rowsPerBucket))),
        );
        const min = -(2n ** 63n);
        const ends = Array.from({ length: Number(n) }, (_, i) =>
          BigInt(i) === n - 1n ? 2n ** 63n - 1n : min + ((BigInt(i) + 1n) * 2n ** 64n) / n - 1n,
        );
        return [{ range: undefined, plan: makePlan({ kind: 'token', ends }) }];
      }
      if (want === 'token') {
        throw new CdcError(
          'INVALID_ARGUMENT',
          'token bucketing needs a partitioner for each client-hashed side',
          {
            hint: 'Pass `partitioner` for the side that is not token-partitioned, or use key-hash bucketing.',
          },
        );
      }
      const why = [source, target]
        .filter((s) => !(s.pushdown && s.src.capabilities.tokenPartitioned) && !s.partitioner)
        .map((s) =>
          s.pushdown
            ? `the ${s.name} (${s.src.dialect}) hashes in its database, where token buckets would need Murmur3 tokens`
            : `the ${s.name} (${s.src.dialect}) has no partitioner for token buckets`,
        );
      notes.push(`key-hash buckets: ${why.join('; ')}`);
    }
    const intKey =
      key.length === 1 &&
      INTEGER_KINDS.has(source.types.get(key[0] as string)?.kind as LogicalKind) &&
      INTEGER_KINDS.has(target.types.get(key[0] as string)?.kind as LogicalKind);
    const rows = await estimateRows();
    if (want === 'int-range' || (want === 'auto' && intKey && scol.intRangeBuckets && tcol.intRangeBuckets)) {
      const units = intKey && bothOrdered ? await intRangeUnits(rows) : undefined;
      if (units) return units;
      if (want === 'int-range') {
        throw new CdcError(
          'INVALID_ARGUMENT',
          'int-range bucketing needs one integer key and ordered scans',
          {
            hint: 'Use key-hash bucketing for this table.',
          },
        );
      }
    }
    const ranges = await sharedRanges();
    const perUnit = Number(rows) / ranges.length;
    const modulus = Math.min(MAX_BUCKETS_PER_UNIT, Math.max(1, Math.ceil(perUnit / rowsPerBucket)));
    return ranges.map((range) => ({ range, plan: makePlan({ kind: 'key-hash', modulus }) }));
  }

  async function firstKey(side: Side): Promise<bigint | undefined> {
    side.stats.queries++;
    const scan = side.src.scan(side.table, {
      columns: key,
      ordered: true,
      batchRows: 1,
      ...(signal ? { signal } : {}),
    });
    const it = scan[Symbol.asyncIterator]();
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return undefined;
        const row = r.value[0];
        if (row) {
          return BigInt(
            canonicalText(row[key[0] as string], source.types.get(key[0] as string) as LogicalType),
          );
        }
      }
    } finally {
      await it.return?.();
    }
  }

  async function intRangeUnits(rows: bigint): Promise<Unit[] | undefined> {
    const column = key[0] as string;
    const type = source.types.get(column) as LogicalType;
    const [a, b] = await Promise.all([firstKey(source), firstKey(target)]);
    if (a === undefined && b === undefined) {
      return [{ range: undefined, plan: makePlan({ kind: 'int-range', column, start: 0n, width: 1n }) }];
    }
    const min = a === undefined ? (b as bigint) : b === undefined ? a : a < b ? a : b;
    source.stats.queries++;
    const ranges = requestedSplits > 1 ? await source.src.splits(source.table, requestedSplits) : [];
    const bounds: bigint[] = [];
    for (const r of ranges) {
      if (r.kind !== 'key') return undefined;
      if (r.upper !== undefined) bounds.push(BigInt(canonicalText(r.upper[0], type)));
    }
    bounds.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const cuts = bounds.filter((x, i) => x > min && (i === 0 || x !== bounds[i - 1]));
    const bucketsPerUnit = BigInt(
      Math.min(
        MAX_BUCKETS_PER_UNIT,
        Math.max(1, Math.ceil(Number(rows) / (cuts.length + 1) / rowsPerBucket)),
      ),
    );
    const units: Unit[] = [];
    let lower = min;
    // Without cuts, buckets of `rowsPerBucket` keys (wider for tables beyond 2^17 of them).
    let width = BigInt(Math.max(rowsPerBucket, Math.ceil(Number(rows) / MAX_BUCKETS_PER_UNIT)));
    for (const upper of cuts) {
      width = (upper - lower + bucketsPerUnit - 1n) / bucketsPerUnit;
      if (width < 1n) width = 1n;
      units.push({
        range: { kind: 'key', ...(units.length === 0 ? {} : { lower: [lower] }), upper: [upper] },
        plan: makePlan({ kind: 'int-range', column, start: lower, width }),
      });
      lower = upper;
    }
    // The open-ended rest: int-range buckets of the last width for at most 2^17 buckets (a drill-down
    // reads only its differing buckets' keys), then key hash for whatever lies beyond, usually nothing.
    // Sparse outliers far above the last cut would otherwise number buckets beyond 2^53, where bucket
    // numbers are no longer exact and a drill-down would miss them.
    const tail = lower + width * BigInt(MAX_BUCKETS_PER_UNIT);
    units.push(
      {
        range: { kind: 'key', ...(units.length === 0 ? {} : { lower: [lower] }), upper: [tail] },
        plan: makePlan({ kind: 'int-range', column, start: lower, width }),
      },
      {
        range: { kind: 'key', lower: [tail] },
        plan: makePlan({ kind: 'key-hash', modulus: Number(bucketsPerUnit) }),
      },
    );
    return units;
  }

  async function summarize(side: Side, unit: Unit): Promise<BucketSummary[]> {
    check();
    if (side.pushdown && side.src.summarize) {
      side.stats.queries++;
      const summaries = await side.src.summarize(side.table, unit.plan, unit.range);
      for (const s of summaries) side.stats.rowsRead += s.count;
      side.stats.bytesRead += summaries.length * 32;
      return summaries;
    }
    const pool = workerPoolFor(side, unit);
    if (pool) {
      // Sums of row hashes add up: a whole-table unit is split so that every worker scans a part.
      const parts = unit.plan.bucketDigest === 'ordered' ? [unit.range] : await scanParts(side, unit, pool);
      const done = await Promise.all(
        parts.map((range) => pool.summaries(workerTask(side, unit), range, signal)),
      );
      for (const d of done) addStats(side, d.stats);
      return done.length === 1 ? (done[0]?.summaries ?? []) : mergeSummaries(done.map((d) => d.summaries));
    }
    return clientBucketSummaries(clientInput(side, unit), unit.range, side.stats);
  }

  /**
   * The parts a worker pool scans of `unit` on `side`: the unit itself, or for a whole-table unit the
   * side's own splits (token ranges on ScyllaDB, key ranges on SQL), about two per worker.
   */
  async function scanParts(side: Side, unit: Unit, pool: HashWorkerPool): Promise<(Range | undefined)[]> {
    if (unit.range !== undefined || pool.threads < 2) return [unit.range];
    let parts = sideSplits.get(side);
    if (!parts) {
      side.stats.queries++;
      parts = side.src.splits(side.table, pool.threads * 2).then((r) => (r.length > 0 ? r : [undefined]));
      sideSplits.set(side, parts);
    }
    return parts;
  }

  function clientInput(side: Side, unit: Unit): ClientHashInput {
    return {
      source: side.src,
      table: side.table,
      hashTable: side.hashTable,
      plan: unit.plan,
      columns: [...key, ...hashedColumns],
      ...(options.batchRows ? { batchRows: options.batchRows } : {}),
      ...(side.partitioner ? { partitioner: side.partitioner } : {}),
      ...(signal ? { signal } : {}),
      hasher,
      check,
    };
  }

  function workerTask(side: Side, unit: Unit): HashTask {
    return {
      spec: side.src.workerSpec as WorkerSourceSpec,
      table: side.table,
      hashTable: side.hashTable,
      plan: unit.plan,
      columns: [...key, ...hashedColumns],
      ...(options.batchRows ? { batchRows: options.batchRows } : {}),
    };
  }

  function addStats(side: Side, stats: ClientHashStats): void {
    side.stats.rowsRead += stats.rowsRead;
    side.stats.bytesRead += stats.bytesRead;
    side.stats.queries += stats.queries;
  }

  async function keyDigests(
    side: Side,
    unit: Unit,
    buckets: number[],
  ): Promise<Map<string, { key: Key; hash: string }>> {
    const out = new Map<string, { key: Key; hash: string }>();
    if (side.pushdown && side.src.keyHashes) {
      side.stats.queries++;
      for await (const batch of side.src.keyHashes(side.table, unit.plan, buckets, unit.range)) {
        check();
        for (const kh of batch) {
          side.stats.rowsRead++;
          side.stats.bytesRead += kh.hash.length;
          const row: Row = {};
          key.forEach((k, i) => (row[k] = kh.key[i]));
          out.set(keyString(row, side.hashTable, keyOnlyPlan), { key: kh.key, hash: kh.hash });
        }
      }
      return out;
    }
    const ranges = bucketRanges(side, unit, buckets);
    const pool = workerPoolFor(side, unit);
    let digests: KeyDigest[];
    if (pool) {
      const parts =
        ranges.length === 1 && ranges[0] === unit.range && unit.plan.bucketDigest !== 'ordered'
          ? (await scanParts(side, unit, pool)).map((r) => [r])
          : [ranges];
      const done = await Promise.all(
        parts.map((p) => pool.keyDigests(workerTask(side, unit), p, buckets, signal)),
      );
      for (const d of done) addStats(side, d.stats);
      digests = done.flatMap((d) => d.digests);
    } else {
      digests = await clientKeyDigests(clientInput(side, unit), ranges, buckets, side.stats);
    }
    for (const d of digests) out.set(d.keyText, { key: d.key, hash: d.hash });
    return out;
  }

  /**
   * What a client-hashed side re-reads to drill into `buckets`: one key range per run of consecutive
   * int-range buckets, or one token range per run of token buckets on a token-partitioned side, instead of
   * the whole unit. Key-hash buckets are spread over the whole unit, which is then read again.
   */
  function bucketRanges(side: Side, unit: Unit, buckets: number[]): (Range | undefined)[] {
    const b = unit.plan.bucketing;
    const runs: [number, number][] = [];
    for (const n of [...buckets].sort((x, y) => x - y)) {
      const last = runs[runs.length - 1];
      if (last && last[1] === n - 1) last[1] = n;
      else runs.push([n, n]);
    }
    if (b.kind === 'int-range' && (!unit.range || unit.range.kind === 'key')) {
      const unitLower = unit.range?.lower?.[0] as bigint | undefined;
      const unitUpper = unit.range?.upper?.[0] as bigint | undefined;
      return runs.map(([first, last]) => {
        let lower = b.start + BigInt(first) * b.width;
        let upper = b.start + BigInt(last + 1) * b.width;
        if (unitLower !== undefined && unitLower > lower) lower = unitLower;
        if (unitUpper !== undefined && unitUpper < upper) upper = unitUpper;
        return { kind: 'key', lower: [lower], upper: [upper] };
      });
    }
    if (b.kind === 'token' && !unit.range && side.src.capabilities.tokenPartitioned) {
      return runs.map(([first, last]) => ({
        kind: 'token',
        start: first === 0 ? -(2n ** 63n) : (b.ends[first - 1] as bigint),
        end: b.ends[last] as bigint,
      }));
    }
    return [unit.range];
  }

  async function drill(unit: Unit, buckets: number[]): Promise<void> {
    if (collector.full) return;
    const [sm, tm] = await Promise.all([
      keyDigests(source, unit, buckets),
      keyDigests(target, unit, buckets),
    ]);
    const srcKeys: Key[] = [];
    const tgtKeys: Key[] = [];
    for (const [k, s] of sm) {
      const t = tm.get(k);
      if (!t) srcKeys.push(s.key);
      else if (t.hash !== s.hash || toleranceColumns.length > 0) {
        srcKeys.push(s.key);
        tgtKeys.push(t.key);
      }
    }
    for (const [k, t] of tm) if (!sm.has(k)) tgtKeys.push(t.key);
    sm.clear();
    tm.clear();
    const [srcRows, tgtRows] = await Promise.all([lookupRows(source, srcKeys), lookupRows(target, tgtKeys)]);
    const keysSeen = new Set([...srcRows.keys(), ...tgtRows.keys()]);
    for (const k of keysSeen) {
      const s = srcRows.get(k);
      const t = tgtRows.get(k);
      const d = verdict(keyObject((s ?? t) as Row), s, t);
      if (d) collector.add({ keyText: k, diff: d });
    }
  }

  async function hashUnit(unit: Unit): Promise<void> {
    if (collector.full) return;
    const [s, t] = await Promise.all([summarize(source, unit), summarize(target, unit)]);
    const byBucket = new Map<number, { s?: BucketSummary; t?: BucketSummary }>();
    for (const x of s) {
      counts.source += BigInt(x.count);
      byBucket.set(x.bucket, { s: x });
    }
    for (const x of t) {
      counts.target += BigInt(x.count);
      const e = byBucket.get(x.bucket);
      if (e) e.t = x;
      else byBucket.set(x.bucket, { t: x });
    }
    const differing: { bucket: number; rows: number }[] = [];
    for (const [bucket, e] of byBucket) {
      if (e.s?.count !== e.t?.count || e.s?.sum !== e.t?.sum) {
        differing.push({ bucket, rows: Math.max(e.s?.count ?? 0, e.t?.count ?? 0) });
      }
    }
    differing.sort((a, b) => a.bucket - b.bucket);
    const drillRows = options.drillRows ?? DEFAULTS.drillRows;
    let group: number[] = [];
    let groupRows = 0;
    for (const d of differing) {
      if (group.length > 0 && groupRows + d.rows > drillRows) {
        await drill(unit, group);
        group = [];
        groupRows = 0;
      }
      group.push(d.bucket);
      groupRows += d.rows;
    }
    if (group.length > 0) await drill(unit, group);
    progressDone++;
    progress(differing.length > 0 ? 'drill' : 'summarize');
  }

  progressTotal = units.length;
  try {
    await Promise.all(units.map((unit) => limit(() => hashUnit(unit))));
    check();
  } finally {
    await pool?.close();
  }
  return finish();
}

/**
 * Whether `range` (one of the source's `splits`) selects the same rows on both sides, so a diff can be
 * restricted to it (`DiffOptions.range`): hash ranges always; key ranges when both sides order keys
 * alike (same engine, or keys of integer, decimal and time kinds); token ranges when both sides are
 * token-partitioned.
 */
export function rangeApplies(range: Range, source: DiffSide, target: DiffSide): boolean {
  if (range.kind === 'hash') return true;
  if (range.kind === 'token') {
    return source.source.capabilities.tokenPartitioned && target.source.capabilities.tokenPartitioned;
  }
  if (source.source.dialect === target.source.dialect) return true;
  return source.table.primaryKey.every((k) => {
    const kind = source.table.columns.find((c) => c.name === k)?.type.kind;
    return kind !== undefined && ORDER_SAFE_KINDS.has(kind);
  });
}

/** Adds bucket summaries of disjoint parts of one unit (sum-of-row-hashes buckets only). */
function mergeSummaries(parts: BucketSummary[][]): BucketSummary[] {
  const byBucket = new Map<number, BucketSummary>();
  for (const part of parts) {
    for (const s of part) {
      const prior = byBucket.get(s.bucket);
      byBucket.set(
        s.bucket,
        prior ? { bucket: s.bucket, count: prior.count + s.count, sum: addHashes(prior.sum, s.sum) } : s,
      );
    }
  }
  return [...byBucket.values()].sort((a, b) => a.bucket - b.bucket);
}

function withinTolerance(
  a: unknown,
  at: LogicalType,
  b: unknown,
  bt: LogicalType,
  policy: ComparisonPolicy | undefined,
): boolean {
  if (canonicalText(a, at) === canonicalText(b, bt)) return true;
  if (a === null || a === undefined || b === null || b === undefined) return false;
  const x = Number(typeof a === 'string' ? a.trim() : a);
  const y = Number(typeof b === 'string' ? b.trim() : b);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
  const diff = Math.abs(x - y);
  return (
    diff <= (policy?.absoluteTolerance ?? 0) ||
    diff <= (policy?.relativeTolerance ?? 0) * Math.max(Math.abs(x), Math.abs(y))
  );
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Reads an ordered scan row by row and verifies the canonical key order the merge relies on. */
class OrderedCursor {
  readonly #side: Side;
  readonly #it: AsyncIterator<Row[]>;
  readonly #key: string[];
  readonly #types: LogicalType[];
  readonly #check: () => void;
  #batch: Row[] = [];
  #pos = 0;
  #done = false;
  #current: { row: Row; key: Key } | undefined;
  #previous: Key | undefined;
  count = 0;

  constructor(side: Side, it: AsyncIterator<Row[]>, key: string[], types: LogicalType[], check: () => void) {
    this.#side = side;
    this.#it = it;
    this.#key = key;
    this.#types = types;
    this.#check = check;
  }

  async peek(): Promise<{ row: Row; key: Key } | undefined> {
    if (this.#current) return this.#current;
    while (this.#pos >= this.#batch.length) {
      if (this.#done) return undefined;
      this.#check();
      const r = await this.#it.next();
      if (r.done) {
        this.#done = true;
        return undefined;
      }
      this.#batch = r.value;
      this.#pos = 0;
      this.#side.stats.rowsRead += r.value.length;
    }
    const row = this.#batch[this.#pos++] as Row;
    const key = this.#key.map((k) => row[k]);
    if (this.#previous && compareKeys(this.#previous, key, this.#types) >= 0) {
      throw new CdcError(
        'UPSTREAM_ERROR',
        `The ${this.#side.name} scan of ${formatTableId(this.#side.table.id)} (${this.#side.src.dialect}) is not in canonical key order`,
        {
          hint: 'Keys sort differently on this engine (collation?): use the hash algorithm, which does not rely on order.',
        },
      );
    }
    this.#previous = key;
    this.#current = { row, key };
    this.count++;
    for (const c in row) {
      const v = row[c];
      this.#side.stats.bytesRead +=
        typeof v === 'string' ? utf8Length(v) : v instanceof Uint8Array ? v.length : 8;
    }
    return this.#current;
  }

  advance(): void {
    this.#current = undefined;
  }

  async close(): Promise<void> {
    if (!this.#done) await this.#it.return?.();
  }
}
