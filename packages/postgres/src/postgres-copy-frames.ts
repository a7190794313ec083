/**
 * A `COPY … TO STDOUT` read straight from the connection's socket: the CopyData payloads of each
 * socket chunk are copied into one of two alternating buffers, with no object per message and no
 * buffer per chunk. Used by the binary canonical reads, whose decoder copies what it keeps before the
 * next chunk is read; other reads use pg-copy-streams (`CopyOutReader`).
 *
 * Protocol (PostgreSQL's "COPY Operations"): after the Query message the server answers
 * CopyOutResponse ('H'), CopyData ('d') messages, CopyDone ('c'), then CommandComplete and
 * ReadyForQuery; an ErrorResponse ('E') may come instead at any point; NoticeResponse ('N'),
 * ParameterStatus ('S') and NotificationResponse ('A') may be interspersed. While the COPY streams this
 * reader owns the socket (node-pg's data handler is detached, as pg-copy-streams does); from CopyDone
 * or an error on, the bytes go back to node-pg, which completes the statement (or reports the error to
 * {@link handleError}).
 */
import type pg from 'pg';
import type { Readable } from 'node:stream';
import { CopyStatementReader } from './postgres-copy-scan.js';

/** The parts of node-pg's connection a submittable sees. */
interface PgConnection {
  stream: Readable & { destroy(): void };
  query(text: string): void;
}

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'

/** Bytes of the first output buffers (grown when a chunk carries more payload). */
const OUTPUT_BYTES = 128 * 1024;
/**
 * Payloads shorter than this are copied byte by byte: Buffer#copy allocates a view per partial copy
 * and costs more than a loop below ~40 bytes (measured on Node 20: 20 bytes 250 vs 80 ns, 120 bytes
 * 30 vs 95 ns). A row of a narrow table is one such payload.
 */
const SHORT_COPY = 64;
/** Socket chunks (~64 KiB each) queued before the socket is paused. */
const MAX_QUEUED = 2;

/**
 * One `COPY … TO STDOUT` on a checked-out client, read on demand (the server waits on TCP
 * back-pressure while the caller does not ask). The same states and methods as `CopyOutReader`. A
 * chunk returned by {@link next} stays valid until the next-but-one call (two buffers alternate).
 */
export class CopyFrameReader extends CopyStatementReader {
  #connection: PgConnection | undefined;
  #pgHandler: ((chunk: Buffer) => void) | undefined;
  /** CopyDone seen: the rest belongs to node-pg. */
  #copyDone = false;
  /** The server reported an error: the statement ends without CopyDone. */
  #failed = false;
  /**
   * Socket chunks not yet framed, in order. Taken from 'data' events, not `read()`: a paused socket's
   * `read()` returns all it buffered as one new Buffer, a copy of every byte of the COPY.
   */
  readonly #queue: Buffer[] = [];
  readonly #onData = (chunk: Buffer) => {
    this.#queue.push(chunk);
    // Back-pressure: the kernel buffers the rest, the server waits.
    if (this.#queue.length >= MAX_QUEUED) this.#connection?.stream.pause();
    this.notify();
  };
  readonly #onClose = () => this.fail(new Error('the connection closed during COPY'));
  /** The message being read: its code, and its payload bytes still to come (-1: header incomplete). */
  #code = 0;
  #remaining = -1;
  /** A message header split across chunks. */
  readonly #header = Buffer.alloc(5);
  #headerBytes = 0;
  readonly #outputs: Buffer[];
  #turn = 0;

