/**
 * Values between PostgreSQL and cdc's JS forms. Decoding is set per query (node-pg `types`), so it
 * holds for an injected pool too and never changes the pool's global parsers:
 * int8 and numeric as decimal strings, timestamps/dates as ISO-8601 text with every microsecond,
 * intervals as PostgreSQL text, json as its text, bytea as Buffer.
 * Encoding turns those forms (and Date, bigint, Uint8Array, plain objects) into PostgreSQL input text.
 */
import { canonicalJson, structuredToJson, type LogicalType } from '@cdc/core';
import pg from 'pg';

type Parser = (text: string) => unknown;

const identity: Parser = (text) => text;
const toNumber: Parser = (text) => Number(text);
const toFloat: Parser = (text) => parseFloat(text);
const toBool: Parser = (text) => text === 't' || text === 'true';
const toBytes: Parser = (text) =>
  text.startsWith('\\x')
    ? Buffer.from(text.slice(2), 'hex')
    : (pg.types.getTypeParser(17, 'text')(text) as Buffer);

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * PostgreSQL ISO output (`2020-01-02 03:04:05.123456+00`, `0044-03-15 BC`, `infinity`) → ISO 8601
 * (`2020-01-02T03:04:05.123456Z`, `-000043-03-15`). Years outside 0000–9999 use the expanded
 * six-digit form of ISO 8601 / `Date.prototype.toISOString`. Sessions run with `TimeZone=UTC`.
 */
export function isoFromPostgres(text: string): string {
  if (text === 'infinity' || text === '-infinity') return text;
  const bc = text.endsWith(' BC');
  const body = bc ? text.slice(0, -3) : text;
  const match = /^(\d{4,})-(\d\d)-(\d\d)(?: (\d\d:\d\d:\d\d(?:\.\d+)?)(\+00(?::00)?)?)?$/.exec(body);
  if (!match) return text;
  const [, y, mo, d, time, zone] = match;
  let year = Number(y);
  if (bc) year = 1 - year;
  const yearText =
    year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
  const date = `${yearText}-${mo}-${d}`;
  if (time === undefined) return date;
  return `${date}T${time}${zone === undefined ? '' : 'Z'}`;
}

/** ISO 8601 text (as produced by {@link isoFromPostgres} or `toISOString`) → PostgreSQL input text. */
export function postgresFromIso(text: string): string {
  const match = /^([+-]\d{6}|\d{4})(-\d\d-\d\d.*)$/.exec(text);
  if (!match) return text;
  const year = Number(match[1]);
  const rest = match[2]!;
  if (year >= 1) return `${pad(year, 4)}${rest}`;
  return `${pad(1 - year, 4)}${rest} BC`;
}

/** Parses a PostgreSQL array literal into (nested) arrays of element texts (`null` for NULL). */
export function parseArrayLiteral(text: string): unknown[] {
  let i = 0;
  // Arrays with explicit bounds start with `[1:2]=`.
  if (text.startsWith('[')) i = text.indexOf('=') + 1;
  const parse = (): unknown[] => {
    const out: unknown[] = [];
    i++; // '{'
    while (i < text.length) {
      const ch = text[i];
      if (ch === '}') {
        i++;
        return out;
      }
      if (ch === ',') {
        i++;
        continue;
      }
      if (ch === '{') {
        out.push(parse());
      } else if (ch === '"') {
        let value = '';
        i++;
        while (text[i] !== '"') {
          if (text[i] === '\\') i++;
          value += text[i];
          i++;
        }
        i++;
        out.push(value);
      } else {
        let end = i;
        while (text[end] !== ',' && text[end] !== '}') end++;
        const raw = text.slice(i, end);
        out.push(raw === 'NULL' ? null : raw);
        i = end;
      }
    }
    return out;
  };
  return parse();
}

/** Element parsers by array type OID (elements arrive as text). */
const SCALAR_PARSERS: Record<number, Parser> = {
  16: toBool,
  17: toBytes,
  20: identity,
  21: toNumber,
  23: toNumber,
  26: identity,
  114: identity,
  700: toFloat,
  701: toFloat,
  1082: isoFromPostgres,
  1114: isoFromPostgres,
  1184: isoFromPostgres,
  // Intervals stay in `IntervalStyle=postgres` text, which core parses exactly.
  1186: identity,
  1083: identity,
  1700: identity,
  3802: identity,
};

const ARRAY_ELEMENT: Record<number, number> = {
  1000: 16,
  1001: 17,
  1016: 20,
  1005: 21,
  1007: 23,
  1028: 26,
  199: 114,
  1021: 700,
  1022: 701,
  1182: 1082,
  1115: 1114,
  1185: 1184,
  1187: 1186,
  1183: 1083,
  1231: 1700,
  3807: 3802,
};

function mapNested(values: unknown[], parse: Parser): unknown[] {
  return values.map((v) => (v === null ? null : Array.isArray(v) ? mapNested(v, parse) : parse(v as string)));
}

/** node-pg `types` for cdc queries: exact text forms instead of lossy JS Dates and numbers. */
export const cdcTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): Parser {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary') as Parser;
    const scalar = SCALAR_PARSERS[oid];
    if (scalar) return scalar;
    const element = ARRAY_ELEMENT[oid];
    if (element !== undefined) {
      const parse = SCALAR_PARSERS[element] ?? identity;
      return (text) => mapNested(parseArrayLiteral(text), parse);
    }
    // Arrays node-pg does not know (enum[], domain arrays …) are parsed as text arrays.
    if (isArrayOid(oid)) return (text) => parseArrayLiteral(text);
    return pg.types.getTypeParser(oid, 'text') as Parser;
  },
};

