import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffTables, encodeSegments } from '@cdc/core';
import { connectPostgres, PostgresVerificationStore } from '@cdc/postgres';
import { useTestDatabase } from '@cdc/testkit';
import { buildCli, cdc, withPassword } from './cli-harness.js';

const db = useTestDatabase();
let dir: string;
let config: string;
let env: Record<string, string>;

beforeAll(async () => {
  buildCli();
  dir = await mkdtemp(join(tmpdir(), 'cdc-cli-config-'));
  await db().query(`
    CREATE SCHEMA src; CREATE SCHEMA tgt;
    CREATE TABLE src.customers (id int PRIMARY KEY, name text, balance numeric(10,2));
    CREATE TABLE tgt.customers (LIKE src.customers INCLUDING ALL);
    CREATE TABLE src.items (sku text PRIMARY KEY, qty int);
    CREATE TABLE tgt.items (LIKE src.items INCLUDING ALL);
  `);
  config = join(dir, 'cdc.yaml');
  // The password comes from a secret reference, the host from ${ENV} interpolation.
  const url = new URL(withPassword(db().url, null));
  env = { TEST_PG_PASSWORD: new URL(db().url).password, TEST_PG_HOST: url.hostname };
  const templated = `postgres://${url.username}@\${TEST_PG_HOST}:${url.port}${url.pathname}`;
  await writeFile(
    config,
    `connections:
  src: { url: "${templated}", password: env:TEST_PG_PASSWORD }
  dw: { url: "${templated}", password: env:TEST_PG_PASSWORD }
pipelines:
  - name: shop
    source: src
    target: dw
    tables:
      - { source: src.customers, target: tgt.customers }
      - { source: src.items, target: tgt.items }
reconcile:
  algorithm: auto
`,
  );
});

async function seed(drift: boolean): Promise<void> {
  await db().query(`
    TRUNCATE src.customers, tgt.customers, src.items, tgt.items;
    INSERT INTO src.customers SELECT i, 'Kundin ' || i, i * 10.5 FROM generate_series(1, 50) i;
    INSERT INTO tgt.customers SELECT * FROM src.customers;
    INSERT INTO src.items SELECT 'SKU-' || i, i FROM generate_series(1, 20) i;
    INSERT INTO tgt.items SELECT * FROM src.items;
  `);
  if (drift) {
    await db().query(`DELETE FROM tgt.customers WHERE id = 3;
      UPDATE tgt.customers SET balance = 0 WHERE id = 4;
      INSERT INTO tgt.customers VALUES (99, 'ghost', 1);`);
  }
}

