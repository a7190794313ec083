#!/usr/bin/env node
// `npm run bench:apply`: the replication benchmarks of issue 7, on one PostgreSQL server (server.mjs).
//  (a) apply throughput: a synthetic in-memory change source → the real engine (runPipeline) → the real
//      PostgresSink; changes/s sustained and the replicator's peak RSS. Target ≥ 50,000 changes/s.
//  (b) end-to-end lag: a PostgreSQL source table under a steady write load (multi-statement transactions
//      of inserts/updates/deletes) replicated by logical decoding into another database, as `cdc replicate`
//      runs it; lag = sent to the source → visible in the target, p50/p95/p99. Target p99 ≤ 2 s at 5,000/s.
//      Run without and with always-on verification (`--verify both`, the default; `off`, `on`): with it,
//      every committed key is re-read on both sides and the sweep runs at 1,000 rows/s; every difference it
//      confirms under this load is a false one (issue 18: none allowed).
// Each phase runs in its own process. Options: --changes 500000 --keys 100000 --txn 10 --runs 2
//   --lag-rate 5000 --lag-seconds 45 --lag-txn 50 --verify both --phases throughput,lag
//   --out <path without extension>
// Uses the built packages (packages/*/dist): `npm run bench:apply` builds them first.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { backendCpuSeconds, CREATE_TABLE } from './apply-common.mjs';
import { startBenchServer } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const { values: opts } = parseArgs({
  options: {
    changes: { type: 'string', default: '500000' },
    keys: { type: 'string', default: '100000' },
    txn: { type: 'string', default: '10' },
    runs: { type: 'string', default: '2' },
    'lag-rate': { type: 'string', default: '5000' },
    'lag-seconds': { type: 'string', default: '45' },
    'lag-txn': { type: 'string', default: '50' },
    'lag-max-delay-ms': { type: 'string' },
    verify: { type: 'string', default: 'both' },
    phases: { type: 'string', default: 'throughput,lag' },
    out: { type: 'string', default: join(root, 'tools/bench/results/apply-latest') },
  },
});
const phases = new Set(opts.phases.split(','));
const THROUGHPUT_TARGET = 50_000;
const LAG_P99_TARGET_MS = 2_000;

for (const pkg of ['core', 'postgres']) {
  if (!existsSync(join(root, `packages/${pkg}/dist/index.js`))) {
    console.error(
      `@cdc/${pkg} is not built: run \`npx nx run-many -t build -p @cdc/core @cdc/postgres\` first (npm run bench:apply does).`,
    );
    process.exit(2);
  }
}

/** Runs a phase script; resolves with its last stdout line parsed as JSON. */
function runPhase(script, args, { onLine } = {}) {
  const child = spawn(process.execPath, [join(here, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffer = '';
  let last = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      last = line;
      onLine?.(line);
    }
  });
  const done = new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (buffer.trim()) last = buffer.trim();
      if (code !== 0) reject(new Error(`${script} exited with ${code ?? signal}`));
      else {
        try {
          resolve(JSON.parse(last));
        } catch {
          reject(new Error(`${script} printed no result (last line: ${last})`));
        }
      }
    });
  });
  return { child, done };
}

const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';

const server = await startBenchServer();
const dbUrl = (name) => {
  const u = new URL(server.url);
  u.pathname = `/${name}`;
  return u.toString();
};
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
async function recreate(name) {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
}

const machine = {
  cpu: cpus()[0]?.model ?? '?',
  cores: cpus().length,
  memoryGB: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  postgres: server.version,
  postgresKind: server.kind,
  loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  startedAt: new Date().toISOString(),
};
const results = { machine, options: opts, throughput: [], lag: undefined, lagVerified: undefined };

