import { MemoryScanSource } from '@cdc/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { DiffResult } from '../diff-types.js';
import type { Row, TableId, TableSchema } from '../schema.js';
import {
  observeCommits,
  startVerifier,
  verifySettings,
  type PipelineVerifier,
  type SweepCheckpoint,
  type VerificationStore,
  type VerifyEvent,
  type VerifySettings,
} from './verifier.js';
import { ChangedKeyQueue } from './verify-queue.js';
import { quietWaitMs } from './verify-quiet-hours.js';
import { decodeSegments, encodeSegments } from './verify-segments.js';
import { InMemoryChangeSink } from './in-memory-doubles.js';

const table: TableSchema = {
  id: { schema: 'public', name: 'items' },
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int64' }, nativeType: 'bigint', nullable: false },
    { name: 'v', type: { kind: 'text' }, nativeType: 'text', nullable: true },
  ],
};
const rows = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({ id: BigInt(i + 1), v: `v${i + 1}` }));

/** The store as `cdc_meta` keeps it, in memory (the PostgreSQL store has its own tests). */
class MemoryStore implements VerificationStore {
  sweeps = new Map<string, SweepCheckpoint>();
  saves: SweepCheckpoint[] = [];
  runs: { mode: string; result: DiffResult }[] = [];
  changed = new Map<string, { verifiedThrough: Date; rows: number; differences: number }>();
  snapshot = true;
  async loadSweep(_p: string, t: string) {
    const s = this.sweeps.get(t);
    return s ? { ...s } : undefined;
  }
  async saveSweep(_p: string, t: string, _target: string, state: SweepCheckpoint) {
    this.sweeps.set(t, { ...state });
    this.saves.push({ ...state });
  }
  async saveChanged(
    _p: string,
    t: string,
    _target: string,
    m: { verifiedThrough: Date; rows: number; differences: number },
  ) {
    const prior = this.changed.get(t);
    this.changed.set(t, {
      verifiedThrough: m.verifiedThrough,
      rows: (prior?.rows ?? 0) + m.rows,
      differences: (prior?.differences ?? 0) + m.differences,
    });
  }
  async snapshotDone(_p: string, _t: TableId) {
    return this.snapshot;
  }
  async recordDifferences(r: { mode: string; result: DiffResult }) {
    this.runs.push(r);
    return String(this.runs.length);
  }
}

async function until<T>(what: string, probe: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const running: PipelineVerifier[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((v) => v.stop()));
});

function setup(
  n: number,
  verify: Parameters<typeof verifySettings>[0] = {},
  tune: (s: VerifySettings) => void = () => undefined,
) {
  const source = new MemoryScanSource({ capabilities: { hashPushdown: true } }).addTable(table, rows(n));
  const target = new MemoryScanSource({ capabilities: { hashPushdown: true } }).addTable(table, rows(n));
  const store = new MemoryStore();
  const events: VerifyEvent[] = [];
  const start = () => {
    const settings = verifySettings(verify);
    // No pipeline runs here: "replication idle" after 200 ms instead of 2 s.
    settings.changed.idleMs = 200;
    tune(settings);
    const v = startVerifier({
      pipeline: 'p',
      tables: [{ table: { schema: 'public', name: 'items' } }],
      settings,
      source,
      target,
      store,
      onEvent: (e) => events.push(e),
    });
    running.push(v);
    return v;
  };
  return { source, target, store, events, start };
}

const batch = (ids: number[], commitTimeMs?: number) => ({
  partition: '*',
  position: String(ids[0]),
  ...(commitTimeMs !== undefined ? { commitTimeMicros: BigInt(commitTimeMs) * 1000n } : {}),
  events: ids.map((id) => ({
    op: 'upsert' as const,
    table: table.id,
    key: { id: BigInt(id) },
    row: { id: BigInt(id), v: `x${id}` },
  })),
});

