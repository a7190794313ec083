/**
 * Values between mysql2 and cdc: decoding what the driver returns (with the pool options of
 * `mysql2PoolOptions`) into the JS forms `canonicalText` accepts, and encoding key values from either
 * side of a comparison as typed statement parameters.
 */
import { CdcError, canonicalText, civilFromDays, type Column } from '@cdc/core';

/** `bit(n)` width from a native type, `undefined` for other types. */
export function bitWidth(column: Column): number | undefined {
  const m = /^bit\((\d+)\)/.exec(column.nativeType);
  return m ? Number(m[1]) : undefined;
}

/** True for integer types declared `unsigned`. */
export function isUnsigned(column: Column): boolean {
  return /\bunsigned\b/.test(column.nativeType);
}

/**
 * One value as mysql2 returned it → the JS form of `docs/normalization.md`:
 * `tinyint(1)` and `bit(1)` → boolean (any non-zero value is true); TIMESTAMP text (the session is UTC)
 * → ISO text with `Z`; everything else as the driver gives it (exact strings for BIGINT, DECIMAL,
 * dates and JSON; numbers for floats selected as doubles; Buffers for binary and bit strings).
 */
export function decodeMysqlValue(column: Column, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  switch (column.type.kind) {
    case 'bool':
      if (raw instanceof Uint8Array) return raw.some((b) => b !== 0);
      return Number(raw) !== 0;
    case 'float32':
    case 'float64':
      return typeof raw === 'string' ? Number(raw) : raw;
    case 'timestamptz':
      return typeof raw === 'string' && !raw.startsWith('0000-00-00') ? `${raw.replace(' ', 'T')}Z` : raw;
    default:
      return raw;
  }
}

/** A statement fragment with one `?` and the value bound to it. */
export interface MysqlParam {
  sql: string;
  value: unknown;
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? `-${s}` : s;
}

function dateText(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

function timeOfDayText(micros: bigint): string {
  const us = Number(micros % 1_000_000n);
  const s = Number(micros / 1_000_000n);
  return `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}.${pad(us, 6)}`;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` of epoch microseconds (wall clock / UTC). */
export function microsToDateTimeText(micros: bigint): string {
  const day = 86_400_000_000n;
  let days = micros / day;
  let rest = micros % day;
  if (rest < 0n) {
    rest += day;
    days -= 1n;
  }
  return `${dateText(Number(days))} ${timeOfDayText(rest)}`;
}

const NO_MATCH: MysqlParam = { sql: 'NULL', value: undefined };

/**
 * A key value of `column` — from this source or from the other side of a comparison (any JS form
 * `canonicalText` accepts) — as a typed parameter comparable with the column: integers and decimals
 * cast exactly (never compared as doubles), instants as `DATETIME(6)` text, bytes as a Buffer. A value
 * the column can never hold (a NaN numeric, an infinite date) becomes `NULL`, which matches nothing.
 */
export function encodeMysqlKey(column: Column, value: unknown): MysqlParam {
  if (value === null || value === undefined) return NO_MATCH;
  const type = column.type;
  const canonical = canonicalText(value, type);
  switch (type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
      return { sql: 'CAST(? AS SIGNED)', value: canonical };
    case 'numeric': {
      if (!/^-?\d+(\.\d+)?$/.test(canonical)) return NO_MATCH;
      const precision = Math.min(65, type.precision ?? 65);
      const scale = Math.min(30, type.scale ?? 30, precision);
      return { sql: `CAST(? AS DECIMAL(${precision},${scale}))`, value: canonical };
    }
    case 'float32':
    case 'float64': {
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(n)) return NO_MATCH;
      return { sql: 'CAST(? AS DOUBLE)', value: String(type.kind === 'float32' ? Math.fround(n) : n) };
    }
    case 'bool':
      return { sql: '?', value: canonical === 't' ? 1 : 0 };
    case 'text':
      return { sql: '?', value: canonical.slice(canonical.indexOf(':') + 1) };
    case 'bytes': {
      const bits = bitWidth(column);
      if (bits !== undefined)
        return { sql: 'CAST(? AS UNSIGNED)', value: BigInt(`0x0${canonical}`).toString() };
      return { sql: '?', value: Buffer.from(canonical, 'hex') };
    }
    case 'uuid':
      return { sql: '?', value: canonical };
    case 'date':
      if (!/^-?\d+$/.test(canonical)) return NO_MATCH;
      return { sql: 'CAST(? AS DATE)', value: dateText(Number(canonical)) };
    case 'timestamp':
    case 'timestamptz':
      if (!/^-?\d+$/.test(canonical)) return NO_MATCH;
      return { sql: 'CAST(? AS DATETIME(6))', value: microsToDateTimeText(BigInt(canonical)) };
    case 'time':
      return { sql: 'CAST(? AS TIME(6))', value: timeOfDayText(BigInt(canonical)) };
    default:
      throw new CdcError(
        'INVALID_ARGUMENT',
        `Column "${column.name}" (${column.nativeType}) cannot be used as a key by cdc's MariaDB/MySQL source.`,
        { hint: 'Choose key columns of integer, decimal, text, binary, date/time or uuid types.' },
      );
  }
}
