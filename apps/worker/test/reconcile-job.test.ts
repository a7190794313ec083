import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCdcMetrics, createLogger, SecretRedactor } from '@cdc/metrics';
import { useTestDatabase } from '@cdc/testkit';
import { describe, expect, it } from 'vitest';
import { runReconciliation } from '../src/index.js';
import { loadWorkerConfig } from '../src/worker-config.js';

// A real target holds cdc_meta; the source is injected and fails the way a driver echoing its URL would.
const dst = useTestDatabase('cdc_wk_rj');
const PASSWORD = 'orders-pw-7';

describe('runReconciliation (real PostgreSQL target)', () => {
  it('stores a failed table with its error text, the password masked (URL and value)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cdc-reconcile-job-'));
    const file = join(dir, 'cdc.yaml');
    await writeFile(
      file,
      [
        'connections:',
        '  src: { url: "postgres://app@db.invalid/shop", password: env:SRC_PW }',
        `  dst: { url: "${dst().url}" }`,
        'pipelines:',
        '  - { name: orders, source: src, target: dst, tables: [public.orders] }',
        '',
      ].join('\n'),
    );
    const { config, secrets: values } = await loadWorkerConfig(file, { SRC_PW: PASSWORD });
    const secrets = new SecretRedactor();
    for (const v of values) secrets.add(v);
    const [run] = await runReconciliation({
      config,
      logger: createLogger({ level: 'silent' }),
      metrics: createCdcMetrics({ defaultMetrics: false }),
      secrets,
      openSource: (url) =>
        Promise.reject(new Error(`cannot open ${url}; the password ${PASSWORD} was refused`)),
    });
    expect(run).toMatchObject({ status: 'failed' });
    const expected =
      'cannot open postgres://app:[REDACTED]@db.invalid/shop; the password [REDACTED] was refused';
    expect(run!.tables).toEqual([
      { table: 'public.orders', status: 'failed', missing: 0, extra: 0, mismatched: 0, error: expected },
    ]);
    const stored = await dst().query<{ source_table: string; error: string }>(
      'SELECT source_table, error FROM cdc_meta.table_results WHERE run_id = $1',
      [run!.runId],
    );
    expect(stored).toEqual([
      { source_table: JSON.stringify({ schema: 'public', name: 'orders' }), error: expected },
    ]);
  });
});
