/**
 * PostgreSQL's native types ↔ cdc's logical types (the mapping table of `docs/targets/postgres.md`):
 * introspection maps native → logical, the sink's DDL maps logical → native.
 */
import { CdcError, formatTableId, type LogicalType, type TableId } from '@cdc/core';

/** What introspection reads about one column's type from `pg_catalog`. */
export interface NativeTypeInfo {
  /** `pg_type.typname` of the column's type (after resolving domains). */
  typname: string;
  /** `pg_type.typtype` (`b` base, `e` enum, `d` domain, `c` composite, `r` range, `m` multirange). */
  typtype: string;
  /** `pg_attribute.atttypmod` (or the domain's `typtypmod`). */
  typmod: number;
  /** Element type name when the column is an array. */
  elemTypname?: string | null;
  /** Element `typtype` when the column is an array. */
  elemTyptype?: string | null;
  /** `format_type(...)`: the type as PostgreSQL spells it. */
  formatted: string;
}

/** Result of mapping one native type. */
export interface MappedType {
  type: LogicalType;
  length?: number;
  fixedLength?: boolean;
}

/** Native types that are compared as their text output (no cross-engine meaning beyond that). */
const TEXT_LIKE = new Set([
  'text',
  'varchar',
  'bpchar',
  'name',
  'char',
  'citext',
  'xml',
  'macaddr',
  'macaddr8',
  'bit',
  'varbit',
]);

function precisionOf(typmod: number, fallback = 6): number {
  return typmod >= 0 ? Math.min(typmod, 6) : fallback;
}

function mapScalar(typname: string, typtype: string, typmod: number): MappedType | undefined {
  switch (typname) {
    case 'int2':
      return { type: { kind: 'int16' } };
    case 'int4':
      return { type: { kind: 'int32' } };
    case 'int8':
    case 'oid':
      return { type: { kind: 'int64' } };
    case 'numeric': {
      if (typmod < 4) return { type: { kind: 'numeric' } };
      const precision = ((typmod - 4) >> 16) & 0xffff;
      // Scale is an 11-bit signed field since PostgreSQL 15 (negative scales round to tens).
      let scale = (typmod - 4) & 0x7ff;
      if (scale > 1023) scale -= 2048;
      return { type: { kind: 'numeric', precision, scale } };
    }
    case 'float4':
      return { type: { kind: 'float32' } };
    case 'float8':
      return { type: { kind: 'float64' } };
    case 'bool':
      return { type: { kind: 'bool' } };
    case 'bytea':
      return { type: { kind: 'bytes' } };
    case 'uuid':
      return { type: { kind: 'uuid' } };
    case 'date':
      return { type: { kind: 'date' } };
    case 'time':
      return { type: { kind: 'time', precision: precisionOf(typmod) } };
    case 'timestamp':
      return { type: { kind: 'timestamp', precision: precisionOf(typmod) } };
    case 'timestamptz':
      return { type: { kind: 'timestamptz', precision: precisionOf(typmod) } };
    case 'interval':
      // The interval typmod packs fields and precision; the low 16 bits are the precision (0xffff = none).
      return { type: { kind: 'interval' } };
    case 'json':
    case 'jsonb':
      return { type: { kind: 'json' } };
    case 'inet':
    case 'cidr':
      return { type: { kind: 'inet' } };
    default:
      break;
  }
  if (TEXT_LIKE.has(typname) || typtype === 'e') {
    const mapped: MappedType = { type: { kind: 'text' } };
    if ((typname === 'varchar' || typname === 'bpchar') && typmod >= 4) mapped.length = typmod - 4;
    if (typname === 'bpchar') mapped.fixedLength = true;
    return mapped;
  }
  return undefined;
}

/**
 * Maps a column's native type to its logical type.
 * @throws CdcError `UNSUPPORTED_TYPE` naming the table, column and native type.
 */
export function mapNativeType(info: NativeTypeInfo, table: TableId, column: string): MappedType {
  if (info.elemTypname) {
    const element = mapScalar(info.elemTypname, info.elemTyptype ?? 'b', info.typmod);
    if (element) return { type: { kind: 'list', element: element.type } };
  } else {
    const mapped = mapScalar(info.typname, info.typtype, info.typmod);
    if (mapped) return mapped;
  }
  throw new CdcError(
    'UNSUPPORTED_TYPE',
    `column ${JSON.stringify(column)} of ${formatTableId(table)} has type ${info.formatted}, which cdc cannot compare or replicate`,
    {
      hint:
        info.typname === 'money'
          ? 'money is formatted by locale; compare a view that casts it to numeric'
          : 'exclude the column from the table mapping, or compare a view that casts it to text',
    },
  );
}

/**
 * The native type to bind parameters of a column as: the declared type without modifiers, so a
 * parameter is never rounded or truncated by a typmod (`character` alone would mean `char(1)`).
 */
export function castTypeOf(nativeType: string): string {
  const base = nativeType.replace(/\(\s*-?\d+(\s*,\s*-?\d+)?\s*\)/g, '').replace(/\s+(?=\[)/g, '');
  const array = base.endsWith('[]') ? '[]' : '';
  const element = array ? base.slice(0, -2).trim() : base.trim();
  if (element === 'character') return `bpchar${array}`;
  if (element === 'bit') return `varbit${array}`;
  if (element.startsWith('interval')) return `interval${array}`;
  return `${element}${array}`;
}

/**
 * The PostgreSQL type a logical type is stored as in a target table created by the sink
 * (`docs/normalization.md`, type mapping).
 */
export function nativeTypeFor(type: LogicalType): string {
  switch (type.kind) {
    case 'int16':
      return 'smallint';
    case 'int32':
      return 'integer';
    case 'int64':
      return 'bigint';
    case 'numeric':
      if (type.precision !== undefined && type.precision >= 1 && type.precision <= 1000) {
        return `numeric(${type.precision},${type.scale ?? 0})`;
      }
      return 'numeric';
    case 'float32':
      return 'real';
    case 'float64':
      return 'double precision';
    case 'bool':
      return 'boolean';
    case 'text':
      return 'text';
    case 'bytes':
      return 'bytea';
    case 'uuid':
      return 'uuid';
    case 'date':
      return 'date';
    case 'time':
      return `time(${Math.min(type.precision, 6)})`;
    case 'timestamp':
      return `timestamp(${Math.min(type.precision, 6)})`;
    case 'timestamptz':
      return `timestamp(${Math.min(type.precision, 6)}) with time zone`;
    case 'interval':
      return 'interval';
    case 'json':
      return 'jsonb';
    case 'inet':
      return 'inet';
    case 'list':
    case 'set': {
      const element = type.element;
      const scalar = !['list', 'set', 'map', 'tuple', 'udt', 'json'].includes(element.kind);
      return scalar ? `${nativeTypeFor(element)}[]` : 'jsonb';
    }
    case 'map':
    case 'tuple':
    case 'udt':
      return 'jsonb';
  }
}
