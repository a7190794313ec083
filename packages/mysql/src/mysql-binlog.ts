/**
 * Binary-log change streaming for MariaDB/MySQL on `@vlasky/zongji` (an optional peer, loaded lazily):
 * a {@link ChangeSource} whose positions are binlog file + offset at transaction boundaries, whose
 * snapshots start a consistent-snapshot transaction and read the matching binlog position, and whose
 * row events are decoded into the same JS values `scan` returns.
 */
import {
  CdcError,
  formatTableId,
  type BucketSummary,
  type ChangeBatch,
  type ChangeEvent,
  type ChangeOptions,
  type ChangeSource,
  type Column,
  type HashPlan,
  type Key,
  type KeyHash,
  type Position,
  type Range,
  type Row,
  type ScanOptions,
  type Snapshot,
  type TableId,
  type TableSchema,
} from '@cdc/core';
import { connectMysql, type MysqlAdapter } from './mysql-adapter.js';
import { loadMysql2, mysql2PoolOptions, type ModuleLoader } from './mysql-driver.js';
import { toMysqlError } from './mysql-errors.js';
import { bitWidth, decodeMysqlValue } from './mysql-values.js';

/** A binlog position: the file and the offset just after a committed transaction. */
export interface BinlogPosition {
  file: string;
  position: number;
}

const OFFSET_DIGITS = 20;

/**
 * The {@link Position} text of a binlog position: `file:offset`, the offset zero-padded to 20 digits so
 * positions in one file compare as strings too (files compare by their numeric suffix).
 */
export function formatBinlogPosition(p: BinlogPosition): Position {
  return `${p.file}:${String(p.position).padStart(OFFSET_DIGITS, '0')}`;
}

/** Parses {@link formatBinlogPosition}'s text; `INVALID_ARGUMENT` for anything else. */
export function parseBinlogPosition(text: Position): BinlogPosition {
  const m = /^(.+):(\d+)$/.exec(text);
  if (!m) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `"${text}" is not a MariaDB/MySQL binlog position (file:offset).`,
      {
        hint: 'The checkpoint was written by another source; re-snapshot the pipeline.',
      },
    );
  }
  return { file: m[1] as string, position: Number(m[2]) };
}

function fileSequence(file: string): [string, number] {
  const m = /^(.*)\.(\d+)$/.exec(file);
  return m ? [m[1] as string, Number(m[2])] : [file, 0];
}

