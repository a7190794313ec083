/**
 * Every statement the SQL Server adapter sends, built as text plus named parameters: identifiers are
 * bracket-quoted, values are parameters (cast back to the column's exact type in SQL). Pure functions, so
 * the unit tests pin the exact text.
 */
import {
  CdcError,
  type Bucketing,
  type Column,
  type ColumnHashOptions,
  type HashPlan,
  type Key,
  type Range,
  type TableId,
  type TableSchema,
} from '@cdc/core';
import { encodeSqlServerParam, type SqlServerParam } from './sqlserver-values.js';

/** A statement and its named parameters (names without `@`). */
export interface SqlServerQuery {
  sql: string;
  params: Record<string, SqlServerParam>;
}

/** `[name]` with `]` doubled. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 128) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `"${name}" is not a valid SQL Server identifier (1–128 characters).`,
    );
  }
  return `[${name.replace(/\]/g, ']]')}]`;
}

/** `[catalog].[schema].[name]`; schema defaults to `dbo`. */
export function quoteTable(id: TableId): string {
  const parts = [id.catalog, id.schema ?? 'dbo', id.name].filter((p): p is string => p !== undefined);
  return parts.map(quoteIdent).join('.');
}

/** `N'…'` with `'` doubled: only for printed scripts and catalog names, never for row values. */
export function nString(text: string): string {
  return `N'${text.replace(/'/g, "''")}'`;
}

/** Prefix for catalog views of another database: `[db].` or empty. */
function catalogPrefix(id: TableId): string {
  return id.catalog ? `${quoteIdent(id.catalog)}.` : '';
}

function collationName(column: Column): string | undefined {
  return column.collation && /^[A-Za-z0-9_]+$/.test(column.collation) ? column.collation : undefined;
}

const native = (column: Column) => column.nativeType.toLowerCase();

function isMoney(column: Column): 'money' | 'smallmoney' | undefined {
  const n = native(column);
  return n === 'money' || n === 'smallmoney' ? n : undefined;
}

/** How a column is selected so tedious hands back exact values (see `decodeSqlServerValue`). */
export function selectExpression(column: Column, alias = 'src'): string {
  const c = `${alias}.${quoteIdent(column.name)}`;
  const n = native(column);
  const as = ` AS ${quoteIdent(column.name)}`;
  if (column.type.kind === 'numeric') {
    const money = isMoney(column);
    if (money === 'money') return `CONVERT(varchar(50), CAST(${c} AS decimal(19,4)))${as}`;
    if (money === 'smallmoney') return `CONVERT(varchar(50), CAST(${c} AS decimal(10,4)))${as}`;
    return `CONVERT(varchar(50), ${c})${as}`;
  }
  if (n === 'xml' || n === 'json') return `CAST(${c} AS nvarchar(max))${as}`;
  if (n === 'hierarchyid' || n === 'geometry' || n === 'geography')
    return `CAST(${c} AS varbinary(max))${as}`;
  return `${c}${as}`;
}

/** `@name` cast back to the column's exact type, so comparisons are exact and index-friendly. */
export function paramCastSql(column: Column, param: string): string {
  const p = `@${param}`;
  const n = native(column);
  switch (column.type.kind) {
    case 'text': {
      if (/^(n|sysname|xml)/.test(n)) return p;
      const collation = collationName(column);
      return collation ? `CAST(${p} COLLATE ${collation} AS varchar(max))` : `CAST(${p} AS varchar(max))`;
    }
    case 'json':
      return p;
    case 'bytes':
      return p;
    case 'uuid':
      return `CAST(${p} AS uniqueidentifier)`;
    case 'time':
      return `CAST(CAST(${p} AS time(7)) AS ${column.nativeType})`;
    case 'timestamp':
      return `CAST(CAST(${p} AS datetime2(7)) AS ${column.nativeType})`;
    case 'timestamptz':
      return `CAST(CAST(${p} AS datetimeoffset(7)) AS ${column.nativeType})`;
    default:
      return `CAST(${p} AS ${column.nativeType})`;
  }
}

/**
 * The expression whose SQL Server order equals cdc's canonical key order (`Range` in
 * `@cdc/core`): numbers, dates and binary natively; text by code unit (`…_BIN2` over nvarchar);
 * uniqueidentifier by its text form (SQL Server's own order compares byte groups from the end).
 */