  private constructor(
    client: pg.PoolClient,
    sql: string,
    signal: AbortSignal | undefined,
    outputs: Buffer[] | undefined,
  ) {
    super(client, signal);
    this.#outputs = outputs ?? CopyFrameReader.buffers();
    const submittable = {
      submit: (connection: PgConnection) => this.#attach(connection, sql),
      handleError: (error: Error) => {
        this.#failed = true;
        this.fail(error);
      },
      handleCommandComplete: () => undefined,
      handleReadyForQuery: () => {
        // Reached after CopyDone (or an error): the statement is over.
        if (!this.#failed) this.#copyDone = true;
        this.notify();
      },
      handleEmptyQuery: () => undefined,
    };
    client.query(submittable as unknown as pg.Submittable);
  }

  /**
   * Starts `sql` (a `COPY … TO STDOUT`) on `client`. `outputs` ({@link buffers}): the two buffers to
   * alternate, shared by the statements of one scan (grown in place when a chunk needs more).
   */
  static start(
    client: pg.PoolClient,
    sql: string,
    signal?: AbortSignal,
    outputs?: Buffer[],
  ): CopyFrameReader {
    return new CopyFrameReader(client, sql, signal, outputs);
  }

  /** A fresh pair of output buffers for {@link start}. */
  static buffers(): Buffer[] {
    return [Buffer.allocUnsafeSlow(OUTPUT_BYTES), Buffer.allocUnsafeSlow(OUTPUT_BYTES)];
  }

  /** The CopyData bytes of the socket's buffered chunks; `null` once CopyDone gave the socket back. */
  protected readChunk(): Buffer | null | undefined {
    for (;;) {
      const connection = this.#connection;
      if (!connection) return this.#copyDone ? null : undefined;
      const chunk = this.#queue.shift();
      if (chunk === undefined) {
        connection.stream.resume();
        return undefined;
      }
      const out = this.#frames(chunk);
      if (out) return out;
    }
  }

  #attach(connection: PgConnection, sql: string): void {
    const stream = connection.stream;
    const handlers = stream.listeners('data') as ((chunk: Buffer) => void)[];
    if (handlers.length !== 1) {
      this.fail(new Error(`COPY reader expected one socket data handler, found ${handlers.length}`));
      return;
    }
    this.#pgHandler = handlers[0];
    stream.removeListener('data', this.#pgHandler!);
    stream.on('data', this.#onData);
    stream.once('close', this.#onClose);
    this.#connection = connection;
    connection.query(sql);
  }

  /**
   * Gives the socket back to node-pg, with `rest` (bytes after CopyDone, or from an error on) and the
   * chunks queued after it.
   */
  #handBack(rest: Buffer): void {
    const connection = this.#connection;
    if (!connection) return;
    this.#connection = undefined;
    const stream = connection.stream;
    stream.removeListener('data', this.#onData);
    stream.removeListener('close', this.#onClose);
    const handler = this.#pgHandler!;
    stream.on('data', handler);
    if (rest.length > 0) handler(rest);
    for (const chunk of this.#queue.splice(0)) handler(chunk);
    // Back in flowing mode once node-pg's handler is attached again.
    process.nextTick(() => stream.resume());
  }

  /**
   * The CopyData payload bytes of `chunk`, copied into the next output buffer; hands the socket back
   * at CopyDone or an ErrorResponse.
   */
  #frames(chunk: Buffer): Buffer | undefined {
    let out = this.#outputs[this.#turn]!;
    if (out.length < chunk.length) {
      out = Buffer.allocUnsafeSlow(Math.max(chunk.length, 2 * out.length));
      this.#outputs[this.#turn] = out;
    }
    let o = 0;
    let p = 0;
    const end = chunk.length;
    while (p < end) {
      if (this.#remaining < 0) {
        // A message header: code and length (which counts itself), possibly split across chunks.
        const take = Math.min(5 - this.#headerBytes, end - p);
        // Byte by byte: Buffer#copy of part of a buffer allocates a view per call (node:buffer's
        // _copyActual), two per row here before.
        const header = this.#header;
        for (let i = 0; i < take; i++) header[this.#headerBytes + i] = chunk[p + i]!;
        const start = p - this.#headerBytes;
        this.#headerBytes += take;
        p += take;
        if (this.#headerBytes < 5) break;
        this.#headerBytes = 0;
        this.#code = this.#header[0]!;
        const length = this.#header.readInt32BE(1) - 4;
        if (this.#code === ERROR_RESPONSE || this.#code === COPY_DONE) {
          // node-pg reads the rest: the error (reported to handleError), or CommandComplete and
          // ReadyForQuery. The header is given back with what follows it.
          const rest = start >= 0 ? chunk.subarray(start) : Buffer.concat([this.#header, chunk.subarray(p)]);
          if (this.#code === COPY_DONE) this.#copyDone = true;
          this.#handBack(rest);
          this.notify();
          return this.#written(out, o);
        }
        this.#remaining = length;
        continue;
      }
      const take = Math.min(this.#remaining, end - p);
      if (this.#code === COPY_DATA) {
        if (take < SHORT_COPY) for (let i = 0; i < take; i++) out[o + i] = chunk[p + i]!;
        else chunk.copy(out, o, p, p + take);
        o += take;
      }
      p += take;
      this.#remaining -= take;
      if (this.#remaining === 0) this.#remaining = -1;
    }
    return this.#written(out, o);
  }

  /**
   * The `o` bytes written to `out`; the other buffer is written next, so the caller's previous chunk
   * stays intact. Nothing written: the same buffer is used again (the previous chunk is the other one).
   */
  #written(out: Buffer, o: number): Buffer | undefined {
    if (o === 0) return undefined;
    this.#turn ^= 1;
    return out.subarray(0, o);
  }
}
