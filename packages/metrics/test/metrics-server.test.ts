/**
 * The metrics server as the worker runs it: a real HTTP server scraped over the network, its
 * exposition format checked (and linted by `promtool check metrics` when installed).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import {
  METRIC_CATALOG,
  TOKEN_COOKIE,
  createCdcMetrics,
  startMetricsServer,
  type MetricsServer,
} from '../src/index.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const promtool = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'promtool'))
  .find((candidate) => existsSync(candidate));

async function start(
  options: Partial<Parameters<typeof startMetricsServer>[0]> = {},
): Promise<MetricsServer> {
  const server = await startMetricsServer({
    registry: createCdcMetrics().registry,
    port: 0,
    host: '127.0.0.1',
    ...options,
  });
  servers.push(server);
  return server;
}

describe('metrics server', () => {
  it('serves the whole catalog and default process metrics in the Prometheus exposition format', async () => {
    const metrics = createCdcMetrics({ defaultLabels: { service: 'cdc-worker' } });
    metrics.replicationAppliedChanges.inc({ pipeline: 'orders', table: 'dbo.orders', op: 'insert' }, 500);
    metrics.replicationApplyBatchSeconds.observe({ pipeline: 'orders' }, 0.042);
    metrics.replicationLagSeconds.set({ pipeline: 'orders', table: 'dbo.orders' }, 1.5);
    metrics.replicationDeadLetters.inc({ pipeline: 'orders', table: 'dbo.orders' });
    metrics.replicationHeartbeat.set({ pipeline: 'orders' }, Date.now() / 1000);
    metrics.reconcileRowsCompared.inc({ table: 'dbo.orders' }, 1_000_000);
    metrics.reconcileDifferences.set({ table: 'dbo.orders', kind: 'missing' }, 5);
    metrics.reconcileDurationSeconds.observe({ table: 'dbo.orders' }, 1.2);
    metrics.reconcileLastSuccess.set({ table: 'dbo.orders' }, Date.now() / 1000);
    metrics.repairActions.inc({ table: 'dbo.orders', action: 'insert', outcome: 'applied' }, 5);
    metrics.verifyRows.inc({ pipeline: 'orders', table: 'dbo.orders', mode: 'changed' }, 500);
    metrics.verifyDifferences.inc({
      pipeline: 'orders',
      table: 'dbo.orders',
      mode: 'sweep',
      kind: 'missing',
    });
    metrics.verifySweepProgress.set({ pipeline: 'orders', table: 'dbo.orders' }, 0.5);
    metrics.verifyLastCompleteSweep.set({ pipeline: 'orders', table: 'dbo.orders' }, Date.now() / 1000);
    metrics.verifyQueueDepth.set({ pipeline: 'orders' }, 12);
    metrics.verifySampled.inc({ pipeline: 'orders', table: 'dbo.orders' }, 3);
    metrics.vaultHealthy.set(1);
    const server = await start({ registry: metrics.registry });

    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(new Registry().contentType);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const body = await res.text();
    for (const m of METRIC_CATALOG) {
      expect(body, m.name).toContain(`# HELP ${m.name} ${m.help}`);
      expect(body, m.name).toContain(`# TYPE ${m.name} ${m.type}`);
    }
    expect(body).toContain(
      'cdc_replication_applied_changes_total{pipeline="orders",table="dbo.orders",op="insert",service="cdc-worker"} 500',
    );
    expect(body).toContain(
      'cdc_replication_apply_batch_seconds_bucket{le="0.05",service="cdc-worker",pipeline="orders"} 1',
    );
    expect(body).toMatch(/^process_cpu_seconds_total\{service="cdc-worker"\} [0-9.e+-]+$/m);
    expect(body).toContain('nodejs_eventloop_lag_seconds');
    // Every non-comment line is `name{labels} value` in the text format. prom-client prints an unsampled
    // event-loop gauge as `Nan`; Prometheus parses float values case-insensitively, so any NaN case is valid.
    for (const line of body.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(
        /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|\+Inf|-Inf)$/,
      );
    }
  });

  it.skipIf(!promtool)('passes `promtool check metrics` (exposition lint)', async () => {
    const server = await start();
    const body = await (await fetch(`${server.url}/metrics`)).text();
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = execFile(promtool ?? 'promtool', ['check', 'metrics'], (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
      child.stdin?.end(body);
    });
    const problems = result.out.split('\n').filter((l) => l.startsWith('cdc_'));
    expect(problems).toEqual([]);
  });

  it('answers /healthz with 200 while the process lives', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('answers /readyz with a structured report: 200 when every check passes, 503 otherwise', async () => {
    let postgresUp = true;
    const server = await start({
      readinessChecks: [
        {
          name: 'postgres',
          check: async () => (postgresUp ? { ok: true } : { ok: false, detail: 'connection refused' }),
        },
        { name: 'pipeline:orders', check: () => ({ ok: true, detail: 'streaming, lag 1s' }) },
      ],
    });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as {
      status: string;
      checks: { name: string; ok: boolean; latencyMs: number }[];
    };
    expect(report.status).toBe('ready');
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['postgres', true],
      ['pipeline:orders', true],
    ]);

    postgresUp = false;
    server.addReadinessCheck({
      name: 'vault',
      check: async () => {
        throw new Error('cannot reach https://u:vaultpw@vault:8200');
      },
    });
    server.addReadinessCheck({ name: 'slow', check: () => new Promise(() => undefined) });
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as {
      status: string;
      checks: { name: string; ok: boolean; detail?: string }[];
    };
    expect(body.status).toBe('not_ready');
    expect(body.checks).toEqual([
      expect.objectContaining({ name: 'postgres', ok: false, detail: 'connection refused' }),
      expect.objectContaining({ name: 'pipeline:orders', ok: true }),
      expect.objectContaining({
        name: 'vault',
        ok: false,
        detail: 'cannot reach https://u:[REDACTED]@vault:8200',
      }),
      expect.objectContaining({ name: 'slow', ok: false, detail: 'no answer within 2000 ms' }),
    ]);
  });

  it('serves the status document at /api/v1/status when one is given, 404 otherwise', async () => {
    let calls = 0;
    const server = await start({ status: async () => ({ version: 1, calls: ++calls }) });
    const res = await fetch(`${server.url}/api/v1/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({ version: 1, calls: 1 });
    const without = await start();
    expect((await fetch(`${without.url}/api/v1/status`)).status).toBe(404);
  });

  it('answers further routes, and guards everything but the probes and /metrics with the token', async () => {
    const server = await start({
      token: 's3cret-token',
      status: () => ({ version: 1 }),
      routes: ({ path, query }) =>
        path === '/' ? { contentType: 'text/html', body: `<p>${query.get('x') ?? ''}</p>` } : undefined,
    });
    const bearer = { authorization: 'Bearer s3cret-token' };
    for (const open of ['/healthz', '/readyz', '/metrics']) {
      expect((await fetch(`${server.url}${open}`)).status).toBe(200);
    }
    for (const guarded of ['/', '/api/v1/status', '/nope']) {
      const res = await fetch(`${server.url}${guarded}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="cdc"');
      expect(await res.text()).not.toContain('s3cret-token');
    }
    expect(
      (await fetch(`${server.url}/`, { headers: { authorization: 'Bearer s3cret-tokeN' } })).status,
    ).toBe(401);
    const page = await fetch(`${server.url}/?x=1`, { headers: bearer });
    expect(page.status).toBe(200);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toBe('<p>1</p>');
    expect((await fetch(`${server.url}/nope`, { headers: bearer })).status).toBe(404);
    const link = await fetch(`${server.url}/?token=s3cret-token`, { redirect: 'manual' });
    expect(link.status).toBe(303);
    expect(link.headers.get('location')).toBe('/');
    const cookie = link.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toBe(`${TOKEN_COOKIE}=s3cret-token`);
    expect((await fetch(`${server.url}/api/v1/status`, { headers: { cookie } })).status).toBe(200);
    expect(
      (await fetch(`${server.url}/api/v1/status`, { headers: { cookie: `${TOKEN_COOKIE}=x` } })).status,
    ).toBe(401);
  });

  it('is ready with no checks, 404s unknown paths and refuses other methods', async () => {
    const server = await start();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('fails to start with a CdcError when the port is already in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const attempt = startMetricsServer({ registry: new Registry(), port, host: '127.0.0.1' });
      await expect(attempt).rejects.toMatchObject({
        name: 'CdcError',
        code: 'CONFIG_INVALID',
        message: `cannot start the metrics server on 127.0.0.1:${port}: EADDRINUSE`,
      });
      await expect(attempt).rejects.toHaveProperty('hint', expect.stringContaining('metrics.port'));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
