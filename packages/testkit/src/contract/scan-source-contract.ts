/**
 * The adapter contract suite: one spec every {@link ScanSource} (and optionally {@link ChangeSink})
 * must pass, run by each adapter package from its own tests against a real engine. Engines declare
 * what they cannot store ({@link ContractTypeSupport}), create the tables with their own DDL
 * (`createTable`), and the suite accepts the scan order the source declares in its capabilities.
 */
import {
  CdcError,
  addHashes,
  canonicalText,
  compareKeys,
  createRowHasher,
  keyString,
  rangeFilter,
  rowString,
  type ChangeSink,
  type HashPlan,
  type Key,
  type Partitioner,
  type Row,
  type ScanSource,
  type TableId,
  type TableMapping,
  type TableSchema,
} from '@cdc/core';
import { afterAll, beforeAll, describe, expect, it, type TestFunction } from 'vitest';
import {
  adaptContractTable,
  compositeKeyTable,
  typeParityTable,
  type ContractOmission,
  type ContractTable,
  type ContractTypeSupport,
} from './contract-tables.js';

/** What the sink part of the suite needs (optional per fixture). */
export interface SinkContractFixture {
  /** Opens the sink under test. */
  openSink(): Promise<ChangeSink>;
  /** A reader over the sink's target database, to check what was applied. */
  openTarget(): Promise<ScanSource>;
}

/**
 * The cases of the ScanSource part of the suite, for {@link ScanSourceContractFixture.skipCases}:
 * `introspect` (logical types, keys), `missing-table` (TABLE_NOT_FOUND), `count`, `estimate`
 * (`estimateCount` when `capabilities.estimatedCount`), `splits` (cover every row once, each row inside
 * its range), `scan` (bounded batches, canonical round trip), `order` (the declared order: key order for
 * `orderedScan`, token order inside each split for `tokenPartitioned`), `lookup`, `hash-pushdown`
 * (`summarize`/`keyHashes` equal client-side hashing), `int-range-buckets`.
 */
export type ScanSourceContractCase =
  | 'introspect'
  | 'missing-table'
  | 'count'
  | 'estimate'
  | 'splits'
  | 'scan'
  | 'order'
  | 'lookup'
  | 'hash-pushdown'
  | 'int-range-buckets';

/** How the suite reaches one engine. */
export interface ScanSourceContractFixture {
  /** Opens the adapter under test. */
  connect(): Promise<ScanSource>;
  /**
   * Creates `table` with the engine's own DDL (native types chosen by the fixture for each logical
   * type; for partitioned engines the first `table.partitionKeyLength` key columns form the partition
   * key), inserts its rows (in any number of statements or batches: no transaction is required), and
   * returns the id the source can introspect — which may differ from `table.name` when the engine's
   * identifiers cannot hold it. `table` is already reduced to what {@link types} declares supported.
   */
  createTable(table: ContractTable): Promise<TableId>;
  /** Runs once after the suite. */
  teardown?(): Promise<void>;
  /** Sink cases run only when present. */
  sink?: SinkContractFixture;
  /**
   * Why the engine is unavailable (e.g. `CDC_TEST_MSSQL_URL is not set`): the suite is registered as
   * skipped with this reason in its name, so the report shows it instead of silently passing.
   */
  skip?: string;
  /**
   * Kinds and edge-case values the engine cannot store, with reasons. Those columns are left out and
   * those cells written as NULL; each omission is listed as a skipped test naming the reason.
   * Default: everything is supported.
   */
  types?: ContractTypeSupport;
  /** Cases not to run, with the reason (shown in the skipped test's name). */
  skipCases?: Partial<Record<ScanSourceContractCase, string>>;
  /**
   * The Murmur3 partitioner of a table, required when the source is `capabilities.tokenPartitioned`:
   * the suite checks that each row of a token split lies in its range and that rows come in token order.
   */
  partitioner?(schema: TableSchema): Partitioner | Promise<Partitioner>;
  /** Timeout in ms of each case and of table creation (real remote servers are slower). Default: vitest's. */
  timeoutMs?: number;
}

const HOSTILE_NAMES = ['order', 'select "quoted".dot', 'Mixed Case ünï'];

function byKey(schema: TableSchema) {
  return (row: Row) => JSON.stringify(schema.primaryKey.map((k) => canonicalText(row[k], typeOf(schema, k))));
}

function typeOf(schema: TableSchema, name: string) {
  const c = schema.columns.find((col) => col.name === name);
  if (!c) throw new Error(`no column ${name}`);
  return c.type;
}

