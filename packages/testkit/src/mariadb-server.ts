/**
 * Starts a private, throw-away MariaDB server (`mariadbd` from the OS packages, e.g. Debian's
 * `mariadb-server`) in a temporary folder on a free port, with a real user and password: the server the
 * `@cdc/mysql` tests and the MariaDB benchmarks run against when no `CDC_TEST_MYSQL_URL` is given.
 * Nothing is downloaded; the system's own MariaDB service is never touched.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CdcError } from '@cdc/core';
import { freePort } from './embedded-postgres-server.js';
import { installServerCleanup, lastLines, runningServers, stopped } from './server-process.js';

/** Options of {@link startMariaDb}. */
export interface MariaDbOptions {
  /** TCP port on 127.0.0.1. Default: a free port chosen by the OS. */
  port?: number;
  /** Extra `mariadbd --name=value` settings (without the leading dashes). */
  settings?: Record<string, string | number>;
  /** Receives the server's log lines. Default: discarded. */
  onLog?: (line: string) => void;
  /** How long initialization plus start-up may take, in ms. Default 120 000. */
  startTimeoutMs?: number;
  /** Folders searched for `mariadbd` and `mariadb-install-db` before `PATH`. Default `/usr/sbin`, `/usr/bin`. */
  binDirs?: string[];
}

/** A running private MariaDB server. */
export interface MariaDbServer {
  /** URL of the server's `cdc` superuser (no database), e.g. `mysql://cdc:…@127.0.0.1:33061/`. */
  readonly url: string;
  readonly port: number;
  /** User name and password of the superuser the URL carries. */
  readonly user: string;
  readonly password: string;
  /** The server's version string, e.g. `10.11.18-MariaDB-0+deb12u1-log`. */
  readonly version: string;
  /** Data directory (removed by `stop`). */
  readonly dataDir: string;
  /** PID of `mariadbd` while it runs, for diagnostics. */
  readonly pid: number | undefined;
  /** Stops the server and deletes its folder. Idempotent. */
  stop(): Promise<void>;
}

/** The two programs a private server needs, or why they are missing. */
export interface MariaDbBinaries {
  mariadbd: string;
  installDb: string;
}

function findProgram(names: readonly string[], dirs: readonly string[]): string | undefined {
  const path = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of [...dirs, ...path]) {
    for (const name of names) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

/**
 * Finds `mariadbd` (or `mysqld` of a MariaDB installation) and `mariadb-install-db`; `undefined` when
 * MariaDB is not installed (tests then skip with a notice, or use `CDC_TEST_MYSQL_URL`).
 */
export function findMariaDbBinaries(
  binDirs: readonly string[] = ['/usr/sbin', '/usr/bin'],
): MariaDbBinaries | undefined {
  const mariadbd = findProgram(['mariadbd'], binDirs);
  const installDb = findProgram(['mariadb-install-db', 'mysql_install_db'], binDirs);
  return mariadbd && installDb ? { mariadbd, installDb } : undefined;
}

const READY = /ready for connections/;
const PORT_TAKEN = /Address already in use|Can't start server: Bind on TCP\/IP port/i;

/** `--user=root` when running as root (mariadbd refuses root otherwise); nothing as an ordinary user. */
function userFlag(): string[] {
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}

function startServer(
  binaries: MariaDbBinaries,
  args: string[],
  log: (line: string) => void,
  timeoutMs: number,
): Promise<{ child: ChildProcess; version: string }> {
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const child = spawn(binaries.mariadbd, args, {
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else {
        const version = /Version: '([^']+)'/.exec(output)?.[1] ?? 'unknown';
        resolve({ child, version });
      }
    };
    const timer = setTimeout(
      () =>
        settle(
          new CdcError('TIMEOUT', `the private MariaDB server did not start within ${timeoutMs / 1000} s`, {
            hint: `its last log lines: ${lastLines(output) || '(none)'}`,
          }),
        ),
      timeoutMs,
    );
    const onOutput = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      log(text);
      if (!settled) {
        output += text;
        if (READY.test(output) && /Version: '/.test(output)) settle();
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.on('error', (error) =>
      settle(
        new CdcError('ENVIRONMENT', `cannot start ${binaries.mariadbd}: ${error.message}`, {
          hint: 'install MariaDB (apt-get install -y mariadb-server), or set CDC_TEST_MYSQL_URL',
          cause: error,
        }),
      ),
    );
    child.on('exit', (code, signal) => settle(new Error(lastLines(output) || `exit code ${code ?? signal}`)));
  });
}

