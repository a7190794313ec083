/**
 * CQL values in and out: driver values → the JS values cdc compares (`docs/normalization.md`), JS values
 * → CQL wire bytes (for client-side Murmur3 tokens of target rows) and → driver parameters (lookups).
 * Nothing exact ever passes through a JS number: bigint/counter/varint are bigint, decimal a string,
 * time is bigint nanoseconds, duration `{ months, days, micros }`.
 */
import { CdcError, civilFromDays } from '@cdc/core';
import type { CqlType } from './scylla-cql-types.js';
import type { ScyllaDriverTypes } from './scylla-driver.js';

/** A Scylla `duration` as cdc carries it (nanoseconds floored to microseconds, like PostgreSQL). */
export interface ScyllaDuration {
  months: number;
  days: number;
  micros: bigint;
}

const INT_BITS = { tinyint: 8, smallint: 16, int: 32 } as const;

function fail(what: string, value: unknown, type: CqlType): never {
  let shown: string;
  try {
    shown = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  throw new CdcError(
    'INVALID_ARGUMENT',
    `Cannot ${what} ${shown.slice(0, 80)} as CQL ${type.kind === 'native' ? type.name : type.kind}.`,
  );
}

function hasMethod<K extends string>(v: unknown, name: K): v is Record<K, (...args: unknown[]) => unknown> {
  return typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[name] === 'function';
}

// ---------------------------------------------------------------------------------------------------
// Small exact helpers
// ---------------------------------------------------------------------------------------------------

/** Two's-complement big-endian bytes → bigint (varint payload). */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return (bytes[0] ?? 0) & 0x80 ? v - (1n << BigInt(bytes.length * 8)) : v;
}

/** bigint → minimal two's-complement big-endian bytes (CQL varint). */
export function bigIntToBytes(v: bigint): Uint8Array {
  let len = 1;
  while (v < -(1n << BigInt(len * 8 - 1)) || v >= 1n << BigInt(len * 8 - 1)) len++;
  const out = new Uint8Array(len);
  let x = BigInt.asUintN(len * 8, v);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Unscaled value and scale → plain decimal text (`-0.0012`, `1200`), never an exponent. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString();
  let out: string;
  if (scale <= 0) out = unscaled === 0n ? '0' : digits + '0'.repeat(-scale);
  else if (digits.length > scale)
    out = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  else out = `0.${'0'.repeat(scale - digits.length)}${digits}`;
  return neg ? `-${out}` : out;
}

/** Decimal text (`-1.50`, `1E+3`, `.5`) → unscaled bigint and scale, keeping the written scale. */
export function parseDecimal(text: string): { unscaled: bigint; scale: number } {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) {
    throw new CdcError('INVALID_ARGUMENT', `'${text}' is not a decimal number.`);
  }
  const frac = m[3] ?? '';
  const unscaledAbs = BigInt(`${m[2] ?? ''}${frac}` || '0');
  const scale = frac.length - Number(m[4] ?? '0');
  return { unscaled: m[1] === '-' ? -unscaledAbs : unscaledAbs, scale };
}

/**
 * Days since 1970-01-01 → `YYYY-MM-DD` (proleptic Gregorian) as PostgreSQL writes it: years before 1 AD
 * as `YYYY-MM-DD BC`, years after 9999 with more digits.
 */