/** One lag run on fresh databases: snapshot, then the steady load; with or without verification. */
async function lagRun(verify) {
  await recreate('bench_lag_src');
  await recreate('bench_lag_dst');
  const src = new pg.Client({ connectionString: dbUrl('bench_lag_src') });
  await src.connect();
  await src.query(CREATE_TABLE);
  await src.query(
    `INSERT INTO public.bench_apply (id, i, t, n, ts, d)
     SELECT g, CASE WHEN g = 0 THEN 0 ELSE 1 END, 'row ' || g, (g % 100000) + 0.25, now(), g / 8.0
       FROM generate_series(0, $1::int) g WHERE g % 2 = 0`,
    [Number(opts.keys)],
  );
  console.error(
    `lag${verify ? ' with verification' : ''}: snapshot, then ${opts['lag-rate']} changes/s for ${opts['lag-seconds']} s…`,
  );
  let ready;
  const readyPromise = new Promise((resolve) => (ready = resolve));
  const replicator = runPhase(
    'apply-replicator.mjs',
    [
      '--source',
      dbUrl('bench_lag_src'),
      '--target',
      dbUrl('bench_lag_dst'),
      '--verify',
      verify ? 'on' : 'off',
      ...(opts['lag-max-delay-ms'] ? ['--max-delay-ms', opts['lag-max-delay-ms']] : []),
    ],
    { onLine: (line) => line === 'ready' && ready() },
  );
  const failed = replicator.done.then(
    () => {
      throw new Error('the replicator stopped before the load ended');
    },
    (error) => {
      throw error;
    },
  );
  await Promise.race([readyPromise, failed]);
  const load = loadavg()[0];
  const loadResult = await Promise.race([
    runPhase('apply-load.mjs', [
      '--source',
      dbUrl('bench_lag_src'),
      '--target',
      dbUrl('bench_lag_dst'),
      '--rate',
      opts['lag-rate'],
      '--seconds',
      opts['lag-seconds'],
      '--txn',
      opts['lag-txn'],
      '--keys',
      opts.keys,
    ]).done,
    failed,
  ]);
  failed.catch(() => undefined);
  const postgresCpu = {
    decoding: (await backendCpuSeconds(admin, 'cdc-slot:')).seconds,
    sink: (await backendCpuSeconds(admin, 'cdc-sink:')).seconds,
    verify: (await backendCpuSeconds(admin, 'cdc-verify:')).seconds,
    load: loadResult.postgresCpuSeconds,
  };
  replicator.child.kill('SIGTERM');
  const replicatorResult = await replicator.done.catch((error) => ({ error: String(error) }));
  const dst = new pg.Client({ connectionString: dbUrl('bench_lag_dst') });
  await dst.connect();
  const check =
    'SELECT count(*)::int AS n, sum(i)::text AS i, sum(hashtext(t))::text AS t FROM public.bench_apply';
  const [a, b] = [(await src.query(check)).rows[0], (await dst.query(check)).rows[0]];
  await Promise.all([src.end(), dst.end()]);
  const result = {
    verify,
    load: loadResult,
    replicator: replicatorResult,
    postgresCpuSeconds: postgresCpu,
    loadAverage1m: Number(load.toFixed(2)),
    verified: a.n === b.n && a.i === b.i && a.t === b.t,
    sourceRows: a.n,
    targetRows: b.n,
  };
  console.error(
    `  lag p50 ${fmt(loadResult.lagMs.p50)} ms, p95 ${fmt(loadResult.lagMs.p95)} ms, p99 ${fmt(loadResult.lagMs.p99)} ms at ${fmt(loadResult.changesPerSecond)} changes/s; verified ${result.verified}` +
      (replicatorResult.verification
        ? `; verification: ${fmt(replicatorResult.verification.changedRows)} keys and ${fmt(replicatorResult.verification.sweepRows)} sweep rows compared, ${replicatorResult.verification.differences} difference(s) confirmed`
        : ''),
  );
  return result;
}

try {
  if (phases.has('throughput')) {
    for (let run = 1; run <= Number(opts.runs); run++) {
      await recreate('bench_apply_dst');
      const load = loadavg()[0];
      console.error(`throughput run ${run}/${opts.runs}: ${opts.changes} changes over ${opts.keys} keys…`);
      const r = await runPhase('apply-throughput.mjs', [
        '--url',
        dbUrl('bench_apply_dst'),
        '--changes',
        opts.changes,
        '--keys',
        opts.keys,
        '--txn',
        opts.txn,
      ]).done;
      r.loadAverage1m = Number(load.toFixed(2));
      results.throughput.push(r);
      console.error(
        `  ${fmt(r.changesPerSecond)} changes/s (steady ${fmt(r.steadyChangesPerSecond)}), peak RSS ${fmt(r.peakRssMB)} MB, verified ${r.verified}`,
      );
    }
  }

  if (phases.has('lag')) {
    const variants = { off: [false], on: [true], both: [false, true] }[opts.verify];
    if (!variants) throw new Error(`--verify must be off, on or both, got ${opts.verify}`);
    for (const verify of variants) {
      const lag = await lagRun(verify);
      if (verify) results.lagVerified = lag;
      else results.lag = lag;
    }
  }
} finally {
  await admin.end();
  await server.stop();
}