/** Orders two binlog positions (negative, zero, positive), by file sequence number then offset. */
export function compareBinlogPositions(a: BinlogPosition, b: BinlogPosition): number {
  const [, fa] = fileSequence(a.file);
  const [, fb] = fileSequence(b.file);
  if (fa !== fb) return fa - fb;
  return a.position - b.position;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * One value as zongji decodes it (with mysql2's `dateStrings`, `supportBigNumbers`, `bigNumberStrings`
 * and `jsonStrings`) → the JS value `scan` returns for the column (then {@link decodeMysqlValue}):
 * 64-bit integers and unsigned bigints as exact text, `CHAR` without its trailing spaces, `BINARY(n)`
 * zero-padded to `n` bytes, `bit(n)` as `ceil(n/8)` big-endian bytes, `set` as `a,b`, dates and
 * instants as the server's text.
 */
export function decodeBinlogValue(column: Column, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  const native = column.nativeType.toLowerCase();
  let v: unknown = raw;
  if (v instanceof Date) {
    const d = v;
    const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    v = column.type.kind === 'date' ? date : `${date} ${time}.${pad(d.getUTCMilliseconds(), 3)}`;
  }
  switch (column.type.kind) {
    case 'int64':
    case 'numeric':
      if (typeof v === 'number' || typeof v === 'bigint') return String(v);
      return v;
    case 'int16':
    case 'int32':
      // The binlog stores YEAR as years since 1900, its zero year (0000) as 0: zongji adds 1900 to it.
      if (native.startsWith('year') && Number(v) === 1900) return 0;
      return typeof v === 'string' || typeof v === 'bigint' ? Number(v) : v;
    case 'bool':
      return decodeMysqlValue(column, v);
    case 'float32':
    case 'float64':
      return typeof v === 'string' ? Number(v) : v;
    case 'bytes': {
      const bits = bitWidth(column);
      if (bits !== undefined) {
        const width = Math.ceil(bits / 8);
        let n: bigint;
        if (Buffer.isBuffer(v) || v instanceof Uint8Array) n = BigInt(`0x0${Buffer.from(v).toString('hex')}`);
        else n = BigInt(v as number | string);
        return Buffer.from(
          n
            .toString(16)
            .padStart(width * 2, '0')
            .slice(-width * 2),
          'hex',
        );
      }
      const buf = Buffer.isBuffer(v)
        ? v
        : typeof v === 'string'
          ? Buffer.from(v, 'binary')
          : Buffer.from(v as Uint8Array);
      const fixed = /^binary\((\d+)\)/.exec(native);
      if (fixed && buf.length < Number(fixed[1]))
        return Buffer.concat([buf, Buffer.alloc(Number(fixed[1]) - buf.length)]);
      return buf;
    }
    case 'text':
      if (Array.isArray(v)) return v.join(',');
      if (Buffer.isBuffer(v)) v = v.toString('utf8');
      if (/^char\(/.test(native) && typeof v === 'string') return v.replace(/ +$/, '');
      return v;
    case 'json':
      return typeof v === 'string' ? v : JSON.stringify(v);
    default:
      return decodeMysqlValue(column, v);
  }
}

/**
 * Refuses binary-log settings the change source cannot replicate from: `binlog_format` other than `ROW`
 * (statements cannot be turned into row changes) and `binlog_row_image` other than `FULL` (updates and
 * deletes would lack columns). `CDC_NOT_ENABLED` naming the setting and how to change it.
 */
export function checkBinlogSettings(settings: { format: string; rowImage: string }, where: string): void {
  const bad: string[] = [];
  if (settings.format.toUpperCase() !== 'ROW')
    bad.push(`binlog_format is ${settings.format || 'unset'}, not ROW`);
  if (settings.rowImage.toUpperCase() !== 'FULL')
    bad.push(`binlog_row_image is ${settings.rowImage || 'unset'}, not FULL`);
  if (bad.length > 0) {
    throw new CdcError('CDC_NOT_ENABLED', `${where}: ${bad.join('; ')}.`, {
      hint: 'set binlog_format=ROW and binlog_row_image=FULL in the server configuration (SET GLOBAL affects new sessions only) and restart the pipeline',
    });
  }
}

/** The members of `@vlasky/zongji`'s `ZongJi` this source uses. */
interface ZongJiLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  start(options: Record<string, unknown>): void;
  stop(): void;
  connection?: { pause?(): void; resume?(): void } | null;
}

/** The `@vlasky/zongji` module, or a compatible one. */
export type ZongJiConstructor = new (dsn: Record<string, unknown>) => ZongJiLike;

/**
 * Loads `@vlasky/zongji`, the binary-log reader (an optional peer dependency of `@cdc/mysql`). Not
 * installed: `CONNECTION_FAILED` with the `npm install` command.
 */
export async function loadZongJi(load: ModuleLoader = (name) => import(name)): Promise<ZongJiConstructor> {
  let module: { default?: unknown };
  try {
    module = (await load('@vlasky/zongji')) as typeof module;
  } catch (error) {
    const missing = /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(
      String((error as Error).message ?? error),
    );
    throw new CdcError(
      'CONNECTION_FAILED',
      missing
        ? 'the MariaDB/MySQL binary-log reader "@vlasky/zongji" is not installed'
        : `the MariaDB/MySQL binary-log reader "@vlasky/zongji" could not be loaded: ${(error as Error).message}`,
      {
        hint: 'it is an optional peer dependency of @cdc/mysql, needed for replication: npm install @vlasky/zongji',
        cause: error,
      },
    );
  }
  const candidate = typeof module.default === 'function' ? module.default : module;
  if (typeof candidate !== 'function') {
    throw new CdcError('CONNECTION_FAILED', 'the module "@vlasky/zongji" exports no ZongJi class', {
      hint: 'npm install @vlasky/zongji@0.9',
    });
  }
  return candidate as ZongJiConstructor;
}

interface RowsEventLike {
  tableId: number;
  tableMap: Record<number, { parentSchema: string; tableName: string }>;
  rows: unknown[];
}

/** Events buffered before the binlog connection is paused (back-pressure). */
const PAUSE_AT = 20_000;
/** Default events per batch when the pipeline gives none. */
const DEFAULT_BATCH_EVENTS = 10_000;

/** Options of {@link MysqlChangeSource}. */
export interface MysqlChangeSourceOptions {
  /** The zongji class ({@link loadZongJi}). */
  zongji: ZongJiConstructor;
  /** The binlog client's server id: unique among the server's replicas. Default 0x6364 + a random part. */
  serverId?: number;
}

/**
 * MariaDB/MySQL as a replication source: the {@link MysqlAdapter}'s scans plus snapshots and changes read
 * from the binary log (row format, full row images). One partition, `'*'`; positions are
 * {@link formatBinlogPosition} texts at transaction ends. Create with {@link openMysqlChangeSource}.
 */
export class MysqlChangeSource implements ChangeSource {
  readonly adapter: MysqlAdapter;
  readonly #zongji: ZongJiConstructor;
  readonly #serverId: number;

  constructor(adapter: MysqlAdapter, options: MysqlChangeSourceOptions) {
    this.adapter = adapter;
    this.#zongji = options.zongji;
    this.#serverId = options.serverId ?? 100_000 + Math.floor(Math.random() * 1_000_000_000);
  }

  get dialect() {
    return this.adapter.dialect;
  }
  get capabilities() {
    return this.adapter.capabilities;
  }
  get workerSpec() {
    return this.adapter.workerSpec;
  }
  introspect(table: TableId, options?: { key?: string[] }): Promise<TableSchema> {
    return this.adapter.introspect(table, options);
  }
  close(): Promise<void> {
    return this.adapter.close();
  }
  count(table: TableSchema, range?: Range): Promise<bigint> {
    return this.adapter.count(table, range);
  }
  estimateCount(table: TableSchema): Promise<bigint> {
    return this.adapter.estimateCount(table);
  }
  splits(table: TableSchema, n: number): Promise<Range[]> {
    return this.adapter.splits(table, n);
  }
  scan(table: TableSchema, options?: ScanOptions): AsyncIterable<Row[]> {
    return this.adapter.scan(table, options);
  }
  lookup(table: TableSchema, keys: Key[], columns?: string[]): Promise<Row[]> {
    return this.adapter.lookup(table, keys, columns);
  }
  summarize(table: TableSchema, plan: HashPlan, range?: Range): Promise<BucketSummary[]> {
    return this.adapter.summarize(table, plan, range);
  }
  keyHashes(table: TableSchema, plan: HashPlan, buckets: number[], range?: Range): AsyncIterable<KeyHash[]> {
    return this.adapter.keyHashes(table, plan, buckets, range);
  }

  /** Rows of `table` in a consistent-snapshot transaction, with the binlog position it matches. */
  async snapshot(
    table: TableSchema,
    options: { signal?: AbortSignal; batchRows?: number } = {},
  ): Promise<Snapshot> {
    const stream = this.adapter.snapshotStream(table, options);
    const first = await stream.next();
    if (first.done || Array.isArray(first.value)) {
      await stream.return(undefined);
      throw new CdcError('INTERNAL', `No snapshot position for ${formatTableId(table.id)}.`);
    }
    const position = formatBinlogPosition(first.value);
    return {
      partition: '*',
      position,
      rows: (async function* () {
        for await (const item of { [Symbol.asyncIterator]: () => stream }) {
          if (Array.isArray(item)) yield item;
        }
      })(),
      close: async () => {
        await stream.return(undefined);
      },
    };
  }

  /**
   * Changes strictly after `from.get('*')` (or, without one, after the current end of the log), one
   * batch per source transaction (split at `maxBatchEvents`: the parts before the last carry the
   * previous transaction's position, so a crash replays the whole transaction, idempotently).
   */
  async *changes(options: ChangeOptions): AsyncGenerator<ChangeBatch> {
    const stored = options.from.get('*');
    const end = await this.adapter.binlogEnd();
    if (!end) {
      throw new CdcError('CDC_NOT_ENABLED', `The binary log is off on ${this.adapter.dialect} source.`, {
        hint: 'Start the server with log_bin, server_id and binlog_format=ROW (docs/sources/mysql.md, "Replication").',
      });
    }
    checkBinlogSettings(
      await this.adapter.binlogSettings(),
      'The MariaDB/MySQL binary log cannot be replicated',
    );
    const start = stored === undefined ? end : parseBinlogPosition(stored);
    if (options.untilCaughtUp && compareBinlogPositions(start, end) >= 0) return;
    const maxEvents = Math.max(1, options.maxBatchEvents ?? DEFAULT_BATCH_EVENTS);

    const tables = new Map<string, TableSchema>();
    const include: Record<string, string[]> = {};
    for (const t of options.tables) {
      const schema = t.id.schema ?? this.adapter.config.database ?? this.adapter.facts.database ?? '';
      tables.set(`${schema}\u0000${t.id.name}`, t);
      (include[schema] ??= []).push(t.id.name);
    }

    const ready: ChangeBatch[] = [];
    let pending: ChangeEvent[] = [];
    let buffered = 0;
    let paused = false;
    let failure: unknown;
    let finished = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    let file = start.file;
    let committed: BinlogPosition = start;
    let lastEmitted = start;

    const { connectionLimit: _unused, ...connection } = mysql2PoolOptions(this.adapter.config);
    const zongji = new this.#zongji({ ...connection });
    const cut = (position: BinlogPosition, timestamp?: number) => {
      committed = position;
      if (pending.length > 0) {
        ready.push({
          partition: '*',
          position: formatBinlogPosition(position),
          events: pending,
          ...(timestamp ? { commitTimeMicros: BigInt(timestamp) * 1000n } : {}),
        });
        lastEmitted = position;
        pending = [];
      }
      if (options.untilCaughtUp && compareBinlogPositions(position, end) >= 0) {
        if (compareBinlogPositions(lastEmitted, position) < 0) {
          ready.push({ partition: '*', position: formatBinlogPosition(position), events: [] });
          lastEmitted = position;
        }
        finished = true;
      }
      notify();
    };
    const push = (event: ChangeEvent) => {
      // A part cut before the transaction's end carries the previous transaction's position; the last
      // part (cut at the commit) carries the transaction's own.
      if (pending.length >= maxEvents) {
        ready.push({ partition: '*', position: formatBinlogPosition(committed), events: pending });
        pending = [];
        notify();
      }
      pending.push(event);
      buffered++;
      if (!paused && buffered >= PAUSE_AT && zongji.connection?.pause) {
        zongji.connection.pause();
        paused = true;
      }
    };
    const decodeRow = (table: TableSchema, raw: Record<string, unknown>): Row => {
      const row: Row = {};
      for (const c of table.columns) row[c.name] = decodeBinlogValue(c, raw[c.name]);
      return row;
    };
    const keyOf = (table: TableSchema, row: Row): Row => {
      const key: Row = {};
      for (const k of table.primaryKey) key[k] = row[k];
      return key;
    };

    zongji.on('binlog', ((
      event: { getEventName(): string; nextPosition: number; timestamp: number } & Record<string, unknown>,
    ) => {
      try {
        const name = event.getEventName();
        if (name === 'rotate') {
          file = String(event.binlogName);
          return;
        }
        if (name === 'xid') return cut({ file, position: event.nextPosition }, event.timestamp);
        if (name === 'query') {
          // `COMMIT` ends a non-transactional group; DDL is its own group. `BEGIN` starts one.
          if (String(event.query).trim().toUpperCase() !== 'BEGIN')
            cut({ file, position: event.nextPosition }, event.timestamp);
          return;
        }
        if (name !== 'writerows' && name !== 'updaterows' && name !== 'deleterows') return;
        const rowsEvent = event as unknown as RowsEventLike;
        const map = rowsEvent.tableMap[rowsEvent.tableId];
        if (!map) return;
        const table = tables.get(`${map.parentSchema}\u0000${map.tableName}`);
        if (!table) return;
        for (const raw of rowsEvent.rows) {
          if (name === 'writerows') {
            const row = decodeRow(table, raw as Record<string, unknown>);
            push({ op: 'upsert', table: table.id, key: keyOf(table, row), row });
          } else if (name === 'deleterows') {
            const row = decodeRow(table, raw as Record<string, unknown>);
            push({ op: 'delete', table: table.id, key: keyOf(table, row) });
          } else {
            const { before, after } = raw as {
              before: Record<string, unknown>;
              after: Record<string, unknown>;
            };
            const oldRow = decodeRow(table, before);
            const row = decodeRow(table, after);
            const oldKey = keyOf(table, oldRow);
            const key = keyOf(table, row);
            if (JSON.stringify(oldKey, keyReplacer) !== JSON.stringify(key, keyReplacer)) {
              push({ op: 'delete', table: table.id, key: oldKey });
            }
            push({ op: 'upsert', table: table.id, key, row });
          }
        }
      } catch (error) {
        failure ??= error;
        notify();
      }
    }) as never);
    zongji.on('error', ((error: unknown) => {
      const errno = (error as { errno?: number }).errno;
      // 1236: the requested position is no longer in the server's binary logs (purged).
      failure ??=
        errno === 1236
          ? new CdcError(
              'RETENTION_GAP',
              `The binary log at ${formatBinlogPosition(start)} is gone: ${(error as Error).message}`,
              {
                hint: 'the server purged it before it was read (binlog_expire_logs_seconds); re-snapshot the pipeline',
                cause: error,
              },
            )
          : toMysqlError(error, 'reading the binary log');
      notify();
    }) as never);
    const onAbort = () => {
      finished = true;
      notify();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    zongji.start({
      serverId: this.#serverId,
      filename: start.file,
      position: start.position,
      includeEvents: ['rotate', 'tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query'],
      includeSchema: include,
    });
    try {
      while (true) {
        if (failure !== undefined) throw failure;
        const batch = ready.shift();
        if (batch) {
          buffered -= batch.events.length;
          if (paused && buffered < PAUSE_AT / 4) {
            zongji.connection?.resume?.();
            paused = false;
          }
          yield batch;
          continue;
        }
        if (finished || options.signal?.aborted) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      zongji.stop();
    }
  }
}

function keyReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Opens a MariaDB/MySQL change source from a URL, loading mysql2 and `@vlasky/zongji` (both optional
 * peers). What `mysqlConnector.openChangeSource` calls.
 */
export async function openMysqlChangeSource(options: {
  url: string;
  serverId?: number;
}): Promise<MysqlChangeSource> {
  const zongji = await loadZongJi();
  const adapter = await connectMysql({ url: options.url, driver: await loadMysql2() });
  return new MysqlChangeSource(adapter, {
    zongji,
    ...(options.serverId === undefined ? {} : { serverId: options.serverId }),
  });
}
