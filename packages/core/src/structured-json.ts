/**
 * Structured values (list, set, map, tuple, udt) written as JSON: the layout of `docs/normalization.md`
 * ("How a structured value is stored in jsonb") that sinks store in jsonb columns. `canonicalText` reads
 * the same layout back, so a jsonb copy compares equal to its source value.
 */
import {
  canonicalJson,
  canonicalNumeric,
  canonicalText,
  civilFromDays,
  decodeStructuredJson,
  describeType,
} from './canonical.js';
import { CdcError } from './errors.js';
import type { LogicalType } from './logical-type.js';

const MICROS_PER_DAY = 86_400_000_000n;
const STRUCTURED = new Set<LogicalType['kind']>(['list', 'set', 'map', 'tuple', 'udt']);
/** Key kinds written as the JSON text of the key rather than as the key's JSON string content. */
const KEY_AS_JSON = new Set<LogicalType['kind']>(['bool', 'interval', 'json', ...STRUCTURED]);

/**
 * The JSON text of `value` as a value of `type` in the stored layout, or `null` for NULL. Meant for the
 * structured kinds, but every logical type has a layout (it is how elements, fields and keys are written).
 * A string given for a structured type is taken as that layout already (validated and rewritten).
 * @throws CdcError `INVALID_ARGUMENT` when `value` is not a valid `type`.
 */
export function structuredToJson(value: unknown, type: LogicalType): string | null {
  if (value === null || value === undefined) return null;
  return encode(value, type);
}

function invalid(type: LogicalType, why: string): CdcError {
  return new CdcError('INVALID_ARGUMENT', `Cannot store a ${describeType(type)} value as JSON: ${why}`, {
    hint: 'Values must be the JS representations listed in docs/normalization.md ("Accepted JS values").',
  });
}

function encode(value: unknown, type: LogicalType): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string' && STRUCTURED.has(type.kind)) {
    return encode(decodeStructuredJson(value, type), type);
  }
  switch (type.kind) {
    case 'int16':
    case 'int32':
      return canonicalText(value, type);
    case 'int64':
      return JSON.stringify(canonicalText(value, type));
    case 'numeric':
      return JSON.stringify(numericText(value, type));
    case 'float32':
    case 'float64':
      return floatJson(value, type);
    case 'bool':
      return canonicalText(value, type) === 't' ? 'true' : 'false';
    case 'text':
      if (typeof value !== 'string') throw invalid(type, 'expected a string');
      return JSON.stringify(value);
    case 'bytes':
      return JSON.stringify(`\\x${canonicalText(value, type)}`);
    case 'uuid':
      return JSON.stringify(canonicalText(value, type));
    case 'date':
      return JSON.stringify(dateText(value, type));
    case 'time':
      return JSON.stringify(timeText(value, type));
    case 'timestamp':
    case 'timestamptz':
      return JSON.stringify(instantText(value, type));
    case 'interval':
      return intervalJson(value, type);
    case 'inet':
      canonicalText(value, type);
      return JSON.stringify((value as string).trim());
    case 'json':
      return canonicalJson(value);
    case 'list':
    case 'set':
      return `[${elementsOf(value, type)
        .map((e) => encode(e, type.element))
        .join(',')}]`;
    case 'tuple': {
      const items = elementsOf(value, type);
      if (items.length !== type.elements.length) {
        throw invalid(type, `expected ${type.elements.length} elements, got ${items.length}`);
      }
      return `[${items.map((e, i) => encode(e, type.elements[i] as LogicalType)).join(',')}]`;
    }
    case 'map':
      return `{${entriesOf(value, type)
        .map(([k, v]) => `${JSON.stringify(keyText(k, type.key))}:${encode(v, type.value)}`)
        .join(',')}}`;
    case 'udt': {
      if (typeof value !== 'object' || Array.isArray(value)) throw invalid(type, 'expected an object');
      const get = (name: string): unknown =>
        value instanceof Map
          ? (value as Map<string, unknown>).get(name)
          : (value as Record<string, unknown>)[name];
      return `{${type.fields.map((f) => `${JSON.stringify(f.name)}:${encode(get(f.name), f.type)}`).join(',')}}`;
    }
  }
}

function elementsOf(value: unknown, type: LogicalType): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...(value as Set<unknown>)];
  throw invalid(type, 'expected an array');
}

