/**
 * Canonical key and row strings (`docs/normalization.md`) straight from `COPY … TO STDOUT` text, for
 * client-side hashing (`ScanSource.canonicalScan`): the common types are rendered from each field's
 * bytes into one reused buffer, without the JS value `scan` would build; any other type (or an
 * unexpected spelling) goes through that value — the scan's own parser, then `canonicalText` — so the
 * strings always equal `keyString`/`columnsString` over `scan`'s rows.
 */
import {
  CdcError,
  NULL_MARKER,
  canonicalText,
  daysFromCivil,
  utf8Length,
  type CanonicalBatch,
  type CanonicalRow,
  type ColumnHashOptions,
  type HashPlan,
  type Key,
  type LogicalType,
  type TableSchema,
} from '@cdc/core';
import pg from 'pg';
import { CopyLines, copyFieldsOf, unescapeCopyText, type CopyDecoder } from './postgres-copy-scan.js';

type Parser = (text: string) => unknown;

/** How a field is rendered: from its bytes (the fast kinds) or through its JS value (`GENERIC`). */
const GENERIC = 0;
const INT = 1;
const NUMERIC = 2;
const FLOAT = 3;
const BOOL = 4;
const TEXT = 5;
const UUID = 6;
const DATE = 7;
const INSTANT = 8;
const BYTEA = 9;

/** How a key value is made as `scan` returns it: parsed from the field's text, or a number from bytes. */
const KEY_PARSE = 0;
const KEY_NUMBER = 1;

/** node-pg's parser of types it does not parse (text, varchar, char(n), name, citext, enums …): the text. */
const TEXT_PARSER = pg.types.getTypeParser(25, 'text');

/** Type OIDs whose output function writes what their logical kind's canonical text is made from. */
const INT_OIDS = new Set([20, 21, 23, 26]); // int8, int2, int4, oid
/** Integer OIDs `scan` returns as numbers (the others as decimal strings). */
const NUMBER_OIDS = new Set([21, 23]);

/** One compiled key or column of the plan. */
interface FieldPlan {
  /** Index of the field in the COPY row. */
  field: number;
  kind: number;
  type: LogicalType;
  options: ColumnHashOptions | undefined;
  /** The scan's parser of the field (generic rendering and key values). */
  parse: Parser;
  /** float32: values are rounded to binary32 first. */
  float32: boolean;
  /** Instants: the flooring unit, 10^(6 − compared precision) µs. */
  unit: number;
  /** Text: trailing spaces removed. */
  trim: boolean;
  /** Text: lower-cased (on the JS string: Unicode case mapping). */
  lower: boolean;
  keyValue: number;
  /** The field's type OID (as described, before any cast). */
  oid: number;
  /** Binary mode: the field is selected as `::text` (read as text: its output function's spelling). */
  cast: boolean;
}

/**
 * The kind a field of type OID `oid` is rendered with as logical type `type` under `options`: a fast
 * kind only where the output function's text is known (the session settings of `COPY_SETTINGS_SQL`)
 * and `type` is the column's own kind; a coerced type (a jsonb column compared as a map) is generic.
 */
function kindOf(
  oid: number,
  parse: Parser,
  type: LogicalType,
  options: ColumnHashOptions | undefined,
): number {
  switch (type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
      return INT_OIDS.has(oid) ? INT : GENERIC;
    case 'numeric':
      return oid === 1700 ? NUMERIC : GENERIC;
    case 'float32':
    case 'float64':
      return oid === 700 || oid === 701 ? FLOAT : GENERIC;
    case 'bool':
      return oid === 16 ? BOOL : GENERIC;
    case 'text':
      return parse === TEXT_PARSER ? TEXT : GENERIC;
    case 'uuid':
      return oid === 2950 ? UUID : GENERIC;
    case 'date':
      return oid === 1082 ? DATE : GENERIC;
    case 'timestamp':
      return oid === 1114 && validPrecision(type.precision, options) ? INSTANT : GENERIC;
    case 'timestamptz':
      return oid === 1184 && validPrecision(type.precision, options) ? INSTANT : GENERIC;
    case 'bytes':
      return oid === 17 ? BYTEA : GENERIC;
    default:
      return GENERIC;
  }
}

/** The compared precision `canonicalText` uses (an invalid one is left to it, to throw as it does). */
function comparedPrecision(declared: number, options: ColumnHashOptions | undefined): number {
  return options?.precision ?? Math.min(declared, 6);
}

function validPrecision(declared: number, options: ColumnHashOptions | undefined): boolean {
  const p = comparedPrecision(declared, options);
  return Number.isInteger(p) && p >= 0 && p <= 6;
}

/** Text OIDs whose binary form is their text's bytes: text, varchar, bpchar (padded), name. */
const RAW_TEXT_OIDS = new Set([25, 1043, 1042, 19]);

/**
 * Binary mode: the kind field `oid` is rendered with from its binary form, or `GENERIC` when it is read
 * as text (`::text`): types without a binary reader here, a float4 compared as a float8 (its text is
 * the shortest decimal, which reads as another double), and keys other than integers, text and uuids
 * (paging and key values need their text). Text-like types that are not raw text are read as text and
 * rendered as `TEXT`.
 */
function binaryKindOf(
  oid: number,
  parse: Parser,
  type: LogicalType,
  options: ColumnHashOptions | undefined,
  key: boolean,
): { kind: number; cast: boolean } {
  const kind = kindOf(oid, parse, type, options);
  if (kind === TEXT) return { kind: TEXT, cast: !RAW_TEXT_OIDS.has(oid) };
  if (kind === INT || kind === UUID) return { kind, cast: false };
  if (key || kind === GENERIC || (kind === FLOAT && oid === 700 && type.kind !== 'float32'))
    return { kind: GENERIC, cast: true };
  return { kind, cast: false };
}

/** PostgreSQL's epoch (2000-01-01) in days and microseconds after the Unix epoch. */
const PG_EPOCH_DAYS = 10_957;
const PG_EPOCH_MICROS = 946_684_800_000_000;
/** `PGCOPY\n\377\r\n\0`: the signature a binary COPY stream starts with. */
const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

const HEX_DIGITS = new Uint8Array(Buffer.from('0123456789abcdef', 'latin1'));
// Parsed, not computed with `**`: exact powers of ten up to 1e22 whatever `Math.pow` rounds.
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const floatBits = new Float64Array(1);
const floatWords = new Uint32Array(floatBits.buffer);
const BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;
const HIGH_WORD = BIG_ENDIAN ? 0 : 1;
const LOW_WORD = BIG_ENDIAN ? 1 : 0;
/**
 * Buffer's own decoding methods, which `toString(encoding, start, end)` calls after checking its
 * arguments and looking up the encoding: called per row and per float here, the wrapper cost a tenth
 * of the decoding time.
 */
interface BufferSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

