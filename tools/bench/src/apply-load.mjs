// Phase (b) of `npm run bench:apply`, the load process: writes a steady stream of multi-statement
// transactions (inserts, updates, deletes) into the source table at a fixed rate, and polls the target for
// the heartbeat row (id 0) every transaction updates with its sequence number. The lag of transaction k is
// the time the poller first sees sequence ≥ k in the target minus the time transaction k was sent to the
// source (so it includes the transaction's own execution: a slight overestimate, never an underestimate).
// Prints one JSON line with the lag distribution and the achieved rate.
import { setTimeout } from 'node:timers';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { argValue, KeySpace, prng, processCpuSeconds, summarize } from './apply-common.mjs';

const sourceUrl = argValue('source');
const targetUrl = argValue('target');
const rate = Number(argValue('rate', '5000'));
const seconds = Number(argValue('seconds', '45'));
const txnSize = Number(argValue('txn', '50'));
const keys = Number(argValue('keys', '100000'));
const pollMs = Number(argValue('poll-ms', '10'));
const drainTimeoutMs = 120_000;

const source = new pg.Client({ connectionString: sourceUrl, application_name: 'cdc-bench-load' });
const target = new pg.Client({ connectionString: targetUrl, application_name: 'cdc-bench-poll' });
await Promise.all([source.connect(), target.connect()]);

// The seeded rows: live keys are read back so the workload's inserts, updates and deletes each hit.
const space = new KeySpace(keys);
for (const { id } of (await source.query('SELECT id::int AS id FROM public.bench_apply WHERE id > 0')).rows) {
  space.add(id);
}
const random = prng(7);
const sentAt = [];
const lags = [];
let seen = 0;
let sent = 0;
let changes = 0;
let writerDone = false;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** SQL of one transaction of `txnSize` changes (one is the heartbeat update), literals only (numbers). */
function transaction(seq) {
  const n = txnSize - 1;
  const inserts = [];
  const updates = [];
  const deletes = [];
  for (let j = 0; j < n; j++) {
    const r = random();
    const fill = space.live / keys;
    if (space.live === 0 || (r < 0.2 && fill < 0.9) || fill < 0.3) {
      const id = space.randomDead(random);
      // The statements run inserts first: a key deleted earlier in this transaction stays deleted.
      if (deletes.includes(id)) {
        j--;
        continue;
      }
      space.add(id);
      inserts.push(id);
    } else if (r < 0.8 || fill < 0.4) {
      const id = space.randomLive(random);
      if (updates.includes(id) || inserts.includes(id)) {
        j--;
        continue;
      }
      updates.push(id);
    } else {
      const id = space.randomLive(random);
      if (updates.includes(id) || inserts.includes(id)) {
        j--;
        continue;
      }
      space.remove(id);
      deletes.push(id);
    }
  }
  const parts = ['BEGIN'];
  if (inserts.length) {
    parts.push(
      `INSERT INTO public.bench_apply (id, i, t, n, ts, d) VALUES ${inserts
        .map((id) => `(${id}, 1, 'row ${id}', ${id % 100000}.25, clock_timestamp(), ${id / 8})`)
        .join(', ')}`,
    );
  }
  if (updates.length) {
    parts.push(
      `UPDATE public.bench_apply SET i = i + 1, t = 'updated ' || id || ' at ${seq}', ts = clock_timestamp(),` +
        ` d = d + 0.5 WHERE id IN (${updates.join(', ')})`,
    );
  }
  if (deletes.length) parts.push(`DELETE FROM public.bench_apply WHERE id IN (${deletes.join(', ')})`);
  parts.push(`UPDATE public.bench_apply SET i = ${seq}, ts = clock_timestamp() WHERE id = 0`);
  parts.push('COMMIT');
  return { sql: parts.join(';\n'), changes: inserts.length + updates.length + deletes.length + 1 };
}

async function writer() {
  const interval = (1000 * txnSize) / rate;
  const start = performance.now();
  const end = start + seconds * 1000;
  for (let seq = 1; ; seq++) {
    const due = start + (seq - 1) * interval;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const txn = transaction(seq);
    sentAt[seq] = performance.now();
    await source.query(txn.sql);
    sent = seq;
    changes += txn.changes;
  }
  writerDone = true;
  return (performance.now() - start) / 1000;
}

async function poller() {
  const started = performance.now();
  for (;;) {
    const { rows } = await target.query('SELECT i FROM public.bench_apply WHERE id = 0');
    const now = performance.now();
    const value = rows[0]?.i ?? 0;
    for (let k = seen + 1; k <= value; k++) if (sentAt[k] !== undefined) lags.push(now - sentAt[k]);
    seen = Math.max(seen, value);
    if (writerDone && seen >= sent) return;
    if (writerDone && now - started > seconds * 1000 + drainTimeoutMs) return;
    await sleep(pollMs);
  }
}

const backend = (await source.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
const [writeSeconds] = await Promise.all([writer(), poller()]);
const backendCpu = processCpuSeconds(backend);
await Promise.all([source.end(), target.end()]);
console.log(
  JSON.stringify({
    transactions: sent,
    changes,
    writeSeconds,
    changesPerSecond: changes / writeSeconds,
    observed: seen,
    lagMs: summarize(lags),
    liveRows: space.live,
    postgresCpuSeconds: backendCpu,
  }),
);
