/**
 * Every statement the MariaDB/MySQL source sends, built as text plus `?` parameters: identifiers are
 * backtick-quoted (backticks doubled), values are parameters cast back to the column's type. The
 * canonical text of `docs/normalization.md` is built here in SQL, byte for byte, for `MD5()`. Pure
 * functions, so the unit tests pin the exact text.
 */
import {
  CdcError,
  type Bucketing,
  type Column,
  type ColumnHashOptions,
  type HashPlan,
  type Key,
  type LogicalKind,
  type Range,
  type TableId,
  type TableSchema,
} from '@cdc/core';
import type { MysqlQuery } from './mysql-driver.js';
import { bitWidth, encodeMysqlKey } from './mysql-values.js';

/**
 * Which server the SQL is for: MariaDB has dynamic columns, whose `COLUMN_CREATE` stores a double's
 * IEEE-754 bytes (a fast, exact way to its bits); MySQL computes them arithmetically.
 */
export type MysqlFlavour = 'mariadb' | 'mysql';

/** `` `name` `` with backticks doubled. MariaDB/MySQL identifiers are 1–64 characters. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 64) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `"${name}" is not a valid MariaDB/MySQL identifier (1–64 characters).`,
    );
  }
  return `\`${name.replace(/`/g, '``')}\``;
}

/** `` `database`.`table` `` (the schema of a `TableId` is the database). */
export function quoteTable(id: TableId): string {
  return id.schema === undefined ? quoteIdent(id.name) : `${quoteIdent(id.schema)}.${quoteIdent(id.name)}`;
}

/** Looks a column up by exact name. */
export function findColumn(table: TableSchema, name: string): Column {
  const c = table.columns.find((col) => col.name === name);
  if (!c) {
    throw new CdcError('COLUMN_NOT_FOUND', `Column "${name}" does not exist in ${quoteTable(table.id)}.`, {
      hint: `Known columns: ${table.columns.map((col) => col.name).join(', ')}.`,
    });
  }
  return c;
}

/** The key columns of `table` in key order. */
export function keyColumns(table: TableSchema): Column[] {
  return table.primaryKey.map((name) => findColumn(table, name));
}

function col(column: Column, alias = 't'): string {
  return `${alias}.${quoteIdent(column.name)}`;
}

/**
 * How a column is selected so mysql2 hands back exact values (see `decodeMysqlValue`): floats as the
 * text of their double, parsed in cdc with `Number`. The server prints FLOAT with 6 significant digits
 * (so it is widened to DOUBLE first) and DOUBLE exactly (shortest round trip), but mysql2 3.x parses
 * numbers of up to 17 characters digit by digit and misses by an ulp when the digits exceed 2^53
 * (`9.182219260685715` came back as `…716`). Everything else as stored.
 */
export function selectSql(column: Column, alias = 't'): string {
  const c = col(column, alias);
  switch (column.type.kind) {
    case 'float32':
      return `CAST(${c} + 0e0 AS CHAR)`;
    case 'float64':
      return `CAST(${c} AS CHAR)`;
    default:
      return c;
  }
}

/** Text compared by its UTF-8 bytes (= code points): cdc's canonical order, whatever the collation. */
function utf8Bytes(expr: string): string {
  return `CAST(CONVERT(${expr} USING utf8mb4) AS BINARY)`;
}

/**
 * True when the server's own order of the column is cdc's canonical key order (`docs/normalization.md`,
 * "Canonical key order"): numbers, dates, times and binary strings natively; text only under a binary
 * NO PAD collation (PAD SPACE compares `'a'` as `'a '`, so `'a\t'` would sort before `'a'`).
 */
export function nativeOrderIsCanonical(column: Column): boolean {
  switch (column.type.kind) {
    case 'text':
      return /^(utf8mb4_0900_bin|utf8mb4_nopad_bin|utf8mb3_nopad_bin|utf8_nopad_bin|ascii_nopad_bin)$/.test(
        column.collation ?? '',
      );
    case 'uuid':
      // MariaDB's UUID sorts time-based values by their timestamp fields, not by their text.
      return false;
    default:
      return true;
  }
}

