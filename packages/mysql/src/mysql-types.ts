/**
 * Native MariaDB/MySQL column types → cdc logical types (`docs/normalization.md`, "Native types per
 * engine"; `docs/sources/mysql.md` has the table). Pure, from `information_schema.COLUMNS` facts.
 */
import { CdcError, type LogicalType } from '@cdc/core';

/** What introspection reads about one column (`information_schema.COLUMNS`, plus MariaDB's JSON check). */
export interface MysqlColumnInfo {
  name: string;
  /** `DATA_TYPE`, lower-case (`int`, `varchar`, `datetime`, …). */
  dataType: string;
  /** `COLUMN_TYPE`, lower-case (`int(10) unsigned`, `decimal(12,2)`, `enum('a','b')`, …). */
  columnType: string;
  nullable: boolean;
  /** `CHARACTER_MAXIMUM_LENGTH` (characters, or bytes for binary types). */
  maxLength: number | null;
  /** `NUMERIC_PRECISION` (digits; bits for `bit`). */
  precision: number | null;
  /** `NUMERIC_SCALE`. */
  scale: number | null;
  /** `DATETIME_PRECISION` (fractional-second digits). */
  datetimePrecision: number | null;
  /** `CHARACTER_SET_NAME`. */
  charset: string | null;
  /** `COLLATION_NAME`. */
  collation: string | null;
  /** MariaDB: the column carries the `json_valid()` check its `JSON` alias creates. */
  jsonCheck?: boolean;
}

/** How a column maps. */
export interface MysqlMappedType {
  type: LogicalType;
  /** Native type as MariaDB/MySQL spell it (`COLUMN_TYPE`). */
  nativeType: string;
  /** Bounded length (characters or bytes), where the type has one. */
  length?: number;
  /** `bit(n)`: the number of bits (a bit string is read as `ceil(n/8)` big-endian bytes). */
  bits?: number;
  /** Integer type declared `unsigned`. */
  unsigned?: boolean;
}

/** Options of {@link mapMysqlType}. */
export interface MysqlTypeOptions {
  /** How `tinyint(1)` maps: `bool` (default) or `int`. */
  tinyInt1?: 'bool' | 'int';
}

const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/** Native types cdc does not read, with what to do instead. */
export const UNSUPPORTED_MYSQL_TYPES: Readonly<Record<string, string>> = {
  geometry: 'spatial types have no logical type in cdc',
  point: 'spatial types have no logical type in cdc',
  linestring: 'spatial types have no logical type in cdc',
  polygon: 'spatial types have no logical type in cdc',
  multipoint: 'spatial types have no logical type in cdc',
  multilinestring: 'spatial types have no logical type in cdc',
  multipolygon: 'spatial types have no logical type in cdc',
  geometrycollection: 'spatial types have no logical type in cdc',
  geomcollection: 'spatial types have no logical type in cdc',
  vector: 'vectors have no logical type in cdc',
};

function fractional(info: MysqlColumnInfo): number {
  const p = info.datetimePrecision ?? Number(/\((\d)\)/.exec(info.columnType)?.[1] ?? 0);
  return Math.max(0, Math.min(6, p));
}

/**
 * The logical type of one column. Throws `UNSUPPORTED_TYPE` naming the column and its native type for
 * types cdc cannot compare (spatial types, vectors, unknown plugins' types).
 */
export function mapMysqlType(info: MysqlColumnInfo, options: MysqlTypeOptions = {}): MysqlMappedType {
  const dataType = info.dataType.toLowerCase();
  const columnType = info.columnType.toLowerCase();
  const nativeType = columnType;
  const unsigned = /\bunsigned\b/.test(columnType);
  const int = (kind: 'int16' | 'int32' | 'int64'): MysqlMappedType => ({
    type: { kind },
    nativeType,
    ...(unsigned ? { unsigned: true } : {}),
  });
  switch (dataType) {
    case 'tinyint':
      if (!unsigned && /^tinyint\(1\)/.test(columnType) && (options.tinyInt1 ?? 'bool') === 'bool')
        return { type: { kind: 'bool' }, nativeType };
      return int('int16');
    case 'smallint':
      return int(unsigned ? 'int32' : 'int16');
    case 'mediumint':
      return int('int32');
    case 'int':
    case 'integer':
      return int(unsigned ? 'int64' : 'int32');
    case 'bigint':
      // 0 … 2^64−1 does not fit int64: exact numbers of one family compare (docs/normalization.md).
      return unsigned
        ? { type: { kind: 'numeric', precision: 20, scale: 0 }, nativeType, unsigned: true }
        : int('int64');
    case 'decimal':
    case 'numeric':
    case 'fixed':
      return {
        type: {
          kind: 'numeric',
          ...(info.precision === null ? {} : { precision: info.precision }),
          ...(info.scale === null ? {} : { scale: info.scale }),
        },
        nativeType,
      };
    case 'float':
      return { type: { kind: 'float32' }, nativeType };
    case 'double':
    case 'real':
    case 'double precision':
      return { type: { kind: 'float64' }, nativeType };
    case 'bit': {
      const bits = info.precision ?? Number(/^bit\((\d+)\)/.exec(columnType)?.[1] ?? 1);
      return bits === 1
        ? { type: { kind: 'bool' }, nativeType, bits }
        : { type: { kind: 'bytes' }, nativeType, bits, length: Math.ceil(bits / 8) };
    }
    case 'date':
      return { type: { kind: 'date' }, nativeType };
    case 'datetime':
      return { type: { kind: 'timestamp', precision: fractional(info) }, nativeType };
    case 'timestamp':
      return { type: { kind: 'timestamptz', precision: fractional(info) }, nativeType };
    case 'time':
      return { type: { kind: 'time', precision: fractional(info) }, nativeType };
    case 'year':
      return { type: { kind: 'int16' }, nativeType };
    case 'json':
      return { type: { kind: 'json' }, nativeType };
    case 'uuid':
      return { type: { kind: 'uuid' }, nativeType };
    case 'inet4':
    case 'inet6':
      return { type: { kind: 'inet' }, nativeType };
    default:
      break;
  }
  if (TEXT_TYPES.has(dataType)) {
    if (info.jsonCheck && dataType === 'longtext') return { type: { kind: 'json' }, nativeType: 'json' };
    return {
      type: { kind: 'text' },
      nativeType,
      ...(info.maxLength !== null && dataType !== 'enum' && dataType !== 'set'
        ? { length: info.maxLength }
        : {}),
    };
  }
  if (BINARY_TYPES.has(dataType)) {
    return {
      type: { kind: 'bytes' },
      nativeType,
      ...(info.maxLength !== null ? { length: info.maxLength } : {}),
    };
  }
  const why = UNSUPPORTED_MYSQL_TYPES[dataType] ?? 'cdc has no mapping for it';
  throw new CdcError('UNSUPPORTED_TYPE', `Column "${info.name}" has type ${info.columnType}: ${why}.`, {
    hint: 'Leave the column out of the comparison, or compare a generated column that casts it (e.g. ST_AsText(g)).',
  });
}
