/**
 * Scylla CDC log rows → cdc change events. Delta rows carry only the written columns, so they become
 * partial upserts; `cdc$deleted_<c>` becomes an explicit NULL; row, partition and range deletes become
 * `delete` / `delete-range`; postimages (when enabled) give full rows. Element-level changes of non-frozen
 * collections (`s = s + {…}`) cannot be applied without the previous value: they are merged exactly when
 * the previous value is known (earlier in the same batch), otherwise reported as unresolved so the
 * adapter can fill them from the postimage or a read of the current row.
 */
import { CdcError, type ChangeEvent, type Row, type TableId } from '@cdc/core';
import type { CqlType } from './scylla-cql-types.js';
import { timeuuidMicros } from './scylla-cdc-streams.js';

/** `cdc$operation` values. */
export const CdcOperation = {
  preimage: 0,
  update: 1,
  insert: 2,
  rowDelete: 3,
  partitionDelete: 4,
  rangeDeleteStartInclusive: 5,
  rangeDeleteStartExclusive: 6,
  rangeDeleteEndInclusive: 7,
  rangeDeleteEndExclusive: 8,
  postimage: 9,
} as const;

/** What the translator needs to know about the base table. */
export interface CdcTableShape {
  id: TableId;
  partitionKey: readonly string[];
  clusteringKey: readonly string[];
  staticColumns: readonly string[];
  /** Regular and static non-key columns. */
  valueColumns: readonly string[];
  /** Base CQL types of the non-key columns (to know collection kinds). */
  types: ReadonlyMap<string, CqlType>;
}

/** A decoded log row (column name → cdc value; `cdc$time` as timeuuid text). */
export type CdcLogRow = Row;

/** An element-level collection change that still needs the previous value. */
export interface UnresolvedColumn {
  column: string;
  /** Added elements / entries / fields as logged (list: Map of timeuuid → element). */
  added: unknown;
  /** Removed elements / keys / field indexes as logged. */
  removed: unknown;
}

/** One translated event plus what the adapter must still resolve. */
export interface TranslatedChange {
  event: ChangeEvent;
  /** `cdc$time` of the log row(s). */
  time: string;
  /** Element-level collection changes without a known previous value (upserts only). */
  unresolved: UnresolvedColumn[];
  /**
   * A write to static columns only (no clustering key): the partial upsert in `event` has only the
   * partition key; the adapter applies it to every row of the partition.
   */
  staticOnly: boolean;
}

function isNonFrozen(t: CqlType | undefined): t is CqlType & { kind: 'list' | 'set' | 'map' | 'udt' } {
  return !!t && (t.kind === 'list' || t.kind === 'set' || t.kind === 'map' || t.kind === 'udt') && !t.frozen;
}

function canonicalKey(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (x instanceof Uint8Array) return `0x${Buffer.from(x).toString('hex')}`;
    if (x instanceof Map) return [...(x as Map<unknown, unknown>).entries()];
    if (x instanceof Date) return `@${x.getTime()}`;
    return x;
  });
}

/** A key identity for in-memory tracking (stable over the JS value forms we decode to). */
export function valueKey(values: readonly unknown[]): string {
  return canonicalKey(values);
}

function listFromLogged(v: unknown): unknown[] | null {
  // Non-frozen lists are logged as map<timeuuid, element>: element order is the timeuuid order.
  if (v === null || v === undefined) return null;
  if (v instanceof Map) {
    const entries = [...(v as Map<string, unknown>).entries()].sort((a, b) => compareTimeuuid(a[0], b[0]));
    return entries.length === 0 ? null : entries.map((e) => e[1]);
  }
  return Array.isArray(v) ? (v.length === 0 ? null : v) : null;
}

