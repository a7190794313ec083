import { describe, expect, it } from 'vitest';
import { formatCqlType, parseCqlType, cqlToLogical, CQL_NATIVE_TYPES } from './scylla-cql-types.js';
import { buildTableInfo, udtMap, type SchemaColumnRow } from './scylla-introspector.js';

describe('parseCqlType', () => {
  it('parses nested frozen collections, tuples, vectors and quoted UDTs', () => {
    expect(parseCqlType('frozen<map<text, frozen<list<int>>>>')).toEqual({
      kind: 'map',
      frozen: true,
      key: { kind: 'native', name: 'text' },
      value: { kind: 'list', frozen: true, element: { kind: 'native', name: 'int' } },
    });
    expect(parseCqlType('set<timeuuid>')).toEqual({
      kind: 'set',
      frozen: false,
      element: { kind: 'native', name: 'timeuuid' },
    });
    expect(parseCqlType('tuple<int, text, frozen<set<inet>>>').kind).toBe('tuple');
    expect(parseCqlType('vector<float, 3>')).toEqual({
      kind: 'vector',
      element: { kind: 'native', name: 'float' },
      dimension: 3,
    });
    expect(parseCqlType('"MyType"')).toEqual({
      kind: 'udt',
      name: 'MyType',
      fields: undefined,
      frozen: false,
    });
    expect(parseCqlType('frozen<"My""Type">')).toMatchObject({ kind: 'udt', name: 'My"Type', frozen: true });
    expect(parseCqlType("'org.apache.cassandra.db.marshal.DynamicCompositeType(s=>UTF8Type)'")).toEqual({
      kind: 'custom',
      className: 'org.apache.cassandra.db.marshal.DynamicCompositeType(s=>UTF8Type)',
    });
  });

  it('round-trips through formatCqlType', () => {
    for (const s of [
      'frozen<map<text, frozen<list<int>>>>',
      'list<bigint>',
      'vector<float, 8>',
      'frozen<tuple<int, text>>',
      'frozen<"Addr">',
    ]) {
      expect(formatCqlType(parseCqlType(s))).toBe(s);
    }
  });

  it('rejects malformed type text', () => {
    expect(() => parseCqlType('map<int')).toThrow(/Cannot parse CQL type/);
    expect(() => parseCqlType('list<int>>')).toThrow(/unexpected text/);
    expect(() => parseCqlType('vector<float, x>')).toThrow(/dimension/);
  });
});

describe('cqlToLogical maps every CQL type', () => {
  const expected: Record<string, unknown> = {
    ascii: { kind: 'text' },
    bigint: { kind: 'int64' },
    blob: { kind: 'bytes' },
    boolean: { kind: 'bool' },
    counter: { kind: 'int64' },
    date: { kind: 'date' },
    decimal: { kind: 'numeric' },
    double: { kind: 'float64' },
    duration: { kind: 'interval' },
    float: { kind: 'float32' },
    inet: { kind: 'inet' },
    int: { kind: 'int32' },
    smallint: { kind: 'int16' },
    text: { kind: 'text' },
    time: { kind: 'time', precision: 9 },
    timestamp: { kind: 'timestamptz', precision: 3 },
    timeuuid: { kind: 'uuid' },
    tinyint: { kind: 'int16' },
    uuid: { kind: 'uuid' },
    varchar: { kind: 'text' },
    varint: { kind: 'numeric', scale: 0 },
  };
  for (const name of CQL_NATIVE_TYPES) {
    it(name, () => expect(cqlToLogical(parseCqlType(name))).toEqual(expected[name]));
  }
  it('collections, tuples, vectors', () => {
    expect(cqlToLogical(parseCqlType('map<text, frozen<set<int>>>'))).toEqual({
      kind: 'map',
      key: { kind: 'text' },
      value: { kind: 'set', element: { kind: 'int32' } },
    });
    expect(cqlToLogical(parseCqlType('tuple<int, text>'))).toEqual({
      kind: 'tuple',
      elements: [{ kind: 'int32' }, { kind: 'text' }],
    });
    expect(cqlToLogical(parseCqlType('vector<float, 3>'))).toEqual({
      kind: 'list',
      element: { kind: 'float32' },
    });
  });
  it('names the column of an unsupported custom type', () => {
    expect(() => cqlToLogical(parseCqlType("'com.example.Foo'"), 'ks.t.c')).toThrow(
      /ks\.t\.c has the custom type 'com\.example\.Foo'/,
    );
  });
});

