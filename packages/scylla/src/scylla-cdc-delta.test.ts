import { types } from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { parseCqlType, resolveUdts } from './scylla-cql-types.js';
import {
  applyCollectionDelta,
  CdcOperation,
  translateLogRows,
  type CdcTableShape,
} from './scylla-cdc-delta.js';
import { timeuuidMicros } from './scylla-cdc-streams.js';

const udts = new Map([['pt', { name: 'pt', fieldNames: ['x', 'y'], fieldTypes: ['int', 'int'] }]]);
const ty = (s: string) => resolveUdts(parseCqlType(s), udts);
const shape: CdcTableShape = {
  id: { schema: 'ks', name: 't' },
  partitionKey: ['pk'],
  clusteringKey: ['ck1', 'ck2'],
  staticColumns: ['s'],
  valueColumns: ['s', 'v', 'tags', 'attrs', 'items', 'pos'],
  types: new Map([
    ['s', ty('int')],
    ['v', ty('text')],
    ['tags', ty('set<text>')],
    ['attrs', ty('map<text, int>')],
    ['items', ty('list<int>')],
    ['pos', ty('pt')],
  ]),
};

const base = new Date('2024-05-01T00:00:00Z');
const tu = (ms: number, ticks = 0) =>
  types.TimeUuid.fromDate(new Date(base.getTime() + ms), ticks).toString();

// rows of one write share one cdc$time
const writeTimes = new Map<number, string>();
const writeTime = (ms: number) => writeTimes.get(ms) ?? (writeTimes.set(ms, tu(ms)), writeTimes.get(ms)!);

function log(op: number, ms: number, cols: Record<string, unknown>, seq = 0): Record<string, unknown> {
  return {
    cdc$time: writeTime(ms),
    cdc$batch_seq_no: seq,
    cdc$operation: op,
    pk: 1,
    ck1: null,
    ck2: null,
    ...cols,
  };
}

describe('timeuuid write times', () => {
  it('agree with the driver (µs precision from ticks)', () => {
    const t = types.TimeUuid.fromDate(base, 7_345);
    expect(timeuuidMicros(t.toString())).toBe(BigInt(base.getTime()) * 1000n + 734n);
  });
});

describe('delta rows → partial upserts', () => {
  it('carries only written columns; cdc$deleted_ becomes an explicit NULL', () => {
    const [a, b] = translateLogRows(shape, [
      log(CdcOperation.update, 1, { ck1: 1, ck2: 'a', v: 'hello' }),
      log(CdcOperation.update, 2, { ck1: 1, ck2: 'a', cdc$deleted_v: true }),
    ]);
    expect(a?.event).toEqual({
      op: 'upsert',
      table: shape.id,
      key: { pk: 1, ck1: 1, ck2: 'a' },
      row: { pk: 1, ck1: 1, ck2: 'a', v: 'hello' },
      partial: true,
      sourceTimestamp: BigInt(base.getTime() + 1) * 1000n,
    });
    expect(b?.event).toMatchObject({
      op: 'upsert',
      row: { pk: 1, ck1: 1, ck2: 'a', v: null },
      partial: true,
    });
    expect(a?.unresolved).toEqual([]);
  });

  it('inserts are partial too (INSERT does not null unmentioned columns)', () => {
    const [a] = translateLogRows(shape, [log(CdcOperation.insert, 1, { ck1: 2, ck2: 'b' })]);
    expect(a?.event).toMatchObject({ op: 'upsert', row: { pk: 1, ck1: 2, ck2: 'b' }, partial: true });
  });

  it('static-only writes carry the partition key only and are flagged', () => {
    const [a] = translateLogRows(shape, [log(CdcOperation.update, 1, { s: 5 })]);
    expect(a?.staticOnly).toBe(true);
    expect(a?.event).toMatchObject({ op: 'upsert', key: { pk: 1 }, row: { pk: 1, s: 5 } });
  });
});

