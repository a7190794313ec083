/**
 * End-to-end replication from a real SQL Server / ScyllaDB into the embedded PostgreSQL through the
 * built `cdc` binary: `cdc sqlserver enable-cdc`, `cdc replicate --once` (snapshot, then changes),
 * `cdc status`. Gated on CDC_TEST_MSSQL_URL / CDC_TEST_SCYLLA_URL (skipped with a notice otherwise).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@cdc/testkit';
import { SqlServerDriver, parseSqlServerUrl } from '@cdc/sqlserver';
import * as cassandra from 'cassandra-driver';
import * as tedious from 'tedious';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, cdc } from './cli-harness.js';

const MSSQL_URL = process.env.CDC_TEST_MSSQL_URL;
const SCYLLA_URL = process.env.CDC_TEST_SCYLLA_URL;

if (!MSSQL_URL) {
  console.warn(
    '[@cdc/cli] SQL Server replication end-to-end test SKIPPED: set CDC_TEST_MSSQL_URL, e.g.\n' +
      '  docker run -d -e ACCEPT_EULA=Y -e MSSQL_SA_PASSWORD=Passw0rd! -e MSSQL_AGENT_ENABLED=true -p 1433:1433 mcr.microsoft.com/mssql/server:2022-latest\n' +
      '  CDC_TEST_MSSQL_URL="mssql://sa:Passw0rd!@localhost:1433/master?trustServerCertificate=true" npx nx run @cdc/cli:test',
  );
}
if (!SCYLLA_URL) {
  console.warn(
    '[@cdc/cli] ScyllaDB replication end-to-end test SKIPPED: set CDC_TEST_SCYLLA_URL, e.g.\n' +
      '  docker run -d -p 9042:9042 scylladb/scylla:6.2 --smp 1 --memory 750M --overprovisioned 1\n' +
      '  CDC_TEST_SCYLLA_URL="scylla://localhost:9042?localDataCenter=datacenter1" npx nx run @cdc/cli:test',
  );
}

/** Splits a URL into the password-less URL for the configuration file and the password (via env). */
function split(url: string): { bare: string; password: string } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { bare: u.toString(), password };
}

async function writeConfig(dir: string, sourceUrl: string, dst: TestDatabase, tables: string[]) {
  const file = join(dir, 'cdc.yaml');
  const target = split(dst.url);
  await writeFile(
    file,
    [
      'connections:',
      `  src: { url: "${split(sourceUrl).bare}", password: env:SRC_PASSWORD }`,
      `  dw: { url: "${target.bare}", password: env:DW_PASSWORD }`,
      'pipelines:',
      `  - { name: e2e, source: src, target: dw, targetSchema: public, tables: [${tables.join(', ')}] }`,
      '',
    ].join('\n'),
  );
  return { file, env: { SRC_PASSWORD: split(sourceUrl).password, DW_PASSWORD: target.password } };
}

const rowsOf = (dst: TestDatabase, table: string) =>
  dst.query<{ id: number; amount: string; note: string | null }>(
    `SELECT id, amount::text AS amount, note FROM public.${table} ORDER BY id`,
  );

describe.skipIf(!MSSQL_URL)('SQL Server → PostgreSQL (real server)', () => {
  const database = `cdc_cli_e2e_${process.pid}`;
  let master: SqlServerDriver;
  let db: SqlServerDriver;
  let dst: TestDatabase;
  let dir: string;
  let run: (args: string[]) => ReturnType<typeof cdc>;
  const exec = (driver: SqlServerDriver, sql: string) =>
    driver.withSession((s) => s.query({ sql, params: {} }, 'e2e setup'));
  const dbUrl = () => {
    const u = new URL(MSSQL_URL!);
    u.pathname = `/${database}`;
    return u.toString();
  };

  beforeAll(async () => {
    buildCli();
    const driver = (url: string) =>
      new SqlServerDriver({ config: parseSqlServerUrl(url), tedious: tedious as never, label: 'e2e' });
    master = driver(MSSQL_URL!);
    await exec(master, `CREATE DATABASE [${database}]`);
    db = driver(dbUrl());
    await exec(
      db,
      'CREATE TABLE dbo.orders (id int NOT NULL PRIMARY KEY, amount decimal(12,2) NULL, note nvarchar(50) NULL)',
    );
    await exec(db, "INSERT INTO dbo.orders VALUES (1, 1.50, N'a'), (2, 2.00, N'b'), (3, 3.25, NULL)");
    dst = await createTestDatabase('cdc_cli_mssql_e2e');
    dir = await mkdtemp(join(tmpdir(), 'cdc-cli-mssql-e2e-'));
    const { file, env } = await writeConfig(dir, dbUrl(), dst, ['dbo.orders']);
    run = (args) => cdc([...args, '--config', file], env);
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await exec(master, `ALTER DATABASE [${database}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE`).catch(
      () => undefined,
    );
    await exec(master, `DROP DATABASE [${database}]`).catch(() => undefined);
    await master?.close();
    await dst?.drop();
  }, 120_000);

  async function waitCaptured(rows: number): Promise<void> {
    for (let i = 0; i < 120; i++) {
      const r = await exec(db, 'SELECT COUNT_BIG(*) AS n FROM cdc.dbo_orders_CT');
      if (Number(r[0]?.n) >= rows) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`capture job did not capture ${rows} changes within 60 s (is SQL Server Agent running?)`);
  }

  it('enable-cdc, replicate --once (snapshot), changes, replicate --once again, status', async () => {
    const enabled = await run(['sqlserver', 'enable-cdc']);
    expect(enabled.stderr).not.toMatch(/error/i);
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toContain('dbo.orders: CDC enabled (capture instance dbo_orders)');
    // Idempotent.
    expect((await run(['sqlserver', 'enable-cdc'])).code).toBe(0);

    const first = await run(['replicate', '--once']);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('e2e: 1 table(s) snapshotted (3 rows)');
    expect(await rowsOf(dst, 'orders')).toEqual([
      { id: 1, amount: '1.50', note: 'a' },
      { id: 2, amount: '2.00', note: 'b' },
      { id: 3, amount: '3.25', note: null },
    ]);

    await exec(
      db,
      `BEGIN TRANSACTION;
       INSERT INTO dbo.orders VALUES (4, 4.00, N'd');
       UPDATE dbo.orders SET amount = 9.99, note = N'changed' WHERE id = 1;
       DELETE FROM dbo.orders WHERE id = 2;
       UPDATE dbo.orders SET id = 30 WHERE id = 3;
       COMMIT;`,
    );
    await waitCaptured(5);
    const second = await run(['replicate', '--once']);
    expect(second.code).toBe(0);
    expect(await rowsOf(dst, 'orders')).toEqual([
      { id: 1, amount: '9.99', note: 'changed' },
      { id: 4, amount: '4.00', note: 'd' },
      { id: 30, amount: '3.25', note: null },
    ]);

    const status = await run(['status', '--format', 'json']);
    expect(status.code).toBe(0);
    const [row] = (JSON.parse(status.stdout) as { tables: { snapshot: string; position: string | null }[] })
      .tables;
    expect(row).toMatchObject({ snapshot: 'done' });
    // The merged stream position: the commit LSN `xxxxxxxx:xxxxxxxx:xxxx` (optionally /seqval/operation).
    expect(row?.position).toMatch(/^[0-9a-f]{8}:[0-9a-f]{8}:[0-9a-f]{4}/i);
  }, 300_000);
});

