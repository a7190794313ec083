import { decodeSegments, diffTables, encodeSegments, snapshotPartition } from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectPostgres,
  PostgresResultStore,
  PostgresVerificationStore,
  type PostgresAdapter,
} from '../src/index.js';

const db = useTestDatabase();

describe('PostgresVerificationStore (cdc_meta.verification)', () => {
  let adapter: PostgresAdapter;
  beforeAll(() => {
    adapter = connectPostgres({ url: db().url });
  });
  afterAll(async () => {
    await adapter.close();
  });

  it('checkpoints a sweep with typed segment bounds and reads it back', async () => {
    const store = await PostgresVerificationStore.open(adapter);
    expect(await store.loadSweep('p', 'public.t')).toBeUndefined();
    const segments = [
      { kind: 'key' as const, upper: [10n] },
      { kind: 'key' as const, lower: [10n], upper: [9_007_199_254_740_993n] },
      { kind: 'key' as const, lower: [9_007_199_254_740_993n] },
    ];
    const started = new Date('2024-01-02T03:04:05.678Z');
    await store.saveSweep('p', 'public.t', 'public.t', {
      cycle: 3,
      cycleStartedAt: started,
      segments: encodeSegments(segments),
      nextSegment: 1,
      rows: 10,
      differences: 2,
      lastCompleteStartedAt: new Date('2024-01-01T00:00:00Z'),
    });
    await store.saveSweep('p', 'public.t', 'public.t', {
      cycle: 3,
      cycleStartedAt: started,
      segments: encodeSegments(segments),
      nextSegment: 2,
      rows: 20,
      differences: 2,
      lastCompleteStartedAt: new Date('2024-01-01T00:00:00Z'),
    });
    const back = await store.loadSweep('p', 'public.t');
    expect(back).toMatchObject({
      cycle: 3,
      cycleStartedAt: started,
      nextSegment: 2,
      rows: 20,
      differences: 2,
    });
    expect(back?.lastCompleteStartedAt).toEqual(new Date('2024-01-01T00:00:00Z'));
    expect(back?.lastCompleteFinishedAt).toBeUndefined();
    expect(decodeSegments(back!.segments)).toEqual(segments);

    await store.saveChanged('p', 'public.t', 'public.t', {
      verifiedThrough: started,
      rows: 5,
      differences: 1,
    });
    await store.saveChanged('p', 'public.t', 'public.t', {
      verifiedThrough: started,
      rows: 7,
      differences: 0,
    });
    const [record] = await store.records('p');
    expect(record).toMatchObject({
      pipeline: 'p',
      table: 'public.t',
      cycle: 3,
      segmentsDone: 2,
      segmentsTotal: 3,
      changedRows: 12n,
      changedDifferences: 1n,
      changedVerifiedThrough: started,
    });
  });

  it('knows when a snapshot is done from the pipeline checkpoints', async () => {
    const store = await PostgresVerificationStore.open(adapter);
    const table = { schema: 'public', name: 'snap' };
    expect(await store.snapshotDone('sp', table)).toBe(false);
    await db().query("INSERT INTO cdc_meta.pipelines (pipeline, epoch) VALUES ('sp', 1)");
    await db().query(
      `INSERT INTO cdc_meta.checkpoints (pipeline, partition, position, epoch) VALUES ('sp', $1, $2, 1)`,
      [snapshotPartition(table), JSON.stringify({ state: 'running', position: '0/1' })],
    );
    expect(await store.snapshotDone('sp', table)).toBe(false);
    await db().query(`UPDATE cdc_meta.checkpoints SET position = $1 WHERE pipeline = 'sp'`, [
      JSON.stringify({ state: 'done', position: '0/1' }),
    ]);
    expect(await store.snapshotDone('sp', table)).toBe(true);
  });

  it('stores differences as a verify run (reports and repair read it) and applies an audited repair', async () => {
    await db().query('CREATE TABLE vs_src (id int PRIMARY KEY, v text)');
    await db().query('CREATE TABLE vs_dst (id int PRIMARY KEY, v text)');
    await db().query("INSERT INTO vs_src VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    await db().query("INSERT INTO vs_dst VALUES (1, 'a'), (2, 'B'), (4, 'd')");
    const [s, t] = await Promise.all([
      adapter.introspect({ schema: 'public', name: 'vs_src' }),
      adapter.introspect({ schema: 'public', name: 'vs_dst' }),
    ]);
    const result = await diffTables({
      source: { source: adapter, table: s },
      target: { source: adapter, table: t },
      keys: [[1], [2], [3], [4]],
    });
    const store = await PostgresVerificationStore.open(adapter, { targetLabel: 'postgres://h/db' });
    const runId = await store.recordDifferences({ pipeline: 'p', mode: 'changed', result, durationMs: 12 });
    const run = await (await PostgresResultStore.open(adapter)).getRun(runId);
    expect(run).toMatchObject({ kind: 'verify', status: 'differences', target: 'postgres://h/db' });
    expect(run?.options).toMatchObject({ pipeline: 'p', mode: 'changed' });
    expect(run?.tables[0]?.samples.map((x) => [x.kind, x.key])).toEqual([
      ['mismatched', [2]],
      ['missing', [3]],
      ['extra', [4]],
    ]);
    const repaired = await store.repair(runId, result, t, { operations: ['insert', 'update', 'delete'] });
    expect(repaired).toEqual({ rowsChanged: 3, guardsFailed: 0 });
    expect(await db().query('SELECT id, v FROM vs_dst ORDER BY id')).toEqual(
      await db().query('SELECT id, v FROM vs_src ORDER BY id'),
    );
    const audited = await db().query<{ mode: string; rows_changed: string }>(
      'SELECT mode, rows_changed::text FROM cdc_meta.repairs WHERE run_id = $1',
      [runId],
    );
    expect(audited).toEqual([{ mode: 'apply', rows_changed: '3' }]);
  });
});
