/**
 * Results carry names, keys and values exactly as read — even when one equals the password — while the
 * password itself never shows in a URL on stdout or stderr (issue #15). The password here is `orders`:
 * also the source schema and table, the key column, a key and a value.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testServerUrl, useTestDatabase } from '@cdc/testkit';
import { buildCli, cdc, withPassword, type CliRun } from './cli-harness.js';

const PASSWORD = 'orders';
const db = useTestDatabase();
const role = `reader_${randomBytes(4).toString('hex')}`;
let dir: string;
let url: string;

async function asAdmin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  buildCli();
  dir = await mkdtemp(join(tmpdir(), 'cdc-cli-redaction-'));
  await asAdmin(testServerUrl(), `CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
  await db().query(`
    CREATE SCHEMA orders; CREATE SCHEMA replica;
    CREATE TABLE orders.orders (orders text PRIMARY KEY, note text);
    CREATE TABLE replica.orders (LIKE orders.orders INCLUDING ALL);
    GRANT USAGE ON SCHEMA orders, replica TO ${role};
    GRANT SELECT ON orders.orders TO ${role};
    GRANT SELECT, INSERT, UPDATE, DELETE ON replica.orders TO ${role};
    GRANT CREATE ON DATABASE "${db().name}" TO ${role};
  `);
  const u = new URL(db().url);
  u.username = role;
  u.password = PASSWORD;
  url = u.toString();
});

afterAll(async () => {
  // Runs before the database is dropped: the role owns cdc_meta there and holds grants.
  await db()
    .query(`DROP OWNED BY ${role}`)
    .catch(() => undefined);
  await asAdmin(testServerUrl(), `DROP ROLE IF EXISTS ${role}`);
});

/** One mismatched row (key `orders`, value `orders`), one missing, one extra; all named or valued `orders`. */
async function reset(): Promise<void> {
  await db().query(`
    TRUNCATE orders.orders, replica.orders;
    INSERT INTO orders.orders VALUES ('orders', 'orders'), ('orders-2', 'orders'), ('same', 'same');
    INSERT INTO replica.orders VALUES ('orders', 'stale'), ('same', 'same'), ('orders.orders', 'orders');
  `);
}

function pair(): string[] {
  return [url, 'orders.orders', url, 'replica.orders'];
}

/** The password inside a URL's userinfo (`…:orders@`), the way a leak would look. */
const leakedUrl = new RegExp(`://[^\\s/@]*:${PASSWORD}@`);

function expectNoLeak(r: CliRun): void {
  expect(r.stdout).not.toMatch(leakedUrl);
  expect(r.stderr).not.toMatch(leakedUrl);
}

