/**
 * Connector plugins in the built `cdc` executable: `--plugin`, `CDC_PLUGINS` and `plugins:` load a module
 * before any URL is parsed; fixtures/alias.mjs registers `alias://` over the PostgreSQL adapter, and a
 * diff between `alias://` and `postgres://` runs against the real embedded PostgreSQL.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { useTestDatabase } from '@cdc/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, cdc } from './cli-harness.js';

const db = useTestDatabase();
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
let elsewhere: string;

/** The test database's URL under the `alias:` scheme. */
const aliasUrl = () => db().url.replace(/^postgres(ql)?:/, 'alias:');

beforeAll(async () => {
  buildCli();
  elsewhere = await mkdtemp(join(tmpdir(), 'cdc-cli-plugins-'));
  await db().query(`
    CREATE TABLE src (id int PRIMARY KEY, name text, total numeric(10,2));
    CREATE TABLE dst (LIKE src INCLUDING ALL);
    INSERT INTO src SELECT i, 'n' || i, i * 1.5 FROM generate_series(1, 100) i;
    INSERT INTO dst SELECT * FROM src;
    UPDATE dst SET name = 'changed' WHERE id = 7;
  `);
});

interface Listing {
  scheme: string;
  name: string;
  packageName: string;
  plugin?: string;
  capabilities: Record<string, boolean>;
}

describe('cdc diff --plugin (built binary, real PostgreSQL)', () => {
  it('compares an alias:// table with a postgres:// one through the plugin', async () => {
    const r = await cdc(
      [
        'diff',
        '--plugin',
        './alias.mjs',
        aliasUrl(),
        'public.src',
        db().url,
        'public.dst',
        '--format',
        'json',
      ],
      {},
      undefined,
      fixtures,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { summary: Record<string, number>; differences: { key: unknown }[] };
    expect(doc.summary).toEqual({ missing: 0, extra: 0, mismatched: 1 });
    expect(doc.differences.map((d) => d.key)).toEqual([{ id: 7 }]);
  });

  it('without the plugin the scheme is refused, listing the registered ones and how to add one', async () => {
    const r = await cdc(['diff', aliasUrl(), 'public.src', db().url, 'public.dst'], {}, undefined, fixtures);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unsupported scheme "alias:"');
    expect(r.stderr).toContain('--plugin');
    expect(r.stderr).not.toContain(new URL(db().url).password || '\u0000');
  });

  it('a plugin that does not exist fails the command, naming it, before anything connects', async () => {
    const r = await cdc(
      ['diff', '--plugin', './nope.mjs', db().url, 'public.src', db().url, 'public.dst'],
      {},
      undefined,
      elsewhere,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`plugin ./nope.mjs not found: ${join(elsewhere, 'nope.mjs')} does not exist`);
  });
});

describe('cdc plugins', () => {
  it('lists every built-in scheme with its package and capabilities (text)', async () => {
    const r = await cdc(['plugins']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SCHEME\s+ENGINE\s+PACKAGE\s+LOADED FROM\s+CAPABILITIES$/);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^postgres:\/\/\s+postgres\s+@cdc\/postgres\s+built-in\s+scan, change-source, sink, hash-pushdown$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^mssql:\/\/\s+sqlserver\s+@cdc\/sqlserver\s+built-in\s+scan, change-source, hash-pushdown$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^cassandra:\/\/\s+scylla\s+@cdc\/scylla\s+built-in\s+scan, change-source$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^mariadb:\/\/\s+mysql\s+@cdc\/mysql\s+built-in\s+scan\b/),
    );
  });

  it('--format json includes plugins from CDC_PLUGINS and --plugin, marked with their specifier', async () => {
    const r = await cdc(['plugins', '--format', 'json', '--plugin', './alias.mjs'], {}, undefined, fixtures);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { schemes } = JSON.parse(r.stdout) as { schemes: Listing[] };
    expect(schemes.map((s) => s.scheme)).toEqual(
      expect.arrayContaining([
        'postgres',
        'postgresql',
        'mssql',
        'sqlserver',
        'scylla',
        'cassandra',
        'alias',
      ]),
    );
    expect(schemes.find((s) => s.scheme === 'alias')).toMatchObject({
      name: 'alias',
      packageName: 'alias.mjs',
      plugin: './alias.mjs',
      capabilities: { scan: true, changeSource: true, sink: true, hashPushdown: true },
    });
    expect(schemes.find((s) => s.scheme === 'postgres')?.plugin).toBeUndefined();

    const fromEnv = await cdc(['plugins', '--format', 'json'], {
      CDC_PLUGINS: ` ${join(fixtures, 'alias.mjs')} ,`,
    });
    expect(fromEnv.code).toBe(0);
    const listed = (JSON.parse(fromEnv.stdout) as { schemes: Listing[] }).schemes;
    expect(listed.find((s) => s.scheme === 'alias')?.plugin).toBe(join(fixtures, 'alias.mjs'));
  });

  it('CDC_PLUGINS with a missing module fails every command that needs connectors, naming it', async () => {
    const r = await cdc(['plugins'], { CDC_PLUGINS: './missing-plugin.mjs' }, undefined, elsewhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('plugin ./missing-plugin.mjs not found');
  });
});

describe('plugins: in the configuration', () => {
  it('resolves relative to the configuration file, whatever the working directory, and serves its scheme', async () => {
    // The configuration lives in its own folder; its plugin (./plugins/relay.mjs) re-exports the fixture.
    const dir = await mkdtemp(join(tmpdir(), 'cdc-cli-plugin-config-'));
    await mkdir(join(dir, 'plugins'));
    await writeFile(
      join(dir, 'plugins', 'relay.mjs'),
      `export { aliasConnector } from ${JSON.stringify(pathToFileURL(join(fixtures, 'alias.mjs')).href)};\n`,
    );
    const config = join(dir, 'cdc.yaml');
    await writeFile(
      config,
      `plugins: [./plugins/relay.mjs]
connections:
  erp: { url: "${aliasUrl()}" }
  dw: { url: "${db().url}" }
pipelines:
  - name: shop
    source: erp
    target: dw
    tables:
      - { source: public.src, target: public.dst }
`,
    );
    const listed = await cdc(['plugins', '--config', config, '--format', 'json'], {}, undefined, elsewhere);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(
      (JSON.parse(listed.stdout) as { schemes: Listing[] }).schemes.find((s) => s.scheme === 'alias'),
    ).toMatchObject({ plugin: './plugins/relay.mjs' });
    const r = await cdc(
      ['diff', '--config', config, '--table', 'public.src', '--format', 'json'],
      {},
      undefined,
      elsewhere,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ summary: { missing: 0, extra: 0, mismatched: 1 } });
  });
});
