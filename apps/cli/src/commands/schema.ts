/** `cdc schema map <url> <table> [--ddl]`: how a table's columns map to logical and PostgreSQL types. */
import { describeType, parseTableName, type TableId, type TableSchema } from '@cdc/core';
import type { Command } from 'commander';
import { classifyError } from '../cli-error.js';
import { connectUrl } from '../connect.js';
import { action, type CliDeps } from '../context.js';
import { withExamples } from '../help.js';
import { textTable } from '../logical-format.js';

/** Quotes an identifier for PostgreSQL (names are exact). */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `CREATE TABLE` for the PostgreSQL target of `schema`, using the sink's type mapping. */
export function renderCreateTable(
  schema: TableSchema,
  target: TableId,
  nativeTypeFor: (t: TableSchema['columns'][number]['type']) => string,
): string {
  const name = `${quoteIdent(target.schema ?? 'public')}.${quoteIdent(target.name)}`;
  const columns = schema.columns.map(
    (c) =>
      `  ${quoteIdent(c.name)} ${nativeTypeFor(c.type)}${c.nullable && !schema.primaryKey.includes(c.name) ? '' : ' NOT NULL'}`,
  );
  columns.push(`  PRIMARY KEY (${schema.primaryKey.map(quoteIdent).join(', ')})`);
  return `CREATE TABLE ${name} (\n${columns.join(',\n')}\n);`;
}

/** Registers `cdc schema map`. */
export function registerSchemaCommand(program: Command, deps: CliDeps): void {
  const schema = program.command('schema').description('Inspect table schemas and their PostgreSQL mapping');
  const map = schema
    .command('map')
    .description('Show how a table maps to logical types and PostgreSQL columns (and the DDL with --ddl)')
    .argument('<url>', 'connection URL (postgres://, mssql://, scylla://)')
    .argument('<table>', 'table in SQL identifier syntax, e.g. dbo.Orders or \'"Sales-EU"."Order Items"\'')
    .option('--ddl', 'print the PostgreSQL CREATE TABLE statement only')
    .option('--target-table <name>', 'name of the PostgreSQL table in the DDL (default: same as the source)')
    .option('--key <columns>', 'key columns (comma-separated) when the table has no primary key')
    .option('--password <ref>', 'password reference: env:NAME or file:/path')
    .option('--format <format>', 'text or json', 'text')
    .action(
      action(
        deps,
        async (
          ctx,
          url: string,
          tableText: string,
          opts: { ddl?: boolean; targetTable?: string; key?: string; password?: string; format: string },
        ) => {
          const table = parseTableName(tableText);
          const target = opts.targetTable
            ? parseTableName(opts.targetTable)
            : { schema: table.schema, name: table.name };
          const conn = await connectUrl(url, {
            role: 'source',
            password: opts.password,
            env: ctx.env,
            redactor: ctx.redactor,
            connectors: await ctx.connectors(),
          });
          try {
            let described: TableSchema;
            try {
              described = await conn.adapter.introspect(
                table,
                opts.key ? { key: opts.key.split(',').map((s) => s.trim()) } : undefined,
              );
            } catch (error) {
              throw classifyError(error, conn.display);
            }
            const { nativeTypeFor } = await import('@cdc/postgres');
            const ddl = renderCreateTable(described, target, nativeTypeFor);
            if (opts.ddl) {
              ctx.out.result(ddl);
              return;
            }
            if (opts.format === 'json') {
              ctx.out.result(
                JSON.stringify(
                  {
                    table: described.id,
                    dialect: conn.dialect,
                    primaryKey: described.primaryKey,
                    columns: described.columns.map((c) => ({
                      name: c.name,
                      nativeType: c.nativeType,
                      logicalType: c.type,
                      postgresType: nativeTypeFor(c.type),
                      nullable: c.nullable,
                    })),
                    ddl,
                  },
                  null,
                  2,
                ),
              );
              return;
            }
            const rows = described.columns.map((c) => [
              c.name,
              c.nativeType,
              describeType(c.type),
              nativeTypeFor(c.type),
              c.nullable ? 'yes' : 'no',
              described.primaryKey.includes(c.name) ? String(described.primaryKey.indexOf(c.name) + 1) : '',
            ]);
            ctx.out.result(
              `${conn.display} ${tableText} (${conn.dialect})\n\n` +
                textTable([['column', conn.dialect, 'logical', 'postgres', 'null', 'key'], ...rows]) +
                `\n\n${ddl}`,
            );
          } finally {
            await conn.adapter.close();
          }
        },
      ),
    );
  withExamples(map, [
    'cdc schema map mssql://sa@sql1/Sales dbo.Orders',
    'cdc schema map postgres://app@db/shop \'"Sales-EU"."Order Items"\' --ddl --target-table sales.order_items',
    'cdc schema map scylla://cdc@scylla1/shop?localDataCenter=dc1 shop.carts --format json',
  ]);
}
