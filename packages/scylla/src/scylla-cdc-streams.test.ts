import { describe, expect, it } from 'vitest';
import {
  caughtUpSince,
  checkRetention,
  decodeGroupPosition,
  decodeStartPosition,
  encodeGroupPosition,
  encodeStartPosition,
  generationsFrom,
  groupStreams,
  initialCursor,
  linkGenerations,
  nextWindow,
  snapshotStartMs,
  startPartition,
  timeuuidMicros,
  vnodeOfStream,
} from './scylla-cdc-streams.js';

/** A stream id with a given vnode index in bits 4–25 of the second half (plus noise elsewhere). */
function stream(token: bigint, vnode: number, noise = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, token);
  v.setBigUint64(8, (BigInt(noise) << 26n) | (BigInt(vnode) << 4n) | 0x1n);
  return b;
}

describe('stream ids → vnode groups', () => {
  it('reads the vnode index from bits 4–25 of the low half', () => {
    expect(vnodeOfStream(stream(5n, 0))).toBe(0);
    expect(vnodeOfStream(stream(-5n, 12345, 77))).toBe(12345);
    expect(vnodeOfStream(stream(0n, 0x3fffff, 0xfff))).toBe(0x3fffff);
    // a stream id from the Scylla docs: its low half 0x54529ac8169dfb93 → bits 4–25
    const doc = Buffer.from('365fd1a9ae34373954529ac8169dfb93', 'hex');
    expect(vnodeOfStream(doc)).toBe(Number((0x169dfb93n & 0x3fffff0n) >> 4n));
    expect(() => vnodeOfStream(new Uint8Array(8))).toThrow(/16 bytes/);
  });

  it('groups a generation by vnode and chunks big groups', () => {
    const gen = {
      startMs: 1000,
      streams: [stream(1n, 2), stream(9n, 1), stream(3n, 2), stream(4n, 2), stream(7n, 1)],
    };
    const groups = groupStreams('ks.t', gen, { tablets: false, maxStreamsPerQuery: 2 });
    const byId = Object.fromEntries(groups.map((g) => [g.id, g.streams.map(vnodeOfStream)]));
    expect(byId).toEqual({ 'ks.t#1000#v1': [1, 1], 'ks.t#1000#v2.0': [2, 2], 'ks.t#1000#v2.1': [2] });
    expect(groups.flatMap((g) => g.streams)).toHaveLength(5);
  });

  it('chunks tablet streams in token order with stable ids', () => {
    const gen = { startMs: 5, streams: [stream(3n, 0), stream(1n, 0), stream(2n, 0)] };
    const a = groupStreams('ks.t', gen, { tablets: true, maxStreamsPerQuery: 2 });
    const b = groupStreams(
      'ks.t',
      { ...gen, streams: [...gen.streams].reverse() },
      { tablets: true, maxStreamsPerQuery: 2 },
    );
    expect(a.map((g) => g.id)).toEqual(b.map((g) => g.id));
    expect(a.map((g) => g.streams.length)).toEqual([2, 1]);
  });
});

describe('generations', () => {
  it('links generations to their successor and drops duplicates', () => {
    const gens = linkGenerations([
      { startMs: 300, streams: [] },
      { startMs: 100, streams: [] },
      { startMs: 300, streams: [] },
      { startMs: 200, streams: [] },
    ]);
    expect(gens.map((g) => [g.startMs, g.endMs])).toEqual([
      [100, 200],
      [200, 300],
      [300, undefined],
    ]);
  });

  it('skips generations that ended before the start point', () => {
    const gens = linkGenerations([100, 200, 300].map((startMs) => ({ startMs, streams: [] })));
    expect(generationsFrom(gens, 150).map((g) => g.startMs)).toEqual([100, 200, 300]);
    expect(generationsFrom(gens, 199).map((g) => g.startMs)).toEqual([200, 300]);
    expect(generationsFrom(gens, 10_000).map((g) => g.startMs)).toEqual([300]);
  });

  it('starts a new generation group at the generation start, an old one at the table start', () => {
    const [g1, g2] = linkGenerations([
      { startMs: 100, streams: [stream(1n, 1)] },
      { startMs: 500, streams: [stream(1n, 1)] },
    ]);
    const [a] = groupStreams('ks.t', g1!, { tablets: false, maxStreamsPerQuery: 10 });
    const [b] = groupStreams('ks.t', g2!, { tablets: false, maxStreamsPerQuery: 10 });
    expect(initialCursor(a!, undefined, 250)).toEqual({ g: 100, w: 250 });
    expect(initialCursor(b!, undefined, 250)).toEqual({ g: 500, w: 499 });
    expect(initialCursor(b!, encodeGroupPosition({ g: 500, w: 777 }), 250)).toEqual({ g: 500, w: 777 });
  });

  it('after a re-snapshot, a stored position older than the snapshot start moves up to it', () => {
    const [g1] = linkGenerations([{ startMs: 100, streams: [stream(1n, 1)] }]);
    const [a] = groupStreams('ks.t', g1!, { tablets: false, maxStreamsPerQuery: 10 });
    const stored = encodeGroupPosition({ g: 100, w: 777, t: 'x' });
    expect(initialCursor(a!, stored, 5_000, 5_000)).toEqual({ g: 100, w: 5_000 });
    // A position past the snapshot start is kept (split-window marker included).
    expect(initialCursor(a!, stored, 500, 500)).toEqual({ g: 100, w: 777, t: 'x' });
    // No snapshot stored (stream-only pipeline): never moved, whatever the table start.
    expect(initialCursor(a!, stored, 5_000)).toEqual({ g: 100, w: 777, t: 'x' });
  });
});

