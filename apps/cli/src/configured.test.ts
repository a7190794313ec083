import { createConnectorRegistry } from '@cdc/connectors';
import { parseConfig } from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import { describe, expect, it } from 'vitest';
import { tableEntries } from './config-tables.js';
import { configuredPair, requireConfigPath, withResultStore } from './configured.js';
import type { CommandContext } from './context.js';
import { Redactor } from './redact.js';

const db = useTestDatabase('cdc_cli_configured');

function context(env: Record<string, string> = {}): CommandContext {
  return {
    env,
    redactor: new Redactor(),
    connectors: () => createConnectorRegistry(),
  } as unknown as CommandContext;
}

describe('configured commands helpers', () => {
  it('requireConfigPath: --config, else $CDC_CONFIG, else the command’s own error', () => {
    expect(requireConfigPath(context({ CDC_CONFIG: 'env.yaml' }), 'flag.yaml', 'm', 'h')).toBe('flag.yaml');
    expect(requireConfigPath(context({ CDC_CONFIG: 'env.yaml' }), undefined, 'm', 'h')).toBe('env.yaml');
    expect(() =>
      requireConfigPath(context(), undefined, 'repair needs the configuration file', 'cdc repair …'),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: 'repair needs the configuration file',
        hint: 'cdc repair …',
      }),
    );
  });

  it('configuredPair: both sides from the pipeline connections, table options carried over', () => {
    const config = parseConfig(
      `connections:
  a: { url: postgres://u@h1/db, password: pw-a }
  b: { url: postgres://u@h2/db }
pipelines:
  - name: p
    source: a
    target: b
    tables: [public.plain, { source: s.t, target: x.y, key: [id], columns: [id, v], excludeColumns: [z] }]
`,
      { env: {} },
    );
    const pipeline = config.pipelines[0]!;
    if (pipeline.mode === 'kafka-connect') throw new Error('unexpected');
    const [plain, mapped] = tableEntries(pipeline).map((e) => configuredPair(config, pipeline, e));
    expect(plain).toEqual({
      name: 'public.plain',
      source: {
        role: 'source',
        label: 'a',
        url: 'postgres://u@h1/db',
        password: 'pw-a',
        passwordResolved: true,
        table: { schema: 'public', name: 'plain' },
      },
      target: {
        role: 'target',
        label: 'b',
        url: 'postgres://u@h2/db',
        password: undefined,
        passwordResolved: true,
        table: { schema: 'public', name: 'plain' },
      },
    });
    expect(mapped).toMatchObject({
      name: 's.t',
      source: { table: { schema: 's', name: 't' } },
      target: { table: { schema: 'x', name: 'y' } },
      key: ['id'],
      columns: ['id', 'v'],
      excludeColumns: ['z'],
    });
  });

  it('withResultStore: opens cdc_meta on the connection, returns the work’s result, passes errors through', async () => {
    const config = parseConfig(`connections:\n  t: { url: "${db().url}" }\n`, { env: {} });
    const runs = await withResultStore(context(), config, 't', async (store, conn) => {
      expect(conn.dialect).toBe('postgres');
      return store.listRuns({ limit: 5 });
    });
    expect(runs).toEqual([]);
    await expect(
      withResultStore(context(), config, 't', async () => {
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    const [schema] = await db().query<{ n: string }>(
      "SELECT count(*)::text AS n FROM information_schema.schemata WHERE schema_name = 'cdc_meta'",
    );
    expect(schema?.n).toBe('1');
  });
});
