import {
  CdcError,
  defineCapabilities,
  type ChangeSink,
  type ChangeSource,
  type PipelineConfig,
} from '@cdc/core';
import type { PostgresReplication, PostgresReplicationOptions } from '@cdc/postgres';
import { freePort } from '@cdc/testkit';
import { describe, expect, it } from 'vitest';
import { loadTedious } from '@cdc/sqlserver';
import {
  connectionError,
  defaultSchemaOf,
  describeConnection,
  engineOfUrl,
  openPipelineReplication,
  sourceEngineOf,
  type ReplicationOpeners,
} from './replication-sources.js';

const pipeline: PipelineConfig = {
  name: 'sales',
  source: 'erp',
  target: 'dw',
  tables: ['dbo.orders', 'lines'],
} as PipelineConfig;
const target = { name: 'dw', url: 'postgres://cdc@dw:5432/dw', password: 'dw-secret' };

/** Records which opener the dispatch called, and with what. */
function recordingOpeners() {
  const calls: { opener: string; url: string }[] = [];
  const closed: string[] = [];
  const source = (name: string): ChangeSource =>
    ({
      dialect: name,
      capabilities: defineCapabilities(),
      close: async () => void closed.push(name),
    }) as unknown as ChangeSource;
  const sink: ChangeSink = { close: async () => void closed.push('sink') } as unknown as ChangeSink;
  const openers: ReplicationOpeners = {
    postgres: (o: PostgresReplicationOptions) => {
      calls.push({ opener: 'postgres', url: o.sourceUrl });
      return {
        source: Object.assign(source('postgres'), { slot: 'cdc_sales', dropSlot: async () => true }),
        sink,
        tables: [],
        close: async () => void closed.push('postgres-replication'),
      } as unknown as PostgresReplication;
    },
    sqlserver: async (url) => (calls.push({ opener: 'sqlserver', url }), source('sqlserver')),
    scylla: async (url) => (calls.push({ opener: 'scylla', url }), source('scylla')),
    sink: (url) => (calls.push({ opener: 'sink', url }), sink),
  };
  return { calls, closed, openers };
}

