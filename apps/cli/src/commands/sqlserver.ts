/**
 * `cdc sqlserver enable-cdc`: turns on SQL Server change data capture for the database of a configured
 * connection and for the tables its pipelines replicate (or `--table`), or prints the T-SQL to review
 * and run by hand (`--print`). Idempotent: what is enabled already is left alone.
 */
import {
  CdcError,
  embeddedPipelines,
  formatTableId,
  parseTableName,
  pipelineTables,
  type CdcConfig,
  type TableId,
} from '@cdc/core';
import {
  connectSqlServer,
  loadTedious,
  parseSqlServerUrl,
  renderEnableCdcSql,
  sqlServerConnector,
  type EnableCdcTable,
} from '@cdc/sqlserver';
import { type Command } from 'commander';
import { action, type CliDeps, type CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { connectionError, describeConnection, urlWithPassword } from '../replication-sources.js';
import { configPath } from './replicate.js';

interface EnableCdcCliOptions {
  config?: string;
  connection?: string;
  pipeline?: string;
  table?: string[];
  roleName?: string;
  snapshotIsolation: boolean;
  retentionMinutes?: string;
  print?: boolean;
}

/** Whether a configured connection is SQL Server, by its URL's scheme (`mssql:`, `sqlserver:`). */
const isSqlServer = (config: CdcConfig, name: string) => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(config.connections[name]!.url)?.[1]?.toLowerCase();
  return scheme !== undefined && sqlServerConnector.schemes.includes(scheme);
};

/**
 * The SQL Server connection and tables `enable-cdc` works on: `--connection` (else the one SQL Server
 * source of the selected pipelines) and `--table` (else every table those pipelines replicate from it).
 */
export function enableCdcTargets(
  config: CdcConfig,
  options: { connection?: string; pipeline?: string; tables: readonly string[] },
): { connection: string; tables: TableId[] } {
  const pipelines = embeddedPipelines(config).filter(
    (p) => options.pipeline === undefined || p.name === options.pipeline,
  );
  if (options.pipeline !== undefined && pipelines.length === 0) {
    throw new CdcError('INVALID_ARGUMENT', `no embedded pipeline named "${options.pipeline}"`, {
      hint: `use one of: ${embeddedPipelines(config)
        .map((p) => p.name)
        .join(', ')}`,
    });
  }
  let connection = options.connection;
  if (connection !== undefined) {
    if (!(connection in config.connections)) {
      throw new CdcError('INVALID_ARGUMENT', `no connection named "${connection}" in the configuration`, {
        hint: `use one of: ${Object.keys(config.connections).join(', ')}`,
      });
    }
    if (!isSqlServer(config, connection)) {
      throw new CdcError('INVALID_ARGUMENT', `connection "${connection}" is not a SQL Server connection`, {
        hint: 'name a connection whose URL starts with mssql:// or sqlserver://',
      });
    }
  } else {
    const candidates = [...new Set(pipelines.map((p) => p.source))].filter((n) => isSqlServer(config, n));
    if (candidates.length !== 1) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        candidates.length === 0
          ? 'no pipeline of the configuration replicates from SQL Server'
          : `pipelines replicate from several SQL Server connections (${candidates.join(', ')})`,
        { hint: 'name one: --connection <name>' },
      );
    }
    connection = candidates[0]!;
  }
  const named = options.tables.map((t) => parseTableName(t));
  const tables =
    named.length > 0
      ? named
      : pipelines
          .filter((p) => p.source === connection)
          .flatMap((p) => pipelineTables(p).map((t) => t.table));
  if (tables.length === 0) {
    throw new CdcError('INVALID_ARGUMENT', `no tables to enable CDC on for connection "${connection}"`, {
      hint: 'name them: --table dbo.orders (repeatable)',
    });
  }
  const seen = new Set<string>();
  const unique = tables
    .map((t) => ({ schema: t.schema ?? 'dbo', name: t.name }))
    .filter((t) => !seen.has(formatTableId(t)) && seen.add(formatTableId(t)));
  return { connection, tables: unique };
}

