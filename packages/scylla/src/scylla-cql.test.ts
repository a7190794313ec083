import { describe, expect, it } from 'vitest';
import {
  DETECT_LOCAL,
  DETECT_SYSTEM_TABLES,
  SCYLLA_VERSION,
  SELECT_GENERATIONS,
  selectCdcOptions,
  selectColumns,
  selectKeyspaceTablets,
  selectSizeEstimates,
  selectTable,
  selectTabletTimestamps,
  selectUserTypes,
  countTokenRange,
  cdcLogTableName,
  quoteIdent,
  selectByKeys,
  selectCdcWindow,
  selectGenerationStreams,
  selectTabletStreams,
  selectTokenRange,
  tableRef,
} from './scylla-cql.js';

const scylla = { scylla: true, bypassCache: true };
const cassandra = { scylla: false, bypassCache: true, timeoutMs: 5000 };

describe('identifiers', () => {
  it('always quotes and doubles quotes', () => {
    expect(quoteIdent('MyCol')).toBe('"MyCol"');
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(() => quoteIdent('')).toThrow(/empty/);
    expect(tableRef({ schema: 'Shop', name: 'orders' })).toBe('"Shop"."orders"');
    expect(tableRef({ name: 't' }, 'ks')).toBe('"ks"."t"');
    expect(() => tableRef({ name: 't' })).toThrow(/needs a keyspace/);
    expect(cdcLogTableName('Orders')).toBe('Orders_scylla_cdc_log');
  });
});

describe('token-range scans', () => {
  it('selects a range with BYPASS CACHE and WRITETIME on Scylla', () => {
    const s = selectTokenRange({
      table: '"ks"."t"',
      partitionKey: ['a', 'b'],
      columns: ['a', 'b', 'c', 'v'],
      writetimeColumns: ['v'],
      start: -5n,
      end: 10n,
      flavor: { ...scylla, timeoutMs: 1500 },
    });
    expect(s.query).toBe(
      'SELECT "a", "b", "c", "v", WRITETIME("v") AS "cdc$writetime_v" FROM "ks"."t" WHERE token("a", "b") > ? AND token("a", "b") <= ? BYPASS CACHE USING TIMEOUT 1500ms',
    );
    expect(s.params).toEqual([-5n, 10n]);
  });

  it('never emits Scylla-only clauses on Apache Cassandra', () => {
    const s = selectTokenRange({
      table: '"ks"."t"',
      partitionKey: ['a'],
      columns: ['a'],
      start: 0n,
      end: 1n,
      flavor: cassandra,
    });
    expect(s.query).toBe('SELECT "a" FROM "ks"."t" WHERE token("a") > ? AND token("a") <= ?');
    const c = countTokenRange({
      table: '"ks"."t"',
      partitionKey: ['a'],
      start: 0n,
      end: 1n,
      flavor: cassandra,
    });
    expect(c.query).not.toMatch(/BYPASS|USING TIMEOUT/);
  });

  it('counts one range', () => {
    const c = countTokenRange({ table: '"ks"."t"', partitionKey: ['p'], start: 1n, end: 2n, flavor: scylla });
    expect(c.query).toBe(
      'SELECT COUNT(*) FROM "ks"."t" WHERE token("p") > ? AND token("p") <= ? BYPASS CACHE',
    );
    expect(c.params).toEqual([1n, 2n]);
  });

  it('can leave the cache alone when asked', () => {
    const c = countTokenRange({
      table: 't',
      partitionKey: ['p'],
      start: 1n,
      end: 2n,
      flavor: { scylla: true, bypassCache: false },
    });
    expect(c.query).not.toMatch(/BYPASS/);
  });
});

describe('key lookups', () => {
  const base = {
    table: '"ks"."t"',
    columns: ['p', 'c1', 'c2', 'v'],
    flavor: { scylla: true, timeoutMs: 100 },
  };
  it('partition only', () => {
    const s = selectByKeys({
      ...base,
      partitionKey: ['p'],
      clusteringKey: [],
      partitionValues: [1],
      clusteringValues: [],
    });
    expect(s.query).toBe('SELECT "p", "c1", "c2", "v" FROM "ks"."t" WHERE "p" = ? USING TIMEOUT 100ms');
    expect(s.params).toEqual([1]);
  });
  it('one clustering column, several keys', () => {
    const s = selectByKeys({
      ...base,
      partitionKey: ['p'],
      clusteringKey: ['c1'],
      partitionValues: [1],
      clusteringValues: [[2], [3]],
    });
    expect(s.query).toContain('WHERE "p" = ? AND "c1" IN (?, ?)');
    expect(s.params).toEqual([1, 2, 3]);
  });
  it('multi-column IN for composite clustering keys (no BYPASS CACHE on point reads)', () => {
    const s = selectByKeys({
      ...base,
      partitionKey: ['p'],
      clusteringKey: ['c1', 'c2'],
      partitionValues: [1],
      clusteringValues: [
        [2, 'a'],
        [3, 'b'],
      ],
    });
    expect(s.query).toBe(
      'SELECT "p", "c1", "c2", "v" FROM "ks"."t" WHERE "p" = ? AND ("c1", "c2") IN ((?, ?), (?, ?)) USING TIMEOUT 100ms',
    );
    expect(s.params).toEqual([1, 2, 'a', 3, 'b']);
  });
});