describe('changed-key verification', () => {
  it('reports a committed key whose target row differs, once it persists, and nothing for equal keys', async () => {
    const { target, store, events, start } = setup(50, {
      changed: { recheckAfterMs: 50 },
      sweep: { enabled: false },
    });
    const v = start();
    await until('tables resolved', () => v.status().tables[0]?.state === 'verifying');
    target.put(table.id, { id: 7n, v: 'corrupt' });
    v.committed(batch([5, 6, 7]));
    const run = await until('a stored difference', () => store.runs[0]);
    expect(run.mode).toBe('changed');
    expect(run.result.differences.map((d) => [d.kind, d.key.id, d.columns])).toEqual([
      ['mismatched', 7n, ['v']],
    ]);
    expect(run.result.live?.recheckAfterMs).toBeGreaterThanOrEqual(50);
    await until('counted', () => v.status().tables[0]!.changed.rows === 3);
    expect(v.status().tables[0]!.changed.differences).toBe(1);
    expect(events.some((e) => e.type === 'differences' && e.summary.mismatched === 1)).toBe(true);
    // The event carries no values, only counts and the run id.
    expect(JSON.stringify(events.filter((e) => e.type === 'differences'))).not.toContain('corrupt');
  });

  it('does not report a row replication has not caught up on: it waits for the batch, which takes over', async () => {
    const { source, target, store, start } = setup(10, {
      changed: { recheckAfterMs: 50 },
      sweep: { enabled: false },
    });
    const v = start();
    await until('resolved', () => v.status().tables[0]?.state === 'verifying');
    // The source is already two changes ahead of what the committed batch carried (lag).
    source.put(table.id, { id: 3n, v: 'newer' });
    v.committed(batch([3], Date.now() - 1000));
    // Replication keeps applying older source commits for a while: the re-check must not conclude.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      v.committed({ ...batch([], Date.now() - 1000), events: [] });
    }
    expect(store.runs).toEqual([]);
    // Then the change of row 3 arrives (and with it a newer commit time).
    target.put(table.id, { id: 3n, v: 'newer' });
    v.committed(batch([3], Date.now()));
    await new Promise((r) => setTimeout(r, 50));
    await until('nothing left to verify', () => v.status().changedLagSeconds === 0);
    expect(v.status().tables[0]!.changed.rows).toBe(2);
    expect(store.runs).toEqual([]);
  });

  it('reports at once when replication has applied past the first read; gives up (reports nothing) when it stays behind', async () => {
    const { target, store, start } = setup(
      10,
      { changed: { recheckAfterMs: 0 }, sweep: { enabled: false } },
      (s) => {
        s.changed.idleMs = 60_000;
        s.changed.maxWaitMs = 400;
      },
    );
    const v = start();
    await until('resolved', () => v.status().tables[0]?.state === 'verifying');
    target.put(table.id, { id: 4n, v: 'lost update' });
    // Replication stays behind the first read: no verdict within maxWaitMs, the key is tried again.
    v.committed(batch([4], Date.now() - 5000));
    await new Promise((r) => setTimeout(r, 1500));
    expect(store.runs).toEqual([]);
    // Replication moves past: a batch committed at the source after the read is applied.
    v.committed(batch([4], Date.now() - 5000));
    await new Promise((r) => setTimeout(r, 20));
    v.committed({ ...batch([], Date.now() + 1000), events: [] });
    const run = await until('the difference', () => store.runs[0]);
    expect(run.result.differences.map((d) => d.key.id)).toEqual([4n]);
    expect(run.result.live?.recheckAfterMs).toBeLessThan(400);
  });

  it('observes batches through the sink wrapper, skips snapshot batches, and samples under pressure', async () => {
    const { start, events } = setup(10, { changed: { queueKeys: 100 }, sweep: { enabled: false } });
    const v = start();
    await until('resolved', () => v.status().tables[0]?.state === 'verifying');
    const sink = observeCommits(new InMemoryChangeSink(), v);
    await sink.prepare('p', [{ source: table, target: table.id, deletes: 'hard' }]);
    const epoch = await sink.acquire('p');
    const plain = (ids: number[], partition: string) => ({
      partition,
      position: '1',
      events: ids.map((id) => ({
        op: 'upsert' as const,
        table: table.id,
        key: { id },
        row: { id, v: `v${id}` },
      })),
    });
    await sink.apply('p', epoch, plain([1, 2], 'snapshot:public.items'));
    expect(v.status().queueDepth).toBe(0);
    await sink.apply('p', epoch, plain([1, 2], '*'));
    await until('the committed keys verified', () => v.status().tables[0]!.changed.rows === 2);
    const q = new ChangedKeyQueue({ capacity: 100, random: () => 0.99 });
    const outcomes = Array.from({ length: 120 }, (_, i) =>
      q.offer({ table: 't', keyText: String(i), key: [i], committedAt: 0, attempts: 0 }),
    );
    expect(outcomes.filter((o) => o === 'queued').length).toBe(51);
    expect(outcomes.filter((o) => o === 'sampled').length).toBe(69);
    expect(q.offer({ table: 't', keyText: '1', key: [1], committedAt: 0, attempts: 0 })).toBe('merged');
    v.committed(batch(Array.from({ length: 300 }, (_, i) => i + 1)));
    const sampled = events
      .filter((e) => e.type === 'sampled')
      .reduce((n, e) => n + (e.type === 'sampled' ? e.keys : 0), 0);
    expect(sampled).toBeGreaterThan(0);
    expect(v.status().tables[0]!.changed.sampled).toBe(sampled);
  });
});

