import { MemoryScanSource } from '@cdc/testkit';
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalText } from './canonical.js';
import type { Capabilities } from './connector.js';
import { diffTables } from './diff-engine.js';
import type { DiffOptions, DiffResult } from './diff-types.js';
import { isCdcError } from './errors.js';
import type { LogicalType } from './logical-type.js';
import { planRepair } from './repair-plan.js';
import type { Column, Row, TableSchema } from './schema.js';

// ---------------------------------------------------------------- a table with every logical type

const T = {
  int16: { kind: 'int16' },
  int32: { kind: 'int32' },
  int64: { kind: 'int64' },
  numeric: { kind: 'numeric', precision: 20, scale: 6 },
  float32: { kind: 'float32' },
  float64: { kind: 'float64' },
  bool: { kind: 'bool' },
  text: { kind: 'text' },
  bytes: { kind: 'bytes' },
  uuid: { kind: 'uuid' },
  date: { kind: 'date' },
  time: { kind: 'time', precision: 6 },
  timestamp: { kind: 'timestamp', precision: 6 },
  timestamptz: { kind: 'timestamptz', precision: 6 },
  interval: { kind: 'interval' },
  json: { kind: 'json' },
  inet: { kind: 'inet' },
  list: { kind: 'list', element: { kind: 'int32' } },
  set: { kind: 'set', element: { kind: 'text' } },
  map: { kind: 'map', key: { kind: 'text' }, value: { kind: 'int32' } },
  tuple: { kind: 'tuple', elements: [{ kind: 'int32' }, { kind: 'text' }] },
  udt: {
    kind: 'udt',
    name: 'addr',
    fields: [
      { name: 'street', type: { kind: 'text' } },
      { name: 'no', type: { kind: 'int32' } },
    ],
  },
} satisfies Record<string, LogicalType>;
type ValueColumn = keyof typeof T;
const VALUE_COLUMNS = Object.keys(T) as ValueColumn[];

const col = (name: string, type: LogicalType, nullable = true): Column => ({
  name,
  type,
  nativeType: type.kind,
  nullable,
});
const wide: TableSchema = {
  id: { schema: 'public', name: 'wide' },
  primaryKey: ['k1', 'k2'],
  columns: [col('k1', T.text, false), col('k2', T.int64, false), ...VALUE_COLUMNS.map((c) => col(c, T[c]))],
};

const micros = fc.bigInt({ min: -(10n ** 15n), max: 10n ** 16n });
const arb: { [K in ValueColumn]: fc.Arbitrary<unknown> } = {
  int16: fc.integer({ min: -32768, max: 32767 }),
  int32: fc.integer(),
  int64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  numeric: fc
    .tuple(fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }), fc.integer({ min: 0, max: 6 }))
    .map(([u, s]) =>
      s === 0
        ? u.toString()
        : `${u < 0n ? '-' : ''}${(u < 0n ? -u : u)
            .toString()
            .padStart(s + 1, '0')
            .replace(new RegExp(`(\\d{${s}})$`), '.$1')}`,
    ),
  float32: fc.float(),
  float64: fc.double(),
  bool: fc.boolean(),
  text: fc.oneof(
    fc.constantFrom('', ' ', '  ', 'é', 'e\u0301'),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
  ),
  bytes: fc.uint8Array({ maxLength: 6 }),
  uuid: fc.uuid(),
  date: fc.integer({ min: -719_162, max: 2_932_896 }),
  time: fc.integer({ min: 0, max: 86_399_999_999 }).map((us) => BigInt(us) * 1000n),
  timestamp: micros,
  timestamptz: micros,
  interval: fc.record({
    months: fc.integer({ min: -99, max: 99 }),
    days: fc.integer({ min: -99, max: 99 }),
    micros,
  }),
  json: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  inet: fc.ipV4(),
  list: fc.array(fc.integer(), { maxLength: 3 }),
  set: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
  map: fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 3 }),
  tuple: fc.tuple(fc.integer(), fc.string({ maxLength: 3 })),
  udt: fc.record({ street: fc.option(fc.string({ maxLength: 4 })), no: fc.option(fc.integer()) }),
};

/** Same value, different spelling: must never be reported. */
function respell(c: ValueColumn, v: unknown): unknown {
  if (v === null) return null;
  switch (c) {
    case 'int64':
      return String(v);
    case 'numeric':
      return (v as string).includes('.') ? `${v as string}00` : `${v as string}.0`;
    case 'float64':
    case 'float32':
      return String(v);
    case 'uuid':
      return (v as string).toUpperCase();
    case 'timestamptz':
      return (v as bigint) % 1000n === 0n ? new Date(Number((v as bigint) / 1000n)) : v;
    case 'json':
      return JSON.stringify(JSON.parse(v as string), null, 1);
    case 'set':
      return [...(v as string[])].reverse();
    case 'bytes':
      return Buffer.from(v as Uint8Array);
    default:
      return v;
  }
}

const rowValues = fc.record(
  Object.fromEntries(VALUE_COLUMNS.map((c) => [c, fc.option(arb[c], { freq: 4 })])),
);
const keyArb = fc.tuple(
  fc.oneof(fc.constantFrom('', ' ', 'a', 'é', '😀', 'Z'), fc.string({ unit: 'grapheme', maxLength: 3 })),
  fc.bigInt({ min: -3n, max: 3n }),
);

interface Pair {
  source: Row[];
  target: Row[];
}