describe('snapshot start partitions', () => {
  it('one partition per snapshot; the latest start wins, legacy partitions included', () => {
    expect(startPartition('ks.t', 1_000)).toBe('ks.t#start@1000');
    const from = new Map([
      ['ks.t#start', encodeStartPosition(100)],
      [startPartition('ks.t', 1_000), encodeStartPosition(1_000)],
      [startPartition('ks.t', 9_000), encodeStartPosition(9_000)],
      [startPartition('ks.t2', 99_000), encodeStartPosition(99_000)],
      ['ks.t#100#v1', encodeGroupPosition({ g: 100, w: 20_000 })],
    ]);
    expect(snapshotStartMs(from, 'ks.t')).toBe(9_000);
    expect(snapshotStartMs(from, 'ks.t2')).toBe(99_000);
    expect(snapshotStartMs(from, 'ks.other')).toBeUndefined();
  });
});

describe('generation switch', () => {
  it('reads the old generation to its end, then the new one from its start: no gap, no overlap', () => {
    const gens = linkGenerations([
      { startMs: 0, streams: [stream(1n, 1)] },
      { startMs: 95_000, streams: [stream(1n, 1), stream(2n, 2)] },
    ]);
    const opts = { windowMs: 30_000, confidenceMs: 10_000 };
    const groups = gens.flatMap((g) => groupStreams('ks.t', g, { tablets: false, maxStreamsPerQuery: 10 }));
    expect(groups.map((g) => g.id)).toEqual(['ks.t#0#v1', 'ks.t#95000#v1', 'ks.t#95000#v2']);
    const windows = new Map<string, [number, number][]>(groups.map((g) => [g.id, []]));
    const cursors = new Map(groups.map((g) => [g.id, initialCursor(g, undefined, 5_000).w]));
    const closed = new Set<string>();
    for (let now = 0; now <= 300_000; now += 5_000) {
      for (const g of groups) {
        for (;;) {
          const end = g.generation.endMs;
          const d = nextWindow(cursors.get(g.id)!, {
            ...opts,
            nowMs: now,
            ...(end === undefined ? {} : { generationEndMs: end }),
          });
          if (d.kind === 'closed') closed.add(g.id);
          if (d.kind !== 'read') break;
          windows.get(g.id)!.push([d.startMs, d.endMs]);
          cursors.set(g.id, d.endMs);
        }
      }
    }
    for (const list of windows.values()) {
      for (let i = 1; i < list.length; i++) expect(list[i]![0]).toBe(list[i - 1]![1]);
    }
    const old = windows.get('ks.t#0#v1')!;
    expect(old[0]![0]).toBe(5_000);
    expect(old.at(-1)![1]).toBe(94_999); // through the old generation's last millisecond
    expect(closed).toEqual(new Set(['ks.t#0#v1']));
    for (const id of ['ks.t#95000#v1', 'ks.t#95000#v2']) {
      expect(windows.get(id)![0]![0]).toBe(94_999); // the new groups start right after the old ones end
      expect(windows.get(id)!.at(-1)![1]).toBeLessThanOrEqual(300_000 - 10_000);
    }
  });
});

describe('windows and confidence', () => {
  const opts = { windowMs: 30_000, confidenceMs: 30_000 };

  it('reads a full window once it is older than the confidence delay', () => {
    expect(nextWindow(0, { ...opts, nowMs: 100_000 })).toEqual({ kind: 'read', startMs: 0, endMs: 30_000 });
  });

  it('waits for a whole window to pass the confidence delay (no tiny windows)', () => {
    expect(nextWindow(0, { ...opts, nowMs: 40_000 })).toEqual({ kind: 'wait', untilMs: 60_000 });
    expect(nextWindow(0, { ...opts, nowMs: 59_999 })).toEqual({ kind: 'wait', untilMs: 60_000 });
    expect(nextWindow(0, { ...opts, nowMs: 60_000 })).toEqual({ kind: 'read', startMs: 0, endMs: 30_000 });
  });

  it('catches up window after window while behind', () => {
    let cursor = 0;
    const ends: number[] = [];
    for (;;) {
      const d = nextWindow(cursor, { ...opts, nowMs: 150_000 });
      if (d.kind !== 'read') break;
      ends.push(d.endMs);
      cursor = d.endMs;
    }
    expect(ends).toEqual([30_000, 60_000, 90_000, 120_000]);
  });

  it('never crosses the generation end and closes after reading its last millisecond', () => {
    expect(nextWindow(0, { ...opts, nowMs: 1_000_000, generationEndMs: 20_000 })).toEqual({
      kind: 'read',
      startMs: 0,
      endMs: 19_999,
    });
    expect(nextWindow(19_999, { ...opts, nowMs: 1_000_000, generationEndMs: 20_000 })).toEqual({
      kind: 'closed',
    });
  });

  it('reads an old generation one final time only after the confidence delay passed its end', () => {
    // generation ended at 20 s: its tail (10 s, 19.999 s] is read once 19_999 + 30_000 <= now
    expect(nextWindow(10_000, { ...opts, nowMs: 45_000, generationEndMs: 20_000 })).toEqual({
      kind: 'wait',
      untilMs: 49_999,
    });
    expect(nextWindow(10_000, { ...opts, nowMs: 49_999, generationEndMs: 20_000 })).toEqual({
      kind: 'read',
      startMs: 10_000,
      endMs: 19_999,
    });
  });

  it('with zero confidence, reads a window as soon as it ends', () => {
    expect(nextWindow(5, { windowMs: 5, confidenceMs: 0, nowMs: 10 })).toEqual({
      kind: 'read',
      startMs: 5,
      endMs: 10,
    });
    expect(nextWindow(5, { windowMs: 6, confidenceMs: 0, nowMs: 10 })).toEqual({ kind: 'wait', untilMs: 11 });
  });
});

