#!/usr/bin/env node
// MariaDB → PostgreSQL: `cdc diff mysql://… bench postgres://… bench` on ARCHITECTURE §10's six-column
// table (bigint key, int, text, decimal(12,2), timestamp(6)/timestamptz, double), generated identically
// in a private MariaDB (@cdc/testkit startMariaDb, or CDC_BENCH_MYSQL_URL) and in the bench PostgreSQL,
// identical and with 100 planted differences (90 updates, 5 missing, 5 extra) in the PostgreSQL copy.
// Times `--hashing auto` (MD5 of canonical text in both databases), `--hashing client` (both sides hashed
// in cdc) and a plain read of the MariaDB side for scale: median wall, peak RSS, client CPU, mariadbd CPU,
// PostgreSQL backend CPU (Debian server), and whether the differences found equal the planted ones exactly.
// Needs the built CLI (npm run bench).
// Options: --sizes 1000000 --runs 3 --out tools/bench/results/mysql.md
//          --read <mysql-url>  (internal: scan the bench table once and print the row count)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { prng } from './apply-common.mjs';
import { VARIANTS } from './generate.mjs';
import { startBenchServer } from './server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = process.env.CDC_BENCH_CLI ?? join(root, 'apps/cli/dist/cdc.js');
const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: join(root, 'tools/bench/results/mysql.md') },
    read: { type: 'string' },
  },
});

if (opts.read) {
  const { openMysqlSource } = await import('@cdc/mysql');
  const source = await openMysqlSource({ url: opts.read });
  const schema = await source.introspect({ name: 'bench' });
  let rows = 0;
  for await (const batch of source.scan(schema)) rows += batch.length;
  await source.close();
  console.log(JSON.stringify({ rows }));
  process.exit(0);
}

