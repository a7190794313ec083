/**
 * `docs/normalization.md` in SQL: the canonical text of every logical kind the pushdown supports,
 * the key and row strings, their MD5 digests, row-hash halves and bucket expressions. The client-side
 * twin is `@cdc/core`'s canonical/hash module; tests prove both produce identical bytes.
 */
import { CdcError, type Column, type ColumnHashOptions, type LogicalKind, type LogicalType } from '@cdc/core';
import { quoteIdent } from './postgres-sql.js';

/** Scalar kinds whose canonical text this module renders exactly in SQL. */
const SCALAR_PUSHDOWN: readonly LogicalKind[] = [
  'int16',
  'int32',
  'int64',
  'numeric',
  'float32',
  'float64',
  'bool',
  'text',
  'bytes',
  'uuid',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'interval',
  'inet',
];

/**
 * Kinds the PostgreSQL pushdown canonicalizes. `json` is left out (canonical JSON needs recursive
 * key sorting by UTF-8 bytes and number normalization, which jsonb does not do), and so are `set`,
 * `map`, `tuple` and `udt` (PostgreSQL has no native column of those kinds); tables with such columns
 * are hashed client-side.
 */
export const POSTGRES_PUSHDOWN_KINDS: readonly LogicalKind[] = [...SCALAR_PUSHDOWN, 'list'];

/**
 * Server abilities that change how (not what) the SQL computes. PostgreSQL 18 casts bytea to
 * integers, which turns digests and `timestamptz_send` bytes into integers far faster than text
 * conversions or numeric `extract(epoch …)`; the bytes produced are identical.
 */
export interface SqlFeatures {
  byteaIntegerCasts: boolean;
}

const BASELINE: SqlFeatures = { byteaIntegerCasts: false };

/** Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
const PG_EPOCH_MICROS = '946684800000000';
/** Largest internal timestamp that can be shifted to the Unix epoch inside bigint. */
const MAX_SHIFTABLE = (2n ** 63n - 1n - 946684800000000n).toString();

/** The SQL literal of the NULL marker `\N`, independent of `standard_conforming_strings`. */
export const NULL_MARKER_SQL = "E'\\\\N'";

/** True when the pushdown can canonicalize a column of this type. */
export function canPushDown(type: LogicalType): boolean {
  if (type.kind === 'list') return SCALAR_PUSHDOWN.includes(type.element.kind);
  return SCALAR_PUSHDOWN.includes(type.kind);
}

function floorMicros(micros: string, precision: number): string {
  if (precision >= 6) return micros;
  const unit = 10 ** (6 - precision);
  // Floor toward −∞ (the remainder of % has the dividend's sign); works for bigint and numeric.
  return `(${micros} - ((${micros} % ${unit}) + ${unit}) % ${unit})`;
}

/**
 * Canonical text of a non-NULL value `v` (an SQL expression) of logical type `type`; NULL handling
 * is the caller's. `fixedLength` marks `char(n)` whose padding `::text` would strip.
 */
