/**
 * CDC stream bookkeeping: generations (vnode keyspaces) and stream sets (tablets keyspaces), grouping of
 * stream ids into per-vnode query groups, read windows with a confidence delay, TTL-gap detection, and
 * the JSON positions stored per stream group.
 */
import { CdcError, type Position } from '@cdc/core';

/** One generation (vnodes) or stream set (tablets): streams valid from `startMs` until the next one. */
export interface CdcGeneration {
  startMs: number;
  /** Start of the next generation, or undefined while this one is current. */
  endMs?: number;
  streams: Uint8Array[];
}

/** A set of streams read together with one `IN (…)` query; its id is the ChangeBatch partition. */
export interface StreamGroup {
  /** `<keyspace>.<table>#<generation ms>#<group key>`. */
  id: string;
  generation: CdcGeneration;
  streams: Uint8Array[];
}

/**
 * The vnode index Scylla encodes in a stream id (bits 4–25 of the second 64-bit half, as scylla-cdc-java
 * reads it): streams of one vnode live on the same replicas, so a group query touches one replica set.
 */
export function vnodeOfStream(streamId: Uint8Array): number {
  if (streamId.length !== 16)
    throw new CdcError('INVALID_ARGUMENT', `A CDC stream id has 16 bytes, got ${streamId.length}.`);
  const low = new DataView(streamId.buffer, streamId.byteOffset, 16).getBigUint64(8);
  return Number((low & 0x3fffff0n) >> 4n);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/**
 * Groups the streams of a generation. Vnode keyspaces: by vnode index, larger groups split into chunks
 * of `maxStreamsPerQuery`. Tablets keyspaces: stream ids sorted (token order) and chunked.
 */
export function groupStreams(
  tableKey: string,
  generation: CdcGeneration,
  options: { tablets: boolean; maxStreamsPerQuery: number },
): StreamGroup[] {
  const max = Math.max(1, options.maxStreamsPerQuery);
  const sorted = [...generation.streams].sort((a, b) => Buffer.compare(a, b));
  const buckets = new Map<string, Uint8Array[]>();
  if (options.tablets) {
    for (let i = 0; i < sorted.length; i += max) {
      const chunk = sorted.slice(i, i + max);
      buckets.set(`t${hex(chunk[0] as Uint8Array).slice(0, 16)}`, chunk);
    }
  } else {
    for (const s of sorted) {
      const key = `v${vnodeOfStream(s)}`;
      const list = buckets.get(key);
      if (list) list.push(s);
      else buckets.set(key, [s]);
    }
    for (const [key, list] of [...buckets]) {
      if (list.length <= max) continue;
      buckets.delete(key);
      for (let i = 0; i < list.length; i += max) buckets.set(`${key}.${i / max}`, list.slice(i, i + max));
    }
  }
  return [...buckets].map(([key, streams]) => ({
    id: `${tableKey}#${generation.startMs}#${key}`,
    generation,
    streams,
  }));
}

/**
 * Orders raw generation timestamps and links each to the next (its end). Duplicates are dropped.
 */
export function linkGenerations(
  items: readonly { startMs: number; streams: Uint8Array[] }[],
): CdcGeneration[] {
  const sorted = [...items]
    .sort((a, b) => a.startMs - b.startMs)
    .filter((g, i, all) => i === 0 || all[i - 1]?.startMs !== g.startMs);
  return sorted.map((g, i) => {
    const next = sorted[i + 1];
    return next
      ? { startMs: g.startMs, endMs: next.startMs, streams: g.streams }
      : { startMs: g.startMs, streams: g.streams };
  });
}

/** Generations that may hold changes after `afterMs` (those ending later than it). */
export function generationsFrom(generations: readonly CdcGeneration[], afterMs: number): CdcGeneration[] {
  return generations.filter((g) => g.endMs === undefined || g.endMs - 1 > afterMs);
}

/** What to do next for one stream group. */
export type WindowDecision =
  { kind: 'read'; startMs: number; endMs: number } | { kind: 'wait'; untilMs: number } | { kind: 'closed' };

/**
 * The next window `(cursorMs, endMs]` (milliseconds, inclusive end) for a group whose changes up to and
 * including `cursorMs` were consumed: `windowMs` wide, readable once `endMs + confidenceMs <= nowMs`, never
 * crossing the generation's end (changes of a generation have `cdc$time < endMs`). A generation is closed
 * for the group once its last millisecond was read after the confidence delay.
 */
export function nextWindow(
  cursorMs: number,
  options: { windowMs: number; confidenceMs: number; nowMs: number; generationEndMs?: number },
): WindowDecision {
  const lastMs =
    options.generationEndMs === undefined ? Number.POSITIVE_INFINITY : options.generationEndMs - 1;
  if (cursorMs >= lastMs) return { kind: 'closed' };
  // Only whole windows (or the generation's tail) are read: reading whatever became readable since the
  // last poll would turn every stream group into a tight loop of tiny queries.
  const endMs = Math.min(cursorMs + options.windowMs, lastMs);
  if (endMs + options.confidenceMs > options.nowMs)
    return { kind: 'wait', untilMs: endMs + options.confidenceMs };
  return { kind: 'read', startMs: cursorMs, endMs };
}

/**
 * `changes({ untilCaughtUp })`: true once every stream group has consumed every change written up to
 * `sinceMs` (its cursor reached it; `cdc$time` has millisecond resolution) or its generation is closed.
 * Windows are readable only after the confidence delay, so this is reached about `windowMs +
 * confidenceMs` after `sinceMs` at the latest.
 */
export function caughtUpSince(
  groups: Iterable<{ cursorMs: number; closed: boolean }>,
  sinceMs: number,
): boolean {
  for (const g of groups) if (!g.closed && g.cursorMs < sinceMs) return false;
  return true;
}

/**
 * Fails with `RETENTION_GAP` when a group's cursor is older than the CDC log TTL: log rows after it may
 * already have expired, so applying the stream would silently lose changes.
 */
export function checkRetention(
  cursorMs: number,
  nowMs: number,
  ttlSeconds: number,
  where: { table: string; group: string; resnapshot: string },
): void {
  if (ttlSeconds <= 0) return; // ttl 0 = log rows never expire
  const oldest = nowMs - ttlSeconds * 1000;
  if (cursorMs < oldest) {
    throw new CdcError(
      'RETENTION_GAP',
      `CDC position of ${where.table} (stream group ${where.group}) is at ${new Date(cursorMs).toISOString()}, older than the CDC log TTL of ${ttlSeconds} s: changes may have expired.`,
      { hint: `Take a new snapshot of the table: ${where.resnapshot}` },
    );
  }
}

/** The stored position of one stream group. */
export interface GroupPosition {
  /** Generation start (ms). */
  g: number;
  /** Every change with `cdc$time <= maxTimeuuid(w)` was consumed. */
  w: number;
  /** When a window was split: every change up to and including this `cdc$time` was consumed. */
  t?: string;
}

/** Serializes a group position (opaque JSON). */
export function encodeGroupPosition(p: GroupPosition): Position {
  return JSON.stringify(p.t === undefined ? { v: 1, g: p.g, w: p.w } : { v: 1, g: p.g, w: p.w, t: p.t });
}

/** Parses a group position; a foreign or corrupt string fails with `INVALID_ARGUMENT`. */
export function decodeGroupPosition(position: Position): GroupPosition {
  let raw: unknown;
  try {
    raw = JSON.parse(position);
  } catch {
    raw = undefined;
  }
  const o = raw as { v?: unknown; g?: unknown; w?: unknown; t?: unknown } | undefined;
  if (
    !o ||
    o.v !== 1 ||
    typeof o.g !== 'number' ||
    typeof o.w !== 'number' ||
    (o.t !== undefined && typeof o.t !== 'string')
  ) {
    throw new CdcError('INVALID_ARGUMENT', `Not a ScyllaDB CDC position: ${position.slice(0, 100)}`);
  }
  return o.t === undefined ? { g: o.g, w: o.w } : { g: o.g, w: o.w, t: o.t };
}

/** Position of a table's snapshot (where its stream starts). */
export function encodeStartPosition(startMs: number): Position {
  return JSON.stringify({ v: 1, start: startMs });
}

/** Parses a snapshot start position. */
export function decodeStartPosition(position: Position): number {
  let o: { v?: unknown; start?: unknown } | undefined;
  try {
    o = JSON.parse(position) as typeof o;
  } catch {
    o = undefined;
  }
  if (!o || o.v !== 1 || typeof o.start !== 'number') {
    throw new CdcError('INVALID_ARGUMENT', `Not a ScyllaDB snapshot position: ${position.slice(0, 100)}`);
  }
  return o.start;
}

/**
 * Partition name of a table's snapshot start position: `<table>#start`, and with `startMs`
 * `<table>#start@<startMs>`. Each snapshot records its own partition (the engine stores a snapshot's
 * partition only when it has no checkpoint yet), so a re-snapshot adds a newer start instead of being
 * ignored; {@link snapshotStartMs} takes the latest.
 */
export function startPartition(tableKey: string, startMs?: number): string {
  return startMs === undefined ? `${tableKey}#start` : `${tableKey}#start@${startMs}`;
}

/** The latest snapshot start stored for a table (see {@link startPartition}), or undefined. */
export function snapshotStartMs(from: ReadonlyMap<string, Position>, tableKey: string): number | undefined {
  const base = startPartition(tableKey);
  let latest: number | undefined;
  for (const [partition, position] of from) {
    if (partition !== base && !partition.startsWith(`${base}@`)) continue;
    const start = decodeStartPosition(position);
    if (latest === undefined || start > latest) latest = start;
  }
  return latest;
}

/**
 * Where a group resumes: its stored position, else the later of the table's start and the generation's
 * start (minus 1 ms, since windows are exclusive at the bottom). A stored position older than the table's
 * latest snapshot start (`snapshotMs`, after a re-snapshot) moves up to it: the snapshot holds those
 * changes, and the log before it may have expired (the reason for re-snapshotting).
 */
export function initialCursor(
  group: StreamGroup,
  stored: Position | undefined,
  tableStartMs: number,
  snapshotMs?: number,
): GroupPosition {
  if (stored !== undefined) {
    const p = decodeGroupPosition(stored);
    return snapshotMs !== undefined && p.w < snapshotMs ? { g: p.g, w: snapshotMs } : p;
  }
  return { g: group.generation.startMs, w: Math.max(tableStartMs, group.generation.startMs - 1) };
}

const UUID_EPOCH_TICKS = 0x01b21dd213814000n; // 100-ns ticks from 1582-10-15 to 1970-01-01

/** Microseconds since the epoch encoded in a version-1 (time) uuid — the write time of a CDC row. */
export function timeuuidMicros(timeuuid: string): bigint {
  const h = timeuuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(h) || h[12] !== '1') {
    throw new CdcError('INVALID_ARGUMENT', `'${timeuuid}' is not a time-based uuid.`);
  }
  const ticks =
    (BigInt(`0x${h.slice(13, 16)}`) << 48n) |
    (BigInt(`0x${h.slice(8, 12)}`) << 32n) |
    BigInt(`0x${h.slice(0, 8)}`);
  const t = ticks - UUID_EPOCH_TICKS;
  return t >= 0n ? t / 10n : -((-t + 9n) / 10n);
}
