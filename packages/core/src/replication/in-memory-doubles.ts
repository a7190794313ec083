/**
 * TEST DOUBLES — an in-memory ChangeSource and ChangeSink for the replication engine's unit tests only.
 * They model the contracts (ordered log with numeric positions, atomic batch + checkpoint, fencing) and
 * let tests inject failures; real adapters are tested against real PostgreSQL in @cdc/postgres.
 */
import type {
  ApplyResult,
  ChangeBatch,
  ChangeEvent,
  ChangeOptions,
  ChangeSink,
  ChangeSource,
  Position,
  Snapshot,
  TableMapping,
} from '../connector.js';
import { defineCapabilities } from '../connector.js';
import { CdcError } from '../errors.js';
import type { Key, Row, TableId, TableSchema } from '../schema.js';
import { tableKey } from './transforms.js';

const keyOf = (row: Row, columns: readonly string[]) => JSON.stringify(columns.map((c) => row[c]));

/** TEST DOUBLE: a source whose tables live in memory and whose changes form one ordered log. */
export class InMemoryChangeSource implements ChangeSource {
  readonly dialect = 'memory';
  readonly capabilities = defineCapabilities();
  readonly #schemas = new Map<string, TableSchema>();
  readonly #rows = new Map<string, Map<string, Row>>();
  /** Committed transactions; position of entry i is `String(i + 1)`. */
  readonly log: ChangeEvent[][] = [];
  /** Positions acknowledged by the engine, in order. */
  readonly acknowledged: Position[] = [];
  /** Errors thrown by the next `changes()` iterations (one per call), front first. */
  readonly streamFailures: unknown[] = [];
  /** Log entries before this index are gone (retention). */
  truncatedBefore = 0;
  #waiters: (() => void)[] = [];

  addTable(schema: TableSchema, rows: Row[] = []): void {
    this.#schemas.set(tableKey(schema.id), schema);
    this.#rows.set(tableKey(schema.id), new Map(rows.map((r) => [keyOf(r, schema.primaryKey), r])));
  }

  /** Replaces a table's schema (e.g. a column was added at the source). */
  alterTable(schema: TableSchema): void {
    this.#schemas.set(tableKey(schema.id), schema);
  }

