import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MASKED, type DifferencePage, type StatusDocument } from '@cdc/console';
import { createLogger } from '@cdc/metrics';
import { connectPostgres, PostgresResultStore } from '@cdc/postgres';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '@cdc/testkit';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type Worker } from '../src/index.js';
import { loadWorkerConfig } from '../src/worker-config.js';

// The worker's status API and web console against a pipeline of three tables between real PostgreSQL
// databases: one table masks a column, one gets a planted difference.
const src = useTestDatabase('cdc_console_src');
let dst: TestDatabase;
let dir: string;
let worker: Worker;
const TOKEN = 'console-test-token-7f3a';
/** A value of the masked column that must never reach the API or the page. */
const SECRET_EMAIL = 'alice.secret@example.com';

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const api = async <T>(path: string, token: string | undefined = TOKEN): Promise<T> => {
  const res = await fetch(`${worker.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
};

beforeAll(async () => {
  dst = await createTestDatabase('cdc_console_dst');
  dir = await mkdtemp(join(tmpdir(), 'cdc-console-'));
  await src().query('CREATE TABLE orders (id int PRIMARY KEY, amount numeric(10,2) NOT NULL, note text)');
  await src().query('CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, name text)');
  await src().query('CREATE TABLE items (sku text PRIMARY KEY, title text)');
  await src().query("INSERT INTO orders SELECT g, g * 1.5, 'n' || g FROM generate_series(1, 300) g");
  await src().query(
    "INSERT INTO customers SELECT g, 'c' || g || '@example.com', 'name ' || g FROM generate_series(1, 50) g",
  );
  await src().query(`UPDATE customers SET email = '${SECRET_EMAIL}' WHERE id = 7`);
  await src().query("INSERT INTO items SELECT 'sku-' || g, 'item ' || g FROM generate_series(1, 40) g");
  const file = join(dir, 'cdc.yaml');
  await writeFile(
    file,
    [
      'connections:',
      `  src: { url: "${src().url}" }`,
      `  dst: { url: "${dst.url}" }`,
      'metrics:',
      '  port: 9464',
      '  token: env:CDC_CONSOLE_TOKEN',
      'pipelines:',
      '  - name: shop',
      '    source: src',
      '    target: dst',
      '    hashSalt: salt',
      '    slot: cdc_console_shop',
      '    tables:',
      '      - public.orders',
      '      - source: public.customers',
      '        mask: { email: hash }',
      '      - public.items',
      '    verify: { sweep: { enabled: false } }',
      '',
    ].join('\n'),
  );
  const { config, secrets } = await loadWorkerConfig(file, { CDC_CONSOLE_TOKEN: TOKEN });
  expect(secrets).toContain(TOKEN);
  worker = await startWorker({
    config,
    metricsPort: 0,
    logger: createLogger({ level: 'warn', pretty: false }),
  });
  await until('pipeline running', async () => worker.pipelines.get('shop')?.state === 'running');
  await until('snapshot copied', async () => {
    const [row] = await dst.query<{ n: number }>('SELECT count(*)::int AS n FROM public.items');
    return row?.n === 40;
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await src()
    .query(
      "SELECT pg_drop_replication_slot('cdc_console_shop') FROM pg_replication_slots WHERE slot_name = 'cdc_console_shop'",
    )
    .catch(() => undefined);
  await dst?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('GET /api/v1/status (real PostgreSQL)', () => {
  it('serves the versioned document, valid against docs/api/status.schema.json, with lag and tables', async () => {
    await src().query('UPDATE orders SET amount = amount + 1 WHERE id <= 20');
    const doc = await until('a lag sample', async () => {
      const d = await api<StatusDocument>('/api/v1/status');
      return (
        (d.pipelines[0]?.lagHistory?.length ?? 0) > 0 && d.tables.every((t) => t.snapshot === 'done') && d
      );
    });
    const schema = JSON.parse(
      await readFile(new URL('../../../docs/api/status.schema.json', import.meta.url), 'utf8'),
    ) as object;
    const ajv = new Ajv2020({ allErrors: true });
    addFormats.default(ajv, ['date-time']);
    const validate = ajv.compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc).toMatchObject({
      version: 1,
      service: 'cdc-worker',
      pipelines: [{ name: 'shop', state: 'running' }],
    });
    expect(doc.pipelines[0]!.appliedChanges).toBeGreaterThanOrEqual(20);
    expect(doc.tables.map((t) => t.table)).toEqual(['public.orders', 'public.customers', 'public.items']);
    // A document that breaks the schema is refused (the check can fail).
    expect(validate({ ...doc, tables: [{ ...doc.tables[0], snapshot: 'maybe' }] })).toBe(false);
  });

  it('wants the bearer token on / and /api when metrics.token is set; /healthz and /metrics stay open', async () => {
    expect((await fetch(`${worker.url}/api/v1/status`)).status).toBe(401);
    expect(
      (await fetch(`${worker.url}/api/v1/status`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
    expect((await fetch(`${worker.url}/`)).status).toBe(401);
    expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${worker.url}/metrics`)).status).toBe(200);
    // A browser opens /?token=… once: the token moves into an HttpOnly cookie and out of the address bar.
    const link = await fetch(`${worker.url}/?token=${TOKEN}`, { redirect: 'manual' });
    expect(link.status).toBe(303);
    const cookie = link.headers.get('set-cookie')!.split(';')[0]!;
    expect(link.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await fetch(`${worker.url}/`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${worker.url}/?token=wrong`, { redirect: 'manual' })).status).toBe(401);
  });

  it('pages the differences of a table, masked columns masked', async () => {
    // A planted difference on the target behind cdc's back, found by the worker's reconciliation.
    await dst.query("UPDATE public.items SET title = 'planted' WHERE sku = 'sku-17'");
    await dst.query("UPDATE public.customers SET name = 'renamed' WHERE id = 7");
    await worker.reconcileNow();
    const items = await api<DifferencePage>('/api/v1/differences?pipeline=shop&table=public.items');
    expect(items).toMatchObject({
      total: 1,
      differences: [{ kind: 'mismatched', key: ['sku-17'], columns: ['title'] }],
    });
    expect(items.differences[0]!.values).toEqual({ title: { source: 'item 17', target: 'planted' } });
    const customers = await api<DifferencePage>('/api/v1/differences?pipeline=shop&table=public.customers');
    expect(customers.differences).toEqual([
      {
        kind: 'mismatched',
        key: [7],
        columns: ['name'],
        values: { name: { source: 'name 7', target: 'renamed' } },
      },
    ]);
    // A stored difference that carries the masked column's values (as a comparison that included it would
    // store them): the API shows the column, never its values, nor a key value of it.
    const adapter = connectPostgres({ url: dst.url });
    const store = await PostgresResultStore.open(adapter);
    const run = await store.startRun({ kind: 'reconcile' });
    const result = await store.recordTableResult(run, {
      sourceTable: JSON.stringify({ schema: 'public', name: 'customers' }),
      targetTable: JSON.stringify({ schema: 'public', name: 'customers' }),
      strategy: 'hash',
      missing: 0,
      extra: 0,
      mismatched: 1,
    });
    await store.recordDifferences(result, [
      {
        kind: 'mismatched',
        key: [7],
        columns: ['email', 'name'],
        sourceRow: { id: 7, email: SECRET_EMAIL, name: 'name 7' },
        targetRow: { id: 7, email: 'f00d', name: 'renamed' },
      },
    ]);
    await store.finishRun(run, { status: 'differences' });
    await adapter.close();
    const masked = await api<DifferencePage>('/api/v1/differences?pipeline=shop&table=public.customers');
    expect(masked.differences).toEqual([
      {
        kind: 'mismatched',
        key: [7],
        columns: ['email', 'name'],
        values: { email: { source: MASKED, target: MASKED }, name: { source: 'name 7', target: 'renamed' } },
      },
    ]);
    expect(JSON.stringify(masked)).not.toContain(SECRET_EMAIL);
    const body = await (
      await fetch(`${worker.url}/api/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(body).not.toContain(SECRET_EMAIL);
  });
});