const pairArb: fc.Arbitrary<Pair> = fc
  .uniqueArray(fc.tuple(keyArb, rowValues), {
    maxLength: 25,
    selector: ([[a, b]]) => `${a}\u0000${b}`,
  })
  .chain((base) =>
    fc
      .tuple(
        fc.array(fc.constantFrom('same', 'respell', 'drop', 'change'), {
          minLength: base.length,
          maxLength: base.length,
        }),
        fc.array(fc.constantFrom(...VALUE_COLUMNS), { minLength: base.length, maxLength: base.length }),
        fc.array(rowValues, { minLength: base.length, maxLength: base.length }),
        fc.uniqueArray(fc.tuple(keyArb, rowValues), {
          maxLength: 4,
          selector: ([[a, b]]) => `${a}\u0000${b}`,
        }),
      )
      .map(([fates, cols, fresh, extras]) => {
        const source = base.map(([[k1, k2], v]) => ({ k1, k2, ...v }) as Row);
        const target: Row[] = [];
        source.forEach((row, i) => {
          const fate = fates[i];
          const c = cols[i] as ValueColumn;
          if (fate === 'drop') return;
          if (fate === 'same') target.push({ ...row });
          else if (fate === 'respell') target.push({ ...row, [c]: respell(c, row[c]) });
          else target.push({ ...row, [c]: (fresh[i] as Row)[c] });
        });
        const keys = new Set(source.map((r) => `${r.k1 as string}\u0000${r.k2 as bigint}`));
        for (const [[k1, k2], v] of extras) {
          if (!keys.has(`${k1}\u0000${k2}`)) target.push({ k1, k2, ...v });
        }
        return { source, target };
      }),
  );

/** The differences a brute-force comparison of canonical texts finds: `kind|k1|k2|columns`. */
function bruteForce(schema: TableSchema, pair: Pair): string[] {
  const keyOf = (r: Row) => `${canonicalText(r.k1, T.text)}|${canonicalText(r.k2, T.int64)}`;
  const s = new Map(pair.source.map((r) => [keyOf(r), r]));
  const t = new Map(pair.target.map((r) => [keyOf(r), r]));
  const out: string[] = [];
  const valueCols = schema.columns.map((c) => c.name).filter((c) => !schema.primaryKey.includes(c));
  for (const [k, r] of s) {
    const o = t.get(k);
    if (!o) out.push(`missing|${k}|`);
    else {
      const cols = valueCols.filter((c) => {
        const type = schema.columns.find((x) => x.name === c)?.type as LogicalType;
        return canonicalText(r[c], type) !== canonicalText(o[c], type);
      });
      if (cols.length > 0) out.push(`mismatched|${k}|${cols.join(',')}`);
    }
  }
  for (const k of t.keys()) if (!s.has(k)) out.push(`extra|${k}|`);
  return out.sort();
}

function reported(result: DiffResult): string[] {
  return result.differences
    .map(
      (d) =>
        `${d.kind}|${canonicalText(d.key.k1, T.text)}|${canonicalText(d.key.k2, T.int64)}|${d.kind === 'mismatched' ? d.columns.join(',') : ''}`,
    )
    .sort();
}

function sources(
  pair: Pair,
  schema: TableSchema,
  caps: Partial<Capabilities>,
  dialects: [string, string],
  canonicalScan: boolean | 'packed' = false,
) {
  const scans = { canonicalScan: canonicalScan !== false, packedCanonicalScan: canonicalScan === 'packed' };
  const source = new MemoryScanSource({
    dialect: dialects[0],
    capabilities: caps,
    batchRows: 4,
    ...scans,
  }).addTable(schema, pair.source);
  const target = new MemoryScanSource({
    dialect: dialects[1],
    capabilities: caps,
    batchRows: 3,
    // The target reads row by row: packed and unpacked digests must agree.
    canonicalScan: canonicalScan !== false,
  }).addTable(schema, pair.target);
  return { source, target };
}

const variants: {
  name: string;
  caps: Partial<Capabilities>;
  dialects: [string, string];
  options: Partial<DiffOptions>;
  hashing: DiffResult['hashing'];
  canonicalScan?: boolean | 'packed';
}[] = [
  {
    name: 'stream',
    caps: {},
    dialects: ['a', 'b'],
    options: { algorithm: 'stream', splits: 3 },
    hashing: 'none',
  },
  {
    name: 'hash, client hashing',
    caps: {},
    dialects: ['a', 'b'],
    options: { algorithm: 'hash', rowsPerBucket: 3, splits: 1, drillRows: 5 },
    hashing: 'client',
  },
  {
    name: 'hash, client hashing from canonical scans',
    caps: {},
    dialects: ['a', 'b'],
    options: { algorithm: 'hash', hashing: 'client', rowsPerBucket: 3, splits: 2, drillRows: 5 },
    hashing: 'client',
    canonicalScan: true,
  },
  {
    name: 'hash, client hashing from packed canonical batches (source) and canonical rows (target)',
    caps: {},
    dialects: ['a', 'b'],
    options: { algorithm: 'hash', hashing: 'client', rowsPerBucket: 3, splits: 2, drillRows: 5 },
    hashing: 'client',
    canonicalScan: 'packed',
  },
  {
    name: 'hash, canonical pushdown',
    caps: { hashPushdown: true },
    dialects: ['a', 'b'],
    options: { algorithm: 'hash', rowsPerBucket: 2, splits: 1 },
    hashing: 'canonical-pushdown',
  },
  {
    name: 'hash, native pushdown, key-range splits',
    caps: { hashPushdown: true },
    dialects: ['same', 'same'],
    options: { algorithm: 'hash', rowsPerBucket: 2, splits: 3, concurrency: 2 },
    hashing: 'native',
  },
];

