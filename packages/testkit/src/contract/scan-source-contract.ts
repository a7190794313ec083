/**
 * The adapter contract suite: one spec every {@link ScanSource} (and optionally {@link ChangeSink})
 * must pass, run by each adapter package from its own tests against a real engine.
 */
import {
  CdcError,
  addHashes,
  canonicalText,
  createRowHasher,
  keyString,
  rowString,
  type ChangeSink,
  type HashPlan,
  type Key,
  type Row,
  type ScanSource,
  type TableId,
  type TableMapping,
  type TableSchema,
} from '@cdc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compositeKeyTable, typeParityTable, type ContractTable } from './contract-tables.js';

/** What the sink part of the suite needs (optional per fixture). */
export interface SinkContractFixture {
  /** Opens the sink under test. */
  openSink(): Promise<ChangeSink>;
  /** A reader over the sink's target database, to check what was applied. */
  openTarget(): Promise<ScanSource>;
}

/** How the suite reaches one engine. */
export interface ScanSourceContractFixture {
  /** Opens the adapter under test. */
  connect(): Promise<ScanSource>;
  /** Creates `table` (native types chosen by the fixture for each logical type), inserts its rows. */
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

async function collect(source: ScanSource, schema: TableSchema, options = {}): Promise<Row[][]> {
  const batches: Row[][] = [];
  for await (const batch of source.scan(schema, options)) batches.push(batch);
  return batches;
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
 * ```
 */
export function describeScanSourceContract(name: string, fixture: ScanSourceContractFixture): void {
  const register = fixture.skip ? describe.skip : describe;
  register(`ScanSource contract: ${name}${fixture.skip ? ` (skipped: ${fixture.skip})` : ''}`, () => {
    let source: ScanSource;
    const parity = typeParityTable('type parity "t"');
    const composite = compositeKeyTable(HOSTILE_NAMES[0]!, 2_500);
    let paritySchema: TableSchema;
    let compositeSchema: TableSchema;

    beforeAll(async () => {
      source = await fixture.connect();
      paritySchema = await source.introspect(await fixture.createTable(parity));
      compositeSchema = await source.introspect(await fixture.createTable(composite));
    });
    afterAll(async () => {
      await source?.close();
      await fixture.teardown?.();
    });

    it('introspects logical types, nullability and composite keys', () => {
      expect(paritySchema.primaryKey).toEqual(['id']);
      for (const col of parity.columns) {
        const found = paritySchema.columns.find((c) => c.name === col.name);
        expect(found?.type.kind, col.name).toBe(col.type.kind);
      }
      expect(compositeSchema.primaryKey).toEqual(['Tenant Id', 'order']);
      expect(compositeSchema.columns.map((c) => c.name)).toEqual(composite.columns.map((c) => c.name));
    });

    it('reports TABLE_NOT_FOUND with a hint for a missing table', async () => {
      const error = await source.introspect({ name: 'no such table' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CdcError);
      expect((error as CdcError).code).toBe('TABLE_NOT_FOUND');
      expect((error as CdcError).hint).toBeTruthy();
    });

    it('counts exactly', async () => {
      expect(await source.count(compositeSchema)).toBe(BigInt(composite.rows.length));
      expect(await source.count(paritySchema)).toBe(BigInt(parity.rows.length));
    });

    it('splits cover every row exactly once', async () => {
      for (const n of [1, 2, 7]) {
        const ranges = await source.splits(compositeSchema, n);
        expect(ranges.length).toBeGreaterThanOrEqual(1);
        expect(ranges.length).toBeLessThanOrEqual(n);
        const seen = new Map<string, number>();
        let counted = 0n;
        for (const range of ranges) {
          counted += await source.count(compositeSchema, range);
          for (const batch of await collect(source, compositeSchema, { range, batchRows: 400 })) {
            for (const row of batch) {
              const k = byKey(compositeSchema)(row);
              seen.set(k, (seen.get(k) ?? 0) + 1);
            }
          }
        }
        expect(counted).toBe(BigInt(composite.rows.length));
        expect(seen.size).toBe(composite.rows.length);
        expect([...seen.values()].every((v) => v === 1)).toBe(true);
      }
    });

    it('scans in bounded batches, every row once, values round-tripping canonically', async () => {
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

    it('scans in canonical key order when ordered', async () => {
      if (!source.capabilities.orderedScan) return;
      const rows = (await collect(source, compositeSchema, { ordered: true, batchRows: 500 })).flat();
      const keys = rows.map((r) => [Number(r['Tenant Id']), String(r.order)] as const);
      const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      expect(keys).toEqual(sorted);
    });

    it('looks up rows by composite keys, ignoring missing ones', async () => {
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

    it('pushes down summaries and key hashes identical to client-side hashing', async () => {
      if (!source.capabilities.hashPushdown || !source.summarize || !source.keyHashes) return;
      const hasher = await createRowHasher();
      const pushable = new Set(source.capabilities.pushdownKinds);
      const columns = paritySchema.columns
        .filter((c) => !paritySchema.primaryKey.includes(c.name))
        .filter(
          (c) => pushable.has(c.type.kind) && (c.type.kind !== 'list' || pushable.has(c.type.element.kind)),
        )
        .map((c) => c.name);
      expect(columns.length).toBeGreaterThan(10);
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
        const sums = await source.summarize(paritySchema, one);
        let total = 0n;
        for (const row of rows)
          total = addHashes(total, hasher.rowHash(hasher.digest(rowString(row, paritySchema, one))));
        expect(
          sums.reduce((acc, s) => addHashes(acc, s.sum), 0n),
          column,
        ).toBe(total);
      }
      const summaries = await source.summarize(paritySchema, plan);
      expect(new Map(summaries.map((s) => [s.bucket, { count: s.count, sum: s.sum }]))).toEqual(expected);
      const got = new Map<string, string>();
      for await (const batch of source.keyHashes(paritySchema, plan, [0, 1, 2])) {
        for (const kh of batch) got.set(keyString({ id: kh.key[0] }, paritySchema, plan), kh.hash);
      }
      expect(got).toEqual(expectedHashes);
    });

    it('buckets by integer key ranges when supported', async () => {
      if (!source.capabilities.intRangeBuckets || !source.summarize) return;
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
      const summaries = await source.summarize(paritySchema, plan);
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
