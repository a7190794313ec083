/**
 * `cdc check`: Vault health and every secret reference (with a configuration), then connectivity,
 * credentials, permissions, primary keys, supported types and CDC prerequisites, per connection and
 * table — one actionable line per problem, or one JSON document with `--format json`.
 */
import {
  CdcError,
  embeddedPipelines,
  parseTableName,
  formatTableName,
  type CdcConfig,
  type SecretReferenceResult,
  type TableId,
} from '@cdc/core';
import type { PostgresAdapter } from '@cdc/postgres';
import type { SqlServerAdapter } from '@cdc/sqlserver';
import { Option, type Command } from 'commander';
import { classifyError, ExitCode } from '../cli-error.js';
import { connectUrl, type OpenConnection } from '../connect.js';
import { action, type CliDeps, type CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { tableEntries } from '../config-tables.js';
import {
  checkConfigSecrets,
  connectionsWithFailedReferences,
  type ConfigSecretsCheck,
  type VaultCheck,
} from '../check-secrets.js';

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

/** One line of the check: what passed, failed, was skipped, or only warned. */
interface CheckEntry {
  status: 'ok' | 'failed' | 'skipped' | 'warning';
  where: string;
  message: string;
  hint?: string;
  code?: string;
}

/**
 * Collects check results. In text mode each `✗` goes to stdout as it is found (`✓` and warnings to
 * stderr); in JSON mode nothing is printed until {@link Report.document}.
 */
class Report {
  problems = 0;
  readonly entries: CheckEntry[] = [];
  constructor(
    private readonly ctx: CommandContext,
    private readonly json: boolean,
  ) {}
  ok(where: string, message: string): void {
    this.entries.push({ status: 'ok', where, message });
    if (!this.json) this.ctx.out.info(`${this.ctx.out.colors.green('✓')} ${where}: ${message}`);
  }
  fail(where: string, error: unknown): void {
    const e = classifyError(error);
    this.problem(where, { message: e.message, hint: e.hint, code: e.code });
  }
  problem(where: string, e: { message: string; hint?: string | undefined; code: string }): void {
    this.problems++;
    // Results are printed verbatim: error texts (which may echo a driver's connection string) are
    // masked here; `where` names connections and tables as configured, so it stays as is.
    const message = this.ctx.redactor.redact(e.message);
    const hint = e.hint ? this.ctx.redactor.redact(e.hint) : undefined;
    this.entries.push({
      status: 'failed',
      where,
      message,
      ...(hint ? { hint } : {}),
      code: e.code,
    });
    if (!this.json)
      this.ctx.out.result(`${this.ctx.out.colors.red('✗')} ${where}: ${message}${hint ? ` — ${hint}` : ''}`);
  }
  /** Not checked because of a problem already reported (not counted again). */
  skip(where: string, message: string): void {
    this.entries.push({ status: 'skipped', where, message });
    if (!this.json) this.ctx.out.info(`${this.ctx.out.colors.yellow('-')} ${where}: ${message}`);
  }
  warn(where: string, message: string): void {
    this.entries.push({ status: 'warning', where, message: this.ctx.redactor.redact(message) });
    this.ctx.out.warn(`${where}: ${message}`);
  }
}

/** `ok (version 1.15.2, 12 ms) at https://vault:8200`, `unreachable: <error> (5 ms) at …`. */
export function describeVault(vault: VaultCheck): string {
  const details = [
    vault.version ? `version ${vault.version}` : undefined,
    vault.latencyMs === undefined ? undefined : `${Math.round(vault.latencyMs)} ms`,
  ].filter(Boolean);
  const status =
    vault.status === 'unreachable' || vault.status === 'invalid'
      ? `${vault.status}: ${vault.error ?? 'unknown error'}`
      : vault.status;
  return `${status}${details.length > 0 ? ` (${details.join(', ')})` : ''} at ${vault.address}`;
}

/** Reports Vault's health: a problem unless it can serve secrets (active, or a standby that forwards). */
function reportVault(report: Report, vault: VaultCheck): void {
  if (vault.status === 'ok') {
    report.ok('vault', describeVault(vault));
  } else if (vault.usable) {
    report.warn(
      'vault',
      `${describeVault(vault)} (${vault.error ?? 'standby'}; requests are forwarded to the active node)`,
    );
  } else {
    const hint =
      vault.status === 'sealed'
        ? `${vault.error ?? 'Vault is sealed'}: unseal it (vault operator unseal) or point vault.address at an unsealed node`
        : vault.status === 'invalid'
          ? 'fix the vault block (see docs/secrets.md) and check again'
          : 'check vault.address, the network and TLS settings (vault.tls.caFile)';
    report.fail('vault', new CdcError('UPSTREAM_ERROR', describeVault(vault), { hint }));
  }
}

/** One line per secret reference: resolved (by which alternative), or why not. Never a value. */
function reportReferences(report: Report, references: readonly SecretReferenceResult[]): void {
  for (const ref of references) {
    const where = `secret ${ref.path} (${ref.reference})`;
    if (ref.status === 'resolved') {
      report.ok(
        where,
        ref.resolvedBy && ref.resolvedBy !== ref.reference ? `resolved by ${ref.resolvedBy}` : 'resolved',
      );
    } else {
      report.problem(where, {
        message: ref.error ?? 'not resolved',
        hint: ref.hint,
        code: ref.code ?? 'SECRET_UNRESOLVED',
      });
    }
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
      connectors: await ctx.connectors(),
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
        report.ok(where, `${schema.columns.length} columns, key (${schema.primaryKey.join(', ')}), readable`);
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
          report.ok(where, 'does not exist yet (cdc replicate creates it)');
          continue;
        }
        report.fail(where, e);
        if (e.code === 'CONNECTION_FAILED' || e.code === 'AUTH_FAILED') break;
      }
    }
    if (reachable)
      report.ok(`${item.role} ${item.connection}`, `connected to ${conn.display} (${conn.dialect})`);
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
          report.warn(`${item.role} ${item.connection}`, `CDC prerequisites not checked for ${conn.dialect}`);
      } else {
        for (const p of problems)
          report.fail(
            `${item.role} ${item.connection}`,
            new CdcError('CDC_NOT_ENABLED', p.problem, { hint: p.hint }),
          );
        if (problems.length === 0)
          report.ok(
            `${item.role} ${item.connection}`,
            `${item.role === 'source' ? 'CDC' : 'target'} prerequisites met`,
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
    .description(
      'Check Vault, secret references, connectivity, credentials, permissions, keys, types and CDC prerequisites',
    )
    .argument('[url]', 'check one connection instead of a configuration')
    .argument('[tables...]', 'tables to check on that connection')
    .option('-c, --config <file>', 'configuration file (default $CDC_CONFIG)')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--role <role>', 'for a URL: source or target', 'source')
    .option('--password <ref>', 'for a URL: password reference env:NAME or file:/path')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      action(
        deps,
        async (
          ctx,
          url: string | undefined,
          tables: string[],
          opts: { config?: string; pipeline?: string; role: string; password?: string; format: string },
        ) => {
          const json = opts.format === 'json';
          const report = new Report(ctx, json);
          let secrets: ConfigSecretsCheck | undefined;
          if (url) {
            await checkItem(ctx, report, {
              connection: 'argument',
              url,
              password: opts.password,
              role: opts.role === 'target' ? 'target' : 'source',
              tables: tables.map((t) => ({ id: parseTableName(t) })),
            });
          } else {
            const path = opts.config ?? ctx.env.CDC_CONFIG;
            if (!path) {
              throw new CdcError('INVALID_ARGUMENT', 'nothing to check: give a URL or a configuration file', {
                hint: 'run cdc check --config cdc.yaml, or cdc check postgres://user@host/db schema.table',
              });
            }
            // Every reference is resolved and reported, even after one fails (check reports them all).
            secrets = await checkConfigSecrets(ctx, path);
            try {
              if (secrets.vault) reportVault(report, secrets.vault);
              if (!json && secrets.references.length > 0)
                ctx.out.info(`secret references (${secrets.references.length}):`);
              reportReferences(report, secrets.references);
              const unresolved = connectionsWithFailedReferences(secrets.config, secrets.references);
              for (const item of itemsFromConfig(secrets.config, opts.pipeline)) {
                const ref = unresolved.get(item.connection);
                if (ref) {
                  report.skip(
                    `${item.role} ${item.connection}`,
                    `not checked: secret reference ${ref.reference} at ${ref.path} did not resolve`,
                  );
                } else {
                  await checkItem(ctx, report, item);
                }
              }
            } finally {
              await secrets.close();
            }
          }
          if (json) {
            ctx.out.result(
              JSON.stringify(
                {
                  ok: report.problems === 0,
                  problems: report.problems,
                  vault: secrets?.vault ?? null,
                  secretReferences: secrets?.references ?? [],
                  checks: report.entries,
                },
                null,
                2,
              ),
            );
          }
          if (report.problems > 0) {
            const failed = report.entries.filter((e) => e.status === 'failed').map((e) => e.where);
            const names = [...new Set(failed)];
            ctx.out.info(
              `${report.problems} problem(s) found: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
            );
            return ExitCode.error;
          }
          if (!json) ctx.out.result(`${ctx.out.colors.green('✓')} all checks passed`);
          return ExitCode.inSync;
        },
      ),
    );
  withExamples(check, [
    'cdc check --config cdc.yaml',
    'cdc check --config cdc.yaml --pipeline sales',
    'cdc check --config cdc.yaml --format json',
    'cdc check mssql://cdc@sql1/Sales dbo.Orders dbo.Customers --password env:MSSQL_PASSWORD',
  ]);
}
