#!/usr/bin/env node
// Reading rows from PostgreSQL: the adapter's COPY path against its cursor path (row objects). By
// default both bench tables (source and target, `six` variant) are scanned at once, as a stream diff or
// client-side hashing reads them (`--tables 1`: the source only). Each measurement is a fresh process:
// wall time, rows/s, client CPU, peak RSS, and the server's backend CPU when the Debian server runs.
// Needs `npx nx run @cdc/postgres:build`.
// Options: --rows 1000000 --runs 3 --batch 5000 --tables 2 --methods cursor,copy --modes unordered,ordered
import { spawnSync } from 'node:child_process';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '5000' },
    tables: { type: 'string', default: '2' },
    methods: { type: 'string', default: 'cursor,copy' },
    modes: { type: 'string', default: 'unordered,ordered' },
    child: { type: 'boolean', default: false },
    urls: { type: 'string' },
    method: { type: 'string' },
    ordered: { type: 'boolean', default: false },
  },
});

if (opts.child) {
  // One measurement: scan every given table to the end, concurrently, then report.
  const { connectPostgres } = await import('@cdc/postgres');
  const adapters = opts.urls.split(',').map((url) => connectPostgres({ url }));
  const schemas = await Promise.all(adapters.map((a) => a.introspect({ name: 'bench' })));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const counts = await Promise.all(
    adapters.map(async (adapter, i) => {
      let n = 0;
      for await (const batch of adapter.scan(schemas[i], {
        method: opts.method,
        ordered: opts.ordered,
        batchRows: Number(opts.batch),
      })) {
        n += batch.length;
      }
      return n;
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(adapters.map((a) => a.close()));
  console.log(
    JSON.stringify({
      rows: counts.reduce((a, b) => a + b, 0),
      wall,
      cpu: (cpu.user + cpu.system) / 1e6,
      rssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
  process.exit(0);
}

const { prepareCase } = await import('./generate.mjs');
const { startBenchServer } = await import('./server.mjs');
const server = await startBenchServer();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const rows = Number(opts.rows);
  console.error(`${server.version}: generating two ${rows}-row tables…`);
  const data = await prepareCase(server.url, { prefix: 'cdc_read', rows });
  const tables = Number(opts.tables);
  const urls = [data.sourceUrl, data.targetUrl].slice(0, tables).join(',');
  const cases = [];
  for (const mode of opts.modes.split(','))
    for (const method of opts.methods.split(',')) cases.push({ mode, method, runs: [] });
  for (let r = 0; r < Number(opts.runs); r++) {
    for (const c of cases) {
      const backend0 = server.backendCpuSeconds?.();
      const args = [fileURLToPath(import.meta.url), '--child', '--urls', urls, '--method', c.method];
      args.push('--batch', opts.batch);
      if (c.mode === 'ordered') args.push('--ordered');
      const res = spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`${c.method} ${c.mode} failed: ${res.stderr}`);
      const m = JSON.parse(res.stdout.trim().split('\n').pop());
      // Backends exit when the child closes its pools, so their CPU is counted by then.
      // Backends exit when the child closes its pools; give the postmaster a moment to reap them.
      await setTimeout(300);
      if (backend0 !== undefined) m.server = server.backendCpuSeconds() - backend0;
      if (m.rows !== tables * rows) throw new Error(`${c.method} ${c.mode} read ${m.rows} rows`);
      c.runs.push(m);
      console.error(
        `${c.mode} ${c.method}: ${m.wall.toFixed(2)} s, cpu ${m.cpu.toFixed(2)} s, ${m.rssMiB.toFixed(0)} MiB`,
      );
    }
  }
  console.log(
    `\n${tables === 2 ? `Both ${rows}-row tables read at once` : `One ${rows}-row table`}, batchRows ${opts.batch}, median of ${opts.runs} (${server.version}):\n`,
  );
  console.log('| scan | path | wall | rows/s | client CPU | server CPU | peak RSS |');
  console.log('|---|---|---|---|---|---|---|');
  for (const c of cases) {
    const wall = median(c.runs.map((m) => m.wall));
    const server =
      c.runs[0].server === undefined ? '–' : `${median(c.runs.map((m) => m.server)).toFixed(2)} s`;
    console.log(
      `| ${c.mode} | ${c.method} | ${wall.toFixed(2)} s | ${Math.round((tables * rows) / wall).toLocaleString('en-US')} | ` +
        `${median(c.runs.map((m) => m.cpu)).toFixed(2)} s | ${server} | ${median(c.runs.map((m) => m.rssMiB)).toFixed(0)} MB |`,
    );
  }
  await data.drop();
} finally {
  await server.stop();
}