if (!existsSync(cli)) {
  console.error(
    `cdc is not built (${cli} missing): run \`npx nx run @cdc/cli:build\` first (npm run bench does).`,
  );
  process.exit(2);
}
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** The MariaDB server: CDC_BENCH_MYSQL_URL, else a private mariadbd (skipped with a notice when absent). */
async function startMysql() {
  if (process.env.CDC_BENCH_MYSQL_URL) {
    return { url: process.env.CDC_BENCH_MYSQL_URL, version: '?', pid: undefined, stop: async () => {} };
  }
  const { findMariaDbBinaries, startMariaDb } = await import('@cdc/testkit/embedded');
  if (!findMariaDbBinaries()) return undefined;
  const server = await startMariaDb({ settings: { 'innodb-buffer-pool-size': '1G' } });
  return {
    url: server.url,
    version: `MariaDB ${server.version}`,
    pid: server.pid,
    stop: () => server.stop(),
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined when unreadable. */
function processCpu(pid) {
  if (!pid) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function withPg(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function withMysql(url, fn) {
  const { loadMysql2, mysql2PoolOptions, parseMysqlUrl } = await import('@cdc/mysql');
  const mysql2 = await loadMysql2();
  const pool = mysql2.createPool({ ...mysql2PoolOptions(parseMysqlUrl(url)), connectionLimit: 1 }).promise();
  try {
    const connection = await pool.getConnection();
    try {
      await connection.query({ sql: "SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES'" });
      return await fn((sql) => connection.query({ sql }));
    } finally {
      connection.release();
    }
  } finally {
    await pool.end();
  }
}

/**
 * The six-column table in MariaDB (source) with the values `generate.mjs` gives the `six` variant in
 * PostgreSQL: every expression is exact or the same IEEE-754 operation in both engines.
 */
async function createMysqlSource(serverUrl, rows) {
  await withMysql(serverUrl, async (q) => {
    await q('DROP DATABASE IF EXISTS bench_mysql_src');
    await q('CREATE DATABASE bench_mysql_src CHARACTER SET utf8mb4');
    await q('CREATE TABLE bench_mysql_src.digits (d int PRIMARY KEY)');
    await q('INSERT INTO bench_mysql_src.digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');
    await q(`CREATE TABLE bench_mysql_src.bench (id bigint PRIMARY KEY, qty int, label text, amount decimal(12,2),
      created_at timestamp(6) NULL, score double)`);
    // A million keys per statement from six cross-joined digit tables (works on MariaDB and MySQL alike).
    const digits = 'bench_mysql_src.digits';
    const g = 'a.d + 10 * b.d + 100 * c.d + 1000 * d.d + 10000 * e.d + 100000 * f.d';
    for (let lo = 1; lo <= rows; lo += 1_000_000) {
      const hi = Math.min(rows, lo + 999_999);
      await q(`INSERT INTO bench_mysql_src.bench
        SELECT g, (g * 7919) % 100000, CONCAT('label-', MD5(g)), ((g * 31) % 10000000) / 100,
               TIMESTAMP'2020-01-01 00:00:00' + INTERVAL g SECOND + INTERVAL (g % 997) MICROSECOND,
               CAST(g * 0.6180339887 AS DOUBLE) / 7
        FROM (SELECT ${g} + ${lo} AS g
              FROM ${digits} a, ${digits} b, ${digits} c, ${digits} d, ${digits} e, ${digits} f) s
        WHERE g <= ${hi}`);
    }
    await q('ANALYZE TABLE bench_mysql_src.bench');
  });
  return withDatabase(serverUrl, 'bench_mysql_src');
}

/** The PostgreSQL copy (target), and the planted drift. */
async function createPgTarget(serverUrl, rows, drift) {
  const v = VARIANTS.six;
  await withPg(serverUrl, async (c) => {
    await c.query('DROP DATABASE IF EXISTS bench_mysql_tgt WITH (FORCE)');
    await c.query('CREATE DATABASE bench_mysql_tgt');
  });
  const url = withDatabase(serverUrl, 'bench_mysql_tgt');
  const planted = { mismatched: [], missing: [], extra: [] };
  await withPg(url, async (c) => {
    await c.query(v.create('bench'));
    for (let from = 1; from <= rows; from += 1_000_000)
      await c.query(v.insert('bench', from, Math.min(rows, from + 999_999)));
    if (drift) {
      const random = prng(rows + 90 * 7 + 5 * 13 + 5 * 17);
      const picked = new Set();
      const pick = () => {
        for (;;) {
          const key = 1 + Math.floor(random() * rows);
          if (picked.has(key)) continue;
          picked.add(key);
          return key;
        }
      };
      for (let i = 0; i < 90; i++) {
        const key = pick();
        await c.query(v.update('bench', key));
        planted.mismatched.push(String(key));
      }
      for (let i = 0; i < 5; i++) {
        const key = pick();
        await c.query(`DELETE FROM bench WHERE id = ${key}`);
        planted.missing.push(String(key));
      }
      for (let i = 0; i < 5; i++) {
        await c.query(v.insert('bench', rows + 1 + i, rows + 1 + i));
        planted.extra.push(String(rows + 1 + i));
      }
    }
    await c.query('VACUUM ANALYZE bench');
  });
  for (const list of Object.values(planted)) list.sort();
  return { url, planted };
}

function timed(args, mysqlPid, pgCpu) {
  const full = timeBin
    ? [timeBin, ['-f', '__TIME__ %e %M %U %S', process.execPath, ...args]]
    : [process.execPath, args];
  const db0 = processCpu(mysqlPid);
  const pg0 = pgCpu?.();
  const t0 = process.hrtime.bigint();
  const res = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /__TIME__ ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(res.stderr ?? '');
  const db1 = processCpu(mysqlPid);
  // PostgreSQL backends exit just after their client: wait for the postmaster to reap them.
  if (pgCpu) spawnSync('sleep', ['0.3']);
  const pg1 = pgCpu?.();
  return {
    status: res.status,
    stdout: res.stdout,
    stderr: (res.stderr ?? '').replace(/__TIME__.*\n?/, ''),
    wall,
    rssMb: m ? Number(m[2]) / 1024 : undefined,
    clientCpu: m ? Number(m[3]) + Number(m[4]) : undefined,
    mysqlCpu: db0 === undefined || db1 === undefined ? undefined : db1 - db0,
    pgCpu: pg0 === undefined || pg1 === undefined ? undefined : pg1 - pg0,
  };
}

function checkDiff(out, planted) {
  const doc = JSON.parse(out.stdout);
  const by = { missing: [], extra: [], mismatched: [] };
  for (const d of doc.differences) by[d.kind].push(Object.values(d.key).map(String).join('/'));
  const same = (a, b) => a.length === b.length && [...a].sort().every((x, i) => x === b[i]);
  return {
    exact:
      same(by.missing, planted.missing) &&
      same(by.extra, planted.extra) &&
      same(by.mismatched, planted.mismatched),
    hashing: doc.hashing,
  };
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : undefined;
};

const mysqlServer = await startMysql();
if (!mysqlServer) {
  console.warn(
    'notice: MariaDB is not installed (apt-get install -y mariadb-server) and CDC_BENCH_MYSQL_URL is not set: the MariaDB ↔ PostgreSQL case is skipped.',
  );
  process.exit(0);
}
const pgServer = await startBenchServer();
// Interrupted: stop both servers (an `exit` hook cannot wait for them).
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void Promise.allSettled([mysqlServer.stop(), pgServer.stop()]).then(() => process.exit(130));
  });
}
console.error(`servers: ${mysqlServer.version}; PostgreSQL ${pgServer.kind} ${pgServer.version}`);
const results = [];
const load = [];
try {
  for (const rows of opts.sizes.split(',').map(Number)) {
    console.error(`preparing MariaDB bench table, ${rows} rows…`);
    const sourceUrl = await createMysqlSource(mysqlServer.url, rows);
    for (const drift of [false, true]) {
      const label = drift ? '100 differences' : 'identical';
      console.error(`preparing PostgreSQL copy, ${label}…`);
      const target = await createPgTarget(pgServer.url, rows, drift);
      const diff = (hashing) => [
        cli,
        'diff',
        sourceUrl,
        'bench',
        target.url,
        'bench',
        '--format',
        'json',
        '--no-progress',
        '--hashing',
        hashing,
      ];
      const tools = [
        {
          name: 'cdc diff --hashing auto (MD5 of canonical text in MariaDB and PostgreSQL)',
          args: diff('auto'),
          check: (o) => checkDiff(o, target.planted),
        },
        {
          name: 'cdc diff --hashing client (both sides hashed in cdc)',
          args: diff('client'),
          check: (o) => checkDiff(o, target.planted),
        },
        {
          name: 'read the MariaDB side only (keyset pages), for scale',
          args: [fileURLToPath(import.meta.url), '--read', sourceUrl],
          check: (o) => ({ exact: JSON.parse(o.stdout).rows === rows }),
        },
      ];
      const samples = tools.map(() => []);
      for (let r = 0; r < Number(opts.runs); r++) {
        tools.forEach((tool, i) => {
          load.push(loadavg()[0]);
          const out = timed(tool.args, mysqlServer.pid, pgServer.backendCpuSeconds);
          let verdict;
          try {
            verdict = tool.check(out);
          } catch (error) {
            verdict = { exact: false, error: `${error.message}: ${out.stderr.slice(0, 400)}` };
          }
          samples[i].push({ ...out, ...verdict });
          if (!verdict.exact) {
            // Kept for inspection: what the run printed when it did not find exactly the planted drift.
            const file = opts.out.replace(
              /\.md$/,
              `.inexact-${rows}-${drift ? 'drift' : 'same'}-${i}-${r}.txt`,
            );
            writeFileSync(file, `${out.stdout}\n--- stderr ---\n${out.stderr}`);
            console.error(`  (output kept in ${file})`);
          }
          console.error(
            `  ${tool.name}: ${out.wall.toFixed(2)} s (client CPU ${out.clientCpu?.toFixed(2) ?? '?'} s, mariadbd CPU ${out.mysqlCpu?.toFixed(2) ?? '?'} s, PostgreSQL CPU ${out.pgCpu?.toFixed(2) ?? '?'} s), ${out.rssMb?.toFixed(0) ?? '?'} MB, exact=${verdict.exact}${verdict.error ? ` (${verdict.error})` : ''}`,
          );
        });
      }
      tools.forEach((tool, i) => {
        const s = samples[i];
        const wall = median(s.map((x) => x.wall));
        results.push({
          rows,
          drift: label,
          tool: tool.name,
          medianSeconds: wall,
          peakRssMb: Math.max(...s.map((x) => x.rssMb ?? 0)) || undefined,
          clientCpuSeconds: median(s.map((x) => x.clientCpu)),
          mysqlCpuSeconds: median(s.map((x) => x.mysqlCpu)),
          pgCpuSeconds: median(s.map((x) => x.pgCpu)),
          hashing: s[0]?.hashing,
          exact: s.every((x) => x.exact),
        });
      });
      await withPg(pgServer.url, (c) => c.query('DROP DATABASE IF EXISTS bench_mysql_tgt WITH (FORCE)'));
    }
  }
} finally {
  await mysqlServer.stop();
  await pgServer.stop();
}

const sec = (x) => (x === undefined ? '?' : `${x.toFixed(2)} s`);
const lines = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${mysqlServer.version} → PostgreSQL ${pgServer.version}; ${opts.runs} runs each, interleaved; medians; 1-minute load average during the runs ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}.`,
  '',
  '| rows | case | tool | median wall | peak RSS | client CPU | mariadbd CPU | PostgreSQL CPU | hashing | differences exact |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.rows.toLocaleString('en-US')} | ${r.drift} | ${r.tool} | ${sec(r.medianSeconds)} | ${r.peakRssMb ? `${r.peakRssMb.toFixed(0)} MB` : '?'} | ${sec(r.clientCpuSeconds)} | ${sec(r.mysqlCpuSeconds)} | ${sec(r.pgCpuSeconds)} | ${r.hashing ?? '–'} | ${r.exact ? 'yes' : 'NO'} |`,
  ),
];
mkdirSync(dirname(opts.out), { recursive: true });
writeFileSync(opts.out, lines.join('\n') + '\n');
writeFileSync(opts.out.replace(/\.md$/, '.json'), JSON.stringify(results, null, 2));
console.log(lines.join('\n'));