describe('a password that is also a schema, table, column, key and value (built binary, real PostgreSQL)', () => {
  beforeEach(() => reset());

  it('the user can log in with it (the test means what it says)', async () => {
    const wrong = await cdc(['diff', withPassword(url, 'not-it'), 'orders.orders', url, 'replica.orders']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/password authentication failed/);
    expectNoLeak(wrong);
  });

  it('--format json: names, keys and values exactly as read', async () => {
    const r = await cdc(['diff', ...pair(), '--format', 'json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expectNoLeak(r);
    expect(r.stdout).not.toContain('***');
    const doc = JSON.parse(r.stdout) as {
      source: unknown;
      target: unknown;
      keyColumns: string[];
      differences: { kind: string; key: unknown; columns: string[]; source?: unknown; target?: unknown }[];
    };
    expect(doc.source).toEqual({ schema: 'orders', name: 'orders' });
    expect(doc.target).toEqual({ schema: 'replica', name: 'orders' });
    expect(doc.keyColumns).toEqual(['orders']);
    const byKind = (k: string) => doc.differences.filter((d) => d.kind === k);
    expect(byKind('mismatched')).toEqual([
      {
        kind: 'mismatched',
        key: { orders: 'orders' },
        columns: ['note'],
        source: { orders: 'orders', note: 'orders' },
        target: { orders: 'orders', note: 'stale' },
      },
    ]);
    expect(byKind('missing').map((d) => [d.key, d.source])).toEqual([
      [{ orders: 'orders-2' }, { orders: 'orders-2', note: 'orders' }],
    ]);
    expect(byKind('extra').map((d) => [d.key, d.target])).toEqual([
      [{ orders: 'orders.orders' }, { orders: 'orders.orders', note: 'orders' }],
    ]);
  });

  it('text and markdown: the table names and the differences as read', async () => {
    const text = await cdc(['diff', ...pair()]);
    expect(text.code).toBe(1);
    expectNoLeak(text);
    expect(text.stdout).not.toContain('***');
    expect(text.stdout).toMatch(/^orders\.orders → replica\.orders: DIFFERENCES /);
    expect(text.stdout).toContain('  mismatched orders="orders"\n             note: "orders" → "stale"\n');
    expect(text.stdout).toContain('  missing    orders="orders-2"\n');
    expect(text.stdout).toContain('  extra      orders="orders.orders"\n');

    const md = await cdc(['diff', ...pair(), '--format', 'markdown']);
    expect(md.code).toBe(1);
    expectNoLeak(md);
    expect(md.stdout).not.toContain('***');
    expect(md.stdout).toMatch(/^### orders\.orders → replica\.orders: DIFFERENCES /);
    expect(md.stdout).toContain('| mismatched | orders="orders" | note | note: "orders" → "stale" |');

    const file = join(dir, 'result.md');
    expect((await cdc(['diff', ...pair(), '--format', 'markdown', '--output', file])).code).toBe(1);
    const written = await readFile(file, 'utf8');
    expect(written).toMatch(/^### orders\.orders → replica\.orders: DIFFERENCES /);
    expect(written).toContain('| mismatched | orders="orders" | note | note: "orders" → "stale" |');
  });

  it('--repair-sql writes the keys and values as read, and running it brings the target in sync', async () => {
    const file = join(dir, 'repair.sql');
    const r = await cdc(['diff', ...pair(), '--repair-sql', file, '--format', 'json']);
    expect(r.code).toBe(1);
    expectNoLeak(r);
    const script = await readFile(file, 'utf8');
    expect(script).not.toContain('***');
    expect(script).toContain('"replica"."orders"');
    expect(script).toContain("'orders.orders'");
    expect(script).toContain("'orders-2'");
    await db().query(script);
    expect(await db().query('SELECT * FROM replica.orders ORDER BY orders')).toEqual([
      { orders: 'orders', note: 'orders' },
      { orders: 'orders-2', note: 'orders' },
      { orders: 'same', note: 'same' },
    ]);
    expect((await cdc(['diff', ...pair()])).code).toBe(0);
  });

  it('--apply --yes repairs exactly those rows; --verbose shows URLs with *** for the password', async () => {
    const r = await cdc(['--verbose', 'diff', ...pair(), '--apply', '--yes']);
    expect(r.code).toBe(1);
    expectNoLeak(r);
    expect(r.stderr).toMatch(/repair applied: 1 inserted, 1 updated, 1 deleted/);
    expect(r.stderr).toContain(`source postgres://${role}:***@`);
    expect(r.stderr).toContain(`target postgres://${role}:***@`);
    expect(await db().query('SELECT * FROM replica.orders ORDER BY orders')).toEqual([
      { orders: 'orders', note: 'orders' },
      { orders: 'orders-2', note: 'orders' },
      { orders: 'same', note: 'same' },
    ]);
  });

  it('an error stays one useful line: no password in a URL, longer names intact, the hint', async () => {
    const r = await cdc(['diff', ...pair().slice(0, 1), 'orders.orders_2024', url, 'replica.orders']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectNoLeak(r);
    // A diagnostic: the schema that equals the password is masked like the password; the rest is not.
    expect(r.stderr).toMatch(
      /^error: table \*\*\*\.orders_2024 does not exist — check the schema and table name/,
    );
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    const badUrl = await cdc([
      'diff',
      url.replace('postgres:', 'oracle:'),
      'orders.orders',
      ...pair().slice(2),
    ]);
    expect(badUrl.code).toBe(2);
    expectNoLeak(badUrl);
    expect(badUrl.stderr).toContain(`source URL oracle://${role}:***@`);
  });
});

describe('configured commands with the password as a resolved secret (built binary, real PostgreSQL)', () => {
  let config: string;
  const env = { ORDERS_PW: PASSWORD };

  beforeAll(async () => {
    config = join(dir, 'cdc.yaml');
    const bare = withPassword(url, null);
    await writeFile(
      config,
      `connections:
  orders: { url: "${bare}", password: env:ORDERS_PW }
  replica: { url: "${bare}", password: env:ORDERS_PW }
pipelines:
  - name: orders
    source: orders
    target: replica
    tables:
      - { source: orders.orders, target: replica.orders }
`,
    );
  });

  beforeEach(() => reset());

  it('reconcile run stores the differences as read; report, repair --sql and status print names as stored', async () => {
    const run = await cdc(['reconcile', 'run', '--config', config, '--format', 'json'], env);
    expect(run.code).toBe(1);
    expectNoLeak(run);
    const stored = JSON.parse(run.stdout) as { id: string; tables: { table: string; status: string }[] };
    expect(stored.tables.map((t) => [t.table, t.status])).toEqual([['orders.orders', 'differences']]);

    const samples = await db().query<{
      kind: string;
      key: unknown;
      source_row: unknown;
      target_row: unknown;
    }>(
      `SELECT s.kind, s.key, s.source_row, s.target_row FROM cdc_meta.difference_samples s
         JOIN cdc_meta.table_results tr ON tr.id = s.table_result_id
        WHERE tr.run_id = $1 AND s.kind = 'mismatched'`,
      [stored.id],
    );
    expect(samples).toEqual([
      {
        kind: 'mismatched',
        key: ['orders'],
        source_row: { orders: 'orders', note: 'orders' },
        target_row: { orders: 'orders', note: 'stale' },
      },
    ]);
    const [target] = await db().query<{ target: string }>('SELECT target FROM cdc_meta.runs WHERE id = $1', [
      stored.id,
    ]);
    expect(target?.target).toContain(`postgres://${role}@`);

    const report = await cdc(['reconcile', 'report', '--config', config, '--format', 'markdown'], env);
    expect(report.code).toBe(0);
    expectNoLeak(report);
    expect(report.stdout).toContain('| `orders.orders` | differences |');

    const script = join(dir, 'stored-repair.sql');
    const repair = await cdc(
      ['repair', '--config', config, '--run', stored.id, '--table', 'orders.orders', '--sql', script],
      env,
    );
    expect(repair.code).toBe(1);
    expectNoLeak(repair);
    expect(repair.stdout).toBe(`guarded repair script for 3 difference(s) written to ${script}\n`);
    expect(await readFile(script, 'utf8')).toContain("'orders.orders'");

    const status = await cdc(['status', '--config', config, '--format', 'json'], env);
    expect(status.code).toBe(0);
    expectNoLeak(status);
    const rows = (
      JSON.parse(status.stdout) as { tables: { pipeline: string; table: string; target: string }[] }
    ).tables;
    expect(rows.map((r) => [r.pipeline, r.table, r.target])).toEqual([
      ['orders', 'orders.orders', 'replica.orders'],
    ]);
  });

  it('check --format json: connections and tables by name, URLs without the password', async () => {
    const r = await cdc(['check', '--config', config, '--format', 'json'], env);
    expectNoLeak(r);
    const doc = JSON.parse(r.stdout) as { checks: { status: string; where: string; message: string }[] };
    expect(doc.checks).toContainEqual({
      status: 'ok',
      where: 'source orders orders.orders',
      message: '2 columns, key (orders), readable',
    });
    expect(doc.checks).toContainEqual({
      status: 'ok',
      where: 'source orders',
      message: expect.stringMatching(new RegExp(`^connected to postgres://${role}@[^ ]+ \\(postgres\\)$`)),
    });
  });
});