function entriesOf(value: unknown, type: LogicalType): [unknown, unknown][] {
  if (value instanceof Map) return [...(value as Map<unknown, unknown>)];
  if (Array.isArray(value)) {
    return value.map((p: unknown) => {
      if (!Array.isArray(p) || p.length !== 2) throw invalid(type, 'expected [key, value] pairs');
      return [p[0], p[1]] as [unknown, unknown];
    });
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    return Object.entries(value as Record<string, unknown>);
  }
  throw invalid(type, 'expected a Map, [key, value] pairs or a plain object');
}

/** A map key as a JSON object key: a key written as a JSON string is that string, any other its JSON text. */
function keyText(key: unknown, type: LogicalType): string {
  if (key === null || key === undefined) throw invalid(type, 'map keys cannot be NULL');
  const json = encode(key, type);
  return !KEY_AS_JSON.has(type.kind) && json.startsWith('"') ? (JSON.parse(json) as string) : json;
}

/** Decimal text as written (the scale is kept for readers of the jsonb), validated. */
function numericText(value: unknown, type: LogicalType): string {
  const canonical = canonicalNumeric(value, type);
  if (typeof value === 'string') return /[0-9]/.test(value) ? value.trim() : canonical;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : canonical;
}

/** A JSON number (shortest text that reads back as the same binary64), or "NaN"/"Infinity"/"-Infinity". */
function floatJson(value: unknown, type: LogicalType): string {
  const canonical = canonicalText(value, type);
  if (canonical === 'NaN' || canonical === 'Infinity' || canonical === '-Infinity') {
    return JSON.stringify(canonical);
  }
  const n = typeof value === 'number' ? value : Number(typeof value === 'string' ? value.trim() : value);
  return String(type.kind === 'float32' ? Math.fround(n) : n === 0 ? 0 : n);
}

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

/** Proleptic Gregorian date of days since 1970-01-01 as ISO 8601 (expanded `±YYYYYY` outside 0000–9999). */
function isoDate(days: number): string {
  const { year: y, month: m, day: d } = civilFromDays(days);
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : `${y < 0 ? '-' : '+'}${pad(Math.abs(y), 6)}`;
  return `${year}-${pad(m, 2)}-${pad(d, 2)}`;
}

function dateText(value: unknown, type: LogicalType): string {
  const canonical = canonicalText(value, type);
  if (canonical === 'Infinity') return 'infinity';
  if (canonical === '-Infinity') return '-infinity';
  return typeof value === 'string' ? value.trim() : isoDate(Number(canonical));
}

/** `HH:MM:SS[.fffffffff]`: bigint nanoseconds keep every digit (comparison floors them to µs). */
function timeText(value: unknown, type: LogicalType): string {
  canonicalText(value, type);
  if (typeof value === 'string') return value.trim();
  const nanos = value as bigint;
  const seconds = nanos / 1_000_000_000n;
  const fraction = pad(nanos % 1_000_000_000n, 9).replace(/0+$/, '');
  const hms = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}`;
  return fraction === '' ? hms : `${hms}.${fraction}`;
}

/** ISO 8601; `timestamptz` in UTC with `Z`, `timestamp` without a zone. Strings are kept as written. */
function instantText(value: unknown, type: LogicalType): string {
  const canonical = canonicalText(value, { kind: 'timestamp', precision: 6 });
  if (canonical === 'Infinity') return 'infinity';
  if (canonical === '-Infinity') return '-infinity';
  if (typeof value === 'string') return value.trim();
  const micros = BigInt(canonical);
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    days -= 1n;
    rest += MICROS_PER_DAY;
  }
  const seconds = rest / 1_000_000n;
  const fraction = pad(rest % 1_000_000n, 6).replace(/0+$/, '');
  const time = `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}`;
  const text = `${isoDate(Number(days))}T${time}${fraction === '' ? '' : `.${fraction}`}`;
  return type.kind === 'timestamptz' ? `${text}Z` : text;
}

/** `{"months":m,"days":d,"micros":"µ"}` (or `"nanos"` when given nanoseconds); strings are kept as written. */
function intervalJson(value: unknown, type: LogicalType): string {
  canonicalText(value, type);
  if (typeof value === 'string') return JSON.stringify(value.trim());
  const o = value as { months?: unknown; days?: unknown; micros?: unknown; nanos?: unknown };
  const int = (v: unknown): string => canonicalText(v ?? 0, { kind: 'int64' });
  const small = `"months":${int(o.months)},"days":${int(o.days)}`;
  if (o.micros === undefined && o.nanos !== undefined) return `{${small},"nanos":"${int(o.nanos)}"}`;
  return `{${small},"micros":"${int(o.micros)}"}`;
}
