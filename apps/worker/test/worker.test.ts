import { EventEmitter } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@cdc/metrics';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '@cdc/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkerCli, startWorker, type Worker } from '../src/index.js';
import { loadWorkerConfig } from '../src/worker-config.js';

// Real source and target PostgreSQL databases; the worker runs in-process on a free port.
const src = useTestDatabase('cdc_wk_src');
let dst: TestDatabase;
let dir: string;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  dst = await createTestDatabase('cdc_wk_dst');
  dir = await mkdtemp(join(tmpdir(), 'cdc-worker-'));
  await src().query('CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2), note text)');
  await src().query("INSERT INTO orders SELECT g, g * 1.5, 'n' || g FROM generate_series(1, 200) g");
});

afterAll(async () => {
  for (const slot of ['cdc_orders', 'cdc_ghosts', 'cdc_drift']) {
    await src()
      .query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [
        slot,
      ])
      .catch(() => undefined);
  }
  await dst.drop();
});

async function configFile(name: string, body: string[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    ['connections:', `  src: { url: "${src().url}" }`, `  dst: { url: "${dst.url}" }`, ...body, ''].join(
      '\n',
    ),
  );
  return file;
}

/**
 * Polls `probe` every 50 ms for up to 40 s. A probe that does not settle (a hung call) fails with the
 * step's name too, inside the test's timeout, so a failure says which step stalled.
 */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 40_000;
  while (Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`gave up waiting for ${what}: a probe did not settle in 40 s`)),
        Math.max(0, deadline - Date.now()),
      );
    });
    const value = await Promise.race([probe(), stalled]).finally(() => clearTimeout(timer));
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('cdc worker (real PostgreSQL)', () => {
  // Steps wait up to 40 s each (`until`); the test's own limit leaves room for a stalled step to be named.
  it(
    'replicates, serves /healthz /readyz /metrics, reconciles on its cron schedule, and drains',
    { timeout: 120_000 },
    async () => {
      const file = await configFile('good.yaml', [
        'pipelines:',
        '  - { name: orders, source: src, target: dst, tables: [public.orders] }',
        'reconcile:',
        '  schedule: "* * * * * *"',
      ]);
      const { config } = await loadWorkerConfig(file, {});
      const worker: Worker = await startWorker({ config, logger, metricsPort: 0 });
      try {
        expect(worker.nextReconcile()).toBeInstanceOf(Date);
        const health = await fetch(`${worker.url}/healthz`);
        expect(health.status).toBe(200);
        await until('pipeline running', async () => worker.pipelines.get('orders')?.state === 'running');
        const ready = await until('ready', async () => {
          const r = await fetch(`${worker.url}/readyz`);
          return r.status === 200 ? r : undefined;
        });
        expect(await ready.json()).toMatchObject({ status: 'ready' });

        await src().query("UPDATE orders SET note = 'changed' WHERE id <= 5");
        await until('change replicated', async () => {
          const rows = await dst.query("SELECT count(*)::int AS n FROM public.orders WHERE note = 'changed'");
          return rows[0]?.n === 5;
        });
        // The cron schedule (every second) ran at least one reconciliation and recorded it.
        const runs = await until('a scheduled run in cdc_meta', async () => {
          const rows = await dst.query<{ id: string; status: string }>(
            "SELECT id, status FROM cdc_meta.runs WHERE kind = 'reconcile' AND finished_at IS NOT NULL",
          );
          return rows.length > 0 ? rows : undefined;
        });
        expect(['in-sync', 'differences']).toContain(runs[0]!.status);
        const outcome = await until('an in-sync reconciliation', async () => {
          const o = await worker.reconcileNow();
          return o?.[0]?.status === 'in-sync' ? o : undefined;
        });
        expect(outcome[0]!.tables).toEqual([
          { table: 'public.orders', status: 'in_sync', missing: 0, extra: 0, mismatched: 0 },
        ]);

        // Polled: the counter moves when the engine reports the batch, just after the sink committed it.
        const applied = /cdc_replication_applied_changes_total\{[^}]*pipeline="orders"[^}]*\} (\d+)/;
        const metrics = await until('the applied changes counted', async () => {
          const text = await (await fetch(`${worker.url}/metrics`)).text();
          return Number(applied.exec(text)?.[1] ?? 0) >= 5 ? text : undefined;
        });
        expect(metrics).toMatch(/cdc_replication_applied_changes_total\{[^}]*pipeline="orders"[^}]*\} 5\n/);
        expect(metrics).toMatch(/cdc_reconcile_last_success_timestamp_seconds\{[^}]*table="public.orders"/);
        expect(metrics).toMatch(/cdc_replication_heartbeat_timestamp_seconds\{[^}]*pipeline="orders"/);
      } finally {
        await worker.stop();
      }
      await worker.done;
      expect(worker.pipelines.get('orders')?.state).toBe('stopped');
      await expect(fetch(`${worker.url}/healthz`)).rejects.toThrow();
    },
  );

  it('stores the differences of a scheduled reconciliation, as cdc reconcile run does', async () => {
    await src().query('CREATE TABLE drift (id int PRIMARY KEY, v text)');
    await src().query("INSERT INTO drift SELECT g, 'v' || g FROM generate_series(1, 20) g");
    const file = await configFile('drift.yaml', [
      'pipelines:',
      '  - { name: drift, source: src, target: dst, mode: snapshot, tables: [public.drift] }',
    ]);
    const { config } = await loadWorkerConfig(file, {});
    const worker = await startWorker({ config, logger, metricsPort: 0 });
    try {
      await until('snapshot copied', async () => {
        const rows = await dst
          .query<{ n: number }>('SELECT count(*)::int AS n FROM public.drift')
          .catch(() => []);
        return rows[0]?.n === 20;
      });
      await dst.query("UPDATE public.drift SET v = 'changed' WHERE id = 7");
      const [run] = (await worker.reconcileNow())!;
      expect(run).toMatchObject({ status: 'differences' });
      // The samples `cdc reconcile report` and `cdc repair --run` read back.
      const samples = await dst.query<{ kind: string; key: unknown; target_row: { v: string } }>(
        `SELECT s.kind, s.key, s.target_row FROM cdc_meta.difference_samples s
           JOIN cdc_meta.table_results tr ON tr.id = s.table_result_id WHERE tr.run_id = $1`,
        [run!.runId],
      );
      expect(samples).toEqual([{ kind: 'mismatched', key: [7], target_row: { id: 7, v: 'changed' } }]);
    } finally {
      await worker.stop();
    }
    await worker.done;
  });

  it('records every failure per table in cdc_meta and metrics, and is not ready', async () => {
    const file = await configFile('ghost.yaml', [
      'pipelines:',
      '  - { name: ghosts, source: src, target: dst, tables: [public.ghosts] }',
    ]);
    const { config } = await loadWorkerConfig(file, {});
    const worker = await startWorker({ config, logger, metricsPort: 0 });
    try {
      expect(worker.nextReconcile()).toBeNull();
      await until('pipeline failed', async () => worker.pipelines.get('ghosts')?.state === 'failed');
      expect(worker.pipelines.get('ghosts')?.error).toMatch(/ghosts/);
      const ready = await fetch(`${worker.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toContain('ghosts: failed');

      const [run] = (await worker.reconcileNow())!;
      expect(run).toMatchObject({ status: 'failed' });
      expect(run!.tables[0]).toMatchObject({ table: 'public.ghosts', status: 'failed' });
      const stored = await dst.query<{ error: string; status: string }>(
        `SELECT tr.error, r.status FROM cdc_meta.table_results tr JOIN cdc_meta.runs r ON r.id = tr.run_id
          WHERE r.id = $1`,
        [run!.runId],
      );
      expect(stored).toEqual([{ error: expect.stringMatching(/ghosts/), status: 'failed' }]);
      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      expect(metrics).toMatch(/cdc_reconcile_differences\{[^}]*table="public.ghosts",kind="failed"[^}]*\} 1/);
    } finally {
      await worker.stop();
    }
  });

  it('rejects an invalid cron expression before starting anything', async () => {
    const file = await configFile('badcron.yaml', ['pipelines: []', 'reconcile:', '  schedule: "every day"']);
    const { config } = await loadWorkerConfig(file, {});
    await expect(startWorker({ config, logger, metricsPort: 0 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('reconcile.schedule "every day" is not a valid cron expression'),
    });
  });

  it('cdc-worker drains on SIGTERM and exits 0; exits 2 when it cannot start', async () => {
    const file = await configFile('cli.yaml', ['pipelines: []']);
    const signals = new EventEmitter();
    let started: Worker | undefined;
    const exit = runWorkerCli(['--config', file, '--metrics-port', String(await freePort())], {
      env: {},
      logger,
      signals: signals as unknown as Pick<NodeJS.Process, 'once' | 'off'>,
      onStarted: (w) => (started = w),
    });
    await until('worker started', async () => started);
    expect((await fetch(`${started!.url}/healthz`)).status).toBe(200);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    expect(await runWorkerCli(['--config', join(dir, 'missing.yaml')], { env: {}, logger })).toBe(2);
  });
});

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
