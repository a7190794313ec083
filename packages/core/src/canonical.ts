/**
 * Canonical text of every logical type: the one spelling two engines must agree on before values are
 * compared or hashed. The byte layout is the contract in `docs/normalization.md`; pushdown SQL in the
 * adapters reproduces it, so any change here is a breaking change of that document.
 */
import type { ColumnHashOptions } from './connector.js';
import { CdcError, isCdcError } from './errors.js';
import type { LogicalType } from './logical-type.js';

/** Canonical text of SQL NULL (and of an empty collection): the two characters `\N`. */
export const NULL_MARKER = '\\N';

const MICROS_PER_DAY = 86_400_000_000n;

/**
 * The canonical text of `value` as a value of `type` (see `docs/normalization.md`, including the JS
 * representations adapters may decode to). `null`/`undefined` give {@link NULL_MARKER}.
 * `options` apply the per-column comparison policies that change hashed bytes (precision, padding, case).
 * A string given for a structured type (list, set, map, tuple, udt) is that value stored as JSON, e.g. a
 * jsonb copy (see {@link decodeStructuredJson}); JSON that is not a value of the type gives
 * {@link INVALID_STORED_MARKER} text, which equals no valid value, instead of throwing.
 * @throws CdcError `INVALID_ARGUMENT` naming the type and value when `value` is not a valid `type`
 *   (for a structured type given as a string: when the string is not JSON).
 */
export function canonicalText(value: unknown, type: LogicalType, options?: ColumnHashOptions): string {
  if (value === null || value === undefined) return NULL_MARKER;
  switch (type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
      return canonicalInteger(value, type);
    case 'numeric':
      return canonicalNumeric(value, type);
    case 'float32':
    case 'float64':
      return canonicalFloat(value, type);
    case 'bool':
      return canonicalBool(value, type);
    case 'text':
      return canonicalTextValue(value, type, options);
    case 'bytes':
      return bytesToHex(toBytes(value, type));
    case 'uuid':
      return canonicalUuid(value, type);
    case 'date':
      return canonicalDate(value, type);
    case 'time':
      return floorToPrecision(
        timeMicros(value, type),
        effectivePrecision(type.precision, options),
      ).toString();
    case 'timestamp':
    case 'timestamptz': {
      // Most instants fit a double exactly (years 1700–2255 in µs): no BigInt on the hot path.
      const fast = fastInstantMicros(value);
      if (fast !== undefined) return floorSafe(fast, effectivePrecision(type.precision, options));
      const micros = instantMicros(value, type);
      if (typeof micros === 'string') return micros;
      return floorToPrecision(micros, effectivePrecision(type.precision, options)).toString();
    }
    case 'interval':
      return canonicalInterval(value, type);
    case 'json':
      return lengthPrefixed(canonicalJson(value, type));
    case 'inet':
      return canonicalInet(value, type);
    case 'list':
    case 'set':
    case 'tuple':
    case 'map':
    case 'udt':
      return canonicalStructured(value, type, options);
  }
}

function canonicalStructured(value: unknown, type: LogicalType, options?: ColumnHashOptions): string {
  if (typeof value === 'string') return canonicalStored(value, type, options);
  switch (type.kind) {
    case 'list':
      return canonicalSequence(value, type, options, () => type.element, false);
    case 'set':
      return canonicalSequence(value, type, options, () => type.element, true);
    case 'tuple':
      return canonicalTuple(value, type, options);
    case 'map':
      return canonicalMap(value, type, options);
    case 'udt':
      return canonicalUdt(value, type, options);
    default:
      throw new CdcError('INTERNAL', `${describeType(type)} is not a structured type`);
  }
}

/** `<n>:<text>` where `<n>` is the UTF-8 byte length of `text`. */
export function lengthPrefixed(text: string): string {
  return `${utf8Length(text)}:${text}`;
}

/** UTF-8 byte length of a JS string (lone surrogates count as U+FFFD, 3 bytes, as TextEncoder writes them). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Orders strings by their UTF-8 bytes (= by Unicode code points), which differs from JS `<` (UTF-16 code
 * units) for characters above U+E000 against astral characters.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) {
      // A surrogate stands for a code point ≥ U+10000, above every BMP character.
      if (xs && y >= 0xe000) return 1;
      if (ys && x >= 0xe000) return -1;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function invalid(type: LogicalType, value: unknown, why: string): CdcError {
  return new CdcError(
    'INVALID_ARGUMENT',
    `Invalid ${describeType(type)} value ${describeValue(value)}: ${why}`,
    {
      hint: 'Adapters must decode values to the JS representations listed in docs/normalization.md ("Accepted JS values").',
    },
  );
}

/** A logical type as written in messages, e.g. `timestamptz(6)`, `list<int32>`. */
export function describeType(type: LogicalType): string {
  switch (type.kind) {
    case 'numeric':
      return type.precision === undefined ? 'numeric' : `numeric(${type.precision},${type.scale ?? 0})`;
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return `${type.kind}(${type.precision})`;
    case 'list':
    case 'set':
      return `${type.kind}<${describeType(type.element)}>`;
    case 'map':
      return `map<${describeType(type.key)},${describeType(type.value)}>`;
    case 'tuple':
      return `tuple<${type.elements.map(describeType).join(',')}>`;
    case 'udt':
      return `udt ${type.name}`;
    default:
      return type.kind;
  }
}

