#!/usr/bin/env node
// A PostgreSQL change source's first snapshot: the `six` bench table read in the snapshot its replication
// slot exported, through COPY against the cursor (`PostgresChangeSource.snapshot({ method })`). Each
// measurement is a fresh process that creates the slot, reads the snapshot to the end (timed: wall, client
// CPU; peak RSS of the process) and drops the slot; server CPU is the backends' when the Debian server runs.
// Needs `npx nx run @cdc/postgres:build`.
// Options: --rows 1000000 --runs 3 --batch 5000 --methods cursor,copy
import { spawnSync } from 'node:child_process';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '5000' },
    methods: { type: 'string', default: 'cursor,copy' },
    child: { type: 'boolean', default: false },
    url: { type: 'string' },
    method: { type: 'string' },
  },
});

if (opts.child) {
  const { PostgresChangeSource } = await import('@cdc/postgres');
  const table = { schema: 'public', name: 'bench' };
  const source = new PostgresChangeSource({
    url: opts.url,
    slot: `cdc_bench_snapshot_${process.pid}`,
    tables: [table],
  });
  let result;
  try {
    const schema = await source.introspect(table);
    await source.ensure();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const snap = await source.snapshot(schema, { method: opts.method, batchRows: Number(opts.batch) });
    let rows = 0;
    try {
      for await (const batch of snap.rows) rows += batch.length;
    } finally {
      await snap.close();
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    result = {
      rows,
      wall,
      cpu: (cpu.user + cpu.system) / 1e6,
      rssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await source.dropSlot();
    await source.close();
  }
  console.log(JSON.stringify(result));
  process.exit(0);
}

const { prepareCase } = await import('./generate.mjs');
const { startBenchServer } = await import('./server.mjs');
const server = await startBenchServer();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const rows = Number(opts.rows);
  console.error(`${server.version}: generating a ${rows}-row table…`);
  const data = await prepareCase(server.url, { prefix: 'cdc_snapshot', rows });
  const cases = opts.methods.split(',').map((method) => ({ method, runs: [] }));
  for (let r = 0; r < Number(opts.runs); r++) {
    for (const c of cases) {
      const backend0 = server.backendCpuSeconds?.();
      const args = [fileURLToPath(import.meta.url), '--child', '--url', data.sourceUrl, '--method', c.method];
      args.push('--batch', opts.batch);
      const res = spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`${c.method} failed: ${res.stderr}`);
      const m = JSON.parse(res.stdout.trim().split('\n').pop());
      // Backends exit when the child closes its connections; give the postmaster a moment to reap them.
      await setTimeout(300);
      if (backend0 !== undefined) m.server = server.backendCpuSeconds() - backend0;
      if (m.rows !== rows) throw new Error(`${c.method} read ${m.rows} rows`);
      c.runs.push(m);
      console.error(
        `${c.method}: ${m.wall.toFixed(2)} s, cpu ${m.cpu.toFixed(2)} s, ${m.rssMiB.toFixed(0)} MiB`,
      );
    }
  }
  console.log(
    `\nSnapshot of one ${rows}-row table, batchRows ${opts.batch}, median of ${opts.runs} (${server.version}):\n`,
  );
  console.log('| path | wall | rows/s | client CPU | server CPU | peak RSS |');
  console.log('|---|---|---|---|---|---|');
  for (const c of cases) {
    const wall = median(c.runs.map((m) => m.wall));
    const serverCpu =
      c.runs[0].server === undefined ? '–' : `${median(c.runs.map((m) => m.server)).toFixed(2)} s`;
    console.log(
      `| ${c.method} | ${wall.toFixed(2)} s | ${Math.round(rows / wall).toLocaleString('en-US')} | ` +
        `${median(c.runs.map((m) => m.cpu)).toFixed(2)} s | ${serverCpu} | ${median(c.runs.map((m) => m.rssMiB)).toFixed(0)} MB |`,
    );
  }
  await data.drop();
} finally {
  await server.stop();
}
