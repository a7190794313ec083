import { type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ChangeSink } from '@cdc/core';
import { createLogger } from '@cdc/metrics';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '@cdc/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type WorkerStatus } from '../src/index.js';
import { loadWorkerConfig } from '../src/worker-config.js';
import { buildWorkerBundle, exited, startWorkerProcess } from './worker-bundle.js';

// Always-on verification (issue 18) on real PostgreSQL source and target databases: the worker runs
// in-process, except for the SIGKILL test, which kills the real cdc-worker binary.
const src = useTestDatabase('cdc_verify_src');
let dst: TestDatabase;
let dir: string;
const slots: string[] = [];
const children = new Set<ChildProcess>();

/** Log lines the worker wrote (JSON), to check what verification logs. */
const lines: Record<string, unknown>[] = [];
const logger = createLogger({
  level: 'info',
  pretty: false,
  destination: new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  }),
});

beforeAll(async () => {
  dst = await createTestDatabase('cdc_verify_dst');
  dir = await mkdtemp(join(tmpdir(), 'cdc-verify-'));
  for (const t of ['hot', 'cold', 'dropped', 'killed', 'healed', 'busy']) {
    await src().query(`CREATE TABLE ${t} (id int PRIMARY KEY, balance int NOT NULL, memo text)`);
  }
  await src().query("INSERT INTO hot SELECT g, g, 'm' || g FROM generate_series(1, 500) g");
  await src().query("INSERT INTO cold SELECT g, g, 'm' || g FROM generate_series(1, 1000) g");
  await src().query("INSERT INTO dropped SELECT g, g, 'm' || g FROM generate_series(1, 200) g");
  await src().query("INSERT INTO killed SELECT g, g, 'm' || g FROM generate_series(1, 2000) g");
  await src().query("INSERT INTO healed SELECT g, g, 'm' || g FROM generate_series(1, 300) g");
  await src().query("INSERT INTO busy SELECT g, g, 'm' || g FROM generate_series(1, 3000) g");
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const slot of slots) {
    await src()
      .query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [
        slot,
      ])
      .catch(() => undefined);
  }
  await dst.drop();
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, pipeline: string[]): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    [
      'connections:',
      `  src: { url: "${src().url}" }`,
      `  dst: { url: "${dst.url}" }`,
      'pipelines:',
      ...pipeline,
      '',
    ].join('\n'),
  );
  slots.push(`cdc_${name}`);
  return file;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface StoredFinding {
  run_id: string;
  options: { pipeline: string; mode: string; cycle?: number };
  started_at: Date;
  kind: string;
  key: unknown[];
  columns: string[] | null;
}

/** Differences verification stored in cdc_meta for a table (as `cdc reconcile report` reads them). */
async function findings(table: string): Promise<StoredFinding[]> {
  return dst.query<StoredFinding>(
    `SELECT r.id AS run_id, r.options, r.started_at, s.kind, s.key, s.columns
       FROM cdc_meta.runs r
       JOIN cdc_meta.table_results tr ON tr.run_id = r.id
       JOIN cdc_meta.difference_samples s ON s.table_result_id = tr.id
      WHERE r.kind = 'verify' AND tr.source_table::jsonb ->> 'name' = $1
      ORDER BY s.id`,
    [table],
  );
}

async function startIn(name: string, pipeline: string[], wrapSink?: (sink: ChangeSink) => ChangeSink) {
  const { config } = await loadWorkerConfig(await configFile(name, pipeline), {});
  const worker = await startWorker({ config, logger, metricsPort: 0, ...(wrapSink ? { wrapSink } : {}) });
  await until('pipeline running', async () => worker.pipelines.get(name)?.state === 'running');
  return worker;
}

const targetCount = async (table: string) =>
  (await dst.query<{ n: number }>(`SELECT count(*)::int AS n FROM public.${table}`))[0]?.n;