/** The expression whose order is cdc's canonical key order. */
export function canonicalOrderSql(column: Column, alias = 't'): string {
  if (nativeOrderIsCanonical(column)) return col(column, alias);
  return column.type.kind === 'uuid'
    ? `CAST(CAST(${col(column, alias)} AS CHAR) AS BINARY)`
    : utf8Bytes(col(column, alias));
}

function canonicalOrderParam(column: Column, sql: string): string {
  if (nativeOrderIsCanonical(column)) return sql;
  return `CAST(${sql} AS BINARY)`;
}

/**
 * Lexicographic tuple comparison `(k1, k2, …) <op> (v1, v2, …)` expanded to OR/AND terms both
 * MariaDB and MySQL turn into index ranges. `op` applies to the last column; earlier ones are strict.
 * `order: 'canonical'` compares in cdc's key order, `native` in the server's.
 */
export function tupleCompareSql(
  columns: readonly Column[],
  key: Key,
  op: '>' | '>=' | '<' | '<=',
  order: 'native' | 'canonical',
  params: unknown[],
  alias = 't',
): string {
  if (key.length !== columns.length) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `A key for (${columns.map((c) => c.name).join(', ')}) needs ${columns.length} values, got ${key.length}.`,
    );
  }
  const strict = op === '>' || op === '>=' ? '>' : '<';
  const left = (c: Column) => (order === 'canonical' ? canonicalOrderSql(c, alias) : col(c, alias));
  const right = (c: Column, i: number) => {
    const p = encodeMysqlKey(c, key[i]);
    params.push(...(p.value === undefined ? [] : [p.value]));
    return order === 'canonical' ? canonicalOrderParam(c, p.sql) : p.sql;
  };
  const terms: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++)
      parts.push(`${left(columns[j] as Column)} = ${right(columns[j] as Column, j)}`);
    parts.push(
      `${left(columns[i] as Column)} ${i === columns.length - 1 ? op : strict} ${right(columns[i] as Column, i)}`,
    );
    terms.push(parts.length === 1 ? (parts[0] as string) : `(${parts.join(' AND ')})`);
  }
  return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' OR ')})`;
}

/** WHERE terms (joined by AND) restricting to `range`; empty when unbounded. */
export function rangeSql(
  table: TableSchema,
  range: Range | undefined,
  params: unknown[],
  alias = 't',
  flavour: MysqlFlavour = 'mysql',
): string[] {
  if (!range) return [];
  const keys = keyColumns(table);
  switch (range.kind) {
    case 'key': {
      const out: string[] = [];
      if (range.lower) out.push(tupleCompareSql(keys, range.lower, '>=', 'canonical', params, alias));
      if (range.upper) out.push(tupleCompareSql(keys, range.upper, '<', 'canonical', params, alias));
      return out;
    }
    case 'hash': {
      if (!Number.isInteger(range.modulus) || range.modulus < 1 || !Number.isInteger(range.remainder)) {
        throw new CdcError('INVALID_ARGUMENT', `Bad hash range ${range.remainder} mod ${range.modulus}.`);
      }
      const hash = keyHashSql(keyStringSql(table, undefined, alias, flavour));
      params.push(range.modulus, range.remainder);
      return [`${hash} % ? = ?`];
    }
    case 'token':
      throw new CdcError(
        'INVALID_ARGUMENT',
        'MariaDB/MySQL tables have no token ranges; use key or hash ranges.',
      );
  }
}

function whereSql(terms: readonly string[]): string {
  return terms.length === 0 ? '' : `\nWHERE ${terms.join('\n  AND ')}`;
}

// ---------------------------------------------------------------------------------------------------
// Canonical text in SQL (docs/normalization.md). Every field is a binary string of its UTF-8 text, so
// concatenation never mixes collations and MD5() hashes exactly those bytes.
// ---------------------------------------------------------------------------------------------------

/**
 * Logical kinds whose canonical text MariaDB and MySQL can build in SQL exactly. Not `json` (sorted
 * keys and canonical numbers are beyond SQL), nor `inet`: such tables are hashed in cdc.
 */
export const MYSQL_PUSHDOWN_KINDS: readonly LogicalKind[] = [
  'bool',
  'int16',
  'int32',
  'int64',
  'numeric',
  'float32',
  'float64',
  'text',
  'bytes',
  'uuid',
  'date',
  'time',
  'timestamp',
  'timestamptz',
];

function binary(expr: string): string {
  return `CAST(${expr} AS BINARY)`;
}

/** Floor of epoch/midnight microseconds to `precision` digits (toward −∞, as the client does). */
function floorMicrosSql(micros: string, precision: number): string {
  const p = Math.max(0, Math.min(6, precision));
  if (p === 6) return micros;
  const m = 10 ** (6 - p);
  return `(${micros} - MOD(MOD(${micros}, ${m}) + ${m}, ${m}))`;
}

/** Microseconds since midnight of a TIME value in [0, 24h]. */
function microsOfDaySql(c: string): string {
  return `((HOUR(${c}) * 3600 + MINUTE(${c}) * 60 + SECOND(${c})) * 1000000 + MICROSECOND(${c}))`;
}

/**
 * MariaDB: the IEEE-754 binary64 bits of a double as 16 lowercase hex digits, read from a dynamic
 * column, which stores a DOUBLE as its 8 bytes little-endian at the end of the blob (measured 3.5× faster
 * than {@link float64BitsSql} on 1M rows).
 */
export function float64BitsDynamicColumnSql(x: string): string {
  return `LOWER(HEX(REVERSE(SUBSTRING(COLUMN_CREATE(1, ${x} AS DOUBLE), -8))))`;
}

/**
 * The IEEE-754 binary64 bits of a double as 16 lowercase hex digits, computed with exact arithmetic
 * (MariaDB and MySQL have no function returning a double's bytes): scaling by powers of two is exact,
 * so the exponent found with LOG2 (corrected by one either way) and the 52-bit mantissa are exact;
 * subnormals are scaled by 2^1074 in two steps. Zero is handled by the caller; there is no NaN/Infinity.
 */
export function float64BitsSql(x: string): string {
  const a = `ABS(${x})`;
  const e0 = `LEAST(1023, FLOOR(LOG2(${a})))`;
  const m0 = `(${a} / POW(2, ${e0}))`;
  const adjust = `((${m0} >= 2) - (${m0} < 1))`;
  const exponent = `(${e0} + ${adjust})`;
  const mantissa = `(${m0} / POW(2, ${adjust}))`;
  const normal = `((CAST(${exponent} + 1023 AS UNSIGNED) << 52) | CAST((${mantissa} - 1) * 4503599627370496 AS UNSIGNED))`;
  const subnormal = `CAST(${a} * POW(2, 537) * POW(2, 537) AS UNSIGNED)`;
  const bits = `(IF(${x} < 0, 9223372036854775808, 0) | IF(${a} < 2.2250738585072014e-308, ${subnormal}, ${normal}))`;
  return `LPAD(LOWER(HEX(${bits})), 16, '0')`;
}

/** Exact decimal text: trailing fractional zeros and a trailing `.` removed, zero (also `-0.00`) as `0`. */
function decimalTextSql(c: string, scale: number | undefined): string {
  const text = `CAST(${c} AS CHAR)`;
  if (scale === 0) return `IF(${c} = 0, '0', ${text})`;
  const trimmed = `TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM ${text}))`;
  // DECIMAL(p,s) with s > 0 always prints a point; an unknown scale is checked.
  if (scale !== undefined) return `IF(${c} = 0, '0', ${trimmed})`;
  return `IF(${c} = 0, '0', IF(LOCATE('.', ${text}) > 0, ${trimmed}, ${text}))`;
}

/** Text in utf8mb4 under its binary collation: the column as is when it is utf8mb4 already. */
function utf8mb4Sql(column: Column, c: string): string {
  return column.collation?.startsWith('utf8mb4_')
    ? `${c} COLLATE utf8mb4_bin`
    : `CONVERT(${c} USING utf8mb4) COLLATE utf8mb4_bin`;
}

/**
 * The canonical text of one column as a binary-string expression (NULL when the value is NULL).
 * Values no logical type holds — zero dates, TIME outside 00:00–24:00 — become `!…` texts no client
 * value has, so the row is fetched and the client reports the value instead of a silent match.
 */
export function canonicalFieldSql(
  column: Column,
  options: ColumnHashOptions | undefined,
  alias = 't',
  flavour: MysqlFlavour = 'mysql',
): string {
  const c = col(column, alias);
  const t = column.type;
  switch (t.kind) {
    case 'bool':
      return binary(`CASE WHEN ${c} IS NULL THEN NULL WHEN ${c} <> 0 THEN 't' ELSE 'f' END`);
    case 'int16':
    case 'int32':
    case 'int64':
      // `+ 0`: YEAR in a string context is zero-padded ('0000').
      return binary(`${c} + 0`);
    case 'numeric':
      return binary(decimalTextSql(c, t.scale));
    case 'float32':
    case 'float64':
      // NULL first: a dynamic column of NULL is an empty blob, not NULL.
      return binary(
        `CASE WHEN ${c} IS NULL THEN NULL WHEN ${c} = 0 THEN '0' ELSE ${flavour === 'mariadb' ? float64BitsDynamicColumnSql(c) : float64BitsSql(`(${c} + 0e0)`)} END`,
      );
    case 'bytes': {
      const bits = bitWidth(column);
      if (bits !== undefined) return binary(`LPAD(LOWER(HEX(${c} + 0)), ${2 * Math.ceil(bits / 8)}, '0')`);
      return binary(`LOWER(HEX(${c}))`);
    }
    case 'uuid':
      return binary(`LOWER(CAST(${c} AS CHAR))`);
    case 'date':
      return binary(`COALESCE(TO_DAYS(${c}) - 719528, CONCAT('!', CAST(${c} AS CHAR)))`);
    case 'time': {
      const us = floorMicrosSql(microsOfDaySql(c), options?.precision ?? t.precision);
      return binary(
        `IF(${c} < TIME'00:00:00' OR ${c} > TIME'24:00:00', CONCAT('!', CAST(${c} AS CHAR)), ${us})`,
      );
    }
    case 'timestamp':
    case 'timestamptz': {
      // TIMESTAMP values read in the session's UTC (SESSION_SETUP_SQL); DATETIME is wall clock. Zero
      // dates give NULL, hence the marker.
      const us = floorMicrosSql(
        `TIMESTAMPDIFF(MICROSECOND, TIMESTAMP'1970-01-01 00:00:00', ${c})`,
        options?.precision ?? t.precision,
      );
      return binary(`COALESCE(${us}, CONCAT('!', CAST(${c} AS CHAR)))`);
    }
    case 'text': {
      let v = utf8mb4Sql(column, c);
      if (options?.trimTrailingSpaces) v = `TRIM(TRAILING ' ' FROM ${v})`;
      if (!options?.caseInsensitive) return `CONCAT(LENGTH(${v}), ':', ${binary(v)})`;
      // LOWER() follows the server's case tables, the client Unicode's default mapping: they agree on
      // ASCII only. Other text gets a `!` form that never matches, so the client compares those rows.
      return `IF(LENGTH(${v}) = CHAR_LENGTH(${v}), CONCAT(LENGTH(${v}), ':', ${binary(`LOWER(${v})`)}), CONCAT('!', LENGTH(${v}), ':', ${binary(v)}))`;
    }
    default:
      throw new CdcError(
        'INVALID_ARGUMENT',
        `Column "${column.name}": ${t.kind} cannot be canonicalized in MariaDB/MySQL.`,
        {
          hint: 'Hash this table client-side (the engine does when a plan touches kinds outside pushdownKinds).',
        },
      );
  }
}

const NULL_MARKER = "X'5C4E'";

function fieldsSql(fields: readonly string[]): string {
  return `CONCAT(${fields.map((f) => `COALESCE(${f}, ${NULL_MARKER})`).join(", '|', ")})`;
}

/** The key string (key columns' canonical texts joined by `|`) as a binary string. */
export function keyStringSql(
  table: TableSchema,
  plan: Pick<HashPlan, 'key' | 'columnOptions'> | undefined,
  alias = 't',
  flavour: MysqlFlavour = 'mysql',
): string {
  const names = plan?.key ?? table.primaryKey;
  return fieldsSql(
    names.map((n) => canonicalFieldSql(findColumn(table, n), plan?.columnOptions?.[n], alias, flavour)),
  );
}

/** The row string (key string, then `|` and each compared column) as a binary string. */
export function rowStringSql(
  table: TableSchema,
  plan: HashPlan,
  alias = 't',
  flavour: MysqlFlavour = 'mysql',
): string {
  const names = [...plan.key, ...plan.columns];
  return fieldsSql(
    names.map((n) => canonicalFieldSql(findColumn(table, n), plan.columnOptions?.[n], alias, flavour)),
  );
}

/** The key hash: the first 4 bytes of MD5(key string) as an unsigned 32-bit integer. */
function keyHashSql(keyString: string): string {
  return `CAST(CONV(LEFT(MD5(${keyString}), 8), 16, 10) AS UNSIGNED)`;
}

/** Unsigned 32-bit integer from hex digits `start..start+7` (1-based) of an MD5 hex digest. */
function digestWordSql(hex: string, start: number): string {
  return `CAST(CONV(SUBSTRING(${hex}, ${start}, 8), 16, 10) AS UNSIGNED)`;
}

function intRangeColumn(table: TableSchema, bucketing: Extract<Bucketing, { kind: 'int-range' }>): Column {
  const c = findColumn(table, bucketing.column);
  if (!['int16', 'int32', 'int64'].includes(c.type.kind)) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `int-range bucketing needs an integer column; "${c.name}" is ${c.nativeType}.`,
    );
  }
  if (bucketing.width <= 0n)
    throw new CdcError('INVALID_ARGUMENT', 'int-range bucket width must be positive.');
  return c;
}

const SAFE = 2n ** 62n;

/** The key's value range: the column type's, narrowed to the unit's key range when it has bounds. */
function keyBounds(column: Column, range: Range | undefined): [bigint, bigint] | undefined {
  let lo: bigint | undefined;
  let hi: bigint | undefined;
  if (column.type.kind === 'int16' || column.type.kind === 'int32') [lo, hi] = [-(2n ** 31n), 2n ** 32n];
  else if (column.type.kind === 'int64' && /\bunsigned\b/.test(column.nativeType)) [lo, hi] = [0n, 2n ** 32n];
  if (range?.kind === 'key' && range.lower?.length === 1 && range.upper?.length === 1) {
    try {
      lo = BigInt(String(range.lower[0]));
      hi = BigInt(String(range.upper[0]));
    } catch {
      // Not integers: keep the type's bounds.
    }
  }
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

/** True when `key − start` and the floor-division steps stay far inside BIGINT for every row. */
function bigintSafe(column: Column, start: bigint, width: bigint, range: Range | undefined): boolean {
  const bounds = keyBounds(column, range);
  if (!bounds || width > SAFE) return false;
  const [lo, hi] = bounds;
  return lo - start > -SAFE && hi - start < SAFE;
}

/** The bucket number of a row under `plan.bucketing`, computed in SQL. */
export function bucketSql(
  table: TableSchema,
  plan: HashPlan,
  params: unknown[],
  alias = 't',
  flavour: MysqlFlavour = 'mysql',
  range?: Range,
): string {
  const bucketing = plan.bucketing;
  switch (bucketing.kind) {
    case 'key-hash': {
      if (!Number.isInteger(bucketing.modulus) || bucketing.modulus < 1) {
        throw new CdcError('INVALID_ARGUMENT', `Bad key-hash modulus ${bucketing.modulus}.`);
      }
      params.push(bucketing.modulus);
      return `${keyHashSql(keyStringSql(table, plan, alias, flavour))} % ?`;
    }
    case 'int-range': {
      const c = intRangeColumn(table, bucketing);
      // Floor division, exact: the dividend is made a multiple of the width first. BIGINT arithmetic
      // where no key of the column (or of the unit's key range) can overflow it, else DECIMAL (a key
      // 2^63 away from the start overflows BIGINT); measured 3× cheaper per row. Start and width are
      // bigints the engine computed, written as integer literals.
      const start = BigInt(bucketing.start);
      const width = BigInt(bucketing.width);
      const w = `(${width.toString()})`;
      const k = col(c, alias);
      const d = bigintSafe(c, start, width, range)
        ? `(${k} - (${start.toString()}))`
        : `(CAST(${k} AS DECIMAL(21,0)) - (${start.toString()}))`;
      return `CAST((${d} - MOD(MOD(${d}, ${w}) + ${w}, ${w})) DIV ${w} AS SIGNED)`;
    }
    case 'token':
      throw new CdcError('INVALID_ARGUMENT', 'Token bucketing is computed client-side for MariaDB/MySQL.');
  }
}

// ---------------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------------

/** Exact row count (optionally within a range). */
export function countQuery(table: TableSchema, range?: Range, flavour: MysqlFlavour = 'mysql'): MysqlQuery {
  const params: unknown[] = [];
  const where = whereSql(rangeSql(table, range, params, 't', flavour));
  return { sql: `SELECT COUNT(*) FROM ${quoteTable(table.id)} AS t${where}`, params };
}

/** Row estimate from the table statistics (InnoDB: approximate, refreshed by ANALYZE TABLE). */
export function estimateCountQuery(table: TableSchema): MysqlQuery {
  return {
    sql: 'SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    params: [table.id.schema, table.id.name],
  };
}

/** Every `step`-th key in canonical order (the boundaries of `splits`): key columns, one row each. */
export function splitBoundariesQuery(table: TableSchema, step: number): MysqlQuery {
  if (!Number.isInteger(step) || step < 1) throw new CdcError('INVALID_ARGUMENT', `Bad split step ${step}.`);
  const keys = keyColumns(table);
  const select = keys.map((c, i) => `${selectSql(c)} AS k${i}`).join(', ');
  const order = keys.map((c) => canonicalOrderSql(c)).join(', ');
  const outer = keys.map((_, i) => `s.k${i}`).join(', ');
  return {
    sql:
      `SELECT ${outer}\nFROM (\n  SELECT ${select}, ROW_NUMBER() OVER (ORDER BY ${order}) AS rn\n  FROM ${quoteTable(table.id)} AS t\n) AS s\n` +
      `WHERE MOD(s.rn, ?) = 1 AND s.rn > 1\nORDER BY s.rn`,
    params: [step],
  };
}

/** Options of {@link scanPageQuery}. */
export interface ScanPageOptions {
  columns: readonly Column[];
  range?: Range;
  after?: Key;
  limit: number;
  ordered: boolean;
  /** For hash ranges. Default `mysql`. */
  flavour?: MysqlFlavour;
}

/** One keyset page: rows after `after` in key order (canonical or native), at most `limit`. */
export function scanPageQuery(table: TableSchema, options: ScanPageOptions): MysqlQuery {
  const params: unknown[] = [];
  const keys = keyColumns(table);
  const order = options.ordered ? 'canonical' : 'native';
  const where = rangeSql(table, options.range, params, 't', options.flavour);
  if (options.after) where.push(tupleCompareSql(keys, options.after, '>', order, params));
  const orderBy = keys.map((c) => (options.ordered ? canonicalOrderSql(c) : col(c))).join(', ');
  params.push(options.limit);
  return {
    sql: `SELECT ${options.columns.map((c) => selectSql(c)).join(', ')}\nFROM ${quoteTable(table.id)} AS t${whereSql(where)}\nORDER BY ${orderBy}\nLIMIT ?`,
    params,
  };
}

/** Rows whose key is one of `keys`. */
export function lookupQuery(
  table: TableSchema,
  keys: readonly Key[],
  columns: readonly Column[],
): MysqlQuery {
  const keyCols = keyColumns(table);
  const params: unknown[] = [];
  const tuples = keys.map((key) => {
    if (key.length !== keyCols.length) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `A key of ${quoteTable(table.id)} needs ${keyCols.length} values, got ${key.length}.`,
      );
    }
    const parts = keyCols.map((c, i) => {
      const p = encodeMysqlKey(c, key[i]);
      if (p.value !== undefined) params.push(p.value);
      return p.sql;
    });
    return parts.length === 1 ? (parts[0] as string) : `(${parts.join(', ')})`;
  });
  const left =
    keyCols.length === 1 ? col(keyCols[0] as Column) : `(${keyCols.map((c) => col(c)).join(', ')})`;
  return {
    sql: `SELECT ${columns.map((c) => selectSql(c)).join(', ')}\nFROM ${quoteTable(table.id)} AS t\nWHERE ${left} IN (${tuples.join(', ')})`,
    params,
  };
}

/**
 * Per-bucket count and the two 32-bit halves' sums of the 64-bit row hashes (exact DECIMAL sums), or
 * with `bucketDigest: 'ordered'` the MD5 of the bucket's row strings, each followed by `\n`, in
 * ascending key order, plus the byte count that proves `GROUP_CONCAT` kept every byte.
 */
export function summarizeQuery(
  table: TableSchema,
  plan: HashPlan,
  range?: Range,
  flavour: MysqlFlavour = 'mysql',
): MysqlQuery {
  const params: unknown[] = [];
  const bucket = bucketSql(table, plan, params, 't', flavour, range);
  const row = rowStringSql(table, plan, 't', flavour);
  if (plan.bucketDigest === 'ordered') {
    if (plan.bucketing.kind !== 'int-range') {
      throw new CdcError('INVALID_ARGUMENT', 'ordered bucket digests need int-range buckets', {
        hint: "use bucketDigest: 'sum' for this plan",
      });
    }
    const k = col(intRangeColumn(table, plan.bucketing));
    const where = whereSql(rangeSql(table, range, params, 't', flavour));
    return {
      sql:
        `SELECT s.b, COUNT(*), MD5(GROUP_CONCAT(s.r ORDER BY s.k SEPARATOR '')), SUM(LENGTH(s.r)), LENGTH(GROUP_CONCAT(s.r ORDER BY s.k SEPARATOR ''))\n` +
        `FROM (\n  SELECT ${bucket} AS b, ${k} AS k, CONCAT(${row}, X'0A') AS r\n  FROM ${quoteTable(table.id)} AS t${where.replace(/\n/g, '\n  ')}\n) AS s\n` +
        `GROUP BY s.b\nORDER BY s.b`,
      params,
    };
  }
  const where = whereSql(rangeSql(table, range, params, 't', flavour));
  return {
    sql:
      `SELECT s.b, COUNT(*), SUM(${digestWordSql('s.h', 1)}), SUM(${digestWordSql('s.h', 9)})\n` +
      `FROM (\n  SELECT ${bucket} AS b, MD5(${row}) AS h\n  FROM ${quoteTable(table.id)} AS t${where.replace(/\n/g, '\n  ')}\n) AS s\n` +
      `GROUP BY s.b\nORDER BY s.b`,
    params,
  };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Key columns and row digests (32 lowercase hex digits) of the rows in `buckets`. Int-range buckets are
 * selected by their key bounds (index range scans), key-hash buckets by the bucket expression.
 * `undefined` when no bucket can hold a row.
 */
export function keyHashesQuery(
  table: TableSchema,
  plan: HashPlan,
  buckets: readonly number[],
  range?: Range,
  flavour: MysqlFlavour = 'mysql',
): MysqlQuery | undefined {
  if (buckets.length === 0) return undefined;
  const params: unknown[] = [];
  const keys = plan.key.map((n) => findColumn(table, n));
  const select = `${keys.map((c) => selectSql(c)).join(', ')}, MD5(${rowStringSql(table, plan, 't', flavour)})`;
  const where = rangeSql(table, range, params, 't', flavour);
  if (plan.bucketing.kind === 'int-range') {
    const c = intRangeColumn(table, plan.bucketing);
    const { start, width } = plan.bucketing;
    const terms: string[] = [];
    for (const b of buckets) {
      if (!Number.isInteger(b)) throw new CdcError('INVALID_ARGUMENT', `Bad bucket number ${b}.`);
      const lo = start + BigInt(b) * width;
      const hi = lo + width - 1n;
      if (hi < INT64_MIN || lo > INT64_MAX) continue;
      terms.push(`${col(c)} BETWEEN CAST(? AS DECIMAL(21,0)) AND CAST(? AS DECIMAL(21,0))`);
      params.push(lo.toString(), hi.toString());
    }
    if (terms.length === 0) return undefined;
    where.push(terms.length === 1 ? (terms[0] as string) : `(${terms.join(' OR ')})`);
  } else {
    for (const b of buckets) {
      if (!Number.isInteger(b) || b < 0) throw new CdcError('INVALID_ARGUMENT', `Bad bucket number ${b}.`);
    }
    where.push(`${bucketSql(table, plan, params, 't', flavour)} IN (${buckets.map(() => '?').join(', ')})`);
    params.push(...buckets);
  }
  return { sql: `SELECT ${select}\nFROM ${quoteTable(table.id)} AS t${whereSql(where)}`, params };
}

// ---------------------------------------------------------------------------------------------------
// Introspection
// ---------------------------------------------------------------------------------------------------

/** The server's version, database and case rule for table names. */
export const SERVER_FACTS_SQL = 'SELECT VERSION(), DATABASE(), @@lower_case_table_names';

/** Tables of a database whose name matches case-insensitively (the exact one is picked in the client). */
export function tablesQuery(database: string, name: string): MysqlQuery {
  return {
    sql: 'SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND LOWER(TABLE_NAME) = LOWER(?)',
    params: [database, name],
  };
}

/** Columns in ordinal order, with what {@link mapMysqlType} needs. */
export function columnsQuery(database: string, name: string): MysqlQuery {
  return {
    sql:
      'SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION,\n' +
      '  NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME, COLLATION_NAME\n' +
      'FROM information_schema.COLUMNS\n' +
      'WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?\n' +
      'ORDER BY ORDINAL_POSITION',
    params: [database, name],
  };
}

/** MariaDB's JSON alias is `longtext` with a `json_valid(col)` check: the check clauses of a table. */
export function jsonChecksQuery(database: string, name: string): MysqlQuery {
  return {
    sql: 'SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?',
    params: [database, name],
  };
}

/** Unique indexes' columns (no prefix indexes), the primary key first, in key order. */
export function keysQuery(database: string, name: string): MysqlQuery {
  return {
    sql:
      'SELECT INDEX_NAME, COLUMN_NAME, SUB_PART\n' +
      'FROM information_schema.STATISTICS\n' +
      'WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0\n' +
      "ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX",
    params: [database, name],
  };
}
