/**
 * openPipelineReplication: the source URL's descriptor opens the change source, the target's the sink.
 * Dispatch and error wording run on recording descriptors (no server); the built-in SQL Server and
 * ScyllaDB descriptors run their real drivers against a closed local port; PostgreSQL is real.
 */
import {
  CdcError,
  defineCapabilities,
  type ChangeSink,
  type ChangeSource,
  type ConnectorDescriptor,
  type PipelineConfig,
} from '@cdc/core';
import { freePort, useTestDatabase } from '@cdc/testkit';
import { loadTedious } from '@cdc/sqlserver';
import { describe, expect, it } from 'vitest';
import {
  ConnectorRegistry,
  connectionError,
  createConnectorRegistry,
  describeConnection,
  openPipelineReplication,
  sourceConnectorOf,
} from '../src/index.js';

const pipeline = {
  name: 'sales',
  source: 'erp',
  target: 'dw',
  tables: ['dbo.orders', 'lines'],
} as PipelineConfig;
const target = { name: 'dw', url: 'pg://cdc@dw:5432/dw', password: 'dw-secret' };

/** Descriptors that record which opener ran with which URL; sources and sinks are inert objects. */
function recording() {
  const calls: { opener: string; url: string }[] = [];
  const closed: string[] = [];
  const source = (name: string) =>
    ({
      dialect: name,
      capabilities: defineCapabilities(),
      close: async () => void closed.push(name),
    }) as unknown as ChangeSource;
  const base = (name: string, scheme: string): ConnectorDescriptor => ({
    name,
    packageName: `@test/${name}`,
    schemes: [scheme],
    exampleUrl: `${scheme}://host/db`,
    passwordVariables: [],
    capabilities: { scan: true, changeSource: true, sink: false, hashPushdown: false },
    openScanSource: () => Promise.reject(new Error('not used')),
    openChangeSource: async (url) => (calls.push({ opener: name, url }), { source: source(name) }),
  });
  const sinkEngine: ConnectorDescriptor = {
    ...base('pg', 'pg'),
    capabilities: { scan: true, changeSource: true, sink: true, hashPushdown: true },
    openChangeSource: async (url) => {
      calls.push({ opener: 'pg', url });
      return { source: source('pg'), dropSlot: async () => ({ slot: 'cdc_sales', dropped: true }) };
    },
    openSink: async (url) => {
      calls.push({ opener: 'sink', url });
      return { close: async () => void closed.push('sink') } as unknown as ChangeSink;
    },
  };
  const sourceOnly = base('ms', 'ms');
  const connectors = new ConnectorRegistry([sinkEngine, sourceOnly, base('sc', 'sc')]);
  return { calls, closed, connectors, sinkEngine, sourceOnly };
}