describe('diffTables — hash and stream report exactly the brute-force differences', () => {
  const kindsSeen = new Set<string>();
  afterAll(() => {
    // The generator must actually produce every kind of difference, or the property proves little.
    expect([...kindsSeen].sort()).toEqual(['extra', 'mismatched', 'missing']);
  });
  for (const v of variants) {
    fcTest.prop([pairArb], { numRuns: 40 })(v.name, async (pair) => {
      const { source, target } = sources(pair, wide, v.caps, v.dialects, v.canonicalScan);
      const result = await diffTables({
        source: { source, table: wide },
        target: { source: target, table: wide },
        ...v.options,
      });
      const expected = bruteForce(wide, pair);
      expect(reported(result)).toEqual(expected);
      for (const e of expected) kindsSeen.add(e.split('|')[0] as string);
      expect(result.algorithm).toBe(v.options.algorithm);
      if (v.hashing !== 'none') expect(result.hashing).toBe(v.hashing);
      expect(result.counts).toEqual({
        source: BigInt(pair.source.length),
        target: BigInt(pair.target.length),
      });
      expect(result.status).toBe(result.differences.length === 0 ? 'in_sync' : 'differences');
      for (const d of result.differences) {
        if (d.kind !== 'extra') expect(d.source).toBeDefined();
        if (d.kind !== 'missing') expect(d.target).toBeDefined();
      }
    });
  }

  fcTest.prop([pairArb], { numRuns: 30 })(
    'applying the repair plan makes the target equal the source',
    async (pair) => {
      const { source, target } = sources(pair, wide, {}, ['a', 'b']);
      const options = { source: { source, table: wide }, target: { source: target, table: wide } } as const;
      const plan = planRepair(await diffTables({ ...options, algorithm: 'hash' }));
      for (const step of plan.steps) {
        const key = wide.primaryKey.map((k) => step.key[k]);
        if (step.op === 'delete') expect(target.remove(wide.id, key)).toBe(true);
        else if (step.op === 'insert') target.put(wide.id, step.values);
        else {
          const [current] = await target.lookup(wide, [key]);
          // The guard: the target still holds what the diff saw.
          for (const [c, v] of Object.entries(step.expected)) {
            const type = wide.columns.find((x) => x.name === c)?.type as LogicalType;
            expect(canonicalText(current?.[c], type)).toBe(canonicalText(v, type));
          }
          target.put(wide.id, { ...current, ...step.set });
        }
      }
      const after = await diffTables({ ...options, algorithm: 'stream' });
      expect(after.status).toBe('in_sync');
      expect(after.differences).toEqual([]);
    },
  );
});

// ---------------------------------------------------------------- integer keys: int-range and token buckets

// Mostly dense keys, and now and then a sparse outlier whose int-range bucket number would pass 2^53.
const intKeyArb = fc.oneof(
  { weight: 20, arbitrary: fc.bigInt({ min: -500n, max: 500n }) },
  { weight: 1, arbitrary: fc.constantFrom(2n ** 62n, 2n ** 60n + 7n, 2n ** 53n + 1n) },
);
const intPairArb = fc
  .uniqueArray(fc.tuple(intKeyArb, fc.option(fc.integer({ min: 0, max: 3 }))), {
    maxLength: 60,
    selector: ([k]) => k,
  })
  .chain((rows) =>
    fc
      .tuple(
        fc.array(fc.option(fc.integer({ min: 0, max: 3 })), {
          minLength: rows.length,
          maxLength: rows.length,
        }),
        fc.uniqueArray(fc.integer({ min: -600, max: 600 }), { maxLength: 5 }),
      )
      .map(([targetValues, extraKeys]) => {
        const source = rows.map(([id, v]) => ({ id: BigInt(id), v }) as Row);
        const target = rows
          .map(([id], i) => ({ id: BigInt(id), v: targetValues[i] }) as Row)
          .filter((r) => r.v !== 3);
        const taken = new Set(rows.map(([id]) => id));
        for (const id of extraKeys) if (!taken.has(BigInt(id))) target.push({ id: BigInt(id), v: 1 });
        return { source, target };
      }),
  );
const intSchema: TableSchema = {
  id: { name: 'ints' },
  primaryKey: ['id'],
  columns: [col('id', T.int64, false), col('v', T.int32)],
};
const tokenOf = (key: unknown[]) => BigInt.asIntN(64, BigInt(key[0] as bigint) * 0x9e3779b97f4a7c15n);

function bruteForceInts(pair: Pair): string[] {
  const s = new Map(pair.source.map((r) => [String(r.id), r.v]));
  const t = new Map(pair.target.map((r) => [String(r.id), r.v]));
  const out: string[] = [];
  for (const [k, v] of s) {
    if (!t.has(k)) out.push(`missing|${k}`);
    else if ((t.get(k) ?? null) !== (v ?? null)) out.push(`mismatched|${k}`);
  }
  for (const k of t.keys()) if (!s.has(k)) out.push(`extra|${k}`);
  return out.sort();
}

