/**
 * SQL Server's native types → cdc's logical types (the mapping table of `docs/sources/sqlserver.md`).
 * Every system type is listed; the few without a faithful logical type are reported by name.
 */
import { CdcError, formatTableId, type LogicalType, type TableId } from '@cdc/core';
import type { SqlServerFlavour } from './sqlserver-flavour.js';

/** What introspection reads about one column from `sys.columns` / `sys.types`. */
export interface SqlServerColumnInfo {
  name: string;
  /** Base system type name (`sys.types` row of `system_type_id`), e.g. `nvarchar`. */
  typeName: string;
  /** Alias/user-defined type name when it differs (e.g. `sysname`, `dbo.Phone`). */
  userTypeName?: string | null;
  /** `sys.columns.max_length` in bytes; -1 for `(max)`, xml and CLR types. */
  maxLength: number;
  precision: number;
  scale: number;
  collation?: string | null;
  nullable: boolean;
  /** `sys.columns.is_computed`. */
  computed?: boolean;
}

/** Result of mapping one native type. */
export interface SqlServerMappedType {
  type: LogicalType;
  /** The type as SQL Server spells it, e.g. `decimal(12,2)`, `nvarchar(max)`. */
  nativeType: string;
  /** Characters for char types, bytes for binary types; absent for `(max)`. */
  length?: number;
  fixedLength?: boolean;
  /** How values travel from the server: selected as-is or cast so they stay exact. */
  transport: 'raw' | 'decimal-text' | 'varbinary' | 'nvarchar';
  /** Notes for `cdc schema map` (lossy or engine-specific representations). */
  note?: string;
}

/** Native types with no logical counterpart; reported by name. */
export const UNSUPPORTED_SQLSERVER_TYPES: ReadonlySet<string> = new Set([
  'sql_variant',
  'vector',
  'cursor',
  'table',
]);

/** Every system type name this adapter knows, for docs and tests. */
export const SQLSERVER_TYPE_NAMES = [
  'bit',
  'tinyint',
  'smallint',
  'int',
  'bigint',
  'decimal',
  'numeric',
  'money',
  'smallmoney',
  'real',
  'float',
  'date',
  'time',
  'datetime',
  'smalldatetime',
  'datetime2',
  'datetimeoffset',
  'char',
  'varchar',
  'nchar',
  'nvarchar',
  'text',
  'ntext',
  'xml',
  'json',
  'uniqueidentifier',
  'binary',
  'varbinary',
  'image',
  'timestamp',
  'rowversion',
  'hierarchyid',
  'geometry',
  'geography',
  'sql_variant',
  'vector',
] as const;

function lengthSpec(info: SqlServerColumnInfo, bytesPerChar: number): { text: string; length?: number } {
  if (info.maxLength === -1) return { text: 'max' };
  const length = Math.floor(info.maxLength / bytesPerChar);
  return { text: String(length), length };
}

/**
 * Maps one column's native type. Throws `UNSUPPORTED_TYPE` naming the column and the type for
 * `sql_variant`, `vector` and unknown types. `flavour` adapts Babelfish's 6-digit time precision.
 */
