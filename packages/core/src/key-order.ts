/**
 * The canonical key order that ordered scans promise (`Capabilities.orderedScan`): integers and decimals
 * numerically, text by UTF-8 bytes, bytes bytewise, uuid by canonical text, dates and instants by time.
 * The stream strategy merges two scans with it, and checks each scan against it.
 */
import { canonicalText, compareUtf8 } from './canonical.js';
import type { LogicalType } from './logical-type.js';
import type { Key } from './schema.js';

function compareDecimalText(a: string, b: string): number {
  if (a === b) return 0;
  const special = (s: string) => (s === 'NaN' ? 2 : s === 'Infinity' ? 1 : s === '-Infinity' ? -1 : 0);
  const sa = special(a);
  const sb = special(b);
  if (sa !== 0 || sb !== 0) return sa === sb ? 0 : sa === 0 ? -sb : sb === 0 ? sa : sa - sb;
  const na = a.startsWith('-');
  const nb = b.startsWith('-');
  if (na !== nb) return na ? -1 : 1;
  const abs = (s: string) => (s.startsWith('-') ? s.slice(1) : s);
  const [ia = '', fa = ''] = abs(a).split('.');
  const [ib = '', fb = ''] = abs(b).split('.');
  let c = ia.length - ib.length;
  if (c === 0) c = ia < ib ? -1 : ia > ib ? 1 : fa < fb ? -1 : fa > fb ? 1 : 0;
  return na ? -c : c;
}

/** Compares two non-NULL key values of one logical type in canonical key order. NULL sorts first. */
export function compareKeyValues(a: unknown, b: unknown, type: LogicalType): number {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull === bNull ? 0 : aNull ? -1 : 1;
  switch (type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      return compareDecimalText(canonicalText(a, type), canonicalText(b, type));
    case 'numeric':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return compareDecimalText(canonicalText(a, type), canonicalText(b, type));
    case 'text':
      return compareUtf8(a as string, b as string);
    case 'float32':
    case 'float64': {
      const x = Number(a);
      const y = Number(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default: {
      const x = canonicalText(a, type);
      const y = canonicalText(b, type);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

/** Compares two key tuples lexicographically in canonical key order. */
export function compareKeys(a: Key, b: Key, types: readonly LogicalType[]): number {
  for (let i = 0; i < types.length; i++) {
    const c = compareKeyValues(a[i], b[i], types[i] as LogicalType);
    if (c !== 0) return c;
  }
  return 0;
}
