/**
 * Plugin loading: resolution of paths (against the configuration's folder or the working directory)
 * and package names (from the working directory), what a module may export, and errors that name the
 * plugin. The alias plugin then reads a real PostgreSQL table through its own scheme.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CdcError } from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import { describe, expect, it } from 'vitest';
import { createConnectorRegistry, parsePluginList, type ConnectorRegistry } from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const plugins = join(fixtures, 'plugins');

async function failure(work: Promise<unknown>): Promise<CdcError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CdcError);
  return error as CdcError;
}

describe('loadPlugins', () => {
  it('a relative path resolves against baseDir (the configuration file’s folder), not the working directory', async () => {
    const registry = await createConnectorRegistry();
    const loaded = await registry.loadPlugins(['./plugins/alias.mjs'], { baseDir: fixtures, cwd: tmpdir() });
    expect(loaded.map((p) => p.connectors.map((c) => c.name))).toEqual([['alias']]);
    expect(registry.get('alias')?.packageName).toBe('alias.mjs');
    expect(registry.list().find((l) => l.scheme === 'alias')).toMatchObject({
      plugin: './plugins/alias.mjs',
      capabilities: { scan: true, changeSource: true, sink: true, hashPushdown: true },
    });
    // Without baseDir the same path is relative to cwd, where there is no such file.
    const error = await failure(
      (await createConnectorRegistry()).loadPlugins(['./plugins/alias.mjs'], { cwd: tmpdir() }),
    );
    expect(error.message).toBe(
      `plugin ./plugins/alias.mjs not found: ${join(tmpdir(), 'plugins/alias.mjs')} does not exist`,
    );
    expect(error.hint).toContain('the working directory');
  });

  it('loading the same module twice registers it once', async () => {
    const registry = await createConnectorRegistry();
    await registry.loadPlugins(['./alias.mjs'], { baseDir: plugins });
    const again = await registry.loadPlugins([join(plugins, 'alias.mjs')]);
    expect(again).toEqual([]);
    expect(registry.schemes().filter((s) => s === 'alias')).toHaveLength(1);
  });

  it('a default export of an array registers each descriptor', async () => {
    const registry = await createConnectorRegistry();
    await registry.loadPlugins(['./two-engines.mjs'], { baseDir: plugins });
    expect(registry.get('first')?.name).toBe('first');
    expect(registry.get('second')?.name).toBe('second');
  });

  it('a scheme already taken names the plugin and the provider that has it', async () => {
    const error = await failure(
      (await createConnectorRegistry()).loadPlugins(['./takes-postgres.mjs'], { baseDir: plugins }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      'plugin ./takes-postgres.mjs: connector "impostor" (./takes-postgres.mjs) cannot register scheme "postgres:", connector "postgres" (@cdc/postgres) already provides it',
    );
  });

  it('a module without a descriptor is named', async () => {
    const error = await failure(
      (await createConnectorRegistry()).loadPlugins(['./no-descriptor.mjs'], { baseDir: plugins }),
    );
    expect(error.message).toBe('plugin ./no-descriptor.mjs exports no connector descriptor');
    expect(error.hint).toContain('docs/contributing.md');
  });

  it('an incomplete descriptor is named with what is missing', async () => {
    const error = await failure(
      (await createConnectorRegistry()).loadPlugins(['./invalid-descriptor.mjs'], { baseDir: plugins }),
    );
    expect(error.message).toBe(
      'plugin ./invalid-descriptor.mjs (export brokenConnector): connector "broken" has no openScanSource(url, options)',
    );
  });

  it('a module that fails to load is named with the reason', async () => {
    const error = await failure(
      (await createConnectorRegistry()).loadPlugins(['./fails-to-load.mjs'], { baseDir: plugins }),
    );
    expect(error.message).toMatch(
      /^plugin \.\/fails-to-load\.mjs could not be loaded: .*cdc-package-that-does-not-exist/,
    );
  });

  it('a package name resolves from the working directory (ESM-only exports map), not from baseDir', async () => {
    const project = await mkdtemp(join(tmpdir(), 'cdc-plugin-project-'));
    const pkg = join(project, 'node_modules', 'cdc-plugin-demo');
    await mkdir(pkg, { recursive: true });
    await writeFile(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'cdc-plugin-demo', type: 'module', exports: { '.': { import: './index.js' } } }),
    );
    await writeFile(
      join(pkg, 'index.js'),
      `export const demoConnector = {
        name: 'demo', packageName: 'cdc-plugin-demo', schemes: ['demo'], exampleUrl: 'demo://host/db',
        passwordVariables: ['DEMO_PASSWORD'],
        capabilities: { scan: true, changeSource: false, sink: false, hashPushdown: false },
        openScanSource: async () => { throw new Error('demo has no server'); },
      };\n`,
    );
    const registry = await createConnectorRegistry({
      plugins: ['cdc-plugin-demo'],
      cwd: project,
      baseDir: fixtures,
    });
    expect(registry.get('demo')?.passwordVariables).toEqual(['DEMO_PASSWORD']);
    const error = await failure(createConnectorRegistry({ plugins: ['cdc-plugin-demo'], cwd: fixtures }));
    expect(error.message).toBe(`plugin cdc-plugin-demo not found from ${fixtures}`);
    expect(error.hint).toBe(
      'install it there (npm install cdc-plugin-demo), or give a path such as ./my-adapter.mjs',
    );
  });

  it('parsePluginList splits CDC_PLUGINS on commas and drops blanks', () => {
    expect(parsePluginList(' ./a.mjs, @acme/cdc-x ,,')).toEqual(['./a.mjs', '@acme/cdc-x']);
    expect(parsePluginList(undefined)).toEqual([]);
  });
});

describe('a plugin scheme over a real PostgreSQL', () => {
  const db = useTestDatabase();
  let registry: ConnectorRegistry;

  it('alias:// opens the PostgreSQL adapter and reads the table', async () => {
    registry = await createConnectorRegistry({ plugins: ['./alias.mjs'], baseDir: plugins });
    await db().query(
      'CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, $$a$$), (2, $$b$$)',
    );
    const url = db().url.replace(/^postgres(ql)?:/, 'alias:');
    const source = await registry.openScanSource(url);
    try {
      const table = await source.introspect({ schema: 'public', name: 'items' });
      expect(source.dialect).toBe('postgres');
      expect(await source.count(table)).toBe(2n);
    } finally {
      await source.close();
    }
  });
});
