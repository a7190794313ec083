/**
 * The fast read path of PostgreSQL scans: `COPY (SELECT …) TO STDOUT` in text format, decoded straight
 * into the row objects node-pg's cursor would have built. Each field's text is the type's output
 * function (what the cursor receives too) with COPY's escaping on top, so unescaping it and applying
 * the cursor's own parser ({@link cdcTypes}, chosen by the result's type OID) gives identical values
 * for every type, with none of the per-row protocol overhead.
 */
import type { Row } from '@cdc/core';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Readable } from 'node:stream';
import { cdcTypes, isoFromPostgres } from './postgres-values.js';

type Parser = (text: string) => unknown;

/**
 * Output settings for the COPY transaction (`SET LOCAL`, gone at its end): the same text forms the
 * adapter's sessions use, so both paths read identical text whatever a pooled session was changed to.
 */
export const COPY_SETTINGS_SQL =
  "SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true)," +
  " set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true)," +
  " set_config('bytea_output', 'hex', true)";

function isOctal(code: number): boolean {
  return code >= 48 && code <= 55;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/**
 * One escape sequence at `at` (a backslash): the byte or character it stands for and its length.
 * COPY TO writes `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, `\v`; COPY FROM also reads `\ooo` (octal) and
 * `\xhh` (hex) byte values, and any other `\c` as `c`.
 */
function escapeAt(text: string, at: number): { byte?: number; char?: string; length: number } {
  const c = text.charCodeAt(at + 1);
  switch (c) {
    case 98: // b
      return { char: '\b', length: 2 };
    case 102: // f
      return { char: '\f', length: 2 };
    case 110: // n
      return { char: '\n', length: 2 };
    case 114: // r
      return { char: '\r', length: 2 };
    case 116: // t
      return { char: '\t', length: 2 };
    case 118: // v
      return { char: '\v', length: 2 };
    case 120: {
      // x: one or two hex digits, else a plain `x`
      const h1 = hexValue(text.charCodeAt(at + 2));
      if (h1 < 0) return { char: 'x', length: 2 };
      const h2 = hexValue(text.charCodeAt(at + 3));
      return h2 < 0 ? { byte: h1, length: 3 } : { byte: h1 * 16 + h2, length: 4 };
    }
    default:
      if (isOctal(c)) {
        let value = c - 48;
        let length = 2;
        while (length < 4 && isOctal(text.charCodeAt(at + length))) {
          value = value * 8 + text.charCodeAt(at + length) - 48;
          length++;
        }
        return { byte: value & 0xff, length };
      }
      // A lone backslash at the very end stays itself (COPY TO never writes one).
      if (Number.isNaN(c)) return { char: '\\', length: 1 };
      return escapedCharacter(text, at);
  }
}

/** `\c` for any other character `c` (a whole code point, so astral characters stay whole). */
function escapedCharacter(text: string, at: number): { char: string; length: number } {
  const char = String.fromCodePoint(text.codePointAt(at + 1)!);
  return { char, length: 1 + char.length };
}

/**
 * Undoes COPY text-format escaping of one field (not `\N`, which is NULL and handled by the caller).
 * Octal and hex escapes are bytes of the UTF-8 text, as COPY FROM reads them: several may form one
 * character.
 */
export function unescapeCopyText(field: string): string {
  let at = field.indexOf('\\');
  if (at === -1) return field;
  let out = '';
  let start = 0;
  while (at !== -1) {
    out += field.slice(start, at);
    const escape = escapeAt(field, at);
    if (escape.byte !== undefined && escape.byte >= 0x80) return unescapeBytes(field);
    out += escape.char ?? String.fromCharCode(escape.byte!);
    start = at + escape.length;
    at = field.indexOf('\\', start);
  }
  return out + field.slice(start);
}

/** The byte-level unescaper, for fields whose escapes spell bytes of multibyte characters. */
function unescapeBytes(field: string): string {
  const parts: Buffer[] = [];
  let start = 0;
  let at = field.indexOf('\\');
  while (at !== -1) {
    parts.push(Buffer.from(field.slice(start, at), 'utf8'));
    const escape = escapeAt(field, at);
    parts.push(escape.byte !== undefined ? Buffer.of(escape.byte) : Buffer.from(escape.char!, 'utf8'));
    start = at + escape.length;
    at = field.indexOf('\\', start);
  }
  parts.push(Buffer.from(field.slice(start), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

/** One column of a COPY result: its name (the row property) and its parser (`cdcTypes`). */
export interface CopyField {
  name: string;
  parse: Parser;
}

/**
 * The fields of a result description, with the parsers node-pg applies to them in the cursor path
 * (where that parser is {@link isoFromPostgres}, the same function without its regular expression).
 */
export function copyFieldsOf(fields: readonly pg.FieldDef[]): CopyField[] {
  return fields.map((f) => {
    const parse = cdcTypes.getTypeParser(f.dataTypeID, 'text');
    return { name: f.name, parse: parse === isoFromPostgres ? isoInstant : parse };
  });
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `YYYY-MM-DD` at the start of `text`. */
function isIsoDate(text: string): boolean {
  return (
    isDigit(text.charCodeAt(0)) &&
    isDigit(text.charCodeAt(1)) &&
    isDigit(text.charCodeAt(2)) &&
    isDigit(text.charCodeAt(3)) &&
    text.charCodeAt(4) === 45 &&
    isDigit(text.charCodeAt(5)) &&
    isDigit(text.charCodeAt(6)) &&
    text.charCodeAt(7) === 45 &&
    isDigit(text.charCodeAt(8)) &&
    isDigit(text.charCodeAt(9))
  );
}

/**
 * {@link isoFromPostgres}, exactly, with the shapes PostgreSQL writes for years 1–9999 AD in UTC
 * (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS[.f…]`, the same with `+00`) checked by hand instead of by a
 * regular expression (a third of a timestamp column's decoding time); anything else goes to it.
 */
export function isoInstant(text: string): string {
  const n = text.length;
  if (n === 10) return isIsoDate(text) ? text : isoFromPostgres(text);
  if (n < 19 || text.charCodeAt(10) !== 32 || !isIsoDate(text)) return isoFromPostgres(text);
  const utc = text.charCodeAt(n - 3) === 43 && text.charCodeAt(n - 2) === 48 && text.charCodeAt(n - 1) === 48;
  const end = utc ? n - 3 : n;
  if (
    !isDigit(text.charCodeAt(11)) ||
    !isDigit(text.charCodeAt(12)) ||
    text.charCodeAt(13) !== 58 ||
    !isDigit(text.charCodeAt(14)) ||
    !isDigit(text.charCodeAt(15)) ||
    text.charCodeAt(16) !== 58 ||
    !isDigit(text.charCodeAt(17)) ||
    !isDigit(text.charCodeAt(18))
  ) {
    return isoFromPostgres(text);
  }
  if (end !== 19) {
    if (end < 21 || text.charCodeAt(19) !== 46) return isoFromPostgres(text);
    for (let i = 20; i < end; i++) if (!isDigit(text.charCodeAt(i))) return isoFromPostgres(text);
  }
  return utc ? `${text.slice(0, 10)}T${text.slice(11, end)}Z` : `${text.slice(0, 10)}T${text.slice(11)}`;
}

/**
 * What the COPY read loop needs from a decoder of COPY text into items of type `T` (row objects, or
 * canonical rows): chunks in, up to `max` items out at a time, and the raw key texts of the last item
 * for keyset paging.
 */
export interface CopyDecoder<T> {
  /** Adds a chunk of the stream (only once the items of the previous one were taken). */
  push(chunk: Buffer): void;
  /** Appends up to `max` items to `out` and returns how many; fewer means push the next chunk. */
  take(out: T[], max: number): number;
  /** Checks the stream ended on a row boundary. */
  finish(): void;
  /** Raw (unescaped) text of the paging key fields of the last item taken. */
  readonly lastKeyTexts: readonly (string | null)[];
  /** Reads `COPY … TO STDOUT (FORMAT binary)` (default: text). */
  readonly binary?: boolean;
  /** The select-list expression of field `field` (default: `column`, the quoted column itself). */
  columnSql?(column: string, field: number): string;
}

/**
 * Whole lines of a COPY text stream, chunk by chunk. Chunks split anywhere (inside a row, a field or
 * a multibyte character): a chunk's bytes up to its last newline are whole lines, since byte 0x0A
 * occurs in UTF-8 only as a newline; the rest waits for the next chunk.
 */
export class CopyLines {
  #pending: Buffer[] = [];
  /** Whole lines not consumed yet, from {@link pos}. */
  bytes: Buffer = Buffer.alloc(0);
  /** Where the unconsumed lines of {@link bytes} start: consumers advance it. */
  pos = 0;

  /** True while whole lines are buffered. */
  get hasBytes(): boolean {
    return this.pos < this.bytes.length;
  }

  /** True when bytes of an unfinished line are held. */
  get hasPartial(): boolean {
    return this.#pending.some((p) => p.length > 0);
  }

  /** Adds a chunk; its whole lines replace {@link bytes}, which must have been consumed. */
  push(chunk: Buffer): void {
    const lastNewline = chunk.lastIndexOf(10);
    if (lastNewline === -1) {
      this.#pending.push(chunk);
      return;
    }
    let bytes = chunk.subarray(0, lastNewline + 1);
    if (this.#pending.length > 0) bytes = Buffer.concat([...this.#pending, bytes]);
    this.#pending = lastNewline + 1 < chunk.length ? [Buffer.from(chunk.subarray(lastNewline + 1))] : [];
    this.bytes = bytes;
    this.pos = 0;
  }
}

/** Bytes of COPY text decoded into one string at a time (see `CopyTextDecoder.#nextSegment`). */
const SEGMENT_BYTES = 32 * 1024;

/**
 * Decodes a COPY text stream into rows, chunk by chunk ({@link CopyLines}). Rows are built like
 * node-pg's `Result.parseRow` (a copy of an all-NULL row, then each field), so they equal the
 * cursor's rows property for property, in the same order.
 */
export class CopyTextDecoder implements CopyDecoder<Row> {
  readonly #fields: CopyField[];
  readonly #build: (values: unknown[]) => Row;
  readonly #values: unknown[];
  readonly #keyIndexes: number[];
  /** Raw (unescaped) text of the key columns of the last decoded row, for keyset paging. */
  readonly lastKeyTexts: (string | null)[];
  readonly #lines = new CopyLines();
  /** The decoded segment rows are taken from, from {@link #pos}. */
  #text = '';
  #pos = 0;
  #backslash = -1;

  /** `keyIndexes`: fields whose raw text {@link lastKeyTexts} keeps. */
  constructor(fields: CopyField[], keyIndexes: number[] = []) {
    if (fields.length === 0) throw new TypeError('a COPY result has at least one column');
    this.#fields = fields;
    this.#keyIndexes = keyIndexes;
    this.lastKeyTexts = keyIndexes.map(() => null);
    this.#build = rowBuilder(fields.map((f) => f.name));
    this.#values = fields.map(() => null);
  }

  /** True while rows are buffered (call {@link take} before the next push). */
  get hasText(): boolean {
    return this.#pos < this.#text.length || this.#lines.hasBytes;
  }

  /** Adds a chunk of the stream. */
  push(chunk: Buffer): void {
    if (this.hasText) throw new Error('CopyTextDecoder.push() before the buffered rows were taken');
    this.#lines.push(chunk);
  }

  /**
   * Decodes the next segment of whole lines, about {@link SEGMENT_BYTES}: strings that large are
   * allocated young and die young, where a string of a whole chunk would be a large object, freed only
   * by a full collection (measured: peak RSS 240 → 190 MB reading two 1M-row tables at once).
   */
  #nextSegment(): boolean {
    const lines = this.#lines;
    const bytes = lines.bytes;
    const start = lines.pos;
    if (start >= bytes.length) return false;
    let end = bytes.length;
    if (end - start > SEGMENT_BYTES) {
      const newline = bytes.lastIndexOf(10, start + SEGMENT_BYTES - 1);
      end = (newline >= start ? newline : bytes.indexOf(10, start + SEGMENT_BYTES)) + 1;
    }
    this.#text = bytes.toString('utf8', start, end);
    this.#pos = 0;
    this.#backslash = this.#text.indexOf('\\');
    lines.pos = end;
    return true;
  }

  /**
   * Appends up to `max` decoded rows to `out` and returns how many. Fewer than `max` means the
   * buffered text is used up (push the next chunk).
   */
  take(out: Row[], max: number): number {
    let n = 0;
    while (n < max) {
      if (this.#pos >= this.#text.length && !this.#nextSegment()) break;
      n += this.#takeDecoded(out, max - n);
    }
    return n;
  }

  #takeDecoded(out: Row[], max: number): number {
    const text = this.#text;
    const fields = this.#fields;
    const last = fields.length - 1;
    const build = this.#build;
    const values = this.#values;
    const keyIndexes = this.#keyIndexes;
    const keyTexts = this.lastKeyTexts;
    let pos = this.#pos;
    let backslash = this.#backslash;
    let tab = text.indexOf('\t', pos);
    let n = 0;
    while (n < max && pos < text.length) {
      const lineEnd = text.indexOf('\n', pos);
      let k = 0;
      for (let i = 0; i <= last; i++) {
        let end: number;
        if (i < last) {
          if (tab === -1 || tab > lineEnd) throw malformed(fields.length, text.slice(pos, lineEnd));
          end = tab;
          tab = text.indexOf('\t', tab + 1);
        } else {
          if (tab !== -1 && tab < lineEnd) throw malformed(fields.length, text.slice(pos, lineEnd));
          end = lineEnd;
        }
        let value: string | null;
        if (backslash === -1 || backslash >= end) {
          value = text.slice(pos, end);
        } else {
          const raw = text.slice(pos, end);
          backslash = text.indexOf('\\', end);
          value = raw === '\\N' ? null : unescapeCopyText(raw);
        }
        if (k < keyIndexes.length && keyIndexes[k] === i) keyTexts[k++] = value;
        values[i] = value === null ? null : fields[i]!.parse(value);
        pos = end + 1;
      }
      out.push(build(values));
      n++;
    }
    this.#pos = pos;
    this.#backslash = backslash;
    if (pos >= text.length) this.#text = '';
    return n;
  }

  /** Checks the stream ended on a row boundary. */
  finish(): void {
    if (this.hasText || this.#lines.hasPartial) {
      throw new Error('COPY output ended inside a row');
    }
  }
}

/**
 * A function making a row from its values in column order. Generated as one object literal, so each
 * row is a single allocation with in-object properties (about 4× faster to build than assigning
 * properties one by one, and less garbage); names enter the source as JSON string literals. Rows equal
 * node-pg's (a copy of a null-prototype all-NULL row, then each field assigned): same own properties
 * in the same order, `__proto__` included as an own property (a computed key, as node-pg's copy has).
 */
function rowBuilder(names: string[]): (values: unknown[]) => Row {
  const body = names
    .map((name, i) => `${name === '__proto__' ? '["__proto__"]' : JSON.stringify(name)}: v[${i}]`)
    .join(', ');
  return new Function('v', `return { ${body} };`) as (values: unknown[]) => Row;
}

function malformed(columns: number, line: string): Error {
  return new Error(`COPY output row does not have ${columns} columns: ${JSON.stringify(line.slice(0, 200))}`);
}

/**
 * One `COPY … TO STDOUT` on a checked-out client, read chunk by chunk on demand: nothing is read
 * while the caller does not ask, so the server waits (TCP back-pressure) instead of the process
 * buffering. States: `streaming`, then `done` (all data read; the client is usable once the
 * statement completes), `failed` (the server reported an error; the client is usable) or `broken`
 * (the connection must be discarded). Subclasses say how a chunk is read ({@link readChunk}) and
 * report errors and readiness with {@link fail} and {@link notify}.
 */
export abstract class CopyStatementReader {
  readonly #client: pg.PoolClient;
  readonly #signal: AbortSignal | undefined;
  #state: 'streaming' | 'done' | 'failed' | 'broken' = 'streaming';
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #onAbort = () => this.notify();

  protected constructor(client: pg.PoolClient, signal: AbortSignal | undefined) {
    this.#client = client;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** The next chunk read without waiting: bytes, `null` at the end, `undefined` when none is ready. */
  protected abstract readChunk(): Buffer | null | undefined;

  /** Records the statement's first error (thrown by the next {@link next}) and wakes the reader. */
  protected fail(error: Error): void {
    this.#error ??= error;
    this.notify();
  }

  /** Wakes a {@link next} waiting for data. */
  protected notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** True when the client can run other statements once this one completes. */
  get reusable(): boolean {
    return this.#state === 'done' || this.#state === 'failed';
  }

  /** The next chunk, or `null` at the end. Throws the server's error, or the signal's reason. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      if (this.#state === 'broken') throw new Error('COPY reader was closed');
      if (this.#error) {
        this.#state = 'failed';
        this.#detach();
        throw this.#error;
      }
      if (this.#signal?.aborted) {
        this.destroy();
        throw this.#signal.reason;
      }
      const chunk = this.readChunk();
      if (chunk === null) {
        this.#state = 'done';
        this.#detach();
        return null;
      }
      if (chunk !== undefined) return chunk;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /**
   * Reads and discards the rest when it is at most `maxBytes`, so the connection can be reused
   * after a consumer stopped early. Returns whether it did; if not, the caller {@link destroy}s.
   */
  async drain(maxBytes: number): Promise<boolean> {
    let read = 0;
    try {
      for (;;) {
        const chunk = await this.next();
        if (chunk === null) return true;
        read += chunk.length;
        if (read > maxBytes) return false;
      }
    } catch {
      return this.reusable;
    }
  }

  /**
   * Closes the connection's socket at once: COPY has no client-side stop but a cancel request
   * (a second connection), and ending the session politely would wait for the server, which waits
   * for us to read. The server's next write fails and its backend exits. Release the client with
   * an error afterwards so the pool discards it.
   */
  destroy(): void {
    if (this.#state !== 'streaming') return;
    this.#state = 'broken';
    this.#detach();
    this.#client.connection.stream.destroy();
  }

  #detach(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** A {@link CopyStatementReader} over pg-copy-streams: chunks as the stream gives them. */
export class CopyOutReader extends CopyStatementReader {
  readonly #stream: Readable;
  #ended = false;

  private constructor(client: pg.PoolClient, sql: string, signal: AbortSignal | undefined) {
    super(client, signal);
    // A larger buffer than the default 16 KiB: fewer, larger chunks to decode.
    const stream = copyTo(sql, { highWaterMark: 64 * 1024 });
    this.#stream = stream;
    stream.on('readable', () => this.notify());
    stream.on('end', () => {
      this.#ended = true;
      this.notify();
    });
    stream.on('error', (error: Error) => this.fail(error));
    client.query(stream);
  }

  /** Starts `sql` (a `COPY … TO STDOUT`) on `client`. */
  static start(client: pg.PoolClient, sql: string, signal?: AbortSignal): CopyOutReader {
    return new CopyOutReader(client, sql, signal);
  }

  protected readChunk(): Buffer | null | undefined {
    const chunk = this.#stream.read() as Buffer | null;
    if (chunk !== null) return chunk;
    return this.#ended ? null : undefined;
  }
}
