/**
 * Values in and out of tedious. Out: driver values + column metadata → the JS values cdc compares
 * (`docs/normalization.md`): nothing exact passes through a JS number (bigint → bigint, decimals and money
 * are selected as text), instants keep microseconds (tedious' `nanosecondsDelta` added back), uuids are
 * lowercase. In: key values → typed parameters that SQL Server casts back to the column's exact type.
 */
import { CdcError, type Column, type LogicalType } from '@cdc/core';

/** A JS Date as tedious returns it for time/datetime2/datetimeoffset (sub-millisecond part in seconds). */
type TediousDate = Date & { nanosecondsDelta?: number };

function fail(column: Column, value: unknown, why: string): never {
  let shown: string;
  try {
    shown = typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  throw new CdcError(
    'INVALID_ARGUMENT',
    `Column "${column.name}" (${column.nativeType}): ${why} (value ${shown.slice(0, 60)}).`,
  );
}

/** Sub-millisecond 100-ns units tedious carries in `nanosecondsDelta` (seconds, a float). */
function hundredNanosOf(value: TediousDate): number {
  const delta = value.nanosecondsDelta ?? 0;
  // nanosecondsDelta = (ticks % 10000) / 1e7 in floating point: round back to the integer tick count.
  return Math.round(delta * 1e7);
}

/** Microseconds since the epoch of a tedious date (UTC mode), floored from 100-ns ticks. */
export function tediousDateToEpochMicros(value: TediousDate): bigint {
  return BigInt(value.getTime()) * 1000n + BigInt(Math.floor(hundredNanosOf(value) / 10));
}

function sixDigitFraction(value: TediousDate): string {
  const ms = value.getUTCMilliseconds();
  const micros = ms * 1000 + Math.floor(hundredNanosOf(value) / 10);
  return String(micros).padStart(6, '0');
}

function isoDate(value: Date): string {
  return value.toISOString().slice(0, 10);
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff` of a UTC tedious date (no zone designator). */
export function tediousDateToIsoMicros(value: TediousDate): string {
  return `${value.toISOString().slice(0, 19)}.${sixDigitFraction(value)}`;
}

/**
 * Decodes one value tedious returned for `column` (selected through {@link selectExpression}).
 * Output per logical kind: bool → boolean; int16/int32 → number; int64 → bigint; numeric → decimal
 * string as SQL Server printed it; float32/float64 → number; text/json → string; bytes → Buffer;
 * uuid → lowercase string; date → `YYYY-MM-DD`; time → `HH:MM:SS.ffffff`; timestamp →
 * `YYYY-MM-DDTHH:MM:SS.ffffff`; timestamptz → the same in UTC with `Z`. NULL → null.
 */
export function decodeSqlServerValue(column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const kind = column.type.kind;
  switch (kind) {
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      return fail(column, value, 'expected a bit');
    case 'int16':
    case 'int32':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
      return fail(column, value, 'expected an integer');
    case 'int64':
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      return fail(column, value, 'expected a bigint (tedious returns bigint as a string)');
    case 'numeric':
      if (typeof value === 'string' && /^-?(\d+\.?\d*|\.\d+)$/.test(value)) return value;
      if (typeof value === 'number') {
        return fail(
          column,
          value,
          'a decimal arrived as a JS number and may have lost digits; select it as text',
        );
      }
      return fail(column, value, 'expected decimal text');
    case 'float32':
    case 'float64':
      if (typeof value === 'number') return value;
      return fail(column, value, 'expected a float');
    case 'text':
    case 'json':
      if (typeof value === 'string') return value;
      return fail(column, value, 'expected a string');
    case 'bytes':
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value);
      return fail(column, value, 'expected binary data');
    case 'uuid':
      if (
        typeof value === 'string' &&
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
      ) {
        return value.toLowerCase();
      }
      return fail(column, value, 'expected a uniqueidentifier');
    case 'date':
      if (value instanceof Date) return isoDate(value);
      return fail(column, value, 'expected a date');
    case 'time':
      if (value instanceof Date) return `${value.toISOString().slice(11, 19)}.${sixDigitFraction(value)}`;
      return fail(column, value, 'expected a time');
    case 'timestamp':
      if (value instanceof Date) return tediousDateToIsoMicros(value);
      return fail(column, value, 'expected a datetime');
    case 'timestamptz':
      if (value instanceof Date) return `${tediousDateToIsoMicros(value)}Z`;
      return fail(column, value, 'expected a datetimeoffset');
    default:
      return fail(column, value, `logical type ${kind} is not produced by SQL Server`);
  }
}

/** Decodes a whole row (column name → tedious value) for the given columns. */
export function decodeSqlServerRow(columns: readonly Column[], raw: Readonly<Record<string, unknown>>) {
  const row: Record<string, unknown> = {};
  for (const c of columns) row[c.name] = decodeSqlServerValue(c, raw[c.name]);
  return row;
}

/** A parameter as tedious should send it: the SQL text refers to it through `sql`. */
export interface SqlServerParam {
  /** tedious TYPES member to bind with. */
  type: 'NVarChar' | 'VarBinary' | 'BigInt' | 'Int' | 'Binary';
  value: string | Buffer | number | null;
  /** Length for Binary parameters. */
  length?: number;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function microsToIso(micros: bigint): string {
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const sub = micros - ms * 1000n;
  const d = new Date(Number(ms));
  return `${d.toISOString().slice(0, 23)}${pad(Number(sub), 3)}`;
}

function instantText(column: Column, value: unknown, kind: LogicalType['kind']): string {
  if (value instanceof Date) {
    const nanos = (value as TediousDate).nanosecondsDelta;
    const iso = nanos === undefined ? value.toISOString().slice(0, 23) : tediousDateToIsoMicros(value);
    return kind === 'timestamptz' ? `${iso}+00:00` : iso;
  }
  if (typeof value === 'bigint')
    return kind === 'timestamptz' ? `${microsToIso(value)}+00:00` : microsToIso(value);
  if (typeof value === 'string') {
    const t = value.trim().replace(' ', 'T');
    if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(t)) {
      return fail(column, value, 'not an ISO-8601 date-time');
    }
    return t.replace(/Z$/, '+00:00');
  }
  return fail(column, value, 'expected a Date, an ISO string or bigint microseconds');
}

/**
 * Encodes a JS value for comparison with `column` in a WHERE clause. Everything but binary travels as
 * text and is cast back to the column's exact type in SQL ({@link paramCastSql}), which sidesteps
 * tedious' lossy numeric parameters (money truncation, decimals through floats).
 */
export function encodeSqlServerParam(column: Column, value: unknown): SqlServerParam {
  if (value === null || value === undefined) return { type: 'NVarChar', value: null };
  const kind = column.type.kind;
  switch (kind) {
    case 'bool':
      if (typeof value === 'boolean') return { type: 'NVarChar', value: value ? '1' : '0' };
      if (value === 0 || value === 1 || value === '0' || value === '1' || value === 't' || value === 'f') {
        return { type: 'NVarChar', value: value === 1 || value === '1' || value === 't' ? '1' : '0' };
      }
      return fail(column, value, 'expected a boolean');
    case 'int16':
    case 'int32':
    case 'int64':
      if (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))) {
        return { type: 'NVarChar', value: String(value) };
      }
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return { type: 'NVarChar', value };
      return fail(column, value, 'expected an integer');
    case 'numeric':
      if (typeof value === 'string' && /^-?(\d+\.?\d*|\.\d+)$/.test(value))
        return { type: 'NVarChar', value };
      if (typeof value === 'bigint') return { type: 'NVarChar', value: String(value) };
      if (typeof value === 'number' && Number.isFinite(value) && !/e/i.test(String(value))) {
        return { type: 'NVarChar', value: String(value) };
      }
      return fail(column, value, 'expected decimal text');
    case 'float32':
    case 'float64':
      if (typeof value === 'number' && Number.isFinite(value))
        return { type: 'NVarChar', value: String(value) };
      if (typeof value === 'string' && /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(value)) {
        return { type: 'NVarChar', value };
      }
      return fail(column, value, 'expected a finite number (SQL Server has no NaN or Infinity)');
    case 'text':
    case 'json':
      if (typeof value === 'string') return { type: 'NVarChar', value };
      return fail(column, value, 'expected a string');
    case 'bytes':
      if (value instanceof Uint8Array) return { type: 'VarBinary', value: Buffer.from(value) };
      if (typeof value === 'string' && /^(\\x|0x)?([0-9a-f]{2})*$/i.test(value)) {
        return { type: 'VarBinary', value: Buffer.from(value.replace(/^(\\x|0x)/i, ''), 'hex') };
      }
      return fail(column, value, 'expected bytes');
    case 'uuid':
      if (
        typeof value === 'string' &&
        /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(value)
      ) {
        return { type: 'NVarChar', value: value.toLowerCase() };
      }
      return fail(column, value, 'expected a uuid');
    case 'date':
      if (value instanceof Date) return { type: 'NVarChar', value: isoDate(value) };
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return { type: 'NVarChar', value };
      if (typeof value === 'number' && Number.isInteger(value)) {
        return { type: 'NVarChar', value: isoDate(new Date(value * 86_400_000)) };
      }
      return fail(column, value, 'expected YYYY-MM-DD');
    case 'time':
      if (value instanceof Date) return { type: 'NVarChar', value: tediousDateToIsoMicros(value).slice(11) };
      if (typeof value === 'string' && /^\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/.test(value))
        return { type: 'NVarChar', value };
      if (typeof value === 'bigint' && value >= 0n && value < 86_400_000_000n) {
        return { type: 'NVarChar', value: microsToIso(value).slice(11) };
      }
      return fail(column, value, 'expected HH:MM:SS[.fffffff]');
    case 'timestamp':
    case 'timestamptz':
      return { type: 'NVarChar', value: instantText(column, value, kind) };
    default:
      return fail(column, value, `logical type ${kind} cannot be a SQL Server parameter`);
  }
}