describe('openPipelineReplication: scheme → change source', () => {
  it.each([
    ['postgres://cdc@pg:5432/app', 'postgres'],
    ['postgresql://cdc@pg:5432/app', 'postgres'],
    ['mssql://sa@sql1:1433/Sales', 'sqlserver'],
    ['sqlserver://sa@sql1:1433/Sales', 'sqlserver'],
    ['scylla://scylla1:9042/shop?localDataCenter=dc1', 'scylla'],
    ['cassandra://c1:9042/shop?localDataCenter=dc1', 'scylla'],
  ])('%s opens the %s change source and a PostgreSQL sink', async (url, engine) => {
    const { calls, closed, openers } = recordingOpeners();
    const r = await openPipelineReplication({
      pipeline,
      source: { name: 'erp', url, password: 's3cret' },
      target,
      openers,
    });
    expect(r.engine).toBe(engine);
    expect(calls[0]?.opener).toBe(engine);
    // The resolved password reaches the opener, percent-encoded into the URL.
    expect(new URL(calls[0]!.url).password).toBe('s3cret');
    if (engine === 'postgres') {
      expect(r.dropSlot).toBeDefined();
      expect(await r.dropSlot!()).toEqual({ slot: 'cdc_sales', dropped: true });
    } else {
      expect(r.dropSlot).toBeUndefined();
      expect(calls[1]).toEqual({ opener: 'sink', url: 'postgres://cdc:dw-secret@dw:5432/dw' });
      expect(r.tables.map((t) => t.table)).toEqual([{ schema: 'dbo', name: 'orders' }, { name: 'lines' }]);
    }
    await r.close();
    await r.close();
    expect(closed).toEqual(engine === 'postgres' ? ['postgres-replication'] : [engine, 'sink']);
  });

  it('rejects an unknown scheme, naming the pipeline and connection, without the password', async () => {
    const { calls, openers } = recordingOpeners();
    const error = await openPipelineReplication({
      pipeline,
      source: { name: 'erp', url: 'mysql://app:hunter2@db/shop' },
      target,
      openers,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdcError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((error as CdcError).message).toBe(
      'pipeline sales: source connection "erp" URL mysql://app:***@db/shop: unsupported scheme "mysql:"',
    );
    expect((error as CdcError).hint).toContain('mssql://');
    expect((error as CdcError).hint).toContain('scylla://');
    expect(calls).toEqual([]);
  });

  it('refuses a target that is not PostgreSQL before connecting anything', async () => {
    const { calls, openers } = recordingOpeners();
    await expect(
      openPipelineReplication({
        pipeline,
        source: { name: 'erp', url: 'mssql://sa@sql1/Sales' },
        target: { name: 'dw', url: 'mssql://sa:pw@sql2/Copy' },
        openers,
      }),
    ).rejects.toThrow(
      'pipeline sales: target connection "dw" (mssql://sa:***@sql2/Copy) is sqlserver; replication writes into PostgreSQL only',
    );
    expect(calls).toEqual([]);
  });

  it('names the connection when the source cannot be opened, keeping code, hint and transience', async () => {
    const { openers } = recordingOpeners();
    openers.scylla = async () => {
      throw new CdcError('CONNECTION_FAILED', 'Connecting to scylla1: no host available', {
        hint: 'check contact points',
        transient: true,
      });
    };
    const error = (await openPipelineReplication({
      pipeline,
      source: { name: 'events', url: 'scylla://app:pw@scylla1:9042/shop?localDataCenter=dc1' },
      target,
      openers,
    }).catch((e: unknown) => e)) as CdcError;
    expect(error.message).toBe(
      'pipeline sales: source connection "events" (scylla://app:***@scylla1:9042/shop?localDataCenter=dc1): Connecting to scylla1: no host available',
    );
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', hint: 'check contact points', transient: true });
  });

  it('closes the opened source when the sink cannot be created', async () => {
    const { closed, openers } = recordingOpeners();
    openers.sink = () => {
      throw new Error('bad target');
    };
    await expect(
      openPipelineReplication({
        pipeline,
        source: { name: 'erp', url: 'mssql://sa@sql1/Sales' },
        target,
        openers,
      }),
    ).rejects.toThrow(/^pipeline sales: target connection "dw" \(postgres:\/\/cdc@dw:5432\/dw\): bad target/);
    expect(closed).toEqual(['sqlserver']);
  });
});

describe('helpers', () => {
  it('engineOfUrl refuses malformed URLs without echoing the password', () => {
    expect(() => engineOfUrl('mssql://sa:hunter2@:bad:port/db', 'connection "erp"')).toThrow(
      /^connection "erp" URL .* is not a valid URL$/,
    );
    expect(() => engineOfUrl('mssql://sa:hunter2@:bad:port/db', 'x')).not.toThrow(/hunter2/);
  });

  it('sourceEngineOf maps every supported scheme', () => {
    const engine = (url: string) => sourceEngineOf(pipeline, { name: 'erp', url });
    expect(engine('postgresql://h/db')).toBe('postgres');
    expect(engine('sqlserver://h/db')).toBe('sqlserver');
    expect(engine('cassandra://h/ks')).toBe('scylla');
    expect(() => engine('oracle://h/db')).toThrow(/unsupported scheme "oracle:"/);
  });

  it('defaultSchemaOf follows each engine', () => {
    expect(defaultSchemaOf('postgres', 'postgres://h/db')).toBe('public');
    expect(defaultSchemaOf('sqlserver', 'mssql://h/db')).toBe('dbo');
    expect(defaultSchemaOf('scylla', 'scylla://h:9042/shop?localDataCenter=dc1')).toBe('shop');
    expect(defaultSchemaOf('scylla', 'scylla://h:9042?localDataCenter=dc1')).toBeUndefined();
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

describe('optional peer drivers', () => {
  it('the dispatch reports a missing driver with the pipeline and connection', async () => {
    const missing = async (name: string) => {
      throw Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    const { openers } = recordingOpeners();
    openers.sqlserver = async () => (await loadTedious(missing)) as unknown as ChangeSource;
    await expect(
      openPipelineReplication({
        pipeline,
        source: { name: 'erp', url: 'mssql://sa@sql1/Sales' },
        target,
        openers,
      }),
    ).rejects.toMatchObject({
      message:
        'pipeline sales: source connection "erp" (mssql://sa@sql1/Sales): the SQL Server driver "tedious" is not installed',
      hint: 'it is an optional peer dependency of cdc: npm install tedious',
    });
  });
});

describe('real drivers against a closed local port (no server needed)', () => {
  it('SQL Server (tedious) fails fast with the connection named and the password redacted', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = (await openPipelineReplication({
      pipeline,
      source: { name: 'erp', url: `mssql://sa@127.0.0.1:${port}/Sales`, password: 'Sup3r$ecret' },
      target,
    }).catch((e: unknown) => e)) as CdcError;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.code).toBe('CONNECTION_FAILED');
    expect(error.message).toContain(
      `pipeline sales: source connection "erp" (mssql://sa@127.0.0.1:${port}/Sales)`,
    );
    expect(`${error.message} ${error.hint}`).not.toContain('Sup3r');
  });

  it('ScyllaDB (cassandra-driver) fails fast with the connection named and the password redacted', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = (await openPipelineReplication({
      pipeline,
      source: {
        name: 'events',
        url: `scylla://app:Sup3r$ecret@127.0.0.1:${port}/shop?localDataCenter=dc1`,
      },
      target,
    }).catch((e: unknown) => e)) as CdcError;
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(error.code).toBe('CONNECTION_FAILED');
    expect(error.message).toContain(
      `pipeline sales: source connection "events" (scylla://app:***@127.0.0.1:${port}/shop?localDataCenter=dc1)`,
    );
    expect(`${error.message} ${error.hint}`).not.toContain('Sup3r');
  });
});