describe('openPipelineReplication: scheme → change source, target scheme → sink', () => {
  it.each([
    ['pg://cdc@pg:5432/app', 'pg'],
    ['ms://sa@sql1:1433/Sales', 'ms'],
    ['sc://scylla1:9042/shop', 'sc'],
  ])('%s opens the %s change source and the target sink', async (url, engine) => {
    const { calls, closed, connectors } = recording();
    const r = await openPipelineReplication({
      pipeline,
      source: { name: 'erp', url, password: 's3cret' },
      target,
      connectors,
    });
    expect(r.engine).toBe(engine);
    expect(r.connector.name).toBe(engine);
    expect(calls[0]?.opener).toBe(engine);
    // The resolved password reaches the opener, percent-encoded into the URL.
    expect(new URL(calls[0]!.url).password).toBe('s3cret');
    expect(calls[1]).toEqual({ opener: 'sink', url: 'pg://cdc:dw-secret@dw:5432/dw' });
    expect(r.tables.map((t) => t.table)).toEqual([{ schema: 'dbo', name: 'orders' }, { name: 'lines' }]);
    if (engine === 'pg') expect(await r.dropSlot!()).toEqual({ slot: 'cdc_sales', dropped: true });
    else expect(r.dropSlot).toBeUndefined();
    await r.close();
    await r.close();
    expect(closed).toEqual([engine, 'sink']);
  });

  it('rejects an unknown scheme, naming the pipeline and connection, without the password', async () => {
    const { calls, connectors } = recording();
    const error = (await openPipelineReplication({
      pipeline,
      source: { name: 'erp', url: 'oracle://app:hunter2@db/shop' },
      target,
      connectors,
    }).catch((e: unknown) => e)) as CdcError;
    expect(error).toBeInstanceOf(CdcError);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(
      'pipeline sales: source connection "erp" URL oracle://app:***@db/shop: unsupported scheme "oracle:"',
    );
    expect(error.hint).toContain('ms://');
    expect(calls).toEqual([]);
  });

  it('refuses a target whose engine is no sink before connecting anything', async () => {
    const { calls, connectors } = recording();
    await expect(
      openPipelineReplication({
        pipeline,
        source: { name: 'erp', url: 'ms://sa@sql1/Sales' },
        target: { name: 'dw', url: 'ms://sa:pw@sql2/Copy' },
        connectors,
      }),
    ).rejects.toThrow(
      'pipeline sales: target connection "dw" (ms://sa:***@sql2/Copy) is ms, which cannot be a replication target',
    );
    expect(calls).toEqual([]);
  });

  it('refuses a source whose engine has no change source', async () => {
    const { connectors } = recording();
    const scanOnly: ConnectorDescriptor = {
      ...recording().sourceOnly,
      name: 'csv',
      schemes: ['csv'],
      capabilities: { scan: true, changeSource: false, sink: false, hashPushdown: false },
      openChangeSource: undefined,
    };
    connectors.register(scanOnly);
    await expect(
      openPipelineReplication({ pipeline, source: { name: 'erp', url: 'csv://h/x' }, target, connectors }),
    ).rejects.toThrow(
      'pipeline sales: source connection "erp" (csv://h/x) is csv (@test/ms), which has no change source',
    );
  });

  it('names the connection when the source cannot be opened, keeping code, hint and transience', async () => {
    const { connectors, sourceOnly } = recording();
    sourceOnly.openChangeSource = async () => {
      throw new CdcError('CONNECTION_FAILED', 'Connecting to sql1: no host available', {
        hint: 'check contact points',
        transient: true,
      });
    };
    const error = (await openPipelineReplication({
      pipeline,
      source: { name: 'events', url: 'ms://app:pw@sql1:1433/shop' },
      target,
      connectors,
    }).catch((e: unknown) => e)) as CdcError;
    expect(error.message).toBe(
      'pipeline sales: source connection "events" (ms://app:***@sql1:1433/shop): Connecting to sql1: no host available',
    );
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', hint: 'check contact points', transient: true });
  });

  it('closes the opened source when the sink cannot be created', async () => {
    const { closed, connectors, sinkEngine } = recording();
    sinkEngine.openSink = async () => {
      throw new Error('bad target');
    };
    await expect(
      openPipelineReplication({
        pipeline,
        source: { name: 'erp', url: 'ms://sa@sql1/Sales' },
        target,
        connectors,
      }),
    ).rejects.toThrow(/^pipeline sales: target connection "dw" \(pg:\/\/cdc@dw:5432\/dw\): bad target/);
    expect(closed).toEqual(['ms']);
  });

  it('reports a missing optional driver with the pipeline and connection', async () => {
    const { connectors, sourceOnly } = recording();
    sourceOnly.openChangeSource = async () => {
      await loadTedious(async (name: string) => {
        throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
      });
      throw new Error('unreachable');
    };
    await expect(
      openPipelineReplication({
        pipeline,
        source: { name: 'erp', url: 'ms://sa@sql1/Sales' },
        target,
        connectors,
      }),
    ).rejects.toMatchObject({
      message:
        'pipeline sales: source connection "erp" (ms://sa@sql1/Sales): the SQL Server driver "tedious" is not installed',
      hint: 'it is an optional peer dependency of cdc: npm install tedious',
    });
  });
});