export function mapSqlServerType(
  info: SqlServerColumnInfo,
  flavour?: Pick<SqlServerFlavour, 'kind'>,
  table?: TableId,
): SqlServerMappedType {
  const t = info.typeName.toLowerCase();
  const fractional = (scale: number) => (flavour?.kind === 'babelfish' ? Math.min(scale, 6) : scale);
  switch (t) {
    case 'bit':
      return { type: { kind: 'bool' }, nativeType: 'bit', transport: 'raw' };
    case 'tinyint':
      return { type: { kind: 'int16' }, nativeType: 'tinyint', transport: 'raw', note: 'tinyint is 0..255' };
    case 'smallint':
      return { type: { kind: 'int16' }, nativeType: 'smallint', transport: 'raw' };
    case 'int':
      return { type: { kind: 'int32' }, nativeType: 'int', transport: 'raw' };
    case 'bigint':
      return { type: { kind: 'int64' }, nativeType: 'bigint', transport: 'raw' };
    case 'decimal':
    case 'numeric':
      return {
        type: { kind: 'numeric', precision: info.precision, scale: info.scale },
        nativeType: `${t}(${info.precision},${info.scale})`,
        transport: 'decimal-text',
      };
    case 'money':
      return {
        type: { kind: 'numeric', precision: 19, scale: 4 },
        nativeType: 'money',
        transport: 'decimal-text',
      };
    case 'smallmoney':
      return {
        type: { kind: 'numeric', precision: 10, scale: 4 },
        nativeType: 'smallmoney',
        transport: 'decimal-text',
      };
    case 'real':
      return { type: { kind: 'float32' }, nativeType: 'real', transport: 'raw' };
    case 'float':
      return { type: { kind: 'float64' }, nativeType: 'float', transport: 'raw' };
    case 'date':
      return { type: { kind: 'date' }, nativeType: 'date', transport: 'raw' };
    case 'time':
      return {
        type: { kind: 'time', precision: fractional(info.scale) },
        nativeType: `time(${info.scale})`,
        transport: 'raw',
        note: info.scale > 6 ? 'the 7th fractional digit (100 ns) is floored to microseconds' : undefined,
      };
    case 'datetime':
      return {
        type: { kind: 'timestamp', precision: 3 },
        nativeType: 'datetime',
        transport: 'raw',
        note: 'datetime ticks are 1/300 s; compared rounded to milliseconds',
      };
    case 'smalldatetime':
      return { type: { kind: 'timestamp', precision: 0 }, nativeType: 'smalldatetime', transport: 'raw' };
    case 'datetime2':
      return {
        type: { kind: 'timestamp', precision: fractional(info.scale) },
        nativeType: `datetime2(${info.scale})`,
        transport: 'raw',
        note: info.scale > 6 ? 'the 7th fractional digit (100 ns) is floored to microseconds' : undefined,
      };
    case 'datetimeoffset':
      return {
        type: { kind: 'timestamptz', precision: fractional(info.scale) },
        nativeType: `datetimeoffset(${info.scale})`,
        transport: 'raw',
        note: 'compared as the UTC instant; the original offset is not kept',
      };
    case 'char':
    case 'varchar': {
      const l = lengthSpec(info, 1);
      return {
        type: { kind: 'text' },
        nativeType: `${t}(${l.text})`,
        length: l.length,
        fixedLength: t === 'char' ? true : undefined,
        transport: 'raw',
      };
    }
    case 'nchar':
    case 'nvarchar': {
      const l = lengthSpec(info, 2);
      const alias = info.userTypeName?.toLowerCase() === 'sysname' ? 'sysname' : undefined;
      return {
        type: { kind: 'text' },
        nativeType: alias ?? `${t}(${l.text})`,
        length: l.length,
        fixedLength: t === 'nchar' ? true : undefined,
        transport: 'raw',
      };
    }
    case 'text':
    case 'ntext':
      return { type: { kind: 'text' }, nativeType: t, transport: 'raw', note: 'deprecated LOB type' };
    case 'xml':
      return {
        type: { kind: 'text' },
        nativeType: 'xml',
        transport: 'nvarchar',
        note: 'compared as SQL Server serializes it (whitespace and attribute quoting normalized by the server)',
      };
    case 'json':
      return { type: { kind: 'json' }, nativeType: 'json', transport: 'nvarchar' };
    case 'uniqueidentifier':
      return {
        type: { kind: 'uuid' },
        nativeType: 'uniqueidentifier',
        transport: 'raw',
        note: 'SQL Server sorts uniqueidentifier by byte groups, unlike uuid; buckets use key hashes',
      };
    case 'binary':
    case 'varbinary': {
      const l = lengthSpec(info, 1);
      return {
        type: { kind: 'bytes' },
        nativeType: `${t}(${l.text})`,
        length: l.length,
        transport: 'raw',
      };
    }
    case 'image':
      return { type: { kind: 'bytes' }, nativeType: 'image', transport: 'raw', note: 'deprecated LOB type' };
    case 'timestamp':
    case 'rowversion':
      return {
        type: { kind: 'bytes' },
        nativeType: 'rowversion',
        length: 8,
        transport: 'raw',
        note: 'server-generated; differs after any copy',
      };
    case 'hierarchyid':
    case 'geometry':
    case 'geography':
      return {
        type: { kind: 'bytes' },
        nativeType: t,
        transport: 'varbinary',
        note: `${t} is compared as its CLR binary serialization (map to PostGIS or ltree by hand)`,
      };
    default: {
      const where = table ? ` in ${formatTableId(table)}` : '';
      throw new CdcError(
        'UNSUPPORTED_TYPE',
        `Column "${info.name}"${where} has SQL Server type ${info.userTypeName ?? info.typeName}, which cdc cannot compare or replicate.`,
        {
          hint: UNSUPPORTED_SQLSERVER_TYPES.has(t)
            ? 'Exclude the column (columns: […] in the table config) or add a computed column casting it to a supported type.'
            : 'Unknown type: please report it with the output of SELECT @@VERSION.',
        },
      );
    }
  }
}
