/**
 * SQL Server log sequence numbers (10-byte `binary(10)` values) and the replication position built from
 * them: the text form tools print (`00000025:00000d08:0025`), ordering, increment and position strings.
 */
import { CdcError } from '@cdc/core';

/** A 10-byte SQL Server LSN as 20 lowercase hex digits (byte order = sort order). */
export type Lsn = string & { readonly __lsn: unique symbol };

const HEX20 = /^[0-9a-f]{20}$/;
const TEXT_FORM = /^([0-9a-fA-F]{8}):([0-9a-fA-F]{8}):([0-9a-fA-F]{4})$/;

/** The smallest LSN (all zero bytes). */
export const ZERO_LSN = '00000000000000000000' as Lsn;
/** The largest LSN (all `ff` bytes). */
export const MAX_LSN = 'ffffffffffffffffffff' as Lsn;

/**
 * Parses an LSN from its text form (`00000025:00000d08:0025`), 20 hex digits (with or without `0x`),
 * or the 10-byte buffer tedious returns for `binary(10)`.
 */
export function parseLsn(input: string | Uint8Array): Lsn {
  if (typeof input !== 'string') {
    if (input.length !== 10) {
      throw new CdcError('INVALID_ARGUMENT', `An LSN has 10 bytes, got ${input.length}.`);
    }
    return Buffer.from(input).toString('hex') as Lsn;
  }
  const text = input.trim();
  const m = TEXT_FORM.exec(text);
  if (m) return `${m[1]}${m[2]}${m[3]}`.toLowerCase() as Lsn;
  const hex = text.replace(/^0x/i, '').toLowerCase();
  if (HEX20.test(hex)) return hex as Lsn;
  throw new CdcError('INVALID_ARGUMENT', `"${input}" is not a SQL Server LSN.`, {
    hint: 'Write it as 00000025:00000d08:0025 (hex 8:8:4) or as 20 hex digits (0x0000002500000d080025).',
  });
}

/** The text form `vlf:block:slot`, e.g. `00000025:00000d08:0025`. */
export function formatLsn(lsn: Lsn): string {
  return `${lsn.slice(0, 8)}:${lsn.slice(8, 16)}:${lsn.slice(16)}`;
}

/** The 10 bytes, for binding as a `binary(10)` parameter. */
export function lsnToBuffer(lsn: Lsn): Buffer {
  return Buffer.from(lsn, 'hex');
}

/** `-1`, `0` or `1`. Fixed-width lowercase hex compares like the bytes. */
export function compareLsn(a: Lsn, b: Lsn): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The next LSN (what `sys.fn_cdc_increment_lsn` returns). Throws past the maximum. */
export function incrementLsn(lsn: Lsn): Lsn {
  const value = BigInt(`0x${lsn}`) + 1n;
  if (value >= 1n << 80n) throw new CdcError('INVALID_ARGUMENT', 'Cannot increment the maximum LSN.');
  return value.toString(16).padStart(20, '0') as Lsn;
}

/** The previous LSN (what `sys.fn_cdc_decrement_lsn` returns). Throws below zero. */
export function decrementLsn(lsn: Lsn): Lsn {
  const value = BigInt(`0x${lsn}`) - 1n;
  if (value < 0n) throw new CdcError('INVALID_ARGUMENT', 'Cannot decrement the zero LSN.');
  return value.toString(16).padStart(20, '0') as Lsn;
}

/** The larger of two LSNs. */
export function maxLsn(a: Lsn, b: Lsn): Lsn {
  return compareLsn(a, b) >= 0 ? a : b;
}

/**
 * Where a SQL Server change stream stands: after every change of transaction `lsn` (no `seqval`),
 * or after the change `(lsn, seqval, operation)` inside a transaction split across batches.
 */
export interface SqlServerPosition {
  lsn: Lsn;
  seqval?: Lsn;
  operation?: number;
}

/**
 * Orders positions by (commit LSN, seqval, operation); a whole-transaction position sorts after every
 * change of its transaction.
 */
export function comparePosition(a: SqlServerPosition, b: SqlServerPosition): -1 | 0 | 1 {
  const byLsn = compareLsn(a.lsn, b.lsn);
  if (byLsn !== 0) return byLsn;
  const sa = a.seqval ?? MAX_LSN;
  const sb = b.seqval ?? MAX_LSN;
  const bySeq = compareLsn(sa, sb);
  if (bySeq !== 0) return bySeq;
  const oa = a.seqval === undefined ? 5 : (a.operation ?? 5);
  const ob = b.seqval === undefined ? 5 : (b.operation ?? 5);
  return oa < ob ? -1 : oa > ob ? 1 : 0;
}

/** Position string: `<lsn>` after a whole transaction, `<lsn>/<seqval>/<operation>` inside one. */
export function formatPosition(position: SqlServerPosition): string {
  if (position.seqval === undefined) return formatLsn(position.lsn);
  return `${formatLsn(position.lsn)}/${formatLsn(position.seqval)}/${position.operation ?? 4}`;
}

/** Parses {@link formatPosition}'s output; names the bad input on failure. */
export function parsePosition(text: string): SqlServerPosition {
  const parts = text.split('/');
  if (parts.length === 1) return { lsn: parseLsn(parts[0] ?? '') };
  if (parts.length === 3) {
    const operation = Number(parts[2]);
    if (!Number.isInteger(operation) || operation < 1 || operation > 4) {
      throw new CdcError('INVALID_ARGUMENT', `Bad operation in SQL Server position "${text}".`, {
        hint: 'A position is <lsn> or <lsn>/<seqval>/<operation 1-4>.',
      });
    }
    return { lsn: parseLsn(parts[0] ?? ''), seqval: parseLsn(parts[1] ?? ''), operation };
  }
  throw new CdcError('INVALID_ARGUMENT', `"${text}" is not a SQL Server position.`, {
    hint: 'A position is <lsn> or <lsn>/<seqval>/<operation 1-4>, e.g. 00000025:00000d08:0025.',
  });
}
