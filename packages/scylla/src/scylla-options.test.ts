import * as cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { connectScylla, driverClientOptions, ScyllaAdapter } from './scylla-adapter.js';
import * as scyllaPackage from './index.js';
import { classifyCluster } from './scylla-detect.js';
import type { ScyllaDriverModule } from './scylla-driver.js';
import { toCdcError } from './scylla-errors.js';
import { parseConsistency, parseScyllaUrl, validateScyllaOptions } from './scylla-options.js';

describe('parseScyllaUrl', () => {
  it('parses hosts, ports, keyspace and parameters', () => {
    const o = parseScyllaUrl(
      'scylla://db1,db2:9043,[::1]:9044/shop?localDataCenter=dc1&consistency=LOCAL_ONE&fetchSize=500',
    );
    expect(o.contactPoints).toEqual(['db1', 'db2:9043', '[::1]:9044']);
    expect(o.keyspace).toBe('shop');
    expect(o.localDataCenter).toBe('dc1');
    expect(o.consistency).toBe('localOne');
    expect(o.fetchSize).toBe(500);
    expect(o.port).toBe(9042);
    expect(o.bypassCache).toBe(true);
    expect(o.cdc.windowMs).toBe(30_000);
  });

  it('reads credentials from user-info (percent-decoded) and accepts cassandra://', () => {
    const o = parseScyllaUrl('cassandra://app:p%40ss@db/ks?dc=dc2');
    expect(o.username).toBe('app');
    expect(o.password).toBe('p@ss');
    expect(o.localDataCenter).toBe('dc2');
  });

  it('enables TLS from ssl parameters', () => {
    const o = parseScyllaUrl('scylla://db?localDataCenter=dc1&sslCa=/etc/ca.pem&sslRejectUnauthorized=false');
    expect(o.tls).toEqual({ enabled: true, caFile: '/etc/ca.pem', rejectUnauthorized: false });
    expect(parseScyllaUrl('scylla://db?localDataCenter=dc1&ssl=true').tls?.enabled).toBe(true);
    expect(() => parseScyllaUrl('scylla://db?localDataCenter=dc1&ssl=false&sslCa=/x')).toThrow(
      /TLS parameters given with ssl=false/,
    );
  });

  it('sets CDC options', () => {
    const o = parseScyllaUrl(
      'scylla://db?localDataCenter=dc1&cdcWindowMs=1000&cdcConfidenceMs=0&cdcStartAt=earliest',
    );
    expect(o.cdc).toMatchObject({ windowMs: 1000, confidenceMs: 0, startAt: 'earliest' });
  });

  it('fails clearly, never echoing the password', () => {
    const bad = (u: string) => {
      try {
        parseScyllaUrl(u);
      } catch (e) {
        return e as Error & { code: string; hint?: string };
      }
      throw new Error('expected a failure');
    };
    const noDc = bad('scylla://u:topsecret@db/ks');
    expect(noDc.code).toBe('CONFIG_INVALID');
    expect(noDc.message).toMatch(/localDataCenter is required/);
    expect(noDc.hint).toMatch(/system\.local/);
    expect(bad('scylla://u:topsecret@db/ks?localDataCenter=dc1&nope=1').message).not.toContain('topsecret');
    expect(bad('postgres://db').message).toMatch(/Not a ScyllaDB URL/);
    expect(bad('scylla:///ks?localDataCenter=dc1').message).toMatch(/No host/);
    expect(bad('scylla://db:99999?localDataCenter=dc1').message).toMatch(/Bad port/);
    expect(bad('scylla://db/a/b?localDataCenter=dc1').message).toMatch(/single keyspace/);
    expect(bad('scylla://db?localDataCenter=dc1&fetchSize=-1').message).toMatch(/fetchSize/);
    expect(bad('scylla://db?localDataCenter=dc1&consistency=most').hint).toMatch(/localQuorum/);
    expect(bad('scylla://db?localDataCenter=dc1&bypassCache=maybe').message).toMatch(/true or false/);
  });
});

describe('consistency names', () => {
  it('accepts camel, upper snake, lower snake and kebab forms', () => {
    expect(parseConsistency('localQuorum')).toBe('localQuorum');
    expect(parseConsistency('LOCAL_QUORUM')).toBe('localQuorum');
    expect(parseConsistency('local-quorum')).toBe('localQuorum');
    expect(parseConsistency('EACH_QUORUM')).toBe('eachQuorum');
    expect(parseConsistency('one')).toBe('one');
  });
});

