import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  configJsonSchema,
  loadConfigFile,
  parseConfig,
  resolveConfigSecrets,
} from './config-load.js';
import { defaultSecretResolvers, type SecretResolver } from './config-secrets.js';

const valid = `
connections:
  source:
    url: mssql://cdc@sql1:1433/Sales
    password: env:MSSQL_PASSWORD
  target:
    url: postgres://cdc@\${PG_HOST}:5432/app
pipelines:
  - name: sales
    source: source
    target: target
    tables:
      - dbo.customers
      - { source: '"Sales-EU"."Order Items"', target: public.order_items, key: [id] }
reconcile:
  schedule: "0 */6 * * *"
  algorithm: hash
metrics:
  port: 9464
`;

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    return (error as ConfigError).message.split('\n').map((l) => l.trim());
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('parses a valid file and interpolates ${ENV}', () => {
    const config = parseConfig(valid, { env: { PG_HOST: 'db.internal' } });
    expect(config.connections.target?.url).toBe('postgres://cdc@db.internal:5432/app');
    expect(config.connections.source?.password).toBe('env:MSSQL_PASSWORD');
    expect(config.pipelines[0]?.tables).toHaveLength(2);
    expect(config.metrics?.port).toBe(9464);
  });

  it('supports defaults and a literal $${', () => {
    const config = parseConfig(
      'connections:\n  a: { url: "postgres://h/${DB:-app}", password: "p$${x}" }\n',
      { env: {} },
    );
    expect(config.connections.a?.url).toBe('postgres://h/app');
    expect(config.connections.a?.password).toBe('p${x}');
  });

  it('names the file, line, path and fix for an unset variable', () => {
    const [line] = issuesOf(() => parseConfig(valid, { source: 'cdc.yaml', env: {} }));
    expect(line).toBe(
      'cdc.yaml:7:10 connections.target.url: environment variable PG_HOST is not set; export it or write ${PG_HOST:-default}',
    );
  });

  it('reports an unknown connection at the pipeline key, listing the known ones', () => {
    const text = valid.replace('target: target', 'target: warehouse');
    const [line] = issuesOf(() => parseConfig(text, { source: 'cdc.yaml', env: { PG_HOST: 'h' } }));
    expect(line).toMatch(/^cdc\.yaml:11:13 pipelines\[0\]\.target: unknown connection "warehouse"/);
    expect(line).toMatch(/known: source, target/);
  });

  it('reports misspelled keys, bad enums, wrong types and bad table names, all at once', () => {
    const text = `
connections:
  a: { url: postgres://h/db, pasword: x }
pipelines:
  - { name: p, source: a, target: a, tables: ['bad..name'] }
reconcile: { algorithm: fast }
metrics: { port: "9464" }
`;
    const lines = issuesOf(() => parseConfig(text, { source: 'c.yaml', env: {} }));
    expect(lines[0]).toBe('c.yaml: 4 problems');
    const body = lines.slice(1).join('\n');
    expect(body).toContain(
      'c.yaml:3:6 connections.a: unknown key "pasword"; remove it or check the spelling',
    );
    expect(body).toContain('pipelines[0].tables[0]: ');
    expect(body).toContain('reconcile.algorithm: must be one of "auto", "hash", "stream", "count"');
    expect(body).toContain('c.yaml:7:18 metrics.port: expected number, got string');
  });

  it('reports a missing required key', () => {
    const [line] = issuesOf(() => parseConfig('connections:\n  a: { password: x }\n', { source: 'c.yaml' }));
    expect(line).toBe('c.yaml:2:6 connections.a.url: is required (expected string)');
  });

  it('reports YAML syntax errors with their position', () => {
    const [line] = issuesOf(() => parseConfig('connections:\n  a: [unclosed\n', { source: 'c.yaml' }));
    expect(line).toMatch(/^c\.yaml:\d+:\d+ \(top level\): YAML syntax error/);
  });

  it('rejects an empty file with a hint', () => {
    expect(issuesOf(() => parseConfig('', { source: 'c.yaml' }))[0]).toMatch(
      /empty; start with a connections: block/,
    );
  });

  it('loads from a file and names a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cdc-config-'));
    const file = join(dir, 'cdc.yaml');
    await writeFile(file, valid);
    expect((await loadConfigFile(file, { env: { PG_HOST: 'h' } })).pipelines[0]?.name).toBe('sales');
    await expect(loadConfigFile(join(dir, 'nope.yaml'))).rejects.toThrow(
      /cannot read configuration file .*nope\.yaml \(ENOENT\)/,
    );
  });
});

