/**
 * PostgreSQL as the replication target: creates target tables from logical schemas, applies each
 * batch (per-key reduced, bulk `unnest` upserts and deletes) together with its checkpoint in ONE
 * transaction guarded by the pipeline's fencing epoch, and dead-letters rows that cannot be applied.
 */
import {
  CdcError,
  formatTableId,
  tableKey,
  type ApplyResult,
  type ChangeBatch,
  type ChangeEvent,
  type ChangeSink,
  type Column,
  type Position,
  type Row,
  type TableId,
  type TableMapping,
} from '@cdc/core';
import type pg from 'pg';
import { connectPostgres, type PostgresAdapter, type PostgresConnectOptions } from './postgres-adapter.js';
import { META_SCHEMA, migrateMeta } from './postgres-migrations.js';
import { toStoredJson } from './postgres-result-store.js';
import { Params, qualifiedName, quoteIdent } from './postgres-sql.js';
import { castTypeOf, nativeTypeFor } from './postgres-types.js';
import { cdcTypes, toPostgresText } from './postgres-values.js';

/** Soft-delete flag column added to targets of `deletes: 'soft'` mappings. */
export const SOFT_DELETE_COLUMN = '_cdc_deleted';
/** Soft-delete time column added to targets of `deletes: 'soft'` mappings. */
export const SOFT_DELETE_AT_COLUMN = '_cdc_deleted_at';

/** Options of {@link PostgresSink}. */
export interface PostgresSinkOptions {
  /** Dead letters allowed per batch; beyond this the batch fails as a whole. Default 1,000. */
  maxDeadLettersPerBatch?: number;
}

interface PreparedTable {
  mapping: TableMapping;
  target: TableId;
  columns: Map<string, { source: Column; cast: string }>;
  key: string[];
  /** Logical types of the key columns, in key order. */
  keyTypes: Column['type'][];
  soft: boolean;
  tsColumn: string | undefined;
}

type KeyState =
  | { op: 'upsert'; key: Row; row: Row; partial: boolean; deleteFirst: boolean; ts: bigint | undefined }
  | { op: 'delete'; key: Row; ts: bigint | undefined };

const META = (t: string) => `${quoteIdent(META_SCHEMA)}.${quoteIdent(t)}`;

/**
 * The parameter type of a bulk column: an array of the column's type, so PostgreSQL parses each value
 * once with the type's own input function; array columns travel as `text[]` of their literals instead.
 */
function arrayParamType(cast: string): string {
  return cast.endsWith(']') ? 'text[]' : `${cast}[]`;
}

/** The SQL of one element of a bulk column (see {@link arrayParamType}). */
function arrayElement(ref: string, cast: string): string {
  return cast.endsWith(']') ? `${ref}::${cast}` : ref;
}

/** Errors of one row's data (class 22 data exception, 23 integrity violation): dead-letter, go on. */
function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * The PostgreSQL {@link ChangeSink}.
 *
 * @example
 * ```ts
 * const sink = new PostgresSink(connectPostgres({ url }));
 * await sink.prepare('orders', [{ source, target: { schema: 'public', name: 'orders' }, deletes: 'soft' }]);
 * const epoch = await sink.acquire('orders');
 * await sink.apply('orders', epoch, batch);
 * ```
 */
export class PostgresSink implements ChangeSink {
  readonly #adapter: PostgresAdapter;
  readonly #tables = new Map<string, PreparedTable>();
  readonly #maxDeadLetters: number;
  readonly #ownsAdapter: boolean;
  #migrated: Promise<unknown> | undefined;

  /** A sink over an adapter you own (`close()` leaves it open). */
  constructor(adapter: PostgresAdapter, options: PostgresSinkOptions & { ownsAdapter?: boolean } = {}) {
    this.#adapter = adapter;
    this.#maxDeadLetters = options.maxDeadLettersPerBatch ?? 1_000;
    this.#ownsAdapter = options.ownsAdapter ?? false;
  }