describe('CDC statements', () => {
  it('reads a window of a stream group after a timeuuid', () => {
    const s = selectCdcWindow({
      logTable: '"ks"."t_scylla_cdc_log"',
      streamIds: [Uint8Array.of(1), Uint8Array.of(2)],
      after: { timeuuid: '8e8a3f30-0000-1000-8000-000000000000' },
      untilMillis: 1000,
      flavor: scylla,
    });
    expect(s.query).toBe(
      'SELECT * FROM "ks"."t_scylla_cdc_log" WHERE "cdc$stream_id" IN (?, ?) AND "cdc$time" > ? AND "cdc$time" <= maxTimeuuid(?) BYPASS CACHE',
    );
    expect(s.params).toEqual([
      Buffer.of(1),
      Buffer.of(2),
      '8e8a3f30-0000-1000-8000-000000000000',
      new Date(1000),
    ]);
  });
  it('reads a window after a millisecond instant', () => {
    const s = selectCdcWindow({
      logTable: 'l',
      streamIds: [Uint8Array.of(1)],
      after: { millis: 5 },
      untilMillis: 9,
      flavor: scylla,
    });
    expect(s.query).toContain('"cdc$time" > maxTimeuuid(?) AND "cdc$time" <= maxTimeuuid(?)');
    expect(s.params.slice(1)).toEqual([new Date(5), new Date(9)]);
    expect(() =>
      selectCdcWindow({ logTable: 'l', streamIds: [], after: { millis: 5 }, untilMillis: 9, flavor: scylla }),
    ).toThrow();
  });
  it('reads generations and tablet streams', () => {
    expect(selectGenerationStreams(new Date(7)).query).toBe(
      'SELECT range_end, streams FROM system_distributed.cdc_streams_descriptions_v2 WHERE time = ?',
    );
    const t = selectTabletStreams('ks', 't', new Date(7));
    expect(t.query).toContain('stream_state = ?');
    expect(t.params).toEqual(['ks', 't', new Date(7), 0]);
  });
});

describe('metadata statements', () => {
  it('reads schema, estimates and CDC metadata with bound values', () => {
    expect(selectColumns('ks', 'T')).toEqual({
      query:
        'SELECT column_name, kind, position, type, clustering_order FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
      params: ['ks', 'T'],
    });
    expect(selectUserTypes('ks').params).toEqual(['ks']);
    expect(selectTable('ks', 't').query).toBe(
      'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
    );
    expect(selectTable('ks', 'v', true).query).toBe(
      'SELECT view_name FROM system_schema.views WHERE keyspace_name = ? AND view_name = ?',
    );
    expect(selectSizeEstimates('ks', 't').query).toContain(
      'FROM system.size_estimates WHERE keyspace_name = ? AND table_name = ?',
    );
    expect(selectCdcOptions('ks', 't').query).toBe(
      'SELECT cdc FROM system_schema.scylla_tables WHERE keyspace_name = ? AND table_name = ?',
    );
    expect(selectKeyspaceTablets('ks').query).toBe(
      'SELECT initial_tablets FROM system_schema.scylla_keyspaces WHERE keyspace_name = ?',
    );
    expect(selectTabletTimestamps('ks', 't')).toEqual({
      query: 'SELECT timestamp FROM system.cdc_timestamps WHERE keyspace_name = ? AND table_name = ?',
      params: ['ks', 't'],
    });
    expect(SELECT_GENERATIONS.query).toBe(
      "SELECT time, expired FROM system_distributed.cdc_generation_timestamps WHERE key = 'timestamps'",
    );
    expect(DETECT_SYSTEM_TABLES.query).toBe(
      "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'system'",
    );
    expect(DETECT_LOCAL.query).toContain('FROM system.local');
    expect(SCYLLA_VERSION.query).toBe("SELECT version FROM system.versions WHERE key = 'local'");
  });
});