describe('non-frozen collections', () => {
  const k = { ck1: 1, ck2: 'a' };
  it('overwrite (cdc$deleted_c = true) gives the full value; list elements in timeuuid order', () => {
    const [a] = translateLogRows(shape, [
      log(CdcOperation.update, 1, {
        ...k,
        tags: ['x', 'y'],
        cdc$deleted_tags: true,
        items: new Map([
          [tu(5, 2), 20],
          [tu(5, 1), 10],
        ]),
        cdc$deleted_items: true,
        attrs: null,
        cdc$deleted_attrs: true,
      }),
    ]);
    expect(a?.event).toMatchObject({ row: { tags: ['x', 'y'], items: [10, 20], attrs: null } });
    expect(a?.unresolved).toEqual([]);
  });

  it('element additions/removals without a known value are unresolved', () => {
    const [a] = translateLogRows(shape, [
      log(CdcOperation.update, 1, { ...k, tags: ['z'], cdc$deleted_elements_attrs: ['old'] }),
    ]);
    expect(a?.unresolved).toEqual([
      { column: 'tags', added: ['z'], removed: null },
      { column: 'attrs', added: null, removed: ['old'] },
    ]);
    expect(a?.event.op === 'upsert' && 'tags' in a.event.row).toBe(false);
  });

  it('merges element deltas exactly when an earlier write in the batch set the whole value', () => {
    const changes = translateLogRows(shape, [
      log(CdcOperation.update, 1, {
        ...k,
        tags: ['a', 'b'],
        cdc$deleted_tags: true,
        attrs: new Map([['x', 1]]),
        cdc$deleted_attrs: true,
      }),
      log(CdcOperation.update, 2, { ...k, tags: ['c'], cdc$deleted_elements_tags: ['a'] }),
      log(CdcOperation.update, 3, { ...k, attrs: new Map([['y', 2]]), cdc$deleted_elements_attrs: ['x'] }),
    ]);
    expect(changes[1]?.event).toMatchObject({ row: { tags: ['b', 'c'] } });
    expect(changes[2]?.event).toMatchObject({ row: { attrs: new Map([['y', 2]]) } });
    expect(changes.every((c) => c.unresolved.length === 0)).toBe(true);
  });

  it('removing every element yields NULL (empty collection == NULL)', () => {
    expect(applyCollectionDelta(ty('set<int>'), [1, 2], null, [1, 2])).toBeNull();
    expect(applyCollectionDelta(ty('map<int, int>'), new Map([[1, 1]]), null, [1])).toBeNull();
  });

  it('UDT field deltas overwrite fields; removed field indexes become NULL', () => {
    expect(applyCollectionDelta(ty('pt'), { x: 1, y: 2 }, { x: 5, y: null }, [1])).toEqual({ x: 5, y: null });
    expect(applyCollectionDelta(ty('pt'), { x: 1, y: null }, null, [0])).toBeNull();
  });

  it('list element deltas cannot be merged into a plain array', () => {
    expect(applyCollectionDelta(ty('list<int>'), [1], new Map([[tu(1), 2]]), null)).toBeUndefined();
  });

  it('a tombstone wins over an add of the same element in the same write', () => {
    expect(applyCollectionDelta(ty('set<int>'), [1], [2], [2])).toEqual([1]);
  });
});

describe('counters', () => {
  it('a counter increment is not a value: it is resolved from the current total', () => {
    const counterShape: CdcTableShape = {
      id: { schema: 'ks', name: 'c' },
      partitionKey: ['pk'],
      clusteringKey: [],
      staticColumns: [],
      valueColumns: ['n'],
      types: new Map([['n', ty('counter')]]),
    };
    const [a] = translateLogRows(counterShape, [
      { cdc$time: writeTime(50), cdc$operation: CdcOperation.update, pk: 1, n: 5n },
    ]);
    expect(a?.unresolved).toEqual([{ column: 'n', added: 5n, removed: null }]);
    expect(a?.event).toMatchObject({ op: 'upsert', row: { pk: 1 }, partial: true });
    expect(a?.staticOnly).toBe(false);
  });
});

