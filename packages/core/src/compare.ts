/**
 * Column-level value comparison under per-column policies. Policies are plain values passed per call;
 * nothing here keeps state, so one policy object may be shared by concurrent diffs safely.
 */
import { canonicalText } from './canonical.js';
import type { ColumnHashOptions } from './connector.js';
import type { LogicalType } from './logical-type.js';

/**
 * How one column pair is compared. The hashable parts ({@link ColumnHashOptions}) change the canonical
 * text; tolerances cannot be hashed and force value-by-value comparison of that column.
 */
export interface ComparisonPolicy extends ColumnHashOptions {
  /** Floats/numerics are equal when `|a − b| ≤ absoluteTolerance`. */
  absoluteTolerance?: number;
  /** Floats/numerics are equal when `|a − b| ≤ relativeTolerance × max(|a|, |b|)`. */
  relativeTolerance?: number;
  /**
   * The column holds JSON documents in a text type on one side or both (e.g. SQL Server's JSON in
   * `nvarchar`): its text is parsed and compared as canonical JSON, against the other side's `json` or
   * text. Such a side is hashed in cdc (the document is parsed there). A text that is not JSON fails the
   * diff with the column and value.
   */
  json?: boolean;
}

/** True when a policy carries a tolerance, i.e. the column cannot be compared through hashes. */
export function hasTolerance(policy: ComparisonPolicy | undefined): boolean {
  return (policy?.absoluteTolerance ?? 0) > 0 || (policy?.relativeTolerance ?? 0) > 0;
}

/** Only the parts of a policy that change hashed bytes. */
export function hashOptionsOf(policy: ComparisonPolicy | undefined): ColumnHashOptions | undefined {
  if (!policy) return undefined;
  const out: ColumnHashOptions = {};
  if (policy.precision !== undefined) out.precision = policy.precision;
  if (policy.trimTrailingSpaces) out.trimTrailingSpaces = true;
  if (policy.caseInsensitive) out.caseInsensitive = true;
  return Object.keys(out).length === 0 ? undefined : out;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'nan') return NaN;
    if (t === 'infinity' || t === 'inf') return Infinity;
    if (t === '-infinity' || t === '-inf') return -Infinity;
    return Number(v);
  }
  return NaN;
}

/**
 * Whether two values of `type` are equal under `policy`: canonical texts compared, except floats and
 * numerics with a tolerance, which compare numerically (NaN equals NaN, infinities equal only themselves).
 * @throws CdcError `INVALID_ARGUMENT` when a value is not a valid `type`.
 */
export function compareValues(a: unknown, b: unknown, type: LogicalType, policy?: ComparisonPolicy): boolean {
  const numericKind = type.kind === 'float32' || type.kind === 'float64' || type.kind === 'numeric';
  if (numericKind && hasTolerance(policy)) {
    const ta = canonicalText(a, type);
    const tb = canonicalText(b, type);
    if (ta === tb) return true;
    if (a === null || a === undefined || b === null || b === undefined) return false;
    const x = toNumber(a);
    const y = toNumber(b);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
    const diff = Math.abs(x - y);
    if (diff <= (policy?.absoluteTolerance ?? 0)) return true;
    return diff <= (policy?.relativeTolerance ?? 0) * Math.max(Math.abs(x), Math.abs(y));
  }
  const options = hashOptionsOf(policy);
  return canonicalText(a, type, options) === canonicalText(b, type, options);
}
