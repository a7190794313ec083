/**
 * `cdc replicate`, `cdc snapshot` and `cdc sqlserver enable-cdc` with SQL Server and ScyllaDB sources, on
 * the built binary. Without servers: unreachable sources fail fast, naming the connection, with the
 * password redacted and no stack trace. With CDC_TEST_MSSQL_URL / CDC_TEST_SCYLLA_URL: end-to-end
 * replication into the embedded PostgreSQL (see cli-replicate-sqlserver-e2e / the Scylla block below).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@cdc/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, cdc } from './cli-harness.js';

let dir: string;

async function configWith(name: string, sourceUrl: string, extra: string[] = []): Promise<string> {
  const file = join(dir, name);
  const dwPort = await freePort();
  await writeFile(
    file,
    [
      'connections:',
      `  erp: { url: "${sourceUrl}", password: env:ERP_PASSWORD }`,
      `  dw: { url: "postgres://cdc@127.0.0.1:${dwPort}/dw", password: env:DW_PASSWORD }`,
      'pipelines:',
      '  - { name: sales, source: erp, target: dw, tables: [dbo.orders, dbo.order_lines] }',
      ...extra,
      '',
    ].join('\n'),
  );
  return file;
}

const env = { ERP_PASSWORD: 'Sup3r$ecretPw', DW_PASSWORD: 'dw-Sup3r$ecret' };

beforeAll(async () => {
  buildCli();
  dir = await mkdtemp(join(tmpdir(), 'cdc-cli-sources-'));
});

describe('unreachable SQL Server / ScyllaDB sources (no server needed)', () => {
  it.each([
    ['replicate', ['--once']],
    ['snapshot', []],
  ])('cdc %s with an mssql:// source on a closed port fails fast and clearly', async (command, flags) => {
    const port = await freePort();
    const config = await configWith(`mssql-${command}.yaml`, `mssql://sa@127.0.0.1:${port}/Sales`);
    const started = Date.now();
    const run = await cdc([command, '--config', config, ...flags], env);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `pipeline sales: source connection "erp" (mssql://sa@127.0.0.1:${port}/Sales)`,
    );
    expect(run.stderr).toMatch(/cannot connect|Failed to connect|ECONNREFUSED|refused/i);
    expect(run.stderr).not.toContain('Sup3r');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('cdc replicate --once with a scylla:// source on a closed port fails fast and clearly', async () => {
    const port = await freePort();
    const config = await configWith('scylla.yaml', `scylla://app@127.0.0.1:${port}/shop?localDataCenter=dc1`);
    const started = Date.now();
    const run = await cdc(['replicate', '--config', config, '--once'], env);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `pipeline sales: source connection "erp" (scylla://app@127.0.0.1:${port}/shop?localDataCenter=dc1)`,
    );
    expect(run.stderr).not.toContain('Sup3r');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('an unsupported source scheme names the pipeline and connection', async () => {
    const config = await configWith('oracle.yaml', 'oracle://app@127.0.0.1:1521/ERP');
    const run = await cdc(['replicate', '--config', config, '--once'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'pipeline sales: source connection "erp" URL oracle://app@127.0.0.1:1521/ERP: unsupported scheme "oracle:"',
    );
  });

  it('--drop-slot on a SQL Server source says there is no slot, connecting nothing', async () => {
    const config = await configWith('dropslot.yaml', `mssql://sa@127.0.0.1:${await freePort()}/Sales`);
    const run = await cdc(['replicate', '--config', config, '--drop-slot'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('sales: --drop-slot applies to PostgreSQL sources only');
    expect(run.stderr).toContain('no selected pipeline replicates from PostgreSQL (sales)');
    expect(run.stderr).not.toMatch(/cannot connect|refused/i);
  });
});

describe('cdc sqlserver enable-cdc', () => {
  it('--print prints the idempotent script for the pipeline tables without connecting', async () => {
    const config = await configWith('enable.yaml', `mssql://sa@127.0.0.1:${await freePort()}/Sales`);
    const run = await cdc(
      ['sqlserver', 'enable-cdc', '--config', config, '--print', '--retention-minutes', '10080'],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('USE [Sales];');
    expect(run.stdout).toContain('EXEC sys.sp_cdc_enable_db;');
    expect(run.stdout).toContain('ALTER DATABASE [Sales] SET ALLOW_SNAPSHOT_ISOLATION ON;');
    expect(run.stdout).toContain("@source_schema = N'dbo',\n    @source_name = N'orders'");
    expect(run.stdout).toContain("@source_name = N'order_lines'");
    expect(run.stdout).toContain('@supports_net_changes = 0');
    expect(run.stdout).toContain('@retention = 10080;');
  });

  it('--table picks tables and --role-name gates them; quotes survive', async () => {
    const config = await configWith('enable2.yaml', `mssql://sa@127.0.0.1:${await freePort()}/Sales`);
    const run = await cdc(
      [
        'sqlserver',
        'enable-cdc',
        '--config',
        config,
        '--table',
        'sales.orders',
        '--role-name',
        "cdc'reader",
        '--no-snapshot-isolation',
        '--print',
      ],
      env,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("@source_schema = N'sales'");
    expect(run.stdout).toContain("@role_name = N'cdc''reader'");
    expect(run.stdout).not.toContain('order_lines');
    expect(run.stdout).not.toContain('ALLOW_SNAPSHOT_ISOLATION');
  });

  it('without --print it connects, and an unreachable server is reported by connection name', async () => {
    const port = await freePort();
    const config = await configWith('enable3.yaml', `mssql://sa@127.0.0.1:${port}/Sales`);
    const run = await cdc(['sqlserver', 'enable-cdc', '--config', config], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`connection "erp" (mssql://sa@127.0.0.1:${port}/Sales)`);
    expect(run.stderr).not.toContain('Sup3r');
  });

  it('refuses a connection that is not SQL Server', async () => {
    const config = await configWith('enable4.yaml', `mssql://sa@127.0.0.1:1/Sales`);
    const run = await cdc(
      ['sqlserver', 'enable-cdc', '--config', config, '--connection', 'dw', '--print'],
      env,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('connection "dw" is not a SQL Server connection');
  });
});
