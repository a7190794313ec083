// Shared pieces of `npm run bench:apply`: the benchmark table, CPU accounting, percentiles.
import { readFileSync } from 'node:fs';

/** The 6-column table of every cdc benchmark (bigint key, int, text, numeric(12,2), timestamptz, double). */
export const TABLE = { schema: 'public', name: 'bench_apply' };

/** DDL of the source table of the lag benchmark. */
export const CREATE_TABLE = `CREATE TABLE public.bench_apply (
  id bigint PRIMARY KEY, i integer, t text, n numeric(12,2), ts timestamptz, d double precision)`;

/** The logical schema of {@link TABLE}, as an adapter would introspect it. */
export const TABLE_SCHEMA = {
  id: TABLE,
  columns: [
    { name: 'id', type: { kind: 'int64' }, nativeType: 'bigint', nullable: false },
    { name: 'i', type: { kind: 'int32' }, nativeType: 'integer', nullable: true },
    { name: 't', type: { kind: 'text' }, nativeType: 'text', nullable: true },
    {
      name: 'n',
      type: { kind: 'numeric', precision: 12, scale: 2 },
      nativeType: 'numeric(12,2)',
      nullable: true,
    },
    { name: 'ts', type: { kind: 'timestamptz', precision: 6 }, nativeType: 'timestamptz', nullable: true },
    { name: 'd', type: { kind: 'float64' }, nativeType: 'double precision', nullable: true },
  ],
  primaryKey: ['id'],
};

/** A small deterministic PRNG (mulberry32), so every run generates the same workload. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A set of integer keys 1..n split into live and dead, with O(1) random pick and move (the workload needs
 * inserts of absent keys and updates/deletes of present ones, so every change has exactly one effect).
 */
export class KeySpace {
  constructor(n) {
    this.n = n;
    this.items = new Int32Array(n);
    this.pos = new Int32Array(n + 1);
    for (let k = 1; k <= n; k++) {
      this.items[k - 1] = k;
      this.pos[k] = k - 1;
    }
    /** items[0, live) are live keys, items[live, n) dead ones. */
    this.live = 0;
  }
  isLive(k) {
    return this.pos[k] < this.live;
  }
  #swap(i, j) {
    const a = this.items[i];
    const b = this.items[j];
    this.items[i] = b;
    this.items[j] = a;
    this.pos[b] = i;
    this.pos[a] = j;
  }
  /** Makes key k live. */
  add(k) {
    if (this.isLive(k)) return;
    this.#swap(this.pos[k], this.live);
    this.live++;
  }
  /** Makes key k dead. */
  remove(k) {
    if (!this.isLive(k)) return;
    this.live--;
    this.#swap(this.pos[k], this.live);
  }
  randomLive(random) {
    return this.items[Math.floor(random() * this.live)];
  }
  randomDead(random) {
    return this.items[this.live + Math.floor(random() * (this.n - this.live))];
  }
}

/** Percentile (nearest rank) of numbers; `sorted` must be ascending. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** p50/p95/p99/max of a list of numbers. */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? sorted.reduce((n, v) => n + v, 0) / sorted.length : NaN,
  };
}

/** CPU seconds (user + system) a Linux process has used so far, or undefined when unreadable. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (fields 14 and 15 of proc(5)), in clock ticks (100/s).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** CPU seconds of the PostgreSQL backends whose application_name starts with `prefix`. */
export async function backendCpuSeconds(client, prefix) {
  const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1', [
    `${prefix}%`,
  ]);
  let total = 0;
  for (const { pid } of rows) total += processCpuSeconds(pid) ?? 0;
  return { seconds: total, backends: rows.length };
}

/** Reads `--name value` style options of a phase child process. */
export function argValue(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
