/**
 * Turns `system_schema.columns` / `system_schema.types` rows into a cdc {@link TableSchema} plus the
 * CQL details the adapter needs (partition/clustering/static columns, parsed CQL types, counters).
 */
import { CdcError, formatTableId, type Column, type TableId, type TableSchema } from '@cdc/core';
import {
  cqlToLogical,
  formatCqlType,
  isNonFrozenCollection,
  parseCqlType,
  resolveUdts,
  type CqlType,
  type CqlUdtDefinition,
} from './scylla-cql-types.js';

/** One row of `system_schema.columns`. */
export interface SchemaColumnRow {
  column_name: string;
  kind: string;
  position: number;
  type: string;
  clustering_order?: string | null;
}

/** A Scylla/Cassandra table as the adapter sees it. */
export interface ScyllaTableInfo {
  schema: TableSchema;
  keyspace: string;
  partitionKey: string[];
  clusteringKey: string[];
  /** Clustering order per clustering column (`asc`/`desc`). */
  clusteringOrder: ('asc' | 'desc')[];
  staticColumns: string[];
  regularColumns: string[];
  /** Parsed, UDT-resolved CQL type per column. */
  cqlTypes: Map<string, CqlType>;
  /** Columns that are non-frozen collections/UDTs (element-level CDC deltas). */
  nonFrozenColumns: string[];
  /** The table has counter columns (no CDC postimage semantics, counters are deltas). */
  hasCounters: boolean;
}

/**
 * Builds the table description. Unknown/custom types fail with `UNSUPPORTED_TYPE` naming the column,
 * unless the column is excluded through `skipColumns` (never key columns).
 */
export function buildTableInfo(
  id: TableId,
  keyspace: string,
  rows: readonly SchemaColumnRow[],
  udts: ReadonlyMap<string, CqlUdtDefinition>,
  options: { skipColumns?: readonly string[] } = {},
): ScyllaTableInfo {
  if (rows.length === 0) {
    throw new CdcError(
      'TABLE_NOT_FOUND',
      `Table ${formatTableId({ ...id, schema: keyspace })} does not exist.`,
      {
        hint: 'Check the keyspace and table name (names are case-sensitive when quoted).',
      },
    );
  }
  const byKind = (kind: string) =>
    rows
      .filter((r) => r.kind === kind)
      .sort((a, b) => a.position - b.position || a.column_name.localeCompare(b.column_name));
  const pk = byKind('partition_key');
  const ck = byKind('clustering');
  const statics = byKind('static').sort((a, b) => (a.column_name < b.column_name ? -1 : 1));
  const regular = byKind('regular').sort((a, b) => (a.column_name < b.column_name ? -1 : 1));
  const skip = new Set(options.skipColumns ?? []);
  const cqlTypes = new Map<string, CqlType>();
  const columns: Column[] = [];
  const nonFrozen: string[] = [];
  let hasCounters = false;
  const where = (c: string) => `${formatTableId({ ...id, schema: keyspace })}.${c}`;

  for (const r of [...pk, ...ck, ...statics, ...regular]) {
    const isKey = r.kind === 'partition_key' || r.kind === 'clustering';
    if (!isKey && skip.has(r.column_name)) continue;
    let type: CqlType;
    try {
      type = resolveUdts(parseCqlType(r.type), udts);
    } catch (e) {
      throw new CdcError(
        'UNSUPPORTED_TYPE',
        `Column ${where(r.column_name)} has type ${r.type}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    const logical = cqlToLogical(type, where(r.column_name));
    cqlTypes.set(r.column_name, type);
    if (type.kind === 'native' && type.name === 'counter') hasCounters = true;
    if (isNonFrozenCollection(type)) nonFrozen.push(r.column_name);
    columns.push({ name: r.column_name, type: logical, nativeType: r.type, nullable: !isKey });
  }
  const partitionKey = pk.map((r) => r.column_name);
  const clusteringKey = ck.map((r) => r.column_name);
  const schema: TableSchema = {
    id: { ...id, schema: keyspace },
    columns,
    primaryKey: [...partitionKey, ...clusteringKey],
    partitionKeyLength: partitionKey.length,
  };
  return {
    schema,
    keyspace,
    partitionKey,
    clusteringKey,
    clusteringOrder: ck.map((r) => (r.clustering_order?.toLowerCase() === 'desc' ? 'desc' : 'asc')),
    staticColumns: statics.map((r) => r.column_name).filter((c) => !skip.has(c)),
    regularColumns: regular.map((r) => r.column_name).filter((c) => !skip.has(c)),
    cqlTypes,
    nonFrozenColumns: nonFrozen,
    hasCounters,
  };
}

/** Builds the UDT map from `system_schema.types` rows. */
export function udtMap(
  rows: readonly { type_name: string; field_names: string[]; field_types: string[] }[],
): Map<string, CqlUdtDefinition> {
  return new Map(
    rows.map((r) => [
      r.type_name,
      { name: r.type_name, fieldNames: r.field_names, fieldTypes: r.field_types },
    ]),
  );
}

/** Human-readable CQL type of a column, for messages and `schema map`. */
export function describeColumn(info: ScyllaTableInfo, column: string): string {
  const t = info.cqlTypes.get(column);
  return t ? formatCqlType(t) : 'unknown';
}