const TEXT_ARRAY_OIDS = new Set([1009, 1015, 1014, 1002, 2951, 1041, 651, 1040, 775, 143, 1561, 1563, 1003]);
const dynamicArrayOids = new Set<number>();

function isArrayOid(oid: number): boolean {
  return TEXT_ARRAY_OIDS.has(oid) || dynamicArrayOids.has(oid);
}

/** Registers array type OIDs discovered by introspection (enum arrays, domain arrays). */
export function registerArrayOid(oid: number): void {
  dynamicArrayOids.add(oid);
}

function arrayLiteral(values: readonly unknown[], element: LogicalType): string {
  const items = values.map((v) => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return arrayLiteral(v, element);
    const text = toPostgresText(v, element) as string;
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(',')}}`;
}

const NESTED_KINDS = new Set(['list', 'set', 'map', 'tuple', 'udt', 'json']);

/**
 * JSON text of a JS json value, keys in their order, read back by `canonicalText` as the same document:
 * a bigint is a number literal (JSON.stringify would throw), NaN and ±Infinity are refused (JSON.stringify
 * would write null). A repair of a jsonb copy passes the source's structured value here (its plan knows
 * only the target's json type): Maps, Sets, blobs and Dates are written as `structuredToJson` writes
 * them, which is exact except for Scylla `time` (bigint nanoseconds) and non-finite floats.
 */
function jsonText(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      // canonicalJson refuses non-finite numbers with the reason.
      return Number.isFinite(value) ? JSON.stringify(value) : canonicalJson(value);
    case 'object':
      if (value instanceof Uint8Array) return JSON.stringify(`\\x${Buffer.from(value).toString('hex')}`);
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (value instanceof Set) return jsonText([...(value as Set<unknown>)]);
      if (value instanceof Map) {
        return `{${[...(value as Map<unknown, unknown>)]
          .map(([k, v]) => `${JSON.stringify(jsonKey(k))}:${jsonText(v)}`)
          .join(',')}}`;
      }
      if (Array.isArray(value)) {
        return `[${value.map((v) => (v === undefined ? 'null' : jsonText(v))).join(',')}]`;
      }
      return `{${Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`)
        .join(',')}}`;
    default:
      return JSON.stringify(value) ?? canonicalJson(value);
  }
}

/** A Map key as a JSON object key: strings, numbers and instants as text, composite keys as JSON text. */
function jsonKey(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  const json = jsonText(key);
  return json.startsWith('"') ? (JSON.parse(json) as string) : json;
}

/** `HH:MM:SS.ffffff` of bigint nanoseconds since midnight, floored to µs (PostgreSQL would round). */
function timeFromNanos(nanos: bigint): string {
  const micros = nanos / 1000n;
  const seconds = micros / 1_000_000n;
  const hms = [seconds / 3600n, (seconds / 60n) % 60n, seconds % 60n].map((n) => pad(Number(n), 2));
  return `${hms.join(':')}.${pad(Number(micros % 1_000_000n), 6)}`;
}

/**
 * A JS value of logical type `type` as PostgreSQL input text (bound as a parameter and cast to the
 * column's native type), or `null`. Structured values stored as jsonb use the layout of
 * `docs/normalization.md` ("How a structured value is stored in jsonb"), which the diff reads back.
 */
export function toPostgresText(value: unknown, type: LogicalType): string | null {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'json':
      return typeof value === 'string' ? value : jsonText(value);
    case 'list':
    case 'set':
      // Collections of scalars are PostgreSQL arrays; nested ones are stored as jsonb (nativeTypeFor).
      if (NESTED_KINDS.has(type.element.kind)) return structuredToJson(value, type);
      if (typeof value === 'string') return value;
      if (value instanceof Set) return arrayLiteral([...(value as Set<unknown>)], type.element);
      if (Array.isArray(value)) return arrayLiteral(value, type.element);
      return structuredToJson(value, type);
    case 'map':
    case 'tuple':
    case 'udt':
      return structuredToJson(value, type);
    default:
      break;
  }
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  switch (type.kind) {
    case 'float32':
    case 'float64':
      if (typeof value === 'number') {
        if (Number.isNaN(value)) return 'NaN';
        if (value === Infinity) return 'Infinity';
        if (value === -Infinity) return '-Infinity';
        if (Object.is(value, -0)) return '-0';
        return String(value);
      }
      return String(value);
    case 'uuid':
      return String(value).toLowerCase();
    case 'bool':
      return value === true || value === 't' || value === 'true' ? 't' : 'f';
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return postgresFromIso(String(value));
    case 'time':
      return typeof value === 'bigint' ? timeFromNanos(value) : String(value);
    case 'interval':
      if (typeof value === 'object') {
        const o = value as { months?: unknown; days?: unknown; micros?: unknown; nanos?: unknown };
        // Nanoseconds are floored to µs, as the comparison does.
        let micros = o.micros;
        if (micros === undefined && o.nanos !== undefined) {
          const nanos = BigInt(o.nanos as bigint);
          micros = nanos / 1000n - (nanos % 1000n < 0n ? 1n : 0n);
        }
        return `${String(o.months ?? 0)} mons ${String(o.days ?? 0)} days ${String(micros ?? 0)} microseconds`;
      }
      return String(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}