  /** A sink with its own connection pool, closed by {@link PostgresSink.close}. */
  static open(connection: PostgresConnectOptions, options: PostgresSinkOptions = {}): PostgresSink {
    return new PostgresSink(connectPostgres(connection), { ...options, ownsAdapter: true });
  }

  /** Creates/migrates `cdc_meta` once per sink, whichever method runs first. */
  #ready(): Promise<unknown> {
    this.#migrated ??= migrateMeta(this.#adapter.db).catch((error: unknown) => {
      this.#migrated = undefined;
      throw error;
    });
    return this.#migrated;
  }

  async prepare(pipeline: string, mappings: TableMapping[]): Promise<void> {
    await this.#ready();
    await this.#adapter.query(
      `INSERT INTO ${META('pipelines')} (pipeline, epoch) VALUES ($1, 0) ON CONFLICT (pipeline) DO NOTHING`,
      [pipeline],
    );
    for (const mapping of mappings) {
      await this.#prepareTable(mapping);
    }
  }

  async #prepareTable(mapping: TableMapping): Promise<void> {
    const { source, target } = mapping;
    const name = qualifiedName(target);
    const extra: string[] = [];
    if (mapping.deletes === 'soft') {
      extra.push(`${quoteIdent(SOFT_DELETE_COLUMN)} boolean NOT NULL DEFAULT false`);
      extra.push(`${quoteIdent(SOFT_DELETE_AT_COLUMN)} timestamptz`);
    }
    const tsColumn = mapping.sourceTimestampColumn;
    if (tsColumn && !source.columns.some((c) => c.name === tsColumn))
      extra.push(`${quoteIdent(tsColumn)} bigint`);
    const defs = source.columns.map(
      (c) =>
        `${quoteIdent(c.name)} ${nativeTypeFor(c.type)}${source.primaryKey.includes(c.name) ? ' NOT NULL' : ''}`,
    );
    await this.#adapter.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.schema ?? 'public')}`);
    await this.#adapter.query(
      `CREATE TABLE IF NOT EXISTS ${name} (${[...defs, ...extra].join(', ')},` +
        ` PRIMARY KEY (${source.primaryKey.map(quoteIdent).join(', ')}))`,
    );
    // Schema evolution: columns added at the source are added here; nothing is ever dropped or retyped.
    let existing = await this.#adapter.introspect(target, { key: source.primaryKey });
    const missing = [
      ...defs.map((d, i) => ({ d, c: source.columns[i]!.name })),
      ...extra.map((d) => ({ d, c: '' })),
    ]
      .filter(({ d, c }) => {
        const colName = c || (d.match(/^"((?:[^"]|"")*)"/)?.[1] ?? '').replace(/""/g, '"');
        return !existing.columns.some((e) => e.name === colName);
      })
      .map(({ d }) => d.replace(' NOT NULL', ''));
    for (const d of missing) await this.#adapter.query(`ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${d}`);
    if (missing.length) existing = await this.#adapter.introspect(target, { key: source.primaryKey });
    const columns = new Map<string, { source: Column; cast: string }>();
    for (const c of source.columns) {
      const t = existing.columns.find((e) => e.name === c.name)!;
      columns.set(c.name, { source: c, cast: castTypeOf(t.nativeType) });
    }
    this.#tables.set(tableKey(source.id), {
      mapping,
      target,
      columns,
      key: source.primaryKey,
      keyTypes: source.primaryKey.map((k) => columns.get(k)!.source.type),
      soft: mapping.deletes === 'soft',
      tsColumn,
    });
  }

  async acquire(pipeline: string): Promise<number> {
    await this.#ready();
    const [row] = await this.#adapter.query<{ epoch: string }>(
      `INSERT INTO ${META('pipelines')} AS p (pipeline, epoch) VALUES ($1, 1)
       ON CONFLICT (pipeline) DO UPDATE SET epoch = p.epoch + 1, acquired_at = now() RETURNING epoch`,
      [pipeline],
    );
    return Number(row!.epoch);
  }

  async checkpoints(pipeline: string): Promise<Map<string, Position>> {
    await this.#ready();
    const rows = await this.#adapter.query<{ partition: string; position: string }>(
      `SELECT partition, position FROM ${META('checkpoints')} WHERE pipeline = $1`,
      [pipeline],
    );
    return new Map(rows.map((r) => [r.partition, r.position]));
  }

  async apply(pipeline: string, epoch: number, batch: ChangeBatch): Promise<ApplyResult> {
    const client = await this.#adapter.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const fence = await client.query<{ epoch: string }>(
        `SELECT epoch FROM ${META('pipelines')} WHERE pipeline = $1 FOR UPDATE`,
        [pipeline],
      );
      const current = fence.rows[0] ? Number(fence.rows[0].epoch) : undefined;
      if (current !== epoch) {
        throw new CdcError(
          'FENCED',
          `pipeline ${JSON.stringify(pipeline)}: epoch ${epoch} was superseded by ${current ?? 'none (not acquired)'}`,
          {
            hint: 'another worker owns this pipeline now; stop this one (acquire again only if you mean to take over)',
          },
        );
      }
      const result: ApplyResult = { upserts: 0, deletes: 0, deadLetters: 0 };
      const ctx: ApplyContext = { client, pipeline, batch, result };
      // Delete-range events cut the batch: the reduction never moves a change across them.
      let segment: ChangeEvent[] = [];
      for (const event of batch.events) {
        if (event.op === 'delete-range') {
          await this.#applySegment(ctx, segment);
          segment = [];
          await this.#applyDeleteRange(ctx, event);
        } else segment.push(event);
      }
      await this.#applySegment(ctx, segment);
      await client.query(
        `INSERT INTO ${META('checkpoints')} (pipeline, partition, position, epoch) VALUES ($1, $2, $3, $4)
         ON CONFLICT (pipeline, partition) DO UPDATE
           SET position = EXCLUDED.position, epoch = EXCLUDED.epoch, updated_at = now()`,
        [pipeline, batch.partition, batch.position, epoch],
      );
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      if (
        (error as { code?: string }).code === '57P01' ||
        /terminat|Connection terminated/i.test((error as Error).message)
      ) {
        throw new CdcError(
          'CONNECTION_FAILED',
          `apply of batch at ${batch.position} aborted: ${(error as Error).message}`,
          {
            cause: error,
            transient: true,
            hint: 'nothing of the batch was committed; restart from the stored checkpoint',
          },
        );
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  #prepared(table: TableId): PreparedTable {
    const prepared = this.#tables.get(tableKey(table));
    if (!prepared) {
      throw new CdcError('INVALID_ARGUMENT', `no table mapping for source table ${formatTableId(table)}`, {
        hint: 'pass every replicated table to prepare() before apply()',
      });
    }
    return prepared;
  }

  async #applySegment(ctx: ApplyContext, events: ChangeEvent[]): Promise<void> {
    if (events.length === 0) return;
    const perTable = new Map<string, { table: PreparedTable; keys: Map<string, KeyState> }>();
    for (const event of events) {
      if (event.op === 'delete-range') continue;
      const tk = tableKey(event.table);
      let entry = perTable.get(tk);
      if (!entry) {
        entry = { table: this.#prepared(event.table), keys: new Map() };
        perTable.set(tk, entry);
      }
      const table = entry.table;
      // The reduction key: the key columns' PostgreSQL text (one column: the text itself).
      const key: Row = {};
      let id = '';
      for (let i = 0; i < table.key.length; i++) {
        const k = table.key[i]!;
        const value = event.key[k] ?? (event.op === 'upsert' ? event.row[k] : undefined);
        key[k] = value;
        const text = toPostgresText(value, table.keyTypes[i]!);
        id = table.key.length === 1 ? (text ?? '\u0000null') : `${id}${JSON.stringify(text)},`;
      }
      const previous = entry.keys.get(id);
      if (event.op === 'delete') {
        entry.keys.set(id, { op: 'delete', key, ts: event.sourceTimestamp });
      } else if (event.partial) {
        if (previous?.op === 'upsert') {
          entry.keys.set(id, {
            ...previous,
            row: { ...previous.row, ...event.row },
            ts: event.sourceTimestamp ?? previous.ts,
          });
        } else {
          entry.keys.set(id, {
            op: 'upsert',
            key,
            row: { ...event.row },
            partial: true,
            deleteFirst: previous?.op === 'delete',
            ts: event.sourceTimestamp,
          });
        }
      } else {
        // Stored by reference: rows are never mutated here (partial merges build a new object).
        entry.keys.set(id, {
          op: 'upsert',
          key,
          row: event.row,
          partial: false,
          deleteFirst: false,
          ts: event.sourceTimestamp,
        });
      }
    }
    for (const { table, keys } of perTable.values()) {
      const states = [...keys.values()];
      const deletes = states.filter((s) => s.op === 'delete' || (s.op === 'upsert' && s.deleteFirst));
      if (deletes.length)
        await this.#guarded(ctx, table, deletes, (rows) => this.#deleteSql(table, rows), 'deletes');
      const upserts = states.filter((s): s is Extract<KeyState, { op: 'upsert' }> => s.op === 'upsert');
      // One statement per column set (partial upserts touch only their columns).
      const groups = new Map<string, Extract<KeyState, { op: 'upsert' }>[]>();
      for (const u of upserts) {
        const cols = table.mapping.source.columns
          .map((c) => c.name)
          .filter((c) => table.key.includes(c) || !u.partial || c in u.row);
        const sig = JSON.stringify(cols);
        const group = groups.get(sig);
        if (group) group.push(u);
        else groups.set(sig, [u]);
      }
      for (const [sig, group] of groups) {
        const cols = JSON.parse(sig) as string[];
        await this.#guarded(ctx, table, group, (rows) => this.#upsertSql(table, cols, rows), 'upserts');
      }
    }
  }

  /**
   * Runs a bulk statement under a savepoint; if it fails on bad data, retries row by row and
   * dead-letters the rows that still fail, in the same transaction.
   */
  async #guarded(
    ctx: ApplyContext,
    table: PreparedTable,
    states: KeyState[],
    build: (states: KeyState[]) => { text: string; values: unknown[] },
    counter: 'upserts' | 'deletes',
  ): Promise<void> {
    const run = async (rows: KeyState[]) => {
      const q = build(rows);
      const r = await ctx.client.query({ text: q.text, values: q.values, types: cdcTypes });
      ctx.result[counter] += counter === 'deletes' ? (r.rowCount ?? 0) : rows.length;
    };
    await ctx.client.query('SAVEPOINT cdc_bulk');
    try {
      await run(states);
      await ctx.client.query('RELEASE SAVEPOINT cdc_bulk');
      return;
    } catch (error) {
      if (!isRowError(error) && !(error instanceof CdcError && error.code === 'INVALID_ARGUMENT'))
        throw error;
      await ctx.client.query('ROLLBACK TO SAVEPOINT cdc_bulk');
    }
    for (const state of states) {
      await ctx.client.query('SAVEPOINT cdc_row');
      try {
        await run([state]);
        await ctx.client.query('RELEASE SAVEPOINT cdc_row');
      } catch (error) {
        if (!isRowError(error) && !(error instanceof CdcError && error.code === 'INVALID_ARGUMENT'))
          throw error;
        await ctx.client.query('ROLLBACK TO SAVEPOINT cdc_row');
        ctx.result.deadLetters++;
        if (ctx.result.deadLetters > this.#maxDeadLetters) {
          throw new CdcError(
            'UPSTREAM_ERROR',
            `batch at ${ctx.batch.position} has more than ${this.#maxDeadLetters} rows that cannot be applied; last: ${(error as Error).message}`,
            {
              cause: error,
              hint: `inspect ${META_SCHEMA}.dead_letters and the target table's types and constraints`,
            },
          );
        }
        await ctx.client.query(
          `INSERT INTO ${META('dead_letters')} (pipeline, target_table, partition, position, key, payload, error)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            ctx.pipeline,
            formatTableId(table.target),
            ctx.batch.partition,
            ctx.batch.position,
            toStoredJson(state.key),
            toStoredJson(
              state.op === 'upsert'
                ? { op: 'upsert', partial: state.partial, row: state.row }
                : { op: 'delete' },
            ),
            (error as Error).message,
          ],
        );
      }
    }
  }

  #text(table: PreparedTable, column: string, value: unknown): string | null {
    const c = table.columns.get(column);
    if (!c)
      throw new CdcError(
        'INVALID_ARGUMENT',
        `column ${JSON.stringify(column)} is not in the mapping of ${formatTableId(table.target)}`,
      );
    return toPostgresText(value, c.source.type);
  }

  #keyMatch(
    table: PreparedTable,
    params: Params,
    states: KeyState[],
    tsArray: boolean,
  ): { from: string; match: string } {
    const arrays = table.key.map((k) =>
      params.add(
        states.map((s) => this.#text(table, k, s.key[k])),
        arrayParamType(table.columns.get(k)!.cast),
      ),
    );
    const names = table.key.map((_, i) => `k${i}`);
    if (tsArray) {
      arrays.push(
        params.add(
          states.map((s) => (s.ts === undefined ? null : s.ts.toString())),
          'text[]',
        ),
      );
      names.push('ts');
    }
    return {
      from: `unnest(${arrays.join(', ')}) AS u(${names.join(', ')})`,
      match: table.key
        .map((k, i) => `t.${quoteIdent(k)} = ${arrayElement(`u.k${i}`, table.columns.get(k)!.cast)}`)
        .join(' AND '),
    };
  }

  #deleteSql(table: PreparedTable, states: KeyState[]): { text: string; values: unknown[] } {
    const params = new Params();
    const ts = table.tsColumn;
    const { from, match } = this.#keyMatch(table, params, states, ts !== undefined);
    const guard = ts
      ? ` AND (t.${quoteIdent(ts)} IS NULL OR u.ts IS NULL OR t.${quoteIdent(ts)} <= u.ts::bigint)`
      : '';
    const name = qualifiedName(table.target);
    if (table.soft) {
      const setTs = ts ? `, ${quoteIdent(ts)} = COALESCE(u.ts::bigint, t.${quoteIdent(ts)})` : '';
      return {
        text: `UPDATE ${name} AS t SET ${quoteIdent(SOFT_DELETE_COLUMN)} = true, ${quoteIdent(SOFT_DELETE_AT_COLUMN)} = now()${setTs} FROM ${from} WHERE ${match}${guard}`,
        values: params.values,
      };
    }
    return { text: `DELETE FROM ${name} AS t USING ${from} WHERE ${match}${guard}`, values: params.values };
  }

  #upsertSql(table: PreparedTable, cols: string[], states: KeyState[]): { text: string; values: unknown[] } {
    const params = new Params();
    const rows = states as Extract<KeyState, { op: 'upsert' }>[];
    const arrays = cols.map((c) => {
      const column = table.columns.get(c)!;
      const type = column.source.type;
      const texts = new Array<string | null>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const s = rows[i]!;
        texts[i] = toPostgresText(c in s.row ? s.row[c] : s.key[c], type);
      }
      return params.add(texts, arrayParamType(column.cast));
    });
    const select = cols.map((c, i) => arrayElement(`u.c${i}`, table.columns.get(c)!.cast));
    const names = cols.map(quoteIdent);
    const ts = table.tsColumn;
    if (ts && !cols.includes(ts)) {
      arrays.push(
        params.add(
          rows.map((s) => (s.ts === undefined ? null : s.ts.toString())),
          'text[]',
        ),
      );
      select.push(`u.c${cols.length}::bigint`);
      names.push(quoteIdent(ts));
    }
    const sets = names
      .filter((_, i) => i >= cols.length || !table.key.includes(cols[i]!))
      .map((n) => `${n} = EXCLUDED.${n}`);
    if (table.soft)
      sets.push(`${quoteIdent(SOFT_DELETE_COLUMN)} = false`, `${quoteIdent(SOFT_DELETE_AT_COLUMN)} = NULL`);
    const guard = ts
      ? ` WHERE t.${quoteIdent(ts)} IS NULL OR EXCLUDED.${quoteIdent(ts)} IS NULL OR t.${quoteIdent(ts)} <= EXCLUDED.${quoteIdent(ts)}`
      : '';
    const conflict = sets.length ? `DO UPDATE SET ${sets.join(', ')}${guard}` : 'DO NOTHING';
    const text =
      `INSERT INTO ${qualifiedName(table.target)} AS t (${names.join(', ')})` +
      ` SELECT ${select.join(', ')} FROM unnest(${arrays.join(', ')}) AS u(${select.map((_, i) => `c${i}`).join(', ')})` +
      ` ON CONFLICT (${table.key.map(quoteIdent).join(', ')}) ${conflict}`;
    return { text, values: params.values };
  }

  async #applyDeleteRange(
    ctx: ApplyContext,
    event: Extract<ChangeEvent, { op: 'delete-range' }>,
  ): Promise<void> {
    const table = this.#prepared(event.table);
    const params = new Params();
    const where: string[] = [];
    for (const [column, value] of Object.entries(event.prefix)) {
      where.push(
        `t.${quoteIdent(column)} = ${params.add(this.#text(table, column, value), table.columns.get(column)!.cast)}`,
      );
    }
    for (const [bound, op] of [
      [event.lower, '>'],
      [event.upper, '<'],
    ] as const) {
      if (!bound) continue;
      const cast = table.columns.get(bound.column)?.cast;
      if (!cast)
        throw new CdcError(
          'INVALID_ARGUMENT',
          `delete-range bound column ${JSON.stringify(bound.column)} is not mapped`,
        );
      where.push(
        `t.${quoteIdent(bound.column)} ${op}${bound.inclusive ? '=' : ''} ${params.add(this.#text(table, bound.column, bound.value), cast)}`,
      );
    }
    const ts = table.tsColumn;
    if (ts && event.sourceTimestamp !== undefined) {
      where.push(
        `(t.${quoteIdent(ts)} IS NULL OR t.${quoteIdent(ts)} <= ${params.add(event.sourceTimestamp.toString(), 'bigint')})`,
      );
    }
    const name = qualifiedName(table.target);
    const cond = where.length ? where.join(' AND ') : 'TRUE';
    const text = table.soft
      ? `UPDATE ${name} AS t SET ${quoteIdent(SOFT_DELETE_COLUMN)} = true, ${quoteIdent(SOFT_DELETE_AT_COLUMN)} = now() WHERE ${cond} AND NOT t.${quoteIdent(SOFT_DELETE_COLUMN)}`
      : `DELETE FROM ${name} AS t WHERE ${cond}`;
    const r = await ctx.client.query({ text, values: params.values });
    ctx.result.deletes += r.rowCount ?? 0;
  }

  async close(): Promise<void> {
    this.#tables.clear();
    if (this.#ownsAdapter) await this.#adapter.close();
  }
}

interface ApplyContext {
  client: pg.PoolClient;
  pipeline: string;
  batch: ChangeBatch;
  result: ApplyResult;
}