export function canonicalValueSql(
  v: string,
  type: LogicalType,
  options: ColumnHashOptions = {},
  fixedLength = false,
  features: SqlFeatures = BASELINE,
): string {
  switch (type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
      return `(${v})::text`;
    case 'numeric':
      // trim_scale drops trailing fractional zeros; numeric output never uses exponents, and has no −0.
      return `trim_scale(${v})::text`;
    case 'float32':
    case 'float64':
      return (
        `(CASE WHEN ${v} = 0 THEN '0' WHEN ${v} = 'NaN' THEN 'NaN' WHEN ${v} = 'Infinity' THEN 'Infinity'` +
        ` WHEN ${v} = '-Infinity' THEN '-Infinity' ELSE encode(float8send((${v})::float8), 'hex') END)`
      );
    case 'bool':
      return `(CASE WHEN ${v} THEN 't' ELSE 'f' END)`;
    case 'text': {
      // concat() renders char(n) through its output function, keeping the padding `::text` strips.
      let text = fixedLength ? `concat(${v})` : `(${v})::text`;
      if (options.trimTrailingSpaces) text = `rtrim(${text}, ' ')`;
      if (options.caseInsensitive) text = `lower(${text} COLLATE "pg_unicode_fast")`;
      return `(octet_length(${text})::text || ':' || ${text})`;
    }
    case 'bytes':
      return `encode(${v}, 'hex')`;
    case 'uuid':
      return `(${v})::text`;
    case 'date':
      return (
        `(CASE WHEN isfinite(${v}) THEN ((${v}) - DATE '1970-01-01')::text` +
        ` WHEN ${v} > DATE '1970-01-01' THEN 'Infinity' ELSE '-Infinity' END)`
      );
    case 'time': {
      const micros = features.byteaIntegerCasts
        ? `time_send(${v})::bigint`
        : `(extract(epoch FROM ${v}) * 1000000)::bigint`;
      return `(${floorMicros(micros, options.precision ?? type.precision)})::text`;
    }
    case 'timestamp':
    case 'timestamptz': {
      const precision = options.precision ?? type.precision;
      let floored: string;
      if (features.byteaIntegerCasts) {
        // µs since 2000-01-01 (the internal value); the epoch shift is whole seconds, so flooring
        // before shifting is exact. Shifting can pass int64 near 294276 AD: numeric only there.
        const send = type.kind === 'timestamp' ? 'timestamp_send' : 'timestamptz_send';
        const f = floorMicros(`${send}(${v})::bigint`, precision);
        floored =
          `(CASE WHEN ${f} <= ${MAX_SHIFTABLE} THEN (${f} + ${PG_EPOCH_MICROS})::text` +
          ` ELSE ((${f})::numeric + ${PG_EPOCH_MICROS})::text END)`;
      } else {
        floored = `(${floorMicros(`trunc(extract(epoch FROM ${v}) * 1000000)`, precision)})::text`;
      }
      const epoch = type.kind === 'timestamp' ? `TIMESTAMP 'epoch'` : `TIMESTAMPTZ 'epoch'`;
      return (
        `(CASE WHEN isfinite(${v}) THEN ${floored}` +
        ` WHEN ${v} > ${epoch} THEN 'Infinity' ELSE '-Infinity' END)`
      );
    }
    case 'interval':
      // Each field keeps its sign; hours may exceed 24, so the time part is rebuilt from h/m/µs.
      return (
        `((extract(year FROM ${v}) * 12 + extract(month FROM ${v}))::bigint::text || ',' ||` +
        ` extract(day FROM ${v})::bigint::text || ',' ||` +
        ` (extract(hour FROM ${v}) * 3600000000 + extract(minute FROM ${v}) * 60000000` +
        ` + extract(microseconds FROM ${v}))::bigint::text)`
      );
    case 'inet': {
      // inet_send: family, bits, is_cidr, address length, then the address bytes.
      const full = `(CASE WHEN family(${v}) = 4 THEN 32 ELSE 128 END)`;
      return (
        `(encode(substring(inet_send((${v})::inet) FROM 5), 'hex') ||` +
        ` CASE WHEN masklen(${v}) < ${full} THEN '/' || masklen(${v})::text ELSE '' END)`
      );
    }
    case 'list': {
      const element = canonicalFieldSql('e.v', type.element, options, features);
      const array = `(SELECT string_agg(COALESCE(to_json(${element})::text, 'null'), ',' ORDER BY e.n) FROM unnest(${v}) WITH ORDINALITY AS e(v, n))`;
      // An empty collection is NULL (docs/normalization.md).
      return `(CASE WHEN cardinality(${v}) = 0 THEN ${NULL_MARKER_SQL} ELSE (octet_length('[' || ${array} || ']')::text || ':[' || ${array} || ']') END)`;
    }
    default:
      throw new CdcError(
        'INVALID_ARGUMENT',
        `logical type ${type.kind} cannot be canonicalized in PostgreSQL`,
        {
          hint: 'check capabilities.pushdownKinds before planning a pushdown',
        },
      );
  }
}

/** Canonical text of a possibly NULL value: NULL becomes `\N` (list elements: SQL NULL → JSON null). */
function canonicalFieldSql(
  v: string,
  type: LogicalType,
  options: ColumnHashOptions,
  features: SqlFeatures,
): string {
  // Elements render through their output function (concat), so char(n)[] keeps its padding as read.
  return `(CASE WHEN ${v} IS NULL THEN NULL ELSE ${canonicalValueSql(v, type, options, true, features)} END)`;
}

/** Canonical text of a column, `\N` for NULL. `alias` qualifies the column (`t`). */
export function canonicalColumnSql(
  column: Column,
  options: ColumnHashOptions = {},
  alias = 't',
  features: SqlFeatures = BASELINE,
): string {
  const v = `${alias}.${quoteIdent(column.name)}`;
  const text = canonicalValueSql(v, column.type, options, column.fixedLength === true, features);
  // NOT NULL columns skip the test; a view or outer join could still yield NULL, so only trust it on
  // base-table columns (introspection reports views' columns as nullable).
  if (!column.nullable) return text;
  return `(CASE WHEN ${v} IS NULL THEN ${NULL_MARKER_SQL} ELSE ${text} END)`;
}

/** Fields joined by `|` (concatenation, not concat_ws: no 100-argument limit). */
export function joinFieldsSql(fields: string[]): string {
  if (fields.length === 0)
    throw new CdcError('INVALID_ARGUMENT', 'a key or row string needs at least one column');
  return fields.join(` || '|' || `);
}

/** The first 4 bytes of a hex MD5 digest as an unsigned 32-bit integer (bigint). */
export function digestWord32Sql(hex: string, features: SqlFeatures = BASELINE): string {
  return features.byteaIntegerCasts
    ? `(substr(decode(${hex}, 'hex'), 1, 4)::integer::bigint & 4294967295)`
    : `(('x' || substr(${hex}, 1, 8))::bit(32)::bigint)`;
}

/** The first 8 bytes of a hex MD5 digest as a signed bigint (two's complement). */
export function digestWord64Sql(hex: string, features: SqlFeatures = BASELINE): string {
  return features.byteaIntegerCasts
    ? `substr(decode(${hex}, 'hex'), 1, 8)::bigint`
    : `('x' || substr(${hex}, 1, 16))::bit(64)::bigint`;
}