export function daysToIsoDate(days: number): string {
  const { year: y, month: m, day: d } = civilFromDays(days);
  const md = `${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return y >= 1 ? `${String(y).padStart(4, '0')}-${md}` : `${String(1 - y).padStart(4, '0')}-${md} BC`;
}

/** `YYYY-MM-DD` (also `YYYY-MM-DD BC` and signed astronomical years) → days since 1970-01-01. */
export function isoDateToDays(text: string): number {
  const m = /^([+-]?\d{4,})-(\d{2})-(\d{2})( BC)?$/.exec(text.trim());
  if (!m) throw new CdcError('INVALID_ARGUMENT', `'${text}' is not a YYYY-MM-DD date.`);
  const y0 = m[4] ? 1 - Number(m[1]) : Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31)
    throw new CdcError('INVALID_ARGUMENT', `'${text}' is not a valid date.`);
  const y = y0 - (mo <= 2 ? 1 : 0);
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** `HH:MM:SS[.fffffffff]` → nanoseconds since midnight. */
export function parseTimeOfDay(text: string): bigint {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(text.trim());
  if (!m) throw new CdcError('INVALID_ARGUMENT', `'${text}' is not a HH:MM:SS[.fffffffff] time.`);
  const ns =
    ((BigInt(m[1] ?? '0') * 60n + BigInt(m[2] ?? '0')) * 60n + BigInt(m[3] ?? '0')) * 1_000_000_000n +
    BigInt((m[4] ?? '').padEnd(9, '0') || '0');
  if (ns >= 86_400_000_000_000n) throw new CdcError('INVALID_ARGUMENT', `'${text}' is not a time of day.`);
  return ns;
}

/** Parses an IPv4 or IPv6 address (IPv4-mapped and embedded forms included) into 4 or 16 bytes. */
export function parseInet(text: string): Uint8Array {
  const s = text
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  const v4 = (p: string): number[] | undefined => {
    const parts = p.split('.');
    if (parts.length !== 4 || parts.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
    return parts.map(Number);
  };
  const four = v4(s);
  if (four) return Uint8Array.from(four);
  if (!s.includes(':')) throw new CdcError('INVALID_ARGUMENT', `'${text}' is not an IP address.`);
  const halves = s.split('::');
  if (halves.length > 2) throw new CdcError('INVALID_ARGUMENT', `'${text}' is not an IP address.`);
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    items.forEach((item, i) => {
      const tail = i === items.length - 1 ? v4(item) : undefined;
      if (tail) out.push((tail[0] ?? 0) * 256 + (tail[1] ?? 0), (tail[2] ?? 0) * 256 + (tail[3] ?? 0));
      else if (/^[0-9a-fA-F]{1,4}$/.test(item)) out.push(parseInt(item, 16));
      else throw new CdcError('INVALID_ARGUMENT', `'${text}' is not an IP address.`);
    });
    return out;
  };
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) {
    throw new CdcError('INVALID_ARGUMENT', `'${text}' is not an IP address.`);
  }
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/**
 * Address bytes → text as PostgreSQL prints it: dotted IPv4, RFC 5952 IPv6 (longest zero run as `::`),
 * IPv4-mapped IPv6 as `::ffff:a.b.c.d`.
 */
export function formatInet(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) throw new CdcError('INVALID_ARGUMENT', `An inet value has ${bytes.length} bytes.`);
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** 16 bytes of a uuid given as text, bytes, or a driver `Uuid`. */
export function uuidToBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array && value.length === 16) return value;
  if (hasMethod(value, 'getBuffer')) return value.getBuffer() as Uint8Array;
  const hex = String(value).replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex))
    throw new CdcError('INVALID_ARGUMENT', `'${String(value)}' is not a uuid.`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function toBigIntExact(value: unknown, type: CqlType): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) fail('encode (not a safe integer)', value, type);
    return BigInt(value);
  }
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return BigInt(value.trim());
  // driver Long / Integer
  if (typeof value === 'object' && value !== null && hasMethod(value, 'toString')) {
    const s = String(value);
    if (/^[+-]?\d+$/.test(s)) return BigInt(s);
  }
  return fail('encode', value, type);
}

function toBytes(value: unknown, type: CqlType): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    const hex = value.replace(/^(\\x|0x)/i, '');
    if (/^([0-9a-fA-F]{2})*$/.test(hex)) return Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  return fail('encode', value, type);
}

/** Milliseconds since the epoch of a timestamp value: Date, bigint µs (floored), number ms, ISO text. */
export function timestampMillis(
  value: unknown,
  type: CqlType = { kind: 'native', name: 'timestamp' },
): bigint {
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t)) fail('encode', value, type);
    return BigInt(t);
  }
  if (typeof value === 'bigint') return value >= 0n ? value / 1000n : -((-value + 999n) / 1000n);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string') {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return BigInt(t);
  }
  return fail('encode', value, type);
}

function dateDays(value: unknown, type: CqlType): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') return isoDateToDays(value.replace(/[T ]\d{2}:\d{2}.*$/, ''));
  if (value instanceof Date) return Math.floor(value.getTime() / 86_400_000);
  if (hasMethod(value, 'toBuffer')) return (value.toBuffer() as Buffer).readUInt32BE(0) - 2 ** 31;
  return fail('encode', value, type);
}

function timeNanos(value: unknown, type: CqlType): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') return parseTimeOfDay(value);
  if (hasMethod(value, 'getTotalNanoseconds')) return BigInt(String(value.getTotalNanoseconds()));
  return fail('encode', value, type);
}

function durationParts(value: unknown, type: CqlType): { months: number; days: number; nanos: bigint } {
  if (typeof value === 'object' && value !== null && 'months' in value && 'days' in value) {
    const v = value as { months: number; days: number; micros?: unknown; nanoseconds?: unknown };
    if (v.micros !== undefined)
      return { months: v.months, days: v.days, nanos: toBigIntExact(v.micros, type) * 1000n };
    if (v.nanoseconds !== undefined)
      return { months: v.months, days: v.days, nanos: toBigIntExact(v.nanoseconds, type) };
  }
  return fail('encode', value, type);
}

function writeVInt(out: number[], value: bigint): void {
  // CQL duration fields are zig-zag encoded unsigned vints: the count of leading 1-bits of the first
  // byte is the number of extra bytes that follow.
  const zz = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  let size = 9;
  for (let s = 1; s <= 8; s++) {
    if (zz < 1n << BigInt(7 * s)) {
      size = s;
      break;
    }
  }
  const bytes: number[] = [];
  let x = zz;
  for (let i = 0; i < size; i++) {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  }
  const extra = size - 1;
  bytes[0] = ((bytes[0] ?? 0) | ((0xff << (8 - extra)) & 0xff)) & 0xff;
  out.push(...bytes);
}

// ---------------------------------------------------------------------------------------------------
// JS value → CQL wire bytes (protocol v4 value formats)
// ---------------------------------------------------------------------------------------------------

function elementsOf(value: unknown, type: CqlType): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...(value as Set<unknown>)];
  if (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { elements?: unknown }).elements)
  ) {
    return (value as { elements: unknown[] }).elements;
  }
  return fail('encode', value, type);
}

function entriesOf(value: unknown, type: CqlType): [unknown, unknown][] {
  if (value instanceof Map) return [...(value as Map<unknown, unknown>).entries()];
  if (Array.isArray(value)) return value as [unknown, unknown][];
  if (typeof value === 'object' && value !== null) return Object.entries(value);
  return fail('encode', value, type);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Orders serialized set elements / map keys the way CQL stores them (numeric types signed). */
function cqlComparator(type: CqlType): (a: Uint8Array, b: Uint8Array) => number {
  if (type.kind === 'native') {
    switch (type.name) {
      case 'tinyint':
      case 'smallint':
      case 'int':
      case 'bigint':
      case 'counter':
      case 'varint':
        return (a, b) => {
          const x = bytesToBigInt(a);
          const y = bytesToBigInt(b);
          return x < y ? -1 : x > y ? 1 : 0;
        };
      case 'timestamp':
        return (a, b) => {
          const x = bytesToBigInt(a);
          const y = bytesToBigInt(b);
          return x < y ? -1 : x > y ? 1 : 0;
        };
      default:
        return compareBytes;
    }
  }
  return compareBytes;
}

function withLength32(parts: (Uint8Array | null)[]): Uint8Array {
  const size = parts.reduce((n, p) => n + 4 + (p?.length ?? 0), 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const p of parts) {
    view.setInt32(o, p === null ? -1 : p.length);
    o += 4;
    if (p) {
      out.set(p, o);
      o += p.length;
    }
  }
  return out;
}

/**
 * Serializes a JS value to the bytes CQL stores for `type` — what the Murmur3 partitioner hashes.
 * Accepts the values this package decodes and common equivalents from other engines (numbers or
 * numeric strings for integers, Date/bigint µs/ISO text for timestamps, text for uuids and inets, …).
 */
export function serializeCqlValue(value: unknown, type: CqlType): Uint8Array {
  switch (type.kind) {
    case 'native':
      return serializeNative(value, type);
    case 'list':
    case 'set': {
      const items = elementsOf(value, type).map((e) => serializeCqlValue(e, type.element));
      if (type.kind === 'set') {
        const cmp = cqlComparator(type.element);
        items.sort(cmp);
        for (let i = items.length - 1; i > 0; i--)
          if (cmp(items[i] as Uint8Array, items[i - 1] as Uint8Array) === 0) items.splice(i, 1);
      }
      const count = new Uint8Array(4);
      new DataView(count.buffer).setInt32(0, items.length);
      return Buffer.concat([count, withLength32(items)]);
    }
    case 'map': {
      const cmp = cqlComparator(type.key);
      const pairs = entriesOf(value, type)
        .map(
          ([k, v]) =>
            [
              serializeCqlValue(k, type.key),
              v === null || v === undefined ? null : serializeCqlValue(v, type.value),
            ] as const,
        )
        .sort((a, b) => cmp(a[0], b[0]));
      const count = new Uint8Array(4);
      new DataView(count.buffer).setInt32(0, pairs.length);
      return Buffer.concat([count, withLength32(pairs.flatMap(([k, v]) => [k, v]))]);
    }
    case 'tuple': {
      const items = elementsOf(value, type);
      return withLength32(
        type.elements.map((t, i) =>
          items[i] === null || items[i] === undefined ? null : serializeCqlValue(items[i], t),
        ),
      );
    }
    case 'udt': {
      if (!type.fields || typeof value !== 'object' || value === null) return fail('encode', value, type);
      const obj = value as Record<string, unknown>;
      return withLength32(
        type.fields.map((f) =>
          obj[f.name] === null || obj[f.name] === undefined ? null : serializeCqlValue(obj[f.name], f.type),
        ),
      );
    }
    case 'vector': {
      const items = elementsOf(value, type);
      if (items.length !== type.dimension) fail(`encode (expected ${type.dimension} elements)`, value, type);
      return Buffer.concat(items.map((e) => serializeCqlValue(e, type.element)));
    }
    case 'custom':
      return fail('encode', value, type);
  }
}

function serializeNative(value: unknown, type: CqlType & { kind: 'native' }): Uint8Array {
  switch (type.name) {
    case 'ascii':
    case 'text':
    case 'varchar':
      if (typeof value !== 'string') fail('encode', value, type);
      return Buffer.from(value, 'utf8');
    case 'tinyint':
    case 'smallint':
    case 'int': {
      const bits = INT_BITS[type.name];
      const v = toBigIntExact(value, type);
      if (BigInt.asIntN(bits, v) !== v) fail('encode (out of range)', value, type);
      const out = new Uint8Array(bits / 8);
      let x = BigInt.asUintN(bits, v);
      for (let i = out.length - 1; i >= 0; i--) {
        out[i] = Number(x & 0xffn);
        x >>= 8n;
      }
      return out;
    }
    case 'bigint':
    case 'counter': {
      const v = toBigIntExact(value, type);
      if (BigInt.asIntN(64, v) !== v) fail('encode (out of range)', value, type);
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigInt64(0, v);
      return out;
    }
    case 'varint':
      return bigIntToBytes(toBigIntExact(value, type));
    case 'decimal': {
      const { unscaled, scale } = parseDecimal(typeof value === 'string' ? value : String(value));
      const body = bigIntToBytes(unscaled);
      const out = new Uint8Array(4 + body.length);
      new DataView(out.buffer).setInt32(0, scale);
      out.set(body, 4);
      return out;
    }
    case 'float':
    case 'double': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
      if (typeof value !== 'number' && Number.isNaN(n)) fail('encode', value, type);
      const out = new Uint8Array(type.name === 'float' ? 4 : 8);
      const view = new DataView(out.buffer);
      if (type.name === 'float') view.setFloat32(0, n);
      else view.setFloat64(0, n);
      return out;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail('encode', value, type);
      return Uint8Array.of(value ? 1 : 0);
    case 'blob':
      return toBytes(value, type);
    case 'uuid':
    case 'timeuuid':
      return uuidToBytes(value);
    case 'timestamp': {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigInt64(0, timestampMillis(value, type));
      return out;
    }
    case 'date': {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, (dateDays(value, type) + 2 ** 31) >>> 0);
      return out;
    }
    case 'time': {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigInt64(0, timeNanos(value, type));
      return out;
    }
    case 'duration': {
      const d = durationParts(value, type);
      const out: number[] = [];
      writeVInt(out, BigInt(d.months));
      writeVInt(out, BigInt(d.days));
      writeVInt(out, d.nanos);
      return Uint8Array.from(out);
    }
    case 'inet':
      if (value instanceof Uint8Array) return value;
      if (hasMethod(value, 'getBuffer')) return value.getBuffer() as Uint8Array;
      if (typeof value !== 'string') fail('encode', value, type);
      return parseInet(value.replace(/\/\d+$/, ''));
  }
}

// ---------------------------------------------------------------------------------------------------
// Driver value → cdc JS value
// ---------------------------------------------------------------------------------------------------

function isEmptyCollection(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map || v instanceof Set) return v.size === 0;
  return false;
}

/**
 * Decodes a value as cassandra-driver returns it (with `useBigIntAsLong`/`useBigIntAsVarint` or
 * without) into cdc's JS representation for `type`. NULL and empty collections become `null`.
 */
export function decodeCqlValue(value: unknown, type: CqlType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'native':
      return decodeNative(value, type);
    case 'list':
    case 'set':
    case 'vector': {
      const items = elementsOf(value, type);
      if (items.length === 0 && type.kind !== 'vector') return null;
      return items.map((e) => decodeCqlValue(e, type.element));
    }
    case 'map': {
      if (isEmptyCollection(value)) return null;
      const out = new Map<unknown, unknown>();
      for (const [k, v] of entriesOf(value, type))
        out.set(decodeCqlValue(k, type.key), decodeCqlValue(v, type.value));
      return out.size === 0 ? null : out;
    }
    case 'tuple': {
      const items =
        hasMethod(value, 'values') && !Array.isArray(value)
          ? (value.values() as unknown[])
          : elementsOf(value, type);
      return type.elements.map((t, i) => decodeCqlValue(items[i], t));
    }
    case 'udt': {
      if (!type.fields || typeof value !== 'object') return fail('decode', value, type);
      const obj = value as Record<string, unknown>;
      return Object.fromEntries(type.fields.map((f) => [f.name, decodeCqlValue(obj[f.name], f.type)]));
    }
    case 'custom':
      return fail('decode', value, type);
  }
}

function decodeNative(value: unknown, type: CqlType & { kind: 'native' }): unknown {
  switch (type.name) {
    case 'ascii':
    case 'text':
    case 'varchar':
      return String(value);
    case 'tinyint':
    case 'smallint':
    case 'int':
      return typeof value === 'number' ? value : Number(toBigIntExact(value, type));
    case 'bigint':
    case 'counter':
    case 'varint':
      if (value instanceof Uint8Array) return bytesToBigInt(value);
      return toBigIntExact(value, type);
    case 'decimal': {
      if (typeof value === 'string') {
        const d = parseDecimal(value);
        return formatDecimal(d.unscaled, d.scale);
      }
      if (typeof value === 'number') return fail('decode (decimal arrived as a JS number)', value, type);
      const ctor = (value as { constructor?: { toBuffer?: (v: unknown) => Buffer } }).constructor;
      if (ctor && typeof ctor.toBuffer === 'function') {
        const buf = ctor.toBuffer(value);
        return formatDecimal(bytesToBigInt(buf.subarray(4)), buf.readInt32BE(0));
      }
      return fail('decode', value, type);
    }
    case 'float':
      return Math.fround(Number(value));
    case 'double':
      return Number(value);
    case 'boolean':
      return Boolean(value);
    case 'blob':
      return value instanceof Uint8Array ? value : fail('decode', value, type);
    case 'uuid':
    case 'timeuuid':
      return String(value).toLowerCase();
    case 'timestamp':
      if (value instanceof Date) return value;
      return new Date(Number(timestampMillis(value, type)));
    case 'date':
      return daysToIsoDate(dateDays(value, type));
    case 'time':
      return timeNanos(value, type);
    case 'duration': {
      const d = durationParts(value, type);
      // Floor toward −∞ so negative sub-microsecond durations round like PostgreSQL intervals would.
      const micros = d.nanos >= 0n ? d.nanos / 1000n : -((-d.nanos + 999n) / 1000n);
      return { months: d.months, days: d.days, micros } satisfies ScyllaDuration;
    }
    case 'inet':
      if (hasMethod(value, 'getBuffer')) return formatInet(value.getBuffer() as Uint8Array);
      if (value instanceof Uint8Array) return formatInet(value);
      return formatInet(parseInet(String(value)));
  }
}

// ---------------------------------------------------------------------------------------------------
// cdc JS value → driver parameter (for prepared lookups; the driver encodes by the prepared metadata)
// ---------------------------------------------------------------------------------------------------

/**
 * Converts a JS value to what cassandra-driver accepts as a parameter of `type` (with
 * `useBigIntAsLong`/`useBigIntAsVarint`). Driver value classes come from the injected module so
 * the driver's own `instanceof` checks pass.
 */
export function toDriverParam(value: unknown, type: CqlType, types: ScyllaDriverTypes): unknown {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'native':
      switch (type.name) {
        case 'tinyint':
        case 'smallint':
        case 'int':
          return Number(toBigIntExact(value, type));
        case 'bigint':
        case 'counter':
        case 'varint':
          return toBigIntExact(value, type);
        case 'decimal': {
          const d = parseDecimal(String(value));
          return types.BigDecimal.fromString(formatDecimal(d.unscaled, d.scale));
        }
        case 'float':
        case 'double':
          return typeof value === 'number' ? value : Number(value);
        case 'blob':
          return Buffer.from(toBytes(value, type));
        case 'uuid':
          return types.Uuid.fromString(formatUuid(uuidToBytes(value)));
        case 'timeuuid':
          return types.TimeUuid.fromString(formatUuid(uuidToBytes(value)));
        case 'timestamp':
          return new Date(Number(timestampMillis(value, type)));
        case 'date':
          return types.LocalDate.fromBuffer(Buffer.from(serializeNative(value, type)));
        case 'time':
          return types.LocalTime.fromBuffer(Buffer.from(serializeNative(value, type)));
        case 'duration':
          return types.Duration.fromBuffer(Buffer.from(serializeNative(value, type)));
        case 'inet':
          return new types.InetAddress(Buffer.from(serializeNative(value, type)));
        default:
          return value;
      }
    case 'list':
    case 'set':
    case 'vector':
      return elementsOf(value, type).map((e) => toDriverParam(e, type.element, types));
    case 'map': {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of entriesOf(value, type))
        out.set(toDriverParam(k, type.key, types), toDriverParam(v, type.value, types));
      return out;
    }
    case 'tuple': {
      const items = elementsOf(value, type);
      return types.Tuple.fromArray(type.elements.map((t, i) => toDriverParam(items[i], t, types)));
    }
    case 'udt': {
      const obj = value as Record<string, unknown>;
      return Object.fromEntries(
        (type.fields ?? []).map((f) => [f.name, toDriverParam(obj[f.name], f.type, types)]),
      );
    }
    case 'custom':
      return fail('encode', value, type);
  }
}

/** 16 bytes → lowercase 8-4-4-4-12 text. */
export function formatUuid(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
