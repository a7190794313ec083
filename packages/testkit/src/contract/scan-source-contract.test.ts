/**
 * The contract suite run against the in-memory TEST DOUBLE, once as an ordered, pushdown-capable source
 * with SQL-Server-like type limits, once as a token-partitioned source (token order inside each split,
 * like ScyllaDB) with Scylla-like limits. This checks the suite's own machinery (table adaptation,
 * skip notes, the declared-order checks, range membership) here, where no SQL Server or ScyllaDB runs.
 */
import {
  compareKeys,
  type Key,
  type Partitioner,
  type Row,
  type ScanOptions,
  type TableSchema,
} from '@cdc/core';
import { MemoryScanSource } from '../memory-scan-source.js';
import type { ContractTable } from './contract-tables.js';
import { describeScanSourceContract } from './scan-source-contract.js';

function schemaOf(table: ContractTable): TableSchema {
  return {
    id: { schema: 'contract', name: table.name },
    columns: table.columns.map((c) => ({
      name: c.name,
      type: c.type,
      nativeType: c.type.kind,
      nullable: !table.primaryKey.includes(c.name),
    })),
    primaryKey: table.primaryKey,
    partitionKeyLength: table.partitionKeyLength ?? 1,
  };
}

/** A deterministic stand-in for Murmur3: spreads the first key value over the signed 64-bit ring. */
const partitioner: Partitioner = {
  tokenOf(key: Key): bigint {
    let h = 1469598103934665603n;
    for (const ch of String(key[0])) h = ((h ^ BigInt(ch.codePointAt(0) ?? 0)) * 1099511628211n) % 2n ** 64n;
    return h - 2n ** 63n;
  },
};

/** Like ScyllaDB: rows of a token range come in token order (then clustering order), not key order. */
class TokenOrderedMemorySource extends MemoryScanSource {
  override async *scan(table: TableSchema, options: ScanOptions = {}): AsyncGenerator<Row[]> {
    if (options.ordered) throw new Error('token-partitioned double: no key-ordered scans');
    const rows: Row[] = [];
    for await (const batch of super.scan(table, { ...options, batchRows: 10_000 })) rows.push(...batch);
    const types = table.primaryKey.map((k) => table.columns.find((c) => c.name === k)!.type);
    const keyOf = (r: Row): Key => table.primaryKey.map((k) => r[k]);
    rows.sort((a, b) => {
      const ta = partitioner.tokenOf(keyOf(a));
      const tb = partitioner.tokenOf(keyOf(b));
      return ta < tb ? -1 : ta > tb ? 1 : compareKeys(keyOf(a), keyOf(b), types);
    });
    const size = options.batchRows ?? 1_000;
    for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
  }
}

const ordered = new MemoryScanSource({
  capabilities: { hashPushdown: true, intRangeBuckets: true },
  estimate: 10n,
});
describeScanSourceContract('memory double, ordered, SQL-Server-like types', {
  connect: () => Promise.resolve(ordered),
  createTable: (table) => {
    ordered.addTable(schemaOf(table), table.rows);
    return Promise.resolve({ schema: 'contract', name: table.name });
  },
  types: {
    unsupportedKinds: { interval: 'no interval type', json: 'no json type', list: 'no arrays' },
    unsupportedValues: {
      'numeric-nan-infinity': 'decimal has no NaN',
      'float-nan-infinity': 'float has no NaN',
      'date-bc': 'date starts at 0001-01-01',
      'temporal-infinity': 'no infinity',
    },
  },
});

const tokens = new TokenOrderedMemorySource({
  capabilities: { orderedScan: false, tokenPartitioned: true },
  partitioner,
});
describeScanSourceContract('memory double, token-partitioned, Scylla-like types', {
  connect: () => Promise.resolve(tokens),
  createTable: (table) => {
    // Like ScyllaDB: table names are [A-Za-z0-9_]+, so the fixture picks its own.
    const name = table.name.replace(/[^A-Za-z0-9_]/g, '_');
    tokens.addTable(schemaOf({ ...table, name }), table.rows);
    return Promise.resolve({ schema: 'contract', name });
  },
  partitioner: () => partitioner,
  types: {
    unsupportedKinds: { timestamp: 'CQL timestamp is an instant (timestamptz)', json: 'no json type' },
    unsupportedValues: {
      'numeric-nan-infinity': 'decimal has no NaN',
      'temporal-infinity': 'no infinity',
      'sub-millisecond': 'timestamp is ms',
      'interval-mixed-signs': 'duration has one sign',
      'list-null-element': 'collections cannot hold NULL',
      'empty-list': 'empty collections read back as NULL',
    },
  },
});