describe('diffTables — integer keys', () => {
  const cases: {
    name: string;
    source: Partial<Capabilities>;
    target: Partial<Capabilities>;
    bucketing: string;
  }[] = [
    {
      name: 'int-range, pushdown',
      source: { intRangeBuckets: true, hashPushdown: true },
      target: { intRangeBuckets: true, hashPushdown: true },
      bucketing: 'int-range',
    },
    {
      name: 'int-range, client',
      source: { intRangeBuckets: true },
      target: { intRangeBuckets: true },
      bucketing: 'int-range',
    },
    {
      name: 'token, one side token-partitioned',
      source: { tokenPartitioned: true, orderedScan: false },
      target: {},
      bucketing: 'token',
    },
  ];
  for (const c of cases) {
    fcTest.prop([intPairArb, fc.integer({ min: 1, max: 5 })], { numRuns: 40 })(
      c.name,
      async (pair, splits) => {
        const source = new MemoryScanSource({
          dialect: 's',
          capabilities: c.source,
          partitioner: { tokenOf },
        }).addTable(intSchema, pair.source);
        const target = new MemoryScanSource({ dialect: 't', capabilities: c.target }).addTable(
          intSchema,
          pair.target,
        );
        const result = await diffTables({
          source: { source, table: intSchema, partitioner: { tokenOf } },
          target: { source: target, table: intSchema, partitioner: { tokenOf } },
          algorithm: 'hash',
          rowsPerBucket: 4,
          splits,
        });
        expect(result.differences.map((d) => `${d.kind}|${String(d.key.id)}`).sort()).toEqual(
          bruteForceInts(pair),
        );
        expect(result.bucketing).toBe(c.bucketing);
      },
    );
  }
});

// ---------------------------------------------------------------- targeted behaviours

const narrow: TableSchema = {
  id: { name: 'narrow' },
  primaryKey: ['id'],
  columns: [col('id', T.int64, false), col('v', T.int32), col('f', T.float64), col('ts', T.timestamptz)],
};
const narrowRows = (n: number, change: (row: Row) => Row | undefined = (r) => r): Row[] =>
  Array.from({ length: n }, (_, i) =>
    change({ id: BigInt(i * 3), v: i % 7, f: i / 4, ts: BigInt(i) * 1_000_000n }),
  ).filter((r): r is Row => r !== undefined);

function narrowPair(n: number, change: (row: Row) => Row | undefined, caps: Partial<Capabilities> = {}) {
  const source = new MemoryScanSource({ capabilities: caps }).addTable(narrow, narrowRows(n));
  const target = new MemoryScanSource({ capabilities: caps }).addTable(narrow, narrowRows(n, change));
  return { source: { source, table: narrow }, target: { source: target, table: narrow } };
}

