/**
 * Offline checks of the ScyllaDB contract fixture (runs here, without a cluster): every CQL type it
 * creates for the contract tables maps back to the contract's logical kind, every value it inserts
 * converts to a driver parameter, and the CQL text keeps hostile names quoted.
 */
import { adaptContractTable, compositeKeyTable, typeParityTable } from '@cdc/testkit';
import { describe, expect, it } from 'vitest';
import { cqlToLogical, parseCqlType } from '../src/scylla-cql-types.js';
import {
  SCYLLA_CONTRACT_TYPES,
  contractInsertCql,
  contractInsertParams,
  contractTableCql,
  cqlTableName,
  cqlTypeFor,
} from './scylla-test-cluster.js';

describe('ScyllaDB contract fixture (offline)', () => {
  const parity = adaptContractTable(typeParityTable('type parity "t"'), SCYLLA_CONTRACT_TYPES).table;
  const composite = adaptContractTable(compositeKeyTable('order', 20), SCYLLA_CONTRACT_TYPES).table;

  it('creates CQL types that introspect to the contract kinds', () => {
    for (const table of [parity, composite]) {
      for (const c of table.columns)
        expect(cqlToLogical(parseCqlType(cqlTypeFor(c.type))).kind, c.name).toBe(c.type.kind);
    }
  });

  it('converts every adapted contract value to a driver parameter', () => {
    let cells = 0;
    for (const table of [parity, composite]) {
      for (const row of table.rows) {
        const params = contractInsertParams(table, row);
        expect(params).toHaveLength(table.columns.length);
        table.columns.forEach((c, i) => expect(params[i] === null, c.name).toBe(row[c.name] === null));
        cells += params.length;
      }
    }
    expect(cells).toBeGreaterThan(100);
  });

  it('writes the partition key, clustering key and quoted names', () => {
    expect(cqlTableName('type parity "t"')).toBe('type_parity__t_');
    expect(contractTableCql('ks', composite)).toBe(
      'CREATE TABLE "ks"."order" ("Tenant Id" int, "order" text, "select" bigint, "note ""x"".y" text, PRIMARY KEY (("Tenant Id"), "order"))',
    );
    expect(contractTableCql('ks', parity)).toMatch(
      /^CREATE TABLE "ks"\."type_parity__t_" \("id" bigint, .*"ints" list<int>, "words" list<text>, PRIMARY KEY \(\("id"\)\)\)$/,
    );
    expect(contractInsertCql('ks', composite)).toBe(
      'INSERT INTO "ks"."order" ("Tenant Id", "order", "select", "note ""x"".y") VALUES (?, ?, ?, ?)',
    );
  });

  it('leaves out exactly the kinds CQL lacks', () => {
    const { omitted } = adaptContractTable(typeParityTable('t'), SCYLLA_CONTRACT_TYPES);
    expect(omitted.filter((o) => o.what === 'column').map((o) => o.column)).toEqual(['ts', 'doc']);
  });
});