describe('resolveConfigSecrets', () => {
  it('resolves env:, file: and custom schemes, returning the secrets for redaction', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cdc-secret-'));
    await writeFile(join(dir, 'pw'), 's3cret-file\n');
    const vault: SecretResolver = { scheme: 'vault', resolve: async (ref) => `vault(${ref})` };
    const config = parseConfig(
      `connections:
  a: { url: postgres://h/db, password: env:PW }
  b: { url: postgres://h/db, password: "file:${join(dir, 'pw')}" }
  c: { url: postgres://h/db, password: "vault:secret/cdc#pw" }
  d: { url: env:D_URL }
`,
      { env: {} },
    );
    const { config: resolved, secrets } = await resolveConfigSecrets(
      config,
      defaultSecretResolvers({ PW: 'from-env', D_URL: 'postgres://u:p@h/db' }, [vault]),
    );
    expect(resolved.connections.a?.password).toBe('from-env');
    expect(resolved.connections.b?.password).toBe('s3cret-file');
    expect(resolved.connections.c?.password).toBe('vault(secret/cdc#pw)');
    expect(resolved.connections.d?.url).toBe('postgres://u:p@h/db');
    expect(secrets).toEqual(expect.arrayContaining(['from-env', 's3cret-file', 'vault(secret/cdc#pw)']));
  });

  it('collects every unresolvable reference with its path and fix', async () => {
    const config = parseConfig(
      'connections:\n  a: { url: postgres://h/db, password: env:NOPE }\n  b: { url: postgres://h/db, password: "vault:x#y" }\n',
      { env: {} },
    );
    const error = await resolveConfigSecrets(config, defaultSecretResolvers({}), 'c.yaml').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain(
      'connections.a.password: secret reference env:NOPE: the environment variable NOPE is not set; export NOPE=',
    );
    expect(message).toContain(
      'connections.b.password: secret reference vault:…: no vault resolver is configured; add a vault: block',
    );
  });

  it('reports every reference with its path and outcome, never a value', async () => {
    const config = parseConfig(
      `connections:
  a: { url: env:A_URL, password: env:PW }
  b: { url: postgres://h/db, password: env:NOPE }
  c: { url: postgres://h/db, password: "env:NOPE || env:PW" }
  d: { url: postgres://h/db, password: plain-literal-pw }
`,
      { env: {} },
    );
    const resolvers = defaultSecretResolvers({
      A_URL: 'postgres://u:url-secret-7f@h/db',
      PW: 'pw-secret-7f',
    });
    const { references, config: resolved } = await resolveConfigSecrets(config, resolvers, 'c.yaml', {
      collectFailures: true,
    });
    expect(references).toEqual([
      { path: 'connections.a.url', reference: 'env:A_URL', status: 'resolved', resolvedBy: 'env:A_URL' },
      { path: 'connections.a.password', reference: 'env:PW', status: 'resolved', resolvedBy: 'env:PW' },
      {
        path: 'connections.b.password',
        reference: 'env:NOPE',
        status: 'failed',
        error: 'secret reference env:NOPE: the environment variable NOPE is not set',
        hint: 'export NOPE=… before running cdc',
        code: 'SECRET_UNRESOLVED',
      },
      {
        path: 'connections.c.password',
        reference: 'env:NOPE || env:PW',
        status: 'resolved',
        resolvedBy: 'env:PW',
      },
    ]);
    // A failed reference stays as written; the others are resolved.
    expect(resolved.connections.b?.password).toBe('env:NOPE');
    expect(resolved.connections.c?.password).toBe('pw-secret-7f');
    expect(JSON.stringify(references)).not.toMatch(/secret-7f|plain-literal-pw/);
    // Without collectFailures the same failure throws, as before.
    await expect(resolveConfigSecrets(config, resolvers, 'c.yaml')).rejects.toThrow(
      'connections.b.password: secret reference env:NOPE',
    );
  });

  it('refuses literal fallbacks in a chain without echoing them', async () => {
    const config = parseConfig(
      'connections:\n  a: { url: postgres://h/db, password: "env:NOPE || hunter2-x" }\n',
      {
        env: {},
      },
    );
    const { references } = await resolveConfigSecrets(config, defaultSecretResolvers({}), 'c.yaml', {
      collectFailures: true,
    });
    expect(references).toHaveLength(1);
    expect(references[0]).toMatchObject({ status: 'failed', code: 'SECRET_UNRESOLVED' });
    expect(references[0]?.error).toContain('env:NOPE (secret reference env:NOPE: the environment variable');
    expect(references[0]?.error).toContain('a literal value (not a secret reference');
    expect(references[0]?.error).not.toContain('hunter2-x');
  });

  it('scrubs values resolved elsewhere from a resolver message', async () => {
    const leaky: SecretResolver = {
      scheme: 'leaky',
      resolve: async () => {
        throw new Error('upstream said: token pw-secret-9q rejected');
      },
    };
    const config = parseConfig(
      'connections:\n  a: { url: postgres://h/db, password: env:PW }\n  b: { url: postgres://h/db, password: "leaky:x" }\n',
      { env: {} },
    );
    const { references } = await resolveConfigSecrets(
      config,
      defaultSecretResolvers({ PW: 'pw-secret-9q' }, [leaky]),
      'c.yaml',
      { collectFailures: true },
    );
    expect(references[1]).toMatchObject({ status: 'failed', error: 'upstream said: token *** rejected' });
  });

  it('leaves plain values and URLs alone', async () => {
    const config = parseConfig('connections:\n  a: { url: "postgres://u:env:x@h/db", password: plain }\n', {
      env: {},
    });
    const { config: resolved } = await resolveConfigSecrets(config, defaultSecretResolvers({}));
    expect(resolved.connections.a).toEqual({ url: 'postgres://u:env:x@h/db', password: 'plain' });
  });
});