function describeValue(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value);
  else if (typeof value === 'bigint') s = `${value}n`;
  else if (value instanceof Uint8Array) s = `bytes(${value.length})`;
  else if (value instanceof Date)
    s = `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  else if (typeof value === 'object') {
    try {
      s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
    } catch {
      s = Object.prototype.toString.call(value);
    }
  } else s = String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

// ---------------------------------------------------------------- numbers

/** True for `0` and `-?[1-9][0-9]*`: the canonical spelling of an integer, returned as it is. */
function isCanonicalInteger(s: string): boolean {
  const n = s.length;
  let i = n > 0 && s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  if (s.charCodeAt(i) === 48) return n === 1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function canonicalInteger(value: unknown, type: LogicalType): string {
  if (typeof value === 'string' && isCanonicalInteger(value)) return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw invalid(type, value, 'not an integer');
    return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') {
    if (!/^[+-]?\d+$/.test(value)) throw invalid(type, value, 'expected a base-10 integer');
    return BigInt(value).toString();
  }
  throw invalid(type, value, 'expected number, bigint or string');
}

const NUMERIC_RE = /^\s*([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;
const MAX_EXPONENT = 100_000;

/** Canonical exact decimal of a numeric value (see `docs/normalization.md`). */
export function canonicalNumeric(value: unknown, type: LogicalType = { kind: 'numeric' }): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Infinity) return 'Infinity';
    if (value === -Infinity) return '-Infinity';
    if (Number.isSafeInteger(value)) return String(value);
    return normalizeDecimal(String(value), type, value);
  }
  if (typeof value === 'string') {
    const plain = plainDecimal(value);
    if (plain !== undefined) return plain;
    const special = specialNumber(value);
    if (special !== undefined) return special;
    return normalizeDecimal(value, type, value);
  }
  throw invalid(type, value, 'expected a decimal string, number or bigint');
}

/**
 * The canonical text of a plain decimal `-?digits[.digits]` (what drivers send), without the general
 * parser; `undefined` for anything else (exponents, signs, spaces, specials).
 */
function plainDecimal(s: string): string | undefined {
  const n = s.length;
  const negative = n > 0 && s.charCodeAt(0) === 45;
  let i = negative ? 1 : 0;
  const intStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  const intEnd = i;
  let fracStart = n;
  let fracEnd = n;
  if (i < n) {
    if (s.charCodeAt(i) !== 46) return undefined;
    fracStart = ++i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i !== n) return undefined;
    fracEnd = n;
  }
  if (intEnd === intStart && fracEnd === fracStart) return undefined;
  let a = intStart;
  while (a < intEnd && s.charCodeAt(a) === 48) a++;
  let b = fracEnd;
  while (b > fracStart && s.charCodeAt(b - 1) === 48) b--;
  if (a === intEnd && b === fracStart) return '0';
  const whole = a === intEnd ? '0' : s.slice(a, intEnd);
  const out = b === fracStart ? whole : `${whole}.${s.slice(fracStart, b)}`;
  return negative ? `-${out}` : out;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function specialNumber(s: string): string | undefined {
  const t = s.trim().toLowerCase();
  if (t === 'nan' || t === '+nan' || t === '-nan') return 'NaN';
  if (t === 'infinity' || t === '+infinity' || t === 'inf' || t === '+inf') return 'Infinity';
  if (t === '-infinity' || t === '-inf') return '-Infinity';
  return undefined;
}

function normalizeDecimal(s: string, type: LogicalType, original: unknown): string {
  const m = NUMERIC_RE.exec(s);
  const intPart = m?.[2] ?? '';
  const fracPart = m?.[3] ?? '';
  if (!m || intPart.length + fracPart.length === 0)
    throw invalid(type, original, 'expected a decimal number');
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > MAX_EXPONENT) {
    throw invalid(type, original, 'exponent out of range');
  }
  let digits = intPart + fracPart;
  let point = intPart.length + exp; // position of the decimal point within `digits`
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 48) lead++;
  if (lead === digits.length) return '0';
  digits = digits.slice(lead);
  point -= lead;
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(0, end);
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return m[1] === '-' ? `-${out}` : out;
}

const FLOAT_RE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const floatBits = new Float64Array(1);
const floatBytes = new Uint8Array(floatBits.buffer);
const BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

function canonicalFloat(value: unknown, type: LogicalType): string {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const special = specialNumber(value);
    if (special !== undefined) n = Number(special);
    else if (FLOAT_RE.test(value)) n = Number(value);
    else throw invalid(type, value, 'expected a decimal floating-point number, NaN or ±Infinity');
  } else if (typeof value === 'bigint') n = Number(value);
  else throw invalid(type, value, 'expected number or string');
  // float32 columns: the stored value is the binary32 nearest to what the adapter decoded.
  if (type.kind === 'float32') n = Math.fround(n);
  if (n === 0) return '0';
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  floatBits[0] = n;
  // IEEE-754 bytes, most significant first, whatever the platform's byte order.
  return BIG_ENDIAN
    ? HEX[floatBytes[0] as number]! +
        HEX[floatBytes[1] as number]! +
        HEX[floatBytes[2] as number]! +
        HEX[floatBytes[3] as number]! +
        HEX[floatBytes[4] as number]! +
        HEX[floatBytes[5] as number]! +
        HEX[floatBytes[6] as number]! +
        HEX[floatBytes[7] as number]!
    : HEX[floatBytes[7] as number]! +
        HEX[floatBytes[6] as number]! +
        HEX[floatBytes[5] as number]! +
        HEX[floatBytes[4] as number]! +
        HEX[floatBytes[3] as number]! +
        HEX[floatBytes[2] as number]! +
        HEX[floatBytes[1] as number]! +
        HEX[floatBytes[0] as number]!;
}

function canonicalBool(value: unknown, type: LogicalType): string {
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (value === 1 || value === 't' || value === 'true') return 't';
  if (value === 0 || value === 'f' || value === 'false') return 'f';
  throw invalid(type, value, 'expected boolean');
}

// ---------------------------------------------------------------- text, bytes, uuid

function canonicalTextValue(value: unknown, type: LogicalType, options?: ColumnHashOptions): string {
  if (typeof value !== 'string') throw invalid(type, value, 'expected string');
  let s = value;
  if (options?.trimTrailingSpaces) s = s.replace(/ +$/, '');
  if (options?.caseInsensitive) s = s.toLowerCase();
  return lengthPrefixed(s);
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of bytes, no prefix. */
export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] as number];
  return s;
}

function toBytes(value: unknown, type: LogicalType): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof value === 'string') {
    // PostgreSQL's bytea text form (`\x…`) and SQL Server's literal form (`0x…`) are accepted too.
    const m = /^(?:\\x|0x)([0-9a-fA-F]*)$/.exec(value);
    if (m?.[1] !== undefined && m[1].length % 2 === 0) {
      const hex = m[1];
      const out = new Uint8Array(hex.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
      return out;
    }
  }
  throw invalid(type, value, 'expected Uint8Array (or a \\x/0x hex string)');
}

function canonicalUuid(value: unknown, type: LogicalType): string {
  let hex: string;
  if (typeof value === 'string') {
    const t = value.startsWith('{') && value.endsWith('}') ? value.slice(1, -1) : value;
    if (!/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(t)) {
      throw invalid(type, value, 'expected 8-4-4-4-12 hex digits');
    }
    hex = t.replace(/-/g, '').toLowerCase();
  } else if (value instanceof Uint8Array && value.length === 16) hex = bytesToHex(value);
  else throw invalid(type, value, 'expected a uuid string');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---------------------------------------------------------------- dates and times

/** Days since 1970-01-01 of a proleptic Gregorian date with an astronomical year (1 BC = 0). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * The proleptic Gregorian date (astronomical year: 1 BC = 0) of `days` since 1970-01-01; the inverse of
 * {@link daysFromCivil} (Howard Hinnant's civil_from_days, exact in integers).
 */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function parseYmd(
  yearText: string,
  monthText: string,
  dayText: string,
  bc: boolean,
  type: LogicalType,
  original: unknown,
): number {
  let year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  if (bc) {
    if (year <= 0) throw invalid(type, original, 'BC years start at 1');
    year = 1 - year;
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw invalid(type, original, 'no such calendar date');
  }
  return daysFromCivil(year, month, day);
}

const DATE_RE = /^\s*([+-]?\d{4,})-(\d{2})-(\d{2})( BC)?\s*$/;

function canonicalDate(value: unknown, type: LogicalType): string {
  if (typeof value === 'string') {
    const inf = infinity(value);
    if (inf !== undefined) return inf;
    const m = DATE_RE.exec(value);
    if (!m) throw invalid(type, value, "expected 'YYYY-MM-DD'");
    return String(parseYmd(m[1] as string, m[2] as string, m[3] as string, m[4] !== undefined, type, value));
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw invalid(type, value, 'invalid Date');
    return String(Math.floor(ms / 86_400_000));
  }
  if (typeof value === 'number') {
    if (value === Infinity) return 'Infinity';
    if (value === -Infinity) return '-Infinity';
    if (!Number.isSafeInteger(value)) throw invalid(type, value, 'expected an integer number of days');
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  throw invalid(type, value, "expected 'YYYY-MM-DD', Date or days since 1970-01-01");
}

function infinity(s: string): string | undefined {
  const t = s.trim().toLowerCase();
  if (t === 'infinity' || t === '+infinity') return 'Infinity';
  if (t === '-infinity') return '-Infinity';
  return undefined;
}

function effectivePrecision(declared: number, options?: ColumnHashOptions): number {
  const p = options?.precision ?? Math.min(declared, 6);
  if (!Number.isInteger(p) || p < 0 || p > 6) {
    throw new CdcError('INVALID_ARGUMENT', `Invalid compared precision ${p}: expected an integer 0–6`, {
      hint: 'Set the column policy precision to a number of fractional-second digits between 0 and 6.',
    });
  }
  return p;
}

/** Floors `micros` (toward −∞) to a multiple of 10^(6−precision). */
export function floorToPrecision(micros: bigint, precision: number): bigint {
  if (precision >= 6) return micros;
  const unit = 10n ** BigInt(6 - precision);
  return floorDiv(micros, unit) * unit;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function fractionMicros(frac: string | undefined): bigint {
  if (!frac) return 0n;
  return BigInt((frac + '000000').slice(0, 6));
}

const TIME_RE = /^\s*(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*$/;

function timeMicros(value: unknown, type: LogicalType): bigint {
  if (typeof value === 'string') {
    const m = TIME_RE.exec(value);
    if (!m) throw invalid(type, value, "expected 'HH:MM:SS[.fraction]'");
    const h = Number(m[1]);
    const mi = Number(m[2]);
    const s = Number(m[3] ?? '0');
    if (mi > 59 || s > 59 || h > 24 || (h === 24 && (mi > 0 || s > 0 || /[1-9]/.test(m[4] ?? '')))) {
      throw invalid(type, value, 'time of day out of range');
    }
    return BigInt(h * 3600 + mi * 60 + s) * 1_000_000n + fractionMicros(m[4]);
  }
  if (typeof value === 'bigint') {
    if (value < 0n || value > 86_400_000_000_000n) throw invalid(type, value, 'nanoseconds out of range');
    return value / 1000n;
  }
  throw invalid(type, value, "expected 'HH:MM:SS[.fraction]' or bigint nanoseconds since midnight");
}

const TIMESTAMP_RE =
  /^\s*([+-]?\d{4,})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?( BC)?\s*$/;

/** Two ASCII digits at `i` as a number, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Microseconds since the epoch as a safe integer for the common spellings — a `Date`, or
 * `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+00|+00:00]` with a four-digit year — else `undefined` (the general
 * parser then decides, with BigInt, and reports errors).
 */
function fastInstantMicros(value: unknown): number | undefined {
  if (value instanceof Date) {
    const micros = value.getTime() * 1000;
    return Number.isSafeInteger(micros) ? micros : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const s = value;
  const n = s.length;
  if (n < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  const sep = s.charCodeAt(10);
  if ((sep !== 84 && sep !== 32) || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  const y1 = two(s, 0);
  const y2 = two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  const h = two(s, 11);
  const mi = two(s, 14);
  const sec = two(s, 17);
  if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59)
    return undefined;
  if (sec < 0 || sec > 59) return undefined;
  const year = y1 * 100 + y2;
  if (d > daysInMonth(year, mo)) return undefined;
  let i = 19;
  let frac = 0;
  if (i < n && s.charCodeAt(i) === 46) {
    i++;
    let digits = 0;
    while (i < n) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      // Digits beyond microseconds are floored away, as the general parser does.
      if (digits < 6) frac = frac * 10 + c;
      digits++;
      i++;
    }
    if (digits === 0 || digits > 9) return undefined;
    for (let k = digits; k < 6; k++) frac *= 10;
  }
  if (i < n) {
    const rest = s.slice(i);
    if (rest !== 'Z' && rest !== 'z' && rest !== '+00' && rest !== '+00:00') return undefined;
  }
  const micros = (daysFromCivil(year, mo, d) * 86_400 + h * 3600 + mi * 60 + sec) * 1_000_000 + frac;
  return Number.isSafeInteger(micros) ? micros : undefined;
}

/** `micros` (a safe integer) floored toward −∞ to `precision` fractional digits, as text. */
function floorSafe(micros: number, precision: number): string {
  if (precision >= 6) return safeIntegerText(micros);
  const unit = 10 ** (6 - precision);
  const rest = micros % unit;
  return safeIntegerText(micros - (rest < 0 ? rest + unit : rest));
}

/** `String(x)` for a safe integer, ~3× faster above 2^31 (two small-integer conversions instead of one double). */
function safeIntegerText(x: number): string {
  if (x >= -2147483648 && x <= 2147483647) return String(x);
  const a = x < 0 ? -x : x;
  const hi = Math.floor(a / 1e9);
  const lo = String(a - hi * 1e9);
  const text = String(hi) + '000000000'.slice(lo.length) + lo;
  return x < 0 ? `-${text}` : text;
}

/** Microseconds since the epoch (UTC for timestamptz, wall clock for timestamp), or `±Infinity` text. */
function instantMicros(value: unknown, type: LogicalType): bigint | string {
  if (typeof value === 'string') {
    const inf = infinity(value);
    if (inf !== undefined) return inf;
    const m = TIMESTAMP_RE.exec(value);
    if (!m) throw invalid(type, value, "expected ISO-8601 'YYYY-MM-DD HH:MM:SS[.fraction][offset]'");
    const days = parseYmd(m[1] as string, m[2] as string, m[3] as string, m[9] !== undefined, type, value);
    const h = Number(m[4] ?? '0');
    const mi = Number(m[5] ?? '0');
    const s = Number(m[6] ?? '0');
    if (h > 24 || mi > 59 || s > 59) throw invalid(type, value, 'time of day out of range');
    let micros =
      BigInt(days) * MICROS_PER_DAY + BigInt(h * 3600 + mi * 60 + s) * 1_000_000n + fractionMicros(m[7]);
    const zone = m[8];
    if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
      const digits = zone.slice(1).replace(/:/g, '');
      const offset =
        Number(digits.slice(0, 2)) * 3600 +
        Number(digits.slice(2, 4) || '0') * 60 +
        Number(digits.slice(4, 6) || '0');
      micros -= BigInt(zone[0] === '-' ? -offset : offset) * 1_000_000n;
    }
    return micros;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw invalid(type, value, 'invalid Date');
    return BigInt(ms) * 1000n;
  }
  if (typeof value === 'bigint') return value;
  throw invalid(type, value, 'expected an ISO-8601 string, Date or bigint epoch microseconds');
}

// ---------------------------------------------------------------- interval

const ISO_DURATION_RE =
  /^\s*(-)?P(?:([+-]?\d+)Y)?(?:([+-]?\d+)M)?(?:([+-]?\d+)W)?(?:([+-]?\d+)D)?(?:T(?:([+-]?\d+)H)?(?:([+-]?\d+)M)?(?:([+-]?\d*(?:\.\d{1,9})?)S)?)?\s*$/;

function toIntegerBig(v: unknown, type: LogicalType, original: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v)) return BigInt(v);
  throw invalid(type, original, 'interval fields must be integers');
}

/** Signed seconds with up to 9 fractional digits → microseconds, floored. */
function secondsToMicros(text: string, type: LogicalType, original: unknown): bigint {
  const m = /^([+-])?(\d*)(?:\.(\d{1,9}))?$/.exec(text);
  if (!m || (m[2] === '' && m[3] === undefined)) throw invalid(type, original, 'bad seconds');
  const nanos = BigInt(m[2] || '0') * 1_000_000_000n + BigInt(((m[3] ?? '') + '000000000').slice(0, 9));
  return floorDiv(m[1] === '-' ? -nanos : nanos, 1000n);
}

function canonicalInterval(value: unknown, type: LogicalType): string {
  let months: bigint;
  let days: bigint;
  let micros: bigint;
  if (typeof value === 'string') {
    const iso = ISO_DURATION_RE.exec(value);
    if (iso && value.trim() !== 'P' && !/T\s*$/.test(value)) {
      const n = (i: number) => BigInt(iso[i] ?? '0');
      months = n(2) * 12n + n(3);
      days = n(4) * 7n + n(5);
      micros =
        n(6) * 3_600_000_000n +
        n(7) * 60_000_000n +
        (iso[8] === undefined ? 0n : secondsToMicros(iso[8], type, value));
      if (iso[1] === '-') {
        months = -months;
        days = -days;
        micros = -micros;
      }
    } else {
      [months, days, micros] = parsePostgresInterval(value, type);
    }
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = value as { months?: unknown; days?: unknown; micros?: unknown; nanos?: unknown };
    months = toIntegerBig(o.months ?? 0, type, value);
    days = toIntegerBig(o.days ?? 0, type, value);
    if (o.micros !== undefined) micros = toIntegerBig(o.micros, type, value);
    else if (o.nanos !== undefined) micros = floorDiv(toIntegerBig(o.nanos, type, value), 1000n);
    else micros = 0n;
  } else throw invalid(type, value, 'expected {months, days, micros} or an ISO-8601 duration');
  return `${months},${days},${micros}`;
}

/** PostgreSQL's default `IntervalStyle = postgres` output, e.g. `1 year 2 mons -3 days +04:05:06.5`. */
function parsePostgresInterval(value: string, type: LogicalType): [bigint, bigint, bigint] {
  const tokens = value.trim().replace(/^@\s*/, '').split(/\s+/);
  let months = 0n;
  let days = 0n;
  let micros = 0n;
  let seen = false;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as string;
    const time = /^([+-])?(\d+):(\d{2})(?::(\d{2}(?:\.\d{1,9})?))?$/.exec(tok);
    if (time) {
      const t =
        BigInt(time[2] as string) * 3_600_000_000n +
        BigInt(time[3] as string) * 60_000_000n +
        (time[4] === undefined ? 0n : secondsToMicros(time[4], type, value));
      micros += time[1] === '-' ? -t : t;
      seen = true;
      continue;
    }
    const unit = tokens[i + 1]?.toLowerCase().replace(/s$/, '');
    if (!/^[+-]?\d+$/.test(tok) || unit === undefined) throw invalid(type, value, 'unrecognized interval');
    const n = BigInt(tok);
    i++;
    if (unit === 'year') months += n * 12n;
    else if (unit === 'mon' || unit === 'month') months += n;
    else if (unit === 'week') days += n * 7n;
    else if (unit === 'day') days += n;
    else if (unit === 'hour') micros += n * 3_600_000_000n;
    else if (unit === 'min' || unit === 'minute') micros += n * 60_000_000n;
    else if (unit === 'sec' || unit === 'second') micros += n * 1_000_000n;
    else throw invalid(type, value, `unknown interval unit ${JSON.stringify(tokens[i])}`);
    seen = true;
  }
  if (!seen) throw invalid(type, value, 'empty interval');
  return [months, days, micros];
}

// ---------------------------------------------------------------- json

/**
 * Canonical JSON text (without the length prefix): no whitespace, object keys sorted by UTF-8 bytes (last
 * duplicate wins), numbers in canonical numeric form, strings as `JSON.stringify` writes them.
 * A string `value` is JSON text and is parsed here, keeping number literals exact.
 */
export function canonicalJson(value: unknown, type: LogicalType = { kind: 'json' }): string {
  if (typeof value === 'string') return canonicalJsonTree(new JsonTreeParser(value, type).run(), type);
  return canonicalJsonValue(value, type, 0);
}

function canonicalJsonValue(value: unknown, type: LogicalType, depth: number): string {
  if (depth > 1000) throw invalid(type, '…', 'JSON nested too deeply');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw invalid(type, value, 'JSON numbers must be finite');
      return canonicalNumeric(value, type);
    case 'bigint':
      return value.toString();
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value))
        return `[${value.map((v) => canonicalJsonValue(v, type, depth + 1)).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort((a, b) => compareUtf8(a[0], b[0]));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJsonValue(v, type, depth + 1)}`).join(',')}}`;
    }
    default:
      throw invalid(type, value, 'not representable as JSON');
  }
}

