#!/usr/bin/env node
// `npm run bench`: times `cdc diff` (same-engine native hashing, forced cross-engine canonical hashing,
// hashing in cdc for both sides or one side, and a plain read of the cdc-hashed side for scale) and, when
// installed, pg_comparator on the same tables of one PostgreSQL server, interleaved, several runs
// each. Reports median wall time, peak RSS, rows/s, and whether the reported differences equal the planted
// ones exactly. The `mysql` variant runs `mysql.mjs` afterwards: MariaDB → PostgreSQL on the `six` table
// (a private mariadbd; skipped with a notice when MariaDB is not installed), reported in <out>-mysql.md.
// Options: --sizes 1000000,5000000 --runs 3 --variants six[,composite,wide,mysql] --drift scattered|clustered --out <file>
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareCase } from './generate.mjs';
import { startBenchServer } from './server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
// CDC_BENCH_CLI: another build of the executable (e.g. to compare two versions).
const cli = process.env.CDC_BENCH_CLI ?? join(root, 'apps/cli/dist/cdc.js');
const oneSide = join(root, 'tools/bench/src/diff-one-side.mjs');
const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000000,5000000' },
    runs: { type: 'string', default: '3' },
    variants: { type: 'string', default: 'six,mysql' },
    // scattered: the 90 updated rows anywhere in the table; clustered: 90 consecutive keys.
    drift: { type: 'string', default: 'scattered' },
    out: { type: 'string', default: join(root, 'tools/bench/results/latest.md') },
  },
});
const sizes = opts.sizes.split(',').map(Number);
const runs = Number(opts.runs);
const variants = opts.variants.split(',').filter((v) => v !== 'mysql');
const mysqlCase = opts.variants.split(',').includes('mysql');
if (!['scattered', 'clustered'].includes(opts.drift)) {
  console.error(`--drift must be scattered or clustered, got ${JSON.stringify(opts.drift)}`);
  process.exit(2);
}
const clustered = opts.drift === 'clustered';

if (!existsSync(cli)) {
  console.error(
    `cdc is not built (${cli} missing): run \`npx nx run @cdc/cli:build\` first (npm run bench does).`,
  );
  process.exit(2);
}
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const pgComparator = spawnSync('sh', ['-c', 'command -v pg_comparator'], { encoding: 'utf8' }).stdout.trim();
if (!timeBin)
  console.warn('notice: /usr/bin/time not found (apt-get install time): peak RSS will not be reported');
if (!pgComparator) {
  console.warn(
    'notice: pg_comparator not installed, the peer is skipped. Install it with `apt-get install postgresql-comparator` ' +
      '(Debian; it brings PostgreSQL 15 and the pgcmp extension).',
  );
}

/** Set once the server is up: CPU seconds of its exited backends (Debian server only). */
let backendCpu;

function timed(cmd, args, env = {}) {
  const full = timeBin ? [timeBin, ['-f', '__TIME__ %e %M %U %S', cmd, ...args]] : [cmd, args];
  const cpu0 = backendCpu?.();
  const t0 = process.hrtime.bigint();
  const res = spawnSync(full[0], full[1], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ...env },
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  // Backends exit just after their client: wait for the postmaster to reap them.
  if (backendCpu) spawnSync('sleep', ['0.3']);
  const m = /__TIME__ ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(res.stderr ?? '');
  return {
    status: res.status,
    stdout: res.stdout,
    stderr: (res.stderr ?? '').replace(/__TIME__.*\n?/, ''),
    wall,
    rssMb: m ? Number(m[2]) / 1024 : undefined,
    clientCpu: m ? Number(m[3]) + Number(m[4]) : undefined,
    dbCpu: cpu0 === undefined ? undefined : backendCpu() - cpu0,
  };
}

function same(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function checkCdc(out, c) {
  const doc = JSON.parse(out.stdout);
  const by = { missing: [], extra: [], mismatched: [] };
  for (const d of doc.differences) by[d.kind].push(Object.values(d.key).map(String).join('/'));
  for (const k of Object.keys(by)) by[k].sort();
  const exact =
    same(by.missing, c.planted.missing) &&
    same(by.extra, c.planted.extra) &&
    same(by.mismatched, c.planted.mismatched);
  const sides = [doc.stats?.source, doc.stats?.target];
  return {
    exact,
    hashing: doc.hashing ?? doc.stats?.hashing,
    found: doc.differences.length,
    queries: sides.reduce((n, x) => n + (x?.queries ?? 0), 0),
    bytesRead: sides.reduce((n, x) => n + (x?.bytesRead ?? 0), 0),
  };
}

function checkPgComparator(out, c) {
  const by = { missing: [], extra: [], mismatched: [] };
  for (const line of out.stdout.split('\n')) {
    const m = /^(UPDATE|INSERT|DELETE) (.+)$/.exec(line.trim());
    if (!m) continue;
    by[m[1] === 'UPDATE' ? 'mismatched' : m[1] === 'INSERT' ? 'missing' : 'extra'].push(m[2]);
  }
  for (const k of Object.keys(by)) by[k].sort();
  const exact =
    same(by.missing, c.planted.missing) &&
    same(by.extra, c.planted.extra) &&
    same(by.mismatched, c.planted.mismatched);
  return { exact, found: by.missing.length + by.extra.length + by.mismatched.length };
}

/** A `cdc diff` of the case's two tables with the given `--hashing` mode, checked against the plan. */
function cdcTool(name, c, hashing) {
  const args = [cli, 'diff', c.sourceUrl, 'bench', c.targetUrl, 'bench', '--format', 'json', '--no-progress'];
  return { name, run: () => timed(process.execPath, [...args, '--hashing', hashing]), check: checkCdc };
}

const median = (xs) => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : undefined;
};

