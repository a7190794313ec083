/**
 * `cdc-worker` loads connector plugins before it parses any URL: `CDC_PLUGINS`, `--plugin` and the
 * configuration's `plugins:` (relative to the file). The alias plugin of @cdc/connectors' fixtures
 * (`alias://` over the PostgreSQL adapter; Node loads @cdc/postgres from its build) replicates a real
 * PostgreSQL table here.
 */
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createLogger } from '@cdc/metrics';
import { createTestDatabase, freePort, useTestDatabase, type TestDatabase } from '@cdc/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkerCli, type Worker } from '../src/index.js';

const alias = fileURLToPath(
  new URL('../../../packages/connectors/test/fixtures/plugins/alias.mjs', import.meta.url),
);
const src = useTestDatabase('cdc_wkp_src');
let dst: TestDatabase;
let dir: string;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  dst = await createTestDatabase('cdc_wkp_dst');
  dir = await mkdtemp(join(tmpdir(), 'cdc-worker-plugins-'));
  await src().query('CREATE TABLE items (id int PRIMARY KEY, name text)');
  await src().query("INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 20) g");
});

afterAll(async () => {
  for (const slot of ['cdc_env', 'cdc_conf']) {
    await src()
      .query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [
        slot,
      ])
      .catch(() => undefined);
  }
  await dst.drop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Runs the worker CLI until the pipeline has copied the table into `schema`, then stops it. */
async function replicateThrough(argv: string[], env: Record<string, string>, schema: string): Promise<void> {
  const signals = new EventEmitter();
  let started: Worker | undefined;
  let exited: number | undefined;
  const exit = runWorkerCli([...argv, '--metrics-port', String(await freePort())], {
    env,
    logger,
    signals: signals as unknown as Pick<NodeJS.Process, 'once' | 'off'>,
    onStarted: (w) => (started = w),
  }).then((code) => (exited = code));
  try {
    const worker = await until('worker started', async () => {
      if (exited !== undefined) throw new Error(`the worker exited with ${exited}`);
      return started;
    });
    await until('snapshot replicated through the alias scheme', async () => {
      const state = worker.pipelines.get(schema);
      if (state?.state === 'failed') throw new Error(state.error);
      const rows = await dst
        .query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".items`)
        .catch(() => [{ n: 0 }]);
      return rows[0]?.n === 20;
    });
  } finally {
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
  }
}

function config(slot: string, schema: string, plugins = ''): string {
  return [
    plugins,
    'connections:',
    `  src: { url: "${src().url.replace(/^postgres(ql)?:/, 'alias:')}" }`,
    `  dst: { url: "${dst.url}" }`,
    'pipelines:',
    `  - { name: ${schema}, source: src, target: dst, slot: ${slot}, targetSchema: ${schema}, tables: [public.items] }`,
    '',
  ].join('\n');
}

describe('cdc-worker plugins (real PostgreSQL)', () => {
  it('CDC_PLUGINS makes alias:// a replication source', async () => {
    const file = join(dir, 'env.yaml');
    await writeFile(file, config('cdc_env', 'from_env'));
    await dst.query('CREATE SCHEMA from_env');
    await replicateThrough(['--config', file], { CDC_PLUGINS: alias }, 'from_env');
  });

  it('plugins: in the configuration resolve against its folder', async () => {
    const confDir = join(dir, 'conf');
    await mkdir(join(confDir, 'plugins'), { recursive: true });
    await writeFile(
      join(confDir, 'plugins', 'relay.mjs'),
      `export { aliasConnector } from ${JSON.stringify(pathToFileURL(alias).href)};\n`,
    );
    const file = join(confDir, 'cdc.yaml');
    await writeFile(file, config('cdc_conf', 'from_conf', 'plugins: [./plugins/relay.mjs]'));
    await dst.query('CREATE SCHEMA from_conf');
    await replicateThrough(['--config', file], {}, 'from_conf');
  });

  it('a --plugin that does not exist stops the worker from starting, naming the plugin', async () => {
    const file = join(dir, 'none.yaml');
    await writeFile(file, config('cdc_none', 'none'));
    const lines: string[] = [];
    const capture = createLogger({
      level: 'error',
      pretty: false,
      destination: { write: (s: string) => void lines.push(s) } as unknown as NodeJS.WritableStream,
    });
    expect(
      await runWorkerCli(['--config', file, '--plugin', './no-such-plugin.mjs'], {
        env: {},
        logger: capture,
      }),
    ).toBe(2);
    expect(lines.join('')).toContain('plugin ./no-such-plugin.mjs not found');
  });
});
