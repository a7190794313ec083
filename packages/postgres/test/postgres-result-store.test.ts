import { useTestDatabase } from '@cdc/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  META_MIGRATIONS,
  PostgresResultStore,
  connectPostgres,
  migrateMeta,
  type PostgresAdapter,
} from '../src/index.js';

const db = useTestDatabase();

describe('PostgresResultStore', () => {
  let adapter: PostgresAdapter;
  beforeAll(() => {
    adapter = connectPostgres({ url: db().url });
  });
  afterAll(async () => {
    await adapter.close();
  });

  it('creates cdc_meta by versioned migrations, once, even when opened concurrently', async () => {
    await Promise.all([PostgresResultStore.open(adapter), PostgresResultStore.open(adapter)]);
    const applied = await db().query<{ name: string }>('SELECT name FROM cdc_meta.migrations ORDER BY name');
    expect(applied.map((r) => r.name)).toEqual(Object.keys(META_MIGRATIONS).sort());
    expect(await migrateMeta(adapter.db)).toEqual([]);
    const tables = await db().query<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'cdc_meta' ORDER BY 1`,
    );
    expect(tables.map((r) => r.t)).toEqual(
      expect.arrayContaining([
        'runs',
        'table_results',
        'difference_samples',
        'repairs',
        'checkpoints',
        'dead_letters',
        'pipelines',
      ]),
    );
  });

  it('records runs, table results, difference samples and repairs, and reads them back', async () => {
    const store = await PostgresResultStore.open(adapter);
    const runId = await store.startRun({
      kind: 'diff',
      source: 'mssql://db/app',
      target: 'postgres://pg/app',
      options: { maxDiffs: 10n },
    });
    const tableId = await store.recordTableResult(runId, {
      sourceTable: 'dbo."Order"',
      targetTable: 'public."order"',
      strategy: 'hash',
      hashing: 'canonical-pushdown',
      sourceRows: 10_000_000_000n,
      targetRows: 9_999_999_999n,
      missing: 1,
      extra: 0,
      mismatched: 1n,
      durationMs: 1234.6,
      stats: { queries: 12 },
    });
    await store.recordDifferences(tableId, [
      {
        kind: 'missing',
        key: [1n, 'a'],
        columns: ['v'],
        sourceRow: { id: 1n, bin: new Uint8Array([0, 255]) },
        targetRow: null,
      },
      { kind: 'mismatched', key: [2n, 'b'], columns: ['v'], sourceRow: { v: 'x' }, targetRow: { v: 'y' } },
    ]);
    await store.recordRepair({
      runId,
      targetTable: 'public."order"',
      mode: 'script',
      statements: 2,
      rowsChanged: 0,
      guardsFailed: 0,
      script: 'BEGIN;\nCOMMIT;',
    });
    await store.finishRun(runId, { status: 'differences', summary: { missing: 1, mismatched: 1 } });
    const other = await store.startRun({ kind: 'reconcile' });

    const runs = await store.listRuns();
    expect(runs.map((r) => r.id)).toEqual([other, runId]);
    expect((await store.listRuns({ kind: 'diff' })).map((r) => r.id)).toEqual([runId]);
    expect((await store.listRuns({ kind: ['verify', 'diff'] })).map((r) => r.id)).toEqual([runId]);
    expect(await store.listRuns({ kind: ['verify'] })).toEqual([]);
    const run = await store.getRun(runId);
    expect(run).toMatchObject({
      kind: 'diff',
      status: 'differences',
      source: 'mssql://db/app',
      options: { maxDiffs: '10' },
      summary: { missing: 1, mismatched: 1 },
    });
    expect(run?.finishedAt).toBeInstanceOf(Date);
    expect(run?.tables).toHaveLength(1);
    expect(run?.tables[0]).toMatchObject({
      sourceTable: 'dbo."Order"',
      hashing: 'canonical-pushdown',
      sourceRows: 10_000_000_000n,
      missing: 1n,
      mismatched: 1n,
      durationMs: 1235,
    });
    expect(run?.tables[0]?.samples).toEqual([
      { kind: 'missing', key: ['1', 'a'], columns: ['v'], sourceRow: { id: '1', bin: '\\x00ff' } },
      { kind: 'mismatched', key: ['2', 'b'], columns: ['v'], sourceRow: { v: 'x' }, targetRow: { v: 'y' } },
    ]);
    expect(run?.repairs).toMatchObject([{ mode: 'script', statements: 2, script: 'BEGIN;\nCOMMIT;' }]);
    expect(await store.getRun('999999')).toBeUndefined();
    expect(await store.getRun('not a number')).toBeUndefined();
  });
});