/** Canonical JSON text of a parsed document (see {@link canonicalJson}). */
function canonicalJsonTree(tree: JsonTree, type: LogicalType): string {
  if (tree === null) return 'null';
  if (typeof tree === 'boolean') return tree ? 'true' : 'false';
  if (typeof tree === 'string') return JSON.stringify(tree);
  if (tree instanceof JsonNumber) return normalizeDecimal(tree.text, type, tree.text);
  if (Array.isArray(tree)) return `[${tree.map((v) => canonicalJsonTree(v, type)).join(',')}]`;
  const keys = [...tree.keys()].sort(compareUtf8);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJsonTree(tree.get(k) as JsonTree, type)}`).join(',')}}`;
}

// ---------------------------------------------------------------- inet

function canonicalInet(value: unknown, type: LogicalType): string {
  if (typeof value !== 'string') throw invalid(type, value, 'expected an address string');
  const [addr = '', prefixText, extra] = value.trim().split('/');
  if (extra !== undefined) throw invalid(type, value, 'more than one /');
  const bytes = addr.includes(':') ? parseIpv6(addr) : parseIpv4(addr);
  if (!bytes) throw invalid(type, value, 'not an IPv4 or IPv6 address');
  const bits = bytes.length * 8;
  let suffix = '';
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits)
      throw invalid(type, value, 'bad prefix length');
    if (Number(prefixText) < bits) suffix = `/${Number(prefixText)}`;
  }
  return bytesToHex(bytes) + suffix;
}