function keyTypes(schema: TableSchema) {
  return schema.primaryKey.map((k) => typeOf(schema, k));
}

async function collect(source: ScanSource, schema: TableSchema, options = {}): Promise<Row[][]> {
  const batches: Row[][] = [];
  for await (const batch of source.scan(schema, options)) batches.push(batch);
  return batches;
}

function describeOmission(o: ContractOmission): string {
  return o.what === 'column'
    ? `column "${o.column}" (${o.kind}) left out: ${o.reason}`
    : `"${o.column}" (${o.kind}) ${o.valueCase} value(s) of row(s) ${(o.rows ?? []).join(', ')} written as NULL: ${o.reason}`;
}

/**
 * Registers the contract suite under `describe(name)`.
 *
 * @example
 * ```ts
 * describeScanSourceContract('postgres', {
 *   connect: async () => connectPostgres({ url }),
 *   createTable: async (t) => { ... return { schema: 'public', name: t.name }; },
 * });
 * // An engine without some types, and token-ordered scans:
 * describeScanSourceContract('scylla', {
 *   skip: url ? undefined : 'CDC_TEST_SCYLLA_URL is not set',
 *   types: { unsupportedKinds: { json: 'CQL has no JSON type' }, unsupportedValues: { 'sub-millisecond': 'timestamp is ms' } },
 *   partitioner: (schema) => ScyllaPartitioner.forTable(schema),
 *   connect, createTable,
 * });
 * ```
 */
