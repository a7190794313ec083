/**
 * The sweep's segments as stored in its checkpoint: ranges whose key bounds keep their JavaScript types
 * (bigint, Date, bytes) through JSON, so a restarted worker resumes with exactly the ranges it planned.
 */
import type { Range } from '../connector.js';
import { CdcError } from '../errors.js';

type Tagged =
  | { $bigint: string }
  | { $date: string }
  | { $bytes: string }
  | { $undefined: true }
  | { $object: Record<string, unknown> };

function encodeValue(value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() } satisfies Tagged;
  if (value instanceof Date) return { $date: value.toISOString() } satisfies Tagged;
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('hex') } satisfies Tagged;
  if (value === undefined) return { $undefined: true } satisfies Tagged;
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value !== null && typeof value === 'object') {
    return {
      $object: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeValue(v)])),
    } satisfies Tagged;
  }
  return value;
}

function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value === null || typeof value !== 'object') return value;
  const v = value as Partial<Record<string, unknown>>;
  if (typeof v.$bigint === 'string') return BigInt(v.$bigint);
  if (typeof v.$date === 'string') return new Date(v.$date);
  if (typeof v.$bytes === 'string') return Buffer.from(v.$bytes, 'hex');
  if (v.$undefined === true) return undefined;
  if (v.$object && typeof v.$object === 'object') {
    return Object.fromEntries(Object.entries(v.$object).map(([k, x]) => [k, decodeValue(x)]));
  }
  throw new CdcError(
    'INVALID_ARGUMENT',
    `unreadable value in a stored sweep segment: ${JSON.stringify(value)}`,
    {
      hint: 'the checkpoint was written by another version; the sweep starts a new cycle',
    },
  );
}

/** JSON text of a cycle's segments (`null` = the whole table). */
export function encodeSegments(segments: readonly (Range | undefined)[]): string {
  return JSON.stringify(segments.map((s) => (s === undefined ? null : encodeValue(s))));
}

/** The segments {@link encodeSegments} stored. Throws `INVALID_ARGUMENT` for text it did not write. */
export function decodeSegments(text: string): (Range | undefined)[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) {
    throw new CdcError('INVALID_ARGUMENT', 'a stored sweep checkpoint holds no list of segments', {
      hint: 'the sweep starts a new cycle',
    });
  }
  return parsed.map((s) => {
    if (s === null) return undefined;
    const range = decodeValue(s) as Range;
    if (!range || !['key', 'token', 'hash'].includes((range as { kind?: string }).kind ?? '')) {
      throw new CdcError('INVALID_ARGUMENT', `a stored sweep segment is not a range: ${JSON.stringify(s)}`, {
        hint: 'the sweep starts a new cycle',
      });
    }
    return range;
  });
}