describe('the sweep', () => {
  it('finds a cold corrupted row within one cycle and checkpoints every segment', async () => {
    const { target, store, start } = setup(1000, {
      changed: { enabled: false },
      sweep: { rowsPerSecond: 100_000, segmentRows: 200, minIntervalSeconds: 0 },
    });
    target.put(table.id, { id: 555n, v: 'corrupt' });
    target.remove(table.id, [900n]);
    const v = start();
    const run = await until('a stored sweep difference', () => store.runs[0]);
    expect(run.mode).toBe('sweep');
    await until('two differences', () => store.runs.length >= 2 || run.result.differences.length === 2);
    const found = store.runs.flatMap((r) => r.result.differences.map((d) => [d.kind, d.key.id]));
    expect(found).toEqual(
      expect.arrayContaining([
        ['mismatched', 555n],
        ['missing', 900n],
      ]),
    );
    const done = await until('a complete cycle', () => v.status().tables[0]!.sweep.lastCompleteStartedAt);
    expect(v.status().tables[0]!.verifiedThrough).toBe(done);
    const first = store.saves.filter((s) => s.cycle === 1);
    expect(first.length).toBeGreaterThanOrEqual(5); // planned, then one save per segment
    expect(first.map((s) => s.nextSegment)).toEqual([...first.keys()]);
  });

  it('resumes a cycle from its checkpoint after a restart', async () => {
    const { store, start } = setup(1000, {
      changed: { enabled: false },
      sweep: { rowsPerSecond: 2000, segmentRows: 100, minIntervalSeconds: 0 },
    });
    const first = start();
    await until('three segments done', () => (store.sweeps.get('public.items')?.nextSegment ?? 0) >= 3);
    await first.stop();
    const stopped = store.sweeps.get('public.items')!;
    store.saves = [];
    start();
    await until('one more segment', () => store.saves.length > 0);
    expect(store.saves[0]).toMatchObject({ cycle: stopped.cycle, nextSegment: stopped.nextSegment + 1 });
    expect(store.saves[0]!.cycleStartedAt).toEqual(stopped.cycleStartedAt);
  });

  it('waits for the snapshot', async () => {
    const { store, start } = setup(10, { changed: { enabled: false }, sweep: { minIntervalSeconds: 0 } });
    store.snapshot = false;
    start();
    await new Promise((r) => setTimeout(r, 300));
    expect(store.saves).toEqual([]);
    store.snapshot = true;
    await until('a cycle', () => store.saves.length > 0, 5_000);
  });
});

describe('verification helpers', () => {
  it('stores segments with their key types', () => {
    const segments = [
      { kind: 'key' as const, upper: [5n, new Date(0), Buffer.from('ab')] },
      { kind: 'key' as const, lower: [5n, new Date(0), Buffer.from('ab')], upper: ['x', 1.5, null] },
      { kind: 'token' as const, start: -(2n ** 63n), end: 2n ** 62n },
      undefined,
    ];
    expect(decodeSegments(encodeSegments(segments))).toEqual(segments);
    expect(() => decodeSegments('{"a":1}')).toThrow(/no list/);
  });

  it('waits out quiet hours, across midnight and in a time zone', () => {
    const at = (iso: string) => new Date(iso);
    expect(quietWaitMs(at('2024-05-01T09:30:00Z'), ['08:00-18:00'])).toBe(8.5 * 3600_000);
    expect(quietWaitMs(at('2024-05-01T19:00:00Z'), ['08:00-18:00'])).toBe(0);
    expect(quietWaitMs(at('2024-05-01T23:00:00Z'), ['22:00-02:00'])).toBe(3 * 3600_000);
    expect(quietWaitMs(at('2024-05-01T01:00:00Z'), ['22:00-02:00'])).toBe(3600_000);
    // 09:30 UTC is 11:30 in Berlin (summer time)
    expect(quietWaitMs(at('2024-05-01T09:30:00Z'), ['11:00-12:00'], 'Europe/Berlin')).toBe(30 * 60_000);
    expect(quietWaitMs(at('2024-05-01T09:30:00Z'), [])).toBe(0);
  });
});