function parseIpv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i] as string;
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (!v4) return undefined;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

// ---------------------------------------------------------------- collections

function elementsOf(value: unknown, type: LogicalType): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...(value as Set<unknown>)];
  throw invalid(type, value, 'expected an array');
}

function jsonStringOrNull(text: string): string {
  return text === NULL_MARKER ? 'null' : JSON.stringify(text);
}

function canonicalSequence(
  value: unknown,
  type: LogicalType,
  options: ColumnHashOptions | undefined,
  element: () => LogicalType,
  sorted: boolean,
): string {
  const items = elementsOf(value, type);
  if (items.length === 0) return NULL_MARKER;
  const elementType = element();
  let texts = items.map((v) => canonicalText(v, elementType, options));
  if (sorted) {
    // NULL elements sort by their marker text `\N`, like every other element (by UTF-8 bytes).
    texts.sort(compareUtf8);
    texts = texts.filter((t, i) => i === 0 || t !== texts[i - 1]);
  }
  return lengthPrefixed(`[${texts.map(jsonStringOrNull).join(',')}]`);
}

function canonicalTuple(
  value: unknown,
  type: Extract<LogicalType, { kind: 'tuple' }>,
  options: ColumnHashOptions | undefined,
): string {
  const items = elementsOf(value, type);
  if (items.length !== type.elements.length) {
    throw invalid(type, value, `expected ${type.elements.length} elements, got ${items.length}`);
  }
  const texts = items.map((v, i) =>
    jsonStringOrNull(canonicalText(v, type.elements[i] as LogicalType, options)),
  );
  return lengthPrefixed(`[${texts.join(',')}]`);
}

