/**
 * Row strings, digests and bucket arithmetic of the hash layout in `docs/normalization.md`. The same bytes
 * are produced in SQL by pushdown adapters, so client-side and in-database summaries can be compared.
 */
import { createMD5 } from 'hash-wasm';
import { canonicalText } from './canonical.js';
import type { ColumnHashOptions, HashPlan } from './connector.js';
import { CdcError } from './errors.js';
import type { LogicalType } from './logical-type.js';
import type { Row, TableSchema } from './schema.js';

const MASK64 = (1n << 64n) - 1n;

/** MD5 helpers bound to one initialised hash-wasm instance. Not shared across concurrent async work. */
export interface RowHasher {
  /** 32 lowercase hex digits of MD5 over the UTF-8 bytes of `text` (or over `text` itself, given bytes). */
  digest(text: string | Uint8Array): string;
  /**
   * The 16 bytes of MD5 over the UTF-8 bytes of `text`, or over `text` itself when given bytes (cheaper
   * than {@link RowHasher.digest}).
   */
  digestBytes(text: string | Uint8Array): Uint8Array;
  /** The row hash of a digest: its first 8 bytes as an unsigned 64-bit big-endian integer. */
  rowHash(digestHex: string): bigint;
  /**
   * Key-hash bucket of a key string: first 4 bytes of MD5(key string), uint32 big-endian, mod `modulus`
   * (given bytes: of the key string's UTF-8 bytes).
   */
  keyBucket(keyString: string | Uint8Array, modulus: number): number;
}

/**
 * Creates a {@link RowHasher}. The WASM module is instantiated once per hasher and reused for every
 * digest; all methods are synchronous, so one hasher can serve many interleaved async tasks.
 */
export async function createRowHasher(): Promise<RowHasher> {
  const md5 = await createMD5();
  const digest = (text: string | Uint8Array): string => {
    md5.init();
    md5.update(text);
    return md5.digest('hex');
  };
  const digestBytes = (text: string | Uint8Array): Uint8Array => {
    md5.init();
    md5.update(text);
    return md5.digest('binary');
  };
  return {
    digest,
    digestBytes,
    rowHash: (hex) => BigInt(`0x${hex.slice(0, 16)}`),
    keyBucket: (key, modulus) => {
      if (!Number.isInteger(modulus) || modulus < 1) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          `Invalid key-hash modulus ${modulus}: expected a positive integer`,
        );
      }
      return word32(digestBytes(key), 0) % modulus;
    },
  };
}

/** The big-endian unsigned 32-bit word of `bytes` at `offset`. */
export function word32(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] as number) << 24) |
      ((bytes[offset + 1] as number) << 16) |
      ((bytes[offset + 2] as number) << 8) |
      (bytes[offset + 3] as number)) >>>
    0
  );
}

/** Adds two 64-bit row hashes (or bucket sums) modulo 2^64. */
export function addHashes(a: bigint, b: bigint): bigint {
  return (a + b) & MASK64;
}

/**
 * Combines the SQL-side sums of the high and low 32-bit halves of row hashes into the 64-bit bucket sum:
 * `(hiSum * 2^32 + loSum) mod 2^64`. Both inputs may be negative or exceed 64 bits (they are exact sums).
 */
export function combineHalfSums(hiSum: bigint, loSum: bigint): bigint {
  return ((hiSum << 32n) + loSum) & MASK64;
}

interface CompiledColumn {
  name: string;
  type: LogicalType;
  options: ColumnHashOptions | undefined;
}

interface CompiledPlan {
  key: CompiledColumn[];
  columns: CompiledColumn[];
}

const compiled = new WeakMap<HashPlan, WeakMap<TableSchema, CompiledPlan>>();

function compile(schema: TableSchema, plan: HashPlan): CompiledPlan {
  let bySchema = compiled.get(plan);
  if (!bySchema) {
    bySchema = new WeakMap();
    compiled.set(plan, bySchema);
  }
  let c = bySchema.get(schema);
  if (!c) {
    const types = new Map(schema.columns.map((col) => [col.name, col.type]));
    const one = (name: string): CompiledColumn => {
      const type = types.get(name);
      if (!type) {
        throw new CdcError(
          'COLUMN_NOT_FOUND',
          `Column ${JSON.stringify(name)} of the hash plan is not in the table`,
          {
            hint: 'Compare only columns that exist on both sides.',
          },
        );
      }
      return { name, type, options: plan.columnOptions?.[name] };
    };
    c = { key: plan.key.map(one), columns: plan.columns.map(one) };
    bySchema.set(schema, c);
  }
  return c;
}

/** Canonical texts of the plan's key columns, in key order, joined by `|`. */
export function keyString(row: Row, schema: TableSchema, plan: HashPlan): string {
  const { key } = compile(schema, plan);
  let s = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i] as CompiledColumn;
    if (i > 0) s += '|';
    s += canonicalText(row[c.name], c.type, c.options);
  }
  return s;
}

/** The key string followed by `|` and the canonical text of each compared column, in plan order. */
export function rowString(row: Row, schema: TableSchema, plan: HashPlan): string {
  return keyString(row, schema, plan) + columnsString(row, schema, plan);
}

/** The part of the row string after the key string: `|<canonical text>` per compared column. */
export function columnsString(row: Row, schema: TableSchema, plan: HashPlan): string {
  const { columns } = compile(schema, plan);
  let s = '';
  for (const c of columns) s += `|${canonicalText(row[c.name], c.type, c.options)}`;
  return s;
}
