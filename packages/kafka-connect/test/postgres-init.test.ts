/**
 * docker/scripts/postgres-init.sh run for real (system psql) against an embedded PostgreSQL: the
 * `cdc_writer` role gets a password full of quotes, dollars, braces and backslashes intact, owns the
 * `replica` and `cdc_meta` schemas, and cannot create anything in `public`.
 */
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '@cdc/testkit';

const script = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docker/scripts/postgres-init.sh');
const WRITER_PASSWORD = `w"r'i$t{e}r\\\\p:w@d;--\`$(id)\` \${x}`;

let server: EmbeddedPostgresServer;
let superUrl: URL;

beforeAll(async () => {
  server = await startEmbeddedPostgres();
  superUrl = new URL(server.url);
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('CREATE DATABASE warehouse');
  await admin.end();
  execFileSync('sh', [script], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PGHOST: superUrl.hostname,
      PGPORT: superUrl.port,
      PGPASSWORD: decodeURIComponent(superUrl.password),
      CDC_PG_WRITER_PASSWORD: WRITER_PASSWORD,
    },
    stdio: 'pipe',
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

async function asWriter<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: superUrl.hostname,
    port: Number(superUrl.port),
    database: 'warehouse',
    user: 'cdc_writer',
    password: WRITER_PASSWORD,
  });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

describe('docker/scripts/postgres-init.sh', () => {
  it('creates cdc_writer with the password exactly as generated', async () => {
    const user = await asWriter(
      async (c) => (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u,
    );
    expect(user).toBe('cdc_writer');
  });

  it('lets cdc_writer write only its own schemas', async () => {
    await asWriter(async (c) => {
      await c.query('CREATE TABLE replica.orders (id bigint PRIMARY KEY, amount numeric(12,2))');
      await c.query('CREATE TABLE cdc_meta.checkpoints (pipeline text PRIMARY KEY)');
      await expect(c.query('CREATE TABLE public.nope (id int)')).rejects.toThrow(/permission denied/);
      const search = await c.query<{ s: string }>("SELECT current_setting('search_path') AS s");
      expect(search.rows[0]?.s).toBe('replica, cdc_meta');
    });
  });

  it('is not a superuser and cannot create roles or databases', async () => {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      const role = await admin.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
        "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'cdc_writer'",
      );
      expect(role.rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
    } finally {
      await admin.end();
    }
  });
});
