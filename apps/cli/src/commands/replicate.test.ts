import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusDocument } from '@cdc/console';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '@cdc/testkit';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResolvedConfig, type CliDeps } from '../context.js';
import { Redactor } from '../redact.js';
import { registerReplicateCommand, type ReplicationCommandOptions } from './replicate.js';
import { registerSnapshotCommand } from './snapshot.js';
import { registerStatusCommand } from './status.js';

// Real source and target databases; the commands run in-process with captured output.
const src = useTestDatabase('cdc_cli_src');
let dst: TestDatabase;
let configFile: string;

beforeAll(async () => {
  dst = await createTestDatabase('cdc_cli_dst');
  await src().query('CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(8,2))');
  await src().query("INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series(1, 50) g");
  const dir = await mkdtemp(join(tmpdir(), 'cdc-cli-replicate-'));
  configFile = join(dir, 'cdc.yaml');
  const pw = (url: string) => new URL(url).password;
  const bare = (url: string) => {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  };
  await writeFile(
    configFile,
    [
      'connections:',
      `  src: { url: "${bare(src().url)}", password: env:SRC_PW }`,
      `  dst: { url: "${bare(dst.url)}", password: env:DST_PW }`,
      'pipelines:',
      '  - { name: shop, source: src, target: dst, tables: [public.items] }',
      '',
    ].join('\n'),
  );
  process.env.SRC_PW = pw(src().url);
  process.env.DST_PW = pw(dst.url);
});

afterAll(async () => {
  await run(['replicate', '--config', configFile, '--drop-slot']).catch(() => undefined);
  await dst.drop();
});

async function run(args: string[], hooks: ReplicationCommandOptions = {}) {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const env = { SRC_PW: process.env.SRC_PW, DST_PW: process.env.DST_PW };
  const deps: CliDeps = {
    stdout: { write: (s: string) => ((stdout += s), true), isTTY: false },
    stderr: { write: (s: string) => ((stderr += s), true), isTTY: false },
    env,
    stdinIsTTY: false,
    prompt: async () => '',
    loadConfig: (path) => loadResolvedConfig(deps, path, new Redactor()),
    setExitCode: (c) => (code = c),
  };
  const program = new Command('cdc').exitOverride();
  registerReplicateCommand(program, deps, hooks);
  registerSnapshotCommand(program, deps, hooks);
  registerStatusCommand(program, deps);
  await program.parseAsync(args, { from: 'user' });
  return { code, stdout, stderr };
}

const rows = (db: { query: TestDatabase['query'] }) =>
  db.query('SELECT id, name, price::text FROM public.items ORDER BY id');

describe('cdc replicate / snapshot / status (real PostgreSQL)', () => {
  it('replicate --once snapshots then streams, and status reports the table', async () => {
    const first = await run(['replicate', '--config', configFile, '--once']);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('shop: 1 table(s) snapshotted (50 rows)');
    await src().query('UPDATE items SET price = price * 2 WHERE id <= 10; DELETE FROM items WHERE id = 50');
    const second = await run(['replicate', '--config', configFile, '--once', '--format', 'json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)[0]).toMatchObject({ pipeline: 'shop', events: 11, deletes: 1 });
    expect(await rows(dst)).toEqual(await rows(src()));

    const status = await run(['status', '--config', configFile, '--format', 'json']);
    expect(status.code).toBe(0);
    const doc = JSON.parse(status.stdout) as StatusDocument;
    // The same versioned document as the worker's GET /api/v1/status, valid against its published schema.
    const schema = JSON.parse(
      await readFile(new URL('../../../../docs/api/status.schema.json', import.meta.url), 'utf8'),
    ) as object;
    const ajv = new Ajv2020({ allErrors: true });
    addFormats.default(ajv, ['date-time']);
    const validate = ajv.compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc).toMatchObject({
      version: 1,
      service: 'cdc',
      pipelines: [{ name: 'shop', state: 'unknown' }],
    });
    const [table] = doc.tables;
    expect(table).toMatchObject({
      pipeline: 'shop',
      table: 'public.items',
      snapshot: 'done',
      deadLetters: 0,
      lastReconcile: null,
    });
    expect(table!.position).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(table!.lagBytes).not.toBeNull();
    const text = await run(['status', '--config', configFile]);
    expect(text.stdout).toMatch(/shop\s+public\.items\s+done/);
  });

  it('replicate (until stopped) stops gracefully on the stop signal with exit code 0', async () => {
    const stop = new AbortController();
    await src().query("INSERT INTO items VALUES (100, 'late', 1)");
    const running = run(['replicate', '--config', configFile], { stop: stop.signal });
    // Stop once the late row has arrived in the target.
    for (let i = 0; i < 600; i++) {
      if ((await dst.query('SELECT 1 FROM public.items WHERE id = 100')).length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    stop.abort();
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('(stopped)');
    expect(await rows(dst)).toEqual(await rows(src()));
  });

  it('snapshot --table re-copies one table, replacing stray target rows', async () => {
    await dst.query("INSERT INTO public.items VALUES (999, 'stray', 0)");
    const result = await run(['snapshot', '--config', configFile, '--table', 'public.items']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('shop: public.items: 50 rows');
    expect(await rows(dst)).toEqual(await rows(src()));
    const unknown = await run(['snapshot', '--config', configFile, '--table', 'public.nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no configured pipeline replicates public.nope');
  });

  it('replicate --drop-slot removes the slot', async () => {
    const result = await run(['replicate', '--config', configFile, '--drop-slot']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('shop: dropped replication slot cdc_shop');
    expect(await src().query("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'cdc_shop'")).toEqual([]);
  });
});