function compareTimeuuid(a: string, b: string): number {
  const ta = timeuuidMicros(a);
  const tb = timeuuidMicros(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Full value of a non-frozen collection column written as a whole (overwrite). */
function overwriteValue(type: CqlType, logged: unknown): unknown {
  if (logged === null || logged === undefined) return null;
  if (type.kind === 'list') return listFromLogged(logged);
  if (Array.isArray(logged) && logged.length === 0) return null;
  if (logged instanceof Map && logged.size === 0) return null;
  return logged;
}

/**
 * Applies an element-level delta to a known previous value (exact): sets and maps add then remove
 * (a tombstone wins over a write of the same timestamp), UDT fields overwrite and removed field indexes
 * become NULL. Lists need their element timeuuids, which a full value lacks: returns `undefined`.
 */
export function applyCollectionDelta(
  type: CqlType,
  previous: unknown,
  added: unknown,
  removed: unknown,
): unknown {
  const removedList = Array.isArray(removed) ? removed : [];
  switch (type.kind) {
    case 'set': {
      const out = new Map<string, unknown>();
      for (const e of (Array.isArray(previous) ? previous : []) as unknown[]) out.set(canonicalKey(e), e);
      for (const e of (Array.isArray(added) ? added : []) as unknown[]) out.set(canonicalKey(e), e);
      for (const e of removedList) out.delete(canonicalKey(e));
      return out.size === 0 ? null : [...out.values()];
    }
    case 'map': {
      const out = new Map<string, [unknown, unknown]>();
      const put = (m: unknown) => {
        if (m instanceof Map)
          for (const [k, v] of m as Map<unknown, unknown>) out.set(canonicalKey(k), [k, v]);
      };
      put(previous);
      put(added);
      for (const k of removedList) out.delete(canonicalKey(k));
      return out.size === 0 ? null : new Map([...out.values()]);
    }
    case 'udt': {
      const fields = type.fields ?? [];
      const prev = (previous && typeof previous === 'object' ? previous : {}) as Record<string, unknown>;
      const add = (added && typeof added === 'object' ? added : {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      fields.forEach((f, i) => {
        let v: unknown = prev[f.name] ?? null;
        if (add[f.name] !== null && add[f.name] !== undefined) v = add[f.name];
        if (removedList.some((r) => Number(r) === i)) v = null;
        out[f.name] = v;
      });
      return Object.values(out).every((v) => v === null) ? null : out;
    }
    default:
      return undefined;
  }
}

function pick(row: CdcLogRow, cols: readonly string[]): Row {
  return Object.fromEntries(cols.map((c) => [c, row[c] ?? null]));
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonicalKey(a) === canonicalKey(b);
}

function leadingNonNull(row: CdcLogRow, cols: readonly string[]): number {
  let n = 0;
  while (n < cols.length && row[cols[n] as string] !== null && row[cols[n] as string] !== undefined) n++;
  return n;
}

/** Range delete start/end rows → one `delete-range` event. */
export function rangeDeleteEvent(
  shape: CdcTableShape,
  start: CdcLogRow,
  end: CdcLogRow,
  sourceTimestamp: bigint,
): ChangeEvent {
  const ck = shape.clusteringKey;
  const sLen = leadingNonNull(start, ck);
  const eLen = leadingNonNull(end, ck);
  let p = 0;
  while (p < Math.min(sLen, eLen) && sameValue(start[ck[p] as string], end[ck[p] as string])) p++;
  if (sLen > p + 1 || eLen > p + 1) {
    throw new CdcError(
      'UNSUPPORTED_TYPE',
      `A multi-column clustering range delete on ${shape.id.schema ?? ''}.${shape.id.name} cannot be expressed as a single-column range.`,
      {
        hint: 'Such deletes ((c1, c2) > (a, b)) are not replicated; repair the table with `cdc diff`/`cdc repair`.',
      },
    );
  }
  const prefix: Row = { ...pick(start, shape.partitionKey) };
  for (let i = 0; i < p; i++) prefix[ck[i] as string] = start[ck[i] as string];
  const event: Extract<ChangeEvent, { op: 'delete-range' }> = {
    op: 'delete-range',
    table: shape.id,
    prefix,
    sourceTimestamp,
  };
  const op = (r: CdcLogRow) => Number(r['cdc$operation']);
  if (sLen > p) {
    event.lower = {
      column: ck[p] as string,
      value: start[ck[p] as string],
      inclusive: op(start) === CdcOperation.rangeDeleteStartInclusive,
    };
  }
  if (eLen > p) {
    event.upper = {
      column: ck[p] as string,
      value: end[ck[p] as string],
      inclusive: op(end) === CdcOperation.rangeDeleteEndInclusive,
    };
  }
  return event;
}

/**
 * Translates the log rows of ONE stream, in `(cdc$time, cdc$batch_seq_no)` order, into events.
 * `known` carries full collection values learnt earlier (key → column → value) and is updated, so a
 * later element-level delta on the same row merges exactly.
 */
export function translateLogRows(
  shape: CdcTableShape,
  rows: readonly CdcLogRow[],
  known: Map<string, Map<string, unknown>> = new Map(),
): TranslatedChange[] {
  const out: TranslatedChange[] = [];
  const keyCols = [...shape.partitionKey, ...shape.clusteringKey];
  let pendingStart: CdcLogRow | undefined;
  // postimages replace the delta-derived upsert of the same write (same cdc$time and key)
  const pending = new Map<string, number>();

  for (const row of rows) {
    const op = Number(row['cdc$operation']);
    const time = String(row['cdc$time']);
    const ts = timeuuidMicros(time);
    switch (op) {
      case CdcOperation.preimage:
        break;
      case CdcOperation.update:
      case CdcOperation.insert: {
        const staticOnly = shape.clusteringKey.length > 0 && leadingNonNull(row, shape.clusteringKey) === 0;
        const key = pick(row, staticOnly ? shape.partitionKey : keyCols);
        const kid = valueKey(Object.values(key));
        const knownRow = known.get(kid) ?? new Map<string, unknown>();
        const values: Row = {};
        const unresolved: UnresolvedColumn[] = [];
        for (const c of shape.valueColumns) {
          const type = shape.types.get(c);
          const deleted = row[`cdc$deleted_${c}`] === true;
          const v = row[c];
          if (isNonFrozen(type)) {
            const removed = row[`cdc$deleted_elements_${c}`];
            const hasRemoved = Array.isArray(removed)
              ? removed.length > 0
              : removed !== null && removed !== undefined;
            if (deleted) {
              const full = overwriteValue(type, v);
              values[c] = full;
              knownRow.set(c, full);
            } else if ((v !== null && v !== undefined) || hasRemoved) {
              const merged = knownRow.has(c)
                ? applyCollectionDelta(type, knownRow.get(c), v, removed)
                : undefined;
              if (merged !== undefined) {
                values[c] = merged;
                knownRow.set(c, merged);
              } else {
                unresolved.push({ column: c, added: v ?? null, removed: removed ?? null });
                knownRow.delete(c);
              }
            }
          } else if (type?.kind === 'native' && type.name === 'counter' && v !== null && v !== undefined) {
            // A counter's log value is the increment, not the new value: read the current total.
            unresolved.push({ column: c, added: v, removed: null });
          } else if (deleted) {
            values[c] = null;
          } else if (v !== null && v !== undefined) {
            values[c] = v;
          }
        }
        known.set(kid, knownRow);
        out.push({
          event: {
            op: 'upsert',
            table: shape.id,
            key,
            row: { ...key, ...values },
            partial: true,
            sourceTimestamp: ts,
          },
          time,
          unresolved,
          staticOnly,
        });
        pending.set(`${time}|${kid}`, out.length - 1);
        break;
      }
      case CdcOperation.rowDelete: {
        const key = pick(row, keyCols);
        known.delete(valueKey(Object.values(key)));
        out.push({
          event: { op: 'delete', table: shape.id, key, sourceTimestamp: ts },
          time,
          unresolved: [],
          staticOnly: false,
        });
        break;
      }
      case CdcOperation.partitionDelete: {
        const prefix = pick(row, shape.partitionKey);
        const pid = valueKey(Object.values(prefix)).slice(0, -1);
        for (const k of [...known.keys()]) if (k.startsWith(`${pid},`) || k === `${pid}]`) known.delete(k);
        out.push({
          event: { op: 'delete-range', table: shape.id, prefix, sourceTimestamp: ts },
          time,
          unresolved: [],
          staticOnly: false,
        });
        break;
      }
      case CdcOperation.rangeDeleteStartInclusive:
      case CdcOperation.rangeDeleteStartExclusive:
        pendingStart = row;
        break;
      case CdcOperation.rangeDeleteEndInclusive:
      case CdcOperation.rangeDeleteEndExclusive: {
        if (!pendingStart) {
          throw new CdcError('INTERNAL', `A CDC range-delete end at ${time} has no start row.`);
        }
        const event = rangeDeleteEvent(shape, pendingStart, row, ts);
        pendingStart = undefined;
        known.clear(); // conservative: a range delete may touch any tracked row of the partition
        out.push({ event, time, unresolved: [], staticOnly: false });
        break;
      }
      case CdcOperation.postimage: {
        const key = pick(row, keyCols);
        const kid = valueKey(Object.values(key));
        const values: Row = {};
        for (const c of shape.valueColumns) {
          const type = shape.types.get(c);
          values[c] = isNonFrozen(type) ? overwriteValue(type, row[c]) : (row[c] ?? null);
        }
        known.set(kid, new Map(Object.entries(values)));
        const event: ChangeEvent = {
          op: 'upsert',
          table: shape.id,
          key,
          row: { ...key, ...values },
          partial: false,
          sourceTimestamp: ts,
        };
        const at = pending.get(`${time}|${kid}`);
        const change: TranslatedChange = { event, time, unresolved: [], staticOnly: false };
        if (at !== undefined) out[at] = change;
        else out.push(change);
        break;
      }
      default:
        throw new CdcError('INTERNAL', `Unknown cdc$operation ${op} at ${time}.`, {
          hint: 'The ScyllaDB version may be newer than this cdc release; upgrade @cdc/scylla.',
        });
    }
  }
  return out;
}
