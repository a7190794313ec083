/**
 * A fresh PostgreSQL database per test file on the run's server (see `global-setup.ts`), so files never
 * see each other's tables and can run in parallel.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import type {} from './provided-context.js';

/** A database created for one test file. */
export interface TestDatabase {
  /** Database name (`cdc_test_<random>`). */
  readonly name: string;
  /** Connection URL of the database, with the admin user's credentials. */
  readonly url: string;
  /** Runs one statement on a short-lived connection and returns its rows. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Drops the database, terminating its connections. Idempotent. */
  drop(): Promise<void>;
}

/** The admin URL of the run's server (provided by the global setup). */
export function testServerUrl(): string {
  const url = inject('cdcPgUrl');
  if (!url) {
    throw new Error(
      'no PostgreSQL server for this test run: add @cdc/testkit/global-setup to vitest `globalSetup`, or set CDC_TEST_PG_URL',
    );
  }
  return url;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates a new empty database on the run's server. */
export async function createTestDatabase(prefix = 'cdc_test'): Promise<TestDatabase> {
  const serverUrl = testServerUrl();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const quoted = `"${name.replace(/"/g, '""')}"`;
  await adminQuery(serverUrl, `CREATE DATABASE ${quoted}`);
  const url = withDatabase(serverUrl, name);
  let dropped = false;
  return {
    name,
    url,
    async query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<T>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      try {
        // A pool's end() resolves before its clients' sockets close: give closing connections up to a
        // second to go, so FORCE does not terminate them mid-close (an error event in the test process).
        for (let waited = 0; waited < 1000; waited += 50) {
          const { rows } = await admin.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
            [name],
          );
          if ((rows[0]?.n ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await admin.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/**
 * Registers `beforeAll`/`afterAll` hooks giving the calling test file its own database.
 *
 * @example
 * ```ts
 * const db = useTestDatabase();
 * it('writes', async () => { await db().query('create table t (id int primary key)'); });
 * ```
 */
export function useTestDatabase(prefix?: string): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(prefix);
  });
  afterAll(async () => {
    await database?.drop();
  });
  return () => {
    if (!database) throw new Error('useTestDatabase(): the database exists only inside tests and hooks');
    return database;
  };
}
