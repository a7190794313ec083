/**
 * What the real-cluster tests of this package share: the `CDC_TEST_SCYLLA_URL` gate with its visible
 * skip notice, an admin client built like the adapter's (auth, TLS, bigint encoding), a throw-away
 * keyspace, and the contract fixture's CQL (each contract logical type → a CQL type, partition key =
 * the first `partitionKeyLength` key columns, no transactions: one prepared INSERT per row).
 */
import type { LogicalType, TableId } from '@cdc/core';
import type { ContractTable, ContractTypeSupport } from '@cdc/testkit';
import * as cassandra from 'cassandra-driver';
import { driverClientOptions } from '../src/scylla-adapter.js';
import { parseCqlType } from '../src/scylla-cql-types.js';
import { quoteIdent } from '../src/scylla-cql.js';
import { parseScyllaUrl, validateScyllaOptions } from '../src/scylla-options.js';
import { toDriverParam } from '../src/scylla-values.js';

/** The cluster under test, or undefined when the real-cluster tests are skipped. */
export const SCYLLA_URL: string | undefined = process.env.CDC_TEST_SCYLLA_URL;

/** Why the real-cluster tests are skipped (undefined when they run). */
export const SCYLLA_SKIP: string | undefined = SCYLLA_URL ? undefined : 'CDC_TEST_SCYLLA_URL is not set';

/** Prints the visible notice that `what` is skipped, with how to run it. No-op when the URL is set. */
export function warnScyllaSkipped(what: string): void {
  if (SCYLLA_URL) return;
  console.warn(
    `[@cdc/scylla] ${what} SKIPPED: CDC_TEST_SCYLLA_URL is not set. To run it against a real cluster:\n` +
      '  docker run -d --name scylla -p 9042:9042 scylladb/scylla:6.2 --smp 1 --memory 1G --overprovisioned 1\n' +
      '  CDC_TEST_SCYLLA_URL="scylla://127.0.0.1:9042/cdc_test?localDataCenter=datacenter1" npx nx run @cdc/scylla:test',
  );
}

/** What CQL cannot store of the contract suite's tables, with the reasons the report shows. */
export const SCYLLA_CONTRACT_TYPES: ContractTypeSupport = {
  unsupportedKinds: {
    timestamp: 'CQL timestamp is an instant (introspects as timestamptz); there is no local date-time',
    json: 'CQL has no JSON column type',
  },
  unsupportedValues: {
    'numeric-nan-infinity': 'CQL decimal has no NaN or Infinity',
    'temporal-infinity': 'CQL date and timestamp have no infinity',
    'sub-millisecond': 'CQL timestamp has millisecond precision',
    'interval-mixed-signs': 'CQL duration months, days and nanoseconds must share one sign',
    'list-null-element': 'CQL collections cannot hold NULL',
    'empty-list': 'an empty non-frozen CQL collection reads back as NULL',
  },
};

/** The CQL type the contract fixture creates for a logical type. */
export function cqlTypeFor(type: LogicalType): string {
  switch (type.kind) {
    case 'int16':
      return 'smallint';
    case 'int32':
      return 'int';
    case 'int64':
      return 'bigint';
    case 'numeric':
      return 'decimal';
    case 'float32':
      return 'float';
    case 'float64':
      return 'double';
    case 'bool':
      return 'boolean';
    case 'text':
      return 'text';
    case 'bytes':
      return 'blob';
    case 'uuid':
      return 'uuid';
    case 'date':
      return 'date';
    case 'time':
      return 'time';
    case 'timestamptz':
      return 'timestamp';
    case 'interval':
      return 'duration';
    case 'list':
      return `list<${cqlTypeFor(type.element)}>`;
    case 'set':
      return `set<${cqlTypeFor(type.element)}>`;
    default:
      throw new Error(`the ScyllaDB test fixture has no CQL type for logical ${type.kind}`);
  }
}

/** CQL table names are `[A-Za-z0-9_]{1,48}` even when quoted: the contract's hostile names are mapped. */
export function cqlTableName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 48);
}

/** `CREATE TABLE` of a contract table in `keyspace`. */
export function contractTableCql(keyspace: string, table: ContractTable): string {
  const pk = table.primaryKey.slice(0, table.partitionKeyLength ?? 1).map(quoteIdent);
  const ck = table.primaryKey.slice(table.partitionKeyLength ?? 1).map(quoteIdent);
  const cols = table.columns.map((c) => `${quoteIdent(c.name)} ${cqlTypeFor(c.type)}`);
  const key = [`(${pk.join(', ')})`, ...ck].join(', ');
  return `CREATE TABLE ${quoteIdent(keyspace)}.${quoteIdent(cqlTableName(table.name))} (${cols.join(', ')}, PRIMARY KEY (${key}))`;
}

/** Bound values of one contract row for the prepared INSERT of {@link contractInsertCql}. */
export function contractInsertParams(table: ContractTable, row: Record<string, unknown>): unknown[] {
  return table.columns.map((c) =>
    toDriverParam(row[c.name] ?? null, parseCqlType(cqlTypeFor(c.type)), cassandra.types),
  );
}

/** The prepared `INSERT` of a contract table's rows. */
export function contractInsertCql(keyspace: string, table: ContractTable): string {
  const names = table.columns.map((c) => quoteIdent(c.name));
  return `INSERT INTO ${quoteIdent(keyspace)}.${quoteIdent(cqlTableName(table.name))} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
}

/** An admin client and a keyspace created for one test file on the cluster of `CDC_TEST_SCYLLA_URL`. */
export class ScyllaTestKeyspace {
  private constructor(
    /** Admin client (no default keyspace). */
    readonly client: cassandra.Client,
    /** Name of the test keyspace. */
    readonly keyspace: string,
  ) {}

  /**
   * Recreates `keyspace` (replication 1 in the URL's local data center). `tabletsOff` creates it as a
   * vnodes keyspace on ScyllaDB, which CDC needs on 6.x.
   */
  static async create(url: string, keyspace: string, tabletsOff = false): Promise<ScyllaTestKeyspace> {
    const options = validateScyllaOptions(parseScyllaUrl(url));
    const client = new cassandra.Client(driverClientOptions(options, cassandra.types.consistencies));
    await client.connect();
    const ks = quoteIdent(keyspace);
    const dc = options.localDataCenter.replace(/'/g, "''");
    await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
    await client.execute(
      `CREATE KEYSPACE ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', '${dc}': 1}${tabletsOff ? " AND tablets = {'enabled': false}" : ''}`,
    );
    return new ScyllaTestKeyspace(client, keyspace);
  }

  /** Runs one statement (prepared when it has parameters). */
  execute(cql: string, params: unknown[] = []): Promise<cassandra.types.ResultSet> {
    return this.client.execute(cql, params, { prepare: params.length > 0 });
  }

  /** Creates a contract table and inserts its rows, 100 concurrent INSERTs at a time. */
  async createContractTable(table: ContractTable): Promise<TableId> {
    await this.execute(contractTableCql(this.keyspace, table));
    const insert = contractInsertCql(this.keyspace, table);
    for (let i = 0; i < table.rows.length; i += 100) {
      await Promise.all(
        table.rows
          .slice(i, i + 100)
          .map((row) => this.client.execute(insert, contractInsertParams(table, row), { prepare: true })),
      );
    }
    return { schema: this.keyspace, name: cqlTableName(table.name) };
  }

  /** Drops the keyspace and closes the client. */
  async drop(): Promise<void> {
    await this.execute(`DROP KEYSPACE IF EXISTS ${quoteIdent(this.keyspace)}`).catch(() => undefined);
    await this.client.shutdown();
  }
}