export function describeScanSourceContract(name: string, fixture: ScanSourceContractFixture): void {
  const register = fixture.skip ? describe.skip : describe;
  const timeout = fixture.timeoutMs;
  register(`ScanSource contract: ${name}${fixture.skip ? ` (skipped: ${fixture.skip})` : ''}`, () => {
    let source: ScanSource;
    const parityAdapted = adaptContractTable(typeParityTable('type parity "t"'), fixture.types);
    const compositeAdapted = adaptContractTable(compositeKeyTable(HOSTILE_NAMES[0]!, 2_500), fixture.types);
    const parity = parityAdapted.table;
    const composite = compositeAdapted.table;
    let paritySchema: TableSchema;
    let compositeSchema: TableSchema;

    beforeAll(async () => {
      source = await fixture.connect();
      paritySchema = await source.introspect(await fixture.createTable(parity));
      compositeSchema = await source.introspect(await fixture.createTable(composite));
    }, timeout);
    afterAll(async () => {
      await source?.close();
      await fixture.teardown?.();
    }, timeout);

    // What the engine declared it cannot store shows in the report as skipped cases with the reason.
    for (const o of [...parityAdapted.omitted, ...compositeAdapted.omitted]) {
      it.skip(`type parity: ${describeOmission(o)}`, () => undefined);
    }

    const test = (id: ScanSourceContractCase, title: string, fn: TestFunction) => {
      const reason = fixture.skipCases?.[id];
      if (reason !== undefined) it.skip(`${title} (skipped: ${reason})`, fn);
      else it(title, fn, timeout);
    };

    test('introspect', 'introspects logical types, nullability and composite keys', () => {
      expect(paritySchema.primaryKey).toEqual(['id']);
      for (const col of parity.columns) {
        const found = paritySchema.columns.find((c) => c.name === col.name);
        expect(found?.type.kind, col.name).toBe(col.type.kind);
      }
      expect(compositeSchema.primaryKey).toEqual(['Tenant Id', 'order']);
      // Engines without a column order (ScyllaDB sorts regular columns by name) may list them in any order.
      expect(compositeSchema.columns.map((c) => c.name).sort()).toEqual(
        composite.columns.map((c) => c.name).sort(),
      );
    });

    test('missing-table', 'reports TABLE_NOT_FOUND with a hint for a missing table', async () => {
      const error = await source.introspect({ name: 'no such table' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CdcError);
      expect((error as CdcError).code).toBe('TABLE_NOT_FOUND');
      expect((error as CdcError).hint).toBeTruthy();
    });

    test('count', 'counts exactly', async () => {
      expect(await source.count(compositeSchema)).toBe(BigInt(composite.rows.length));
      expect(await source.count(paritySchema)).toBe(BigInt(parity.rows.length));
    });

    test('estimate', 'estimates counts when it declares estimatedCount', async (ctx) => {
      if (!source.capabilities.estimatedCount) return ctx.skip('capabilities.estimatedCount is false');
      expect(source.estimateCount, 'estimatedCount is declared but estimateCount is missing').toBeDefined();
      const estimate = await source.estimateCount!(compositeSchema);
      expect(typeof estimate).toBe('bigint');
      expect(estimate).toBeGreaterThanOrEqual(0n);
    });

    test('splits', 'splits cover every row exactly once, each row inside its range', async () => {
      const hasher = await createRowHasher();
      const compare = (a: Key, b: Key) => compareKeys(a, b, keyTypes(compositeSchema));
      const partitioner = await fixture.partitioner?.(compositeSchema);
      for (const n of [1, 2, 7]) {
        const ranges = await source.splits(compositeSchema, n);
        expect(ranges.length).toBeGreaterThanOrEqual(1);
        expect(ranges.length).toBeLessThanOrEqual(n);
        const seen = new Map<string, number>();
        let counted = 0n;
        for (const range of ranges) {
          counted += await source.count(compositeSchema, range);
          const inside =
            range.kind === 'token' && !partitioner
              ? undefined
              : rangeFilter(compositeSchema, range, hasher, compare, partitioner);
          for (const batch of await collect(source, compositeSchema, { range, batchRows: 400 })) {
            for (const row of batch) {
              const k = byKey(compositeSchema)(row);
              if (inside) expect(inside(row), `${k} outside ${JSON.stringify(range, bigintJson)}`).toBe(true);
              seen.set(k, (seen.get(k) ?? 0) + 1);
            }
          }
        }
        expect(counted).toBe(BigInt(composite.rows.length));
        expect(seen.size).toBe(composite.rows.length);
        expect([...seen.values()].every((v) => v === 1)).toBe(true);
      }
    });

    test('scan', 'scans in bounded batches, every row once, values round-tripping canonically', async () => {
      const batches = await collect(source, compositeSchema, { batchRows: 300 });
      expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(300);
      expect(batches.flat()).toHaveLength(composite.rows.length);
      const rows = (await collect(source, paritySchema, { batchRows: 2 })).flat();
      expect(rows).toHaveLength(parity.rows.length);
      const expected = new Map(parity.rows.map((r) => [byKey(paritySchema)(r), r]));
      for (const row of rows) {
        const original = expected.get(byKey(paritySchema)(row));
        expect(original).toBeDefined();
        for (const col of parity.columns) {
          expect(canonicalText(row[col.name], col.type), `${col.name} of row ${String(row.id)}`).toBe(
            canonicalText(original![col.name], col.type),
          );
        }
      }
    });

    test(
      'order',
      'scans in the declared order: key order when ordered, token order inside each token split',
      async (ctx) => {
        const { orderedScan, tokenPartitioned } = source.capabilities;
        if (!orderedScan && !tokenPartitioned)
          return ctx.skip('the source declares neither orderedScan nor tokenPartitioned');
        const types = keyTypes(compositeSchema);
        const keyOf = (r: Row): Key => compositeSchema.primaryKey.map((k) => r[k]);
        if (orderedScan) {
          const rows = (await collect(source, compositeSchema, { ordered: true, batchRows: 500 })).flat();
          expect(rows).toHaveLength(composite.rows.length);
          for (let i = 1; i < rows.length; i++) {
            const c = compareKeys(keyOf(rows[i - 1]!), keyOf(rows[i]!), types);
            expect(c, `row ${i} is not after row ${i - 1} in canonical key order`).toBeLessThan(0);
          }
        }
        if (tokenPartitioned) {
          expect(fixture.partitioner, 'a token-partitioned source needs fixture.partitioner').toBeDefined();
          const partitioner = await fixture.partitioner!(compositeSchema);
          const ranges = await source.splits(compositeSchema, 7);
          let total = 0;
          for (const range of ranges) {
            expect(range.kind).toBe('token');
            const rows = (await collect(source, compositeSchema, { range, batchRows: 200 })).flat();
            total += rows.length;
            for (let i = 1; i < rows.length; i++) {
              const a = keyOf(rows[i - 1]!);
              const b = keyOf(rows[i]!);
              const ta = partitioner.tokenOf(a);
              const tb = partitioner.tokenOf(b);
              expect(ta <= tb, `row ${i} of a split has a smaller token than row ${i - 1}`).toBe(true);
              // Inside one partition, rows follow the clustering key (ascending by default).
              if (ta === tb) expect(compareKeys(a, b, types), `clustering order at row ${i}`).toBeLessThan(0);
            }
          }
          expect(total).toBe(composite.rows.length);
        }
      },
    );

    test('lookup', 'looks up rows by composite keys, ignoring missing ones', async () => {
      const keys: Key[] = [
        [0, 'k000000'],
        [3, 'k000010'],
        [1, 'k000008'],
        [6, 'no such key'],
      ];
      const rows = await source.lookup(compositeSchema, keys);
      expect(rows.map((r) => String(r.order)).sort()).toEqual(['k000000', 'k000008', 'k000010']);
      const parityRows = await source.lookup(paritySchema, [['2'], ['7']], ['txt']);
      expect(parityRows.map((r) => canonicalText(r.txt, { kind: 'text' })).sort()).toEqual(
        ['0:', '14:日本語 🎉'].sort(),
      );
    });

    test(
      'hash-pushdown',
      'pushes down summaries and key hashes identical to client-side hashing',
      async (ctx) => {
        if (!source.capabilities.hashPushdown) return ctx.skip('capabilities.hashPushdown is false');
        expect(source.summarize, 'hashPushdown is declared but summarize is missing').toBeDefined();
        expect(source.keyHashes, 'hashPushdown is declared but keyHashes is missing').toBeDefined();
        const hasher = await createRowHasher();
        const pushable = new Set(source.capabilities.pushdownKinds);
        const columns = paritySchema.columns
          .filter((c) => !paritySchema.primaryKey.includes(c.name))
          .filter(
            (c) => pushable.has(c.type.kind) && (c.type.kind !== 'list' || pushable.has(c.type.element.kind)),
          )
          .map((c) => c.name);
        expect(columns.length, 'no contract column is of a pushdown kind').toBeGreaterThan(0);
        const plan: HashPlan = {
          key: paritySchema.primaryKey,
          columns,
          mode: 'canonical',
          bucketing: { kind: 'key-hash', modulus: 3 },
        };
        const rows = (await collect(source, paritySchema)).flat();
        const expected = new Map<number, { count: number; sum: bigint }>();
        const expectedHashes = new Map<string, string>();
        for (const row of rows) {
          const digest = hasher.digest(rowString(row, paritySchema, plan));
          const bucket = hasher.keyBucket(keyString(row, paritySchema, plan), 3);
          const e = expected.get(bucket) ?? { count: 0, sum: 0n };
          expected.set(bucket, { count: e.count + 1, sum: addHashes(e.sum, hasher.rowHash(digest)) });
          expectedHashes.set(keyString(row, paritySchema, plan), digest);
        }
        // Column by column, so a mismatch names the type that differs.
        for (const column of columns) {
          const one: HashPlan = { ...plan, columns: [column] };
          const sums = await source.summarize!(paritySchema, one);
          let total = 0n;
          for (const row of rows)
            total = addHashes(total, hasher.rowHash(hasher.digest(rowString(row, paritySchema, one))));
          expect(
            sums.reduce((acc, s) => addHashes(acc, s.sum), 0n),
            column,
          ).toBe(total);
        }
        const summaries = await source.summarize!(paritySchema, plan);
        expect(new Map(summaries.map((s) => [s.bucket, { count: s.count, sum: s.sum }]))).toEqual(expected);
        const got = new Map<string, string>();
        for await (const batch of source.keyHashes!(paritySchema, plan, [0, 1, 2])) {
          for (const kh of batch) got.set(keyString({ id: kh.key[0] }, paritySchema, plan), kh.hash);
        }
        expect(got).toEqual(expectedHashes);
      },
    );

    test('int-range-buckets', 'buckets by integer key ranges when supported', async (ctx) => {
      if (!source.capabilities.intRangeBuckets) return ctx.skip('capabilities.intRangeBuckets is false');
      expect(source.summarize, 'intRangeBuckets is declared but summarize is missing').toBeDefined();
      const hasher = await createRowHasher();
      const plan: HashPlan = {
        key: ['id'],
        columns: ['txt'],
        mode: 'canonical',
        bucketing: { kind: 'int-range', column: 'id', start: 2n, width: 2n },
      };
      const rows = (await collect(source, paritySchema)).flat();
      const expected = new Map<number, number>();
      for (const row of rows) {
        const b = Math.floor((Number(row.id) - 2) / 2);
        expected.set(b, (expected.get(b) ?? 0) + 1);
      }
      const summaries = await source.summarize!(paritySchema, plan);
      expect(new Map(summaries.map((s) => [s.bucket, s.count]))).toEqual(expected);
      const bucket0 = rows.filter((r) => Number(r.id) >= 2 && Number(r.id) < 4);
      const got: string[] = [];
      for await (const batch of source.keyHashes!(paritySchema, plan, [0]))
        got.push(...batch.map((k) => k.hash));
      expect(got.sort()).toEqual(bucket0.map((r) => hasher.digest(rowString(r, paritySchema, plan))).sort());
    });

    if (fixture.sink) describeSinkContract(fixture.sink);
  });
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function describeSinkContract(sinkFixture: SinkContractFixture): void {
  describe('ChangeSink contract', () => {
    let sink: ChangeSink;
    let target: ScanSource;
    const source: TableSchema = {
      id: { schema: 'src', name: 'select' },
      columns: [
        { name: 'order', type: { kind: 'int64' }, nativeType: 'bigint', nullable: false },
        { name: 'Value "v"', type: { kind: 'text' }, nativeType: 'text', nullable: true },
        {
          name: 'amount',
          type: { kind: 'numeric', precision: 12, scale: 2 },
          nativeType: 'numeric(12,2)',
          nullable: true,
        },
      ],
      primaryKey: ['order'],
    };
    const mapping: TableMapping = {
      source: source,
      target: { schema: 'public', name: 'sink "target".t' },
      deletes: 'hard',
    };
    const table = source.id;
    beforeAll(async () => {
      sink = await sinkFixture.openSink();
      target = await sinkFixture.openTarget();
      await sink.prepare('contract', [mapping]);
    });
    afterAll(async () => {
      await sink?.close();
      await target?.close();
    });

    const read = async () => {
      const schema = await target.introspect(mapping.target);
      const rows = (await collect(target, schema)).flat();
      return rows
        .map(
          (r) =>
            `${String(r.order)}=${String(r['Value "v"'])}/${canonicalText(r.amount, { kind: 'numeric' })}`,
        )
        .sort();
    };

    it('applies a batch and its checkpoint; applying it again changes nothing', async () => {
      const epoch = await sink.acquire('contract');
      const batch = {
        partition: '*',
        position: 'p1',
        events: [
          {
            op: 'upsert' as const,
            table,
            key: { order: '1' },
            row: { order: '1', 'Value "v"': 'a', amount: '1.50' },
          },
          {
            op: 'upsert' as const,
            table,
            key: { order: '2' },
            row: { order: '2', 'Value "v"': 'b', amount: null },
          },
          {
            op: 'upsert' as const,
            table,
            key: { order: '1' },
            row: { order: '1', 'Value "v"': 'a2', amount: '2' },
          },
          {
            op: 'upsert' as const,
            table,
            key: { order: '3' },
            row: { order: '3', 'Value "v"': 'c', amount: '3' },
          },
          { op: 'delete' as const, table, key: { order: '3' } },
        ],
      };
      await sink.apply('contract', epoch, batch);
      const first = await read();
      expect(first).toEqual(['1=a2/2', '2=b/\\N']);
      await sink.apply('contract', epoch, batch);
      expect(await read()).toEqual(first);
      expect((await sink.checkpoints('contract')).get('*')).toBe('p1');
    });

    it('applies nothing of a batch that fails part-way', async () => {
      const epoch = await sink.acquire('contract');
      const error = await sink
        .apply('contract', epoch, {
          partition: '*',
          position: 'p-broken',
          events: [
            {
              op: 'upsert',
              table,
              key: { order: '7' },
              row: { order: '7', 'Value "v"': 'seven', amount: '7' },
            },
            { op: 'delete', table, key: { order: '1' } },
            // A table that was never prepared, after the changes above may already be written: the
            // sink must reject the whole batch.
            { op: 'delete-range', table: { schema: 'src', name: 'unmapped' }, prefix: { id: 1 } },
          ],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(await read()).toEqual(['1=a2/2', '2=b/\\N']);
      expect((await sink.checkpoints('contract')).get('*')).toBe('p1');
    });

    it('fences a stale epoch: nothing of its batch is applied', async () => {
      const stale = await sink.acquire('contract');
      const fresh = await sink.acquire('contract');
      expect(fresh).toBeGreaterThan(stale);
      const error = await sink
        .apply('contract', stale, {
          partition: '*',
          position: 'p2',
          events: [
            { op: 'upsert', table, key: { order: '9' }, row: { order: '9', 'Value "v"': 'z', amount: '9' } },
          ],
        })
        .catch((e: unknown) => e);
      expect((error as CdcError).code).toBe('FENCED');
      expect(await read()).toEqual(['1=a2/2', '2=b/\\N']);
      expect((await sink.checkpoints('contract')).get('*')).toBe('p1');
    });
  });
}