const server = await startBenchServer();
console.error(`server: ${server.kind} ${server.version} at ${server.url.replace(/:[^:@/]*@/, ':***@')}`);
backendCpu = server.backendCpuSeconds;
const results = [];
try {
  for (const variant of variants) {
    for (const rows of sizes) {
      for (const drift of ['identical', `100 differences${clustered ? ' (clustered)' : ''}`]) {
        const diffs = drift === 'identical' ? {} : { updates: 90, missing: 5, extra: 5, clustered };
        console.error(`preparing ${variant} ${rows} rows, ${drift}…`);
        const c = await prepareCase(server.url, { prefix: `bench_${variant}`, variant, rows, ...diffs });
        const tools = [
          cdcTool('cdc diff --hashing auto (same-engine native)', c, 'auto'),
          cdcTool('cdc diff --hashing canonical (cross-engine MD5)', c, 'canonical'),
          cdcTool('cdc diff --hashing client (both sides hashed in cdc)', c, 'client'),
          {
            name: 'one side hashed in cdc, the other in SQL (library)',
            run: () => timed(process.execPath, [oneSide, c.sourceUrl, c.targetUrl]),
            check: checkCdc,
          },
          {
            name: 'read the cdc-hashed side only (COPY), for scale',
            run: () => timed(process.execPath, [oneSide, '--read', c.targetUrl]),
            check: (out) => ({ exact: JSON.parse(out.stdout).rows > 0 }),
          },
        ];
        if (pgComparator && variant === 'six') {
          const pgcUrl = (u) => {
            const x = new URL(u);
            return `pgsql://${x.username}@${x.hostname}:${x.port}${x.pathname}/public.bench?id:qty,label,amount,created_at,score`;
          };
          for (const db of [c.sourceUrl, c.targetUrl]) {
            spawnSync('psql', [db, '-qc', 'CREATE EXTENSION IF NOT EXISTS pgcmp'], { encoding: 'utf8' });
          }
          tools.push({
            name: 'pg_comparator 2.3.2 (pgcmp, sum)',
            run: () =>
              timed(pgComparator, [
                '--max-ratio',
                '2.0',
                '-a',
                'sum',
                pgcUrl(c.sourceUrl),
                pgcUrl(c.targetUrl).replace(/\?.*$/, ''),
              ]),
            check: checkPgComparator,
          });
        }
        const samples = tools.map(() => []);
        for (let r = 0; r < runs; r++) {
          tools.forEach((tool, i) => {
            const out = tool.run();
            let verdict;
            try {
              verdict = tool.check(out, c);
            } catch (error) {
              verdict = { exact: false, error: `${error.message}: ${out.stderr.slice(0, 400)}` };
            }
            samples[i].push({ ...out, ...verdict });
            console.error(
              `  ${tool.name}: ${out.wall.toFixed(2)} s (db CPU ${out.dbCpu?.toFixed(2) ?? '?'} s, client CPU ${out.clientCpu?.toFixed(2) ?? '?'} s), ${out.rssMb?.toFixed(0) ?? '?'} MB, exact=${verdict.exact}${verdict.error ? ` (${verdict.error})` : ''}`,
            );
          });
        }
        tools.forEach((tool, i) => {
          const s = samples[i];
          const wall = median(s.map((x) => x.wall));
          results.push({
            variant,
            rows,
            drift,
            tool: tool.name,
            medianSeconds: wall,
            peakRssMb: Math.max(...s.map((x) => x.rssMb ?? 0)) || undefined,
            rowsPerSecond: wall ? Math.round((2 * rows) / wall) : undefined,
            exact: s.every((x) => x.exact),
            hashing: s[0]?.hashing,
            dbCpuSeconds: median(s.map((x) => x.dbCpu).filter((x) => x !== undefined)),
            clientCpuSeconds: median(s.map((x) => x.clientCpu).filter((x) => x !== undefined)),
            queries: s[0]?.queries,
            bytesRead: s[0]?.bytesRead,
          });
        });
        await c.drop();
      }
    }
  }
} finally {
  await server.stop();
}

const lines = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${server.version}; ${runs} runs each, interleaved; medians.`,
  '',
  '| table | rows | case | tool | median wall | rows/s (both sides) | peak RSS | DB CPU | client CPU | queries | bytes read | differences exact |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => {
    const sec = (x) => (x === undefined ? '?' : `${x.toFixed(2)} s`);
    const bytes = r.bytesRead === undefined ? '–' : `${(r.bytesRead / 2 ** 20).toFixed(1)} MiB`;
    return `| ${r.variant} | ${r.rows.toLocaleString('en-US')} | ${r.drift} | ${r.tool} | ${r.medianSeconds?.toFixed(2)} s | ${r.rowsPerSecond?.toLocaleString('en-US') ?? '?'} | ${r.peakRssMb ? `${r.peakRssMb.toFixed(0)} MB` : '?'} | ${sec(r.dbCpuSeconds)} | ${sec(r.clientCpuSeconds)} | ${r.queries ?? '–'} | ${bytes} | ${r.exact ? 'yes' : 'NO'} |`;
  }),
];
mkdirSync(dirname(opts.out), { recursive: true });
writeFileSync(opts.out, lines.join('\n') + '\n');
writeFileSync(opts.out.replace(/\.md$/, '.json'), JSON.stringify(results, null, 2));
console.log(lines.join('\n'));

if (mysqlCase) {
  const out = opts.out.replace(/\.md$/, '-mysql.md');
  const args = ['--sizes', opts.sizes, '--runs', String(runs), '--out', out];
  const res = spawnSync(process.execPath, [join(root, 'tools/bench/src/mysql.mjs'), ...args], {
    stdio: 'inherit',
  });
  if (res.status !== 0) process.exitCode = res.status ?? 1;
}