function canonicalMap(
  value: unknown,
  type: Extract<LogicalType, { kind: 'map' }>,
  options: ColumnHashOptions | undefined,
): string {
  let pairs: [unknown, unknown][];
  if (value instanceof Map) pairs = [...(value as Map<unknown, unknown>).entries()];
  else if (Array.isArray(value)) {
    pairs = value.map((p: unknown) => {
      if (!Array.isArray(p) || p.length !== 2) throw invalid(type, value, 'expected [key, value] pairs');
      return [p[0], p[1]] as [unknown, unknown];
    });
  } else if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    pairs = Object.entries(value as Record<string, unknown>);
  } else throw invalid(type, value, 'expected Map, [key, value] pairs or a plain object');
  if (pairs.length === 0) return NULL_MARKER;
  const byKey = new Map<string, string>();
  for (const [k, v] of pairs) {
    const kt = canonicalText(k, type.key, options);
    if (kt === NULL_MARKER) throw invalid(type, value, 'map keys cannot be NULL');
    byKey.set(kt, canonicalText(v, type.value, options));
  }
  const keys = [...byKey.keys()].sort(compareUtf8);
  const body = keys
    .map((k) => `[${JSON.stringify(k)},${jsonStringOrNull(byKey.get(k) as string)}]`)
    .join(',');
  return lengthPrefixed(`[${body}]`);
}