function retention(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new CdcError('INVALID_ARGUMENT', `--retention-minutes must be a positive integer, got ${value}`);
  }
  return n;
}

async function enableCdc(ctx: CommandContext, opts: EnableCdcCliOptions): Promise<void> {
  const config = await ctx.config(configPath(ctx, opts.config, 'cdc sqlserver enable-cdc'));
  const { connection, tables } = enableCdcTargets(config, {
    ...(opts.connection !== undefined ? { connection: opts.connection } : {}),
    ...(opts.pipeline !== undefined ? { pipeline: opts.pipeline } : {}),
    tables: opts.table ?? [],
  });
  const conn = config.connections[connection]!;
  const enableTables: EnableCdcTable[] = tables.map((t) => ({
    schema: t.schema ?? 'dbo',
    name: t.name,
    ...(opts.roleName ? { roleName: opts.roleName } : {}),
  }));
  const retentionMinutes = retention(opts.retentionMinutes);
  const settings = {
    tables: enableTables,
    snapshotIsolation: opts.snapshotIsolation,
    ...(retentionMinutes !== undefined ? { retentionMinutes } : {}),
  };
  if (opts.print) {
    const database = parseSqlServerUrl(conn.url).database;
    ctx.out.result(renderEnableCdcSql({ database, ...settings }).trimEnd());
    return;
  }
  let adapter;
  try {
    adapter = await connectSqlServer({
      connection: urlWithPassword(conn.url, conn.password),
      tedious: await loadTedious(),
    });
  } catch (error) {
    throw connectionError(error, describeConnection({ name: connection, url: conn.url }));
  }
  try {
    const instances = await adapter.enableCdc(settings, (step) => ctx.out.info(`${connection}: ${step}`));
    for (const t of tables) {
      const key = `${t.schema ?? 'dbo'}.${t.name}`;
      const names = instances.get(key);
      ctx.out.result(
        names
          ? `${formatTableId(t)}: CDC enabled (capture instance ${names.join(', ')})`
          : `${formatTableId(t)}: no capture instance found after enabling — check the errors above`,
      );
    }
  } finally {
    await adapter.close();
  }
}

/** Registers `cdc sqlserver` and its subcommands. */
export function registerSqlServerCommand(program: Command, deps: CliDeps): void {
  const group = program.command('sqlserver').description('SQL Server source helpers');
  const command = group
    .command('enable-cdc')
    .description(
      "Enable change data capture on a SQL Server source's database and tables (or print the T-SQL with --print)",
    )
    .option('-c, --config <file>', 'configuration file (default: $CDC_CONFIG)')
    .option('--connection <name>', 'the SQL Server connection (default: the one SQL Server pipeline source)')
    .option('-p, --pipeline <name>', "only this pipeline's tables")
    .option(
      '-t, --table <table>',
      'table to enable (repeatable; default: every table the pipelines replicate from the connection)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--role-name <role>', 'gating role for reading changes (default: none)')
    .option(
      '--no-snapshot-isolation',
      'do not turn on ALLOW_SNAPSHOT_ISOLATION (consistent snapshots need it)',
    )
    .option(
      '--retention-minutes <n>',
      'change-table retention of the cleanup job (default: the server’s, 3 days)',
    )
    .option('--print', 'print the T-SQL script instead of running it (nothing is connected)')
    .action(action(deps, (ctx, opts: EnableCdcCliOptions) => enableCdc(ctx, opts)));
  withExamples(command, [
    'cdc sqlserver enable-cdc --config cdc.yaml --print',
    'cdc sqlserver enable-cdc --config cdc.yaml --table dbo.orders --table dbo.order_lines',
    'cdc sqlserver enable-cdc --config cdc.yaml --connection erp --retention-minutes 10080',
  ]);
}