describe.skipIf(!SCYLLA_URL)('ScyllaDB → PostgreSQL (real cluster)', () => {
  const keyspace = `cdc_cli_e2e_${process.pid}`;
  let client: cassandra.Client;
  let dst: TestDatabase;
  let dir: string;
  let run: (args: string[]) => ReturnType<typeof cdc>;
  const sourceUrl = () => {
    const u = new URL(SCYLLA_URL!);
    u.pathname = `/${keyspace}`;
    // Short reading windows so `--once` catches up in seconds rather than a minute.
    u.searchParams.set('cdcWindowMs', '1000');
    u.searchParams.set('cdcConfidenceMs', '2000');
    return u.toString();
  };

  beforeAll(async () => {
    buildCli();
    const u = new URL(SCYLLA_URL!);
    client = new cassandra.Client({
      contactPoints: u.hostname.split(','),
      protocolOptions: { port: Number(u.port || 9042) },
      localDataCenter: u.searchParams.get('localDataCenter') ?? 'datacenter1',
      ...(u.username
        ? {
            credentials: {
              username: decodeURIComponent(u.username),
              password: decodeURIComponent(u.password),
            },
          }
        : {}),
    });
    await client.connect();
    await client
      .execute(
        `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1} AND tablets = {'enabled': false}`,
      )
      .catch(() =>
        client.execute(
          `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
        ),
      );
    await client.execute(
      `CREATE TABLE ${keyspace}.orders (id int PRIMARY KEY, amount decimal, note text) WITH cdc = {'enabled': true}`,
    );
    for (const [id, amount, note] of [
      [1, '1.50', 'a'],
      [2, '2.00', 'b'],
      [3, '3.25', null],
    ] as const) {
      await client.execute(
        `INSERT INTO ${keyspace}.orders (id, amount, note) VALUES (?, ?, ?)`,
        [id, amount, note],
        {
          prepare: true,
        },
      );
    }
    dst = await createTestDatabase('cdc_cli_scylla_e2e');
    dir = await mkdtemp(join(tmpdir(), 'cdc-cli-scylla-e2e-'));
    const { file, env } = await writeConfig(dir, sourceUrl(), dst, [`${keyspace}.orders`]);
    run = (args) => cdc([...args, '--config', file], env);
  }, 120_000);

  afterAll(async () => {
    await client?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await client?.shutdown();
    await dst?.drop();
  }, 120_000);

  it('replicate --once (snapshot + CDC log), changes, replicate --once again', async () => {
    const first = await run(['replicate', '--once']);
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('e2e: 1 table(s) snapshotted (3 rows)');
    expect(await rowsOf(dst, 'orders')).toEqual([
      { id: 1, amount: '1.50', note: 'a' },
      { id: 2, amount: '2.00', note: 'b' },
      { id: 3, amount: '3.25', note: null },
    ]);

    await client.execute(`UPDATE ${keyspace}.orders SET amount = 9.99, note = 'changed' WHERE id = 1`);
    await client.execute(`DELETE FROM ${keyspace}.orders WHERE id = 2`);
    await client.execute(`INSERT INTO ${keyspace}.orders (id, amount, note) VALUES (4, 4.00, 'd')`);
    const second = await run(['replicate', '--once']);
    expect(second.code).toBe(0);
    expect(await rowsOf(dst, 'orders')).toEqual([
      { id: 1, amount: '9.99', note: 'changed' },
      { id: 3, amount: '3.25', note: null },
      { id: 4, amount: '4.00', note: 'd' },
    ]);

    const status = await run(['status', '--format', 'json']);
    expect(status.code).toBe(0);
    const [row] = (JSON.parse(status.stdout) as { tables: { snapshot: string; position: string | null }[] })
      .tables;
    expect(row).toMatchObject({ snapshot: 'done' });
    expect(row?.position).toMatch(/stream group\(s\), all consumed up to /);
  }, 300_000);
});
