// Phase (b) of `npm run bench:apply`, the replicator process: exactly what `cdc replicate` runs for a
// configured PostgreSQL pipeline (openPostgresReplication → runPipeline, logical decoding through a slot),
// until SIGTERM; with `--verify on`, with the worker's always-on verification (default settings: every
// committed key re-read on both sides, the sweep at 1,000 rows/s). Prints "ready" once the snapshot is
// done, and on exit one JSON line with the engine's per-batch lag and size, its CPU time and peak RSS, and
// what verification did (rows verified, confirmed differences: under this load every one is false).
import { performance } from 'node:perf_hooks';
import { observeCommits, runPipeline, startVerifier, verifySettings } from '@cdc/core';
import { connectPostgres, openPostgresReplication, PostgresVerificationStore } from '@cdc/postgres';
import { argValue, summarize } from './apply-common.mjs';

const sourceUrl = argValue('source');
const targetUrl = argValue('target');
const maxDelayMs = argValue('max-delay-ms');
const verify = argValue('verify', 'off') === 'on';
const pipeline = {
  name: 'bench_lag',
  source: 'src',
  target: 'dst',
  tables: ['public.bench_apply'],
  ...(maxDelayMs !== undefined ? { batch: { maxDelayMs: Number(maxDelayMs) } } : {}),
};

const stop = new globalThis.AbortController();
process.once('SIGTERM', () => stop.abort());
process.once('SIGINT', () => stop.abort());

const r = openPostgresReplication({ pipeline, sourceUrl, targetUrl });
const verification = verify ? await startVerification() : undefined;

/** The verifier as the worker wires it (apps/worker/src/worker-verification.ts), with counters. */
async function startVerification() {
  const counts = {
    changedRows: 0,
    sweepRows: 0,
    differences: 0,
    sampled: 0,
    errors: 0,
    maxQueue: 0,
    sweeps: 0,
  };
  const options = { applicationName: 'cdc-verify:bench', maxConnections: 4 };
  const source = connectPostgres({ url: sourceUrl, ...options });
  const target = connectPostgres({ url: targetUrl, ...options });
  const store = await PostgresVerificationStore.open(target);
  let verifier;
  return {
    counts,
    sink: (sink) =>
      observeCommits(sink, {
        applying: (batch) => verifier?.applying(batch),
        committed: (batch) => verifier?.committed(batch),
        failed: (batch) => verifier?.failed(batch),
      }),
    onEvent(event) {
      if (event.type !== 'started') return;
      verifier = startVerifier({
        pipeline: pipeline.name,
        tables: r.tables,
        settings: verifySettings(undefined),
        source,
        target,
        store,
        onEvent(e) {
          if (e.type === 'rows') counts[e.mode === 'changed' ? 'changedRows' : 'sweepRows'] += e.rows;
          else if (e.type === 'differences') {
            counts.differences += e.summary.missing + e.summary.extra + e.summary.mismatched;
          } else if (e.type === 'sampled') counts.sampled += e.keys;
          else if (e.type === 'error') {
            counts.errors++;
            console.error(`verification error: ${e.error instanceof Error ? e.error.message : e.error}`);
          } else if (e.type === 'queue') counts.maxQueue = Math.max(counts.maxQueue, e.depth);
          else if (e.type === 'sweep-complete') counts.sweeps++;
        },
      });
    },
    async stop() {
      await verifier?.stop();
      await Promise.all([source.close(), target.close()]);
    },
  };
}
const lag = [];
const sizes = [];
const sinkMs = [];
let streamStart;
const cpu0 = process.cpuUsage();
let result;
try {
  result = await runPipeline({
    name: pipeline.name,
    source: r.source,
    sink: verification ? verification.sink(r.sink) : r.sink,
    tables: r.tables,
    ...(r.batch ? { batch: r.batch } : {}),
    signal: stop.signal,
    onEvent(event) {
      verification?.onEvent(event);
      if (event.type === 'snapshot-done') {
        streamStart = performance.now();
        console.log('ready');
      }
      if (event.type === 'applied' && event.events > 0 && streamStart !== undefined) {
        if (event.lagMs !== undefined) lag.push(event.lagMs);
        sizes.push(event.events);
        sinkMs.push(event.durationMs);
      }
    },
  });
} finally {
  await verification?.stop();
  await r.source.dropSlot().catch(() => undefined);
  await r.close();
}
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    events: result.events,
    batches: result.batches,
    stopped: result.stopped,
    engineLagMs: summarize(lag),
    batchEvents: summarize(sizes),
    sinkMs: summarize(sinkMs),
    nodeCpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    ...(verification ? { verification: verification.counts } : {}),
  }),
);
