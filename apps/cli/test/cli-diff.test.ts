import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@cdc/testkit';
import { binary, buildCli, cdc, withPassword } from './cli-harness.js';

const db = useTestDatabase();
let dir: string;

beforeAll(async () => {
  buildCli();
  dir = await mkdtemp(join(tmpdir(), 'cdc-cli-test-'));
  await db().query(`
    CREATE SCHEMA src; CREATE SCHEMA tgt; CREATE SCHEMA "Sales-EU";
    CREATE TABLE src.orders (id bigint PRIMARY KEY, customer text, total numeric(12,2), placed_at timestamptz, meta jsonb, ref uuid);
    CREATE TABLE "Sales-EU"."Order Items" ("Order.Id" int, "Line No" int, qty int, PRIMARY KEY ("Order.Id", "Line No"));
    CREATE TABLE tgt."Order Items" ("Order.Id" int, "Line No" int, qty int, PRIMARY KEY ("Order.Id", "Line No"));
    CREATE TABLE src.no_key (a int, b text);
    CREATE TABLE src.odd (id int PRIMARY KEY, p point);
  `);
});

/** Source and target identical, then `drift` applied to the target. */
async function reset(drift = ''): Promise<void> {
  await db().query(`
    DROP TABLE IF EXISTS tgt.orders;
    TRUNCATE src.orders;
    INSERT INTO src.orders
      SELECT i, 'Zoë ' || i, i * 1.25, timestamptz '2026-01-01 00:00:00Z' + i * interval '1 minute 0.000001 second',
             jsonb_build_object('n', i), md5(i::text)::uuid
      FROM generate_series(1, 300) i;
    CREATE TABLE tgt.orders (LIKE src.orders INCLUDING ALL);
    INSERT INTO tgt.orders SELECT * FROM src.orders;
    ${drift}
  `);
}

const DRIFT = `
  DELETE FROM tgt.orders WHERE id IN (5, 6);
  INSERT INTO tgt.orders VALUES (1000, 'ghost', 1, now(), '{}', NULL);
  UPDATE tgt.orders SET total = total + 0.01, customer = 'Zoe 7' WHERE id = 7;
`;

function pair(): string[] {
  return [db().url, 'src.orders', db().url, 'tgt.orders'];
}