describe('diffTables — strategies and options', () => {
  it('uses int-range buckets over key-range units when both sides allow it', async () => {
    const sides = narrowPair(
      2000,
      (r) => (r.id === 300n ? { ...r, v: -1 } : r.id === 3000n ? undefined : r),
      {
        intRangeBuckets: true,
        hashPushdown: true,
      },
    );
    const seen: string[] = [];
    const summarize = sides.source.source.summarize.bind(sides.source.source);
    sides.source.source.summarize = (t, plan, range) => {
      seen.push(plan.bucketing.kind);
      return summarize(t, plan, range);
    };
    const result = await diffTables({ ...sides, rowsPerBucket: 50, splits: 4, hashing: 'canonical' });
    expect(seen.length).toBe(5);
    // Units by integer range, the last one bounded to 2^17 buckets above the last cut; beyond it (sparse
    // outliers), one unit by key hash.
    expect(seen.sort()).toEqual(['int-range', 'int-range', 'int-range', 'int-range', 'key-hash']);
    expect(result.hashing).toBe('canonical-pushdown');
    expect(result.differences.map((d) => [d.kind, d.key.id, d.columns])).toEqual([
      ['mismatched', 300n, ['v']],
      ['missing', 3000n, ['v', 'f', 'ts']],
    ]);
    expect(result.differences[0]?.source?.v).toBe(100 % 7);
    expect(result.differences[0]?.target?.v).toBe(-1);
    // Only differing buckets are drilled: far fewer key digests than rows.
    expect(result.stats.source.rowsRead).toBeLessThan(2000 + 200);
  });

  it('client hashing drills into differing int-range buckets by key range, not by re-reading the unit', async () => {
    const sides = narrowPair(
      2000,
      (r) => (r.id === 300n ? { ...r, v: -1 } : r.id === 4500n ? undefined : r),
      { intRangeBuckets: true, orderedScan: true },
    );
    const ranges: string[] = [];
    const scan = sides.target.source.scan.bind(sides.target.source);
    sides.target.source.scan = (t, o) => {
      ranges.push(
        o?.range?.kind === 'key' ? `${String(o.range.lower?.[0])}..${String(o.range.upper?.[0])}` : 'all',
      );
      return scan(t, o);
    };
    const result = await diffTables({ ...sides, hashing: 'client', rowsPerBucket: 50, splits: 1 });
    expect(result.algorithm).toBe('hash');
    expect(result.hashing).toBe('client');
    expect(result.differences.map((d) => [d.kind, d.key.id])).toEqual([
      ['mismatched', 300n],
      ['missing', 4500n],
    ]);
    // The first key, one read of the int-range unit for the summaries and one of the open-ended rest
    // (keys beyond 2^17 buckets, by key hash: empty here), then one bucket-wide key range (width 50)
    // per differing bucket.
    expect(ranges).toHaveLength(5);
    expect(ranges.slice(1, 3).sort()).toEqual(['6553600..undefined', 'undefined..6553600']);
    expect(ranges.slice(3).sort()).toEqual(['300..350', '4500..4550']);
    expect(result.stats.target.rowsRead).toBeLessThan(2000 + 1 + 2 * 50);
  });

  it('buckets by token when one side is token-partitioned and the other has a partitioner', async () => {
    const tokenOf = (key: unknown[]) => BigInt.asIntN(64, BigInt(key[0] as bigint) * 0x9e3779b97f4a7c15n);
    const scylla = new MemoryScanSource({
      dialect: 'scylla',
      capabilities: { tokenPartitioned: true, orderedScan: false },
      partitioner: { tokenOf },
    }).addTable(narrow, narrowRows(500));
    const pg = new MemoryScanSource({ dialect: 'pg' }).addTable(
      narrow,
      narrowRows(500, (r) => (r.id === 9n ? { ...r, f: 0.5 } : r)),
    );
    const result = await diffTables({
      source: { source: scylla, table: narrow, partitioner: { tokenOf } },
      target: { source: pg, table: narrow, partitioner: { tokenOf } },
      splits: 8,
    });
    expect(result.algorithm).toBe('hash');
    expect(result.differences.map((d) => [d.kind, d.key.id, d.columns])).toEqual([['mismatched', 9n, ['f']]]);
  });

  it('client hashing uses canonical strings when a source offers them (canonicalScan)', async () => {
    const source = new MemoryScanSource({ canonicalScan: true }).addTable(narrow, narrowRows(300));
    const target = new MemoryScanSource({ canonicalScan: true }).addTable(
      narrow,
      narrowRows(300, (r) => (r.id === 30n ? { ...r, ts: 5n } : r.id === 60n ? undefined : r)),
    );
    let calls = 0;
    for (const side of [source, target]) {
      const canonicalScan = side.canonicalScan!.bind(side);
      Object.assign(side, {
        canonicalScan: (...args: Parameters<typeof canonicalScan>) => {
          calls++;
          return canonicalScan(...args);
        },
      });
    }
    const result = await diffTables({
      source: { source, table: narrow },
      target: { source: target, table: narrow },
      hashing: 'client',
      rowsPerBucket: 10,
    });
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(result.differences.map((d) => [d.kind, d.key.id, d.columns])).toEqual([
      ['mismatched', 30n, ['ts']],
      ['missing', 60n, ['v', 'f', 'ts']],
    ]);
  });

  it('client hashing reads packed batches when a source offers them, matching row-by-row digests', async () => {
    // Int-range buckets with ordered digests; one key beyond 2^53 (no exact number: the batch's row is asked).
    const big = (r: Row): Row => (r.id === 297n ? { ...r, id: 2n ** 60n } : r);
    const caps = { intRangeBuckets: true };
    const source = new MemoryScanSource({
      packedCanonicalScan: true,
      batchRows: 7,
      capabilities: caps,
    }).addTable(narrow, narrowRows(300, big));
    const target = new MemoryScanSource({ canonicalScan: true, batchRows: 5, capabilities: caps }).addTable(
      narrow,
      narrowRows(300, (r) =>
        r.id === 30n ? { ...r, ts: 5n } : r.id === 60n ? undefined : r.id === 297n ? { ...big(r), v: -1 } : r,
      ),
    );
    let packedCalls = 0;
    const packedScan = source.packedCanonicalScan!.bind(source);
    Object.assign(source, {
      packedCanonicalScan: (...args: Parameters<typeof packedScan>) => {
        packedCalls++;
        return packedScan(...args);
      },
    });
    const sides = { source: { source, table: narrow }, target: { source: target, table: narrow } };
    const result = await diffTables({ ...sides, hashing: 'client', rowsPerBucket: 10, splits: 1 });
    expect(result.bucketing).toBe('int-range');
    expect(packedCalls).toBeGreaterThanOrEqual(2);
    expect(result.differences.map((d) => [d.kind, d.key.id, d.columns])).toEqual([
      ['mismatched', 30n, ['ts']],
      ['missing', 60n, ['v', 'f', 'ts']],
      ['mismatched', 2n ** 60n, ['v']],
    ]);
    // Key-hash buckets and row-hash sums too.
    const byKeyHash = await diffTables({
      ...sides,
      hashing: 'client',
      rowsPerBucket: 10,
      bucketing: 'key-hash',
    });
    expect(byKeyHash.bucketing).toBe('key-hash');
    expect(byKeyHash.differences.map((d) => [d.kind, d.key.id])).toEqual(
      result.differences.map((d) => [d.kind, d.key.id]),
    );
  });

  it('pairs a token-partitioned side with a pushdown side by key hash, hashed in the database there', async () => {
    const scylla = new MemoryScanSource({
      dialect: 'scylla',
      capabilities: { tokenPartitioned: true, orderedScan: false },
    }).addTable(narrow, narrowRows(500));
    const pg = new MemoryScanSource({ dialect: 'pg', capabilities: { hashPushdown: true } }).addTable(
      narrow,
      narrowRows(500, (r) => (r.id === 9n ? { ...r, f: 0.5 } : r)),
    );
    const summarized: string[] = [];
    const summarize = pg.summarize.bind(pg);
    pg.summarize = (t, plan, range) => {
      summarized.push(plan.bucketing.kind);
      return summarize(t, plan, range);
    };
    const result = await diffTables({
      source: { source: scylla, table: narrow },
      target: { source: pg, table: narrow },
    });
    expect(result.bucketing).toBe('key-hash');
    expect(result.hashing).toBe('client');
    expect(summarized).toEqual(['key-hash']);
    expect(result.notes.join('\n')).toMatch(
      /^key-hash buckets: .*the target \(pg\) hashes in its database, where token buckets would need Murmur3 tokens/m,
    );
    expect(result.differences.map((d) => [d.kind, d.key.id, d.columns])).toEqual([['mismatched', 9n, ['f']]]);
  });

  it('missing rows carry every shared column (for inserts) even when only some are compared', async () => {
    const sides = narrowPair(10, (r) => (r.id === 6n ? undefined : r.id === 9n ? { ...r, f: 7 } : r));
    for (const algorithm of ['hash', 'stream'] as const) {
      const result = await diffTables({ ...sides, algorithm, columns: ['v'] });
      expect(result.differences).toEqual([
        {
          kind: 'missing',
          key: { id: 6n },
          columns: ['v'],
          source: { id: 6n, v: 2, f: 0.5, ts: 2_000_000n },
        },
      ]);
      expect(planRepair(result).steps[0]).toEqual({
        op: 'insert',
        key: { id: 6n },
        values: { id: 6n, v: 2, f: 0.5, ts: 2_000_000n },
      });
    }
  });

  it('sizes buckets from statistics, or from an exact count when statistics are empty', async () => {
    const plans: number[] = [];
    for (const estimate of [-1n, 1_000_000n]) {
      const source = new MemoryScanSource({ estimate, capabilities: { hashPushdown: true } }).addTable(
        narrow,
        narrowRows(600),
      );
      const target = new MemoryScanSource({ capabilities: { hashPushdown: true } }).addTable(
        narrow,
        narrowRows(600),
      );
      const summarize = source.summarize.bind(source);
      source.summarize = (t, plan, range) => {
        if (plan.bucketing.kind === 'key-hash') plans.push(plan.bucketing.modulus);
        return summarize(t, plan, range);
      };
      const result = await diffTables({
        source: { source, table: narrow },
        target: { source: target, table: narrow },
        splits: 1,
        rowsPerBucket: 100,
      });
      expect(result.status).toBe('in_sync');
    }
    expect(plans).toEqual([6, 10_000]);
  });

  it('stops at maxDiffs and marks the result truncated', async () => {
    const result = await diffTables({ ...narrowPair(300, (r) => ({ ...r, v: 99 })), maxDiffs: 10 });
    expect(result.differences).toHaveLength(10);
    expect(result.truncated).toBe(true);
    expect(result.status).toBe('differences');
  });

  it('honours per-column policies: tolerance, precision, padding and case', async () => {
    const schema: TableSchema = {
      id: { name: 'p' },
      primaryKey: ['id'],
      columns: [
        col('id', T.int32, false),
        col('f', T.float64),
        col('ts', { kind: 'timestamptz', precision: 6 }),
        col('c', T.text),
      ],
    };
    const target: TableSchema = {
      ...schema,
      columns: [
        ...schema.columns.slice(0, 2),
        col('ts', { kind: 'timestamptz', precision: 3 }),
        schema.columns[3] as Column,
      ],
    };
    const s = new MemoryScanSource().addTable(schema, [
      { id: 1, f: 1.0, ts: '2024-01-01T00:00:00.123456Z', c: 'Ab ' },
    ]);
    const t = new MemoryScanSource().addTable(target, [
      { id: 1, f: 1.0000001, ts: '2024-01-01T00:00:00.123Z', c: 'ab' },
    ]);
    const base = { source: { source: s, table: schema }, target: { source: t, table: target } };
    const strict = await diffTables(base);
    // Precision defaults to the lower side (3 digits), so ts is equal; f and c differ.
    expect(strict.differences[0]?.columns).toEqual(['f', 'c']);
    const lenient = await diffTables({
      ...base,
      policies: { f: { absoluteTolerance: 1e-6 }, c: { trimTrailingSpaces: true, caseInsensitive: true } },
    });
    expect(lenient.status).toBe('in_sync');
    expect(lenient.algorithm).toBe('stream');
    const relative = await diffTables({
      ...base,
      policies: { f: { relativeTolerance: 1e-9 } },
      columns: ['f'],
    });
    expect(relative.differences[0]?.columns).toEqual(['f']);
  });

  it('count algorithm compares counts only', async () => {
    const result = await diffTables({
      ...narrowPair(50, (r) => (r.id === 0n ? undefined : r)),
      algorithm: 'count',
    });
    expect(result).toMatchObject({
      status: 'differences',
      counts: { source: 50n, target: 49n },
      hashing: 'none',
    });
    expect(result.differences).toEqual([]);
  });

  it('cancels on an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await diffTables({ ...narrowPair(10, (r) => r), signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect(isCdcError(error) && error.code).toBe('CANCELLED');
  });

  it('cancels a running diff between batches', async () => {
    for (const algorithm of ['hash', 'stream'] as const) {
      const controller = new AbortController();
      const error = await diffTables({
        ...narrowPair(2000, (r) => r),
        algorithm,
        splits: 8,
        concurrency: 1,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }).catch((e: unknown) => e);
      expect(isCdcError(error) && error.code).toBe('CANCELLED');
    }
  });

  it('uses the native hash only for identical native types and byte-neutral policies', async () => {
    const caps = { hashPushdown: true };
    const run = async (targetSchema: TableSchema, extra: Partial<DiffOptions> = {}) => {
      const s = new MemoryScanSource({ dialect: 'pg', capabilities: caps }).addTable(narrow, narrowRows(50));
      const t = new MemoryScanSource({ dialect: 'pg', capabilities: caps }).addTable(
        targetSchema,
        narrowRows(50),
      );
      const r = await diffTables({
        source: { source: s, table: narrow },
        target: { source: t, table: targetSchema },
        ...extra,
      });
      expect(r.status).toBe('in_sync');
      return r.hashing;
    };
    expect(await run(narrow)).toBe('native');
    const widened: TableSchema = {
      ...narrow,
      columns: narrow.columns.map((c) => (c.name === 'v' ? { ...c, nativeType: 'bigint' } : c)),
    };
    expect(await run(widened)).toBe('canonical-pushdown');
    expect(await run(narrow, { policies: { ts: { precision: 0 } } })).toBe('canonical-pushdown');
    expect(await run(narrow, { hashing: 'canonical' })).toBe('canonical-pushdown');
    expect(await run(narrow, { hashing: 'client', algorithm: 'hash' })).toBe('client');
    // `client` means digests computed in cdc, then a drill-down: the hash algorithm, not a stream merge.
    expect(await run(narrow, { hashing: 'client' })).toBe('client');
  });

  it('emits progress events', async () => {
    const events: string[] = [];
    await diffTables({
      ...narrowPair(100, (r) => r),
      algorithm: 'hash',
      splits: 3,
      onProgress: (e) => events.push(`${e.phase}:${e.done}/${e.total}`),
    });
    expect(events).toEqual(['summarize:1/3', 'summarize:2/3', 'summarize:3/3']);
  });

  it('live mode keeps only differences that persist after the delay', async () => {
    const sides = narrowPair(20, (r) => (r.id === 3n || r.id === 6n ? { ...r, v: 42 } : r));
    const target = sides.target.source;
    // Replication catches up on one row once the main pass is over, before the re-check.
    const catchUp = () => target.put(narrow.id, { id: 3n, v: 1, f: 0.25, ts: 1_000_000n });
    const result = await diffTables({
      ...sides,
      recheckAfterMs: 50,
      onProgress: (e) => {
        if (e.phase !== 'recheck' && e.done === e.total) catchUp();
      },
    });
    expect(result.live).toEqual({ recheckAfterMs: 50, resolved: 1 });
    expect(result.differences.map((d) => d.key.id)).toEqual([6n]);
  });

  it('compares only the given keys, by lookup, with the same normalization (keys)', async () => {
    const sides = narrowPair(30, (r) =>
      r.id === 3n ? { ...r, v: 42 } : r.id === 6n ? undefined : r.id === 9n ? { ...r, ts: 9_000_000n } : r,
    );
    sides.target.source.put(narrow.id, { id: 1000n, v: 1, f: 1, ts: 0n });
    let scans = 0;
    for (const side of [sides.source.source, sides.target.source]) {
      const scan = side.scan.bind(side);
      side.scan = (t, o) => {
        scans++;
        return scan(t, o);
      };
    }
    const result = await diffTables({
      ...sides,
      // 12 is equal, 9 differs only in a column outside the comparison, 1000 is extra, 2000 is nowhere.
      keys: [[3n], [6n], [12n], [9n], [1000n], [2000n]],
      columns: ['v', 'f'],
    });
    expect(scans).toBe(0);
    expect(result.algorithm).toBe('keys');
    expect(result.counts).toEqual({ source: 4n, target: 4n });
    expect(result.differences.map((d) => [d.kind, d.key.id, d.columns])).toEqual([
      ['mismatched', 3n, ['v']],
      ['missing', 6n, ['v', 'f']],
      ['extra', 1000n, ['v', 'f']],
    ]);
    const none = await diffTables({ ...sides, keys: [] });
    expect(none.status).toBe('in_sync');
  });

  it('compares one range of the source splits (range), hash and stream alike', async () => {
    const caps = { orderedScan: true, hashPushdown: true };
    const sides = narrowPair(300, (r) => (r.id === 30n || r.id === 600n ? { ...r, v: -5 } : r), caps);
    const ranges = await sides.source.source.splits(narrow, 3);
    expect(ranges).toHaveLength(3);
    for (const algorithm of ['hash', 'stream'] as const) {
      const found: bigint[] = [];
      let rows = 0n;
      for (const range of ranges) {
        const r = await diffTables({ ...sides, algorithm, range });
        rows += r.counts.source;
        found.push(...r.differences.map((d) => d.key.id as bigint));
      }
      expect(rows).toBe(300n);
      expect(found).toEqual([30n, 600n]);
    }
    const tokens = { kind: 'token' as const, start: 0n, end: 10n };
    await expect(diffTables({ ...sides, range: tokens })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('compares a set on one side with an array on the other as sets, order-free', async () => {
    const setSchema: TableSchema = {
      id: { name: 's' },
      primaryKey: ['id'],
      columns: [col('id', T.int32, false), col('tags', { kind: 'set', element: T.int32 })],
    };
    const listSchema: TableSchema = {
      ...setSchema,
      columns: [col('id', T.int32, false), col('tags', { kind: 'list', element: T.int32 })],
    };
    const s = new MemoryScanSource({ capabilities: { hashPushdown: true } }).addTable(setSchema, [
      { id: 1, tags: [9, 10] },
      { id: 2, tags: [1] },
    ]);
    const t = new MemoryScanSource({ capabilities: { hashPushdown: true } }).addTable(listSchema, [
      { id: 1, tags: [10, 9, 9] },
      { id: 2, tags: [2] },
    ]);
    const result = await diffTables({
      source: { source: s, table: setSchema },
      target: { source: t, table: listSchema },
      algorithm: 'hash',
    });
    expect(result.hashing).toBe('client');
    expect(result.differences.map((d) => [d.key.id, d.columns])).toEqual([[2, ['tags']]]);
  });

  it('compares JSON kept in a text column with a json column when the policy declares it', async () => {
    const textSchema: TableSchema = {
      id: { name: 'docs' },
      primaryKey: ['id'],
      columns: [col('id', T.int32, false), col('doc', T.text), col('note', T.text)],
    };
    const jsonSchema: TableSchema = {
      ...textSchema,
      columns: [col('id', T.int32, false), col('doc', { kind: 'json' }), col('note', T.text)],
    };
    const rows = (docs: unknown[]) => docs.map((doc, i) => ({ id: i + 1, doc, note: 'n' }));
    // Key order, whitespace and number spelling differ but the documents are equal (row 2: the JSON
    // document null, as json text; row 4: SQL NULL on both sides); row 3 differs.
    const s = new MemoryScanSource({ capabilities: { hashPushdown: true } }).addTable(
      textSchema,
      rows(['{"b": 1, "a": [1, 2.50]}', '  null ', '{"x": "é"}', null]),
    );
    const t = new MemoryScanSource({ capabilities: { hashPushdown: true } }).addTable(
      jsonSchema,
      rows([{ a: [1, 2.5], b: 1 }, 'null', { x: 'e' }, null]),
    );
    const sides = { source: { source: s, table: textSchema }, target: { source: t, table: jsonSchema } };
    // Undeclared, text and json do not compare.
    const refused = await diffTables(sides).catch((e: unknown) => e);
    expect(isCdcError(refused) && refused.code).toBe('SCHEMA_MISMATCH');
    for (const algorithm of ['hash', 'stream'] as const) {
      const result = await diffTables({ ...sides, algorithm, policies: { doc: { json: true } } });
      if (algorithm === 'hash') expect(result.hashing).toBe('client');
      expect(result.differences.map((d) => [d.kind, d.key.id, d.columns])).toEqual([
        ['mismatched', 3, ['doc']],
      ]);
    }
    // Text on both sides: compared as documents, not characters.
    const t2 = new MemoryScanSource().addTable(
      textSchema,
      rows(['{"a":[1,2.5],"b":1}', 'null', '{"x":"é"}', null]),
    );
    const both = await diffTables({
      source: { source: s, table: textSchema },
      target: { source: t2, table: textSchema },
      policies: { doc: { json: true } },
    });
    expect(both.differences).toEqual([]);
    // Declared on a column that is neither text nor json, or on a key: refused, naming the column.
    const onInt = await diffTables({ ...sides, policies: { id: { json: true } } }).catch((e: unknown) => e);
    expect(isCdcError(onInt) && onInt.message).toMatch(/"id"/);
    // A text that is not JSON fails with the column and value, never a silent difference.
    const bad = new MemoryScanSource().addTable(textSchema, rows(['{"b": 1', 'null', '{}', null]));
    const broken = await diffTables({
      source: { source: bad, table: textSchema },
      target: { source: t, table: jsonSchema },
      policies: { doc: { json: true } },
    }).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(Error);
    expect((broken as Error).message).toMatch(/json|JSON/);
  });

  it('rejects incomparable column types and stream without ordered scans', async () => {
    const other: TableSchema = { ...narrow, columns: [narrow.columns[0] as Column, col('v', T.text)] };
    const s = new MemoryScanSource().addTable(narrow, []);
    const t = new MemoryScanSource({ capabilities: { orderedScan: false } }).addTable(other, []);
    const mismatch = await diffTables({
      source: { source: s, table: narrow },
      target: { source: t, table: other },
    }).catch((e: unknown) => e);
    expect(isCdcError(mismatch) && mismatch.code).toBe('SCHEMA_MISMATCH');
    const rekeyed: TableSchema = { ...narrow, primaryKey: ['v'] };
    const keyMismatch = await diffTables({
      source: { source: s, table: narrow },
      target: { source: new MemoryScanSource().addTable(rekeyed, []), table: rekeyed },
    }).catch((e: unknown) => e);
    expect(isCdcError(keyMismatch) && keyMismatch.code).toBe('SCHEMA_MISMATCH');
    const t2 = new MemoryScanSource({ capabilities: { orderedScan: false } }).addTable(narrow, []);
    const noOrder = await diffTables({
      source: { source: s, table: narrow },
      target: { source: t2, table: narrow },
      algorithm: 'stream',
    }).catch((e: unknown) => e);
    expect(isCdcError(noOrder) && noOrder.code).toBe('INVALID_ARGUMENT');
  });
});