describe('configJsonSchema', () => {
  it('exports a JSON Schema describing the top-level blocks', () => {
    const schema = configJsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const properties = schema.properties as Record<string, unknown>;
    expect(Object.keys(properties)).toEqual(
      expect.arrayContaining(['connections', 'pipelines', 'reconcile', 'metrics', 'vault', 'kafka']),
    );
    expect(schema.required ?? []).toEqual([]);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('pipelines of both modes', () => {
  it('accepts kafka-connect pipelines (validated further by @cdc/kafka-connect) next to embedded ones', () => {
    const config = parseConfig(
      `connections: { a: { url: postgres://h/db } }
pipelines:
  - { name: embedded, source: a, target: a, tables: [t] }
  - { name: scaled, mode: kafka-connect, source: { type: sqlserver }, target: { url: x } }
`,
      { env: {} },
    );
    expect(config.pipelines.map((p) => p.name)).toEqual(['embedded', 'scaled']);
  });

  it('points at the real mistake inside a pipeline, not at the union', () => {
    const lines = issuesOf(() =>
      parseConfig(
        'connections: { a: { url: postgres://h/db } }\npipelines:\n  - { name: p, source: a, target: a, tables: [t], mode: stream, extra: 1 }\n',
        {
          source: 'c.yaml',
          env: {},
        },
      ),
    );
    expect(lines[0]).toMatch(/^c\.yaml:3:5 pipelines\[0\]: unknown key "extra"/);
  });
});