describe('caught up (cdc replicate --once)', () => {
  it('waits until every open group consumed the changes written before the call', () => {
    const since = 1_000_000;
    expect(caughtUpSince([], since)).toBe(true);
    expect(
      caughtUpSince(
        [
          { cursorMs: since, closed: false },
          { cursorMs: since + 30_000, closed: false },
        ],
        since,
      ),
    ).toBe(true);
    // One group still a millisecond short: writes at `since` may be unread.
    expect(
      caughtUpSince(
        [
          { cursorMs: since + 5, closed: false },
          { cursorMs: since - 1, closed: false },
        ],
        since,
      ),
    ).toBe(false);
  });

  it('ignores groups of closed generations however old their cursor', () => {
    expect(
      caughtUpSince(
        [
          { cursorMs: 10, closed: true },
          { cursorMs: 2_000, closed: false },
        ],
        2_000,
      ),
    ).toBe(true);
  });

  it('is reached at the latest one window plus the confidence delay after the call', () => {
    const since = 1_000_000;
    const windowMs = 30_000;
    const confidenceMs = 30_000;
    let cursor = since - 1;
    let now = since;
    // Reads happen as nextWindow allows; the cursor must pass `since` within windowMs + confidenceMs.
    while (!caughtUpSince([{ cursorMs: cursor, closed: false }], since)) {
      const d = nextWindow(cursor, { windowMs, confidenceMs, nowMs: now });
      if (d.kind === 'read') cursor = d.endMs;
      else if (d.kind === 'wait') now = d.untilMs;
      else break;
    }
    expect(cursor).toBeGreaterThanOrEqual(since);
    expect(now - since).toBeLessThanOrEqual(windowMs + confidenceMs);
  });
});

describe('retention (TTL) gaps', () => {
  const where = { table: 'ks.t', group: 'g', resnapshot: 'cdc snapshot --table ks.t' };
  it('passes inside the TTL and fails clearly outside it', () => {
    expect(() => checkRetention(1_000_000, 1_000_000 + 86_400_000, 86_400, where)).not.toThrow();
    expect(() => checkRetention(999_999, 1_000_000 + 86_400_000, 86_400, where)).toThrow(
      expect.objectContaining({
        code: 'RETENTION_GAP',
        hint: 'Take a new snapshot of the table: cdc snapshot --table ks.t',
      }),
    );
  });
  it('ttl 0 means rows never expire', () => {
    expect(() => checkRetention(0, 10 ** 13, 0, where)).not.toThrow();
  });
});

describe('positions', () => {
  it('round-trip and reject foreign strings', () => {
    const p = { g: 1, w: 2, t: 'abc' };
    expect(decodeGroupPosition(encodeGroupPosition(p))).toEqual(p);
    expect(decodeGroupPosition(encodeGroupPosition({ g: 1, w: 2 }))).toEqual({ g: 1, w: 2 });
    expect(decodeStartPosition(encodeStartPosition(42))).toBe(42);
    expect(() => decodeGroupPosition('0/1234')).toThrow(/Not a ScyllaDB CDC position/);
    expect(() => decodeStartPosition('{"v":1}')).toThrow(/snapshot position/);
  });

  it('reads microseconds from a timeuuid', () => {
    // 2020-01-01T00:00:00.000Z as a v1 uuid: ticks = (ms*10_000) + 0x01b21dd213814000
    const ticks = 1577836800000n * 10_000n + 0x01b21dd213814000n + 1234n * 10n;
    const h = ticks.toString(16).padStart(15, '0');
    const uuid = `${h.slice(7)}-${h.slice(3, 7)}-1${h.slice(0, 3)}-8000-000000000000`;
    expect(timeuuidMicros(uuid)).toBe(1577836800000n * 1000n + 1234n);
    expect(() => timeuuidMicros('550e8400-e29b-41d4-a716-446655440000')).toThrow(/time-based/);
  });
});