function canonicalUdt(
  value: unknown,
  type: Extract<LogicalType, { kind: 'udt' }>,
  options: ColumnHashOptions | undefined,
): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(type, value, 'expected a plain object of fields');
  }
  const get = (name: string): unknown =>
    value instanceof Map
      ? (value as Map<string, unknown>).get(name)
      : (value as Record<string, unknown>)[name];
  const fields = [...type.fields].sort((a, b) => compareUtf8(a.name, b.name));
  const body = fields
    .map((f) => `${JSON.stringify(f.name)}:${jsonStringOrNull(canonicalText(get(f.name), f.type, options))}`)
    .join(',');
  return lengthPrefixed(`{${body}}`);
}

// ---------------------------------------------------------------- structured values stored as JSON

/**
 * First character of the canonical text of stored JSON that is not a value of its structured type
 * (valid JSON of another shape or with values of other types):
 * `!<n>:<the stored text>`. Valid canonical texts start with a digit or `\`, so such a value differs from
 * every source value (the row is reported as mismatched instead of aborting the comparison).
 */
export const INVALID_STORED_MARKER = '!';

function canonicalStored(text: string, type: LogicalType, options: ColumnHashOptions | undefined): string {
  // A bad policy is the caller's error, not the stored value's: let it throw.
  if (options?.precision !== undefined) effectivePrecision(6, options);
  // Text that is not JSON at all (e.g. an array literal `{1,2}`) is an adapter's error: a json or jsonb
  // column cannot hold it. Valid JSON of another shape is a stored value that differs.
  const tree = new JsonTreeParser(text, type).run();
  try {
    return canonicalText(fromJsonTree(tree, type), type, options);
  } catch (error) {
    if (isCdcError(error) && error.code === 'INVALID_ARGUMENT') {
      return INVALID_STORED_MARKER + lengthPrefixed(text);
    }
    throw error;
  }
}

