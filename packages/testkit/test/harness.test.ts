import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase, startEmbeddedPostgres, useTestDatabase } from '../src/index.js';

const db = useTestDatabase();

describe('PostgreSQL test harness', () => {
  it('gives each file a real, writable database of its own', async () => {
    await db().query('CREATE TABLE "Order Items" (id bigint PRIMARY KEY, note text)');
    await db().query('INSERT INTO "Order Items" VALUES ($1, $2), ($3, $4)', [1, 'a', 2, null]);
    const rows = await db().query<{ id: string; note: string | null }>(
      'SELECT id, note FROM "Order Items" ORDER BY id',
    );
    expect(rows).toEqual([
      { id: '1', note: 'a' },
      { id: '2', note: null },
    ]);
    const [current] = await db().query<{ name: string }>('SELECT current_database() AS name');
    expect(current?.name).toBe(db().name);
  });

  it('runs a server with logical decoding enabled', async () => {
    const [row] = await db().query<{ wal_level: string }>('SHOW wal_level');
    expect(row?.wal_level).toBe('logical');
  });

  it('isolates databases: another database does not see this one’s tables', async () => {
    const other = await createTestDatabase();
    try {
      await db().query('CREATE TABLE only_here (id int PRIMARY KEY)');
      const rows = await other.query("SELECT to_regclass('public.only_here') AS t");
      expect(rows[0]?.t).toBeNull();
    } finally {
      await other.drop();
    }
    const gone = await db().query('SELECT 1 FROM pg_database WHERE datname = $1', [other.name]);
    expect(gone).toHaveLength(0);
  });

  it('drops a database even while a client is still connected', async () => {
    const other = await createTestDatabase();
    const client = new pg.Client({ connectionString: other.url });
    client.on('error', () => undefined);
    await client.connect();
    await other.drop();
    const gone = await db().query('SELECT 1 FROM pg_database WHERE datname = $1', [other.name]);
    expect(gone).toHaveLength(0);
    await client.end().catch(() => undefined);
  });

  it.runIf(inject('cdcPgKind') === 'embedded')(
    'starts and stops a server cleanly: no process, no data directory left behind',
    async () => {
      const server = await startEmbeddedPostgres();
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await client.end();
      expect(rows[0]?.pid).toBeGreaterThan(0);
      expect(server.pid).toBeGreaterThan(0);
      await server.stop();
      expect(existsSync(server.dataDir)).toBe(false);
      expect(() => process.kill(server.pid!, 0)).toThrow();
      const probe = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2000 });
      await expect(probe.connect()).rejects.toThrow();
    },
  );
});
