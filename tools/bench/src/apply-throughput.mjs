// Phase (a) of `npm run bench:apply`, run as its own process (so its peak RSS is the replicator's alone):
// a synthetic in-memory change source produces N inserts/updates/deletes in source transactions over a
// key space, and the real engine (runPipeline) applies them through the real PostgresSink into PostgreSQL.
// Prints one JSON line with the measurements.
import { performance } from 'node:perf_hooks';
import { deserialize, serialize } from 'node:v8';
import { runPipeline } from '@cdc/core';
import { PostgresSink } from '@cdc/postgres';
import pg from 'pg';
import { argValue, backendCpuSeconds, KeySpace, prng, TABLE, TABLE_SCHEMA } from './apply-common.mjs';

const url = argValue('url');
const changes = Number(argValue('changes', '500000'));
const keys = Number(argValue('keys', '100000'));
const txnSize = Number(argValue('txn', '10'));
const maxRows = Number(argValue('max-rows', '5000'));
const APP = 'cdc-bench-sink';

const space = new KeySpace(keys);
const random = prng(42);
const values = new Int32Array(keys + 1);
const counts = { inserts: 0, updates: 0, deletes: 0 };
const texts = Array.from({ length: 64 }, (_, i) => `text value ${i} `.repeat(1 + (i % 4)));

function rowOf(id, i) {
  return {
    id,
    i,
    t: texts[(id + i) & 63],
    n: `${(id % 100000) + i}.${String(i % 100).padStart(2, '0')}`,
    ts: new Date(1_700_000_000_000 + id * 1000 + i).toISOString(),
    d: id / 7 + i,
  };
}

/** One source transaction of `size` changes: inserts of absent keys, updates and deletes of live ones. */
function transaction(size) {
  const events = [];
  for (let j = 0; j < size; j++) {
    const fill = space.live / keys;
    const r = random();
    // Grows to ~60% of the key space, then holds: about 60% updates, 20% inserts, 20% deletes.
    if (space.live === 0 || (fill < 0.6 && r < 0.5) || (fill >= 0.6 && r < 0.2)) {
      const id = space.randomDead(random);
      space.add(id);
      values[id] = 1;
      counts.inserts++;
      events.push({ op: 'upsert', table: TABLE, key: { id }, row: rowOf(id, 1) });
    } else if (r < 0.8) {
      const id = space.randomLive(random);
      values[id]++;
      counts.updates++;
      events.push({ op: 'upsert', table: TABLE, key: { id }, row: rowOf(id, values[id]) });
    } else {
      const id = space.randomLive(random);
      space.remove(id);
      counts.deletes++;
      events.push({ op: 'delete', table: TABLE, key: { id } });
    }
  }
  return events;
}

/** The synthetic ChangeSource (stream only): the engine calls introspect, changes and acknowledge. */
const source = {
  dialect: 'synthetic',
  capabilities: {},
  async introspect() {
    return deserialize(serialize(TABLE_SCHEMA));
  },
  async *changes(options) {
    const from = Number(options.from.get('*') ?? '0');
    let produced = 0;
    for (let txn = 1; produced < changes; txn++) {
      const events = transaction(Math.min(txnSize, changes - produced));
      produced += events.length;
      if (txn <= from) continue;
      yield {
        partition: '*',
        position: String(txn),
        events,
        commitTimeMicros: BigInt(Date.now()) * 1000n,
      };
    }
  },
  async acknowledge() {},
  async close() {},
};

const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`DROP TABLE IF EXISTS public.bench_apply`);
await admin.query(`DROP SCHEMA IF EXISTS cdc_meta CASCADE`);

const sink = PostgresSink.open({ url, applicationName: APP });
const batches = [];
let startedAt = 0;
const cpu0 = process.cpuUsage();
const result = await runPipeline({
  name: 'bench-apply',
  source,
  sink,
  tables: [{ table: TABLE }],
  mode: 'stream',
  once: true,
  batch: { maxRows },
  onEvent(event) {
    if (event.type === 'started') startedAt = performance.now();
    if (event.type === 'applied') {
      batches.push({ at: performance.now(), events: event.events, sinkMs: event.durationMs });
    }
  },
});
const endedAt = performance.now();
const cpu = process.cpuUsage(cpu0);
const pgCpu = await backendCpuSeconds(admin, APP);
await sink.close();

// Correctness: the target must hold exactly the live keys with their last values.
let expectedSum = 0n;
for (let k = 1; k <= keys; k++) if (space.isLive(k)) expectedSum += BigInt(values[k]);
const { rows } = await admin.query(
  `SELECT count(*)::int AS n, coalesce(sum(i), 0)::text AS s FROM ${TABLE.name}`,
);
await admin.end();

const seconds = (endedAt - startedAt) / 1000;
const sinkSeconds = batches.reduce((n, b) => n + b.sinkMs, 0) / 1000;
// Steady state: the rate after the first 10% of the changes (warm-up, JIT, first inserts) were applied.
let seen = 0;
let steadyFrom;
for (const b of batches) {
  seen += b.events;
  if (steadyFrom === undefined && seen >= changes * 0.1) steadyFrom = { at: b.at, seen };
}
const steady =
  steadyFrom && endedAt > steadyFrom.at
    ? (changes - steadyFrom.seen) / ((endedAt - steadyFrom.at) / 1000)
    : NaN;

console.log(
  JSON.stringify({
    changes: result.events,
    ...counts,
    keys,
    txnSize,
    maxRows,
    batches: result.batches,
    seconds,
    changesPerSecond: result.events / seconds,
    steadyChangesPerSecond: steady,
    sinkSeconds,
    nodeCpuSeconds: (cpu.user + cpu.system) / 1e6,
    postgresCpuSeconds: pgCpu.seconds,
    postgresBackends: pgCpu.backends,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    verified: rows[0].n === space.live && rows[0].s === expectedSum.toString(),
    targetRows: rows[0].n,
    expectedRows: space.live,
  }),
);