// ---------------------------------------------------------------- report
const lines = [
  `# Replication apply benchmark (${machine.startedAt})`,
  '',
  `Machine: ${machine.cores} × ${machine.cpu}, ${machine.memoryGB} GB, Node ${machine.node}, ${machine.postgres} (${machine.postgresKind}); ` +
    `1-min load average at start ${machine.loadAverageAtStart[0]}.`,
  '',
  '| measurement | result | target | met |',
  '|---|---|---|---|',
];
for (const [i, r] of results.throughput.entries()) {
  lines.push(
    `| (a) apply throughput, run ${i + 1}: ${fmt(r.changes)} changes (${fmt(r.inserts)} ins / ${fmt(r.updates)} upd / ${fmt(r.deletes)} del) over ${fmt(r.keys)} keys, txns of ${r.txnSize}, load ${r.loadAverage1m} | ` +
      `${fmt(r.changesPerSecond)} changes/s (steady ${fmt(r.steadyChangesPerSecond)}), ${fmt(r.seconds, 1)} s, peak RSS ${fmt(r.peakRssMB)} MB | ` +
      `≥ ${fmt(THROUGHPUT_TARGET)} changes/s | ${r.changesPerSecond >= THROUGHPUT_TARGET ? 'yes' : 'no'}${r.verified ? '' : ' (TARGET WRONG)'} |`,
  );
}
for (const lag of [results.lag, results.lagVerified]) {
  if (!lag) continue;
  const l = lag.load;
  const v = lag.replicator.verification;
  const falseDiffs = v ? `; ${v.differences} false difference(s)` : '';
  lines.push(
    `| (b) end-to-end lag, PostgreSQL source, verification ${lag.verify ? 'on' : 'off'}: ${fmt(l.changes)} changes in ${fmt(l.transactions)} txns over ${fmt(l.writeSeconds, 1)} s (${fmt(l.changesPerSecond)} changes/s), load ${lag.loadAverage1m} | ` +
      `p50 ${fmt(l.lagMs.p50)} ms, p95 ${fmt(l.lagMs.p95)} ms, p99 ${fmt(l.lagMs.p99)} ms, max ${fmt(l.lagMs.max)} ms${falseDiffs} | ` +
      `p99 ≤ ${fmt(LAG_P99_TARGET_MS)} ms at 5,000 changes/s${v ? ', no false differences' : ''} | ${l.lagMs.p99 <= LAG_P99_TARGET_MS && l.changesPerSecond >= 4_900 && (!v || v.differences === 0) ? 'yes' : 'no'}${lag.verified ? '' : ' (TARGET WRONG)'} |`,
  );
}
lines.push('', '## Where the time goes', '');
for (const [i, r] of results.throughput.entries()) {
  lines.push(
    `- throughput run ${i + 1}: ${fmt(r.seconds, 1)} s wall; ${fmt(r.sinkSeconds, 1)} s inside \`PostgresSink.apply\` ` +
      `(${fmt((100 * r.sinkSeconds) / r.seconds)} %); CPU: replicator process ${fmt(r.nodeCpuSeconds, 1)} s ` +
      `(${fmt((1e6 * r.nodeCpuSeconds) / r.changes, 1)} µs/change, the synthetic source included), PostgreSQL sink backend ` +
      `${fmt(r.postgresCpuSeconds, 1)} s (${fmt((1e6 * r.postgresCpuSeconds) / r.changes, 1)} µs/change); ` +
      `the two used ${fmt((100 * (r.nodeCpuSeconds + r.postgresCpuSeconds)) / (r.seconds * machine.cores))} % of the machine's CPU time; ` +
      `${fmt(r.batches)} sink transactions of ≤ ${fmt(r.maxRows)} changes.`,
  );
}
for (const lag of [results.lag, results.lagVerified]) {
  if (!lag?.replicator || lag.replicator.error) continue;
  const rr = lag.replicator;
  const v = rr.verification;
  lines.push(
    `- lag run, verification ${lag.verify ? 'on' : 'off'}: ${fmt(rr.batches)} sink transactions, ${fmt(rr.batchEvents.mean)} changes each on average ` +
      `(max ${fmt(rr.batchEvents.max)}); sink apply p50 ${fmt(rr.sinkMs.p50, 1)} ms, p99 ${fmt(rr.sinkMs.p99, 1)} ms; ` +
      `engine-reported lag (commit → batch committed) p50 ${fmt(rr.engineLagMs.p50)} ms, p99 ${fmt(rr.engineLagMs.p99)} ms; ` +
      `CPU: replicator process ${fmt(rr.nodeCpuSeconds, 1)} s, PostgreSQL decoding backend ${fmt(lag.postgresCpuSeconds.decoding, 1)} s, ` +
      `sink backend ${fmt(lag.postgresCpuSeconds.sink, 1)} s, verification backends ${fmt(lag.postgresCpuSeconds.verify, 1)} s, load generator backend ${fmt(lag.postgresCpuSeconds.load, 1)} s; ` +
      `replicator peak RSS ${fmt(rr.peakRssMB)} MB; target equal to source: ${lag.verified}` +
      (v
        ? `; verification compared ${fmt(v.changedRows)} changed keys and ${fmt(v.sweepRows)} sweep rows (${v.sweeps} complete sweep(s)), ` +
          `sampled ${fmt(v.sampled)} keys (queue peak ${fmt(v.maxQueue)}), confirmed ${v.differences} difference(s), ${v.errors} error(s).`
        : '.'),
  );
}
const md = `${lines.join('\n')}\n`;
mkdirSync(dirname(opts.out), { recursive: true });
writeFileSync(`${opts.out}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${opts.out}.md`, md);
process.stdout.write(md);
console.error(`written: ${opts.out}.md, ${opts.out}.json`);