export function canonicalOrderSql(column: Column, alias = 'src'): string {
  const c = `${alias}.${quoteIdent(column.name)}`;
  switch (column.type.kind) {
    case 'text':
      return /^n/.test(native(column))
        ? `${c} COLLATE Latin1_General_100_BIN2`
        : `CAST(${c} AS nvarchar(4000)) COLLATE Latin1_General_100_BIN2`;
    case 'uuid':
      return `CONVERT(char(36), ${c}) COLLATE Latin1_General_100_BIN2`;
    default:
      return c;
  }
}

/** Same as {@link canonicalOrderSql} for a parameter value. */
function canonicalOrderParamSql(column: Column, param: string): string {
  switch (column.type.kind) {
    case 'text':
      return `CAST(@${param} AS nvarchar(4000)) COLLATE Latin1_General_100_BIN2`;
    case 'uuid':
      return `CONVERT(char(36), CAST(@${param} AS uniqueidentifier)) COLLATE Latin1_General_100_BIN2`;
    default:
      return paramCastSql(column, param);
  }
}

/** Finds the key columns of `table` in key order; throws naming a missing one. */
export function keyColumns(table: TableSchema): Column[] {
  return table.primaryKey.map((name) => findColumn(table, name));
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

/**
 * Lexicographic tuple comparison `(k1, k2, …) <op> (@p1, @p2, …)` expanded to OR/AND terms SQL Server
 * can seek on. `op` is the comparison on the last column; earlier ones are strict.
 */
export function tupleCompareSql(
  columns: readonly Column[],
  paramNames: readonly string[],
  op: '>' | '>=' | '<' | '<=',
  ordered: 'native' | 'canonical',
  alias = 'src',
): string {
  const strict = op === '>' || op === '>=' ? '>' : '<';
  const left = (c: Column) =>
    ordered === 'canonical' ? canonicalOrderSql(c, alias) : `${alias}.${quoteIdent(c.name)}`;
  const right = (c: Column, p: string) =>
    ordered === 'canonical' ? canonicalOrderParamSql(c, p) : paramCastSql(c, p);
  const terms: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const eq = columns.slice(0, i).map((c, j) => `${left(c)} = ${right(c, paramNames[j] ?? '')}`);
    const col = columns[i] as Column;
    const last = i === columns.length - 1;
    eq.push(`${left(col)} ${last ? op : strict} ${right(col, paramNames[i] ?? '')}`);
    terms.push(eq.length === 1 ? (eq[0] as string) : `(${eq.join(' AND ')})`);
  }
  return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' OR ')})`;
}

function bindKey(
  params: Record<string, SqlServerParam>,
  prefix: string,
  columns: readonly Column[],
  key: Key,
): string[] {
  if (key.length !== columns.length) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `A key for (${columns.map((c) => c.name).join(', ')}) needs ${columns.length} values, got ${key.length}.`,
    );
  }
  return columns.map((c, i) => {
    const name = `${prefix}${i}`;
    params[name] = encodeSqlServerParam(c, key[i]);
    return name;
  });
}

/** WHERE terms (joined by AND) restricting to `range`; empty when unbounded. */
export function rangeSql(
  table: TableSchema,
  range: Range | undefined,
  params: Record<string, SqlServerParam>,
  flavour: HashFlavour,
  alias = 'src',
): string[] {
  if (!range) return [];
  const keys = keyColumns(table);
  switch (range.kind) {
    case 'key': {
      const out: string[] = [];
      if (range.lower)
        out.push(tupleCompareSql(keys, bindKey(params, 'lo', keys, range.lower), '>=', 'canonical', alias));
      if (range.upper)
        out.push(tupleCompareSql(keys, bindKey(params, 'hi', keys, range.upper), '<', 'canonical', alias));
      return out;
    }
    case 'hash': {
      if (!Number.isInteger(range.modulus) || range.modulus < 1 || !Number.isInteger(range.remainder)) {
        throw new CdcError('INVALID_ARGUMENT', `Bad hash range ${range.remainder} mod ${range.modulus}.`);
      }
      params.range_modulus = { type: 'BigInt', value: range.modulus };
      params.range_remainder = { type: 'BigInt', value: range.remainder };
      const keyHash = `HASHBYTES('MD5', ${keyStringSql(table, undefined, flavour, alias)})`;
      return [`${uint32Sql(keyHash, 1)} % @range_modulus = @range_remainder`];
    }
    case 'token':
      throw new CdcError(
        'INVALID_ARGUMENT',
        'SQL Server tables have no token ranges; use key or hash ranges.',
      );
  }
}

function whereSql(terms: readonly string[]): string {
  return terms.length === 0 ? '' : `\nWHERE ${terms.join('\n  AND ')}`;
}

// ---------------------------------------------------------------------------------------------------
// Canonical text in SQL (docs/normalization.md): each field becomes varbinary(max) of its UTF-8 text.
// ---------------------------------------------------------------------------------------------------

/** What the hashing SQL needs to know about the server. */
export interface HashFlavour {
  supportsUtf8Collation: boolean;
  supportsDatediffBig: boolean;
}

/** Logical kinds whose canonical text this server can build in SQL. */
export function pushdownKindsFor(
  flavour: HashFlavour & { hashbytesUnbounded: boolean },
): Column['type']['kind'][] {
  if (!flavour.supportsDatediffBig || !flavour.hashbytesUnbounded) return [];
  const kinds: Column['type']['kind'][] = [
    'bool',
    'int16',
    'int32',
    'int64',
    'numeric',
    'float32',
    'float64',
    'bytes',
    'uuid',
    'date',
    'time',
    'timestamp',
    'timestamptz',
  ];
  if (flavour.supportsUtf8Collation) kinds.push('text');
  return kinds;
}

function ascii(expr: string): string {
  return `CAST(${expr} AS varbinary(max))`;
}

/** Exact decimal text without trailing fractional zeros, `-0` → `0`, never a bare leading `.`. */
function decimalTextSql(value: string, scale: number | undefined): string {
  const d = `CONVERT(varchar(50), ${value})`;
  const withLeadingZero = (x: string) =>
    `CASE WHEN LEFT(${x}, 1) = '.' THEN '0' + ${x} WHEN LEFT(${x}, 2) = '-.' THEN '-0' + SUBSTRING(${x}, 2, 50) ELSE ${x} END`;
  if (scale === 0) return `CASE WHEN ${value} = 0 THEN '0' ELSE ${d} END`;
  // Zeros → spaces, RTRIM, back to zeros: strips trailing fractional zeros without a regex.
  const t = `REPLACE(RTRIM(REPLACE(${d}, '0', ' ')), ' ', '0')`;
  const trimmed = `CASE WHEN RIGHT(${t}, 1) = '.' THEN LEFT(${t}, LEN(${t}) - 1) ELSE ${t} END`;
  return `CASE WHEN ${value} = 0 THEN '0' ELSE ${withLeadingZero(`(${trimmed})`)} END`;
}

function floorMicrosSql(micros: string, precision: number): string {
  const p = Math.max(0, Math.min(6, precision));
  if (p === 6) return micros;
  const m = 10 ** (6 - p);
  return `(${micros} - (((${micros}) % ${m}) + ${m}) % ${m})`;
}

/**
 * The canonical text of one column as a varbinary(max) UTF-8 expression, NULL when the value is NULL.
 * Throws `INVALID_ARGUMENT` for kinds this server cannot canonicalize (check {@link pushdownKindsFor}).
 */
export function canonicalFieldSql(
  column: Column,
  options: ColumnHashOptions | undefined,
  flavour: HashFlavour,
  alias = 'src',
): string {
  const c = `${alias}.${quoteIdent(column.name)}`;
  const t = column.type;
  switch (t.kind) {
    case 'bool':
      return ascii(`CASE ${c} WHEN 1 THEN 't' WHEN 0 THEN 'f' END`);
    case 'int16':
    case 'int32':
    case 'int64':
      return ascii(`CONVERT(varchar(20), ${c})`);
    case 'numeric': {
      const money = isMoney(column);
      const v =
        money === 'money'
          ? `CAST(${c} AS decimal(19,4))`
          : money === 'smallmoney'
            ? `CAST(${c} AS decimal(10,4))`
            : c;
      return ascii(decimalTextSql(v, money ? 4 : t.scale));
    }
    case 'float32':
    case 'float64':
      // CAST(float AS binary(8)) is the IEEE-754 binary64, big-endian; SQL Server stores no NaN/Infinity.
      return ascii(
        `CASE WHEN ${c} = 0 THEN '0' ELSE LOWER(CONVERT(varchar(16), CAST(CAST(${c} AS float) AS binary(8)), 2)) END`,
      );
    case 'bytes':
      return ascii(`LOWER(CONVERT(varchar(max), CAST(${c} AS varbinary(max)), 2))`);
    case 'uuid':
      return ascii(`LOWER(CONVERT(char(36), ${c}))`);
    case 'date':
      return ascii(`CONVERT(varchar(11), DATEDIFF(day, CAST('19700101' AS date), ${c}))`);
    case 'time': {
      requireDatediffBig(flavour, column);
      const us = `DATEDIFF_BIG(microsecond, CAST('00:00:00' AS time(7)), ${c})`;
      return ascii(`CONVERT(varchar(20), ${floorMicrosSql(us, options?.precision ?? t.precision)})`);
    }
    case 'timestamp':
    case 'timestamptz': {
      requireDatediffBig(flavour, column);
      const n = native(column);
      // datetime ticks (1/300 s) are rounded to milliseconds, as tedious and display do.
      const base =
        t.kind === 'timestamptz'
          ? `CAST(SWITCHOFFSET(${c}, '+00:00') AS datetime2(7))`
          : n === 'datetime'
            ? `CAST(${c} AS datetime2(3))`
            : n === 'smalldatetime'
              ? `CAST(${c} AS datetime2(0))`
              : c;
      const us = `DATEDIFF_BIG(microsecond, CAST('1970-01-01T00:00:00' AS datetime2(7)), ${base})`;
      return ascii(`CONVERT(varchar(20), ${floorMicrosSql(us, options?.precision ?? t.precision)})`);
    }
    case 'text': {
      if (!flavour.supportsUtf8Collation) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          `Column "${column.name}": text cannot be hashed as UTF-8 inside this server (needs SQL Server 2019+).`,
          { hint: 'Use client-side hashing (hashing: client) for this table.' },
        );
      }
      let s = `CAST(${c} AS nvarchar(max))`;
      if (options?.trimTrailingSpaces) s = `RTRIM(${s})`;
      if (options?.caseInsensitive) s = `LOWER(${s})`;
      const utf8 = `CAST(${s} COLLATE Latin1_General_100_BIN2_UTF8 AS varchar(max))`;
      return `CASE WHEN ${c} IS NULL THEN NULL ELSE CAST(CONVERT(varchar(20), DATALENGTH(${utf8})) + ':' AS varbinary(max)) + CAST(${utf8} AS varbinary(max)) END`;
    }
    default:
      throw new CdcError(
        'INVALID_ARGUMENT',
        `Column "${column.name}": ${t.kind} cannot be canonicalized in SQL Server.`,
        {
          hint: 'Use client-side hashing for this table.',
        },
      );
  }
}

function requireDatediffBig(flavour: HashFlavour, column: Column): void {
  if (!flavour.supportsDatediffBig) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `Column "${column.name}": instants need DATEDIFF_BIG (SQL Server 2016+).`,
      {
        hint: 'Use client-side hashing (hashing: client).',
      },
    );
  }
}

const NULL_MARKER = '0x5C4E';
const PIPE = '0x7C';

function fieldsSql(fields: readonly string[]): string {
  return fields.map((f) => `ISNULL(${f}, ${NULL_MARKER})`).join(` + ${PIPE} + `);
}

/** varbinary(max) of the key string (key columns' canonical texts joined by `|`). */
export function keyStringSql(
  table: TableSchema,
  plan: Pick<HashPlan, 'key' | 'columnOptions'> | undefined,
  flavour: HashFlavour,
  alias = 'src',
): string {
  const names = plan?.key ?? table.primaryKey;
  return fieldsSql(
    names.map((n) => canonicalFieldSql(findColumn(table, n), plan?.columnOptions?.[n], flavour, alias)),
  );
}

/** varbinary(max) of the row string (key string, then `|` and each compared column). */
export function rowStringSql(
  table: TableSchema,
  plan: HashPlan,
  flavour: HashFlavour,
  alias = 'src',
): string {
  const names = [...plan.key, ...plan.columns];
  return fieldsSql(
    names.map((n) => canonicalFieldSql(findColumn(table, n), plan.columnOptions?.[n], flavour, alias)),
  );
}

/** Unsigned 32-bit big-endian integer from bytes `start..start+3` of a binary expression. */
function uint32Sql(binary: string, start: number): string {
  return `CAST(0x00000000 + SUBSTRING(${binary}, ${start}, 4) AS bigint)`;
}

function bucketSql(
  table: TableSchema,
  plan: HashPlan,
  params: Record<string, SqlServerParam>,
  flavour: HashFlavour,
  alias = 'src',
): string {
  return bucketingSql(table, plan, plan.bucketing, params, flavour, alias);
}

function bucketingSql(
  table: TableSchema,
  plan: HashPlan,
  bucketing: Bucketing,
  params: Record<string, SqlServerParam>,
  flavour: HashFlavour,
  alias: string,
): string {
  switch (bucketing.kind) {
    case 'key-hash': {
      if (!Number.isInteger(bucketing.modulus) || bucketing.modulus < 1) {
        throw new CdcError('INVALID_ARGUMENT', `Bad key-hash modulus ${bucketing.modulus}.`);
      }
      params.modulus = { type: 'BigInt', value: bucketing.modulus };
      return `${uint32Sql(`HASHBYTES('MD5', ${keyStringSql(table, plan, flavour, alias)})`, 1)} % @modulus`;
    }
    case 'int-range': {
      const col = findColumn(table, bucketing.column);
      if (!['int16', 'int32', 'int64'].includes(col.type.kind)) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          `int-range bucketing needs an integer column; "${col.name}" is ${col.nativeType}.`,
        );
      }
      if (bucketing.width <= 0n)
        throw new CdcError('INVALID_ARGUMENT', 'int-range bucket width must be positive.');
      params.bucket_start = { type: 'NVarChar', value: String(bucketing.start) };
      params.bucket_width = { type: 'NVarChar', value: String(bucketing.width) };
      // decimal(20,0): a key more than 2^63 from the start (bigint keys at both extremes) would
      // overflow bigint arithmetic; the bucket number itself stays small (the engine sizes widths).
      const d = `(CAST(${alias}.${quoteIdent(col.name)} AS decimal(20,0)) - CAST(@bucket_start AS decimal(20,0)))`;
      const w = 'CAST(@bucket_width AS decimal(20,0))';
      // Floor division: T-SQL's / and % truncate toward zero; the quotient is exact, so the cast is too.
      return `CAST((${d} - ((${d} % ${w}) + ${w}) % ${w}) / ${w} AS bigint)`;
    }
    case 'token':
      throw new CdcError('INVALID_ARGUMENT', 'Token bucketing is computed client-side for SQL Server.');
  }
}

// ---------------------------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------------------------

/** Exact row count (optionally within a range). */
export function countQuery(
  table: TableSchema,
  range: Range | undefined,
  flavour: HashFlavour,
): SqlServerQuery {
  const params: Record<string, SqlServerParam> = {};
  const where = whereSql(rangeSql(table, range, params, flavour));
  return { sql: `SELECT COUNT_BIG(*) AS n\nFROM ${quoteTable(table.id)} AS src${where}`, params };
}

/** Row estimate from `sys.partitions` (heap or clustered index only, so rows are not counted twice). */
export function estimateCountQuery(table: TableSchema): SqlServerQuery {
  const twoPart = `${quoteIdent(table.id.schema ?? 'dbo')}.${quoteIdent(table.id.name)}`;
  const name = table.id.catalog ? `${quoteIdent(table.id.catalog)}.${twoPart}` : twoPart;
  return {
    sql: `SELECT CAST(ISNULL(SUM(p.rows), 0) AS bigint) AS n\nFROM ${catalogPrefix(table.id)}sys.partitions AS p\nWHERE p.object_id = OBJECT_ID(@table) AND p.index_id IN (0, 1)`,
    params: { table: { type: 'NVarChar', value: name } },
  };
}

/** Every `step`-th key in canonical order, the boundaries of `splits`. */
export function splitBoundariesQuery(table: TableSchema, step: number): SqlServerQuery {
  if (!Number.isInteger(step) || step < 1) throw new CdcError('INVALID_ARGUMENT', `Bad split step ${step}.`);
  const keys = keyColumns(table);
  const select = keys.map((c) => selectExpression(c)).join(', ');
  const order = keys.map((c) => canonicalOrderSql(c)).join(', ');
  const outer = keys.map((c) => `k.${quoteIdent(c.name)}`).join(', ');
  return {
    sql:
      `WITH k AS (\n  SELECT ${select}, ROW_NUMBER() OVER (ORDER BY ${order}) AS rn\n  FROM ${quoteTable(table.id)} AS src\n)\n` +
      `SELECT ${outer}\nFROM k\nWHERE k.rn % @step = 1 AND k.rn > 1\nORDER BY k.rn`,
    params: { step: { type: 'BigInt', value: step } },
  };
}

/** Options of {@link scanPageQuery}. */
export interface ScanPageOptions {
  columns: readonly Column[];
  range?: Range;
  after?: Key;
  limit: number;
  ordered: boolean;
}

/** One keyset page: rows after `after` in key order, at most `limit`. */
export function scanPageQuery(
  table: TableSchema,
  options: ScanPageOptions,
  flavour: HashFlavour,
): SqlServerQuery {
  const params: Record<string, SqlServerParam> = { limit: { type: 'BigInt', value: options.limit } };
  const keys = keyColumns(table);
  const order = options.ordered ? 'canonical' : 'native';
  const where = rangeSql(table, options.range, params, flavour);
  if (options.after)
    where.push(tupleCompareSql(keys, bindKey(params, 'after', keys, options.after), '>', order));
  const orderBy = keys
    .map((c) => (options.ordered ? canonicalOrderSql(c) : `src.${quoteIdent(c.name)}`))
    .join(', ');
  return {
    sql: `SELECT TOP (@limit) ${options.columns.map((c) => selectExpression(c)).join(', ')}\nFROM ${quoteTable(table.id)} AS src${whereSql(where)}\nORDER BY ${orderBy}`,
    params,
  };
}

/** Rows for a batch of keys, joined against a VALUES list of typed parameters. */
export function lookupQuery(
  table: TableSchema,
  keys: readonly Key[],
  columns: readonly Column[],
): SqlServerQuery {
  const keyCols = keyColumns(table);
  const params: Record<string, SqlServerParam> = {};
  const rows = keys.map(
    (key, r) =>
      `(${bindKey(params, `k${r}_`, keyCols, key)
        .map((p, i) => paramCastSql(keyCols[i] as Column, p))
        .join(', ')})`,
  );
  const names = keyCols.map((c) => quoteIdent(c.name)).join(', ');
  const on = keyCols.map((c) => `src.${quoteIdent(c.name)} = k.${quoteIdent(c.name)}`).join(' AND ');
  return {
    sql: `SELECT ${columns.map((c) => selectExpression(c)).join(', ')}\nFROM ${quoteTable(table.id)} AS src\nINNER JOIN (VALUES ${rows.join(', ')}) AS k(${names})\n  ON ${on}`,
    params,
  };
}

/** Per-bucket count and hi/lo sums of the 64-bit row hashes, computed in SQL Server. */
export function summarizeQuery(
  table: TableSchema,
  plan: HashPlan,
  range: Range | undefined,
  flavour: HashFlavour,
): SqlServerQuery {
  const params: Record<string, SqlServerParam> = {};
  const bucket = bucketSql(table, plan, params, flavour);
  const digest = `HASHBYTES('MD5', ${rowStringSql(table, plan, flavour)})`;
  const where = whereSql(rangeSql(table, range, params, flavour));
  return {
    sql:
      `SELECT h.bucket, COUNT_BIG(*) AS n, SUM(${uint32Sql('h.digest', 1)}) AS hi, SUM(${uint32Sql('h.digest', 5)}) AS lo\n` +
      `FROM (\n  SELECT ${bucket} AS bucket, ${digest} AS digest\n  FROM ${quoteTable(table.id)} AS src${where.replace(/\n/g, '\n  ')}\n) AS h\n` +
      `GROUP BY h.bucket\nORDER BY h.bucket`,
    params,
  };
}

/** Key columns and row digests (32 lowercase hex digits) of the rows in `buckets`. */
export function keyHashesQuery(
  table: TableSchema,
  plan: HashPlan,
  buckets: readonly number[],
  range: Range | undefined,
  flavour: HashFlavour,
): SqlServerQuery {
  if (buckets.length === 0 || buckets.length > 2000) {
    throw new CdcError('INVALID_ARGUMENT', `keyHashesQuery takes 1–2000 buckets, got ${buckets.length}.`);
  }
  const params: Record<string, SqlServerParam> = {};
  const bucket = bucketSql(table, plan, params, flavour);
  // Int-range buckets below `start` are negative (rows inserted below the first key after planning).
  const minBucket = plan.bucketing.kind === 'int-range' ? -Infinity : 0;
  const list = buckets.map((b, i) => {
    if (!Number.isInteger(b) || b < minBucket)
      throw new CdcError('INVALID_ARGUMENT', `Bad bucket number ${b}.`);
    params[`b${i}`] = { type: 'BigInt', value: b };
    return `@b${i}`;
  });
  const where = rangeSql(table, range, params, flavour);
  where.push(`${bucket} IN (${list.join(', ')})`);
  const keys = plan.key.map((n) => selectExpression(findColumn(table, n)));
  return {
    sql: `SELECT ${keys.join(', ')}, LOWER(CONVERT(varchar(32), HASHBYTES('MD5', ${rowStringSql(table, plan, flavour)}), 2)) AS [__cdc_hash]\nFROM ${quoteTable(table.id)} AS src${whereSql(where)}`,
    params,
  };
}

// ---------------------------------------------------------------------------------------------------
// Introspection
// ---------------------------------------------------------------------------------------------------

function twoPartName(id: TableId): string {
  const name = `${quoteIdent(id.schema ?? 'dbo')}.${quoteIdent(id.name)}`;
  return id.catalog ? `${quoteIdent(id.catalog)}.${name}` : name;
}

/** Columns with base type, alias type, length, precision, scale, collation and nullability. */
export function columnsQuery(id: TableId): SqlServerQuery {
  const db = catalogPrefix(id);
  return {
    sql:
      `SELECT c.name, CASE WHEN ut.is_assembly_type = 1 THEN ut.name ELSE bt.name END AS typeName,\n` +
      `  CASE WHEN ut.is_user_defined = 1 OR ut.user_type_id <> ut.system_type_id THEN ut.name END AS userTypeName,\n` +
      `  CAST(c.max_length AS int) AS maxLength, CAST(c.precision AS int) AS precision, CAST(c.scale AS int) AS scale,\n` +
      `  c.collation_name AS collation, c.is_nullable AS nullable, c.is_computed AS computed,\n` +
      `  CASE WHEN o.type IN ('U', 'V') THEN 1 ELSE 0 END AS found\n` +
      `FROM ${db}sys.objects AS o\n` +
      `INNER JOIN ${db}sys.columns AS c ON c.object_id = o.object_id\n` +
      `INNER JOIN ${db}sys.types AS ut ON ut.user_type_id = c.user_type_id\n` +
      `LEFT JOIN ${db}sys.types AS bt ON bt.user_type_id = c.system_type_id\n` +
      `WHERE o.object_id = OBJECT_ID(@table) AND o.type IN ('U', 'V')\n` +
      `ORDER BY c.column_id`,
    params: { table: { type: 'NVarChar', value: twoPartName(id) } },
  };
}

/** Primary key and unique (unfiltered) index columns in key order. */
export function keysQuery(id: TableId): SqlServerQuery {
  const db = catalogPrefix(id);
  return {
    sql:
      `SELECT i.index_id AS indexId, i.is_primary_key AS isPrimaryKey, c.name\n` +
      `FROM ${db}sys.indexes AS i\n` +
      `INNER JOIN ${db}sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id\n` +
      `INNER JOIN ${db}sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id\n` +
      `WHERE i.object_id = OBJECT_ID(@table) AND i.is_unique = 1 AND i.has_filter = 0 AND ic.key_ordinal > 0\n` +
      `ORDER BY i.is_primary_key DESC, i.index_id, ic.key_ordinal`,
    params: { table: { type: 'NVarChar', value: twoPartName(id) } },
  };
}
