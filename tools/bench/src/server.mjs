// Starts the PostgreSQL server the benchmarks run on. Preference: CDC_BENCH_PG_URL (an existing server),
// then Debian's PostgreSQL 15 (the server pg_comparator's pgcmp extension is built for), then the embedded
// PostgreSQL 18 from npm (pg_comparator is then skipped with a notice).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, chownSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DEBIAN_BIN = process.env.CDC_BENCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';

function freePort() {
  const out = execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
  ]);
  return Number(String(out).trim());
}

function asPostgres(cmd, args) {
  const isRoot = process.getuid?.() === 0;
  const res = isRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stderr || res.stdout}`);
  return res.stdout;
}

/** @returns {Promise<{url: string, kind: string, version: string, stop: () => Promise<void>}>} */
export async function startBenchServer() {
  if (process.env.CDC_BENCH_PG_URL) {
    return { url: process.env.CDC_BENCH_PG_URL, kind: 'external', version: '?', stop: async () => {} };
  }
  if (existsSync(join(DEBIAN_BIN, 'pg_ctl'))) {
    const dir = mkdtempSync(join(tmpdir(), 'cdc-bench-pg-'));
    if (process.getuid?.() === 0) chownSync(dir, 101, 104);
    const data = join(dir, 'data');
    const port = freePort();
    asPostgres(join(DEBIAN_BIN, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ]);
    writeFileSync(
      join(data, 'postgresql.auto.conf'),
      [
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'shared_buffers = 1GB',
        'work_mem = 64MB',
        'maintenance_work_mem = 512MB',
        'max_parallel_workers_per_gather = 2',
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'wal_level = logical',
        'max_wal_size = 4GB',
        '',
      ].join('\n'),
    );
    if (process.getuid?.() === 0)
      execFileSync('chown', ['postgres:postgres', join(data, 'postgresql.auto.conf')]);
    asPostgres(join(DEBIAN_BIN, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', 'start']);
    const version = asPostgres(join(DEBIAN_BIN, 'postgres'), ['--version']).trim();
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      kind: 'debian',
      version,
      bin: DEBIAN_BIN,
      /** CPU seconds used by the server's exited backends (the postmaster's reaped children). */
      backendCpuSeconds: () => {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return (Number(fields[13]) + Number(fields[14])) / 100;
      },
      stop: async () => {
        asPostgres(join(DEBIAN_BIN, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const { startEmbeddedPostgres } = await import('@cdc/testkit/embedded');
  const server = await startEmbeddedPostgres({ settings: { shared_buffers: '1GB', work_mem: '64MB' } });
  return {
    url: server.url,
    kind: 'embedded',
    version: 'PostgreSQL 18 (embedded)',
    stop: () => server.stop(),
  };
}
