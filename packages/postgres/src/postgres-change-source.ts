/**
 * PostgreSQL as a {@link ChangeSource}: logical decoding through a replication slot with the built-in
 * `pgoutput` plugin, read by SQL polling (`pg_logical_slot_peek_binary_changes`) and released with
 * `pg_replication_slot_advance` only after the sink committed, so a crash replays instead of losing.
 * The first snapshot uses the snapshot the slot exported at its consistent point.
 */
import {
  CdcError,
  pipelineBatchLimits,
  pipelineSlotName,
  pipelineTables,
  redactUrl,
  type BatchLimits,
  type PipelineConfig,
  type PipelineTable,
  type BucketSummary,
  type ChangeBatch,
  type ChangeEvent,
  type ChangeOptions,
  type ChangeSource,
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
import pg from 'pg';
import Cursor from 'pg-cursor';
import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { connectPostgres, type PostgresAdapter, type PostgresScanMethod } from './postgres-adapter.js';
import {
  COPY_SETTINGS_SQL,
  CopyOutReader,
  CopyTextDecoder,
  copyFieldsOf,
  type CopyField,
} from './postgres-copy-scan.js';
import { PostgresSink } from './postgres-sink.js';
import { qualifiedName, quoteIdent } from './postgres-sql.js';
import { cdcTypes } from './postgres-values.js';

/** Options of {@link PostgresChangeSource}. */
export interface PostgresChangeSourceOptions {
  /** Connection URL of the source database (the user needs REPLICATION, or to be superuser). */
  url: string;
  /** Replication slot name (letters, digits, `_`; at most 63). */
  slot: string;
  /** Publication name. Default: the slot name. */
  publication?: string;
  /** Tables the publication must cover; set before the slot is created so no change is missed. */
  tables: TableId[];
  /** Changes requested per poll. Default 10,000. */
  maxChangesPerPoll?: number;
  /** Pause between polls that found nothing new, in ms. Default 200. */
  pollIntervalMs?: number;
  /**
   * Pause after a poll that found new transactions and saw everything committed, in ms. Default 50.
   * Each poll decodes the not yet acknowledged WAL again, so polling back to back under a steady load
   * costs the source CPU for nothing; this bounds it at the price of up to this much added lag.
   */
  activePollIntervalMs?: number;
  /** Receives operational warnings (e.g. inactive slots retaining WAL). Default: none. */
  onWarning?: (message: string) => void;
  /** Retained WAL of an inactive slot above which a warning is given, bytes. Default 1 GiB. */
  retainedWalWarningBytes?: number;
}

/** A replication slot and how much WAL it keeps on the server. */
export interface ReplicationSlotInfo {
  slot: string;
  plugin: string | null;
  database: string | null;
  active: boolean;
  /** `reserved`, `extended`, `unreserved` or `lost` (WAL needed by the slot was removed). */
  walStatus: string | null;
  confirmedFlushLsn: string | null;
  /** Bytes of WAL the server keeps for this slot. */
  retainedBytes: bigint;
}

/** Options of {@link PostgresChangeSource.snapshot}. */
export interface PostgresSnapshotOptions {
  signal?: AbortSignal;
  /** Rows per batch. Default 5,000. */
  batchRows?: number;
  /**
   * How the table is read in the snapshot's transaction, as the `method` of {@link PostgresAdapter.scan}:
   * `copy` (`COPY (SELECT …) TO STDOUT`, decoded in the process) or `cursor` (node-pg row objects from
   * a server-side cursor), identical values either way. Default `auto`: COPY, unless the client cannot
   * stream COPY (pg-native) or the server refused `COPY (query)` before (then the cursor, remembered by
   * this source); a refusal falls back to the cursor in the same snapshot.
   */
  method?: PostgresScanMethod;
}

/** How much of a COPY a consumer left early is read and dropped to keep the connection, at most. */
const COPY_DRAIN_BYTES = 1 << 20;

const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

/** Parses `X/Y` into a comparable number. */
export function parseLsn(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!m) throw new CdcError('INVALID_ARGUMENT', `not a PostgreSQL LSN: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** Renders a number as `X/Y`. */
export function formatLsn(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

/**
 * Positions are the transaction's commit end LSN (`X/Y`), or `X/Y#n` inside a transaction larger than
 * `maxBatchEvents`, meaning "its first n changes are applied".
 */
export function parsePosition(position: Position): { lsn: bigint; applied?: number } {
  const [lsn, applied] = position.split('#');
  return applied === undefined ? { lsn: parseLsn(lsn!) } : { lsn: parseLsn(lsn!), applied: Number(applied) };
}

/** Lists replication slots of the server with the WAL each one retains. */
export async function listReplicationSlots(adapter: PostgresAdapter): Promise<ReplicationSlotInfo[]> {
  const rows = await adapter.query<{
    slot_name: string;
    plugin: string | null;
    database: string | null;
    active: boolean;
    wal_status: string | null;
    confirmed_flush_lsn: string | null;
    retained: string | null;
  }>(
    `SELECT slot_name, plugin, database, active, wal_status, confirmed_flush_lsn::text,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text AS retained
       FROM pg_catalog.pg_replication_slots ORDER BY slot_name`,
  );
  return rows.map((r) => ({
    slot: r.slot_name,
    plugin: r.plugin,
    database: r.database,
    active: r.active,
    walStatus: r.wal_status,
    confirmedFlushLsn: r.confirmed_flush_lsn,
    retainedBytes: BigInt(r.retained ?? '0'),
  }));
}

interface DecodedTxn {
  endLsn: bigint;
  commitTimeMicros: bigint;
  events: ChangeEvent[];
  rows: number;
}

/**
 * Logical-decoding change source for PostgreSQL 14+ (`wal_level = logical`).
 *
 * @example
 * ```ts
 * const source = new PostgresChangeSource({ url, slot: 'cdc_sales', tables: [{ schema: 'public', name: 'orders' }] });
 * await runPipeline({ name: 'sales', source, sink, tables: [{ table: { schema: 'public', name: 'orders' } }] });
 * ```
 */
export class PostgresChangeSource implements ChangeSource {
  readonly dialect = 'postgres';
  readonly #o: Required<Omit<PostgresChangeSourceOptions, 'onWarning'>> &
    Pick<PostgresChangeSourceOptions, 'onWarning'>;
  readonly #adapter: PostgresAdapter;
  #ready: Promise<void> | undefined;
  /** Replication connection holding the snapshot exported at slot creation, until streaming starts. */
  #exporter: { client: pg.Client; snapshot: string; position: string } | undefined;
  #slotClient: pg.Client | undefined;
  #confirmed = 0n;
  #closed = false;
  /** Set when the client or server could not run a COPY snapshot: `auto` snapshots use the cursor. */
  #copyUnsupported = false;

  constructor(options: PostgresChangeSourceOptions) {
    if (!SLOT_NAME.test(options.slot)) {
      throw new CdcError('CONFIG_INVALID', `invalid replication slot name ${JSON.stringify(options.slot)}`, {
        hint: 'use 1–63 lowercase letters, digits or underscores',
      });
    }
    this.#o = {
      publication: options.slot,
      maxChangesPerPoll: 10_000,
      pollIntervalMs: 200,
      activePollIntervalMs: 50,
      retainedWalWarningBytes: 1024 ** 3,
      ...options,
    };
    this.#adapter = connectPostgres({ url: options.url, applicationName: `cdc-source:${options.slot}` });
  }

  get capabilities() {
    return this.#adapter.capabilities;
  }

  /** The slot this source reads. */
  get slot(): string {
    return this.#o.slot;
  }

  introspect(table: TableId, options?: { key?: string[] }): Promise<TableSchema> {
    return this.#adapter.introspect(table, options);
  }
  count(table: TableSchema, range?: Range): Promise<bigint> {
    return this.#adapter.count(table, range);
  }
  splits(table: TableSchema, n: number): Promise<Range[]> {
    return this.#adapter.splits(table, n);
  }
  scan(table: TableSchema, options?: ScanOptions): AsyncIterable<Row[]> {
    return this.#adapter.scan(table, options);
  }
  lookup(table: TableSchema, keys: Key[], columns?: string[]): Promise<Row[]> {
    return this.#adapter.lookup(table, keys, columns);
  }
  summarize(table: TableSchema, plan: HashPlan, range?: Range): Promise<BucketSummary[]> {
    return this.#adapter.summarize(table, plan, range);
  }
  keyHashes(table: TableSchema, plan: HashPlan, buckets: number[], range?: Range): AsyncIterable<KeyHash[]> {
    return this.#adapter.keyHashes(table, plan, buckets, range);
  }

  /** Slots of the source server and the WAL they retain. */
  slots(): Promise<ReplicationSlotInfo[]> {
    return listReplicationSlots(this.#adapter);
  }

  /** Creates (or extends) the publication and creates the slot if missing. Idempotent. */
  ensure(): Promise<void> {
    this.#ready ??= this.#ensure().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #ensure(): Promise<void> {
    const pub = this.#o.publication;
    const [existing] = await this.#adapter.query<{ oid: number }>(
      'SELECT oid FROM pg_catalog.pg_publication WHERE pubname = $1',
      [pub],
    );
    const tables = this.#o.tables.map((t) => qualifiedName(t));
    if (!existing) {
      await this.#adapter.query(`CREATE PUBLICATION ${quoteIdent(pub)} FOR TABLE ${tables.join(', ')}`);
    } else {
      const have = await this.#adapter.query<{ schemaname: string; tablename: string }>(
        'SELECT schemaname, tablename FROM pg_catalog.pg_publication_tables WHERE pubname = $1',
        [pub],
      );
      const missing = this.#o.tables.filter(
        (t) => !have.some((h) => h.schemaname === (t.schema ?? 'public') && h.tablename === t.name),
      );
      if (missing.length > 0) {
        await this.#adapter.query(
          `ALTER PUBLICATION ${quoteIdent(pub)} ADD TABLE ${missing.map((t) => qualifiedName(t)).join(', ')}`,
        );
      }
    }
    const [slot] = await this.#slotRows();
    if (slot) {
      this.#confirmed = slot.confirmed_flush_lsn ? parseLsn(slot.confirmed_flush_lsn) : 0n;
      await this.#warnAboutSlots();
      return;
    }
    // A replication connection exports the snapshot matching the slot's consistent point exactly.
    // `replication` is a node-pg client option missing from @types/pg.
    const config: pg.ClientConfig & { replication: 'database' } = {
      connectionString: this.#o.url,
      replication: 'database',
    };
    const client = new pg.Client(config);
    client.on('error', () => undefined);
    await client.connect();
    try {
      const result = await client.query<{ consistent_point: string; snapshot_name: string }>(
        `CREATE_REPLICATION_SLOT ${quoteIdent(this.#o.slot)} LOGICAL pgoutput (SNAPSHOT 'export')`,
      );
      const row = result.rows[0]!;
      this.#exporter = { client, snapshot: row.snapshot_name, position: row.consistent_point };
      this.#confirmed = parseLsn(row.consistent_point);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    await this.#warnAboutSlots();
  }

  async #slotRows() {
    return this.#adapter.query<{
      confirmed_flush_lsn: string | null;
      wal_status: string | null;
      plugin: string;
      database: string;
    }>(
      `SELECT confirmed_flush_lsn::text, wal_status, plugin, database
         FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`,
      [this.#o.slot],
    );
  }

  async #warnAboutSlots(): Promise<void> {
    if (!this.#o.onWarning) return;
    for (const s of await this.slots()) {
      if (
        !s.active &&
        s.slot !== this.#o.slot &&
        s.retainedBytes >= BigInt(this.#o.retainedWalWarningBytes)
      ) {
        this.#o.onWarning(
          `replication slot ${s.slot} is inactive and retains ${s.retainedBytes} bytes of WAL; ` +
            `drop it if no consumer needs it (cdc replicate --drop-slot, or SELECT pg_drop_replication_slot('${s.slot}'))`,
        );
      }
    }
  }

  /**
   * Reads `table` in the snapshot the slot exported at its consistent point (or, once streaming has
   * started, in a snapshot taken after reading the slot's confirmed position), in batches of
   * `batchRows`. By default through `COPY (SELECT …) TO STDOUT` decoded in the process, the adapter's
   * scan path (see {@link PostgresSnapshotOptions.method}); only what the consumer asks for is read.
   * The transaction ends and the connection returns to the pool when the rows end, stop or fail, or at
   * `close()`.
   */
  async snapshot(table: TableSchema, options: PostgresSnapshotOptions = {}): Promise<Snapshot> {
    await this.ensure();
    const method = options.method ?? 'auto';
    const client = await this.#adapter.connect();
    const streams = canStreamCopy(client);
    if (method === 'copy' && !streams) {
      client.release();
      throw new CdcError(
        'INVALID_ARGUMENT',
        "COPY snapshots need node-postgres' JavaScript client (this pool's client has no socket)",
        { hint: "snapshot with method: 'cursor'" },
      );
    }
    const copy = method === 'copy' || (method === 'auto' && streams && !this.#copyUnsupported);
    const select = `SELECT ${table.columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${qualifiedName(table.id)}`;
    let position: string;
    let fields: CopyField[] = [];
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // Importing the snapshot must be the transaction's first statement.
      const statements: string[] = [];
      if (this.#exporter) {
        statements.push(`SET TRANSACTION SNAPSHOT '${this.#exporter.snapshot.replace(/'/g, "''")}'`);
        position = this.#exporter.position;
      } else {
        // No exported snapshot any more: stream from the slot's confirmed point, read before this
        // transaction's snapshot is taken (at its first query). Changes after it are applied again over
        // this later snapshot, which converges because every change is a full-row upsert or a delete by
        // key, applied in commit order.
        const [slot] = await this.#slotRows();
        position = slot?.confirmed_flush_lsn ?? formatLsn(this.#confirmed);
      }
      if (copy) {
        // One round trip: the snapshot, the adapter's text forms, and the result's description (the
        // cursor path's type OIDs, hence its parsers). The savepoint lets `auto` fall back to the
        // cursor in this same snapshot if the server refuses `COPY (query)`.
        const describe = statements.push(COPY_SETTINGS_SQL, `${select} LIMIT 0`) - 1;
        if (method === 'auto') statements.push('SAVEPOINT cdc_snapshot_copy');
        const results = (await client.query(statements.join('; '))) as unknown as pg.QueryResult[];
        fields = copyFieldsOf(results[describe]!.fields);
      } else if (statements.length > 0) {
        await client.query(statements.join('; '));
      }
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw error;
    }
    const batchRows = options.batchRows ?? 5_000;
    const signal = options.signal;
    /** The statement reading rows, while it runs. */
    let reader: CopyOutReader | undefined;
    let cursor: Cursor | undefined;
    /** Set when the connection must not return to the pool. */
    let discard: Error | undefined;
    let released: Promise<void> | undefined;

    /** Stops a COPY still streaming: reads a small rest to keep the connection, else closes it. */
    const stopCopy = async (failed: boolean) => {
      const r = reader;
      reader = undefined;
      if (!r || r.reusable) return;
      if (failed || !(await r.drain(COPY_DRAIN_BYTES))) {
        r.destroy();
        discard ??= new Error('snapshot stopped during COPY: connection closed');
      }
    };
    const closeCursor = async () => {
      const c = cursor;
      cursor = undefined;
      await c?.close();
    };
    const release = () =>
      (released ??= (async () => {
        await stopCopy(false);
        await closeCursor().catch((error: Error) => {
          discard ??= error;
        });
        if (!discard) {
          await client.query('ROLLBACK').catch((error: Error) => {
            discard = error;
          });
        }
        client.release(discard);
      })());
    const copyRefused = () => {
      this.#copyUnsupported = true;
    };

    async function* cursorRows(): AsyncGenerator<Row[]> {
      const c = client.query(new Cursor(select, [], { types: cdcTypes }));
      cursor = c;
      try {
        for (;;) {
          signal?.throwIfAborted();
          const chunk = (await c.read(batchRows)) as Row[];
          if (chunk.length === 0) return;
          yield chunk;
        }
      } finally {
        await closeCursor();
      }
    }

    async function* copyRows(): AsyncGenerator<Row[]> {
      signal?.throwIfAborted();
      const decoder = new CopyTextDecoder(fields);
      const r = CopyOutReader.start(client, `COPY (${select}) TO STDOUT`, signal);
      reader = r;
      let batch: Row[] = [];
      let started = false;
      for (;;) {
        decoder.take(batch, batchRows - batch.length);
        if (batch.length === batchRows) {
          yield batch;
          batch = [];
          signal?.throwIfAborted();
          continue;
        }
        let chunk: Buffer | null;
        try {
          chunk = await r.next();
        } catch (error) {
          if (method === 'auto' && !started && isCopyRejection(error)) {
            reader = undefined;
            copyRefused();
            await client.query('ROLLBACK TO SAVEPOINT cdc_snapshot_copy');
            yield* cursorRows();
            return;
          }
          throw error;
        }
        if (chunk === null) break;
        started = true;
        decoder.push(chunk);
      }
      decoder.finish();
      reader = undefined;
      if (batch.length > 0) yield batch;
    }

    async function* rows(): AsyncIterable<Row[]> {
      let failed = false;
      try {
        yield* copy ? copyRows() : cursorRows();
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        // An abort or an error closes a COPY still running; the transaction only served these rows.
        await stopCopy(failed);
        await release();
      }
    }
    return { partition: '*', position: formatLsn(parseLsn(position)), rows: rows(), close: release };
  }

  /** Releases the exported snapshot (its replication connection). Further snapshots use the slot position. */
  async releaseExportedSnapshot(): Promise<void> {
    const exporter = this.#exporter;
    this.#exporter = undefined;
    await exporter?.client.end().catch(() => undefined);
  }

  async *changes(options: ChangeOptions): AsyncIterable<ChangeBatch> {
    await this.ensure();
    await this.releaseExportedSnapshot();
    const [slot] = await this.#slotRows();
    const from = options.from.get('*');
    if (!slot) {
      throw new CdcError(
        'RETENTION_GAP',
        `replication slot ${this.#o.slot} does not exist any more${from ? `; changes after ${from} are lost` : ''}`,
        { hint: 're-snapshot the pipeline tables (cdc snapshot --config <file>)' },
      );
    }
    if (slot.wal_status === 'lost') {
      throw new CdcError(
        'RETENTION_GAP',
        `replication slot ${this.#o.slot} lost WAL it needed (wal_status lost)`,
        {
          hint: 'raise max_slot_wal_keep_size, then re-snapshot the pipeline tables (cdc snapshot --config <file>)',
        },
      );
    }
    this.#confirmed = slot.confirmed_flush_lsn ? parseLsn(slot.confirmed_flush_lsn) : 0n;
    const start = from ? parsePosition(from) : undefined;
    if (start && start.lsn < this.#confirmed && start.applied === undefined) {
      // Our checkpoint is behind what the slot already released: something else advanced the slot.
      throw new CdcError(
        'RETENTION_GAP',
        `replication slot ${this.#o.slot} was advanced to ${formatLsn(this.#confirmed)}, past the pipeline's checkpoint ${from}`,
        {
          hint: 're-snapshot the pipeline tables (cdc snapshot --config <file>), and let one pipeline own the slot',
        },
      );
    }
    const wanted = new Map(options.tables.map((t) => [`${t.id.schema ?? 'public'}\u0000${t.id.name}`, t]));
    const maxEvents = options.maxBatchEvents ?? 5_000;
    if (options.untilCaughtUp) await this.#waitForFlush(options.signal);
    let emittedLsn = start?.lsn ?? 0n;
    let skipInTxn = start?.applied ?? 0;
    // Emitted but not yet acknowledged transactions: a peek starts at the slot's confirmed point, so
    // it must ask for that many more rows to get past them.
    const unacked: { endLsn: bigint; rows: number }[] = [];
    for (;;) {
      if (options.signal?.aborted || this.#closed) return;
      while (unacked.length > 0 && unacked[0]!.endLsn <= this.#confirmed) unacked.shift();
      const limit = this.#o.maxChangesPerPoll + unacked.reduce((n, t) => n + t.rows, 0);
      // Transactions committed before the last emitted one come back in every peek until acknowledged:
      // they are not parsed again (a partly emitted one is, to resume inside it).
      const { txns, rows } = await this.#peek(limit, wanted, skipInTxn === 0 ? emittedLsn : 0n);
      let fresh = 0;
      for (const txn of txns) {
        if (txn.endLsn < emittedLsn || (txn.endLsn === emittedLsn && skipInTxn === 0)) continue;
        const resumed = txn.endLsn === emittedLsn ? skipInTxn : 0;
        const events = txn.events.slice(resumed);
        skipInTxn = 0;
        fresh++;
        unacked.push({ endLsn: txn.endLsn, rows: txn.rows });
        const end = formatLsn(txn.endLsn);
        for (let i = 0; i === 0 || i < events.length; i += maxEvents) {
          const last = i + maxEvents >= events.length;
          yield {
            partition: '*',
            position: last ? end : `${end}#${resumed + i + maxEvents}`,
            events: events.slice(i, i + maxEvents),
            commitTimeMicros: txn.commitTimeMicros,
          };
        }
        emittedLsn = txn.endLsn;
      }
      if (rows >= limit) continue;
      // A peek that returned less than asked saw every transaction committed before it started.
      if (options.untilCaughtUp) return;
      await sleep(fresh === 0 ? this.#o.pollIntervalMs : this.#o.activePollIntervalMs, options.signal);
    }
  }

  /**
   * Decoding reads only flushed WAL; with `synchronous_commit = off` a commit can sit unflushed for up to
   * three `wal_writer_delay`s. Waiting for the flush point to pass the insert point makes "caught up"
   * mean every transaction committed before the call.
   */
  async #waitForFlush(signal?: AbortSignal): Promise<void> {
    const [row] = await this.#adapter.query<{ lsn: string }>(
      'SELECT pg_current_wal_insert_lsn()::text AS lsn',
    );
    const target = parseLsn(row!.lsn);
    for (;;) {
      const [flushed] = await this.#adapter.query<{ lsn: string }>(
        'SELECT pg_current_wal_flush_lsn()::text AS lsn',
      );
      if (parseLsn(flushed!.lsn) >= target || signal?.aborted) return;
      await sleep(20, signal);
    }
  }

  async #slotConnection(): Promise<pg.Client> {
    if (this.#slotClient) return this.#slotClient;
    const client = new pg.Client({
      connectionString: this.#o.url,
      application_name: `cdc-slot:${this.#o.slot}`,
    });
    client.on('error', () => {
      if (this.#slotClient === client) this.#slotClient = undefined;
    });
    try {
      await client.connect();
    } catch (cause) {
      throw new CdcError(
        'CONNECTION_FAILED',
        `cannot connect to the source PostgreSQL at ${redactUrl(this.#o.url)}: ${(cause as Error).message}`,
        { cause, transient: true },
      );
    }
    // Output functions run in this session: the same text forms as the adapter's scans.
    await client.query(
      "SELECT set_config('TimeZone', 'UTC', false), set_config('DateStyle', 'ISO, YMD', false)," +
        " set_config('IntervalStyle', 'postgres', false), set_config('extra_float_digits', '1', false)",
    );
    this.#slotClient = client;
    return client;
  }

  /**
   * Peeks up to `limit` rows of decoded WAL from the slot's confirmed point. Row changes of transactions
   * whose commit precedes `emittedLsn` (already emitted) are counted but not parsed.
   */
  async #peek(
    limit: number,
    wanted: Map<string, TableSchema>,
    emittedLsn: bigint,
  ): Promise<{ txns: DecodedTxn[]; rows: number }> {
    const client = await this.#slotConnection();
    let result: pg.QueryResult<{ data: Buffer }>;
    try {
      result = await client.query<{ data: Buffer }>(
        `SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, $2,
           'proto_version', '1', 'publication_names', $3)`,
        [this.#o.slot, limit, quoteIdent(this.#o.publication)],
      );
    } catch (error) {
      if (this.#slotClient === client) {
        this.#slotClient = undefined;
        await client.end().catch(() => undefined);
      }
      throw error;
    }
    const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [this.#o.publication] });
    const txns: DecodedTxn[] = [];
    let current: DecodedTxn | undefined;
    let skipping = false;
    for (const { data } of result.rows) {
      // Insert, Update, Delete, Truncate of a transaction already emitted: only counted.
      const tag = data[0];
      if (skipping && current && (tag === 0x49 || tag === 0x55 || tag === 0x44 || tag === 0x54)) {
        current.rows++;
        continue;
      }
      const msg = plugin.parse(data);
      switch (msg.tag) {
        case 'relation':
          // The library parses with node-pg's default (lossy) parsers; use cdc's exact text forms.
          for (const column of msg.columns) column.parser = cdcTypes.getTypeParser(column.typeOid);
          break;
        case 'begin':
          current = { endLsn: 0n, commitTimeMicros: msg.commitTime as bigint, events: [], rows: 0 };
          // Its commit record precedes the end of the last emitted transaction: it ended at or before it.
          skipping = msg.commitLsn !== null && parseLsn(msg.commitLsn) < emittedLsn;
          break;
        case 'commit':
          if (current) {
            current.endLsn = parseLsn(msg.commitEndLsn!);
            // The commit row counts too: the next peek must ask for every row of unacknowledged ones.
            current.rows++;
            txns.push(current);
          }
          current = undefined;
          break;
        case 'insert':
        case 'update':
        case 'delete':
        case 'truncate':
          if (current) current.events.push(...toEvents(msg, wanted));
          break;
        default:
          break;
      }
      if (current) current.rows++;
    }
    return { txns, rows: result.rows.length };
  }

  async acknowledge(partition: string, position: Position): Promise<void> {
    if (partition !== '*' || position.includes('#')) return;
    const lsn = parseLsn(position);
    if (lsn <= this.#confirmed) return;
    const client = await this.#slotConnection();
    await client.query('SELECT pg_replication_slot_advance($1, $2::pg_lsn)', [this.#o.slot, position]);
    this.#confirmed = lsn;
  }

  /** Drops the slot and the publication (`cdc replicate --drop-slot`, pipeline removal). */
  async dropSlot(): Promise<boolean> {
    await this.releaseExportedSnapshot();
    await this.#slotClient?.end().catch(() => undefined);
    this.#slotClient = undefined;
    this.#ready = undefined;
    const [slot] = await this.#slotRows();
    if (slot) await this.#adapter.query('SELECT pg_drop_replication_slot($1)', [this.#o.slot]);
    await this.#adapter.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(this.#o.publication)}`);
    return slot !== undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.releaseExportedSnapshot();
    await this.#slotClient?.end().catch(() => undefined);
    this.#slotClient = undefined;
    await this.#adapter.close();
  }
}

function pickKey(values: Record<string, unknown>, table: TableSchema): Row {
  const key: Row = {};
  for (const c of table.primaryKey) key[c] = values[c];
  return key;
}

function definedOnly(values: Record<string, unknown>): { row: Row; partial: boolean } {
  const row: Row = {};
  let partial = false;
  for (const [k, v] of Object.entries(values)) {
    // Unchanged TOAST values arrive as "unchanged": leave the target's value alone.
    if (v === undefined) partial = true;
    else row[k] = v;
  }
  return { row, partial };
}

function toEvents(
  msg: Pgoutput.MessageInsert | Pgoutput.MessageUpdate | Pgoutput.MessageDelete | Pgoutput.MessageTruncate,
  wanted: Map<string, TableSchema>,
): ChangeEvent[] {
  const lookup = (r: Pgoutput.MessageRelation) => wanted.get(`${r.schema}\u0000${r.name}`);
  if (msg.tag === 'truncate') {
    return msg.relations.flatMap((r) => {
      const t = lookup(r);
      return t ? [{ op: 'delete-range' as const, table: t.id, prefix: {} }] : [];
    });
  }
  const table = lookup(msg.relation);
  if (!table) return [];
  if (msg.tag === 'delete') {
    const old = msg.key ?? msg.old;
    if (!old) return [];
    return [{ op: 'delete', table: table.id, key: pickKey(old, table) }];
  }
  const { row, partial } = definedOnly(msg.new);
  const key = pickKey(row, table);
  const events: ChangeEvent[] = [];
  if (msg.tag === 'update') {
    const old = msg.key ?? msg.old;
    if (old) {
      const oldKey = pickKey(old, table);
      if (table.primaryKey.some((c) => oldKey[c] !== undefined && !sameValue(oldKey[c], key[c]))) {
        events.push({ op: 'delete', table: table.id, key: oldKey });
      }
    }
  }
  events.push({ op: 'upsert', table: table.id, key, row, ...(partial ? { partial } : {}) });
  return events;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return JSON.stringify(a) === JSON.stringify(b);
}

/** False for clients without a socket to stream COPY from (pg-native). */
function canStreamCopy(client: pg.PoolClient): boolean {
  return Boolean((client.connection as { stream?: unknown } | undefined)?.stream);
}

/** `COPY (query) TO STDOUT` refused as such: not implemented (0A000) or not parsed (42601). */
function isCopyRejection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '0A000' || code === '42601';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Options of {@link openPostgresReplication}. */
export interface PostgresReplicationOptions {
  pipeline: PipelineConfig;
  /** Source URL with its password resolved (must be `postgres://` or `postgresql://`). */
  sourceUrl: string;
  /** Target URL with its password resolved. */
  targetUrl: string;
  onWarning?: (message: string) => void;
}

/** A configured pipeline's source, sink, tables and batch limits, ready for `runPipeline`. */
export interface PostgresReplication {
  source: PostgresChangeSource;
  sink: PostgresSink;
  /** The pipeline's tables with their transforms (`rename`, `mask`, `deletes`, targets). */
  tables: PipelineTable[];
  /** The pipeline's `batch` block as engine limits; pass it as `runPipeline({ batch })`. */
  batch?: Partial<BatchLimits>;
  close(): Promise<void>;
}

/**
 * Opens the embedded-mode replication of one configured pipeline from a PostgreSQL source: a
 * {@link PostgresChangeSource} on the pipeline's slot (its `slot`, else `cdc_<name>`) and a
 * {@link PostgresSink} on the target. The source polls at most `batch.maxRows` changes at a time (when
 * larger than the 10,000 default) so big batches are not starved by small polls.
 * Throws `INVALID_ARGUMENT` for other source engines (their change sources are separate packages).
 *
 * @example
 * ```ts
 * const r = openPostgresReplication({ pipeline, sourceUrl, targetUrl });
 * try {
 *   await runPipeline({ name: pipeline.name, source: r.source, sink: r.sink, tables: r.tables,
 *     ...(r.batch ? { batch: r.batch } : {}), signal });
 * } finally {
 *   await r.close();
 * }
 * ```
 */
export function openPostgresReplication(options: PostgresReplicationOptions): PostgresReplication {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(options.sourceUrl)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `pipeline ${options.pipeline.name}: embedded replication from ${redactUrl(options.sourceUrl)} needs a change source for "${scheme ?? '?'}:"`,
      { hint: 'replicate SQL Server and ScyllaDB with mode: kafka-connect, or use a PostgreSQL source' },
    );
  }
  const tables = pipelineTables(options.pipeline);
  const batch = pipelineBatchLimits(options.pipeline);
  const source = postgresPipelineChangeSource(options.sourceUrl, options.pipeline, tables, options.onWarning);
  const sink = PostgresSink.open({
    url: options.targetUrl,
    applicationName: `cdc-sink:${options.pipeline.name}`,
  });
  return {
    source,
    sink,
    tables,
    ...(batch ? { batch } : {}),
    async close() {
      await Promise.allSettled([source.close(), sink.close()]);
    },
  };
}

/**
 * The {@link PostgresChangeSource} of one configured pipeline: its slot (`slot`, else `cdc_<name>`), its
 * tables, and polls of up to `batch.maxRows` changes when that is above the 10,000 default.
 */
export function postgresPipelineChangeSource(
  url: string,
  pipeline: PipelineConfig,
  tables: readonly PipelineTable[],
  onWarning?: (message: string) => void,
): PostgresChangeSource {
  const maxRows = pipeline.batch?.maxRows;
  return new PostgresChangeSource({
    url,
    slot: pipelineSlotName(pipeline),
    tables: tables.map((t) => t.table),
    ...(maxRows !== undefined && maxRows > 10_000 ? { maxChangesPerPoll: maxRows } : {}),
    ...(onWarning ? { onWarning } : {}),
  });
}
