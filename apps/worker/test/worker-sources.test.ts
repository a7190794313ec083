/**
 * The worker opens pipelines through the same source dispatch as `cdc replicate` (@cdc/cli): a SQL
 * Server or ScyllaDB source that cannot be reached when the worker starts is retried with backoff and
 * logged with the connection named and its password redacted — no SQL Server or ScyllaDB needed.
 */
import { Writable } from 'node:stream';
import { createLogger, SecretRedactor } from '@cdc/metrics';
import { freePort } from '@cdc/testkit';
import { describe, expect, it } from 'vitest';
import { startWorker } from '../src/index.js';
import type { CdcConfig } from '@cdc/core';

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('worker pipelines with SQL Server and ScyllaDB sources', () => {
  it.each([
    ['mssql', (port: number) => `mssql://sa@127.0.0.1:${port}/Sales`],
    ['scylla', (port: number) => `scylla://app@127.0.0.1:${port}/shop?localDataCenter=dc1`],
  ])('an unreachable %s source is retried, named and redacted; stop ends it cleanly', async (_, url) => {
    const port = await freePort();
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const secrets = new SecretRedactor();
    secrets.add('Sup3rSecret');
    const logger = createLogger({ level: 'warn', pretty: false, destination, secrets });
    const config = {
      connections: {
        erp: { url: url(port), password: 'Sup3rSecret' },
        dw: { url: `postgres://cdc@127.0.0.1:${await freePort()}/dw` },
      },
      pipelines: [{ name: 'sales', source: 'erp', target: 'dw', tables: ['dbo.orders'] }],
    } as unknown as CdcConfig;
    const worker = await startWorker({ config, logger, metricsPort: 0 });
    try {
      await until('a retry warning', () => lines.some((l) => l.msg === 'source not reachable, retrying'));
      const warning = lines.find((l) => l.msg === 'source not reachable, retrying')!;
      expect(warning).toMatchObject({ pipeline: 'sales', attempt: 1 });
      expect(String(warning.error)).toContain('pipeline sales: source connection "erp" (');
      expect(String(warning.error)).toContain(`127.0.0.1:${port}`);
      expect(worker.pipelines.get('sales')?.state).toBe('starting');
    } finally {
      await worker.stop();
    }
    expect(worker.pipelines.get('sales')?.state).toBe('stopped');
    expect(JSON.stringify(lines)).not.toContain('Sup3rSecret');
  });

  it('a source with an unsupported scheme fails the pipeline at once, naming it', async () => {
    const logger = createLogger({ level: 'silent' });
    const config = {
      connections: {
        erp: { url: 'oracle://app@127.0.0.1:1521/ERP' },
        dw: { url: 'postgres://cdc@127.0.0.1:1/dw' },
      },
      pipelines: [{ name: 'sales', source: 'erp', target: 'dw', tables: ['orders'] }],
    } as unknown as CdcConfig;
    const worker = await startWorker({ config, logger, metricsPort: 0 });
    try {
      await until('pipeline failed', () => worker.pipelines.get('sales')?.state === 'failed');
      expect(worker.pipelines.get('sales')?.error).toContain(
        'pipeline sales: source connection "erp" URL oracle://app@127.0.0.1:1521/ERP: unsupported scheme "oracle:"',
      );
    } finally {
      await worker.stop();
    }
  });
});