/** Debian's chromium (`apt-get install -y chromium`; `.ci/run` installs it), or CDC_TEST_CHROMIUM. */
const CHROMIUM = [process.env.CDC_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => !!p && existsSync(p),
);
if (!CHROMIUM) {
  console.warn(
    'SKIPPED: the web console browser test needs chromium (apt-get install -y chromium, or CDC_TEST_CHROMIUM)',
  );
}

describe.skipIf(!CHROMIUM)('the web console in a real browser (chromium, real PostgreSQL)', () => {
  it('shows the pipeline, updates its lag, the planted difference with its key, masked values masked; axe finds nothing serious', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM!, chromiumSandbox: false });
    try {
      // bypassCSP only lets the test inject axe-core; requests are checked below to stay on the worker.
      const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${worker.url}/?token=${TOKEN}`);
      expect(page.url()).toBe(`${worker.url}/`);

      const row = page.locator('tr[data-pipeline="shop"]');
      await row.locator('.badge', { hasText: 'running' }).waitFor();
      const applied = Number((await row.locator('td.applied').innerText()).replace(/,/g, ''));
      await src().query('UPDATE orders SET amount = amount + 1 WHERE id BETWEEN 100 AND 160');
      await page.waitForFunction(
        (before) =>
          Number(
            document.querySelector('tr[data-pipeline="shop"] td.applied')?.textContent?.replace(/,/g, ''),
          ) >=
          before + 61,
        applied,
      );
      expect(await row.locator('td.lag').innerText()).toMatch(/^\d+\.\d\d s$/);
      expect(await row.locator('svg polyline').count()).toBe(1);

      const items = page.locator('section.card[data-table="public.items"]');
      await items.locator('cdc-differences td', { hasText: 'sku-17' }).waitFor();
      expect(await items.locator('cdc-differences').innerText()).toMatch(
        /title: "?item 17"? → "?planted"?|title: item 17 → planted/,
      );
      const customers = page.locator('section.card[data-table="public.customers"]');
      await customers.locator('.masked').first().waitFor();
      expect(await customers.locator('cdc-differences').innerText()).toContain(
        'email: •••• masked → •••• masked',
      );
      expect(await page.content()).not.toContain(SECRET_EMAIL);
      await expect.poll(() => page.locator('section.card').count()).toBe(3);

      const dir =
        process.env.CDC_TEST_ARTIFACT_DIR ??
        join(fileURLToPath(new URL('../../../.tmp/artifacts', import.meta.url)));
      await mkdir(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'console.png'), fullPage: true });

      await page.evaluate(
        await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'),
      );
      const violations = await page.evaluate(async () => {
        const axe = (
          globalThis as unknown as {
            axe: {
              run: (
                c: unknown,
                o: unknown,
              ) => Promise<{ violations: { id: string; impact: string | null; help: string }[] }>;
            };
          }
        ).axe;
        const result = await axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'best-practice'] },
        });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help }));
      });
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);

      const origin = new URL(worker.url).origin;
      expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
