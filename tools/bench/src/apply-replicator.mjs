// Phase (b) of `npm run bench:apply`, the replicator process: exactly what `cdc replicate` runs for a
// configured PostgreSQL pipeline (openPostgresReplication → runPipeline, logical decoding through a slot),
// until SIGTERM. Prints "ready" once the snapshot is done, and on exit one JSON line with the engine's
// per-batch lag and size, its CPU time and peak RSS.
import { performance } from 'node:perf_hooks';
import { runPipeline } from '@cdc/core';
import { openPostgresReplication } from '@cdc/postgres';
import { argValue, summarize } from './apply-common.mjs';

const sourceUrl = argValue('source');
const targetUrl = argValue('target');
const maxDelayMs = argValue('max-delay-ms');
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
    sink: r.sink,
    tables: r.tables,
    ...(r.batch ? { batch: r.batch } : {}),
    signal: stop.signal,
    onEvent(event) {
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
  }),
);