function latin1(b: Buffer, start: number, end: number): string {
  return (b as unknown as BufferSlices).latin1Slice(start, end);
}

function utf8(b: Buffer, start: number, end: number): string {
  return (b as unknown as BufferSlices).utf8Slice(start, end);
}

/** Two-digit decimal strings 00–99 as byte pairs, for writing numbers two digits at a time. */
/** Base-10000 group `i` of the binary numeric at `b[s…]` with `ndigits` groups; 0 outside them. */
function numericGroup(b: Buffer, s: number, ndigits: number, i: number): number {
  return i >= 0 && i < ndigits ? (b[s + 8 + 2 * i]! << 8) | b[s + 9 + 2 * i]! : 0;
}

const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Days from the epoch within which epoch microseconds stay safe integers (years ~1696–2243). */
const SAFE_DAYS = 100_000;

/**
 * The number PostgreSQL's shortest float text `b[s, e)` spells, when it is a plain decimal whose digits
 * form an integer below 2^53 with at most 22 of them fractional: one exact integer divided by an exact
 * power of ten, one rounding, as `parseFloat` rounds (Clinger's fast path; covers every float of up to
 * 15 significant digits and most of 16). `NaN` for anything else (exponents, NaN, ±Infinity, 17 digits).
 */
export function shortDecimal(b: Uint8Array, s: number, e: number): number {
  let i = s;
  const negative = b[i] === 45;
  if (negative) i++;
  if (i === e) return NaN;
  let mantissa = 0;
  let fraction = -1;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c >= 48 && c <= 57) {
      // Exact while below 2^53; rounding cannot bring a larger value below it.
      mantissa = mantissa * 10 + (c - 48);
      if (mantissa >= 9007199254740992) return NaN;
      if (fraction >= 0) fraction++;
    } else if (c === 46 && fraction < 0) fraction = 0;
    else return NaN;
  }
  if (fraction > 22 || fraction === 0) return NaN;
  const v = fraction > 0 ? mantissa / (POW10[fraction] as number) : mantissa;
  return negative ? -v : v;
}

/** Bytes of a fresh row arena: rows are written one after another, and a batch's rows share arenas. */
const ARENA_BYTES = 65_536;

/**
 * A row of a canonical COPY scan. Its row string lives as UTF-8 bytes in an arena shared with the rows
 * around it ({@link CanonicalRow.rowBytes}, what the engine hashes); the key and row strings are decoded
 * only when asked for (drill-downs, lookups), then kept.
 */
class ArenaCanonicalRow implements CanonicalRow {
  readonly key: Key;
  readonly rowBytes: Uint8Array;
  readonly #arena: Buffer;
  readonly #start: number;
  readonly #keyEnd: number;
  readonly #end: number;
  /** 1: the key string is ASCII, 2: the row string is ASCII (then characters are bytes). */
  readonly #ascii: number;
  #keyText: string | undefined;
  #rowText: string | undefined;

  constructor(
    arena: Buffer,
    start: number,
    keyEnd: number,
    end: number,
    ascii: number,
    key: Key,
    keyText: string | undefined,
  ) {
    this.#keyText = keyText;
    this.#arena = arena;
    this.#start = start;
    this.#keyEnd = keyEnd;
    this.#end = end;
    this.#ascii = ascii;
    this.key = key;
    this.rowBytes = new Uint8Array(arena.buffer, arena.byteOffset + start, end - start);
  }