describe('deletes', () => {
  it('row delete → delete by full key', () => {
    const [a] = translateLogRows(shape, [log(CdcOperation.rowDelete, 1, { ck1: 1, ck2: 'a' })]);
    expect(a?.event).toMatchObject({ op: 'delete', key: { pk: 1, ck1: 1, ck2: 'a' } });
  });

  it('partition delete → delete-range over the partition key', () => {
    const [a] = translateLogRows(shape, [log(CdcOperation.partitionDelete, 1, {})]);
    expect(a?.event).toEqual({
      op: 'delete-range',
      table: shape.id,
      prefix: { pk: 1 },
      sourceTimestamp: BigInt(base.getTime() + 1) * 1000n,
    });
  });

  it('range delete within a clustering prefix: ck1 = 1 AND ck2 > a AND ck2 <= c', () => {
    const [a] = translateLogRows(shape, [
      log(CdcOperation.rangeDeleteStartExclusive, 1, { ck1: 1, ck2: 'a' }, 0),
      log(CdcOperation.rangeDeleteEndInclusive, 1, { ck1: 1, ck2: 'c' }, 1),
    ]);
    expect(a?.event).toMatchObject({
      op: 'delete-range',
      prefix: { pk: 1, ck1: 1 },
      lower: { column: 'ck2', value: 'a', inclusive: false },
      upper: { column: 'ck2', value: 'c', inclusive: true },
    });
  });

  it('open-ended range: ck1 >= 5', () => {
    const [a] = translateLogRows(shape, [
      log(CdcOperation.rangeDeleteStartInclusive, 1, { ck1: 5 }, 0),
      log(CdcOperation.rangeDeleteEndExclusive, 1, {}, 1),
    ]);
    expect(a?.event).toEqual({
      op: 'delete-range',
      table: shape.id,
      prefix: { pk: 1 },
      lower: { column: 'ck1', value: 5, inclusive: true },
      sourceTimestamp: BigInt(base.getTime() + 1) * 1000n,
    });
  });

  it('prefix delete: ck1 = 1 (both bounds equal) deletes the whole prefix', () => {
    const [a] = translateLogRows(shape, [
      log(CdcOperation.rangeDeleteStartInclusive, 1, { ck1: 1 }, 0),
      log(CdcOperation.rangeDeleteEndInclusive, 1, { ck1: 1 }, 1),
    ]);
    expect(a?.event).toEqual({
      op: 'delete-range',
      table: shape.id,
      prefix: { pk: 1, ck1: 1 },
      sourceTimestamp: BigInt(base.getTime() + 1) * 1000n,
    });
  });

  it('multi-column slices are refused with a clear error', () => {
    expect(() =>
      translateLogRows(shape, [
        log(CdcOperation.rangeDeleteStartInclusive, 1, { ck1: 1, ck2: 'a' }, 0),
        log(CdcOperation.rangeDeleteEndInclusive, 1, { ck1: 2, ck2: 'b' }, 1),
      ]),
    ).toThrow(/multi-column clustering range delete/);
  });

  it('an end row without a start is an internal error', () => {
    expect(() => translateLogRows(shape, [log(CdcOperation.rangeDeleteEndInclusive, 1, {})])).toThrow(
      /no start row/,
    );
  });

  it('a delete forgets the known collection state of the row', () => {
    const changes = translateLogRows(shape, [
      log(CdcOperation.update, 1, { ck1: 1, ck2: 'a', tags: ['a'], cdc$deleted_tags: true }),
      log(CdcOperation.rowDelete, 2, { ck1: 1, ck2: 'a' }),
      log(CdcOperation.update, 3, { ck1: 1, ck2: 'a', tags: ['b'] }),
    ]);
    expect(changes[2]?.unresolved).toEqual([{ column: 'tags', added: ['b'], removed: null }]);
  });
});

describe('pre- and postimages', () => {
  it('ignores preimages and replaces the delta of the same write by the postimage (full row)', () => {
    const changes = translateLogRows(shape, [
      log(CdcOperation.preimage, 1, { ck1: 1, ck2: 'a', v: 'old' }, 0),
      log(CdcOperation.update, 1, { ck1: 1, ck2: 'a', tags: ['z'] }, 1),
      log(CdcOperation.postimage, 1, { ck1: 1, ck2: 'a', v: 'old', tags: ['y', 'z'], s: 3 }, 2),
    ]);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.unresolved).toEqual([]);
    expect(changes[0]?.event).toMatchObject({
      op: 'upsert',
      partial: false,
      row: { pk: 1, ck1: 1, ck2: 'a', v: 'old', tags: ['y', 'z'], s: 3, attrs: null, items: null, pos: null },
    });
  });

  it('rejects unknown operations', () => {
    expect(() => translateLogRows(shape, [log(42, 1, {})])).toThrow(/Unknown cdc\$operation 42/);
  });
});