  /** Commits one source transaction. */
  commit(events: ChangeEvent[]): void {
    for (const e of events) {
      const rows = this.#rows.get(tableKey(e.table))!;
      const pk = this.#schemas.get(tableKey(e.table))!.primaryKey;
      if (e.op === 'upsert') rows.set(keyOf(e.row, pk), { ...rows.get(keyOf(e.row, pk)), ...e.row });
      else if (e.op === 'delete') rows.delete(keyOf(e.key, pk));
    }
    this.log.push(events);
    for (const w of this.#waiters.splice(0)) w();
  }

  rows(table: TableId): Row[] {
    return [...(this.#rows.get(tableKey(table))?.values() ?? [])];
  }

  async introspect(table: TableId): Promise<TableSchema> {
    const schema = this.#schemas.get(tableKey(table));
    if (!schema) throw new CdcError('TABLE_NOT_FOUND', `no table ${table.name}`);
    return structuredClone(schema);
  }

  async close(): Promise<void> {}
  async count(table: TableSchema): Promise<bigint> {
    return BigInt(this.rows(table.id).length);
  }
  async splits(): Promise<[{ kind: 'key' }]> {
    return [{ kind: 'key' }];
  }
  async *scan(table: TableSchema): AsyncIterable<Row[]> {
    yield this.rows(table.id);
  }
  async lookup(table: TableSchema, keys: Key[]): Promise<Row[]> {
    const wanted = new Set(keys.map((k) => JSON.stringify(k)));
    return this.rows(table.id).filter((r) => wanted.has(keyOf(r, table.primaryKey)));
  }

  async snapshot(table: TableSchema, options?: { batchRows?: number }): Promise<Snapshot> {
    const rows = this.rows(table.id).map((r) => ({ ...r }));
    const size = options?.batchRows ?? 1000;
    return {
      partition: '*',
      position: String(this.log.length),
      rows: (async function* () {
        for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
      })(),
      close: async () => undefined,
    };
  }

  async *changes(options: ChangeOptions): AsyncIterable<ChangeBatch> {
    const failure = this.streamFailures.shift();
    if (failure !== undefined) throw failure;
    let next = Number(options.from.get('*') ?? '0');
    if (next < this.truncatedBefore) {
      throw new CdcError('RETENTION_GAP', `changes after position ${next} are no longer retained`);
    }
    const wanted = new Set(options.tables.map((t) => tableKey(t.id)));
    for (;;) {
      while (next < this.log.length) {
        const events = this.log[next]!.filter((e) => wanted.has(tableKey(e.table)));
        next++;
        yield { partition: '*', position: String(next), events };
      }
      if (options.untilCaughtUp || options.signal?.aborted) return;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        options.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      if (options.signal?.aborted) return;
    }
  }

  async acknowledge(_partition: string, position: Position): Promise<void> {
    this.acknowledged.push(position);
  }
}

/** TEST DOUBLE: a sink applying batches and checkpoints atomically to in-memory tables. */
export class InMemoryChangeSink implements ChangeSink {
  readonly mappings = new Map<string, TableMapping>();
  readonly tables = new Map<string, Map<string, Row>>();
  readonly checkpointsByPipeline = new Map<string, Map<string, Position>>();
  readonly epochs = new Map<string, number>();
  /** Every committed batch, in order. */
  readonly applied: ChangeBatch[] = [];
  /** Errors thrown by the next `apply` calls, front first (the batch is then NOT applied). */
  readonly applyFailures: unknown[] = [];
  prepareCalls = 0;
  /** Called at the start of each apply, for tests that act mid-run (e.g. abort a signal). */
  onApply: ((batch: ChangeBatch) => void) | undefined;

  async prepare(_pipeline: string, mappings: TableMapping[]): Promise<void> {
    this.prepareCalls++;
    for (const m of mappings) {
      this.mappings.set(tableKey(m.source.id), structuredClone(m));
      if (!this.tables.has(tableKey(m.target))) this.tables.set(tableKey(m.target), new Map());
    }
  }

  async acquire(pipeline: string): Promise<number> {
    const epoch = (this.epochs.get(pipeline) ?? 0) + 1;
    this.epochs.set(pipeline, epoch);
    return epoch;
  }

  async checkpoints(pipeline: string): Promise<Map<string, Position>> {
    return new Map(this.checkpointsByPipeline.get(pipeline));
  }

  async apply(pipeline: string, epoch: number, batch: ChangeBatch): Promise<ApplyResult> {
    this.onApply?.(batch);
    const failure = this.applyFailures.shift();
    if (failure !== undefined) throw failure;
    if (this.epochs.get(pipeline) !== epoch) {
      throw new CdcError('FENCED', `pipeline ${pipeline}: epoch ${epoch} was superseded`);
    }
    const result: ApplyResult = { upserts: 0, deletes: 0, deadLetters: 0 };
    for (const e of batch.events) {
      const m = this.mappings.get(tableKey(e.table));
      if (!m) throw new CdcError('INTERNAL', `sink not prepared for ${e.table.name}`);
      const rows = this.tables.get(tableKey(m.target))!;
      const pk = m.source.primaryKey;
      if (e.op === 'upsert') {
        const k = keyOf(e.row, pk);
        rows.set(k, { ...(e.partial ? rows.get(k) : {}), ...e.row });
        result.upserts++;
      } else if (e.op === 'delete') {
        const k = keyOf(e.key, pk);
        if (m.deletes === 'soft') {
          const old = rows.get(k);
          if (old) rows.set(k, { ...old, _cdc_deleted: true });
        } else rows.delete(k);
        result.deletes++;
      } else {
        for (const [k, r] of rows) {
          if (Object.entries(e.prefix).every(([c, v]) => r[c] === v)) {
            rows.delete(k);
            result.deletes++;
          }
        }
      }
    }
    const cps = this.checkpointsByPipeline.get(pipeline) ?? new Map<string, Position>();
    cps.set(batch.partition, batch.position);
    this.checkpointsByPipeline.set(pipeline, cps);
    this.applied.push(batch);
    return result;
  }

  rows(target: TableId): Row[] {
    return [...(this.tables.get(tableKey(target))?.values() ?? [])];
  }

  async close(): Promise<void> {}
}
