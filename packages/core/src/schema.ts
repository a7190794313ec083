/** Table identity and shape, as introspected by an adapter and consumed by the engines. */
import type { LogicalType } from './logical-type.js';

/**
 * A table's identity. Names are exact (case and punctuation preserved, never folded); adapters quote
 * them. `schema` is the PostgreSQL/SQL Server schema or the Scylla keyspace; `catalog` the SQL Server
 * database when it differs from the connection's.
 */
export interface TableId {
  catalog?: string;
  schema?: string;
  name: string;
}

/** One column with its logical type and the native details adapters need to round-trip it. */
export interface Column {
  /** Exact column name. */
  name: string;
  /** Logical type (what values mean, how they are canonicalized). */
  type: LogicalType;
  /** Native type as the engine spells it, e.g. `numeric(12,2)`, `nvarchar(50)`, `frozen<list<int>>`. */
  nativeType: string;
  /** Whether NULL is allowed. */
  nullable: boolean;
  /** Maximum length for bounded character/binary types. */
  length?: number;
  /** Collation of character columns, where the engine has one. */
  collation?: string;
  /** Fixed-width character type (`char(n)`/`nchar(n)`): values are space-padded by the engine. */
  fixedLength?: boolean;
}

/** A table's columns and key. `primaryKey` lists column names in key order and is never empty. */
export interface TableSchema {
  id: TableId;
  columns: Column[];
  primaryKey: string[];
  /** Unique constraints (column lists), for information and key selection. */
  uniqueKeys?: string[][];
  /** Scylla/Cassandra only: how many leading `primaryKey` columns form the partition key. */
  partitionKeyLength?: number;
}

/** A row: column name → decoded value (see `docs/normalization.md` for accepted JS representations). */
export type Row = Record<string, unknown>;

/** A key: values of the primary-key columns in key order. */
export type Key = unknown[];

/** Renders a table id for messages as `schema.name` with double quotes where needed. */
export function formatTableId(id: TableId): string {
  const q = (s: string) => (/^[a-z_][a-z0-9_]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  return [id.catalog, id.schema, id.name]
    .filter((p): p is string => p !== undefined)
    .map(q)
    .join('.');
}