  get keyText(): string {
    return (this.#keyText ??=
      this.#ascii & 1
        ? latin1(this.#arena, this.#start, this.#keyEnd)
        : utf8(this.#arena, this.#start, this.#keyEnd));
  }

  get rowText(): string {
    return (this.#rowText ??=
      this.#ascii & 2
        ? latin1(this.#arena, this.#start, this.#end)
        : utf8(this.#arena, this.#start, this.#end));
  }

  /** Plain data, so the row prints and serializes like an object literal. */
  toJSON(): { keyText: string; rowText: string; key: Key } {
    return { keyText: this.keyText, rowText: this.rowText, key: this.key };
  }
}

/**
 * A {@link CopyDecoder} of canonical rows: for each COPY line, the key string, the row string and the
 * key values of `plan` over `table` (the logical types to render, which may differ from the columns'
 * own). `fields` is the COPY result's description: the plan's columns, each once, by name;
 * `pagingKeys` the fields of the paging key (for {@link lastKeyTexts}).
 */
export class CanonicalCopyDecoder implements CopyDecoder<CanonicalRow> {
  readonly #lines = new CopyLines();
  readonly #keys: FieldPlan[];
  readonly #columns: FieldPlan[];
  readonly #pagingKeys: number[];
  readonly #parsers: Parser[];
  readonly #starts: Int32Array;
  readonly #ends: Int32Array;
  readonly #escaped: Uint8Array;
  /** A single integer key scan returns as text (int8, oid): its value is the key string itself. */
  readonly #keyIsText: boolean;
  /** The arena the row strings are written to (UTF-8), one after another; replaced when full. */
  #out = Buffer.allocUnsafe(ARENA_BYTES);
  #o = 0;
  /** Where the row being written starts in {@link #out}. */
  #rowStart = 0;
  #nonAscii = false;
  /** Unescaped bytes of an escaped text field. */
  #scratch = Buffer.allocUnsafe(4096);
  /** The bytes and offset of the last line taken. */
  #lastBytes: Buffer | undefined;
  #lastStart = 0;
  /** Where {@link #days} stopped reading. */
  #pos = 0;
  /** Fields rendered through their JS value so far (the fallback; for tests and profiling). */
  genericFields = 0;
  /**
   * Packed mode ({@link takeBatch}): rows are written one after another into {@link #out} from its
   * start, each followed by a newline, and {@link take} appends only a placeholder per row.
   */
  readonly #packed: boolean;
  /** Packed mode: rows of the current batch, and per row its start, key length and integer key. */
  #n = 0;
  #offsets = new Int32Array(1);
  #keyLengths = new Int32Array(0);
  #intKeys: Float64Array | undefined;
  /** Packed mode, keys not recoverable from the key string: each key field's raw bytes, and where. */
  #keyRaw: Buffer | undefined;
  #keyRawLength = 0;
  #keyRawOffsets = new Int32Array(1);
  #keyRawEscaped = new Uint8Array(0);
  /** Packed mode: the key is one integer column that `scan` returns as a number (int2, int4). */
  readonly #keyIsNumber: boolean;
  /** Reads `COPY … (FORMAT binary)`: fields are length-prefixed binary values (or `::text` casts). */
  readonly binary: boolean;
  /** Binary mode: which fields are selected as `::text`, and every field's type OID. */
  readonly #casts: boolean[];
  readonly #fieldOids: number[];
  /** Binary mode: the bytes being read, where, and whether a stream header comes next. */
  #bin: Buffer = Buffer.alloc(0);
  /** Binary mode: where a row cut by a chunk boundary is joined with the next chunk (reused). */
  #staging: Buffer = Buffer.allocUnsafeSlow(0);
  #binPos = 0;
  #needHeader = true;

  constructor(
    fields: readonly pg.FieldDef[],
    table: TableSchema,
    plan: HashPlan,
    pagingKeys: readonly number[] = [],
    options: { packed?: boolean; binary?: boolean } = {},
  ) {
    if (fields.length === 0) throw new TypeError('a COPY result has at least one column');
    const binary = options.binary === true;
    if (binary && options.packed !== true) throw new TypeError('binary canonical COPY reads are packed');
    this.binary = binary;
    const keyFields = new Set([
      ...plan.key.map((name) => fields.findIndex((f) => f.name === name)),
      ...pagingKeys,
    ]);
    const parsers = copyFieldsOf(fields).map((f) => f.parse);
    const types = new Map(table.columns.map((c) => [c.name, c.type]));
    const compile = (name: string): FieldPlan => {
      const type = types.get(name);
      const field = fields.findIndex((f) => f.name === name);
      if (!type || field === -1) {
        throw new CdcError(
          'COLUMN_NOT_FOUND',
          `Column ${JSON.stringify(name)} of the hash plan is not in the table`,
          {
            hint: 'Compare only columns that exist on both sides.',
          },
        );
      }
      const options = plan.columnOptions?.[name];
      const oid = fields[field]!.dataTypeID;
      const parse = parsers[field]!;
      const { kind, cast } = binary
        ? binaryKindOf(oid, parse, type, options, keyFields.has(field))
        : { kind: kindOf(oid, parse, type, options), cast: false };
      const precision = type.kind === 'timestamp' || type.kind === 'timestamptz' ? type.precision : 6;
      return {
        field,
        kind,
        type,
        options,
        parse,
        float32: type.kind === 'float32',
        unit: kind === INSTANT ? 10 ** (6 - comparedPrecision(precision, options)) : 1,
        trim: options?.trimTrailingSpaces === true,
        lower: options?.caseInsensitive === true,
        keyValue: kind === INT && NUMBER_OIDS.has(oid) ? KEY_NUMBER : KEY_PARSE,
        oid,
        cast,
      };
    };
    this.#keys = plan.key.map(compile);
    this.#columns = plan.columns.map(compile);
    this.#casts = fields.map(() => false);
    this.#fieldOids = fields.map((f) => f.dataTypeID);
    for (const spec of [...this.#keys, ...this.#columns]) if (spec.cast) this.#casts[spec.field] = true;
    if (binary) {
      // Paging keys outside the plan are read as text unless binary gives their text as it is.
      for (const f of pagingKeys) {
        const oid = fields[f]!.dataTypeID;
        if (!INT_OIDS.has(oid) && !RAW_TEXT_OIDS.has(oid) && oid !== 2950) this.#casts[f] = true;
      }
    }
    this.#pagingKeys = [...pagingKeys];
    this.#parsers = parsers;
    this.#starts = new Int32Array(fields.length);
    this.#ends = new Int32Array(fields.length);
    this.#escaped = new Uint8Array(fields.length);
    const only = this.#keys.length === 1 ? this.#keys[0]! : undefined;
    this.#keyIsText = only !== undefined && only.kind === INT && only.keyValue === KEY_PARSE;
    this.#keyIsNumber = only !== undefined && only.kind === INT && only.keyValue === KEY_NUMBER;
    this.#packed = options.packed === true;
    if (this.#packed) {
      if (only?.kind === INT) this.#intKeys = new Float64Array(0);
      else this.#keyRaw = Buffer.allocUnsafe(4096);
    }
  }

  /**
   * Packed mode: the rows taken since the last call, `rows` of them, as a {@link CanonicalBatch} over
   * this decoder's buffers, which the next rows overwrite (the batch is valid until rows are taken
   * again; {@link CanonicalBatch.row} copies).
   */
  takeBatch(rows: number): CanonicalBatch {
    if (!this.#packed) throw new Error('CanonicalCopyDecoder.takeBatch() needs { packed: true }');
    if (rows !== this.#n) throw new Error(`takeBatch(${rows}) after ${this.#n} rows were taken`);
    const bytes = this.#out;
    const offsets = this.#offsets;
    const keyLengths = this.#keyLengths;
    const intKeys = this.#intKeys;
    const keyRaw = this.#keyRaw;
    const keyRawOffsets = this.#keyRawOffsets;
    const keyRawEscaped = this.#keyRawEscaped;
    const keys = this.#keys;
    const keyIsText = this.#keyIsText;
    const keyIsNumber = this.#keyIsNumber;
    const parsers = this.#parsers;
    const n = rows;
    this.#n = 0;
    this.#o = 0;
    this.#rowStart = 0;
    this.#keyRawLength = 0;
    const text = (s: number, e: number): string => utf8(bytes, s, e);
    const binary = this.binary;
    const binaryText = (b: Buffer, s: number, e: number, f: number): string => this.#binaryText(b, s, e, f);
    return {
      length: n,
      bytes,
      offsets,
      keyLengths,
      ...(intKeys ? { intKeys } : {}),
      row: (i: number): CanonicalRow => {
        if (!(i >= 0 && i < n)) throw new RangeError(`row ${i} of a batch of ${n}`);
        const start = offsets[i]!;
        const keyText = text(start, start + keyLengths[i]!);
        const rowText = text(start, offsets[i + 1]! - 1);
        let key: Key;
        if (keyIsText) key = [keyText === NULL_MARKER ? null : keyText];
        else if (keyIsNumber) key = [keyText === NULL_MARKER ? null : Number(keyText)];
        else {
          key = keys.map((spec, k) => {
            const at = i * keys.length + k;
            if (binary) {
              if (keyRawEscaped[at] !== 0) return null;
              return parsers[spec.field]!(
                binaryText(keyRaw as Buffer, keyRawOffsets[at]!, keyRawOffsets[at + 1]!, spec.field),
              );
            }
            const raw = (keyRaw as Buffer).toString('utf8', keyRawOffsets[at]!, keyRawOffsets[at + 1]!);
            if (keyRawEscaped[at] === 0) return parsers[spec.field]!(raw);
            return raw === NULL_MARKER ? null : parsers[spec.field]!(unescapeCopyText(raw));
          });
        }
        return { keyText, rowText, key };
      },
    };
  }

  /** Binary mode: field `field` as `::text` where it is not read in binary. */
  columnSql(column: string, field: number): string {
    return this.#casts[field] ? `${column}::text` : column;
  }

  push(chunk: Buffer): void {
    if (this.binary) {
      const rest = this.#bin.length - this.#binPos;
      if (rest === 0) this.#bin = chunk;
      else {
        // A row cut by the chunk boundary: its start and the new chunk are copied into a buffer kept
        // for this (a fresh one per chunk would leave a chunk-sized buffer for the collector each time).
        let staging = this.#staging;
        if (staging.length < rest + chunk.length) {
          staging = Buffer.allocUnsafeSlow(Math.max(2 * staging.length, rest + chunk.length));
        }
        // The rest may already lie in the staging buffer: `copy` handles the overlap.
        this.#bin.copy(staging, 0, this.#binPos, this.#bin.length);
        chunk.copy(staging, rest);
        this.#staging = staging;
        this.#bin = staging.subarray(0, rest + chunk.length);
      }
      this.#binPos = 0;
      return;
    }
    if (this.#lines.hasBytes)
      throw new Error('CanonicalCopyDecoder.push() before the buffered rows were taken');
    this.#lines.push(chunk);
  }

  take(out: CanonicalRow[], max: number): number {
    if (this.binary) return this.#takeBinary(out, max);
    const lines = this.#lines;
    let n = 0;
    while (n < max && lines.pos < lines.bytes.length) {
      const bytes = lines.bytes;
      const start = lines.pos;
      lines.pos = this.#split(bytes, start);
      if (this.#packed) {
        this.#renderPacked(bytes);
        out.push(undefined as unknown as CanonicalRow);
      } else out.push(this.#render(bytes));
      this.#lastBytes = bytes;
      this.#lastStart = start;
      n++;
    }
    return n;
  }

  finish(): void {
    if (this.binary) {
      if (this.#binPos < this.#bin.length || !this.#needHeader)
        throw new Error('binary COPY output ended inside a row (or without its trailer)');
      return;
    }
    if (this.#lines.hasBytes || this.#lines.hasPartial) throw new Error('COPY output ended inside a row');
  }

  /** Raw (unescaped) text of the paging key fields of the last row taken (decoded only when asked). */
  get lastKeyTexts(): (string | null)[] {
    const bytes = this.#lastBytes;
    if (!bytes) return this.#pagingKeys.map(() => null);
    if (this.binary) {
      this.#splitBinary(bytes, this.#lastStart);
      return this.#pagingKeys.map((f) =>
        this.#escaped[f] !== 0 ? null : this.#binaryText(bytes, this.#starts[f]!, this.#ends[f]!, f),
      );
    }
    this.#split(bytes, this.#lastStart);
    return this.#pagingKeys.map((f) => this.#rawText(bytes, f));
  }

  /** Records the fields of the line at `p` (bounds, whether escaped); returns where the next line starts. */
  #split(b: Buffer, p: number): number {
    const starts = this.#starts;
    const ends = this.#ends;
    const escaped = this.#escaped;
    const last = starts.length - 1;
    const lineStart = p;
    for (let f = 0; ; f++) {
      starts[f] = p;
      let esc = 0;
      // Every line ends with a newline (CopyLines), and COPY escapes tabs and newlines inside values.
      let c = b[p];
      while (c !== 9 && c !== 10) {
        if (c === 92) esc = 1;
        c = b[++p];
      }
      ends[f] = p;
      escaped[f] = esc;
      if (f === last) {
        if (c !== 10) throw malformed(last + 1, b, lineStart);
        return p + 1;
      }
      if (c !== 9) throw malformed(last + 1, b, lineStart);
      p++;
    }
  }

  #render(b: Buffer): CanonicalRow {
    const start = this.#o;
    this.#rowStart = start;
    this.#nonAscii = false;
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) this.#byte(124);
      this.#field(b, keys[i]!);
    }
    // Offsets relative to the row: a full arena moves the row being written to a new one.
    const keyBytes = this.#o - this.#rowStart;
    const keyAscii = this.#nonAscii ? 0 : 1;
    const columns = this.#columns;
    for (let i = 0; i < columns.length; i++) {
      this.#byte(124);
      this.#field(b, columns[i]!);
    }
    const out = this.#out;
    const rowStart = this.#rowStart;
    const keyEnd = rowStart + keyBytes;
    let key: Key;
    let keyText: string | undefined;
    if (this.#keyIsText) {
      // A single integer key scan returns as text: its value is the key string itself.
      keyText = keyAscii ? latin1(out, rowStart, keyEnd) : utf8(out, rowStart, keyEnd);
      key = [keyText === NULL_MARKER ? null : keyText];
    } else key = this.#keyValues(b);
    return new ArenaCanonicalRow(
      out,
      rowStart,
      keyEnd,
      this.#o,
      keyAscii | (this.#nonAscii ? 0 : 2),
      key,
      keyText,
    );
  }

  /** Packed mode: writes the row, its newline and its bookkeeping (see {@link takeBatch}). */
  #renderPacked(b: Buffer): void {
    const i = this.#n;
    if (this.#keyLengths.length <= i) this.#grow(i + 1);
    const start = this.#o;
    this.#rowStart = start;
    const keys = this.#keys;
    const binary = this.binary;
    for (let k = 0; k < keys.length; k++) {
      if (k > 0) this.#byte(124);
      if (binary) this.#fieldBinary(b, keys[k]!);
      else this.#field(b, keys[k]!);
    }
    this.#keyLengths[i] = this.#o - start;
    const columns = this.#columns;
    for (let k = 0; k < columns.length; k++) {
      this.#byte(124);
      if (binary) this.#fieldBinary(b, columns[k]!);
      else this.#field(b, columns[k]!);
    }
    this.#byte(10);
    this.#offsets[i + 1] = this.#o;
    const intKeys = this.#intKeys;
    if (intKeys) intKeys[i] = this.#intKey(b, keys[0]!.field);
    else this.#keepRawKeys(b, i);
    this.#n = i + 1;
  }

  /** A packed batch's bookkeeping for at least `rows` rows. */
  #grow(rows: number): void {
    const size = Math.max(rows, 2 * this.#keyLengths.length, 64);
    const offsets = new Int32Array(size + 1);
    offsets.set(this.#offsets);
    this.#offsets = offsets;
    const keyLengths = new Int32Array(size);
    keyLengths.set(this.#keyLengths);
    this.#keyLengths = keyLengths;
    if (this.#intKeys) {
      const intKeys = new Float64Array(size);
      intKeys.set(this.#intKeys);
      this.#intKeys = intKeys;
    } else {
      const width = this.#keys.length;
      const rawOffsets = new Int32Array(size * width + 1);
      rawOffsets.set(this.#keyRawOffsets);
      this.#keyRawOffsets = rawOffsets;
      const escaped = new Uint8Array(size * width);
      escaped.set(this.#keyRawEscaped);
      this.#keyRawEscaped = escaped;
    }
  }

  /** The integer in field `f` as a number when it is a safe integer; `NaN` otherwise (NULL, larger). */
  #intKey(b: Buffer, f: number): number {
    if (this.#escaped[f] !== 0) return NaN;
    if (this.binary) {
      const s = this.#starts[f]!;
      const len = this.#ends[f]! - s;
      if (len === 2) return ((b[s]! << 24) >> 16) | b[s + 1]!;
      if (len === 4) return this.#fieldOids[f] === 26 ? int32(b, s) >>> 0 : int32(b, s);
      const high = int32(b, s);
      if (high < -2097152 || high >= 2097152) return NaN;
      const v = high * 4294967296 + (int32(b, s + 4) >>> 0);
      return v >= -Number.MAX_SAFE_INTEGER ? v : NaN;
    }
    let i = this.#starts[f]!;
    const e = this.#ends[f]!;
    const negative = b[i] === 45;
    if (negative) i++;
    if (i === e || e - i > 16) return NaN;
    let v = 0;
    for (; i < e; i++) {
      const c = b[i]! - 48;
      if (c < 0 || c > 9) return NaN;
      v = v * 10 + c;
    }
    if (v > Number.MAX_SAFE_INTEGER) return NaN;
    return negative ? -v : v;
  }

  /** Packed mode: copies the raw bytes of row `i`'s key fields, for {@link CanonicalBatch.row}. */
  #keepRawKeys(b: Buffer, i: number): void {
    const keys = this.#keys;
    let o = this.#keyRawLength;
    for (let k = 0; k < keys.length; k++) {
      const f = keys[k]!.field;
      const s = this.#starts[f]!;
      const e = this.#ends[f]!;
      let raw = this.#keyRaw as Buffer;
      if (o + e - s > raw.length) {
        const bigger = Buffer.allocUnsafe(Math.max(2 * raw.length, o + e - s));
        raw.copy(bigger, 0, 0, o);
        this.#keyRaw = raw = bigger;
      }
      b.copy(raw, o, s, e);
      o += e - s;
      const at = i * keys.length + k;
      this.#keyRawEscaped[at] = this.#escaped[f]!;
      this.#keyRawOffsets[at + 1] = o;
    }
    this.#keyRawLength = o;
  }

  #takeBinary(out: CanonicalRow[], max: number): number {
    let n = 0;
    const count = this.#starts.length;
    while (n < max) {
      const b = this.#bin;
      const p = this.#binPos;
      if (this.#needHeader) {
        if (b.length - p < 19) break;
        if (b.compare(BINARY_SIGNATURE, 0, 11, p, p + 11) !== 0)
          throw new Error('binary COPY output does not start with the PGCOPY signature');
        const extension = int32(b, p + 15);
        if (b.length - p < 19 + extension) break;
        this.#binPos = p + 19 + extension;
        this.#needHeader = false;
        continue;
      }
      if (b.length - p < 2) break;
      const fields = ((b[p]! << 24) >> 16) | b[p + 1]!;
      if (fields === -1) {
        // The trailer: this COPY is over (the next one starts with its header).
        this.#binPos = p + 2;
        this.#needHeader = true;
        continue;
      }
      if (fields !== count) throw new Error(`binary COPY row has ${fields} fields, expected ${count}`);
      const next = this.#splitBinary(b, p);
      if (next < 0) break;
      this.#binPos = next;
      this.#renderPacked(b);
      out.push(undefined as unknown as CanonicalRow);
      this.#lastBytes = b;
      this.#lastStart = p;
      n++;
    }
    return n;
  }

  /**
   * Records the fields of the binary row at `p` (bounds; {@link #escaped} marks NULL); returns where
   * the next row starts, or -1 when the row does not end in `b`.
   */
  #splitBinary(b: Buffer, p: number): number {
    const starts = this.#starts;
    const ends = this.#ends;
    const nulls = this.#escaped;
    const end = b.length;
    p += 2;
    for (let f = 0; f < starts.length; f++) {
      if (p + 4 > end) return -1;
      const length = int32(b, p);
      p += 4;
      starts[f] = p;
      if (length < 0) {
        ends[f] = p;
        nulls[f] = 1;
        continue;
      }
      if (p + length > end) return -1;
      p += length;
      ends[f] = p;
      nulls[f] = 0;
    }
    return p;
  }

  /** The text PostgreSQL's output function gives for the binary field `f` at `b[s, e)` (keys, paging). */
  #binaryText(b: Buffer, s: number, e: number, f: number): string {
    if (this.#casts[f]) return utf8(b, s, e);
    const oid = this.#fieldOids[f]!;
    if (oid === 2950) return uuidText(b, s);
    if (INT_OIDS.has(oid)) {
      if (e - s === 2) return String(((b[s]! << 24) >> 16) | b[s + 1]!);
      if (e - s === 4) return String(oid === 26 ? int32(b, s) >>> 0 : int32(b, s));
      return b.readBigInt64BE(s).toString();
    }
    return utf8(b, s, e);
  }

  /** Binary mode's {@link #field}: the canonical text of the binary field of `spec`. */
  #fieldBinary(b: Buffer, spec: FieldPlan): void {
    const f = spec.field;
    const s = this.#starts[f]!;
    const e = this.#ends[f]!;
    if (this.#escaped[f] !== 0) {
      const out = this.#reserve(2);
      out[this.#o] = 92;
      out[this.#o + 1] = 78;
      this.#o += 2;
      return;
    }
    switch (spec.kind) {
      case INT: {
        const len = e - s;
        if (len === 2) this.#safe(((b[s]! << 24) >> 16) | b[s + 1]!);
        else if (len === 4) this.#safe(spec.oid === 26 ? int32(b, s) >>> 0 : int32(b, s));
        else {
          const high = int32(b, s);
          if (high >= -2097152 && high < 2097152) this.#safe(high * 4294967296 + (int32(b, s + 4) >>> 0));
          else this.#copyText(b.readBigInt64BE(s).toString());
        }
        return;
      }
      case NUMERIC:
        this.#numericBinary(b, s);
        return;
      case FLOAT: {
        let v = e - s === 4 ? b.readFloatBE(s) : b.readDoubleBE(s);
        if (spec.float32) v = Math.fround(v);
        this.#floatValue(v);
        return;
      }
      case BOOL:
        this.#byte(b[s] === 0 ? 102 : 116);
        return;
      case TEXT:
        this.#text(b, s, e, false, spec);
        return;
      case UUID:
        this.#copyText(uuidText(b, s));
        return;
      case DATE: {
        const days = int32(b, s);
        if (days === 0x7fffffff) this.#copyText('Infinity');
        else if (days === -0x80000000) this.#copyText('-Infinity');
        else this.#safe(days + PG_EPOCH_DAYS);
        return;
      }
      case INSTANT: {
        const high = int32(b, s);
        const low = int32(b, s + 4) >>> 0;
        if (high === 0x7fffffff && low === 0xffffffff) return void this.#copyText('Infinity');
        if (high === -0x80000000 && low === 0) return void this.#copyText('-Infinity');
        const unit = spec.unit;
        if (high >= -1048576 && high < 1048576) {
          // Below 2^52 µs from 2000: the Unix-epoch microseconds stay exact.
          const micros = high * 4294967296 + low + PG_EPOCH_MICROS;
          const rest = micros % unit;
          this.#safe(micros - (rest < 0 ? rest + unit : rest));
          return;
        }
        const micros = b.readBigInt64BE(s) + BigInt(PG_EPOCH_MICROS);
        const big = BigInt(unit);
        const rest = micros % big;
        this.#copyText((micros - (rest < 0n ? rest + big : rest)).toString());
        return;
      }
      case BYTEA: {
        const out = this.#reserve(2 * (e - s));
        let o = this.#o;
        for (let i = s; i < e; i++) {
          const c = b[i]!;
          out[o++] = HEX_DIGITS[c >> 4]!;
          out[o++] = HEX_DIGITS[c & 15]!;
        }
        this.#o = o;
        return;
      }
      default:
        // Read as text (`::text`): what canonicalText makes of the scan's value.
        this.genericFields++;
        this.#string(canonicalText(spec.parse(utf8(b, s, e)), spec.type, spec.options));
    }
  }

  /**
   * A binary `numeric` (digit count, weight, sign, scale, base-10000 digits) as `numeric`'s canonical
   * text: no leading zeros, no trailing fractional zeros (nor a bare point), specials spelled out.
   */
  #numericBinary(b: Buffer, s: number): void {
    const ndigits = ((b[s]! << 24) >> 16) | b[s + 1]!;
    const weight = ((b[s + 2]! << 24) >> 16) | b[s + 3]!;
    const sign = (b[s + 4]! << 8) | b[s + 5]!;
    if (sign === 0xc000) return void this.#copyText('NaN');
    if (sign === 0xd000) return void this.#copyText('Infinity');
    if (sign === 0xf000) return void this.#copyText('-Infinity');
    // Groups through a module function, not a closure: this runs per numeric field, and a closure per
    // call was the scan's largest allocation (~110 bytes per value).
    let first = -1;
    for (let i = 0; i < ndigits; i++) if (numericGroup(b, s, ndigits, i) !== 0) first = first < 0 ? i : first;
    if (first < 0) return void this.#byte(48);
    let last = ndigits - 1;
    while (numericGroup(b, s, ndigits, last) === 0) last--;
    if (sign === 0x4000) this.#byte(45);
    // Integer part: the groups of weight ≥ 0 (group i has weight `weight - i`).
    if (weight < 0 || first > weight) this.#byte(48);
    else {
      this.#small(numericGroup(b, s, ndigits, first));
      for (let i = first + 1; i <= weight; i++) this.#four(numericGroup(b, s, ndigits, i));
    }
    if (last > weight) {
      this.#byte(46);
      for (let i = weight + 1; i < last; i++) this.#four(numericGroup(b, s, ndigits, i));
      // The last group without its trailing zeros.
      let d = numericGroup(b, s, ndigits, last);
      let width = 4;
      while (d % 10 === 0) {
        d /= 10;
        width--;
      }
      const out = this.#reserve(width);
      for (let k = this.#o + width - 1; k >= this.#o; k--) {
        out[k] = 48 + (d % 10);
        d = Math.floor(d / 10);
      }
      this.#o += width;
    }
  }

  /** Four decimal digits of `x` (0–9999), zero-padded. */
  #four(x: number): void {
    const out = this.#reserve(4);
    const o = this.#o;
    const high = (x / 100) | 0;
    const low = x - high * 100;
    out[o] = DIGIT_PAIRS[2 * high]!;
    out[o + 1] = DIGIT_PAIRS[2 * high + 1]!;
    out[o + 2] = DIGIT_PAIRS[2 * low]!;
    out[o + 3] = DIGIT_PAIRS[2 * low + 1]!;
    this.#o = o + 4;
  }

  #keyValues(b: Buffer): Key {
    const keys = this.#keys;
    const key = new Array<unknown>(keys.length);
    for (let i = 0; i < keys.length; i++) key[i] = this.#keyValue(b, keys[i]!);
    return key;
  }

  #keyValue(b: Buffer, spec: FieldPlan): unknown {
    const f = spec.field;
    if (spec.keyValue === KEY_NUMBER && this.#escaped[f] === 0) {
      let i = this.#starts[f]!;
      const e = this.#ends[f]!;
      const negative = b[i] === 45;
      if (negative) i++;
      let v = 0;
      for (; i < e; i++) v = v * 10 + (b[i]! - 48);
      return negative ? -v : v;
    }
    const text = this.#rawText(b, f);
    return text === null ? null : this.#parsers[f]!(text);
  }

  /** The unescaped text of field `f` of the current line, or `null` for NULL. */
  #rawText(b: Buffer, f: number): string | null {
    const raw = utf8(b, this.#starts[f]!, this.#ends[f]!);
    if (this.#escaped[f] === 0) return raw;
    return raw === NULL_MARKER ? null : unescapeCopyText(raw);
  }

  /** Room for `n` more bytes in the output. */
  #reserve(n: number): Buffer {
    if (this.#o + n > this.#out.length && this.#packed) {
      // The batch's rows stay together: the arena grows, keeping every row of the batch.
      const fresh = Buffer.allocUnsafe(Math.max(2 * this.#out.length, this.#o + n));
      this.#out.copy(fresh, 0, 0, this.#o);
      this.#out = fresh;
    } else if (this.#o + n > this.#out.length) {
      // Earlier rows keep the full arena; the row being written moves to a new one.
      const written = this.#o - this.#rowStart;
      const fresh = Buffer.allocUnsafe(Math.max(ARENA_BYTES, 2 * (written + n)));
      this.#out.copy(fresh, 0, this.#rowStart, this.#o);
      this.#out = fresh;
      this.#rowStart = 0;
      this.#o = written;
    }
    return this.#out;
  }

  #byte(c: number): void {
    this.#reserve(1)[this.#o++] = c;
  }

  #field(b: Buffer, spec: FieldPlan): void {
    const f = spec.field;
    const s = this.#starts[f]!;
    const e = this.#ends[f]!;
    // Relative to the row: writing may move the row to a new arena (#reserve).
    const rel = this.#o - this.#rowStart;
    if (this.#escaped[f] !== 0 && e - s === 2 && b[s + 1] === 78) {
      // `\N`: the only escaped spelling of a field that is not text or bytea is NULL.
      const out = this.#reserve(2);
      const at = this.#o;
      out[at] = 92;
      out[at + 1] = 78;
      this.#o = at + 2;
      return;
    }
    let done: boolean;
    switch (spec.kind) {
      case INT:
        done = this.#escaped[f] === 0 && this.#copy(b, s, e);
        break;
      case NUMERIC:
        done = this.#escaped[f] === 0 && this.#numeric(b, s, e);
        break;
      case FLOAT:
        done = this.#escaped[f] === 0 && this.#float(b, s, e, spec.float32);
        break;
      case BOOL:
        done = this.#escaped[f] === 0 && e - s === 1 && (b[s] === 116 || b[s] === 102) && this.#copy(b, s, e);
        break;
      case TEXT:
        done = this.#text(b, s, e, this.#escaped[f] !== 0, spec);
        break;
      case UUID:
        done = this.#escaped[f] === 0 && e - s === 36 && this.#lowerHex(b, s, e, true);
        break;
      case DATE:
        done = this.#escaped[f] === 0 && this.#date(b, s, e);
        break;
      case INSTANT:
        done = this.#escaped[f] === 0 && this.#instant(b, s, e, spec.unit);
        break;
      case BYTEA:
        // `\x…` with its backslash escaped: `\\x…`.
        done =
          e - s >= 3 &&
          b[s] === 92 &&
          b[s + 1] === 92 &&
          b[s + 2] === 120 &&
          this.#lowerHex(b, s + 3, e, false);
        break;
      default:
        done = false;
    }
    if (done) return;
    // Anything else (or a spelling the fast path does not know): what canonicalText makes of scan's value.
    this.genericFields++;
    this.#o = this.#rowStart + rel;
    const text = this.#rawText(b, f);
    this.#string(text === null ? NULL_MARKER : canonicalText(spec.parse(text), spec.type, spec.options));
  }

  /** Copies `b[s, e)` as it is (ASCII). */
  #copy(b: Buffer, s: number, e: number): boolean {
    const out = this.#reserve(e - s);
    let o = this.#o;
    for (let i = s; i < e; i++) out[o++] = b[i]!;
    this.#o = o;
    return true;
  }

  /** Copies hex digits (and a uuid's hyphens) lower-cased; false on anything else. */
  #lowerHex(b: Buffer, s: number, e: number, hyphens: boolean): boolean {
    const out = this.#reserve(e - s);
    let o = this.#o;
    for (let i = s; i < e; i++) {
      let c = b[i]!;
      if (c >= 65 && c <= 70) c += 32;
      else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (hyphens && c === 45))) return false;
      out[o++] = c;
    }
    this.#o = o;
    return true;
  }

  /** Writes `s` as UTF-8. */
  #string(s: string): void {
    const out = this.#reserve(s.length * 3);
    let o = this.#o;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.#nonAscii = true;
        this.#o = o + out.write(s.slice(i), o, 'utf8');
        return;
      }
      out[o++] = c;
    }
    this.#o = o;
  }

  /** A non-negative integer below 2^31 in decimal. */
  #small(x: number): void {
    const out = this.#reserve(10);
    const digits =
      x < 10
        ? 1
        : x < 100
          ? 2
          : x < 1e3
            ? 3
            : x < 1e4
              ? 4
              : x < 1e5
                ? 5
                : x < 1e6
                  ? 6
                  : x < 1e7
                    ? 7
                    : x < 1e8
                      ? 8
                      : x < 1e9
                        ? 9
                        : 10;
    let e = this.#o + digits;
    this.#o = e;
    while (x >= 100) {
      const q = (x / 100) | 0;
      const r = 2 * (x - q * 100);
      out[--e] = DIGIT_PAIRS[r + 1]!;
      out[--e] = DIGIT_PAIRS[r]!;
      x = q;
    }
    if (x >= 10) {
      out[e - 1] = DIGIT_PAIRS[2 * x + 1]!;
      out[e - 2] = DIGIT_PAIRS[2 * x]!;
    } else out[e - 1] = 48 + x;
  }

  /** A safe integer in decimal. */
  #safe(x: number): void {
    if (x < 0) {
      this.#byte(45);
      x = -x;
    }
    if (x < 2147483648) {
      this.#small(x);
      return;
    }
    const high = Math.floor(x / 1e9);
    let low = x - high * 1e9;
    this.#small(high);
    const out = this.#reserve(9);
    const o = this.#o;
    for (let i = o + 7; i > o; i -= 2) {
      const q = (low / 100) | 0;
      const r = 2 * (low - q * 100);
      out[i + 1] = DIGIT_PAIRS[r + 1]!;
      out[i] = DIGIT_PAIRS[r]!;
      low = q;
    }
    out[o] = 48 + low;
    this.#o = o + 9;
  }