describe('buildTableInfo', () => {
  const rows: SchemaColumnRow[] = [
    { column_name: 'v', kind: 'regular', position: -1, type: 'text' },
    { column_name: 'tags', kind: 'regular', position: -1, type: 'set<text>' },
    { column_name: 'addr', kind: 'regular', position: -1, type: 'frozen<address>' },
    { column_name: 'prefs', kind: 'regular', position: -1, type: 'address' },
    { column_name: 'ck2', kind: 'clustering', position: 1, type: 'timeuuid', clustering_order: 'desc' },
    { column_name: 'p2', kind: 'partition_key', position: 1, type: 'text' },
    { column_name: 'ck1', kind: 'clustering', position: 0, type: 'int', clustering_order: 'asc' },
    { column_name: 'p1', kind: 'partition_key', position: 0, type: 'int' },
    { column_name: 's', kind: 'static', position: -1, type: 'bigint' },
  ];
  const udts = udtMap([
    { type_name: 'address', field_names: ['street', 'zip'], field_types: ['text', 'int'] },
  ]);

  it('orders keys by position and describes static, collection and UDT columns', () => {
    const info = buildTableInfo({ name: 't' }, 'ks', rows, udts);
    expect(info.schema.primaryKey).toEqual(['p1', 'p2', 'ck1', 'ck2']);
    expect(info.schema.partitionKeyLength).toBe(2);
    expect(info.schema.id).toEqual({ schema: 'ks', name: 't' });
    expect(info.schema.columns.map((c) => c.name)).toEqual([
      'p1',
      'p2',
      'ck1',
      'ck2',
      's',
      'addr',
      'prefs',
      'tags',
      'v',
    ]);
    expect(info.clusteringOrder).toEqual(['asc', 'desc']);
    expect(info.staticColumns).toEqual(['s']);
    expect(info.nonFrozenColumns).toEqual(['prefs', 'tags']);
    expect(info.schema.columns.find((c) => c.name === 'addr')?.type).toEqual({
      kind: 'udt',
      name: 'address',
      fields: [
        { name: 'street', type: { kind: 'text' } },
        { name: 'zip', type: { kind: 'int32' } },
      ],
    });
    expect(info.schema.columns.find((c) => c.name === 'p1')?.nullable).toBe(false);
    expect(info.schema.columns.find((c) => c.name === 'v')?.nullable).toBe(true);
    expect(info.hasCounters).toBe(false);
  });

  it('reports a missing table and unsupported columns by name', () => {
    expect(() => buildTableInfo({ name: 'nope' }, 'ks', [], udts)).toThrow(/ks\.nope does not exist/);
    const bad = [...rows, { column_name: 'x', kind: 'regular', position: -1, type: "'com.example.Foo'" }];
    expect(() => buildTableInfo({ name: 't' }, 'ks', bad, udts)).toThrow(/ks\.t\.x/);
    expect(
      buildTableInfo({ name: 't' }, 'ks', bad, udts, { skipColumns: ['x'] }).regularColumns,
    ).not.toContain('x');
    const unknownUdt = [...rows, { column_name: 'y', kind: 'regular', position: -1, type: 'frozen<nope>' }];
    expect(() => buildTableInfo({ name: 't' }, 'ks', unknownUdt, udts)).toThrow(/Unknown user type 'nope'/);
  });

  it('flags counter tables', () => {
    const info = buildTableInfo(
      { name: 'c' },
      'ks',
      [
        { column_name: 'k', kind: 'partition_key', position: 0, type: 'int' },
        { column_name: 'n', kind: 'regular', position: -1, type: 'counter' },
      ],
      udts,
    );
    expect(info.hasCounters).toBe(true);
  });
});