/**
 * Initializes a data directory with `mariadb-install-db` in a temporary folder and starts `mariadbd` on
 * 127.0.0.1 with the binary log on (`--log-bin --server-id=1 --binlog-format=ROW --binlog-row-image=FULL`,
 * what `@cdc/mysql`'s binlog change source needs; override with `settings`), utf8mb4 by default,
 * and a superuser `cdc` with a random password created by an init file. As root the server runs with
 * `--user=root`. Stop it with {@link MariaDbServer.stop}; it is also killed when this process exits.
 *
 * @example
 * ```ts
 * const server = await startMariaDb();
 * console.log(server.url); // mysql://cdc:…@127.0.0.1:40123/
 * await server.stop();
 * ```
 */
export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDbServer> {
  const binaries = findMariaDbBinaries(options.binDirs);
  if (!binaries) {
    throw new CdcError('ENVIRONMENT', 'MariaDB is not installed (no mariadbd and mariadb-install-db found)', {
      hint: 'apt-get install -y mariadb-server (its service need not run), or set CDC_TEST_MYSQL_URL to an existing server',
    });
  }
  const log = options.onLog ?? (() => undefined);
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const dir = await mkdtemp(join(tmpdir(), 'cdc-mariadb-'));
  const dataDir = join(dir, 'data');
  const user = 'cdc';
  const password = randomBytes(12).toString('hex');
  try {
    const install = spawnSync(
      binaries.installDb,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        ...userFlag(),
        '--auth-root-authentication-method=socket',
        '--skip-test-db',
      ],
      { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, timeout: timeoutMs },
    );
    log(`${install.stdout ?? ''}${install.stderr ?? ''}`);
    if (install.status !== 0) {
      throw new CdcError(
        'ENVIRONMENT',
        `mariadb-install-db failed: ${lastLines(`${install.stdout ?? ''}${install.stderr ?? ''}`) || (install.error?.message ?? `exit ${install.status}`)}`,
        { hint: 'check that the MariaDB packages are complete, or set CDC_TEST_MYSQL_URL' },
      );
    }
    const initFile = join(dir, 'init.sql');
    await writeFile(
      initFile,
      `CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${password}';\n` +
        `GRANT ALL PRIVILEGES ON *.* TO '${user}'@'%' WITH GRANT OPTION;\n`,
      { mode: 0o600 },
    );
    const settings: Record<string, string | number> = {
      'character-set-server': 'utf8mb4',
      'collation-server': 'utf8mb4_general_ci',
      'log-bin': join(dir, 'binlog'),
      'server-id': 1,
      'binlog-format': 'ROW',
      'binlog-row-image': 'FULL',
      'innodb-buffer-pool-size': '256M',
      'innodb-flush-log-at-trx-commit': 2,
      'max-connections': 200,
      ...options.settings,
    };
    const flags = Object.entries(settings).map(([k, v]) => `--${k}=${v}`);
    installServerCleanup();
    let child: ChildProcess | undefined;
    let version = 'unknown';
    let port = options.port ?? 0;
    for (let attempt = 1; ; attempt++) {
      if (!options.port) port = await freePort();
      try {
        ({ child, version } = await startServer(
          binaries,
          [
            '--no-defaults',
            ...userFlag(),
            `--datadir=${dataDir}`,
            `--socket=${join(dir, 'mysqld.sock')}`,
            `--pid-file=${join(dir, 'mysqld.pid')}`,
            `--port=${port}`,
            '--bind-address=127.0.0.1',
            '--skip-name-resolve',
            `--init-file=${initFile}`,
            ...flags,
          ],
          log,
          timeoutMs,
        ));
        break;
      } catch (error) {
        if (error instanceof CdcError) throw error;
        const message = (error as Error).message;
        if (!options.port && attempt < 5 && PORT_TAKEN.test(message)) continue;
        throw new CdcError(
          'ENVIRONMENT',
          `the private MariaDB server did not start on port ${port}: ${message}`,
          {
            hint: 'see the message above; or use an existing server (set CDC_TEST_MYSQL_URL)',
            cause: error,
          },
        );
      }
    }
    const entry = { child, dir, signal: 'SIGKILL' as const };
    runningServers.add(entry);
    let stopping: Promise<void> | undefined;
    return {
      url: `mysql://${user}:${password}@127.0.0.1:${port}/`,
      port,
      user,
      password,
      version,
      dataDir,
      get pid() {
        return child.exitCode === null ? child.pid : undefined;
      },
      stop() {
        stopping ??= (async () => {
          runningServers.delete(entry);
          const done = stopped(child);
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await done;
          clearTimeout(timer);
          await rm(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}