  /** `numeric` output: trailing fractional zeros (and the point) and leading zeros removed, specials kept. */
  #numeric(b: Buffer, s: number, e: number): boolean {
    let i = s;
    const negative = b[i] === 45;
    if (negative) i++;
    const c0 = b[i];
    // NaN, Infinity, -Infinity are spelled as canonical text spells them.
    if (c0 === 78 || c0 === 73) return this.#copy(b, s, e);
    const intStart = i;
    while (i < e && b[i]! >= 48 && b[i]! <= 57) i++;
    const intEnd = i;
    let fracStart = e;
    if (i < e) {
      if (b[i] !== 46) return false;
      fracStart = ++i;
      while (i < e && b[i]! >= 48 && b[i]! <= 57) i++;
      if (i !== e) return false;
    }
    if (intEnd === intStart && e === fracStart) return false;
    let a = intStart;
    while (a < intEnd && b[a] === 48) a++;
    let z = e;
    while (z > fracStart && b[z - 1] === 48) z--;
    const out = this.#reserve(e - s + 2);
    let o = this.#o;
    if (a === intEnd && z === fracStart) {
      out[o++] = 48;
      this.#o = o;
      return true;
    }
    if (negative) out[o++] = 45;
    if (a === intEnd) out[o++] = 48;
    for (let k = a; k < intEnd; k++) out[o++] = b[k]!;
    if (z > fracStart) {
      out[o++] = 46;
      for (let k = fracStart; k < z; k++) out[o++] = b[k]!;
    }
    this.#o = o;
    return true;
  }

  /** IEEE-754 binary64 hex of the shortest text `parseFloat` reads (rounded to binary32 for float4). */
  #float(b: Buffer, s: number, e: number, float32: boolean): boolean {
    let v = shortDecimal(b, s, e);
    if (v !== v) v = parseFloat(latin1(b, s, e));
    if (float32) v = Math.fround(v);
    return this.#floatValue(v);
  }

  /** Writes `v` as canonical float text: IEEE-754 binary64 hex, or 0, NaN, ±Infinity. */
  #floatValue(v: number): boolean {
    if (v === 0) return this.#copyText('0');
    if (v !== v) return this.#copyText('NaN');
    if (v === Infinity) return this.#copyText('Infinity');
    if (v === -Infinity) return this.#copyText('-Infinity');
    floatBits[0] = v;
    const out = this.#reserve(16);
    const o = this.#o;
    let high = floatWords[HIGH_WORD]!;
    let low = floatWords[LOW_WORD]!;
    for (let i = 7; i >= 0; i--) {
      out[o + i] = HEX_DIGITS[high & 15]!;
      out[o + 8 + i] = HEX_DIGITS[low & 15]!;
      high >>>= 4;
      low >>>= 4;
    }
    this.#o = o + 16;
    return true;
  }

  #copyText(s: string): boolean {
    const out = this.#reserve(s.length);
    let o = this.#o;
    for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
    this.#o = o;
    return true;
  }

  /** `<utf8 bytes>:<text>` of a text field (unescaped, trimmed and lower-cased as the plan says). */
  #text(b: Buffer, s: number, e: number, escaped: boolean, spec: FieldPlan): boolean {
    let src = b;
    if (escaped) {
      const n = this.#unescape(b, s, e);
      if (n < 0) return false;
      src = this.#scratch;
      s = 0;
      e = n;
    }
    if (spec.trim) while (e > s && src[e - 1] === 32) e--;
    if (spec.lower) {
      // Unicode lower-casing needs the string (and may change the byte length).
      const lower = utf8(src, s, e).toLowerCase();
      this.#small(utf8Length(lower));
      this.#byte(58);
      this.#string(lower);
      return true;
    }
    this.#small(e - s);
    const out = this.#reserve(e - s + 1);
    let o = this.#o;
    out[o++] = 58;
    let high = 0;
    for (let i = s; i < e; i++) {
      const c = src[i]!;
      high |= c;
      out[o++] = c;
    }
    if (high >= 0x80) this.#nonAscii = true;
    this.#o = o;
    return true;
  }

  /**
   * Undoes the escapes COPY TO writes (`\\`, `\b`, `\f`, `\n`, `\r`, `\t`, `\v`) into the scratch
   * buffer and returns the length; -1 for any other escape (left to {@link unescapeCopyText}).
   */
  #unescape(b: Buffer, s: number, e: number): number {
    if (this.#scratch.length < e - s)
      this.#scratch = Buffer.allocUnsafe(Math.max(e - s, this.#scratch.length * 2));
    const out = this.#scratch;
    let o = 0;
    for (let i = s; i < e; i++) {
      let c = b[i]!;
      if (c === 92) {
        switch (b[++i]) {
          case 92:
            c = 92;
            break;
          case 98:
            c = 8;
            break;
          case 102:
            c = 12;
            break;
          case 110:
            c = 10;
            break;
          case 114:
            c = 13;
            break;
          case 116:
            c = 9;
            break;
          case 118:
            c = 11;
            break;
          default:
            return -1;
        }
      }
      out[o++] = c;
    }
    return o;
  }

  /**
   * Days since the epoch of `Y…Y-MM-DD[ BC]` (four or more year digits) read from `b` at `s`, or `NaN`
   * when the text is not that; {@link #pos} is left after the date.
   */
  #days(b: Buffer, s: number, e: number): number {
    let i = s;
    let year = 0;
    while (i < e && b[i]! >= 48 && b[i]! <= 57) year = year * 10 + (b[i++]! - 48);
    if (i - s < 4 || i + 6 > e || b[i] !== 45 || b[i + 3] !== 45) return NaN;
    const month = two(b, i + 1);
    const day = two(b, i + 4);
    if (month < 1 || month > 12 || day < 1 || day > 31) return NaN;
    this.#pos = i + 6;
    // ` BC` ends the text (after the time and offset of an instant).
    if (e - s >= 3 && b[e - 3] === 32 && b[e - 2] === 66 && b[e - 1] === 67) {
      if (year === 0) return NaN;
      year = 1 - year;
    }
    return daysFromCivil(year, month, day);
  }

  #date(b: Buffer, s: number, e: number): boolean {
    if (b[s] === 105 || b[s] === 45) return this.#infinity(b, s, e);
    const days = this.#days(b, s, e);
    if (days !== days) return false;
    const end = this.#pos;
    if (end !== e && !(end + 3 === e && b[end] === 32)) return false;
    this.#safe(days);
    return true;
  }

  /** `infinity` / `-infinity` as `Infinity` / `-Infinity`. */
  #infinity(b: Buffer, s: number, e: number): boolean {
    const negative = b[s] === 45;
    const i = negative ? s + 1 : s;
    if (e - i !== 8 || b[i] !== 105 || b[i + 7] !== 121) return false;
    return this.#copyText(negative ? '-Infinity' : 'Infinity');
  }

  /**
   * Epoch microseconds of `Y…Y-MM-DD HH:MM:SS[.f…][+00][ BC]` (the session is in UTC), floored to
   * `unit` µs; false for anything else.
   */
  #instant(b: Buffer, s: number, e: number, unit: number): boolean {
    if (b[s] === 105 || b[s] === 45) return this.#infinity(b, s, e);
    const days = this.#days(b, s, e);
    if (days !== days) return false;
    let i = this.#pos;
    if (i + 9 > e || b[i] !== 32 || b[i + 3] !== 58 || b[i + 6] !== 58) return false;
    const hours = two(b, i + 1);
    const minutes = two(b, i + 4);
    const seconds = two(b, i + 7);
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) return false;
    i += 9;
    let fraction = 0;
    if (b[i] === 46) {
      let digits = 0;
      for (i++; i < e && b[i]! >= 48 && b[i]! <= 57; i++, digits++) fraction = fraction * 10 + (b[i]! - 48);
      if (digits === 0 || digits > 6) return false;
      fraction *= POW10[6 - digits] as number;
    }
    if (i + 3 <= e && b[i] === 43 && b[i + 1] === 48 && b[i + 2] === 48) i += 3;
    if (i !== e && !(i + 3 === e && b[i] === 32)) return false;
    const secondsOfDay = hours * 3600 + minutes * 60 + seconds;
    if (days >= -SAFE_DAYS && days <= SAFE_DAYS) {
      const micros = (days * 86_400 + secondsOfDay) * 1_000_000 + fraction;
      const rest = micros % unit;
      this.#safe(micros - (rest < 0 ? rest + unit : rest));
      return true;
    }
    const micros = BigInt(days * 86_400 + secondsOfDay) * 1_000_000n + BigInt(fraction);
    const big = BigInt(unit);
    const rest = micros % big;
    return this.#copyText((micros - (rest < 0n ? rest + big : rest)).toString());
  }
}

/** Two ASCII digits at `i` as a number, or -1. */
function two(b: Buffer, i: number): number {
  const x = b[i]! - 48;
  const y = b[i + 1]! - 48;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

function malformed(columns: number, b: Buffer, start: number): Error {
  const end = b.indexOf(10, start);
  const line = b.toString('utf8', start, Math.min(end === -1 ? b.length : end, start + 200));
  return new Error(`COPY output row does not have ${columns} columns: ${JSON.stringify(line)}`);
}

/** The signed big-endian 32-bit integer at `b[i]`. */
function int32(b: Buffer, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}

/** The 16 bytes of a binary uuid at `b[s]` as PostgreSQL spells it (lower-case, hyphenated). */
function uuidText(b: Buffer, s: number): string {
  const hex = b.toString('hex', s, s + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