describe('driver client options', () => {
  it('maps options to cassandra-driver ClientOptions with exact encodings', () => {
    const o = validateScyllaOptions({
      contactPoints: ['db'],
      localDataCenter: 'dc1',
      username: 'u',
      password: 'p',
      consistency: 'quorum',
    });
    const c = driverClientOptions(o, cassandra.types.consistencies);
    expect(c).toMatchObject({
      contactPoints: ['db'],
      localDataCenter: 'dc1',
      credentials: { username: 'u', password: 'p' },
      protocolOptions: { port: 9042 },
      queryOptions: { consistency: cassandra.types.consistencies.quorum, fetchSize: 1000, prepare: true },
      encoding: { map: Map, useBigIntAsLong: true, useBigIntAsVarint: true },
    });
    expect(c.sslOptions).toBeUndefined();
  });

  it('fails clearly on unreadable TLS files', () => {
    const o = validateScyllaOptions({
      contactPoints: ['db'],
      localDataCenter: 'dc1',
      tls: { caFile: '/nonexistent/ca.pem' },
    });
    expect(() => driverClientOptions(o, cassandra.types.consistencies)).toThrow(
      /Cannot read the TLS CA file/,
    );
  });

  it('the real cassandra-driver module fits the injected driver type', () => {
    const m: ScyllaDriverModule = cassandra;
    expect(typeof m.Client).toBe('function');
  });

  it('connectScylla demands the driver module', async () => {
    await expect(connectScylla({ url: 'scylla://db?localDataCenter=dc1' } as never)).rejects.toThrow(
      /needs the cassandra-driver module/,
    );
  });
});

describe('worker threads', () => {
  it('names a factory the package exports and options that cross threads, so workers reopen the session', () => {
    const options = validateScyllaOptions({
      ...parseScyllaUrl('scylla://u:p@db1,db2:9043/shop?localDataCenter=dc1&consistency=one'),
    });
    const adapter = new ScyllaAdapter({} as never, {} as never, options);
    const spec = adapter.workerSpec;
    expect(spec).toEqual({ module: '@cdc/scylla', factory: 'openScyllaInWorker', options });
    expect(typeof (scyllaPackage as Record<string, unknown>)[spec.factory]).toBe('function');
    // Sent to the worker by postMessage: it must survive structured cloning unchanged.
    expect(structuredClone(spec)).toEqual(spec);
  });
});

describe('flavor detection', () => {
  it('recognizes ScyllaDB by its own system tables', () => {
    expect(
      classifyCluster({
        systemTables: ['local', 'peers', 'scylla_local'],
        releaseVersion: '3.0.8',
        scyllaVersion: '6.2.1',
      }),
    ).toMatchObject({
      flavor: 'scylla',
      version: '6.2.1',
      releaseVersion: '3.0.8',
    });
    expect(classifyCluster({ systemTables: ['local', 'versions'] }).flavor).toBe('scylla');
  });
  it('treats everything else as Apache Cassandra', () => {
    expect(
      classifyCluster({ systemTables: ['local', 'peers_v2', 'sstable_activity'], releaseVersion: '4.1.3' }),
    ).toMatchObject({
      flavor: 'cassandra',
      version: '4.1.3',
    });
  });
});

describe('driver errors → CdcError', () => {
  it('maps by error name and protocol code', () => {
    expect(
      toCdcError(
        Object.assign(new Error('x'), { name: 'NoHostAvailableError', innerErrors: {} }),
        'Connecting',
      ),
    ).toMatchObject({
      code: 'CONNECTION_FAILED',
      transient: true,
    });
    expect(
      toCdcError(Object.assign(new Error('bad'), { name: 'ResponseError', code: 0x0100 }), 'Connecting').code,
    ).toBe('AUTH_FAILED');
    expect(
      toCdcError(Object.assign(new Error('t'), { name: 'ResponseError', code: 0x1200 }), 'Scanning').code,
    ).toBe('TIMEOUT');
    expect(
      toCdcError(Object.assign(new Error('no'), { name: 'ResponseError', code: 0x2100 }), 'Scanning').code,
    ).toBe('PERMISSION_DENIED');
    expect(
      toCdcError(
        Object.assign(new Error('unconfigured table t'), { name: 'ResponseError', code: 0x2200 }),
        'Scanning',
      ).code,
    ).toBe('TABLE_NOT_FOUND');
    const other = toCdcError(
      Object.assign(new Error('boom'), { name: 'ResponseError', code: 0x2000 }),
      'Scanning ks.t',
    );
    expect(other.code).toBe('UPSTREAM_ERROR');
    expect(other.message).toBe('Scanning ks.t: boom');
  });
});