/** A JSON number literal exactly as written (JSON.parse would round it). */
class JsonNumber {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** Parsed JSON: objects are Maps in document order (the last duplicate key wins). */
type JsonTree = null | boolean | string | JsonNumber | JsonTree[] | Map<string, JsonTree>;

/** A small JSON parser keeping number literals exact (JSON.parse would round them). */
class JsonTreeParser {
  #pos = 0;
  readonly #s: string;
  readonly #type: LogicalType;

  constructor(s: string, type: LogicalType) {
    this.#s = s;
    this.#type = type;
  }

  run(): JsonTree {
    const out = this.#value(0);
    this.#ws();
    if (this.#pos !== this.#s.length) this.#fail('trailing characters');
    return out;
  }

  #fail(why: string): never {
    throw invalid(this.#type, this.#s, `malformed JSON at offset ${this.#pos}: ${why}`);
  }

  #ws(): void {
    const s = this.#s;
    while (this.#pos < s.length) {
      const c = s.charCodeAt(this.#pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.#pos++;
      else break;
    }
  }

  #value(depth: number): JsonTree {
    if (depth > 1000) this.#fail('nested too deeply');
    this.#ws();
    const s = this.#s;
    const c = s[this.#pos];
    if (c === '{') return this.#object(depth);
    if (c === '[') return this.#array(depth);
    if (c === '"') return this.#string();
    if (s.startsWith('true', this.#pos)) return ((this.#pos += 4), true);
    if (s.startsWith('false', this.#pos)) return ((this.#pos += 5), false);
    if (s.startsWith('null', this.#pos)) return ((this.#pos += 4), null);
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.#pos;
    const num = m.exec(s);
    if (!num) this.#fail('unexpected character');
    this.#pos += num[0].length;
    return new JsonNumber(num[0]);
  }

  #string(): string {
    const s = this.#s;
    const start = this.#pos;
    this.#pos++;
    let simple = true;
    while (this.#pos < s.length) {
      const c = s.charCodeAt(this.#pos);
      if (c === 0x22) {
        this.#pos++;
        const raw = s.slice(start, this.#pos);
        if (simple) return raw.slice(1, -1);
        try {
          return JSON.parse(raw) as string;
        } catch {
          this.#pos = start;
          this.#fail('bad string escape');
        }
      }
      if (c === 0x5c) {
        simple = false;
        this.#pos += 2;
        continue;
      }
      if (c < 0x20) this.#fail('control character in string');
      this.#pos++;
    }
    return this.#fail('unterminated string');
  }

  #array(depth: number): JsonTree[] {
    this.#pos++;
    const items: JsonTree[] = [];
    this.#ws();
    if (this.#s[this.#pos] === ']') {
      this.#pos++;
      return items;
    }
    for (;;) {
      items.push(this.#value(depth + 1));
      this.#ws();
      const c = this.#s[this.#pos++];
      if (c === ']') return items;
      if (c !== ',') this.#fail("expected ',' or ']'");
    }
  }

  #object(depth: number): Map<string, JsonTree> {
    this.#pos++;
    const entries = new Map<string, JsonTree>();
    this.#ws();
    if (this.#s[this.#pos] === '}') {
      this.#pos++;
      return entries;
    }
    for (;;) {
      this.#ws();
      if (this.#s[this.#pos] !== '"') this.#fail('expected a key');
      const key = this.#string();
      this.#ws();
      if (this.#s[this.#pos++] !== ':') this.#fail("expected ':'");
      entries.delete(key); // the last duplicate wins, as in PostgreSQL jsonb
      entries.set(key, this.#value(depth + 1));
      this.#ws();
      const c = this.#s[this.#pos++];
      if (c === '}') return entries;
      if (c !== ',') this.#fail("expected ',' or '}'");
    }
  }
}

/** JSON text of a parsed tree, number literals as written. */
function jsonTreeText(tree: JsonTree): string {
  if (tree === null) return 'null';
  if (typeof tree === 'boolean') return tree ? 'true' : 'false';
  if (typeof tree === 'string') return JSON.stringify(tree);
  if (tree instanceof JsonNumber) return tree.text;
  if (Array.isArray(tree)) return `[${tree.map(jsonTreeText).join(',')}]`;
  return `{${[...tree].map(([k, v]) => `${JSON.stringify(k)}:${jsonTreeText(v)}`).join(',')}}`;
}

/**
 * Decodes `text`, a value of a structured `type` stored as JSON (the layout of `docs/normalization.md`,
 * "How a structured value is stored in jsonb", which `structuredToJson` writes), into a JS value
 * {@link canonicalText} accepts for `type`. Decoding follows the type: number literals stay exact, a
 * number where text is expected (or any other JSON kind the layout does not use there) is an error.
 * @throws CdcError `INVALID_ARGUMENT` when `text` is not JSON or not that layout of `type`.
 */
export function decodeStructuredJson(text: string, type: LogicalType): unknown {
  return fromJsonTree(new JsonTreeParser(text, type).run(), type);
}

/** Integer kinds also accept `1.0` and `1e3` written by other tools: the same exact number. */
function exactNumber(text: string, type: LogicalType): string {
  if (type.kind !== 'int16' && type.kind !== 'int32' && type.kind !== 'int64') return text;
  return NUMERIC_RE.test(text) ? normalizeDecimal(text, type, text) : text;
}

function fromJsonTree(tree: JsonTree, type: LogicalType): unknown {
  if (tree === null) return null;
  const wrong = (expected: string): CdcError =>
    invalid(type, jsonTreeText(tree), `expected ${expected} in the stored JSON`);
  switch (type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
    case 'numeric':
    case 'float32':
    case 'float64':
      if (tree instanceof JsonNumber) return exactNumber(tree.text, type);
      if (typeof tree === 'string') return exactNumber(tree, type);
      throw wrong('a number or a string');
    case 'bool':
      if (typeof tree === 'boolean') return tree;
      throw wrong('true or false');
    case 'text':
    case 'bytes':
    case 'uuid':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'inet':
      if (typeof tree === 'string') return tree;
      throw wrong('a string');
    case 'interval': {
      if (typeof tree === 'string') return tree;
      if (!(tree instanceof Map)) throw wrong('an object {months, days, micros} or a string');
      const field = (name: string): unknown => {
        const v = tree.get(name);
        if (v === undefined) return undefined;
        if (v instanceof JsonNumber) return v.text;
        if (typeof v === 'string') return v;
        throw wrong(`an integer in "${name}"`);
      };
      const out: Record<string, unknown> = { months: field('months'), days: field('days') };
      if (tree.has('micros')) out['micros'] = field('micros');
      else if (tree.has('nanos')) out['nanos'] = field('nanos');
      return out;
    }
    case 'json':
      return jsonTreeText(tree);
    case 'list':
    case 'set':
      if (!Array.isArray(tree)) throw wrong('an array');
      return tree.map((e) => fromJsonTree(e, type.element));
    case 'tuple':
      if (!Array.isArray(tree) || tree.length !== type.elements.length) {
        throw wrong(`an array of ${type.elements.length} elements`);
      }
      return tree.map((e, i) => fromJsonTree(e, type.elements[i] as LogicalType));
    case 'map':
      if (!(tree instanceof Map)) throw wrong('an object');
      return [...tree].map(([k, v]) => [fromJsonKey(k, type.key), fromJsonTree(v, type.value)]);
    case 'udt':
      if (!(tree instanceof Map)) throw wrong('an object');
      return new Map(type.fields.map((f) => [f.name, fromJsonTree(tree.get(f.name) ?? null, f.type)]));
  }
}

/** Map keys are JSON object keys: the key's JSON string, or the JSON text of a non-string key. */
function fromJsonKey(key: string, type: LogicalType): unknown {
  switch (type.kind) {
    case 'bool':
      if (key === 'true' || key === 'false') return key === 'true';
      throw invalid(type, key, 'a boolean map key is written "true" or "false"');
    case 'interval':
    case 'list':
    case 'set':
    case 'map':
    case 'tuple':
    case 'udt':
      return fromJsonTree(new JsonTreeParser(key, type).run(), type);
    case 'json':
      return key;
    default:
      return exactNumber(key, type);
  }
}