describe('always-on verification (real PostgreSQL)', () => {
  it('reports a row the pipeline is changing, corrupted behind cdc’s back, within 5 s', async () => {
    const worker = await startIn('hot', [
      '  - name: hot',
      '    source: src',
      '    target: dst',
      '    tables: [public.hot]',
      '    verify: { changed: { recheckAfterMs: 300 }, sweep: { enabled: false } }',
    ]);
    try {
      await until('snapshot copied', async () => (await targetCount('hot')) === 500);
      // Another writer on the target: whenever row 42 is written, its memo is overwritten.
      await dst.query(`CREATE FUNCTION rogue() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.id = 42 THEN NEW.memo := 'rogue'; END IF; RETURN NEW; END $$`);
      await dst.query(
        'CREATE TRIGGER rogue BEFORE UPDATE ON public.hot FOR EACH ROW EXECUTE FUNCTION rogue()',
      );
      // The pipeline keeps changing rows 40–45; only 42 is corrupted.
      const changedAt = Date.now();
      await src().query('UPDATE hot SET balance = balance + 1 WHERE id BETWEEN 40 AND 45');
      const [found] = await until('the difference stored in cdc_meta', async () => {
        const f = await findings('hot');
        return f.length > 0 ? f : undefined;
      });
      const elapsedMs = Date.now() - changedAt;
      expect(found).toMatchObject({ kind: 'mismatched', key: [42], columns: ['memo'] });
      expect(found!.options).toMatchObject({ pipeline: 'hot', mode: 'changed' });
      expect(elapsedMs).toBeLessThan(5_000);

      // Counted in metrics, logged without values, visible in the status API.
      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      expect(metrics).toMatch(
        /cdc_verify_differences_total\{[^}]*pipeline="hot",table="public.hot",mode="changed",kind="mismatched"[^}]*\} 1/,
      );
      expect(metrics).toMatch(
        /cdc_verify_rows_total\{[^}]*pipeline="hot",table="public.hot",mode="changed"[^}]*\} [1-9]/,
      );
      const logged = lines.filter((l) => l.msg === 'verification found differences');
      expect(logged).toEqual([
        expect.objectContaining({
          pipeline: 'hot',
          table: 'public.hot',
          mismatched: 1,
          runId: found!.run_id,
        }),
      ]);
      expect(JSON.stringify(logged)).not.toContain('rogue');
      const status = (await (await fetch(`${worker.url}/api/v1/status`)).json()) as WorkerStatus;
      expect(status).toMatchObject({ version: 1, service: 'cdc-worker' });
      const table = status.pipelines.find((p) => p.name === 'hot')?.verification?.tables[0];
      expect(table).toMatchObject({ table: 'public.hot', state: 'verifying' });
      expect(table?.changed.rows).toBeGreaterThanOrEqual(6);
      expect(table?.changed.differences).toBe(1);
      // Equal rows were verified and not reported.
      expect((await findings('hot')).map((f) => f.key)).toEqual([[42]]);
    } finally {
      await worker.stop();
    }
  });

  it('finds a cold row corrupted in the target within one sweep, and marks the table verified through', async () => {
    const worker = await startIn('cold', [
      '  - name: cold',
      '    source: src',
      '    target: dst',
      '    tables: [public.cold]',
      // 1000 rows at 500 rows/s in 5 segments: a sweep of about 2 s.
      '    verify: { sweep: { rowsPerSecond: 500, segmentRows: 200, minIntervalSeconds: 0 } }',
    ]);
    try {
      const table = () => worker.status().pipelines[0]?.verification?.tables[0];
      const through = await until('a complete sweep', async () => table()?.verifiedThrough);
      expect(table()?.sweep.segmentsTotal).toBe(5);
      expect(await findings('cold')).toEqual([]);
      const cycleAtCorruption = table()!.sweep.cycle;
      await dst.query("UPDATE public.cold SET memo = 'bit rot' WHERE id = 777");
      const [found] = await until('the sweep finding', async () => {
        const f = await findings('cold');
        return f.length > 0 ? f : undefined;
      });
      expect(found).toMatchObject({ kind: 'mismatched', key: [777], columns: ['memo'] });
      expect(found!.options).toMatchObject({ pipeline: 'cold', mode: 'sweep' });
      // Within one sweep: found in the cycle running at the corruption or in the next one.
      expect(found!.options.cycle).toBeLessThanOrEqual(cycleAtCorruption + 1);

      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      expect(metrics).toMatch(
        /cdc_verify_last_complete_sweep_timestamp_seconds\{[^}]*table="public.cold"[^}]*\} \d/,
      );
      expect(metrics).toMatch(/cdc_verify_sweep_progress_ratio\{[^}]*table="public.cold"[^}]*\}/);
      expect(metrics).toMatch(/cdc_verify_rows_total\{[^}]*table="public.cold",mode="sweep"[^}]*\} [1-9]/);
      // The mark is stored for `cdc status`.
      const [mark] = await dst.query<{ last_complete_started_at: Date }>(
        "SELECT last_complete_started_at FROM cdc_meta.verification WHERE pipeline = 'cold'",
      );
      expect(mark!.last_complete_started_at.getTime()).toBeGreaterThanOrEqual(new Date(through!).getTime());
    } finally {
      await worker.stop();
    }
  });

  it('finds a change the sink dropped (test-only fault hook)', async () => {
    // The fault: the sink silently loses every streamed change of row 99.
    const dropRow99 = (sink: ChangeSink): ChangeSink => ({
      ...sink,
      prepare: (p, m) => sink.prepare(p, m),
      acquire: (p) => sink.acquire(p),
      checkpoints: (p) => sink.checkpoints(p),
      close: () => sink.close(),
      apply: (p, epoch, batch) =>
        sink.apply(p, epoch, {
          ...batch,
          events: batch.partition.startsWith('snapshot:')
            ? batch.events
            : batch.events.filter((e) => !(e.op !== 'delete-range' && e.key.id === 99)),
        }),
    });
    const worker = await startIn(
      'dropped',
      [
        '  - name: dropped',
        '    source: src',
        '    target: dst',
        '    tables: [public.dropped]',
        '    verify: { changed: { recheckAfterMs: 300 }, sweep: { enabled: false } }',
      ],
      dropRow99,
    );
    try {
      await until('snapshot copied', async () => (await targetCount('dropped')) === 200);
      await src().query('UPDATE dropped SET balance = -1 WHERE id IN (98, 99, 100)');
      const [found] = await until('the dropped change found', async () => {
        const f = await findings('dropped');
        return f.length > 0 ? f : undefined;
      });
      expect(found).toMatchObject({ kind: 'mismatched', key: [99], columns: ['balance'] });
      expect(
        await dst.query('SELECT balance FROM public.dropped WHERE id IN (98, 99, 100) ORDER BY id'),
      ).toEqual([{ balance: -1 }, { balance: 99 }, { balance: -1 }]);
    } finally {
      await worker.stop();
    }
  });

  it('verify.repair: apply repairs persistent differences with the guarded repair, audited in cdc_meta.repairs', async () => {
    const worker = await startIn('healed', [
      '  - name: healed',
      '    source: src',
      '    target: dst',
      '    tables: [public.healed]',
      '    verify: { repair: apply, sweep: { rowsPerSecond: 1000, minIntervalSeconds: 0 } }',
    ]);
    try {
      await until(
        'a complete sweep',
        async () => worker.status().pipelines[0]?.verification?.tables[0]?.verifiedThrough,
      );
      // One transaction, so one sweep segment sees all three.
      await dst.query(`BEGIN;
        UPDATE public.healed SET memo = 'bit rot' WHERE id = 7;
        DELETE FROM public.healed WHERE id = 8;
        INSERT INTO public.healed VALUES (1000, 0, 'ghost');
        COMMIT`);
      const audit = await until('an audited repair', async () => {
        const rows = await dst.query<{ run_id: string; mode: string; rows_changed: string }>(
          "SELECT r.run_id, r.mode, r.rows_changed::text FROM cdc_meta.repairs r JOIN cdc_meta.runs u ON u.id = r.run_id WHERE u.kind = 'verify'",
        );
        return rows.length > 0 ? rows : undefined;
      });
      expect(audit).toEqual([{ run_id: expect.any(String), mode: 'apply', rows_changed: '3' }]);
      expect(
        await dst.query('SELECT id, memo FROM public.healed WHERE id IN (7, 8, 1000) ORDER BY id'),
      ).toEqual([
        { id: 7, memo: 'm7' },
        { id: 8, memo: 'm8' },
      ]);
      expect((await findings('healed')).map((f) => [f.kind, f.key])).toEqual(
        expect.arrayContaining([
          ['mismatched', [7]],
          ['missing', [8]],
          ['extra', [1000]],
        ]),
      );
    } finally {
      await worker.stop();
    }
  });

  it('reports no false difference while the source changes under a steady write load', async () => {
    const worker = await startIn('busy', [
      '  - name: busy',
      '    source: src',
      '    target: dst',
      '    tables: [public.busy]',
      '    verify: { changed: { recheckAfterMs: 100 }, sweep: { rowsPerSecond: 3000, segmentRows: 500, minIntervalSeconds: 0 } }',
    ]);
    const writer = new pg.Client({ connectionString: src().url });
    await writer.connect();
    try {
      await until('snapshot copied', async () => (await targetCount('busy')) === 3000);
      // About 5 s of transactions touching the same few hundred rows again and again, with inserts and
      // deletes: every row verified by key is likely to have changed again by the time it is read.
      const end = Date.now() + 5_000;
      let next = 10_000;
      for (let n = 0; Date.now() < end; n++) {
        const id = 1 + (n % 300);
        await writer.query(
          `BEGIN;
           UPDATE busy SET balance = balance + 1, memo = 'w${n}' WHERE id IN (${id}, ${id + 300}, ${id + 600});
           INSERT INTO busy VALUES (${next}, ${n}, 'new');
           DELETE FROM busy WHERE id = ${next - 5};
           COMMIT`,
        );
        next++;
      }
      const table = () => worker.status().pipelines[0]?.verification?.tables[0];
      const keysBefore = table()!.changed.rows;
      // Verification catches up: every changed key checked, one more complete sweep after the load.
      const cycle = table()!.sweep.cycle;
      await until(
        'a sweep after the load',
        async () =>
          table()!.sweep.cycle > cycle + 1 ||
          (table()!.sweep.cycle > cycle && table()!.sweep.segmentsDone === table()!.sweep.segmentsTotal),
      );
      await until(
        'the changed keys verified',
        async () => worker.status().pipelines[0]?.verification?.changedLagSeconds === 0,
      );
      expect(keysBefore).toBeGreaterThan(300);
      expect(await findings('busy')).toEqual([]);
      expect(table()).toMatchObject({ changed: { differences: 0 }, sweep: { differences: 0 } });
    } finally {
      await writer.end();
      await worker.stop();
    }
  }, 120_000);

  it('resumes the sweep from its checkpoint after SIGKILL, not from the start', async () => {
    const bundle = await buildWorkerBundle('cdc-verify-test');
    const config = await configFile('killed', [
      '  - name: killed',
      '    source: src',
      '    target: dst',
      '    tables: [public.killed]',
      // 2000 rows in 20 segments at 400 rows/s: a quarter of a second per segment.
      '    verify: { sweep: { rowsPerSecond: 400, segmentRows: 100, minIntervalSeconds: 0 } }',
    ]);
    const poller = new pg.Client({ connectionString: dst.url });
    await poller.connect();
    try {
      const checkpoint = async () =>
        (
          await poller
            .query<{ cycle: number; next_segment: number; cycle_started_at: Date }>(
              "SELECT cycle, next_segment, cycle_started_at FROM cdc_meta.verification WHERE pipeline = 'killed'",
            )
            .catch(() => ({ rows: [] }))
        ).rows[0];
      const first = await startWorkerProcess(bundle, config, children);
      await until('three segments swept', async () => ((await checkpoint())?.next_segment ?? 0) >= 3);
      first.child.kill('SIGKILL');
      await exited(first.child);
      const killed = (await checkpoint())!;
      expect(killed.cycle).toBe(1);
      expect(killed.next_segment).toBeLessThan(20);

      const second = await startWorkerProcess(bundle, config, children);
      try {
        const seen: { cycle: number; next_segment: number }[] = [];
        const resumed = await until('the sweep moving again', async () => {
          const c = await checkpoint();
          if (c && c.next_segment !== killed.next_segment) seen.push(c);
          return c && c.next_segment > killed.next_segment ? c : undefined;
        });
        // The same cycle, continued with the next segment: nothing swept again from the start.
        expect(seen[0]).toMatchObject({ cycle: killed.cycle, next_segment: killed.next_segment + 1 });
        expect(resumed.cycle_started_at).toEqual(killed.cycle_started_at);
      } finally {
        second.child.kill('SIGTERM');
        expect(await exited(second.child), second.stderr()).toBe(0);
      }
    } finally {
      await poller.end();
    }
  }, 120_000);
});