describe('cdc diff (built binary, real PostgreSQL)', () => {
  beforeEach(() => reset());

  it('exits 0 when in sync and prints one JSON document, nothing on stderr', async () => {
    const r = await cdc(['diff', ...pair(), '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      status: 'in_sync',
      counts: { source: '300', target: '300' },
      differences: [],
      truncated: false,
    });
    expect(doc.summary).toEqual({ missing: 0, extra: 0, mismatched: 0 });
  });

  it('exits 1 with differences and documents each: kind, key in key order, columns, both sides', async () => {
    await reset(DRIFT);
    const r = await cdc(['diff', ...pair(), '--format', 'json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as {
      status: string;
      counts: { source: string; target: string };
      summary: Record<string, number>;
      differences: {
        kind: string;
        key: Record<string, unknown>;
        columns: string[];
        source?: Record<string, unknown>;
        target?: Record<string, unknown>;
      }[];
      truncated: boolean;
      stats: { source: { rowsRead: number }; target: unknown; durationMs: number };
      hashing: string;
      algorithm: string;
    };
    expect(doc.status).toBe('differences');
    expect(doc.counts).toEqual({ source: '300', target: '299' });
    expect(doc.summary).toEqual({ missing: 2, extra: 1, mismatched: 1 });
    expect(doc.truncated).toBe(false);
    expect(typeof doc.hashing).toBe('string');
    expect(['hash', 'stream']).toContain(doc.algorithm);
    expect(doc.stats.source.rowsRead).toBeGreaterThan(0);
    const byKind = (k: string) => doc.differences.filter((d) => d.kind === k);
    expect(byKind('missing').map((d) => d.key)).toEqual([{ id: '5' }, { id: '6' }]);
    expect(byKind('extra').map((d) => d.key)).toEqual([{ id: '1000' }]);
    const [m] = byKind('mismatched');
    expect(m?.key).toEqual({ id: '7' });
    expect([...(m?.columns ?? [])].sort()).toEqual(['customer', 'total']);
    expect(m?.source).toMatchObject({ total: '8.75', customer: 'Zoë 7' });
    expect(m?.target).toMatchObject({ total: '8.76', customer: 'Zoe 7' });
  });

  it('text and markdown formats, --output to a file', async () => {
    await reset(DRIFT);
    const text = await cdc(['diff', ...pair()]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/DIFFERENCES/);
    expect(text.stdout).toMatch(/missing 2, extra 1, mismatched 1/);
    expect(text.stdout).not.toContain('\u001b['); // no colors in a pipe
    const out = join(dir, 'result.md');
    const md = await cdc(['diff', ...pair(), '--format', 'markdown', '--output', out]);
    expect(md.code).toBe(1);
    expect(md.stdout).toBe('');
    expect(await readFile(out, 'utf8')).toMatch(/^### /);
  });

  it('--repair-sql writes a guarded script; running it (as psql would) brings the target in sync', async () => {
    await reset(DRIFT);
    const file = join(dir, 'repair.sql');
    const r = await cdc(['diff', ...pair(), '--repair-sql', file, '--format', 'json']);
    expect(r.code).toBe(1);
    const script = await readFile(file, 'utf8');
    expect(script).toMatch(/BEGIN;[\s\S]*COMMIT;/);
    expect(script).toContain('"tgt"."orders"');
    // psql -f sends the file as simple-protocol statements; pg's query() without parameters does the same.
    const client = new pg.Client({ connectionString: db().url });
    await client.connect();
    await client.query(script);
    await client.end();
    const after = await cdc(['diff', ...pair(), '--format', 'json']);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).status).toBe('in_sync');
  });

  it('--apply --yes repairs in place and the next diff is in sync', async () => {
    await reset(DRIFT);
    const r = await cdc(['diff', ...pair(), '--apply', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/repair applied: 2 inserted, 1 updated, 1 deleted/);
    expect((await cdc(['diff', ...pair()])).code).toBe(0);
  });

  it('--apply without --yes refuses when stdin is not a terminal', async () => {
    await reset(DRIFT);
    const r = await cdc(['diff', ...pair(), '--apply']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stdin is not a terminal — add --yes/);
    expect((await cdc(['diff', ...pair()])).code).toBe(1);
  });

  it('options: --max-diffs truncates, --columns/--exclude-columns narrow, --algorithm count counts', async () => {
    await reset(DRIFT);
    const truncated = JSON.parse(
      (await cdc(['diff', ...pair(), '--format', 'json', '--max-diffs', '2'])).stdout,
    );
    expect(truncated.truncated).toBe(true);
    expect(truncated.differences).toHaveLength(2);
    await reset('UPDATE tgt.orders SET meta = \'{"n": -1}\' WHERE id = 9;');
    expect((await cdc(['diff', ...pair(), '--exclude-columns', 'meta'])).code).toBe(0);
    expect((await cdc(['diff', ...pair(), '--columns', 'total,customer'])).code).toBe(0);
    expect((await cdc(['diff', ...pair(), '--columns', 'meta'])).code).toBe(1);
    const counted = JSON.parse(
      (await cdc(['diff', ...pair(), '--algorithm', 'count', '--format', 'json'])).stdout,
    );
    expect(counted).toMatchObject({ algorithm: 'count', status: 'in_sync' });
  });

  it('--json-columns compares JSON kept in a text column with its jsonb copy, as documents', async () => {
    // As SQL Server keeps JSON in nvarchar: other key order, spacing and number spelling than jsonb prints.
    await db().query(`
      DROP TABLE IF EXISTS src.docs, tgt.docs;
      CREATE TABLE src.docs (id int PRIMARY KEY, doc text, note text);
      CREATE TABLE tgt.docs (id int PRIMARY KEY, doc jsonb, note text);
      INSERT INTO src.docs SELECT i, format('{ "b" : [1, 2.50, "x%s"], "a": {"é": null} }', i), 'n'
        FROM generate_series(1, 50) i;
      INSERT INTO tgt.docs SELECT id, doc::jsonb, note FROM src.docs;
    `);
    const docs = [db().url, 'src.docs', db().url, 'tgt.docs'];
    const refused = await cdc(['diff', ...docs]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/"doc" is text on the source but json on the target/);
    expect((await cdc(['diff', ...docs, '--json-columns', 'doc'])).code).toBe(0);
    await db().query(`UPDATE tgt.docs SET doc = jsonb_set(doc, '{b,1}', '2.5001') WHERE id = 17`);
    const found = await cdc(['diff', ...docs, '--json-columns', 'doc', '--format', 'json']);
    expect(found.code).toBe(1);
    const doc = JSON.parse(found.stdout) as {
      differences: { key: { id: number }; columns: string[] }[];
    };
    expect(doc.differences.map((d) => [d.key.id, d.columns])).toEqual([[17, ['doc']]]);
    // Hashed in cdc: both sides read as canonical rows (binary COPY), the text parsed as JSON.
    const hashed = await cdc([
      'diff',
      ...docs,
      '--json-columns',
      'doc',
      '--hashing',
      'client',
      '--format',
      'json',
    ]);
    expect(hashed.code).toBe(1);
    expect(JSON.parse(hashed.stdout).differences.map((d: { key: { id: number } }) => d.key.id)).toEqual([17]);
    const unknown = await cdc(['diff', ...docs, '--json-columns', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/JSON column "nope" is not in source table/);
  });

  it('--timestamp-precision and --float-tolerance relax comparisons', async () => {
    await reset(`UPDATE tgt.orders SET placed_at = placed_at + interval '1 microsecond' WHERE id = 3;
                 UPDATE tgt.orders SET total = total + 0.01 WHERE id = 4;`);
    expect((await cdc(['diff', ...pair(), '--exclude-columns', 'total'])).code).toBe(1);
    expect(
      (await cdc(['diff', ...pair(), '--exclude-columns', 'total', '--timestamp-precision', '3'])).code,
    ).toBe(0);
    expect(
      (await cdc(['diff', ...pair(), '--exclude-columns', 'placed_at', '--float-tolerance', '0.02'])).code,
    ).toBe(0);
  });

  it('--recheck-after re-reads differences and reports the delay used (live mode)', async () => {
    await reset(DRIFT);
    const r = await cdc(['diff', ...pair(), '--format', 'json', '--recheck-after', '50ms']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      live?: { recheckAfterMs: number; resolved: number };
      summary: unknown;
    };
    expect(doc.live).toEqual({ recheckAfterMs: 50, resolved: 0 });
    expect(doc.summary).toEqual({ missing: 2, extra: 1, mismatched: 1 });
  });

  it('Ctrl-C stops a running diff cleanly with exit 2', async () => {
    await reset(DRIFT);
    const child = spawn(
      process.execPath,
      [binary, '--verbose', 'diff', ...pair(), '--recheck-after', '10m'],
      {
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // The debug line comes right before the engine starts; interrupt it during the re-check wait.
      if (d.includes('comparing src.orders')) setTimeout(() => child.kill('SIGINT'), 300);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/error: The diff was cancelled|interrupted by SIGINT/);
  });

  it('names with dots, spaces and capitals, quoted, are matched exactly', async () => {
    await db().query(`TRUNCATE "Sales-EU"."Order Items"; TRUNCATE tgt."Order Items";
      INSERT INTO "Sales-EU"."Order Items" VALUES (1, 1, 5), (1, 2, 6);
      INSERT INTO tgt."Order Items" VALUES (1, 1, 5);`);
    const r = await cdc([
      'diff',
      db().url,
      '"Sales-EU"."Order Items"',
      db().url,
      'tgt."Order Items"',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).differences).toMatchObject([
      { kind: 'missing', key: { 'Order.Id': 1, 'Line No': 2 } },
    ]);
    const wrongCase = await cdc([
      'diff',
      db().url,
      '"sales-eu"."Order Items"',
      db().url,
      'tgt."Order Items"',
    ]);
    expect(wrongCase.code).toBe(2);
  });

  it('passwords: --source-password env:NAME, PGPASSWORD, and never echoed', async () => {
    const password = new URL(db().url).password;
    const bare = withPassword(db().url, null);
    const viaRef = await cdc(
      [
        'diff',
        bare,
        'src.orders',
        bare,
        'tgt.orders',
        '--source-password',
        'env:SRC_PW',
        '--target-password',
        'env:SRC_PW',
      ],
      { SRC_PW: password },
    );
    expect(viaRef.code).toBe(0);
    expect((await cdc(['diff', bare, 'src.orders', bare, 'tgt.orders'], { PGPASSWORD: password })).code).toBe(
      0,
    );
    const literal = await cdc([
      'diff',
      bare,
      'src.orders',
      bare,
      'tgt.orders',
      '--source-password',
      password,
    ]);
    expect(literal.code).toBe(2);
    expect(literal.stderr).toMatch(/must be a reference/);
    expect(literal.stderr).not.toContain(password);
  });
});

describe('bad input: one line, exit 2, no stack trace, no secret', () => {
  beforeAll(() => reset());

  const cases: [string, () => string[], RegExp][] = [
    [
      'unreachable host',
      () => ['diff', 'postgres://u:pw-secret@127.0.0.1:1/db', 'src.orders', db().url, 'tgt.orders'],
      /cannot connect|ECONNREFUSED|connection refused/i,
    ],
    [
      'wrong password',
      () => ['diff', withPassword(db().url, 'wrong-secret'), 'src.orders', db().url, 'tgt.orders'],
      /password authentication failed/,
    ],
    ['missing table', () => ['diff', db().url, 'src.nope', db().url, 'tgt.orders'], /nope/],
    ['no primary key', () => ['diff', db().url, 'src.no_key', db().url, 'src.no_key'], /primary key|--key/i],
    ['unsupported type', () => ['diff', db().url, 'src.odd', db().url, 'src.odd'], /point/],
    [
      'malformed URL',
      () => ['diff', 'postgres://u:pw-secret@[bad/db', 'src.orders', db().url, 'tgt.orders'],
      /not a valid URL/,
    ],
    [
      'unknown scheme',
      () => ['diff', 'oracle://u@h/db', 'src.orders', db().url, 'tgt.orders'],
      /unsupported scheme "oracle:"/,
    ],
    ['bad table name', () => ['diff', db().url, 'src..orders', db().url, 'tgt.orders'], /invalid table name/],
    ['wrong argument count', () => ['diff', db().url, 'src.orders'], /needs 4 arguments/],
    ['bad option value', () => ['diff', ...pair(), '--max-diffs', 'lots'], /--max-diffs must be an integer/],
    [
      'bad duration',
      () => ['diff', ...pair(), '--recheck-after', 'soon'],
      /--recheck-after: cannot read "soon"/,
    ],
    ['unknown option', () => ['diff', ...pair(), '--frobnicate'], /unknown option/],
    [
      'missing config file',
      () => ['diff', '--config', '/nonexistent/cdc.yaml', '--table', 't'],
      /cannot read configuration file/,
    ],
  ];

  it.each(cases)('%s', async (_name, args, message) => {
    const r = await cdc(args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toContain('pw-secret');
    expect(r.stderr).not.toContain('wrong-secret');
    expect(r.stderr).not.toContain(new URL(db().url).password);
    const lines = r.stderr.trimEnd().split('\n');
    // commander's own usage errors add its help hint line; ours are exactly one line.
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toMatch(/^error: /);
  });

  it('malformed config file: file:line:col, key path and the fix', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      'connections:\n  pg: { url: postgres://h/db }\npipelines:\n  - { name: p, source: pg, target: nope, tables: [t] }\n',
    );
    const r = await cdc(['diff', '--config', file, '--table', 't']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:4:36 pipelines[0].target: unknown connection "nope"`);
  });

  it('--verbose adds the stack trace', async () => {
    const r = await cdc(['--verbose', 'diff', db().url, 'src.nope', db().url, 'tgt.orders']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