describe('configured commands (built binary, real PostgreSQL)', () => {
  it('config validate and diff --config --table', async () => {
    await seed(true);
    const valid = await cdc(['config', 'validate', config], env);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('2 connection(s), 1 pipeline(s), 2 table(s)');
    const diff = await cdc(['diff', '--config', config, '--table', 'src.customers', '--format', 'json'], env);
    expect(diff.code).toBe(1);
    expect(JSON.parse(diff.stdout).summary).toEqual({ missing: 1, extra: 1, mismatched: 1 });
    expect((await cdc(['diff', '--config', config, '--table', 'tgt.items'], env)).code).toBe(0);
    const unknown = await cdc(['diff', '--config', config, '--table', 'src.nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/not in any pipeline .* configured tables: src\.customers, src\.items/);
  });

  it('check: every table readable with a key, then one line per problem', async () => {
    const ok = await cdc(['check', '--config', config], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('all checks passed');
    expect(ok.stderr).toMatch(/source src src\.customers: 3 columns, key \(id\), readable/);
    expect(ok.stderr).toContain('source src: CDC prerequisites met');
    expect(ok.stderr).toContain('target dw: target prerequisites met');
    await db().query('CREATE TABLE src.keyless (a int)');
    const bad = await cdc(['check', db().url, 'src.keyless', 'src.missing', 'src.items'], env);
    expect(bad.code).toBe(2);
    const problems = bad.stdout.trim().split('\n');
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^✗ source argument src\.keyless: .*primary key/i);
    expect(problems[1]).toMatch(/^✗ source argument src\.missing: /);
    const wrongPw = await cdc(['check', '--config', config], { ...env, TEST_PG_PASSWORD: 'nope-nope' });
    expect(wrongPw.code).toBe(2);
    expect(wrongPw.stdout).toMatch(/password authentication failed/);
    expect(wrongPw.stdout + wrongPw.stderr).not.toContain('nope-nope');
  });

  it('reconcile run stores history; report renders text, json and one self-contained HTML file', async () => {
    await seed(false);
    const clean = await cdc(['reconcile', 'run', '--config', config], env);
    expect(clean.code).toBe(0);
    await seed(true);
    const run = await cdc(['reconcile', 'run', '--config', config, '--format', 'json'], env);
    expect(run.code).toBe(1);
    const stored = JSON.parse(run.stdout) as { id: string; tables: { table: string; status: string }[] };
    expect(stored.tables.map((t) => [t.table, t.status])).toEqual([
      ['src.customers', 'differences'],
      ['src.items', 'in_sync'],
    ]);
    const text = await cdc(['reconcile', 'report', '--config', config], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`run ${stored.id} .* differences`));
    const html = join(dir, 'report.html');
    const report = await cdc(
      ['reconcile', 'report', '--config', config, '--format', 'html', '-o', html],
      env,
    );
    expect(report.code).toBe(0);
    const page = await readFile(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect((page.match(/<circle /g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(page).not.toMatch(/<script|src=|href=/);
    // A section for the differing table with its keys and columns; none for the table in sync.
    expect(page).toContain('<h3><code>src.customers</code></h3>');
    expect(page).not.toContain('<h3><code>src.items</code></h3>');
    expect(page).toContain('<td><code>4</code></td><td>balance</td>');
    expect(page).toContain('missing</span></td><td><code>3</code></td><td>name, balance</td>');
    expect(page).toContain('extra</span></td><td><code>99</code></td><td>name, balance</td>');
  });

  it('repair --run: the script path and the --apply path both end in sync', async () => {
    await seed(true);
    const run = JSON.parse(
      (await cdc(['reconcile', 'run', '--config', config, '--format', 'json'], env)).stdout,
    ) as { id: string };
    const script = join(dir, 'repair.sql');
    const sql = await cdc(
      ['repair', '--config', config, '--run', run.id, '--table', 'src.customers', '--sql', script],
      env,
    );
    expect(sql.code).toBe(1);
    const client = new pg.Client({ connectionString: db().url });
    await client.connect();
    await client.query(await readFile(script, 'utf8'));
    await client.end();
    expect((await cdc(['diff', '--config', config, '--table', 'src.customers'], env)).code).toBe(0);

    await seed(true);
    const again = JSON.parse(
      (await cdc(['reconcile', 'run', '--config', config, '--format', 'json'], env)).stdout,
    ) as { id: string };
    const applied = await cdc(
      ['repair', '--config', config, '--run', again.id, '--table', 'src.customers', '--apply', '--yes'],
      env,
    );
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/repair applied: 3 row\(s\) changed, 0 skipped/);
    expect((await cdc(['diff', '--config', config, '--table', 'src.customers'], env)).code).toBe(0);
    const missingRun = await cdc(
      ['repair', '--config', config, '--run', '999999', '--table', 'src.customers', '--apply', '--yes'],
      env,
    );
    expect(missingRun.code).toBe(2);
    expect(missingRun.stderr).toMatch(/run 999999 not found/);
  });

  it('always-on verification findings: report shows the run, repair --run repairs it, status shows the mark', async () => {
    await seed(true);
    // What the worker's verifier stores (@cdc/worker tests run it for real): a sweep finding and the mark.
    const adapter = connectPostgres({ url: db().url });
    let runId: string;
    try {
      const store = await PostgresVerificationStore.open(adapter);
      const [s, t] = await Promise.all([
        adapter.introspect({ schema: 'src', name: 'customers' }),
        adapter.introspect({ schema: 'tgt', name: 'customers' }),
      ]);
      const result = await diffTables({
        source: { source: adapter, table: s },
        target: { source: adapter, table: t },
        keys: [[3], [4], [5], [99]],
      });
      runId = await store.recordDifferences({
        pipeline: 'shop',
        mode: 'sweep',
        result,
        durationMs: 5,
        cycle: 2,
      });
      const started = new Date('2026-01-01T00:00:00.000Z');
      await store.saveSweep('shop', 'src.customers', 'tgt.customers', {
        cycle: 2,
        cycleStartedAt: started,
        segments: encodeSegments([undefined, undefined]),
        nextSegment: 1,
        rows: 25,
        differences: 3,
        lastCompleteStartedAt: started,
        lastCompleteFinishedAt: new Date('2026-01-01T00:10:00.000Z'),
      });
    } finally {
      await adapter.close();
    }
    const report = await cdc(['reconcile', 'report', '--config', config], env);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(new RegExp(`^run ${runId} \\(verification\\) .* differences`, 'm'));
    expect(report.stdout).toMatch(/src\.customers\s+differences\s+\d+\s+\d+\s+1\s+1\s+1/);
    const applied = await cdc(
      ['repair', '--config', config, '--run', runId, '--table', 'src.customers', '--apply', '--yes'],
      env,
    );
    expect(applied.stdout).toMatch(/repair applied: 3 row\(s\) changed, 0 skipped/);
    expect((await cdc(['diff', '--config', config, '--table', 'src.customers'], env)).code).toBe(0);
    const status = await cdc(['status', '--config', config, '--format', 'json'], env);
    expect(status.code).toBe(0);
    const rows = (JSON.parse(status.stdout) as { tables: { table: string; verification: unknown }[] }).tables;
    expect(rows.find((r) => r.table === 'src.customers')?.verification).toMatchObject({
      verifiedThrough: '2026-01-01T00:00:00.000Z',
      sweep: { cycle: 2, segmentsDone: 1, segmentsTotal: 2 },
      differences: '3',
    });
    expect(rows.find((r) => r.table === 'src.items')?.verification).toBeNull();
    const text = await cdc(['status', '--config', config], env);
    expect(text.stdout).toMatch(/verified through/);
    expect(text.stdout).toContain('2026-01-01T00:00:00.000Z (sweep 1/2, 3 difference(s))');
  });

  it('schema map shows the mapping and the DDL', async () => {
    const map = await cdc(['schema', 'map', db().url, 'src.customers'], env);
    expect(map.code).toBe(0);
    expect(map.stdout).toMatch(/balance\s+numeric\(10,2\)\s+numeric\(10,2\)\s+numeric\(10,2\)\s+yes/);
    const ddl = await cdc(
      ['schema', 'map', db().url, 'src.customers', '--ddl', '--target-table', '"Ware House"."Customers"'],
      env,
    );
    expect(ddl.stdout.trim()).toBe(
      'CREATE TABLE "Ware House"."Customers" (\n  "id" integer NOT NULL,\n  "name" text,\n  "balance" numeric(10,2),\n  PRIMARY KEY ("id")\n);',
    );
  });

  it('help on every command ends with examples', async () => {
    for (const command of [
      [],
      ['diff'],
      ['reconcile', 'run'],
      ['reconcile', 'report'],
      ['repair'],
      ['check'],
      ['schema', 'map'],
      ['config', 'validate'],
      ['demo'],
    ]) {
      const r = await cdc([...command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples:\n\s+\$ cdc /);
    }
  });
});

describe('cdc demo', () => {
  it('runs end to end offline and ends in sync', async () => {
    const r = await cdc(['demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/missing 3, extra 2, mismatched 4/);
    expect(r.stdout).toMatch(/missing 0, extra 0, mismatched 2/);
    expect(r.stdout).toMatch(/Both tables are in sync again/);
    expect(r.stderr).toMatch(/cleaned up/);
  }, 180_000);

  it.runIf(process.getuid?.() === 0)(
    'says in one line why the embedded server cannot start, and what to do (as root, binaries out of reach)',
    async () => {
      // A cache folder inside a 0700 folder: the postgres OS user cannot run the copy made there.
      const hidden = await mkdtemp(join(tmpdir(), 'cdc-demo-0700-'));
      try {
        await chmod(hidden, 0o700);
        const r = await cdc(['demo'], { CDC_EMBEDDED_PG_CACHE: join(hidden, 'cache') });
        expect(r.code).toBe(2);
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
          /^error: running as root, the embedded PostgreSQL server runs as the "postgres" OS user/,
        );
        expect(lines[0]).toMatch(/CDC_EMBEDDED_PG_CACHE/);
        expect(r.stderr).not.toMatch(/\n\s+at |Unhandled 'error' event/);
        // The copy the server could not use is not left behind.
        expect(await readdir(join(hidden, 'cache', 'embedded-postgres'))).toEqual([]);
      } finally {
        await rm(hidden, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
