/**
 * `cdc check`: connectivity, credentials, permissions, primary keys, supported types and CDC
 * prerequisites, per connection and table — one actionable line per problem.
 */
import {
  CdcError,
  embeddedPipelines,
  parseTableName,
  formatTableName,
  type CdcConfig,
  type TableId,
} from '@cdc/core';
import type { PostgresAdapter } from '@cdc/postgres';
import type { SqlServerAdapter } from '@cdc/sqlserver';
import type { Command } from 'commander';
import { classifyError, ExitCode } from '../cli-error.js';
import { connectUrl, type OpenConnection } from '../connect.js';
import { action, type CliDeps, type CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { tableEntries } from '../config-tables.js';

/** One unmet prerequisite and its fix. */
interface Prerequisite {
  problem: string;
  hint: string;
}

/**
 * Replication prerequisites per engine: SQL Server capture instances on every source table;
 * PostgreSQL `wal_level=logical` on a source and CREATE on a target (for cdc_meta and new tables).
 * Returns `undefined` where the engine's adapter offers no such check.
 */
async function prerequisites(conn: OpenConnection, item: CheckItem): Promise<Prerequisite[] | undefined> {
  if (conn.dialect === 'sqlserver' && item.role === 'source') {
    const adapter = conn.adapter as SqlServerAdapter;
    const problems: Prerequisite[] = [];
    for (const table of item.tables) {
      if (!(await adapter.isCaptured(table.id))) {
        const schema = table.id.schema ?? 'dbo';
        problems.push({
          problem: `CDC is not enabled on ${formatTableName(table.id)}`,
          hint: `EXEC sys.sp_cdc_enable_db; EXEC sys.sp_cdc_enable_table @source_schema = N'${schema.replace(/'/g, "''")}', @source_name = N'${table.id.name.replace(/'/g, "''")}', @role_name = NULL`,
        });
      }
    }
    return problems;
  }
  if (conn.dialect === 'postgres') {
    const adapter = conn.adapter as PostgresAdapter;
    if (item.role === 'source') {
      const [row] = await adapter.query<{ wal_level: string }>('SHOW wal_level');
      return row?.wal_level === 'logical'
        ? []
        : [
            {
              problem: `wal_level is ${row?.wal_level ?? 'unknown'}, logical decoding needs logical`,
              hint: 'ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL',
            },
          ];
    }
    const [row] = await adapter.query<{ ok: boolean }>(
      "SELECT has_database_privilege(current_user, current_database(), 'CREATE') OR CASE WHEN to_regnamespace('cdc_meta') IS NULL THEN false ELSE has_schema_privilege(current_user, 'cdc_meta', 'CREATE') END AS ok",
    );
    return row?.ok
      ? []
      : [
          {
            problem: 'the cdc user cannot create the cdc_meta schema',
            hint: 'GRANT CREATE ON DATABASE … TO the cdc user (once), or create schema cdc_meta owned by it',
          },
        ];
  }
  return undefined;
}

interface CheckItem {
  connection: string;
  url: string;
  password?: string;
  passwordResolved?: boolean;
  role: 'source' | 'target';
  tables: { id: TableId; key?: string[] }[];
}

class Report {
  problems = 0;
  constructor(private readonly ctx: CommandContext) {}
  ok(line: string): void {
    this.ctx.out.info(`${this.ctx.out.colors.green('✓')} ${line}`);
  }
  fail(where: string, error: unknown): void {
    const e = classifyError(error);
    this.problems++;
    this.ctx.out.result(
      `${this.ctx.out.colors.red('✗')} ${where}: ${e.message}${e.hint ? ` — ${e.hint}` : ''}`,
    );
  }
}

async function checkItem(ctx: CommandContext, report: Report, item: CheckItem): Promise<void> {
  let conn: OpenConnection;
  try {
    conn = await connectUrl(item.url, {
      role: item.role,
      password: item.password,
      passwordResolved: item.passwordResolved,
      env: ctx.env,
      redactor: ctx.redactor,
    });
  } catch (error) {
    report.fail(`${item.role} ${item.connection}`, error);
    return;
  }
  try {
    let reachable = item.tables.length === 0;
    for (const table of item.tables) {
      const where = `${item.role} ${item.connection} ${formatTableName(table.id)}`;
      try {
        const schema = await conn.adapter.introspect(table.id, table.key ? { key: table.key } : undefined);
        reachable = true;
        // count(*) proves SELECT permission without reading rows.
        await conn.adapter.count(schema);
        report.ok(
          `${where}: ${schema.columns.length} columns, key (${schema.primaryKey.join(', ')}), readable`,
        );
      } catch (error) {
        const e = classifyError(error, conn.display);
        if (
          e.code === 'TABLE_NOT_FOUND' ||
          e.code === 'NO_PRIMARY_KEY' ||
          e.code === 'UNSUPPORTED_TYPE' ||
          e.code === 'PERMISSION_DENIED'
        )
          reachable = true;
        if (item.role === 'target' && e.code === 'TABLE_NOT_FOUND') {
          report.ok(`${where}: does not exist yet (cdc replicate creates it)`);
          continue;
        }
        report.fail(where, e);
        if (e.code === 'CONNECTION_FAILED' || e.code === 'AUTH_FAILED') break;
      }
    }
    if (reachable)
      report.ok(`${item.role} ${item.connection}: connected to ${conn.display} (${conn.dialect})`);
    if (reachable) {
      let problems: Prerequisite[] | undefined;
      try {
        problems = await prerequisites(conn, item);
      } catch (error) {
        report.fail(`${item.role} ${item.connection}`, error);
        problems = [];
      }
      if (problems === undefined) {
        if (item.role === 'source')
          ctx.out.warn(`${item.role} ${item.connection}: CDC prerequisites not checked for ${conn.dialect}`);
      } else {
        for (const p of problems)
          report.fail(
            `${item.role} ${item.connection}`,
            new CdcError('CDC_NOT_ENABLED', p.problem, { hint: p.hint }),
          );
        if (problems.length === 0)
          report.ok(
            `${item.role} ${item.connection}: ${item.role === 'source' ? 'CDC' : 'target'} prerequisites met`,
          );
      }
    }
  } finally {
    await conn.adapter.close();
  }
}

function itemsFromConfig(config: CdcConfig, only?: string): CheckItem[] {
  const items = new Map<string, CheckItem>();
  for (const pipeline of embeddedPipelines(config)) {
    if (only && pipeline.name !== only) continue;
    for (const role of ['source', 'target'] as const) {
      const name = pipeline[role];
      const connection = config.connections[name]!;
      const key = `${role}:${name}`;
      const item = items.get(key) ?? {
        connection: name,
        url: connection.url,
        password: connection.password,
        passwordResolved: true,
        role,
        tables: [],
      };
      for (const entry of tableEntries(pipeline)) {
        item.tables.push({
          id: role === 'source' ? entry.source : entry.target,
          ...(entry.key ? { key: entry.key } : {}),
        });
      }
      items.set(key, item);
    }
  }
  return [...items.values()];
}

/** Registers `cdc check`. */
export function registerCheckCommand(program: Command, deps: CliDeps): void {
  const check = program
    .command('check')
    .description('Check connectivity, credentials, permissions, keys, types and CDC prerequisites')
    .argument('[url]', 'check one connection instead of a configuration')
    .argument('[tables...]', 'tables to check on that connection')
    .option('-c, --config <file>', 'configuration file (default $CDC_CONFIG)')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--role <role>', 'for a URL: source or target', 'source')
    .option('--password <ref>', 'for a URL: password reference env:NAME or file:/path')
    .action(
      action(
        deps,
        async (
          ctx,
          url: string | undefined,
          tables: string[],
          opts: { config?: string; pipeline?: string; role: string; password?: string },
        ) => {
          const report = new Report(ctx);
          let items: CheckItem[];
          if (url) {
            items = [
              {
                connection: 'argument',
                url,
                password: opts.password,
                role: opts.role === 'target' ? 'target' : 'source',
                tables: tables.map((t) => ({ id: parseTableName(t) })),
              },
            ];
          } else {
            const path = opts.config ?? ctx.env.CDC_CONFIG;
            if (!path) {
              throw new CdcError('INVALID_ARGUMENT', 'nothing to check: give a URL or a configuration file', {
                hint: 'run cdc check --config cdc.yaml, or cdc check postgres://user@host/db schema.table',
              });
            }
            items = itemsFromConfig(await ctx.config(path), opts.pipeline);
          }
          for (const item of items) await checkItem(ctx, report, item);
          if (report.problems > 0) {
            ctx.out.info(`${report.problems} problem(s) found`);
            return ExitCode.error;
          }
          ctx.out.result(`${ctx.out.colors.green('✓')} all checks passed`);
          return ExitCode.inSync;
        },
      ),
    );
  withExamples(check, [
    'cdc check --config cdc.yaml',
    'cdc check --config cdc.yaml --pipeline sales',
    'cdc check mssql://cdc@sql1/Sales dbo.Orders dbo.Customers --password env:MSSQL_PASSWORD',
  ]);
}