describe('helpers', () => {
  it('sourceConnectorOf maps every built-in scheme to its descriptor', async () => {
    const connectors = await createConnectorRegistry();
    const engine = (url: string) => sourceConnectorOf(connectors, pipeline, { name: 'erp', url }).name;
    expect(engine('postgresql://h/db')).toBe('postgres');
    expect(engine('sqlserver://h/db')).toBe('sqlserver');
    expect(engine('cassandra://h/ks')).toBe('scylla');
    expect(engine('mariadb://h/shop')).toBe('mysql');
    expect(() => engine('oracle://h/db')).toThrow(/unsupported scheme "oracle:"/);
  });

  it('defaultSchema follows each built-in engine', async () => {
    const connectors = await createConnectorRegistry();
    expect(connectors.defaultSchema('postgres://h/db')).toBe('public');
    expect(connectors.defaultSchema('mssql://h/db')).toBe('dbo');
    expect(connectors.defaultSchema('scylla://h:9042/shop?localDataCenter=dc1')).toBe('shop');
    expect(connectors.defaultSchema('scylla://h:9042?localDataCenter=dc1')).toBeUndefined();
    expect(connectors.defaultSchema('mysql://h:3306/shop')).toBe('shop');
  });

  it('connectionError classifies raw driver errors and does not prefix twice', () => {
    const raw = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 1,
    });
    const where = `pipeline sales: ${describeConnection({ name: 'erp', url: 'mssql://sa:pw@127.0.0.1:1/db' }, 'source')}`;
    const e = connectionError(raw, where);
    expect(e.code).toBe('CONNECTION_FAILED');
    expect(e.message).toBe(
      'pipeline sales: source connection "erp" (mssql://sa:***@127.0.0.1:1/db): connect ECONNREFUSED 127.0.0.1:1 [ECONNREFUSED]',
    );
    expect(e.transient).toBe(true);
    expect(connectionError(e, where)).toBe(e);
  });
});

describe('built-in descriptors with their real drivers', () => {
  const db = useTestDatabase();

  it('SQL Server (tedious) against a closed port fails fast, named and redacted', async () => {
    const port = await freePort();
    const error = (await openPipelineReplication({
      pipeline,
      source: { name: 'erp', url: `mssql://sa@127.0.0.1:${port}/Sales`, password: 'Sup3r$ecret' },
      target: { name: 'dw', url: db().url },
      connectors: await createConnectorRegistry(),
    }).catch((e: unknown) => e)) as CdcError;
    expect(error.code).toBe('CONNECTION_FAILED');
    expect(error.message).toContain(
      `pipeline sales: source connection "erp" (mssql://sa@127.0.0.1:${port}/Sales)`,
    );
    expect(`${error.message} ${error.hint}`).not.toContain('Sup3r');
  });

  it('ScyllaDB (cassandra-driver) against a closed port fails fast, named and redacted', async () => {
    const port = await freePort();
    const error = (await openPipelineReplication({
      pipeline,
      source: { name: 'events', url: `scylla://app:Sup3r$ecret@127.0.0.1:${port}/shop?localDataCenter=dc1` },
      target: { name: 'dw', url: db().url },
      connectors: await createConnectorRegistry(),
    }).catch((e: unknown) => e)) as CdcError;
    expect(error.code).toBe('CONNECTION_FAILED');
    expect(error.message).toContain(
      `pipeline sales: source connection "events" (scylla://app:***@127.0.0.1:${port}/shop?localDataCenter=dc1)`,
    );
    expect(`${error.message} ${error.hint}`).not.toContain('Sup3r');
  });

  it('PostgreSQL → PostgreSQL opens the slot-owning change source and the sink on a real server', async () => {
    const r = await openPipelineReplication({
      pipeline: { ...pipeline, tables: ['public.orders'] } as PipelineConfig,
      source: { name: 'erp', url: db().url },
      target: { name: 'dw', url: db().url },
      connectors: await createConnectorRegistry(),
    });
    try {
      expect(r.engine).toBe('postgres');
      expect(r.source.dialect).toBe('postgres');
      // Nothing was replicated yet, so the pipeline owns no slot to drop.
      expect(await r.dropSlot!()).toEqual({ slot: 'cdc_sales', dropped: false });
      expect(await r.sink.checkpoints('sales')).toEqual(new Map());
    } finally {
      await r.close();
    }
  });
});
