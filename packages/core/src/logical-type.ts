/**
 * The logical type system: every adapter maps its native column types to one of these, and every value
 * of a logical type has exactly one canonical encoding (see `docs/normalization.md` and `canonical.ts`).
 */

/** Logical types without parameters. */
export type ScalarKind =
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'bool'
  | 'text'
  | 'bytes'
  | 'uuid'
  | 'date'
  | 'interval'
  | 'json'
  | 'inet';

/**
 * A logical column type. Parameterised kinds carry what comparison needs:
 * `numeric` its precision/scale (either may be unknown), instants and times their fractional-second
 * precision (0–9 digits; PostgreSQL stores at most 6), collections their element types.
 */
export type LogicalType =
  | { kind: ScalarKind }
  | { kind: 'numeric'; precision?: number; scale?: number }
  | { kind: 'time'; precision: number }
  | { kind: 'timestamp'; precision: number }
  | { kind: 'timestamptz'; precision: number }
  | { kind: 'list'; element: LogicalType }
  | { kind: 'set'; element: LogicalType }
  | { kind: 'map'; key: LogicalType; value: LogicalType }
  | { kind: 'tuple'; elements: LogicalType[] }
  | { kind: 'udt'; name: string; fields: { name: string; type: LogicalType }[] };

/** Every `kind` a {@link LogicalType} can have. */
export type LogicalKind = LogicalType['kind'];
